use crate::events::RebalanceParamsSet;
use crate::state::{Fund, RebalanceParams};
use crate::timelock::{authorize_change, change_authority, ConfigChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetRebalanceParams<'info> {
    /// Governance, or anyone executing a matured queued change (`timelock::authorize_change`).
    pub authority: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
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

/// Sets the keeper-rebalancing parameters: band, auction premiums and duration, rate limits.
///
/// Specification:
/// - Governance may call (`NotGovernance`), but a change that loosens needs a zero timelock
///   (`TimelockRequired`); or anyone may call with the matured queued change, which is then
///   closed (`PendingChangeMismatch`, `PendingChangeStale`, `TimelockNotElapsed`,
///   `RentRecipientMismatch`). One function decides: `timelock::authorize_change`.
/// - The change loosens (so it waits for the timelock) when: the band narrows, a premium, the
///   volume cap, the premium budget or the max discount rises, the auction or window
///   shortens, or the minimum trade falls; or the crisis profile loosens (set where none was,
///   a cap, premium, discount or liquid target rises, its auction shortens, or its gap
///   trigger changes).
/// - `band_bps` in 1..=2,000 (`InvalidRebalanceBand`).
/// - `start_premium_bps <= max_premium_bps <= 1,000` (`InvalidPremium`).
/// - `auction_duration_secs` in 60..=604,800 (`InvalidAuctionDuration`).
/// - `window_secs` in 60..=2,592,000 (`InvalidRateLimitWindow`).
/// - `max_volume_per_window > 0` and `min_trade_value <= max_volume_per_window`
///   (`InvalidRateLimit`); `premium_budget_per_window` may be 0 (only premium-free fills).
/// - `max_discount_bps <= 2,000` (`InvalidDiscount`).
/// - `crisis` all zero, or: volume cap > 0, `start_premium_bps <= max_premium_bps <= 1,000`,
///   `max_discount_bps <= 2,000`, auction in 60..=604,800, gap trigger 0 or in 100..=5,000,
///   liquid target <= 10,000, hold <= 604,800 s (`InvalidCrisisProfile`).
/// - The whole configuration is validated (`Fund::validate_config`).
/// - Replaces the parameters; bucket levels and auction clocks are kept.
/// - Emits `RebalanceParamsSet` with the parameters before and after.
pub fn set_rebalance_params(
    ctx: Context<SetRebalanceParams>,
    params: RebalanceParams,
) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let change = ConfigChange::SetRebalanceParams { params };
    authorize_change(
        &fund,
        ctx.accounts.fund.key(),
        change_authority!(ctx.accounts),
        &change,
        None,
    )?
    .consume()?;
    let before = fund.set_rebalance_params(&params)?;
    fund.invariant()?;

    emit!(RebalanceParamsSet {
        fund: ctx.accounts.fund.key(),
        before,
        after: fund.rebalance,
    });
    Ok(())
}
