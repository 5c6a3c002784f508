//! `ifund propose`: a configuration change described in a TOML file, checked locally with the
//! program's own rules (`Fund::invariant`, `ConfigChange::validate_shape`,
//! `Claimant::invariant`, the Token-2022 vault policy, `ConfigChange::effect`), then printed
//! three ways: a human-readable diff, the exact instructions for the fund, and the same
//! instructions wrapped for the two governance systems in use (a Squads v4 vault transaction
//! message, SPL Governance proposal-transaction instruction data), so voters approve exactly
//! what executes.
//!
//! Loosening changes on a fund with a timelock become `queue_change` instructions; the output
//! then also gives the instruction anyone sends after the delay to execute each one. The check
//! follows that timing: a change applied at once is checked against the fund as it will be
//! when the proposal executes, a queued one against the fund as it will be when it executes
//! after the delay (every change applied at once, then the queued ones in order).

use crate::chain::Chain;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use anyhow::{bail, Context};
use base64::Engine;
use insurance_fund::instructions::BoundsArgs;
use insurance_fund::state::{
    asset_flags, Asset, AssetParams, Claimant, ClaimantCaps, CrisisProfile, DrawConfig,
    FallbackConfig, FallbackParams, Fund, LiquidityClass, OracleConfig, OracleParams, OracleSource,
    RebalanceConfig, TokenProgramKind,
};
use insurance_fund::timelock::{ConfigChange, Effect};
use insurance_fund_client::governance::spl_governance;
use insurance_fund_client::{decode, ix, pda};
use serde::Deserialize;
use solana_account::Account;
use std::collections::{BTreeMap, HashMap};
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
    /// `add_asset`, per mint.
    pub add_assets: Option<BTreeMap<String, NewAsset>>,
    /// `register_claimant`, per claimant authority.
    pub register_claimants: Option<BTreeMap<String, NewClaimant>>,
    /// `update_claimant`, per claimant authority.
    pub claimants: Option<BTreeMap<String, ClaimantPatch>>,
    /// `remove_claimant`, per claimant authority.
    pub remove_claimants: Option<BTreeMap<String, RemovedClaimant>>,
    /// `retire_asset`, by mint (target 0 first: `[targets]` in the same file does it).
    pub retire_assets: Option<Vec<String>>,
    /// `remove_asset`, per mint (target 0, nothing booked or held).
    pub remove_assets: Option<BTreeMap<String, RemovedAsset>>,
    /// `propose_governance`: the first step of a governance transfer.
    pub governance: Option<GovernancePatch>,
}

/// A governance transfer: the current governance names its successor
/// (`propose_governance`, applies at once); the successor then takes over with
/// `accept_governance` (`ifund propose --accept-governance`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernancePatch {
    /// The new governance: a Squads vault, an SPL Governance native treasury or a key.
    pub new: String,
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
    pub max_discount_bps: Option<u16>,
    /// `[rebalance.crisis]`: each field given replaces the fund's; amounts in atoms.
    pub crisis: Option<CrisisPatch>,
    pub auction_duration_secs: Option<u32>,
    pub window_secs: Option<u32>,
    pub max_volume_per_window: Option<u64>,
    pub premium_budget_per_window: Option<u64>,
    pub min_trade_value: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrisisPatch {
    pub max_volume_per_window: Option<u64>,
    pub premium_budget_per_window: Option<u64>,
    pub auction_duration_secs: Option<u32>,
    pub max_premium_bps: Option<u16>,
    pub max_discount_bps: Option<u16>,
    pub gap_trigger_bps: Option<u16>,
    pub liquid_target_bps: Option<u16>,
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
    /// "liquid", "yield-bearing" or "illiquid".
    pub class: Option<String>,
    /// Any of "deposit", "rebalance-in", "rebalance-out", "draw".
    pub flags: Option<Vec<String>>,
    /// A new oracle configuration (loosens: it waits for the timelock).
    pub oracle: Option<OraclePatch>,
}

/// An oracle configuration. Changing an asset's oracle, fields left out keep their current
/// value (those of the other source when the source changes: max age 60 s, max confidence
/// 100 bps, exponent 0); adding an asset, `source` and the source's price field are required.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OraclePatch {
    /// "pyth" (a Pyth pull-oracle feed) or "fixed" (a constant: the numeraire itself).
    pub source: Option<String>,
    /// Pyth feed id, 64 hex digits (optionally 0x-prefixed).
    pub feed_id: Option<String>,
    pub max_age_secs: Option<u32>,
    pub max_conf_bps: Option<u16>,
    /// One whole token = `fixed_price * 10^fixed_expo` numeraire units.
    pub fixed_price: Option<u64>,
    pub fixed_expo: Option<i32>,
    /// A Pyth-priced stablecoin's peg band (bps around 1.00; 0 = none).
    pub peg_band_bps: Option<u16>,
    /// `[...oracle.fallback]`: the asset's second source (a Switchboard On-Demand pull feed).
    pub fallback: Option<FallbackPatch>,
}

/// A fallback source. Adding one, `feed` is required and the limits default to 60 s,
/// 100 bps and 100 bps; changing one, fields left out keep their value; `feed = "none"`
/// removes it (tightens: applies at once). Adding one, another feed, or a higher limit loosens.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FallbackPatch {
    /// The pull feed account's address, or "none".
    pub feed: Option<String>,
    pub max_age_secs: Option<u32>,
    pub max_conf_bps: Option<u16>,
    /// Largest difference from the primary price (fresh, or the last good one), bps of it.
    pub max_divergence_bps: Option<u16>,
}

/// `remove_asset`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovedAsset {
    /// Receives the vault's rent; default: the fund's governance.
    pub rent_recipient: Option<String>,
}

/// `add_asset`: the token program is the mint account's owner, the decimals the mint's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    /// "liquid", "yield-bearing" or "illiquid".
    pub class: String,
    pub max_weight_bps: u16,
    #[serde(default)]
    pub haircut_bps: u16,
    /// Any of "deposit", "rebalance-in", "rebalance-out", "draw"; default all four.
    pub flags: Option<Vec<String>>,
    pub oracle: OraclePatch,
}

/// `register_claimant`; caps in numeraire atoms.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClaimant {
    pub payout_owner: String,
    pub max_per_shortfall: u64,
    pub max_per_window: u64,
    pub lifetime_max: u64,
}

/// `update_claimant`; caps in numeraire atoms.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimantPatch {
    pub payout_owner: Option<String>,
    pub max_per_shortfall: Option<u64>,
    pub max_per_window: Option<u64>,
    pub lifetime_max: Option<u64>,
    pub enabled: Option<bool>,
}

/// `remove_claimant`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovedClaimant {
    /// Receives the claimant account's rent; default: the fund's governance.
    pub rent_receiver: Option<String>,
}

/// Reads and parses a change file; errors name the file, the field and the value.
pub fn load(path: &std::path::Path) -> anyhow::Result<ChangeFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read change file {}", path.display()))?;
    parse(&text).with_context(|| format!("in change file {}", path.display()))
}

fn none<T>(m: &Option<BTreeMap<String, T>>) -> bool {
    m.as_ref().is_none_or(|m| m.is_empty())
}

pub fn parse(text: &str) -> anyhow::Result<ChangeFile> {
    let file: ChangeFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let empty = file.targets.is_none()
        && file.bounds.is_none()
        && file.rebalance.is_none()
        && file.draws.is_none()
        && file.guardian.is_none()
        && none(&file.assets)
        && none(&file.add_assets)
        && none(&file.register_claimants)
        && none(&file.claimants)
        && none(&file.remove_claimants)
        && file.retire_assets.as_ref().is_none_or(|v| v.is_empty())
        && none(&file.remove_assets)
        && file.governance.is_none();
    if empty {
        bail!("the file proposes nothing: give at least one of [targets], [bounds], [rebalance], [draws], [guardian], [assets.\"<mint>\"], [add_assets.\"<mint>\"], retire_assets, [remove_assets.\"<mint>\"], [register_claimants.\"<authority>\"], [claimants.\"<authority>\"], [remove_claimants.\"<authority>\"], [governance]");
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
    /// delay (every signer slot of it is a placeholder for the sender's key).
    pub execute: Option<(Pubkey, Instruction)>,
    /// The fund's timelock when the proposal executes this step (the delay of a queued one).
    pub delay_secs: u32,
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

#[derive(Clone, Copy)]
enum Section {
    AddAssets,
    Assets,
    Bounds,
    Rebalance,
    Draws,
    Guardian,
    Targets,
    RetireAssets,
    RemoveAssets,
    RemoveClaimants,
    RegisterClaimants,
    Claimants,
    Governance,
}

/// A step before it is encoded: the change to the fund, as applied locally.
#[derive(Clone)]
enum Change {
    Config(ConfigChange),
    Targets(Vec<u16>),
    /// Not a `ConfigChange`: `remove_claimant` has no timelock path, it applies at once.
    RemoveClaimant {
        authority: Pubkey,
        rent_receiver: Pubkey,
    },
    /// Not a `ConfigChange`: `propose_governance` applies at once.
    ProposeGovernance(Pubkey),
    /// Not a `ConfigChange`: `retire_asset` only tightens, it applies at once.
    RetireAsset(Pubkey),
    /// Not a `ConfigChange`: `remove_asset` applies at once.
    RemoveAsset {
        mint: Pubkey,
        rent_recipient: Pubkey,
    },
}

/// A change with where it comes from in the file, for messages.
struct Planned {
    title: String,
    /// The file's field, e.g. `add_assets."<mint>"`.
    field: String,
    /// The proposed value, summarised.
    value: String,
    change: Change,
}

/// What the proposal reads from the chain besides the fund: the accounts of the mints it adds
/// and of the claimants it names (absent ones as `None`).
pub struct OnChain {
    /// The chain, for messages.
    pub source: String,
    pub accounts: HashMap<Pubkey, Option<Account>>,
}

/// The fund and its claimants as the program will see them at some point of the proposal.
#[derive(Clone)]
struct State {
    fund: Box<Fund>,
    /// The claimants the file names, by authority; `None`: no claimant account.
    claimants: BTreeMap<Pubkey, Option<Claimant>>,
}

struct Ctx<'a> {
    fund_key: Pubkey,
    on_chain: &'a OnChain,
}

fn pubkey(field: &str, s: &str) -> anyhow::Result<Pubkey> {
    Pubkey::from_str(s.trim()).map_err(|_| anyhow::anyhow!("{field}: {s:?} is not a public key"))
}

/// Class and flag names are kebab-case, as in `ifund init`'s config and the scenarios;
/// `snake_case` spellings are accepted too.
fn kebab(s: &str) -> String {
    s.trim().replace('_', "-")
}

fn class(field: &str, s: &str) -> anyhow::Result<LiquidityClass> {
    Ok(match kebab(s).as_str() {
        "liquid" => LiquidityClass::Liquid,
        "yield-bearing" => LiquidityClass::YieldBearing,
        "illiquid" => LiquidityClass::Illiquid,
        _ => bail!("{field}: {s:?} is not a class (liquid, yield-bearing, illiquid)"),
    })
}

/// A stored class byte by its change-file name.
fn class_name(class: u8) -> String {
    match LiquidityClass::try_from(class) {
        Ok(LiquidityClass::Liquid) => "liquid".into(),
        Ok(LiquidityClass::YieldBearing) => "yield-bearing".into(),
        Ok(LiquidityClass::Illiquid) => "illiquid".into(),
        Err(_) => format!("class {class}"),
    }
}

/// `asset_flags` bits by their change-file names.
fn flag_names(bits: u8) -> String {
    let names: Vec<&str> = [
        (asset_flags::DEPOSIT, "deposit"),
        (asset_flags::REBALANCE_IN, "rebalance-in"),
        (asset_flags::REBALANCE_OUT, "rebalance-out"),
        (asset_flags::DRAW, "draw"),
    ]
    .into_iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, n)| n)
    .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn flags(field: &str, names: &[String]) -> anyhow::Result<u8> {
    let mut bits = 0;
    for n in names {
        bits |= match kebab(n).as_str() {
            "deposit" => asset_flags::DEPOSIT,
            "rebalance-in" => asset_flags::REBALANCE_IN,
            "rebalance-out" => asset_flags::REBALANCE_OUT,
            "draw" => asset_flags::DRAW,
            _ => bail!("{field}: {n:?} is not a flag (deposit, rebalance-in, rebalance-out, draw)"),
        };
    }
    Ok(bits)
}

/// The oracle parameters `p` describes, over `current` (an asset's, when changing it).
fn oracle_params(
    field: &str,
    current: Option<OracleParams>,
    p: &OraclePatch,
) -> anyhow::Result<OracleParams> {
    let source = match (p.source.as_deref(), current) {
        (Some("pyth"), _) => OracleSource::PythPull,
        (Some("fixed"), _) => OracleSource::Fixed,
        (Some(other), _) => {
            bail!("{field}.source: {other:?} is not an oracle source (pyth, fixed)")
        }
        (None, Some(c)) => c.source,
        (None, None) => bail!(
            "{field}.source: missing: \"pyth\" (with feed_id) or \"fixed\" (with fixed_price)"
        ),
    };
    // the stored configuration keeps only the fields of its own source
    let base = current
        .filter(|c| c.source == source)
        .unwrap_or(OracleParams {
            source,
            feed_id: [0; 32],
            max_age_secs: 60,
            max_conf_bps: 100,
            fixed_price: 0,
            fixed_expo: 0,
            peg_band_bps: 0,
        });
    let fresh = current.is_none_or(|c| c.source != source);
    match source {
        OracleSource::PythPull if fresh && p.feed_id.is_none() => {
            bail!("{field}.feed_id: missing: a Pyth-priced asset needs its feed id (64 hex digits)")
        }
        OracleSource::Fixed if fresh && p.fixed_price.is_none() => bail!(
            "{field}.fixed_price: missing: a fixed-price asset needs fixed_price (and fixed_expo)"
        ),
        _ => {}
    }
    let feed_id = match &p.feed_id {
        Some(h) => crate::config::parse_feed_id(h).ok_or_else(|| {
            anyhow::anyhow!(
                "{field}.feed_id: {h:?} is not a feed id (64 hex digits, optionally 0x-prefixed)"
            )
        })?,
        None => base.feed_id,
    };
    Ok(OracleParams {
        source,
        feed_id,
        max_age_secs: p.max_age_secs.unwrap_or(base.max_age_secs),
        max_conf_bps: p.max_conf_bps.unwrap_or(base.max_conf_bps),
        fixed_price: p.fixed_price.unwrap_or(base.fixed_price),
        fixed_expo: p.fixed_expo.unwrap_or(base.fixed_expo),
        peg_band_bps: p.peg_band_bps.unwrap_or(base.peg_band_bps),
    })
}

/// The fallback `p` describes, over `current` (the asset's, when changing it).
fn fallback_params(
    field: &str,
    current: Option<FallbackParams>,
    p: &FallbackPatch,
) -> anyhow::Result<Option<FallbackParams>> {
    let feed = match p.feed.as_deref().map(str::trim) {
        Some("none") => return Ok(None),
        Some(k) => pubkey(&format!("{field}.feed"), k)?,
        None => match current {
            Some(c) => c.feed,
            None => bail!("{field}.feed: missing: a new fallback needs its pull feed account"),
        },
    };
    let base = current.unwrap_or(FallbackParams {
        feed,
        max_age_secs: 60,
        max_conf_bps: 100,
        max_divergence_bps: 100,
    });
    Ok(Some(FallbackParams {
        feed,
        max_age_secs: p.max_age_secs.unwrap_or(base.max_age_secs),
        max_conf_bps: p.max_conf_bps.unwrap_or(base.max_conf_bps),
        max_divergence_bps: p.max_divergence_bps.unwrap_or(base.max_divergence_bps),
    }))
}

/// A program error as `Name: message`.
fn reason(e: anchor_lang::error::Error) -> anyhow::Error {
    match e {
        anchor_lang::error::Error::AnchorError(a) => {
            anyhow::anyhow!("{}: {}", a.error_name, a.error_msg)
        }
        anchor_lang::error::Error::ProgramError(p) => anyhow::anyhow!("{}", p.program_error),
    }
}

/// A program rule, its error as the program names it.
fn rule<T>(r: anchor_lang::Result<T>) -> anyhow::Result<T> {
    r.map_err(reason)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn oracle_desc(o: &OracleConfig) -> String {
    match OracleSource::try_from(o.source) {
        Ok(OracleSource::PythPull) => format!(
            "pyth feed 0x{}, max age {} s, max conf {} bps (push feed account {})",
            hex(&o.feed_id),
            o.max_age_secs,
            o.max_conf_bps,
            pda::pyth_push_feed_address(0, &o.feed_id)
        ),
        Ok(OracleSource::Fixed) => format!("fixed {} x 10^{}", o.fixed_price, o.fixed_expo),
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

fn params_desc(p: &AssetParams) -> String {
    format!(
        "class {}, max_weight_bps {}, haircut_bps {}, flags [{}], oracle {}, fallback {}",
        class_name(p.class as u8),
        p.max_weight_bps,
        p.haircut_bps,
        flag_names(p.flags),
        oracle_desc(&p.oracle.into()),
        fallback_desc(&p.fallback.into())
    )
}

fn caps_desc(payout_owner: &Pubkey, caps: &ClaimantCaps) -> String {
    format!(
        "payout_owner {payout_owner}, max_per_shortfall {}, max_per_window {}, lifetime_max {}",
        caps.max_per_shortfall, caps.max_per_window, caps.lifetime_max
    )
}

/// The claimant of `authority` in `state`, which must exist when the proposal executes.
fn known_claimant<'s>(
    ctx: &Ctx,
    now: &'s State,
    later: &State,
    field: &str,
    authority: &Pubkey,
) -> anyhow::Result<&'s Claimant> {
    match now.claimants.get(authority) {
        Some(Some(c)) => Ok(c),
        _ if matches!(later.claimants.get(authority), Some(Some(_))) => bail!(
            "{field}: {authority} is registered only once its queued register_claimant executes, after the timelock: propose this change then"
        ),
        _ => bail!(
            "{field}: {authority} is not a registered claimant of fund {} (no claimant account at {})",
            ctx.fund_key,
            pda::claimant_address(&ctx.fund_key, authority)
        ),
    }
}

fn changes_of(
    ctx: &Ctx,
    now: &State,
    later: &State,
    file: &ChangeFile,
    section: Section,
) -> anyhow::Result<Vec<Planned>> {
    let fund = &now.fund;
    let mut out = vec![];
    match section {
        Section::AddAssets => {
            for (mint_s, a) in file.add_assets.iter().flatten() {
                let field = format!("add_assets.\"{mint_s}\"");
                let mint = pubkey(&field, mint_s)?;
                if !matches!(ctx.on_chain.accounts.get(&mint), Some(Some(_))) {
                    bail!(
                        "{field}: no account at {mint} on {}: add_asset needs the mint (its owner is the token program, its decimals the asset's)",
                        ctx.on_chain.source
                    );
                }
                let params = AssetParams {
                    max_weight_bps: a.max_weight_bps,
                    haircut_bps: a.haircut_bps,
                    class: class(&format!("{field}.class"), &a.class)?,
                    oracle: oracle_params(&format!("{field}.oracle"), None, &a.oracle)?,
                    flags: match &a.flags {
                        Some(f) => flags(&format!("{field}.flags"), f)?,
                        None => asset_flags::ALL,
                    },
                    fallback: match &a.oracle.fallback {
                        Some(fb) => fallback_params(&format!("{field}.oracle.fallback"), None, fb)?,
                        None => None,
                    },
                };
                out.push(Planned {
                    title: format!("add_asset {mint}"),
                    value: params_desc(&params),
                    field,
                    change: Change::Config(ConfigChange::AddAsset { mint, params }),
                });
            }
        }
        Section::Assets => {
            for (mint_s, p) in file.assets.iter().flatten() {
                let field = format!("assets.\"{mint_s}\"");
                let mint = pubkey(&field, mint_s)?;
                let index = fund.asset_index(&mint).map_err(|_| {
                    anyhow::anyhow!("{field}: {mint} is not registered in the fund")
                })?;
                let mut params: AssetParams = rule(fund.assets[index].params())?;
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
                if let Some(o) = &p.oracle {
                    params.oracle =
                        oracle_params(&format!("{field}.oracle"), Some(params.oracle), o)?;
                    if let Some(fb) = &o.fallback {
                        params.fallback = fallback_params(
                            &format!("{field}.oracle.fallback"),
                            params.fallback,
                            fb,
                        )?;
                    }
                }
                out.push(Planned {
                    title: format!("update_asset {mint}"),
                    value: params_desc(&params),
                    field,
                    change: Change::Config(ConfigChange::UpdateAsset { mint, params }),
                });
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
                out.push(Planned {
                    title: "set_bounds".into(),
                    field: "bounds".into(),
                    value: format!("{bounds:?}"),
                    change: Change::Config(ConfigChange::SetBounds { bounds }),
                });
            }
        }
        Section::Rebalance => {
            if let Some(r) = &file.rebalance {
                let c = fund.rebalance;
                let params = RebalanceConfig {
                    band_bps: r.band_bps.unwrap_or(c.band_bps),
                    start_premium_bps: r.start_premium_bps.unwrap_or(c.start_premium_bps),
                    max_premium_bps: r.max_premium_bps.unwrap_or(c.max_premium_bps),
                    max_discount_bps: r.max_discount_bps.unwrap_or(c.max_discount_bps),
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
                    crisis: match &r.crisis {
                        None => c.crisis,
                        Some(p) => CrisisProfile {
                            max_volume_per_window: p
                                .max_volume_per_window
                                .unwrap_or(c.crisis.max_volume_per_window),
                            premium_budget_per_window: p
                                .premium_budget_per_window
                                .unwrap_or(c.crisis.premium_budget_per_window),
                            auction_duration_secs: p
                                .auction_duration_secs
                                .unwrap_or(c.crisis.auction_duration_secs),
                            max_premium_bps: p.max_premium_bps.unwrap_or(c.crisis.max_premium_bps),
                            max_discount_bps: p
                                .max_discount_bps
                                .unwrap_or(c.crisis.max_discount_bps),
                            gap_trigger_bps: p.gap_trigger_bps.unwrap_or(c.crisis.gap_trigger_bps),
                            liquid_target_bps: p
                                .liquid_target_bps
                                .unwrap_or(c.crisis.liquid_target_bps),
                            _pad: [0; 4],
                        },
                    },
                };
                out.push(Planned {
                    title: "set_rebalance_params".into(),
                    field: "rebalance".into(),
                    value: format!("{params:?}"),
                    change: Change::Config(ConfigChange::SetRebalanceParams { params }),
                });
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
                out.push(Planned {
                    title: "set_draw_params".into(),
                    field: "draws".into(),
                    value: format!("{params:?}"),
                    change: Change::Config(ConfigChange::SetDrawParams { params }),
                });
            }
        }
        Section::Guardian => {
            if let Some(g) = &file.guardian {
                let guardian = match g.key.trim() {
                    "none" => None,
                    k => Some(pubkey("guardian.key", k)?),
                };
                out.push(Planned {
                    title: "set_guardian".into(),
                    field: "guardian.key".into(),
                    value: format!("{:?}", g.key),
                    change: Change::Config(ConfigChange::SetGuardian { guardian }),
                });
            }
        }
        Section::Targets => {
            if let Some(t) = &file.targets {
                let mut targets = vec![None; fund.asset_count as usize];
                for (mint_s, bps) in t {
                    let field = format!("targets.\"{mint_s}\"");
                    let mint = pubkey(&field, mint_s)?;
                    let i = match fund.asset_index(&mint) {
                        Ok(i) => i,
                        Err(_) if later.fund.asset_index(&mint).is_ok() => bail!(
                            "{field}: {mint} is registered only once its queued add_asset executes, after the {} s timelock: propose its target then",
                            fund.timelock_secs
                        ),
                        Err(_) => bail!("{field}: {mint} is not registered in the fund"),
                    };
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
                out.push(Planned {
                    title: "set_targets".into(),
                    field: "targets".into(),
                    value: format!("{v:?}"),
                    change: Change::Targets(v),
                });
            }
        }
        Section::RegisterClaimants => {
            for (auth_s, c) in file.register_claimants.iter().flatten() {
                let field = format!("register_claimants.\"{auth_s}\"");
                let authority = pubkey(&field, auth_s)?;
                let payout_owner = pubkey(&format!("{field}.payout_owner"), &c.payout_owner)?;
                let caps = ClaimantCaps {
                    max_per_shortfall: c.max_per_shortfall,
                    max_per_window: c.max_per_window,
                    lifetime_max: c.lifetime_max,
                };
                out.push(Planned {
                    title: format!("register_claimant {authority}"),
                    value: caps_desc(&payout_owner, &caps),
                    field,
                    change: Change::Config(ConfigChange::RegisterClaimant {
                        authority,
                        payout_owner,
                        caps,
                    }),
                });
            }
        }
        Section::Claimants => {
            for (auth_s, p) in file.claimants.iter().flatten() {
                let field = format!("claimants.\"{auth_s}\"");
                let authority = pubkey(&field, auth_s)?;
                let current = known_claimant(ctx, now, later, &field, &authority)?;
                let payout_owner = match &p.payout_owner {
                    Some(k) => pubkey(&format!("{field}.payout_owner"), k)?,
                    None => current.payout_owner,
                };
                let caps = ClaimantCaps {
                    max_per_shortfall: p
                        .max_per_shortfall
                        .unwrap_or(current.caps.max_per_shortfall),
                    max_per_window: p.max_per_window.unwrap_or(current.caps.max_per_window),
                    lifetime_max: p.lifetime_max.unwrap_or(current.caps.lifetime_max),
                };
                let enabled = p.enabled.unwrap_or(current.enabled);
                out.push(Planned {
                    title: format!("update_claimant {authority}"),
                    value: format!("{}, enabled {enabled}", caps_desc(&payout_owner, &caps)),
                    field,
                    change: Change::Config(ConfigChange::UpdateClaimant {
                        authority,
                        payout_owner,
                        caps,
                        enabled,
                    }),
                });
            }
        }
        Section::Governance => {
            if let Some(g) = &file.governance {
                let new = pubkey("governance.new", &g.new)?;
                out.push(Planned {
                    title: format!("propose_governance {new}"),
                    value: new.to_string(),
                    field: "governance.new".into(),
                    change: Change::ProposeGovernance(new),
                });
            }
        }
        Section::RetireAssets => {
            for (k, mint_s) in file.retire_assets.iter().flatten().enumerate() {
                let field = format!("retire_assets[{k}]");
                let mint = pubkey(&field, mint_s)?;
                fund.asset_index(&mint).map_err(|_| {
                    anyhow::anyhow!("{field}: {mint} is not registered in the fund")
                })?;
                out.push(Planned {
                    title: format!("retire_asset {mint}"),
                    value: mint.to_string(),
                    field,
                    change: Change::RetireAsset(mint),
                });
            }
        }
        Section::RemoveAssets => {
            for (mint_s, r) in file.remove_assets.iter().flatten() {
                let field = format!("remove_assets.\"{mint_s}\"");
                let mint = pubkey(&field, mint_s)?;
                fund.asset_index(&mint).map_err(|_| {
                    anyhow::anyhow!("{field}: {mint} is not registered in the fund")
                })?;
                let rent_recipient = match &r.rent_recipient {
                    Some(k) => pubkey(&format!("{field}.rent_recipient"), k)?,
                    None => fund.governance,
                };
                out.push(Planned {
                    title: format!("remove_asset {mint} (vault rent to {rent_recipient})"),
                    value: format!("rent_recipient {rent_recipient}"),
                    field,
                    change: Change::RemoveAsset {
                        mint,
                        rent_recipient,
                    },
                });
            }
        }
        Section::RemoveClaimants => {
            for (auth_s, r) in file.remove_claimants.iter().flatten() {
                let field = format!("remove_claimants.\"{auth_s}\"");
                let authority = pubkey(&field, auth_s)?;
                known_claimant(ctx, now, later, &field, &authority)?;
                let rent_receiver = match &r.rent_receiver {
                    Some(k) => pubkey(&format!("{field}.rent_receiver"), k)?,
                    None => fund.governance,
                };
                out.push(Planned {
                    title: format!("remove_claimant {authority} (rent to {rent_receiver})"),
                    value: format!("rent_receiver {rent_receiver}"),
                    field,
                    change: Change::RemoveClaimant {
                        authority,
                        rent_receiver,
                    },
                });
            }
        }
    }
    Ok(out)
}

/// The new asset the program's `add_asset` would append for `mint`: the mint account's owner
/// must be a token program (`TokenProgramMismatch`) and its extensions must pass the vault
/// policy (`token_policy::check_mint_extensions`, the program's own function).
fn new_asset(ctx: &Ctx, mint: &Pubkey) -> anyhow::Result<Asset> {
    let account = ctx
        .on_chain
        .accounts
        .get(mint)
        .cloned()
        .flatten()
        .with_context(|| format!("no mint account at {mint} on {}", ctx.on_chain.source))?;
    let token_program = TokenProgramKind::from_program_id(&account.owner)
        .map_err(reason)
        .with_context(|| format!("{mint} is owned by {}", account.owner))?;
    let state = decode::mint(&account.data).with_context(|| format!("{mint} is not a mint"))?;
    let (mut lamports, mut data) = (account.lamports, account.data.clone());
    let info = AccountInfo::new(
        mint,
        false,
        false,
        &mut lamports,
        &mut data,
        &account.owner,
        false,
    );
    rule(insurance_fund::token_policy::check_mint_extensions(&info))?;
    let (vault, vault_bump) = pda::vault_address_and_bump(&ctx.fund_key, mint);
    Ok(Asset {
        mint: *mint,
        vault,
        decimals: state.decimals,
        token_program: token_program as u8,
        vault_bump,
        ..Asset::default()
    })
}

/// Applies `change` to a copy of `state` as the program would, then runs the program's own
/// validation on the result (`Fund::invariant`, `Claimant::invariant`, and the checks of the
/// instruction itself).
fn apply(ctx: &Ctx, state: &State, change: &Change) -> anyhow::Result<State> {
    let mut s = state.clone();
    let f = &mut s.fund;
    match change {
        Change::Targets(t) => {
            for (a, bps) in f.registered_assets_mut().iter_mut().zip(t) {
                a.target_bps = *bps;
            }
        }
        Change::ProposeGovernance(new) => {
            // propose_governance
            if *new == Pubkey::default() || *new == f.governance {
                return Err(reason(anchor_lang::error!(
                    insurance_fund::error::FundError::InvalidGovernance
                )))
                .with_context(|| format!("{new} is the default key or the current governance"));
            }
            f.pending_governance = *new;
        }
        Change::RetireAsset(mint) => {
            // retire_asset
            let i = rule(f.asset_index(mint))?;
            rule(f.assets[i].retire())?;
        }
        Change::RemoveAsset { mint, .. } => {
            // remove_asset: the vault's balance as read now (a deposit before the proposal
            // executes would still make the program refuse it)
            let i = rule(f.asset_index(mint))?;
            let vault = f.assets[i].vault;
            let amount = match ctx.on_chain.accounts.get(&vault).cloned().flatten() {
                Some(a) => {
                    decode::token_account(&a.data)
                        .with_context(|| format!("the vault {vault} is not a token account"))?
                        .amount
                }
                None => bail!("no vault account at {vault} on {}", ctx.on_chain.source),
            };
            rule(f.assets[i].check_removable(amount))
                .with_context(|| format!("vault {vault} holds {amount}"))?;
            f.remove_asset_at(i);
        }
        Change::RemoveClaimant { authority, .. } => {
            let c = s
                .claimants
                .get_mut(authority)
                .and_then(Option::take)
                .with_context(|| format!("no claimant account for {authority}"))?;
            // remove_claimant
            rule(c.check_removable())
                .map_err(|e| anyhow::anyhow!("{e} (it has {} open)", c.open_shortfalls))?;
        }
        Change::Config(c) => {
            // what queue_change checks; the direct instructions check the same
            rule(c.validate_shape())?;
            match c {
                ConfigChange::AddAsset { mint, params } => {
                    let mut asset = new_asset(ctx, mint)?;
                    // add_asset
                    rule(f.check_can_add(mint))?;
                    asset.apply_params(params);
                    let n = f.asset_count as usize;
                    f.assets[n] = asset;
                    f.asset_count += 1;
                }
                ConfigChange::UpdateAsset { mint, params } => {
                    let i = rule(f.asset_index(mint))?;
                    f.assets[i].apply_params(params);
                }
                ConfigChange::SetBounds { bounds } => {
                    f.min_liquid_bps = bounds.min_liquid_bps;
                    f.max_price_age_secs = bounds.max_price_age_secs;
                    f.max_pause_secs = bounds.max_pause_secs;
                    f.timelock_secs = bounds.timelock_secs;
                }
                ConfigChange::SetRebalanceParams { params } => f.rebalance = *params,
                ConfigChange::SetDrawParams { params } => f.draws = *params,
                ConfigChange::SetGuardian { guardian } => f.guardian = guardian.unwrap_or_default(),
                ConfigChange::RegisterClaimant {
                    authority,
                    payout_owner,
                    caps,
                } => {
                    let slot = s.claimants.entry(*authority).or_default();
                    anyhow::ensure!(
                        slot.is_none(),
                        "{authority} is already a claimant of this fund (account {} exists)",
                        pda::claimant_address(&ctx.fund_key, authority)
                    );
                    check_claimant_keys(ctx, authority, payout_owner)?;
                    let claimant = Claimant::new(
                        ctx.fund_key,
                        *authority,
                        *payout_owner,
                        *caps,
                        0, // the stamp the program gives it is not needed for these checks
                        pda::claimant_address_and_bump(&ctx.fund_key, authority).1,
                    );
                    rule(claimant.invariant())?;
                    *slot = Some(claimant);
                }
                ConfigChange::UpdateClaimant {
                    authority,
                    payout_owner,
                    caps,
                    enabled,
                } => {
                    let claimant = s
                        .claimants
                        .get_mut(authority)
                        .and_then(Option::as_mut)
                        .with_context(|| format!("no claimant account for {authority}"))?;
                    check_claimant_keys(ctx, authority, payout_owner)?;
                    claimant.payout_owner = *payout_owner;
                    claimant.caps = *caps;
                    claimant.enabled = *enabled;
                    rule(claimant.invariant())?;
                }
            }
        }
    }
    rule(s.fund.invariant())?;
    Ok(s)
}

/// The key checks of `register_claimant` / `update_claimant` (`Claimant::check_keys`).
fn check_claimant_keys(ctx: &Ctx, authority: &Pubkey, payout_owner: &Pubkey) -> anyhow::Result<()> {
    rule(Claimant::check_keys(&ctx.fund_key, authority, payout_owner))
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
        was(&|a| class_name(a.class)),
        class_name(b.class),
    );
    line(
        &format!("asset {m} flags"),
        was(&|a| flag_names(a.flags)),
        flag_names(b.flags),
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

fn diff_lines(fund_key: &Pubkey, before: &State, after: &State) -> Vec<String> {
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

const SECTION_ORDERS: [[Section; 13]; 2] = [
    [
        Section::AddAssets,
        Section::Assets,
        Section::Bounds,
        Section::Rebalance,
        Section::Draws,
        Section::Guardian,
        Section::Targets,
        Section::RetireAssets,
        Section::RemoveAssets,
        Section::RemoveClaimants,
        Section::RegisterClaimants,
        Section::Claimants,
        Section::Governance,
    ],
    [
        Section::AddAssets,
        Section::Targets,
        Section::Bounds,
        Section::Rebalance,
        Section::Draws,
        Section::Guardian,
        Section::Assets,
        Section::RetireAssets,
        Section::RemoveAssets,
        Section::RemoveClaimants,
        Section::RegisterClaimants,
        Section::Claimants,
        Section::Governance,
    ],
];

/// The accounts `file` needs besides the fund: the mints it adds, the vaults of the assets it
/// removes and the claimants it names.
fn accounts_needed(
    fund_key: &Pubkey,
    fund: &Fund,
    file: &ChangeFile,
) -> anyhow::Result<Vec<Pubkey>> {
    let mut keys = vec![];
    for mint_s in file.add_assets.iter().flat_map(|m| m.keys()) {
        keys.push(pubkey(&format!("add_assets.\"{mint_s}\""), mint_s)?);
    }
    for mint_s in file.remove_assets.iter().flat_map(|m| m.keys()) {
        let mint = pubkey(&format!("remove_assets.\"{mint_s}\""), mint_s)?;
        if let Some(a) = fund.registered_assets().iter().find(|a| a.mint == mint) {
            keys.push(a.vault);
        }
    }
    for authority in named_claimants(file)? {
        keys.push(pda::claimant_address(fund_key, &authority));
    }
    Ok(keys)
}

/// The authorities of the claimants `file` registers, updates or removes.
fn named_claimants(file: &ChangeFile) -> anyhow::Result<Vec<Pubkey>> {
    fn keys<'a, T>(
        section: &'static str,
        m: &'a Option<BTreeMap<String, T>>,
    ) -> impl Iterator<Item = (&'static str, &'a String)> {
        m.iter().flat_map(|m| m.keys()).map(move |k| (section, k))
    }
    keys("register_claimants", &file.register_claimants)
        .chain(keys("claimants", &file.claimants))
        .chain(keys("remove_claimants", &file.remove_claimants))
        .map(|(section, k)| pubkey(&format!("{section}.\"{k}\""), k))
        .collect()
}

/// Builds the proposal against the fund's current state, reading from `chain` the accounts
/// the file names (mints to add, claimants), and refuses a change already queued.
pub fn build(
    chain: &mut dyn Chain,
    fund_key: Pubkey,
    fund: &Fund,
    file: &ChangeFile,
) -> anyhow::Result<Proposal> {
    let keys = accounts_needed(&fund_key, fund, file)?;
    let found = chain.get_accounts(&keys)?;
    let on_chain = OnChain {
        source: chain.describe(),
        accounts: keys.into_iter().zip(found).collect(),
    };
    let p = build_with(fund_key, fund, file, &on_chain)?;
    let pending: Vec<(&Step, Pubkey)> = p
        .steps
        .iter()
        .filter_map(|s| s.execute.as_ref().map(|(k, _)| (s, *k)))
        .collect();
    let keys: Vec<Pubkey> = pending.iter().map(|(_, k)| *k).collect();
    for ((s, k), a) in pending.iter().zip(chain.get_accounts(&keys)?) {
        if a.is_some() {
            bail!(
                "{}: the same change is already queued at {k} (`ifund status` lists it); queue_change would fail",
                s.title
            );
        }
    }
    Ok(p)
}

/// [`build`] over accounts already read: every step is applied to a local copy and validated
/// with the program's own rules before anything is encoded. Asset changes go before target
/// changes (so raised caps make room) unless only the other order is valid (lowered caps need
/// the targets lowered first); added assets come first (at target 0), claimants last.
pub fn build_with(
    fund_key: Pubkey,
    fund: &Fund,
    file: &ChangeFile,
    on_chain: &OnChain,
) -> anyhow::Result<Proposal> {
    let ctx = Ctx { fund_key, on_chain };
    // the claimants the file names, as they are (`None`: no account yet)
    let mut claimants = BTreeMap::new();
    for authority in named_claimants(file)? {
        let key = pda::claimant_address(&fund_key, &authority);
        let record = match on_chain.accounts.get(&key).cloned().flatten() {
            None => None,
            Some(a) => Some(
                decode::claimant(&a.data)
                    .ok()
                    .filter(|c| a.owner == insurance_fund::ID && c.fund == fund_key)
                    .with_context(|| {
                        format!("the account at {key} (claimant {authority}) is not this fund's claimant")
                    })?,
            ),
        };
        claimants.insert(authority, record);
    }
    let start = State {
        fund: Box::new(*fund),
        claimants,
    };
    let mut last_err = None;
    for order in &SECTION_ORDERS {
        match build_in(&ctx, &start, file, order) {
            Ok(p) => return Ok(p),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.expect("at least one order"))
}

fn build_in(
    ctx: &Ctx,
    start: &State,
    file: &ChangeFile,
    order: &[Section],
) -> anyhow::Result<Proposal> {
    let fund_key = ctx.fund_key;
    let governance = start.fund.governance;
    // the fund when the proposal executes, and after every queued change has executed
    let mut now = start.clone();
    let mut later = start.clone();
    let mut queued: Vec<(String, Change)> = vec![];
    let mut steps = vec![];
    for section in order {
        for p in changes_of(ctx, &now, &later, file, *section)? {
            let refused = |when: &str| {
                format!(
                    "{} would be refused by the program{when} ({} = {})",
                    p.title, p.field, p.value
                )
            };
            // the classification is the program's (`ConfigChange::effect`); set_targets,
            // remove_claimant and propose_governance have no timelock path in the program:
            // they apply at once
            let effect = match &p.change {
                Change::Config(c) => {
                    let claimant = match c {
                        ConfigChange::UpdateClaimant { authority, .. } => {
                            now.claimants.get(authority).and_then(Option::as_ref)
                        }
                        _ => None,
                    };
                    rule(c.effect(&now.fund, claimant)).with_context(|| refused(""))?
                }
                Change::Targets(_)
                | Change::RemoveClaimant { .. }
                | Change::ProposeGovernance(_)
                | Change::RetireAsset(_)
                | Change::RemoveAsset { .. } => Effect::Tightens,
            };
            let delay_secs = now.fund.timelock_secs;
            let step = match (&p.change, effect) {
                (Change::Config(c), Effect::Loosens) if delay_secs > 0 => {
                    // queue_change itself checks the shape of the change
                    rule(c.validate_shape()).with_context(|| refused(""))?;
                    let next = apply(ctx, &later, &p.change)
                        .with_context(|| refused(" when it executes after the timelock"))?;
                    let diff = diff_lines(&fund_key, &later, &next);
                    later = next;
                    queued.push((p.title.clone(), p.change.clone()));
                    let pending = pda::pending_change_address(&fund_key, c);
                    let anyone = Pubkey::default();
                    let execute = ix::with_pending_change(
                        config_ix(ctx, &anyone, &anyone, c),
                        pending,
                        governance,
                    );
                    Step {
                        title: p.title,
                        diff,
                        effect,
                        governance_ix: ix::queue_change(
                            &fund_key,
                            &governance,
                            &governance,
                            c.clone(),
                        ),
                        execute: Some((pending, execute)),
                        delay_secs,
                    }
                }
                _ => {
                    let next = apply(ctx, &now, &p.change).with_context(|| refused(""))?;
                    let diff = diff_lines(&fund_key, &now, &next);
                    let before = std::mem::replace(&mut now, next);
                    // the queued changes execute later, on top of this one
                    later = now.clone();
                    for (title, q) in &queued {
                        later = apply(ctx, &later, q).with_context(|| {
                            format!(
                                "{} makes the queued {title} fail when it executes after the timelock",
                                p.title
                            )
                        })?;
                    }
                    let governance_ix = match &p.change {
                        Change::Config(c) => config_ix(ctx, &governance, &governance, c),
                        Change::Targets(t) => ix::set_targets(&fund_key, &governance, t.clone()),
                        Change::RemoveClaimant {
                            authority,
                            rent_receiver,
                        } => ix::remove_claimant(&fund_key, &governance, authority, *rent_receiver),
                        Change::ProposeGovernance(new) => {
                            ix::propose_governance(&fund_key, &governance, *new)
                        }
                        Change::RetireAsset(mint) => {
                            ix::retire_asset(&fund_key, &governance, *mint)
                        }
                        Change::RemoveAsset {
                            mint,
                            rent_recipient,
                        } => {
                            // the asset as it was before this step removed it
                            let a = &before.fund.assets[rule(before.fund.asset_index(mint))?];
                            ix::remove_asset(
                                &fund_key,
                                &governance,
                                *mint,
                                a.vault,
                                a.token_program_id(),
                                *rent_recipient,
                            )
                        }
                    };
                    Step {
                        title: p.title,
                        diff,
                        effect,
                        governance_ix,
                        execute: None,
                        delay_secs,
                    }
                }
            };
            steps.push(step);
        }
    }
    // accept_governance bumps the governance epoch, which voids every change queued before it
    if let (Some(g), Some(q)) = (&file.governance, steps.iter().find(|s| s.execute.is_some())) {
        bail!(
            "[governance] new = {:?} cannot go with {}, which is queued: once the new governance accepts, every change queued before is void (PendingChangeStale); propose the transfer once the queued changes have executed",
            g.new,
            q.title
        );
    }
    Ok(Proposal {
        fund: fund_key,
        governance,
        timelock_secs: start.fund.timelock_secs,
        steps,
    })
}

/// The instruction that applies `change` directly, signed by `authority` (and `payer`, who
/// pays the rent of the accounts `add_asset` and `register_claimant` create).
fn config_ix(ctx: &Ctx, authority: &Pubkey, payer: &Pubkey, change: &ConfigChange) -> Instruction {
    let fund = &ctx.fund_key;
    match change.clone() {
        ConfigChange::AddAsset { mint, params } => {
            // `apply` has checked the mint account exists and is a token program's
            let token_program = ctx
                .on_chain
                .accounts
                .get(&mint)
                .and_then(|a| a.as_ref())
                .map(|a| a.owner)
                .unwrap_or_default();
            ix::add_asset(fund, authority, payer, &mint, &token_program, params)
        }
        ConfigChange::UpdateAsset { mint, params } => {
            ix::update_asset(fund, authority, &mint, params)
        }
        ConfigChange::SetBounds { bounds } => ix::set_bounds(fund, authority, bounds),
        ConfigChange::SetRebalanceParams { params } => {
            ix::set_rebalance_params(fund, authority, params)
        }
        ConfigChange::SetDrawParams { params } => ix::set_draw_params(fund, authority, params),
        ConfigChange::SetGuardian { guardian } => ix::set_guardian(fund, authority, guardian),
        ConfigChange::RegisterClaimant {
            authority: claimant,
            payout_owner,
            caps,
        } => ix::register_claimant(fund, authority, payer, claimant, payout_owner, caps),
        ConfigChange::UpdateClaimant {
            authority: claimant,
            payout_owner,
            caps,
            enabled,
        } => ix::update_claimant(fund, authority, &claimant, payout_owner, caps, enabled),
    }
}

/// The proposal's instructions as a Solana transaction message (legacy format, fee payer and
/// signer = the governance vault, blockhash zero): what a Squads v4 vault transaction
/// executes. `--submit` turns exactly this message into Squads' on-chain form.
pub fn squads_message(p: &Proposal) -> solana_message::Message {
    solana_message::Message::new(&p.instructions(), Some(&p.governance))
}

/// [`squads_message`], base58: ready for Squads' transaction import.
pub fn squads_message_base58(p: &Proposal) -> String {
    bs58::encode(squads_message(p).serialize()).into_string()
}

/// SPL Governance's `InstructionData` (Borsh), one per instruction: the data of the
/// proposal's transactions (`InsertTransaction`).
pub fn spl_governance_instructions(p: &Proposal) -> Vec<spl_governance::InstructionData> {
    p.instructions()
        .iter()
        .map(spl_governance::InstructionData::from)
        .collect()
}

/// [`spl_governance_instructions`], base64: what Realms' custom-instruction field takes.
pub fn spl_governance_instruction_data(p: &Proposal) -> Vec<String> {
    spl_governance_instructions(p)
        .iter()
        .map(|d| base64::engine::general_purpose::STANDARD.encode(d.to_bytes()))
        .collect()
}

/// The second step of a governance transfer: the fund's pending governance executes
/// `accept_governance` (`ifund propose --accept-governance`), encoded like any proposal of
/// that governance. Refused when no transfer is pending (`NoPendingGovernance`).
pub fn accept_governance(fund_key: Pubkey, fund: &Fund) -> anyhow::Result<Proposal> {
    if !fund.has_pending_governance() {
        return Err(reason(anchor_lang::error!(
            insurance_fund::error::FundError::NoPendingGovernance
        )))
        .with_context(|| {
            format!("fund {fund_key}: no governance transfer is pending (propose one with [governance] new = \"<KEY>\")")
        });
    }
    let new = fund.pending_governance;
    Ok(Proposal {
        fund: fund_key,
        governance: new,
        timelock_secs: fund.timelock_secs,
        steps: vec![Step {
            title: format!("accept_governance {new}"),
            diff: vec![
                format!("governance: {} -> {new}", fund.governance),
                format!("pending_governance: {new} -> -"),
            ],
            effect: Effect::Tightens,
            governance_ix: ix::accept_governance(&fund_key, &new),
            execute: None,
            delay_secs: fund.timelock_secs,
        }],
    })
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
                s.delay_secs
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
            "\n== After the timelock, anyone executes (put your own key, signing, in each signer slot)"
        );
        for s in queued {
            let (pending, ix) = s.execute.as_ref().expect("queued");
            let slots: Vec<String> = ix
                .accounts
                .iter()
                .enumerate()
                .filter(|(_, m)| m.is_signer)
                .map(|(i, _)| format!("#{i}"))
                .collect();
            let _ = writeln!(
                out,
                "- {}  (queued change {pending}; signer slots {})",
                s.title,
                slots.join(", ")
            );
            describe_ix(&mut out, ix);
        }
    }
    if let Some(s) = p
        .steps
        .iter()
        .find(|s| s.title.starts_with("propose_governance"))
    {
        let _ = writeln!(
            out,
            "\n== Then the new governance takes over: `ifund propose --fund {} --accept-governance` (after {})",
            p.fund, s.title
        );
    }
    let _ = writeln!(out, "\n== Squads v4: transaction message (base58; import it as a vault transaction of the vault {})", p.governance);
    let _ = writeln!(out, "{}", squads_message_base58(p));
    let _ = writeln!(out, "\n== SPL Governance: proposal transaction instruction data (base64 InstructionData, one per instruction)");
    for d in spl_governance_instruction_data(p) {
        let _ = writeln!(out, "{d}");
    }
    out
}
