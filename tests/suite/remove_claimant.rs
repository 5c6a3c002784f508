//! `remove_claimant`: refused while the claimant has open shortfalls (its success, the rent
//! returned, is in `register_claimant.rs`).

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
