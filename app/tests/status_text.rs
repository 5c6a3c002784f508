//! `status` output for a known fund state.

use anchor_lang::prelude::Pubkey;
use insurance_fund::state::{
    asset_flags, Fund, LiquidityClass, OracleSource, RebalanceConfig, Shortfall, ShortfallStatus,
};
use std::collections::HashMap;

const NOW: i64 = 1_767_225_600; // 2026-01-01 00:00:00 UTC

fn fund() -> Box<Fund> {
    let mut f: Box<Fund> = Box::new(bytemuck::Zeroable::zeroed());
    f.governance = Pubkey::new_from_array([1; 32]);
    f.pending_governance = Pubkey::new_from_array([2; 32]);
    f.numeraire = *b"USD\0\0\0\0\0";
    f.numeraire_decimals = 6;
    f.min_liquid_bps = 6_000;
    f.max_price_age_secs = 120;
    f.max_pause_secs = 86_400;
    f.paused = 2; // rebalances
    f.pause_expires_at = NOW + 3_600;
    f.rebalance = RebalanceConfig {
        band_bps: 200,
        start_premium_bps: 10,
        max_premium_bps: 110,
        max_discount_bps: 0,
        auction_duration_secs: 1_000,
        window_secs: 86_400,
        max_volume_per_window: 1,
        premium_budget_per_window: 1,
        min_trade_value: 1,
        crisis: Default::default(),
    };
    f.asset_count = 2;
    f.draw_state.open_shortfalls = 1;
    f.draw_state.shortfall_count = 4;
    f.draw_state.total_drawn = 12_500_000;
    // USDC: fixed 1.00, 700 tokens, target 50 %; LST: Pyth 1.00 (cached 30 s ago), 300, target 50 %
    let a = &mut f.assets[0];
    a.mint = Pubkey::new_from_array([10; 32]);
    a.oracle.source = OracleSource::Fixed as u8;
    a.oracle.fixed_price = 1;
    a.booked_balance = 700_000_000;
    a.decimals = 6;
    a.target_bps = 5_000;
    a.max_weight_bps = 6_000;
    a.class = LiquidityClass::Liquid as u8;
    a.flags = asset_flags::ALL;
    a.over_since = NOW - 500;
    let b = &mut f.assets[1];
    b.mint = Pubkey::new_from_array([11; 32]);
    b.oracle.source = OracleSource::PythPull as u8;
    b.price.lower = 100_000_000;
    b.price.upper = 100_000_000;
    b.price.expo = -8;
    b.price.publish_time = NOW - 30;
    b.booked_balance = 300_000_000;
    b.decimals = 6;
    b.target_bps = 5_000;
    b.max_weight_bps = 6_000;
    b.class = LiquidityClass::YieldBearing as u8;
    b.flags = asset_flags::ALL;
    b.under_since = NOW - 250;
    f
}

fn shortfall() -> Shortfall {
    Shortfall {
        fund: Pubkey::default(),
        claimant: Pubkey::default(),
        id: 3,
        declared: 50_000_000,
        paid: 12_500_000,
        reference: [0; 32],
        status: ShortfallStatus::Open,
        needs_approval: true,
        approved: false,
        declared_at: NOW - 7_200,
        rent_payer: Pubkey::default(),
        bump: 0,
    }
}

#[test]
fn status_shows_nav_weights_floor_auctions_shortfalls_and_pauses() {
    let key = Pubkey::new_from_array([5; 32]);
    let mut labels = HashMap::new();
    labels.insert(Pubkey::new_from_array([10; 32]), "USDC".to_string());
    labels.insert(Pubkey::new_from_array([11; 32]), "LST".to_string());
    let text = ifund::status::render_fund(&key, &fund(), NOW, &[shortfall()], &labels, "a test");
    let expect = [
        "read from     a test at 2026-01-01 00:00:00 UTC",
        "guardian      none",
        &format!(
            "governance transfer to {} (awaiting accept_governance)",
            Pubkey::new_from_array([2; 32])
        ),
        "paused        rebalances (until 2026-01-01 01:00:00 UTC)",
        "NAV           1,000.00 USD",
        "liquid share  70.00% vs floor 60.00%  ok",
        "distance      4000 bps from targets (band 200 bps per asset)",
        "open auctions: 1",
        "LST in, USDC out: running since 2025-12-31 23:55:50 UTC (4m ago), premium now 35 bps",
        "open shortfalls: 1 (shortfall mode: only liquidity-raising fills)",
        "#3: declared 50.00 USD, paid 12.50, remaining 37.50, AWAITING APPROVAL",
        "draws paid:    12.50 USD in total, 4 shortfalls declared",
    ];
    for line in expect {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    // the asset rows: weight, target, cap, state and price age
    let usdc = text
        .lines()
        .find(|l| l.trim_start().starts_with("USDC"))
        .unwrap();
    assert!(
        usdc.contains("700.00") && usdc.contains("70.00%") && usdc.contains("50.00%"),
        "{usdc}"
    );
    assert!(
        usdc.contains("OVER CAP") && usdc.contains("fixed"),
        "{usdc}"
    );
    let lst = text
        .lines()
        .find(|l| l.trim_start().starts_with("LST"))
        .unwrap();
    assert!(
        lst.contains("30.00%") && lst.contains("under") && lst.contains("30s"),
        "{lst}"
    );
    assert!(lst.contains("yield-bearing"), "{lst}");
}

#[test]
fn stale_prices_and_a_liquid_share_below_the_floor_are_flagged() {
    let mut f = fund();
    f.assets[1].price.publish_time = NOW - 1_000;
    f.min_liquid_bps = 8_000;
    let text = ifund::status::render_fund(&Pubkey::default(), &f, NOW, &[], &HashMap::new(), "t");
    assert!(
        text.contains("(STALE PRICES: not reliable until refreshed)"),
        "{text}"
    );
    assert!(
        text.contains("liquid share  70.00% vs floor 80.00%  BELOW FLOOR"),
        "{text}"
    );
    assert!(text.contains("1000s STALE"), "{text}");
    assert!(text.contains("open shortfalls: none"), "{text}");
}

#[test]
fn crisis_mode_gapped_pegged_and_retired_prices_are_shown() {
    use insurance_fund::state::CrisisProfile;
    let mut f = fund();
    f.rebalance.crisis = CrisisProfile {
        max_volume_per_window: 5_000_000_000,
        premium_budget_per_window: 30_000_000,
        auction_duration_secs: 3_600,
        max_premium_bps: 300,
        max_discount_bps: 300,
        gap_trigger_bps: 1_000,
        liquid_target_bps: 0,
        hold_secs: 0,
    };
    // LST: spot 0.65 under an upper bound of 1.00 (the EMA has not caught up), fresh
    f.assets[1].oracle.max_age_secs = 600;
    f.assets[1].price.spot_lower = 65_000_000;
    f.assets[1].price.lower = 65_000_000;
    let text = ifund::status::render_fund(&Pubkey::default(), &f, NOW, &[], &HashMap::new(), "t");
    assert!(
        text.contains(
            "mode          CRISIS (a shortfall is open and a risk asset's price has gapped): only fills raising the liquid share; crisis-profile terms"
        ),
        "{text}"
    );
    assert!(
        text.contains("volume cap 5,000 USD, premium budget 30 USD per 86400s window, max premium 300 bps, max discount 300 bps, auction 3600s"),
        "{text}"
    );
    assert!(text.contains("30s GAPPED"), "{text}");
    // USDC priced by its feed with a peg band, at par; LST retired
    f.assets[0].oracle.source = OracleSource::PythPull as u8;
    f.assets[0].oracle.peg_band_bps = 50;
    f.assets[0].price.lower = 100_000_000;
    f.assets[0].price.upper = 100_000_000;
    f.assets[0].price.expo = -8;
    f.assets[0].price.publish_time = NOW - 5;
    f.assets[0].oracle.max_age_secs = 600;
    f.assets[1].retired = 1;
    f.draw_state.open_shortfalls = 0;
    let text = ifund::status::render_fund(&Pubkey::default(), &f, NOW, &[], &HashMap::new(), "t");
    assert!(text.contains("5s pegged"), "{text}");
    assert!(text.contains("30s retired"), "{text}");
    assert!(text.contains("mode          normal"), "{text}");
    // a crisis hold from a trigger seen 100 s ago keeps crisis mode, and says until when
    f.rebalance.crisis.hold_secs = 3_600;
    f.crisis_seen_at = NOW - 100;
    let text = ifund::status::render_fund(&Pubkey::default(), &f, NOW, &[], &HashMap::new(), "t");
    let until = ifund::status::utc(NOW + 3_500);
    assert!(
        text.contains(&format!(
            "mode          CRISIS (crisis hold until {until}): only fills raising the liquid share; crisis-profile terms"
        )),
        "{text}"
    );
    f.crisis_seen_at = NOW - 3_600;
    let text = ifund::status::render_fund(&Pubkey::default(), &f, NOW, &[], &HashMap::new(), "t");
    assert!(text.contains("mode          normal"), "{text}");
    f.rebalance.crisis.hold_secs = 0;
    // USDC priced by its fallback (its Pyth feed stale or too uncertain): shown as such,
    // ahead of the peg
    f.assets[0].price.on_fallback = 1;
    let text = ifund::status::render_fund(&Pubkey::default(), &f, NOW, &[], &HashMap::new(), "t");
    assert!(text.contains("5s on fallback"), "{text}");
    // and once it is stale, stale it is
    f.assets[0].price.publish_time = NOW - 601;
    let text = ifund::status::render_fund(&Pubkey::default(), &f, NOW, &[], &HashMap::new(), "t");
    assert!(text.contains("601s STALE"), "{text}");
}

#[test]
fn queued_changes_show_when_they_execute_and_whether_they_are_stale() {
    use insurance_fund::state::PendingChange;
    use insurance_fund::timelock::ConfigChange;
    let mut f = fund();
    f.timelock_secs = 86_400;
    f.governance_epoch = 1;
    // the guardian was last set (stamp 11) after record `d` was queued (at stamp 9)
    f.guardian_seq = 11;
    let record = |eta: i64, epoch: u64, guardian: u8| PendingChange {
        fund: Pubkey::default(),
        payer: f.governance,
        change_hash: [0; 32],
        queued_at: eta - 86_400,
        eta,
        governance_epoch: epoch,
        queued_seq: 10,
        bump: 255,
        change: ConfigChange::SetGuardian {
            guardian: Some(Pubkey::new_from_array([guardian; 32])),
        },
    };
    let (a, b, c) = (
        Pubkey::new_from_array([21; 32]),
        Pubkey::new_from_array([22; 32]),
        Pubkey::new_from_array([23; 32]),
    );
    let (d, e) = (
        Pubkey::new_from_array([24; 32]),
        Pubkey::new_from_array([25; 32]),
    );
    let mut superseded = record(NOW - 7, 1, 10);
    superseded.queued_seq = 9;
    let fresh = |mut r: PendingChange| {
        r.queued_seq = 11;
        r
    };
    let list = [
        (a, fresh(record(NOW + 600, 1, 7))),
        (b, fresh(record(NOW - 1, 1, 8))),
        (c, fresh(record(NOW - 5, 0, 9))),
        (d, superseded),
        // ready 14 days and 1 s ago: past its grace period
        (e, fresh(record(NOW - 14 * 86_400 - 1, 1, 11))),
    ];
    let text = ifund::status::render_queued(&f, NOW, Some(&list));
    assert!(
        text.contains("Queued configuration changes (timelock 86400 s)"),
        "{text}"
    );
    let line = |k: Pubkey| {
        text.lines()
            .find(|l| l.contains(&k.to_string()))
            .unwrap()
            .to_string()
    };
    assert!(
        line(a).contains("executable at 2026-01-01 00:10:00 UTC (in 600 s)"),
        "{text}"
    );
    assert!(
        line(b).contains("executable now by anyone, until 2026-01-14 23:59:59 UTC"),
        "{text}"
    );
    assert!(line(c).contains("STALE"), "{text}");
    assert!(line(d).contains("SUPERSEDED"), "{text}");
    assert!(line(e).contains("EXPIRED"), "{text}");
    // soonest first, each with the change it makes
    let order: Vec<usize> = [e, d, c, b, a]
        .iter()
        .map(|k| text.find(&k.to_string()).unwrap())
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{text}");
    assert!(text.contains("SetGuardian"), "{text}");
    let none = ifund::status::render_queued(&f, NOW, Some(&[]));
    assert!(none.contains("  none"), "{none}");
    let unknown = ifund::status::render_queued(&f, NOW, None);
    assert!(unknown.contains("not listed"), "{unknown}");
}
