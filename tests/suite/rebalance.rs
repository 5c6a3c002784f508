//! `set_rebalance_params`, `sync_auctions` and `rebalance`: the auction premium over time,
//! every bound at its edge, rate limits, and a fund far off target converging.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::{AuctionsSynced, Rebalanced};
use insurance_fund::math::rebalance::{max_fill, premium_bps_floor};
use insurance_fund::state::{asset_flags, pause_flags, LiquidityClass, RebalanceConfig};
use insurance_fund_tests::shortfall;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: usize = 0;
const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000; // one whole 6-decimal token

/// USDC (fixed 1.00, liquid, target 50 %, max 80 %), USDT (Pyth, liquid, target 30 %,
/// max `usdt_max`), LST (Pyth, 6 decimals here, yield-bearing, target 20 %, max 40 %); min
/// liquid share 60 %. All Pyth prices 1.00 with no confidence; `deposits` are whole tokens.
pub(crate) async fn fund_with(
    deposits: [u64; 3],
    usdt_max: u16,
    min_liquid: u16,
    p: RebalanceConfig,
) -> FundFixture {
    let mut f = TestBuilder::new()
        .assets(usdc_usdt_lst([8_000, usdt_max, 4_000]))
        .min_liquid_bps(min_liquid)
        .build()
        .await;
    f.send_gov(&[f.set_rebalance_params_ix(&f.gov(), p)])
        .await
        .unwrap();
    for (k, amount) in deposits.into_iter().enumerate() {
        if amount > 0 {
            f.deposit(k, amount * ONE).await;
        }
    }
    set_prices(&mut f, 100_000_000, 100_000_000).await;
    f
}

pub(crate) async fn fund(deposits: [u64; 3]) -> FundFixture {
    fund_with(deposits, 6_000, 6_000, rebalance_config()).await
}

/// USDT and LST at the given prices (expo -8), EMA equal, no confidence, published now.
pub(crate) async fn set_prices(f: &mut FundFixture, usdt: i64, lst: i64) {
    f.set_pyth_price(USDT, usdt, -8, 0).await;
    f.set_pyth_price(LST, lst, -8, 0).await;
}

/// refresh every price, then sync the auctions.
pub(crate) async fn crank(f: &mut FundFixture) -> Outcome {
    let ixs = [f.refresh_ix(f.all_assets()), f.sync_auctions_ix()];
    f.ctx.send_ok(&ixs, &[]).await
}

/// A keeper holding `inventory` whole tokens of every asset.
pub(crate) struct Keeper {
    pub(crate) key: Keypair,
    pub(crate) accounts: Vec<Pubkey>,
}

pub(crate) async fn keeper(f: &mut FundFixture, inventory: u64) -> Keeper {
    let key = Keypair::new();
    let mut accounts = vec![];
    for k in 0..f.h.assets.len() {
        let mint = f.h.assets[k].mint;
        accounts.push(
            f.ctx
                .funded_token_account(&mint, &key.pubkey(), inventory * ONE)
                .await,
        );
    }
    Keeper { key, accounts }
}

pub(crate) async fn fill(
    f: &mut FundFixture,
    kp: &Keeper,
    i: usize,
    o: usize,
    amount_in: u64,
    min_out: u64,
) -> Outcome {
    let ix = f.rebalance_ix(
        &kp.key.pubkey(),
        i,
        &kp.accounts[i],
        o,
        &kp.accounts[o],
        amount_in,
        min_out,
    );
    f.ctx.send(&[ix], &[&kp.key]).await
}

// ---- set_rebalance_params ---------------------------------------------------------------

#[tokio::test]
async fn params_are_validated() {
    let mut f = TestBuilder::new().build().await;
    let intruder = Keypair::new();
    let ix = f.set_rebalance_params_ix(&intruder.pubkey(), rebalance_config());
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );
    let cases = [
        (
            RebalanceConfig {
                band_bps: 0,
                ..rebalance_config()
            },
            FundError::InvalidRebalanceBand,
        ),
        (
            RebalanceConfig {
                band_bps: 2_001,
                ..rebalance_config()
            },
            FundError::InvalidRebalanceBand,
        ),
        (
            RebalanceConfig {
                start_premium_bps: 111,
                ..rebalance_config()
            },
            FundError::InvalidPremium,
        ),
        (
            RebalanceConfig {
                max_premium_bps: 1_001,
                ..rebalance_config()
            },
            FundError::InvalidPremium,
        ),
        (
            RebalanceConfig {
                auction_duration_secs: 59,
                ..rebalance_config()
            },
            FundError::InvalidAuctionDuration,
        ),
        (
            RebalanceConfig {
                auction_duration_secs: 604_801,
                ..rebalance_config()
            },
            FundError::InvalidAuctionDuration,
        ),
        (
            RebalanceConfig {
                window_secs: 59,
                ..rebalance_config()
            },
            FundError::InvalidRateLimitWindow,
        ),
        (
            RebalanceConfig {
                window_secs: 2_592_001,
                ..rebalance_config()
            },
            FundError::InvalidRateLimitWindow,
        ),
        (
            RebalanceConfig {
                max_volume_per_window: 0,
                ..rebalance_config()
            },
            FundError::InvalidRateLimit,
        ),
        (
            RebalanceConfig {
                min_trade_value: 1_000_000 * ONE + 1,
                ..rebalance_config()
            },
            FundError::InvalidRateLimit,
        ),
        (RebalanceConfig::default(), FundError::InvalidRebalanceBand),
    ];
    for (p, err) in cases {
        let ix = f.set_rebalance_params_ix(&f.gov(), p);
        assert_fund_error(&f.send_gov(&[ix]).await, err);
    }
    assert_eq!(f.state().await.rebalance, RebalanceConfig::default());
    f.send_gov(&[f.set_rebalance_params_ix(&f.gov(), rebalance_config())])
        .await
        .unwrap();
    assert_eq!(f.state().await.rebalance, rebalance_config());
}

// ---- sync_auctions ----------------------------------------------------------------------

#[tokio::test]
async fn sync_starts_and_ends_auctions() {
    let mut f = fund([1_000, 0, 0]).await;
    let now = f.ctx.now().await;
    let out = crank(&mut f).await;
    let s = f.state().await;
    assert_eq!(
        (s.assets[USDC].over_since, s.assets[USDC].under_since),
        (now, 0)
    );
    assert_eq!(
        (s.assets[USDT].over_since, s.assets[USDT].under_since),
        (0, now)
    );
    assert_eq!(s.assets[LST].under_since, now);
    if let Some(e) = f.ctx.event::<AuctionsSynced>(&out) {
        assert_eq!((e.over_mask, e.under_mask), (0b001, 0b110));
    }
    // a later sync keeps running clocks
    f.ctx.advance_clock(30).await;
    set_prices(&mut f, 100_000_000, 100_000_000).await;
    crank(&mut f).await;
    assert_eq!(f.state().await.assets[USDC].over_since, now);
}

#[tokio::test]
async fn sync_needs_configuration_and_targets_and_values_at_cached_prices() {
    let mut f = TestBuilder::new().build().await;
    assert_fund_error(
        &f.ctx.send(&[f.sync_auctions_ix()], &[]).await,
        FundError::RebalanceNotConfigured,
    );
    let mut g = TestBuilder::new()
        .assets(vec![AssetSpec::new(
            TokenKind::Spl,
            6,
            asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
            0,
        )])
        .min_liquid_bps(0)
        .build()
        .await;
    g.send_gov(&[g.set_rebalance_params_ix(&g.gov(), rebalance_config())])
        .await
        .unwrap();
    assert_fund_error(
        &g.ctx.send(&[g.sync_auctions_ix()], &[]).await,
        FundError::TargetsNotSet,
    );
    // prices never refreshed: clock bookkeeping runs on the cached prices, stale or not
    // (issue #16: a dead feed must not stop every new auction); USDC alone is worth anything
    let mut h = fund([1_000, 0, 0]).await;
    h.ctx.send_ok(&[h.sync_auctions_ix()], &[]).await;
    let now = h.ctx.now().await;
    assert_eq!(h.state().await.assets[USDC].over_since, now);
}

// ---- rebalance: mechanics -----------------------------------------------------------------

#[tokio::test]
async fn fill_pays_the_oracle_rate_plus_the_start_premium() {
    let mut f = fund([1_000, 0, 0]).await;
    crank(&mut f).await;
    let kp = keeper(&mut f, 500).await;
    let out = fill(&mut f, &kp, USDT, USDC, 100 * ONE, 0).await.unwrap();

    // 100 USDT at 1.00 plus 10 bps: 100.1 USDC
    let paid = 100_100_000;
    assert_eq!(f.ctx.token_balance(&kp.accounts[USDT]).await, 400 * ONE);
    assert_eq!(
        f.ctx.token_balance(&kp.accounts[USDC]).await,
        500 * ONE + paid
    );
    assert_eq!(
        f.ctx.token_balance(&f.h.assets[USDT].vault).await,
        100 * ONE
    );
    assert_eq!(
        f.ctx.token_balance(&f.h.assets[USDC].vault).await,
        1_000 * ONE - paid
    );
    let s = f.state().await;
    assert_eq!(s.assets[USDT].booked_balance, 100 * ONE);
    assert_eq!(s.assets[USDC].booked_balance, 1_000 * ONE - paid);
    assert_eq!(s.rebalance_state.total_volume, 100 * ONE);
    assert_eq!(s.rebalance_state.total_premium, 100_000);
    assert_eq!(s.rebalance_state.fills, 1);
    assert_eq!(s.rebalance_state.volume_level, 100 * ONE);
    if let Some(e) = f.ctx.event::<Rebalanced>(&out) {
        assert_eq!(
            (e.amount_in_received, e.amount_out, e.premium_bps),
            (100 * ONE, paid, 10)
        );
        assert_eq!(
            (e.value_in, e.value_out, e.premium_value),
            (100_000_000, 100_100_000, 100_000)
        );
        assert_eq!(e.nav_before, 1_000_000_000);
        assert_eq!(e.nav_after, 1_000_000_000 - 100_000);
        assert!(e.distance_after_bps < e.distance_before_bps);
    }
}

#[tokio::test]
async fn premium_rises_over_the_auction_and_restarts() {
    let start_params = rebalance_config();
    let mut f = fund([100_000, 0, 0]).await;
    crank(&mut f).await;
    let kp = keeper(&mut f, 10_000).await;
    // the auction of (USDT in, USDC out) started at the sync; each fill restarts it, so
    // measure one fill per fresh fund-time offset from a new start
    for (elapsed, expected_bps) in [
        (0i64, 10u64),
        (500, 60),
        (999, 109),
        (1_000, 10),
        (1_250, 35),
    ] {
        let s = f.state().await;
        let start = s.assets[USDC].over_since.max(s.assets[USDT].under_since);
        let now = f.ctx.now().await;
        f.ctx.advance_clock(start + elapsed - now).await;
        set_prices(&mut f, 100_000_000, 100_000_000).await;
        f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
        assert_eq!(
            premium_bps_floor(&start_params.auction(), elapsed) as u64,
            expected_bps
        );
        let before = f.ctx.token_balance(&kp.accounts[USDC]).await;
        fill(&mut f, &kp, USDT, USDC, 10 * ONE, 0).await.unwrap();
        let got = f.ctx.token_balance(&kp.accounts[USDC]).await - before;
        assert_eq!(
            got,
            10 * ONE * (10_000 + expected_bps) / 10_000,
            "premium at {elapsed}s"
        );
    }
}

#[tokio::test]
async fn one_side_beyond_its_band_opens_the_pair() {
    // USDC 53 % (target 50 %, band 2 %: beyond), USDT 28.5 % and LST 18.5 %: both under
    // their targets but inside their bands. No single asset is under its band.
    let mut f = fund([530, 285, 185]).await;
    let kp = keeper(&mut f, 100).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    // the side beyond its band has no clock before a sync
    let before = f.state().await;
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, 10 * ONE, 0).await,
        FundError::AuctionNotStarted,
    );
    assert_eq!(f.state().await, before);
    let t0 = f.ctx.now().await;
    crank(&mut f).await;
    let s = f.state().await;
    assert_eq!(s.assets[USDC].over_since, t0);
    assert_eq!(
        (s.assets[USDT].under_since, s.assets[LST].under_since),
        (0, 0)
    );

    // 500 s into the 1,000 s auction: 10 + 100 * 500 / 1,000 = 60 bps, from USDC's clock
    f.ctx.advance_clock(500).await;
    set_prices(&mut f, 100_000_000, 100_000_000).await;
    crank(&mut f).await;
    fill(&mut f, &kp, USDT, USDC, 10 * ONE, 0).await.unwrap();
    let paid = 10_060_000;
    assert_eq!(f.ctx.token_balance(&kp.accounts[USDT]).await, 90 * ONE);
    assert_eq!(
        f.ctx.token_balance(&kp.accounts[USDC]).await,
        100 * ONE + paid
    );
    let s = f.state().await;
    assert_eq!(s.assets[USDT].booked_balance, 295 * ONE);
    assert_eq!(s.assets[USDC].booked_balance, 530 * ONE - paid);
    // USDC is now 519.94 / 999.94 < 52 %: inside its band, its clock cleared
    assert_eq!(s.assets[USDC].over_since, 0);
    // USDC still over its target and LST under its own, but neither beyond its band
    let before = f.state().await;
    assert_fund_error(
        &fill(&mut f, &kp, LST, USDC, ONE, 0).await,
        FundError::PairInsideBands,
    );
    assert_eq!(f.state().await, before);
    assert_eq!(f.ctx.token_balance(&kp.accounts[LST]).await, 100 * ONE);
}

#[tokio::test]
async fn an_asset_under_its_band_buys_back_from_one_merely_over_target() {
    // USDC 47 % (target 50 %, band 2 %: beyond), USDT 32 % and LST 21 %: over their targets,
    // inside their bands
    let mut f = fund([470, 320, 210]).await;
    let kp = keeper(&mut f, 100).await;
    crank(&mut f).await;
    let s = f.state().await;
    assert_ne!(s.assets[USDC].under_since, 0);
    assert_eq!(
        (s.assets[USDT].over_since, s.assets[LST].over_since),
        (0, 0)
    );
    // at the start premium: 10 USDC buy 10.01 USDT
    fill(&mut f, &kp, USDC, USDT, 10 * ONE, 0).await.unwrap();
    assert_eq!(
        f.ctx.token_balance(&kp.accounts[USDT]).await,
        100 * ONE + 10_010_000
    );
    assert_eq!(
        f.state().await.assets[USDT].booked_balance,
        320 * ONE - 10_010_000
    );
    // the asset beyond its band must be on the right side: USDC is not over its target
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, ONE, 0).await,
        FundError::OutNotOverweight,
    );
    // nor is USDT under its own
    assert_fund_error(
        &fill(&mut f, &kp, USDT, LST, ONE, 0).await,
        FundError::InNotUnderweight,
    );
}

#[tokio::test]
async fn the_max_premium_must_cover_the_haircut_of_every_deliverable_asset() {
    // max premium 110 bps covers a haircut h while 110 * (10,000 - h) > h * 10,000: h <= 108
    let mut f = fund([0, 0, 0]).await;
    let lst = f.h.assets[LST].mint.key;
    let with_haircut = |h: u16, flags: u8| {
        let mut p = asset_params(LiquidityClass::YieldBearing, 4_000, pyth_oracle(3));
        p.haircut_bps = h;
        p.flags = flags;
        p
    };
    // update_asset
    let before = f.state().await;
    let out = f
        .send_gov(&[f.update_asset_ix(&f.gov(), &lst, with_haircut(109, asset_flags::ALL))])
        .await;
    assert_fund_error(&out, FundError::HaircutExceedsPremium);
    assert_eq!(f.state().await, before);
    f.send_gov(&[f.update_asset_ix(&f.gov(), &lst, with_haircut(108, asset_flags::ALL))])
        .await
        .unwrap();
    assert_eq!(f.state().await.assets[LST].haircut_bps, 108);
    // set_rebalance_params: lowering the max premium below the cover
    let lower = RebalanceConfig {
        max_premium_bps: 109,
        ..rebalance_config()
    };
    let before = f.state().await;
    let out = f
        .send_gov(&[f.set_rebalance_params_ix(&f.gov(), lower)])
        .await;
    assert_fund_error(&out, FundError::HaircutExceedsPremium);
    assert_eq!(f.state().await, before);
    // an asset keepers cannot deliver needs no cover ...
    let no_in = asset_flags::ALL & !asset_flags::REBALANCE_IN;
    f.send_gov(&[f.update_asset_ix(&f.gov(), &lst, with_haircut(5_000, no_in))])
        .await
        .unwrap();
    // ... nor one with target 0, until set_targets gives it one
    f.send_gov(&[f.set_targets_ix(&f.gov(), vec![7_000, 3_000, 0])])
        .await
        .unwrap();
    f.send_gov(&[f.update_asset_ix(&f.gov(), &lst, with_haircut(5_000, asset_flags::ALL))])
        .await
        .unwrap();
    let before = f.state().await;
    let out = f
        .send_gov(&[f.set_targets_ix(&f.gov(), vec![5_000, 3_000, 2_000])])
        .await;
    assert_fund_error(&out, FundError::HaircutExceedsPremium);
    assert_eq!(f.state().await, before);
}

#[tokio::test]
async fn a_reverse_fill_is_refused() {
    let mut f = fund([1_000, 0, 0]).await;
    crank(&mut f).await;
    let kp = keeper(&mut f, 1_000).await;
    fill(&mut f, &kp, USDT, USDC, 100 * ONE, 0).await.unwrap();
    // B -> A: USDT is under target, USDC over: giving USDT out is refused
    let out = fill(&mut f, &kp, USDC, USDT, 50 * ONE, 0).await;
    assert_fund_error(&out, FundError::OutNotOverweight);
}

#[tokio::test]
async fn out_not_below_and_in_not_above_target_at_the_edge() {
    let mut f = fund([1_000, 0, 0]).await;
    crank(&mut f).await;
    let kp = keeper(&mut f, 2_000).await;
    let s = f.state().await;
    let assets = s.rebalance_assets(None);
    let premium = 10;
    // USDT in: at most 30 % of NAV; the planner and the program agree on the edge
    let (max_in, _) = max_fill(
        &assets[..3],
        USDT,
        USDC,
        premium,
        s.min_liquid_bps,
        s.rebalance.band_bps,
        6,
        u64::MAX,
    )
    .unwrap();
    let out = fill(&mut f, &kp, USDT, USDC, max_in + 1, 0).await;
    assert_fund_error(&out, FundError::InPushedAboveTarget);
    fill(&mut f, &kp, USDT, USDC, max_in, 0).await.unwrap();
}

#[tokio::test]
async fn out_pushed_below_target_is_refused() {
    // USDC at 55 % (over 50 + 2), USDT at 5 % (under 30 - 2), LST 40 % (over): a large
    // USDT-for-USDC fill would take USDC below 50 % before USDT reaches 30 %.
    // (zero premium: the liquid share sits exactly at its 60 % floor)
    let zero = RebalanceConfig {
        start_premium_bps: 0,
        max_premium_bps: 0,
        ..rebalance_config()
    };
    let mut f = fund_with([550, 50, 400], 6_000, 6_000, zero).await;
    crank(&mut f).await;
    let kp = keeper(&mut f, 1_000).await;
    let s = f.state().await;
    let assets = s.rebalance_assets(None);
    let (max_in, _) = max_fill(
        &assets[..3],
        USDT,
        USDC,
        0,
        s.min_liquid_bps,
        s.rebalance.band_bps,
        6,
        u64::MAX,
    )
    .unwrap();
    // USDC may fall from 550 to exactly 500 of 1,000
    assert_eq!(max_in, 50 * ONE);
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, max_in + 1, 0).await,
        FundError::OutPushedBelowTarget,
    );
    fill(&mut f, &kp, USDT, USDC, max_in, 0).await.unwrap();
}

/// USDC (liquid, target 40 %), USDT (liquid, 20 %), LST (yield-bearing, 20 %), LP (illiquid,
/// 20 %); min liquid share 60 %. Deposits: USDC 500, USDT 100, LST 0, LP 400, so the liquid
/// share sits exactly at its 60 % floor while USDC is over and USDT and LST are under.
pub(crate) async fn four_asset_fund(p: RebalanceConfig) -> FundFixture {
    let mut f = TestBuilder::new()
        .assets(vec![
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::Liquid, 8_000, fixed_oracle()),
                4_000,
            ),
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::Liquid, 8_000, pyth_oracle(2)),
                2_000,
            ),
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::YieldBearing, 8_000, pyth_oracle(3)),
                2_000,
            ),
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::Illiquid, 8_000, pyth_oracle(4)),
                2_000,
            ),
        ])
        .min_liquid_bps(6_000)
        .build()
        .await;
    f.send_gov(&[f.set_rebalance_params_ix(&f.gov(), p)])
        .await
        .unwrap();
    for (k, amount) in [500u64, 100, 0, 400].into_iter().enumerate() {
        if amount > 0 {
            f.deposit(k, amount * ONE).await;
        }
    }
    for k in 1..4 {
        f.set_pyth_price(k, 100_000_000, -8, 0).await;
    }
    crank(&mut f).await;
    f
}

#[tokio::test]
async fn liquidity_bound_at_the_floor() {
    let zero = RebalanceConfig {
        start_premium_bps: 0,
        max_premium_bps: 0,
        ..rebalance_config()
    };
    let mut f = four_asset_fund(zero).await;
    let kp = keeper(&mut f, 1_000).await;
    // LST in, USDC out: any amount takes the liquid share below its 60 % floor
    assert_fund_error(
        &fill(&mut f, &kp, LST, USDC, ONE, 0).await,
        FundError::LiquidityBound,
    );
    // USDT in, USDC out at zero premium keeps the liquid share exactly at the floor
    fill(&mut f, &kp, USDT, USDC, 50 * ONE, 0).await.unwrap();
}

#[tokio::test]
async fn a_premium_that_dips_the_liquid_share_below_the_floor_is_refused() {
    // at the floor, a liquid-for-liquid fill with a premium lowers liquid value and NAV by
    // the same amount, so the liquid share (60 %) falls just below the floor
    let mut f = four_asset_fund(rebalance_config()).await;
    let kp = keeper(&mut f, 1_000).await;
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, 50 * ONE, 0).await,
        FundError::LiquidityBound,
    );
}

#[tokio::test]
async fn a_capped_asset_the_fill_does_not_add_to_does_not_block_it() {
    // USDT sits exactly at its 30 % max weight; the premium lowers NAV and lifts USDT's
    // share above its cap, yet USDT gains nothing: the fill passes (check 6 bounds the
    // in-asset only; before session 9 this was `ConcentrationBound`, which in a crisis
    // blocked every fill once draws had pushed a liquid asset over its cap)
    let mut f = fund_with([700, 300, 0], 3_000, 6_000, rebalance_config()).await;
    crank(&mut f).await;
    let kp = keeper(&mut f, 1_000).await;
    let nav_before = f.nav_report().await.nav;
    fill(&mut f, &kp, LST, USDC, 10 * ONE, 0).await.unwrap();
    let nav_after = f.nav_report().await.nav;
    assert!(nav_after < nav_before, "the premium cost NAV");
    let st = f.state().await;
    assert_eq!(st.assets[USDT].booked_balance, 300 * ONE);
    // USDT (300 at 1.00) is now over its 30 % cap: 300 * 10,000 > 3,000 * NAV
    assert!(300 * u128::from(ONE) * 10_000 > 3_000 * nav_after);
}

// ---- rebalance: guards ------------------------------------------------------------------

#[tokio::test]
async fn guards_before_any_transfer() {
    let mut f = fund([1_000, 0, 0]).await;
    let kp = keeper(&mut f, 1_000).await;
    // no sync yet
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, ONE, 0).await,
        FundError::AuctionNotStarted,
    );
    crank(&mut f).await;
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, 0, 0).await,
        FundError::ZeroAmount,
    );
    // the same asset on both sides: Anchor refuses the repeated writable accounts ...
    assert_anchor_error(
        &fill(&mut f, &kp, USDC, USDC, ONE, 0).await,
        anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount,
    );
    // ... and with distinct accounts the program refuses the pair itself
    let mut ix = f.rebalance_ix(
        &kp.key.pubkey(),
        USDC,
        &kp.accounts[USDC],
        USDT,
        &kp.accounts[USDT],
        ONE,
        0,
    );
    ix.accounts[5].pubkey = f.h.assets[USDC].mint.key; // mint_out = mint_in
    assert_fund_error(&f.ctx.send(&[ix], &[&kp.key]).await, FundError::InvalidPair);
    assert_fund_error(
        &fill(&mut f, &kp, USDC, USDT, ONE, 0).await,
        FundError::OutNotOverweight,
    );
    assert_fund_error(
        &fill(&mut f, &kp, LST, USDT, ONE, 0).await,
        FundError::OutNotOverweight,
    );
    // slippage, trade size
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, 10 * ONE, 10 * ONE + 10_001).await,
        FundError::SlippageExceeded,
    );
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, ONE - 1, 0).await,
        FundError::TradeTooSmall,
    );
    // wrong accounts
    let mut ix = f.rebalance_ix(
        &kp.key.pubkey(),
        USDT,
        &kp.accounts[USDT],
        USDC,
        &kp.accounts[USDC],
        ONE,
        0,
    );
    ix.accounts[6].pubkey = f.h.assets[LST].vault; // vault_out
    assert_fund_error(
        &f.ctx.send(&[ix], &[&kp.key]).await,
        FundError::VaultMismatch,
    );
    let mut ix = f.rebalance_ix(
        &kp.key.pubkey(),
        USDT,
        &kp.accounts[USDT],
        USDC,
        &kp.accounts[USDC],
        ONE,
        0,
    );
    ix.accounts[7].pubkey = kp.accounts[LST]; // keeper_out of another mint
    assert_fund_error(
        &f.ctx.send(&[ix], &[&kp.key]).await,
        FundError::SourceMintMismatch,
    );
    // flags
    let mut p = asset_params(LiquidityClass::Liquid, 6_000, pyth_oracle(2));
    p.flags = asset_flags::ALL & !asset_flags::REBALANCE_IN;
    let usdt = f.h.assets[USDT].mint.key;
    f.send_gov(&[f.update_asset_ix(&f.gov(), &usdt, p)])
        .await
        .unwrap();
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, ONE, 0).await,
        FundError::RebalanceInDisabled,
    );
    let mut p = asset_params(LiquidityClass::Liquid, 8_000, fixed_oracle());
    p.flags = asset_flags::ALL & !asset_flags::REBALANCE_OUT;
    let usdc = f.h.assets[USDC].mint.key;
    f.send_gov(&[f.update_asset_ix(&f.gov(), &usdc, p)])
        .await
        .unwrap();
    assert_fund_error(
        &fill(&mut f, &kp, LST, USDC, ONE, 0).await,
        FundError::RebalanceOutDisabled,
    );
    // nothing moved
    assert_eq!(f.ctx.token_balance(&kp.accounts[USDT]).await, 1_000 * ONE);
    assert_eq!(
        f.ctx.token_balance(&f.h.assets[USDC].vault).await,
        1_000 * ONE
    );
}

#[tokio::test]
async fn paused_unconfigured_and_stale_are_refused() {
    let mut f = fund([1_000, 0, 0]).await;
    crank(&mut f).await;
    let kp = keeper(&mut f, 1_000).await;
    let guardian = f.h.guardian.insecure_clone();
    f.ctx
        .send_ok(
            &[f.pause_ix(&guardian.pubkey(), pause_flags::REBALANCES)],
            &[&guardian],
        )
        .await;
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, ONE, 0).await,
        FundError::RebalancesPaused,
    );
    f.send_gov(&[f.unpause_ix(&f.gov(), pause_flags::REBALANCES)])
        .await
        .unwrap();
    // prices older than the fund's 120 s
    f.ctx.advance_clock(121).await;
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, ONE, 0).await,
        FundError::PriceStale,
    );
    let mut g = TestBuilder::new().build().await;
    let kp = keeper(&mut g, 10).await;
    assert_fund_error(
        &fill(&mut g, &kp, 1, 0, ONE, 0).await,
        FundError::RebalanceNotConfigured,
    );
}

#[tokio::test]
async fn volume_bucket_drains_over_the_window() {
    let p = RebalanceConfig {
        max_volume_per_window: 150 * ONE,
        ..rebalance_config()
    };
    let mut f = fund_with([1_000, 0, 0], 6_000, 6_000, p).await;
    crank(&mut f).await;
    let kp = keeper(&mut f, 1_000).await;
    fill(&mut f, &kp, USDT, USDC, 100 * ONE, 0).await.unwrap();
    // 100 + 51 > 150
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, 51 * ONE, 0).await,
        FundError::VolumeCapExceeded,
    );
    // exactly 50 fits
    fill(&mut f, &kp, USDT, USDC, 50 * ONE, 0).await.unwrap();
    // half a window later half the capacity (75) has drained: 75 fits, 76 does not
    f.ctx.advance_clock(43_200).await;
    set_prices(&mut f, 100_000_000, 100_000_000).await;
    crank(&mut f).await;
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, 76 * ONE, 0).await,
        FundError::VolumeCapExceeded,
    );
    fill(&mut f, &kp, USDT, USDC, 75 * ONE, 0).await.unwrap();
}

#[tokio::test]
async fn premium_budget_caps_what_keepers_earn() {
    // a flat 10 bps premium and a budget of 0.15 tokens per window
    let p = RebalanceConfig {
        start_premium_bps: 10,
        max_premium_bps: 10,
        premium_budget_per_window: 150_000,
        ..rebalance_config()
    };
    let mut f = fund_with([1_000, 0, 0], 6_000, 6_000, p).await;
    crank(&mut f).await;
    let kp = keeper(&mut f, 1_000).await;
    fill(&mut f, &kp, USDT, USDC, 100 * ONE, 0).await.unwrap(); // premium 0.1
    assert_fund_error(
        &fill(&mut f, &kp, USDT, USDC, 51 * ONE, 0).await,
        FundError::PremiumBudgetExceeded,
    );
    fill(&mut f, &kp, USDT, USDC, 50 * ONE, 0).await.unwrap(); // exactly 0.15
    assert_eq!(f.state().await.rebalance_state.premium_level, 150_000);
}

// ---- scenario -----------------------------------------------------------------------------

#[tokio::test]
async fn a_fund_with_all_fees_in_one_stablecoin_converges_into_its_bands() {
    let mut f = fund([10_000, 0, 0]).await;
    let kp = keeper(&mut f, 100_000).await;
    let mut total_premium = 0u128;
    let mut fills = 0;
    for _ in 0..20 {
        set_prices(&mut f, 100_000_000, 100_000_000).await;
        crank(&mut f).await;
        let s = f.state().await;
        let w = s.weights_without(0, None).unwrap();
        let assets = s.rebalance_assets(None);
        let (over, under) = insurance_fund::math::rebalance::imbalance_masks(
            &w,
            &assets[..3],
            s.rebalance.band_bps,
        )
        .unwrap();
        if over == 0 || under == 0 {
            break;
        }
        let o = over.trailing_zeros() as usize;
        let i = under.trailing_zeros() as usize;
        let (amount, quote) = max_fill(
            &assets[..3],
            i,
            o,
            10,
            s.min_liquid_bps,
            s.rebalance.band_bps,
            6,
            100_000 * ONE,
        )
        .unwrap();
        fill(&mut f, &kp, i, o, amount, quote.amount_out)
            .await
            .unwrap();
        total_premium += quote.premium_value;
        fills += 1;
    }
    let s = f.state().await;
    let w = s.weights_without(0, None).unwrap();
    for k in 0..3 {
        let gap = (w.weights_bps[k] as i32 - s.assets[k].target_bps as i32).abs();
        assert!(
            gap <= 200 + 1,
            "asset {k} at {} vs target {}",
            w.weights_bps[k],
            s.assets[k].target_bps
        );
    }
    // 10 bps on the 5,000 moved
    println!("converged in {fills} fills, total premium {total_premium} atoms");
    assert!(fills >= 2);
    assert!(total_premium <= 5_000 * ONE as u128 / 1_000 + 10);
}

#[tokio::test]
async fn shortfall_mode_allows_only_liquidity_raising_fills() {
    let mut s = shortfall::setup().await;
    let cfg = RebalanceConfig {
        band_bps: 100,
        start_premium_bps: 0,
        max_premium_bps: 0,
        max_discount_bps: 0,
        auction_duration_secs: 600,
        window_secs: 86_400,
        max_volume_per_window: 1_000_000 * ONE,
        premium_budget_per_window: 1_000_000 * ONE,
        min_trade_value: 1,
        crisis: Default::default(),
    };
    s.f.send_gov(&[s.f.set_rebalance_params_ix(&s.f.gov(), cfg)])
        .await
        .unwrap();
    s.declare(10 * ONE).await;
    let kp = Keypair::new();
    let k_usdc =
        s.f.ctx
            .funded_token_account(&s.f.h.assets[USDC].mint, &kp.pubkey(), 100 * ONE)
            .await;
    let k_usdt =
        s.f.ctx
            .funded_token_account(&s.f.h.assets[USDT].mint, &kp.pubkey(), 100 * ONE)
            .await;
    let k_lst =
        s.f.ctx
            .funded_token_account(&s.f.h.assets[LST].mint, &kp.pubkey(), 100 * ONE)
            .await;
    // liquid for liquid, and yield-bearing in for liquid out, are refused
    let ix =
        s.f.rebalance_ix(&kp.pubkey(), USDC, &k_usdc, USDT, &k_usdt, ONE, 0);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&kp]).await,
        FundError::ShortfallModeLiquidOnly,
    );
    let ix =
        s.f.rebalance_ix(&kp.pubkey(), LST, &k_lst, USDC, &k_usdc, ONE, 0);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&kp]).await,
        FundError::ShortfallModeLiquidOnly,
    );
    // liquid in for the over-weight LST out passes the shortfall rule (and then the usual
    // auction rules apply: here the auction has not been started)
    let ix =
        s.f.rebalance_ix(&kp.pubkey(), USDC, &k_usdc, LST, &k_lst, ONE, 0);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&kp]).await,
        FundError::AuctionNotStarted,
    );
}
