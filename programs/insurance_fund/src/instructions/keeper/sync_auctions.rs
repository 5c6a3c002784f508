use crate::events::AuctionsSynced;
use crate::state::Fund;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SyncAuctions<'info> {
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Starts and ends rebalance auctions from the fund's current weights.
///
/// How auctions work: an asset is *over* when its weight exceeds `target + band` and *under*
/// when it is below `target - band`; each asset records since when (`over_since`,
/// `under_since`). A pair (asset in, asset out) is open when the out-asset is above its
/// target and the in-asset below its own, and at least one of them is beyond its band; its
/// auction runs from the later of the two clocks that are set, and has not started while a
/// side beyond its band has no clock yet. The premium rises linearly from
/// `start_premium_bps` to `max_premium_bps` over `auction_duration_secs` and then restarts
/// from the start premium (so an unfilled auction never sits at its maximum). The pair
/// closes when neither side is beyond its band or either reaches its target. After a fill,
/// the clocks of both assets restart if they are still beyond their band, so the next fill
/// starts cheap again; on crisis terms they are set back in proportion to the take instead
/// (`math::rebalance::crisis_set_back_ceil`: a partial take leaves the sale price near where
/// it was). Targets are the ones in force: in crisis mode with a crisis liquid target
/// (`CrisisProfile::liquid_target_bps`), the crisis targets (`Fund::target_tilt`).
///
/// Specification:
/// - Anyone may call (keepers call it after `refresh_prices`); it changes only clocks.
/// - Rebalancing is configured (`RebalanceNotConfigured`) and targets are set
///   (`TargetsNotSet`).
/// - Prices: every asset at its cached price, stale or not. Clock bookkeeping (this, and
///   `Fund::settle_auction_clocks`) follows one rule, the last known state; no value moves on
///   it (a fill needs its own pair fresh and checks its bounds then). Requiring every price
///   fresh here would let one dead feed stop every new auction; valuing a stale asset at 0
///   here would let anyone clear every clock by syncing while prices are stale.
/// - For each asset: out of band and no clock yet → clock set to now; back inside → clock
///   cleared; otherwise unchanged (a running auction is never restarted by a sync).
/// - Emits `AuctionsSynced` with the over and under masks.
pub fn sync_auctions(ctx: Context<SyncAuctions>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut fund = ctx.accounts.fund.load_mut()?;
    fund.require_rebalance_ready()?;
    let (over, under) = fund.sync_clocks(now)?;
    fund.invariant_flows()?;

    emit!(AuctionsSynced {
        fund: ctx.accounts.fund.key(),
        over_mask: over,
        under_mask: under,
        now,
    });
    Ok(())
}
