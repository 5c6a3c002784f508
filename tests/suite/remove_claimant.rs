//! `remove_claimant`: the record closed and its rent returned; refused while the claimant has
//! open shortfalls.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund_tests::shortfall::*;
use insurance_fund_tests::*;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

#[tokio::test]
async fn a_claimant_with_open_shortfalls_cannot_be_removed() {
    let mut s = setup().await;
    s.declare(10 * ONE).await;
    let ix =
        s.f.remove_claimant_ix(&s.f.gov(), &s.authority.pubkey(), Pubkey::new_unique());
    assert_fund_error(
        &s.f.send_gov(&[ix]).await,
        FundError::ClaimantHasOpenShortfalls,
    );
}

#[tokio::test]
async fn removal_closes_the_record_and_returns_the_rent() {
    let mut s = setup().await;
    let key = s.f.claimant_address(&s.authority.pubkey());
    // remove: returns the rent
    let receiver = Pubkey::new_unique();
    s.f.send_gov(&[s
        .f
        .remove_claimant_ix(&s.f.gov(), &s.authority.pubkey(), receiver)])
        .await
        .unwrap();
    assert!(s.f.ctx.account(&key).await.is_none());
    assert!(s.f.ctx.account(&receiver).await.unwrap().lamports > 0);
}
