//! `declare_shortfall`: the record it opens and shortfall mode, every guard with its exact
//! error, and draws needing to be configured first.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::ShortfallDeclared;
use insurance_fund::state::{pause_flags, ShortfallStatus};
use insurance_fund_tests::shortfall::*;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

#[tokio::test]
async fn declaring_opens_a_shortfall_and_shortfall_mode() {
    let mut s = setup().await;
    let ix = s.f.declare_ix(
        &s.authority.pubkey(),
        &s.authority.pubkey(),
        0,
        250 * ONE,
        [9; 32],
    );
    let out = s.f.ctx.send_ok(&[ix], &[&s.authority]).await;
    let r = s.shortfall(0).await;
    assert_eq!(
        (r.id, r.declared, r.paid, r.reference, r.status),
        (0, 250 * ONE, 0, [9; 32], ShortfallStatus::Open)
    );
    assert!(!r.needs_approval);
    assert_eq!(r.claimant, s.f.claimant_address(&s.authority.pubkey()));
    let st = s.f.state().await;
    assert_eq!(
        (st.draw_state.shortfall_count, st.draw_state.open_shortfalls),
        (1, 1)
    );
    assert_eq!(s.claimant().await.open_shortfalls, 1);
    // keepers see shortfall mode in get_nav
    assert_eq!(s.f.nav_report().await.open_shortfalls, 1);
    if let Some(e) = s.f.ctx.event::<ShortfallDeclared>(&out) {
        assert_eq!((e.id, e.amount, e.open_shortfalls), (0, 250 * ONE, 1));
    }
    // governance may declare on the claimant's behalf
    let ix =
        s.f.declare_ix(&s.f.gov(), &s.authority.pubkey(), 1, ONE, [0; 32]);
    s.f.send_gov(&[ix]).await.unwrap();
}

#[tokio::test]
async fn declare_guards() {
    let mut s = setup().await;
    let a = s.authority.pubkey();
    let intruder = Keypair::new();
    let ix = s.f.declare_ix(&intruder.pubkey(), &a, 0, ONE, [0; 32]);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotClaimantOrGovernance,
    );
    let ix = s.f.declare_ix(&a, &a, 0, 0, [0; 32]);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&s.authority]).await,
        FundError::ZeroAmount,
    );
    let ix = s.f.declare_ix(&a, &a, 5, ONE, [0; 32]);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&s.authority]).await,
        FundError::ShortfallIdMismatch,
    );
    let guardian = s.f.h.guardian.insecure_clone();
    s.f.ctx
        .send_ok(
            &[s.f.pause_ix(&guardian.pubkey(), pause_flags::DECLARATIONS)],
            &[&guardian],
        )
        .await;
    let ix = s.f.declare_ix(&a, &a, 0, ONE, [0; 32]);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&s.authority]).await,
        FundError::DeclarationsPaused,
    );
    s.f.send_gov(&[s.f.unpause_ix(&s.f.gov(), pause_flags::DECLARATIONS)])
        .await
        .unwrap();
    let owner = s.claimant().await.payout_owner;
    s.f.send_gov(&[s.f.update_claimant_ix(
        &s.f.gov(),
        &s.authority.pubkey(),
        owner,
        claimant_caps(),
        false,
    )])
    .await
    .unwrap();
    let ix = s.f.declare_ix(&a, &a, 0, ONE, [0; 32]);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&s.authority]).await,
        FundError::ClaimantDisabled,
    );
    assert_eq!(s.f.state().await.draw_state.open_shortfalls, 0);
    // the claimant of another fund
    let other = TestBuilder::new().create(&mut s.f.ctx).await;
    let ix = other.set_draw_params_ix(&other.gov(), draw_config());
    s.f.ctx.send_ok(&[ix], &[&other.governance]).await;
    let mut ix = s.f.declare_ix(&a, &a, 0, ONE, [0; 32]);
    ix.accounts[2].pubkey = other.fund; // fund: the other fund; claimant stays ours
    ix.accounts[4].pubkey = other.shortfall_address(0);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&s.authority]).await,
        FundError::ClaimantFundMismatch,
    );
}

#[tokio::test]
async fn declarations_need_draw_params() {
    let mut f = TestBuilder::new().build().await;
    let a = Keypair::new();
    f.send_gov(&[f.register_claimant_ix(&f.gov(), a.pubkey(), a.pubkey(), claimant_caps())])
        .await
        .unwrap();
    let ix = f.declare_ix(&a.pubkey(), &a.pubkey(), 0, ONE, [0; 32]);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&a]).await,
        FundError::DrawsNotConfigured,
    );
}
