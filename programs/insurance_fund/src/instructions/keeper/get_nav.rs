use crate::state::Fund;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct GetNav<'info> {
    pub fund: AccountLoader<'info, Fund>,
}

/// What `get_nav` returns (Anchor return data).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct NavReport {
    /// Conservative NAV in numeraire atoms: holdings at their lower price bound, after
    /// haircuts, each rounded down.
    pub nav: u128,
    /// Each asset's weight in bps of NAV (rounded down), in asset order.
    pub weights_bps: Vec<u16>,
    /// Liquid-class share of NAV in bps (rounded down) and the fund's floor.
    pub liquid_bps: u16,
    pub min_liquid_bps: u16,
    /// The most concentrated asset and its weight.
    pub max_weight_index: u8,
    pub max_weight_bps: u16,
    /// Sum of |weight - target| over assets, in bps.
    pub distance_bps: u32,
    /// Bit i set: asset i holds a balance, is not retired, and its price is older than the
    /// tighter of its own and the fund's max age (`Fund::stale_mask`); a consumer must not
    /// rely on `nav` unless this is 0.
    pub stale_assets: u16,
    pub max_price_age_secs: u32,
    /// Shortfalls open now: non-zero means shortfall mode (only liquidity-raising fills).
    pub open_shortfalls: u32,
    /// `pause_flags` bits in force (expired pauses excluded).
    pub paused: u8,
    /// The clock the report was computed at.
    pub now: i64,
}

/// Reports NAV, weights, liquid share, price staleness, shortfall mode and pauses, for keepers (by simulation) and
/// other programs (by CPI, e.g. a perps protocol checking its coverage).
///
/// Specification:
/// - Anyone may call; read-only (the fund is not writable).
/// - Never fails on stale prices: it reports them in `stale_assets` so the caller decides.
/// - Fails only on arithmetic overflow (`MathOverflow`).
/// - Returns a `NavReport` as return data.
pub fn get_nav(ctx: Context<GetNav>) -> Result<NavReport> {
    let now = Clock::get()?.unix_timestamp;
    NavReport::build(&*ctx.accounts.fund.load()?, now)
}

impl NavReport {
    /// The report for `fund` at `now`; off-chain readers (keepers, the app) call this on a
    /// fetched fund account and get exactly what the instruction returns.
    pub fn build(fund: &Fund, now: i64) -> Result<Self> {
        let w = fund.weights(now)?;
        let (max_weight_index, max_weight_bps) = w.max_weight();
        Ok(Self {
            nav: w.nav,
            weights_bps: w.weights_bps[..w.count].to_vec(),
            liquid_bps: w.liquid_bps,
            min_liquid_bps: fund.min_liquid_bps,
            // an asset index, < MAX_ASSETS = 16
            max_weight_index: max_weight_index as u8,
            max_weight_bps,
            distance_bps: w.distance_bps,
            stale_assets: fund.stale_mask(now),
            max_price_age_secs: fund.max_price_age_secs,
            open_shortfalls: fund.draw_state.open_shortfalls,
            paused: fund.active_pauses(now),
            now,
        })
    }
}
