//! The off-chain keeper planner on the on-chain engine (so keeper and program agree). Not in
//! the program binary: nothing on-chain plans.

use super::*;

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
    // what `check_fill` does not owe to the amount (checks 1 and 2) is checked once: when it
    // fails, every amount fails
    let pair = fill_pair(assets, i, o).ok()?;
    let inputs = inputs_of(assets).ok()?;
    let inputs = inputs.get(..assets.len())?;
    check_pair(inputs, pair).ok()?;
    let before = compute(inputs, numeraire_decimals).ok()?;
    let eligible = pair_eligible(inputs, pair, &before, band_bps).ok()?;
    let passes = |a: u64| -> Option<FillQuote> {
        let q = quote(a).ok()?;
        check_amount(
            inputs,
            pair,
            &before,
            eligible,
            a,
            &q,
            (min_liquid_bps, numeraire_decimals),
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
