//! The checks: what a successful step may have changed, and the invariants compared after
//! every step.

use super::*;

/// What a successful step may have changed, checked against the snapshots (distinct from
/// the program's `timelock::ChangeEffect`, whether a change loosens).
pub(super) enum StepEffect {
    /// Nothing that values the fund: booked balances and cached prices untouched.
    Neutral,
    Deposit(usize, u64),
    /// A refresh of the assets in the mask.
    Refresh(u16),
    Sync,
    Fill(PlannedFill),
    /// `(id, amount, needs_approval)` per declaration, and the claimant's approval bucket
    /// after them.
    Declare(Vec<(u64, u64, bool)>, Bucket),
    Draw(u64, PlannedDraw),
    /// A refresh of one asset from an update no newer than its cached price.
    Rollback,
}

// ---- exact share arithmetic for the fill bounds -------------------------------------------

/// `value / nav >= bps / 10_000`, exactly.
fn share_ge(value: u128, nav: u128, bps: u16) -> bool {
    value * 10_000 >= u128::from(bps) * nav
}

/// `sum_k |value_k * 10_000 - target_k * nav|` (over the denominator `nav`).
fn distance(w: &Weights, f: &Fund) -> u128 {
    (0..N)
        .map(|k| (w.values[k] * 10_000).abs_diff(u128::from(f.assets[k].target_bps) * w.nav))
        .sum()
}

impl Sm {
    /// The step succeeded: it changed exactly what it may, and the bounds hold.
    pub(super) fn check_effect(
        &self,
        op: &Op,
        b: &Snapshot,
        a: &Snapshot,
        effect: StepEffect,
        now: i64,
    ) {
        let (fb, fa) = (&b.fund, &a.fund);
        let vaults = self.vaults();
        let wb = fb.weights_without(0, None).unwrap();
        let wa = fa.weights_without(0, None).unwrap();
        let booked =
            |f: &Fund| -> Vec<u64> { (0..N).map(|k| f.assets[k].booked_balance).collect() };
        let prices = |f: &Fund| -> Vec<_> { (0..N).map(|k| f.assets[k].price).collect() };
        let moved = |k: usize| a.balance(&vaults[k]) as i128 - b.balance(&vaults[k]) as i128;
        // the auction clocks: settled by deposits, refreshes and draws, restarted for its pair
        // and settled for the rest by a fill, set by syncs (checked below), else untouched
        let expected = match &effect {
            StepEffect::Deposit(..)
            | StepEffect::Refresh(_)
            | StepEffect::Rollback
            | StepEffect::Draw(..) => settled_clocks(fb, fa, None),
            StepEffect::Fill(p) => settled_clocks(fb, fa, Some((p.i, p.o, now, p.stale))),
            StepEffect::Neutral | StepEffect::Declare(..) => clocks(fb),
            // at cached prices, stale or not
            StepEffect::Sync => synced_clocks(fb, now),
        };
        assert_eq!(
            clocks(fa),
            expected,
            "{op:?}: auction clocks (stale {:#b})",
            stale_set(fb, now)
        );
        match effect {
            StepEffect::Rollback => {
                // nothing moved: the vault was re-read (it matched) and the cache kept
                assert_eq!(booked(fb), booked(fa), "{op:?}: balances moved");
                assert_eq!(
                    prices(fb),
                    prices(fa),
                    "{op:?}: an update no newer than the cache replaced it"
                );
                assert_eq!(wb.nav, wa.nav, "{op:?}: NAV moved");
            }
            StepEffect::Neutral | StepEffect::Declare(..) | StepEffect::Sync => {
                assert_eq!(booked(fb), booked(fa), "{op:?}: balances moved");
                assert_eq!(prices(fb), prices(fa), "{op:?}: prices moved");
                assert_eq!(wb.nav, wa.nav, "{op:?}: NAV moved");
                if let StepEffect::Sync = effect {
                    if stale_set(fb, now) != 0 {
                        SYNCS_WITH_STALE.fetch_add(1, Relaxed);
                    }
                    // only auction clocks change
                    let mut x = fb.clone();
                    let mut y = fa.clone();
                    for k in 0..N {
                        for f in [&mut x, &mut y] {
                            f.assets[k].over_since = 0;
                            f.assets[k].under_since = 0;
                        }
                    }
                    assert_eq!(x, y, "sync changed more than the clocks");
                }
                if let StepEffect::Declare(declared, _) = &effect {
                    for &(id, amount, needs) in declared {
                        let s: Shortfall = a.record(&self.f.shortfall_address(id)).unwrap();
                        assert_eq!(
                            (s.declared, s.paid, s.status),
                            (amount, 0, ShortfallStatus::Open)
                        );
                        assert_eq!(
                            s.needs_approval, needs,
                            "{op:?}: shortfall {id}'s approval (model bucket {:?})",
                            self.bucket
                        );
                    }
                }
            }
            StepEffect::Deposit(k, sent) => {
                let received = sent - self.fee(k, sent);
                assert_eq!(moved(k), received as i128, "vault received");
                let mut expected = booked(fb);
                expected[k] += received;
                assert_eq!(
                    booked(fa),
                    expected,
                    "a deposit books what arrived, only there"
                );
                assert_eq!(prices(fb), prices(fa));
                assert!(wa.nav >= wb.nav, "a deposit never lowers NAV");
            }
            StepEffect::Refresh(mask) => {
                assert_eq!(
                    booked(fb),
                    booked(fa),
                    "refresh: booked already matched the vaults"
                );
                // each Pyth asset refreshed caches [spot - conf, spot + conf] (EMA = spot here)
                // published now, when that is newer than its cached price; else (and for the
                // assets not refreshed) the cache stays
                for k in 1..N {
                    let (c0, c) = (&fb.assets[k].price, &fa.assets[k].price);
                    let (p, conf) = (self.price[k] as u64, self.conf[k]);
                    let expected = if bit(mask, k) && now > c0.publish_time {
                        (p - conf, p + conf, EXPO, now)
                    } else {
                        (c0.lower, c0.upper, c0.expo, c0.publish_time)
                    };
                    assert_eq!(
                        (c.lower, c.upper, c.expo, c.publish_time),
                        expected,
                        "asset {k}: cached price"
                    );
                }
            }
            StepEffect::Fill(p) => {
                let PlannedFill {
                    i,
                    o,
                    received,
                    quote,
                    stale,
                } = p;
                assert_eq!(moved(i), received as i128, "fill: in-vault");
                assert_eq!(moved(o), -(quote.amount_out as i128), "fill: out-vault");
                let mut expected = booked(fb);
                expected[i] += received;
                expected[o] -= quote.amount_out;
                assert_eq!(booked(fa), expected, "fill books exactly the quote");
                assert_eq!(prices(fb), prices(fa));
                // a stale asset other than the pair is worth 0 to the fill: it is fresh again
                // only at another time, so the model's stale set now is the fill's
                assert_eq!(stale, stale_set(fb, now));
                assert!(!bit(stale, i) && !bit(stale, o), "a fill of a stale asset");
                assert!(
                    fresh(fb, i, now) && fresh(fb, o, now),
                    "a fill at a stale price"
                );
                if stale != 0 {
                    FILLS_WITH_STALE.fetch_add(1, Relaxed);
                    assert!(
                        raises_liquidity(fb, i, o),
                        "{op:?}: a fill while asset(s) {stale:#b} are stale is not liquid in, \
                         non-liquid out"
                    );
                    let (values, nav, _) = valued(fa, 0);
                    if !share_ge(values[o], nav, fb.assets[o].target_bps) {
                        FILLS_STALE_BELOW_CACHED_TARGET.fetch_add(1, Relaxed);
                    }
                    // the liquid share does not fall, with the stale asset at 0 and at its
                    // cached price alike
                    for zero in [stale, 0] {
                        let (_, nb, lb) = valued(fb, zero);
                        let (_, na, la) = valued(fa, zero);
                        assert!(
                            la * nb >= lb * na,
                            "{op:?}: liquid share fell ({lb}/{nb} -> {la}/{na}), stale {stale:#b} \
                             valued {}",
                            if zero == 0 {
                                "at its cached price"
                            } else {
                                "at 0"
                            }
                        );
                    }
                }
                // the bounds check_fill guarantees, re-derived from the stored state, on the
                // view the fill was checked on (the stale assets at 0)
                let (wb, wa) = (view_weights(fb, stale), view_weights(fa, stale));
                let ti = fb.assets[i].target_bps;
                let to = fb.assets[o].target_bps;
                assert!(
                    share_ge(wa.values[o], wa.nav, to),
                    "out pushed below target"
                );
                assert!(
                    wa.values[i] * 10_000 <= u128::from(ti) * wa.nav,
                    "in above target"
                );
                let floor = fb.min_liquid_bps;
                assert!(
                    share_ge(wa.liquid_value, wa.nav, floor)
                        || (!share_ge(wb.liquid_value, wb.nav, floor)
                            && wa.liquid_value * wb.nav >= wb.liquid_value * wa.nav),
                    "liquidity bound: {wb:?} -> {wa:?}"
                );
                // concentration: the in-asset, the only one the fill adds to, within its cap
                // (the others' shares move only with the NAV the premium costs)
                assert!(
                    wa.values[i] * 10_000 <= u128::from(fb.assets[i].max_weight_bps) * wa.nav,
                    "in above its cap"
                );
                assert!(
                    distance(&wa, fb) * wb.nav < distance(&wb, fb) * wa.nav,
                    "distance to targets did not fall"
                );
                let rs = (&fb.rebalance_state, &fa.rebalance_state);
                let premium = u128::from(rs.1.total_premium - rs.0.total_premium);
                assert_eq!(premium, quote.premium_value);
                assert_eq!(
                    u128::from(rs.1.total_volume - rs.0.total_volume),
                    quote.value_in
                );
                assert!(
                    wa.nav + premium >= wb.nav,
                    "NAV fell by more than the premium"
                );
                let (full_b, full_a) = (
                    fb.weights_without(0, None).unwrap(),
                    fa.weights_without(0, None).unwrap(),
                );
                assert!(
                    full_a.nav + premium >= full_b.nav,
                    "NAV at cached prices fell by more than the premium"
                );
                assert!(
                    premium * 10_000 <= quote.value_in * u128::from(fb.rebalance.max_premium_bps),
                    "premium above the auction maximum"
                );
                assert!(rs.1.premium_level <= fb.rebalance.premium_budget_per_window);
                assert!(rs.1.volume_level <= fb.rebalance.max_volume_per_window);
            }
            StepEffect::Draw(id, p) => {
                // a draw pays only from assets with a fresh price, and its fund-wide cap is a
                // share of what those alone are worth
                let stale = stale_set(fb, now);
                for &(k, ..) in &p.payouts {
                    assert!(!bit(stale, k), "{op:?}: paid from stale asset {k}");
                    assert!(
                        fresh(fb, k, now),
                        "{op:?}: paid from asset {k} at a stale price"
                    );
                }
                let (_, fresh_nav, _) = valued(fb, stale);
                assert_eq!(p.fund_capacity, fund_capacity_on(fb, fresh_nav));
                assert_eq!(
                    fa.draw_state.level,
                    p.fund_level + p.paid,
                    "{op:?}: the fund-wide window level (capacity {} on the fresh NAV {fresh_nav})",
                    p.fund_capacity
                );
                let mut expected = booked(fb);
                for &(k, amount, _) in &p.payouts {
                    expected[k] -= amount;
                    assert_eq!(
                        a.balance(&self.payout[k]) - b.balance(&self.payout[k]),
                        amount - self.fee(k, amount),
                        "payout account"
                    );
                }
                for (k, e) in expected.iter().enumerate() {
                    assert_eq!(
                        moved(k),
                        *e as i128 - fb.assets[k].booked_balance as i128,
                        "draw: vault {k}"
                    );
                }
                assert_eq!(booked(fa), expected, "draw books exactly what left");
                assert_eq!(prices(fb), prices(fa));
                let credited: u64 = p.payouts.iter().map(|x| x.2).sum();
                assert_eq!(credited, p.paid);
                let s0: Shortfall = b.record(&self.f.shortfall_address(id)).unwrap();
                let s1: Shortfall = a.record(&self.f.shortfall_address(id)).unwrap();
                let c1: Claimant = a.record(&self.claimant_key()).unwrap();
                assert_eq!(s1.paid - s0.paid, p.paid);
                assert!(s1.paid <= s1.declared, "paid above declared");
                assert!(s1.paid <= c1.caps.max_per_shortfall, "per-shortfall cap");
                assert!(c1.window_level <= c1.caps.max_per_window, "window cap");
                assert!(c1.drawn_lifetime <= c1.caps.lifetime_max, "lifetime cap");
                assert!(fa.draw_state.level <= p.fund_capacity, "fund-wide cap");
                assert_eq!(
                    fa.draw_state.total_drawn - fb.draw_state.total_drawn,
                    p.paid
                );
                // NAV falls by at most what was credited (open finding, docs/threat-model.md:
                // with a fractional atom value the floored credit can be one atom short)
                let fall = wb.nav - wa.nav;
                assert!(
                    fall <= u128::from(p.paid),
                    "NAV fell by {fall}, credited {}",
                    p.paid
                );
            }
        }
    }

    /// The split adversary's bound, from the records alone: within any stretch of time under
    /// one threshold and window, what was declared without approval is at most the threshold
    /// plus what the bucket drained meanwhile (`threshold * elapsed / window`).
    pub(super) fn check_unapproved_sum(
        &mut self,
        fb: &Fund,
        a: &Snapshot,
        declared: &[(u64, u64, bool)],
        now: i64,
    ) {
        let cfg = (fb.draws.approval_threshold, fb.draws.window_secs);
        if cfg != self.unapproved_cfg {
            self.unapproved.clear();
            self.unapproved_cfg = cfg;
        }
        for &(id, amount, _) in declared {
            let s: Shortfall = a.record(&self.f.shortfall_address(id)).unwrap();
            if !s.needs_approval {
                self.unapproved.push((now, amount));
            }
        }
        let (threshold, window) = (u128::from(cfg.0), u128::from(cfg.1));
        let mut sum = 0u128;
        for &(t, amount) in self.unapproved.iter().rev() {
            sum += u128::from(amount);
            let drained = threshold * (now - t) as u128;
            assert!(
                sum * window <= threshold * window + drained,
                "declared {sum} without approval since {t} (now {now}), threshold {threshold} \
                 per {window} s"
            );
        }
    }

    /// The books after every step: vaults, fund invariants, shortfall accounting.
    pub(super) fn check_books(&self, a: &Snapshot) {
        let f = &a.fund;
        for (k, vault) in self.vaults().iter().enumerate() {
            assert_eq!(
                f.assets[k].booked_balance,
                a.balance(vault),
                "asset {k}: booked balance != vault"
            );
        }
        f.invariant().expect("Fund::invariant");
        f.validate_config().expect("Fund::validate_config");
        let c: Claimant = a.record(&self.claimant_key()).unwrap();
        assert_eq!(
            Bucket {
                level: c.unapproved_level,
                updated_at: c.unapproved_updated_at
            },
            self.bucket,
            "the claimant's approval bucket"
        );
        let (mut paid, mut open) = (0u64, 0u32);
        for id in 0..f.draw_state.shortfall_count {
            let s: Shortfall = a.record(&self.f.shortfall_address(id)).unwrap();
            assert!(s.paid <= s.declared);
            assert_eq!(s.status == ShortfallStatus::Paid, s.paid == s.declared);
            paid += s.paid;
            open += u32::from(s.status == ShortfallStatus::Open);
        }
        assert_eq!(c.drawn_lifetime, paid);
        assert_eq!(f.draw_state.total_drawn, paid);
        assert_eq!(f.draw_state.open_shortfalls, open);
        assert_eq!(u32::from(c.open_shortfalls), open);
    }
}
