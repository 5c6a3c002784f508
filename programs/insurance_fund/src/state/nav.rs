//! The fund's NAV and weights from its booked balances and cached prices.

use crate::constants::MAX_ASSETS;
use crate::error::FundError;
use crate::math::valuation::Price;
use crate::math::weights::{self, AssetInput, Weights};
use crate::state::{Asset, Fund, LiquidityClass, OracleSource};
use anchor_lang::prelude::*;

impl Asset {
    fn is_fixed_price(&self) -> bool {
        self.oracle.source == OracleSource::Fixed as u8
    }

    /// The lower (valuation) price: the governance constant for a fixed-price asset, the
    /// cached lower bound otherwise.
    pub fn lower_price(&self) -> Price {
        if self.is_fixed_price() {
            Price {
                mantissa: self.oracle.fixed_price,
                expo: self.oracle.fixed_expo,
            }
        } else {
            self.price.lower_price()
        }
    }

    /// The upper (payout) price, same rule.
    pub fn upper_price(&self) -> Price {
        if self.is_fixed_price() {
            Price {
                mantissa: self.oracle.fixed_price,
                expo: self.oracle.fixed_expo,
            }
        } else {
            self.price.upper_price()
        }
    }

    /// A fixed price never goes stale; an oracle price must have been cached at most
    /// `max_age_secs` ago.
    pub fn price_is_fresh(&self, now: i64, max_age_secs: u32) -> bool {
        self.is_fixed_price() || self.price.is_fresh(now, max_age_secs)
    }
}

impl Fund {
    /// Bit i set: asset i's price is stale at `now` under the fund's max price age.
    pub fn stale_mask(&self, now: i64) -> u16 {
        self.registered_assets()
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.price_is_fresh(now, self.max_price_age_secs))
            .fold(0u16, |m, (i, _)| m | (1 << i))
    }

    /// Every operation that needs NAV calls this first: all registered assets must have a
    /// fresh price, else `PriceStale` (the log names the first stale asset).
    pub fn require_fresh_prices(&self, now: i64) -> Result<()> {
        let stale = self.stale_mask(now);
        if stale != 0 {
            let i = stale.trailing_zeros() as usize;
            msg!(
                "stale price: asset {} ({}), published {}",
                i,
                self.assets[i].mint,
                self.assets[i].price.publish_time
            );
            return err!(FundError::PriceStale);
        }
        Ok(())
    }

    /// The weights engine's view of the fund (booked balances, lower prices).
    pub fn weights(&self) -> Result<Weights> {
        let mut inputs = [AssetInput::default(); MAX_ASSETS];
        let n = self.asset_count as usize;
        for (input, a) in inputs.iter_mut().zip(self.registered_assets()) {
            *input = AssetInput {
                balance: a.booked_balance,
                price_lo: a.lower_price(),
                decimals: a.decimals,
                haircut_bps: a.haircut_bps,
                liquid: a.class == LiquidityClass::Liquid as u8,
                target_bps: a.target_bps,
                max_weight_bps: a.max_weight_bps,
            };
        }
        Ok(weights::compute(&inputs[..n], self.numeraire_decimals)?)
    }
}
