//! Token-2022 hazards at every transfer (the hazards refused at `add_asset` are in
//! add_asset.rs: permanent delegate, transfer hook, default-frozen, non-transferable,
//! pausable, close authority, scaled UI amounts). The one accepted hazard, a transfer fee,
//! never lets the fund book more than arrived nor pay a claimant on credit it did not give:
//! deposits book the measured arrival (deposit_fees.rs), a keeper's fill is priced on what
//! reached the vault, and a draw credits the shortfall with what left the vault.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::{LiquidityClass, ShortfallStatus};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;
const FEE: MintExt = MintExt::TransferFee {
    bps: 100,
    max_fee: u64::MAX,
};

/// USDC (fixed 1.00) and FEE (Token-2022, 1 % transfer fee, Pyth 1.00), 50/50 targets, 900
/// USDC deposited so FEE is far under its target; rebalancing configured and the auctions
/// started. A keeper holding 1,000 FEE and an empty USDC account: (fund, keeper, its FEE
/// account, its USDC account).
async fn fee_fund() -> (FundFixture, Keypair, Pubkey, Pubkey) {
    let mut f = TestBuilder::new()
        .assets(vec![
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
                5_000,
            ),
            AssetSpec::new(
                TokenKind::Token2022,
                6,
                asset_params(LiquidityClass::Liquid, 10_000, pyth_oracle(2)),
                5_000,
            )
            .with_exts(&[FEE]),
        ])
        .min_liquid_bps(0)
        .build()
        .await;
    f.send_gov(&[f.set_rebalance_params_ix(&f.gov(), rebalance_config())])
        .await
        .unwrap();
    f.deposit(0, 900 * ONE).await;
    f.set_pyth_price(1, 100_000_000, -8, 0).await;
    f.ctx
        .send_ok(&[f.refresh_ix(f.all_assets()), f.sync_auctions_ix()], &[])
        .await;
    let keeper = Keypair::new();
    let k_fee = f
        .ctx
        .funded_token_account(&f.h.assets[1].mint, &keeper.pubkey(), 1_000 * ONE)
        .await;
    let k_usdc = f
        .ctx
        .create_token_account(&f.h.assets[0].mint, &keeper.pubkey())
        .await;
    (f, keeper, k_fee, k_usdc)
}

/// The same for a flash fill: the end counts what reached the vault, so a keeper that took
/// what the full amount sent would pay for is refused, and one that took what arrived pays
/// for passes.
#[tokio::test]
async fn a_flash_fill_delivering_a_fee_token_counts_what_reached_the_vault() {
    let (mut f, keeper, k_fee, k_usdc) = fee_fund().await;
    let (sent, arrived) = (100 * ONE, 99 * ONE);
    let flash = |taken: u64| {
        vec![
            f.rebalance_begin_ix(&keeper.pubkey(), 1, 0, &k_usdc, taken),
            f.ctx.transfer_ix(
                &f.h.assets[1].mint,
                &k_fee,
                &f.h.assets[1].vault,
                &keeper.pubkey(),
                sent,
            ),
            f.rebalance_end_ix(&keeper.pubkey(), 1, 0),
        ]
    };
    // start premium 10 bps: what the sent amount would pay for, and what arrived pays for
    let (too_much, right) = (flash(sent + sent / 1_000), flash(arrived + arrived / 1_000));
    let out = f.ctx.send(&too_much, &[&keeper]).await;
    assert_fund_error_at(&out, 2, FundError::FlashFillUnderpaid);
    f.ctx.send_ok(&right, &[&keeper]).await;
    assert_eq!(f.ctx.token_balance(&f.h.assets[1].vault).await, arrived);
    assert_eq!(f.state().await.assets[1].booked_balance, arrived);
    assert_eq!(
        f.ctx.token_balance(&k_usdc).await,
        arrived + arrived / 1_000
    );
}

#[tokio::test]
async fn a_fill_delivering_a_fee_token_is_priced_on_what_reached_the_vault() {
    // USDC (fixed 1.00) and FEE (Token-2022, 1 % transfer fee, Pyth 1.00), 50/50 targets;
    // FEE is far under its target, so a keeper may deliver FEE for USDC
    let (mut f, keeper, k_fee, k_usdc) = fee_fund().await;
    let vault_fee = f.h.assets[1].vault;
    let before = f.state().await;
    let sent = 100 * ONE;
    let ix = f.rebalance_ix(&keeper.pubkey(), 1, &k_fee, 0, &k_usdc, sent, 0);
    f.ctx.send_ok(&[ix], &[&keeper]).await;

    let arrived = f.ctx.token_balance(&vault_fee).await;
    assert_eq!(arrived, sent - sent / 100, "1 % withheld by the mint");
    let after = f.state().await;
    assert_eq!(
        after.assets[1].booked_balance - before.assets[1].booked_balance,
        arrived
    );
    // the keeper is paid for what arrived (worth `arrived` USDC) plus at most the premium,
    // never for what it sent
    let paid = f.ctx.token_balance(&k_usdc).await;
    let max_premium = u64::from(rebalance_config().max_premium_bps);
    assert!(paid >= arrived && paid <= arrived + arrived * max_premium / 10_000);
    assert!(paid < sent);
    assert_eq!(
        before.assets[0].booked_balance - after.assets[0].booked_balance,
        paid
    );
}

#[tokio::test]
async fn a_draw_in_a_fee_token_credits_what_left_the_vault() {
    // a one-asset fund in a 1 % transfer-fee stablecoin, fixed at 1.00
    let mut f = TestBuilder::new()
        .assets(vec![AssetSpec::new(
            TokenKind::Token2022,
            6,
            asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
            10_000,
        )
        .with_exts(&[FEE])])
        .min_liquid_bps(0)
        .build()
        .await;
    f.send_gov(&[f.set_draw_params_ix(&f.gov(), draw_config())])
        .await
        .unwrap();
    f.deposit(0, 1_000 * ONE).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    let authority = Keypair::new();
    let owner = Pubkey::new_unique();
    f.send_gov(&[f.register_claimant_ix(&f.gov(), authority.pubkey(), owner, claimant_caps())])
        .await
        .unwrap();
    let ix = f.declare_ix(
        &authority.pubkey(),
        &authority.pubkey(),
        0,
        50 * ONE,
        [3; 32],
    );
    f.ctx.send_ok(&[ix], &[&authority]).await;
    let payout = f
        .ctx
        .create_token_account(&f.h.assets[0].mint, &owner)
        .await;
    let vault = f.h.assets[0].vault;
    let vault_before = f.ctx.token_balance(&vault).await;

    let ix = f.draw_ix(&authority.pubkey(), 0, 50 * ONE, &[(0, payout)]);
    f.ctx.send_ok(&[ix], &[&authority]).await;

    let left = vault_before - f.ctx.token_balance(&vault).await;
    let received = f.ctx.token_balance(&payout).await;
    assert_eq!(left, 50 * ONE);
    assert_eq!(
        received,
        left - left / 100,
        "the mint withholds 1 % from the claimant"
    );
    let data = f.ctx.account(&f.shortfall_address(0)).await.unwrap().data;
    let s = insurance_fund::state::Shortfall::try_deserialize(&mut data.as_slice()).unwrap();
    // the fund's loss is what left the vault; the shortfall is paid by exactly that
    assert_eq!((s.paid, s.status), (left, ShortfallStatus::Paid));
    assert_eq!(
        f.state().await.assets[0].booked_balance,
        vault_before - left
    );
}
