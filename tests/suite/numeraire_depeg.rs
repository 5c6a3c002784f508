//! The numeraire's stablecoin priced by its own feed with a peg band (#16 part 4): within the
//! band it counts as exactly 1.00; outside it, at the oracle's conservative bounds, so a
//! depeg is seen at once and a keeper delivering the depegged coin gains nothing over par.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::{LiquidityClass, OracleParams};
use insurance_fund_tests::*;

const USDC: usize = 0;
const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000;
const PAR: u64 = 100_000_000; // 1.00 at expo -8

fn pegged_usdc(band: u16) -> OracleParams {
    OracleParams {
        peg_band_bps: band,
        ..pyth_oracle(1)
    }
}

/// USDC priced by its feed with a 50 bps peg band, USDT and LST by theirs; 500 / 300 / 200
/// deposited against targets 50 / 30 / 20; rebalancing configured.
async fn fund() -> FundFixture {
    let mut assets = usdc_usdt_lst([8_000, 8_000, 8_000]);
    assets[USDC].params = asset_params(LiquidityClass::Liquid, 8_000, pegged_usdc(50));
    let mut f = TestBuilder::new()
        .assets(assets)
        .min_liquid_bps(5_000)
        .build()
        .await;
    f.send_gov(&[f.set_rebalance_params_ix(&f.gov(), rebalance_config())])
        .await
        .unwrap();
    for (k, amount) in [500u64, 300, 200].into_iter().enumerate() {
        f.deposit(k, amount * ONE).await;
    }
    f
}

/// Publishes USDC at `usdc` (EMA equal) with confidence `conf`, USDT and LST at 1.00, then
/// refreshes and syncs.
async fn prices(f: &mut FundFixture, usdc: i64, conf: u64) {
    f.ctx.advance_clock(1).await;
    f.set_pyth_price(USDC, usdc, -8, conf).await;
    f.set_pyth_price(USDT, PAR as i64, -8, 0).await;
    f.set_pyth_price(LST, PAR as i64, -8, 0).await;
    let ixs = [f.refresh_ix(f.all_assets()), f.sync_auctions_ix()];
    f.ctx.send_ok(&ixs, &[]).await;
}

#[tokio::test]
async fn inside_the_band_the_numeraire_counts_at_par() {
    let mut f = fund().await;
    // 0.9996 with a confidence of 0.0002: both bounds within 50 bps of 1.00
    prices(&mut f, 99_960_000, 20_000).await;
    let c = f.state().await.assets[USDC].price;
    assert_eq!((c.lower, c.upper, c.spot_lower), (PAR, PAR, PAR));
    assert_eq!(f.nav_report().await.nav, 1_000 * u128::from(ONE));
}

#[tokio::test]
async fn a_depeg_is_valued_at_the_oracle_bound_and_a_keeper_gains_nothing_over_par() {
    let mut f = fund().await;
    // USDC at -8 % for 48 hours (the EMA has caught up), a tight confidence of 0.0005
    let (spot, conf) = (92_000_000i64, 50_000u64);
    prices(&mut f, spot, conf).await;
    let c = f.state().await.assets[USDC].price;
    assert_eq!((c.lower, c.upper), (91_950_000, 92_050_000));
    // NAV within 10 bps of the oracle's value of the holdings (500 USDC at 0.92 + 500 at 1)
    let oracle_value = 500 * u128::from(ONE) * 92 / 100 + 500 * u128::from(ONE);
    let nav = f.nav_report().await.nav;
    assert!(nav <= oracle_value);
    assert!(
        (oracle_value - nav) * 10_000 < oracle_value * 10,
        "{nav} vs {oracle_value}"
    );

    // USDC is now under its band (460 of 960 against a 50 % target) and USDT over its
    // target: a keeper delivering USDC is paid its lower bound plus the premium, never par
    let kp = crate::rebalance::keeper(&mut f, 100).await;
    let before = f.ctx.token_balance(&kp.accounts[USDT]).await;
    let out = crate::rebalance::fill(&mut f, &kp, USDC, USDT, 10 * ONE, 0).await;
    out.unwrap();
    let got = f.ctx.token_balance(&kp.accounts[USDT]).await - before;
    // 10 USDC at 0.9195 = 9.195, plus at most the maximum premium (110 bps), paid at 1.00
    assert!(got >= 9_195_000, "{got}");
    assert!(got <= 9_195_000 + 9_195_000 * 110 / 10_000, "{got}");
    assert!(got < 10 * ONE, "a fixed price would have paid par");
}

#[tokio::test]
async fn back_inside_the_band_the_peg_resumes() {
    let mut f = fund().await;
    prices(&mut f, 92_000_000, 50_000).await;
    assert_eq!(f.state().await.assets[USDC].price.lower, 91_950_000);
    prices(&mut f, 100_100_000, 10_000).await;
    let c = f.state().await.assets[USDC].price;
    assert_eq!((c.lower, c.upper), (PAR, PAR));
}

#[tokio::test]
async fn a_peg_band_is_validated_and_its_change_waits_for_the_timelock() {
    let mut f = fund().await;
    let g = f.gov();
    let usdc = f.h.assets[USDC].mint.key;
    let lst = f.h.assets[LST].mint.key;
    // too wide
    let p = asset_params(LiquidityClass::Liquid, 8_000, pegged_usdc(201));
    let out = f.send_gov(&[f.update_asset_ix(&g, &usdc, p)]).await;
    assert_fund_error(&out, FundError::InvalidPegBand);
    // on a risk asset
    let p = asset_params(
        LiquidityClass::YieldBearing,
        8_000,
        OracleParams {
            peg_band_bps: 10,
            ..pyth_oracle(3)
        },
    );
    let out = f.send_gov(&[f.update_asset_ix(&g, &lst, p)]).await;
    assert_fund_error(&out, FundError::InvalidPegBand);
    // a change of the band is an oracle change: it waits once a timelock is set
    f.send_gov(&[f.set_bounds_args_ix(&g, crate::timelock::bounds(5_000, 3_600))])
        .await
        .unwrap();
    let p = asset_params(LiquidityClass::Liquid, 8_000, pegged_usdc(100));
    let out = f.send_gov(&[f.update_asset_ix(&g, &usdc, p)]).await;
    assert_fund_error(&out, FundError::TimelockRequired);
    assert_eq!(f.state().await.assets[USDC].oracle.peg_band_bps, 50);
}
