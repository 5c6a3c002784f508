//! `approve_shortfall`: declarations above the approval threshold wait for it, only
//! governance gives it, and only a declaration that needs it can be approved.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::ClaimantCaps;
use insurance_fund_tests::shortfall::*;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: usize = 0;
const ONE: u64 = 1_000_000;

#[tokio::test]
async fn large_shortfalls_need_approval() {
    let mut s = setup_with(ClaimantCaps {
        max_per_shortfall: 5_000 * ONE,
        max_per_window: 5_000 * ONE,
        lifetime_max: 10_000 * ONE,
    })
    .await;
    let id = s.declare(1_000 * ONE + 1).await;
    assert!(s.shortfall(id).await.needs_approval);
    assert_fund_error(
        &s.draw(id, ONE, &[USDC]).await,
        FundError::ShortfallNotApproved,
    );
    let intruder = Keypair::new();
    let ix = s.f.approve_ix(&intruder.pubkey(), id);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );
    s.f.send_gov(&[s.f.approve_ix(&s.f.gov(), id)])
        .await
        .unwrap();
    assert_fund_error(
        &s.f.send_gov(&[s.f.approve_ix(&s.f.gov(), id)]).await,
        FundError::ShortfallApprovalNotNeeded,
    );
    s.draw(id, ONE, &[USDC]).await.unwrap();
    // at the threshold no approval is needed
    let id = s.declare(1_000 * ONE).await;
    assert!(!s.shortfall(id).await.needs_approval);
    assert_fund_error(
        &s.f.send_gov(&[s.f.approve_ix(&s.f.gov(), id)]).await,
        FundError::ShortfallApprovalNotNeeded,
    );
}
