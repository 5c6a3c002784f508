//! Exact comparisons of shares (256-bit cross products, no bps rounding) shared by the
//! band checks and the fill bounds.

use super::*;

/// Exactly compares `value * 10_000` with `bps * nav` (`bps` may exceed `u16`). When `bps`
/// fits `u16` (every target, band and their sum) this is `share_gap`'s comparison, on native
/// 64-bit products while value and NAV are below 2^48: the band checks run it for every asset
/// with a running auction clock.
#[inline(always)]
pub(super) fn cmp_share(value: u128, nav: u128, bps: u128) -> Ordering {
    match u16::try_from(bps) {
        Ok(bps) => share_gap(value, nav, bps).0,
        Err(_) => mul_wide(value, u128::from(BPS_DENOMINATOR)).cmp(&mul_wide(nav, bps)),
    }
}

/// Exactly compares the fractions `a_num / a_den` and `b_num / b_den` by cross-multiplying
/// (`a_num * b_den` vs `b_num * a_den`); meaningful for positive denominators. When every
/// term fits `u64` the two products are `u128`s (`mul_64`), compared without the 256-bit
/// form.
#[inline(always)]
pub(super) fn cmp_ratio(a_num: u128, a_den: u128, b_num: u128, b_den: u128) -> Ordering {
    const W: u128 = u64::MAX as u128;
    if a_num <= W && a_den <= W && b_num <= W && b_den <= W {
        // each term fits u64, so the truncations are exact
        return mul_64(a_num as u64, b_den as u64).cmp(&mul_64(b_num as u64, a_den as u64));
    }
    mul_wide(a_num, b_den).cmp(&mul_wide(b_num, a_den))
}

/// Over-weight: `value * 10_000 > (target + band) * nav`, exactly; never when `nav == 0`.
pub(super) fn is_over(value: u128, nav: u128, target_bps: u16, band_bps: u16) -> bool {
    // exact: the sum is < 2^17
    let limit = u128::from(target_bps).saturating_add(u128::from(band_bps));
    nav > 0 && cmp_share(value, nav, limit) == Ordering::Greater
}

/// Under-weight: `value * 10_000 < (target - band) * nav`, exactly; never when
/// `target <= band` or `nav == 0`.
pub(super) fn is_under(value: u128, nav: u128, target_bps: u16, band_bps: u16) -> bool {
    match target_bps.checked_sub(band_bps) {
        Some(limit) if limit > 0 && nav > 0 => {
            cmp_share(value, nav, u128::from(limit)) == Ordering::Less
        }
        _ => false,
    }
}

/// `w.values[k]`, or `InvalidPair` if `k` is out of range (callers have checked it already).
pub(super) fn value_at(w: &Weights, k: usize) -> Result<u128, FillError> {
    w.values.get(k).copied().ok_or(FillError::InvalidPair)
}

/// `(x * 10_000).cmp(&(nav * bps))` and `|x * 10_000 - nav * bps|`, exactly. On native
/// 64-bit arithmetic when value and NAV are below 2^48 (about 2.8 * 10^14 atoms), else
/// on the 256-bit products: the same answer either way.
#[inline(always)]
pub(super) fn share_gap(value: u128, nav: u128, bps: u16) -> (Ordering, U256) {
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
