//! The weights engine: values every asset, sums NAV, and reports the fund's composition
//! (weights, liquid share, concentration, distance to target), plus exact share predicates
//! for on-chain bound checks that must not suffer from bps rounding.
//!
//! Fixed-size, no heap, no floats, no panics. Everything is rounded down.

use super::valuation::{mul_div_floor, value_floor, MathError, Price};
use super::wide::SMALL_OPERAND;
use crate::constants::{BPS_DENOMINATOR, MAX_ASSETS};

/// One asset as the engine sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssetInput {
    /// Token atoms held.
    pub balance: u64,
    /// Conservative (lower) price used to value holdings.
    pub price_lo: Price,
    /// Token decimals.
    pub decimals: u8,
    /// Valuation haircut, `0..=10_000` (more is `MathError::InvalidBps`).
    pub haircut_bps: u16,
    /// Counts toward the liquid share.
    pub liquid: bool,
    /// Target weight (any value; only used for `distance_bps`).
    pub target_bps: u16,
    /// Concentration cap (any value; only used for `Weights::max_excess_bps`).
    pub max_weight_bps: u16,
}

/// Everything the fund reports about its composition. Entries at index `>= count` are 0.
///
/// Rounding bounds (all weights are floors of the exact shares):
/// - each `values[i]` is exactly `value_floor(..)`: `exact_i - 1 < values[i] <= exact_i`, so
///   `nav` (their exact sum) understates the exact NAV by less than `count` atoms;
/// - with `nav > 0`, each `weights_bps[i]` is in `(w_i - 1, w_i]` where
///   `w_i = values[i] * 10_000 / nav` exactly, and
///   `10_000 - (count - 1) <= sum(weights_bps) <= 10_000`. Proof: the exact `w_i` sum to exactly
///   `10_000`; each floor loses less than 1 bps, so the floors sum to an integer
///   `> 10_000 - count`, i.e. `>= 10_000 - count + 1`; and floors never exceed `w_i`. (Assets
///   of value 0 lose nothing, so `count` may be read as the number of non-zero values.)
/// - `liquid_bps` is in `(l - 1, l]` for the exact liquid share `l`, so `<= 10_000`.
///
/// Use `share_at_most` / `share_at_least` for bound checks instead of comparing these
/// floored bps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    /// Number of assets given to `compute`.
    pub count: usize,
    /// `value_floor` of each asset (balance at `price_lo`, after haircut), numeraire atoms.
    pub values: [u128; MAX_ASSETS],
    /// Sum of `values` (exact, no further rounding).
    pub nav: u128,
    /// `floor(values[i] * 10_000 / nav)`; all 0 when `nav == 0`.
    pub weights_bps: [u16; MAX_ASSETS],
    /// Sum of `values` over liquid assets.
    pub liquid_value: u128,
    /// `floor(liquid_value * 10_000 / nav)`; 0 when `nav == 0` (an empty or worthless fund
    /// reports a 0 liquid share).
    pub liquid_bps: u16,
    /// Sum over assets of `|weights_bps[i] - target_bps_i|` (floored weights; when
    /// `nav == 0` this is the sum of the targets).
    pub distance_bps: u32,
}

/// `floor(value * 10_000 / nav)`: the share of `value` in `nav` in bps, rounded down; 0 when
/// `nav == 0`. One native division when both are below 2^48 (the same result). Rounding bound: `exact - 1 < result <= exact`. Errors with `Overflow` when the
/// result exceeds `u16::MAX` (only possible when `value > 6.5 * nav`).
#[inline(always)]
pub fn share_bps_floor(value: u128, nav: u128) -> Result<u16, MathError> {
    if nav == 0 {
        return Ok(0);
    }
    if value <= SMALL_OPERAND && nav <= SMALL_OPERAND {
        // below 2^48: the truncations are exact and value * 10^4 < 2^64; nav > 0
        let bps = (value as u64)
            .wrapping_mul(u64::from(BPS_DENOMINATOR))
            .checked_div(nav as u64)
            .ok_or(MathError::Overflow)?;
        return u16::try_from(bps).map_err(|_| MathError::Overflow);
    }
    let bps = mul_div_floor(value, BPS_DENOMINATOR, nav)?;
    u16::try_from(bps).map_err(|_| MathError::Overflow)
}

/// Values every asset and reports the fund's composition (see `Weights` for the rounding
/// bounds).
///
/// Errors: `TooManyAssets` if `assets.len() > MAX_ASSETS`; `InvalidBps` if a haircut exceeds
/// 10,000 bps; `Overflow` if an asset's value or the NAV exceeds `u128::MAX`.
/// NAV alone: the sum of every asset's `value_floor` (the same figure as `compute(..).nav`),
/// without the weights, liquid share and distance, for callers that only size against NAV.
pub fn nav_floor(assets: &[AssetInput], numeraire_decimals: u8) -> Result<u128, MathError> {
    if assets.len() > MAX_ASSETS {
        return Err(MathError::TooManyAssets);
    }
    assets.iter().try_fold(0u128, |nav, a| {
        let value = value_floor(
            a.balance,
            a.price_lo,
            a.decimals,
            numeraire_decimals,
            a.haircut_bps,
        )?;
        nav.checked_add(value).ok_or(MathError::Overflow)
    })
}

pub fn compute(assets: &[AssetInput], numeraire_decimals: u8) -> Result<Weights, MathError> {
    if assets.len() > MAX_ASSETS {
        return Err(MathError::TooManyAssets);
    }
    let mut w = Weights {
        count: assets.len(),
        values: [0; MAX_ASSETS],
        nav: 0,
        weights_bps: [0; MAX_ASSETS],
        liquid_value: 0,
        liquid_bps: 0,
        distance_bps: 0,
    };

    for (value, a) in w.values.iter_mut().zip(assets) {
        *value = value_floor(
            a.balance,
            a.price_lo,
            a.decimals,
            numeraire_decimals,
            a.haircut_bps,
        )?;
        w.nav = w.nav.checked_add(*value).ok_or(MathError::Overflow)?;
        if a.liquid {
            w.liquid_value = w
                .liquid_value
                .checked_add(*value)
                .ok_or(MathError::Overflow)?;
        }
    }
    finish(&mut w, assets)?;
    Ok(w)
}

/// `compute`'s result after some assets' values change (their balances or prices moved,
/// nothing else did): `changes` lists `(k, new value of asset k)` for distinct `k`. The same
/// as `compute` of the changed assets, without revaluing the others. `w` must be
/// `compute(assets, ..)` of the assets before the change; `assets` holds their targets, caps
/// and classes (unchanged).
///
/// Errors: `TooManyAssets` if a `k` is not an asset of `w` or repeats (or `assets` and `w` disagree on
/// the count); `Overflow` if the new NAV exceeds `u128::MAX`, exactly when `compute` would
/// (the old values are all taken out before the new ones go in, so every partial sum is at
/// most the new NAV).
pub fn with_values(
    w: &Weights,
    assets: &[AssetInput],
    changes: &[(usize, u128)],
) -> Result<Weights, MathError> {
    if assets.len() != w.count {
        return Err(MathError::TooManyAssets);
    }
    let mut out = *w;
    // take the old values out (each is part of the sums, so nothing underflows) ...
    for (c, &(k, _)) in changes.iter().enumerate() {
        let repeated = changes
            .get(..c)
            .is_some_and(|s| s.iter().any(|&(j, _)| j == k));
        if k >= w.count || repeated {
            return Err(MathError::TooManyAssets);
        }
        let old = w.values.get(k).copied().ok_or(MathError::TooManyAssets)?;
        out.nav = out.nav.checked_sub(old).ok_or(MathError::Overflow)?;
        if assets.get(k).is_some_and(|a| a.liquid) {
            out.liquid_value = out
                .liquid_value
                .checked_sub(old)
                .ok_or(MathError::Overflow)?;
        }
    }
    // ... then the new ones in
    for &(k, value) in changes {
        out.nav = out.nav.checked_add(value).ok_or(MathError::Overflow)?;
        if assets.get(k).is_some_and(|a| a.liquid) {
            out.liquid_value = out
                .liquid_value
                .checked_add(value)
                .ok_or(MathError::Overflow)?;
        }
        if let Some(slot) = out.values.get_mut(k) {
            *slot = value;
        }
    }
    out.weights_bps = [0; MAX_ASSETS];
    out.liquid_bps = 0;
    out.distance_bps = 0;
    finish(&mut out, assets)?;
    Ok(out)
}

/// Fills the weights, liquid share and distance from `w.values`,
/// `w.nav` and `w.liquid_value` (the other fields must be zero).
fn finish(w: &mut Weights, assets: &[AssetInput]) -> Result<(), MathError> {
    // value <= nav, so each share is <= 10_000 and share_bps_floor cannot fail here.
    // Entries past the assets have value 0, hence weight 0.
    let nav = w.nav;
    if nav > 0 && nav <= SMALL_OPERAND {
        // one native division per asset (share_bps_floor's fast path, hoisted)
        let nav64 = nav as u64; // < 2^48: exact
        for (bps, &value) in w.weights_bps.iter_mut().zip(&w.values) {
            *bps = if value <= SMALL_OPERAND {
                // < 2^48: exact, and value * 10^4 < 2^64
                let share = (value as u64).wrapping_mul(u64::from(BPS_DENOMINATOR)) / nav64;
                u16::try_from(share).map_err(|_| MathError::Overflow)?
            } else {
                share_bps_floor(value, nav)?
            };
        }
    } else {
        for (bps, &value) in w.weights_bps.iter_mut().zip(&w.values) {
            *bps = share_bps_floor(value, nav)?;
        }
    }
    w.liquid_bps = share_bps_floor(w.liquid_value, nav)?;

    // each distance term is at most u16::MAX, so sixteen of them cannot overflow the u32 sum
    let mut distance = 0u32;
    for (a, &bps) in assets.iter().zip(&w.weights_bps) {
        distance = distance.saturating_add(u32::from(bps.abs_diff(a.target_bps)));
    }
    w.distance_bps = distance;
    Ok(())
}

impl Weights {
    /// The asset with the largest `weights_bps` and that weight: `(index, bps)`, the lowest
    /// index on ties, `(0, 0)` when every weight is 0 (including when `count == 0`). Computed
    /// on demand (only reports need it; the valuation passes of fills and draws do not).
    pub fn max_weight(&self) -> (usize, u16) {
        let mut best = (0, 0);
        for (i, &bps) in self.weights_bps.iter().enumerate().take(self.count) {
            if bps > best.1 {
                best = (i, bps);
            }
        }
        best
    }

    /// Largest `weights_bps[i] - assets[i].max_weight_bps` over assets, 0 if none exceeds its
    /// cap (floored weights: may read 0 for an exact excess below 1 bps; use `share_at_most`
    /// to enforce a cap exactly). `assets` are the ones this was computed from.
    pub fn max_excess_bps(&self, assets: &[AssetInput]) -> u16 {
        assets
            .iter()
            .zip(&self.weights_bps)
            .map(|(a, &bps)| bps.saturating_sub(a.max_weight_bps))
            .max()
            .unwrap_or(0)
    }
}

/// Exactly `value * 10_000 <= bps * nav` (`value` is at most `bps` of `nav`), with no bps
/// rounding and no intermediate overflow. Any `bps` is accepted (above 10,000 too).
///
/// Never returns `Err` (the `Result` is kept so callers can treat all math uniformly).
pub fn share_at_most(value: u128, nav: u128, bps: u16) -> Result<bool, MathError> {
    // value integer: value * 10^4 <= bps * nav  <=>  value <= floor(bps * nav / 10^4).
    match mul_div_floor(nav, bps, u128::from(BPS_DENOMINATOR)) {
        Ok(limit) => Ok(value <= limit),
        // The divisor is non-zero, so the floor exceeds u128::MAX >= value.
        Err(_) => Ok(true),
    }
}

/// Exactly `value * 10_000 >= bps * nav` (`value` is at least `bps` of `nav`), with no bps
/// rounding and no intermediate overflow. Any `bps` is accepted (above 10,000 too).
///
/// Never returns `Err` (the `Result` is kept so callers can treat all math uniformly).
pub fn share_at_least(value: u128, nav: u128, bps: u16) -> Result<bool, MathError> {
    if bps == 0 {
        return Ok(true);
    }
    // nav integer: bps * nav <= value * 10^4  <=>  nav <= floor(value * 10^4 / bps).
    match mul_div_floor(value, BPS_DENOMINATOR, u128::from(bps)) {
        Ok(limit) => Ok(nav <= limit),
        // bps > 0, so the floor exceeds u128::MAX >= nav.
        Err(_) => Ok(true),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn nav_floor_matches_compute() {
        let a = AssetInput {
            balance: 1_234_567,
            price_lo: Price {
                mantissa: 150,
                expo: -2,
            },
            decimals: 6,
            haircut_bps: 250,
            liquid: true,
            target_bps: 5_000,
            max_weight_bps: 10_000,
        };
        let b = AssetInput {
            balance: 99,
            price_lo: Price {
                mantissa: 7,
                expo: 0,
            },
            decimals: 0,
            ..a
        };
        let assets = [a, b, AssetInput::default()];
        assert_eq!(
            nav_floor(&assets, 6).unwrap(),
            compute(&assets, 6).unwrap().nav
        );
        assert_eq!(nav_floor(&[], 6).unwrap(), 0);
        assert_eq!(nav_floor(&[a; 17], 6), Err(MathError::TooManyAssets));
    }

    use super::*;
    use crate::math::valuation::reference::*;
    use proptest::prelude::*;

    fn stable(balance: u64, target_bps: u16) -> AssetInput {
        AssetInput {
            balance,
            price_lo: Price {
                mantissa: 100_000_000,
                expo: -8,
            },
            decimals: 6,
            haircut_bps: 0,
            liquid: true,
            target_bps,
            max_weight_bps: 5_500,
        }
    }

    fn lst(balance: u64) -> AssetInput {
        AssetInput {
            balance,
            price_lo: Price {
                mantissa: 15_000_000_000, // 150.00000000
                expo: -8,
            },
            decimals: 9,
            haircut_bps: 500,
            liquid: false,
            target_bps: 2_000,
            max_weight_bps: 3_000,
        }
    }

    #[test]
    fn two_stablecoins_60_40() {
        let w = compute(&[stable(600_000_000, 5_000), stable(400_000_000, 5_000)], 6).unwrap();
        assert_eq!(w.count, 2);
        assert_eq!(w.values[..2], [600_000_000, 400_000_000]);
        assert!(w.values[2..].iter().all(|&v| v == 0));
        assert_eq!(w.nav, 1_000_000_000);
        assert_eq!(w.weights_bps[..2], [6_000, 4_000]);
        assert_eq!(w.liquid_value, 1_000_000_000);
        assert_eq!(w.liquid_bps, 10_000);
        assert_eq!(w.max_weight(), (0, 6_000));
        assert_eq!(
            w.max_excess_bps(&[stable(600_000_000, 5_000), stable(400_000_000, 5_000)]),
            500
        );
        assert_eq!(w.distance_bps, 2_000);
    }

    #[test]
    fn stables_and_a_haircut_lst() {
        // 600 + 400 USD of stables, 2 LST at 150 with a 5 % haircut = 285 USD.
        let assets = [
            stable(600_000_000, 4_000),
            stable(400_000_000, 4_000),
            lst(2_000_000_000),
        ];
        let w = compute(&assets, 6).unwrap();
        assert_eq!(w.values[..3], [600_000_000, 400_000_000, 285_000_000]);
        assert_eq!(w.nav, 1_285_000_000);
        // 46.69..%, 31.12..%, 22.17..%: floors sum to 9_998 >= 10_000 - (3 - 1)
        assert_eq!(w.weights_bps[..3], [4_669, 3_112, 2_217]);
        assert_eq!(w.weights_bps.iter().map(|&b| b as u32).sum::<u32>(), 9_998);
        assert_eq!(w.liquid_value, 1_000_000_000);
        assert_eq!(w.liquid_bps, 7_782);
        assert_eq!(w.max_weight(), (0, 4_669));
        assert_eq!(w.max_excess_bps(&assets), 0);
        assert_eq!(w.distance_bps, 669 + 888 + 217);
        // The LST is at most 22.18 % and at least 22.17 % exactly, though its floor reads 2_217.
        assert_eq!(share_at_most(w.values[2], w.nav, 2_218), Ok(true));
        assert_eq!(share_at_most(w.values[2], w.nav, 2_217), Ok(false));
        assert_eq!(share_at_least(w.values[2], w.nav, 2_217), Ok(true));
        assert_eq!(share_at_least(w.values[2], w.nav, 2_218), Ok(false));
    }

    #[test]
    fn empty_and_worthless_funds() {
        let w = compute(&[], 6).unwrap();
        assert_eq!(w.count, 0);
        assert_eq!(
            (w.nav, w.liquid_bps, w.max_weight().1, w.distance_bps),
            (0, 0, 0, 0)
        );

        let w = compute(&[stable(0, 5_000), lst(0)], 6).unwrap();
        assert_eq!(w.nav, 0);
        assert_eq!(w.weights_bps, [0; MAX_ASSETS]);
        assert_eq!(w.liquid_bps, 0);
        assert_eq!(
            (
                w.max_weight().0,
                w.max_weight().1,
                w.max_excess_bps(&[stable(0, 5_000), lst(0)])
            ),
            (0, 0, 0)
        );
        assert_eq!(w.distance_bps, 7_000);
    }

    #[test]
    fn ties_pick_the_lowest_index_and_errors_propagate() {
        let w = compute(&[lst(0), stable(5, 0), stable(5, 0)], 6).unwrap();
        assert_eq!(w.max_weight(), (1, 5_000));

        assert_eq!(
            compute(&[stable(1, 0); MAX_ASSETS + 1], 6),
            Err(MathError::TooManyAssets)
        );
        let mut bad = stable(1, 0);
        bad.haircut_bps = 10_001;
        assert_eq!(compute(&[bad], 6), Err(MathError::InvalidBps));
        // 16 assets of u64::MAX atoms at u64::MAX mantissa into 18 decimals: overflow, no panic
        let mut big = stable(u64::MAX, 0);
        big.price_lo = Price {
            mantissa: u64::MAX,
            expo: 0,
        };
        big.decimals = 0;
        assert_eq!(compute(&[big; MAX_ASSETS], 18), Err(MathError::Overflow));
        // each value fits but the sum does not
        big.price_lo.expo = -10; // value = (2^64 - 1)^2 * 10^(-10 + 18 - 8 - 4) * 10^4
        big.decimals = 8;
        big.haircut_bps = 0;
        assert!(compute(&[big], 18).is_ok());
        assert_eq!(compute(&[big; 4], 18), Err(MathError::Overflow));
    }

    #[test]
    fn share_predicates_at_the_edges() {
        assert_eq!(share_at_most(1, 3, 3_333), Ok(false));
        assert_eq!(share_at_least(1, 3, 3_333), Ok(true));
        assert_eq!(share_at_most(1, 3, 3_334), Ok(true));
        assert_eq!(share_at_least(1, 3, 3_334), Ok(false));
        assert_eq!(share_at_most(u128::MAX, u128::MAX, 10_000), Ok(true));
        assert_eq!(share_at_least(u128::MAX, u128::MAX, 10_000), Ok(true));
        assert_eq!(share_at_most(u128::MAX, u128::MAX, 9_999), Ok(false));
        assert_eq!(share_at_least(u128::MAX, u128::MAX, 10_001), Ok(false));
        assert_eq!(share_at_most(u128::MAX, u128::MAX, u16::MAX), Ok(true));
        assert_eq!(share_at_least(0, u128::MAX, 0), Ok(true));
        assert_eq!(share_at_most(0, 0, 0), Ok(true));
        assert_eq!(share_at_most(1, 0, u16::MAX), Ok(false));
        assert_eq!(share_at_least(1, 0, u16::MAX), Ok(true));
        assert_eq!(share_bps_floor(7, 0), Ok(0));
        assert_eq!(share_bps_floor(u128::MAX, u128::MAX), Ok(10_000));
        assert_eq!(share_bps_floor(7, 1), Err(MathError::Overflow));
    }

    fn arb_asset() -> impl Strategy<Value = AssetInput> {
        (
            prop_oneof![1 => any::<u64>(), 3 => 0u64..=1_000_000_000_000],
            1u64..=1_000_000_000_000,
            -12i32..=0,
            0u8..=18,
            0u16..=10_000,
            any::<bool>(),
            any::<u16>(),
            any::<u16>(),
        )
            .prop_map(
                |(balance, mantissa, expo, decimals, haircut_bps, liquid, target, max_w)| {
                    AssetInput {
                        balance,
                        price_lo: Price { mantissa, expo },
                        decimals,
                        haircut_bps,
                        liquid,
                        target_bps: target,
                        max_weight_bps: max_w,
                    }
                },
            )
    }

    fn arb_fund() -> impl Strategy<Value = (Vec<AssetInput>, u8)> {
        (prop::collection::vec(arb_asset(), 1..=MAX_ASSETS), 0u8..=18)
    }

    /// `lhs * 10_000 <= bps * rhs` (or `>=`) in exact arithmetic.
    fn exact_cmp(value: u128, nav: u128, bps: u16) -> core::cmp::Ordering {
        let l = Big::from_u128(value).mul_u128(10_000);
        let r = Big::from_u128(nav).mul_u128(bps as u128);
        l.cmp(&r)
    }

    proptest! {
        #[test]
        fn compute_invariants((assets, nd) in arb_fund()) {
            let w = match compute(&assets, nd) {
                Ok(w) => w,
                Err(e) => {
                    prop_assert_eq!(e, MathError::Overflow);
                    return Ok(());
                }
            };
            let n = assets.len();
            prop_assert_eq!(w.count, n);
            let mut nav = 0u128;
            let mut liquid = 0u128;
            for (a, &v) in assets.iter().zip(&w.values) {
                let (num, den) = exact_value(a.balance, a.price_lo, a.decimals, nd, a.haircut_bps);
                prop_assert!(is_floor(v, &num, &den));
                nav += v;
                if a.liquid {
                    liquid += v;
                }
            }
            prop_assert!(w.values[n..].iter().all(|&v| v == 0));
            prop_assert!(w.weights_bps[n..].iter().all(|&b| b == 0));
            prop_assert_eq!(w.nav, nav);
            prop_assert_eq!(w.liquid_value, liquid);
            prop_assert!(w.liquid_bps <= 10_000);

            let sum: u32 = w.weights_bps.iter().map(|&b| b as u32).sum();
            if nav > 0 {
                prop_assert!(sum <= 10_000);
                prop_assert!(sum > 10_000 - n as u32);
                let ten_k = Big::from_u128(10_000);
                let navb = Big::from_u128(nav);
                for (&v, &b) in w.values.iter().zip(&w.weights_bps) {
                    prop_assert!(is_floor(b as u128, &Big::from_u128(v).mul(&ten_k), &navb));
                }
                prop_assert!(is_floor(w.liquid_bps as u128, &Big::from_u128(liquid).mul(&ten_k), &navb));
            } else {
                prop_assert_eq!(sum, 0);
                prop_assert_eq!(w.liquid_bps, 0);
            }

            let max = *w.weights_bps[..n].iter().max().unwrap();
            prop_assert_eq!(w.max_weight().1, max);
            prop_assert_eq!(w.max_weight().0, w.weights_bps.iter().position(|&b| b == max).unwrap());
            let excess = assets.iter().zip(&w.weights_bps)
                .map(|(a, &b)| b.saturating_sub(a.max_weight_bps)).max().unwrap();
            prop_assert_eq!(w.max_excess_bps(&assets), excess);
            let distance: u32 = assets.iter().zip(&w.weights_bps)
                .map(|(a, &b)| (b as i64 - a.target_bps as i64).unsigned_abs() as u32).sum();
            prop_assert_eq!(w.distance_bps, distance);

            // exact predicates agree with the cross-multiplication
            for (a, &v) in assets.iter().zip(&w.values) {
                let c = exact_cmp(v, w.nav, a.max_weight_bps);
                prop_assert_eq!(share_at_most(v, w.nav, a.max_weight_bps), Ok(c.is_le()));
                prop_assert_eq!(share_at_least(v, w.nav, a.max_weight_bps), Ok(c.is_ge()));
            }
        }

        #[test]
        fn nav_is_monotone(
            (assets, nd) in arb_fund(),
            idx in any::<prop::sample::Index>(),
            balance_up in any::<u64>(),
            mantissa_up in any::<u64>(),
        ) {
            let before = compute(&assets, nd);
            let i = idx.index(assets.len());
            let mut more_balance = assets.clone();
            more_balance[i].balance = more_balance[i].balance.saturating_add(balance_up);
            let mut more_price = assets.clone();
            let m = &mut more_price[i].price_lo.mantissa;
            *m = m.saturating_add(mantissa_up);
            for after in [compute(&more_balance, nd), compute(&more_price, nd)] {
                match (&before, after) {
                    (Ok(b), Ok(a)) => prop_assert!(a.nav >= b.nav),
                    (Ok(_), Err(e)) => prop_assert_eq!(e, MathError::Overflow),
                    (Err(_), a) => prop_assert!(a.is_err()),
                }
            }
        }

        /// Revaluing only the changed assets gives exactly `compute` of the changed fund.
        #[test]
        fn with_values_equals_compute(
            (assets, nd) in arb_fund(),
            i in any::<prop::sample::Index>(),
            j in any::<prop::sample::Index>(),
            bi in any::<u64>(),
            bj in prop_oneof![any::<u64>(), 0u64..1_000_000],
        ) {
            let Ok(before) = compute(&assets, nd) else { return Ok(()); };
            let (i, j) = (i.index(assets.len()), j.index(assets.len()));
            let mut changed = assets.clone();
            changed[i].balance = bi;
            changed[j].balance = bj;
            let value = |a: &AssetInput| value_floor(a.balance, a.price_lo, a.decimals, nd, a.haircut_bps);
            let changes: Vec<(usize, u128)> = match (value(&changed[i]), value(&changed[j])) {
                (Ok(vi), _) if i == j => vec![(i, vi)],
                (Ok(vi), Ok(vj)) => vec![(i, vi), (j, vj)],
                _ => return Ok(()),
            };
            prop_assert_eq!(with_values(&before, &assets, &changes), compute(&changed, nd));
            if i != j {
                prop_assert_eq!(
                    with_values(&before, &assets, &[(i, 0), (i, 1)]),
                    Err(MathError::TooManyAssets)
                );
            }
        }

        #[test]
        fn distance_is_zero_on_target((mut assets, nd) in arb_fund()) {
            if let Ok(w) = compute(&assets, nd) {
                for (a, &b) in assets.iter_mut().zip(&w.weights_bps) {
                    a.target_bps = b;
                }
                let again = compute(&assets, nd).unwrap();
                prop_assert_eq!(again.distance_bps, 0);
            }
        }

        #[test]
        fn share_predicates_are_exact(
            value in prop_oneof![any::<u128>(), any::<u64>().prop_map(u128::from), 0u128..1_000],
            nav in prop_oneof![any::<u128>(), any::<u64>().prop_map(u128::from), 0u128..1_000],
            bps in prop_oneof![any::<u16>(), 0u16..=10_000],
        ) {
            let c = exact_cmp(value, nav, bps);
            prop_assert_eq!(share_at_most(value, nav, bps), Ok(c.is_le()));
            prop_assert_eq!(share_at_least(value, nav, bps), Ok(c.is_ge()));
            // consistent with the floored share when it fits
            if let Ok(b) = share_bps_floor(value, nav) {
                if nav > 0 {
                    prop_assert_eq!(share_at_least(value, nav, b), Ok(true));
                    if b < u16::MAX {
                        prop_assert_eq!(share_at_least(value, nav, b + 1), Ok(false));
                    }
                }
            }
        }
    }
}
