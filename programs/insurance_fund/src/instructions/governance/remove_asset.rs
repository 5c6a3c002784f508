use crate::error::FundError;
use crate::events::AssetRemoved;
use crate::state::{seeds::SEED_FUND, Fund};
use crate::token_policy::{close_token_account, token_amount};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct RemoveAsset<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
    /// CHECK: must be the vault address the fund stored for the asset.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// CHECK: any account governance names; receives the vault's rent.
    #[account(mut)]
    pub rent_recipient: UncheckedAccount<'info>,
    /// CHECK: must be the asset's token program (checked against the stored kind).
    pub token_program: UncheckedAccount<'info>,
}

/// Removes an asset with nothing left in it, closing its vault and returning the rent.
///
/// Specification:
/// - Only governance may call (`NotGovernance`); `mint` is registered (`UnknownAsset`); `vault`
///   is its vault (`VaultMismatch`) and `token_program` its token program
///   (`TokenProgramMismatch`).
/// - Its target weight is 0 (`AssetTargetNotZero`), and nothing is booked or held in its
///   vault (`AssetNotEmpty`). It need not be retired. An asset that cannot hold value moves
///   none, so removal applies at once (no timelock).
/// - Closes the vault (the token program's close-account instruction, the fund signing), its rent to
///   `rent_recipient`. (A Token-2022 vault still holding withheld transfer fees cannot be
///   closed until they are harvested: the token program refuses.)
/// - Removes the asset; the assets after it move down one slot (asset order, and so the
///   draw waterfall within a class, is kept); the freed last slot is zeroed.
/// - Emits `AssetRemoved`.
pub fn remove_asset(ctx: Context<RemoveAsset>, mint: Pubkey) -> Result<()> {
    let (index, bump, create_key) = {
        let fund = ctx.accounts.fund.load()?;
        let index = fund.asset_index(&mint)?;
        let asset = &fund.assets[index];
        require_keys_eq!(
            ctx.accounts.vault.key(),
            asset.vault,
            FundError::VaultMismatch
        );
        require_keys_eq!(
            ctx.accounts.token_program.key(),
            asset.token_program_id(),
            FundError::TokenProgramMismatch
        );
        asset.check_removable(token_amount(&ctx.accounts.vault)?)?;
        (index, fund.bump, fund.create_key)
    };
    let bump_seed = [bump];
    let seeds: &[&[u8]] = &[SEED_FUND, create_key.as_ref(), &bump_seed];
    close_token_account(
        ctx.accounts.token_program.key,
        &ctx.accounts.vault,
        &ctx.accounts.rent_recipient,
        ctx.accounts.fund.as_ref(),
        &[seeds],
    )?;

    let mut fund = ctx.accounts.fund.load_mut()?;
    fund.remove_asset_at(index);
    fund.invariant()?;

    emit!(AssetRemoved {
        fund: ctx.accounts.fund.key(),
        mint,
        index: index as u8,
    });
    Ok(())
}
