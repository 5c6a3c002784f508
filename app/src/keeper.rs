//! The keeper: plans fills with the program's own engine (`insurance_fund::math`) and cranks
//! the fund through any [`Chain`].
//!
//! Planning ([`plan`]) is pure: for every eligible pair (an over-weight asset out, an
//! under-weight asset in, auction clocks running) it takes the auction's current premium,
//! asks `math::rebalance::max_fill` for the largest fill the program will accept within the
//! keeper's inventory and the fund's rate-limit room, values what the keeper gives and gets
//! at the fund's own conservative price bounds, subtracts the keeper's cost, and keeps the
//! fill that reduces the distance to targets the most among those paying at least the
//! minimum profit (ties: the smaller premium). Every skip has a reason.

use crate::chain::{load_fund, send, Chain, SendOptions, TxResult};
use crate::route::FlashPlan;
use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use insurance_fund::math::rate_limit::drained_level_ceil;
use insurance_fund::math::rebalance::{
    check_fill, max_fill_priced, open_pairs, FillCheck, FillQuote, OpenPair, OutPricing,
};
use insurance_fund::math::valuation::value_floor;
use insurance_fund::state::{pause_flags, Fund};
use insurance_fund_client::{decode, ix, remaining};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::fmt;

/// What the keeper requires of a fill.
#[derive(Clone, Copy, Debug)]
pub struct PlanParams {
    /// The fill's cost to the keeper (fees), numeraire atoms.
    pub cost: u64,
    /// Least profit after cost worth sending for, numeraire atoms.
    pub min_profit: u64,
}

/// A fill the program will accept, with what it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFill {
    /// Asset delivered by the keeper (under-weight) and asset received (over-weight).
    pub asset_in: usize,
    pub asset_out: usize,
    pub amount_in: u64,
    pub quote: FillQuote,
    pub premium_bps: u16,
    /// Distance to targets (sum of |weight - target|, bps) before and after.
    pub distance_before_bps: u32,
    pub distance_after_bps: u32,
    /// What the keeper gets minus what it gives (at the fund's lower and upper price bounds,
    /// so a pessimistic estimate) minus its cost, numeraire atoms.
    pub expected_profit: i128,
    /// The fund's rate limit that shrank the fill, if one did.
    pub clipped_by: Option<Room>,
}

/// The fund's two rate limits on rebalancing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Room {
    /// `max_volume_per_window`.
    Volume,
    /// `premium_budget_per_window`.
    Premium,
}

/// Why the keeper does nothing this round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    RebalanceNotConfigured,
    TargetsNotSet,
    RebalancesPaused,
    StalePrices {
        mask: u16,
    },
    InBands,
    AuctionsNotStarted,
    ShortfallModeNoLiquidPair,
    RateLimited,
    NoInventory,
    /// Flash fills: no pool sells the over-weight asset of an open pair for its under-weight
    /// one, or the aggregator answered every quote with "no route".
    NoRoute,
    NoAcceptableFill,
    Unprofitable {
        best_profit: i128,
        min_profit: u64,
    },
    Engine(String),
    /// Flash fills: the quote source failed (an aggregator unreachable or answering nonsense).
    QuoteFailed(String),
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::RebalanceNotConfigured => write!(f, "rebalancing is not configured"),
            Skip::TargetsNotSet => write!(f, "targets are not set"),
            Skip::RebalancesPaused => write!(f, "rebalances are paused"),
            Skip::StalePrices { mask } => write!(f, "stale prices (assets mask {mask:#06x})"),
            Skip::InBands => write!(
                f,
                "no pair is open (no asset beyond its band with another on the other side of its target)"
            ),
            Skip::AuctionsNotStarted => write!(f, "out-of-band assets have no running auction yet (sync_auctions)"),
            Skip::ShortfallModeNoLiquidPair => write!(f, "shortfall mode: no liquid-in/non-liquid-out pair is eligible"),
            Skip::RateLimited => write!(f, "the fund's volume or premium budget is used up for now"),
            Skip::NoInventory => write!(f, "no inventory of any under-weight asset"),
            Skip::NoRoute => write!(f, "no pool or route trades an open pair (flash fills)"),
            Skip::NoAcceptableFill => write!(f, "no fill passes the program's bounds"),
            Skip::Unprofitable { best_profit, min_profit } => write!(
                f,
                "best fill earns {best_profit} numeraire atoms after cost, below the minimum {min_profit}"
            ),
            Skip::Engine(e) => write!(f, "engine error: {e}"),
            Skip::QuoteFailed(e) => write!(f, "the quote source failed: {e}"),
        }
    }
}

/// The checks that need no inventory: configured, not paused, fresh prices, some open pair
/// (`math::rebalance::open_pairs`) whose auction runs. `Ok` means planning may find a fill.
pub fn precheck(fund: &Fund, now: i64) -> Result<(), Skip> {
    if !fund.rebalance.is_configured() {
        return Err(Skip::RebalanceNotConfigured);
    }
    if !fund.targets_set() {
        return Err(Skip::TargetsNotSet);
    }
    if fund.is_paused(pause_flags::REBALANCES, now) {
        return Err(Skip::RebalancesPaused);
    }
    // a stale asset is valued at 0, as the program's fill values it
    let mode = fund.fill_mode(now);
    let n = fund.asset_count as usize;
    let assets = fund.rebalance_assets_without(mode.stale, mode.tilt);
    let w = fund
        .weights_without(mode.stale, mode.tilt)
        .map_err(|e| Skip::Engine(e.to_string()))?;
    let mut open = open_pairs(&w, &assets[..n], fund.rebalance.band_bps).peekable();
    if open.peek().is_none() {
        return Err(Skip::InBands);
    }
    if !open.any(|p| started(fund, &p)) {
        return Err(Skip::AuctionsNotStarted);
    }
    Ok(())
}

/// What the fund's rebalance volume and premium buckets still take at `now`, numeraire
/// atoms: (volume room, premium room).
pub fn rate_rooms(fund: &Fund, now: i64) -> (u64, u64) {
    // the capacities of the terms in force (the crisis profile's in crisis mode)
    let terms = fund.fill_mode(now).terms;
    let window = fund.rebalance.window_secs;
    let elapsed = now.saturating_sub(fund.rebalance_state.last_update);
    let volume_room = terms
        .max_volume_per_window
        .saturating_sub(drained_level_ceil(
            fund.rebalance_state.volume_level,
            terms.max_volume_per_window,
            window,
            elapsed,
        ));
    let premium_room = terms
        .premium_budget_per_window
        .saturating_sub(drained_level_ceil(
            fund.rebalance_state.premium_level,
            terms.premium_budget_per_window,
            window,
            elapsed,
        ));
    (volume_room, premium_room)
}

/// Whether the auction of an open pair runs (`Fund::pair_started`).
fn started(fund: &Fund, p: &OpenPair) -> bool {
    fund.pair_started(p.i, p.o, (p.out_over_band, p.in_under_band))
}

/// Plans the best fill at `now` for a keeper holding `inventory[k]` atoms of asset `k`.
pub fn plan(
    fund: &Fund,
    now: i64,
    inventory: &[u64],
    params: PlanParams,
) -> Result<PlannedFill, Skip> {
    plan_with(
        fund,
        now,
        inventory,
        params.min_profit,
        &|i, o, amount, q| keeper_profit(fund, i, o, amount, q, params.cost),
    )
}

/// What a keeper makes on a fill `(asset_in, asset_out, amount_in, quote)`, numeraire atoms.
pub type ProfitFn<'a> = dyn Fn(usize, usize, u64, &FillQuote) -> i128 + 'a;

/// [`plan`] with the keeper's own valuation of a fill: `profit` replaces the fund's price
/// bounds (a keeper that buys what it delivers on a market values it at that market).
pub fn plan_with(
    fund: &Fund,
    now: i64,
    inventory: &[u64],
    min_profit: u64,
    profit: &ProfitFn<'_>,
) -> Result<PlannedFill, Skip> {
    precheck(fund, now)?;
    let n = fund.asset_count as usize;
    let mode = fund.fill_mode(now);
    let assets = fund.rebalance_assets_without(mode.stale, mode.tilt);
    let assets = &assets[..n];
    let w = fund
        .weights_without(mode.stale, mode.tilt)
        .map_err(|e| Skip::Engine(e.to_string()))?;
    let cfg = &fund.rebalance;
    let (volume_room, premium_room) = rate_rooms(fund, now);
    if volume_room < cfg.min_trade_value.max(1) {
        return Err(Skip::RateLimited);
    }

    let mut best: Option<PlannedFill> = None;
    let mut best_unprofitable: Option<i128> = None;
    let (mut any_started, mut any_pair, mut any_inventory, mut any_limited) =
        (false, false, false, false);
    for pair in open_pairs(&w, assets, cfg.band_bps) {
        let (i, o) = (pair.i, pair.o);
        let (ai, ao) = (&fund.assets[i], &fund.assets[o]);
        let max_age = fund.max_price_age_secs;
        // the program's rules: the pair's own prices fresh, and the mode (shortfall mode or
        // a stale third asset: liquidity-raising fills only, `Fund::check_fill_mode`)
        if !(ai.price_is_fresh(now, max_age) && ao.price_is_fresh(now, max_age))
            || fund.check_fill_mode(i, o, &mode).is_err()
        {
            continue;
        }
        any_pair = true;
        if !started(fund, &pair) {
            continue;
        }
        any_started = true;
        let cap = inventory.get(i).copied().unwrap_or(0);
        if cap == 0 {
            continue;
        }
        any_inventory = true;
        let terms = mode.terms;
        let premium = fund.pair_premium_bps(&terms, i, o, now);
        // the pair's sale price now (gap clearing), as the program prices the fill
        let out = fund.pair_out_pricing(&terms, i, o, now);
        let (amount, quote, clipped_by) = match fill_within_room(
            fund,
            assets,
            (i, o),
            (premium, &out),
            cap,
            volume_room,
            premium_room,
        ) {
            Ok(fill) => fill,
            Err(NoFill::Limited) => {
                any_limited = true;
                continue;
            }
            Err(NoFill::Bounds) => continue,
        };
        if quote.value_in < u128::from(cfg.min_trade_value) {
            continue;
        }
        let Ok(FillCheck { before, after, .. }) = check_fill(
            assets,
            i,
            o,
            amount,
            &quote,
            fund.min_liquid_bps,
            cfg.band_bps,
            fund.numeraire_decimals,
        ) else {
            continue;
        };
        let profit = profit(i, o, amount, &quote);
        if profit < i128::from(min_profit) {
            best_unprofitable = Some(best_unprofitable.map_or(profit, |b| b.max(profit)));
            continue;
        }
        let candidate = PlannedFill {
            asset_in: i,
            asset_out: o,
            amount_in: amount,
            quote,
            premium_bps: premium,
            distance_before_bps: before.distance_bps,
            distance_after_bps: after.distance_bps,
            expected_profit: profit,
            clipped_by,
        };
        let better = match &best {
            None => true,
            Some(b) => {
                let (gain, best_gain) = (
                    candidate
                        .distance_before_bps
                        .saturating_sub(candidate.distance_after_bps),
                    b.distance_before_bps.saturating_sub(b.distance_after_bps),
                );
                gain > best_gain
                    || (gain == best_gain && candidate.quote.premium_value < b.quote.premium_value)
            }
        };
        if better {
            best = Some(candidate);
        }
    }
    match best {
        Some(b) => Ok(b),
        None if !any_pair && fund.draw_state.open_shortfalls > 0 => {
            Err(Skip::ShortfallModeNoLiquidPair)
        }
        None if !any_pair => Err(Skip::StalePrices { mask: mode.stale }),
        None if !any_started => Err(Skip::AuctionsNotStarted),
        None if !any_inventory => Err(Skip::NoInventory),
        None => match best_unprofitable {
            Some(p) => Err(Skip::Unprofitable {
                best_profit: p,
                min_profit,
            }),
            None if any_limited => Err(Skip::RateLimited),
            None => Err(Skip::NoAcceptableFill),
        },
    }
}

/// Why `fill_within_room` found no fill.
enum NoFill {
    /// No amount within the cap passes the program's fill checks.
    Bounds,
    /// Some amount passes the checks, but none of them fits the volume and premium rooms.
    Limited,
}

/// The largest fill of pair (i, o) within `cap` atoms whose value fits the volume room and
/// whose premium fits the premium room: `max_fill`, then shrunk proportionally (three times
/// at most; each pass keeps the program's acceptance, since `max_fill` only returns passing
/// fills). Also which room shrank it (the tighter one, when both did); without a fill, whether
/// the rooms were what left none (`NoFill`), so that the caller need not search again.
#[allow(clippy::too_many_arguments)]
fn fill_within_room(
    fund: &Fund,
    assets: &[insurance_fund::math::rebalance::RebalanceAsset],
    (i, o): (usize, usize),
    (premium, out): (u16, &OutPricing),
    cap: u64,
    volume_room: u64,
    premium_room: u64,
) -> Result<(u64, FillQuote, Option<Room>), NoFill> {
    let cfg = &fund.rebalance;
    let mut cap = cap;
    let mut clipped = None;
    // after the first pass a fill exists: what is missing from then on is room
    let mut missing = NoFill::Bounds;
    for _ in 0..4 {
        let (amount, quote) = max_fill_priced(
            assets,
            i,
            o,
            premium,
            out,
            fund.min_liquid_bps,
            cfg.band_bps,
            fund.numeraire_decimals,
            cap,
        )
        .ok_or(missing)?;
        missing = NoFill::Limited;
        let over_volume = quote.value_in > u128::from(volume_room);
        let over_premium = quote.premium_value > u128::from(premium_room);
        if !over_volume && !over_premium {
            return Ok((amount, quote, clipped));
        }
        // scale the amount by the tightest room, rounded down
        let scale = |room: u64, used: u128| -> u128 {
            (u128::from(amount) * u128::from(room))
                .checked_div(used)
                .unwrap_or(u128::from(amount))
        };
        let mut next = u128::from(amount);
        if over_volume {
            next = next.min(scale(volume_room, quote.value_in));
            clipped = Some(Room::Volume);
        }
        if over_premium {
            let by_premium = scale(premium_room, quote.premium_value);
            if by_premium < next {
                clipped = Some(Room::Premium);
            }
            next = next.min(by_premium);
        }
        let next = u64::try_from(next)
            .map_err(|_| NoFill::Limited)?
            .min(amount.saturating_sub(1));
        if next == 0 {
            return Err(NoFill::Limited);
        }
        cap = next;
    }
    Err(NoFill::Limited)
}

/// What the keeper receives (valued at the out-asset's lower bound) minus what it gives
/// (valued at the in-asset's upper bound, no haircut) minus its cost, numeraire atoms.
fn keeper_profit(
    fund: &Fund,
    i: usize,
    o: usize,
    amount_in: u64,
    q: &FillQuote,
    cost: u64,
) -> i128 {
    let nd = fund.numeraire_decimals;
    let (ai, ao) = (&fund.assets[i], &fund.assets[o]);
    let got = value_floor(q.amount_out, ao.lower_price(), ao.decimals, nd, 0).unwrap_or(0);
    // what the keeper gives, rounded up by one atom (against the keeper's estimate)
    let gave = value_floor(amount_in, ai.upper_price(), ai.decimals, nd, 0)
        .unwrap_or(u128::MAX / 4)
        .saturating_add(1);
    i128::try_from(got).unwrap_or(i128::MAX)
        - i128::try_from(gave).unwrap_or(i128::MAX)
        - i128::from(cost)
}

/// A keeper's identity and token accounts (by asset index; `None`: it holds none of it).
pub struct KeeperAccounts {
    pub signer: Keypair,
    pub token_accounts: Vec<Option<Pubkey>>,
}

impl KeeperAccounts {
    /// The keeper's associated token accounts for every asset of `fund`.
    pub fn associated(signer: Keypair, fund: &Fund) -> Self {
        let owner = signer.pubkey();
        let token_accounts = fund
            .registered_assets()
            .iter()
            .map(|a| {
                Some(insurance_fund_client::pda::associated_token_address(
                    &owner,
                    &a.mint,
                    &a.token_program_id(),
                ))
            })
            .collect();
        Self {
            signer,
            token_accounts,
        }
    }

    /// Balances of the keeper's token accounts; `None` where the account does not exist.
    pub fn balances(&self, chain: &mut dyn Chain) -> anyhow::Result<Vec<Option<u64>>> {
        let keys: Vec<Pubkey> = self
            .token_accounts
            .iter()
            .map(|k| k.unwrap_or_default())
            .collect();
        let accounts = chain.get_accounts(&keys)?;
        Ok(self
            .token_accounts
            .iter()
            .zip(accounts)
            .map(|(k, a)| match (k, a) {
                (Some(_), Some(a)) => decode::token_account(&a.data).ok().map(|t| t.amount),
                _ => None,
            })
            .collect())
    }

    /// Balances of the keeper's token accounts (0 where missing).
    pub fn inventory(&self, chain: &mut dyn Chain) -> anyhow::Result<Vec<u64>> {
        Ok(self
            .balances(chain)?
            .into_iter()
            .map(|b| b.unwrap_or(0))
            .collect())
    }
}

/// Where each Pyth-priced asset's price account is (asset index → address).
pub type PriceAccounts<'a> = dyn Fn(usize, &insurance_fund::state::Asset) -> Option<Pubkey> + 'a;

/// `refresh_prices` of every asset, followed by `sync_auctions` when rebalancing is set up.
pub fn crank_instructions(
    fund_key: &Pubkey,
    fund: &Fund,
    prices: &PriceAccounts<'_>,
) -> anyhow::Result<Vec<anchor_lang::solana_program::instruction::Instruction>> {
    let mask = remaining::all_assets_mask(fund);
    anyhow::ensure!(mask != 0, "the fund has no assets to refresh");
    crank_instructions_for(fund_key, fund, prices, mask)
}

/// [`crank_instructions`] refreshing only the assets in `mask` (none: only the sync).
pub fn crank_instructions_for(
    fund_key: &Pubkey,
    fund: &Fund,
    prices: &PriceAccounts<'_>,
    mask: u16,
) -> anyhow::Result<Vec<anchor_lang::solana_program::instruction::Instruction>> {
    let mut ixs = vec![];
    if mask != 0 {
        let metas = remaining::refresh_prices_accounts(fund, mask, prices)?;
        ixs.push(ix::refresh_prices(fund_key, mask, metas));
    }
    if fund.rebalance.is_configured() && fund.targets_set() {
        ixs.push(ix::sync_auctions(fund_key));
    }
    Ok(ixs)
}

/// [`crank_instructions_for`] cut into transactions that each fit a packet
/// ([`crate::chain::MAX_TRANSACTION_BYTES`] as [`crate::chain::send`] would build them with
/// `opts`, paid by `payer`): one `refresh_prices` per transaction over as many consecutive
/// assets of `mask` as fit, `sync_auctions` in the last one (or its own when it does not fit).
/// Sixteen assets with a Switchboard fallback each need 47 accounts, about 1,660 bytes in one
/// legacy transaction: sent whole, such a crank would fail every round.
pub fn crank_transactions(
    fund_key: &Pubkey,
    fund: &Fund,
    prices: &PriceAccounts<'_>,
    mask: u16,
    payer: &Pubkey,
    opts: &SendOptions,
) -> anyhow::Result<Vec<Vec<anchor_lang::solana_program::instruction::Instruction>>> {
    use crate::chain::{wire_size, MAX_TRANSACTION_BYTES};
    let fits = |ixs: &[_]| wire_size(payer, ixs, opts) <= MAX_TRANSACTION_BYTES;
    let refresh = |m: u16| -> anyhow::Result<_> {
        let metas = remaining::refresh_prices_accounts(fund, m, prices)?;
        Ok(ix::refresh_prices(fund_key, m, metas))
    };
    let mut txs: Vec<Vec<_>> = vec![];
    let mut batch: u16 = 0;
    for k in (0..fund.registered_assets().len()).filter(|k| mask & (1u16 << k) != 0) {
        let wider = batch | (1u16 << k);
        if batch != 0 && !fits(&[refresh(wider)?]) {
            txs.push(vec![refresh(batch)?]);
            batch = 1u16 << k;
        } else {
            batch = wider;
        }
        anyhow::ensure!(
            fits(&[refresh(batch)?]),
            "refresh_prices of asset {k} alone does not fit a transaction"
        );
    }
    if batch != 0 {
        txs.push(vec![refresh(batch)?]);
    }
    if fund.rebalance.is_configured() && fund.targets_set() {
        let sync = ix::sync_auctions(fund_key);
        match txs.last_mut() {
            Some(last) if fits(&[last.as_slice(), std::slice::from_ref(&sync)].concat()) => {
                last.push(sync)
            }
            _ => txs.push(vec![sync]),
        }
    }
    Ok(txs)
}

/// What a round's crank did: the transactions sent (refresh batches, then the sync) and the
/// feeds left out because the program would refuse them, with why.
#[derive(Debug, Default)]
pub struct CrankReport {
    pub txs: Vec<TxResult>,
    pub refused: Vec<(usize, String)>,
}

impl CrankReport {
    /// Every crank transaction landed.
    pub fn is_ok(&self) -> bool {
        self.txs.iter().all(TxResult::is_ok)
    }
}

/// The rebalance instruction of a planned fill (slippage bound: the planned amount out).
pub fn fill_instruction(
    fund_key: &Pubkey,
    fund: &Fund,
    keeper: &KeeperAccounts,
    p: &PlannedFill,
) -> anyhow::Result<anchor_lang::solana_program::instruction::Instruction> {
    let acct = |k: usize| {
        keeper
            .token_accounts
            .get(k)
            .copied()
            .flatten()
            .ok_or_else(|| anyhow::anyhow!("the keeper has no token account for asset {k}"))
    };
    Ok(ix::rebalance(
        fund_key,
        &keeper.signer.pubkey(),
        &ix::AssetKeys::of(&fund.assets[p.asset_in]),
        &acct(p.asset_in)?,
        &ix::AssetKeys::of(&fund.assets[p.asset_out]),
        &acct(p.asset_out)?,
        p.amount_in,
        p.quote.amount_out,
    ))
}

/// What one keeper round did.
#[derive(Debug)]
pub enum RoundOutcome {
    Filled {
        fill: PlannedFill,
        tx: TxResult,
    },
    WouldFill(PlannedFill),
    Skipped(Skip),
    FillFailed {
        fill: PlannedFill,
        tx: TxResult,
    },
    /// A flash fill through a pool (`crate::route`), when the keeper's inventory fills nothing.
    FlashFilled {
        plan: FlashPlan,
        tx: TxResult,
    },
    WouldFlash(FlashPlan),
    FlashFailed {
        plan: FlashPlan,
        tx: TxResult,
    },
    /// Neither an inventory fill nor a flash fill: both reasons.
    SkippedBoth {
        inventory: Skip,
        flash: Skip,
    },
}

/// Options of a keeper round.
pub struct RoundOptions {
    pub send: SendOptions,
    pub params: PlanParams,
    pub dry_run: bool,
    /// Send `refresh_prices` + `sync_auctions` first.
    pub crank: bool,
    /// SPL Token Swap pools a flash fill may route through when the keeper's inventory
    /// fills nothing (empty, and no `jupiter`: no flash fills).
    pub swap_pools: Vec<Pubkey>,
    /// Route flash fills through Jupiter's Swap API instead of `swap_pools`.
    pub jupiter: Option<JupiterOptions>,
}

/// Where Jupiter's Swap API v6 answers, and the slippage its quotes allow.
#[derive(Clone, Debug)]
pub struct JupiterOptions {
    /// Base URL, e.g. `https://quote-api.jup.ag/v6` (`{url}/quote`, `{url}/swap-instructions`).
    pub url: String,
    /// `slippageBps` of each quote: the swap fails unless the quote less this arrives; the
    /// plan counts only on that (`otherAmountThreshold`).
    pub slippage_bps: u16,
}

/// One keeper round against `chain`: crank (optional), plan on the fresh state, fill.
pub fn round(
    chain: &mut dyn Chain,
    fund_key: &Pubkey,
    keeper: &KeeperAccounts,
    prices: &PriceAccounts<'_>,
    opts: &RoundOptions,
) -> anyhow::Result<(Option<CrankReport>, RoundOutcome)> {
    let mut crank = None;
    if opts.crank && !opts.dry_run {
        let fund = load_fund(chain, fund_key)?;
        let now = chain.clock()?.unix_timestamp;
        // one dead feed must not stop the others from being cached: the feeds the program
        // would refuse are left out of this refresh
        let (mask, refused) = live_price_mask(chain, &fund, prices, now)?;
        let payer = keeper.signer.pubkey();
        let mut report = CrankReport {
            txs: vec![],
            refused,
        };
        for ixs in crank_transactions(fund_key, &fund, prices, mask, &payer, &opts.send)? {
            report
                .txs
                .push(send(chain, &keeper.signer, &[], &ixs, &opts.send)?);
        }
        crank = Some(report);
    }
    let fund = load_fund(chain, fund_key)?;
    let now = chain.clock()?.unix_timestamp;
    let balances = keeper.balances(chain)?;
    let inventory: Vec<u64> = balances.iter().map(|b| b.unwrap_or(0)).collect();
    let outcome = match plan(&fund, now, &inventory, opts.params) {
        Err(skip)
            if (!opts.swap_pools.is_empty() || opts.jupiter.is_some()) && flash_may_help(&skip) =>
        {
            flash_round(chain, fund_key, &fund, now, keeper, &balances, opts, skip)?
        }
        Err(skip) => RoundOutcome::Skipped(skip),
        Ok(fill) if opts.dry_run => RoundOutcome::WouldFill(fill),
        Ok(fill) => {
            // the account receiving the out-asset must exist: create the keeper's ATA
            let mut ixs = missing_accounts(&fund, keeper, &balances, &[fill.asset_out]);
            ixs.push(fill_instruction(fund_key, &fund, keeper, &fill)?);
            let tx = send(chain, &keeper.signer, &[], &ixs, &opts.send)?;
            if tx.is_ok() {
                RoundOutcome::Filled { fill, tx }
            } else {
                RoundOutcome::FillFailed { fill, tx }
            }
        }
    };
    Ok((crank, outcome))
}

/// Skips a flash fill may get past: the keeper lacks inventory or what it holds does not pay.
fn flash_may_help(skip: &Skip) -> bool {
    matches!(
        skip,
        Skip::NoInventory | Skip::Unprofitable { .. } | Skip::NoAcceptableFill
    )
}

/// The flash-fill half of a round: plan over the pools, create the keeper's two token
/// accounts if needed, send begin + swap + delivery + end as one transaction.
#[allow(clippy::too_many_arguments)]
fn flash_round(
    chain: &mut dyn Chain,
    fund_key: &Pubkey,
    fund: &Fund,
    now: i64,
    keeper: &KeeperAccounts,
    balances: &[Option<u64>],
    opts: &RoundOptions,
    inventory_skip: Skip,
) -> anyhow::Result<RoundOutcome> {
    use crate::route::{jupiter::Jupiter, QuoteSource};
    let (pools, mut jupiter, mut pool_source);
    let source: &mut dyn QuoteSource = match &opts.jupiter {
        Some(j) => {
            jupiter = Jupiter::new(&j.url, j.slippage_bps)?;
            &mut jupiter
        }
        None => {
            pools = crate::route::load_pools(chain, &opts.swap_pools)?;
            pool_source = crate::route::Pools(&pools);
            &mut pool_source
        }
    };
    let plan = match crate::route::plan_flash_via(fund, now, source, opts.params) {
        Ok(p) => p,
        Err(flash) => {
            return Ok(RoundOutcome::SkippedBoth {
                inventory: inventory_skip,
                flash,
            })
        }
    };
    if opts.dry_run {
        return Ok(RoundOutcome::WouldFlash(plan));
    }
    let acct = |k: usize| {
        keeper
            .token_accounts
            .get(k)
            .copied()
            .flatten()
            .ok_or_else(|| anyhow::anyhow!("the keeper has no token account for asset {k}"))
    };
    let me = keeper.signer.pubkey();
    let (keeper_in, keeper_out) = (acct(plan.asset_in)?, acct(plan.asset_out)?);
    let route = source
        .swap(&plan.route, &me, (keeper_out, keeper_in), plan.delivered)
        .with_context(|| format!("building the swap through {}", source.describe()))?;
    let mut ixs = missing_accounts(fund, keeper, balances, &[plan.asset_in, plan.asset_out]);
    let (flash, tables) =
        crate::route::flash_transaction(fund_key, fund, &me, (keeper_in, keeper_out), &plan, route);
    ixs.extend(flash);
    // an aggregator's route is a v0 transaction (its accounts may sit in lookup tables)
    let tx = if opts.jupiter.is_some() || !tables.is_empty() {
        crate::chain::send_v0(chain, &keeper.signer, &ixs, &tables, &opts.send)?
    } else {
        send(chain, &keeper.signer, &[], &ixs, &opts.send)?
    };
    Ok(if tx.is_ok() {
        RoundOutcome::FlashFilled { plan, tx }
    } else {
        RoundOutcome::FlashFailed { plan, tx }
    })
}

/// The assets whose price a refresh would accept now: every registered asset, less each
/// Pyth-priced one whose price account (or fallback feed, for an asset with one) is missing or
/// that the program's own rule (`oracle::price_asset`: the primary's checks, and with a
/// fallback `oracle::choose`) refuses (stale, confidence too wide, wrong feed, the sources
/// diverging...), with why.
pub fn live_price_mask(
    chain: &mut dyn Chain,
    fund: &Fund,
    prices: &PriceAccounts<'_>,
    now: i64,
) -> anyhow::Result<(u16, Vec<(usize, String)>)> {
    use insurance_fund::state::OracleSource;
    let mut mask = remaining::all_assets_mask(fund);
    let mut refused = vec![];
    for (k, a) in fund.registered_assets().iter().enumerate() {
        if a.oracle.source != OracleSource::PythPull as u8 {
            continue;
        }
        let primary = match prices(k, a) {
            Some(key) => chain.get_account(&key)?.map(|acc| (key, acc)),
            None => None,
        };
        let Some(mut primary) = primary else {
            mask &= !(1u16 << k);
            refused.push((k, "no price account".to_string()));
            continue;
        };
        let mut fallback = None;
        if a.fallback.is_set() {
            match chain.get_account(&a.fallback.feed)? {
                Some(acc) => fallback = Some((a.fallback.feed, acc)),
                None => {
                    mask &= !(1u16 << k);
                    refused.push((k, format!("no fallback feed account {}", a.fallback.feed)));
                    continue;
                }
            }
        }
        let primary_info = account_info(&mut primary);
        let fallback_info = fallback.as_mut().map(account_info);
        let inputs = insurance_fund::oracle::PriceInputs {
            oracle: &a.oracle,
            fallback: &a.fallback,
            cache: &a.price,
            primary_account: Some(&primary_info),
            fallback_account: fallback_info.as_ref(),
            fund_max_age_secs: fund.max_price_age_secs,
        };
        if let Err(e) = insurance_fund::oracle::price_asset(&inputs, now, |_| false) {
            mask &= !(1u16 << k);
            refused.push((
                k,
                match e {
                    anchor_lang::error::Error::AnchorError(ae) => ae.error_name.clone(),
                    other => other.to_string(),
                },
            ));
        }
    }
    Ok((mask, refused))
}

/// An `AccountInfo` over an account read from the chain (for the program's own checks).
fn account_info(
    (key, acc): &mut (Pubkey, solana_account::Account),
) -> anchor_lang::prelude::AccountInfo<'_> {
    anchor_lang::prelude::AccountInfo::new(
        key,
        false,
        false,
        &mut acc.lamports,
        &mut acc.data,
        &acc.owner,
        false,
    )
}

/// `CreateIdempotent` of the keeper's associated token account for each asset of `assets`
/// it does not hold an account of yet (`balances[k]` is `None`).
fn missing_accounts(
    fund: &Fund,
    keeper: &KeeperAccounts,
    balances: &[Option<u64>],
    assets: &[usize],
) -> Vec<anchor_lang::solana_program::instruction::Instruction> {
    let me = keeper.signer.pubkey();
    assets
        .iter()
        .filter(|&&k| balances.get(k).copied().flatten().is_none())
        .map(|&k| {
            let a = &fund.assets[k];
            ix::create_associated_token_account_idempotent(&me, &me, &a.mint, &a.token_program_id())
        })
        .collect()
}
