//! Duplicate mutable accounts: the same vault as source and destination, one asset on both
//! sides of a fill, the same payout group twice, a fund vault as a keeper's or claimant's
//! account, the same vault for two assets in a refresh. Each is refused with a named error
//! and moves nothing.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund_tests::*;
use solana_signer::Signer;

#[tokio::test]
async fn deposit_refuses_the_vault_as_its_own_source() {
    let mut w = World::new().await;
    let vault = w.f.h.assets[0].vault;
    let before = w.f.ctx.token_balance(&vault).await;
    let ix = w.f.deposit_ix(&w.depositor.pubkey(), 0, &vault, 1);
    let out = w.f.ctx.send(&[ix], &[&w.depositor]).await;
    assert_fund_error(&out, FundError::SourceIsVault);
    assert_eq!(w.f.ctx.token_balance(&vault).await, before);
}

#[tokio::test]
async fn rebalance_refuses_one_asset_on_both_sides_and_a_fund_vault_as_a_keeper_account() {
    let mut w = World::new().await;
    let fund_before = w.f.state().await;
    let k = w.keeper.pubkey();
    let [k0, k1] = w.keeper_accounts;
    let (v0, v1) = (w.f.h.assets[0].vault, w.f.h.assets[1].vault);
    // in and out the same asset, or a fund vault as the keeper's source or destination: some
    // account would be passed twice as writable, which Anchor itself refuses before the
    // handler runs (the handler's stored-vault checks would refuse the rest)
    let cases = [
        w.f.rebalance_ix(&k, 0, &k0, 0, &k0, 1_000, 0),
        w.f.rebalance_ix(&k, 1, &k1, 0, &v0, 1_000, 0),
        w.f.rebalance_ix(&k, 1, &v1, 0, &k0, 1_000, 0),
    ];
    for ix in cases {
        expect_anchor_error(
            &w.f.ctx.send(&[ix], &[&w.keeper]).await,
            anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount,
            "rebalance",
        );
    }
    assert_eq!(w.f.state().await, fund_before);
}

#[tokio::test]
async fn draw_refuses_a_repeated_payout_group_and_a_fund_vault_as_destination() {
    let mut w = World::new().await;
    let c = w.claimant.pubkey();
    let fund_before = w.f.state().await;
    // one group per payable asset at most: a repeated group is an extra one (and the first
    // group's transfer is rolled back with the transaction)
    let payout_before = w.f.ctx.token_balance(&w.payout).await;
    let twice = w.f.draw_ix(&c, 0, 1_000, &[(0, w.payout), (0, w.payout)]);
    assert_fund_error(
        &w.f.ctx.send(&[twice], &[&w.claimant]).await,
        FundError::ExtraRemainingAccounts,
    );
    assert_eq!(w.f.ctx.token_balance(&w.payout).await, payout_before);
    let into_vault = w.f.draw_ix(&c, 0, 1_000, &[(0, w.f.h.assets[0].vault)]);
    assert_fund_error(
        &w.f.ctx.send(&[into_vault], &[&w.claimant]).await,
        FundError::PayoutOwnerMismatch,
    );
    assert_eq!(w.f.state().await, fund_before);
}

#[tokio::test]
async fn refresh_refuses_one_vault_for_two_assets() {
    let mut w = World::new().await;
    let fund_before = w.f.state().await;
    let a = w.f.h.assets.clone();
    // asset 0 is fixed-priced (vault only); asset 1 is Pyth-priced (price account, vault)
    let remaining = [
        (a[0].vault, false),
        (a[1].oracle.unwrap(), false),
        (a[0].vault, false),
    ];
    let ix = w.f.refresh_ix_with(w.f.all_assets(), &remaining);
    assert_fund_error(&w.f.ctx.send(&[ix], &[]).await, FundError::VaultMismatch);
    assert_eq!(w.f.state().await, fund_before);
    let _: Pubkey = a[0].vault;
}
