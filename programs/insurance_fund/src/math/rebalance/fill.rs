//! Pricing a fill and the bounds every fill must pass (`check_fill`), one engine for
//! `rebalance` and flash fills.

use super::*;

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
    /// After the fill, `i` (the only asset it adds to) would be above its max weight.
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
pub(super) fn inputs_of(assets: &[RebalanceAsset]) -> Result<[AssetInput; MAX_ASSETS], MathError> {
    if assets.len() > MAX_ASSETS {
        return Err(MathError::TooManyAssets);
    }
    let mut out = [AssetInput::default(); MAX_ASSETS];
    for (slot, a) in out.iter_mut().zip(assets) {
        *slot = a.input;
    }
    Ok(out)
}

/// Numerator of the distance to targets over the denominator `nav`:
/// `S = sum_k |value_k * 10_000 - target_k * nav|`, so `D = S / nav` (in bps) exactly.
/// Each term is exact in 256 bits; `Overflow` if the sum does not fit `u128` (with targets
/// summing to 10,000 it is at most `20_000 * nav`, so not while `nav < 2^113`).
pub(super) fn distance_num(w: &Weights, assets: &[AssetInput]) -> Result<u128, MathError> {
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
pub(super) fn distance_num_wide(w: &Weights, assets: &[AssetInput]) -> Result<u128, MathError> {
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
/// 6. Concentration: after, `value_i * 10_000 <= max_weight_i * nav` (`ConcentrationBound`).
///    Only `i` gains value; every other share changes only with the NAV the fill costs, so
///    an asset already over its cap (draws shrank the NAV under it) does not block a fill
///    that does not add to it. (With targets as set `i` ends at most at its target, within
///    its cap; a crisis target may exceed the cap.)
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
    // an adapter: every check is `check_fill_inputs`'s
    let pair = fill_pair(assets, i, o)?;
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

/// The pair (`i` in, `o` out) with the keeper flags the assets carry; an index out of range
/// has no flags to read, so it is refused here, as `check_fill_inputs` would refuse it.
pub(super) fn fill_pair(
    assets: &[RebalanceAsset],
    i: usize,
    o: usize,
) -> Result<FillPair, FillError> {
    let (Some(a_in), Some(a_out)) = (assets.get(i), assets.get(o)) else {
        return Err(FillError::InvalidPair);
    };
    Ok(FillPair {
        i,
        o,
        can_in: a_in.can_in,
        can_out: a_out.can_out,
        buy_out: a_out.buy_out,
    })
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

/// `check_fill` on the assets' weights inputs and the pair's flags (for callers that hold
/// the assets in another form): the same checks in the same order, the same result. A
/// planner trying many amounts of one pair runs checks 1 and 2 once (`check_pair`,
/// `weights::compute`, `pair_eligible`) and `check_amount` for each amount.
pub fn check_fill_inputs(
    inputs: &[AssetInput],
    pair: FillPair,
    amount_in: u64,
    quote: &FillQuote,
    min_liquid_bps: u16,
    band_bps: u16,
    numeraire_decimals: u8,
) -> Result<FillCheck, FillError> {
    // 1. pair and flags
    check_pair(inputs, pair)?;
    // 2. eligibility before
    let before = compute(inputs, numeraire_decimals)?;
    let eligible = pair_eligible(inputs, pair, &before, band_bps)?;
    // 3 to 8
    check_amount(
        inputs,
        pair,
        &before,
        eligible,
        amount_in,
        quote,
        (min_liquid_bps, numeraire_decimals),
    )
}

/// Check 1 of `check_fill_inputs`: two different assets, `i` accepting deliveries and `o`
/// allowed out.
#[inline(always)]
pub fn check_pair(inputs: &[AssetInput], pair: FillPair) -> Result<(), FillError> {
    if pair.i == pair.o || inputs.get(pair.i).is_none() || inputs.get(pair.o).is_none() {
        return Err(FillError::InvalidPair);
    }
    if !pair.can_in {
        return Err(FillError::InNotEnabled);
    }
    if !pair.can_out {
        return Err(FillError::OutNotEnabled);
    }
    Ok(())
}

/// Check 2 of `check_fill_inputs` on the weights `before`: at least one side of the pair
/// beyond its band. Returns (`o` over its band, `i` under its band).
#[inline(always)]
pub fn pair_eligible(
    inputs: &[AssetInput],
    pair: FillPair,
    before: &Weights,
    band_bps: u16,
) -> Result<(bool, bool), FillError> {
    let FillPair { i, o, .. } = pair;
    let (Some(a_in), Some(a_out)) = (inputs.get(i), inputs.get(o)) else {
        return Err(FillError::InvalidPair);
    };
    if pair.buy_out {
        buy_out_eligibility(before, i, a_in.target_bps, band_bps)
    } else {
        pair_eligibility(before, i, o, a_in.target_bps, a_out.target_bps, band_bps)
    }
}

/// Checks 3 to 8 of `check_fill_inputs` for `amount_in` and its quote, given the weights
/// `before` and the pair's eligibility (`pair_eligible`); `(min_liquid_bps,
/// numeraire_decimals)` as the fund sets them.
#[inline(always)]
pub fn check_amount(
    inputs: &[AssetInput],
    pair: FillPair,
    before: &Weights,
    (out_over_band, in_under_band): (bool, bool),
    amount_in: u64,
    quote: &FillQuote,
    (min_liquid_bps, numeraire_decimals): (u16, u8),
) -> Result<FillCheck, FillError> {
    let FillPair { i, o, .. } = pair;
    let (Some(a_in), Some(a_out)) = (inputs.get(i), inputs.get(o)) else {
        return Err(FillError::InvalidPair);
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
    let after = with_values(before, inputs, &changes)?;
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

    // 6. concentration: the in-asset, the only one a fill adds to, ends within its cap.
    // Every other asset's share moves only with the NAV the fill costs (at most its premium,
    // check 8 and the premium budget); counting that would refuse every fill while any
    // asset stands over its cap, which draws cause in a crisis, when the one fill that
    // could lower a liquid asset (for another liquid one) is not allowed.
    let cap_i = u128::from(a_in.max_weight_bps);
    if cmp_share(value_at(&after, i)?, after.nav, cap_i) == Ordering::Greater {
        return Err(FillError::ConcentrationBound);
    }

    // 7. distance strictly decreases
    if after.nav == 0 {
        return Err(FillError::DistanceNotReduced);
    }
    let d_after = distance_num(&after, inputs)?;
    let d_before = distance_num(before, inputs)?;
    if cmp_ratio(d_after, after.nav, d_before, before.nav) != Ordering::Less {
        return Err(FillError::DistanceNotReduced);
    }

    // 8. value: exact, since a sum past u128::MAX exceeds nav_before anyway
    if after.nav.saturating_add(quote.premium_value) < before.nav {
        return Err(FillError::ValueBound);
    }
    Ok(FillCheck {
        before: *before,
        after,
        out_over_band,
        in_under_band,
    })
}
