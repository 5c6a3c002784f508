//! The fund as the rebalance engine sees it.

use crate::constants::{BPS_DENOMINATOR, MAX_ASSETS};
use crate::error::FundError;
use crate::math::rebalance::RebalanceAsset;
use crate::math::weights::AssetInput;
use crate::state::{asset_flags, Fund, LiquidityClass};
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
                input: AssetInput {
                    balance: a.booked_balance,
                    price_lo: a.lower_price(),
                    decimals: a.decimals,
                    haircut_bps: a.haircut_bps,
                    liquid: a.class == LiquidityClass::Liquid as u8,
                    target_bps: a.target_bps,
                    max_weight_bps: a.max_weight_bps,
                },
                price_hi: a.upper_price(),
                can_in: a.has_flag(asset_flags::REBALANCE_IN),
                can_out: a.has_flag(asset_flags::REBALANCE_OUT),
            };
        }
        out
    }
}
