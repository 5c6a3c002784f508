//! The change file: its sections, and reading it. Amounts follow the operator files' one
//! convention (`crate::units`): whole numeraire units under the plain name, atoms under the
//! name with `_atoms`.

pub use crate::sections::{CrisisSection, DrawSection, RebalanceSection};
use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

/// The change file. Every section is optional; fields a section leaves out keep their
/// current value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeFile {
    /// `set_targets`: every registered asset by mint, in bps (sum 10,000).
    pub targets: Option<BTreeMap<String, u16>>,
    pub bounds: Option<BoundsPatch>,
    /// `set_rebalance_params` (`crate::sections`, as in `ifund init`'s config).
    pub rebalance: Option<RebalanceSection>,
    /// `set_draw_params` (`crate::sections`).
    pub draws: Option<DrawSection>,
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

/// `register_claimant`; each cap in whole numeraire units, or in atoms with `_atoms`
/// (`max_per_window_atoms`), one of the two required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClaimant {
    pub payout_owner: String,
    pub max_per_shortfall: Option<u64>,
    pub max_per_shortfall_atoms: Option<u64>,
    pub max_per_window: Option<u64>,
    pub max_per_window_atoms: Option<u64>,
    pub lifetime_max: Option<u64>,
    pub lifetime_max_atoms: Option<u64>,
}

/// `update_claimant`; caps in whole numeraire units, or in atoms with `_atoms`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimantPatch {
    pub payout_owner: Option<String>,
    pub max_per_shortfall: Option<u64>,
    pub max_per_shortfall_atoms: Option<u64>,
    pub max_per_window: Option<u64>,
    pub max_per_window_atoms: Option<u64>,
    pub lifetime_max: Option<u64>,
    pub lifetime_max_atoms: Option<u64>,
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

/// A public key the file gives at `field`.
pub(super) fn pubkey(field: &str, s: &str) -> anyhow::Result<Pubkey> {
    Pubkey::from_str(s.trim()).map_err(|_| anyhow::anyhow!("{field}: {s:?} is not a public key"))
}
