//! The keeper planner against the embedded runtime: a fund far off its targets, and one whose
//! deficit is spread inside the bands, are driven into their bands by keeper rounds (refresh +
//! sync + the planned fill), through the `Chain` interface a cluster keeper uses.

use ifund::chain::{load_fund, Chain, SendOptions};
use ifund::keeper::{round, PlanParams, RoundOptions, RoundOutcome, Skip};
use ifund::scenario::Scenario;
use ifund::simulate::Sim;
use insurance_fund::math::rebalance::imbalance_masks;

const SCENARIO: &str = r#"
[simulation]
days = 5
seed = 1
initial_nav = 1000000

[fund]
min_liquid_bps = 6000
band_bps = 200
start_premium_bps = 5
max_premium_bps = 200
auction_duration_secs = 7200
rebalance_window_secs = 86400
max_volume_per_window = 10000000
premium_budget_per_window = 100000
min_trade_value = 10
draw_fund_cap_bps = 1000
draw_window_secs = 86400
approval_threshold = 100000

[[assets]]
name = "USDC"
token = "spl"
decimals = 6
class = "liquid"
oracle = "fixed"
price = 1.0
target_bps = 5000
max_weight_bps = 9500
initial_weight_bps = 9000

[[assets]]
name = "USDT"
token = "token-2022"
decimals = 6
class = "liquid"
oracle = "pyth"
price = 1.0
conf_bps = 2
target_bps = 3000
max_weight_bps = 6000
initial_weight_bps = 500

[[assets]]
name = "LST"
token = "spl"
decimals = 9
class = "yield-bearing"
oracle = "pyth"
price = 150.0
conf_bps = 3
target_bps = 2000
max_weight_bps = 4000
initial_weight_bps = 500

[[keepers]]
name = "k"
inventory = 2000000
min_profit = 0

[claimant]
max_per_shortfall = 1
max_per_window = 1
lifetime_max = 1
"#;

/// Keeper rounds (refresh + sync + the planned fill) at hourly steps until the planner finds
/// no open pair or 60 steps pass: the fills' distances after, each checked to fall.
fn run_keeper(s: &Scenario, sim: &mut Sim) -> Vec<u32> {
    keeper_rounds(s, sim, 0, 1..=60)
}

/// Keeper rounds at `steps` with a minimum profit of `min_profit` (`u64::MAX`: crank only).
fn keeper_rounds(
    s: &Scenario,
    sim: &mut Sim,
    min_profit: u64,
    steps: std::ops::RangeInclusive<u64>,
) -> Vec<u32> {
    let fund_key = sim.fund_key();
    let oracles = sim.oracle_accounts();
    let prices =
        move |k: usize, _: &insurance_fund::state::Asset| oracles.get(k).copied().flatten();
    let keeper_accounts = ifund::keeper::KeeperAccounts {
        signer: sim.keeper(0).signer.insecure_clone(),
        token_accounts: sim.keeper(0).token_accounts.clone(),
    };
    let opts = RoundOptions {
        send: SendOptions::default(),
        params: PlanParams {
            cost: 0,
            min_profit,
        },
        dry_run: false,
        crank: true,
        swap_pools: vec![],
        jupiter: None,
    };
    let mut distance = vec![];
    for step in steps {
        sim.advance(s, step).unwrap();
        let (crank, outcome) =
            round(sim.chain(), &fund_key, &keeper_accounts, &prices, &opts).unwrap();
        assert!(crank.unwrap().is_ok());
        match outcome {
            RoundOutcome::Filled { fill, .. } => {
                assert!(fill.distance_after_bps < fill.distance_before_bps);
                assert!(fill.expected_profit >= 0);
                distance.push(fill.distance_after_bps);
            }
            RoundOutcome::Skipped(Skip::InBands) => break,
            RoundOutcome::Skipped(_) => {} // e.g. the premium still below the spread
            other => panic!("unexpected round outcome {other:?}"),
        }
    }
    distance
}

/// The over/under-band masks of the simulated fund.
fn out_of_band(sim: &mut Sim) -> (u16, u16) {
    let fund_key = sim.fund_key();
    let f = load_fund(sim.chain(), &fund_key).unwrap();
    let w = f.weights_without(0, None).unwrap();
    let assets = f.rebalance_assets(None);
    imbalance_masks(&w, &assets[..3], f.rebalance.band_bps).unwrap()
}

#[test]
fn keeper_rounds_drive_an_off_target_fund_into_its_bands() {
    let s = Scenario::parse(SCENARIO, "planner").unwrap();
    let mut sim = Sim::setup(&s).unwrap();
    assert_eq!(
        out_of_band(&mut sim),
        (0b001, 0b110),
        "USDC over, USDT and LST under at the start"
    );
    let distance = run_keeper(&s, &mut sim);
    let fills = distance.len() as u64;
    assert!(fills >= 2, "took {fills} fills");
    assert_eq!(out_of_band(&mut sim), (0, 0), "every asset inside its band");
    // each fill reduced the distance further
    assert!(distance.windows(2).all(|w| w[1] <= w[0]), "{distance:?}");
    let fund_key = sim.fund_key();
    let f = load_fund(sim.chain(), &fund_key).unwrap();
    assert_eq!(f.rebalance_state.fills, fills);
    assert!(f.rebalance_state.total_premium > 0);
}

/// USDC 3 % over its target (beyond the 2 % band) while the deficit is spread over USDT and
/// LST, each 1.5 % under its target and inside its band: no asset is *under*, yet the pairs
/// USDT-for-USDC and LST-for-USDC are open, and the keeper brings USDC back inside its band.
#[test]
fn keeper_rounds_buy_back_a_deficit_spread_inside_the_bands() {
    let spread = SCENARIO
        .replace("initial_weight_bps = 9000", "initial_weight_bps = 5300")
        .replacen("initial_weight_bps = 500", "initial_weight_bps = 2850", 1)
        .replacen("initial_weight_bps = 500", "initial_weight_bps = 1850", 1);
    let s = Scenario::parse(&spread, "planner").unwrap();
    let mut sim = Sim::setup(&s).unwrap();
    // one round that refreshes prices and syncs auctions but never fills
    assert!(keeper_rounds(&s, &mut sim, u64::MAX, 1..=1).is_empty());
    assert_eq!(
        out_of_band(&mut sim),
        (0b001, 0b000),
        "only USDC beyond its band"
    );
    let distance = keeper_rounds(&s, &mut sim, 0, 2..=60);
    assert!(!distance.is_empty(), "no fill");
    assert_eq!(out_of_band(&mut sim), (0, 0), "USDC back inside its band");
    let fund_key = sim.fund_key();
    let f = load_fund(sim.chain(), &fund_key).unwrap();
    let w = f.weights_without(0, None).unwrap();
    // and nobody was pushed past a target
    assert!(
        w.weights_bps[0] >= 5_000 - 1 && w.weights_bps[1] <= 3_000 && w.weights_bps[2] <= 2_000,
        "{:?}",
        &w.weights_bps[..3]
    );
}

// ---- the planner alone, on a fund state built by hand -------------------------------------

mod pure {
    use anchor_lang::prelude::Pubkey;
    use ifund::keeper::{plan, PlanParams, Skip};
    use insurance_fund::state::{asset_flags, Fund, LiquidityClass, OracleSource, RebalanceConfig};

    const NOW: i64 = 1_000_000;
    const ONE: u64 = 1_000_000;

    /// USDC (fixed 1.00) 800, USDT (Pyth 1.00, no spread) 100, LST (Pyth 1.00) 100 whole
    /// tokens; targets 50/30/20, band 2 %.
    fn fund() -> Box<Fund> {
        let mut f: Box<Fund> = Box::new(bytemuck::Zeroable::zeroed());
        f.governance = Pubkey::new_from_array([1; 32]);
        f.numeraire_decimals = 6;
        f.max_price_age_secs = 120;
        f.max_pause_secs = 86_400;
        f.rebalance = RebalanceConfig {
            band_bps: 200,
            start_premium_bps: 10,
            max_premium_bps: 110,
            max_discount_bps: 0,
            auction_duration_secs: 1_000,
            window_secs: 86_400,
            max_volume_per_window: 1_000_000 * ONE,
            premium_budget_per_window: 10_000 * ONE,
            min_trade_value: ONE,
            crisis: Default::default(),
        };
        f.asset_count = 3;
        for (k, (balance, target, class)) in [
            (800, 5_000, LiquidityClass::Liquid),
            (100, 3_000, LiquidityClass::Liquid),
            (100, 2_000, LiquidityClass::YieldBearing),
        ]
        .into_iter()
        .enumerate()
        {
            let a = &mut f.assets[k];
            a.mint = Pubkey::new_from_array([10 + k as u8; 32]);
            a.decimals = 6;
            a.booked_balance = balance * ONE;
            a.target_bps = target;
            a.max_weight_bps = 9_000;
            a.class = class as u8;
            a.flags = asset_flags::ALL;
            if k == 0 {
                a.oracle.source = OracleSource::Fixed as u8;
                a.oracle.fixed_price = 1;
            } else {
                a.oracle.source = OracleSource::PythPull as u8;
                a.price.lower = 100_000_000;
                a.price.upper = 100_000_000;
                a.price.expo = -8;
                a.price.publish_time = NOW;
            }
        }
        f
    }

    fn started(mut f: Box<Fund>) -> Box<Fund> {
        f.assets[0].over_since = NOW - 500; // premium 10 + 100 * 500 / 1000 = 60 bps
        f.assets[1].under_since = NOW - 500;
        f.assets[2].under_since = NOW - 500;
        f
    }

    const P: PlanParams = PlanParams {
        cost: 0,
        min_profit: 0,
    };

    #[test]
    fn every_skip_has_its_reason() {
        assert_eq!(
            plan(&fund(), NOW, &[0; 3], P).unwrap_err(),
            Skip::AuctionsNotStarted
        );
        assert_eq!(
            plan(&started(fund()), NOW, &[0; 3], P).unwrap_err(),
            Skip::NoInventory
        );
        let mut stale = started(fund());
        stale.assets[2].price.publish_time = NOW - 121;
        assert_eq!(
            plan(&stale, NOW, &[ONE; 3], P).unwrap_err(),
            Skip::StalePrices { mask: 0b100 }
        );
        let mut paused = started(fund());
        paused.paused = 2;
        paused.pause_expires_at = NOW + 1;
        assert_eq!(
            plan(&paused, NOW, &[ONE; 3], P).unwrap_err(),
            Skip::RebalancesPaused
        );
        let mut balanced = fund();
        for (k, b) in [500, 300, 200].into_iter().enumerate() {
            balanced.assets[k].booked_balance = b * ONE;
        }
        assert_eq!(
            plan(&balanced, NOW, &[ONE; 3], P).unwrap_err(),
            Skip::InBands
        );
        let greedy = PlanParams {
            cost: 0,
            min_profit: 1_000_000 * ONE,
        };
        assert!(matches!(
            plan(&started(fund()), NOW, &[1_000 * ONE; 3], greedy).unwrap_err(),
            Skip::Unprofitable { .. }
        ));
    }

    #[test]
    fn the_best_fill_reduces_distance_the_most_within_inventory() {
        let f = started(fund());
        let p = plan(&f, NOW, &[1_000 * ONE; 3], P).unwrap();
        // USDT is 20 points under target, LST 10: delivering USDT reduces the distance most
        assert_eq!((p.asset_in, p.asset_out), (1, 0));
        assert_eq!(p.premium_bps, 60);
        assert!(p.distance_after_bps < p.distance_before_bps);
        assert!(p.expected_profit > 0);
        // within a small inventory the fill is capped by it
        let small = plan(&f, NOW, &[0, 7 * ONE, 0], P).unwrap();
        assert_eq!((small.asset_in, small.amount_in), (1, 7 * ONE));
        // the premium value is the fund's: value in times the premium, rounded down
        assert_eq!(small.quote.premium_value, 7 * ONE as u128 * 60 / 10_000);
    }
}

/// A keeper's crank leaves out a feed the program would refuse (here every Pyth feed, stale
/// after a long quiet spell) instead of failing the whole refresh: fixed-price assets are
/// still refreshed, and each refused feed is named with the program's reason.
#[test]
fn the_crank_leaves_out_a_dead_feed_and_refreshes_the_rest() {
    let s = Scenario::parse(SCENARIO, "planner").unwrap();
    let mut sim = Sim::setup(&s).unwrap();
    sim.advance(&s, 1).unwrap();
    let fund_key = sim.fund_key();
    let oracles = sim.oracle_accounts();
    let prices =
        move |k: usize, _: &insurance_fund::state::Asset| oracles.get(k).copied().flatten();
    let fund = load_fund(sim.chain(), &fund_key).unwrap();
    let now = sim.chain().clock().unwrap().unix_timestamp;
    let all = insurance_fund_client::remaining::all_assets_mask(&fund);
    let (mask, refused) = ifund::keeper::live_price_mask(sim.chain(), &fund, &prices, now).unwrap();
    assert_eq!((mask, refused.len()), (all, 0), "{refused:?}");
    // an hour later nobody has published: every Pyth feed is stale
    sim.chain().set_clock(now + 3_600).unwrap();
    let (mask, refused) =
        ifund::keeper::live_price_mask(sim.chain(), &fund, &prices, now + 3_600).unwrap();
    let pyth: Vec<usize> = fund
        .registered_assets()
        .iter()
        .enumerate()
        .filter(|(_, a)| a.oracle.source == insurance_fund::state::OracleSource::PythPull as u8)
        .map(|(k, _)| k)
        .collect();
    assert!(!pyth.is_empty());
    for k in &pyth {
        assert_eq!(mask & (1 << k), 0);
    }
    assert_eq!(
        refused,
        pyth.iter()
            .map(|&k| (k, "OracleStale".to_string()))
            .collect::<Vec<_>>()
    );
    // the round's crank goes through on what is left
    let keeper_accounts = ifund::keeper::KeeperAccounts {
        signer: sim.keeper(0).signer.insecure_clone(),
        token_accounts: sim.keeper(0).token_accounts.clone(),
    };
    let opts = RoundOptions {
        send: SendOptions::default(),
        params: PlanParams {
            cost: 0,
            min_profit: u64::MAX,
        },
        dry_run: false,
        crank: true,
        swap_pools: vec![],
        jupiter: None,
    };
    let (crank, _) = round(sim.chain(), &fund_key, &keeper_accounts, &prices, &opts).unwrap();
    assert!(crank.unwrap().is_ok());
}
