//! Token amounts to numeraire value and back, exactly, with the rounding direction in each
//! function's name.
//!
//! Every result here is the exact rational result rounded once, in the named direction: no
//! intermediate rounding, and no spurious overflow from an intermediate product when the final
//! result fits (each overflow path carries a short proof that the true result does not fit).
//! No floats, no heap, no panics.

use super::wide::{div_pow10_floor, mul_64, mul_div_pow10_floor, Wide, POW10};
use crate::constants::BPS_DENOMINATOR;
use crate::error::FundError;

/// Error of the pure math.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathError {
    /// The exact result does not fit the return type (or a divisor is zero, i.e. the result
    /// is unbounded). Maps to `FundError::MathOverflow`.
    Overflow,
    /// A bps argument that must be within `0..=10_000` is not (only `haircut_bps`).
    /// Maps to `FundError::HaircutTooHigh`.
    InvalidBps,
    /// More than `MAX_ASSETS` assets were given. Maps to `FundError::TooManyAssets`.
    TooManyAssets,
}

impl From<MathError> for anchor_lang::error::Error {
    fn from(e: MathError) -> Self {
        match e {
            MathError::Overflow => FundError::MathOverflow.into(),
            MathError::InvalidBps => FundError::HaircutTooHigh.into(),
            MathError::TooManyAssets => FundError::TooManyAssets.into(),
        }
    }
}

/// A price: one whole token = `mantissa * 10^expo` whole numeraire units (the Pyth
/// convention). `expo` is typically `-12..=0`; any `i32` is accepted, and a power of ten that
/// does not fit is handled exactly (it either floors the result to 0 or is an overflow).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Price {
    pub mantissa: u64,
    pub expo: i32,
}

/// `10^n`, or `None` when it exceeds `u128` (`n >= 39`).
fn pow10(n: u32) -> Option<u128> {
    POW10.get(usize::try_from(n).ok()?).copied()
}

/// Largest `u64` below 2^32: divisors up to it take the native short-division path.
const MAX_SHORT_DIVISOR: u64 = 0xffff_ffff;

/// Splits a signed decimal exponent into `(is_non_negative, magnitude)`. Magnitudes beyond
/// `u32` saturate to `u32::MAX`, which is as good as exact: `10^n` overflows `u128` for every
/// `n >= 39` and every caller treats any such power identically.
fn split_exponent(e: i64) -> (bool, u32) {
    let magnitude = u32::try_from(e.unsigned_abs()).unwrap_or(u32::MAX);
    (e >= 0, magnitude)
}

/// Decimal exponent of one token atom's price in numeraire atoms:
/// `expo + numeraire_decimals - token_decimals`. In `i64` the magnitude stays below
/// `2^31 + 2^8`, so the saturating operations never actually saturate.
fn atom_exponent(expo: i32, token_decimals: u8, numeraire_decimals: u8) -> i64 {
    i64::from(expo)
        .saturating_add(i64::from(numeraire_decimals))
        .saturating_sub(i64::from(token_decimals))
}

/// `floor(x * y / d)`, exact: `result <= x*y/d < result + 1`.
///
/// Works for every `x`, even when `x * y` exceeds `u128`. Errors with `Overflow` only when
/// `d == 0` or the exact result exceeds `u128::MAX`.
pub fn mul_div_floor(x: u128, y: u16, d: u128) -> Result<u128, MathError> {
    // Fast paths, exact like the general one: a divisor below 2^32 divides the 192-bit
    // product natively; a 64-bit product over a 64-bit divisor is one native division.
    if let Ok(d64) = u64::try_from(d) {
        if d64 != 0 && d64 <= MAX_SHORT_DIVISOR {
            let (q, _) = Wide::mul_u128_u64(x, u64::from(y))
                .div_rem_small(d64)
                .ok_or(MathError::Overflow)?;
            return q.to_u128().ok_or(MathError::Overflow);
        }
        if let Ok(x64) = u64::try_from(x) {
            if let Ok(p) = u64::try_from(mul_64(x64, u64::from(y))) {
                // d64 > 2^32 here, so the division cannot fail
                return p
                    .checked_div(d64)
                    .map(u128::from)
                    .ok_or(MathError::Overflow);
            }
        }
    }
    mul_div_floor_general(x, y, d)
}

/// `mul_div_floor` on `u128` arithmetic (software routines on SBF), for any operands.
fn mul_div_floor_general(x: u128, y: u16, d: u128) -> Result<u128, MathError> {
    let q = x.checked_div(d).ok_or(MathError::Overflow)?;
    let r = x.checked_rem(d).ok_or(MathError::Overflow)?;
    // x*y/d = q*y + r*y/d with r < d, so floor(x*y/d) = q*y + floor(r*y/d) and the second
    // term is < y. If q*y overflows, the result (>= q*y) does not fit.
    let high = q.checked_mul(u128::from(y)).ok_or(MathError::Overflow)?;
    let low = match r.checked_mul(u128::from(y)) {
        Some(ry) => ry.checked_div(d).ok_or(MathError::Overflow)?,
        None => frac_mul_floor(r, y, d)?,
    };
    high.checked_add(low).ok_or(MathError::Overflow)
}

/// `floor(r * y / d)` for `r < d`, without forming `r * y` (used only when that product
/// exceeds `u128`). Binary long multiplication over the 16 bits of `y`, keeping the running
/// product `r * prefix(y)` as `quot * d + rem` with `rem < d`; `quot < y < 2^16` throughout.
fn frac_mul_floor(r: u128, y: u16, d: u128) -> Result<u128, MathError> {
    let ovf = MathError::Overflow;
    let mut quot: u128 = 0;
    let mut rem: u128 = 0;
    for bit in (0..16).rev() {
        // (quot, rem) *= 2
        quot = quot.checked_mul(2).ok_or(ovf)?;
        let gap = d.checked_sub(rem).ok_or(ovf)?; // > 0 since rem < d
        if rem >= gap {
            rem = rem.checked_sub(gap).ok_or(ovf)?; // rem + rem - d, without overflow
            quot = quot.checked_add(1).ok_or(ovf)?;
        } else {
            rem = rem.checked_add(rem).ok_or(ovf)?;
        }
        // (quot, rem) += r when this bit of y is set
        if y.checked_shr(bit).ok_or(ovf)? & 1 == 1 {
            let gap = d.checked_sub(r).ok_or(ovf)?; // > 0 since r < d
            if rem >= gap {
                rem = rem.checked_sub(gap).ok_or(ovf)?; // rem + r - d
                quot = quot.checked_add(1).ok_or(ovf)?;
            } else {
                rem = rem.checked_add(r).ok_or(ovf)?;
            }
        }
    }
    Ok(quot)
}

/// `ceil(x / d)`; `Overflow` when `d == 0`.
fn div_ceil(x: u128, d: u128) -> Result<u128, MathError> {
    let q = x.checked_div(d).ok_or(MathError::Overflow)?;
    let r = x.checked_rem(d).ok_or(MathError::Overflow)?;
    if r == 0 {
        Ok(q)
    } else {
        q.checked_add(1).ok_or(MathError::Overflow)
    }
}

/// Numeraire atoms that `amount` token atoms are worth at `price` after a haircut of
/// `haircut_bps`, rounded down:
///
/// `floor(amount * mantissa * (10_000 - haircut_bps) * 10^(expo + numeraire_decimals - token_decimals) / 10_000)`
///
/// Rounding bound: exact (one rounding only): `exact - 1 < result <= exact`.
///
/// Errors: `InvalidBps` if `haircut_bps > 10_000`; `Overflow` only if the exact result
/// exceeds `u128::MAX` (intermediate products never cause a spurious error). A zero amount,
/// zero mantissa or 100 % haircut is worth 0 whatever the exponent. Realistic extremes fit:
/// `u64::MAX` atoms of an 8-decimal token at 100,000.00000000 (mantissa `10^13`, expo -8) into
/// a 6-decimal numeraire is about `1.8e22`.
#[inline(always)]
pub fn value_floor(
    amount: u64,
    price: Price,
    token_decimals: u8,
    numeraire_decimals: u8,
    haircut_bps: u16,
) -> Result<u128, MathError> {
    let keep_bps = BPS_DENOMINATOR
        .checked_sub(haircut_bps)
        .ok_or(MathError::InvalidBps)?;
    if amount == 0 || price.mantissa == 0 || keep_bps == 0 {
        return Ok(0);
    }
    // Fold the bps denominator into the decimal exponent:
    // value = amount * mantissa * keep_bps * 10^e.
    let e = atom_exponent(price.expo, token_decimals, numeraire_decimals).saturating_sub(4);
    let (non_negative, magnitude) = split_exponent(e);
    // amount * mantissa on one native multiplication when it fits u64 (amount > 0 here,
    // and one native division tells)
    let fits = price.mantissa <= u64::MAX / amount;
    if !non_negative {
        // e < 0: value = floor(amount * mantissa * keep / 10^z) with z = -e
        if fits {
            let a = u128::from(amount.wrapping_mul(price.mantissa));
            if let Some(v) = value_floor_native(a, keep_bps, magnitude) {
                return Ok(v);
            }
        } else if let Some(v) = value_floor_short(amount, price.mantissa, keep_bps, magnitude) {
            return Ok(v);
        }
    }
    // (2^64 - 1)^2 < 2^128: this product always fits
    let atoms_times_mantissa = if fits {
        u128::from(amount.wrapping_mul(price.mantissa))
    } else {
        mul_64(amount, price.mantissa)
    };
    if non_negative {
        // The numerator is >= 1, so if 10^e does not fit, neither does the value; likewise
        // each checked product below fails only if the value (>= that product) does not fit.
        let scale = pow10(magnitude).ok_or(MathError::Overflow)?;
        return atoms_times_mantissa
            .checked_mul(u128::from(keep_bps))
            .and_then(|v| v.checked_mul(scale))
            .ok_or(MathError::Overflow);
    }
    value_floor_wide(atoms_times_mantissa, keep_bps, magnitude)
}

/// Numeraire atoms that `amount` token atoms are worth at `price` (no haircut), rounded up:
/// `ceil(amount * mantissa * 10^(expo + numeraire_decimals - token_decimals))`.
///
/// Rounding bound: `exact <= result < exact + 1`. Used to credit what the fund pays out, so a
/// claimant's remaining claim falls by at least the value it received.
///
/// Errors with `Overflow` only if the exact result exceeds `u128::MAX`.
#[inline(always)]
pub fn value_ceil(
    amount: u64,
    price: Price,
    token_decimals: u8,
    numeraire_decimals: u8,
) -> Result<u128, MathError> {
    if amount == 0 || price.mantissa == 0 {
        return Ok(0);
    }
    // (2^64 - 1)^2 < 2^128: the product always fits
    let a = mul_64(amount, price.mantissa);
    let (non_negative, z) = split_exponent(atom_exponent(
        price.expo,
        token_decimals,
        numeraire_decimals,
    ));
    if non_negative {
        // a whole multiple: exact (a >= 1, so if 10^z does not fit, neither does the value)
        let scale = pow10(z).ok_or(MathError::Overflow)?;
        return a.checked_mul(scale).ok_or(MathError::Overflow);
    }
    let Some(d) = pow10(z) else {
        // 10^z > u128::MAX >= a > 0: a positive fraction of one numeraire atom
        return Ok(1);
    };
    // ceil(a / 10^z): in native 64-bit steps when 10^z fits u64 (z <= 19, the usual case),
    // else on u128 arithmetic
    let native = match (u64::try_from(a), u64::try_from(d)) {
        // both fit u64: one native division and remainder
        (Ok(a), Ok(d)) => Some((
            u128::from(a.checked_div(d).unwrap_or(0)),
            a.checked_rem(d) != Some(0),
        )),
        (_, Ok(d)) => Wide::from_u128(a)
            .div_rem_small(d)
            .and_then(|(q, r)| Some((q.to_u128()?, r != 0))),
        _ => None,
    };
    let (q, r) = match native {
        Some(qr) => qr,
        None => (
            a.checked_div(d).ok_or(MathError::Overflow)?,
            a.checked_rem(d).ok_or(MathError::Overflow)? != 0,
        ),
    };
    if r {
        q.checked_add(1).ok_or(MathError::Overflow)
    } else {
        Ok(q)
    }
}

/// `floor(a * keep / 10^z)` for any operands: `N = a * keep < 2^142` is exact in 192 bits and
/// is divided by `10^z` in native steps (`floor(floor(N / A) / B) = floor(N / (A * B))` for
/// positive integers `A`, `B`). `Overflow` when the result exceeds `u128`.
fn value_floor_wide(a: u128, keep: u16, z: u32) -> Result<u128, MathError> {
    let n = Wide::mul_u128_u64(a, u64::from(keep));
    div_pow10_floor(n, z).to_u128().ok_or(MathError::Overflow)
}

/// `floor(amount * mantissa * keep / 10^z)` when `amount * mantissa` passed 64 bits (a
/// realistic fund: 10^12 atoms at a Pyth mantissa of 10^8), for `mantissa <= u64::MAX / 10^4`
/// and `keep <= 10^4` (so `mantissa * keep` fits u64) and the cases `mul_div_pow10_floor`
/// answers; `None` otherwise (the wide path gives the same result).
#[inline(always)]
fn value_floor_short(amount: u64, mantissa: u64, keep: u16, z: u32) -> Option<u128> {
    const LIMIT: u64 = u64::MAX / BPS_DENOMINATOR as u64;
    if keep > BPS_DENOMINATOR || mantissa > LIMIT {
        return None;
    }
    // mantissa <= u64::MAX / 10^4 and keep <= 10^4: the product fits
    mul_div_pow10_floor(amount, mantissa.wrapping_mul(u64::from(keep)), z)
}

/// Exact `value * 10^j / mantissa` numerator for a negative atom exponent `-j`, or the proof
/// that the amount does not fit `u64`: if `10^j` or `value * 10^j` exceeds `u128`, then with
/// `value >= 1` and `mantissa < 2^64` the quotient is `> 2^128 / 2^64 = 2^64 > u64::MAX`.
fn scaled_value(value: u128, magnitude: u32) -> Result<u128, MathError> {
    pow10(magnitude)
        .and_then(|scale| value.checked_mul(scale))
        .ok_or(MathError::Overflow)
}

/// `floor(a * keep / 10^z)` on native 64-bit arithmetic when `a < 2^64`, `1 <= z <= 19` and
/// no step overflows `u64` (tokens and numeraire of usual decimals at Pyth-style exponents:
/// for `5 <= z <= 15` no step can overflow); `None` otherwise (the caller's general path gives
/// the same result).
///
/// With `D = 10^z`, `a = q * D + r` (`r < D`): `a * keep / D = q * keep + r * keep / D` and
/// `q * keep` is an integer, so `floor(a * keep / D) = q * keep + floor(r * keep / D)`
/// exactly. Bounds for `5 <= z <= 15`: `q < 2^64 / 10^5 < 2^48` and `keep <= 10^4 < 2^14`, so
/// `q * keep < 2^62`; `r * keep < 10^15 * 10^4 < 2^64`; their sum `< 2^63`.
#[inline(always)]
fn value_floor_native(a: u128, keep: u16, z: u32) -> Option<u128> {
    let a = u64::try_from(a).ok()?;
    if !(1..=19).contains(&z) || keep > BPS_DENOMINATOR {
        return None;
    }
    let d = u64::try_from(*POW10.get(usize::try_from(z).ok()?)?).ok()?;
    let (q, r) = (a.checked_div(d)?, a.checked_rem(d)?);
    // Bounds instead of `checked_mul` (a u64 overflow check is a software 128-bit product on
    // SBF): with q, r <= u64::MAX / 10^4 and keep <= 10^4 neither product overflows.
    const LIMIT: u64 = u64::MAX / BPS_DENOMINATOR as u64;
    if q > LIMIT || r > LIMIT {
        return None;
    }
    let keep = u64::from(keep);
    let v = q
        .wrapping_mul(keep)
        .checked_add(r.wrapping_mul(keep).checked_div(d)?)?;
    Some(u128::from(v))
}

/// `value * 10^magnitude` divided by `mantissa` on native arithmetic: `Some((quotient,
/// remainder != 0))` when `10^magnitude` fits `u64` and `0 < mantissa < 2^32` (the common
/// Pyth and fixed prices); `None` sends the caller to the general `u128` path, which gives
/// the same result.
fn scaled_quotient_short(value: u128, magnitude: u32, mantissa: u64) -> Option<(Wide, bool)> {
    let scale = u64::try_from(pow10(magnitude)?).ok()?;
    let (q, r) = Wide::mul_u128_u64(value, scale).div_rem_small(mantissa)?;
    Some((q, r != 0))
}

/// The largest token amount whose exact value at `price` (no haircut) is `<= value` numeraire
/// atoms: `floor(value / (mantissa * 10^(expo + numeraire_decimals - token_decimals)))`,
/// computed exactly. Used to size payouts: the fund pays at most `value`.
///
/// Rounding bound: `result * unit_price <= value < (result + 1) * unit_price`, hence
/// `value_floor(result, price, .., 0) <= value`.
///
/// Errors with `Overflow` when `mantissa == 0` (every amount is worth 0, the answer is
/// unbounded) or the exact result exceeds `u64::MAX`.
pub fn amount_for_value_floor(
    value: u128,
    price: Price,
    token_decimals: u8,
    numeraire_decimals: u8,
) -> Result<u64, MathError> {
    if price.mantissa == 0 {
        return Err(MathError::Overflow);
    }
    if value == 0 {
        return Ok(0);
    }
    let mantissa = u128::from(price.mantissa);
    let k = atom_exponent(price.expo, token_decimals, numeraire_decimals);
    let (non_negative, magnitude) = split_exponent(k);
    let amount = if non_negative {
        match pow10(magnitude).and_then(|s| s.checked_mul(mantissa)) {
            Some(unit) => value.checked_div(unit).ok_or(MathError::Overflow)?,
            // One atom is worth more than u128::MAX >= value.
            None => 0,
        }
    } else if let Some((q, _)) = scaled_quotient_short(value, magnitude, price.mantissa) {
        q.to_u128().ok_or(MathError::Overflow)?
    } else {
        scaled_value(value, magnitude)?
            .checked_div(mantissa)
            .ok_or(MathError::Overflow)?
    };
    u64::try_from(amount).map_err(|_| MathError::Overflow)
}

/// The smallest token amount whose exact value at `price` (no haircut) is `>= value`
/// numeraire atoms: `ceil(value / (mantissa * 10^(expo + numeraire_decimals - token_decimals)))`,
/// computed exactly. Used for what the fund must receive.
///
/// Rounding bound: `(result - 1) * unit_price < value <= result * unit_price`, hence
/// `value_floor(result, price, .., 0) >= value`.
///
/// Errors with `Overflow` when `mantissa == 0` or the exact result exceeds `u64::MAX`.
pub fn amount_for_value_ceil(
    value: u128,
    price: Price,
    token_decimals: u8,
    numeraire_decimals: u8,
) -> Result<u64, MathError> {
    if price.mantissa == 0 {
        return Err(MathError::Overflow);
    }
    if value == 0 {
        return Ok(0);
    }
    let mantissa = u128::from(price.mantissa);
    let k = atom_exponent(price.expo, token_decimals, numeraire_decimals);
    let (non_negative, magnitude) = split_exponent(k);
    let amount = if non_negative {
        match pow10(magnitude).and_then(|s| s.checked_mul(mantissa)) {
            Some(unit) => div_ceil(value, unit)?,
            // One atom is worth more than u128::MAX >= value > 0.
            None => 1,
        }
    } else if let Some((q, inexact)) = scaled_quotient_short(value, magnitude, price.mantissa) {
        let q = q.to_u128().ok_or(MathError::Overflow)?;
        if inexact {
            q.checked_add(1).ok_or(MathError::Overflow)?
        } else {
            q
        }
    } else {
        // ceil >= floor > u64::MAX on the error path of scaled_value.
        div_ceil(scaled_value(value, magnitude)?, mantissa)?
    };
    u64::try_from(amount).map_err(|_| MathError::Overflow)
}

/// Exact big-integer reference for tests (here and in `weights`).
#[cfg(test)]
pub(crate) mod reference {
    use super::Price;
    use core::cmp::Ordering;

    const LIMBS: usize = 24;

    /// Unsigned integer of 24 * 64 = 1536 bits, little-endian limbs. Panics on overflow.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Big([u64; LIMBS]);

    impl Big {
        pub fn from_u128(x: u128) -> Self {
            let mut l = [0u64; LIMBS];
            l[0] = x as u64;
            l[1] = (x >> 64) as u64;
            Big(l)
        }

        pub fn mul(&self, o: &Big) -> Big {
            let mut r = [0u128; 2 * LIMBS];
            for i in 0..LIMBS {
                let mut carry = 0u128;
                for j in 0..LIMBS {
                    let t = r[i + j] + self.0[i] as u128 * o.0[j] as u128 + carry;
                    r[i + j] = t & u64::MAX as u128;
                    carry = t >> 64;
                }
                r[i + LIMBS] += carry;
            }
            assert!(r[LIMBS..].iter().all(|&x| x == 0), "reference overflow");
            let mut out = [0u64; LIMBS];
            for (o, x) in out.iter_mut().zip(r.iter()) {
                *o = *x as u64;
            }
            Big(out)
        }

        pub fn mul_u128(&self, x: u128) -> Big {
            self.mul(&Big::from_u128(x))
        }

        pub fn pow10(n: u32) -> Big {
            let mut b = Big::from_u128(1);
            for _ in 0..n {
                b = b.mul_u128(10);
            }
            b
        }
    }

    impl PartialOrd for Big {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    impl Ord for Big {
        fn cmp(&self, other: &Self) -> Ordering {
            self.0.iter().rev().cmp(other.0.iter().rev())
        }
    }

    /// The exact value of `value_floor`'s formula as the fraction `num / den`.
    pub fn exact_value(
        amount: u64,
        price: Price,
        token_decimals: u8,
        numeraire_decimals: u8,
        haircut_bps: u16,
    ) -> (Big, Big) {
        let e = price.expo as i64 + numeraire_decimals as i64 - token_decimals as i64 - 4;
        let num = Big::from_u128(amount as u128)
            .mul_u128(price.mantissa as u128)
            .mul_u128(10_000 - haircut_bps as u128);
        if e >= 0 {
            (num.mul(&Big::pow10(e as u32)), Big::from_u128(1))
        } else {
            (num, Big::pow10((-e) as u32))
        }
    }

    /// `(num, den)` with `amount * mantissa * 10^k = num / den`, i.e. one atom's exact value
    /// is `unit_num / unit_den`.
    pub fn unit_value(price: Price, token_decimals: u8, numeraire_decimals: u8) -> (Big, Big) {
        let k = price.expo as i64 + numeraire_decimals as i64 - token_decimals as i64;
        let m = Big::from_u128(price.mantissa as u128);
        if k >= 0 {
            (m.mul(&Big::pow10(k as u32)), Big::from_u128(1))
        } else {
            (m, Big::pow10((-k) as u32))
        }
    }

    /// `floor(num / den) == q` checked by cross-multiplication.
    pub fn is_floor(q: u128, num: &Big, den: &Big) -> bool {
        let lo = den.mul_u128(q);
        let hi = den.mul(&Big::from_u128(q).add_one());
        lo <= *num && *num < hi
    }

    /// `num / den >= 2^128`, i.e. the floor does not fit `u128`.
    pub fn exceeds_u128(num: &Big, den: &Big) -> bool {
        let two_128 = Big::from_u128(u128::MAX).add_one();
        *num >= den.mul(&two_128)
    }

    impl Big {
        pub fn add_one(&self) -> Big {
            let mut l = self.0;
            for limb in l.iter_mut() {
                let (v, carry) = limb.overflowing_add(1);
                *limb = v;
                if !carry {
                    return Big(l);
                }
            }
            panic!("reference overflow");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reference::*;
    use super::*;
    use proptest::prelude::*;

    const BTC: Price = Price {
        mantissa: 10_000_000_000_000, // 100,000.00000000
        expo: -8,
    };
    const ONE: Price = Price {
        mantissa: 1,
        expo: 0,
    };

    #[test]
    fn stablecoin_at_par() {
        // 6-decimal stable into 6-decimal numeraire, price 1.00000000
        let p = Price {
            mantissa: 100_000_000,
            expo: -8,
        };
        assert_eq!(value_floor(1_234_567, p, 6, 6, 0), Ok(1_234_567));
        assert_eq!(value_floor(1_234_567, ONE, 6, 6, 0), Ok(1_234_567));
        // 2.5 % haircut: 1_234_567 * 0.975 = 1_203_702.825
        assert_eq!(value_floor(1_234_567, p, 6, 6, 250), Ok(1_203_702));
        // 100 % haircut
        assert_eq!(value_floor(1_234_567, p, 6, 6, 10_000), Ok(0));
    }

    #[test]
    fn btc_and_sol_examples() {
        // 1.5 BTC (8 decimals) at 100k USD into 6-decimal USD: 150_000 USD.
        assert_eq!(value_floor(150_000_000, BTC, 8, 6, 0), Ok(150_000_000_000));
        // 1 lamport-ish atom of a 9-decimal LST at 150.123456 (expo -6): 0.150123456 micro-USD
        let sol = Price {
            mantissa: 150_123_456,
            expo: -6,
        };
        assert_eq!(value_floor(1, sol, 9, 6, 0), Ok(0));
        assert_eq!(value_floor(1_000_000_000, sol, 9, 6, 0), Ok(150_123_456));
        assert_eq!(value_floor(7, sol, 9, 6, 0), Ok(1)); // 1.05...
                                                         // 18-decimal token, 18-decimal numeraire, price 2 (expo 0)
        let two = Price {
            mantissa: 2,
            expo: 0,
        };
        assert_eq!(
            value_floor(3_000_000_000_000_000_000, two, 18, 18, 0),
            Ok(6_000_000_000_000_000_000)
        );
        // positive exponent: price 5 * 10^3 per whole 0-decimal token, numeraire 0 decimals
        let p = Price {
            mantissa: 5,
            expo: 3,
        };
        assert_eq!(value_floor(7, p, 0, 0, 0), Ok(35_000));
        assert_eq!(value_floor(7, p, 0, 9, 250), Ok(34_125_000_000_000));
    }

    #[test]
    fn u64_max_amounts_do_not_overflow_at_realistic_prices() {
        let v = value_floor(u64::MAX, BTC, 8, 6, 0).unwrap();
        assert_eq!(v, u64::MAX as u128 * 100_000 * 1_000_000 / 100_000_000);
        assert!(value_floor(u64::MAX, BTC, 8, 6, 250).is_ok());
        assert!(value_floor(u64::MAX, BTC, 8, 18, 0).is_ok());
        // u64::MAX whole BTC into an 18-decimal numeraire is ~1.8e42: a true overflow
        assert_eq!(
            value_floor(u64::MAX, BTC, 0, 18, 0),
            Err(MathError::Overflow)
        );
        assert!(value_floor(u64::MAX, BTC, 18, 18, 10_000).is_ok());
        let lst = Price {
            mantissa: 150_000_000,
            expo: -6,
        };
        assert!(value_floor(u64::MAX, lst, 9, 18, 0).is_ok());
        // amount*mantissa*keep beyond 2^128 with a net negative exponent still computes
        let huge = Price {
            mantissa: u64::MAX,
            expo: -12,
        };
        let v = value_floor(u64::MAX, huge, 18, 6, 1).unwrap();
        let (n, d) = exact_value(u64::MAX, huge, 18, 6, 1);
        assert!(is_floor(v, &n, &d));
    }

    #[test]
    fn absurd_inputs_error_or_floor_to_zero() {
        let p = |expo| Price {
            mantissa: u64::MAX,
            expo,
        };
        assert_eq!(
            value_floor(u64::MAX, p(i32::MAX), 0, 255, 0),
            Err(MathError::Overflow)
        );
        assert_eq!(value_floor(u64::MAX, p(i32::MIN), 255, 0, 0), Ok(0));
        assert_eq!(value_floor(u64::MAX, p(-60), 0, 0, 0), Ok(0));
        assert_eq!(value_floor(1, p(38), 0, 0, 0), Err(MathError::Overflow));
        assert_eq!(value_floor(0, p(i32::MAX), 0, 255, 0), Ok(0));
        assert_eq!(
            value_floor(5, p(0), 0, 0, 10_001),
            Err(MathError::InvalidBps)
        );
        assert_eq!(
            value_floor(5, p(0), 0, 0, u16::MAX),
            Err(MathError::InvalidBps)
        );

        assert_eq!(
            amount_for_value_floor(u128::MAX, p(i32::MIN), 255, 0),
            Err(MathError::Overflow)
        );
        assert_eq!(
            amount_for_value_floor(u128::MAX, p(i32::MAX), 0, 255),
            Ok(0)
        );
        assert_eq!(amount_for_value_ceil(u128::MAX, p(i32::MAX), 0, 255), Ok(1));
        assert_eq!(amount_for_value_ceil(0, p(i32::MAX), 0, 255), Ok(0));
        assert_eq!(
            amount_for_value_ceil(1, p(i32::MIN), 255, 0),
            Err(MathError::Overflow)
        );
        let zero = Price {
            mantissa: 0,
            expo: 0,
        };
        assert_eq!(
            amount_for_value_floor(1, zero, 6, 6),
            Err(MathError::Overflow)
        );
        assert_eq!(
            amount_for_value_ceil(1, zero, 6, 6),
            Err(MathError::Overflow)
        );
        assert_eq!(value_floor(u64::MAX, zero, 0, 255, 0), Ok(0));
    }

    #[test]
    fn amounts_for_value() {
        // 150_000 USD (6 dec) of BTC (8 dec) at 100k: exactly 1.5 BTC
        assert_eq!(
            amount_for_value_floor(150_000_000_000, BTC, 8, 6),
            Ok(150_000_000)
        );
        assert_eq!(
            amount_for_value_ceil(150_000_000_000, BTC, 8, 6),
            Ok(150_000_000)
        );
        // one atom of BTC is worth 1 micro-USD exactly (10^13 * 10^-8 * 10^6 / 10^8 = 1)... so
        // use a price with a remainder: 1 micro-USD of a 9-decimal token at 150.123456
        let sol = Price {
            mantissa: 150_123_456,
            expo: -6,
        };
        // 1 / 0.150123456 = 6.66118...
        assert_eq!(amount_for_value_floor(1, sol, 9, 6), Ok(6));
        assert_eq!(amount_for_value_ceil(1, sol, 9, 6), Ok(7));
        // positive exponent: one atom = 5 * 10^3 numeraire atoms
        let p = Price {
            mantissa: 5,
            expo: 3,
        };
        assert_eq!(amount_for_value_floor(12_000, p, 0, 0), Ok(2));
        assert_eq!(amount_for_value_ceil(12_000, p, 0, 0), Ok(3));
        assert_eq!(amount_for_value_ceil(10_000, p, 0, 0), Ok(2));
        // result beyond u64
        assert_eq!(
            amount_for_value_floor(u128::MAX, ONE, 18, 0),
            Err(MathError::Overflow)
        );
        assert_eq!(
            amount_for_value_floor(u64::MAX as u128, ONE, 0, 0),
            Ok(u64::MAX)
        );
        assert_eq!(
            amount_for_value_ceil(u64::MAX as u128 + 1, ONE, 0, 0),
            Err(MathError::Overflow)
        );
    }

    #[test]
    fn mul_div_floor_wide_products() {
        assert_eq!(mul_div_floor(7, 3, 2), Ok(10));
        assert_eq!(mul_div_floor(1, 1, 0), Err(MathError::Overflow));
        assert_eq!(mul_div_floor(u128::MAX, 10_000, 10_000), Ok(u128::MAX));
        assert_eq!(
            mul_div_floor(u128::MAX, 10_000, 9_999),
            Err(MathError::Overflow)
        );
        assert_eq!(
            mul_div_floor(u128::MAX, u16::MAX, u128::MAX),
            Ok(u16::MAX as u128)
        );
        assert_eq!(
            mul_div_floor(u128::MAX - 1, u16::MAX, u128::MAX),
            Ok(u16::MAX as u128 - 1)
        );
        assert_eq!(mul_div_floor(u128::MAX, 3, 2), Err(MathError::Overflow));
    }

    /// Realistic ranges plus sometimes absurd ones.
    fn arb_price() -> impl Strategy<Value = Price> {
        prop_oneof![
            3 => (any::<u64>(), -12i32..=0).prop_map(|(mantissa, expo)| Price { mantissa, expo }),
            1 => (any::<u64>(), -80i32..=80).prop_map(|(mantissa, expo)| Price { mantissa, expo }),
        ]
    }

    fn arb_decimals() -> impl Strategy<Value = u8> {
        prop_oneof![3 => 0u8..=18, 1 => 0u8..=40]
    }

    fn arb_value() -> impl Strategy<Value = u128> {
        prop_oneof![
            any::<u128>(),
            any::<u64>().prop_map(u128::from),
            (0u128..1_000_000_000),
        ]
    }

    proptest! {
        /// The native fast paths give exactly what the general paths give.
        #[test]
        fn fast_paths_equal_the_general_paths(
            x in prop_oneof![any::<u128>(), any::<u64>().prop_map(u128::from), 0u128..1 << 48],
            y in any::<u16>(),
            d in prop_oneof![1..=u128::MAX, 1u128..=0xffff_ffff, 1u128..=u64::MAX as u128],
            a in prop_oneof![any::<u64>(), 0u64..1 << 40],
            keep in 0u16..=10_000,
            z in 0u32..=45,
            mantissa in prop_oneof![any::<u64>(), 1u64..=0xffff_ffff],
        ) {
            prop_assert_eq!(mul_div_floor(x, y, d), mul_div_floor_general(x, y, d));
            if let Some(v) = value_floor_short(a, mantissa, keep, z) {
                let product = mul_64(a, mantissa);
                prop_assert_eq!(Ok(v), value_floor_wide(product, keep, z));
                prop_assert_eq!(
                    Ok(v),
                    mul_div_floor_general(product, keep, 10u128.pow(z))
                );
            }
            if let Some(v) = value_floor_native(a as u128, keep, z) {
                prop_assert_eq!(Ok(v), value_floor_wide(a as u128, keep, z));
                // and the old u128 path
                prop_assert_eq!(
                    Ok(v),
                    mul_div_floor_general(a as u128, keep, 10u128.pow(z))
                );
            }
            if let Some((q, inexact)) = scaled_quotient_short(x, z, mantissa) {
                if let Some(n) = 10u128.checked_pow(z).and_then(|p| x.checked_mul(p)) {
                    let m = mantissa as u128;
                    prop_assert_eq!(q.to_u128(), Some(n / m));
                    prop_assert_eq!(inexact, n % m != 0);
                }
            }
        }

        #[test]
        fn mul_div_floor_is_exact(x in any::<u128>(), y in any::<u16>(), d in 1..=u128::MAX) {
            let num = Big::from_u128(x).mul_u128(y as u128);
            let den = Big::from_u128(d);
            match mul_div_floor(x, y, d) {
                Ok(q) => prop_assert!(is_floor(q, &num, &den)),
                Err(e) => {
                    prop_assert_eq!(e, MathError::Overflow);
                    prop_assert!(exceeds_u128(&num, &den));
                }
            }
        }

        #[test]
        fn mul_div_floor_is_exact_near_the_top(
            x in (u128::MAX - u64::MAX as u128)..=u128::MAX,
            y in any::<u16>(),
            d in (u128::MAX / 2)..=u128::MAX,
        ) {
            let num = Big::from_u128(x).mul_u128(y as u128);
            let q = mul_div_floor(x, y, d).unwrap();
            prop_assert!(is_floor(q, &num, &Big::from_u128(d)));
        }

        /// value_floor is exactly floor of the rational value, hence <= it; Err only when
        /// that floor does not fit u128.
        #[test]
        fn value_floor_is_exact(
            amount in any::<u64>(),
            price in arb_price(),
            td in arb_decimals(),
            nd in arb_decimals(),
            haircut in 0u16..=10_000,
        ) {
            let (num, den) = exact_value(amount, price, td, nd, haircut);
            match value_floor(amount, price, td, nd, haircut) {
                Ok(v) => prop_assert!(is_floor(v, &num, &den)),
                Err(e) => {
                    prop_assert_eq!(e, MathError::Overflow);
                    prop_assert!(exceeds_u128(&num, &den));
                }
            }
        }

        /// `value_ceil` is the exact ceiling: `result - 1 < exact <= result`.
        #[test]
        fn value_ceil_is_exact(
            amount in any::<u64>(),
            price in arb_price(),
            td in arb_decimals(),
            nd in arb_decimals(),
        ) {
            let (num, den) = exact_value(amount, price, td, nd, 0);
            match value_ceil(amount, price, td, nd) {
                Ok(v) => {
                    prop_assert!(den.mul_u128(v) >= num, "below the exact value");
                    prop_assert!(v == 0 || den.mul_u128(v - 1) < num, "a whole atom above it");
                }
                Err(e) => {
                    prop_assert_eq!(e, MathError::Overflow);
                    prop_assert!(exceeds_u128(&num, &den) || den.mul_u128(u128::MAX) < num);
                }
            }
        }

        #[test]
        fn value_floor_is_monotone(
            a1 in any::<u64>(),
            a2 in any::<u64>(),
            m2 in any::<u64>(),
            price in arb_price(),
            td in arb_decimals(),
            nd in arb_decimals(),
            haircut in 0u16..=10_000,
        ) {
            let (lo, hi) = (a1.min(a2), a1.max(a2));
            match (value_floor(lo, price, td, nd, haircut), value_floor(hi, price, td, nd, haircut)) {
                (Ok(x), Ok(y)) => prop_assert!(x <= y),
                (Ok(_), Err(_)) => {}
                (Err(_), r) => prop_assert!(r.is_err()),
            }
            let p_lo = Price { mantissa: price.mantissa.min(m2), ..price };
            let p_hi = Price { mantissa: price.mantissa.max(m2), ..price };
            match (value_floor(a1, p_lo, td, nd, haircut), value_floor(a1, p_hi, td, nd, haircut)) {
                (Ok(x), Ok(y)) => prop_assert!(x <= y),
                (Ok(_), Err(_)) => {}
                (Err(_), r) => prop_assert!(r.is_err()),
            }
        }

        #[test]
        fn amount_for_value_floor_pays_at_most_the_value(
            value in arb_value(),
            price in arb_price(),
            td in arb_decimals(),
            nd in arb_decimals(),
        ) {
            let (unum, uden) = unit_value(price, td, nd);
            let target = Big::from_u128(value).mul(&uden);
            match amount_for_value_floor(value, price, td, nd) {
                Ok(a) => {
                    // a * unit <= value < (a + 1) * unit
                    prop_assert!(unum.mul_u128(a as u128) <= target);
                    prop_assert!(unum.mul(&Big::from_u128(a as u128).add_one()) > target);
                    let back = value_floor(a, price, td, nd, 0);
                    prop_assert!(back.is_ok());
                    prop_assert!(back.unwrap() <= value);
                }
                Err(_) => {
                    // mantissa 0, or value / unit >= 2^64
                    let two_64 = Big::from_u128(u64::MAX as u128 + 1);
                    prop_assert!(price.mantissa == 0 || target >= unum.mul(&two_64));
                }
            }
        }

        #[test]
        fn amount_for_value_ceil_receives_at_least_the_value(
            value in arb_value(),
            price in arb_price(),
            td in arb_decimals(),
            nd in arb_decimals(),
        ) {
            let (unum, uden) = unit_value(price, td, nd);
            let target = Big::from_u128(value).mul(&uden);
            match amount_for_value_ceil(value, price, td, nd) {
                Ok(a) => {
                    // (a - 1) * unit < value <= a * unit
                    prop_assert!(unum.mul_u128(a as u128) >= target);
                    if a > 0 {
                        prop_assert!(unum.mul_u128(a as u128 - 1) < target);
                    }
                    if let Ok(back) = value_floor(a, price, td, nd, 0) {
                        prop_assert!(back >= value);
                    }
                }
                Err(_) => {
                    // mantissa 0, or value / unit > 2^64 - 1
                    let max = Big::from_u128(u64::MAX as u128);
                    prop_assert!(price.mantissa == 0 || target > unum.mul(&max));
                }
            }
        }
    }
}
