//! `update_asset`, `set_targets`, `set_bounds`: the whole configuration is validated as one.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::{AssetUpdated, BoundsSet, TargetsSet};
use insurance_fund::state::{asset_flags, LiquidityClass};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Liquid 60 % (max 80 %), yield-bearing 40 % (max 60 %), min liquid share 50 %.
async fn fund() -> FundFixture {
    TestBuilder::new()
        .assets(vec![
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::Liquid, 8_000, fixed_oracle()),
                6_000,
            ),
            AssetSpec::new(
                TokenKind::Token2022,
                9,
                asset_params(LiquidityClass::YieldBearing, 6_000, pyth_oracle(2)),
                4_000,
            ),
        ])
        .min_liquid_bps(5_000)
        .build()
        .await
}

// ---- update_asset ---------------------------------------------------------------------

#[tokio::test]
async fn update_asset_replaces_parameters_only() {
    let mut f = fund().await;
    let before = f.state().await.assets[1];
    let mint = f.assets[1].mint.key;
    let mut p = asset_params(LiquidityClass::Illiquid, 9_000, pyth_oracle(9));
    p.haircut_bps = 250;
    p.flags = asset_flags::DEPOSIT | asset_flags::DRAW;
    let out = f
        .send_gov(&[f.update_asset_ix(&f.gov(), &mint, p)])
        .await
        .unwrap();

    let after = f.state().await.assets[1];
    assert_eq!(after.max_weight_bps, 9_000);
    assert_eq!(after.haircut_bps, 250);
    assert_eq!(after.class, LiquidityClass::Illiquid as u8);
    assert_eq!(after.flags, asset_flags::DEPOSIT | asset_flags::DRAW);
    assert_eq!(after.oracle.feed_id, [9; 32]);
    // untouched
    assert_eq!(after.target_bps, before.target_bps);
    assert_eq!(after.vault, before.vault);
    assert_eq!(after.booked_balance, before.booked_balance);
    assert_eq!(after.decimals, before.decimals);

    if let Some(e) = f.ctx.event::<AssetUpdated>(&out) {
        assert_eq!(e.mint, mint);
        assert_eq!(e.before.max_weight_bps, 6_000);
        assert_eq!(e.after, p);
    }
}

#[tokio::test]
async fn update_asset_only_by_governance() {
    let mut f = fund().await;
    let intruder = Keypair::new();
    let mint = f.assets[0].mint.key;
    let ix = f.update_asset_ix(
        &intruder.pubkey(),
        &mint,
        asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
    );
    let out = f.ctx.send(&[ix], &[&intruder]).await;
    assert_fund_error(&out, FundError::NotGovernance);
}

#[tokio::test]
async fn update_asset_unknown_mint() {
    let mut f = fund().await;
    let ix = f.update_asset_ix(
        &f.gov(),
        &Pubkey::new_unique(),
        asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
    );
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::UnknownAsset);
}

#[tokio::test]
async fn update_asset_validates_the_whole_configuration() {
    let mut f = fund().await;
    let before = f.state().await;
    let liquid = f.assets[0].mint.key;
    // max weight below the 60 % target
    let ix = f.update_asset_ix(
        &f.gov(),
        &liquid,
        asset_params(LiquidityClass::Liquid, 5_999, fixed_oracle()),
    );
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::MaxWeightBelowTarget);
    // reclassifying the only liquid asset leaves liquid targets (0) below the 50 % minimum
    let ix = f.update_asset_ix(
        &f.gov(),
        &liquid,
        asset_params(LiquidityClass::Illiquid, 8_000, pyth_oracle(1)),
    );
    assert_fund_error(
        &f.send_gov(&[ix]).await,
        FundError::LiquidTargetsBelowMinimum,
    );
    // a fixed price is for the numeraire only: a non-liquid fixed-price asset is refused
    let ix = f.update_asset_ix(
        &f.gov(),
        &liquid,
        asset_params(LiquidityClass::Illiquid, 8_000, fixed_oracle()),
    );
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::FixedPriceNotLiquid);
    assert_eq!(*f.state().await, *before, "failed updates change nothing");
    // exactly at the target is fine
    let ix = f.update_asset_ix(
        &f.gov(),
        &liquid,
        asset_params(LiquidityClass::Liquid, 6_000, fixed_oracle()),
    );
    f.send_gov(&[ix]).await.unwrap();
}

// ---- set_targets ----------------------------------------------------------------------

#[tokio::test]
async fn set_targets_sets_all_at_once() {
    let mut f = fund().await;
    let out = f
        .send_gov(&[f.set_targets_ix(&f.gov(), vec![7_000, 3_000])])
        .await
        .unwrap();
    let s = f.state().await;
    assert_eq!(
        (s.assets[0].target_bps, s.assets[1].target_bps),
        (7_000, 3_000)
    );
    if let Some(e) = f.ctx.event::<TargetsSet>(&out) {
        assert_eq!(e.before, vec![6_000, 4_000]);
        assert_eq!(e.after, vec![7_000, 3_000]);
    }
}

#[tokio::test]
async fn set_targets_guards() {
    let mut f = fund().await;
    let before = f.state().await;
    let intruder = Keypair::new();
    let ix = f.set_targets_ix(&intruder.pubkey(), vec![5_000, 5_000]);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );

    let cases = [
        (vec![10_000], FundError::TargetsLengthMismatch),
        (vec![5_000, 3_000, 2_000], FundError::TargetsLengthMismatch),
        (vec![10_001, 0], FundError::TargetTooHigh),
        (vec![6_000, 3_999], FundError::TargetsSumInvalid),
        (vec![6_000, 4_001], FundError::TargetsSumInvalid),
        (vec![0, 0], FundError::TargetsSumInvalid),
        // 8,001 > the liquid asset's 8,000 max weight
        (vec![8_001, 1_999], FundError::MaxWeightBelowTarget),
        // 4,999 liquid < the 5,000 minimum liquid share
        (vec![4_999, 5_001], FundError::LiquidTargetsBelowMinimum),
    ];
    for (targets, err) in cases {
        let ix = f.set_targets_ix(&f.gov(), targets);
        assert_fund_error(&f.send_gov(&[ix]).await, err);
    }
    assert_eq!(*f.state().await, *before);
}

// ---- set_bounds -----------------------------------------------------------------------

#[tokio::test]
async fn set_bounds_changes_min_liquid_share() {
    let mut f = fund().await;
    let out = f
        .send_gov(&[f.set_bounds_ix(&f.gov(), 6_000)])
        .await
        .unwrap();
    assert_eq!(f.state().await.min_liquid_bps, 6_000);
    if let Some(e) = f.ctx.event::<BoundsSet>(&out) {
        assert_eq!(
            (e.before.min_liquid_bps, e.after.min_liquid_bps),
            (5_000, 6_000)
        );
    }
}

#[tokio::test]
async fn set_bounds_guards() {
    let mut f = fund().await;
    let intruder = Keypair::new();
    let ix = f.set_bounds_ix(&intruder.pubkey(), 1_000);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );
    let ix = f.set_bounds_ix(&f.gov(), 10_001);
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::MinLiquidShareTooHigh);
    // liquid targets are 6,000: one more is refused
    let ix = f.set_bounds_ix(&f.gov(), 6_001);
    assert_fund_error(
        &f.send_gov(&[ix]).await,
        FundError::LiquidTargetsBelowMinimum,
    );
    assert_eq!(f.state().await.min_liquid_bps, 5_000);
}
