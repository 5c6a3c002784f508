//! Crisis liquidity (#17 parts 3-4): after a price gap the fund's sale price falls from its
//! upper bound toward `(spot - conf) * (1 - max_discount)` so its risk assets can be sold
//! within the hour, never below that floor, with the discount counted against the premium
//! budget; a crisis profile set in advance applies by itself in crisis mode (a shortfall
//! open, or a risk asset gapped), when only liquidity-raising fills pass, and for the
//! crisis hold after the last trigger.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::{CrisisProfile, CrisisTriggers, LiquidityClass, RebalanceConfig};
use insurance_fund_tests::shortfall::Setup;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: usize = 0;
const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000;
const HOUR: i64 = 3_600;

fn crisis() -> CrisisProfile {
    CrisisProfile {
        max_volume_per_window: 2_000_000 * ONE,
        premium_budget_per_window: 20_000 * ONE,
        auction_duration_secs: 3_600,
        max_premium_bps: 110,
        max_discount_bps: 300,
        gap_trigger_bps: 500,
        liquid_target_bps: 0,
        hold_secs: 0,
    }
}

fn with_crisis(p: RebalanceConfig, c: CrisisProfile) -> RebalanceConfig {
    RebalanceConfig { crisis: c, ..p }
}

/// The shortfall suite's fund (USDC 100, USDT 200, LST 300 at 2.00; targets 50/30/20) with
/// rebalancing `p`.
async fn setup(p: RebalanceConfig) -> Setup {
    let mut s = insurance_fund_tests::shortfall::setup().await;
    let f = &mut s.f;
    f.send_gov(&[f.set_rebalance_params_ix(&f.gov(), p)])
        .await
        .unwrap();
    s
}

/// LST gaps from 2.00 to `spot` (EMA still 2.00, no confidence); USDT republished at 1.00;
/// every price refreshed and the auctions synced.
async fn gap(f: &mut FundFixture, spot: i64) {
    // a refresh moves the cache only to a strictly newer publish time
    f.ctx.advance_clock(1).await;
    f.set_pyth_gap(LST, spot, 200_000_000, -8, 0).await;
    f.set_pyth_price(USDT, 100_000_000, -8, 0).await;
    let ixs = [f.refresh_ix(f.all_assets()), f.sync_auctions_ix()];
    f.ctx.send_ok(&ixs, &[]).await;
}

/// `secs` later, with every price republished as it was and refreshed (no sync).
async fn later(f: &mut FundFixture, secs: i64, lst_spot: i64) {
    f.ctx.advance_clock(secs).await;
    f.set_pyth_gap(LST, lst_spot, 200_000_000, -8, 0).await;
    f.set_pyth_price(USDT, 100_000_000, -8, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
}

/// A keeper holding 1,000 of every asset.
async fn keeper(f: &mut FundFixture) -> (Keypair, Vec<Pubkey>) {
    let k = crate::rebalance::keeper(f, 1_000).await;
    (k.key, k.accounts)
}

async fn fill(
    f: &mut FundFixture,
    kp: &(Keypair, Vec<Pubkey>),
    i: usize,
    o: usize,
    amount_in: u64,
) -> Outcome {
    let ix = f.rebalance_ix(&kp.0.pubkey(), i, &kp.1[i], o, &kp.1[o], amount_in, 0);
    f.ctx.send(&[ix], &[&kp.0]).await
}

/// `ceil(a * b / d)` and `floor(a * b / d)` in u128: the test's own arithmetic.
fn ceil_div(n: u128, d: u128) -> u128 {
    n.div_ceil(d)
}

#[tokio::test]
async fn after_a_35_percent_gap_a_keeper_buys_within_the_hour_at_no_worse_than_the_floor() {
    let mut s = setup(with_crisis(rebalance_config(), crisis())).await;
    let f = &mut s.f;
    let kp = keeper(f).await;
    gap(f, 130_000_000).await;
    let st = f.state().await;
    assert!(st.gapped() && st.crisis_mode(f.ctx.now().await));
    assert_eq!(st.assets[LST].price.spot_lower, 130_000_000);
    assert_eq!(st.assets[LST].price.upper, 200_000_000);

    // an hour into the crisis auction the sale price has reached its floor:
    // 1.30 * (1 - 3 %) = 1.261; 100 USDC buys at most 100 / 1.261 LST
    later(f, HOUR, 130_000_000).await;
    let before = f.ctx.token_balance(&kp.1[LST]).await;
    fill(f, &kp, USDC, LST, 100 * ONE).await.unwrap();
    let got = u128::from(f.ctx.token_balance(&kp.1[LST]).await - before);
    let floor_m = ceil_div(130_000_000 * 9_700, 10_000);
    assert_eq!(floor_m, 126_100_000);
    // LST has 6 decimals like the numeraire: atoms out = value_in * 10^8 / floor, rounded down
    let expected = 100 * u128::from(ONE) * 100_000_000 / floor_m;
    assert_eq!(got, expected);
    // worth 3 % more than the 100 delivered at the spot lower bound: the keeper's edge
    let at_spot = ceil_div(got * 130_000_000, 100_000_000);
    assert!(at_spot > 103 * u128::from(ONE) && at_spot < 104 * u128::from(ONE));
    // and what NAV lost to it (booked at 1.30) is charged to the premium budget
    let st = f.state().await;
    assert_eq!(
        u128::from(st.rebalance_state.total_premium),
        at_spot - 100 * u128::from(ONE)
    );
    assert_eq!(st.rebalance_state.total_volume, 100 * ONE);
}

#[tokio::test]
async fn without_gap_clearing_the_fund_sells_at_its_upper_bound() {
    let mut s = setup(rebalance_config()).await;
    let f = &mut s.f;
    let kp = keeper(f).await;
    gap(f, 130_000_000).await;
    later(f, HOUR, 130_000_000).await;
    let st = f.state().await;
    assert!(!st.gapped(), "no crisis profile, no gap trigger");
    let before = f.ctx.token_balance(&kp.1[LST]).await;
    fill(f, &kp, USDC, LST, 100 * ONE).await.unwrap();
    let got = f.ctx.token_balance(&kp.1[LST]).await - before;
    // 3,600 s into a 1,000 s sawtooth: 600 s, premium 10 + 100 * 0.6 = 70 bps, at 2.00
    assert_eq!(got, 100_700_000 / 2);
}

#[tokio::test]
async fn the_sale_price_falls_over_the_auction() {
    let mut s = setup(with_crisis(rebalance_config(), crisis())).await;
    let f = &mut s.f;
    let kp = keeper(f).await;
    gap(f, 130_000_000).await;
    // at the start: the upper bound (2.00) and the start premium (10 bps)
    let before = f.ctx.token_balance(&kp.1[LST]).await;
    fill(f, &kp, USDC, LST, 10 * ONE).await.unwrap();
    assert_eq!(
        f.ctx.token_balance(&kp.1[LST]).await - before,
        10_010_000 / 2
    );
    let started = f.state().await.assets[LST].over_since;
    assert_ne!(started, 0);
    // half an auction later the price is halfway to the floor: 2.00 - (2.00 - 1.261) / 2 =
    // 1.6305, the premium 10 + 100 / 2 = 60 bps
    later(f, HOUR / 2, 130_000_000).await;
    let sale = 200_000_000 - (200_000_000 - 126_100_000) / 2;
    assert_eq!(sale, 163_050_000);
    let expected = 10_060_000u128 * 100_000_000 / sale;
    // on crisis terms a fill does not restart the auction (a partial take): it sets it back
    // in proportion to what it took of LST's excess over its 20 % target, so the next fill,
    // at once, gets nearly the same price, not the upper bound and start premium again
    let lst_before = u128::from(f.ctx.token_balance(&f.h.assets[LST].vault).await);
    let before = f.ctx.token_balance(&kp.1[LST]).await;
    fill(f, &kp, USDC, LST, 10 * ONE).await.unwrap();
    assert_eq!(
        u128::from(f.ctx.token_balance(&kp.1[LST]).await - before),
        expected
    );
    // LST 294.995 at 1.30 = 383.4935, NAV 110 + 200 + 383.4935: excess 383.4935 - 138.6987;
    // 10 taken of it: 3,600 s * 0.75 * 10 / 244.7948 = 110.3, rounded up
    let setback = crisis_set_back(lst_before, 110);
    assert_eq!(setback, 111);
    assert_eq!(f.state().await.assets[LST].over_since, started + setback);
    // 1,689 s into the auction: sale 2.00 - floor(0.739 * 1,689 / 3,600), premium
    // 10 + floor(100 * 1,689 / 3,600) = 56 bps
    let t: u128 = 1_800 - 111;
    let sale = 200_000_000 - (73_900_000 * t / 3_600);
    let premium = 10 + 100 * t / 3_600;
    assert_eq!((sale, premium), (165_328_584, 56));
    let lst_before = u128::from(f.ctx.token_balance(&f.h.assets[LST].vault).await);
    let before = f.ctx.token_balance(&kp.1[LST]).await;
    fill(f, &kp, USDC, LST, 10 * ONE).await.unwrap();
    assert_eq!(
        u128::from(f.ctx.token_balance(&kp.1[LST]).await - before),
        (10 * 10_000 + 10 * premium) * 100 * 100_000_000 / sale
    );
    // a smaller excess (236.378...) makes the same take move the auction further: 115 s
    let second = crisis_set_back(lst_before, 120);
    assert_eq!(second, 115);
    assert_eq!(
        f.state().await.assets[LST].over_since,
        started + setback + second
    );
}

/// The crisis set-back of a 10 USDC take from LST (`lst_atoms` held, valued at its gapped
/// lower price 1.30; USDT 200, USDC `usdc` whole units; LST's target 20 %), worked out here
/// independently: `ceil(3,600 * 10 * 0.75 / excess)`, the excess over the target rounded
/// down (the target's value up).
fn crisis_set_back(lst_atoms: u128, usdc: u128) -> i64 {
    let lst_value = lst_atoms * 130_000_000 / 100_000_000;
    let nav = lst_value + (200 + usdc) * u128::from(ONE);
    let excess = lst_value - ceil_div(nav * 2_000, 10_000);
    ceil_div(3_600 * 10 * u128::from(ONE) * 3, 4 * excess) as i64
}

/// Crisis targets (`CrisisProfile::liquid_target_bps`): in crisis mode the liquid assets
/// target the crisis share and the risk assets' targets shrink in proportion, so the fund
/// sells a risk asset its normal targets would keep; outside crisis mode nothing changes.
#[tokio::test]
async fn crisis_targets_sell_a_risk_asset_the_normal_targets_keep() {
    let with_target = |liquid_target_bps| {
        with_crisis(
            rebalance_config(),
            CrisisProfile {
                liquid_target_bps,
                ..crisis()
            },
        )
    };
    // USDC 50, USDT 30, LST 20 at 1.00: every asset at its target (50/30/20 %)
    let mut f = crate::rebalance::fund_with([50, 30, 20], 6_000, 6_000, with_target(9_000)).await;
    let kp = crate::rebalance::keeper(&mut f, 1_000).await;
    crate::rebalance::crank(&mut f).await;
    let st = f.state().await;
    assert!(!st.crisis_mode(f.ctx.now().await));
    assert_eq!(st.tilt_at(f.ctx.now().await), None);
    assert_eq!(st.assets[LST].over_since, 0);

    // LST gaps 10 % (EMA still 1.00): crisis mode. At 0.90 it weighs 18 / 98 = 18.4 %, under
    // its 20 % target; the crisis targets (liquid 90 %: liquid x 9,000 / 8,000, risk x
    // 1,000 / 2,000) put it at 10 %, so it is over its band and its auction starts
    gap_lst_10(&mut f).await;
    let st = f.state().await;
    assert!(st.crisis_mode(f.ctx.now().await));
    let tilt = st.target_tilt(true).expect("crisis targets in force");
    assert_eq!((tilt.liquid, tilt.risk), ((9_000, 8_000), (1_000, 2_000)));
    let (inputs, _) = st.engine_inputs_without(0, Some(tilt));
    let targets: Vec<u16> = inputs[..3].iter().map(|a| a.target_bps).collect();
    assert_eq!(targets, [5_625, 3_375, 1_000]);
    assert_ne!(st.assets[LST].over_since, 0);
    assert_ne!(st.assets[USDC].under_since, 0);
    // the targets as set are unchanged
    assert_eq!(st.assets[LST].target_bps, 2_000);

    // the auction has run its hour: a keeper buys LST with USDC
    later_at_par(&mut f, HOUR).await;
    let (usdc_vault, lst_vault) = (
        f.ctx.token_balance(&f.h.assets[USDC].vault).await,
        f.ctx.token_balance(&f.h.assets[LST].vault).await,
    );
    crate::rebalance::fill(&mut f, &kp, USDC, LST, 2 * ONE, 1)
        .await
        .unwrap();
    assert_eq!(
        f.ctx.token_balance(&f.h.assets[USDC].vault).await,
        usdc_vault + 2 * ONE
    );
    assert!(f.ctx.token_balance(&f.h.assets[LST].vault).await < lst_vault);

    // the same fund without crisis targets keeps LST (under its target): no sale
    let mut f = crate::rebalance::fund_with([50, 30, 20], 6_000, 6_000, with_target(0)).await;
    let kp = crate::rebalance::keeper(&mut f, 1_000).await;
    gap_lst_10(&mut f).await;
    let st = f.state().await;
    assert!(st.crisis_mode(f.ctx.now().await));
    assert_eq!(st.tilt_at(f.ctx.now().await), None);
    assert_eq!(st.assets[LST].over_since, 0);
    later_at_par(&mut f, HOUR).await;
    let out = crate::rebalance::fill(&mut f, &kp, USDC, LST, 2 * ONE, 1).await;
    assert_fund_error(&out, FundError::OutNotOverweight);
}

/// LST gaps 10 % (0.90 against an EMA of 1.00), USDT republished at 1.00; refreshed and synced.
async fn gap_lst_10(f: &mut FundFixture) {
    f.ctx.advance_clock(1).await;
    later_at_par(f, 0).await;
    f.ctx.send_ok(&[f.sync_auctions_ix()], &[]).await;
}

/// `secs` later, LST republished at its gapped 0.90 (EMA 1.00) and USDT at 1.00, refreshed.
async fn later_at_par(f: &mut FundFixture, secs: i64) {
    f.ctx.advance_clock(secs).await;
    f.set_pyth_gap(LST, 90_000_000, 100_000_000, -8, 0).await;
    f.set_pyth_price(USDT, 100_000_000, -8, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
}

/// A spot pushed far down (the EMA unmoved) drags the floor with it: what bounds the damage
/// is the volume cap (value delivered per window), the targets (the fund never sells below
/// its target) and the confidence limit (a feed this uncertain is refused outright).
#[tokio::test]
async fn a_manipulated_spot_is_bounded_by_the_volume_cap_and_the_target() {
    let mut c = crisis();
    c.max_volume_per_window = 50 * ONE;
    let mut s = setup(with_crisis(rebalance_config(), c)).await;
    let f = &mut s.f;
    let kp = keeper(f).await;
    // LST "at" 0.50 against an EMA of 2.00
    gap(f, 50_000_000).await;
    later(f, HOUR, 50_000_000).await;
    let out = fill(f, &kp, USDC, LST, 51 * ONE).await;
    assert_fund_error(&out, FundError::VolumeCapExceeded);
    let before = f.ctx.token_balance(&kp.1[LST]).await;
    fill(f, &kp, USDC, LST, 50 * ONE).await.unwrap();
    let got = f.ctx.token_balance(&kp.1[LST]).await - before;
    // never more than the delivered value at the manipulated floor 0.50 * 0.97
    assert_eq!(
        u128::from(got),
        50 * u128::from(ONE) * 100_000_000 / 48_500_000
    );
    // the window is spent: nothing more until it drains
    let out = fill(f, &kp, USDC, LST, ONE).await;
    assert_fund_error(&out, FundError::VolumeCapExceeded);
    // a confidence this wide (2 % against the 1 % limit) is refused at the refresh
    f.ctx.advance_clock(1).await;
    f.set_pyth_gap(LST, 50_000_000, 200_000_000, -8, 1_000_000)
        .await;
    let out = f.ctx.send(&[f.refresh_ix(f.all_assets())], &[]).await;
    assert_fund_error(&out, FundError::OracleConfidenceTooWide);
}

#[tokio::test]
async fn a_gap_stops_the_fund_buying_the_dip() {
    let mut s = setup(with_crisis(rebalance_config(), crisis())).await;
    let f = &mut s.f;
    let kp = keeper(f).await;
    // LST far over target: the fund would sell it; make it under target instead by a crash
    // deep enough, then check the fund does not buy it with liquid assets
    gap(f, 10_000_000).await; // 0.10: LST worth 30 of NAV 330, 9 % < 20 % target
    let st = f.state().await;
    assert!(st.gapped());
    let out = fill(f, &kp, LST, USDC, 20 * ONE).await;
    assert_fund_error(&out, FundError::PriceGapLiquidOnly);
    let out = fill(f, &kp, LST, USDT, 20 * ONE).await;
    assert_fund_error(&out, FundError::PriceGapLiquidOnly);
    // the same crash without a gap trigger: the fund buys the dip
    let mut s = setup(rebalance_config()).await;
    let f = &mut s.f;
    let kp = keeper(f).await;
    gap(f, 10_000_000).await;
    fill(f, &kp, LST, USDT, 20 * ONE).await.unwrap();
}

#[tokio::test]
async fn the_crisis_profile_applies_by_itself_when_a_shortfall_opens() {
    let mut normal = rebalance_config();
    normal.max_volume_per_window = 50 * ONE;
    let mut c = crisis();
    c.gap_trigger_bps = 0; // only the shortfall puts the fund in crisis mode here
    let mut s = setup(with_crisis(normal, c)).await;
    s.f.ctx.send_ok(&[s.f.sync_auctions_ix()], &[]).await;
    let kp = keeper(&mut s.f).await;
    let out = fill(&mut s.f, &kp, USDC, LST, 100 * ONE).await;
    assert_fund_error(&out, FundError::VolumeCapExceeded);
    assert!(!s.f.state().await.crisis_mode(s.f.ctx.now().await));
    s.declare(50 * ONE).await;
    let st = s.f.state().await;
    assert!(st.crisis_mode(s.f.ctx.now().await));
    assert_eq!(
        st.fill_mode(s.f.ctx.now().await)
            .terms
            .max_volume_per_window,
        2_000_000 * ONE
    );
    // the same fill now passes on the crisis terms (no gap: sold at the upper bound, 2.00)
    let before = s.f.ctx.token_balance(&kp.1[LST]).await;
    fill(&mut s.f, &kp, USDC, LST, 100 * ONE).await.unwrap();
    assert_eq!(
        s.f.ctx.token_balance(&kp.1[LST]).await - before,
        100_100_000 / 2
    );
    assert_eq!(s.f.state().await.rebalance_state.total_volume, 100 * ONE);
}

#[tokio::test]
async fn a_flash_fill_after_a_gap_is_priced_as_at_its_begin() {
    let mut s = setup(with_crisis(rebalance_config(), crisis())).await;
    let f = &mut s.f;
    gap(f, 130_000_000).await;
    later(f, HOUR, 130_000_000).await;
    // a keeper with nothing sells LST to a market maker at 1.30 and delivers the USDC
    let (keeper, mm) = (Keypair::new(), Keypair::new());
    let (lst, usdc) = (f.h.assets[LST].mint, f.h.assets[USDC].mint);
    let k_lst = f.ctx.create_token_account(&lst, &keeper.pubkey()).await;
    let mm_lst = f.ctx.create_token_account(&lst, &mm.pubkey()).await;
    let mm_usdc = f
        .ctx
        .funded_token_account(&usdc, &mm.pubkey(), 1_000 * ONE)
        .await;
    let taken = (100 * u128::from(ONE) * 100_000_000 / 126_100_000) as u64;
    let flash = |taken: u64| {
        vec![
            f.rebalance_begin_ix(&keeper.pubkey(), USDC, LST, &k_lst, taken),
            f.ctx
                .transfer_ix(&lst, &k_lst, &mm_lst, &keeper.pubkey(), taken),
            f.ctx.transfer_ix(
                &usdc,
                &mm_usdc,
                &f.h.assets[USDC].vault,
                &mm.pubkey(),
                100 * ONE,
            ),
            f.rebalance_end_ix(&keeper.pubkey(), USDC, LST),
        ]
    };
    // one atom more than 100 USDC buys at the floor fails, as a whole
    let (over, exact) = (flash(taken + 1), flash(taken));
    let out = f.ctx.send(&over, &[&keeper, &mm]).await;
    assert_fund_error_at(&out, 3, FundError::FlashFillUnderpaid);
    assert_eq!(f.ctx.token_balance(&mm_lst).await, 0);
    // exactly that amount passes
    f.ctx.send(&exact, &[&keeper, &mm]).await.unwrap();
    assert_eq!(f.ctx.token_balance(&mm_lst).await, taken);
    assert_eq!(f.state().await.assets[USDC].booked_balance, 200 * ONE);
}

#[tokio::test]
async fn crisis_parameters_are_validated_and_timelocked() {
    let mut s = setup(rebalance_config()).await;
    let f = &mut s.f;
    let g = f.gov();
    let cases: Vec<(RebalanceConfig, FundError)> = vec![
        (
            RebalanceConfig {
                max_discount_bps: 2_001,
                ..rebalance_config()
            },
            FundError::InvalidDiscount,
        ),
        (
            with_crisis(
                rebalance_config(),
                CrisisProfile {
                    max_volume_per_window: 0,
                    ..crisis()
                },
            ),
            FundError::InvalidCrisisProfile,
        ),
        (
            with_crisis(
                rebalance_config(),
                CrisisProfile {
                    max_discount_bps: 2_001,
                    ..crisis()
                },
            ),
            FundError::InvalidCrisisProfile,
        ),
        (
            with_crisis(
                rebalance_config(),
                CrisisProfile {
                    max_premium_bps: 5, // below the normal start premium (10)
                    ..crisis()
                },
            ),
            FundError::InvalidCrisisProfile,
        ),
        (
            with_crisis(
                rebalance_config(),
                CrisisProfile {
                    auction_duration_secs: 59,
                    ..crisis()
                },
            ),
            FundError::InvalidCrisisProfile,
        ),
        (
            with_crisis(
                rebalance_config(),
                CrisisProfile {
                    gap_trigger_bps: 99,
                    ..crisis()
                },
            ),
            FundError::InvalidCrisisProfile,
        ),
        (
            with_crisis(
                rebalance_config(),
                CrisisProfile {
                    liquid_target_bps: 10_001,
                    ..crisis()
                },
            ),
            FundError::InvalidCrisisProfile,
        ),
        (
            with_crisis(
                rebalance_config(),
                CrisisProfile {
                    hold_secs: 7 * 24 * 3_600 + 1,
                    ..crisis()
                },
            ),
            FundError::InvalidCrisisProfile,
        ),
    ];
    // a profile without a gap trigger, set while there is no timelock
    let quiet = CrisisProfile {
        gap_trigger_bps: 0,
        ..crisis()
    };
    f.send_gov(&[f.set_rebalance_params_ix(&g, with_crisis(rebalance_config(), quiet))])
        .await
        .unwrap();
    let before = f.state().await.rebalance;
    for (p, e) in cases {
        let out = f.send_gov(&[f.set_rebalance_params_ix(&g, p)]).await;
        assert_fund_error(&out, e);
    }
    assert_eq!(f.state().await.rebalance, before);

    // with a timelock: a gap trigger set, a deeper discount, a larger crisis cap all wait
    f.send_gov(&[f.set_bounds_args_ix(&g, crate::timelock::bounds(5_000, 3_600))])
        .await
        .unwrap();
    let bigger = CrisisProfile {
        max_volume_per_window: 3_000_000 * ONE,
        ..quiet
    };
    let tilted = CrisisProfile {
        liquid_target_bps: 8_000,
        ..quiet
    };
    let held = CrisisProfile {
        hold_secs: 3_600,
        ..quiet
    };
    for p in [
        with_crisis(rebalance_config(), crisis()),
        RebalanceConfig {
            max_discount_bps: 100,
            ..with_crisis(rebalance_config(), quiet)
        },
        with_crisis(rebalance_config(), bigger),
        with_crisis(rebalance_config(), tilted),
        with_crisis(rebalance_config(), held),
    ] {
        let out = f.send_gov(&[f.set_rebalance_params_ix(&g, p)]).await;
        assert_fund_error(&out, FundError::TimelockRequired);
    }
    assert_eq!(f.state().await.rebalance, before);
    // the longest hold is valid (set through the timelock like any lengthening)
    let longest = CrisisProfile {
        hold_secs: 7 * 24 * 3_600,
        ..quiet
    };
    assert_eq!(
        with_crisis(rebalance_config(), longest)
            .validate()
            .map_err(|_| ()),
        Ok(())
    );
    // removing the profile (its trigger was 0) tightens: it applies at once
    f.send_gov(&[f.set_rebalance_params_ix(&g, rebalance_config())])
        .await
        .unwrap();
    assert_eq!(f.state().await.rebalance, rebalance_config());
}

/// The keeper's planner (`ifund keeper`) prices a fill as the program does after a gap: at
/// the sale price and under the crisis terms, so the fill it plans lands and pays what it
/// planned (planning at the upper bound would see no profit in a crash and never fill).
#[tokio::test]
async fn the_keepers_planner_fills_at_the_sale_price_after_a_gap() {
    let mut s = setup(with_crisis(rebalance_config(), crisis())).await;
    let f = &mut s.f;
    let kp = keeper(f).await;
    gap(f, 130_000_000).await;
    later(f, HOUR, 130_000_000).await;
    let now = f.ctx.now().await;
    let fund = f.state().await;
    let mut inventory = vec![0; 3];
    inventory[USDC] = 50 * ONE;
    let plan = ifund::keeper::plan(
        &fund,
        now,
        &inventory,
        ifund::keeper::PlanParams {
            cost: 0,
            min_profit: 0,
        },
    )
    .unwrap();
    assert_eq!((plan.asset_in, plan.asset_out), (USDC, LST));
    // at the floor (1.261), not the upper bound (2.00)
    let at_floor = u128::from(plan.amount_in) * 100_000_000 / 126_100_000;
    assert_eq!(u128::from(plan.quote.amount_out), at_floor);
    let keeper = ifund::keeper::KeeperAccounts {
        signer: kp.0.insecure_clone(),
        token_accounts: kp.1.iter().copied().map(Some).collect(),
    };
    let ix = ifund::keeper::fill_instruction(&f.fund, &fund, &keeper, &plan).unwrap();
    let before = f.ctx.token_balance(&kp.1[LST]).await;
    f.ctx.send(&[ix], &[&kp.0]).await.unwrap();
    assert_eq!(
        f.ctx.token_balance(&kp.1[LST]).await - before,
        plan.quote.amount_out
    );
}

/// The crisis hold (`CrisisProfile::hold_secs`): a shortfall records when it opened and when
/// it was paid (`Fund::crisis_seen_at`); after it is paid the fund stays in crisis mode for
/// the hold, on the crisis terms and for liquidity-raising fills only, then returns to the
/// normal terms by itself.
#[tokio::test]
async fn the_crisis_hold_keeps_crisis_mode_after_the_claim_is_paid_then_ends() {
    let mut normal = rebalance_config();
    normal.max_volume_per_window = 50 * ONE;
    let c = CrisisProfile {
        gap_trigger_bps: 0, // only the shortfall triggers here
        hold_secs: 4 * HOUR as u32,
        ..crisis()
    };
    let mut s = setup(with_crisis(normal, c)).await;
    s.f.ctx.send_ok(&[s.f.sync_auctions_ix()], &[]).await;
    let kp = keeper(&mut s.f).await;
    assert_eq!(s.f.state().await.crisis_seen_at, 0);
    let id = s.declare(50 * ONE).await;
    let declared_at = s.f.ctx.now().await;
    assert_eq!(s.f.state().await.crisis_seen_at, declared_at);

    // an hour later the claim is paid from USDC: the shortfall closes, the hold counts from now
    s.f.ctx.advance_clock(HOUR).await;
    s.draw(id, 50 * ONE, &[USDC]).await.unwrap();
    let paid_at = s.f.ctx.now().await;
    let st = s.f.state().await;
    assert_eq!(st.draw_state.open_shortfalls, 0);
    assert_eq!(st.crisis_seen_at, paid_at);
    let held = CrisisTriggers {
        held: true,
        ..Default::default()
    };
    assert_eq!(st.crisis_triggers(paid_at), held);

    // three hours after payment: still crisis mode. A fill over the normal volume cap (50)
    // passes on the crisis terms; a fill that lowers the liquid share does not
    later(&mut s.f, 3 * HOUR, 200_000_000).await;
    let now = s.f.ctx.now().await;
    assert_eq!(s.f.state().await.crisis_triggers(now), held);
    fill(&mut s.f, &kp, USDC, LST, 100 * ONE).await.unwrap();
    assert_eq!(s.f.state().await.rebalance_state.total_volume, 100 * ONE);
    let before = s.f.state().await;
    let out = fill(&mut s.f, &kp, LST, USDT, 10 * ONE).await;
    assert_fund_error(&out, FundError::CrisisHoldLiquidOnly);
    assert_eq!(s.f.state().await, before);

    // one second past the hold: normal mode, normal terms (the same fill is over the cap)
    later(&mut s.f, HOUR + 1, 200_000_000).await;
    let st = s.f.state().await;
    let now = s.f.ctx.now().await;
    assert_eq!(now, paid_at + 4 * HOUR + 1);
    assert!(!st.crisis_mode(now));
    assert_eq!(st.crisis_seen_at, paid_at);
    let out = fill(&mut s.f, &kp, USDC, LST, 100 * ONE).await;
    assert_fund_error(&out, FundError::VolumeCapExceeded);
}

/// A refresh that leaves a risk asset gapped records the time (`Fund::note_gap`); once the
/// EMA has caught up the gap trigger clears and the hold keeps crisis mode from that last
/// sighting for `hold_secs`.
#[tokio::test]
async fn a_gap_seen_by_a_refresh_starts_the_hold_which_outlives_the_gap() {
    let c = CrisisProfile {
        hold_secs: 2 * HOUR as u32,
        ..crisis()
    };
    let mut s = setup(with_crisis(rebalance_config(), c)).await;
    let f = &mut s.f;
    gap(f, 130_000_000).await;
    let first = f.ctx.now().await;
    assert_eq!(f.state().await.crisis_seen_at, first);
    later(f, HOUR, 130_000_000).await;
    let last_gap = f.ctx.now().await;
    assert_eq!(f.state().await.crisis_seen_at, last_gap);

    // the EMA catches up with the spot (1.30): no gap any more, the hold runs on
    f.ctx.advance_clock(60).await;
    f.set_pyth_gap(LST, 130_000_000, 130_000_000, -8, 0).await;
    f.set_pyth_price(USDT, 100_000_000, -8, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    let now = f.ctx.now().await;
    let st = f.state().await;
    assert!(!st.gapped());
    assert_eq!(st.crisis_seen_at, last_gap);
    assert_eq!(
        st.crisis_triggers(now),
        CrisisTriggers {
            held: true,
            ..Default::default()
        }
    );
    assert!(st.fill_mode(now).terms.crisis);
    // the hold ends two hours after the last refresh that saw the gap
    assert!(st.crisis_mode(last_gap + 2 * HOUR - 1));
    assert!(!st.crisis_mode(last_gap + 2 * HOUR));
    // without a hold, the same refreshes record nothing
    let mut s = setup(with_crisis(rebalance_config(), crisis())).await;
    gap(&mut s.f, 130_000_000).await;
    assert_eq!(s.f.state().await.crisis_seen_at, 0);
}

#[tokio::test]
async fn a_crisis_target_above_a_cap_stops_the_in_asset_at_its_cap() {
    // crisis targets: liquid 95 % of NAV, so USDT's 30 % target becomes 35.6 %, above its
    // 30 % cap; USDT (200 of 900) may be bought up to its cap, not to its crisis target
    let mut c = crisis();
    c.gap_trigger_bps = 0;
    c.liquid_target_bps = 9_500;
    let mut s = setup(with_crisis(rebalance_config(), c)).await;
    let mut capped = asset_params(LiquidityClass::Liquid, 3_000, pyth_oracle(2));
    capped.flags = s.f.state().await.assets[USDT].flags;
    let usdt = s.f.h.assets[USDT].mint.key;
    s.f.send_gov(&[s.f.update_asset_ix(&s.f.gov(), &usdt, capped)])
        .await
        .unwrap();
    s.declare(50 * ONE).await;
    s.f.ctx.send_ok(&[s.f.sync_auctions_ix()], &[]).await;
    let st = s.f.state().await;
    assert!(st.crisis_mode(s.f.ctx.now().await));
    assert_eq!(st.assets[USDT].max_weight_bps, 3_000);
    let kp = keeper(&mut s.f).await;
    // 90 more USDT would take it to 290 of about 900: over its cap
    let out = fill(&mut s.f, &kp, USDT, LST, 90 * ONE).await;
    assert_fund_error(&out, FundError::ConcentrationBound);
    // 60 more (260 of about 900, under 30 %) pass
    fill(&mut s.f, &kp, USDT, LST, 60 * ONE).await.unwrap();
    assert_eq!(s.f.state().await.assets[USDT].booked_balance, 260 * ONE);
}
