//! Keeper rebalancing: the Dutch-auction premium, over/under-weight detection, fill pricing,
//! the bound checks every fill must pass, and an off-chain planner built on the same engine.
//!
//! A keeper delivers an under-weight asset `i` and takes an over-weight asset `o`. The fund
//! books what arrives at `i`'s lower price after its haircut and pays out at `o`'s upper
//! price, so every rounding and every price band favours the fund; the keeper's only reward
//! is the auction premium, and NAV falls by at most that premium (see `quote_fill`).
//!
//! Every bound is checked as an exact rational comparison (256-bit cross products, no bps
//! rounding). No floats, no heap, no panics on any input; at most `MAX_ASSETS` iterations per
//! loop on the on-chain path (`max_fill`, off-chain only, binary-searches).

use super::valuation::{
    amount_for_value_floor, mul_div_floor, value_ceil, value_floor, MathError, Price,
};
use super::weights::{compute, with_values, AssetInput, Weights};
use super::wide::{halves, mul_64, SMALL_OPERAND};
use crate::constants::{BPS_DENOMINATOR, MAX_ASSETS};
use core::cmp::Ordering;

/// Auction parameters (validated by governance setters elsewhere; every function here treats
/// any values safely).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuctionParams {
    /// Half-width of the no-trade band around each target, bps.
    pub band_bps: u16,
    /// Premium at the start of each auction cycle, bps.
    pub start_premium_bps: u16,
    /// Premium the auction rises toward, bps.
    pub max_premium_bps: u16,
    /// Length of one auction cycle, seconds.
    pub duration_secs: u32,
}

/// Premium a fill earns `elapsed` seconds after its auction started, in bps, rounded down:
///
/// `start + floor((max - start) * (elapsed mod duration) / duration)`
///
/// It rises linearly from `start_premium_bps` toward `max_premium_bps` over `duration_secs`,
/// then the auction restarts (sawtooth). `elapsed < 0`, `duration_secs == 0` or
/// `max_premium_bps <= start_premium_bps` give `start_premium_bps`.
///
/// Bound: `start <= result <= max(start, max)`, and `result < max` whenever `max > start`
/// (the cycle restarts at `elapsed == duration`, so the maximum itself is approached, never
/// paid). Rounding: `exact - 1 < result <= exact` (the fund's favour).
pub fn premium_bps_floor(p: &AuctionParams, elapsed: i64) -> u16 {
    let start = p.start_premium_bps;
    let Ok(elapsed) = u64::try_from(elapsed) else {
        return start;
    };
    let Some(phase) = elapsed.checked_rem(u64::from(p.duration_secs)) else {
        return start; // duration 0
    };
    let Some(span) = p.max_premium_bps.checked_sub(start) else {
        return start; // max < start
    };
    // span * phase < 2^16 * 2^32 fits u64; phase < duration, so rise < span and
    // start + rise < max <= u16::MAX. The fallbacks are unreachable.
    let rise = u64::from(span)
        .checked_mul(phase)
        .and_then(|x| x.checked_div(u64::from(p.duration_secs)))
        .and_then(|x| u16::try_from(x).ok())
        .unwrap_or(0);
    start.checked_add(rise).unwrap_or(start)
}

/// Whether a keeper delivering an asset with `haircut_bps` can ever profit at a premium
/// approaching `max_premium_bps`, before price bands and fees: a fill books
/// `(1 - haircut)` of what arrives and pays that times `(1 + premium)`, so it needs
/// `(1 - h)(1 + p) > 1`, i.e. `p * (10_000 - h) > h * 10_000` in bps (exact in `u32`).
/// A haircut of 0 is always covered; a haircut of 10,000 bps (or more) never is. Monotone:
/// a haircut covered at some premium is covered at every larger premium, and every smaller
/// haircut is covered at the same premium (so checking the largest checks them all).
pub fn premium_covers_haircut(max_premium_bps: u16, haircut_bps: u16) -> bool {
    let kept = u32::from(BPS_DENOMINATOR.saturating_sub(haircut_bps));
    haircut_bps == 0
        || u32::from(max_premium_bps).saturating_mul(kept)
            > u32::from(haircut_bps).saturating_mul(u32::from(BPS_DENOMINATOR))
}

/// An asset for rebalancing: its weights input (balance, lower price, haircut, liquidity,
/// target, max weight) plus the upper price the fund pays it out at, and whether keepers may
/// deliver it (`can_in`) or take it (`can_out`).
///
/// Soundness of the pricing relies on `price_hi >= input.price_lo` (as real numbers); if an
/// oracle ever breaks that, `check_fill`'s value bound still refuses any fill losing more
/// than its premium.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RebalanceAsset {
    /// Balance, lower price, decimals, haircut, liquidity, target and max weight.
    pub input: AssetInput,
    /// Upper price bound: what the fund gives this asset out at.
    pub price_hi: Price,
    /// Keepers may deliver this asset.
    pub can_in: bool,
    /// Keepers may take this asset.
    pub can_out: bool,
    /// Retired (valued at 0, target 0) with a balance left: keepers may buy it out, so it is
    /// always over its band (`FillPair::buy_out`).
    pub buy_out: bool,
}

/// A 256-bit unsigned integer `hi * 2^128 + lo`. Field order makes the derived `Ord` the
/// numeric order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct U256 {
    hi: u128,
    lo: u128,
}

const LOW_64: u128 = u64::MAX as u128;

/// The exact product `a * b` as 256 bits. Schoolbook over 64-bit halves (each partial product
/// a native `mul_64`, `< (2^64)^2`); the middle sum `< 3 * 2^128` is tracked with its carry, so no
/// operation wraps in a way that loses information (the wrapping ops are exact here).
fn mul_wide(a: u128, b: u128) -> U256 {
    let (a0, a1) = halves(a);
    let (b0, b1) = halves(b);
    let p00 = mul_64(a0, b0);
    if a1 == 0 && b1 == 0 {
        // the common case: both factors below 2^64, one native widening product
        return U256 { hi: 0, lo: p00 };
    }
    let p01 = mul_64(a0, b1);
    let p10 = mul_64(a1, b0);
    let p11 = mul_64(a1, b1);
    // a*b = p11*2^128 + (p01 + p10 + (p00 >> 64))*2^64 + (p00 & LOW_64)
    let (mid, c1) = p01.overflowing_add(p10);
    let (mid, c2) = mid.overflowing_add(p00 >> 64);
    let carry = u128::from(c1).wrapping_add(u128::from(c2)); // 0..=2, weight 2^192
    let lo = (p00 & LOW_64) | (mid << 64);
    // The true high half is < 2^128 (a*b < 2^256), so these adds never wrap.
    let hi = p11.wrapping_add(mid >> 64).wrapping_add(carry << 64);
    U256 { hi, lo }
}

impl U256 {
    /// `self + o`, or `None` past 2^256.
    #[inline(always)]
    fn checked_add(self, o: U256) -> Option<U256> {
        let (lo, c) = self.lo.overflowing_add(o.lo);
        let hi = self.hi.checked_add(o.hi)?.checked_add(u128::from(c))?;
        Some(U256 { hi, lo })
    }

    /// `|self - o|` (never fails).
    fn abs_diff(self, o: U256) -> U256 {
        let (big, small) = if self >= o { (self, o) } else { (o, self) };
        let (lo, borrow) = big.lo.overflowing_sub(small.lo);
        // big >= small, so the high half does not underflow.
        let hi = big
            .hi
            .wrapping_sub(small.hi)
            .wrapping_sub(u128::from(borrow));
        U256 { hi, lo }
    }

    /// The value as `u128`, or `None` if it does not fit.
    fn to_u128(self) -> Option<u128> {
        (self.hi == 0).then_some(self.lo)
    }
}

/// Exactly compares `value * 10_000` with `bps * nav` (`bps` may exceed `u16`).
fn cmp_share(value: u128, nav: u128, bps: u128) -> Ordering {
    mul_wide(value, u128::from(BPS_DENOMINATOR)).cmp(&mul_wide(nav, bps))
}

/// Exactly compares the fractions `a_num / a_den` and `b_num / b_den` by cross-multiplying
/// (`a_num * b_den` vs `b_num * a_den`); meaningful for positive denominators.
fn cmp_ratio(a_num: u128, a_den: u128, b_num: u128, b_den: u128) -> Ordering {
    mul_wide(a_num, b_den).cmp(&mul_wide(b_num, a_den))
}

/// Over-weight: `value * 10_000 > (target + band) * nav`, exactly; never when `nav == 0`.
fn is_over(value: u128, nav: u128, target_bps: u16, band_bps: u16) -> bool {
    // exact: the sum is < 2^17
    let limit = u128::from(target_bps).saturating_add(u128::from(band_bps));
    nav > 0 && cmp_share(value, nav, limit) == Ordering::Greater
}

/// Under-weight: `value * 10_000 < (target - band) * nav`, exactly; never when
/// `target <= band` or `nav == 0`.
fn is_under(value: u128, nav: u128, target_bps: u16, band_bps: u16) -> bool {
    match target_bps.checked_sub(band_bps) {
        Some(limit) if limit > 0 && nav > 0 => {
            cmp_share(value, nav, u128::from(limit)) == Ordering::Less
        }
        _ => false,
    }
}

/// Whether the asset whose value is `w.values[k]` is over and under its band, as
/// `imbalance_masks` defines them for one asset: `(over, under)`, both false when `k` is not
/// an asset of `w`. For callers that need only a few assets (a fill changes two).
pub fn imbalance_at(w: &Weights, k: usize, target_bps: u16, band_bps: u16) -> (bool, bool) {
    match w.values.get(k) {
        Some(&value) if k < w.count => band_state(value, w.nav, target_bps, band_bps),
        _ => (false, false),
    }
}

/// `(over, under)` for an asset worth `value` in a fund worth `nav` (exact, as
/// `imbalance_masks`).
pub fn band_state(value: u128, nav: u128, target_bps: u16, band_bps: u16) -> (bool, bool) {
    (
        is_over(value, nav, target_bps, band_bps),
        is_under(value, nav, target_bps, band_bps),
    )
}

/// Over/under-weight masks `(over, under)`, bit `k` for asset `k`:
/// - over when `value_k * 10_000 > (target_k + band) * nav`;
/// - under when `value_k * 10_000 < (target_k - band) * nav`, never when `target_k <= band`.
///
/// Exact comparisons (no bps rounding), on `w.values` and `w.nav` with each asset's
/// `input.target_bps`; `assets[k]` is paired with `w.values[k]` (`w` should be `compute` of
/// the same assets). `nav == 0` gives `(0, 0)`.
///
/// Errors: `TooManyAssets` if `assets.len() > MAX_ASSETS`.
pub fn imbalance_masks(
    w: &Weights,
    assets: &[RebalanceAsset],
    band_bps: u16,
) -> Result<(u16, u16), MathError> {
    if assets.len() > MAX_ASSETS {
        return Err(MathError::TooManyAssets);
    }
    let (mut over, mut under) = (0u16, 0u16);
    for (k, (a, &value)) in (0u32..).zip(assets.iter().zip(&w.values)) {
        let bit = 1u16.checked_shl(k).ok_or(MathError::TooManyAssets)?;
        if is_over(value, w.nav, a.input.target_bps, band_bps) || (a.buy_out && a.input.balance > 0)
        {
            over |= bit;
        }
        if is_under(value, w.nav, a.input.target_bps, band_bps) {
            under |= bit;
        }
    }
    Ok((over, under))
}

/// The pricing of one fill, in numeraire atoms (values) and out-asset atoms (`amount_out`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FillQuote {
    /// What the delivered amount books into NAV (lower price, after haircut), rounded down.
    pub value_in: u128,
    /// `value_in` plus the premium, rounded down: what the keeper is paid, at most.
    pub value_out: u128,
    /// Out-asset atoms worth at most `value_out` at its upper price, rounded down.
    pub amount_out: u64,
    /// `value_out - value_in`: the most NAV can lose to this fill.
    pub premium_value: u128,
}

/// Prices a fill of `amount_in` atoms of asset `i` into the fund for asset `o` out:
/// - `value_in = value_floor(amount_in, i.price_lo, i.decimals, numeraire_decimals, i.haircut_bps)`
///   (what NAV books);
/// - `value_out = floor(value_in * (10_000 + premium_bps) / 10_000)`
///   `= value_in + floor(value_in * premium_bps / 10_000)`;
/// - `amount_out = amount_for_value_floor(value_out, o.price_hi, o.decimals, numeraire_decimals)`;
/// - `premium_value = value_out - value_in`.
///
/// Every rounding is down, i.e. against the keeper.
///
/// Soundness (NAV falls by at most `premium_value`), when `o.price_lo <= o.price_hi` and
/// `i != o`. Write `E_k(b)` for the exact value of `b` atoms of `k` at `price_lo` after the
/// haircut, so the booked value is `floor(E_k(b))` and `E_k` is linear.
/// - In: `floor(E_i(b_i + amount_in)) - floor(E_i(b_i)) >= floor(E_i(amount_in)) = value_in`,
///   because `floor(x + y) >= floor(x) + floor(y)`.
/// - Out: `floor(E_o(b_o)) - floor(E_o(b_o - amount_out)) <= ceil(E_o(amount_out))`, because
///   `floor(x) - floor(x - y) <= ceil(y)`. With `haircut >= 0` and `price_lo <= price_hi`,
///   `E_o(amount_out) <= amount_out * unit_hi <= value_out` (the bound of
///   `amount_for_value_floor`), and `value_out` is an integer, so the ceiling is
///   `<= value_out`.
/// - Other assets are unchanged, so `nav_after - nav_before >= value_in - value_out =
///   -premium_value`. `check_fill` re-checks this exactly (`ValueBound`).
///
/// Errors: `Overflow` if `i` or `o` is not an index of `assets` (there is no such asset to
/// price), if `o.price_hi` has a zero mantissa (the amount out would be unbounded), or if a
/// value or the amount out does not fit its type; `InvalidBps` if `i`'s haircut exceeds
/// 10,000 bps.
pub fn quote_fill(
    assets: &[RebalanceAsset],
    i: usize,
    o: usize,
    amount_in: u64,
    premium_bps: u16,
    numeraire_decimals: u8,
) -> Result<FillQuote, MathError> {
    let a_in = assets.get(i).ok_or(MathError::Overflow)?;
    let a_out = assets.get(o).ok_or(MathError::Overflow)?;
    quote_fill_from(
        &a_in.input,
        a_out.price_hi,
        a_out.input.decimals,
        amount_in,
        premium_bps,
        numeraire_decimals,
    )
}

/// `quote_fill` from what it reads: the in-asset's weights input and the out-asset's upper
/// price and decimals (for callers that hold the assets in another form).
pub fn quote_fill_from(
    a_in: &AssetInput,
    out_price_hi: Price,
    out_decimals: u8,
    amount_in: u64,
    premium_bps: u16,
    numeraire_decimals: u8,
) -> Result<FillQuote, MathError> {
    let value_in = value_floor(
        amount_in,
        a_in.price_lo,
        a_in.decimals,
        numeraire_decimals,
        a_in.haircut_bps,
    )?;
    let premium_value = mul_div_floor(value_in, premium_bps, u128::from(BPS_DENOMINATOR))?;
    let value_out = value_in
        .checked_add(premium_value)
        .ok_or(MathError::Overflow)?;
    let amount_out =
        amount_for_value_floor(value_out, out_price_hi, out_decimals, numeraire_decimals)?;
    Ok(FillQuote {
        value_in,
        value_out,
        amount_out,
        premium_value,
    })
}

/// How the fund prices the asset it gives in a fill.
///
/// Without gap clearing (`max_discount_bps == 0`) it sells at its upper bound, `sale = hi`,
/// as every fill always did. With it, the sale price falls over the auction from `hi` to
/// `floor = (spot - conf) * (1 - max_discount)` (`OutPricing::at`), and a keeper is never paid
/// more than the delivered value at `floor` (`quote_sale`): after a gap the upper bound
/// follows the EMA down for hours, and without a falling sale price nobody would buy the
/// fund's risk assets when it most needs to sell them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutPricing {
    /// What the keeper's payment (delivered value plus premium) converts at.
    pub sale: Price,
    /// The least the fund accepts per unit; `None` without gap clearing.
    pub floor: Option<Price>,
    /// What NAV books the out-asset at (its lower bound): a sale below it costs NAV.
    pub lo: Price,
}

impl OutPricing {
    /// The out-asset's pricing `elapsed` seconds into its pair's auction of `duration_secs`,
    /// from its price bounds `hi` and `lo` and `spot_lower = spot - conf` (one exponent):
    /// `floor = ceil(spot_lower * (10_000 - max_discount_bps) / 10_000)` and
    /// `sale = hi - floor((hi - floor) * min(elapsed, duration) / duration)` (so every rounding
    /// keeps the price up, the fund's favour); `sale = hi` and no floor when
    /// `max_discount_bps` is 0, the floor would be 0, or it is not below `hi`. The sale price
    /// holds at the floor once the auction has run its length (unlike the premium, it does not
    /// restart).
    pub fn at(
        hi: Price,
        lo: Price,
        spot_lower: Price,
        max_discount_bps: u16,
        elapsed: i64,
        duration_secs: u32,
    ) -> Self {
        let plain = OutPricing {
            sale: hi,
            floor: None,
            lo,
        };
        if max_discount_bps == 0 || spot_lower.expo != hi.expo || duration_secs == 0 {
            return plain;
        }
        let keep = u128::from(BPS_DENOMINATOR.saturating_sub(max_discount_bps));
        let d = u128::from(BPS_DENOMINATOR);
        // spot_lower * keep < 2^64 * 2^14 fits; the quotient is <= spot_lower
        let floor_m = (u128::from(spot_lower.mantissa) * keep).div_ceil(d) as u64;
        if floor_m == 0 || floor_m >= hi.mantissa {
            return plain;
        }
        let span = u128::from(hi.mantissa - floor_m);
        let t = u128::from(elapsed.clamp(0, i64::from(duration_secs)) as u64);
        // span * t < 2^64 * 2^32 fits; fall <= span
        let fall = (span * t / u128::from(duration_secs)) as u64;
        OutPricing {
            sale: Price {
                mantissa: hi.mantissa - fall,
                expo: hi.expo,
            },
            floor: Some(Price {
                mantissa: floor_m,
                expo: hi.expo,
            }),
            lo,
        }
    }
}

/// Prices a fill as `quote_fill_from` does at the sale price, then, with gap clearing, caps
/// the amount out at the delivered value converted at the floor (the keeper's premium cannot
/// take the price below it) and counts what the sale costs NAV: `value_out` is at least the
/// booked value of the amount out at `lo`, rounded up, so `premium_value = value_out -
/// value_in` still bounds the fall of NAV (`check_fill`'s value bound and the premium budget
/// see the discount). Without gap clearing it is exactly `quote_fill_from` at `hi`.
pub fn quote_sale(
    a_in: &AssetInput,
    out: &OutPricing,
    out_decimals: u8,
    amount_in: u64,
    premium_bps: u16,
    numeraire_decimals: u8,
) -> Result<FillQuote, MathError> {
    let mut q = quote_fill_from(
        a_in,
        out.sale,
        out_decimals,
        amount_in,
        premium_bps,
        numeraire_decimals,
    )?;
    if let Some(floor) = out.floor {
        let cap = amount_for_value_floor(q.value_in, floor, out_decimals, numeraire_decimals)?;
        q.amount_out = q.amount_out.min(cap);
        let at_lo = value_ceil(q.amount_out, out.lo, out_decimals, numeraire_decimals)?;
        if at_lo > q.value_out {
            q.value_out = at_lo;
            q.premium_value = at_lo.checked_sub(q.value_in).ok_or(MathError::Overflow)?;
        }
    }
    Ok(q)
}

impl FillQuote {
    /// The quote of a fill whose out amount the keeper chose (a flash fill: `taken` atoms of
    /// `o` left the fund, the quoted `amount_out` is the most the delivery pays for). The
    /// keeper is charged for what it took, so the premium booked against the budget is what
    /// the fill actually cost, never more than quoted:
    /// - `amount_out = taken`, refused with `DeliveryShort` if `taken > self.amount_out`;
    /// - `value_out = max(min(value_ceil(taken, out.sale), self.value_out),
    ///   value_ceil(taken, out.lo))`: what was taken at the sale price, but never less than
    ///   what it was booked at;
    /// - `premium_value = value_out - value_in`, or 0 if the delivery was worth more.
    ///
    /// Soundness as in `quote_fill`: NAV falls by at most `ceil(E_o(taken)) - value_in <=
    /// premium_value`, since `E_o(taken) <= taken * lo`.
    pub fn taking(
        &self,
        taken: u64,
        out: &OutPricing,
        out_decimals: u8,
        numeraire_decimals: u8,
    ) -> Result<FillQuote, FillError> {
        if taken > self.amount_out {
            return Err(FillError::DeliveryShort);
        }
        let at_sale = value_ceil(taken, out.sale, out_decimals, numeraire_decimals)?;
        let at_lo = value_ceil(taken, out.lo, out_decimals, numeraire_decimals)?;
        let value_out = at_sale.min(self.value_out).max(at_lo);
        Ok(FillQuote {
            value_in: self.value_in,
            value_out,
            amount_out: taken,
            premium_value: value_out.saturating_sub(self.value_in),
        })
    }
}

/// Why a fill is refused; the on-chain program maps each to its own named error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillError {
    /// `i == o`, or an index is not an asset.
    InvalidPair,
    /// Asset `i` does not accept keeper deliveries.
    InNotEnabled,
    /// Asset `o` may not be taken by keepers.
    OutNotEnabled,
    /// Before the fill, `o` is not over its target.
    OutNotOverweight,
    /// Before the fill, `i` is not under its target.
    InNotUnderweight,
    /// Before the fill, neither `o` is over `target + band` nor `i` under `target - band`.
    InsideBands,
    /// The fill pays out nothing.
    ZeroAmountOut,
    /// The fund holds less of `o` than the fill pays out.
    InsufficientBalance,
    /// After the fill, `o` would be below its target.
    OutPushedBelowTarget,
    /// After the fill, `i` would be above its target.
    InPushedAboveTarget,
    /// The liquid share would end below the minimum (or, if already below, would fall).
    LiquidityBound,
    /// An asset would exceed its max weight (or, if one already did, the largest excess
    /// would grow).
    ConcentrationBound,
    /// The distance to the targets would not strictly decrease.
    DistanceNotReduced,
    /// NAV would fall by more than the quoted premium.
    ValueBound,
    /// A flash fill took more of `o` than the delivery of `i` pays for at the premium.
    DeliveryShort,
    /// The arithmetic failed (overflow, invalid haircut, too many assets).
    Math(MathError),
}

impl From<MathError> for FillError {
    fn from(e: MathError) -> Self {
        FillError::Math(e)
    }
}

/// Each refusal of the engine as the program's named error (the one mapping: the `rebalance`
/// handler and off-chain planners use it).
impl From<FillError> for anchor_lang::error::Error {
    fn from(e: FillError) -> Self {
        use crate::error::FundError;
        match e {
            FillError::InvalidPair => FundError::InvalidPair.into(),
            FillError::InNotEnabled => FundError::RebalanceInDisabled.into(),
            FillError::OutNotEnabled => FundError::RebalanceOutDisabled.into(),
            FillError::OutNotOverweight => FundError::OutNotOverweight.into(),
            FillError::InNotUnderweight => FundError::InNotUnderweight.into(),
            FillError::InsideBands => FundError::PairInsideBands.into(),
            FillError::ZeroAmountOut => FundError::ZeroAmountOut.into(),
            FillError::InsufficientBalance => FundError::InsufficientVaultBalance.into(),
            FillError::OutPushedBelowTarget => FundError::OutPushedBelowTarget.into(),
            FillError::InPushedAboveTarget => FundError::InPushedAboveTarget.into(),
            FillError::LiquidityBound => FundError::LiquidityBound.into(),
            FillError::ConcentrationBound => FundError::ConcentrationBound.into(),
            FillError::DistanceNotReduced => FundError::DistanceNotReduced.into(),
            FillError::ValueBound => FundError::ValueBound.into(),
            FillError::DeliveryShort => FundError::FlashFillUnderpaid.into(),
            FillError::Math(m) => m.into(),
        }
    }
}

/// The weights inputs of `assets`, in a fixed array (only the first `assets.len()` are set).
fn inputs_of(assets: &[RebalanceAsset]) -> Result<[AssetInput; MAX_ASSETS], MathError> {
    if assets.len() > MAX_ASSETS {
        return Err(MathError::TooManyAssets);
    }
    let mut out = [AssetInput::default(); MAX_ASSETS];
    for (slot, a) in out.iter_mut().zip(assets) {
        *slot = a.input;
    }
    Ok(out)
}

/// `w.values[k]`, or `InvalidPair` if `k` is out of range (callers have checked it already).
fn value_at(w: &Weights, k: usize) -> Result<u128, FillError> {
    w.values.get(k).copied().ok_or(FillError::InvalidPair)
}

/// `(x * 10_000).cmp(&(nav * bps))` and `|x * 10_000 - nav * bps|`, exactly. On native
/// 64-bit arithmetic when value and NAV are below 2^48 (about 2.8 * 10^14 atoms), else
/// on the 256-bit products: the same answer either way.
#[inline(always)]
fn share_gap(value: u128, nav: u128, bps: u16) -> (Ordering, U256) {
    // Bounds instead of `checked_mul` (a u64 overflow check is a software 128-bit product on
    // SBF): value * 10^4 and nav * bps both fit u64 when value, nav <= u64::MAX / 2^16.
    if value <= SMALL_OPERAND && nav <= SMALL_OPERAND {
        // both below 2^48, so the truncations are exact and the products below 2^64
        let used = (value as u64).wrapping_mul(u64::from(BPS_DENOMINATOR));
        let limit = (nav as u64).wrapping_mul(u64::from(bps));
        let diff = U256 {
            hi: 0,
            lo: u128::from(used.abs_diff(limit)),
        };
        return (used.cmp(&limit), diff);
    }
    let used = mul_wide(value, u128::from(BPS_DENOMINATOR));
    let limit = mul_wide(nav, u128::from(bps));
    (used.cmp(&limit), used.abs_diff(limit))
}

/// Numerator of the largest positive concentration excess over the common denominator
/// `10_000 * nav`: `max_k (value_k * 10_000 - max_weight_k * nav)` over assets exceeding
/// their cap, or `None` if none does. `Overflow` if an excess does not fit `u128` (it is at
/// most `value_k * 10_000`, so this cannot happen while values are below `2^114`).
fn max_excess_num(w: &Weights, assets: &[AssetInput]) -> Result<Option<u128>, MathError> {
    let mut best: Option<u128> = None;
    for (a, &value) in assets.iter().zip(&w.values) {
        let (order, gap) = share_gap(value, w.nav, a.max_weight_bps);
        if order == Ordering::Greater {
            let excess = gap.to_u128().ok_or(MathError::Overflow)?;
            best = Some(best.map_or(excess, |b| b.max(excess)));
        }
    }
    Ok(best)
}

/// Numerator of the distance to targets over the denominator `nav`:
/// `S = sum_k |value_k * 10_000 - target_k * nav|`, so `D = S / nav` (in bps) exactly.
/// Each term is exact in 256 bits; `Overflow` if the sum does not fit `u128` (with targets
/// summing to 10,000 it is at most `20_000 * nav`, so not while `nav < 2^113`).
fn distance_num(w: &Weights, assets: &[AssetInput]) -> Result<u128, MathError> {
    // Fast path (the same sum): with NAV and every value below 2^48 each term is below 2^64
    // and sixteen of them fit a u128 (native additions).
    if w.nav <= SMALL_OPERAND && w.values.iter().all(|&v| v <= SMALL_OPERAND) {
        let nav = w.nav as u64; // < 2^48: exact
        let mut sum: u128 = 0;
        for (a, &value) in assets.iter().zip(&w.values) {
            let used = (value as u64).wrapping_mul(u64::from(BPS_DENOMINATOR));
            let limit = nav.wrapping_mul(u64::from(a.target_bps));
            sum = sum
                .checked_add(u128::from(used.abs_diff(limit)))
                .ok_or(MathError::Overflow)?;
        }
        return Ok(sum);
    }
    distance_num_wide(w, assets)
}

/// `distance_num` on 256-bit terms, for any values.
fn distance_num_wide(w: &Weights, assets: &[AssetInput]) -> Result<u128, MathError> {
    let mut sum = U256::default();
    for (a, &value) in assets.iter().zip(&w.values) {
        let (_, term) = share_gap(value, w.nav, a.target_bps);
        sum = sum.checked_add(term).ok_or(MathError::Overflow)?;
    }
    sum.to_u128().ok_or(MathError::Overflow)
}

/// Checks every bound for a fill that adds `amount_in` atoms to asset `i`'s balance and
/// removes `quote.amount_out` atoms from asset `o`'s, given the state before (`assets`).
/// Returns the weights before and after and which sides were beyond their band
/// (`FillCheck`) on success.
///
/// `quote` must be `quote_fill(assets, i, o, amount_in, premium, numeraire_decimals)` for the
/// premium being paid: the value bound (8) trusts `quote.premium_value`.
///
/// Checks, in this order, each refusing with its `FillError`; every comparison is exact (no
/// bps rounding):
/// 1. `i != o` and both index `assets` (`InvalidPair`); `assets[i].can_in` (`InNotEnabled`);
///    `assets[o].can_out` (`OutNotEnabled`).
/// 2. Before: `o` over its target (`OutNotOverweight`) and `i` under its target
///    (`InNotUnderweight`), and at least one of them beyond its band: `o` over
///    `target + band` or `i` under `target - band`, as `imbalance_masks` defines
///    (`InsideBands`). Hence `nav_before > 0`. One side beyond its band is enough, so a
///    deficit spread over several assets each inside its band can still be bought back
///    from an asset over its band (and an excess spread thinly paid out to one under it).
/// 3. `0 < quote.amount_out` (`ZeroAmountOut`) `<= assets[o].input.balance`
///    (`InsufficientBalance`).
/// 4. After: `value_o * 10_000 >= target_o * nav` (`OutPushedBelowTarget`) and
///    `value_i * 10_000 <= target_i * nav` (`InPushedAboveTarget`). This makes churn
///    impossible: a reverse fill would need `i` over `target_i`.
/// 5. Liquidity: `liquid * 10_000 >= min_liquid_bps * nav` after; or, if that already failed
///    before, `liquid_after / nav_after >= liquid_before / nav_before` (`LiquidityBound`).
/// 6. Concentration: after, every `value_k * 10_000 <= max_weight_k * nav`; or, if some asset
///    exceeded its cap before, the largest excess `value_k / nav - max_weight_k / 10_000`
///    after is `<=` the largest before (`ConcentrationBound`).
/// 7. Distance `D = sum_k |value_k * 10_000 - target_k * nav| / nav`: `D_after < D_before`
///    (`DistanceNotReduced`; a fill leaving `nav_after == 0` has no distance and is refused
///    here).
/// 8. `nav_after + quote.premium_value >= nav_before` (`ValueBound`).
///
/// Theorem (why 7 is defence in depth): if 1–4 pass and `i`'s booked value rises by at least
/// 1 (true for a `quote_fill` quote with `amount_out > 0`, see its proof), `D` strictly
/// decreases for any targets. With `g_i >= 1` the rise of `i`, `g_o >= 0` the fall of `o`,
/// `d = g_o - g_i`, `R` the value of the other assets, and each other term bounded by the
/// triangle inequality `|v/nav' - t| <= |v/nav - t| + v |1/nav' - 1/nav|` (o and i do not
/// cross their targets by 4), `(D' - D) * nav * nav' <= -2 d v_i - 2 g_i nav < 0` when
/// `d >= 0`, and `<= 2 ((-d)(nav - v_o) - g_i nav) < 0` when `d < 0` (`-d <= g_i`,
/// `v_o > 0`). Likewise 8 always passes when `o.price_lo <= o.price_hi`.
///
/// Errors: `Math(TooManyAssets)` for more than `MAX_ASSETS` assets; `Math(Overflow)` if
/// `balance_i + amount_in` exceeds `u64`, a value or NAV exceeds `u128`, or an exact sum in 5–7
/// does not fit `u128` (not while values and NAV are below `2^113`): never a wrong answer;
/// `Math(InvalidBps)` for a haircut above 10,000 bps.
#[allow(clippy::too_many_arguments)]
pub fn check_fill(
    assets: &[RebalanceAsset],
    i: usize,
    o: usize,
    amount_in: u64,
    quote: &FillQuote,
    min_liquid_bps: u16,
    band_bps: u16,
    numeraire_decimals: u8,
) -> Result<FillCheck, FillError> {
    // step 1 here as in `check_fill_inputs`, so a refusal comes before any other error
    if i == o {
        return Err(FillError::InvalidPair);
    }
    let (Some(a_in), Some(a_out)) = (assets.get(i), assets.get(o)) else {
        return Err(FillError::InvalidPair);
    };
    if !a_in.can_in {
        return Err(FillError::InNotEnabled);
    }
    if !a_out.can_out {
        return Err(FillError::OutNotEnabled);
    }
    let pair = FillPair {
        i,
        o,
        can_in: a_in.can_in,
        can_out: a_out.can_out,
        buy_out: a_out.buy_out,
    };
    let inputs = inputs_of(assets)?;
    let inputs = inputs.get(..assets.len()).ok_or(MathError::TooManyAssets)?;
    check_fill_inputs(
        inputs,
        pair,
        amount_in,
        quote,
        min_liquid_bps,
        band_bps,
        numeraire_decimals,
    )
}

/// The pair of a fill: `i` in, `o` out, and the keeper flags of each (`i` accepts
/// deliveries, `o` may be taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillPair {
    pub i: usize,
    pub o: usize,
    pub can_in: bool,
    pub can_out: bool,
    /// `o` is a retired asset being bought out: worth 0 to the fund, so it counts as over its
    /// band whatever the weights say, and only `i`'s side decides eligibility (every other
    /// bound applies as usual; NAV can only rise, since what leaves is valued at 0).
    pub buy_out: bool,
}

/// What an accepted fill was checked against: the weights before and after, and which side
/// of the pair was beyond its band before the fill (at least one was).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillCheck {
    pub before: Weights,
    pub after: Weights,
    /// `o` was over `target + band`.
    pub out_over_band: bool,
    /// `i` was under `target - band`.
    pub in_under_band: bool,
}

/// Whether the auction of an open pair has started: at least one side is beyond its band,
/// and every side that is has its clock running (`sync_auctions` has seen it). The clocks
/// are `o`'s `over_since` and `i`'s `under_since` (0 = not running); `beyond` is
/// `(out_over_band, in_under_band)` from `pair_eligibility` (or `FillCheck`). The premium
/// runs from the later of the two clocks, so a clock left from an earlier sync only lowers it.
pub fn auction_started(out_over_since: i64, in_under_since: i64, beyond: (bool, bool)) -> bool {
    let (out_over_band, in_under_band) = beyond;
    // a pair with neither side beyond its band is not open, so it has no auction
    (out_over_band || in_under_band)
        && (!out_over_band || out_over_since != 0)
        && (!in_under_band || in_under_since != 0)
}

/// A pair open for a fill on some weights (`pair_eligibility` passed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenPair {
    /// The asset a keeper delivers.
    pub i: usize,
    /// The asset a keeper takes.
    pub o: usize,
    /// `o` is over `target + band`.
    pub out_over_band: bool,
    /// `i` is under `target - band`.
    pub in_under_band: bool,
}

/// Every pair open on the weights `w` of `assets` (`pair_eligibility`), out-asset major, in
/// index order; the keeper flags are not looked at. For planners and status views.
pub fn open_pairs<'a>(
    w: &'a Weights,
    assets: &'a [RebalanceAsset],
    band_bps: u16,
) -> impl Iterator<Item = OpenPair> + 'a {
    let n = assets.len().min(w.count);
    (0..n).flat_map(move |o| {
        (0..n).filter_map(move |i| {
            if i == o {
                return None;
            }
            let (ti, to) = (assets[i].input.target_bps, assets[o].input.target_bps);
            let (out_over_band, in_under_band) = if assets[o].buy_out {
                buy_out_eligibility(w, i, ti, band_bps).ok()?
            } else {
                pair_eligibility(w, i, o, ti, to, band_bps).ok()?
            };
            Some(OpenPair {
                i,
                o,
                out_over_band,
                in_under_band,
            })
        })
    })
}

/// Step 2 of `check_fill` on the weights `w`: whether the pair (`i` in with target
/// `target_in`, `o` out with target `target_out`) is open, as `(out_over_band,
/// in_under_band)` (at least one is true), or the refusal: `OutNotOverweight` unless `o` is
/// over its target, `InNotUnderweight` unless `i` is under its own, `InsideBands` unless `o`
/// is over `target + band` or `i` under `target - band`; `InvalidPair` for an index outside
/// `w`. Exact comparisons. Planners use it to enumerate the pairs open now.
pub fn pair_eligibility(
    w: &Weights,
    i: usize,
    o: usize,
    target_in: u16,
    target_out: u16,
    band_bps: u16,
) -> Result<(bool, bool), FillError> {
    if i >= w.count || o >= w.count {
        return Err(FillError::InvalidPair);
    }
    // beyond the band implies beyond the target, so the target is compared only if not
    let value_o = value_at(w, o)?;
    let out_over_band = is_over(value_o, w.nav, target_out, band_bps);
    if !out_over_band && !is_over(value_o, w.nav, target_out, 0) {
        return Err(FillError::OutNotOverweight);
    }
    let value_i = value_at(w, i)?;
    let in_under_band = is_under(value_i, w.nav, target_in, band_bps);
    if !in_under_band && !is_under(value_i, w.nav, target_in, 0) {
        return Err(FillError::InNotUnderweight);
    }
    if !out_over_band && !in_under_band {
        return Err(FillError::InsideBands);
    }
    Ok((out_over_band, in_under_band))
}

/// Step 2 of `check_fill` for a buy-out (`FillPair::buy_out`): the retired out-asset counts
/// as over its band; `i` must be under its target (`InNotUnderweight`). Returns
/// `(true, in_under_band)`.
pub fn buy_out_eligibility(
    w: &Weights,
    i: usize,
    target_in: u16,
    band_bps: u16,
) -> Result<(bool, bool), FillError> {
    if i >= w.count {
        return Err(FillError::InvalidPair);
    }
    let value_i = value_at(w, i)?;
    let in_under_band = is_under(value_i, w.nav, target_in, band_bps);
    if !in_under_band && !is_under(value_i, w.nav, target_in, 0) {
        return Err(FillError::InNotUnderweight);
    }
    Ok((true, in_under_band))
}

/// `check_fill` on the assets' weights inputs and the pair's flags (for callers that hold
/// the assets in another form): the same checks in the same order, the same result.
pub fn check_fill_inputs(
    inputs: &[AssetInput],
    pair: FillPair,
    amount_in: u64,
    quote: &FillQuote,
    min_liquid_bps: u16,
    band_bps: u16,
    numeraire_decimals: u8,
) -> Result<FillCheck, FillError> {
    let FillPair { i, o, .. } = pair;
    // 1. pair and flags
    if i == o {
        return Err(FillError::InvalidPair);
    }
    let (Some(a_in), Some(a_out)) = (inputs.get(i), inputs.get(o)) else {
        return Err(FillError::InvalidPair);
    };
    if !pair.can_in {
        return Err(FillError::InNotEnabled);
    }
    if !pair.can_out {
        return Err(FillError::OutNotEnabled);
    }

    // 2. eligibility before
    let before = compute(inputs, numeraire_decimals)?;
    let (out_over_band, in_under_band) = if pair.buy_out {
        buy_out_eligibility(&before, i, a_in.target_bps, band_bps)?
    } else {
        pair_eligibility(&before, i, o, a_in.target_bps, a_out.target_bps, band_bps)?
    };

    // 3. amount out
    if quote.amount_out == 0 {
        return Err(FillError::ZeroAmountOut);
    }
    let out_left = a_out
        .balance
        .checked_sub(quote.amount_out)
        .ok_or(FillError::InsufficientBalance)?;

    // 4. after: neither side crosses its target. Only i's and o's balances change, so only
    // their values are recomputed (every other asset keeps its value exactly).
    let in_balance = a_in
        .balance
        .checked_add(amount_in)
        .ok_or(MathError::Overflow)?;
    let revalue = |a: &AssetInput, balance: u64| {
        value_floor(
            balance,
            a.price_lo,
            a.decimals,
            numeraire_decimals,
            a.haircut_bps,
        )
    };
    let changes = [
        (i, revalue(a_in, in_balance)?),
        (o, revalue(a_out, out_left)?),
    ];
    let after = with_values(&before, inputs, &changes)?;
    let target_o = u128::from(a_out.target_bps);
    if cmp_share(value_at(&after, o)?, after.nav, target_o) == Ordering::Less {
        return Err(FillError::OutPushedBelowTarget);
    }
    let target_i = u128::from(a_in.target_bps);
    if cmp_share(value_at(&after, i)?, after.nav, target_i) == Ordering::Greater {
        return Err(FillError::InPushedAboveTarget);
    }

    // 5. liquidity
    let min_liquid = u128::from(min_liquid_bps);
    if cmp_share(after.liquid_value, after.nav, min_liquid) == Ordering::Less {
        let below_before = cmp_share(before.liquid_value, before.nav, min_liquid) == Ordering::Less;
        let not_decreased = cmp_ratio(
            after.liquid_value,
            after.nav,
            before.liquid_value,
            before.nav,
        ) != Ordering::Less;
        if !(below_before && not_decreased) {
            return Err(FillError::LiquidityBound);
        }
    }

    // 6. concentration (both excesses share the factor 1 / 10_000)
    if let Some(excess_after) = max_excess_num(&after, inputs)? {
        match max_excess_num(&before, inputs)? {
            Some(excess_before)
                if cmp_ratio(excess_after, after.nav, excess_before, before.nav)
                    != Ordering::Greater => {}
            _ => return Err(FillError::ConcentrationBound),
        }
    }

    // 7. distance strictly decreases
    if after.nav == 0 {
        return Err(FillError::DistanceNotReduced);
    }
    let d_after = distance_num(&after, inputs)?;
    let d_before = distance_num(&before, inputs)?;
    if cmp_ratio(d_after, after.nav, d_before, before.nav) != Ordering::Less {
        return Err(FillError::DistanceNotReduced);
    }

    // 8. value: exact, since a sum past u128::MAX exceeds nav_before anyway
    if after.nav.saturating_add(quote.premium_value) < before.nav {
        return Err(FillError::ValueBound);
    }
    Ok(FillCheck {
        before,
        after,
        out_over_band,
        in_under_band,
    })
}

/// Off-chain keeper planner, on the on-chain engine (so keeper and program agree): for the
/// pair (`i` in, `o` out) at `premium_bps`, the largest `amount_in` in `1..=cap_in` for which
/// `quote_fill` and `check_fill` both pass, with its quote; `None` if none is found.
///
/// Guarantees, whatever the inputs: a returned `(a, q)` passes `check_fill` with
/// `q == quote_fill(.., a, ..)` (it is only ever taken from a passing evaluation), and
/// `a == cap_in` or `a + 1` fails (binary-search invariant: `a` passed, `a + 1` was seen to
/// fail).
///
/// Monotonicity relied on for "largest": the passing amounts form an interval
/// `[a_min, a_max]`, where `a_min` is the smallest amount paying out at least one atom. Exact
/// for checks 1–4 (flags and eligibility do not depend on the amount; `amount_out`, `i`'s
/// value and `o`'s value move monotonically with `amount_in`, so `o`'s share falls and `i`'s
/// rises), for 7 (always passes given 1–4, see `check_fill`) and for 8 (always passes when
/// `price_lo <= price_hi`); quote overflows only occur above a threshold. Liquidity (5) and
/// concentration (6) depend on the NAV change `value_i gain - value_o loss`, which is linear
/// in `amount_in` up to rounding of a few atoms; near such a boundary the result may be a
/// local rather than global maximum, but it still passes. If the amount `a_min` itself fails,
/// the result is `None`.
///
/// Cost: about `2 * 64` evaluations of `quote_fill` + `check_fill`; not for on-chain use.
#[allow(clippy::too_many_arguments)]
pub fn max_fill(
    assets: &[RebalanceAsset],
    i: usize,
    o: usize,
    premium_bps: u16,
    min_liquid_bps: u16,
    band_bps: u16,
    numeraire_decimals: u8,
    cap_in: u64,
) -> Option<(u64, FillQuote)> {
    let a_out = assets.get(o)?;
    let plain = OutPricing {
        sale: a_out.price_hi,
        floor: None,
        lo: a_out.input.price_lo,
    };
    max_fill_priced(
        assets,
        i,
        o,
        premium_bps,
        &plain,
        min_liquid_bps,
        band_bps,
        numeraire_decimals,
        cap_in,
    )
}

/// `max_fill` with the out-asset priced as the pair's auction prices it now (`OutPricing`,
/// e.g. `Fund::pair_out_pricing`: gap clearing), quoting with `quote_sale` as the program
/// does; `max_fill` is this at the upper bound. Same guarantees.
#[allow(clippy::too_many_arguments)]
pub fn max_fill_priced(
    assets: &[RebalanceAsset],
    i: usize,
    o: usize,
    premium_bps: u16,
    out: &OutPricing,
    min_liquid_bps: u16,
    band_bps: u16,
    numeraire_decimals: u8,
    cap_in: u64,
) -> Option<(u64, FillQuote)> {
    let (a_in, a_out) = (assets.get(i)?, assets.get(o)?);
    let quote = |a: u64| {
        quote_sale(
            &a_in.input,
            out,
            a_out.input.decimals,
            a,
            premium_bps,
            numeraire_decimals,
        )
    };
    let passes = |a: u64| -> Option<FillQuote> {
        let q = quote(a).ok()?;
        check_fill(
            assets,
            i,
            o,
            a,
            &q,
            min_liquid_bps,
            band_bps,
            numeraire_decimals,
        )
        .ok()?;
        Some(q)
    };
    if cap_in == 0 {
        return None;
    }
    if let Some(q) = passes(cap_in) {
        return Some((cap_in, q));
    }
    // a_min: the smallest amount whose quote pays out >= 1 atom (or errors: an overflow,
    // which only happens above a threshold). Monotone: amount_out never falls as amount_in
    // grows.
    let pays = |a: u64| match quote(a) {
        Ok(q) => q.amount_out > 0,
        Err(_) => true,
    };
    if !pays(cap_in) {
        return None;
    }
    let (mut lo, mut hi) = (0u64, cap_in); // !pays(lo) (or lo == 0), pays(hi)
    while hi.checked_sub(lo)? > 1 {
        let mid = lo.checked_add(hi.checked_sub(lo)?.checked_div(2)?)?;
        if pays(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    // Largest passing: invariant passes(lo) with quote `best`, !passes(hi).
    let mut best = passes(hi)?;
    let (mut lo, mut hi) = (hi, cap_in);
    while hi.checked_sub(lo)? > 1 {
        let mid = lo.checked_add(hi.checked_sub(lo)?.checked_div(2)?)?;
        match passes(mid) {
            Some(q) => {
                lo = mid;
                best = q;
            }
            None => hi = mid,
        }
    }
    Some((lo, best))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::valuation::amount_for_value_ceil;
    use crate::math::valuation::reference::{is_floor, Big};
    use proptest::prelude::*;

    // ---- an independent exact reference with addition (Big has only mul/cmp) ----------

    /// 512-bit unsigned, little-endian u64 limbs; panics on overflow/underflow (tests only).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Nat([u64; 8]);

    impl Nat {
        fn from(x: u128) -> Nat {
            let mut l = [0u64; 8];
            l[0] = x as u64;
            l[1] = (x >> 64) as u64;
            Nat(l)
        }
        fn add(self, o: Nat) -> Nat {
            let mut r = [0u64; 8];
            let mut carry = 0u128;
            for (d, (x, y)) in r.iter_mut().zip(self.0.iter().zip(&o.0)) {
                let t = *x as u128 + *y as u128 + carry;
                *d = t as u64;
                carry = t >> 64;
            }
            assert_eq!(carry, 0, "Nat overflow");
            Nat(r)
        }
        fn sub(self, o: Nat) -> Nat {
            let mut r = [0u64; 8];
            let mut borrow = 0i128;
            for (d, (x, y)) in r.iter_mut().zip(self.0.iter().zip(&o.0)) {
                let mut t = *x as i128 - *y as i128 - borrow;
                borrow = 0;
                if t < 0 {
                    t += 1i128 << 64;
                    borrow = 1;
                }
                *d = t as u64;
            }
            assert_eq!(borrow, 0, "Nat underflow");
            Nat(r)
        }
        fn abs_diff(self, o: Nat) -> Nat {
            if self >= o {
                self.sub(o)
            } else {
                o.sub(self)
            }
        }
        fn mul(self, o: Nat) -> Nat {
            let mut r = [0u128; 16];
            for a in 0..8 {
                let mut carry = 0u128;
                for b in 0..8 {
                    let t = r[a + b] + self.0[a] as u128 * o.0[b] as u128 + carry;
                    r[a + b] = t & LOW_64;
                    carry = t >> 64;
                }
                r[a + 8] += carry;
            }
            assert!(r[8..].iter().all(|&x| x == 0), "Nat overflow");
            let mut l = [0u64; 8];
            for (d, s) in l.iter_mut().zip(&r) {
                *d = *s as u64;
            }
            Nat(l)
        }
        fn m(x: u128, y: u128) -> Nat {
            Nat::from(x).mul(Nat::from(y))
        }
        fn u256(x: U256) -> Nat {
            Nat::m(x.hi, u64::MAX as u128 + 1)
                .mul(Nat::from(u64::MAX as u128 + 1))
                .add(Nat::from(x.lo))
        }
    }

    impl PartialOrd for Nat {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Nat {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0.iter().rev().cmp(o.0.iter().rev())
        }
    }

    /// The spec of `check_fill`, written independently with `Nat` (unbounded for our ranges).
    #[allow(clippy::too_many_arguments)]
    fn reference_check(
        assets: &[RebalanceAsset],
        i: usize,
        o: usize,
        amount_in: u64,
        quote: &FillQuote,
        min_liquid: u16,
        band: u16,
        nd: u8,
    ) -> Result<FillCheck, FillError> {
        if i == o || i >= assets.len() || o >= assets.len() {
            return Err(FillError::InvalidPair);
        }
        if !assets[i].can_in {
            return Err(FillError::InNotEnabled);
        }
        if !assets[o].can_out {
            return Err(FillError::OutNotEnabled);
        }
        let mut ins: Vec<AssetInput> = assets.iter().map(|a| a.input).collect();
        let b = compute(&ins, nd)?;
        let tk = |k: usize| assets[k].input.target_bps as u128;
        let ten_k = Nat::from(10_000);
        let x = |w: &Weights, k: usize| Nat::from(w.values[k]).mul(ten_k);
        let share_cmp = |w: &Weights, k: usize, bps: u128| x(w, k).cmp(&Nat::m(w.nav, bps));
        if b.nav == 0 || share_cmp(&b, o, tk(o)) != Ordering::Greater {
            return Err(FillError::OutNotOverweight);
        }
        if share_cmp(&b, i, tk(i)) != Ordering::Less {
            return Err(FillError::InNotUnderweight);
        }
        let out_over_band = share_cmp(&b, o, tk(o) + band as u128) == Ordering::Greater;
        let in_under_band =
            tk(i) > band as u128 && share_cmp(&b, i, tk(i) - band as u128) == Ordering::Less;
        if !out_over_band && !in_under_band {
            return Err(FillError::InsideBands);
        }
        if quote.amount_out == 0 {
            return Err(FillError::ZeroAmountOut);
        }
        if quote.amount_out > assets[o].input.balance {
            return Err(FillError::InsufficientBalance);
        }
        ins[i].balance = ins[i]
            .balance
            .checked_add(amount_in)
            .ok_or(MathError::Overflow)?;
        ins[o].balance -= quote.amount_out;
        let a = compute(&ins, nd)?;
        if share_cmp(&a, o, tk(o)) == Ordering::Less {
            return Err(FillError::OutPushedBelowTarget);
        }
        if share_cmp(&a, i, tk(i)) == Ordering::Greater {
            return Err(FillError::InPushedAboveTarget);
        }
        let liq_ok =
            |w: &Weights| Nat::from(w.liquid_value).mul(ten_k) >= Nat::m(w.nav, min_liquid as u128);
        let liquidity_held = liq_ok(&a)
            || (!liq_ok(&b) && Nat::m(a.liquid_value, b.nav) >= Nat::m(b.liquid_value, a.nav));
        if !liquidity_held {
            return Err(FillError::LiquidityBound);
        }
        let excess = |w: &Weights| {
            (0..assets.len())
                .filter_map(|k| {
                    let cap = Nat::m(w.nav, assets[k].input.max_weight_bps as u128);
                    (x(w, k) > cap).then(|| x(w, k).sub(cap))
                })
                .max()
        };
        if let Some(ea) = excess(&a) {
            match excess(&b) {
                Some(eb) if ea.mul(Nat::from(b.nav)) <= eb.mul(Nat::from(a.nav)) => {}
                _ => return Err(FillError::ConcentrationBound),
            }
        }
        let dist = |w: &Weights| {
            (0..assets.len()).fold(Nat::from(0), |s, k| {
                s.add(x(w, k).abs_diff(Nat::m(w.nav, tk(k))))
            })
        };
        if a.nav == 0 || dist(&a).mul(Nat::from(b.nav)) >= dist(&b).mul(Nat::from(a.nav)) {
            return Err(FillError::DistanceNotReduced);
        }
        if Nat::from(a.nav).add(Nat::from(quote.premium_value)) < Nat::from(b.nav) {
            return Err(FillError::ValueBound);
        }
        Ok(FillCheck {
            before: b,
            after: a,
            out_over_band,
            in_under_band,
        })
    }

    // ---- fixtures ------------------------------------------------------------------------

    const ONE: Price = Price {
        mantissa: 1,
        expo: 0,
    };
    const USD: u64 = 1_000_000; // 6 decimals

    fn usd(dollars: u64, target_bps: u16) -> RebalanceAsset {
        RebalanceAsset {
            input: AssetInput {
                balance: dollars * USD,
                price_lo: ONE,
                decimals: 6,
                haircut_bps: 0,
                liquid: true,
                target_bps,
                max_weight_bps: 10_000,
            },
            price_hi: ONE,
            can_in: true,
            can_out: true,
            buy_out: false,
        }
    }

    /// 900/100 USD against 50/50 targets.
    fn ninety_ten() -> [RebalanceAsset; 2] {
        [usd(900, 5_000), usd(100, 5_000)]
    }

    const BAND: u16 = 100;

    fn fill(
        assets: &[RebalanceAsset],
        i: usize,
        o: usize,
        amount_in: u64,
        premium: u16,
        min_liquid: u16,
    ) -> Result<(Weights, Weights), FillError> {
        let q = quote_fill(assets, i, o, amount_in, premium, 6)?;
        check_fill(assets, i, o, amount_in, &q, min_liquid, BAND, 6).map(|c| (c.before, c.after))
    }

    fn apply(assets: &mut [RebalanceAsset], i: usize, o: usize, amount_in: u64, premium: u16) {
        let q = quote_fill(assets, i, o, amount_in, premium, 6).unwrap();
        assets[i].input.balance += amount_in;
        assets[o].input.balance -= q.amount_out;
    }

    // ---- unit tests ------------------------------------------------------------------------

    #[test]
    fn premium_sawtooth() {
        let p = AuctionParams {
            band_bps: 100,
            start_premium_bps: 10,
            max_premium_bps: 110,
            duration_secs: 1_000,
        };
        assert_eq!(premium_bps_floor(&p, 0), 10);
        assert_eq!(premium_bps_floor(&p, 500), 60);
        assert_eq!(premium_bps_floor(&p, 505), 60); // 60.5 rounds down
        assert_eq!(premium_bps_floor(&p, 999), 109); // 109.9: the max is approached
        assert_eq!(premium_bps_floor(&p, 1_000), 10); // restart
        assert_eq!(premium_bps_floor(&p, 1_250), 35);
        assert_eq!(premium_bps_floor(&p, 7_999), 109);
        assert_eq!(premium_bps_floor(&p, -1), 10);
        assert_eq!(premium_bps_floor(&p, i64::MIN), 10);
        assert_eq!(
            premium_bps_floor(&p, i64::MAX),
            10 + (100 * (i64::MAX as u64 % 1_000) / 1_000) as u16
        );
        let zero = AuctionParams {
            duration_secs: 0,
            ..p
        };
        assert_eq!(premium_bps_floor(&zero, 500), 10);
        let inverted = AuctionParams {
            max_premium_bps: 5,
            ..p
        };
        assert_eq!(premium_bps_floor(&inverted, 500), 10);
        let wide = AuctionParams {
            band_bps: 0,
            start_premium_bps: 0,
            max_premium_bps: u16::MAX,
            duration_secs: u32::MAX,
        };
        assert_eq!(premium_bps_floor(&wide, u32::MAX as i64 - 1), u16::MAX - 1);
        assert_eq!(premium_bps_floor(&AuctionParams::default(), 12), 0);
    }

    #[test]
    fn masks_are_exact() {
        let assets = ninety_ten();
        let inputs: Vec<_> = assets.iter().map(|a| a.input).collect();
        let w = compute(&inputs, 6).unwrap();
        assert_eq!(imbalance_masks(&w, &assets, BAND), Ok((0b01, 0b10)));
        // 51 % against 50 % + 100 bps: not over; 51 % + 1 atom: over
        let edge = [usd(510, 5_000), usd(490, 5_000)];
        let inputs: Vec<_> = edge.iter().map(|a| a.input).collect();
        let w = compute(&inputs, 6).unwrap();
        assert_eq!(imbalance_masks(&w, &edge, BAND), Ok((0, 0)));
        let mut edge = edge;
        edge[0].input.balance += 1;
        let inputs: Vec<_> = edge.iter().map(|a| a.input).collect();
        let w = compute(&inputs, 6).unwrap();
        assert_eq!(imbalance_masks(&w, &edge, BAND), Ok((0b01, 0b10)));
        // target <= band: never under
        let low = [usd(1_000, 9_800), usd(0, 100)];
        let inputs: Vec<_> = low.iter().map(|a| a.input).collect();
        let w = compute(&inputs, 6).unwrap();
        assert_eq!(imbalance_masks(&w, &low, BAND), Ok((0b01, 0)));
        // nav 0
        let empty = [usd(0, 5_000), usd(0, 5_000)];
        let inputs: Vec<_> = empty.iter().map(|a| a.input).collect();
        let w = compute(&inputs, 6).unwrap();
        assert_eq!(imbalance_masks(&w, &empty, BAND), Ok((0, 0)));
        assert_eq!(
            imbalance_masks(&w, &[usd(1, 0); MAX_ASSETS + 1], BAND),
            Err(MathError::TooManyAssets)
        );
    }

    #[test]
    fn quote_at_par_and_with_premium() {
        let assets = ninety_ten();
        let q = quote_fill(&assets, 1, 0, 100 * USD, 0, 6).unwrap();
        assert_eq!(
            q,
            FillQuote {
                value_in: 100 * USD as u128,
                value_out: 100 * USD as u128,
                amount_out: 100 * USD,
                premium_value: 0,
            }
        );
        // 1.23 % premium on 100.000001 USD: 1.230000012 USD -> floor
        let q = quote_fill(&assets, 1, 0, 100 * USD + 1, 123, 6).unwrap();
        assert_eq!(q.value_in, 100_000_001);
        assert_eq!(q.premium_value, 1_230_000);
        assert_eq!(q.value_out, 101_230_001);
        assert_eq!(q.amount_out, 101_230_001);
        // a haircut on the in side and a higher upper price on the out side
        let mut assets = ninety_ten();
        assets[1].input.haircut_bps = 250;
        assets[0].price_hi = Price {
            mantissa: 101,
            expo: -2,
        };
        let q = quote_fill(&assets, 1, 0, 100 * USD, 100, 6).unwrap();
        assert_eq!(q.value_in, 97_500_000);
        assert_eq!(q.value_out, 98_475_000);
        assert_eq!(q.amount_out, 97_500_000); // 98.475 / 1.01 = 97.5
                                              // errors
        assert_eq!(quote_fill(&assets, 2, 0, 1, 0, 6), Err(MathError::Overflow));
        assets[0].price_hi.mantissa = 0;
        assert_eq!(quote_fill(&assets, 1, 0, 1, 0, 6), Err(MathError::Overflow));
        assets[1].input.haircut_bps = 10_001;
        assert_eq!(
            quote_fill(&assets, 1, 0, 1, 0, 6),
            Err(MathError::InvalidBps)
        );
    }

    #[test]
    fn exactly_allowed_and_one_more() {
        // at par, no premium: o may fall to exactly 50 %
        let assets = ninety_ten();
        let (b, a) = fill(&assets, 1, 0, 400 * USD, 0, 0).unwrap();
        assert_eq!(b.nav, a.nav);
        assert_eq!(a.values[..2], [500 * USD as u128, 500 * USD as u128]);
        assert_eq!(a.distance_bps, 0);
        assert_eq!(
            fill(&assets, 1, 0, 400 * USD + 1, 0, 0),
            Err(FillError::OutPushedBelowTarget)
        );
        // three assets where the in side reaches its target first
        let assets = [usd(800, 3_000), usd(100, 4_000), usd(100, 3_000)];
        assert!(fill(&assets, 1, 0, 300 * USD, 0, 0).is_ok());
        assert_eq!(
            fill(&assets, 1, 0, 300 * USD + 1, 0, 0),
            Err(FillError::InPushedAboveTarget)
        );
        // with a 1 % premium NAV falls by exactly the premium
        let assets = ninety_ten();
        let q = quote_fill(&assets, 1, 0, 100 * USD, 100, 6).unwrap();
        let FillCheck {
            before: b,
            after: a,
            ..
        } = check_fill(&assets, 1, 0, 100 * USD, &q, 0, BAND, 6).unwrap();
        assert_eq!(q.premium_value, USD as u128);
        assert_eq!(a.nav + q.premium_value, b.nav);
    }

    #[test]
    fn no_churn() {
        let mut assets = ninety_ten();
        apply(&mut assets, 1, 0, 100 * USD, 50);
        // 799.5 / 200: the reverse needs asset 1 over 51 %
        assert_eq!(
            fill(&assets, 0, 1, USD, 0, 0),
            Err(FillError::OutNotOverweight)
        );
        let mut assets = ninety_ten();
        apply(&mut assets, 1, 0, 400 * USD, 0);
        assert_eq!(
            fill(&assets, 0, 1, USD, 0, 0),
            Err(FillError::OutNotOverweight)
        );
        // and the forward direction is done too (inside the band)
        assert_eq!(
            fill(&assets, 1, 0, USD, 0, 0),
            Err(FillError::OutNotOverweight)
        );
    }

    #[test]
    fn premium_covers_haircut_is_exact() {
        assert!(premium_covers_haircut(0, 0));
        // 200 bps haircut: needs p > 200 / 0.98 = 204.08 bps
        assert!(!premium_covers_haircut(204, 200));
        assert!(premium_covers_haircut(205, 200));
        // (1 - 0.05)(1 + p) > 1 exactly at p > 526.3 bps
        assert!(!premium_covers_haircut(526, 500));
        assert!(premium_covers_haircut(527, 500));
        assert!(!premium_covers_haircut(1_000, 10_000));
        assert!(!premium_covers_haircut(u16::MAX, u16::MAX));
        // against the real-number rule on every pair of the protocol's ranges
        for h in 0..=1_000u16 {
            for p in (0..=1_000u16).step_by(7) {
                let exact = (10_000 - u64::from(h)) * (10_000 + u64::from(p)) > 100_000_000;
                assert_eq!(premium_covers_haircut(p, h), h == 0 || exact, "{p} {h}");
                if h > 0 && premium_covers_haircut(p, h) {
                    assert!(premium_covers_haircut(p, h - 1) && premium_covers_haircut(p + 1, h));
                }
            }
        }
    }

    #[test]
    fn one_side_beyond_its_band_is_enough() {
        // 52 % against a 50 % target (beyond the 1 % band); the deficit spread over two
        // assets at 24 % of 25 % each, at the edge of the band (not beyond it)
        let spread = [usd(520, 5_000), usd(240, 2_500), usd(240, 2_500)];
        let c = check_fill(
            &spread,
            1,
            0,
            USD,
            &quote_fill(&spread, 1, 0, USD, 0, 6).unwrap(),
            0,
            BAND,
            6,
        )
        .unwrap();
        assert!(c.out_over_band && !c.in_under_band);
        // and up to its target exactly: 10 USD brings asset 1 to 25 %
        assert!(fill(&spread, 1, 0, 10 * USD, 0, 0).is_ok());
        assert_eq!(
            fill(&spread, 1, 0, 10 * USD + 1, 0, 0),
            Err(FillError::InPushedAboveTarget)
        );
        // the mirror: 48 % against a 50 % target, the excess spread thinly (26 % of 25 %)
        let thin = [usd(480, 5_000), usd(260, 2_500), usd(260, 2_500)];
        let c = check_fill(
            &thin,
            0,
            1,
            USD,
            &quote_fill(&thin, 0, 1, USD, 0, 6).unwrap(),
            0,
            BAND,
            6,
        )
        .unwrap();
        assert!(!c.out_over_band && c.in_under_band);
        assert!(fill(&thin, 0, 1, 10 * USD, 0, 0).is_ok());
        assert_eq!(
            fill(&thin, 0, 1, 10 * USD + 1, 0, 0),
            Err(FillError::OutPushedBelowTarget)
        );
    }

    #[test]
    fn the_auction_starts_when_every_side_beyond_its_band_has_a_clock() {
        let both = (true, true);
        assert!(auction_started(5, 7, both));
        assert!(!auction_started(5, 0, both));
        assert!(!auction_started(0, 7, both));
        let out_only = (true, false);
        assert!(auction_started(5, 0, out_only));
        assert!(auction_started(5, 9, out_only)); // a clock left from an earlier sync
        assert!(!auction_started(0, 9, out_only)); // the side beyond its band has none
        let in_only = (false, true);
        assert!(auction_started(0, 7, in_only));
        assert!(!auction_started(5, 0, in_only));
        assert!(!auction_started(0, 0, (false, false)));
        assert!(!auction_started(5, 7, (false, false))); // not an open pair
    }

    #[test]
    fn open_pairs_are_exactly_the_pairs_the_engine_would_check() {
        // USDC-like 52 % over a 50 % target, two at 24 % of 25 %: only 1->0 and 2->0 open
        let spread = [usd(520, 5_000), usd(240, 2_500), usd(240, 2_500)];
        let w = weights_of(&spread, 6).unwrap();
        let pairs: Vec<_> = open_pairs(&w, &spread, BAND).map(|p| (p.i, p.o)).collect();
        assert_eq!(pairs, vec![(1, 0), (2, 0)]);
        assert!(open_pairs(&w, &spread, BAND).all(|p| p.out_over_band && !p.in_under_band));
        // every pair open iff check_fill gets past step 2
        for i in 0..3 {
            for o in 0..3 {
                let q = quote_fill(&spread, i, o, USD, 0, 6);
                let past_step_2 = q.is_ok_and(|q| {
                    !matches!(
                        check_fill(&spread, i, o, USD, &q, 0, BAND, 6),
                        Err(FillError::InvalidPair
                            | FillError::OutNotOverweight
                            | FillError::InNotUnderweight
                            | FillError::InsideBands)
                    )
                });
                assert_eq!(past_step_2, pairs.contains(&(i, o)), "{i} {o}");
            }
        }
    }

    #[test]
    fn every_refusal() {
        let assets = ninety_ten();
        let q = quote_fill(&assets, 1, 0, USD, 0, 6).unwrap();
        let check = |assets: &[RebalanceAsset], i, o, q: &FillQuote| {
            check_fill(assets, i, o, USD, q, 0, BAND, 6)
        };
        assert_eq!(check(&assets, 0, 0, &q), Err(FillError::InvalidPair));
        assert_eq!(check(&assets, 2, 0, &q), Err(FillError::InvalidPair));
        assert_eq!(check(&assets, 1, 7, &q), Err(FillError::InvalidPair));

        let mut off = assets;
        off[1].can_in = false;
        assert_eq!(check(&off, 1, 0, &q), Err(FillError::InNotEnabled));
        let mut off = assets;
        off[0].can_out = false;
        assert_eq!(check(&off, 1, 0, &q), Err(FillError::OutNotEnabled));

        // 50.5 / 49.5 with a 1 % band: each on its wrong side, nobody beyond the band
        let inside = [usd(505, 5_000), usd(495, 5_000)];
        assert_eq!(check(&inside, 1, 0, &q), Err(FillError::InsideBands));
        // out exactly at its target, in far under: out is not over
        let at = [usd(500, 5_000), usd(100, 4_000), usd(400, 1_000)];
        assert_eq!(check(&at, 1, 0, &q), Err(FillError::OutNotOverweight));
        // out over, in exactly at target
        let three = [usd(800, 4_000), usd(100, 1_000), usd(100, 5_000)];
        assert_eq!(check(&three, 1, 0, &q), Err(FillError::InNotUnderweight));
        assert!(check(&three, 2, 0, &q).is_ok());

        // nothing out: zero amount in, or a price too high to pay a single atom
        assert_eq!(fill(&assets, 1, 0, 0, 0, 0), Err(FillError::ZeroAmountOut));
        let mut dear = assets;
        dear[0].price_hi = Price {
            mantissa: 1,
            expo: 9,
        };
        assert_eq!(fill(&dear, 1, 0, USD, 0, 0), Err(FillError::ZeroAmountOut));
        // an upper price far below the lower one asks for more than the vault holds
        let mut cheap = assets;
        cheap[0].price_hi = Price {
            mantissa: 1,
            expo: -3,
        };
        assert_eq!(
            fill(&cheap, 1, 0, USD, 0, 0),
            Err(FillError::InsufficientBalance)
        );
        // ...and a smaller such fill loses more NAV than its premium
        assert_eq!(fill(&cheap, 1, 0, 1_000, 0, 0), Err(FillError::ValueBound));

        assert_eq!(
            fill(&assets, 1, 0, 400 * USD + 1, 0, 0),
            Err(FillError::OutPushedBelowTarget)
        );
        let three = [usd(800, 3_000), usd(100, 4_000), usd(100, 3_000)];
        assert_eq!(
            fill(&three, 1, 0, 300 * USD + 1, 0, 0),
            Err(FillError::InPushedAboveTarget)
        );

        // liquidity: o liquid, i not; 90 % liquid against a minimum of 80 %
        let mut illiquid_in = assets;
        illiquid_in[1].input.liquid = false;
        assert!(fill(&illiquid_in, 1, 0, 100 * USD, 0, 8_000).is_ok());
        assert_eq!(
            fill(&illiquid_in, 1, 0, 100 * USD + 1, 0, 8_000),
            Err(FillError::LiquidityBound)
        );
        // already below 95 %: a fill lowering the liquid share is refused ...
        assert_eq!(
            fill(&illiquid_in, 1, 0, USD, 0, 9_500),
            Err(FillError::LiquidityBound)
        );
        // ... one raising it passes although still below
        let mut illiquid_out = assets;
        illiquid_out[0].input.liquid = false;
        assert!(fill(&illiquid_out, 1, 0, 100 * USD, 0, 9_500).is_ok());

        // concentration: i capped at 20 %
        let mut capped = assets;
        capped[1].input.max_weight_bps = 2_000;
        assert!(fill(&capped, 1, 0, 100 * USD, 0, 0).is_ok());
        assert_eq!(
            fill(&capped, 1, 0, 100 * USD + 1, 0, 0),
            Err(FillError::ConcentrationBound)
        );
        // o already 10 % over its 80 % cap, i capped at 10 %: allowed while i's excess stays
        // within 10 %
        let mut over = assets;
        over[0].input.max_weight_bps = 8_000;
        over[1].input.max_weight_bps = 1_000;
        assert!(fill(&over, 1, 0, 50 * USD, 0, 0).is_ok());
        assert!(fill(&over, 1, 0, 100 * USD, 0, 0).is_ok());
        assert_eq!(
            fill(&over, 1, 0, 100 * USD + 1, 0, 0),
            Err(FillError::ConcentrationBound)
        );

        // distance: a quote not from quote_fill (nothing delivered, 100 USD out, in at 0)
        let lopsided = [usd(1_000, 5_000), usd(0, 5_000)];
        let fake = FillQuote {
            value_in: 0,
            value_out: 100 * USD as u128,
            amount_out: 100 * USD,
            premium_value: 100 * USD as u128,
        };
        assert_eq!(
            check_fill(&lopsided, 1, 0, 0, &fake, 0, BAND, 6),
            Err(FillError::DistanceNotReduced)
        );
        // value: the same honest fill with the premium under-reported
        let q = quote_fill(&assets, 1, 0, USD, 100, 6).unwrap();
        let understated = FillQuote {
            premium_value: q.premium_value - 1,
            ..q
        };
        assert!(check_fill(&assets, 1, 0, USD, &q, 0, BAND, 6).is_ok());
        assert_eq!(
            check_fill(&assets, 1, 0, USD, &understated, 0, BAND, 6),
            Err(FillError::ValueBound)
        );

        // math errors
        let mut bad = assets;
        bad[1].input.haircut_bps = 10_001;
        assert_eq!(
            check(&bad, 1, 0, &q),
            Err(FillError::Math(MathError::InvalidBps))
        );
        let many = [usd(1, 0); MAX_ASSETS + 1];
        assert_eq!(
            check(&many, 1, 0, &q),
            Err(FillError::Math(MathError::TooManyAssets))
        );
        let mut full = assets;
        full[1].input.balance = u64::MAX - 1;
        full[0].input.balance = u64::MAX;
        full[1].input.target_bps = 6_000;
        full[0].input.target_bps = 4_000;
        assert_eq!(
            check_fill(&full, 1, 0, 2, &q, 0, BAND, 6),
            Err(FillError::Math(MathError::Overflow))
        );
        assert_eq!(
            FillError::from(MathError::Overflow),
            FillError::Math(MathError::Overflow)
        );
    }

    #[test]
    fn max_fill_finds_the_boundary() {
        let assets = ninety_ten();
        let cap = 1_000 * USD;
        let (a, q) = max_fill(&assets, 1, 0, 0, 0, BAND, 6, cap).unwrap();
        assert_eq!(a, 400 * USD);
        assert_eq!(q, quote_fill(&assets, 1, 0, a, 0, 6).unwrap());
        assert!(fill(&assets, 1, 0, a + 1, 0, 0).is_err());
        // with a premium: 1.005 a <= 400 USD
        let (a, q) = max_fill(&assets, 1, 0, 100, 0, BAND, 6, cap).unwrap();
        assert!(check_fill(&assets, 1, 0, a, &q, 0, BAND, 6).is_ok());
        assert!(fill(&assets, 1, 0, a + 1, 100, 0).is_err());
        assert_eq!(a, 398_009_950);
        // capped
        assert_eq!(
            max_fill(&assets, 1, 0, 0, 0, BAND, 6, 7).map(|r| r.0),
            Some(7)
        );
        // a binding liquidity bound
        let mut illiquid_in = assets;
        illiquid_in[1].input.liquid = false;
        let (a, _) = max_fill(&illiquid_in, 1, 0, 0, 8_000, BAND, 6, cap).unwrap();
        assert_eq!(a, 100 * USD);
        // nothing possible
        assert_eq!(max_fill(&assets, 0, 1, 0, 0, BAND, 6, cap), None);
        assert_eq!(max_fill(&assets, 1, 0, 0, 0, BAND, 6, 0), None);
        assert_eq!(max_fill(&assets, 1, 1, 0, 0, BAND, 6, cap), None);
        let mut dear = assets;
        dear[0].price_hi = Price {
            mantissa: 1,
            expo: 30,
        };
        assert_eq!(max_fill(&dear, 1, 0, 0, 0, BAND, 6, u64::MAX), None);
        // the in asset at half price: 3 atoms book 1 atom of value and pay 1 atom out
        let mut half = assets;
        half[1].input.price_lo = Price {
            mantissa: 5,
            expo: -1,
        };
        let (a, q) = max_fill(&half, 1, 0, 0, 0, BAND, 6, 3).unwrap();
        assert_eq!((a, q.amount_out), (3, 1));
        assert_eq!(max_fill(&half, 1, 0, 0, 0, BAND, 6, 1), None);
    }

    #[test]
    fn wide_arithmetic_edges() {
        let m = u128::MAX;
        assert_eq!(mul_wide(m, m), U256 { hi: m - 1, lo: 1 });
        assert_eq!(mul_wide(0, m), U256::default());
        assert_eq!(mul_wide(1 << 64, 1 << 64), U256 { hi: 1, lo: 0 });
        assert_eq!(mul_wide(m, 2), U256 { hi: 1, lo: m - 1 });
        let top = U256 { hi: m, lo: m };
        assert_eq!(top.checked_add(U256 { hi: 0, lo: 1 }), None);
        assert_eq!(
            U256 { hi: 0, lo: m }.checked_add(U256 { hi: 0, lo: 1 }),
            Some(U256 { hi: 1, lo: 0 })
        );
        assert_eq!(
            U256 { hi: 1, lo: 0 }.abs_diff(U256 { hi: 0, lo: 1 }),
            U256 { hi: 0, lo: m }
        );
        assert_eq!(U256 { hi: 1, lo: 0 }.to_u128(), None);
        assert_eq!(cmp_share(1, 3, 3_333), Ordering::Greater);
        assert_eq!(cmp_share(1, 3, 3_334), Ordering::Less);
        assert_eq!(cmp_ratio(1, 3, 2, 6), Ordering::Equal);
    }

    // ---- property tests -------------------------------------------------------------------

    /// A realistic asset (prices near today's markets, 6-9 decimals, `price_hi` a spread
    /// above `price_lo` except rarely) or a wild one (any mantissa, exponent, decimals, spread).
    fn arb_asset(wild: bool) -> BoxedStrategy<RebalanceAsset> {
        let balance = prop_oneof![
            1 => any::<u64>(),
            4 => 0u64..=1_000_000_000_000_000,
            1 => 0u64..=1_000,
        ];
        let price = if wild {
            (any::<u64>(), -20i32..=4).boxed()
        } else {
            (1u64..=1_000_000_000_000, -10i32..=-2).boxed()
        };
        let decimals = if wild {
            (0u8..=18).boxed()
        } else {
            (6u8..=9).boxed()
        };
        // spread in bps above price_lo, or (> 100) a raw mantissa for price_hi
        let spread = if wild {
            prop_oneof![3 => 0u64..=100, 1 => any::<u64>()].boxed()
        } else {
            prop_oneof![19 => 0u64..=100, 1 => any::<u64>()].boxed()
        };
        let haircut = if wild {
            any::<u16>().prop_map(|h| h % 10_001).boxed()
        } else {
            prop_oneof![Just(0u16), 0u16..=2_000].boxed()
        };
        (
            balance,
            price,
            spread,
            haircut,
            (decimals, any::<bool>()),
            prop_oneof![2 => Just(10_000u16), 1 => 1_000u16..=10_000, 1 => any::<u16>()],
            (prop::bool::weighted(0.9), prop::bool::weighted(0.9)),
        )
            .prop_map(
                |(
                    balance,
                    (mantissa, expo),
                    spread_bps,
                    haircut_bps,
                    (decimals, liquid),
                    max_w,
                    (ci, co),
                )| {
                    let price_lo = Price { mantissa, expo };
                    let price_hi = if spread_bps <= 100 {
                        Price {
                            mantissa: mantissa.saturating_add(mantissa / 10_000 * spread_bps),
                            expo,
                        }
                    } else {
                        Price {
                            mantissa: spread_bps,
                            expo,
                        }
                    };
                    RebalanceAsset {
                        input: AssetInput {
                            balance,
                            price_lo,
                            decimals,
                            haircut_bps,
                            liquid,
                            target_bps: 0,
                            max_weight_bps: max_w,
                        },
                        price_hi,
                        can_in: ci,
                        can_out: co,
                        buy_out: false,
                    }
                },
            )
            .boxed()
    }

    /// 1..=16 assets with targets summing to 10_000 (sometimes arbitrary targets).
    fn arb_fund() -> impl Strategy<Value = Vec<RebalanceAsset>> {
        prop_oneof![3 => Just(false), 1 => Just(true)]
            .prop_flat_map(|wild| {
                prop::collection::vec((arb_asset(wild), 0u32..=100, any::<u16>()), 1..=MAX_ASSETS)
            })
            .prop_flat_map(|v| {
                let total: u32 = v.iter().map(|x| x.1).sum();
                let n = v.len();
                let mut assigned = 0u32;
                let normal: Vec<RebalanceAsset> = v
                    .iter()
                    .enumerate()
                    .map(|(k, (a, raw, _))| {
                        let t = if k + 1 == n {
                            10_000 - assigned
                        } else {
                            (raw * 10_000).checked_div(total).unwrap_or(0)
                        };
                        assigned += t;
                        let mut a = *a;
                        a.input.target_bps = t as u16;
                        a
                    })
                    .collect();
                let wild: Vec<RebalanceAsset> = v
                    .iter()
                    .map(|(a, _, t)| {
                        let mut a = *a;
                        a.input.target_bps = *t;
                        a
                    })
                    .collect();
                prop_oneof![7 => Just(normal), 1 => Just(wild)]
            })
    }

    fn weights_of(assets: &[RebalanceAsset], nd: u8) -> Result<Weights, MathError> {
        let inputs: Vec<_> = assets.iter().map(|a| a.input).collect();
        compute(&inputs, nd)
    }

    /// One random fill: a fund, a pair, an amount and the parameters.
    #[derive(Clone, Debug)]
    struct Case {
        assets: Vec<RebalanceAsset>,
        nd: u8,
        i: usize,
        o: usize,
        amount_in: u64,
        premium: u16,
        min_liquid: u16,
        band: u16,
        /// `cap_in` for `max_fill`: `amount_in` (at least 1) or `u64::MAX`.
        cap: u64,
    }

    /// Picks an (in, out) pair, when `smart` from the under/over masks (and, mostly, among
    /// the enabled assets), and an amount: raw, or a log-uniform fraction of the amount of
    /// `i` worth the whole NAV.
    fn make_case(
        assets: Vec<RebalanceAsset>,
        nd: u8,
        (x, y, smart, enabled): (prop::sample::Index, prop::sample::Index, bool, bool),
        (mode, raw, frac, shift): (u8, u64, u128, u32),
        (premium, min_liquid, band): (u16, u16, u16),
        capped: bool,
    ) -> Case {
        let n = assets.len();
        let (mut i, mut o) = (x.index(n), y.index(n));
        let w = weights_of(&assets, nd);
        if let (true, Ok(w)) = (smart, &w) {
            let (over, under) = imbalance_masks(w, &assets, band).unwrap();
            let pick = |mask: u16, ok: &dyn Fn(&RebalanceAsset) -> bool| -> Vec<usize> {
                let all: Vec<usize> = (0..n).filter(|k| mask >> k & 1 == 1).collect();
                let good: Vec<usize> = all.iter().copied().filter(|&k| ok(&assets[k])).collect();
                if enabled && !good.is_empty() {
                    good
                } else {
                    all
                }
            };
            let unders = pick(under, &|a| a.can_in);
            let overs = pick(over, &|a| a.can_out);
            if !unders.is_empty() && !overs.is_empty() {
                (i, o) = (*x.get(&unders), *y.get(&overs));
            }
        }
        let amount_in = match (mode, &w) {
            (0, _) | (1, Err(_)) => raw,
            (1, Ok(_)) => raw % 1_000_000,
            (_, Ok(w)) => {
                let p = assets[i].input;
                let unit =
                    amount_for_value_ceil(w.nav, p.price_lo, p.decimals, nd).unwrap_or(u64::MAX);
                u64::try_from((u128::from(unit) * frac) >> shift).unwrap_or(u64::MAX)
            }
            (_, Err(_)) => raw % 1_000_000_000_000,
        };
        Case {
            assets,
            nd,
            i,
            o,
            amount_in,
            premium,
            min_liquid,
            band,
            cap: if capped { amount_in.max(1) } else { u64::MAX },
        }
    }

    fn arb_case() -> impl Strategy<Value = Case> {
        (
            arb_fund(),
            prop_oneof![3 => Just(6u8), 1 => 0u8..=18],
            (
                any::<prop::sample::Index>(),
                any::<prop::sample::Index>(),
                prop::bool::weighted(0.9),
                prop::bool::weighted(0.8),
            ),
            (0u8..=3, any::<u64>(), 0u128..=1_024, 10u32..=30),
            (
                prop_oneof![3 => 0u16..=1_000, 1 => any::<u16>()],
                prop_oneof![Just(0u16), 0u16..=10_000],
                prop_oneof![4 => 0u16..=300, 2 => 0u16..=2_000, 1 => any::<u16>()],
            ),
            any::<bool>(),
        )
            .prop_map(|(assets, nd, pair, amount, params, capped)| {
                make_case(assets, nd, pair, amount, params, capped)
            })
    }

    /// Every property of an accepted fill, with the reference arithmetic.
    #[allow(clippy::too_many_arguments)]
    fn assert_accepted(
        assets: &[RebalanceAsset],
        i: usize,
        o: usize,
        amount_in: u64,
        q: &FillQuote,
        min_liquid: u16,
        band: u16,
        nd: u8,
        b: &Weights,
        a: &Weights,
    ) -> Result<(), TestCaseError> {
        let mut after = assets.to_vec();
        after[i].input.balance += amount_in;
        after[o].input.balance -= q.amount_out;
        prop_assert_eq!(b, &weights_of(assets, nd).unwrap());
        prop_assert_eq!(a, &weights_of(&after, nd).unwrap());
        let ten_k = Nat::from(10_000);
        let x = |w: &Weights, k: usize| Nat::from(w.values[k]).mul(ten_k);
        let t = |k: usize| assets[k].input.target_bps as u128;
        // eligibility before, targets after
        prop_assert!(x(b, o) > Nat::m(b.nav, t(o)));
        prop_assert!(x(b, i) < Nat::m(b.nav, t(i)));
        prop_assert!(
            x(b, o) > Nat::m(b.nav, t(o) + band as u128)
                || (t(i) > band as u128 && x(b, i) < Nat::m(b.nav, t(i) - band as u128))
        );
        prop_assert!(x(a, o) >= Nat::m(a.nav, t(o)));
        prop_assert!(x(a, i) <= Nat::m(a.nav, t(i)));
        // distance strictly decreases
        let dist = |w: &Weights| {
            (0..assets.len()).fold(Nat::from(0), |s, k| {
                s.add(x(w, k).abs_diff(Nat::m(w.nav, t(k))))
            })
        };
        prop_assert!(a.nav > 0);
        prop_assert!(dist(a).mul(Nat::from(b.nav)) < dist(b).mul(Nat::from(a.nav)));
        // liquidity
        let liq =
            |w: &Weights| Nat::from(w.liquid_value).mul(ten_k) >= Nat::m(w.nav, min_liquid as u128);
        prop_assert!(
            liq(a) || (!liq(b) && Nat::m(a.liquid_value, b.nav) >= Nat::m(b.liquid_value, a.nav))
        );
        // concentration
        let excess = |w: &Weights| {
            (0..assets.len())
                .filter_map(|k| {
                    let cap = Nat::m(w.nav, assets[k].input.max_weight_bps as u128);
                    (x(w, k) > cap).then(|| x(w, k).sub(cap))
                })
                .max()
        };
        if let Some(ea) = excess(a) {
            let eb = excess(b);
            prop_assert!(eb.is_some());
            prop_assert!(ea.mul(Nat::from(b.nav)) <= eb.unwrap().mul(Nat::from(a.nav)));
        }
        // value
        prop_assert!(Nat::from(a.nav).add(Nat::from(q.premium_value)) >= Nat::from(b.nav));
        prop_assert_eq!(q.premium_value, q.value_out - q.value_in);
        Ok(())
    }

    /// Largest NAV before or after the fill (0 where it cannot be computed).
    fn nav_scale(
        assets: &[RebalanceAsset],
        i: usize,
        o: usize,
        amount_in: u64,
        q: &FillQuote,
        nd: u8,
    ) -> u128 {
        let before = weights_of(assets, nd).map_or(0, |w| w.nav);
        let mut after = assets.to_vec();
        let moved = i < after.len() && o < after.len() && {
            let bi = after[i].input.balance.checked_add(amount_in);
            let bo = after[o].input.balance.checked_sub(q.amount_out);
            match (bi, bo) {
                (Some(bi), Some(bo)) => {
                    after[i].input.balance = bi;
                    after[o].input.balance = bo;
                    true
                }
                _ => false,
            }
        };
        let after = if moved {
            weights_of(&after, nd).map_or(0, |w| w.nav)
        } else {
            0
        };
        before.max(after)
    }

    /// `check_fill` agrees with the reference, except that its exact sums are limited to
    /// `u128`: an `Overflow` is allowed only where the reference got past check 5, and only
    /// with a NAV of at least 2^100.
    fn agrees_with_reference(
        got: &Result<FillCheck, FillError>,
        want: &Result<FillCheck, FillError>,
        nav_scale: u128,
    ) -> Result<(), TestCaseError> {
        if got == want {
            return Ok(());
        }
        prop_assert_eq!(got, &Err(FillError::Math(MathError::Overflow)));
        prop_assert!(matches!(
            want,
            Ok(_)
                | Err(FillError::ConcentrationBound
                    | FillError::DistanceNotReduced
                    | FillError::ValueBound)
        ));
        prop_assert!(nav_scale >= 1 << 100);
        Ok(())
    }

    /// How the engine answers a case (for the coverage check).
    fn outcome(c: &Case) -> String {
        match quote_fill(&c.assets, c.i, c.o, c.amount_in, c.premium, c.nd) {
            Err(e) => format!("quote {e:?}"),
            Ok(q) => match check_fill(
                &c.assets,
                c.i,
                c.o,
                c.amount_in,
                &q,
                c.min_liquid,
                c.band,
                c.nd,
            ) {
                Ok(_) => "accepted".into(),
                Err(e) => format!("{e:?}"),
            },
        }
    }

    /// The random cases are not vacuous: a good share is accepted, and refusals come from
    /// every stage of the checks.
    #[test]
    fn random_cases_reach_every_stage() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = arb_case();
        let mut seen = std::collections::BTreeMap::<String, u32>::new();
        let mut max_fill_inner = 0;
        for _ in 0..1_000 {
            let c = strategy.new_tree(&mut runner).unwrap().current();
            *seen.entry(outcome(&c)).or_default() += 1;
            let cap = c.cap;
            if let Some((a, _)) = max_fill(
                &c.assets,
                c.i,
                c.o,
                c.premium,
                c.min_liquid,
                c.band,
                c.nd,
                cap,
            ) {
                max_fill_inner += u32::from(a < cap);
            }
        }
        let count = |k: &str| seen.get(k).copied().unwrap_or(0);
        assert!(count("accepted") >= 200, "{seen:#?}");
        assert!(max_fill_inner >= 100, "{max_fill_inner} {seen:#?}");
        for k in [
            "InvalidPair",
            "InNotEnabled",
            "OutNotEnabled",
            "OutNotOverweight",
            "InNotUnderweight",
            "InsideBands",
            "ZeroAmountOut",
            "InsufficientBalance",
            "OutPushedBelowTarget",
            "InPushedAboveTarget",
            "LiquidityBound",
            "ConcentrationBound",
            "ValueBound",
        ] {
            assert!(count(k) > 0, "{k} never seen: {seen:#?}");
        }
    }

    proptest! {
        #[test]
        fn fills_never_panic_and_accepted_fills_keep_every_bound(c in arb_case()) {
            let Case { ref assets, nd, i, o, amount_in, premium, min_liquid, band, .. } = c;
            let Ok(q) = quote_fill(assets, i, o, amount_in, premium, nd) else {
                return Ok(());
            };
            prop_assert_eq!(q.premium_value, q.value_out - q.value_in);
            let got = check_fill(assets, i, o, amount_in, &q, min_liquid, band, nd);
            let want = reference_check(assets, i, o, amount_in, &q, min_liquid, band, nd);
            let scale = nav_scale(assets, i, o, amount_in, &q, nd);
            agrees_with_reference(&got, &want, scale)?;
            if let Ok(FillCheck { before: b, after: a, .. }) = &got {
                assert_accepted(assets, i, o, amount_in, &q, min_liquid, band, nd, b, a)?;
            }
        }

        #[test]
        fn max_fill_returns_a_passing_boundary(c in arb_case()) {
            let Case { ref assets, nd, i, o, premium, min_liquid, band, cap, .. } = c;
            if let Some((a, q)) = max_fill(assets, i, o, premium, min_liquid, band, nd, cap) {
                prop_assert!((1..=cap).contains(&a));
                prop_assert_eq!(q, quote_fill(assets, i, o, a, premium, nd).unwrap());
                let FillCheck { before: b, after: w, .. } =
                    check_fill(assets, i, o, a, &q, min_liquid, band, nd).unwrap();
                assert_accepted(assets, i, o, a, &q, min_liquid, band, nd, &b, &w)?;
                if a < cap {
                    let next = quote_fill(assets, i, o, a + 1, premium, nd)
                        .map_err(FillError::from)
                        .and_then(|q| check_fill(assets, i, o, a + 1, &q, min_liquid, band, nd));
                    prop_assert!(next.is_err());
                }
                // a fraction of the maximum passes too (the interval assumption) unless it
                // pays nothing
                let half = a / 2;
                if let Ok(hq) = quote_fill(assets, i, o, half, premium, nd) {
                    if hq.amount_out > 0 {
                        let r = check_fill(assets, i, o, half, &hq, min_liquid, band, nd);
                        let monotone_refusal = matches!(
                            r,
                            Err(FillError::OutPushedBelowTarget
                                | FillError::InPushedAboveTarget
                                | FillError::InsufficientBalance
                                | FillError::DistanceNotReduced)
                        );
                        prop_assert!(!monotone_refusal, "{:?}", r);
                    }
                }
            }
        }

        /// The NAV-loss proof of `quote_fill`: with price_lo <= price_hi the value bound never
        /// refuses, and the distance never fails once 1-4 pass.
        #[test]
        fn value_and_distance_bounds_follow_from_the_others(c in arb_case()) {
            let Case { mut assets, nd, i, o, amount_in, premium, band, .. } = c;
            for a in assets.iter_mut() {
                a.price_hi = Price {
                    mantissa: a.input.price_lo.mantissa.max(a.price_hi.mantissa),
                    expo: a.input.price_lo.expo,
                };
                a.input.max_weight_bps = u16::MAX;
            }
            let Ok(q) = quote_fill(&assets, i, o, amount_in, premium, nd) else {
                return Ok(());
            };
            let r = check_fill(&assets, i, o, amount_in, &q, 0, band, nd);
            prop_assert!(
                !matches!(r, Err(FillError::ValueBound | FillError::DistanceNotReduced)),
                "{:?}", r
            );
        }

        /// The native fast paths of the bound checks give exactly the 256-bit answers.
        #[test]
        fn fast_bound_terms_equal_the_wide_ones(
            value in prop_oneof![any::<u128>(), 0u128..=SMALL_OPERAND, 0u128..1_000_000],
            nav in prop_oneof![any::<u128>(), 0u128..=SMALL_OPERAND, 0u128..1_000_000],
            bps in any::<u16>(),
            c in arb_case(),
        ) {
            let used = mul_wide(value, u128::from(BPS_DENOMINATOR));
            let limit = mul_wide(nav, u128::from(bps));
            prop_assert_eq!(share_gap(value, nav, bps), (used.cmp(&limit), used.abs_diff(limit)));
            if let Ok(w) = weights_of(&c.assets, c.nd) {
                let inputs: Vec<AssetInput> = c.assets.iter().map(|a| a.input).collect();
                prop_assert_eq!(distance_num(&w, &inputs), distance_num_wide(&w, &inputs));
            }
        }

        #[test]
        fn wide_multiply_matches_reference(
            a in prop_oneof![any::<u128>(), any::<u64>().prop_map(u128::from), 0u128..1_000],
            b in prop_oneof![any::<u128>(), any::<u64>().prop_map(u128::from), 0u128..1_000],
            c in any::<u128>(),
            d in any::<u128>(),
        ) {
            let p = mul_wide(a, b);
            let two_128 = Big::from_u128(u128::MAX).add_one();
            prop_assert!(is_floor(p.hi, &Big::from_u128(a).mul_u128(b), &two_128));
            prop_assert_eq!(p.lo, a.wrapping_mul(b));
            prop_assert_eq!(p, mul_wide(b, a));
            // comparisons of products agree with the reference
            let big_ab = Big::from_u128(a).mul_u128(b);
            let big_cd = Big::from_u128(c).mul_u128(d);
            prop_assert_eq!(p.cmp(&mul_wide(c, d)), big_ab.cmp(&big_cd));
            prop_assert_eq!(cmp_ratio(a, d, c, b), big_ab.cmp(&big_cd));
            let bps = (d >> 100) as u16;
            prop_assert_eq!(
                cmp_share(a, c, u128::from(bps)),
                Big::from_u128(a).mul_u128(10_000).cmp(&Big::from_u128(c).mul_u128(u128::from(bps)))
            );
            // sums and differences agree with the independent Nat, itself checked against Big
            let q = mul_wide(c, d);
            prop_assert_eq!(Nat::u256(p), Nat::m(a, b));
            prop_assert_eq!(Nat::u256(p.abs_diff(q)), Nat::m(a, b).abs_diff(Nat::m(c, d)));
            match p.checked_add(q) {
                Some(s) => prop_assert_eq!(Nat::u256(s), Nat::m(a, b).add(Nat::m(c, d))),
                None => {
                    let top = Nat::u256(U256 { hi: u128::MAX, lo: u128::MAX });
                    prop_assert!(Nat::m(a, b).add(Nat::m(c, d)) > top);
                }
            }
            prop_assert_eq!(p.to_u128(), a.checked_mul(b));
        }
    }

    /// A retired asset (worth 0 to the fund, target 0) holding a balance can be bought out:
    /// as a buy-out it counts as over its band and NAV rises by what arrives; without the
    /// flag it is never over its target.
    #[test]
    fn a_buy_out_takes_a_retired_asset_for_an_underweight_one() {
        let mut assets = [usd(100, 5_000), usd(300, 5_000), usd(600, 0)];
        assets[2].input.price_lo = Price {
            mantissa: 0,
            expo: 0,
        };
        let q = quote_fill(&assets, 0, 2, 20 * USD, 10, 6).unwrap();
        assert_eq!(
            check_fill(&assets, 0, 2, 20 * USD, &q, 0, BAND, 6).map(|_| ()),
            Err(FillError::OutNotOverweight)
        );
        assets[2].buy_out = true;
        let c = check_fill(&assets, 0, 2, 20 * USD, &q, 0, BAND, 6).unwrap();
        assert_eq!(c.after.nav, c.before.nav + 20 * u128::from(USD));
        assert!(c.out_over_band && c.in_under_band);
        // the in-asset must be under its target
        assert_eq!(
            check_fill(&assets, 1, 2, 20 * USD, &q, 0, BAND, 6).map(|_| ()),
            Err(FillError::InNotUnderweight)
        );
        // the planner sees the pair and sync's masks put it over its band
        let w = compute(&inputs_of(&assets).unwrap()[..3], 6).unwrap();
        assert!(open_pairs(&w, &assets, BAND).any(|p| (p.i, p.o) == (0, 2)));
        assert_eq!(imbalance_masks(&w, &assets, BAND).unwrap().0 & 0b100, 0b100);
    }

    /// The planner prices with the pair's sale price: after a gap it finds the same largest
    /// delivery as at the upper bound (the bounds do not depend on the price paid) but pays
    /// out more for it, exactly what `quote_sale` pays.
    #[test]
    fn max_fill_priced_quotes_at_the_sale_price() {
        let assets = ninety_ten();
        let cap = 1_000 * USD;
        let plain = max_fill(&assets, 1, 0, 10, 0, BAND, 6, cap).unwrap();
        // asset 0 sold at 0.90 (its floor too), booked at 1.00
        let p90 = Price {
            mantissa: 90_000_000,
            expo: -8,
        };
        let cheaper = OutPricing {
            sale: p90,
            floor: Some(p90),
            lo: ONE,
        };
        let (a, q) = max_fill_priced(&assets, 1, 0, 10, &cheaper, 0, BAND, 6, cap).unwrap();
        assert_eq!(
            q,
            quote_sale(&assets[1].input, &cheaper, 6, a, 10, 6).unwrap()
        );
        assert!(check_fill(&assets, 1, 0, a, &q, 0, BAND, 6).is_ok());
        // each unit delivered buys about 1 / 0.9 units: less is delivered for as much out
        assert!(a < plain.0, "{a} vs {}", plain.0);
        assert!(q.premium_value > plain.1.premium_value);
        // and the plain pricing is exactly `max_fill`
        let at_hi = OutPricing {
            sale: ONE,
            floor: None,
            lo: ONE,
        };
        assert_eq!(
            max_fill_priced(&assets, 1, 0, 10, &at_hi, 0, BAND, 6, cap),
            Some(plain)
        );
    }

    /// A worked gap: upper 2.00, spot 1.30, 3 % discount, an hour-long auction.
    #[test]
    fn gap_clearing_at_the_start_halfway_and_the_end() {
        let p = |m| Price {
            mantissa: m,
            expo: -8,
        };
        let at = |t| {
            OutPricing::at(
                p(200_000_000),
                p(130_000_000),
                p(130_000_000),
                300,
                t,
                3_600,
            )
        };
        assert_eq!(at(0).sale, p(200_000_000));
        assert_eq!(at(0).floor, Some(p(126_100_000)));
        assert_eq!(at(1_800).sale, p(163_050_000));
        assert_eq!(at(3_600).sale, p(126_100_000));
        assert_eq!(at(100_000).sale, p(126_100_000), "holds at the floor");
        assert_eq!(at(-5).sale, p(200_000_000));
        // no discount, a floor at or above the upper bound, or no spot: the upper bound
        let plain = |o: OutPricing| o.floor.is_none() && o.sale == p(200_000_000);
        assert!(plain(OutPricing::at(
            p(200_000_000),
            p(1),
            p(1),
            0,
            3_600,
            3_600
        )));
        assert!(plain(OutPricing::at(
            p(200_000_000),
            p(1),
            p(300_000_000),
            300,
            3_600,
            3_600
        )));
        assert!(plain(OutPricing::at(
            p(200_000_000),
            p(1),
            p(0),
            300,
            3_600,
            3_600
        )));
        // 100 USDC (6 decimals) at the end: capped at the delivered value over the floor
        let usdc = AssetInput {
            price_lo: Price {
                mantissa: 1,
                expo: 0,
            },
            decimals: 6,
            ..AssetInput::default()
        };
        let q = quote_sale(&usdc, &at(3_600), 6, 100_000_000, 10, 6).unwrap();
        assert_eq!(q.amount_out, 79_302_141);
        // the booked loss at 1.30: ceil(79.302141 * 1.30) - 100 = 3.092784
        assert_eq!((q.value_in, q.value_out), (100_000_000, 103_092_784));
        assert_eq!(q.premium_value, 3_092_784);
    }

    proptest! {
        /// Gap clearing keeps its bounds for any prices, discount and time: the sale price
        /// stays within [floor, upper] and never rises with time; a quote never pays below the
        /// floor; its premium covers what NAV books as lost; without a floor it is exactly
        /// `quote_fill_from` at the upper bound.
        #[test]
        fn gap_clearing_quotes_keep_their_bounds(
            hi in 1u64..=1_000_000_000_000u64,
            lo_bps in 1u64..=10_000u64,
            spot_bps in 0u64..=12_000u64,
            discount in 0u16..=2_000u16,
            elapsed in -10i64..200_000i64,
            duration in 60u32..=100_000u32,
            amount_in in 1u64..=1_000_000_000_000u64,
            premium in 0u16..=1_000u16,
            in_price in 1u64..=1_000_000_000_000u64,
            dec_in in 0u8..=9u8,
            dec_out in 0u8..=9u8,
        ) {
            let p = |m| Price { mantissa: m, expo: -8 };
            let (hi_p, lo_p) = (p(hi), p((hi * lo_bps / 10_000).max(1)));
            let spot = p(((u128::from(hi) * u128::from(spot_bps)) / 10_000) as u64);
            let out = OutPricing::at(hi_p, lo_p, spot, discount, elapsed, duration);
            let next = OutPricing::at(hi_p, lo_p, spot, discount, elapsed.saturating_add(1), duration);
            prop_assert!(next.sale.mantissa <= out.sale.mantissa);
            prop_assert!(out.sale.mantissa <= hi);
            let a_in = AssetInput {
                price_lo: p(in_price),
                decimals: dec_in,
                ..AssetInput::default()
            };
            let Ok(q) = quote_sale(&a_in, &out, dec_out, amount_in, premium, 6) else {
                return Ok(());
            };
            prop_assert_eq!(q.premium_value, q.value_out - q.value_in);
            // what NAV books as lost is at most the premium
            let booked = value_ceil(q.amount_out, lo_p, dec_out, 6).unwrap();
            prop_assert!(booked <= q.value_out);
            match out.floor {
                Some(floor) => {
                    prop_assert!(floor.mantissa <= out.sale.mantissa);
                    // never below the floor: the amount out is worth at most value_in there
                    prop_assert!(value_floor(q.amount_out, floor, dec_out, 6, 0).unwrap() <= q.value_in);
                }
                None => {
                    prop_assert_eq!(out.sale, hi_p);
                    let plain = quote_fill_from(&a_in, hi_p, dec_out, amount_in, premium, 6).unwrap();
                    prop_assert_eq!(q, plain);
                }
            }
        }
    }
}
