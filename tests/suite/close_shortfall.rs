//! `close_shortfall`: no close while open, rent only to the payer, and no revival of a
//! closed id (neither a draw against it nor a new declaration with it).

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund_tests::shortfall::*;
use insurance_fund_tests::*;
use solana_signer::Signer;

const USDC: usize = 0;
const ONE: u64 = 1_000_000;

#[tokio::test]
async fn close_returns_rent_to_the_payer_and_the_id_stays_used() {
    let mut s = setup().await;
    let a = s.authority.pubkey();
    let id = s.declare(10 * ONE).await;
    // still open: cannot be closed
    let payer = s.f.ctx.payer_key();
    assert_fund_error(
        &s.f.ctx
            .send(&[s.f.close_shortfall_ix(id, payer)], &[])
            .await,
        FundError::ShortfallStillOpen,
    );
    s.f.ctx
        .send_ok(&[s.f.cancel_ix(&a, &a, id)], &[&s.authority])
        .await;
    // rent only to the payer
    let ix = s.f.close_shortfall_ix(id, Pubkey::new_unique());
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[]).await,
        FundError::ShortfallMismatch,
    );
    s.f.ctx
        .send_ok(&[s.f.close_shortfall_ix(id, payer)], &[])
        .await;
    assert!(s.f.ctx.account(&s.f.shortfall_address(id)).await.is_none());
    // a closed record cannot be drawn against
    assert_anchor_error(
        &s.draw(id, ONE, &[USDC]).await,
        anchor_lang::error::ErrorCode::AccountNotInitialized,
    );
    // the closed id can never be declared again
    let ix = s.f.declare_ix(&a, &a, id, ONE, [0; 32]);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&s.authority]).await,
        FundError::ShortfallIdMismatch,
    );
}
