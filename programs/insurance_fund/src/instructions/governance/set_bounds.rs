use crate::error::FundError;
use crate::events::BoundsSet;
use crate::state::Fund;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetBounds<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundsArgs {
    /// Minimum share of NAV held in liquid-class assets (bps).
    pub min_liquid_bps: u16,
    /// Oldest cached price (seconds) that operations needing NAV accept: 1..=86,400.
    pub max_price_age_secs: u32,
    /// Longest a pause lasts unless governance renews it: 3,600..=2,592,000 s.
    pub max_pause_secs: u32,
}

/// Sets the fund-level bounds.
///
/// Specification:
/// - Only governance may call (`NotGovernance`).
/// - `min_liquid_bps` <= 10,000 (`MinLiquidShareTooHigh`).
/// - `max_price_age_secs` in 1..=86,400 (`InvalidMaxPriceAge`).
/// - `max_pause_secs` in 3,600..=2,592,000 (`InvalidMaxPause`); a running pause keeps its
///   expiry.
/// - The resulting configuration must pass `Fund::validate_config` (liquid targets must still
///   cover the new minimum: `LiquidTargetsBelowMinimum`).
/// - Changes only the fund-level bounds.
/// - Emits `BoundsSet` with values before and after.
pub fn handler(ctx: Context<SetBounds>, args: BoundsArgs) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let before = BoundsArgs {
        min_liquid_bps: fund.min_liquid_bps,
        max_price_age_secs: fund.max_price_age_secs,
        max_pause_secs: fund.max_pause_secs,
    };
    fund.min_liquid_bps = args.min_liquid_bps;
    fund.max_price_age_secs = args.max_price_age_secs;
    fund.max_pause_secs = args.max_pause_secs;
    fund.invariant()?;

    emit!(BoundsSet {
        fund: ctx.accounts.fund.key(),
        before,
        after: args,
    });
    Ok(())
}
