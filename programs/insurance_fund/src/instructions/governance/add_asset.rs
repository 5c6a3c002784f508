use crate::create::create_pda;
use crate::events::AssetAdded;
use crate::state::{seeds::SEED_VAULT, Asset, AssetParams, Fund, TokenProgramKind};
use crate::timelock::{authorize_change, change_authority, ConfigChange};
use crate::token_policy::{check_mint_extensions, token_account_space};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::program::invoke;
use anchor_spl::token_2022::spl_token_2022::instruction::initialize_account3;
use anchor_spl::token_interface::{Mint, TokenInterface};

#[derive(Accounts)]
pub struct AddAsset<'info> {
    /// Governance, or anyone executing a matured queued change (`timelock::authorize_change`).
    pub authority: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    pub mint: InterfaceAccount<'info, Mint>,
    /// The fund's vault for `mint`, created by the handler at this PDA (also when someone
    /// sent lamports to the address first, `create::create_pda`) and initialised by the
    /// token program with the fund as its owner.
    /// CHECK: the seeds fix the address; the handler creates and initialises the account.
    #[account(
        mut,
        seeds = [SEED_VAULT, fund.key().as_ref(), mint.key().as_ref()],
        bump,
    )]
    pub vault: UncheckedAccount<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
    /// CHECK: the queued change being executed (a `PendingChange`), omitted when governance
    /// applies the change itself; `timelock::authorize_change` loads it (owner and
    /// discriminator) and checks its contents, in one place for every instruction.
    #[account(mut)]
    pub pending_change: Option<UncheckedAccount<'info>>,
    /// CHECK: receives the queued change's rent; `timelock::authorize_change` checks it is the
    /// change's payer.
    #[account(mut)]
    pub rent_recipient: Option<UncheckedAccount<'info>>,
}

/// Registers a mint (SPL Token or Token-2022) and creates the fund's vault for it.
///
/// Specification:
/// - Governance may call (`NotGovernance`), but a change that loosens needs a zero timelock
///   (`TimelockRequired`); or anyone may call with the matured queued change, which is then
///   closed (`PendingChangeMismatch`, `PendingChangeStale`, `TimelockNotElapsed`,
///   `RentRecipientMismatch`). One function decides: `timelock::authorize_change`.
/// - The change loosens (so it waits for the timelock) when: always.
/// - `payer` pays the vault's rent.
/// - `token_program` must own `mint`: the token program refuses to create the vault otherwise
///   (`IncorrectProgramId`).
/// - The mint's Token-2022 extensions must pass the vault policy in `token_policy`
///   (`MintHasPermanentDelegate`, `MintHasTransferHook`, `MintDefaultFrozen`,
///   `MintNonTransferable`, `MintPausable`, `MintHasCloseAuthority`, `MintUiAmountScaled`,
///   `MintUnsupportedExtension`).
/// - The mint must not be registered already (`AssetAlreadyRegistered`; the vault PDA would
///   also already exist) and the fund must hold fewer than 16 assets (`TooManyAssets`).
/// - `params` must pass the whole-configuration validation (`Fund::validate_config`).
/// - Creates the vault at PDA `["vault", fund, mint]` with the fund as token authority;
///   lamports someone sent to that address beforehand do not block it (`create::create_pda`).
/// - Appends the asset with target weight 0 (targets change only through `set_targets`),
///   booked balance 0.
/// - The transaction fails as a whole on any error, so a rejected mint leaves no vault behind.
/// - Emits `AssetAdded`.
pub fn add_asset(ctx: Context<AddAsset>, params: AssetParams) -> Result<()> {
    let mint_key = ctx.accounts.mint.key();
    let mut fund = ctx.accounts.fund.load_mut()?;
    let change = ConfigChange::AddAsset {
        mint: mint_key,
        params,
    };
    let authorized = authorize_change(
        &fund,
        ctx.accounts.fund.key(),
        change_authority!(ctx.accounts),
        &change,
        None,
    )?;
    check_mint_extensions(&ctx.accounts.mint.to_account_info())?;
    let token_program = TokenProgramKind::from_program_id(&ctx.accounts.token_program.key())?;

    fund.check_can_add(&mint_key)?;

    // the vault: the account at its PDA, then the token program's InitializeAccount3 with
    // the fund as owner (which also refuses a mint the token program does not own)
    let fund_key = ctx.accounts.fund.key();
    let vault = &ctx.accounts.vault;
    let mint = ctx.accounts.mint.to_account_info();
    let program = ctx.accounts.token_program.key();
    create_pda(
        &ctx.accounts.payer,
        vault,
        token_account_space(&mint)?,
        &program,
        &[
            SEED_VAULT,
            fund_key.as_ref(),
            mint_key.as_ref(),
            &[ctx.bumps.vault],
        ],
    )?;
    let init = initialize_account3(&program, vault.key, &mint_key, &fund_key)?;
    invoke(&init, &[vault.to_account_info(), mint])?;
    // after the creating CPIs (see `authorize_change`)
    authorized.consume()?;

    let asset = Asset {
        mint: mint_key,
        vault: ctx.accounts.vault.key(),
        decimals: ctx.accounts.mint.decimals,
        token_program: token_program as u8,
        vault_bump: ctx.bumps.vault,
        ..Asset::default()
    };
    let index = fund.push_asset(asset, &params)?;
    fund.invariant()?;

    emit!(AssetAdded {
        fund: ctx.accounts.fund.key(),
        mint: mint_key,
        vault: asset.vault,
        index: index as u8,
        token_program: ctx.accounts.token_program.key(),
        decimals: asset.decimals,
        params,
    });
    Ok(())
}
