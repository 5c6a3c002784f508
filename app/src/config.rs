//! `ifund init --config FILE`: creates a fund and configures it from a TOML file, through any
//! [`Chain`]. The signing keypair is the payer and the fund's first governance, so it can
//! configure the fund in the same run; when the file names another governance (a Squads
//! vault, an SPL Governance treasury), the run ends with `propose_governance` to it, and the
//! new governance completes the transfer with `accept_governance`.

use crate::chain::{send, Chain, SendOptions};
use crate::file_error::FileError;
use crate::sections::{claimant_caps, DrawSection, FieldError, RebalanceSection};
use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use insurance_fund::instructions::InitializeFundArgs;
use insurance_fund::state::{
    asset_flags, AssetParams, BoundsArgs, ClaimantCaps, DrawConfig, FallbackParams, LiquidityClass,
    OracleParams, OracleSource, RebalanceConfig,
};
use insurance_fund_client::{ix, pda};
use serde::Deserialize;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::path::Path;
use std::str::FromStr;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundConfig {
    pub fund: FundSection,
    pub assets: Vec<AssetConfig>,
    pub rebalance: Option<RebalanceSection>,
    pub draws: Option<DrawSection>,
    #[serde(default)]
    pub claimants: Vec<ClaimantConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundSection {
    /// Unit of account label, up to 8 bytes.
    pub numeraire: String,
    pub numeraire_decimals: u8,
    pub min_liquid_bps: u16,
    /// Final governance; default: the signing keypair.
    pub governance: Option<String>,
    pub guardian: Option<String>,
    pub max_price_age_secs: Option<u32>,
    pub max_pause_secs: Option<u32>,
    /// Delay of loosening configuration changes (0..=2,592,000 s). Set as the last step of
    /// `init` (raising it applies at once), so the fund is configured before it binds.
    pub timelock_secs: Option<u32>,
    /// Keypair file whose key seeds the fund address; default: a new key (printed).
    pub create_key: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetConfig {
    pub mint: String,
    /// "liquid", "yield-bearing" or "illiquid" (`crate::names`).
    #[serde(deserialize_with = "crate::names::deserialize_class")]
    pub class: LiquidityClass,
    pub target_bps: u16,
    pub max_weight_bps: u16,
    #[serde(default)]
    pub haircut_bps: u16,
    /// "pyth" (with feed_id) or "fixed" (with fixed_price).
    pub oracle: String,
    pub feed_id: Option<String>,
    #[serde(default = "default_age")]
    pub max_age_secs: u32,
    #[serde(default = "default_conf")]
    pub max_conf_bps: u16,
    pub fixed_price: Option<u64>,
    #[serde(default)]
    pub fixed_expo: i32,
    /// Pyth-priced liquid asset: within this many bps of 1.00 it counts as exactly 1.00
    /// (a stablecoin that can depeg); 0 = none.
    #[serde(default)]
    pub peg_band_bps: u16,
    /// A Pyth-priced asset's second source: a Switchboard On-Demand pull feed account. It
    /// prices the asset when the Pyth price is stale or too uncertain (and agrees with the last
    /// good Pyth price within `fallback_max_divergence_bps`), and cross-checks it otherwise.
    pub fallback_feed: Option<String>,
    #[serde(default = "default_age")]
    pub fallback_max_age_secs: u32,
    /// Widest accepted spread of the fallback's result, bps of its median.
    #[serde(default = "default_conf")]
    pub fallback_max_conf_bps: u16,
    /// Largest difference between the two sources, bps of the primary price.
    #[serde(default = "default_conf")]
    pub fallback_max_divergence_bps: u16,
    /// Subset of "deposit", "rebalance-in", "rebalance-out", "draw"; default all.
    pub flags: Option<Vec<String>>,
}

fn default_age() -> u32 {
    60
}
fn default_conf() -> u16 {
    100
}

/// Caps in whole numeraire units, or in atoms with `_atoms`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimantConfig {
    pub authority: String,
    pub payout_owner: String,
    pub max_per_shortfall: Option<u64>,
    pub max_per_shortfall_atoms: Option<u64>,
    pub max_per_window: Option<u64>,
    pub max_per_window_atoms: Option<u64>,
    pub lifetime_max: Option<u64>,
    pub lifetime_max_atoms: Option<u64>,
}

fn cfg_err(source: &str, field: String, value: String, reason: &str) -> FileError {
    FileError {
        kind: "fund config",
        source: source.to_string(),
        field,
        value,
        reason: reason.to_string(),
    }
}

fn key(source: &str, field: &str, v: &str) -> Result<Pubkey, FileError> {
    Pubkey::from_str(v.trim()).map_err(|_| {
        cfg_err(
            source,
            field.into(),
            format!("{v:?}"),
            "not a base58 address",
        )
    })
}

/// Every instruction argument the file describes, checked.
pub struct InitPlan {
    pub init: InitializeFundArgs,
    pub governance: Option<Pubkey>,
    pub bounds: Option<BoundsArgs>,
    pub assets: Vec<(Pubkey, AssetParams, u16)>,
    pub rebalance: Option<RebalanceConfig>,
    pub draws: Option<DrawConfig>,
    pub claimants: Vec<(Pubkey, Pubkey, ClaimantCaps)>,
    pub create_key: Option<String>,
}

impl FundConfig {
    pub fn parse(text: &str, source: &str) -> Result<Self, FileError> {
        toml::from_str(text).map_err(|e| {
            cfg_err(
                source,
                String::new(),
                String::new(),
                &format!("not a valid fund config: {}", e.to_string().trim_end()),
            )
        })
    }

    /// Turns the file into instruction arguments; the program re-validates everything, these
    /// checks only name the field early.
    pub fn plan(&self, source: &str, signer: &Pubkey) -> Result<InitPlan, FileError> {
        let f = &self.fund;
        let label = f.numeraire.as_bytes();
        if label.is_empty() || label.len() > 8 {
            return Err(cfg_err(
                source,
                "fund.numeraire".into(),
                format!("{:?}", f.numeraire),
                "must be 1 to 8 bytes",
            ));
        }
        let mut numeraire = [0u8; 8];
        numeraire[..label.len()].copy_from_slice(label);
        if f.numeraire_decimals > insurance_fund::constants::MAX_NUMERAIRE_DECIMALS {
            return Err(cfg_err(
                source,
                "fund.numeraire_decimals".into(),
                f.numeraire_decimals.to_string(),
                &format!(
                    "must be at most {} (amounts are u64 numeraire atoms)",
                    insurance_fund::constants::MAX_NUMERAIRE_DECIMALS
                ),
            ));
        }
        let governance = f
            .governance
            .as_deref()
            .map(|g| key(source, "fund.governance", g))
            .transpose()?;
        let guardian = f
            .guardian
            .as_deref()
            .map(|g| key(source, "fund.guardian", g))
            .transpose()?;
        let bounds = (f.max_price_age_secs.is_some()
            || f.max_pause_secs.is_some()
            || f.timelock_secs.is_some())
        .then(|| BoundsArgs {
            min_liquid_bps: f.min_liquid_bps,
            max_price_age_secs: f
                .max_price_age_secs
                .unwrap_or(insurance_fund::constants::DEFAULT_MAX_PRICE_AGE_SECS),
            max_pause_secs: f
                .max_pause_secs
                .unwrap_or(insurance_fund::constants::DEFAULT_MAX_PAUSE_SECS),
            timelock_secs: f.timelock_secs.unwrap_or(0),
        });
        let mut assets = vec![];
        let mut sum = 0u32;
        for (k, a) in self.assets.iter().enumerate() {
            let field = |n: &str| format!("assets[{k}].{n}");
            let mint = key(source, &field("mint"), &a.mint)?;
            let source_kind = crate::names::oracle_source(&a.oracle).map_err(|reason| {
                cfg_err(source, field("oracle"), format!("{:?}", a.oracle), &reason)
            })?;
            let oracle = match source_kind {
                OracleSource::PythPull => {
                    let hex = a.feed_id.as_deref().ok_or_else(|| {
                        cfg_err(
                            source,
                            field("feed_id"),
                            "missing".into(),
                            "a Pyth-priced asset needs its feed id (64 hex digits)",
                        )
                    })?;
                    OracleParams {
                        source: OracleSource::PythPull,
                        feed_id: parse_feed_id(hex).ok_or_else(|| {
                            cfg_err(
                                source,
                                field("feed_id"),
                                format!("{hex:?}"),
                                "must be 64 hex digits (optionally 0x-prefixed)",
                            )
                        })?,
                        max_age_secs: a.max_age_secs,
                        max_conf_bps: a.max_conf_bps,
                        fixed_price: 0,
                        fixed_expo: 0,
                        peg_band_bps: a.peg_band_bps,
                    }
                }
                OracleSource::Fixed => OracleParams {
                    source: OracleSource::Fixed,
                    feed_id: [0; 32],
                    max_age_secs: 0,
                    max_conf_bps: 0,
                    fixed_price: a.fixed_price.ok_or_else(|| {
                        cfg_err(
                            source,
                            field("fixed_price"),
                            "missing".into(),
                            "a fixed-price asset needs fixed_price (mantissa) and fixed_expo",
                        )
                    })?,
                    fixed_expo: a.fixed_expo,
                    peg_band_bps: 0,
                },
            };
            let fallback = match &a.fallback_feed {
                None => None,
                Some(k) => Some(FallbackParams {
                    feed: key(source, &field("fallback_feed"), k)?,
                    max_age_secs: a.fallback_max_age_secs,
                    max_conf_bps: a.fallback_max_conf_bps,
                    max_divergence_bps: a.fallback_max_divergence_bps,
                }),
            };
            let flags = match &a.flags {
                None => asset_flags::ALL,
                Some(list) => {
                    let mut bits = 0;
                    for name in list {
                        bits |= crate::names::flag(name).map_err(|reason| {
                            cfg_err(source, field("flags"), format!("{name:?}"), &reason)
                        })?;
                    }
                    bits
                }
            };
            if a.max_weight_bps < a.target_bps || a.max_weight_bps > 10_000 {
                return Err(cfg_err(
                    source,
                    field("max_weight_bps"),
                    a.max_weight_bps.to_string(),
                    "must be between target_bps and 10000",
                ));
            }
            sum += u32::from(a.target_bps);
            let class = a.class;
            assets.push((
                mint,
                AssetParams {
                    max_weight_bps: a.max_weight_bps,
                    haircut_bps: a.haircut_bps,
                    class,
                    oracle,
                    flags,
                    fallback,
                },
                a.target_bps,
            ));
        }
        if !assets.is_empty() && sum != 10_000 {
            return Err(cfg_err(
                source,
                "assets[].target_bps".into(),
                format!("sum {sum}"),
                "targets must sum to exactly 10000",
            ));
        }
        let nd = f.numeraire_decimals;
        let field_err = |e: FieldError| cfg_err(source, e.field, e.value, &e.reason);
        let rebalance = self
            .rebalance
            .as_ref()
            .map(|r| r.over(None, nd))
            .transpose()
            .map_err(field_err)?;
        let draws = self
            .draws
            .as_ref()
            .map(|d| d.over(None, nd))
            .transpose()
            .map_err(field_err)?;
        let mut claimants = vec![];
        for (k, c) in self.claimants.iter().enumerate() {
            let field = |n: &str| format!("claimants[{k}].{n}");
            claimants.push((
                key(source, &field("authority"), &c.authority)?,
                key(source, &field("payout_owner"), &c.payout_owner)?,
                claimant_caps(
                    &format!("claimants[{k}]"),
                    [
                        (c.max_per_shortfall, c.max_per_shortfall_atoms),
                        (c.max_per_window, c.max_per_window_atoms),
                        (c.lifetime_max, c.lifetime_max_atoms),
                    ],
                    None,
                    nd,
                )
                .map_err(field_err)?,
            ));
        }
        Ok(InitPlan {
            init: InitializeFundArgs {
                governance: *signer,
                guardian,
                numeraire,
                numeraire_decimals: nd,
                min_liquid_bps: f.min_liquid_bps,
            },
            governance: governance.filter(|g| g != signer),
            bounds,
            assets,
            rebalance,
            draws,
            claimants,
            create_key: f.create_key.clone(),
        })
    }
}

pub(crate) fn parse_feed_id(hex: &str) -> Option<[u8; 32]> {
    let h = hex.trim().trim_start_matches("0x");
    if h.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Creates and configures the fund `plan` describes; returns its address. Each step is one
/// transaction and stops at the first failure with the program's error name.
pub fn execute(
    chain: &mut dyn Chain,
    signer: &Keypair,
    create_key: &Keypair,
    plan: &InitPlan,
    log: &mut dyn FnMut(String),
) -> anyhow::Result<Pubkey> {
    let me = signer.pubkey();
    let fund = pda::fund_address(&create_key.pubkey());
    let opts = SendOptions::default();
    let mut step = |chain: &mut dyn Chain,
                    what: &str,
                    ixs: Vec<anchor_lang::solana_program::instruction::Instruction>,
                    extra: &[&Keypair]|
     -> anyhow::Result<()> {
        let r = send(chain, signer, extra, &ixs, &opts)?;
        anyhow::ensure!(r.is_ok(), "{what} {}\n{}", r.describe(), r.logs.join("\n"));
        log(format!("{what}: ok ({})", r.signature));
        Ok(())
    };
    step(
        chain,
        "initialize_fund",
        vec![ix::initialize_fund(
            &me,
            &create_key.pubkey(),
            plan.init.clone(),
        )],
        &[create_key],
    )?;
    if let Some(b) = &plan.bounds {
        // without the timelock for now: the configuration below must apply at once
        let now = BoundsArgs {
            timelock_secs: 0,
            ..*b
        };
        step(
            chain,
            "set_bounds",
            vec![ix::set_bounds(&fund, &me, now)],
            &[],
        )?;
    }
    for (mint, params, _) in &plan.assets {
        let account = chain
            .get_account(mint)?
            .with_context(|| format!("mint {mint} does not exist on {}", chain.describe()))?;
        let token_program = account.owner;
        step(
            chain,
            &format!("add_asset {mint}"),
            vec![ix::add_asset(
                &fund,
                &me,
                &me,
                mint,
                &token_program,
                *params,
            )],
            &[],
        )?;
    }
    if !plan.assets.is_empty() {
        step(
            chain,
            "set_targets",
            vec![ix::set_targets(
                &fund,
                &me,
                plan.assets.iter().map(|a| a.2).collect(),
            )],
            &[],
        )?;
    }
    if let Some(r) = plan.rebalance {
        step(
            chain,
            "set_rebalance_params",
            vec![ix::set_rebalance_params(&fund, &me, r)],
            &[],
        )?;
    }
    if let Some(d) = plan.draws {
        step(
            chain,
            "set_draw_params",
            vec![ix::set_draw_params(&fund, &me, d)],
            &[],
        )?;
    }
    for (authority, payout, caps) in &plan.claimants {
        step(
            chain,
            &format!("register_claimant {authority}"),
            vec![ix::register_claimant(
                &fund, &me, &me, *authority, *payout, *caps,
            )],
            &[],
        )?;
    }
    if let Some(b) = plan.bounds.filter(|b| b.timelock_secs > 0) {
        // raising the delay tightens, so it applies at once; from here on loosening changes
        // wait for it
        step(
            chain,
            &format!("set_bounds (timelock {} s)", b.timelock_secs),
            vec![ix::set_bounds(&fund, &me, b)],
            &[],
        )?;
    }
    if let Some(g) = plan.governance {
        step(
            chain,
            &format!("propose_governance {g}"),
            vec![ix::propose_governance(&fund, &me, g)],
            &[],
        )?;
        log(format!(
            "governance {g} must now call accept_governance on fund {fund}"
        ));
    }
    Ok(fund)
}

/// The `init` command.
pub fn init_cmd(g: &crate::cli::Global, path: &Path) -> anyhow::Result<()> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {source}"))?;
    let config = FundConfig::parse(&text, &source)?;
    let signer = g.load_keypair()?;
    let plan = config.plan(&source, &signer.pubkey())?;
    let create_key = match &plan.create_key {
        Some(p) => crate::cli::load_keypair(Path::new(p))?,
        None => Keypair::new(),
    };
    let mut chain = crate::cli::rpc_for(g)?;
    let fund = execute(&mut chain, &signer, &create_key, &plan, &mut |m| {
        println!("{m}")
    })?;
    println!("fund {fund} created (create key {})", create_key.pubkey());
    Ok(())
}
