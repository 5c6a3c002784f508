//! Flash fills without inventory (#17): the keeper borrows the fund's over-weight asset
//! (`rebalance_begin`), sells it through a pool for the under-weight one, delivers what the
//! fund requires and keeps the rest (`rebalance_end`), all in one transaction.
//!
//! Planning is pure, on the program's own engine and the pool's own arithmetic:
//! `math::rebalance::max_fill_priced` bounds the delivery the fund accepts at the pair's
//! current premium and sale price (gap clearing included) and under the terms in force (the
//! crisis profile's in crisis mode); `client::amm::quote_swap` says what selling the borrowed
//! asset through the pool returns, price impact included. The keeper takes the largest
//! delivery that still leaves it its minimum profit (a keeper wants the fund converted as
//! far as it pays). The quote source is one interface, [`PoolView`]: an SPL Token Swap pool
//! read from any [`crate::chain::Chain`] (the embedded runtime, or a cluster with
//! `ifund keeper --swap-pool`). An aggregator's route (Jupiter) is not implemented: it needs its
//! HTTP quote API, which these machines cannot reach, so it is left for where it can be
//! tested.

use crate::keeper::{PlanParams, Skip};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use insurance_fund::math::rebalance::{max_fill_priced, open_pairs, quote_sale, FillQuote};
use insurance_fund::math::valuation::value_floor;
use insurance_fund::state::Fund;
use insurance_fund_client::amm::{self, Direction, PoolState, SwapQuote};
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

/// A flash fill the program and the pool will both accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashPlan {
    /// Delivered to the fund (under-weight) and borrowed from it (over-weight).
    pub asset_in: usize,
    pub asset_out: usize,
    /// Index of the pool in the list planned over.
    pub pool: usize,
    pub direction: Direction,
    /// What the keeper delivers into the in-vault; the fund's quote for it.
    pub delivered: u64,
    pub quote: FillQuote,
    /// What the pool returns for `quote.amount_out` of the out-asset (at least `delivered`).
    pub swap_out: u64,
    pub premium_bps: u16,
    /// `swap_out - delivered` valued at the in-asset's lower price, minus the cost,
    /// numeraire atoms.
    pub expected_profit: i128,
}

/// The best flash fill over `pools`: for each open pair whose auction runs, whose mode the
/// fund allows and whose prices are fresh, with a pool selling the out-asset for the
/// in-asset, the largest delivery the fund accepts within its rate limits that still earns
/// `params.min_profit`; the pair converting the most value wins. Every skip has a reason.
pub fn plan_flash(
    fund: &Fund,
    now: i64,
    pools: &[PoolView],
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
    let mut best: Option<FlashPlan> = None;
    let mut best_unprofitable: Option<i128> = None;
    let mut any_pool = false;
    for pair in open_pairs(&w, assets, fund.rebalance.band_bps) {
        let (i, o) = (pair.i, pair.o);
        let (ai, ao) = (&fund.assets[i], &fund.assets[o]);
        if !(ai.price_is_fresh(now, max_age) && ao.price_is_fresh(now, max_age))
            || fund.check_fill_mode(i, o, &mode).is_err()
            || !fund.pair_started(i, o, (pair.out_over_band, pair.in_under_band))
        {
            continue;
        }
        let Some((p, direction)) = pools
            .iter()
            .enumerate()
            .find_map(|(k, p)| p.direction(&ao.mint, &ai.mint).map(|d| (k, d)))
        else {
            continue;
        };
        any_pool = true;
        let pool = &pools[p];
        let premium = fund.pair_premium_bps(&terms, i, o, now);
        let out = fund.pair_out_pricing(&terms, i, o, now);
        let quote = |a: u64| quote_sale(&assets[i].input, &out, ao.decimals, a, premium, nd).ok();
        // the largest delivery the fund's bounds accept (at most what the pool holds of it)
        let reserve_in = match direction {
            Direction::AToB => pool.reserve_b,
            Direction::BToA => pool.reserve_a,
        };
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
        // what the keeper keeps: the pool's return on what it borrows, minus the delivery,
        // valued at the in-asset's lower price, minus its cost
        let profit = |a: u64| -> Option<(i128, FillQuote, u64)> {
            let q = quote(a)?;
            if q.amount_out == 0 {
                return None;
            }
            let back = pool.quote(direction, q.amount_out)?.amount_out;
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
            Some((kept - i128::from(params.cost), q, back))
        };
        let score = |a: u64| profit(a).map_or(i128::MIN, |p| p.0);
        // the profit rises then falls with the size (price impact): find its peak, then the
        // largest size beyond it still paying the minimum
        let peak = peak(1, a_max, score);
        let min = i128::from(params.min_profit);
        if score(peak) < min {
            if score(peak) > i128::MIN {
                best_unprofitable =
                    Some(best_unprofitable.map_or(score(peak), |b| b.max(score(peak))));
            }
            continue;
        }
        let a = largest(peak, a_max, |a| score(a) >= min).unwrap_or(peak);
        let Some((expected_profit, q, back)) = profit(a) else {
            continue;
        };
        // the swap's minimum out is the delivery: the route must cover it
        if back < a {
            continue;
        }
        if q.value_in < u128::from(fund.rebalance.min_trade_value) {
            continue;
        }
        let candidate = FlashPlan {
            asset_in: i,
            asset_out: o,
            pool: p,
            direction,
            delivered: a,
            quote: q,
            swap_out: back,
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
    match best {
        Some(b) => Ok(b),
        None => match best_unprofitable {
            Some(p) => Err(Skip::Unprofitable {
                best_profit: p,
                min_profit: params.min_profit,
            }),
            None if !any_pool => Err(Skip::NoRoute),
            None => Err(Skip::NoAcceptableFill),
        },
    }
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

/// The transaction of a flash plan: `rebalance_begin` lending the out-asset to the keeper's
/// account of it, the pool swap into the keeper's account of the in-asset (minimum out: the
/// delivery, so a pool that moved fails at the swap), the delivery into the fund's vault,
/// `rebalance_end`. `keeper_out` / `keeper_in` must exist (create them first if needed).
pub fn flash_instructions(
    fund_key: &Pubkey,
    fund: &Fund,
    pool: &PoolView,
    keeper: &Pubkey,
    (keeper_in, keeper_out): (Pubkey, Pubkey),
    p: &FlashPlan,
) -> Vec<Instruction> {
    let (ai, ao) = (&fund.assets[p.asset_in], &fund.assets[p.asset_out]);
    let (kin, kout) = (ix::AssetKeys::of(ai), ix::AssetKeys::of(ao));
    vec![
        ix::rebalance_begin(
            fund_key,
            keeper,
            &kin,
            &kout,
            &keeper_out,
            p.quote.amount_out,
        ),
        amm::swap_ix(
            &pool.state.keys,
            p.direction,
            keeper,
            &keeper_out,
            &keeper_in,
            p.quote.amount_out,
            p.delivered,
        ),
        ix::token_transfer_checked(
            &ai.token_program_id(),
            &keeper_in,
            &ai.mint,
            &ai.vault,
            keeper,
            p.delivered,
            ai.decimals,
        ),
        ix::rebalance_end(fund_key, keeper, &kin, &kout),
    ]
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
