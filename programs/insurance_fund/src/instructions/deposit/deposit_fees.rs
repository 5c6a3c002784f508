use crate::error::FundError;
use crate::events::FeesDeposited;
use crate::math::SafeMath;
use crate::state::{asset_flags, pause_flags, Fund};
use crate::token_policy::{token_account_mint, token_amount, transfer_checked, TransferAccounts};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

/// The hot path of every fee collector, so the token accounts are not unpacked: the mint and
/// vault are checked against the addresses the fund stored at `add_asset` (only those exact
/// accounts pass), and the source's owner and mint are read from its fixed layout.
#[derive(Accounts)]
pub struct DepositFees<'info> {
    pub depositor: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    /// CHECK: must be a registered asset's mint (looked up in the fund by key).
    pub mint: UncheckedAccount<'info>,
    /// CHECK: must be the vault address the fund stored for `mint`.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// CHECK: a token account of `mint` under the asset's token program (checked in the
    /// handler); the depositor must be its owner or delegate (checked by the token program).
    #[account(mut)]
    pub source: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Deposits fees (or any contribution) of a registered asset into the fund.
///
/// Specification:
/// - Anyone may call; `depositor` signs as owner or delegate of `source`.
/// - `amount` > 0 (`ZeroAmount`).
/// - Deposits are not paused fund-wide (`DepositsPaused`).
/// - `mint` is registered in this fund (`UnknownAsset`) and deposits are enabled for it
///   (`AssetDepositsDisabled`).
/// - `vault` is this fund's vault for `mint` (`VaultMismatch`), so another fund's vault is
///   refused.
/// - `token_program` is the asset's token program (`TokenProgramMismatch`).
/// - `source` is an initialized token account of the asset's token program
///   (`InvalidTokenAccount`) holding `mint` (`SourceMintMismatch`), and is not the vault
///   (`SourceIsVault`).
/// - Moves `amount` from `source` to `vault` with `transfer_checked`.
/// - Books the amount actually received, measured as the vault balance after minus before
///   (a Token-2022 transfer fee is withheld from it); that must be > 0 (`NothingReceived`).
///   Increases the asset's booked balance and lifetime fees by exactly that amount.
/// - Clears the auction clock of every asset now back inside its band
///   (`Fund::settle_auction_clocks`), so a later episode starts at the start premium.
/// - Emits `FeesDeposited` with amount sent and received and the vault balance before and
///   after.
pub fn deposit_fees(ctx: Context<DepositFees>, amount: u64) -> Result<()> {
    require!(amount > 0, FundError::ZeroAmount);
    let accounts = &ctx.accounts;
    let mint_key = accounts.mint.key();

    let (index, decimals) = {
        let fund = accounts.fund.load()?;
        // the clock is read only when a deposit pause could be in force
        require!(
            fund.paused & pause_flags::DEPOSITS == 0
                || !fund.is_paused(pause_flags::DEPOSITS, Clock::get()?.unix_timestamp),
            FundError::DepositsPaused
        );
        let index = fund.asset_index(&mint_key)?;
        let asset = &fund.assets[index];
        require!(
            asset.has_flag(asset_flags::DEPOSIT),
            FundError::AssetDepositsDisabled
        );
        require_keys_eq!(accounts.vault.key(), asset.vault, FundError::VaultMismatch);
        require_keys_eq!(
            accounts.token_program.key(),
            asset.token_program_id(),
            FundError::TokenProgramMismatch
        );
        (index, asset.decimals)
    };
    require_keys_neq!(
        accounts.source.key(),
        accounts.vault.key(),
        FundError::SourceIsVault
    );
    require_keys_eq!(
        token_account_mint(&accounts.source, &accounts.token_program.key())?,
        mint_key,
        FundError::SourceMintMismatch
    );

    let vault_info = accounts.vault.to_account_info();
    let before = token_amount(&vault_info)?;
    transfer_checked(
        accounts.token_program.key,
        TransferAccounts {
            from: &accounts.source,
            mint: &accounts.mint,
            to: &vault_info,
            authority: &accounts.depositor,
        },
        amount,
        decimals,
        &[],
    )?;
    let after = token_amount(&vault_info)?;
    let received = after.safe_sub(before)?;
    require!(received > 0, FundError::NothingReceived);

    let mut fund = accounts.fund.load_mut()?;
    fund.assets[index].credit_deposit(received)?;
    // the clock (for the targets in force) is read only when crisis targets could apply
    let tilt = fund.tilt_with(|| Clock::get().map(|c| c.unix_timestamp))?;
    fund.settle_auction_clocks_under(tilt)?;
    fund.invariant_flows()?;

    emit!(FeesDeposited {
        fund: accounts.fund.key(),
        depositor: accounts.depositor.key(),
        mint: mint_key,
        amount_sent: amount,
        amount_received: received,
        vault_balance_before: before,
        vault_balance_after: after,
        booked_balance_after: fund.assets[index].booked_balance,
    });
    Ok(())
}
