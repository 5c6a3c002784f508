//! The two baselines a risk team compares the fund with, run on the same market path and
//! the same claims as the simulated fund (off chain, in `f64`):
//!
//! - **stablecoins only**: the whole NAV in the numeraire's stablecoin, never traded;
//! - **DEX-rebalanced**: the fund's assets and targets, but rebalanced through the same pools
//!   at market cost, without auctions or rate limits, whenever an asset leaves its band, in
//!   slices of at most 1 % of a pool's depth per asset and hour (while a claim is open, only
//!   sales of risk assets for stablecoins, as the fund's shortfall mode).
//!
//! Both pay claims under the fund's draw caps (claimant window, per shortfall, lifetime and
//! the fund-wide share of NAV), with the program's leaky bucket
//! (`math::rate_limit::drained_level_ceil`) and cap combination (`math::draw::draw_limit`),
//! from liquid assets first, then yield-bearing, then illiquid, valued at market. Both
//! receive the scenario's daily fees.

use crate::market::{shock_factors, Pool, ShockDraws};
use crate::scenario::Scenario;
use crate::simulate::{bps, Sample, ShortfallStats, HORIZONS};
use insurance_fund::math::draw::draw_limit;
use insurance_fund::math::rate_limit::drained_level_ceil;
use insurance_fund::state::LiquidityClass;
use serde::Serialize;

/// A baseline's figures on one path.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BaselineMetrics {
    pub name: String,
    /// Value paid within each of [`HORIZONS`] hours of the first claim, share of the claims
    /// declared by then; and the stablecoin part.
    pub paid_share: [f64; 4],
    pub stable_paid_share: [f64; 4],
    pub unpaid_24h: bool,
    pub unpaid_72h: bool,
    pub hours_to_pay: Vec<f64>,
    /// Traded volume at mid, and its cost against mid (slippage and fees), bps of it.
    pub volume_mid: f64,
    pub cost_vs_mid_bps: f64,
    pub final_nav: f64,
}

const ATOMS: f64 = 1e6;
/// Largest trade of the DEX baseline per asset and hour, as a share of the pool's depth.
const DEX_SLICE: f64 = 0.01;

fn to_atoms(x: f64) -> u64 {
    (x.max(0.0) * ATOMS).round().min(u64::MAX as f64 / 2.0) as u64
}

/// A leaky bucket in numeraire units, drained with the program's rule.
#[derive(Clone, Copy, Default)]
struct Bucket {
    level: u64,
    at: i64,
}

impl Bucket {
    fn room(&self, capacity: f64, window_secs: u32, now: i64) -> f64 {
        let cap = to_atoms(capacity);
        let level = drained_level_ceil(self.level, cap, window_secs, now - self.at);
        cap.saturating_sub(level) as f64 / ATOMS
    }
    fn take(&mut self, x: f64, capacity: f64, window_secs: u32, now: i64) {
        let cap = to_atoms(capacity);
        self.level = drained_level_ceil(self.level, cap, window_secs, now - self.at)
            .saturating_add(to_atoms(x));
        self.at = now;
    }
}

/// Runs both baselines on the path `samples` (market prices per step) with `claims`.
pub fn run_baselines(
    s: &Scenario,
    samples: &[Sample],
    claims: &[ShortfallStats],
    draws: &ShockDraws,
) -> Vec<BaselineMetrics> {
    vec![
        run_one(s, samples, claims, draws, false),
        run_one(s, samples, claims, draws, true),
    ]
}

fn run_one(
    s: &Scenario,
    samples: &[Sample],
    claims: &[ShortfallStats],
    draws: &ShockDraws,
    dex: bool,
) -> BaselineMetrics {
    let n = s.assets.len();
    let nav0 = s.simulation.initial_nav;
    let numeraire = s
        .assets
        .iter()
        .position(|a| a.class == LiquidityClass::Liquid)
        .unwrap_or(0);
    let mut held: Vec<f64> = s
        .assets
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let w = if dex {
                f64::from(a.initial_weight_bps.unwrap_or(a.target_bps)) / 10_000.0
            } else if k == numeraire {
                1.0
            } else {
                0.0
            };
            nav0 * w / a.price
        })
        .collect();
    // waterfall: liquid, yield-bearing, illiquid, asset order within a class
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&k| match s.assets[k].class {
        LiquidityClass::Liquid => 0,
        LiquidityClass::YieldBearing => 1,
        LiquidityClass::Illiquid => 2,
    });
    let fp = &s.fund;
    let c = &s.claimant;
    let mut paid = vec![0.0; claims.len()];
    let mut paid_at: Vec<Option<f64>> = vec![None; claims.len()];
    let mut unpaid_at = vec![[None::<f64>; 2]; claims.len()];
    let mut log: Vec<(f64, f64, f64)> = vec![];
    let (mut fund_bucket, mut claimant_bucket) = (Bucket::default(), Bucket::default());
    let mut lifetime = 0.0;
    let (mut volume, mut cost) = (0.0, 0.0);
    let start = s.simulation.start_unix;
    for x in samples {
        let now = start + (x.t_hours * 3600.0).round() as i64;
        let p = &x.prices;
        // the day's fee inflows, as the fund receives them (the stablecoin-only fund in its
        // one stablecoin)
        if (now - start) % 86_400 == 0 {
            for fee in &s.fees {
                let k = if dex {
                    s.assets
                        .iter()
                        .position(|a| a.name == fee.asset)
                        .unwrap_or(numeraire)
                } else {
                    numeraire
                };
                held[k] += fee.daily / p[k].max(1e-9);
            }
        }
        let nav: f64 = (0..n).map(|k| held[k] * p[k]).sum();
        let open = claims
            .iter()
            .enumerate()
            .any(|(j, cl)| cl.declared_hour <= x.t_hours && paid[j] < cl.declared - 0.5);
        if dex && nav > 0.0 {
            let pools: Vec<Pool> = s
                .assets
                .iter()
                .enumerate()
                .map(|(k, a)| {
                    let (_, depth) = shock_factors(s, draws, &a.name, x.t_hours / 24.0);
                    Pool::new(p[k], a.pool_depth * depth, s.market.fee_bps)
                })
                .collect();
            // a trader splits a large order: at most `DEX_SLICE` of a pool's depth an hour
            let max_trade = |k: usize| {
                if pools[k].flat {
                    f64::INFINITY
                } else {
                    pools[k].y * DEX_SLICE
                }
            };
            let band = f64::from(fp.band_bps) / 10_000.0;
            let weight = |k: usize, held: &[f64]| held[k] * p[k] / nav;
            let target = |k: usize| f64::from(s.assets[k].target_bps) / 10_000.0;
            let beyond = (0..n).any(|k| (weight(k, &held) - target(k)).abs() > band);
            let outstanding: f64 = claims
                .iter()
                .enumerate()
                .filter(|(_, cl)| cl.declared_hour <= x.t_hours)
                .map(|(j, cl)| cl.declared - paid[j])
                .sum();
            let liquid: f64 = (0..n)
                .filter(|&k| s.assets[k].class == LiquidityClass::Liquid)
                .map(|k| held[k] * p[k])
                .sum();
            if beyond || (open && liquid < outstanding) {
                let mut dollars = 0.0;
                let mut sell = |k: usize, value: f64, held: &mut [f64]| {
                    let units = (value.min(max_trade(k)) / p[k]).min(held[k]);
                    if units * p[k] > 1.0 {
                        let got = pools[k].sell_quote(units);
                        held[k] -= units;
                        dollars += got;
                        volume += units * p[k];
                        cost += units * p[k] - got;
                    }
                };
                if open {
                    // shortfall mode: only risk assets out, for what the claims still need
                    let mut need = outstanding - liquid;
                    for &k in order
                        .iter()
                        .filter(|&&k| s.assets[k].class != LiquidityClass::Liquid)
                    {
                        if need <= 0.0 {
                            break;
                        }
                        let v = need.min(held[k] * p[k]);
                        sell(k, v, &mut held);
                        need -= v;
                    }
                } else {
                    // sell over-weight assets ...
                    for k in (0..n).filter(|&k| k != numeraire) {
                        let excess = held[k] * p[k] - target(k) * nav;
                        if excess > 0.0 {
                            sell(k, excess, &mut held);
                        }
                    }
                }
                held[numeraire] += dollars / p[numeraire].max(1e-9);
                // ... then buy under-weight ones with the numeraire (not while a claim is open)
                if !open {
                    for k in 0..n {
                        let short = (target(k) * nav - held[k] * p[k]).min(max_trade(k));
                        if short > 1.0 && k != numeraire {
                            let units = short / p[k];
                            let paid_usd = pools[k].buy_cost(units);
                            let avail = held[numeraire] * p[numeraire];
                            if paid_usd.is_finite() && paid_usd <= avail {
                                held[numeraire] -= paid_usd / p[numeraire];
                                held[k] += units;
                                volume += units * p[k];
                                cost += paid_usd - units * p[k];
                            }
                        }
                    }
                }
            }
        }
        // claims payable now, in declaration order
        let nav: f64 = (0..n).map(|k| held[k] * p[k]).sum();
        for (j, cl) in claims.iter().enumerate() {
            if cl.payable_from_hour > x.t_hours + 1e-9 || paid[j] >= cl.declared - 0.5 {
                continue;
            }
            let fund_cap = nav * f64::from(fp.draw_fund_cap_bps) / 10_000.0;
            let limit = draw_limit(&[
                to_atoms(cl.declared - paid[j]),
                to_atoms(c.max_per_shortfall - paid[j]),
                to_atoms(claimant_bucket.room(c.max_per_window, fp.draw_window_secs, now)),
                to_atoms(c.lifetime_max - lifetime),
                to_atoms(fund_bucket.room(fund_cap, fp.draw_window_secs, now)),
            ]) as f64
                / ATOMS;
            let mut left = limit;
            let mut stable = 0.0;
            for &k in &order {
                if left <= 0.0 {
                    break;
                }
                let v = (held[k] * p[k]).min(left);
                held[k] -= v / p[k];
                left -= v;
                if s.assets[k].class == LiquidityClass::Liquid {
                    stable += v;
                }
            }
            let got = limit - left;
            if got > 0.0 {
                paid[j] += got;
                lifetime += got;
                fund_bucket.take(got, fund_cap, fp.draw_window_secs, now);
                claimant_bucket.take(got, c.max_per_window, fp.draw_window_secs, now);
                log.push((x.t_hours, got, stable));
            }
            if paid[j] >= cl.declared - 0.5 && paid_at[j].is_none() {
                paid_at[j] = Some(x.t_hours - cl.declared_hour);
            }
        }
        for (j, cl) in claims.iter().enumerate() {
            let age = x.t_hours - cl.declared_hour;
            for (m, h) in [24.0, 72.0].iter().enumerate() {
                if age >= *h && unpaid_at[j][m].is_none() {
                    unpaid_at[j][m] = Some((cl.declared - paid[j]).max(0.0));
                }
            }
        }
    }
    let end = samples.last().map_or(0.0, |x| x.t_hours);
    let last_prices = samples.last().map(|x| x.prices.clone()).unwrap_or_default();
    let mut m = BaselineMetrics {
        name: if dex {
            "DEX-rebalanced fund".into()
        } else {
            "stablecoins only".into()
        },
        volume_mid: volume,
        cost_vs_mid_bps: bps(cost, volume),
        final_nav: (0..n)
            .map(|k| held[k] * last_prices.get(k).copied().unwrap_or(0.0))
            .sum(),
        ..Default::default()
    };
    m.hours_to_pay = claims
        .iter()
        .enumerate()
        .map(|(j, cl)| paid_at[j].unwrap_or(end - cl.declared_hour))
        .collect();
    let late = |m_: usize, h: f64| {
        claims.iter().enumerate().any(|(j, cl)| {
            unpaid_at[j][m_].is_some_and(|u| u > 0.5)
                || (paid_at[j].is_none() && end - cl.declared_hour >= h)
        })
    };
    m.unpaid_24h = late(0, 24.0);
    m.unpaid_72h = late(1, 72.0);
    if let Some(h0) = claims.iter().map(|x| x.declared_hour).reduce(f64::min) {
        for (j, h) in HORIZONS.iter().enumerate() {
            let t = h0 + h;
            let due: f64 = claims
                .iter()
                .filter(|x| x.declared_hour <= t)
                .map(|x| x.declared)
                .sum();
            if due > 0.0 {
                m.paid_share[j] = log.iter().filter(|d| d.0 <= t).map(|d| d.1).sum::<f64>() / due;
                m.stable_paid_share[j] =
                    log.iter().filter(|d| d.0 <= t).map(|d| d.2).sum::<f64>() / due;
            }
        }
    }
    m
}
