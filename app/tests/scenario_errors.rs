//! A bad scenario file is refused with the field, the value and the reason.

use ifund::scenario::{Scenario, DEFAULT_SCENARIO};

fn err(text: &str) -> String {
    Scenario::parse(text, "test.toml").unwrap_err().to_string()
}

#[test]
fn the_built_in_scenario_is_valid() {
    let s = Scenario::parse(DEFAULT_SCENARIO, "default").unwrap();
    assert_eq!(s.simulation.days, 365);
    assert_eq!(s.assets.len(), 5);
    assert_eq!(
        s.assets
            .iter()
            .map(|a| u32::from(a.target_bps))
            .sum::<u32>(),
        10_000
    );
}

#[test]
fn targets_that_do_not_sum_to_10000_name_the_field_and_sum() {
    let text = DEFAULT_SCENARIO.replacen("target_bps = 3500", "target_bps = 3400", 1);
    let e = err(&text);
    assert!(e.contains("`assets[].target_bps` = sum 9900"), "{e}");
    assert!(e.contains("must sum to exactly 10000"), "{e}");
    assert!(e.starts_with("scenario test.toml:"), "{e}");
}

#[test]
fn an_out_of_range_value_names_the_asset_field_and_value() {
    let text = DEFAULT_SCENARIO.replacen("max_weight_bps = 6000", "max_weight_bps = 3000", 1);
    let e = err(&text);
    assert!(
        e.contains("`assets[0].max_weight_bps (USDC)` = 3000"),
        "{e}"
    );
    assert!(e.contains("target_bps"), "{e}");
}

#[test]
fn a_reference_to_an_unknown_asset_lists_the_assets() {
    let text =
        DEFAULT_SCENARIO.replacen("asset = \"USDT\"\nday = 60", "asset = \"DAI\"\nday = 60", 1);
    let e = err(&text);
    assert!(e.contains("`shocks[0].asset` = \"DAI\""), "{e}");
    assert!(
        e.contains("assets: USDC, USDT, jitoSOL, kUSDC, SOL-USDC LP"),
        "{e}"
    );
}

#[test]
fn a_typo_in_a_field_name_is_refused_by_name() {
    let text = DEFAULT_SCENARIO.replacen("band_bps = 250", "bandbps = 250", 1);
    let e = err(&text);
    assert!(e.contains("unknown field `bandbps`"), "{e}");
    assert!(e.contains("line"), "{e}");
}

#[test]
fn a_wrong_type_names_the_key() {
    let text = DEFAULT_SCENARIO.replacen("days = 365", "days = \"a year\"", 1);
    let e = err(&text);
    assert!(e.contains("days"), "{e}");
    assert!(e.contains("invalid type"), "{e}");
}

#[test]
fn an_unknown_class_is_refused_with_the_choices() {
    let text = DEFAULT_SCENARIO.replacen("class = \"illiquid\"", "class = \"frozen\"", 1);
    let e = err(&text);
    assert!(e.contains("frozen"), "{e}");
    assert!(e.contains("liquid"), "{e}");
}

#[test]
fn a_bad_debt_event_after_the_end_is_refused() {
    let text = DEFAULT_SCENARIO.replacen("day = 242", "day = 400", 1);
    let e = err(&text);
    assert!(e.contains("`bad_debt[1].day` = 400"), "{e}");
    assert!(e.contains("within the simulation (0 to 365)"), "{e}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let e = Scenario::load(std::path::Path::new("/nonexistent/s.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/s.toml"), "{e}");
    assert!(e.contains("cannot read the file"), "{e}");
}

#[test]
fn a_gap_linked_claim_without_its_asset_is_refused() {
    let crash = ifund::scenario::built_in("crash").unwrap();
    let text = crash.replacen("gap_asset = \"jitoSOL\"\n", "", 1);
    let e = err(&text);
    assert!(e.contains("`bad_debt[0].per_gap` = 5700000"), "{e}");
    assert!(e.contains("needs gap_asset"), "{e}");
}

#[test]
fn a_feed_fault_needs_a_feed_and_a_confidence_fault_its_width() {
    let outage = ifund::scenario::built_in("oracle-outage").unwrap();
    let text = outage.replacen(
        "asset = \"SOL-USDC LP\"\nday = 3\nhours = 24",
        "asset = \"USDC\"\nday = 3\nhours = 24",
        1,
    );
    let e = err(&text);
    assert!(e.contains("`oracle_faults[0].asset` = \"USDC\""), "{e}");
    assert!(e.contains("only an asset priced by a feed"), "{e}");
    let text = outage.replacen("conf_bps = 300", "conf_bps = 0", 1);
    let e = err(&text);
    assert!(e.contains("`oracle_faults[1].conf_bps` = 0"), "{e}");
}
