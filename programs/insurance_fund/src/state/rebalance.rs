//! The fund as the rebalance engine sees it.

use crate::constants::{BPS_DENOMINATOR, MAX_ASSETS};
use crate::error::FundError;
use crate::math::rebalance::{
    auction_started, band_state, imbalance_masks, next_clock, premium_bps_floor, OutPricing,
    RebalanceAsset,
};
use crate::math::SafeMath;
use crate::state::{asset_flags, Fund, LiquidityClass};
use anchor_lang::prelude::*;

/// How crisis targets scale the targets as set (`Fund::target_tilt`): a liquid target by
/// `liquid.0 / liquid.1`, a risk target by `risk.0 / risk.1`, each rounded down (a risk
/// target down: sold sooner; a liquid one down by under a basis point).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetTilt {
    pub liquid: (u32, u32),
    pub risk: (u32, u32),
}

impl TargetTilt {
    /// `target_bps` scaled, for a liquid asset or a risk one. The scaled liquid targets sum to
    /// at most the crisis share, so every result stays within 10,000.
    pub fn apply(&self, target_bps: u16, liquid: bool) -> u16 {
        let (num, den) = if liquid { self.liquid } else { self.risk };
        let scaled = u32::from(target_bps)
            .saturating_mul(num)
            .checked_div(den)
            .unwrap_or(0);
        u16::try_from(scaled.min(u32::from(BPS_DENOMINATOR))).unwrap_or(BPS_DENOMINATOR)
    }
}

/// How the fund lets fills run at one moment (`Fund::fill_mode`), valued once per fill and
/// shared by the program's fill paths and the off-chain planners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillMode {
    /// `Fund::stale_mask`: assets holding a balance whose price is stale (valued at 0).
    pub stale: u16,
    /// What puts the fund in crisis mode, if anything.
    pub triggers: CrisisTriggers,
    /// The normal terms, or the crisis profile's in crisis mode.
    pub terms: crate::state::FillTerms,
    /// The targets in force (`Fund::target_tilt`).
    pub tilt: Option<TargetTilt>,
}

/// What puts the fund in crisis mode now (`Fund::crisis_triggers`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrisisTriggers {
    /// A shortfall is open.
    pub shortfall: bool,
    /// A risk asset holding a balance has gapped past the crisis profile's trigger.
    pub gapped: bool,
    /// Neither, but one was seen less than `CrisisProfile::hold_secs` ago.
    pub held: bool,
}

impl CrisisTriggers {
    pub fn any(&self) -> bool {
        self.shortfall || self.gapped || self.held
    }
}

impl crate::state::Asset {
    /// This asset's target under `tilt` (`Fund::target_tilt`), or as set.
    pub fn target_in(&self, tilt: Option<TargetTilt>) -> u16 {
        match tilt {
            Some(t) => t.apply(self.target_bps, self.class == LiquidityClass::Liquid as u8),
            None => self.target_bps,
        }
    }
}

impl Fund {
    /// True once governance has set targets (they then always sum to 10,000 bps).
    ///
    /// Targets are all 0 or sum to exactly 10,000 (`set_targets`, re-checked by
    /// `Fund::invariant`), so one non-zero target means they are set: the first found ends the
    /// scan (on the hot paths it is usually the first asset).
    pub fn targets_set(&self) -> bool {
        self.registered_assets().iter().any(|a| a.target_bps > 0)
    }

    /// What every rebalance operation requires: rebalancing configured and targets set.
    /// Prices: a fill needs its own two fresh (`rebalance`); a stale third asset is valued at
    /// 0 and restricts fills to liquidity-raising ones (`Fund::check_fill_mode`).
    pub fn require_rebalance_ready(&self) -> Result<()> {
        require!(
            self.rebalance.is_configured(),
            FundError::RebalanceNotConfigured
        );
        require!(self.targets_set(), FundError::TargetsNotSet);
        Ok(())
    }

    /// Whether a fill delivering `i` for `o` raises the liquid share whatever the other
    /// assets are worth: a liquid asset in, a non-liquid one out.
    pub fn raises_liquidity(&self, i: usize, o: usize) -> bool {
        self.assets[i].class == LiquidityClass::Liquid as u8
            && self.assets[o].class != LiquidityClass::Liquid as u8
    }

    /// The one rule on which pairs may fill now, shared with off-chain planners: while a
    /// shortfall is open (`ShortfallModeLiquidOnly`), a risk asset has gapped
    /// (`PriceGapLiquidOnly`) or the crisis hold runs (`CrisisHoldLiquidOnly`), or while an
    /// asset other than the pair holds a balance at a stale price (`StalePricesLiquidOnly`),
    /// only fills that raise the liquidity (`raises_liquidity`); `mode` = `fill_mode(now)`.
    ///
    /// Why a stale third asset allows those and only those: it is valued at 0
    /// (`engine_inputs_without`), which overstates every other weight (so the concentration
    /// caps and the in-asset's target are checked conservatively) but would overstate the
    /// liquid share if it is not liquid; a liquidity-raising fill adds liquid value and removes
    /// non-liquid value, so it raises the liquid share at any value of the stale asset and the
    /// floor cannot be crossed by it. The value bound does not involve the stale asset. What
    /// the 0 makes permissive is only rebalancing's own aim: the (non-liquid) out-asset's
    /// weight is overstated, so a fill may take it below its true target or open a pair that
    /// fresh prices would not (its auction clock, kept on cached prices, still has to run):
    /// more liquidity than the targets ask for, never less, while a feed is dead.
    ///
    /// A gapped risk asset (`Fund::gapped`) does the same: after a crash the fund stops
    /// buying the dip with liquid assets before the claims it exists for arrive.
    pub fn check_fill_mode(&self, i: usize, o: usize, mode: &FillMode) -> Result<()> {
        let (stale, triggers) = (mode.stale, mode.triggers);
        if triggers.shortfall {
            require!(
                self.raises_liquidity(i, o),
                FundError::ShortfallModeLiquidOnly
            );
        }
        if triggers.gapped {
            require!(self.raises_liquidity(i, o), FundError::PriceGapLiquidOnly);
        }
        if triggers.held {
            require!(self.raises_liquidity(i, o), FundError::CrisisHoldLiquidOnly);
        }
        if stale & !((1u16 << i) | (1u16 << o)) != 0 {
            require!(
                self.raises_liquidity(i, o),
                FundError::StalePricesLiquidOnly
            );
        }
        Ok(())
    }

    /// `sync_auctions`' rule (the simulator applies the same to see what a crank would
    /// leave): every asset beyond its band with no clock gets one started at `now`, every
    /// asset back inside has its clock cleared, a running clock is kept; weights at the
    /// cached prices and the targets in force. Returns the (over, under) masks.
    pub fn sync_clocks(&mut self, now: i64) -> Result<(u16, u16)> {
        let tilt = self.tilt_at(now);
        let assets = self.rebalance_assets(tilt);
        let weights = self.weights_without(0, tilt)?;
        let n = self.asset_count as usize;
        let (over, under) = imbalance_masks(&weights, &assets[..n], self.rebalance.band_bps)?;
        for (i, a) in self.registered_assets_mut().iter_mut().enumerate() {
            a.over_since = next_clock(a.over_since, over & (1 << i) != 0, now);
            a.under_since = next_clock(a.under_since, under & (1 << i) != 0, now);
        }
        Ok((over, under))
    }

    /// Ends the auction episode of every asset that is no longer beyond its band: its clock
    /// is cleared, so when it leaves the band again its auction starts from
    /// `start_premium_bps` (a clock left from an earlier episode would start it at an
    /// arbitrary point of the premium sawtooth, up to the maximum). Clocks are only cleared
    /// here, never started (that is `sync_auctions`' job).
    ///
    /// Called by every instruction that moves a vault balance or a cached price
    /// (`deposit_fees`, `refresh_prices`, `draw`; a fill settles with the weights it computed),
    /// with the cached prices as they are, stale or not: the band state is bookkeeping, no
    /// value moves on it. Free when no clock is set (a fund inside its bands); otherwise one
    /// valuation per asset.
    pub fn settle_auction_clocks(&mut self, now: i64) -> Result<()> {
        if !self.auction_clocks_running() {
            return Ok(());
        }
        let tilt = self.tilt_at(now);
        self.settle_auction_clocks_under(tilt)
    }

    /// `settle_auction_clocks` under the targets `tilt` the caller already has. Not inlined:
    /// the valuation's arrays stay off the (4 KiB) frames of the fill handlers that call it.
    #[inline(never)]
    pub fn settle_auction_clocks_under(&mut self, tilt: Option<TargetTilt>) -> Result<()> {
        if !self.auction_clocks_running() {
            return Ok(());
        }
        let (values, nav) = self.asset_values()?;
        self.settle_auction_clocks_with(&values, nav, usize::MAX, tilt);
        Ok(())
    }

    /// Whether any asset's auction clock is set.
    pub fn auction_clocks_running(&self) -> bool {
        self.registered_assets()
            .iter()
            .any(|a| a.over_since | a.under_since != 0)
    }

    /// `settle_auction_clocks` on values the caller already has (`values[k]` is asset `k`'s
    /// value at its lower price after haircut, `nav` their sum) and the targets in force
    /// (`tilt` = `tilt_at(now)`), leaving asset `skip` alone.
    pub fn settle_auction_clocks_with(
        &mut self,
        values: &[u128],
        nav: u128,
        skip: usize,
        tilt: Option<TargetTilt>,
    ) {
        let band = self.rebalance.band_bps;
        for (k, (a, &v)) in self
            .registered_assets_mut()
            .iter_mut()
            .zip(values)
            .enumerate()
        {
            if a.over_since | a.under_since == 0 || k == skip {
                continue;
            }
            let (over, under) = band_state(v, nav, a.target_in(tilt), band);
            // a retired asset with a balance stays over its band until bought out
            if !over && !a.for_buy_out() {
                a.over_since = 0;
            }
            if !under {
                a.under_since = 0;
            }
        }
    }

    /// Every registered asset's value (booked balance at its lower price, after haircut,
    /// rounded down: what NAV sums) and NAV, exactly as `Fund::nav`.
    pub fn asset_values(&self) -> Result<([u128; MAX_ASSETS], u128)> {
        let mut values = [0u128; MAX_ASSETS];
        let mut nav = 0u128;
        for (v, a) in values.iter_mut().zip(self.registered_assets()) {
            *v = a.value_lower(self.numeraire_decimals)?;
            nav = nav.safe_add(*v)?;
        }
        Ok((values, nav))
    }

    /// Whether a non-liquid asset holding a balance has gapped past the crisis profile's
    /// trigger (`PriceCache::has_gapped`, on the cached prices, fresh or not): never when the
    /// trigger is 0.
    pub fn gapped(&self) -> bool {
        let trigger = self.rebalance.crisis.gap_trigger_bps;
        trigger > 0
            && self.registered_assets().iter().any(|a| {
                a.booked_balance > 0
                    && a.retired == 0
                    && a.class != LiquidityClass::Liquid as u8
                    && a.price.has_gapped(trigger)
            })
    }

    /// What puts the fund in crisis mode at `now`: a shortfall open, a risk asset gapped
    /// (`gapped`), or the crisis hold (`CrisisProfile::hold_secs` after `crisis_seen_at`, the
    /// last time an instruction saw one of the other two). Computed once per instruction and
    /// passed down: the gap test values every asset.
    pub fn crisis_triggers(&self, now: i64) -> CrisisTriggers {
        let hold = i64::from(self.rebalance.crisis.hold_secs);
        CrisisTriggers {
            shortfall: self.draw_state.open_shortfalls > 0,
            gapped: self.gapped(),
            held: hold > 0
                && self.crisis_seen_at > 0
                && now < self.crisis_seen_at.saturating_add(hold),
        }
    }

    /// Crisis mode (`crisis_triggers`): only fills that raise the liquid share pass
    /// (`check_fill_mode`), on the crisis profile's terms and targets if set.
    pub fn crisis_mode(&self, now: i64) -> bool {
        self.crisis_triggers(now).any()
    }

    /// Records `now` as the last time a crisis trigger was seen when a risk asset has gapped
    /// (`refresh_prices`, after it caches new prices; shortfalls record themselves when they
    /// open and close). Free without a crisis hold.
    pub fn note_gap(&mut self, now: i64) {
        if self.rebalance.crisis.hold_secs > 0 && self.gapped() {
            self.crisis_seen_at = now;
        }
    }

    /// The crisis targets in force (`crisis` = `crisis_mode(now)`): `None` outside crisis
    /// mode, without
    /// `CrisisProfile::liquid_target_bps`, or when the liquid assets already target at least
    /// that share (or none of them has a target). Otherwise every liquid target grows by
    /// `liquid_target / L` and every risk target shrinks by `(10,000 - liquid_target) /
    /// (10,000 - L)`, `L` being the sum of the liquid targets as set, so the liquid ones sum
    /// to the crisis share. The engine, the auction clocks and the planners see these targets
    /// (`engine_inputs_without`, `settle_auction_clocks_with`, `fill::book_fill`); the
    /// targets as set are kept and apply again when the crisis ends.
    pub fn target_tilt(&self, crisis: bool) -> Option<TargetTilt> {
        let want = u32::from(self.rebalance.crisis.liquid_target_bps);
        if want == 0 || !crisis {
            return None;
        }
        let total = u32::from(BPS_DENOMINATOR);
        let liquid: u32 = self
            .registered_assets()
            .iter()
            .filter(|a| a.class == LiquidityClass::Liquid as u8)
            .map(|a| u32::from(a.target_bps))
            .sum();
        (liquid > 0 && liquid < want && want <= total).then(|| TargetTilt {
            liquid: (want, liquid),
            risk: (total.saturating_sub(want), total.saturating_sub(liquid)),
        })
    }

    /// The fund's mode for fills at `now` (`FillMode`): the stale mask, the crisis triggers,
    /// and the terms and targets they select.
    pub fn fill_mode(&self, now: i64) -> FillMode {
        let triggers = self.crisis_triggers(now);
        let crisis = triggers.any();
        FillMode {
            stale: self.stale_mask(now),
            triggers,
            terms: self.fill_terms(crisis),
            tilt: self.target_tilt(crisis),
        }
    }

    /// The targets in force at `now`: `target_tilt(crisis_mode(now))`, without the crisis test
    /// when no crisis liquid target is set.
    pub fn tilt_at(&self, now: i64) -> Option<TargetTilt> {
        match self.tilt_with(|| Ok::<_, core::convert::Infallible>(now)) {
            Ok(tilt) => tilt,
            Err(never) => match never {},
        }
    }

    /// `tilt_at` for a caller that has not read the clock: `now` is called only when a crisis
    /// liquid target is set (a syscall saved on the paths where the targets cannot tilt).
    pub fn tilt_with<E>(
        &self,
        now: impl FnOnce() -> core::result::Result<i64, E>,
    ) -> core::result::Result<Option<TargetTilt>, E> {
        if self.rebalance.crisis.liquid_target_bps == 0 {
            return Ok(None);
        }
        Ok(self.target_tilt(self.crisis_mode(now()?)))
    }

    /// The terms fills are priced and limited by (`RebalanceConfig::terms`; `crisis` =
    /// `crisis_mode(now)`).
    pub fn fill_terms(&self, crisis: bool) -> crate::state::FillTerms {
        self.rebalance.terms(crisis)
    }

    /// When the auction of the pair (`i` delivered, `o` taken) started: the later of `o`'s
    /// `over_since` and `i`'s `under_since`, each set when its asset last left its band
    /// (`settle_auction_clocks` clears a clock whenever its asset is back inside, so a clock
    /// never outlives its episode). Meaningful once `pair_started` holds.
    pub fn pair_auction_start(&self, i: usize, o: usize) -> i64 {
        self.assets[o].over_since.max(self.assets[i].under_since)
    }

    /// The premium the pair's auction pays at `now` under `terms`
    /// (`math::rebalance::premium_bps_floor` from `pair_auction_start`).
    pub fn pair_premium_bps(
        &self,
        terms: &crate::state::FillTerms,
        i: usize,
        o: usize,
        now: i64,
    ) -> u16 {
        let start = self.pair_auction_start(i, o);
        premium_bps_floor(&terms.auction, now.saturating_sub(start))
    }

    /// How the pair's auction prices the out-asset `o` at `now` under `terms` (`out_pricing`
    /// from `pair_auction_start`), for callers that price one pair.
    pub fn pair_out_pricing(
        &self,
        terms: &crate::state::FillTerms,
        i: usize,
        o: usize,
        now: i64,
    ) -> OutPricing {
        self.out_pricing(terms, o, now.saturating_sub(self.pair_auction_start(i, o)))
    }

    /// How an auction `elapsed` seconds old (from `pair_auction_start`) prices the out-asset
    /// `o` under `terms` (`math::rebalance::OutPricing::at`). Gap clearing applies only to
    /// risk assets priced by an oracle: a liquid or fixed-price asset is always sold at its
    /// upper bound.
    pub fn out_pricing(
        &self,
        terms: &crate::state::FillTerms,
        o: usize,
        elapsed: i64,
    ) -> OutPricing {
        let a = &self.assets[o];
        let discount = if a.class == LiquidityClass::Liquid as u8
            || a.oracle.source == crate::state::OracleSource::Fixed as u8
        {
            0
        } else {
            terms.max_discount_bps
        };
        OutPricing::at(
            a.upper_price(),
            a.lower_price(),
            a.price.spot_lower_price(),
            discount,
            elapsed,
            terms.auction.duration_secs,
        )
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
    pub fn rebalance_assets(&self, tilt: Option<TargetTilt>) -> Box<[RebalanceAsset; MAX_ASSETS]> {
        self.rebalance_assets_without(0, tilt)
    }

    /// `rebalance_assets` with the assets in `stale` valued at 0, as a fill sees them
    /// (`Fund::engine_inputs_without`, `Fund::check_fill_mode`).
    pub fn rebalance_assets_without(
        &self,
        stale: u16,
        tilt: Option<TargetTilt>,
    ) -> Box<[RebalanceAsset; MAX_ASSETS]> {
        let (inputs, _) = self.engine_inputs_without(stale, tilt);
        let mut out = Box::new([RebalanceAsset::default(); MAX_ASSETS]);
        for ((slot, a), input) in out.iter_mut().zip(self.registered_assets()).zip(inputs) {
            *slot = RebalanceAsset {
                input,
                price_hi: a.upper_price(),
                can_in: a.has_flag(asset_flags::REBALANCE_IN),
                can_out: a.has_flag(asset_flags::REBALANCE_OUT),
                buy_out: a.for_buy_out(),
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::TargetTilt;

    #[test]
    fn a_tilt_scales_liquid_targets_up_and_risk_targets_down_rounding_down() {
        // liquid targets sum to 6,000, crisis share 8,000; risk 4,000 -> 2,000
        let t = TargetTilt {
            liquid: (8_000, 6_000),
            risk: (2_000, 4_000),
        };
        assert_eq!(t.apply(3_500, true), 4_666); // 4,666.67 down
        assert_eq!(t.apply(2_500, true), 3_333); // 3,333.33 down
        assert_eq!(t.apply(2_001, false), 1_000); // 1,000.5 down
        assert_eq!(t.apply(0, false), 0);
        // every risk target to 0 at a crisis share of 100 %
        let all = TargetTilt {
            liquid: (10_000, 6_000),
            risk: (0, 4_000),
        };
        assert_eq!(all.apply(4_000, false), 0);
        assert_eq!(all.apply(6_000, true), 10_000);
    }
}
