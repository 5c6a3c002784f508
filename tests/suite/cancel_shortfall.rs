//! `cancel_shortfall`: who may cancel (the claimant's authority or governance), only an open
//! shortfall, and what a cancelled one no longer allows. `close_shortfall` has its own file.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::ShortfallStatus;
use insurance_fund_tests::shortfall::*;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: usize = 0;
const ONE: u64 = 1_000_000;

#[tokio::test]
async fn cancel_guards_and_effects() {
    let mut s = setup().await;
    let a = s.authority.pubkey();
    let id = s.declare(10 * ONE).await;
    let intruder = Keypair::new();
    let ix = s.f.cancel_ix(&intruder.pubkey(), &a, id);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotClaimantOrGovernance,
    );
    s.f.ctx.advance_clock(60).await;
    s.f.ctx
        .send_ok(&[s.f.cancel_ix(&a, &a, id)], &[&s.authority])
        .await;
    assert_eq!(s.shortfall(id).await.status, ShortfallStatus::Cancelled);
    let st = s.f.state().await;
    assert_eq!(st.draw_state.open_shortfalls, 0);
    // the shortfall was a crisis trigger until now: the crisis hold counts from the cancel
    assert_eq!(st.crisis_seen_at, s.f.ctx.now().await);
    assert_fund_error(&s.draw(id, ONE, &[USDC]).await, FundError::ShortfallNotOpen);
    assert_fund_error(
        &s.f.ctx
            .send(&[s.f.cancel_ix(&a, &a, id)], &[&s.authority])
            .await,
        FundError::ShortfallNotOpen,
    );
    // governance may cancel too
    let id = s.declare(ONE).await;
    s.f.send_gov(&[s.f.cancel_ix(&s.f.gov(), &a, id)])
        .await
        .unwrap();
    assert_eq!(s.shortfall(id).await.status, ShortfallStatus::Cancelled);
}
