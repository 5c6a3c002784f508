//! Exact wide products and divisions on native 64-bit operations.
//!
//! The Solana VM has 64-bit registers only: a `u128` multiplication, division or remainder is a
//! call into a software routine (tens of compute units for a product, one to two hundred for
//! a division, and `checked_div` plus `checked_rem` pay twice). The valuation and weights
//! engines run these per asset, several times per instruction, so this module provides the
//! shapes they need built from native 64-bit multiplies and divides:
//!
//! - `mul_64`: `u64 * u64` as the exact `u128`;
//! - `Wide`: a 192-bit unsigned integer, enough for `amount * mantissa * bps` (< 2^142);
//!   multiplied by a `u64` and floor-divided by a divisor below 2^32 (schoolbook short
//!   division over 32-bit digits, each step a native `u64` divide);
//! - `div_pow10_floor`: `floor(n / 10^z)` for any `z`, in steps of `10^9`;
//! - `mul_div_pow10_floor`: `floor(a * b / 10^z)` of two `u64`s without the 192-bit form
//!   when the quotient allows (a balance times a price mantissa and a bps factor).
//!
//! Every function is exact (no rounding other than the named floor), panics on no input and
//! is checked against native `u128` arithmetic by property tests below.

const LOW_32: u64 = 0xffff_ffff;

/// Operands up to 2^48 - 1: their product with any `u16` (a bps figure) fits `u64`, so
/// comparisons and shares of such values need no wide arithmetic.
pub const SMALL_OPERAND: u128 = (u64::MAX >> 16) as u128;

/// `a * b` exactly. Four native 32 x 32 -> 64-bit products; no partial sum can overflow:
/// `mid < 3 * 2^32` and the high word is the exact high half of a product below 2^128.
#[inline(always)]
pub fn mul_64(a: u64, b: u64) -> u128 {
    let (a0, a1) = (a & LOW_32, a >> 32);
    let (b0, b1) = (b & LOW_32, b >> 32);
    // each factor < 2^32, so each product < 2^64: the wrapping multiplications are exact
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    let mid = (p00 >> 32)
        .wrapping_add(p01 & LOW_32)
        .wrapping_add(p10 & LOW_32);
    let lo = (p00 & LOW_32) | (mid << 32);
    let hi = p11
        .wrapping_add(p01 >> 32)
        .wrapping_add(p10 >> 32)
        .wrapping_add(mid >> 32);
    (u128::from(hi) << 64) | u128::from(lo)
}

/// The low and high 64-bit halves of `x`.
#[inline(always)]
pub fn halves(x: u128) -> (u64, u64) {
    // truncations are the intent: the low half, then the high half
    (x as u64, (x >> 64) as u64)
}

/// A 192-bit unsigned integer, little-endian 64-bit limbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wide(pub [u64; 3]);

impl Wide {
    pub fn from_u128(x: u128) -> Wide {
        let (lo, hi) = halves(x);
        Wide([lo, hi, 0])
    }

    /// `x * y` exactly (`< 2^192`, so it always fits).
    #[inline(always)]
    pub fn mul_u128_u64(x: u128, y: u64) -> Wide {
        let (x0, x1) = halves(x);
        let (l0, h0) = halves(mul_64(x0, y));
        let (l1, h1) = halves(mul_64(x1, y));
        // limb 1 = h0 + l1 with its carry into limb 2 (h1 <= 2^64 - 2, so no further carry)
        let (m, carry) = h0.overflowing_add(l1);
        Wide([l0, m, h1.wrapping_add(u64::from(carry))])
    }

    /// The value as `u128`, or `None` if it does not fit.
    #[inline(always)]
    pub fn to_u128(self) -> Option<u128> {
        let [l0, l1, l2] = self.0;
        (l2 == 0).then_some((u128::from(l1) << 64) | u128::from(l0))
    }

    /// `(floor(self / d), self mod d)` for `0 < d < 2^32`; `None` when `d` is 0 or too wide.
    /// Schoolbook division over 32-bit digits: every partial dividend `rem * 2^32 + digit` is
    /// below `d * 2^32 <= 2^64`, so each step is one native division and remainder.
    pub fn div_rem_small(self, d: u64) -> Option<(Wide, u64)> {
        if d == 0 || d > LOW_32 {
            return None;
        }
        let mut q = [0u64; 3];
        let mut rem = 0u64;
        for (limb, out) in self.0.iter().zip(q.iter_mut()).rev() {
            if rem == 0 && *limb == 0 {
                continue; // leading (or interior) zero limb with nothing carried: quotient 0
            }
            let hi = (rem << 32) | (limb >> 32);
            let (q_hi, r) = (hi / d, hi % d);
            let lo = (r << 32) | (limb & LOW_32);
            let (q_lo, r) = (lo / d, lo % d);
            *out = (q_hi << 32) | q_lo;
            rem = r;
        }
        Some((Wide(q), rem))
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 3]
    }
}

/// `10^9`, the largest power of ten below 2^32: the step of `div_pow10_floor`.
const POW10_9: u64 = 1_000_000_000;

/// `10^n` for `n <= 9`.
fn pow10_small(n: u32) -> u64 {
    10u64.pow(n.min(9))
}

/// `floor(n / 10^z)`, exact for every `z`: divides by `10^9` while `z >= 9`, then by the rest,
/// since `floor(floor(n / a) / b) = floor(n / (a * b))`. Stops early once the quotient is 0
/// (at most 22 steps of `10^9` before any 192-bit value reaches 0).
pub fn div_pow10_floor(mut n: Wide, mut z: u32) -> Wide {
    while z > 0 && !n.is_zero() {
        let step = z.min(9);
        let d = if step == 9 {
            POW10_9
        } else {
            pow10_small(step)
        };
        // d is in 10..=10^9 < 2^32: div_rem_small always answers
        n = match n.div_rem_small(d) {
            Some((q, _)) => q,
            None => return Wide([0; 3]),
        };
        z -= step;
    }
    n
}

/// `10^0..=10^38`, every power of ten that fits `u128` (a table: `checked_pow` on `u128` is
/// a chain of software multiplications on SBF).
pub const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut k = 1;
    while k < 39 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// `floor(a * b / 10^z)` for `z <= 19` on native 64-bit operations, when the quotient by
/// `10^min(z, 9)` fits `u64` or `z <= 9`; `None` otherwise (`div_pow10_floor` of the wide
/// product gives the same). The product is `mul_64`; it is divided by `10^min(z, 9)` (below
/// 2^32) over four 32-bit digits, each partial dividend below `10^9 * 2^32 < 2^64`; the rest
/// of the power, `10^(z - 9)`, is one native division (`floor(floor(x / m) / n) = floor(x /
/// (m n))`). The valuation of a balance whose product with its price's mantissa passed 64
/// bits (a realistic fund) in less than half the units of the 192-bit path.
#[inline(always)]
pub fn mul_div_pow10_floor(a: u64, b: u64, z: u32) -> Option<u128> {
    if z > 19 {
        return None;
    }
    let first = z.min(9);
    // 10^n for n <= 19 fits u64: the truncations are exact
    let d = POW10[first as usize] as u64;
    let (lo, hi) = halves(mul_64(a, b));
    let mut rem = 0u64;
    let mut q = [0u64; 4];
    for (digit, out) in [hi >> 32, hi & LOW_32, lo >> 32, lo & LOW_32]
        .into_iter()
        .zip(q.iter_mut())
    {
        // rem < d <= 10^9 < 2^30, so (rem << 32) | digit < 2^62 and the digit is < 2^32
        let cur = (rem << 32) | digit;
        *out = cur / d;
        rem = cur % d;
    }
    let quotient = (u128::from((q[0] << 32) | q[1]) << 64) | u128::from((q[2] << 32) | q[3]);
    if z == first {
        return Some(quotient);
    }
    let q64 = u64::try_from(quotient).ok()?;
    Some(u128::from(q64 / POW10[(z - first) as usize] as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::valuation::reference::{exceeds_u128, is_floor, Big};
    use proptest::prelude::*;

    #[test]
    fn edges() {
        assert_eq!(
            mul_64(u64::MAX, u64::MAX),
            u64::MAX as u128 * u64::MAX as u128
        );
        assert_eq!(mul_64(0, u64::MAX), 0);
        let w = Wide::mul_u128_u64(u128::MAX, u64::MAX);
        assert_eq!(w.to_u128(), None);
        assert_eq!(w.div_rem_small(0), None);
        assert_eq!(w.div_rem_small(1 << 32), None);
        assert_eq!(div_pow10_floor(w, 60), Wide([0; 3]));
        assert_eq!(div_pow10_floor(w, u32::MAX), Wide([0; 3]));
        assert_eq!(
            div_pow10_floor(Wide::from_u128(12_345), 2).to_u128(),
            Some(123)
        );
        assert_eq!(
            div_pow10_floor(Wide::from_u128(12_345), 0).to_u128(),
            Some(12_345)
        );
    }

    proptest! {
        #[test]
        fn mul_64_is_exact(a in any::<u64>(), b in any::<u64>()) {
            prop_assert_eq!(mul_64(a, b), a as u128 * b as u128);
        }

        #[test]
        fn product_and_short_division_are_exact(
            x in prop_oneof![any::<u128>(), any::<u64>().prop_map(u128::from)],
            y in any::<u64>(),
            d in prop_oneof![1u64..=0xffff_ffff, 1u64..=1_000],
        ) {
            let w = Wide::mul_u128_u64(x, y);
            if let Some(p) = x.checked_mul(y as u128) {
                prop_assert_eq!(w.to_u128(), Some(p));
                let (q, r) = w.div_rem_small(d).unwrap();
                prop_assert_eq!(q.to_u128(), Some(p / d as u128));
                prop_assert_eq!(r as u128, p % d as u128);
            }
            let num = Big::from_u128(x).mul_u128(y as u128);
            let den = Big::from_u128(d as u128);
            match w.div_rem_small(d).unwrap().0.to_u128() {
                Some(q) => prop_assert!(is_floor(q, &num, &den)),
                None => prop_assert!(exceeds_u128(&num, &den)),
            }
        }

        /// `mul_div_pow10_floor` is the native floor of the product by the power whenever it
        /// answers, and answers whenever the quotient by `10^min(z, 9)` fits 64 bits.
        #[test]
        fn product_by_a_power_of_ten_matches_u128(
            a in prop_oneof![any::<u64>(), 0u64..1 << 40, (u64::MAX - 16)..=u64::MAX],
            b in prop_oneof![any::<u64>(), 0u64..1 << 48, (u64::MAX - 16)..=u64::MAX],
            z in 0u32..=21,
        ) {
            let x = u128::from(a) * u128::from(b);
            match mul_div_pow10_floor(a, b, z) {
                Some(q) => prop_assert_eq!(q, x / 10u128.pow(z)),
                None => prop_assert!(z > 19 || x / 10u128.pow(z.min(9)) > u128::from(u64::MAX)),
            }
        }

        #[test]
        fn pow10_division_matches_u128(n in any::<u128>(), z in 0u32..=45) {
            let expected = 10u128.checked_pow(z).map_or(0, |p| n / p);
            prop_assert_eq!(div_pow10_floor(Wide::from_u128(n), z).to_u128(), Some(expected));
        }
    }
}

// ---- 256-bit products (the exact comparisons of `rebalance`) --------------------------

/// A 256-bit unsigned integer `hi * 2^128 + lo`. Field order makes the derived `Ord` the
/// numeric order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct U256 {
    pub(crate) hi: u128,
    pub(crate) lo: u128,
}

pub(crate) const LOW_64: u128 = u64::MAX as u128;

/// The exact product `a * b` as 256 bits. Schoolbook over 64-bit halves (each partial product
/// a native `mul_64`, `< (2^64)^2`); the middle sum `< 3 * 2^128` is tracked with its carry, so no
/// operation wraps in a way that loses information (the wrapping ops are exact here).
pub(super) fn mul_wide(a: u128, b: u128) -> U256 {
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
    pub(crate) fn checked_add(self, o: U256) -> Option<U256> {
        let (lo, c) = self.lo.overflowing_add(o.lo);
        let hi = self.hi.checked_add(o.hi)?.checked_add(u128::from(c))?;
        Some(U256 { hi, lo })
    }

    /// `|self - o|` (never fails).
    pub(crate) fn abs_diff(self, o: U256) -> U256 {
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
    pub(crate) fn to_u128(self) -> Option<u128> {
        (self.hi == 0).then_some(self.lo)
    }
}
