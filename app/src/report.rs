//! The simulation's outputs: a plain-text summary table and a self-contained HTML report with
//! SVG charts drawn here (no scripts, no external files). The charts' data is also embedded
//! as JSON (`<script type="application/json" id="ifund-data">`, data only) for other tools.

use crate::simulate::SimResult;
use std::fmt::Write;

const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];
/// Most points drawn per series (the metrics use every step).
const MAX_POINTS: usize = 730;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Indices of at most `MAX_POINTS` samples, evenly spaced, always with the last one.
fn stride(n: usize) -> Vec<usize> {
    if n == 0 {
        return vec![];
    }
    let step = n.div_ceil(MAX_POINTS).max(1);
    let mut idx: Vec<usize> = (0..n).step_by(step).collect();
    if *idx.last().expect("non-empty") != n - 1 {
        idx.push(n - 1);
    }
    idx
}

struct Series<'a> {
    name: &'a str,
    color: &'a str,
    dashed: bool,
    points: Vec<(f64, f64)>,
}

struct Chart<'a> {
    id: &'a str,
    title: String,
    y_label: &'a str,
    x_max: f64,
    y_min: f64,
    y_max: f64,
    series: Vec<Series<'a>>,
    /// A shaded horizontal band (low, high).
    band: Option<(f64, f64)>,
    /// Vertical event markers (x, label).
    events: &'a [(f64, String)],
}

impl Chart<'_> {
    fn svg(&self) -> String {
        let (w, h) = (760.0, 240.0);
        let (left, right, top, bottom) = (64.0, 12.0, 28.0, 30.0);
        let pw = w - left - right;
        let ph = h - top - bottom;
        let span = (self.y_max - self.y_min).max(1e-12);
        let x = |t: f64| left + pw * (t / self.x_max.max(1e-12));
        let y = |v: f64| top + ph * (1.0 - (v - self.y_min) / span);
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg id="{}" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}">"#,
            self.id,
            esc(&self.title)
        );
        // styles inside the SVG, so a chart stands alone outside the report too
        s.push_str(
            "<style>.title{font:600 13px sans-serif}.tick,.legend{font:10px sans-serif;fill:#555}</style>",
        );
        let _ = write!(
            s,
            r#"<text x="{left}" y="16" class="title">{}</text>"#,
            esc(&self.title)
        );
        if let Some((lo, hi)) = self.band {
            let (y1, y2) = (y(hi.min(self.y_max)), y(lo.max(self.y_min)));
            let _ = write!(
                s,
                r##"<rect class="band" x="{left}" y="{y1:.1}" width="{pw}" height="{:.1}" fill="#2ca02c" fill-opacity="0.12"/>"##,
                (y2 - y1).max(0.0)
            );
        }
        // axes and grid: 5 horizontal lines, ticks in days
        for k in 0..=4 {
            let v = self.y_min + span * f64::from(k) / 4.0;
            let yy = y(v);
            let _ = write!(
                s,
                r##"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" class="tick" text-anchor="end">{}</text>"##,
                left + pw,
                left - 4.0,
                yy + 4.0,
                fmt_tick(v)
            );
        }
        let days = self.x_max / 24.0;
        let day_step = nice_step(days / 6.0);
        let mut d = 0.0;
        while d <= days + 1e-9 {
            let xx = x(d * 24.0);
            let _ = write!(
                s,
                r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{top}" y2="{}" stroke="#eee"/><text x="{xx:.1}" y="{}" class="tick" text-anchor="middle">{}</text>"##,
                top + ph,
                h - 12.0,
                if d == 0.0 {
                    "day 0".to_string()
                } else {
                    format!("{d:.0}")
                }
            );
            d += day_step;
        }
        let _ = write!(
            s,
            r#"<text x="12" y="{:.1}" class="tick" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
            top + ph / 2.0,
            top + ph / 2.0,
            esc(self.y_label)
        );
        for (t, label) in self.events {
            if *t > self.x_max {
                continue;
            }
            let xx = x(*t);
            let _ = write!(
                s,
                r##"<line class="event" x1="{xx:.1}" x2="{xx:.1}" y1="{top}" y2="{}" stroke="#999" stroke-dasharray="2,3"><title>{}</title></line>"##,
                top + ph,
                esc(label)
            );
        }
        for (k, ser) in self.series.iter().enumerate() {
            let pts: Vec<String> = ser
                .points
                .iter()
                .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(v.clamp(self.y_min, self.y_max))))
                .collect();
            let dash = if ser.dashed {
                r#" stroke-dasharray="6,4""#
            } else {
                ""
            };
            let _ = write!(
                s,
                r#"<polyline class="series" data-series="{}" fill="none" stroke="{}" stroke-width="1.5"{dash} points="{}"/>"#,
                esc(ser.name),
                ser.color,
                pts.join(" ")
            );
            let lx = left + 8.0 + 150.0 * k as f64;
            let _ = write!(
                s,
                r#"<rect x="{lx:.1}" y="{:.1}" width="10" height="3" fill="{}"/><text x="{:.1}" y="{:.1}" class="legend">{}</text>"#,
                top + 6.0,
                ser.color,
                lx + 14.0,
                top + 10.0,
                esc(ser.name)
            );
        }
        s.push_str("</svg>");
        s
    }
}

fn nice_step(raw: f64) -> f64 {
    for s in [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 90.0, 180.0, 365.0] {
        if s >= raw {
            return s;
        }
    }
    raw.ceil()
}

fn fmt_tick(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Rounded bounds for a chart of `values`, padded.
fn bounds(values: impl Iterator<Item = f64>, floor_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if floor_zero {
        lo = lo.min(0.0);
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 1e-3).max(1e-9);
    (if floor_zero { lo } else { lo - pad }, hi + pad)
}

/// Whole numeraire units, rounded, thousands separated.
fn money(v: f64) -> String {
    let grouped = crate::status::group_thousands(&(v.abs().round() as u64).to_string());
    if v < 0.0 && grouped != "0" {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// The metrics as (label, value) rows, shared by the text summary and the report.
pub fn metric_rows(r: &SimResult) -> Vec<(String, String)> {
    let m = &r.metrics;
    let hours = |h: Option<f64>| h.map_or("-".to_string(), |h| format!("{h:.0} h"));
    let mut rows = vec![
        (
            "days simulated (steps)".into(),
            format!("{} ({})", m.days, m.steps),
        ),
        ("seed".into(), m.seed.to_string()),
        (
            "NAV start -> end".into(),
            format!("{} -> {}", money(m.initial_nav), money(m.final_nav)),
        ),
        (
            "distance to targets, mean".into(),
            format!("{:.1} bps", m.mean_distance_bps),
        ),
        (
            "distance to targets, max".into(),
            format!("{} bps", m.max_distance_bps),
        ),
        (
            "time below liquidity floor".into(),
            format!(
                "{:.2} % (floor {} bps)",
                m.time_below_floor * 100.0,
                m.min_liquid_bps
            ),
        ),
        (
            "keeper premium, total".into(),
            money(m.keeper_premium_total),
        ),
        (
            "keeper premium, bps of NAV per year".into(),
            format!("{:.2} bps", m.keeper_premium_bps_per_year),
        ),
        (
            "keeper fills (volume)".into(),
            format!("{} ({})", m.fills, money(m.rebalance_volume)),
        ),
        ("fees deposited".into(), money(m.fees_deposited)),
        (
            "shortfalls declared / paid".into(),
            format!(
                "{} / {}",
                money(m.shortfall_declared),
                money(m.shortfall_paid)
            ),
        ),
        (
            "time to pay, mean / max".into(),
            format!(
                "{} / {}",
                hours(m.mean_hours_to_pay),
                hours(m.max_hours_to_pay)
            ),
        ),
        (
            "transactions (failed)".into(),
            format!("{} ({})", m.transactions, m.failed_transactions),
        ),
    ];
    rows.extend(path_rows(&r.path));
    rows
}

/// The risk figures of one path as (label, value) rows.
pub fn path_rows(p: &crate::simulate::PathMetrics) -> Vec<(String, String)> {
    let mut rows = vec![];
    if p.first_claim_hour.is_some() {
        let per = |v: &[f64; 4]| {
            v.iter()
                .map(|x| format!("{:.0} %", (x * 100.0).max(0.0) + 0.0))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        rows.push((
            "paid within 1/6/24/72 h of first claim".into(),
            per(&p.paid_share),
        ));
        rows.push(("  of which stablecoins".into(), per(&p.stable_paid_share)));
        rows.push((
            "stablecoins deliverable 1/6/24/72 h".into(),
            per(&p.stable_deliverable_share),
        ));
        rows.push((
            "unpaid after 24 h / 72 h".into(),
            format!(
                "{} / {}",
                if p.unpaid_24h { "yes" } else { "no" },
                if p.unpaid_72h { "yes" } else { "no" }
            ),
        ));
    }
    let refused: u32 = p.refused_hours.values().sum();
    rows.push((
        "refused-draw hours".into(),
        if refused == 0 {
            "0".into()
        } else {
            p.refused_hours
                .iter()
                .map(|(k, v)| format!("{v} h {k}"))
                .collect::<Vec<_>>()
                .join("; ")
        },
    ));
    rows.push((
        "refused price refreshes (asset-hours)".into(),
        if p.refused_refreshes.is_empty() {
            "0".into()
        } else {
            p.refused_refreshes
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join("; ")
        },
    ));
    rows.push((
        "  draws price-refused with liquid value".into(),
        format!("{} h", p.refused_oracle_with_liquid),
    ));
    rows.push((
        "rebalancing cost vs mid (volume)".into(),
        format!("{:.1} bps ({})", p.cost_vs_mid_bps, money(p.volume_mid)),
    ));
    rows.push((
        "keepers' pool cost vs mid".into(),
        format!("{:.1} bps of volume", p.pool_cost_bps),
    ));
    rows.push((
        "stablecoins into risk, 48 h before a claim".into(),
        money(p.stables_into_risk_before_claim),
    ));
    rows.push((
        "raised in 24 h from first claim (cost)".into(),
        format!(
            "{:.1} % of NAV ({:.1} bps vs mid)",
            p.raised_24h_share * 100.0,
            p.raised_24h_cost_bps
        ),
    ));
    for b in &p.baselines {
        rows.push((
            format!("baseline: {}", b.name),
            format!(
                "paid 24 h {:.0} %, 72 h {:.0} %; cost {:.1} bps; NAV {}",
                b.paid_share[2] * 100.0,
                b.paid_share[3] * 100.0,
                b.cost_vs_mid_bps,
                money(b.final_nav)
            ),
        ));
    }
    rows
}

/// The end-of-run summary table (plain text).
pub fn summary_table(r: &SimResult) -> String {
    let rows = metric_rows(r);
    let w = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut s = String::new();
    let _ = writeln!(s, "{:<w$}  value", "metric");
    let _ = writeln!(s, "{}  {}", "-".repeat(w), "-".repeat(30));
    for (l, v) in &rows {
        let _ = writeln!(s, "{l:<w$}  {v}");
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<12} {:>6} {:>7} {:>7} {:>14} {:>12}",
        "keeper", "fills", "failed", "cranks", "premium", "fees paid"
    );
    for k in &r.keepers {
        let _ = writeln!(
            s,
            "{:<12} {:>6} {:>7} {:>7} {:>14} {:>12.2}",
            k.name,
            k.fills,
            k.failed,
            k.cranks,
            money(k.premium),
            k.costs
        );
    }
    if !r.shortfalls.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<10} {:>14} {:>14} {:>10} {:>12} {:>6}",
            "shortfall", "declared", "paid", "at day", "time to pay", "draws"
        );
        for x in &r.shortfalls {
            let _ = writeln!(
                s,
                "{:<10} {:>14} {:>14} {:>10.1} {:>12} {:>6}",
                x.id,
                money(x.declared),
                money(x.paid),
                x.declared_hour / 24.0,
                x.hours_to_pay
                    .map_or("open".to_string(), |h| format!("{h:.0} h")),
                x.draws
            );
        }
    }
    s
}

/// The self-contained HTML report.
pub fn html(r: &SimResult) -> String {
    let idx = stride(r.samples.len());
    let x_max = r.samples.last().map_or(1.0, |s| s.t_hours).max(1.0);
    let pick = |f: &dyn Fn(&crate::simulate::Sample) -> f64| -> Vec<(f64, f64)> {
        idx.iter()
            .map(|&i| (r.samples[i].t_hours, f(&r.samples[i])))
            .collect()
    };
    let mut charts = String::new();

    // weights vs targets and bands, one chart per asset
    let band = f64::from(r.band_bps) / 100.0;
    for (k, name) in r.asset_names.iter().enumerate() {
        let target = f64::from(r.targets_bps[k]) / 100.0;
        let cap = f64::from(r.max_weights_bps[k]) / 100.0;
        let weights = pick(&|s| f64::from(s.weights_bps.get(k).copied().unwrap_or(0)) / 100.0);
        let (lo, hi) = bounds(
            weights.iter().map(|p| p.1).chain([
                target - band,
                target + band,
                cap.min(target + 3.0 * band),
            ]),
            false,
        );
        let y_max = hi.min(100.0);
        let mut series = vec![
            Series {
                name: "weight",
                color: COLORS[k % COLORS.len()],
                dashed: false,
                points: weights,
            },
            Series {
                name: "target",
                color: "#333",
                dashed: true,
                points: vec![(0.0, target), (x_max, target)],
            },
        ];
        // the cap only when it is within the chart (the title always states it)
        if cap <= y_max {
            series.push(Series {
                name: "cap",
                color: "#d62728",
                dashed: true,
                points: vec![(0.0, cap), (x_max, cap)],
            });
        }
        let id = format!("weights-{k}");
        let chart = Chart {
            id: &id,
            title: format!(
                "{name}: weight vs target {target:.1} % (band ±{band:.1} %, cap {cap:.1} %)"
            ),
            y_label: "% of NAV",
            x_max,
            y_min: lo.max(0.0),
            y_max,
            series,
            band: Some((target - band, target + band)),
            events: &r.events,
        };
        charts.push_str(&chart.svg());
    }

    // NAV
    let nav = pick(&|s| s.nav);
    let (lo, hi) = bounds(nav.iter().map(|p| p.1), false);
    charts.push_str(
        &Chart {
            id: "nav",
            title: "NAV (conservative: lower price bounds after haircuts)".into(),
            y_label: "numeraire",
            x_max,
            y_min: lo,
            y_max: hi,
            series: vec![Series {
                name: "NAV",
                color: COLORS[0],
                dashed: false,
                points: nav,
            }],
            band: None,
            events: &r.events,
        }
        .svg(),
    );

    // liquid share vs floor
    let floor = f64::from(r.metrics.min_liquid_bps) / 100.0;
    let liquid = pick(&|s| f64::from(s.liquid_bps) / 100.0);
    let (lo, hi) = bounds(liquid.iter().map(|p| p.1).chain([floor]), false);
    charts.push_str(
        &Chart {
            id: "liquid",
            title: format!("Liquid share vs floor {floor:.1} %"),
            y_label: "% of NAV",
            x_max,
            y_min: lo.max(0.0),
            y_max: hi.min(100.0),
            series: vec![
                Series {
                    name: "liquid share",
                    color: COLORS[2],
                    dashed: false,
                    points: liquid,
                },
                Series {
                    name: "floor",
                    color: "#d62728",
                    dashed: true,
                    points: vec![(0.0, floor), (x_max, floor)],
                },
            ],
            band: None,
            events: &r.events,
        }
        .svg(),
    );

    // premiums and draws
    let premium = pick(&|s| s.premium_total);
    let (_, hi) = bounds(premium.iter().map(|p| p.1), true);
    charts.push_str(
        &Chart {
            id: "premium",
            title: "Keeper premium paid (cumulative)".into(),
            y_label: "numeraire",
            x_max,
            y_min: 0.0,
            y_max: hi,
            series: vec![Series {
                name: "premium",
                color: COLORS[4],
                dashed: false,
                points: premium,
            }],
            band: None,
            events: &r.events,
        }
        .svg(),
    );
    let drawn = pick(&|s| s.drawn_total);
    let (_, hi) = bounds(drawn.iter().map(|p| p.1), true);
    charts.push_str(
        &Chart {
            id: "draws",
            title: "Draws paid to claimants (cumulative)".into(),
            y_label: "numeraire",
            x_max,
            y_min: 0.0,
            y_max: hi,
            series: vec![Series {
                name: "drawn",
                color: COLORS[1],
                dashed: false,
                points: drawn,
            }],
            band: None,
            events: &r.events,
        }
        .svg(),
    );

    // prices, relative to the start
    let first = r
        .samples
        .first()
        .map(|s| s.prices.clone())
        .unwrap_or_default();
    let price_series: Vec<Series> = r
        .asset_names
        .iter()
        .enumerate()
        .map(|(k, name)| Series {
            name,
            color: COLORS[k % COLORS.len()],
            dashed: false,
            points: pick(&|s| {
                s.prices.get(k).copied().unwrap_or(0.0)
                    / first.get(k).copied().unwrap_or(1.0).max(1e-12)
            }),
        })
        .collect();
    let (lo, hi) = bounds(
        price_series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1)),
        false,
    );
    charts.push_str(
        &Chart {
            id: "prices",
            title: "Prices relative to the start (oracle spot)".into(),
            y_label: "x start",
            x_max,
            y_min: lo,
            y_max: hi,
            series: price_series,
            band: None,
            events: &r.events,
        }
        .svg(),
    );

    // tables
    let mut metrics =
        String::from("<table class=\"metrics\"><tr><th>metric</th><th>value</th></tr>");
    for (l, v) in metric_rows(r) {
        let _ = write!(metrics, "<tr><td>{}</td><td>{}</td></tr>", esc(&l), esc(&v));
    }
    metrics.push_str("</table>");
    let mut keepers = String::from(
        "<table><tr><th>keeper</th><th>fills</th><th>failed</th><th>cranks</th><th>premium earned</th><th>fees paid</th></tr>",
    );
    for k in &r.keepers {
        let _ = write!(
            keepers,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td></tr>",
            esc(&k.name),
            k.fills,
            k.failed,
            k.cranks,
            money(k.premium),
            k.costs
        );
    }
    keepers.push_str("</table>");
    let mut shortfalls = String::from(
        "<table><tr><th>id</th><th>declared</th><th>paid</th><th>day</th><th>time to pay</th><th>draws</th></tr>",
    );
    for x in &r.shortfalls {
        let _ = write!(
            shortfalls,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
            x.id,
            money(x.declared),
            money(x.paid),
            x.declared_hour / 24.0,
            x.hours_to_pay
                .map_or("open".to_string(), |h| format!("{h:.0} h")),
            x.draws
        );
    }
    shortfalls.push_str("</table>");
    let mut events = String::from("<ul>");
    for (t, l) in &r.events {
        let _ = write!(events, "<li>day {:.1}: {}</li>", t / 24.0, esc(l));
    }
    events.push_str("</ul>");

    // the charts' data, for other tools (JSON data block, not a script)
    let data = serde_json::json!({
        "assets": r.asset_names,
        "targets_bps": r.targets_bps,
        "band_bps": r.band_bps,
        "min_liquid_bps": r.metrics.min_liquid_bps,
        "t_hours": idx.iter().map(|&i| r.samples[i].t_hours).collect::<Vec<_>>(),
        "nav": idx.iter().map(|&i| r.samples[i].nav).collect::<Vec<_>>(),
        "weights_bps": idx.iter().map(|&i| r.samples[i].weights_bps.clone()).collect::<Vec<_>>(),
        "liquid_bps": idx.iter().map(|&i| r.samples[i].liquid_bps).collect::<Vec<_>>(),
        "distance_bps": idx.iter().map(|&i| r.samples[i].distance_bps).collect::<Vec<_>>(),
        "premium_total": idx.iter().map(|&i| r.samples[i].premium_total).collect::<Vec<_>>(),
        "drawn_total": idx.iter().map(|&i| r.samples[i].drawn_total).collect::<Vec<_>>(),
        "metrics": r.metrics,
    });
    let data = data.to_string().replace("</", "<\\/");

    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ifund simulation report</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 800px; color: #222; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin-top: 28px; }}
table {{ border-collapse: collapse; margin: 8px 0; font-size: 13px; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; }}
.chart {{ display: block; margin: 10px 0; font-size: 11px; }}
.chart .title {{ font-size: 13px; font-weight: 600; }}
.chart .tick, .chart .legend {{ font-size: 10px; fill: #555; }}
</style></head>
<body>
<h1>Insurance fund simulation ({name})</h1>
<p>The real program in an embedded Solana runtime (SPL Token and Token-2022 real), Pyth-format
prices, competing keepers running the keeper planner, and bad debt drawn through <code>draw</code>.
Dotted vertical lines mark scenario events.</p>
<h2>Summary</h2>
{metrics}
<h2>Keepers</h2>
{keepers}
<h2>Shortfalls</h2>
{shortfalls}
<h2>Events</h2>
{events}
<h2>Charts</h2>
{charts}
<script type="application/json" id="ifund-data">{data}</script>
</body></html>
"#,
        name = esc(&r.scenario_name),
    )
}
