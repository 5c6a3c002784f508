//! The fund as a draw sees it: how much may be paid now, from which assets in what order, and
//! what each pays (the walk).
//! One home for these rules: the `draw` handler, the client's draw planner and the benchmark
//! call them (the state-machine test keeps an independent model on purpose).

use crate::constants::MAX_ASSETS;
use crate::math::draw::{draw_limit, payout_floor, waterfall_order};
use crate::math::rate_limit::drained_level_ceil;
use crate::math::valuation::{mul_div_floor, value_floor, MathError};
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

/// One step of a draw's walk down the waterfall: what one asset pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayoutStep {
    /// Token atoms paid from the asset's vault (0: less than one atom's worth is left).
    pub amount: u64,
    /// Value credited to the shortfall for them (numeraire atoms, rounded up, at most what
    /// was left to pay).
    pub credited: u128,
    /// What is left to pay after this step.
    pub left: u128,
    /// The walk ends here: paid in full, or the asset is not used up (what is left is less
    /// than one atom of it), so the draw never dips into the next, less liquid, asset.
    pub last: bool,
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
    /// What this asset pays toward `left` numeraire atoms of a draw: its booked balance at
    /// its upper price (`math::draw::payout_floor`), and whether the walk ends with it.
    #[inline(always)]
    pub fn payout_step(
        &self,
        left: u128,
        numeraire_decimals: u8,
    ) -> core::result::Result<PayoutStep, MathError> {
        let (amount, credited, exhausted) = payout_floor(
            left,
            self.upper_price(),
            self.decimals,
            numeraire_decimals,
            self.booked_balance,
        )?;
        // `payout_floor` credits at most `left`: this never saturates
        let left = left.saturating_sub(credited);
        Ok(PayoutStep {
            amount,
            credited,
            left,
            last: !exhausted || left == 0,
        })
    }

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

    /// Whether a draw may pass over asset `k` of its waterfall without paying from it: its
    /// price is stale now (bit `k` of `stale`) or its balance is dust
    /// (`Asset::is_payout_dust`).
    pub fn draw_may_skip(&self, k: usize, stale: u16) -> Result<bool> {
        Ok(stale & (1 << k) != 0 || self.assets[k].is_payout_dust(self.numeraire_decimals)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fund (numeraire 6 decimals) with one 6-decimal asset priced at `upper` (expo -6)
    /// holding `balance` atoms.
    fn fund(upper: u64, balance: u64) -> Box<Fund> {
        let mut f: Box<Fund> = Box::new(bytemuck::Zeroable::zeroed());
        f.numeraire_decimals = 6;
        f.asset_count = 1;
        let a = &mut f.assets[0];
        a.mint = Pubkey::new_from_array([1; 32]);
        a.decimals = 6;
        a.price.upper = upper;
        a.price.expo = -6;
        a.booked_balance = balance;
        f
    }

    fn step(amount: u64, credited: u128, left: u128, last: bool) -> PayoutStep {
        PayoutStep {
            amount,
            credited,
            left,
            last,
        }
    }

    #[test]
    fn a_payout_step_pays_in_full_or_uses_the_asset_up_and_the_walk_goes_on() {
        // 500 at 1.00: 200 paid in full, the walk ends
        let f = fund(1_000_000, 500_000_000);
        assert_eq!(
            f.assets[0].payout_step(200_000_000, 6).unwrap(),
            step(200_000_000, 200_000_000, 0, true)
        );
        // 800 asked: the asset is used up, 300 left for the next one
        assert_eq!(
            f.assets[0].payout_step(800_000_000, 6).unwrap(),
            step(500_000_000, 500_000_000, 300_000_000, false)
        );
        // at 2.00, one numeraire atom is less than one token atom: nothing paid, and the walk
        // ends rather than dip into the next asset
        let f = fund(2_000_000, 500_000_000);
        assert_eq!(f.assets[0].payout_step(1, 6).unwrap(), step(0, 0, 1, true));
        // 3 numeraire atoms buy 1 token atom, credited at its upper value (2, rounded up)
        assert_eq!(f.assets[0].payout_step(3, 6).unwrap(), step(1, 2, 1, true));
    }

    #[test]
    fn a_draw_may_pass_a_stale_or_dust_asset_only() {
        let f = fund(1_000_000, 500_000_000);
        assert!(!f.draw_may_skip(0, 0).unwrap());
        assert!(f.draw_may_skip(0, 0b1).unwrap());
        // less than one whole numeraire unit: dust
        let f = fund(1_000_000, 999_999);
        assert!(f.draw_may_skip(0, 0).unwrap());
    }
}
