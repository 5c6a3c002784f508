//! `ifund propose`: a configuration change described in a TOML file, checked locally with the
//! program's own rules (`Fund::invariant`, `ConfigChange::effect`), then printed three ways: a
//! human-readable diff, the exact instructions for the fund, and the same instructions wrapped
//! for the two governance systems in use (a Squads v4 vault transaction message, SPL
//! Governance proposal-transaction instruction data), so voters approve exactly what executes.
//!
//! Loosening changes on a fund with a timelock become `queue_change` instructions; the output
//! then also gives the instruction anyone sends after the delay to execute each one.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use anyhow::{bail, Context};
use base64::Engine;
use insurance_fund::instructions::BoundsArgs;
use insurance_fund::state::{
    asset_flags, AssetParams, DrawConfig, Fund, LiquidityClass, RebalanceConfig,
};
use insurance_fund::timelock::{ConfigChange, Effect};
use insurance_fund_client::{ix, pda};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

/// The change file. Every section is optional; fields a section leaves out keep their
/// current value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeFile {
    /// `set_targets`: every registered asset by mint, in bps (sum 10,000).
    pub targets: Option<BTreeMap<String, u16>>,
    pub bounds: Option<BoundsPatch>,
    pub rebalance: Option<RebalancePatch>,
    pub draws: Option<DrawPatch>,
    pub guardian: Option<GuardianPatch>,
    /// `update_asset`, per mint.
    pub assets: Option<BTreeMap<String, AssetPatch>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundsPatch {
    pub min_liquid_bps: Option<u16>,
    pub max_price_age_secs: Option<u32>,
    pub max_pause_secs: Option<u32>,
    pub timelock_secs: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RebalancePatch {
    pub band_bps: Option<u16>,
    pub start_premium_bps: Option<u16>,
    pub max_premium_bps: Option<u16>,
    pub auction_duration_secs: Option<u32>,
    pub window_secs: Option<u32>,
    pub max_volume_per_window: Option<u64>,
    pub premium_budget_per_window: Option<u64>,
    pub min_trade_value: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawPatch {
    pub approval_threshold: Option<u64>,
    pub fund_cap_bps: Option<u16>,
    pub window_secs: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianPatch {
    /// A public key, or "none" to remove the guardian.
    pub key: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    pub max_weight_bps: Option<u16>,
    pub haircut_bps: Option<u16>,
    /// "liquid", "yield_bearing" or "illiquid".
    pub class: Option<String>,
    /// Any of "deposit", "rebalance_in", "rebalance_out", "draw".
    pub flags: Option<Vec<String>>,
}

/// Reads and parses a change file; errors name the file, the field and the value.
pub fn load(path: &std::path::Path) -> anyhow::Result<ChangeFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read change file {}", path.display()))?;
    parse(&text).with_context(|| format!("in change file {}", path.display()))
}

pub fn parse(text: &str) -> anyhow::Result<ChangeFile> {
    let file: ChangeFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let empty = file.targets.is_none()
        && file.bounds.is_none()
        && file.rebalance.is_none()
        && file.draws.is_none()
        && file.guardian.is_none()
        && file.assets.as_ref().is_none_or(|a| a.is_empty());
    if empty {
        bail!("the file proposes nothing: give at least one of [targets], [bounds], [rebalance], [draws], [guardian], [assets.\"<mint>\"]");
    }
    Ok(file)
}

/// One change of the proposal.
#[derive(Debug)]
pub struct Step {
    pub title: String,
    /// Lines `field: before -> after` of what changes.
    pub diff: Vec<String>,
    pub effect: Effect,
    /// What governance executes: the change itself, or its `queue_change`.
    pub governance_ix: Instruction,
    /// For a queued change: its record's address and the instruction anyone sends after the
    /// delay.
    pub execute: Option<(Pubkey, Instruction)>,
}

#[derive(Debug)]
pub struct Proposal {
    pub fund: Pubkey,
    pub governance: Pubkey,
    pub timelock_secs: u32,
    pub steps: Vec<Step>,
}

impl Proposal {
    /// The instructions governance executes, in order.
    pub fn instructions(&self) -> Vec<Instruction> {
        self.steps.iter().map(|s| s.governance_ix.clone()).collect()
    }
}

enum Section {
    Assets,
    Bounds,
    Rebalance,
    Draws,
    Guardian,
    Targets,
}

/// A step before it is encoded: the change to the fund, as applied locally.
enum Change {
    Config(ConfigChange),
    Targets(Vec<u16>),
}

fn pubkey(field: &str, s: &str) -> anyhow::Result<Pubkey> {
    Pubkey::from_str(s.trim()).map_err(|_| anyhow::anyhow!("{field}: {s:?} is not a public key"))
}

fn class(field: &str, s: &str) -> anyhow::Result<LiquidityClass> {
    Ok(match s {
        "liquid" => LiquidityClass::Liquid,
        "yield_bearing" => LiquidityClass::YieldBearing,
        "illiquid" => LiquidityClass::Illiquid,
        other => bail!("{field}: {other:?} is not a class (liquid, yield_bearing, illiquid)"),
    })
}

fn flags(field: &str, names: &[String]) -> anyhow::Result<u8> {
    let mut bits = 0;
    for n in names {
        bits |= match n.as_str() {
            "deposit" => asset_flags::DEPOSIT,
            "rebalance_in" => asset_flags::REBALANCE_IN,
            "rebalance_out" => asset_flags::REBALANCE_OUT,
            "draw" => asset_flags::DRAW,
            other => bail!(
                "{field}: {other:?} is not a flag (deposit, rebalance_in, rebalance_out, draw)"
            ),
        };
    }
    Ok(bits)
}

fn changes_of(
    fund: &Fund,
    file: &ChangeFile,
    section: &Section,
) -> anyhow::Result<Vec<(String, Change)>> {
    let mut out = vec![];
    match section {
        Section::Assets => {
            for (mint_s, p) in file.assets.iter().flatten() {
                let field = format!("assets.\"{mint_s}\"");
                let mint = pubkey(&field, mint_s)?;
                let index = fund.asset_index(&mint).map_err(|_| {
                    anyhow::anyhow!("{field}: {mint} is not registered in the fund")
                })?;
                let mut params: AssetParams = fund.assets[index].params()?;
                if let Some(v) = p.max_weight_bps {
                    params.max_weight_bps = v;
                }
                if let Some(v) = p.haircut_bps {
                    params.haircut_bps = v;
                }
                if let Some(c) = &p.class {
                    params.class = class(&format!("{field}.class"), c)?;
                }
                if let Some(f) = &p.flags {
                    params.flags = flags(&format!("{field}.flags"), f)?;
                }
                out.push((
                    format!("update_asset {mint}"),
                    Change::Config(ConfigChange::UpdateAsset { mint, params }),
                ));
            }
        }
        Section::Bounds => {
            if let Some(b) = &file.bounds {
                let bounds = BoundsArgs {
                    min_liquid_bps: b.min_liquid_bps.unwrap_or(fund.min_liquid_bps),
                    max_price_age_secs: b.max_price_age_secs.unwrap_or(fund.max_price_age_secs),
                    max_pause_secs: b.max_pause_secs.unwrap_or(fund.max_pause_secs),
                    timelock_secs: b.timelock_secs.unwrap_or(fund.timelock_secs),
                };
                out.push((
                    "set_bounds".into(),
                    Change::Config(ConfigChange::SetBounds { bounds }),
                ));
            }
        }
        Section::Rebalance => {
            if let Some(r) = &file.rebalance {
                let c = fund.rebalance;
                let params = RebalanceConfig {
                    band_bps: r.band_bps.unwrap_or(c.band_bps),
                    start_premium_bps: r.start_premium_bps.unwrap_or(c.start_premium_bps),
                    max_premium_bps: r.max_premium_bps.unwrap_or(c.max_premium_bps),
                    _pad: 0,
                    auction_duration_secs: r
                        .auction_duration_secs
                        .unwrap_or(c.auction_duration_secs),
                    window_secs: r.window_secs.unwrap_or(c.window_secs),
                    max_volume_per_window: r
                        .max_volume_per_window
                        .unwrap_or(c.max_volume_per_window),
                    premium_budget_per_window: r
                        .premium_budget_per_window
                        .unwrap_or(c.premium_budget_per_window),
                    min_trade_value: r.min_trade_value.unwrap_or(c.min_trade_value),
                };
                out.push((
                    "set_rebalance_params".into(),
                    Change::Config(ConfigChange::SetRebalanceParams { params }),
                ));
            }
        }
        Section::Draws => {
            if let Some(d) = &file.draws {
                let c = fund.draws;
                let params = DrawConfig {
                    approval_threshold: d.approval_threshold.unwrap_or(c.approval_threshold),
                    fund_cap_bps: d.fund_cap_bps.unwrap_or(c.fund_cap_bps),
                    _pad: [0; 2],
                    window_secs: d.window_secs.unwrap_or(c.window_secs),
                };
                out.push((
                    "set_draw_params".into(),
                    Change::Config(ConfigChange::SetDrawParams { params }),
                ));
            }
        }
        Section::Guardian => {
            if let Some(g) = &file.guardian {
                let guardian = match g.key.trim() {
                    "none" => None,
                    k => Some(pubkey("guardian.key", k)?),
                };
                out.push((
                    "set_guardian".into(),
                    Change::Config(ConfigChange::SetGuardian { guardian }),
                ));
            }
        }
        Section::Targets => {
            if let Some(t) = &file.targets {
                let mut targets = vec![None; fund.asset_count as usize];
                for (mint_s, bps) in t {
                    let field = format!("targets.\"{mint_s}\"");
                    let mint = pubkey(&field, mint_s)?;
                    let i = fund.asset_index(&mint).map_err(|_| {
                        anyhow::anyhow!("{field}: {mint} is not registered in the fund")
                    })?;
                    targets[i] = Some(*bps);
                }
                let mut v = vec![];
                for (i, t) in targets.into_iter().enumerate() {
                    v.push(t.ok_or_else(|| {
                        anyhow::anyhow!(
                            "targets: asset {} ({}) is missing; set_targets sets every asset's target",
                            i,
                            fund.assets[i].mint
                        )
                    })?);
                }
                out.push(("set_targets".into(), Change::Targets(v)));
            }
        }
    }
    Ok(out)
}

/// Applies `change` to a copy of the fund as the program would, then runs the program's own
/// whole-configuration validation on it.
fn apply(fund: &Fund, change: &Change) -> anyhow::Result<Box<Fund>> {
    let mut f = Box::new(*fund);
    match change {
        Change::Targets(t) => {
            for (a, bps) in f.registered_assets_mut().iter_mut().zip(t) {
                a.target_bps = *bps;
            }
        }
        Change::Config(c) => match c {
            ConfigChange::UpdateAsset { mint, params } => {
                let i = f.asset_index(mint)?;
                f.assets[i].apply_params(params);
            }
            ConfigChange::SetBounds { bounds } => {
                f.min_liquid_bps = bounds.min_liquid_bps;
                f.max_price_age_secs = bounds.max_price_age_secs;
                f.max_pause_secs = bounds.max_pause_secs;
                f.timelock_secs = bounds.timelock_secs;
            }
            ConfigChange::SetRebalanceParams { params } => {
                c.validate_shape()?;
                f.rebalance = *params;
            }
            ConfigChange::SetDrawParams { params } => {
                c.validate_shape()?;
                f.draws = *params;
            }
            ConfigChange::SetGuardian { guardian } => f.guardian = guardian.unwrap_or_default(),
            other => bail!("not supported by propose: {other:?}"),
        },
    }
    f.invariant()?;
    Ok(f)
}

fn diff_lines(before: &Fund, after: &Fund) -> Vec<String> {
    let mut d = vec![];
    let mut line = |name: &str, a: String, b: String| {
        if a != b {
            d.push(format!("{name}: {a} -> {b}"));
        }
    };
    line(
        "min_liquid_bps",
        before.min_liquid_bps.to_string(),
        after.min_liquid_bps.to_string(),
    );
    line(
        "max_price_age_secs",
        before.max_price_age_secs.to_string(),
        after.max_price_age_secs.to_string(),
    );
    line(
        "max_pause_secs",
        before.max_pause_secs.to_string(),
        after.max_pause_secs.to_string(),
    );
    line(
        "timelock_secs",
        before.timelock_secs.to_string(),
        after.timelock_secs.to_string(),
    );
    line(
        "guardian",
        before.guardian.to_string(),
        after.guardian.to_string(),
    );
    line(
        "rebalance",
        format!("{:?}", before.rebalance),
        format!("{:?}", after.rebalance),
    );
    line(
        "draws",
        format!("{:?}", before.draws),
        format!("{:?}", after.draws),
    );
    for (a, b) in before
        .registered_assets()
        .iter()
        .zip(after.registered_assets())
    {
        let m = a.mint;
        line(
            &format!("asset {m} target_bps"),
            a.target_bps.to_string(),
            b.target_bps.to_string(),
        );
        line(
            &format!("asset {m} max_weight_bps"),
            a.max_weight_bps.to_string(),
            b.max_weight_bps.to_string(),
        );
        line(
            &format!("asset {m} haircut_bps"),
            a.haircut_bps.to_string(),
            b.haircut_bps.to_string(),
        );
        line(
            &format!("asset {m} class"),
            a.class.to_string(),
            b.class.to_string(),
        );
        line(
            &format!("asset {m} flags"),
            format!("{:#06b}", a.flags),
            format!("{:#06b}", b.flags),
        );
    }
    d
}

const SECTION_ORDERS: [[Section; 6]; 2] = [
    [
        Section::Assets,
        Section::Bounds,
        Section::Rebalance,
        Section::Draws,
        Section::Guardian,
        Section::Targets,
    ],
    [
        Section::Targets,
        Section::Bounds,
        Section::Rebalance,
        Section::Draws,
        Section::Guardian,
        Section::Assets,
    ],
];

/// Builds the proposal against the fund's current state: every step is applied to a local
/// copy and validated with the program's own rules before anything is encoded. Asset changes
/// go before target changes (so raised caps make room) unless only the other order is valid
/// (lowered caps need the targets lowered first).
pub fn build(fund_key: Pubkey, fund: &Fund, file: &ChangeFile) -> anyhow::Result<Proposal> {
    let mut last_err = None;
    for order in &SECTION_ORDERS {
        match build_in(fund_key, fund, file, order) {
            Ok(p) => return Ok(p),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.expect("at least one order"))
}

fn build_in(
    fund_key: Pubkey,
    fund: &Fund,
    file: &ChangeFile,
    order: &[Section; 6],
) -> anyhow::Result<Proposal> {
    let governance = fund.governance;
    let mut state = Box::new(*fund);
    let mut steps = vec![];
    for section in order {
        for (title, change) in changes_of(&state, file, section)? {
            let next = apply(&state, &change)
                .with_context(|| format!("{title} would be refused by the program"))?;
            let (effect, direct) = match &change {
                Change::Targets(t) => (
                    Effect::Tightens,
                    ix::set_targets(&fund_key, &governance, t.clone()),
                ),
                Change::Config(c) => (
                    c.effect(&state, None)?,
                    config_ix(&fund_key, &governance, c),
                ),
            };
            let diff = diff_lines(&state, &next);
            let step = match (effect, &change) {
                (Effect::Loosens, Change::Config(c)) if state.timelock_secs > 0 => {
                    let pending = pda::pending_change_address(&fund_key, c);
                    let anyone = Pubkey::default();
                    let execute = ix::with_pending_change(
                        config_ix(&fund_key, &anyone, c),
                        pending,
                        governance,
                    );
                    Step {
                        title,
                        diff,
                        effect,
                        governance_ix: ix::queue_change(
                            &fund_key,
                            &governance,
                            &governance,
                            c.clone(),
                        ),
                        execute: Some((pending, execute)),
                    }
                }
                _ => Step {
                    title,
                    diff,
                    effect,
                    governance_ix: direct,
                    execute: None,
                },
            };
            steps.push(step);
            state = next;
        }
    }
    Ok(Proposal {
        fund: fund_key,
        governance,
        timelock_secs: fund.timelock_secs,
        steps,
    })
}

/// The instruction that applies `change` directly, signed by `authority`.
fn config_ix(fund: &Pubkey, authority: &Pubkey, change: &ConfigChange) -> Instruction {
    match change.clone() {
        ConfigChange::UpdateAsset { mint, params } => {
            ix::update_asset(fund, authority, &mint, params)
        }
        ConfigChange::SetBounds { bounds } => ix::set_bounds(fund, authority, bounds),
        ConfigChange::SetRebalanceParams { params } => {
            ix::set_rebalance_params(fund, authority, params)
        }
        ConfigChange::SetDrawParams { params } => ix::set_draw_params(fund, authority, params),
        ConfigChange::SetGuardian { guardian } => ix::set_guardian(fund, authority, guardian),
        other => unreachable!("propose builds no {other:?}"),
    }
}

/// The proposal's instructions as a Solana transaction message (legacy format, fee payer and
/// signer = the governance vault, blockhash zero), base58: what a Squads v4 vault transaction
/// executes, ready for Squads' transaction import.
pub fn squads_message_base58(p: &Proposal) -> String {
    let message = solana_message::Message::new(&p.instructions(), Some(&p.governance));
    bs58::encode(message.serialize()).into_string()
}

/// SPL Governance's `InstructionData` (Borsh), one per instruction, base64: the data of a
/// proposal transaction (`InsertTransaction`) and what Realms' custom-instruction field takes.
pub fn spl_governance_instruction_data(p: &Proposal) -> Vec<String> {
    p.instructions()
        .iter()
        .map(|ix| {
            let mut out = vec![];
            out.extend_from_slice(ix.program_id.as_ref());
            out.extend_from_slice(&(ix.accounts.len() as u32).to_le_bytes());
            for m in &ix.accounts {
                out.extend_from_slice(m.pubkey.as_ref());
                out.push(m.is_signer as u8);
                out.push(m.is_writable as u8);
            }
            out.extend_from_slice(&(ix.data.len() as u32).to_le_bytes());
            out.extend_from_slice(&ix.data);
            base64::engine::general_purpose::STANDARD.encode(out)
        })
        .collect()
}

fn describe_ix(out: &mut String, ix: &Instruction) {
    let _ = writeln!(out, "    program {}", ix.program_id);
    for (i, m) in ix.accounts.iter().enumerate() {
        let role = match (m.is_signer, m.is_writable) {
            (true, true) => "signer, writable",
            (true, false) => "signer",
            (false, true) => "writable",
            (false, false) => "",
        };
        let _ = writeln!(out, "    #{i:<2} {} {role}", m.pubkey);
    }
    let _ = writeln!(
        out,
        "    data (base58) {}",
        bs58::encode(&ix.data).into_string()
    );
}

/// The whole printout: diff, instructions, and both governance encodings.
pub fn render(p: &Proposal) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Fund {}  governance {}  timelock {} s",
        p.fund, p.governance, p.timelock_secs
    );
    let _ = writeln!(
        out,
        "\n== Changes (each checked against the program's own rules)"
    );
    for (n, s) in p.steps.iter().enumerate() {
        let when = match (&s.execute, s.effect) {
            (Some(_), _) => format!(
                "LOOSENS: queued, executable by anyone {} s after the proposal executes",
                p.timelock_secs
            ),
            (None, Effect::Loosens) => {
                "LOOSENS: applies at once (the fund has no timelock)".to_string()
            }
            (None, Effect::Tightens) => "applies at once".to_string(),
        };
        let _ = writeln!(out, "{}. {}  [{}]", n + 1, s.title, when);
        if s.diff.is_empty() {
            let _ = writeln!(out, "   (no change)");
        }
        for d in &s.diff {
            let _ = writeln!(out, "   {d}");
        }
    }
    let _ = writeln!(out, "\n== Instructions governance executes (in order)");
    for (n, s) in p.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {}",
            n + 1,
            if s.execute.is_some() {
                format!("queue_change ({})", s.title)
            } else {
                s.title.clone()
            }
        );
        describe_ix(&mut out, &s.governance_ix);
    }
    let queued: Vec<&Step> = p.steps.iter().filter(|s| s.execute.is_some()).collect();
    if !queued.is_empty() {
        let _ = writeln!(
            out,
            "\n== After the timelock, anyone executes (any signer in the authority slot #0)"
        );
        for s in queued {
            let (pending, ix) = s.execute.as_ref().expect("queued");
            let _ = writeln!(out, "- {}  (queued change {pending})", s.title);
            describe_ix(&mut out, ix);
        }
    }
    let _ = writeln!(out, "\n== Squads v4: transaction message (base58; import it as a vault transaction of the vault {})", p.governance);
    let _ = writeln!(out, "{}", squads_message_base58(p));
    let _ = writeln!(out, "\n== SPL Governance: proposal transaction instruction data (base64 InstructionData, one per instruction)");
    for d in spl_governance_instruction_data(p) {
        let _ = writeln!(out, "{d}");
    }
    out
}
