//! Unit and property tests of the rebalance engine.

use super::*;
use crate::math::valuation::amount_for_value_ceil;
use crate::math::valuation::reference::{is_floor, Big};
use crate::math::wide::LOW_64;
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
    // only the in-asset gains value: it must end within its cap
    if x(&a, i) > Nat::m(a.nav, assets[i].input.max_weight_bps as u128) {
        return Err(FillError::ConcentrationBound);
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
    // an asset over its cap that the fill does not add to does not block it, although the
    // premium lifts its share (draws leave a liquid asset over its cap in a crisis): asset 2
    // holds 20 % against a 15 % cap; a 1 % premium lowers the NAV and lifts it further
    let mut over = [usd(700, 5_000), usd(100, 4_000), usd(200, 1_000)];
    over[2].input.max_weight_bps = 1_500;
    let (before, after) = fill(&over, 1, 0, 50 * USD, 100, 0).unwrap();
    assert!(after.nav < before.nav && after.values[2] == before.values[2]);
    // ... while the in-asset still may not end over its own cap (10 % -> 15 %)
    over[1].input.max_weight_bps = 1_000;
    assert_eq!(
        fill(&over, 1, 0, 50 * USD, 100, 0),
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
            let unit = amount_for_value_ceil(w.nav, p.price_lo, p.decimals, nd).unwrap_or(u64::MAX);
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
    // concentration: the in-asset, the only one the fill adds to, ends within its cap
    prop_assert!(x(a, i) <= Nat::m(a.nav, assets[i].input.max_weight_bps as u128));
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
    for _ in 0..4_000 {
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

    /// `band_state`'s one-pass native path answers as `is_over` and `is_under`, at and around
    /// its limits (2^48 operands, `target + band` at `u16::MAX`).
    #[test]
    fn band_state_matches_the_separate_tests(
        v in prop_oneof![0..=SMALL_OPERAND, (SMALL_OPERAND - 2)..=(SMALL_OPERAND + 2), any::<u64>().prop_map(u128::from)],
        nav in prop_oneof![0..=SMALL_OPERAND, (SMALL_OPERAND - 2)..=(SMALL_OPERAND + 2), any::<u64>().prop_map(u128::from)],
        target in prop_oneof![any::<u16>(), 0u16..=10_000, 65_000u16..=u16::MAX],
        band in prop_oneof![any::<u16>(), 0u16..=1_000, 530u16..=540],
    ) {
        prop_assert_eq!(
            band_state(v, nav, target, band),
            (is_over(v, nav, target, band), is_under(v, nav, target, band))
        );
        // and on a share the two sides can see: exactly at the upper and lower bounds
        if nav > 0 && nav <= SMALL_OPERAND {
            let at = |bps: u32| nav * u128::from(bps) / 10_000;
            let upper = u32::from(target) + u32::from(band);
            for x in [at(upper), at(upper) + 1, at(u32::from(target.saturating_sub(band)))] {
                prop_assert_eq!(
                    band_state(x, nav, target, band),
                    (is_over(x, nav, target, band), is_under(x, nav, target, band))
                );
            }
        }
    }

    /// The native fast paths of `cmp_share` (value and NAV below 2^48, bps within u16) and
    /// `cmp_ratio` (every term within u64) answer as the reference, at and around their
    /// limits.
    #[test]
    fn share_and_ratio_fast_paths_match_reference(
        v in prop_oneof![0..=SMALL_OPERAND, (SMALL_OPERAND - 2)..=(SMALL_OPERAND + 2), any::<u64>().prop_map(u128::from)],
        nav in prop_oneof![0..=SMALL_OPERAND, (SMALL_OPERAND - 2)..=(SMALL_OPERAND + 2), any::<u64>().prop_map(u128::from)],
        bps in prop_oneof![any::<u16>().prop_map(u128::from), 65_530u128..65_540, 0u128..200_000],
        a in prop_oneof![any::<u64>().prop_map(u128::from), (u128::from(u64::MAX) - 2)..=(u128::from(u64::MAX) + 2), any::<u128>()],
        b in prop_oneof![any::<u64>().prop_map(u128::from), (u128::from(u64::MAX) - 2)..=(u128::from(u64::MAX) + 2), 1u128..1_000],
        c in prop_oneof![any::<u64>().prop_map(u128::from), (u128::from(u64::MAX) - 2)..=(u128::from(u64::MAX) + 2), any::<u128>()],
        d in prop_oneof![any::<u64>().prop_map(u128::from), (u128::from(u64::MAX) - 2)..=(u128::from(u64::MAX) + 2), 1u128..1_000],
    ) {
        prop_assert_eq!(
            cmp_share(v, nav, bps),
            Big::from_u128(v).mul_u128(10_000).cmp(&Big::from_u128(nav).mul_u128(bps))
        );
        prop_assert_eq!(
            cmp_ratio(a, b, c, d),
            Big::from_u128(a).mul_u128(d).cmp(&Big::from_u128(c).mul_u128(b))
        );
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

// ---- crisis set-back ------------------------------------------------------------------

#[test]
fn a_crisis_take_sets_the_auction_back_in_proportion_to_what_it_takes_rounding_up() {
    // LST 390 of NAV 690 against a 20 % target: excess 390 - 138 = 252; a take of 10 of it
    // moves a 3,600 s auction back by 3,600 * 0.75 * 10 / 252 = 107.14, rounded up
    let one = 1_000_000u128;
    assert_eq!(
        crisis_set_back_ceil(3_600, 10_000_000, 390 * one, 2_000, 690 * one),
        108
    );
    // the whole excess: three quarters of the auction
    assert_eq!(
        crisis_set_back_ceil(3_600, 252_000_000, 390 * one, 2_000, 690 * one),
        2_700
    );
    // more than 4/3 of the excess, or no excess at all: the whole auction, never more
    assert_eq!(
        crisis_set_back_ceil(3_600, 400_000_000, 390 * one, 2_000, 690 * one),
        3_600
    );
    assert_eq!(
        crisis_set_back_ceil(3_600, 1, 138 * one, 2_000, 690 * one),
        3_600
    );
    assert_eq!(crisis_set_back_ceil(3_600, 1, 0, 0, 0), 3_600);
    // the target's value rounds up (excess down): 1 atom of value over a target of 0.2 atom
    // (rounded to 1) leaves no excess
    assert_eq!(crisis_set_back_ceil(3_600, 1, 1, 2_000, 1), 3_600);
    // the smallest take still moves the clock by a second (rounded up, not to 0)
    assert_eq!(
        crisis_set_back_ceil(3_600, 1, 390 * one, 2_000, 690 * one),
        1
    );
    // a zero take moves nothing; a zero-length auction nothing either
    assert_eq!(
        crisis_set_back_ceil(3_600, 0, 390 * one, 2_000, 690 * one),
        0
    );
    assert_eq!(crisis_set_back_ceil(0, 10, 390 * one, 2_000, 690 * one), 0);
}

proptest! {
    /// Never negative, never more than the auction, never fails; monotone in the take; at
    /// least the exact proportional figure (rounded up, the fund's favour).
    #[test]
    fn crisis_set_back_is_bounded_monotone_and_rounds_up(
        duration in 0u32..=7 * 24 * 3_600,
        take in any::<u64>(),
        more in any::<u64>(),
        value_out in any::<u128>(),
        target in 0u16..=10_000,
        nav in any::<u128>(),
    ) {
        let s = crisis_set_back_ceil(duration, take, value_out, target, nav);
        prop_assert!((0..=i64::from(duration)).contains(&s));
        let bigger = crisis_set_back_ceil(duration, take.saturating_add(more), value_out, target, nav);
        prop_assert!(bigger >= s);
        let target_value = Nat::m(nav, u128::from(target));
        let excess_exceeds = Nat::m(value_out, 10_000) > target_value;
        if excess_exceeds && s < i64::from(duration) {
            // s >= duration * take * 0.75 / excess, with excess <= value_out - target * nav / 10^4:
            // s * (value_out * 10^4 - target * nav) >= duration * take * 7,500
            let lhs = Nat::m(s as u128, 1).mul(Nat::m(value_out, 10_000).sub(target_value));
            let rhs = Nat::m(u128::from(duration) * u128::from(take), 7_500);
            prop_assert!(lhs >= rhs);
        }
    }
}
