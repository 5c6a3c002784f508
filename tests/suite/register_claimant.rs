//! `register_claimant`: the claimant as registered, then every guard of registration with
//! its exact error. `update_claimant` and `remove_claimant` have their own files.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::ClaimantCaps;
use insurance_fund_tests::shortfall::*;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

#[tokio::test]
async fn registration_and_its_guards() {
    let mut s = setup().await;
    let c = s.claimant().await;
    assert_eq!(
        (c.authority, c.caps, c.enabled, c.drawn_lifetime),
        (s.authority.pubkey(), claimant_caps(), true, 0)
    );
    // guards
    let intruder = Keypair::new();
    let ix = s.f.register_claimant_ix(
        &intruder.pubkey(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        claimant_caps(),
    );
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );
    let bad = ClaimantCaps {
        max_per_shortfall: 0,
        ..claimant_caps()
    };
    let ix =
        s.f.register_claimant_ix(&s.f.gov(), Pubkey::new_unique(), Pubkey::new_unique(), bad);
    assert_fund_error(&s.f.send_gov(&[ix]).await, FundError::InvalidClaimantCaps);
    let bad = ClaimantCaps {
        max_per_window: 10_001 * ONE,
        ..claimant_caps()
    };
    let ix =
        s.f.register_claimant_ix(&s.f.gov(), Pubkey::new_unique(), Pubkey::new_unique(), bad);
    assert_fund_error(&s.f.send_gov(&[ix]).await, FundError::InvalidClaimantCaps);
    let ix = s.f.register_claimant_ix(
        &s.f.gov(),
        Pubkey::default(),
        Pubkey::new_unique(),
        claimant_caps(),
    );
    assert_fund_error(&s.f.send_gov(&[ix]).await, FundError::InvalidGovernance);
    // the fund itself as payout owner: its vaults would be valid "payout" accounts
    let ix =
        s.f.register_claimant_ix(&s.f.gov(), Pubkey::new_unique(), s.f.fund, claimant_caps());
    assert_fund_error(&s.f.send_gov(&[ix]).await, FundError::InvalidPayoutOwner);
}
