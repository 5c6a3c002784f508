//! The fund as the rebalance engine sees it.

use crate::constants::{BPS_DENOMINATOR, MAX_ASSETS};
use crate::error::FundError;
use crate::math::rebalance::{auction_started, premium_bps_floor, RebalanceAsset};
use crate::state::{asset_flags, Fund};
use anchor_lang::prelude::*;

impl Fund {
    /// True once governance has set targets (they then always sum to 10,000 bps).
    pub fn targets_set(&self) -> bool {
        self.registered_assets()
            .iter()
            .map(|a| u32::from(a.target_bps))
            .sum::<u32>()
            == u32::from(BPS_DENOMINATOR)
    }

    /// What every rebalance operation requires: rebalancing configured, targets set, every
    /// price fresh.
    pub fn require_rebalance_ready(&self, now: i64) -> Result<()> {
        require!(
            self.rebalance.is_configured(),
            FundError::RebalanceNotConfigured
        );
        require!(self.targets_set(), FundError::TargetsNotSet);
        self.require_fresh_prices(now)
    }

    /// When the auction of the pair (`i` delivered, `o` taken) started: the later of `o`'s
    /// `over_since` and `i`'s `under_since` (a clock left from an earlier sync only lowers
    /// the premium). Meaningful once `pair_started` holds.
    pub fn pair_auction_start(&self, i: usize, o: usize) -> i64 {
        self.assets[o].over_since.max(self.assets[i].under_since)
    }

    /// The premium the pair's auction pays at `now` (`math::rebalance::premium_bps_floor`
    /// from `pair_auction_start`).
    pub fn pair_premium_bps(&self, i: usize, o: usize, now: i64) -> u16 {
        let start = self.pair_auction_start(i, o);
        premium_bps_floor(&self.rebalance.auction(), now.saturating_sub(start))
    }

    /// Whether the open pair's auction has started, given which of its sides are beyond
    /// their band, `(out_over_band, in_under_band)` (`math::rebalance::auction_started`).
    pub fn pair_started(&self, i: usize, o: usize, beyond: (bool, bool)) -> bool {
        auction_started(
            self.assets[o].over_since,
            self.assets[i].under_since,
            beyond,
        )
    }

    /// Every registered asset with its booked balance, price bounds and keeper flags
    /// (unregistered slots are zero). Boxed: 1 KiB is too much for a 4 KiB stack frame.
    pub fn rebalance_assets(&self) -> Box<[RebalanceAsset; MAX_ASSETS]> {
        let mut out = Box::new([RebalanceAsset::default(); MAX_ASSETS]);
        for (slot, a) in out.iter_mut().zip(self.registered_assets()) {
            *slot = RebalanceAsset {
                input: a.weights_input(),
                price_hi: a.upper_price(),
                can_in: a.has_flag(asset_flags::REBALANCE_IN),
                can_out: a.has_flag(asset_flags::REBALANCE_OUT),
            };
        }
        out
    }
}
