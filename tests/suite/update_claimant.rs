//! `update_claimant`: its guards (governance only, not the fund as payout owner), then lower
//! caps and disable the claimant.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::ClaimantCaps;
use insurance_fund_tests::shortfall::*;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

#[tokio::test]
async fn update_lowers_caps_and_disables_behind_its_guards() {
    let mut s = setup().await;
    let intruder = Keypair::new();
    let ix = s.f.update_claimant_ix(
        &s.f.gov(),
        &s.authority.pubkey(),
        s.f.fund,
        claimant_caps(),
        true,
    );
    assert_fund_error(&s.f.send_gov(&[ix]).await, FundError::InvalidPayoutOwner);
    // update: lower caps and disable
    let lower = ClaimantCaps {
        max_per_shortfall: 10 * ONE,
        max_per_window: 10 * ONE,
        lifetime_max: 20 * ONE,
    };
    let owner = s.claimant().await.payout_owner;
    let ix =
        s.f.update_claimant_ix(&s.f.gov(), &s.authority.pubkey(), owner, lower, false);
    s.f.send_gov(&[ix]).await.unwrap();
    let c = s.claimant().await;
    assert_eq!((c.caps, c.enabled), (lower, false));
    let ix = s.f.update_claimant_ix(
        &intruder.pubkey(),
        &s.authority.pubkey(),
        owner,
        claimant_caps(),
        true,
    );
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );
}
