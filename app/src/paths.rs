//! `ifund simulate --paths N`: N seeds of a scenario over the machine's cores, one embedded
//! runtime per worker thread (each sets the fund up once and starts every path from the
//! captured accounts, `Sim::reset`), then the distribution of every metric over the paths:
//! quantiles, and the worst path with its seed (`--seed S` replays it alone).

use crate::scenario::Scenario;
use crate::simulate::{prepare, step_count, Binding, PathMetrics, Sim, HORIZONS};
use anyhow::Context;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// How to run many paths.
#[derive(Clone, Debug)]
pub struct PathsOptions {
    pub days: Option<u32>,
    /// First seed (path k uses `seed + k`); default: the scenario's.
    pub seed: Option<u64>,
    pub paths: u32,
    /// Worker threads (default: the machine's cores, at most `paths`).
    pub threads: Option<usize>,
    pub out: PathBuf,
    pub progress: bool,
    /// Scenario name for the report.
    pub label: String,
}

/// One path's figures plus the series the fan charts need.
#[derive(Clone, Debug, Serialize)]
pub struct PathRecord {
    pub metrics: PathMetrics,
    /// NAV and liquid share (bps) at every step.
    pub nav: Vec<f64>,
    pub liquid_bps: Vec<u16>,
}

/// A metric's distribution over the paths.
#[derive(Clone, Debug, Serialize)]
pub struct Distribution {
    pub name: String,
    pub unit: String,
    /// 5th, 50th and 95th percentiles (nearest rank).
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    /// The worst value and the seed of the path that had it.
    pub worst: f64,
    pub worst_seed: u64,
    /// Whether a higher value is worse.
    pub higher_is_worse: bool,
}

/// One row of the baseline comparison.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineRow {
    pub name: String,
    /// Medians over paths.
    pub paid_share_24h: f64,
    pub paid_share_72h: f64,
    pub stable_paid_share_24h: f64,
    pub p_unpaid_24h: f64,
    pub p_unpaid_72h: f64,
    pub time_to_pay_p95: f64,
    pub cost_vs_mid_bps: f64,
    pub final_nav: f64,
}

/// Everything a many-path run produced.
#[derive(Clone, Debug, Serialize)]
pub struct PathsResult {
    pub label: String,
    pub paths: u32,
    pub threads: usize,
    pub days: u32,
    pub steps: u64,
    pub first_seed: u64,
    pub seconds: f64,
    pub p_unpaid_24h: f64,
    pub p_unpaid_72h: f64,
    /// Over every shortfall of every path (unpaid ones count the hours they stayed open).
    pub time_to_pay: [f64; 3],
    pub distributions: Vec<Distribution>,
    /// Mean refused-draw hours per path, by reason.
    pub refused_hours: Vec<(String, f64)>,
    /// Mean asset-hours per path whose price refresh the program refuses, by error.
    pub refused_refreshes: Vec<(String, f64)>,
    /// Hours a draw was refused for a price reason while the liquid vaults held value, all
    /// paths together.
    pub refused_oracle_with_liquid: u64,
    pub baselines: Vec<BaselineRow>,
    /// Hour of each step (from the start).
    pub hours: Vec<f64>,
    /// Per step: NAV and liquid share (bps) quantiles 5/25/50/75/95 over paths.
    pub nav_fan: Vec<[f64; 5]>,
    pub liquid_fan: Vec<[f64; 5]>,
    /// Per crisis hour (from a day before the first claim): paths per binding limit, in the
    /// order of `Binding::ALL`.
    pub binding_counts: Vec<Vec<u32>>,
    /// Hours of `binding_counts[0]` relative to the first claim.
    pub binding_start: f64,
    pub time_to_pay_all: Vec<f64>,
    pub cost_vs_mid_all: Vec<f64>,
    pub asset_names: Vec<String>,
    pub min_liquid_bps: u16,
    pub events: Vec<(f64, String)>,
    pub records: Vec<PathRecord>,
    pub report_path: PathBuf,
}

/// Nearest-rank quantile of sorted `v` (0 when empty).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// Runs `opts.paths` paths of `scenario` in parallel and writes the report and summary.
pub fn run_paths(scenario: &Scenario, opts: &PathsOptions) -> anyhow::Result<PathsResult> {
    anyhow::ensure!(
        (1..=100_000).contains(&opts.paths),
        "--paths {}: must be between 1 and 100000",
        opts.paths
    );
    let s = prepare(scenario, opts.days, None)?;
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating the output directory {}", opts.out.display()))?;
    let first_seed = opts.seed.unwrap_or(s.simulation.seed);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = opts.threads.unwrap_or(cores).clamp(1, opts.paths as usize);
    let steps = step_count(&s);
    let started = std::time::Instant::now();
    let bar = if opts.progress {
        let bar = indicatif::ProgressBar::new(u64::from(opts.paths));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:40}] {pos}/{len} paths ({per_sec}, eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(format!("{} on {threads} threads", opts.label));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<anyhow::Result<(usize, PathRecord)>>();
    let mut records: Vec<Option<PathRecord>> = vec![None; opts.paths as usize];
    let mut first_error = None;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (s, next, stop) = (&s, &next, &stop);
            let n = opts.paths as usize;
            scope.spawn(move || {
                let mut sim = match Sim::setup(s) {
                    Ok(sim) => sim,
                    Err(e) => {
                        let _ = tx.send(Err(e.context("setting up a worker's fund")));
                        return;
                    }
                };
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= n || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let seed = first_seed.wrapping_add(k as u64);
                    let r = run_one(&mut sim, s, seed, steps)
                        .with_context(|| format!("path with seed {seed}"));
                    let failed = r.is_err();
                    if tx.send(r.map(|rec| (k, rec))).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(tx);
        for msg in rx {
            match msg {
                Ok((k, rec)) => {
                    records[k] = Some(rec);
                    bar.inc(1);
                }
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
            }
        }
    });
    bar.finish_and_clear();
    if let Some(e) = first_error {
        return Err(e);
    }
    let records: Vec<PathRecord> = records
        .into_iter()
        .map(|r| r.context("a path produced no result"))
        .collect::<anyhow::Result<_>>()?;
    let seconds = started.elapsed().as_secs_f64();
    let mut result = aggregate(&s, opts, records, threads, steps, first_seed, seconds);
    result.report_path = opts.out.join("report.html");
    std::fs::write(&result.report_path, crate::report_paths::html(&result))
        .with_context(|| format!("writing {}", result.report_path.display()))?;
    let summary_path = opts.out.join("summary.txt");
    std::fs::write(&summary_path, crate::report_paths::summary(&result))
        .with_context(|| format!("writing {}", summary_path.display()))?;
    Ok(result)
}

fn run_one(sim: &mut Sim, s: &Scenario, seed: u64, steps: u64) -> anyhow::Result<PathRecord> {
    sim.reset(s, seed)?;
    for step in 1..=steps {
        sim.step(s, step)?;
    }
    let r = sim.finish(s)?;
    Ok(PathRecord {
        nav: r.samples.iter().map(|x| x.nav).collect(),
        liquid_bps: r.samples.iter().map(|x| x.liquid_bps).collect(),
        metrics: r.path,
    })
}

fn dist(
    name: &str,
    unit: &str,
    higher_is_worse: bool,
    records: &[PathRecord],
    f: impl Fn(&PathMetrics) -> f64,
) -> Distribution {
    let values: Vec<(f64, u64)> = records
        .iter()
        .map(|r| (f(&r.metrics), r.metrics.seed))
        .collect();
    let v = sorted(values.iter().map(|x| x.0).collect());
    let worst = values
        .iter()
        .copied()
        .reduce(|a, b| {
            let b_worse = if higher_is_worse {
                b.0 > a.0
            } else {
                b.0 < a.0
            };
            if b_worse {
                b
            } else {
                a
            }
        })
        .unwrap_or((0.0, 0));
    Distribution {
        name: name.into(),
        unit: unit.into(),
        p5: quantile(&v, 0.05),
        p50: quantile(&v, 0.5),
        p95: quantile(&v, 0.95),
        worst: worst.0,
        worst_seed: worst.1,
        higher_is_worse,
    }
}

fn aggregate(
    s: &Scenario,
    opts: &PathsOptions,
    records: Vec<PathRecord>,
    threads: usize,
    steps: u64,
    first_seed: u64,
    seconds: f64,
) -> PathsResult {
    let n = records.len().max(1) as f64;
    let share = |f: &dyn Fn(&PathMetrics) -> bool| {
        records.iter().filter(|r| f(&r.metrics)).count() as f64 / n
    };
    let mut distributions = vec![];
    for (j, h) in HORIZONS.iter().enumerate() {
        distributions.push(dist(
            &format!("stablecoins deliverable within {h:.0} h / claims"),
            "%",
            false,
            &records,
            |m| m.stable_deliverable_share[j] * 100.0,
        ));
    }
    for (j, h) in HORIZONS.iter().enumerate() {
        distributions.push(dist(
            &format!("paid within {h:.0} h / claims"),
            "%",
            false,
            &records,
            |m| m.paid_share[j] * 100.0,
        ));
    }
    distributions.push(dist(
        "stablecoins paid within 24 h / claims",
        "%",
        false,
        &records,
        |m| m.stable_paid_share[2] * 100.0,
    ));
    distributions.push(dist(
        "time to pay, slowest shortfall",
        "h",
        true,
        &records,
        |m| m.hours_to_pay.iter().copied().fold(0.0, f64::max),
    ));
    distributions.push(dist("refused-draw hours", "h", true, &records, |m| {
        f64::from(m.refused_hours.values().sum::<u32>())
    }));
    distributions.push(dist(
        "stablecoins raised within 24 h / NAV before",
        "%",
        false,
        &records,
        |m| m.raised_24h_share * 100.0,
    ));
    distributions.push(dist(
        "cost of that raise vs mid",
        "bps of raised",
        true,
        &records,
        |m| m.raised_24h_cost_bps,
    ));
    distributions.push(dist(
        "rebalancing cost vs mid",
        "bps of volume",
        true,
        &records,
        |m| m.cost_vs_mid_bps,
    ));
    distributions.push(dist(
        "keepers' pool cost vs mid",
        "bps of volume",
        true,
        &records,
        |m| m.pool_cost_bps,
    ));
    distributions.push(dist(
        "keeper premium",
        "bps of NAV / year",
        true,
        &records,
        |m| m.premium_bps_per_year,
    ));
    distributions.push(dist(
        "stablecoins into risk assets, 48 h before a claim",
        "USD",
        true,
        &records,
        |m| m.stables_into_risk_before_claim,
    ));
    distributions.push(dist("claims declared", "USD", true, &records, |m| m.claims));
    distributions.push(dist("final NAV", "USD", false, &records, |m| m.final_nav));
    distributions.push(dist("lowest liquid share", "bps", false, &records, |m| {
        f64::from(m.min_liquid_bps)
    }));

    let all_ttp = sorted(
        records
            .iter()
            .flat_map(|r| r.metrics.hours_to_pay.iter().copied())
            .collect(),
    );
    let time_to_pay = [
        quantile(&all_ttp, 0.5),
        quantile(&all_ttp, 0.95),
        all_ttp.last().copied().unwrap_or(0.0),
    ];
    let mut refused: std::collections::BTreeMap<String, f64> = Default::default();
    let mut refreshes: std::collections::BTreeMap<String, f64> = Default::default();
    for r in &records {
        for (k, v) in &r.metrics.refused_hours {
            *refused.entry(k.clone()).or_insert(0.0) += f64::from(*v) / n;
        }
        for (k, v) in &r.metrics.refused_refreshes {
            *refreshes.entry(k.clone()).or_insert(0.0) += f64::from(*v) / n;
        }
    }

    // the fund and its baselines, medians over paths
    let median =
        |f: &dyn Fn(&PathRecord) -> f64| quantile(&sorted(records.iter().map(f).collect()), 0.5);
    let mut baselines = vec![BaselineRow {
        name: "this fund (auctions, atomic keepers)".into(),
        paid_share_24h: median(&|r| r.metrics.paid_share[2] * 100.0),
        paid_share_72h: median(&|r| r.metrics.paid_share[3] * 100.0),
        stable_paid_share_24h: median(&|r| r.metrics.stable_paid_share[2] * 100.0),
        p_unpaid_24h: share(&|m| m.unpaid_24h),
        p_unpaid_72h: share(&|m| m.unpaid_72h),
        time_to_pay_p95: time_to_pay[1],
        cost_vs_mid_bps: median(&|r| r.metrics.cost_vs_mid_bps),
        final_nav: median(&|r| r.metrics.final_nav),
    }];
    let nb = records.first().map_or(0, |r| r.metrics.baselines.len());
    for b in 0..nb {
        let ttp = sorted(
            records
                .iter()
                .flat_map(|r| r.metrics.baselines[b].hours_to_pay.iter().copied())
                .collect(),
        );
        baselines.push(BaselineRow {
            name: records[0].metrics.baselines[b].name.clone(),
            paid_share_24h: median(&|r| r.metrics.baselines[b].paid_share[2] * 100.0),
            paid_share_72h: median(&|r| r.metrics.baselines[b].paid_share[3] * 100.0),
            stable_paid_share_24h: median(&|r| r.metrics.baselines[b].stable_paid_share[2] * 100.0),
            p_unpaid_24h: share(&|m| m.baselines[b].unpaid_24h),
            p_unpaid_72h: share(&|m| m.baselines[b].unpaid_72h),
            time_to_pay_p95: quantile(&ttp, 0.95),
            cost_vs_mid_bps: median(&|r| r.metrics.baselines[b].cost_vs_mid_bps),
            final_nav: median(&|r| r.metrics.baselines[b].final_nav),
        });
    }

    // fans
    let len = records.iter().map(|r| r.nav.len()).min().unwrap_or(0);
    let fan = |f: &dyn Fn(&PathRecord, usize) -> f64| -> Vec<[f64; 5]> {
        (0..len)
            .map(|t| {
                let v = sorted(records.iter().map(|r| f(r, t)).collect());
                [
                    quantile(&v, 0.05),
                    quantile(&v, 0.25),
                    quantile(&v, 0.5),
                    quantile(&v, 0.75),
                    quantile(&v, 0.95),
                ]
            })
            .collect()
    };
    let nav_fan = fan(&|r, t| r.nav[t]);
    let liquid_fan = fan(&|r, t| f64::from(r.liquid_bps[t]));
    let step_h = f64::from(s.simulation.step_secs) / 3600.0;
    let hours: Vec<f64> = (1..=len).map(|t| t as f64 * step_h).collect();

    // binding limits per crisis hour, aligned on the first claim
    let mut binding_counts: Vec<Vec<u32>> = vec![];
    let mut binding_start = 0.0f64;
    let offsets: Vec<f64> = records
        .iter()
        .filter_map(|r| {
            r.metrics
                .first_claim_hour
                .map(|h0| r.metrics.crisis_start_hour - h0)
        })
        .collect();
    if let Some(min_off) = offsets.iter().copied().reduce(f64::min) {
        binding_start = min_off;
        for r in &records {
            let Some(h0) = r.metrics.first_claim_hour else {
                continue;
            };
            let shift = ((r.metrics.crisis_start_hour - h0 - min_off) / step_h).round() as usize;
            for (j, b) in r.metrics.bindings.iter().enumerate() {
                let idx = j + shift;
                if binding_counts.len() <= idx {
                    binding_counts.resize(idx + 1, vec![0; Binding::ALL.len()]);
                }
                let bi = Binding::ALL.iter().position(|x| x == b).unwrap_or(0);
                binding_counts[idx][bi] += 1;
            }
        }
    }

    let mut events = vec![];
    for sh in &s.shocks {
        events.push((
            sh.day * 24.0,
            if sh.name.is_empty() {
                sh.asset.clone()
            } else {
                sh.name.clone()
            },
        ));
    }
    for f in &s.oracle_faults {
        events.push((f.day * 24.0, format!("{} feed fault", f.asset)));
    }
    for b in &s.bad_debt {
        events.push((b.day * 24.0, "claim".to_string()));
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0));

    PathsResult {
        label: opts.label.clone(),
        paths: records.len() as u32,
        threads,
        days: s.simulation.days,
        steps,
        first_seed,
        seconds,
        p_unpaid_24h: share(&|m| m.unpaid_24h),
        p_unpaid_72h: share(&|m| m.unpaid_72h),
        time_to_pay,
        distributions,
        refused_hours: refused.into_iter().collect(),
        refused_refreshes: refreshes.into_iter().collect(),
        refused_oracle_with_liquid: records
            .iter()
            .map(|r| u64::from(r.metrics.refused_oracle_with_liquid))
            .sum(),
        baselines,
        hours,
        nav_fan,
        liquid_fan,
        binding_counts,
        binding_start,
        time_to_pay_all: all_ttp,
        cost_vs_mid_all: records.iter().map(|r| r.metrics.cost_vs_mid_bps).collect(),
        asset_names: s.assets.iter().map(|a| a.name.clone()).collect(),
        min_liquid_bps: s.fund.min_liquid_bps,
        events,
        records,
        report_path: PathBuf::new(),
    }
}
