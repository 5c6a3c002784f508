//! The fund as the rebalance engine sees it.

use crate::constants::{BPS_DENOMINATOR, MAX_ASSETS};
use crate::error::FundError;
use crate::math::rebalance::RebalanceAsset;
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
