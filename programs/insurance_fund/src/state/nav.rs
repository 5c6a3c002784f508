//! The fund's NAV and weights from its booked balances and cached prices.

use crate::constants::MAX_ASSETS;
use crate::math::valuation::{value_floor, Price};
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

    /// The weights engine's view of this asset: booked balance at the lower price (0 once
    /// retired: a retired asset is worth nothing to the fund's bounds).
    pub fn weights_input(&self) -> AssetInput {
        let price_lo = if self.is_retired() {
            Price {
                mantissa: 0,
                expo: 0,
            }
        } else {
            self.lower_price()
        };
        AssetInput {
            balance: self.booked_balance,
            price_lo,
            decimals: self.decimals,
            haircut_bps: self.haircut_bps,
            liquid: self.class == LiquidityClass::Liquid as u8,
            target_bps: self.target_bps,
            max_weight_bps: self.max_weight_bps,
        }
    }

    /// What the asset adds to NAV: its booked balance at the lower price, after its haircut,
    /// rounded down (`math::valuation::value_floor`); 0 once retired.
    pub fn value_lower(&self, numeraire_decimals: u8) -> Result<u128> {
        Ok(value_floor(
            self.booked_balance,
            self.weights_input().price_lo,
            self.decimals,
            numeraire_decimals,
            self.haircut_bps,
        )?)
    }

    /// A fixed price never goes stale; an oracle price must have been cached at most
    /// `fund_max_age_secs` ago and at most the asset's own `max_age_secs` ago, whichever is
    /// tighter (the asset's limit is checked again at use, not only when it is refreshed).
    pub fn price_is_fresh(&self, now: i64, fund_max_age_secs: u32) -> bool {
        self.is_fixed_price()
            || self
                .price
                .is_fresh(now, fund_max_age_secs.min(self.oracle.max_age_secs))
    }
}

impl Fund {
    /// Bit i set: asset i holds a booked balance and its price is stale at `now` under the
    /// tighter of the fund's max price age and the asset's own. An asset with nothing booked
    /// is worth 0 at any price and never needs a fresh one (except as the asset a keeper
    /// delivers, which a fill checks itself); nor does a retired asset (valued at 0).
    pub fn stale_mask(&self, now: i64) -> u16 {
        self.registered_assets()
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                a.booked_balance > 0
                    && !a.is_retired()
                    && !a.price_is_fresh(now, self.max_price_age_secs)
            })
            .fold(0u16, |m, (i, _)| m | (1 << i))
    }

    /// NAV alone (booked balances at lower prices, after haircuts, rounded down): what draws
    /// size the fund-wide cap against, without the cost of the weights.
    pub fn nav(&self) -> Result<u128> {
        let (inputs, n) = self.engine_inputs();
        Ok(weights::nav_floor(&inputs[..n], self.numeraire_decimals)?)
    }

    /// Every registered asset as the engine sees it, and how many there are.
    pub fn engine_inputs(&self) -> ([AssetInput; MAX_ASSETS], usize) {
        self.engine_inputs_without(0, None)
    }

    /// The engine's view with the assets in `stale` valued at 0 (their price unusable): what
    /// fills and auction syncs see while a feed is dead (`docs/design.md`, price validity by
    /// action), with the targets in force (`tilt` = `Fund::target_tilt`; `None`: as set).
    pub fn engine_inputs_without(
        &self,
        stale: u16,
        tilt: Option<crate::state::TargetTilt>,
    ) -> ([AssetInput; MAX_ASSETS], usize) {
        let mut inputs = [AssetInput::default(); MAX_ASSETS];
        for (k, (input, a)) in inputs.iter_mut().zip(self.registered_assets()).enumerate() {
            *input = a.weights_input();
            if stale & (1 << k) != 0 {
                input.price_lo = Price {
                    mantissa: 0,
                    expo: 0,
                };
            }
        }
        let n = self.asset_count as usize;
        // crisis targets, when in force (`Fund::target_tilt`)
        if let Some(tilt) = tilt {
            for input in inputs.iter_mut().take(n) {
                input.target_bps = tilt.apply(input.target_bps, input.liquid);
            }
        }
        (inputs, n)
    }

    /// The weights engine's view of the fund (booked balances, lower prices), its deviation
    /// measured from the targets in force at `now` (`target_tilt`).
    pub fn weights(&self, now: i64) -> Result<Weights> {
        self.weights_without(0, self.tilt_at(now))
    }

    /// The weights with the assets in `stale` valued at 0 and the targets under `tilt`
    /// (`engine_inputs_without`).
    pub fn weights_without(
        &self,
        stale: u16,
        tilt: Option<crate::state::TargetTilt>,
    ) -> Result<Weights> {
        let (inputs, n) = self.engine_inputs_without(stale, tilt);
        Ok(weights::compute(&inputs[..n], self.numeraire_decimals)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{OracleConfig, PriceCache};

    fn fund_with(assets: &[Asset]) -> Box<Fund> {
        let mut f: Box<Fund> = Box::new(bytemuck::Zeroable::zeroed());
        f.max_price_age_secs = 120;
        f.asset_count = assets.len() as u8;
        f.assets[..assets.len()].copy_from_slice(assets);
        f
    }

    fn pyth_asset(publish_time: i64) -> Asset {
        Asset {
            oracle: OracleConfig {
                source: OracleSource::PythPull as u8,
                max_age_secs: 600,
                ..Default::default()
            },
            price: PriceCache {
                lower: 1,
                upper: 1,
                publish_time,
                ..Default::default()
            },
            booked_balance: 1,
            ..Default::default()
        }
    }

    #[test]
    fn stale_mask_names_each_stale_asset_and_ignores_fixed_prices() {
        let fixed = Asset {
            oracle: OracleConfig {
                source: OracleSource::Fixed as u8,
                fixed_price: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        let f = fund_with(&[pyth_asset(1_000), fixed, pyth_asset(0), pyth_asset(880)]);
        // at 1,000: asset 2 was never refreshed; asset 3 is exactly 120 s old (fresh)
        assert_eq!(f.stale_mask(1_000), 0b0100);
        // one second later asset 3 is stale too
        assert_eq!(f.stale_mask(1_001), 0b1100);
        let fresh = fund_with(&[pyth_asset(1_000), fixed]);
        assert_eq!(fresh.stale_mask(1_100), 0);
        // an asset holding nothing never needs a fresh price
        let mut empty = pyth_asset(0);
        empty.booked_balance = 0;
        assert_eq!(fund_with(&[empty, pyth_asset(1_000)]).stale_mask(1_100), 0);
    }

    #[test]
    fn an_assets_own_max_age_binds_when_tighter_than_the_funds() {
        let mut tight = pyth_asset(1_000);
        tight.oracle.max_age_secs = 10;
        // the fund allows 120 s; the asset only 10 s
        let f = fund_with(&[tight, pyth_asset(1_000)]);
        assert_eq!(f.stale_mask(1_010), 0);
        assert_eq!(f.stale_mask(1_011), 0b01);
        // and the fund's limit binds when it is the tighter one
        let mut loose = pyth_asset(1_000);
        loose.oracle.max_age_secs = 3_600;
        assert_eq!(fund_with(&[loose]).stale_mask(1_121), 0b1);
    }
}
