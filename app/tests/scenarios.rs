//! The built-in stress scenarios, each run on the embedded runtime with a few paths; the
//! risk figures checked against what the scenario says; a many-path run replayed by seed;
//! the risk report's charts checked for data.

use ifund::paths::{run_paths, PathsOptions, PathsResult};
use ifund::scenario::{built_in, Scenario, BUILT_IN};
use ifund::simulate::{run, SimOptions};

fn scenario(name: &str) -> Scenario {
    Scenario::parse(built_in(name).unwrap(), name).unwrap()
}

fn paths(name: &str, days: u32, n: u32, out: &std::path::Path) -> PathsResult {
    run_paths(
        &scenario(name),
        &PathsOptions {
            days: Some(days),
            seed: None,
            paths: n,
            threads: Some(2),
            out: out.to_path_buf(),
            progress: false,
            label: name.into(),
        },
    )
    .unwrap()
}

#[test]
fn every_built_in_scenario_parses_and_names_its_file() {
    let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "default",
            "crash",
            "depeg",
            "oracle-outage",
            "lst-discount",
            "replays"
        ]
    );
    for (name, text) in BUILT_IN {
        let s = Scenario::parse(text, name).unwrap();
        let on_disk = std::fs::read_to_string(format!(
            "{}/scenarios/{name}.toml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(*text, on_disk, "{name} is the file beside default.toml");
        if *name != "default" {
            assert_eq!(s.simulation.step_secs, 3600, "{name} is hourly");
            assert!(!s.bad_debt.is_empty(), "{name} has claims");
        }
    }
    assert!(built_in("nope").is_none());
}

#[test]
fn crash_claims_follow_the_gap_in_the_same_hour() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("crash");
    let r = run(
        &s,
        &SimOptions {
            days: Some(4),
            seed: Some(11),
            out: dir.path().to_path_buf(),
            progress: false,
        },
    )
    .unwrap();
    // the first claim is declared at the gap's hour (day 3 = hour 72) ...
    let first = &r.shortfalls[0];
    assert_eq!(first.declared_hour, 72.0);
    // ... sized per_gap x jitoSOL's fall since day 2.9 (hour 69.6: the sample of hour 69)
    let k = r.asset_names.iter().position(|n| n == "jitoSOL").unwrap();
    let price = |h: f64| r.samples.iter().find(|x| x.t_hours == h).unwrap().prices[k];
    let fall = 1.0 - price(72.0) / price(69.0);
    assert!(fall > 0.15, "the gap happened: {fall}");
    assert!((first.declared - 5_700_000.0 * fall).abs() < 1.0);
    // and paid in full within the run, after governance's 2-hour approval
    assert_eq!(first.paid, first.declared);
    assert!(first.hours_to_pay.unwrap() >= 2.0);
    assert_eq!(r.metrics.failed_transactions, 0);
    assert_eq!(r.path.paid_share[0], 0.0, "nothing before the approval");
    assert!(r.path.paid_share[2] > 0.5);
    // the crisis profile turned risk assets into stablecoins in the day after the claim
    // (liquid target 95 %, crisis hold 24 h, set-back in proportion to each take): on this
    // path 21 % of the NAV at 29 bps against mid with keepers looking every 10 seconds (145
    // bps when they looked every 10 minutes at an hourly market; #17's benchmark: <= 150; the
    // medians are in app/README.md). The keepers' own pool fees are a floor under it: no
    // sale is free against mid
    assert!(
        r.path.raised_24h_share > 0.18,
        "{}",
        r.path.raised_24h_share
    );
    assert!(
        r.path.raised_24h_cost_bps > 10.0 && r.path.raised_24h_cost_bps < 60.0,
        "{}",
        r.path.raised_24h_cost_bps
    );
    // the two baselines ran on the same claims
    assert_eq!(r.path.baselines.len(), 2);
    assert_eq!(r.path.baselines[0].hours_to_pay.len(), r.shortfalls.len());
    assert_eq!(r.path.baselines[0].cost_vs_mid_bps, 0.0);
}

/// The worst of 1,000 crash paths before the concentration fix (session 9): its draws push
/// USDT over its 40 % cap, and the fund then refused every fill whose premium lowered the NAV,
/// raising 1.5 % of its NAV in the day after the claim and falling below its liquidity floor
/// for a third of the run. The bound now applies to the asset a fill adds to.
#[test]
fn the_worst_crash_path_keeps_converting_after_a_liquid_asset_passes_its_cap() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("crash");
    let r = run(
        &s,
        &SimOptions {
            days: Some(5),
            seed: Some(866),
            out: dir.path().to_path_buf(),
            progress: false,
        },
    )
    .unwrap();
    // USDT passed its cap during the draws
    let k = r.asset_names.iter().position(|n| n == "USDT").unwrap();
    let cap = s.assets[k].max_weight_bps;
    assert!(
        r.samples.iter().any(|x| x.weights_bps[k] > cap),
        "USDT never passed its cap: the path no longer tests the fix"
    );
    // ... and the fund kept selling risk assets for stablecoins (16.3 % on the full path)
    assert!(
        r.path.raised_24h_share > 0.10,
        "{}",
        r.path.raised_24h_share
    );
    assert!(
        r.samples
            .iter()
            .all(|x| x.liquid_bps >= s.fund.min_liquid_bps),
        "below the liquidity floor"
    );
}

#[test]
fn oracle_outage_refuses_the_dead_feeds_and_never_blocks_a_payable_draw() {
    let dir = tempfile::tempdir().unwrap();
    let r = paths("oracle-outage", 5, 2, dir.path());
    for rec in &r.records {
        let m = &rec.metrics;
        // the LP feed halted 24 h: every hour of it refused as stale; jitoSOL's confidence
        // at 300 bps against 200 for 12 h: refused as too wide
        assert_eq!(m.refused_refreshes.get("OracleStale"), Some(&24), "{m:?}");
        assert_eq!(
            m.refused_refreshes.get("OracleConfidenceTooWide"),
            Some(&12),
            "{m:?}"
        );
        // no draw was refused for a price while the liquid vaults could pay
        assert_eq!(m.refused_oracle_with_liquid, 0);
        assert!(m.claims > 0.0);
    }
    assert_eq!(r.refused_oracle_with_liquid, 0);
}

#[test]
fn the_other_scenarios_run_from_a_few_paths() {
    let dir = tempfile::tempdir().unwrap();
    for (name, days) in [
        ("depeg", 6),
        ("lst-discount", 10),
        ("replays", 15),
        ("default", 3),
    ] {
        let r = paths(name, days, 2, &dir.path().join(name));
        assert_eq!(r.paths, 2);
        assert_eq!(r.records.len(), 2);
        let steps = u64::from(days) * 24;
        assert_eq!(r.steps, steps);
        assert!(r.records.iter().all(|x| x.nav.len() as u64 == steps));
        if name != "default" {
            assert!(r.records.iter().all(|x| x.metrics.claims > 0.0), "{name}");
        }
    }
    // the depeg: keepers deliver USDC the fund books at par while it trades 8 % lower, so
    // the fund's rebalancing costs it far more than the premium against mid
    let depeg = std::fs::read_to_string(dir.path().join("depeg/summary.txt")).unwrap();
    assert!(depeg.contains("rebalancing cost vs mid"), "{depeg}");
}

/// The `<svg id="...">...</svg>` element of `id` in `html`.
fn svg<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<svg id=\"{id}\""))
        .unwrap_or_else(|| panic!("chart {id} missing"));
    let end = start + html[start..].find("</svg>").unwrap();
    &html[start..end]
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn many_paths_give_distributions_a_replayable_worst_seed_and_a_report_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let r = paths("crash", 4, 3, &dir.path().join("p"));
    assert_eq!(r.first_seed, 7);
    let seeds: Vec<u64> = r.records.iter().map(|x| x.metrics.seed).collect();
    assert_eq!(seeds, [7, 8, 9]);
    // the worst final NAV and its seed, then that seed alone gives the same path
    let d = r
        .distributions
        .iter()
        .find(|d| d.name == "final NAV")
        .unwrap();
    assert!(d.p5 <= d.p50 && d.p50 <= d.p95);
    let worst = r
        .records
        .iter()
        .map(|x| x.metrics.final_nav)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(d.worst, worst);
    let replay = run(
        &scenario("crash"),
        &SimOptions {
            days: Some(4),
            seed: Some(d.worst_seed),
            out: dir.path().join("replay"),
            progress: false,
        },
    )
    .unwrap();
    assert_eq!(replay.path.final_nav, worst);
    assert_eq!(replay.metrics.seed, d.worst_seed);

    // the report: each chart present and drawn from data
    let html = std::fs::read_to_string(&r.report_path).unwrap();
    for id in ["nav-fan", "liquid-fan"] {
        let s = svg(&html, id);
        assert_eq!(count(s, "class=\"fan\""), 2, "{id}: two bands");
        let median = s.split("data-series=\"median\"").nth(1).unwrap();
        let points = median.split("points=\"").nth(1).unwrap();
        let points = &points[..points.find('"').unwrap()];
        assert_eq!(points.split(' ').count(), 96, "{id}: a point per hour");
    }
    for id in ["ttp-hist", "cost-hist"] {
        let s = svg(&html, id);
        let total: u32 = s
            .split("data-count=\"")
            .skip(1)
            .map(|x| x[..x.find('"').unwrap()].parse::<u32>().unwrap())
            .sum();
        let expect = if id == "ttp-hist" {
            r.time_to_pay_all.len() as u32
        } else {
            3
        };
        assert_eq!(total, expect, "{id}: every value in a bin");
    }
    let b = svg(&html, "bindings");
    assert!(count(b, "data-limit=") > 24, "a bar per crisis hour");
    assert!(html.contains("<table class=\"baselines\">"));
    assert_eq!(count(&html, "<tr><td>stablecoins only</td>"), 1);
    assert_eq!(count(&html, "<tr><td>DEX-rebalanced fund</td>"), 1);
    let start = html.find("id=\"ifund-data\">").unwrap() + "id=\"ifund-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    assert_eq!(data["nav_fan"].as_array().unwrap().len(), 96);
    assert_eq!(data["seeds"], serde_json::json!([7, 8, 9]));
    assert_eq!(data["baselines"].as_array().unwrap().len(), 3);

    // in a real browser when one is installed: the DOM it builds keeps every chart
    if let Some(browser) = ["chromium", "chromium-browser"].iter().find(|b| which(b)) {
        let out = std::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--dump-dom",
                &format!("file://{}", r.report_path.display()),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        for id in ["nav-fan", "liquid-fan", "ttp-hist", "cost-hist", "bindings"] {
            assert!(dom.contains(&format!("id=\"{id}\"")), "{id} in the DOM");
        }
        assert!(dom.contains("class=\"fan\""));
    }
}

fn which(bin: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
}
