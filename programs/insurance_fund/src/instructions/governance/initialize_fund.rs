use crate::constants::*;
use crate::error::FundError;
use crate::events::FundInitialized;
use crate::state::{seeds::SEED_FUND, Fund};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct InitializeFund<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// Seeds the fund's address; must sign so nobody can front-run the address.
    pub create_key: Signer<'info>,
    #[account(
        init,
        payer = payer,
        space = Fund::SPACE,
        seeds = [SEED_FUND, create_key.key().as_ref()],
        bump,
    )]
    pub fund: AccountLoader<'info, Fund>,
    pub system_program: Program<'info, System>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitializeFundArgs {
    /// Any pubkey: a Squads vault PDA, an SPL Governance treasury, or a keypair.
    pub governance: Pubkey,
    /// May pause deposits, rebalances and declarations; `None` leaves the role unset.
    pub guardian: Option<Pubkey>,
    /// Unit-of-account label, e.g. `b"USD\0\0\0\0\0"`.
    pub numeraire: [u8; 8],
    pub numeraire_decimals: u8,
    pub min_liquid_bps: u16,
}

/// Creates a fund with no assets.
///
/// Specification:
/// - Anyone may call; `create_key` and `payer` sign, `payer` pays the rent.
/// - The fund is created at PDA `["fund", create_key]`; the call fails if that account already
///   exists, so a fund can never be re-initialised.
/// - `governance` must not be the default key (`InvalidGovernance`).
/// - `guardian`, when given, must not be the default key (`InvalidGovernance`).
/// - `numeraire_decimals` <= 18 (`NumeraireDecimalsTooHigh`).
/// - `min_liquid_bps` <= 10,000 (`MinLiquidShareTooHigh`).
/// - Stores governance, guardian, create_key, numeraire, bounds and bump; max price age starts
///   at `DEFAULT_MAX_PRICE_AGE_SECS` (120 s) and the longest pause at
///   `DEFAULT_MAX_PAUSE_SECS` (7 days); no assets, no pending governance, nothing paused.
/// - Emits `FundInitialized`.
pub fn initialize_fund(ctx: Context<InitializeFund>, args: InitializeFundArgs) -> Result<()> {
    require!(
        args.governance != Pubkey::default(),
        FundError::InvalidGovernance
    );
    let guardian = args.guardian.unwrap_or_default();
    require!(
        args.guardian.is_none() || guardian != Pubkey::default(),
        FundError::InvalidGovernance
    );
    require!(
        args.numeraire_decimals <= MAX_NUMERAIRE_DECIMALS,
        FundError::NumeraireDecimalsTooHigh
    );
    require!(
        args.min_liquid_bps <= BPS_DENOMINATOR,
        FundError::MinLiquidShareTooHigh
    );

    let mut fund = ctx.accounts.fund.load_init()?;
    fund.governance = args.governance;
    fund.guardian = guardian;
    fund.create_key = ctx.accounts.create_key.key();
    fund.numeraire = args.numeraire;
    fund.numeraire_decimals = args.numeraire_decimals;
    fund.min_liquid_bps = args.min_liquid_bps;
    fund.max_price_age_secs = DEFAULT_MAX_PRICE_AGE_SECS;
    fund.max_pause_secs = DEFAULT_MAX_PAUSE_SECS;
    fund.bump = ctx.bumps.fund;
    fund.version = Fund::VERSION;
    fund.invariant()?;

    emit!(FundInitialized {
        fund: ctx.accounts.fund.key(),
        governance: fund.governance,
        guardian: fund.guardian,
        create_key: fund.create_key,
        numeraire: fund.numeraire,
        numeraire_decimals: fund.numeraire_decimals,
        min_liquid_bps: fund.min_liquid_bps,
    });
    Ok(())
}
