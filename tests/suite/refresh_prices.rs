//! `refresh_prices`: every oracle fault has its own error; the happy path caches the
//! conservative bounds for several exponents and books vault balances.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::PricesRefreshed;
use insurance_fund::state::LiquidityClass;
use insurance_fund_tests::*;
use solana_signer::Signer;

/// Asset 0: fixed-price numeraire (SPL); assets 1-3: Pyth feeds 1, 2, 3 (max age 60 s,
/// max confidence 100 bps).
async fn fund() -> FundFixture {
    let pyth = |seed, kind| {
        AssetSpec::new(
            kind,
            6,
            asset_params(LiquidityClass::YieldBearing, 10_000, pyth_oracle(seed)),
            2_000,
        )
    };
    TestBuilder::new()
        .assets(vec![
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
                4_000,
            ),
            pyth(1, TokenKind::Token2022),
            pyth(2, TokenKind::Spl),
            pyth(3, TokenKind::Spl),
        ])
        .min_liquid_bps(4_000)
        .build()
        .await
}

#[tokio::test]
async fn caches_conservative_bounds_for_each_exponent() {
    let mut f = fund().await;
    let now = f.ctx.now().await;
    let (o1, o2, o3) = (
        f.assets[1].oracle.unwrap(),
        f.assets[2].oracle.unwrap(),
        f.assets[3].oracle.unwrap(),
    );
    // expo -8: spot 1.5 ± 0.001, EMA 1.49 ± 0.002
    let mut p1 = pyth_price([1; 32], 150_000_000, -8, now - 5);
    p1.conf = 100_000;
    p1.ema_price = 149_000_000;
    p1.ema_conf = 200_000;
    // expo -6: spot 2.5 ± 0.001, EMA 2.6 ± 0.0005
    let mut p2 = pyth_price([2; 32], 2_500_000, -6, now);
    p2.conf = 1_000;
    p2.ema_price = 2_600_000;
    p2.ema_conf = 500;
    // expo 0: exactly 3 with no uncertainty
    let mut p3 = pyth_price([3; 32], 3, 0, now);
    p3.conf = 0;
    p3.ema_conf = 0;
    f.ctx.set_price(&o1, &p1);
    f.ctx.set_price(&o2, &p2);
    f.ctx.set_price(&o3, &p3);

    let out = f.ctx.send_ok(&[f.refresh_ix(0b1110)], &[]).await;
    let s = f.state().await;
    let c1 = s.assets[1].price;
    assert_eq!(
        (c1.lower, c1.upper, c1.conf, c1.expo, c1.publish_time),
        (148_800_000, 150_100_000, 100_000, -8, now - 5)
    );
    let c2 = s.assets[2].price;
    assert_eq!((c2.lower, c2.upper, c2.expo), (2_499_000, 2_600_500, -6));
    let c3 = s.assets[3].price;
    assert_eq!((c3.lower, c3.upper, c3.expo), (3, 3, 0));
    // the fixed-price asset was not selected and needs no cache
    assert_eq!(s.assets[0].price.publish_time, 0);

    if let Some(e) = f.ctx.event::<PricesRefreshed>(&out) {
        assert_eq!(e.assets, 0b1110);
        assert_eq!(e.refreshed.len(), 3);
        assert_eq!(
            (e.refreshed[0].index, e.refreshed[0].lower),
            (1, 148_800_000)
        );
    }
}

#[tokio::test]
async fn books_vault_balances_including_donations() {
    let mut f = fund().await;
    let (mint, vault) = (f.assets[0].mint, f.assets[0].vault);
    let (who, source) = f.depositor(0, 1_000).await;
    let ix = f.deposit_ix(&who.pubkey(), 0, &source, 400);
    f.ctx.send_ok(&[ix], &[&who]).await;
    f.ctx.mint_to(&mint, &vault, 50).await; // a donation
    assert_eq!(f.state().await.assets[0].booked_balance, 400);

    let out = f.ctx.send_ok(&[f.refresh_ix(0b0001)], &[]).await;
    let a = f.state().await.assets[0];
    assert_eq!(a.booked_balance, 450);
    assert_eq!(
        a.total_fees_received, 400,
        "a donation is not a fee deposit"
    );
    if let Some(e) = f.ctx.event::<PricesRefreshed>(&out) {
        assert_eq!(
            (
                e.refreshed[0].booked_balance_before,
                e.refreshed[0].booked_balance_after
            ),
            (400, 450)
        );
    }
}

/// Sets asset 1's price account to `p` and expects `refresh_prices` of asset 1 to fail
/// with `err`, leaving the fund unchanged.
async fn assert_price_rejected(p: PythPrice, err: FundError) {
    let mut f = fund().await;
    let o1 = f.assets[1].oracle.unwrap();
    f.ctx.set_price(&o1, &p);
    let before = f.state().await;
    let out = f.ctx.send(&[f.refresh_ix(0b0010)], &[]).await;
    assert_fund_error(&out, err);
    assert_eq!(*f.state().await, *before);
}

#[tokio::test]
async fn rejects_stale_price() {
    let mut f = fund().await;
    let now = f.ctx.now().await;
    drop(f);
    // exactly max age (60 s) is accepted elsewhere; one second more is stale
    assert_price_rejected(
        pyth_price([1; 32], 100_000_000, -8, now - 61),
        FundError::OracleStale,
    )
    .await;
}

#[tokio::test]
async fn accepts_price_exactly_at_max_age() {
    let mut f = fund().await;
    let now = f.ctx.now().await;
    let o1 = f.assets[1].oracle.unwrap();
    f.ctx
        .set_price(&o1, &pyth_price([1; 32], 100_000_000, -8, now - 60));
    f.ctx.send_ok(&[f.refresh_ix(0b0010)], &[]).await;
}

#[tokio::test]
async fn rejects_wide_confidence_on_spot_and_on_ema() {
    let now = fund().await.ctx.now().await;
    // max 100 bps: 1.01 % of the price is one step too wide
    let mut p = pyth_price([1; 32], 100_000_000, -8, now);
    p.conf = 1_000_001;
    assert_price_rejected(p, FundError::OracleConfidenceTooWide).await;
    let mut p = pyth_price([1; 32], 100_000_000, -8, now);
    p.ema_conf = 1_000_001;
    assert_price_rejected(p, FundError::OracleConfidenceTooWide).await;
}

#[tokio::test]
async fn accepts_confidence_exactly_at_the_limit() {
    let mut f = fund().await;
    let now = f.ctx.now().await;
    let o1 = f.assets[1].oracle.unwrap();
    let mut p = pyth_price([1; 32], 100_000_000, -8, now);
    p.conf = 1_000_000;
    f.ctx.set_price(&o1, &p);
    f.ctx.send_ok(&[f.refresh_ix(0b0010)], &[]).await;
    assert_eq!(f.state().await.assets[1].price.lower, 99_000_000);
}

#[tokio::test]
async fn rejects_partially_verified_update() {
    let now = fund().await.ctx.now().await;
    let mut p = pyth_price([1; 32], 100_000_000, -8, now);
    p.fully_verified = false;
    assert_price_rejected(p, FundError::OracleNotFullyVerified).await;
}

#[tokio::test]
async fn rejects_wrong_feed_id() {
    let now = fund().await.ctx.now().await;
    assert_price_rejected(
        pyth_price([99; 32], 100_000_000, -8, now),
        FundError::OracleFeedMismatch,
    )
    .await;
}

#[tokio::test]
async fn rejects_another_assets_oracle() {
    let now = fund().await.ctx.now().await;
    // feed 2 belongs to asset 2
    assert_price_rejected(
        pyth_price([2; 32], 100_000_000, -8, now),
        FundError::OracleBelongsToOtherAsset,
    )
    .await;
}

#[tokio::test]
async fn rejects_zero_and_negative_prices() {
    let now = fund().await.ctx.now().await;
    let mut p = pyth_price([1; 32], 0, -8, now);
    p.conf = 0;
    p.ema_conf = 0;
    assert_price_rejected(p, FundError::OracleNonPositivePrice).await;
    let mut p = pyth_price([1; 32], -100_000_000, -8, now);
    p.conf = 0;
    p.ema_conf = 0;
    assert_price_rejected(p, FundError::OracleNonPositivePrice).await;
    let mut p = pyth_price([1; 32], 100_000_000, -8, now);
    p.ema_price = 0;
    assert_price_rejected(p, FundError::OracleNonPositivePrice).await;
}

#[tokio::test]
async fn rejects_account_not_owned_by_the_receiver() {
    let mut f = fund().await;
    let now = f.ctx.now().await;
    let o1 = f.assets[1].oracle.unwrap();
    // byte-identical price update, owned by another program
    f.ctx.set_price_account_owned(
        &o1,
        &pyth_price([1; 32], 100_000_000, -8, now),
        anchor_spl::token::ID,
    );
    let out = f.ctx.send(&[f.refresh_ix(0b0010)], &[]).await;
    assert_fund_error(&out, FundError::OracleWrongOwner);
}

#[tokio::test]
async fn rejects_receiver_account_that_is_not_a_price_update() {
    let mut f = fund().await;
    let o1 = f.assets[1].oracle.unwrap();
    let account = solana_account::Account {
        lamports: 1_000_000,
        data: vec![7; 134],
        owner: pyth_solana_receiver_sdk::ID,
        executable: false,
        rent_epoch: 0,
    };
    f.ctx.ctx.set_account(&o1, &account.into());
    let out = f.ctx.send(&[f.refresh_ix(0b0010)], &[]).await;
    assert_fund_error(&out, FundError::OracleInvalidAccount);
}

#[tokio::test]
async fn layout_guards() {
    let mut f = fund().await;
    let a = f.assets.clone();
    let (o1, v1, v2) = (a[1].oracle.unwrap(), a[1].vault, a[2].vault);
    type Case = (u16, Vec<(Pubkey, bool)>, FundError);
    let cases: Vec<Case> = vec![
        (0, vec![], FundError::InvalidAssetSelection),
        (0b1_0000, vec![], FundError::InvalidAssetSelection),
        (
            0b0010,
            vec![(o1, false)],
            FundError::MissingRemainingAccounts,
        ),
        (
            0b0010,
            vec![(o1, false), (v1, false), (v1, false)],
            FundError::ExtraRemainingAccounts,
        ),
        // another asset's vault, and the same vault twice
        (
            0b0010,
            vec![(o1, false), (v2, false)],
            FundError::VaultMismatch,
        ),
        (
            0b0110,
            vec![
                (o1, false),
                (v1, false),
                (a[2].oracle.unwrap(), false),
                (v1, false),
            ],
            FundError::VaultMismatch,
        ),
        // vault and oracle swapped: the vault slot is checked first
        (
            0b0010,
            vec![(v1, false), (o1, false)],
            FundError::VaultMismatch,
        ),
    ];
    for (mask, remaining, err) in cases {
        let out = f
            .ctx
            .send(&[f.refresh_ix_with(mask, &remaining)], &[])
            .await;
        assert_fund_error(&out, err);
    }
}

#[tokio::test]
async fn rejects_another_funds_vault() {
    let mut f = fund().await;
    let mut other = TestBuilder::empty().create(&mut f.ctx).await;
    let mint = f.assets[1].mint;
    other
        .add_asset(
            &mut f.ctx,
            mint,
            asset_params(LiquidityClass::Liquid, 10_000, pyth_oracle(1)),
        )
        .await
        .unwrap();
    let remaining = [
        (f.assets[1].oracle.unwrap(), false),
        (other.assets[0].vault, false),
    ];
    let out = f
        .ctx
        .send(&[f.refresh_ix_with(0b0010, &remaining)], &[])
        .await;
    assert_fund_error(&out, FundError::VaultMismatch);
}

#[test]
fn pyth_mirror_reads_exactly_what_the_sdk_writes() {
    use anchor_lang::Discriminator;
    use insurance_fund::oracle::{pyth, PYTH_RECEIVER_PROGRAM_ID};
    use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;
    assert_eq!(PYTH_RECEIVER_PROGRAM_ID, pyth_solana_receiver_sdk::ID);
    assert_eq!(
        pyth::PRICE_UPDATE_V2_DISCRIMINATOR,
        PriceUpdateV2::DISCRIMINATOR
    );
    for fully_verified in [true, false] {
        let mut p = pyth_price([4; 32], -123_456_789, -7, 1_700_000_000);
        p.conf = 42;
        p.ema_price = 987_654_321;
        p.ema_conf = 7;
        p.fully_verified = fully_verified;
        let data = price_update_data(&p);
        assert_eq!(
            data.len(),
            8 + 32 + if fully_verified { 1 } else { 2 } + 84 + 8
        );
        let d = pyth::PriceUpdateV2::decode(&data).expect("decodes");
        let m = d.price_message;
        assert_eq!(
            (
                m.feed_id,
                m.price,
                m.conf,
                m.exponent,
                m.publish_time,
                m.ema_price,
                m.ema_conf
            ),
            ([4; 32], -123_456_789, 42, -7, 1_700_000_000, 987_654_321, 7)
        );
        let expected = if fully_verified {
            pyth::VerificationLevel::Full
        } else {
            pyth::VerificationLevel::Partial { num_signatures: 1 }
        };
        assert_eq!(d.verification_level, expected);
        assert_eq!(d.posted_slot, 1);
    }
    // anything else is not a price update
    assert!(pyth::PriceUpdateV2::decode(&[0; 134]).is_none());
    assert!(
        pyth::PriceUpdateV2::decode(&price_update_data(&pyth_price([1; 32], 1, 0, 0))[..60])
            .is_none()
    );
}

#[tokio::test]
async fn a_new_oracle_configuration_drops_the_cached_price() {
    let mut f = fund().await;
    f.ctx.send_ok(&[f.refresh_ix(0b0010)], &[]).await;
    assert!(f.state().await.assets[1].price.publish_time > 0);
    let mint = f.assets[1].mint.key;
    // same feed, other bounds: still a new configuration
    let mut p = asset_params(LiquidityClass::YieldBearing, 10_000, pyth_oracle(1));
    p.oracle.max_conf_bps = 50;
    f.send_gov(&[f.update_asset_ix(&f.gov(), &mint, p)])
        .await
        .unwrap();
    let s = f.state().await;
    assert_eq!(
        s.assets[1].price,
        insurance_fund::state::PriceCache::default()
    );
    assert!(!s.assets[1].price_is_fresh(f.ctx.now().await, s.max_price_age_secs));
    // unchanged oracle: the cache stays
    f.ctx.send_ok(&[f.refresh_ix(0b0010)], &[]).await;
    p.max_weight_bps = 9_000;
    f.send_gov(&[f.update_asset_ix(&f.gov(), &mint, p)])
        .await
        .unwrap();
    assert!(f.state().await.assets[1].price.publish_time > 0);
}
