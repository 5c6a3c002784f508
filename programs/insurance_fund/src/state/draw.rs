//! The fund as a draw sees it: how much may be paid now, and from which assets in what order.
//! One home for these rules: the `draw` handler, the client's draw planner and the benchmark
//! call them (the state-machine test keeps an independent model on purpose).

use crate::constants::MAX_ASSETS;
use crate::math::draw::{draw_limit, waterfall_order};
use crate::math::rate_limit::drained_level_ceil;
use crate::math::valuation::{mul_div_floor, value_floor};
use crate::math::SafeMath;
use crate::state::{asset_flags, Asset, Claimant, Fund, Shortfall};
use anchor_lang::prelude::*;

/// How much a draw may pay now, and the drained bucket levels its booking starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawRoom {
    /// The most the draw may pay (numeraire atoms): the smallest of the request, what remains
    /// of the shortfall, the claimant's per-shortfall, window and lifetime room, and the
    /// fund-wide window room. 0 is `NothingToDraw`.
    pub limit: u64,
    /// Fund-wide window capacity: `fund_cap_bps` of NAV (rounded down).
    pub fund_capacity: u64,
    /// Fund-wide bucket level, drained to now (rounded up).
    pub fund_level: u64,
    /// The claimant's window bucket level, drained to now (rounded up).
    pub claimant_level: u64,
}

/// Payable assets in waterfall order (indices into `Fund::assets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waterfall {
    order: [usize; MAX_ASSETS],
    len: usize,
}

impl Waterfall {
    pub fn as_slice(&self) -> &[usize] {
        &self.order[..self.len]
    }
}

impl Asset {
    /// A payable balance worth less than one whole numeraire unit at the upper price: a draw
    /// may skip it (it does not oblige the claimant to pay from it before the next asset), so
    /// a griefer who sends an atom to a drained vault and refreshes cannot break a draw
    /// prepared without it. What is skipped stays in the fund.
    pub fn is_payout_dust(&self, numeraire_decimals: u8) -> Result<bool> {
        let value = value_floor(
            self.booked_balance,
            self.upper_price(),
            self.decimals,
            numeraire_decimals,
            0,
        )?;
        Ok(value < 10u128.pow(u32::from(numeraire_decimals)))
    }
}

/// The NAV a draw sizes the fund-wide cap on: `values` (`Fund::asset_values`) summed over the
/// assets not in `stale` (`Fund::stale_mask`). An asset whose price is stale counts for 0:
/// conservative (the cap can only shrink), so a dead feed never needs a loosening change to
/// keep draws going.
pub fn fresh_nav(values: &[u128], stale: u16) -> Result<u128> {
    let mut nav = 0u128;
    for (k, &v) in values.iter().enumerate() {
        if stale & (1 << k) == 0 {
            nav = nav.safe_add(v)?;
        }
    }
    Ok(nav)
}

impl Fund {
    /// The sizing rule of `draw` at `now` for a request of `max_value`, on the fund's `nav`
    /// (`fresh_nav`: assets with a stale price count for 0).
    pub fn draw_room(
        &self,
        nav: u128,
        claimant: &Claimant,
        shortfall: &Shortfall,
        max_value: u64,
        now: i64,
    ) -> Result<DrawRoom> {
        let cfg = &self.draws;
        let fund_capacity =
            u64::try_from(mul_div_floor(nav, cfg.fund_cap_bps, 10_000)?).unwrap_or(u64::MAX);
        let fund_level = drained_level_ceil(
            self.draw_state.level,
            fund_capacity,
            cfg.window_secs,
            now.saturating_sub(self.draw_state.updated_at),
        );
        let c = claimant;
        let claimant_level = drained_level_ceil(
            c.window_level,
            c.caps.max_per_window,
            cfg.window_secs,
            now.saturating_sub(c.window_updated_at),
        );
        let limit = draw_limit(&[
            max_value,
            shortfall.remaining(),
            c.caps.max_per_shortfall.saturating_sub(shortfall.paid),
            c.caps.max_per_window.saturating_sub(claimant_level),
            c.caps.lifetime_max.saturating_sub(c.drawn_lifetime),
            fund_capacity.saturating_sub(fund_level),
        ]);
        Ok(DrawRoom {
            limit,
            fund_capacity,
            fund_level,
            claimant_level,
        })
    }

    /// The assets a draw pays from, in order: liquid, then yield-bearing, then illiquid;
    /// within a class in asset order; only draw-enabled assets with a booked balance
    /// (`math::draw::waterfall_order`). Dust among them (`Asset::is_payout_dust`) and assets
    /// whose price is stale may be skipped; a draw pays only from assets with a fresh price.
    pub fn draw_waterfall(&self) -> Waterfall {
        let mut classes = [0u8; MAX_ASSETS];
        let mut payable = [false; MAX_ASSETS];
        for (k, asset) in self.registered_assets().iter().enumerate() {
            classes[k] = asset.class;
            payable[k] = asset.has_flag(asset_flags::DRAW) && asset.booked_balance > 0;
        }
        let n = self.asset_count as usize;
        let (order, len) = waterfall_order(&classes[..n], &payable[..n]);
        Waterfall { order, len }
    }
}
