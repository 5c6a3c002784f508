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
