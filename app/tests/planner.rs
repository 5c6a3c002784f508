//! The keeper planner against the embedded runtime: a fund far off its targets is driven into
//! its bands by keeper rounds (refresh + sync + the planned fill), through the `Chain`
//! interface a cluster keeper uses.

use ifund::chain::{load_fund, SendOptions};
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

#[test]
fn keeper_rounds_drive_an_off_target_fund_into_its_bands() {
    let s = Scenario::parse(SCENARIO, "planner").unwrap();
    let mut sim = Sim::setup(&s).unwrap();
    let fund_key = sim.fund_key();
    let oracles = sim.oracle_accounts();
    let prices =
        move |k: usize, _: &insurance_fund::state::Asset| oracles.get(k).copied().flatten();
    let keeper = sim.keeper(0).signer.insecure_clone();
    let keeper_accounts = ifund::keeper::KeeperAccounts {
        signer: keeper,
        token_accounts: sim.keeper(0).token_accounts.clone(),
    };
    let opts = RoundOptions {
        send: SendOptions::default(),
        params: PlanParams {
            cost: 0,
            min_profit: 0,
        },
        dry_run: false,
        crank: true,
    };
    let out_of_band = |sim: &mut Sim| {
        let f = load_fund(sim.chain(), &fund_key).unwrap();
        let w = f.weights().unwrap();
        let assets = f.rebalance_assets();
        imbalance_masks(&w, &assets[..3], f.rebalance.band_bps).unwrap()
    };
    let (over, under) = out_of_band(&mut sim);
    assert_eq!(
        (over, under),
        (0b001, 0b110),
        "USDC over, USDT and LST under at the start"
    );

    let mut fills = 0;
    let mut distance = vec![];
    for step in 1..=60 {
        sim.advance(&s, step).unwrap();
        let (crank, outcome) =
            round(sim.chain(), &fund_key, &keeper_accounts, &prices, &opts).unwrap();
        assert!(crank.unwrap().is_ok());
        match outcome {
            RoundOutcome::Filled { fill, .. } => {
                fills += 1;
                assert!(fill.distance_after_bps < fill.distance_before_bps);
                assert!(fill.expected_profit >= 0);
                distance.push(fill.distance_after_bps);
            }
            RoundOutcome::Skipped(Skip::InBands) => break,
            RoundOutcome::Skipped(_) => {} // e.g. the premium still below the spread
            other => panic!("unexpected round outcome {other:?}"),
        }
    }
    assert!(fills >= 2, "took {fills} fills");
    assert_eq!(out_of_band(&mut sim), (0, 0), "every asset inside its band");
    // each fill reduced the distance further
    assert!(distance.windows(2).all(|w| w[1] <= w[0]), "{distance:?}");
    let f = load_fund(sim.chain(), &fund_key).unwrap();
    assert_eq!(f.rebalance_state.fills, fills);
    assert!(f.rebalance_state.total_premium > 0);
}
