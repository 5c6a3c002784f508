//! The model: what the runtime should do, step by step.
//!
//! The model is an independent re-implementation of the program's rules, on purpose: an oracle
//! that calls the program's own code for a rule agrees with the program's mistakes and cannot
//! catch them. It shares the pure arithmetic of `math::` (valuation, the rebalance engine,
//! rate limits, the waterfall order) and a few read-only views of the stored state (pause
//! flags, `Fund::weights`, `Fund::rebalance_assets`, the premium and start of a pair's auction
//! from its stored clocks), and reads configuration and state back from the chain before each
//! step; freshness and staleness, the fill modes, the valuation with stale assets at 0, the
//! fresh NAV draws are capped on, the approval bucket, the cache's monotonicity, dust and
//! stale skipping, the auction clocks' settling and syncing and the fill error mapping are the
//! model's own (none calls `stale_mask`, `check_fill_mode`, `engine_inputs_without`,
//! `fresh_nav`, `draw_room` or `draw_waterfall`).

use super::*;

/// The outcome a step must have.
#[derive(Clone, Copy, Debug)]
pub(super) enum Expect {
    Ok,
    Err(FundError),
    /// Must fail (any error).
    Fail,
    /// Either; the invariants decide.
    Any,
}

/// A fill the handler accepts: its quote and the amount received.
#[derive(Clone, Copy, Debug)]
pub(super) struct PlannedFill {
    pub(super) i: usize,
    pub(super) o: usize,
    pub(super) received: u64,
    pub(super) quote: FillQuote,
    /// The stale assets (none of the pair) the fill valued at 0.
    pub(super) stale: u16,
}

/// A draw the handler accepts: `(asset, amount, credited)` per asset paid, and the total.
#[derive(Clone, Debug)]
pub(super) struct PlannedDraw {
    pub(super) payouts: Vec<(usize, u64, u64)>,
    pub(super) paid: u64,
    /// The fund-wide window capacity the draw was sized against (on the NAV of the assets
    /// with a fresh price) and the fund's window level before the draw, drained.
    pub(super) fund_capacity: u64,
    pub(super) fund_level: u64,
}

/// The arithmetic's errors as the program's (`impl From<MathError> for Error`).
/// An independent copy on purpose: a copy that called the program's mapping would agree
/// with its mistakes.
fn math_error(e: MathError) -> FundError {
    match e {
        MathError::Overflow => FundError::MathOverflow,
        MathError::InvalidBps => FundError::HaircutTooHigh,
        MathError::TooManyAssets => FundError::TooManyAssets,
    }
}

/// The engine's refusals as the program's errors: the program's mapping
/// (`impl From<FillError> for Error` in `math/rebalance/fill.rs`, which the rebalance handler's
/// `fill_error` became), re-written here on purpose rather than shared (issue #15: this copy
/// used to map `Math` errors differently); it must match the program's exactly.
fn fill_error(e: FillError) -> FundError {
    match e {
        FillError::InvalidPair => FundError::InvalidPair,
        FillError::InNotEnabled => FundError::RebalanceInDisabled,
        FillError::OutNotEnabled => FundError::RebalanceOutDisabled,
        FillError::OutNotOverweight => FundError::OutNotOverweight,
        FillError::InNotUnderweight => FundError::InNotUnderweight,
        FillError::InsideBands => FundError::PairInsideBands,
        FillError::ZeroAmountOut => FundError::ZeroAmountOut,
        FillError::InsufficientBalance => FundError::InsufficientVaultBalance,
        FillError::OutPushedBelowTarget => FundError::OutPushedBelowTarget,
        FillError::InPushedAboveTarget => FundError::InPushedAboveTarget,
        FillError::LiquidityBound => FundError::LiquidityBound,
        FillError::ConcentrationBound => FundError::ConcentrationBound,
        FillError::DistanceNotReduced => FundError::DistanceNotReduced,
        FillError::ValueBound => FundError::ValueBound,
        FillError::DeliveryShort => FundError::FlashFillUnderpaid,
        FillError::Math(m) => math_error(m),
    }
}

/// The model's freshness rule: a fixed price never goes stale; a Pyth price is fresh when it
/// exists and was published at most `min(fund max age, asset max age)` ago. Whatever the
/// asset holds.
pub(super) fn fresh(f: &Fund, k: usize, now: i64) -> bool {
    let a = &f.assets[k];
    if a.oracle.source == OracleSource::Fixed as u8 {
        return true;
    }
    let max_age = f.max_price_age_secs.min(a.oracle.max_age_secs);
    a.price.publish_time > 0 && now - a.price.publish_time <= i64::from(max_age)
}

/// Bit k set: asset k is *stale*, it holds a booked balance and its price is not fresh
/// (`fresh`). An asset holding nothing is worth 0 at any price and is never stale.
pub(super) fn stale_set(f: &Fund, now: i64) -> u16 {
    (0..f.asset_count as usize)
        .filter(|&k| f.assets[k].booked_balance > 0 && !fresh(f, k, now))
        .fold(0, |m, k| m | (1 << k))
}

pub(super) fn bit(mask: u16, k: usize) -> bool {
    mask & (1 << k) != 0
}

fn is_liquid(f: &Fund, k: usize) -> bool {
    f.assets[k].class == LiquidityClass::Liquid as u8
}

/// A liquid asset delivered for a non-liquid one: the only fills shortfall mode and a stale
/// third asset allow.
pub(super) fn raises_liquidity(f: &Fund, i: usize, o: usize) -> bool {
    is_liquid(f, i) && !is_liquid(f, o)
}

/// Each asset's value at its cached lower price after haircut, rounded down, with the assets
/// in `zero` valued at 0; their sum; and the liquid assets' sum.
pub(super) fn valued(f: &Fund, zero: u16) -> (Vec<u128>, u128, u128) {
    let values: Vec<u128> = (0..N)
        .map(|k| {
            let a = &f.assets[k];
            if bit(zero, k) {
                return 0;
            }
            value_floor(
                a.booked_balance,
                a.lower_price(),
                a.decimals,
                f.numeraire_decimals,
                a.haircut_bps,
            )
            .unwrap()
        })
        .collect();
    let nav = values.iter().sum();
    let liquid = (0..N).filter(|&k| is_liquid(f, k)).map(|k| values[k]).sum();
    (values, nav, liquid)
}

/// The engine's view of the fund with the assets in `zero` priced at 0 (lower price
/// mantissa 0; everything else as stored): what a fill sees while they are stale.
pub(super) fn engine_view(f: &Fund, zero: u16) -> Box<[RebalanceAsset; MAX_ASSETS]> {
    let mut assets = f.rebalance_assets(None);
    for (k, a) in assets.iter_mut().enumerate().take(N) {
        if bit(zero, k) {
            a.input.price_lo = Price {
                mantissa: 0,
                expo: 0,
            };
        }
    }
    assets
}

/// The weights of `engine_view`.
pub(super) fn view_weights(f: &Fund, zero: u16) -> Weights {
    let view = engine_view(f, zero);
    let inputs: Vec<_> = view[..N].iter().map(|a| a.input).collect();
    weights::compute(&inputs, f.numeraire_decimals).unwrap()
}

/// The model of a claimant's approval bucket: what it declared without approval, draining
/// `approval_threshold` per draw window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Bucket {
    pub(super) level: u64,
    pub(super) updated_at: i64,
}

impl Bucket {
    /// A declaration of `amount` at `now`: whether it needs approval. One that fits in the
    /// drained bucket fills it; one that does not leaves it drained (but otherwise as it was).
    pub(super) fn declare(
        &mut self,
        amount: u64,
        threshold: u64,
        window_secs: u32,
        now: i64,
    ) -> bool {
        let drained = drained_level_ceil(
            self.level,
            threshold,
            window_secs,
            now.saturating_sub(self.updated_at),
        );
        let needs_approval = u128::from(drained) + u128::from(amount) > u128::from(threshold);
        self.level = if needs_approval {
            drained
        } else {
            drained + amount
        };
        self.updated_at = now;
        needs_approval
    }
}

/// What `declare_shortfall` refuses before it counts the declaration (claimant's signature,
/// fresh id and a positive amount given).
pub(super) fn declare_refusal(f: &Fund, c: &Claimant, now: i64) -> Option<FundError> {
    if !c.enabled {
        Some(FundError::ClaimantDisabled)
    } else if !f.draws.is_configured() {
        Some(FundError::DrawsNotConfigured)
    } else if f.is_paused(pause_flags::DECLARATIONS, now) {
        Some(FundError::DeclarationsPaused)
    } else {
        None
    }
}

/// Worth less than one numeraire unit at the upper price: a draw may skip it.
pub(super) fn is_dust(f: &Fund, k: usize) -> bool {
    let a = &f.assets[k];
    let value = value_floor(
        a.booked_balance,
        a.upper_price(),
        a.decimals,
        f.numeraire_decimals,
        0,
    )
    .unwrap();
    value < 10u128.pow(u32::from(f.numeraire_decimals))
}

/// `(over, under)` its band, for every asset, valued at the cached lower prices with haircut
/// (stale or not), the assets in `zero` at 0, exactly.
fn band_states(f: &Fund, zero: u16) -> Vec<(bool, bool)> {
    let (values, nav, _) = valued(f, zero);
    let band = u128::from(f.rebalance.band_bps);
    values
        .iter()
        .zip(&f.assets[..N])
        .map(|(&v, a)| {
            let target = u128::from(a.target_bps);
            let over = nav > 0 && v * 10_000 > (target + band) * nav;
            let under = nav > 0 && target > band && v * 10_000 < (target - band) * nav;
            (over, under)
        })
        .collect()
}

/// The clocks `(over_since, under_since)` after a step that settles them (deposit, refresh,
/// draw), or after a fill of `pair` at `now`: a clock ends when its asset is back inside its
/// band (at cached prices, stale or not) and no clock starts, except that a fill restarts
/// both clocks of its pair, on the fill's own view (`stale` valued at 0).
pub(super) fn settled_clocks(
    fb: &Fund,
    fa: &Fund,
    pair: Option<(usize, usize, i64, u16)>,
) -> Vec<(i64, i64)> {
    let bands = band_states(fa, 0);
    let pair_bands = pair.map(|(.., stale)| band_states(fa, stale));
    (0..N)
        .map(|k| {
            let (over, under) = bands[k];
            match pair {
                Some((i, o, now, _)) if k == i || k == o => {
                    let (over, under) = pair_bands.as_ref().unwrap()[k];
                    (if over { now } else { 0 }, if under { now } else { 0 })
                }
                _ if fb.rebalance.band_bps == 0 => {
                    (fb.assets[k].over_since, fb.assets[k].under_since)
                }
                _ => (
                    if over { fb.assets[k].over_since } else { 0 },
                    if under { fb.assets[k].under_since } else { 0 },
                ),
            }
        })
        .collect()
}

/// The clocks after `sync_auctions`: each set at `now` when its asset leaves its band (at
/// cached prices, stale or not), kept while it stays out, cleared when it is back inside.
pub(super) fn synced_clocks(f: &Fund, now: i64) -> Vec<(i64, i64)> {
    let next = |since: i64, holds: bool| match (holds, since) {
        (false, _) => 0,
        (true, 0) => now,
        (true, s) => s,
    };
    band_states(f, 0)
        .into_iter()
        .enumerate()
        .map(|(k, (over, under))| {
            (
                next(f.assets[k].over_since, over),
                next(f.assets[k].under_since, under),
            )
        })
        .collect()
}

pub(super) fn clocks(f: &Fund) -> Vec<(i64, i64)> {
    (0..N)
        .map(|k| (f.assets[k].over_since, f.assets[k].under_since))
        .collect()
}

/// What `rebalance` does with `amount_in` sent, `received` arriving: the quote, or the
/// handler's first refusal, in the handler's order. Pairs here are always two distinct
/// registered assets with every flag set and a keeper holding the amount.
#[allow(clippy::too_many_arguments)]
pub(super) fn predict_fill(
    f: &Fund,
    now: i64,
    i: usize,
    o: usize,
    amount_in: u64,
    received: u64,
    min_out: u64,
) -> std::result::Result<PlannedFill, FundError> {
    if amount_in == 0 {
        return Err(FundError::ZeroAmount);
    }
    if f.is_paused(pause_flags::REBALANCES, now) {
        return Err(FundError::RebalancesPaused);
    }
    if !f.rebalance.is_configured() {
        return Err(FundError::RebalanceNotConfigured);
    }
    if !f.targets_set() {
        return Err(FundError::TargetsNotSet);
    }
    // the pair's own prices, whatever they hold
    if !(fresh(f, i, now) && fresh(f, o, now)) {
        return Err(FundError::PriceStale);
    }
    if f.draw_state.open_shortfalls > 0 && !raises_liquidity(f, i, o) {
        return Err(FundError::ShortfallModeLiquidOnly);
    }
    // a stale asset other than the pair (the pair is fresh here)
    let stale = stale_set(f, now);
    if stale != 0 && !raises_liquidity(f, i, o) {
        return Err(FundError::StalePricesLiquidOnly);
    }
    let premium = f.pair_premium_bps(&f.fill_mode(now).terms, i, o, now);
    if received == 0 {
        return Err(FundError::NothingReceived);
    }
    // the engine sees the stale assets at 0
    let assets = engine_view(f, stale);
    let n = f.asset_count as usize;
    let quote = quote_fill(&assets[..n], i, o, received, premium, f.numeraire_decimals)
        .map_err(math_error)?;
    let checked = check_fill(
        &assets[..n],
        i,
        o,
        received,
        &quote,
        f.min_liquid_bps,
        f.rebalance.band_bps,
        f.numeraire_decimals,
    )
    .map_err(fill_error)?;
    let beyond = (checked.out_over_band, checked.in_under_band);
    if !f.pair_started(i, o, beyond) {
        return Err(FundError::AuctionNotStarted);
    }
    if quote.amount_out < min_out {
        return Err(FundError::SlippageExceeded);
    }
    let cfg = &f.rebalance;
    let value_in = u64::try_from(quote.value_in).map_err(|_| FundError::MathOverflow)?;
    let premium_value = u64::try_from(quote.premium_value).map_err(|_| FundError::MathOverflow)?;
    if value_in < cfg.min_trade_value {
        return Err(FundError::TradeTooSmall);
    }
    let st = &f.rebalance_state;
    let elapsed = now.saturating_sub(st.last_update);
    let volume = take(
        st.volume_level,
        cfg.max_volume_per_window,
        cfg.window_secs,
        elapsed,
        value_in,
    )
    .map_err(math_error)?;
    if volume.is_none() {
        return Err(FundError::VolumeCapExceeded);
    }
    let premium_level = take(
        st.premium_level,
        cfg.premium_budget_per_window,
        cfg.window_secs,
        elapsed,
        premium_value,
    )
    .map_err(math_error)?;
    if premium_level.is_none() {
        return Err(FundError::PremiumBudgetExceeded);
    }
    Ok(PlannedFill {
        i,
        o,
        received,
        quote,
        stale,
    })
}

/// Payable assets (draw-enabled, with a balance) in waterfall order.
pub(super) fn waterfall(f: &Fund) -> Vec<usize> {
    let n = f.asset_count as usize;
    let classes: Vec<u8> = f.assets[..n].iter().map(|a| a.class).collect();
    let payable: Vec<bool> = f.assets[..n]
        .iter()
        .map(|a| a.has_flag(asset_flags::DRAW) && a.booked_balance > 0)
        .collect();
    let (order, k) = waterfall_order(&classes, &payable);
    order[..k].to_vec()
}

/// The most a draw of `max_value` may pay now, the fund-wide window capacity and its drained
/// level, or the handler's refusal before the waterfall. Prices need not be fresh: a stale
/// asset counts for 0 in the NAV the capacity is a share of.
pub(super) fn draw_room(
    f: &Fund,
    c: &Claimant,
    s: &Shortfall,
    now: i64,
    max_value: u64,
) -> std::result::Result<(u64, u64, u64), FundError> {
    if max_value == 0 {
        return Err(FundError::ZeroAmount);
    }
    if !c.enabled {
        return Err(FundError::ClaimantDisabled);
    }
    if s.status != ShortfallStatus::Open {
        return Err(FundError::ShortfallNotOpen);
    }
    if !s.is_drawable() {
        return Err(FundError::ShortfallNotApproved);
    }
    if !f.draws.is_configured() {
        return Err(FundError::DrawsNotConfigured);
    }
    // the fund-wide cap is sized on what the assets with a usable price are worth
    let (_, nav, _) = valued(f, stale_set(f, now));
    let cfg = &f.draws;
    let fund_capacity = fund_capacity_on(f, nav);
    let fund_level = drained_level_ceil(
        f.draw_state.level,
        fund_capacity,
        cfg.window_secs,
        now.saturating_sub(f.draw_state.updated_at),
    );
    let claimant_level = drained_level_ceil(
        c.window_level,
        c.caps.max_per_window,
        cfg.window_secs,
        now.saturating_sub(c.window_updated_at),
    );
    let limit = draw_limit(&[
        max_value,
        s.remaining(),
        c.caps.max_per_shortfall.saturating_sub(s.paid),
        c.caps.max_per_window.saturating_sub(claimant_level),
        c.caps.lifetime_max.saturating_sub(c.drawn_lifetime),
        fund_capacity.saturating_sub(fund_level),
    ]);
    if limit == 0 {
        return Err(FundError::NothingToDraw);
    }
    Ok((limit, fund_capacity, fund_level))
}

/// The fund-wide window capacity on `nav`: `fund_cap_bps` of it, rounded down.
pub(super) fn fund_capacity_on(f: &Fund, nav: u128) -> u64 {
    u64::try_from(mul_div_floor(nav, f.draws.fund_cap_bps, 10_000).unwrap()).unwrap_or(u64::MAX)
}

/// The waterfall over `groups` (asset indices) for `limit` at `now`: payouts, value left and
/// how many groups were used before the handler stops. Each group is the next payable asset
/// in waterfall order, or a later one when every payable asset it passes over is dust or
/// stale; a group naming a stale asset is refused (a draw pays only at fresh prices).
#[allow(clippy::type_complexity)]
pub(super) fn walk(
    f: &Fund,
    now: i64,
    limit: u64,
    groups: &[usize],
) -> std::result::Result<(Vec<(usize, u64, u64)>, u64, usize), FundError> {
    let stale = stale_set(f, now);
    let order = waterfall(f);
    let mut left = u128::from(limit);
    let mut payouts = vec![];
    let mut used = 0;
    // position in the waterfall of the next asset a group may name
    let mut next = 0;
    for (step, &k) in groups.iter().enumerate() {
        used = step + 1;
        loop {
            let Some(&j) = order.get(next) else {
                return Err(FundError::WaterfallOrderViolated);
            };
            next += 1;
            if j == k {
                break;
            }
            if !(bit(stale, j) || is_dust(f, j)) {
                return Err(FundError::WaterfallOrderViolated);
            }
        }
        if bit(stale, k) {
            return Err(FundError::PriceStale);
        }
        let a = &f.assets[k];
        let (amount, credited, exhausted) = payout_floor(
            left,
            a.upper_price(),
            a.decimals,
            f.numeraire_decimals,
            a.booked_balance,
        )
        .map_err(|_| FundError::MathOverflow)?;
        if amount > 0 {
            payouts.push((k, amount, credited as u64));
            left -= credited;
        }
        if !exhausted || left == 0 {
            break;
        }
    }
    Ok((payouts, left as u64, used))
}

/// What `draw` does with these groups: the payouts, or its first refusal.
pub(super) fn predict_draw(
    f: &Fund,
    c: &Claimant,
    s: &Shortfall,
    now: i64,
    max_value: u64,
    groups: &[usize],
) -> std::result::Result<PlannedDraw, FundError> {
    let (limit, fund_capacity, fund_level) = draw_room(f, c, s, now, max_value)?;
    let (payouts, left, used) = walk(f, now, limit, groups)?;
    if used < groups.len() {
        return Err(FundError::ExtraRemainingAccounts);
    }
    let paid = limit - left;
    if paid == 0 {
        return Err(FundError::NothingToDraw);
    }
    Ok(PlannedDraw {
        payouts,
        paid,
        fund_capacity,
        fund_level,
    })
}
