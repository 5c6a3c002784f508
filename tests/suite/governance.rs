//! Two-step governance transfer and the guardian setter.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::{
    GovernanceTransferCancelled, GovernanceTransferProposed, GovernanceTransferred, GuardianSet,
};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[tokio::test]
async fn propose_then_accept_transfers_governance() {
    let mut f = TestBuilder::new().build().await;
    let next = Keypair::new();
    let old = f.gov();
    let out = f
        .send_gov(&[f.propose_governance_ix(&old, next.pubkey())])
        .await
        .unwrap();
    let s = f.state().await;
    assert_eq!((s.governance, s.pending_governance), (old, next.pubkey()));
    if let Some(e) = f.ctx.event::<GovernanceTransferProposed>(&out) {
        assert_eq!(
            (e.pending_before, e.pending_after),
            (Pubkey::default(), next.pubkey())
        );
    }

    let out = f
        .ctx
        .send_ok(&[f.accept_governance_ix(&next.pubkey())], &[&next])
        .await;
    let s = f.state().await;
    assert_eq!(
        (s.governance, s.pending_governance),
        (next.pubkey(), Pubkey::default())
    );
    if let Some(e) = f.ctx.event::<GovernanceTransferred>(&out) {
        assert_eq!((e.before, e.after), (old, next.pubkey()));
    }

    // the old authority has lost its powers, the new one has them
    let ix = f.set_bounds_ix(&old, 1_000);
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::NotGovernance);
    f.ctx
        .send_ok(&[f.set_bounds_ix(&next.pubkey(), 1_000)], &[&next])
        .await;
}

#[tokio::test]
async fn propose_guards() {
    let mut f = TestBuilder::new().build().await;
    let intruder = Keypair::new();
    let ix = f.propose_governance_ix(&intruder.pubkey(), intruder.pubkey());
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );
    let ix = f.propose_governance_ix(&f.gov(), Pubkey::default());
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::InvalidGovernance);
    let ix = f.propose_governance_ix(&f.gov(), f.gov());
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::InvalidGovernance);
    assert_eq!(f.state().await.pending_governance, Pubkey::default());
}

#[tokio::test]
async fn a_new_proposal_replaces_the_pending_one() {
    let mut f = TestBuilder::new().build().await;
    let (a, b) = (Keypair::new(), Keypair::new());
    f.send_gov(&[f.propose_governance_ix(&f.gov(), a.pubkey())])
        .await
        .unwrap();
    f.send_gov(&[f.propose_governance_ix(&f.gov(), b.pubkey())])
        .await
        .unwrap();
    let ix = f.accept_governance_ix(&a.pubkey());
    assert_fund_error(
        &f.ctx.send(&[ix], &[&a]).await,
        FundError::NotPendingGovernance,
    );
    f.ctx
        .send_ok(&[f.accept_governance_ix(&b.pubkey())], &[&b])
        .await;
}

#[tokio::test]
async fn accept_guards() {
    let mut f = TestBuilder::new().build().await;
    let next = Keypair::new();
    // nothing pending
    let ix = f.accept_governance_ix(&next.pubkey());
    assert_fund_error(
        &f.ctx.send(&[ix], &[&next]).await,
        FundError::NoPendingGovernance,
    );
    f.send_gov(&[f.propose_governance_ix(&f.gov(), next.pubkey())])
        .await
        .unwrap();
    // someone else
    let intruder = Keypair::new();
    let ix = f.accept_governance_ix(&intruder.pubkey());
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotPendingGovernance,
    );
    // the right key without its signature
    let mut ix = f.accept_governance_ix(&next.pubkey());
    ix.accounts[0].is_signer = false;
    assert_anchor_error(
        &f.ctx.send(&[ix], &[]).await,
        anchor_lang::error::ErrorCode::AccountNotSigner,
    );
    assert_eq!(f.state().await.governance, f.gov());
}

#[tokio::test]
async fn cancel_clears_the_pending_transfer() {
    let mut f = TestBuilder::new().build().await;
    let next = Keypair::new();
    let ix = f.cancel_governance_transfer_ix(&f.gov());
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::NoPendingGovernance);

    f.send_gov(&[f.propose_governance_ix(&f.gov(), next.pubkey())])
        .await
        .unwrap();
    let intruder = Keypair::new();
    let ix = f.cancel_governance_transfer_ix(&intruder.pubkey());
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );

    let out = f
        .send_gov(&[f.cancel_governance_transfer_ix(&f.gov())])
        .await
        .unwrap();
    assert_eq!(f.state().await.pending_governance, Pubkey::default());
    if let Some(e) = f.ctx.event::<GovernanceTransferCancelled>(&out) {
        assert_eq!(e.cancelled, next.pubkey());
    }
    let ix = f.accept_governance_ix(&next.pubkey());
    assert_fund_error(
        &f.ctx.send(&[ix], &[&next]).await,
        FundError::NoPendingGovernance,
    );
}

#[tokio::test]
async fn set_guardian_sets_and_clears() {
    let mut f = TestBuilder::new().build().await;
    let old = f.guardian.pubkey();
    let g = Pubkey::new_unique();
    let out = f
        .send_gov(&[f.set_guardian_ix(&f.gov(), Some(g))])
        .await
        .unwrap();
    assert_eq!(f.state().await.guardian, g);
    if let Some(e) = f.ctx.event::<GuardianSet>(&out) {
        assert_eq!((e.before, e.after), (old, g));
    }
    f.send_gov(&[f.set_guardian_ix(&f.gov(), None)])
        .await
        .unwrap();
    assert_eq!(f.state().await.guardian, Pubkey::default());
}

#[tokio::test]
async fn set_guardian_guards() {
    let mut f = TestBuilder::new().build().await;
    let guardian = f.guardian.insecure_clone();
    // the guardian cannot replace itself
    let ix = f.set_guardian_ix(&guardian.pubkey(), Some(Pubkey::new_unique()));
    assert_fund_error(
        &f.ctx.send(&[ix], &[&guardian]).await,
        FundError::NotGovernance,
    );
    let ix = f.set_guardian_ix(&f.gov(), Some(Pubkey::default()));
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::InvalidGovernance);
    assert_eq!(f.state().await.guardian, guardian.pubkey());
}

#[tokio::test]
async fn a_fund_rejects_another_funds_governance() {
    let mut f = TestBuilder::new().build().await;
    let other = TestBuilder::empty().create(&mut f.ctx).await;
    // the other fund's governance signs for this fund
    let ix = f.set_bounds_ix(&other.gov(), 0);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&other.governance]).await,
        FundError::NotGovernance,
    );
}
