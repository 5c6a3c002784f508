//! `pause` (guardian or governance) and `unpause` (governance only).

use insurance_fund::error::FundError;
use insurance_fund::events::PauseChanged;
use insurance_fund::state::pause_flags::{ALL, DECLARATIONS, DEPOSITS, REBALANCES};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[tokio::test]
async fn guardian_pauses_and_only_governance_unpauses() {
    let mut f = TestBuilder::new().build().await;
    let guardian = f.guardian.insecure_clone();
    let out = f
        .ctx
        .send_ok(&[f.pause_ix(&guardian.pubkey(), DEPOSITS)], &[&guardian])
        .await;
    assert_eq!(f.state().await.paused, DEPOSITS);
    if let Some(e) = f.ctx.event::<PauseChanged>(&out) {
        assert_eq!(
            (e.by, e.paused_before, e.paused_after),
            (guardian.pubkey(), 0, DEPOSITS)
        );
    }
    f.ctx
        .send_ok(
            &[f.pause_ix(&guardian.pubkey(), REBALANCES | DECLARATIONS)],
            &[&guardian],
        )
        .await;
    assert_eq!(f.state().await.paused, ALL);

    // the guardian cannot lift a pause
    let ix = f.unpause_ix(&guardian.pubkey(), DEPOSITS);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&guardian]).await,
        FundError::NotGovernance,
    );
    assert_eq!(f.state().await.paused, ALL);

    let out = f
        .send_gov(&[f.unpause_ix(&f.gov(), DEPOSITS)])
        .await
        .unwrap();
    assert_eq!(f.state().await.paused, REBALANCES | DECLARATIONS);
    if let Some(e) = f.ctx.event::<PauseChanged>(&out) {
        assert_eq!(
            (e.paused_before, e.paused_after),
            (ALL, REBALANCES | DECLARATIONS)
        );
    }
}

#[tokio::test]
async fn governance_may_pause_too() {
    let mut f = TestBuilder::new().without_guardian().build().await;
    f.send_gov(&[f.pause_ix(&f.gov(), REBALANCES)])
        .await
        .unwrap();
    assert_eq!(f.state().await.paused, REBALANCES);
}

#[tokio::test]
async fn nobody_else_may_pause() {
    let mut f = TestBuilder::new().build().await;
    let intruder = Keypair::new();
    let ix = f.pause_ix(&intruder.pubkey(), DEPOSITS);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGuardianOrGovernance,
    );
    assert_eq!(f.state().await.paused, 0);
}

#[tokio::test]
async fn unset_guardian_cannot_be_impersonated_by_the_default_key() {
    // With no guardian, the stored guardian is the default key; nobody can sign as it, and
    // the check does not treat it as a match either.
    let mut f = TestBuilder::new().without_guardian().build().await;
    let intruder = Keypair::new();
    let ix = f.pause_ix(&intruder.pubkey(), DEPOSITS);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGuardianOrGovernance,
    );
}

#[tokio::test]
async fn pause_flags_are_validated() {
    let mut f = TestBuilder::new().build().await;
    let guardian = f.guardian.insecure_clone();
    for flags in [0u8, 0b1000, 0xff] {
        let ix = f.pause_ix(&guardian.pubkey(), flags);
        assert_fund_error(
            &f.ctx.send(&[ix], &[&guardian]).await,
            FundError::InvalidPauseFlags,
        );
        let ix = f.unpause_ix(&f.gov(), flags);
        assert_fund_error(&f.send_gov(&[ix]).await, FundError::InvalidPauseFlags);
    }
    assert_eq!(f.state().await.paused, 0);
}

const WEEK: i64 = 7 * 24 * 60 * 60;

#[tokio::test]
async fn a_guardian_pause_expires_after_the_maximum() {
    let mut f = TestBuilder::new().build().await;
    let guardian = f.guardian.insecure_clone();
    let (who, source) = f.depositor(0, 100).await;
    let out = f
        .ctx
        .send_ok(&[f.pause_ix(&guardian.pubkey(), DEPOSITS)], &[&guardian])
        .await;
    let started = f.ctx.now().await;
    assert_eq!(f.state().await.pause_expires_at, started + WEEK);
    if let Some(e) = f.ctx.event::<PauseChanged>(&out) {
        assert_eq!(e.expires_at, started + WEEK);
    }
    f.ctx.advance_clock(WEEK - 1).await;
    let ix = f.deposit_ix(&who.pubkey(), 0, &source, 10);
    assert_fund_error(&f.ctx.send(&[ix], &[&who]).await, FundError::DepositsPaused);
    // one second later the pause is over without anyone unpausing
    f.ctx.advance_clock(1).await;
    let ix = f.deposit_ix(&who.pubkey(), 0, &source, 11);
    f.ctx.send_ok(&[ix], &[&who]).await;
    assert_eq!(f.nav_report().await.paused, 0);
}

#[tokio::test]
async fn the_guardian_cannot_extend_a_pause_but_governance_can_renew_it() {
    let mut f = TestBuilder::new().build().await;
    let guardian = f.guardian.insecure_clone();
    f.ctx
        .send_ok(&[f.pause_ix(&guardian.pubkey(), DEPOSITS)], &[&guardian])
        .await;
    let expiry = f.state().await.pause_expires_at;
    // six days in, the guardian adds a flag: the expiry does not move
    f.ctx.advance_clock(6 * 24 * 3600).await;
    f.ctx
        .send_ok(&[f.pause_ix(&guardian.pubkey(), REBALANCES)], &[&guardian])
        .await;
    let s = f.state().await;
    assert_eq!(
        (s.paused, s.pause_expires_at),
        (DEPOSITS | REBALANCES, expiry)
    );
    // governance renews: a full period from now
    f.send_gov(&[f.pause_ix(&f.gov(), DEPOSITS)]).await.unwrap();
    let now = f.ctx.now().await;
    assert_eq!(f.state().await.pause_expires_at, now + WEEK);
    // after the old expiry both flags are still in force
    f.ctx.advance_clock(2 * 24 * 3600).await;
    assert_eq!(f.nav_report().await.paused, DEPOSITS | REBALANCES);
    // a new pause after expiry starts fresh, without the old flags
    f.ctx.advance_clock(WEEK).await;
    assert_eq!(f.nav_report().await.paused, 0);
    f.ctx
        .send_ok(
            &[f.pause_ix(&guardian.pubkey(), DECLARATIONS)],
            &[&guardian],
        )
        .await;
    assert_eq!(f.state().await.paused, DECLARATIONS);
}

#[tokio::test]
async fn the_maximum_pause_is_bounded() {
    let mut f = TestBuilder::new().build().await;
    for bad in [3_599u32, 2_592_001] {
        let args = insurance_fund::state::BoundsArgs {
            min_liquid_bps: 5_000,
            max_price_age_secs: 120,
            max_pause_secs: bad,
            timelock_secs: 0,
        };
        let ix = f.set_bounds_args_ix(&f.gov(), args);
        assert_fund_error(&f.send_gov(&[ix]).await, FundError::InvalidMaxPause);
    }
    let args = insurance_fund::state::BoundsArgs {
        min_liquid_bps: 5_000,
        max_price_age_secs: 120,
        max_pause_secs: 3_600,
        timelock_secs: 0,
    };
    f.send_gov(&[f.set_bounds_args_ix(&f.gov(), args)])
        .await
        .unwrap();
    assert_eq!(f.state().await.max_pause_secs, 3_600);
}
