//! What a change does, as lines `field: before -> after`; amounts in atoms and whole units.

use super::State;
use crate::names;
use anchor_lang::prelude::*;
use insurance_fund::state::{
    Asset, AssetParams, Claimant, ClaimantCaps, FallbackConfig, Fund, OracleConfig, OracleSource,
};
use insurance_fund_client::pda;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn oracle_desc(o: &OracleConfig) -> String {
    match OracleSource::try_from(o.source) {
        Ok(s @ OracleSource::PythPull) => format!(
            "{} feed 0x{}, max age {} s, max conf {} bps (push feed account {})",
            names::oracle_source_name(s),
            hex(&o.feed_id),
            o.max_age_secs,
            o.max_conf_bps,
            pda::pyth_push_feed_address(0, &o.feed_id)
        ),
        Ok(s @ OracleSource::Fixed) => format!(
            "{} {} x 10^{}",
            names::oracle_source_name(s),
            o.fixed_price,
            o.fixed_expo
        ),
        Err(_) => format!("source {}", o.source),
    }
}

fn fallback_desc(f: &FallbackConfig) -> String {
    if f.is_set() {
        format!(
            "switchboard pull feed {}, max age {} s, max spread {} bps, max divergence {} bps",
            f.feed, f.max_age_secs, f.max_conf_bps, f.max_divergence_bps
        )
    } else {
        "none".into()
    }
}

pub(super) fn params_desc(p: &AssetParams) -> String {
    format!(
        "class {}, max_weight_bps {}, haircut_bps {}, flags [{}], oracle {}, fallback {}",
        names::class_name(p.class),
        p.max_weight_bps,
        p.haircut_bps,
        names::flag_names(p.flags),
        oracle_desc(&p.oracle.into()),
        fallback_desc(&p.fallback.into())
    )
}

pub(super) fn caps_desc(payout_owner: &Pubkey, caps: &ClaimantCaps) -> String {
    format!(
        "payout_owner {payout_owner}, max_per_shortfall {}, max_per_window {}, lifetime_max {}",
        caps.max_per_shortfall, caps.max_per_window, caps.lifetime_max
    )
}

fn asset_lines(
    line: &mut dyn FnMut(&str, String, String),
    before: Option<&Asset>,
    b: &Asset,
    fund: &Pubkey,
) {
    let m = b.mint;
    let was = |f: &dyn Fn(&Asset) -> String| before.map_or("-".to_string(), f);
    if before.is_none() {
        line(
            &format!("asset {m}"),
            "-".into(),
            format!(
                "registered, vault {} (PDA [\"vault\", {fund}, mint]), {} {}, decimals {}",
                b.vault,
                match b.token_program {
                    0 => "SPL Token",
                    _ => "Token-2022",
                },
                b.token_program_id(),
                b.decimals
            ),
        );
    }
    line(
        &format!("asset {m} target_bps"),
        was(&|a| a.target_bps.to_string()),
        b.target_bps.to_string(),
    );
    line(
        &format!("asset {m} max_weight_bps"),
        was(&|a| a.max_weight_bps.to_string()),
        b.max_weight_bps.to_string(),
    );
    line(
        &format!("asset {m} haircut_bps"),
        was(&|a| a.haircut_bps.to_string()),
        b.haircut_bps.to_string(),
    );
    line(
        &format!("asset {m} class"),
        was(&|a| names::class_byte_name(a.class)),
        names::class_byte_name(b.class),
    );
    line(
        &format!("asset {m} flags"),
        was(&|a| names::flag_names(a.flags)),
        names::flag_names(b.flags),
    );
    line(
        &format!("asset {m} oracle"),
        was(&|a| oracle_desc(&a.oracle)),
        oracle_desc(&b.oracle),
    );
    line(
        &format!("asset {m} fallback"),
        was(&|a| fallback_desc(&a.fallback)),
        fallback_desc(&b.fallback),
    );
    line(
        &format!("asset {m} retired"),
        was(&|a| a.is_retired().to_string()),
        b.is_retired().to_string(),
    );
    if let Some(a) = before {
        if a.price != b.price {
            line(
                &format!("asset {m} cached price"),
                format!("publish time {}", a.price.publish_time),
                "cleared (the asset is stale until the next refresh_prices)".into(),
            );
        }
    }
}

/// An amount of numeraire atoms as the program stores it and in whole units, e.g.
/// `5000000000 (5,000 USD)`, so a value entered in the wrong unit shows at once.
fn money(atoms: u64, fund: &Fund) -> String {
    let whole = crate::status::amount(
        u128::from(atoms),
        fund.numeraire_decimals,
        fund.numeraire_decimals,
    );
    let whole = if whole.contains('.') {
        whole
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        whole
    };
    let unit = String::from_utf8_lossy(&fund.numeraire)
        .trim_end_matches('\0')
        .to_string();
    format!("{atoms} ({whole} {unit})")
}

fn claimant_lines(
    line: &mut dyn FnMut(&str, String, String),
    fund: &Pubkey,
    numeraire: &Fund,
    authority: &Pubkey,
    before: Option<&Claimant>,
    after: Option<&Claimant>,
) {
    let name = format!("claimant {authority}");
    let account = pda::claimant_address(fund, authority);
    let (b, a) = match (before, after) {
        (None, None) => return,
        (Some(b), None) => {
            line(
                &name,
                format!("account {account}, drawn_lifetime {}", b.drawn_lifetime),
                "removed".into(),
            );
            return;
        }
        (None, Some(a)) => {
            line(
                &name,
                "-".into(),
                format!("registered, account {account} (PDA [\"claimant\", {fund}, authority])"),
            );
            (None, a)
        }
        (Some(b), Some(a)) => (Some(b), a),
    };
    let was = |f: &dyn Fn(&Claimant) -> String| b.map_or("-".to_string(), f);
    line(
        &format!("{name} payout_owner"),
        was(&|c| c.payout_owner.to_string()),
        a.payout_owner.to_string(),
    );
    line(
        &format!("{name} max_per_shortfall"),
        was(&|c| money(c.caps.max_per_shortfall, numeraire)),
        money(a.caps.max_per_shortfall, numeraire),
    );
    line(
        &format!("{name} max_per_window"),
        was(&|c| money(c.caps.max_per_window, numeraire)),
        money(a.caps.max_per_window, numeraire),
    );
    line(
        &format!("{name} lifetime_max"),
        was(&|c| money(c.caps.lifetime_max, numeraire)),
        money(a.caps.lifetime_max, numeraire),
    );
    line(
        &format!("{name} enabled"),
        was(&|c| c.enabled.to_string()),
        a.enabled.to_string(),
    );
}

pub(super) fn diff_lines(fund_key: &Pubkey, before: &State, after: &State) -> Vec<String> {
    let mut d = vec![];
    let mut line = |name: &str, a: String, b: String| {
        if a != b {
            d.push(format!("{name}: {a} -> {b}"));
        }
    };
    let (bf, af) = (&before.fund, &after.fund);
    line(
        "min_liquid_bps",
        bf.min_liquid_bps.to_string(),
        af.min_liquid_bps.to_string(),
    );
    line(
        "max_price_age_secs",
        bf.max_price_age_secs.to_string(),
        af.max_price_age_secs.to_string(),
    );
    line(
        "max_pause_secs",
        bf.max_pause_secs.to_string(),
        af.max_pause_secs.to_string(),
    );
    line(
        "timelock_secs",
        bf.timelock_secs.to_string(),
        af.timelock_secs.to_string(),
    );
    line("guardian", bf.guardian.to_string(), af.guardian.to_string());
    let pending = |f: &Fund| {
        if f.has_pending_governance() {
            f.pending_governance.to_string()
        } else {
            "-".into()
        }
    };
    line("pending_governance", pending(bf), pending(af));
    line(
        "governance",
        bf.governance.to_string(),
        af.governance.to_string(),
    );
    let (br, ar) = (&bf.rebalance, &af.rebalance);
    for (name, b, a) in [
        ("rebalance band_bps", br.band_bps, ar.band_bps),
        (
            "rebalance start_premium_bps",
            br.start_premium_bps,
            ar.start_premium_bps,
        ),
        (
            "rebalance max_premium_bps",
            br.max_premium_bps,
            ar.max_premium_bps,
        ),
        (
            "rebalance max_discount_bps",
            br.max_discount_bps,
            ar.max_discount_bps,
        ),
        (
            "rebalance crisis max_premium_bps",
            br.crisis.max_premium_bps,
            ar.crisis.max_premium_bps,
        ),
        (
            "rebalance crisis max_discount_bps",
            br.crisis.max_discount_bps,
            ar.crisis.max_discount_bps,
        ),
        (
            "rebalance crisis gap_trigger_bps",
            br.crisis.gap_trigger_bps,
            ar.crisis.gap_trigger_bps,
        ),
        (
            "rebalance crisis liquid_target_bps",
            br.crisis.liquid_target_bps,
            ar.crisis.liquid_target_bps,
        ),
    ] {
        line(name, b.to_string(), a.to_string());
    }
    for (name, b, a) in [
        (
            "rebalance auction_duration_secs",
            br.auction_duration_secs,
            ar.auction_duration_secs,
        ),
        ("rebalance window_secs", br.window_secs, ar.window_secs),
        (
            "rebalance crisis auction_duration_secs",
            br.crisis.auction_duration_secs,
            ar.crisis.auction_duration_secs,
        ),
        (
            "rebalance crisis hold_secs",
            br.crisis.hold_secs,
            ar.crisis.hold_secs,
        ),
        (
            "draws window_secs",
            bf.draws.window_secs,
            af.draws.window_secs,
        ),
    ] {
        line(name, b.to_string(), a.to_string());
    }
    for (name, b, a) in [
        (
            "rebalance max_volume_per_window",
            br.max_volume_per_window,
            ar.max_volume_per_window,
        ),
        (
            "rebalance premium_budget_per_window",
            br.premium_budget_per_window,
            ar.premium_budget_per_window,
        ),
        (
            "rebalance min_trade_value",
            br.min_trade_value,
            ar.min_trade_value,
        ),
        (
            "rebalance crisis max_volume_per_window",
            br.crisis.max_volume_per_window,
            ar.crisis.max_volume_per_window,
        ),
        (
            "rebalance crisis premium_budget_per_window",
            br.crisis.premium_budget_per_window,
            ar.crisis.premium_budget_per_window,
        ),
        (
            "draws approval_threshold",
            bf.draws.approval_threshold,
            af.draws.approval_threshold,
        ),
    ] {
        line(name, money(b, bf), money(a, af));
    }
    line(
        "draws fund_cap_bps",
        bf.draws.fund_cap_bps.to_string(),
        af.draws.fund_cap_bps.to_string(),
    );
    // assets by mint: a removal moves the later ones down a slot
    let registered = bf.registered_assets();
    for b in af.registered_assets() {
        let was = registered.iter().find(|a| a.mint == b.mint);
        asset_lines(&mut line, was, b, fund_key);
    }
    for a in registered {
        if af.asset_index(&a.mint).is_err() {
            line(
                &format!("asset {}", a.mint),
                format!("registered, vault {}", a.vault),
                "removed (vault closed)".into(),
            );
        }
    }
    for (authority, b) in &before.claimants {
        let a = after.claimants.get(authority).and_then(Option::as_ref);
        claimant_lines(&mut line, fund_key, af, authority, b.as_ref(), a);
    }
    for (authority, a) in &after.claimants {
        if !before.claimants.contains_key(authority) {
            claimant_lines(&mut line, fund_key, af, authority, None, a.as_ref());
        }
    }
    d
}
