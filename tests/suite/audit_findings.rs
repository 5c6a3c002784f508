//! Regression tests for the December 2026 audit findings (issue #14). Each test replays the
//! finding's sequence and asserts the fixed outcome; each failed on the main branch before the
//! fix (noted per test). Rows in `docs/threat-model.md` ("Audit findings, December 2026")
//! point here.

use crate::rebalance;
use crate::timelock::{bounds, caps, draw_params};
use anchor_lang::prelude::*;
use insurance_fund::constants::{DEFAULT_MAX_PAUSE_SECS, QUEUED_CHANGE_GRACE_SECS};
use insurance_fund::error::FundError;
use insurance_fund::events::PricesRefreshed;
use insurance_fund::state::{asset_flags, pause_flags, ClaimantCaps, LiquidityClass};
use insurance_fund::timelock::ConfigChange;
use insurance_fund_tests::shortfall;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: usize = 0;
const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000;
const DAY: u32 = 86_400;

/// A price update for asset `k` at `price` (expo -8, EMA equal, no confidence) published at
/// `publish_time`, written into a receiver-owned account of the caller's own choosing.
async fn post_update(f: &mut FundFixture, k: usize, price: i64, publish_time: i64) -> Pubkey {
    let key = Pubkey::new_unique();
    let mut p = pyth_price(f.h.assets[k].feed_id, price, -8, publish_time);
    p.conf = 0;
    p.ema_conf = 0;
    f.ctx.set_price(&key, &p);
    key
}

/// `refresh_prices` of asset `k` alone, its price read from `price_account`.
fn refresh_from(
    f: &FundFixture,
    k: usize,
    price_account: Pubkey,
) -> anchor_lang::solana_program::instruction::Instruction {
    f.refresh_ix_with(
        1 << k,
        &[(price_account, false), (f.h.assets[k].vault, false)],
    )
}

// ---- 1. the cached price never moves back in time ------------------------------------------

/// Main before the fix: the second refresh succeeded and the cache read 1.00 published at t0.
#[tokio::test]
async fn an_older_update_never_replaces_the_cached_price() {
    let mut s = shortfall::setup().await;
    let f = &mut s.f;
    let t0 = f.ctx.now().await;
    // anyone can keep a fully verified historical update in an account of their own
    let old = post_update(f, USDT, 100_000_000, t0).await;
    f.ctx.advance_clock(50).await;
    f.set_pyth_price(USDT, 97_000_000, -8, 0).await;
    shortfall::refresh(f).await;
    let cached = f.state().await.assets[USDT].price;
    assert_eq!((cached.lower, cached.publish_time), (97_000_000, t0 + 50));

    // the rollback is not refused (a keeper's transaction overtaken by a newer price still
    // lands) but leaves the cache as it was; the vault balance is still re-read
    let out = f.ctx.send_ok(&[refresh_from(f, USDT, old)], &[]).await;
    assert_eq!(f.state().await.assets[USDT].price, cached);
    if let Some(e) = f.ctx.event::<PricesRefreshed>(&out) {
        let r = e.refreshed[0];
        assert!(!r.updated);
        assert_eq!((r.lower, r.publish_time), (97_000_000, t0 + 50));
    }
    // an update published at the cached time keeps the cache too
    let same_time = post_update(f, USDT, 99_000_000, t0 + 50).await;
    f.ctx
        .send_ok(&[refresh_from(f, USDT, same_time)], &[])
        .await;
    assert_eq!(f.state().await.assets[USDT].price, cached);
    // a newer one replaces it
    let newer = post_update(f, USDT, 98_000_000, t0 + 51).await;
    f.ctx.advance_clock(1).await;
    f.ctx.send_ok(&[refresh_from(f, USDT, newer)], &[]).await;
    let now = f.state().await.assets[USDT].price;
    assert_eq!((now.lower, now.publish_time), (98_000_000, t0 + 51));
}

/// Main before the fix: the keeper received 100.1 USDC (USDT valued at the old 1.00).
#[tokio::test]
async fn a_fill_bundled_behind_a_rollback_refresh_is_priced_at_the_newer_cache() {
    let mut f = rebalance::fund([1_000, 0, 0]).await;
    let t0 = f.ctx.now().await;
    let old = post_update(&mut f, USDT, 100_000_000, t0).await;
    f.ctx.advance_clock(30).await;
    rebalance::set_prices(&mut f, 97_000_000, 100_000_000).await;
    rebalance::crank(&mut f).await;
    let kp = rebalance::keeper(&mut f, 500).await;
    let before = f.ctx.token_balance(&kp.accounts[USDC]).await;
    let fill = f.rebalance_ix(
        &kp.key.pubkey(),
        USDT,
        &kp.accounts[USDT],
        USDC,
        &kp.accounts[USDC],
        100 * ONE,
        0,
    );
    f.ctx
        .send_ok(&[refresh_from(&f, USDT, old), fill], &[&kp.key])
        .await;
    // 100 USDT at the cached 0.97 plus the 10 bps start premium: 97.097 USDC
    let got = f.ctx.token_balance(&kp.accounts[USDC]).await - before;
    assert_eq!(got, 97_097_000);
    assert_eq!(f.state().await.assets[USDT].price.publish_time, t0 + 30);
}

/// Main before the fix: the claimant received 50 USDT (paid at the old upper bound 1.00).
#[tokio::test]
async fn a_draw_bundled_behind_a_rollback_refresh_pays_at_the_newer_cache() {
    let mut s = shortfall::setup().await;
    let t0 = s.f.ctx.now().await;
    let old = post_update(&mut s.f, USDT, 100_000_000, t0).await;
    s.f.ctx.advance_clock(30).await;
    shortfall::set_prices(&mut s.f, 110_000_000, 0, 200_000_000, 0).await;
    shortfall::refresh(&mut s.f).await;
    let id = s.declare(150 * ONE).await;
    let pay = [(USDC, s.payout[USDC]), (USDT, s.payout[USDT])];
    let draw = s.f.draw_ix(&s.authority.pubkey(), id, u64::MAX, &pay);
    let rollback = refresh_from(&s.f, USDT, old);
    s.f.ctx.send_ok(&[rollback, draw], &[&s.authority]).await;
    // 100 USDC, then 50 USD of USDT at the cached upper bound 1.10: 45.454545 USDT
    assert_eq!(s.balances().await, [100 * ONE, 45_454_545, 0]);
}

/// Main before the fix: the draw paid USDT on a 110 s old price (the fund allows 120 s).
#[tokio::test]
async fn an_assets_own_max_age_is_checked_again_at_use() {
    let mut s = shortfall::setup().await;
    let mut tight = asset_params(LiquidityClass::Liquid, 8_000, pyth_oracle(2));
    tight.oracle.max_age_secs = 10;
    let usdt = s.f.h.assets[USDT].mint.key;
    s.f.send_gov(&[s.f.update_asset_ix(&s.f.gov(), &usdt, tight)])
        .await
        .unwrap();
    let now = s.f.ctx.now().await;
    let ten_seconds_old = post_update(&mut s.f, USDT, 100_000_000, now - 10).await;
    s.f.ctx
        .send_ok(&[refresh_from(&s.f, USDT, ten_seconds_old)], &[])
        .await;
    // a draw that must pay from USDT: 150 USD, past USDC's 100
    let id = s.declare(150 * ONE).await;
    s.f.ctx.advance_clock(100).await;
    // every other asset freshly priced: only USDT's own 10 s limit is passed
    s.f.set_pyth_price(LST, 200_000_000, -8, 0).await;
    let lst_oracle = s.f.h.assets[LST].oracle.unwrap();
    s.f.ctx
        .send_ok(&[refresh_from(&s.f, LST, lst_oracle)], &[])
        .await;
    let now = s.f.ctx.now().await;
    assert_eq!(s.f.state().await.stale_mask(now), 1 << USDT);
    let before = s.f.state().await;
    assert_fund_error(
        &s.draw(id, u64::MAX, &[USDC, USDT]).await,
        FundError::PriceStale,
    );
    assert_eq!(s.f.state().await, before);
    assert_eq!(s.balances().await, [0, 0, 0]);
}

// ---- 2. queued changes: the timelock in force, expiry, and superseded targets ---------------

/// The default fund with draws configured, a claimant registered (its authority is also its
/// payout owner), and a timelock of `timelock_secs`.
async fn governed_fund(timelock_secs: u32) -> (FundFixture, Keypair) {
    let mut f = TestBuilder::new().build().await;
    let claimant = Keypair::new();
    let gov = f.gov();
    let c = claimant.pubkey();
    let setup = [
        f.set_draw_params_ix(&gov, draw_params(5_000)),
        f.register_claimant_ix(&gov, c, c, caps(400 * ONE)),
        f.set_bounds_args_ix(&gov, bounds(5_000, timelock_secs)),
    ];
    f.send_gov(&setup).await.unwrap();
    (f, claimant)
}

/// Queues `change` (the test's payer pays the rent); returns the record's address.
async fn queue(f: &mut FundFixture, change: ConfigChange) -> Pubkey {
    let gov = f.gov();
    let payer = f.ctx.payer_key();
    let ix = f.queue_change_ix(&gov, &payer, change.clone());
    f.send_gov(&[ix]).await.unwrap();
    f.pending_change_address(&change)
}

/// Main before the fix: the queued update executed and the claimant was back, caps doubled.
#[tokio::test]
async fn a_claimant_disabled_at_once_is_not_re_enabled_by_an_older_queued_change() {
    let (mut f, claimant) = governed_fund(DAY).await;
    let gov = f.gov();
    let payer = f.ctx.payer_key();
    let who = claimant.pubkey();
    let loosening = ConfigChange::UpdateClaimant {
        authority: who,
        payout_owner: who,
        caps: caps(800 * ONE),
        enabled: true,
    };
    let pending = queue(&mut f, loosening).await;
    // the key is compromised: governance disables the claimant at once
    let c = f.claimant_address(&who);
    let disable = f.update_claimant_ix(&gov, &who, who, caps(400 * ONE), false);
    f.send_gov(&[disable]).await.unwrap();
    f.ctx.advance_clock(i64::from(DAY)).await;
    let anyone = Keypair::new();
    let exec = with_pending_change(
        f.update_claimant_ix(&anyone.pubkey(), &who, who, caps(800 * ONE), true),
        pending,
        payer,
    );
    let before = f.state().await;
    assert_fund_error(
        &f.ctx.send(&[exec], &[&anyone]).await,
        FundError::PendingChangeSuperseded,
    );
    assert_eq!(f.state().await, before);
    let data = f.ctx.account(&c).await.unwrap().data;
    let record = insurance_fund::state::Claimant::try_deserialize(&mut data.as_slice()).unwrap();
    assert_eq!((record.enabled, record.caps), (false, caps(400 * ONE)));
    // it can only be cancelled now
    f.send_gov(&[f.cancel_change_ix(&gov, pending, payer)])
        .await
        .unwrap();
    assert!(f.ctx.pending_change(&pending).await.is_none());
}

/// Main before the fix: the change queued under a zero timelock executed at once after the
/// timelock was raised to 30 days.
#[tokio::test]
async fn raising_the_timelock_applies_to_changes_already_queued() {
    let (mut f, _) = governed_fund(0).await;
    let gov = f.gov();
    let payer = f.ctx.payer_key();
    let pending = queue(
        &mut f,
        ConfigChange::SetDrawParams {
            params: draw_params(6_000).into(),
        },
    )
    .await;
    let thirty_days = 30 * DAY;
    f.send_gov(&[f.set_bounds_args_ix(&gov, bounds(5_000, thirty_days))])
        .await
        .unwrap();
    let anyone = Keypair::new();
    let exec = with_pending_change(
        f.set_draw_params_ix(&anyone.pubkey(), draw_params(6_000)),
        pending,
        payer,
    );
    assert_fund_error(
        &f.ctx.send(std::slice::from_ref(&exec), &[&anyone]).await,
        FundError::TimelockNotElapsed,
    );
    f.ctx.advance_clock(i64::from(thirty_days) - 2).await;
    assert_fund_error(
        &f.ctx.send(std::slice::from_ref(&exec), &[&anyone]).await,
        FundError::TimelockNotElapsed,
    );
    f.ctx.advance_clock(2).await;
    f.ctx.send_ok(&[exec], &[&anyone]).await;
    assert_eq!(f.state().await.draws, draw_params(6_000));
}

/// Main before the fix: after one day the queued bounds executed and the timelock fell back
/// from 7 days to 1.
#[tokio::test]
async fn a_queued_timelock_cut_is_void_once_governance_raised_the_timelock() {
    let (mut f, _) = governed_fund(DAY).await;
    let gov = f.gov();
    let payer = f.ctx.payer_key();
    let cut = ConfigChange::SetBounds {
        bounds: bounds(4_000, DAY),
    };
    let pending = queue(&mut f, cut).await;
    f.send_gov(&[f.set_bounds_args_ix(&gov, bounds(5_000, 7 * DAY))])
        .await
        .unwrap();
    let anyone = Keypair::new();
    let exec = with_pending_change(
        f.set_bounds_args_ix(&anyone.pubkey(), bounds(4_000, DAY)),
        pending,
        payer,
    );
    for wait in [DAY, 6 * DAY] {
        f.ctx.advance_clock(i64::from(wait)).await;
        let before = f.state().await;
        assert_fund_error(
            &f.ctx.send(std::slice::from_ref(&exec), &[&anyone]).await,
            FundError::PendingChangeSuperseded,
        );
        assert_eq!(f.state().await, before);
    }
    assert_eq!(f.state().await.timelock_secs, 7 * DAY);
}

/// A change of another target does not void it: two changes queued together both execute.
#[tokio::test]
async fn changes_of_different_targets_queued_together_all_execute() {
    let (mut f, _) = governed_fund(DAY).await;
    let gov = f.gov();
    let payer = f.ctx.payer_key();
    let draws = queue(
        &mut f,
        ConfigChange::SetDrawParams {
            params: draw_params(6_000).into(),
        },
    )
    .await;
    let guardian = Pubkey::new_unique();
    let guard = queue(
        &mut f,
        ConfigChange::SetGuardian {
            guardian: Some(guardian),
        },
    )
    .await;
    // a direct tightening of the bounds in between touches neither target
    f.send_gov(&[f.set_bounds_args_ix(&gov, bounds(5_500, DAY))])
        .await
        .unwrap();
    f.ctx.advance_clock(i64::from(DAY)).await;
    let anyone = Keypair::new();
    let ixs = [
        with_pending_change(
            f.set_draw_params_ix(&anyone.pubkey(), draw_params(6_000)),
            draws,
            payer,
        ),
        with_pending_change(
            f.set_guardian_ix(&anyone.pubkey(), Some(guardian)),
            guard,
            payer,
        ),
    ];
    f.ctx.send_ok(&ixs, &[&anyone]).await;
    let st = f.state().await;
    assert_eq!((st.draws, st.guardian), (draw_params(6_000), guardian));
}

/// Main before the fix: a matured change stayed executable forever.
#[tokio::test]
async fn a_queued_change_expires_after_its_grace_period_and_anyone_may_cancel_it() {
    let (mut f, _) = governed_fund(DAY).await;
    let payer = f.ctx.payer_key();
    let on_time = queue(
        &mut f,
        ConfigChange::SetDrawParams {
            params: draw_params(6_000).into(),
        },
    )
    .await;
    let late = queue(
        &mut f,
        ConfigChange::SetGuardian {
            guardian: Some(Pubkey::new_unique()),
        },
    )
    .await;
    let late_change = f.ctx.pending_change(&late).await.unwrap().change;
    let ConfigChange::SetGuardian { guardian } = late_change else {
        unreachable!()
    };
    // the last second of the grace period: still executable
    f.ctx
        .advance_clock(i64::from(DAY) + QUEUED_CHANGE_GRACE_SECS)
        .await;
    let anyone = Keypair::new();
    let exec = with_pending_change(
        f.set_draw_params_ix(&anyone.pubkey(), draw_params(6_000)),
        on_time,
        payer,
    );
    f.ctx.send_ok(&[exec], &[&anyone]).await;
    // one second later the other one has expired
    f.ctx.advance_clock(1).await;
    let exec = with_pending_change(f.set_guardian_ix(&anyone.pubkey(), guardian), late, payer);
    let before = f.state().await;
    assert_fund_error(
        &f.ctx.send(&[exec], &[&anyone]).await,
        FundError::PendingChangeExpired,
    );
    assert_eq!(f.state().await, before);
    // anyone may clear it; the rent goes back to its payer
    // (the test's payer also pays the fees here: compare against its balance after the fee)
    let rent = f.ctx.lamports(&late).await;
    let cancel = f.cancel_change_ix(&anyone.pubkey(), late, payer);
    let payer_before = f.ctx.lamports(&payer).await;
    f.ctx.send_ok(&[cancel], &[&anyone]).await;
    assert!(f.ctx.pending_change(&late).await.is_none());
    let fee = 10_000; // two signatures at 5,000 lamports
    assert_eq!(f.ctx.lamports(&payer).await, payer_before + rent - fee);
}

// ---- 3. approval counts what a claimant declared without approval ----------------------------

/// Main before the fix: every declaration of at most 1,000 was drawable without approval.
#[tokio::test]
async fn splitting_a_loss_into_small_declarations_still_needs_approval() {
    let big = ClaimantCaps {
        max_per_shortfall: 5_000 * ONE,
        max_per_window: 5_000 * ONE,
        lifetime_max: 10_000 * ONE,
    };
    let mut s = shortfall::setup_with(big).await;
    // threshold 1,000 per one-day window: 400 + 400 fit, the next 300 does not
    let a = s.declare(400 * ONE).await;
    let b = s.declare(400 * ONE).await;
    let c = s.declare(300 * ONE).await;
    let mut flags = vec![];
    for id in [a, b, c] {
        flags.push(s.shortfall(id).await.needs_approval);
    }
    assert_eq!(flags, [false, false, true]);
    assert_fund_error(
        &s.draw(c, ONE, &[USDC]).await,
        FundError::ShortfallNotApproved,
    );
    s.draw(a, ONE, &[USDC]).await.unwrap();
    let claimant = s.claimant().await;
    assert_eq!(claimant.unapproved_level, 800 * ONE);
    // half a window later half the threshold has drained: 300 fits again (300 + 300 left)
    s.f.ctx.advance_clock(43_200).await;
    let d = s.declare(300 * ONE).await;
    assert!(!s.shortfall(d).await.needs_approval);
    // governance declaring on the claimant's behalf counts the same
    let id = s.f.state().await.draw_state.shortfall_count;
    let gov = s.f.gov();
    let ix =
        s.f.declare_ix(&gov, &s.authority.pubkey(), id, 500 * ONE, [1; 32]);
    s.f.send_gov(&[ix]).await.unwrap();
    assert!(s.shortfall(id).await.needs_approval);
}

// ---- 4. an auction clock never outlives its episode ------------------------------------------

/// Main before the fix: the first fill paid 109 bps (the clock of the earlier episode).
#[tokio::test]
async fn an_auction_restarts_at_the_start_premium_when_its_imbalance_starts_again() {
    // USDC 600 of 1,100 (54.5 %: over 50 % + 2 %), USDT 300 (27.3 %: under 30 % - 2 %)
    let mut f = rebalance::fund([600, 300, 200]).await;
    rebalance::crank(&mut f).await;
    let st = f.state().await;
    assert!(st.assets[USDC].over_since != 0 && st.assets[USDT].under_since != 0);
    // a USDT deposit brings both back inside their bands: their episodes end
    f.deposit(USDT, 100 * ONE).await;
    let st = f.state().await;
    assert_eq!(
        (st.assets[USDC].over_since, st.assets[USDT].under_since),
        (0, 0)
    );
    // 990 s later a USDC deposit takes USDC over its band again (800 of 1,400: 57 %)
    f.ctx.advance_clock(990).await;
    f.deposit(USDC, 200 * ONE).await;
    rebalance::set_prices(&mut f, 100_000_000, 100_000_000).await;
    rebalance::crank(&mut f).await;
    let kp = rebalance::keeper(&mut f, 500).await;
    let before = f.ctx.token_balance(&kp.accounts[USDC]).await;
    rebalance::fill(&mut f, &kp, USDT, USDC, 10 * ONE, 0)
        .await
        .unwrap();
    // the start premium, 10 bps: 10.01 USDC
    let got = f.ctx.token_balance(&kp.accounts[USDC]).await - before;
    assert_eq!(got, 10_010_000);
}

/// A price move that brings an asset back inside its band ends its episode too
/// (`refresh_prices` settles the clocks), and a clock of an asset still beyond its band is
/// kept (its auction is not restarted by a refresh).
#[tokio::test]
async fn a_refresh_ends_the_episode_of_an_asset_its_prices_bring_back_inside() {
    // USDC 560 of 1,060 (52.8 %: over), USDT 300 (28.3 %: inside), LST 200 (18.9 %: inside)
    let mut f = rebalance::fund([560, 300, 200]).await;
    rebalance::crank(&mut f).await;
    let over_since = f.state().await.assets[USDC].over_since;
    assert!(over_since != 0);
    // LST at 1.25 instead of 1.00: NAV 1,110, USDC 50.5 % (inside)
    f.ctx.advance_clock(10).await;
    rebalance::set_prices(&mut f, 100_000_000, 100_000_000).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    assert_eq!(f.state().await.assets[USDC].over_since, over_since);
    f.ctx.advance_clock(1).await;
    rebalance::set_prices(&mut f, 100_000_000, 125_000_000).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    assert_eq!(f.state().await.assets[USDC].over_since, 0);
}

// ---- 5. dust does not oblige a claimant to pay from it first ---------------------------------

/// Main before the fix: the draw planned as `[USDT]` failed with `WaterfallOrderViolated`.
#[tokio::test]
async fn an_atom_sent_to_a_drained_vault_does_not_break_a_prepared_draw() {
    let mut s = shortfall::setup().await;
    let first = s.declare(150 * ONE).await;
    s.draw(first, u64::MAX, &[USDC, USDT]).await.unwrap();
    assert_eq!(s.f.state().await.assets[USDC].booked_balance, 0);
    let id = s.declare(20 * ONE).await;
    // the griefer: one atom to the drained USDC vault, then a permissionless refresh
    let usdc = s.f.h.assets[USDC];
    s.f.ctx.mint_to(&usdc.mint, &usdc.vault, 1).await;
    shortfall::refresh(&mut s.f).await;
    assert_eq!(s.f.state().await.assets[USDC].booked_balance, 1);
    // the draw prepared as [USDT] still pays, and the atom stays in the fund
    s.draw(id, u64::MAX, &[USDT]).await.unwrap();
    assert_eq!(s.balances().await, [100 * ONE, 70 * ONE, 0]);
    assert_eq!(s.f.state().await.assets[USDC].booked_balance, 1);
    // one whole numeraire unit is not dust: it must be paid first
    let id = s.declare(20 * ONE).await;
    s.f.ctx.mint_to(&usdc.mint, &usdc.vault, ONE - 1).await;
    shortfall::refresh(&mut s.f).await;
    assert_fund_error(
        &s.draw(id, u64::MAX, &[USDT]).await,
        FundError::WaterfallOrderViolated,
    );
    s.draw(id, u64::MAX, &[USDC, USDT]).await.unwrap();
    assert_eq!(s.balances().await, [101 * ONE, 89 * ONE, 0]);
}

// ---- 6. informational items: what was decided --------------------------------------------

/// Decision: no cool-down between guardian pauses. A guardian can pause again as soon as a
/// pause expires, but one pause already lasts up to `max_pause_secs` (longer than governance
/// needs to react), draws are never pausable, and governance's remedies apply at once even
/// under a timelock: removing the guardian and lifting the pause are tightening changes.
#[tokio::test]
async fn a_chaining_guardian_is_removed_and_its_pause_lifted_at_once_under_a_timelock() {
    let mut f = TestBuilder::new().build().await;
    let gov = f.gov();
    f.send_gov(&[f.set_bounds_args_ix(&gov, bounds(5_000, 30 * DAY))])
        .await
        .unwrap();
    let guardian = f.h.guardian.insecure_clone();
    let pause = f.pause_ix(&guardian.pubkey(), pause_flags::DECLARATIONS);
    f.ctx
        .send_ok(std::slice::from_ref(&pause), &[&guardian])
        .await;
    // the pause expires; the guardian pauses again at once
    f.ctx.advance_clock(i64::from(DEFAULT_MAX_PAUSE_SECS)).await;
    let again = pause_flags::DECLARATIONS | pause_flags::DEPOSITS;
    let pause = f.pause_ix(&guardian.pubkey(), again);
    f.ctx.send_ok(&[pause], &[&guardian]).await;
    let now = f.ctx.now().await;
    assert!(f.state().await.is_paused(pause_flags::DECLARATIONS, now));
    // governance ends it in one transaction, without waiting for the 30-day timelock
    let ixs = [f.set_guardian_ix(&gov, None), f.unpause_ix(&gov, again)];
    f.send_gov(&ixs).await.unwrap();
    let st = f.state().await;
    assert_eq!(st.guardian, Pubkey::default());
    assert!(!st.is_paused(pause_flags::DECLARATIONS, now));
}

/// Decision: declarations keep sequential ids. A liquidation program declaring by CPI reads
/// the fund's counter in the same instruction and never collides; two off-chain declarers
/// that race see one transaction fail with `ShortfallIdMismatch`, changing nothing, and the
/// loser retries with the next id.
#[tokio::test]
async fn racing_declarations_fail_cleanly_and_the_loser_retries_with_the_next_id() {
    let mut s = shortfall::setup().await;
    let id = s.f.state().await.draw_state.shortfall_count;
    let who = s.authority.pubkey();
    let first = s.f.declare_ix(&who, &who, id, 10 * ONE, [1; 32]);
    s.f.ctx.send_ok(&[first], &[&s.authority]).await;
    let before = s.f.state().await;
    let loser = s.f.declare_ix(&who, &who, id, 20 * ONE, [2; 32]);
    assert_fund_error(
        &s.f.ctx.send(&[loser], &[&s.authority]).await,
        FundError::ShortfallIdMismatch,
    );
    assert_eq!(s.f.state().await, before);
    let retry = s.f.declare_ix(&who, &who, id + 1, 20 * ONE, [2; 32]);
    s.f.ctx.send_ok(&[retry], &[&s.authority]).await;
    assert_eq!(s.shortfall(id + 1).await.declared, 20 * ONE);
}

/// Decision (intended): tokens transferred straight into a vault are the fund's, and
/// `refresh_prices` books them even when the asset's `DEPOSIT` flag is off and deposits are
/// paused. Refusing to book them would not send them back; it would only make NAV understate
/// what the fund holds. What the flag and the pause stop is `deposit_fees`, whose lifetime
/// fee counter they do not move.
#[tokio::test]
async fn a_direct_transfer_is_booked_by_refresh_even_with_deposits_off() {
    let mut s = shortfall::setup().await;
    let gov = s.f.gov();
    let mut p = asset_params(LiquidityClass::Liquid, 8_000, pyth_oracle(2));
    p.flags &= !asset_flags::DEPOSIT;
    let usdt = s.f.h.assets[USDT];
    s.f.send_gov(&[
        s.f.update_asset_ix(&gov, &usdt.mint.key, p),
        s.f.pause_ix(&gov, pause_flags::DEPOSITS),
    ])
    .await
    .unwrap();
    let (who, source) = s.f.depositor(USDT, 5 * ONE).await;
    let deposit = s.f.h.deposit_ix(&who.pubkey(), USDT, &source, 5 * ONE);
    assert_fund_error(
        &s.f.ctx.send(&[deposit], &[&who]).await,
        FundError::DepositsPaused,
    );
    s.f.ctx.mint_to(&usdt.mint, &usdt.vault, 5 * ONE).await;
    shortfall::set_prices(&mut s.f, 100_000_000, 0, 200_000_000, 0).await;
    shortfall::refresh(&mut s.f).await;
    let a = s.f.state().await.assets[USDT];
    // booked, but not counted as fees received
    assert_eq!(
        (a.booked_balance, a.total_fees_received),
        (205 * ONE, 200 * ONE)
    );
}
