//! Flash fills without inventory (#17): the keeper borrows the fund's over-weight asset
//! (`rebalance_begin`), sells it through a pool or an aggregator's route for the under-weight
//! one, delivers what the fund requires and keeps the rest (`rebalance_end`), all in one
//! transaction.
//!
//! Planning runs on the program's own engine and the route's quotes:
//! `math::rebalance::max_fill_priced` bounds the delivery the fund accepts at the pair's
//! current premium and sale price (gap clearing included) and under the terms in force (the
//! crisis profile's in crisis mode); the quote source says what selling the borrowed asset
//! through the route returns, price impact included (for a pool, `client::amm::quote_swap`). The keeper takes the largest
//! delivery that still leaves it its minimum profit (a keeper wants the fund converted as
//! far as it pays). The quote source is one interface, [`QuoteSource`]: what selling an
//! amount of one mint returns in another, and the instructions (plus any address lookup
//! tables) that execute it with the keeper as owner and signer. Two implementations:
//! - [`Pools`]: SPL Token Swap pools ([`PoolView`]) read from any [`crate::chain::Chain`]
//!   (the embedded runtime, or a cluster with `ifund keeper --swap-pool`); a quote is the
//!   pool's own arithmetic, so the planner searches every size;
//! - [`jupiter::Jupiter`]: Jupiter's Swap API v6 (`ifund keeper --jupiter-url`), one HTTP
//!   request per quote, so the planner probes a few sizes ([`QuoteSource::probe_budget`]) and
//!   counts on the quote less its slippage (`otherAmountThreshold`); the transaction is a v0
//!   message with the route's lookup tables. The real API was not reachable from the
//!   machines this was written on: its format is taken from Jupiter's published v6 OpenAPI
//!   description and tested against a mock server (`app/tests/flash_jupiter.rs`).

use crate::keeper::{PlanParams, Skip};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use insurance_fund::math::rebalance::{max_fill_priced, open_pairs, quote_sale, FillQuote};
use insurance_fund::math::valuation::value_floor;
use insurance_fund::state::Fund;
use insurance_fund_client::amm::{self, Direction, PoolState, SwapQuote};

pub mod jupiter;
use insurance_fund_client::ix;

/// A constant-product pool as the keeper sees it now: its keys, mints, fees and reserves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolView {
    pub state: PoolState,
    pub reserve_a: u64,
    pub reserve_b: u64,
}

impl PoolView {
    /// The direction selling `mint_in` for `mint_out` takes, if this pool trades the pair.
    pub fn direction(&self, mint_in: &Pubkey, mint_out: &Pubkey) -> Option<Direction> {
        let (a, b) = (self.state.token_a_mint, self.state.token_b_mint);
        if (*mint_in, *mint_out) == (a, b) {
            Some(Direction::AToB)
        } else if (*mint_in, *mint_out) == (b, a) {
            Some(Direction::BToA)
        } else {
            None
        }
    }

    /// What selling `amount_in` in `direction` returns, exactly as the pool computes it.
    pub fn quote(&self, direction: Direction, amount_in: u64) -> Option<SwapQuote> {
        let (r_in, r_out) = match direction {
            Direction::AToB => (self.reserve_a, self.reserve_b),
            Direction::BToA => (self.reserve_b, self.reserve_a),
        };
        amm::quote_swap(amount_in, r_in, r_out, &self.state.fees)
    }
}

/// One venue's answer to "what does selling `amount_in` of one mint return in another".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteQuote {
    /// Which venue of the source answered: the pool's index for pools, 0 for an aggregator.
    pub venue: usize,
    pub amount_in: u64,
    /// What the route returns, as quoted.
    pub amount_out: u64,
    /// The least the route's swap instructions accept (their slippage bound). A pool quote is
    /// exact (`amount_out`); an aggregator's is its `otherAmountThreshold`.
    pub min_out: u64,
    /// What the source needs to build the swap.
    pub detail: RouteDetail,
}

/// The source-specific half of a [`RouteQuote`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteDetail {
    /// A pool's direction.
    Pool(Direction),
    /// The aggregator's quote response, sent back verbatim for its swap instructions.
    Aggregator(serde_json::Value),
}

/// The instructions that execute a [`RouteQuote`] with the keeper as owner and signer, and
/// the address lookup tables they need (none: a legacy transaction fits).
#[derive(Clone, Debug, Default)]
pub struct SwapRoute {
    /// Before `rebalance_begin` (an aggregator's account setup).
    pub setup: Vec<Instruction>,
    /// Between `rebalance_begin` and the delivery: the swap and its cleanup.
    pub swap: Vec<Instruction>,
    pub lookup_tables: Vec<Pubkey>,
}

/// Where the keeper learns what selling one asset for another returns, and how to do it:
/// SPL Token Swap pools read from the chain ([`PoolView`]) or a DEX aggregator's quote API
/// ([`jupiter::Jupiter`]). The planner ([`plan_flash_via`]) knows only this interface.
pub trait QuoteSource {
    /// For messages ("SPL Token Swap pools", the aggregator's URL).
    fn describe(&self) -> String;
    /// How many quotes a pair's sizing may ask for: `None` when a quote is a local computation
    /// (the planner then searches sizes to the atom), else the probe budget per pair.
    fn probe_budget(&self) -> Option<usize>;
    /// The venue that sells `mint_in` for `mint_out`, if any, with the most of `mint_out` it
    /// can return (a pool's reserve; `u64::MAX` for an aggregator).
    fn venue(&self, mint_in: &Pubkey, mint_out: &Pubkey) -> Option<(usize, u64)>;
    /// What selling `amount_in` through `venue` returns (`Ok(None)`: nothing, e.g. a trade the
    /// pool cannot make). `Err` is the source failing (unreachable, malformed answer).
    fn quote(
        &mut self,
        venue: usize,
        mint_in: &Pubkey,
        mint_out: &Pubkey,
        amount_in: u64,
    ) -> anyhow::Result<Option<RouteQuote>>;
    /// The instructions selling `q.amount_in` from the keeper's `source` account into its
    /// `destination` account (`accounts`: source, destination), failing unless at least
    /// `min_out` (≤ `q.min_out`) arrives.
    fn swap(
        &mut self,
        q: &RouteQuote,
        keeper: &Pubkey,
        accounts: (Pubkey, Pubkey),
        min_out: u64,
    ) -> anyhow::Result<SwapRoute>;
}

/// SPL Token Swap pools as a quote source: every quote is the pool's own arithmetic on the
/// reserves read from the chain, so the planner searches every size.
pub struct Pools<'a>(pub &'a [PoolView]);

impl QuoteSource for Pools<'_> {
    fn describe(&self) -> String {
        format!("{} SPL Token Swap pool(s)", self.0.len())
    }

    fn probe_budget(&self) -> Option<usize> {
        None
    }

    fn venue(&self, mint_in: &Pubkey, mint_out: &Pubkey) -> Option<(usize, u64)> {
        self.0.iter().enumerate().find_map(|(k, p)| {
            p.direction(mint_in, mint_out).map(|d| {
                let reserve_out = match d {
                    Direction::AToB => p.reserve_b,
                    Direction::BToA => p.reserve_a,
                };
                (k, reserve_out)
            })
        })
    }

    fn quote(
        &mut self,
        venue: usize,
        mint_in: &Pubkey,
        mint_out: &Pubkey,
        amount_in: u64,
    ) -> anyhow::Result<Option<RouteQuote>> {
        let Some(pool) = self.0.get(venue) else {
            return Ok(None);
        };
        let Some(direction) = pool.direction(mint_in, mint_out) else {
            return Ok(None);
        };
        Ok(pool.quote(direction, amount_in).map(|s| RouteQuote {
            venue,
            amount_in,
            amount_out: s.amount_out,
            min_out: s.amount_out,
            detail: RouteDetail::Pool(direction),
        }))
    }

    fn swap(
        &mut self,
        q: &RouteQuote,
        keeper: &Pubkey,
        (source, destination): (Pubkey, Pubkey),
        min_out: u64,
    ) -> anyhow::Result<SwapRoute> {
        let pool = self
            .0
            .get(q.venue)
            .ok_or_else(|| anyhow::anyhow!("no pool #{}", q.venue))?;
        let RouteDetail::Pool(direction) = q.detail else {
            anyhow::bail!("not a pool quote");
        };
        Ok(SwapRoute {
            setup: vec![],
            swap: vec![amm::swap_ix(
                &pool.state.keys,
                direction,
                keeper,
                &source,
                &destination,
                q.amount_in,
                min_out,
            )],
            lookup_tables: vec![],
        })
    }
}

/// A flash fill the program and the route will both accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashPlan {
    /// Delivered to the fund (under-weight) and borrowed from it (over-weight).
    pub asset_in: usize,
    pub asset_out: usize,
    /// The venue of the quote source (the pool's index in the list planned over; 0 for an
    /// aggregator).
    pub pool: usize,
    /// The route's quote for selling `quote.amount_out` of the out-asset.
    pub route: RouteQuote,
    /// What the keeper delivers into the in-vault; the fund's quote for it.
    pub delivered: u64,
    pub quote: FillQuote,
    /// What the route returns for `quote.amount_out` of the out-asset, as quoted; it
    /// guarantees `route.min_out`, at least `delivered`.
    pub swap_out: u64,
    pub premium_bps: u16,
    /// `route.min_out - delivered` valued at the in-asset's lower price, minus the cost,
    /// numeraire atoms.
    pub expected_profit: i128,
}

/// The best flash fill over `pools` ([`plan_flash_via`] over [`Pools`]).
pub fn plan_flash(
    fund: &Fund,
    now: i64,
    pools: &[PoolView],
    params: PlanParams,
) -> Result<FlashPlan, Skip> {
    plan_flash_via(fund, now, &mut Pools(pools), params)
}

/// The best flash fill through `source`: for each open pair whose auction runs, whose mode the
/// fund allows and whose prices are fresh, with a venue selling the out-asset for the
/// in-asset, the largest delivery the fund accepts within its rate limits that still earns
/// `params.min_profit` on what the route guarantees; the pair converting the most value wins.
/// Every skip has a reason; a source that fails (and finds nothing elsewhere) is
/// `Skip::QuoteFailed`.
pub fn plan_flash_via(
    fund: &Fund,
    now: i64,
    source: &mut dyn QuoteSource,
    params: PlanParams,
) -> Result<FlashPlan, Skip> {
    crate::keeper::precheck(fund, now)?;
    let mode = fund.fill_mode(now);
    let n = fund.asset_count as usize;
    let assets = fund.rebalance_assets_without(mode.stale, mode.tilt);
    let assets = &assets[..n];
    let w = fund
        .weights_without(mode.stale, mode.tilt)
        .map_err(|e| Skip::Engine(e.to_string()))?;
    let terms = mode.terms;
    let (volume_room, premium_room) = crate::keeper::rate_rooms(fund, now);
    if volume_room < fund.rebalance.min_trade_value.max(1) {
        return Err(Skip::RateLimited);
    }
    let nd = fund.numeraire_decimals;
    let max_age = fund.max_price_age_secs;
    let budget = source.probe_budget();
    let source = std::cell::RefCell::new(source);
    let failure: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
    let mut best: Option<FlashPlan> = None;
    let mut best_unprofitable: Option<i128> = None;
    let mut any_pool = false;
    // whether any quote was asked, and whether any came back with a route (an aggregator
    // may answer that it has none)
    let (asked_any, routed) = (std::cell::Cell::new(false), std::cell::Cell::new(false));
    for pair in open_pairs(&w, assets, fund.rebalance.band_bps) {
        let (i, o) = (pair.i, pair.o);
        let (ai, ao) = (&fund.assets[i], &fund.assets[o]);
        if !(ai.price_is_fresh(now, max_age) && ao.price_is_fresh(now, max_age))
            || fund.check_fill_mode(i, o, &mode).is_err()
            || !fund.pair_started(i, o, (pair.out_over_band, pair.in_under_band))
        {
            continue;
        }
        let Some((venue, reserve_in)) = source.borrow().venue(&ao.mint, &ai.mint) else {
            continue;
        };
        any_pool = true;
        let premium = fund.pair_premium_bps(&terms, i, o, now);
        let out = fund.pair_out_pricing(&terms, i, o, now);
        let quote = |a: u64| quote_sale(&assets[i].input, &out, ao.decimals, a, premium, nd).ok();
        // the largest delivery the fund's bounds accept (at most what the venue can return)
        let Some((a_bounds, _)) = max_fill_priced(
            assets,
            i,
            o,
            premium,
            &out,
            fund.min_liquid_bps,
            fund.rebalance.band_bps,
            nd,
            reserve_in,
        ) else {
            continue;
        };
        // ... and the rate limits (value and premium grow with the delivery)
        let within_rooms = |a: u64| {
            quote(a).is_some_and(|q| {
                q.value_in <= u128::from(volume_room) && q.premium_value <= u128::from(premium_room)
            })
        };
        let a_max = largest(1, a_bounds, within_rooms);
        let Some(a_max) = a_max else { continue };
        // the route's answer for what delivering `a` borrows (asked once per size)
        let asked: std::cell::RefCell<std::collections::HashMap<u64, Option<RouteQuote>>> =
            Default::default();
        let route = |borrowed: u64| -> Option<RouteQuote> {
            if let Some(r) = asked.borrow().get(&borrowed) {
                return r.clone();
            }
            asked_any.set(true);
            let r = match source
                .borrow_mut()
                .quote(venue, &ao.mint, &ai.mint, borrowed)
            {
                Ok(r) => {
                    routed.set(routed.get() || r.is_some());
                    r
                }
                Err(e) => {
                    failure.borrow_mut().get_or_insert(format!("{e:#}"));
                    None
                }
            };
            asked.borrow_mut().insert(borrowed, r.clone());
            r
        };
        // what the keeper keeps: what the route guarantees for what it borrows, minus the
        // delivery, valued at the in-asset's lower price, minus its cost
        let profit = |a: u64| -> Option<(i128, FillQuote, RouteQuote)> {
            let q = quote(a)?;
            if q.amount_out == 0 {
                return None;
            }
            let r = route(q.amount_out)?;
            let back = r.min_out;
            // what the keeper keeps (negative: the route returns less than the fund requires)
            let value = |x: u64| {
                value_floor(x, ai.lower_price(), ai.decimals, nd, 0)
                    .ok()
                    .and_then(|v| i128::try_from(v).ok())
            };
            let kept = if back >= a {
                value(back - a)?
            } else {
                -value(a - back)?
            };
            Some((kept - i128::from(params.cost), q, r))
        };
        let score = |a: u64| profit(a).map_or(i128::MIN, |p| p.0);
        let min = i128::from(params.min_profit);
        let chosen = match budget {
            // the profit rises then falls with the size (price impact): find its peak, then
            // the largest size beyond it still paying the minimum
            None => {
                let peak = peak(1, a_max, score);
                if score(peak) < min {
                    Err(score(peak))
                } else {
                    Ok(largest(peak, a_max, |a| score(a) >= min).unwrap_or(peak))
                }
            }
            // each quote is a request: probe a few sizes
            Some(n) => probe(a_max, n, score, min),
        };
        let a = match chosen {
            Ok(a) => a,
            Err(best_score) => {
                if best_score > i128::MIN {
                    best_unprofitable =
                        Some(best_unprofitable.map_or(best_score, |b| b.max(best_score)));
                }
                continue;
            }
        };
        let Some((expected_profit, q, r)) = profit(a) else {
            continue;
        };
        // the swap's minimum out is at least the delivery: the route must cover it
        if r.min_out < a {
            continue;
        }
        if q.value_in < u128::from(fund.rebalance.min_trade_value) {
            continue;
        }
        let candidate = FlashPlan {
            asset_in: i,
            asset_out: o,
            pool: r.venue,
            swap_out: r.amount_out,
            route: r,
            delivered: a,
            quote: q,
            premium_bps: premium,
            expected_profit,
        };
        if best
            .as_ref()
            .is_none_or(|b| candidate.quote.value_in > b.quote.value_in)
        {
            best = Some(candidate);
        }
    }
    let failure = failure.into_inner();
    match best {
        Some(b) => Ok(b),
        None => match best_unprofitable {
            Some(p) => Err(Skip::Unprofitable {
                best_profit: p,
                min_profit: params.min_profit,
            }),
            None if !any_pool => Err(Skip::NoRoute),
            None => match failure {
                Some(e) => Err(Skip::QuoteFailed(e)),
                // every quote asked answered that there is no route
                None if !routed.get() && asked_any.get() => Err(Skip::NoRoute),
                None => Err(Skip::NoAcceptableFill),
            },
        },
    }
}

/// Sizing with a probe budget of `n` quotes (an aggregator answers one size per request): the
/// sizes `a_max`, `a_max / 4`, `a_max / 16`, ... (all but three probes: price impact grows
/// fast with the size, so the ladder spans orders of magnitude), the largest of them paying
/// `min`, then a bisection towards the failing size above it with the rest of the budget.
/// `Err`: no probe pays, with the best score seen.
fn probe(a_max: u64, n: usize, score: impl Fn(u64) -> i128, min: i128) -> Result<u64, i128> {
    let ladder = n.saturating_sub(3).max(1);
    let (mut good, mut bad) = (None, None);
    let mut best = i128::MIN;
    let mut used = 0;
    let mut a = a_max;
    while used < ladder && a > 0 {
        let s = score(a);
        used += 1;
        best = best.max(s);
        if s >= min {
            good = Some(a);
            break;
        }
        bad = Some(a);
        a /= 4;
    }
    let Some(mut good) = good else {
        return Err(best);
    };
    // between the paying size and the failing one above it, the profit falls with the size
    if let Some(mut bad) = bad {
        while used < n && bad - good > 1 {
            let mid = good + (bad - good) / 2;
            used += 1;
            if score(mid) >= min {
                good = mid;
            } else {
                bad = mid;
            }
        }
    }
    Ok(good)
}

/// The largest `a` in `lo..=hi` with `ok(a)`, given `ok` holds on a prefix of the range.
fn largest(lo: u64, hi: u64, ok: impl Fn(u64) -> bool) -> Option<u64> {
    if lo > hi || !ok(lo) {
        return None;
    }
    let (mut good, mut bad) = (lo, hi.checked_add(1)?);
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if ok(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Some(good)
}

/// An `a` in `lo..=hi` maximising a unimodal `f` (integer ternary search, then a short scan).
fn peak(lo: u64, hi: u64, f: impl Fn(u64) -> i128) -> u64 {
    let (mut lo, mut hi) = (lo, hi.max(lo));
    while hi - lo > 2 {
        let m1 = lo + (hi - lo) / 3;
        let m2 = hi - (hi - lo) / 3;
        if f(m1) < f(m2) {
            lo = m1 + 1;
        } else {
            hi = m2;
        }
    }
    (lo..=hi).max_by_key(|&a| f(a)).unwrap_or(lo)
}

/// The transaction of a flash plan through `pool`: see [`flash_transaction`] (a pool needs
/// no setup and no lookup table).
///
/// # Panics
/// When `p` is not a pool plan (an aggregator's route is built with [`QuoteSource::swap`]).
pub fn flash_instructions(
    fund_key: &Pubkey,
    fund: &Fund,
    pool: &PoolView,
    keeper: &Pubkey,
    accounts: (Pubkey, Pubkey),
    p: &FlashPlan,
) -> Vec<Instruction> {
    let pools = [*pool];
    let mut plan = p.clone();
    plan.route.venue = 0;
    let route = Pools(&pools)
        .swap(&plan.route, keeper, (accounts.1, accounts.0), p.delivered)
        .expect("a pool plan");
    flash_transaction(fund_key, fund, keeper, accounts, p, route).0
}

/// The transaction of a flash plan: the route's setup, `rebalance_begin` lending the
/// out-asset to the keeper's account of it, the route's swap into the keeper's account of the
/// in-asset (minimum out at least the delivery, so a route that moved fails at the swap), the
/// delivery into the fund's vault, `rebalance_end`; and the lookup tables the route needs.
/// `keeper_out` / `keeper_in` must exist (create them first if needed).
pub fn flash_transaction(
    fund_key: &Pubkey,
    fund: &Fund,
    keeper: &Pubkey,
    (keeper_in, keeper_out): (Pubkey, Pubkey),
    p: &FlashPlan,
    route: SwapRoute,
) -> (Vec<Instruction>, Vec<Pubkey>) {
    let (ai, ao) = (&fund.assets[p.asset_in], &fund.assets[p.asset_out]);
    let (kin, kout) = (ix::AssetKeys::of(ai), ix::AssetKeys::of(ao));
    let mut ixs = route.setup;
    ixs.push(ix::rebalance_begin(
        fund_key,
        keeper,
        &kin,
        &kout,
        &keeper_out,
        p.quote.amount_out,
    ));
    ixs.extend(route.swap);
    ixs.push(ix::token_transfer_checked(
        &ai.token_program_id(),
        &keeper_in,
        &ai.mint,
        &ai.vault,
        keeper,
        p.delivered,
        ai.decimals,
    ));
    ixs.push(ix::rebalance_end(fund_key, keeper, &kin, &kout));
    (ixs, route.lookup_tables)
}

/// The pools at `keys`, read from `chain`: each pool account decoded, with its two reserves.
pub fn load_pools(
    chain: &mut dyn crate::chain::Chain,
    keys: &[Pubkey],
) -> anyhow::Result<Vec<PoolView>> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let account = chain
            .get_account(key)?
            .ok_or_else(|| anyhow::anyhow!("swap pool {key}: no such account"))?;
        anyhow::ensure!(
            account.owner == amm::TOKEN_SWAP_PROGRAM_ID,
            "swap pool {key}: not an SPL Token Swap pool (owner {})",
            account.owner
        );
        let state = amm::decode_pool(key, &account.data)
            .ok_or_else(|| anyhow::anyhow!("swap pool {key}: not a pool account"))?;
        let reserves = chain.get_accounts(&[state.keys.token_a, state.keys.token_b])?;
        let amount = |a: &Option<solana_account::Account>| -> anyhow::Result<u64> {
            let a = a
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("swap pool {key}: a reserve account is missing"))?;
            Ok(insurance_fund_client::decode::token_account(&a.data)?.amount)
        };
        out.push(PoolView {
            state,
            reserve_a: amount(&reserves[0])?,
            reserve_b: amount(&reserves[1])?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::probe;
    use std::cell::Cell;

    /// A profit that rises to a peak at 1,000 then falls, as price impact makes it.
    fn hump(a: u64) -> i128 {
        let a = a as i128;
        2_000 * a - a * a
    }

    #[test]
    fn the_probes_find_a_paying_size_within_the_budget_and_near_the_largest() {
        let asked = Cell::new(0);
        let score = |a: u64| {
            asked.set(asked.get() + 1);
            hump(a)
        };
        // paying 0 or more: every size up to 2,000; the largest the fund takes is 100,000
        let a = probe(100_000, 8, score, 0).unwrap();
        assert!(hump(a) >= 0 && a >= 1_000, "{a}");
        assert!(asked.get() <= 8);
    }

    #[test]
    fn the_largest_size_is_taken_when_it_pays() {
        assert_eq!(probe(500, 8, hump, 0), Ok(500));
    }

    #[test]
    fn no_paying_probe_is_an_error_with_the_best_score_seen() {
        // paying more than the peak (1,000,000 at 1,000): no size does
        let best = probe(100_000, 8, hump, 1_000_001).unwrap_err();
        assert!(best < 1_000_001 && best > i128::MIN);
    }
}
