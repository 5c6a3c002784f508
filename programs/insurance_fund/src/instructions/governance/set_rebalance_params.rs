use crate::error::FundError;
use crate::events::RebalanceParamsSet;
use crate::state::{Fund, RebalanceConfig};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetRebalanceParams<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Sets the keeper-rebalancing parameters: band, auction premiums and duration, rate limits.
///
/// Specification:
/// - Only governance may call (`NotGovernance`).
/// - `band_bps` in 1..=2,000 (`InvalidRebalanceBand`).
/// - `start_premium_bps <= max_premium_bps <= 1,000` (`InvalidPremium`).
/// - `auction_duration_secs` in 60..=604,800 (`InvalidAuctionDuration`).
/// - `window_secs` in 60..=2,592,000 (`InvalidRateLimitWindow`).
/// - `max_volume_per_window > 0` and `min_trade_value <= max_volume_per_window`
///   (`InvalidRateLimit`); `premium_budget_per_window` may be 0 (only premium-free fills).
/// - The whole configuration is validated (`Fund::validate_config`).
/// - Replaces the parameters; bucket levels and auction clocks are kept.
/// - Emits `RebalanceParamsSet` with the parameters before and after.
pub fn handler(ctx: Context<SetRebalanceParams>, params: RebalanceConfig) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    require!(params.is_configured(), FundError::InvalidRebalanceBand);
    let before = fund.rebalance;
    fund.rebalance = params;
    fund.invariant()?;

    emit!(RebalanceParamsSet {
        fund: ctx.accounts.fund.key(),
        before,
        after: params,
    });
    Ok(())
}
