//! A small scenario end to end: report, summary and state snapshot are written, the report
//! carries the charts and their data, and `status` reads the snapshot. Same seed, same report.

use ifund::chain::SnapshotChain;
use ifund::scenario::Scenario;
use ifund::simulate::{run, SimOptions};

fn small() -> Scenario {
    // the built-in scenario, two days long, with its first bad debt moved into them
    let text = ifund::scenario::DEFAULT_SCENARIO.replacen(
        "day = 120\namount = 250000",
        "day = 1\namount = 250000",
        1,
    );
    Scenario::parse(&text, "small").unwrap()
}

#[test]
fn a_small_simulation_writes_a_report_with_its_charts_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SimOptions {
        days: Some(2),
        seed: None,
        out: dir.path().join("a"),
        progress: false,
    };
    let r = run(&small(), &opts).unwrap();
    assert_eq!(r.metrics.steps, 48);
    assert!(r.metrics.transactions > 48, "a crank per step at least");
    assert_eq!(r.metrics.failed_transactions, 0);
    // the 250k shortfall (below the approval threshold) was paid in full
    assert_eq!(r.shortfalls.len(), 1);
    assert_eq!(r.shortfalls[0].paid, 250_000.0);
    assert!(r.shortfalls[0].hours_to_pay.is_some());
    assert_eq!(r.metrics.shortfall_paid, 250_000.0);

    let html = std::fs::read_to_string(&r.report_path).unwrap();
    for id in [
        "weights-0",
        "weights-4",
        "nav",
        "liquid",
        "premium",
        "draws",
        "prices",
    ] {
        assert!(
            html.contains(&format!("<svg id=\"{id}\"")),
            "chart {id} missing"
        );
    }
    assert!(html.contains("data-series=\"weight\""));
    assert!(html.contains("data-series=\"floor\""));
    assert!(html.contains("<script type=\"application/json\" id=\"ifund-data\">"));
    // the embedded data is the samples: 48 points of NAV, one weight vector each
    let start = html.find("id=\"ifund-data\">").unwrap() + "id=\"ifund-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    assert_eq!(data["nav"].as_array().unwrap().len(), 48);
    assert_eq!(data["weights_bps"][0].as_array().unwrap().len(), 5);
    assert_eq!(
        data["drawn_total"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_f64()
            .unwrap(),
        250_000.0
    );
    assert!(html.contains("SOL-USDC LP"));
    assert!(dir.path().join("a/summary.txt").exists());

    // status reads the snapshot
    let mut chain = SnapshotChain::open(&r.snapshot_path).unwrap();
    let fund = chain.fund;
    let labels = chain.labels.clone();
    let text = ifund::status::render(&mut chain, &fund, &labels).unwrap();
    assert!(text.contains("jitoSOL"), "{text}");
    assert!(
        text.contains("draws paid:    250,000.00 USD in total, 1 shortfalls declared"),
        "{text}"
    );

    // same seed, same report
    let again = run(
        &small(),
        &SimOptions {
            out: dir.path().join("b"),
            ..opts
        },
    )
    .unwrap();
    let html2 = std::fs::read_to_string(&again.report_path).unwrap();
    assert!(html == html2, "the same seed must give the same report");
}

/// `fills.csv` lists every fill the fund booked, and its volumes and costs make up the
/// summary's rebalancing cost against mid.
#[test]
fn fills_csv_lists_every_fill() {
    // the small scenario starting 6 points over-weight in jitoSOL and under in USDC, so the
    // keepers fill within the two days
    let text = ifund::scenario::DEFAULT_SCENARIO
        .replacen("initial_weight_bps = 3500", "initial_weight_bps = 2900", 1)
        .replacen("initial_weight_bps = 2000", "initial_weight_bps = 2600", 1);
    let dir = tempfile::tempdir().unwrap();
    let opts = SimOptions {
        days: Some(2),
        seed: None,
        out: dir.path().to_path_buf(),
        progress: false,
    };
    let r = run(&Scenario::parse(&text, "off-target").unwrap(), &opts).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("fills.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "hour,keeper,asset_in,asset_out,premium_bps,out_upper_over_mid_bps,\
         in_lower_under_mid_bps,volume_mid,cost_bps,pool_cost_bps"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(r.metrics.fills > 0, "the scenario makes the keepers fill");
    assert_eq!(rows.len() as u64, r.metrics.fills);
    assert_eq!(r.fills.len(), rows.len());
    let num = |x: &str| x.parse::<f64>().unwrap();
    let volume: f64 = rows.iter().map(|f| num(f[7])).sum();
    let cost: f64 = rows.iter().map(|f| num(f[7]) * num(f[8]) / 1e4).sum();
    assert!((volume - r.path.volume_mid).abs() < 0.01 * rows.len() as f64);
    assert!((cost / volume * 1e4 - r.path.cost_vs_mid_bps).abs() < 0.1);
    for f in &rows {
        assert_eq!(f.len(), 10);
        assert!(["fast", "patient", "small"].contains(&f[1]), "{f:?}");
        assert_ne!(f[2], f[3], "a fill swaps two different assets");
        // hours from the start; 48 steps, keepers looking within each
        assert!(num(f[0]) >= 0.0 && num(f[0]) < 49.0, "{f:?}");
    }
    // the over-weight jitoSOL is sold, for the under-weight USDC among others
    assert!(rows.iter().any(|f| f[3] == "jitoSOL"), "{rows:?}");
    assert!(rows.iter().any(|f| f[2] == "USDC"), "{rows:?}");
}

/// `[market] intra_step_prices`: the keepers' rounds within a step see the market move, and
/// the prices at the steps stay exactly those of the run without (the bridge draws from a
/// stream of its own).
#[test]
fn prices_within_a_step_leave_the_prices_at_the_steps_unchanged() {
    // off-target, so auctions run and the keepers look within the steps
    let base = ifund::scenario::DEFAULT_SCENARIO
        .replacen("initial_weight_bps = 3500", "initial_weight_bps = 2900", 1)
        .replacen("initial_weight_bps = 2000", "initial_weight_bps = 2600", 1);
    let bridged = base.clone();
    let base = base.replacen(
        "\nintra_step_prices = true",
        "\nintra_step_prices = false",
        1,
    );
    assert_ne!(base, bridged);
    let dir = tempfile::tempdir().unwrap();
    let run_of = |text: &str, out: &str| {
        let s = Scenario::parse(text, "s").unwrap();
        assert_eq!(s.market.intra_step_prices, text == bridged);
        let opts = SimOptions {
            days: Some(3),
            seed: None,
            out: dir.path().join(out),
            progress: false,
        };
        run(&s, &opts).unwrap()
    };
    let (plain, moving) = (run_of(&base, "plain"), run_of(&bridged, "moving"));
    assert_eq!(plain.samples.len(), moving.samples.len());
    for (a, b) in plain.samples.iter().zip(&moving.samples) {
        assert_eq!(a.prices, b.prices, "hour {}", a.t_hours);
    }
    // within the steps the market did move: the keepers' fills differ
    let fills = |r: &ifund::simulate::SimResult| {
        r.fills
            .iter()
            .map(|f| {
                (
                    f.hour.to_bits(),
                    f.volume_mid.to_bits(),
                    f.cost_bps.to_bits(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(!plain.fills.is_empty() && !moving.fills.is_empty());
    assert_ne!(fills(&plain), fills(&moving));
}

/// Keeper rounds within a step crank only when the crank changes an auction clock or a
/// crisis trigger, or comes with a fill (`[market] crank_every_look = false`, the default):
/// the run is the one that cranks at every look, fill for fill and sample for sample, with
/// fewer transactions.
#[test]
fn cranking_only_when_it_matters_changes_nothing_but_the_transactions() {
    // off-target, the market moving within the hour and the keepers looking every 2 minutes
    let lazy = ifund::scenario::DEFAULT_SCENARIO
        .replacen("initial_weight_bps = 3500", "initial_weight_bps = 2900", 1)
        .replacen("initial_weight_bps = 2000", "initial_weight_bps = 2600", 1)
        .replacen("keeper_rounds = 360", "keeper_rounds = 30", 1);
    let every = lazy.replacen(
        "keeper_rounds = 30",
        "keeper_rounds = 30\ncrank_every_look = true",
        1,
    );
    assert_ne!(lazy, every);
    let dir = tempfile::tempdir().unwrap();
    let run_of = |text: &str, out: &str| {
        let s = Scenario::parse(text, "s").unwrap();
        assert_eq!(s.market.crank_every_look, text == every);
        let opts = SimOptions {
            days: Some(2),
            seed: None,
            out: dir.path().join(out),
            progress: false,
        };
        run(&s, &opts).unwrap()
    };
    let (lazy, every) = (run_of(&lazy, "lazy"), run_of(&every, "every"));
    assert!(lazy.metrics.fills > 0, "the keepers fill");
    assert_eq!(lazy.metrics.fills, every.metrics.fills);
    assert_eq!(format!("{:?}", lazy.fills), format!("{:?}", every.fills));
    assert_eq!(
        format!("{:?}", lazy.samples),
        format!("{:?}", every.samples)
    );
    assert_eq!(format!("{:?}", lazy.path), format!("{:?}", every.path));
    assert_eq!(lazy.metrics.failed_transactions, 0);
    assert_eq!(every.metrics.failed_transactions, 0);
    assert!(
        lazy.metrics.transactions * 2 < every.metrics.transactions,
        "{} vs {} transactions",
        lazy.metrics.transactions,
        every.metrics.transactions
    );
}
