//! `ifund status`: the fund's state as a readable table, from any [`Chain`].

use crate::chain::{load_fund, Chain};
use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, Discriminator};
use insurance_fund::constants::QUEUED_CHANGE_GRACE_SECS;
use insurance_fund::instructions::NavReport;
use insurance_fund::math::rebalance::{imbalance_masks, open_pairs};
use insurance_fund::state::{
    pause_flags, Fund, LiquidityClass, OracleSource, PendingChange, ShortfallStatus,
};
use insurance_fund_client::{decode, pda};
use std::collections::HashMap;
use std::fmt::Write;

/// How many of the most recent shortfall ids status looks at.
const SHORTFALLS_SCANNED: u64 = 64;

/// Renders the fund at `fund_key`; `labels` names mints (e.g. from a simulation).
pub fn render(
    chain: &mut dyn Chain,
    fund_key: &Pubkey,
    labels: &HashMap<Pubkey, String>,
) -> anyhow::Result<String> {
    let fund = load_fund(chain, fund_key)?;
    let now = chain.clock()?.unix_timestamp;
    let first = fund
        .draw_state
        .shortfall_count
        .saturating_sub(SHORTFALLS_SCANNED);
    let ids: Vec<u64> = (first..fund.draw_state.shortfall_count).collect();
    let keys: Vec<Pubkey> = ids
        .iter()
        .map(|id| pda::shortfall_address(fund_key, *id))
        .collect();
    let shortfalls = chain
        .get_accounts(&keys)?
        .into_iter()
        .flatten()
        .filter_map(|a| decode::shortfall(&a.data).ok())
        .collect::<Vec<_>>();
    let mut text = render_fund(fund_key, &fund, now, &shortfalls, labels, &chain.describe());
    let filters = [
        (0, PendingChange::DISCRIMINATOR.to_vec()),
        (8, fund_key.to_bytes().to_vec()),
    ];
    let queued = chain
        .find_program_accounts(&insurance_fund::ID, &filters)?
        .map(|found| {
            found
                .into_iter()
                .filter_map(|(key, a)| {
                    let record = PendingChange::try_deserialize(&mut a.data.as_slice()).ok()?;
                    Some((key, record))
                })
                .collect::<Vec<_>>()
        });
    text.push_str(&render_queued(&fund, now, queued.as_deref()));
    Ok(text)
}

/// The changes governance queued behind the timelock (pure: tests assert on its text).
/// `None`: the chain cannot list them.
pub fn render_queued(fund: &Fund, now: i64, queued: Option<&[(Pubkey, PendingChange)]>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nQueued configuration changes (timelock {} s)",
        fund.timelock_secs
    );
    match queued {
        None => {
            let _ = writeln!(
                s,
                "  not listed: this chain cannot search accounts (use --url)"
            );
        }
        Some([]) => {
            let _ = writeln!(s, "  none");
        }
        Some(list) => {
            let mut list = list.to_vec();
            let tl = fund.timelock_secs;
            list.sort_by_key(|(_, r)| r.ready_at(tl));
            for (key, r) in list {
                let ready = r.ready_at(tl);
                // the program's rule (`timelock::authorize_change`); a claimant update's
                // target is the claimant record, not read here
                let superseded = r
                    .change
                    .target_seq(fund, None)
                    .ok()
                    .flatten()
                    .is_some_and(|seq| seq > r.queued_seq);
                let state = if r.governance_epoch != fund.governance_epoch {
                    "STALE (queued by a previous governance; can only be cancelled)".to_string()
                } else if superseded {
                    "SUPERSEDED (its target changed after it was queued; can only be cancelled)"
                        .to_string()
                } else if r.is_expired(tl, now) {
                    "EXPIRED (past its grace period; anyone may cancel it)".to_string()
                } else if now >= ready {
                    format!(
                        "executable now by anyone, until {}",
                        utc(ready.saturating_add(QUEUED_CHANGE_GRACE_SECS))
                    )
                } else {
                    format!("executable at {} (in {} s)", utc(ready), ready - now)
                };
                let _ = writeln!(s, "  {key}  {state}");
                let _ = writeln!(s, "    {:?}", r.change);
            }
        }
    }
    s
}

/// The table for a decoded fund at `now` (pure: tests assert on its text).
pub fn render_fund(
    fund_key: &Pubkey,
    fund: &Fund,
    now: i64,
    shortfalls: &[insurance_fund::state::Shortfall],
    labels: &HashMap<Pubkey, String>,
    source: &str,
) -> String {
    let nd = fund.numeraire_decimals;
    // the fill mode at `now` (triggers, terms, targets in force), valued once for the page
    let mode = fund.fill_mode(now);
    let unit = String::from_utf8_lossy(&fund.numeraire)
        .trim_end_matches('\0')
        .to_string();
    let name = |mint: &Pubkey| labels.get(mint).cloned().unwrap_or_else(|| short(mint));
    let mut s = String::new();
    let _ = writeln!(s, "Fund {fund_key}");
    let _ = writeln!(s, "  read from     {source} at {}", utc(now));
    let _ = writeln!(s, "  governance    {}", fund.governance);
    let _ = writeln!(
        s,
        "  guardian      {}",
        if fund.has_guardian() {
            fund.guardian.to_string()
        } else {
            "none".into()
        }
    );
    let _ = writeln!(
        s,
        "  pending       {}",
        if fund.has_pending_governance() {
            format!(
                "governance transfer to {} (awaiting accept_governance)",
                fund.pending_governance
            )
        } else {
            "no pending governance change".into()
        }
    );
    let paused = fund.active_pauses(now);
    let _ = writeln!(
        s,
        "  paused        {}",
        if paused == 0 {
            "nothing".to_string()
        } else {
            format!(
                "{} (until {})",
                pause_names(paused),
                utc(fund.pause_expires_at)
            )
        }
    );

    let report = match NavReport::build(fund, now) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(s, "  NAV           cannot be computed: {e}");
            return s;
        }
    };
    let stale = report.stale_assets;
    let _ = writeln!(
        s,
        "  NAV           {} {unit}{}",
        amount(report.nav, nd, 2),
        if stale != 0 {
            "  (STALE PRICES: not reliable until refreshed)"
        } else {
            ""
        }
    );
    let floor_ok = report.liquid_bps >= fund.min_liquid_bps;
    let _ = writeln!(
        s,
        "  liquid share  {} vs floor {}  {}",
        pct(report.liquid_bps.into()),
        pct(fund.min_liquid_bps.into()),
        if floor_ok { "ok" } else { "BELOW FLOOR" }
    );
    let band = fund.rebalance.band_bps;
    let _ = writeln!(
        s,
        "  distance      {} bps from targets (band {} bps per asset)",
        report.distance_bps, band
    );
    if fund.rebalance.is_configured() {
        let terms = mode.terms;
        let t = mode.triggers;
        let why = [
            (t.shortfall, "a shortfall is open".to_string()),
            (t.gapped, "a risk asset's price has gapped".to_string()),
            (
                t.held,
                format!(
                    "crisis hold until {}",
                    utc(fund
                        .crisis_seen_at
                        .saturating_add(i64::from(fund.rebalance.crisis.hold_secs)))
                ),
            ),
        ]
        .into_iter()
        .filter_map(|(on, why)| on.then_some(why))
        .collect::<Vec<_>>()
        .join(" and ");
        let _ = writeln!(
            s,
            "  mode          {}",
            if why.is_empty() {
                "normal".to_string()
            } else {
                format!(
                    "CRISIS ({why}): only fills raising the liquid share; {} terms{}",
                    if terms.crisis {
                        "crisis-profile"
                    } else {
                        "normal"
                    },
                    if mode.tilt.is_some() {
                        format!(
                            "; crisis targets (liquid assets {})",
                            pct(fund.rebalance.crisis.liquid_target_bps.into())
                        )
                    } else {
                        String::new()
                    }
                )
            }
        );
        let _ = writeln!(
            s,
            "  fill terms    volume cap {} {unit}, premium budget {} {unit} per {}s window, max premium {} bps, max discount {} bps, auction {}s",
            amount(u128::from(terms.max_volume_per_window), nd, 0),
            amount(u128::from(terms.premium_budget_per_window), nd, 0),
            fund.rebalance.window_secs,
            terms.auction.max_premium_bps,
            terms.max_discount_bps,
            terms.auction.duration_secs
        );
    }
    let _ = writeln!(s);

    let _ = writeln!(
        s,
        "  {:<12} {:<13} {:>20} {:>12} {:>8} {:>8} {:>8}  {:<6} {:>9}",
        "asset",
        "class",
        "balance",
        "price",
        "weight",
        "target",
        "cap",
        "state",
        "price age / state"
    );
    let assets = fund.rebalance_assets(mode.tilt);
    let n = fund.asset_count as usize;
    let weights = fund.weights_without(0, mode.tilt).ok();
    let (over, under) = weights
        .as_ref()
        .and_then(|w| imbalance_masks(w, &assets[..n], band).ok())
        .unwrap_or((0, 0));
    for (k, a) in fund.registered_assets().iter().enumerate() {
        let class = a.class().map_or("?", crate::names::class_name);
        let weight = report.weights_bps.get(k).copied().unwrap_or(0);
        let cap_state = if weight > a.max_weight_bps {
            "OVER CAP"
        } else if over & (1 << k) != 0 {
            "over"
        } else if under & (1 << k) != 0 {
            "under"
        } else {
            "in band"
        };
        let fixed = a.oracle.source == OracleSource::Fixed as u8;
        let price = price_string(a.lower_price().mantissa, a.lower_price().expo);
        let trigger = fund.rebalance.crisis.gap_trigger_bps;
        // the price state: how the program treats this price now
        let state = if a.is_retired() {
            " retired"
        } else if stale & (1 << k) != 0 {
            " STALE"
        } else if a.class != LiquidityClass::Liquid as u8 && a.price.has_gapped(trigger) {
            " GAPPED"
        } else if a.price.is_on_fallback() {
            // priced by its second source: the primary feed is stale or too uncertain
            " on fallback"
        } else if a.oracle.peg_band_bps > 0
            && a.price.lower == a.price.upper
            && a.price.publish_time > 0
        {
            " pegged"
        } else {
            ""
        };
        let age = if fixed {
            format!("fixed{state}")
        } else if a.price.publish_time == 0 {
            format!("never{state}")
        } else {
            let age = now.saturating_sub(a.price.publish_time);
            format!("{age}s{state}")
        };
        let _ = writeln!(
            s,
            "  {:<12} {:<13} {:>20} {:>12} {:>8} {:>8} {:>8}  {:<6} {:>9}",
            name(&a.mint),
            class,
            amount(u128::from(a.booked_balance), a.decimals, 2),
            price,
            pct(weight.into()),
            // the target in force (crisis targets while they apply)
            pct(assets[k].input.target_bps.into()),
            pct(a.max_weight_bps.into()),
            cap_state,
            age
        );
    }
    let _ = writeln!(s);

    // auctions: open pairs whose auction runs
    let mut auctions = vec![];
    let open = weights.as_ref().map(|w| {
        open_pairs(w, &assets[..n], band)
            .filter(|p| fund.pair_started(p.i, p.o, (p.out_over_band, p.in_under_band)))
            .map(|p| (p.i, p.o))
            .collect::<Vec<_>>()
    });
    for (i, o) in open.unwrap_or_default() {
        let (ai, ao) = (&fund.assets[i], &fund.assets[o]);
        let start = fund.pair_auction_start(i, o);
        let p = fund.pair_premium_bps(&mode.terms, i, o, now);
        auctions.push(format!(
            "    {} in, {} out: running since {} ({}), premium now {} bps",
            name(&ai.mint),
            name(&ao.mint),
            utc(start),
            ago(now - start),
            p
        ));
    }
    let _ = writeln!(
        s,
        "  open auctions: {}",
        if auctions.is_empty() {
            "none".to_string()
        } else {
            auctions.len().to_string()
        }
    );
    for a in auctions {
        let _ = writeln!(s, "{a}");
    }
    let rs = &fund.rebalance_state;
    let _ = writeln!(
        s,
        "  keeper fills:  {} (volume {} {unit}, premium paid {} {unit})",
        rs.fills,
        amount(rs.total_volume.into(), nd, 0),
        amount(rs.total_premium.into(), nd, 2)
    );

    let open: Vec<_> = shortfalls
        .iter()
        .filter(|x| x.status == ShortfallStatus::Open)
        .collect();
    let _ = writeln!(
        s,
        "  open shortfalls: {}{}",
        if open.is_empty() {
            "none".to_string()
        } else {
            open.len().to_string()
        },
        if fund.draw_state.open_shortfalls > 0 {
            " (shortfall mode: only liquidity-raising fills)"
        } else {
            ""
        }
    );
    for x in open {
        let _ = writeln!(
            s,
            "    #{}: declared {} {unit}, paid {}, remaining {}, {} (declared {})",
            x.id,
            amount(x.declared.into(), nd, 2),
            amount(x.paid.into(), nd, 2),
            amount(x.remaining().into(), nd, 2),
            if !x.needs_approval {
                "drawable"
            } else if x.approved {
                "approved"
            } else {
                "AWAITING APPROVAL"
            },
            utc(x.declared_at)
        );
    }
    let _ = writeln!(
        s,
        "  draws paid:    {} {unit} in total, {} shortfalls declared",
        amount(fund.draw_state.total_drawn.into(), nd, 2),
        fund.draw_state.shortfall_count
    );
    s
}

fn pause_names(flags: u8) -> String {
    let mut v = vec![];
    if flags & pause_flags::DEPOSITS != 0 {
        v.push("deposits");
    }
    if flags & pause_flags::REBALANCES != 0 {
        v.push("rebalances");
    }
    if flags & pause_flags::DECLARATIONS != 0 {
        v.push("declarations");
    }
    v.join(", ")
}

/// `a1b2…z9` for a key.
pub fn short(k: &Pubkey) -> String {
    let s = k.to_string();
    format!("{}…{}", &s[..4], &s[s.len() - 4..])
}

/// bps as a percentage with two decimals.
fn pct(bps: u32) -> String {
    format!("{}.{:02}%", bps / 100, bps % 100)
}

/// `atoms` with `decimals` shown to `shown` decimals (truncated), thousands separated.
pub fn amount(atoms: u128, decimals: u8, shown: u8) -> String {
    let scale = 10u128.pow(u32::from(decimals));
    let whole = atoms / scale;
    let frac = atoms % scale;
    let mut out = group_thousands(&whole.to_string());
    let shown = shown.min(decimals);
    if shown > 0 {
        let f = frac / 10u128.pow(u32::from(decimals - shown));
        let _ = write!(out, ".{:0width$}", f, width = usize::from(shown));
    }
    out
}

/// A digit string with thousands separators: `1234567` -> `1,234,567`.
pub fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn price_string(mantissa: u64, expo: i32) -> String {
    if expo >= 0 {
        return (u128::from(mantissa) * 10u128.pow(expo as u32)).to_string();
    }
    let d = (-expo) as u8;
    amount(u128::from(mantissa), d.min(30), d.min(4))
}

fn ago(secs: i64) -> String {
    if secs < 120 {
        format!("{secs}s ago")
    } else if secs < 7200 {
        format!("{}m ago", secs / 60)
    } else if secs < 172_800 {
        format!("{}h ago", secs / 3600)
    } else {
        format!("{}d ago", secs / 86_400)
    }
}

/// A unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // civil-from-days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_767_225_600), "2026-01-01 00:00:00 UTC");
        assert_eq!(amount(1_234_567_891, 6, 2), "1,234.56");
        assert_eq!(amount(5, 0, 2), "5");
        assert_eq!(pct(5_012), "50.12%");
        assert_eq!(price_string(100_000_000, -8), "1.0000");
    }
}
