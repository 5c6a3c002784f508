//! The steps every keeper fill shares, whether the keeper delivers first (`rebalance`) or
//! borrows the out-asset within the transaction (`rebalance_begin` / `rebalance_end`): one
//! copy of the checks before anything moves, of the pricing and bounds (the engine in
//! `math::rebalance`), and of the booking.

use crate::error::FundError;
use crate::events::Rebalanced;
use crate::math::rebalance::{
    check_fill_inputs, crisis_set_back_ceil, imbalance_at, next_clock, premium_bps_floor,
    quote_sale, FillPair,
};
use crate::math::rebalance::{FillCheck, FillQuote, OutPricing};
use crate::math::SafeMath;
use crate::state::{asset_flags, pause_flags, FillTerms, Fund, TargetTilt};
use crate::token_policy::token_account_mint;
use anchor_lang::prelude::*;

/// The accounts of a fill's pair as the instruction received them.
pub struct PairAccounts<'a, 'info> {
    pub mint_in: &'a Pubkey,
    pub vault_in: &'a Pubkey,
    pub mint_out: &'a Pubkey,
    pub vault_out: &'a Pubkey,
    pub token_program_out: &'a Pubkey,
    /// Where the keeper receives the out-asset.
    pub keeper_out: &'a AccountInfo<'info>,
    /// The delivering side of a fill whose keeper pays from its own account (`rebalance`):
    /// the in-asset's token program and the keeper's account it pays from. A flash fill has
    /// neither (the delivery arrives by any route and is measured at the vault).
    pub delivery: Option<(&'a Pubkey, &'a AccountInfo<'info>)>,
}

/// What the checks before any transfer established.
#[derive(Clone, Copy, Debug)]
pub struct FillPlan {
    /// The asset delivered to the fund.
    pub i: usize,
    /// The asset the keeper receives.
    pub o: usize,
    /// `Fund::stale_mask` now: a stale asset other than the pair is valued at 0.
    pub stale: u16,
    /// The pair's auction premium now.
    pub premium_bps: u16,
    /// How the out-asset is priced now (gap clearing).
    pub out: OutPricing,
    /// The normal terms or, in crisis mode, the crisis profile's.
    pub terms: FillTerms,
    /// The targets in force: the crisis targets in crisis mode (`Fund::target_tilt`).
    pub tilt: Option<TargetTilt>,
}

/// The checks of a fill that need no transfer, in the order its specification lists them:
/// rebalances not paused (`RebalancesPaused`), rebalancing configured and targets set, both
/// mints registered (`UnknownAsset`) and distinct (`InvalidPair`), each vault the fund's
/// (`VaultMismatch`), each token program its asset's (`TokenProgramMismatch`; the in-side
/// only with a `delivery`), the keeper's accounts token accounts of their asset
/// (`InvalidTokenAccount`, `SourceMintMismatch`), the flags (`RebalanceInDisabled`,
/// `RebalanceOutDisabled`), both prices fresh (`PriceStale`) and the fill mode
/// (`Fund::check_fill_mode`).
#[inline(never)]
pub fn plan_fill(fund: &Fund, a: &PairAccounts, now: i64) -> Result<FillPlan> {
    // the flash-fill lock every instruction checks first (`lib.rs`); the fill paths read it
    // from the fund they load anyway
    require!(!fund.flash.is_active(), FundError::FlashFillInProgress);
    require!(
        !fund.is_paused(pause_flags::REBALANCES, now),
        FundError::RebalancesPaused
    );
    fund.require_rebalance_ready()?;
    let i = fund.asset_index(a.mint_in)?;
    let o = fund.asset_index(a.mint_out)?;
    require!(i != o, FundError::InvalidPair);
    let (ai, ao) = (&fund.assets[i], &fund.assets[o]);
    require_keys_eq!(*a.vault_in, ai.vault, FundError::VaultMismatch);
    require_keys_eq!(*a.vault_out, ao.vault, FundError::VaultMismatch);
    if let Some((token_program_in, _)) = a.delivery {
        require_keys_eq!(
            *token_program_in,
            ai.token_program_id(),
            FundError::TokenProgramMismatch
        );
    }
    require_keys_eq!(
        *a.token_program_out,
        ao.token_program_id(),
        FundError::TokenProgramMismatch
    );
    if let Some((_, keeper_in)) = a.delivery {
        require_keys_eq!(
            token_account_mint(keeper_in, &ai.token_program_id())?,
            ai.mint,
            FundError::SourceMintMismatch
        );
    }
    require_keys_eq!(
        token_account_mint(a.keeper_out, &ao.token_program_id())?,
        ao.mint,
        FundError::SourceMintMismatch
    );
    require!(
        ai.has_flag(asset_flags::REBALANCE_IN),
        FundError::RebalanceInDisabled
    );
    require!(
        ao.has_flag(asset_flags::REBALANCE_OUT),
        FundError::RebalanceOutDisabled
    );
    let max_age = fund.max_price_age_secs;
    require!(
        ai.price_is_fresh(now, max_age) && ao.price_is_fresh(now, max_age),
        FundError::PriceStale
    );
    // crisis mode or a stale third asset: only fills that raise the liquid share; the
    // triggers are valued once, for the mode, the terms and the targets
    let mode = fund.fill_mode(now);
    fund.check_fill_mode(i, o, &mode)?;
    // Eligibility is checked by the engine with the fill; here only the auction clocks,
    // which price it, under the terms of the fund's mode.
    let elapsed = now.saturating_sub(fund.pair_auction_start(i, o));
    Ok(FillPlan {
        i,
        o,
        stale: mode.stale,
        premium_bps: premium_bps_floor(&mode.terms.auction, elapsed),
        out: fund.out_pricing(&mode.terms, o, elapsed),
        terms: mode.terms,
        tilt: mode.tilt,
    })
}

/// A fill priced and checked, ready to book.
pub struct PricedFill {
    pub quote: FillQuote,
    pub check: FillCheck,
    /// The rate-limit buckets' levels after the fill.
    pub volume_level: u64,
    pub premium_level: u64,
    pub value_in: u64,
    pub premium_value: u64,
}

/// Prices a fill of `received` atoms of the in-asset and checks it with the shared engine:
/// the quote at the plan's premium and out pricing (`quote_sale`); for a flash fill, `taken` atoms of the
/// out-asset already left the fund and must be no more than the quote pays
/// (`FlashFillUnderpaid`, `FillQuote::taking`); every bound of `check_fill_inputs`; the
/// auction started (`AuctionNotStarted`); the minimum trade (`TradeTooSmall`); and both rate
/// limits at the plan's terms (`VolumeCapExceeded`, `PremiumBudgetExceeded`).
#[inline(always)]
pub fn price_fill(
    fund: &Fund,
    plan: &FillPlan,
    received: u64,
    taken: Option<u64>,
    now: i64,
) -> Result<PricedFill> {
    let FillPlan { i, o, stale, .. } = *plan;
    // the engine's view of every asset, built once; a stale asset other than the pair is
    // valued at 0 (`Fund::check_fill_mode`)
    let (inputs, n) = fund.engine_inputs_without(stale, plan.tilt);
    let (ai, ao) = (&fund.assets[i], &fund.assets[o]);
    let mut quote = quote_sale(
        &inputs[i],
        &plan.out,
        ao.decimals,
        received,
        plan.premium_bps,
        fund.numeraire_decimals,
    )?;
    if let Some(taken) = taken {
        quote = quote.taking(taken, &plan.out, ao.decimals, fund.numeraire_decimals)?;
    }
    let pair = FillPair {
        i,
        o,
        can_in: ai.has_flag(asset_flags::REBALANCE_IN),
        can_out: ao.has_flag(asset_flags::REBALANCE_OUT),
        buy_out: ao.for_buy_out(),
    };
    let check = check_fill_inputs(
        &inputs[..n],
        pair,
        received,
        &quote,
        fund.min_liquid_bps,
        fund.rebalance.band_bps,
        fund.numeraire_decimals,
    )?;
    require!(
        fund.pair_started(i, o, (check.out_over_band, check.in_under_band)),
        FundError::AuctionNotStarted
    );
    let value_in = u64::try_from(quote.value_in).map_err(|_| error!(FundError::MathOverflow))?;
    let premium_value =
        u64::try_from(quote.premium_value).map_err(|_| error!(FundError::MathOverflow))?;
    let cfg = &fund.rebalance;
    require!(value_in >= cfg.min_trade_value, FundError::TradeTooSmall);
    let state = &fund.rebalance_state;
    let elapsed = now.saturating_sub(state.last_update);
    let volume_level = crate::math::rate_limit::take(
        state.volume_level,
        plan.terms.max_volume_per_window,
        cfg.window_secs,
        elapsed,
        value_in,
    )?
    .ok_or_else(|| error!(FundError::VolumeCapExceeded))?;
    let premium_level = crate::math::rate_limit::take(
        state.premium_level,
        plan.terms.premium_budget_per_window,
        cfg.window_secs,
        elapsed,
        premium_value,
    )?
    .ok_or_else(|| error!(FundError::PremiumBudgetExceeded))?;
    Ok(PricedFill {
        quote,
        check,
        volume_level,
        premium_level,
        value_in,
        premium_value,
    })
}

/// Books a priced fill: both balances, both buckets, the lifetime totals; restarts the
/// pair's auction clocks (cleared if back inside the band; on crisis terms set back in
/// proportion to the take instead, `crisis_set_back_ceil`) and clears the clock of any other
/// asset the fill brought back inside its band (targets in force: the plan's).
#[inline(always)]
pub fn book_fill(
    fund: &mut Fund,
    plan: &FillPlan,
    received: u64,
    fill: &PricedFill,
    now: i64,
) -> Result<()> {
    let FillPlan {
        i, o, stale, tilt, ..
    } = *plan;
    fund.assets[i].credit_rebalance_in(received)?;
    fund.assets[o].debit(fill.quote.amount_out)?;
    let band_bps = fund.rebalance.band_bps;
    let after = &fill.check.after;
    // any other asset the fill brought back inside its band ends its episode (on the values
    // the fill computed); the pair restarts: a further fill starts at the start premium again,
    // except on crisis terms, where the auction runs on (below)
    // (the targets in force are the fill's own, `plan.tilt`)
    if stale == 0 {
        fund.settle_auction_clocks_with(&after.values[..after.count], after.nav, i, tilt);
    } else {
        // the fill's weights value a stale asset at 0; clocks are kept on cached prices
        fund.settle_auction_clocks_under(tilt)?;
    }
    // On crisis terms a fill takes part of the lot and the auction runs on (a Dutch auction's
    // partial take): restarting it would put the sale price back at the upper bound, which
    // after a gap is hours above the market, after every fill. Each take moves the auction
    // back in proportion to what it took of the out-asset's excess over its target
    // (`crisis_set_back_ceil`; never past now), so the price holds while keepers take at
    // about the pace the market absorbs and falls again when they take less, rather than
    // sliding to its floor; a set-back only ever raises the price the fund sells at, and a
    // keeper holding the price up with small takes moves it by what it takes. Outside a
    // crisis the pair restarts, so a keeper who waited for a high premium does not hand the
    // next keeper that premium at once.
    let setback = plan.terms.crisis.then(|| {
        let before = &fill.check.before;
        crisis_set_back_ceil(
            plan.terms.auction.duration_secs,
            fill.value_in,
            before.values[o],
            fund.assets[o].target_in(tilt),
            before.nav,
        )
    });
    for k in [i, o] {
        let slot = &mut fund.assets[k];
        let (over, under) = imbalance_at(after, k, slot.target_in(tilt), band_bps);
        // a retired asset still holding a balance stays on offer (its buy-out continues)
        let over = over || slot.for_buy_out();
        let (over_since, under_since) = match setback {
            Some(s) => (
                set_back(slot.over_since, s, now),
                set_back(slot.under_since, s, now),
            ),
            None => (0, 0),
        };
        slot.over_since = next_clock(over_since, over, now);
        slot.under_since = next_clock(under_since, under, now);
    }
    let state = &mut fund.rebalance_state;
    state.volume_level = fill.volume_level;
    state.premium_level = fill.premium_level;
    state.last_update = now;
    state.total_volume = state.total_volume.safe_add(fill.value_in)?;
    state.total_premium = state.total_premium.safe_add(fill.premium_value)?;
    state.fills = state.fills.safe_add(1)?;
    fund.invariant_flows()
}

/// A running auction clock `since` moved `secs` later, never past `now`; 0 (no clock) stays 0.
fn set_back(since: i64, secs: i64, now: i64) -> i64 {
    if since == 0 {
        0
    } else {
        since.saturating_add(secs).min(now)
    }
}

/// The `Rebalanced` event of a booked fill.
pub fn fill_event(
    fund: Pubkey,
    keeper: Pubkey,
    (mint_in, mint_out): (Pubkey, Pubkey),
    (amount_in_sent, amount_in_received): (u64, u64),
    plan: &FillPlan,
    fill: &PricedFill,
    flash: bool,
) -> Rebalanced {
    let (before, after) = (&fill.check.before, &fill.check.after);
    Rebalanced {
        fund,
        keeper,
        mint_in,
        mint_out,
        amount_in_sent,
        amount_in_received,
        amount_out: fill.quote.amount_out,
        value_in: fill.quote.value_in,
        value_out: fill.quote.value_out,
        premium_bps: plan.premium_bps,
        premium_value: fill.quote.premium_value,
        nav_before: before.nav,
        nav_after: after.nav,
        distance_before_bps: before.distance_bps,
        distance_after_bps: after.distance_bps,
        liquid_before_bps: before.liquid_bps,
        liquid_after_bps: after.liquid_bps,
        flash,
    }
}
