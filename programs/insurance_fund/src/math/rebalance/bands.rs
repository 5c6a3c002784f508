//! Over/under-weight detection against targets and bands, and which pairs may fill.

use super::*;

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
/// `imbalance_masks`). Both sides from one `value * 10_000` on native 64-bit products when
/// value and NAV are below 2^48 and `target + band` fits `u16` (every settled clock of a fund
/// in crisis runs this); else `is_over` and `is_under`, the same answers.
pub fn band_state(value: u128, nav: u128, target_bps: u16, band_bps: u16) -> (bool, bool) {
    let upper = u32::from(target_bps) + u32::from(band_bps);
    if nav > 0 && value <= SMALL_OPERAND && nav <= SMALL_OPERAND && upper <= u32::from(u16::MAX) {
        // value * 10^4 < 2^62; nav * upper and nav * lower < 2^48 * 2^16: all fit u64, and
        // the truncations are exact
        let used = (value as u64).wrapping_mul(u64::from(BPS_DENOMINATOR));
        let nav = nav as u64;
        let over = used > nav.wrapping_mul(u64::from(upper));
        let under = match target_bps.checked_sub(band_bps) {
            Some(lower) if lower > 0 => used < nav.wrapping_mul(u64::from(lower)),
            _ => false,
        };
        return (over, under);
    }
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
