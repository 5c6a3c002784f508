//! `register_claimant`, and the claimant's life after it: every guard of registration with its
//! exact error, then `update_claimant` (lower caps, disable, its own guards) and
//! `remove_claimant` (the rent returned) on the claimant registered.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::ClaimantCaps;
use insurance_fund_tests::shortfall::*;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

#[tokio::test]
async fn claimant_registration_and_updates() {
    let mut s = setup().await;
    let c = s.claimant().await;
    assert_eq!(
        (c.authority, c.caps, c.enabled, c.drawn_lifetime),
        (s.authority.pubkey(), claimant_caps(), true, 0)
    );
    let key = s.f.claimant_address(&s.authority.pubkey());
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
