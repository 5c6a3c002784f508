//! `get_nav`: NAV, weights, liquid share and staleness as return data.

use insurance_fund::instructions::NavReport;
use insurance_fund::state::LiquidityClass;
use insurance_fund_tests::*;
use solana_signer::Signer;

/// Asset 0: USD numeraire at a fixed 1.00 (6 decimals, liquid, target 50 %);
/// asset 1: an LST priced by Pyth (9 decimals, yield-bearing, haircut 2 %, target 50 %).
async fn fund() -> FundFixture {
    let mut lst = asset_params(LiquidityClass::YieldBearing, 7_000, pyth_oracle(5));
    lst.haircut_bps = 200;
    TestBuilder::new()
        .assets(vec![
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
                5_000,
            ),
            AssetSpec::new(TokenKind::Token2022, 9, lst, 5_000),
        ])
        .min_liquid_bps(3_000)
        .build()
        .await
}

#[tokio::test]
async fn reports_conservative_nav_and_weights() {
    let mut f = fund().await;
    let now = f.ctx.now().await;
    // LST: spot 150.00 ± 0.15, EMA 148.00 ± 0.10 → lower bound 147.90
    let mut p = pyth_price([5; 32], 15_000_000_000, -8, now);
    p.conf = 15_000_000;
    p.ema_price = 14_800_000_000;
    p.ema_conf = 10_000_000;
    f.ctx.set_price(&f.h.assets[1].oracle.unwrap(), &p);

    // 600 USD and 2 LST
    let (a, sa) = f.depositor(0, 600_000_000).await;
    let (b, sb) = f.depositor(1, 2_000_000_000).await;
    let ixs = [f.deposit_ix(&a.pubkey(), 0, &sa, 600_000_000)];
    f.ctx.send_ok(&ixs, &[&a]).await;
    let ixs = [f.deposit_ix(&b.pubkey(), 1, &sb, 2_000_000_000)];
    f.ctx.send_ok(&ixs, &[&b]).await;
    f.ctx.send_ok(&[f.refresh_ix(0b10)], &[]).await;

    let r: NavReport = f.nav_report().await;
    // LST value: 2 × 147.90 × 0.98 = 289.884 USD = 289_884_000 atoms
    let lst_value = 289_884_000u128;
    let nav = 600_000_000 + lst_value;
    assert_eq!(r.nav, nav);
    assert_eq!(
        r.weights_bps,
        vec![
            (600_000_000u128 * 10_000 / nav) as u16,
            (lst_value * 10_000 / nav) as u16
        ]
    );
    assert_eq!(r.weights_bps, vec![6_742, 3_257]);
    assert_eq!(r.liquid_bps, 6_742);
    assert_eq!(r.min_liquid_bps, 3_000);
    assert_eq!((r.max_weight_index, r.max_weight_bps), (0, 6_742));
    assert_eq!(r.distance_bps, 1_742 + 1_743);
    assert_eq!(r.stale_assets, 0);
    assert_eq!((r.open_shortfalls, r.paused), (0, 0));
    assert_eq!(r.now, now);
}

#[tokio::test]
async fn reports_stale_prices_instead_of_failing() {
    let mut f = fund().await;
    // an asset holding nothing never counts as stale (issue #16): hold some of each
    f.deposit(0, 1_000_000).await;
    f.deposit(1, 1_000_000).await;
    // never refreshed: the Pyth asset is stale, the fixed-price one never is
    let r: NavReport = f.nav_report().await;
    assert_eq!(r.stale_assets, 0b10);
    // the unpriced asset adds nothing: NAV is the fixed-price token alone
    assert_eq!(r.nav, 1_000_000);

    f.ctx.send_ok(&[f.refresh_ix(0b10)], &[]).await;
    let r: NavReport = f.nav_report().await;
    assert_eq!(r.stale_assets, 0);

    // the fund's max price age is 120 s
    f.ctx.advance_clock(121).await;
    let r: NavReport = f.nav_report().await;
    assert_eq!(r.stale_assets, 0b10);
    assert_eq!(r.max_price_age_secs, 120);
}
