//! The many-path report: the distribution table, the baseline comparison, fan charts of NAV
//! and the liquid share over paths, histograms of time to pay and rebalancing cost, and the
//! binding-limit chart of the crisis hours. Self-contained SVG drawn here; the data behind
//! every chart is embedded as JSON (`<script type="application/json" id="ifund-data">`).

use crate::paths::PathsResult;
use crate::simulate::Binding;
use std::fmt::Write;

const W: f64 = 760.0;
const H: f64 = 240.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 30.0;
const BINDING_COLORS: [&str; 10] = [
    "#c7e9c0", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#1f77b4", "#e377c2",
    "#7f7f7f", "#bcbd22",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn money(v: f64) -> String {
    let grouped = crate::status::group_thousands(&(v.abs().round() as u64).to_string());
    if v < 0.0 && grouped != "0" {
        format!("-{grouped}")
    } else {
        grouped
    }
}

fn tick(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The frame of a chart: opening tag, title, y grid with ticks, x ticks, axis label.
fn frame(
    id: &str,
    title: &str,
    y_label: &str,
    y: (f64, f64),
    x: (f64, f64),
    x_unit: &str,
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}"><style>.title{{font:600 13px sans-serif}}.tick,.legend{{font:10px sans-serif;fill:#555}}</style><text x="{LEFT}" y="16" class="title">{t}</text>"#,
        t = esc(title)
    );
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    for k in 0..=4 {
        let v = y.0 + (y.1 - y.0) * f64::from(k) / 4.0;
        let yy = TOP + ph * (1.0 - f64::from(k) / 4.0);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 4.0,
            yy + 4.0,
            tick(v)
        );
    }
    for k in 0..=6 {
        let v = x.0 + (x.1 - x.0) * f64::from(k) / 6.0;
        let xx = LEFT + pw * f64::from(k) / 6.0;
        let _ = write!(
            s,
            r#"<text x="{xx:.1}" y="{:.1}" class="tick" text-anchor="middle">{}{}</text>"#,
            H - 12.0,
            tick(v),
            if k == 6 { x_unit } else { "" }
        );
    }
    let _ = write!(
        s,
        r#"<text x="12" y="{:.1}" class="tick" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
        TOP + ph / 2.0,
        TOP + ph / 2.0,
        esc(y_label)
    );
    s
}

fn legend(s: &mut String, k: usize, color: &str, name: &str) {
    let lx = LEFT + 8.0 + 118.0 * (k % 6) as f64;
    let ly = TOP + 6.0 + 12.0 * (k / 6) as f64;
    // on a white patch, so the legend stays readable over bars
    let _ = write!(
        s,
        r##"<rect x="{:.1}" y="{:.1}" width="114" height="11" fill="#fff" fill-opacity="0.85"/><rect x="{lx:.1}" y="{ly:.1}" width="10" height="6" fill="{color}"/><text x="{:.1}" y="{:.1}" class="legend">{}</text>"##,
        lx - 2.0,
        ly - 2.5,
        lx + 14.0,
        ly + 6.0,
        esc(name)
    );
}

/// A fan chart: the 5–95 and 25–75 percentile bands and the median over paths, per step.
fn fan(
    id: &str,
    title: &str,
    y_label: &str,
    hours: &[f64],
    fan: &[[f64; 5]],
    line: Option<(f64, &str)>,
    events: &[(f64, String)],
) -> String {
    let x_max = hours.last().copied().unwrap_or(1.0).max(1.0);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for q in fan {
        lo = lo.min(q[0]);
        hi = hi.max(q[4]);
    }
    if let Some((v, _)) = line {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 1e-3).max(1e-9);
    let (lo, hi) = (lo - pad, hi + pad);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |t: f64| LEFT + pw * t / x_max;
    let y = |v: f64| TOP + ph * (1.0 - (v - lo) / (hi - lo));
    let mut s = frame(id, title, y_label, (lo, hi), (0.0, x_max / 24.0), " d");
    for (t, label) in events {
        if *t <= x_max {
            let _ = write!(
                s,
                r##"<line class="event" x1="{0:.1}" x2="{0:.1}" y1="{TOP}" y2="{1:.1}" stroke="#999" stroke-dasharray="2,3"><title>{2}</title></line>"##,
                x(*t),
                TOP + ph,
                esc(label)
            );
        }
    }
    for (band, (a, b), opacity) in [("p5-p95", (0, 4), 0.18), ("p25-p75", (1, 3), 0.35)] {
        let mut pts: Vec<String> = hours
            .iter()
            .zip(fan)
            .map(|(t, q)| format!("{:.1},{:.1}", x(*t), y(q[b])))
            .collect();
        pts.extend(
            hours
                .iter()
                .zip(fan)
                .rev()
                .map(|(t, q)| format!("{:.1},{:.1}", x(*t), y(q[a]))),
        );
        let _ = write!(
            s,
            r##"<polygon class="fan" data-series="{band}" fill="#1f77b4" fill-opacity="{opacity}" stroke="none" points="{}"/>"##,
            pts.join(" ")
        );
    }
    let median: Vec<String> = hours
        .iter()
        .zip(fan)
        .map(|(t, q)| format!("{:.1},{:.1}", x(*t), y(q[2])))
        .collect();
    let _ = write!(
        s,
        r##"<polyline class="series" data-series="median" fill="none" stroke="#1f77b4" stroke-width="1.5" points="{}"/>"##,
        median.join(" ")
    );
    legend(&mut s, 0, "#1f77b4", "median, 25-75, 5-95 %");
    if let Some((v, name)) = line {
        let _ = write!(
            s,
            r##"<line class="series" data-series="{}" x1="{LEFT}" x2="{:.1}" y1="{2:.1}" y2="{2:.1}" stroke="#d62728" stroke-dasharray="6,4"/>"##,
            esc(name),
            LEFT + pw,
            y(v)
        );
        legend(&mut s, 2, "#d62728", name);
    }
    s.push_str("</svg>");
    s
}

/// A histogram of `values` in `bins` equal bins.
fn histogram(
    id: &str,
    title: &str,
    y_label: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
) -> String {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u32; bins];
    for v in values {
        let b = (((v - lo) / width) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let top = f64::from(counts.iter().copied().max().unwrap_or(1).max(1));
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut s = frame(id, title, y_label, (0.0, top), (lo, hi), x_label);
    for (b, c) in counts.iter().enumerate() {
        let h = ph * f64::from(*c) / top;
        let _ = write!(
            s,
            r##"<rect class="bar" data-count="{c}" data-from="{:.3}" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="#1f77b4"/>"##,
            lo + width * b as f64,
            LEFT + pw * b as f64 / bins as f64 + 1.0,
            TOP + ph - h,
            (pw / bins as f64 - 2.0).max(1.0),
        );
    }
    s.push_str("</svg>");
    s
}

/// Stacked bars: per crisis hour, the share of paths by binding limit.
fn bindings(r: &PathsResult) -> String {
    let n = r.binding_counts.len().max(1);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut s = frame(
        "bindings",
        "What bound conversion, each hour from the first claim (share of paths)",
        "% of paths",
        (0.0, 100.0),
        (r.binding_start, r.binding_start + n as f64),
        " h",
    );
    let used: Vec<usize> = (0..Binding::ALL.len())
        .filter(|&b| r.binding_counts.iter().any(|c| c[b] > 0))
        .collect();
    for (j, counts) in r.binding_counts.iter().enumerate() {
        let total = f64::from(counts.iter().sum::<u32>().max(1));
        let mut acc = 0.0;
        for &b in &used {
            let share = f64::from(counts[b]) / total;
            if share == 0.0 {
                continue;
            }
            let h = ph * share;
            let _ = write!(
                s,
                r#"<rect class="bar" data-limit="{}" data-hour="{j}" data-count="{}" x="{:.2}" y="{:.2}" width="{:.2}" height="{h:.2}" fill="{}"/>"#,
                Binding::ALL[b].label(),
                counts[b],
                LEFT + pw * j as f64 / n as f64,
                TOP + ph * (1.0 - acc) - h,
                (pw / n as f64).max(0.5),
                BINDING_COLORS[b]
            );
            acc += share;
        }
    }
    for (k, &b) in used.iter().enumerate() {
        legend(&mut s, k, BINDING_COLORS[b], Binding::ALL[b].label());
    }
    s.push_str("</svg>");
    s
}

/// The distribution table, the time-to-pay line and the baseline table as plain text.
pub fn summary(r: &PathsResult) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} paths of {} days ({} steps each), seeds {}..{}, {} threads, {:.1} s ({:.2} paths/s)",
        r.label,
        r.paths,
        r.days,
        r.steps,
        r.first_seed,
        r.first_seed + u64::from(r.paths) - 1,
        r.threads,
        r.seconds,
        f64::from(r.paths) / r.seconds.max(1e-9)
    );
    let _ = writeln!(s);
    let w = r
        .distributions
        .iter()
        .map(|d| d.name.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let _ = writeln!(
        s,
        "{:<w$}  {:>12} {:>12} {:>12} {:>12}  {:>10}  unit",
        "metric", "p5", "median", "p95", "worst", "worst seed"
    );
    for d in &r.distributions {
        let _ = writeln!(
            s,
            "{:<w$}  {:>12} {:>12} {:>12} {:>12}  {:>10}  {}",
            d.name,
            fmt(d.p5),
            fmt(d.p50),
            fmt(d.p95),
            fmt(d.worst),
            d.worst_seed,
            d.unit
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "P(a shortfall unpaid after 24 h) = {:.1} %, after 72 h = {:.1} %",
        r.p_unpaid_24h * 100.0,
        r.p_unpaid_72h * 100.0
    );
    let _ = writeln!(
        s,
        "time to pay over all shortfalls: p50 {:.0} h, p95 {:.0} h, max {:.0} h",
        r.time_to_pay[0], r.time_to_pay[1], r.time_to_pay[2]
    );
    if r.refused_hours.is_empty() {
        let _ = writeln!(s, "refused-draw hours: none");
    } else {
        let _ = writeln!(s, "refused-draw hours per path (mean), by reason:");
        for (k, v) in &r.refused_hours {
            let _ = writeln!(s, "  {v:>8.2}  {k}");
        }
    }
    let _ = writeln!(
        s,
        "hours a draw was refused for a price while the liquid vaults held value: {}",
        r.refused_oracle_with_liquid
    );
    if !r.refused_refreshes.is_empty() {
        let _ = writeln!(
            s,
            "refused price refreshes per path (mean asset-hours), by error:"
        );
        for (k, v) in &r.refused_refreshes {
            let _ = writeln!(s, "  {v:>8.2}  {k}");
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<38} {:>9} {:>9} {:>10} {:>8} {:>8} {:>9} {:>9} {:>12}",
        "fund (medians over paths)",
        "paid 24h",
        "paid 72h",
        "stable 24h",
        "P>24h",
        "P>72h",
        "p95 pay",
        "cost bps",
        "final NAV"
    );
    for b in &r.baselines {
        let _ = writeln!(
            s,
            "{:<38} {:>8.0}% {:>8.0}% {:>9.0}% {:>7.1}% {:>7.1}% {:>8.0}h {:>9.1} {:>12}",
            b.name,
            b.paid_share_24h,
            b.paid_share_72h,
            b.stable_paid_share_24h,
            b.p_unpaid_24h * 100.0,
            b.p_unpaid_72h * 100.0,
            b.time_to_pay_p95,
            b.cost_vs_mid_bps,
            money(b.final_nav)
        );
    }
    if !r.binding_counts.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "binding limit over the crisis hours (all paths):");
        let mut totals = vec![0u64; Binding::ALL.len()];
        for c in &r.binding_counts {
            for (k, v) in c.iter().enumerate() {
                totals[k] += u64::from(*v);
            }
        }
        let all = totals.iter().sum::<u64>().max(1) as f64;
        for (k, t) in totals.iter().enumerate().filter(|(_, t)| **t > 0) {
            let _ = writeln!(
                s,
                "  {:>5.1} %  {}",
                *t as f64 / all * 100.0,
                Binding::ALL[k].label()
            );
        }
    }
    s
}

fn fmt(v: f64) -> String {
    let v = if v.abs() < 1e-9 { 0.0 } else { v }; // no "-0.0"
    if v.abs() >= 10_000.0 {
        money(v)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The self-contained HTML report of a many-path run.
pub fn html(r: &PathsResult) -> String {
    let mut charts = String::new();
    charts.push_str(&fan(
        "nav-fan",
        "NAV over paths (fund valuation)",
        "numeraire",
        &r.hours,
        &r.nav_fan,
        None,
        &r.events,
    ));
    let liquid: Vec<[f64; 5]> = r.liquid_fan.iter().map(|q| q.map(|v| v / 100.0)).collect();
    charts.push_str(&fan(
        "liquid-fan",
        "Liquid share over paths",
        "% of NAV",
        &r.hours,
        &liquid,
        Some((f64::from(r.min_liquid_bps) / 100.0, "floor")),
        &r.events,
    ));
    charts.push_str(&histogram(
        "ttp-hist",
        "Time to pay, every shortfall of every path",
        "shortfalls",
        " h",
        &r.time_to_pay_all,
        24,
    ));
    charts.push_str(&histogram(
        "cost-hist",
        "Rebalancing cost vs mid per path (bps of volume)",
        "paths",
        " bps",
        &r.cost_vs_mid_all,
        24,
    ));
    if !r.binding_counts.is_empty() {
        charts.push_str(&bindings(r));
    }

    let mut dist = String::from(
        "<table class=\"distributions\"><tr><th>metric</th><th>p5</th><th>median</th><th>p95</th><th>worst</th><th>worst seed</th><th>unit</th></tr>",
    );
    for d in &r.distributions {
        let _ = write!(
            dist,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d.name),
            fmt(d.p5),
            fmt(d.p50),
            fmt(d.p95),
            fmt(d.worst),
            d.worst_seed,
            esc(&d.unit)
        );
    }
    dist.push_str("</table>");
    let mut base = String::from(
        "<table class=\"baselines\"><tr><th>fund (medians)</th><th>paid 24 h</th><th>paid 72 h</th><th>stablecoins 24 h</th><th>P unpaid &gt; 24 h</th><th>P unpaid &gt; 72 h</th><th>p95 time to pay</th><th>cost vs mid</th><th>final NAV</th></tr>",
    );
    for b in &r.baselines {
        let _ = write!(
            base,
            "<tr><td>{}</td><td>{:.0} %</td><td>{:.0} %</td><td>{:.0} %</td><td>{:.1} %</td><td>{:.1} %</td><td>{:.0} h</td><td>{:.1} bps</td><td>{}</td></tr>",
            esc(&b.name),
            b.paid_share_24h,
            b.paid_share_72h,
            b.stable_paid_share_24h,
            b.p_unpaid_24h * 100.0,
            b.p_unpaid_72h * 100.0,
            b.time_to_pay_p95,
            b.cost_vs_mid_bps,
            money(b.final_nav)
        );
    }
    base.push_str("</table>");

    let data = serde_json::json!({
        "label": r.label,
        "paths": r.paths,
        "first_seed": r.first_seed,
        "hours": r.hours,
        "nav_fan": r.nav_fan,
        "liquid_fan_bps": r.liquid_fan,
        "time_to_pay": r.time_to_pay_all,
        "cost_vs_mid_bps": r.cost_vs_mid_all,
        "bindings": {
            "labels": Binding::ALL.iter().map(|b| b.label()).collect::<Vec<_>>(),
            "start_hour_from_claim": r.binding_start,
            "counts": r.binding_counts,
        },
        "distributions": r.distributions,
        "baselines": r.baselines,
        "p_unpaid_24h": r.p_unpaid_24h,
        "p_unpaid_72h": r.p_unpaid_72h,
        "refused_hours": r.refused_hours,
        "refused_refreshes": r.refused_refreshes,
        "seeds": r.records.iter().map(|x| x.metrics.seed).collect::<Vec<_>>(),
    });
    let data = data.to_string().replace("</", "<\\/");
    let summary = esc(&summary(r));
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ifund risk report: {label}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 800px; color: #222; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin-top: 28px; }}
table {{ border-collapse: collapse; margin: 8px 0; font-size: 13px; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; }}
pre {{ font-size: 11px; overflow-x: auto; }}
.chart {{ display: block; margin: 10px 0; }}
</style></head>
<body>
<h1>Risk report: {label}, {paths} paths</h1>
<p>Each path runs the real program in an embedded Solana runtime with its own seed (price moves,
shock sizes, keeper order). Atomic keepers buy what they deliver and sell what they receive
through a constant-product pool per asset. Replay any path alone with
<code>ifund simulate --scenario {label} --seed SEED</code>.</p>
<h2>Distributions over paths</h2>
{dist}
<h2>Against the baselines (same market paths and claims)</h2>
{base}
<h2>Charts</h2>
{charts}
<h2>Summary (text)</h2>
<pre>{summary}</pre>
<script type="application/json" id="ifund-data">{data}</script>
</body></html>
"#,
        label = esc(&r.label),
        paths = r.paths,
    )
}
