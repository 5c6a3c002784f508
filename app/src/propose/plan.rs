//! From the change file to the proposal: each section's changes, in an order the program
//! accepts (`SECTION_ORDERS`), each applied to the fund as it will be when it executes
//! (`check`), with its diff (`diff`) and instructions (`encode`).

use super::check::apply;
use super::diff::{caps_desc, diff_lines, params_desc};
use super::encode::config_ix;
use super::parse::{pubkey, ChangeFile, FallbackPatch, OraclePatch};
use super::{reason, rule, Ctx, OnChain, Planned, Proposal, ProposedChange, State, Step};
use crate::chain::Chain;
use crate::names;
use crate::sections::claimant_caps;
use anchor_lang::prelude::*;
use anyhow::{bail, Context};
use insurance_fund::state::{
    asset_flags, AssetParams, BoundsArgs, Claimant, FallbackParams, Fund, LiquidityClass,
    OracleParams, OracleSource,
};
use insurance_fund::timelock::{ChangeEffect, ConfigChange};
use insurance_fund_client::{decode, ix, pda};
use std::collections::BTreeMap;

/// A class name at `field`.
fn class(field: &str, name: &str) -> anyhow::Result<LiquidityClass> {
    names::class(name).map_err(|e| anyhow::anyhow!("{field}: {e}"))
}

/// Flag names at `field`.
fn flags(field: &str, list: &[String]) -> anyhow::Result<u8> {
    names::flags(list).map_err(|e| anyhow::anyhow!("{field}: {e}"))
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

/// The oracle parameters `p` describes, over `current` (an asset's, when changing it).
fn oracle_params(
    field: &str,
    current: Option<OracleParams>,
    p: &OraclePatch,
) -> anyhow::Result<OracleParams> {
    let source = match (p.source.as_deref(), current) {
        (Some(name), _) => {
            names::oracle_source(name).map_err(|e| anyhow::anyhow!("{field}.source: {e}"))?
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
                    change: ProposedChange::Config(ConfigChange::AddAsset { mint, params }),
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
                    change: ProposedChange::Config(ConfigChange::UpdateAsset { mint, params }),
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
                    change: ProposedChange::Config(ConfigChange::SetBounds { bounds }),
                });
            }
        }
        Section::Rebalance => {
            if let Some(r) = &file.rebalance {
                let params = r
                    .over(Some(&fund.rebalance), fund.numeraire_decimals)
                    .map_err(|e| anyhow::anyhow!(e.reason))?;
                out.push(Planned {
                    title: "set_rebalance_params".into(),
                    field: "rebalance".into(),
                    value: format!("{params:?}"),
                    change: ProposedChange::Config(ConfigChange::SetRebalanceParams {
                        params: params.into(),
                    }),
                });
            }
        }
        Section::Draws => {
            if let Some(d) = &file.draws {
                let params = d
                    .over(Some(&fund.draws), fund.numeraire_decimals)
                    .map_err(|e| anyhow::anyhow!(e.reason))?;
                out.push(Planned {
                    title: "set_draw_params".into(),
                    field: "draws".into(),
                    value: format!("{params:?}"),
                    change: ProposedChange::Config(ConfigChange::SetDrawParams {
                        params: params.into(),
                    }),
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
                    change: ProposedChange::Config(ConfigChange::SetGuardian { guardian }),
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
                    change: ProposedChange::Targets(v),
                });
            }
        }
        Section::RegisterClaimants => {
            for (auth_s, c) in file.register_claimants.iter().flatten() {
                let field = format!("register_claimants.\"{auth_s}\"");
                let authority = pubkey(&field, auth_s)?;
                let payout_owner = pubkey(&format!("{field}.payout_owner"), &c.payout_owner)?;
                let caps = claimant_caps(
                    &field,
                    [
                        (c.max_per_shortfall, c.max_per_shortfall_atoms),
                        (c.max_per_window, c.max_per_window_atoms),
                        (c.lifetime_max, c.lifetime_max_atoms),
                    ],
                    None,
                    fund.numeraire_decimals,
                )
                .map_err(|e| anyhow::anyhow!(e.reason))?;
                out.push(Planned {
                    title: format!("register_claimant {authority}"),
                    value: caps_desc(&payout_owner, &caps),
                    field,
                    change: ProposedChange::Config(ConfigChange::RegisterClaimant {
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
                let caps = claimant_caps(
                    &field,
                    [
                        (p.max_per_shortfall, p.max_per_shortfall_atoms),
                        (p.max_per_window, p.max_per_window_atoms),
                        (p.lifetime_max, p.lifetime_max_atoms),
                    ],
                    Some(&current.caps),
                    fund.numeraire_decimals,
                )
                .map_err(|e| anyhow::anyhow!(e.reason))?;
                let enabled = p.enabled.unwrap_or(current.enabled);
                out.push(Planned {
                    title: format!("update_claimant {authority}"),
                    value: format!("{}, enabled {enabled}", caps_desc(&payout_owner, &caps)),
                    field,
                    change: ProposedChange::Config(ConfigChange::UpdateClaimant {
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
                    change: ProposedChange::ProposeGovernance(new),
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
                    change: ProposedChange::RetireAsset(mint),
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
                    change: ProposedChange::RemoveAsset {
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
                    change: ProposedChange::RemoveClaimant {
                        authority,
                        rent_receiver,
                    },
                });
            }
        }
    }
    Ok(out)
}

/// The orders tried, first to last: asset changes before targets (raised caps make room),
/// or targets first (lowered caps need lowered targets).
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
    let mut queued: Vec<(String, ProposedChange)> = vec![];
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
                ProposedChange::Config(c) => {
                    let claimant = match c {
                        ConfigChange::UpdateClaimant { authority, .. } => {
                            now.claimants.get(authority).and_then(Option::as_ref)
                        }
                        _ => None,
                    };
                    rule(c.effect(&now.fund, claimant)).with_context(|| refused(""))?
                }
                ProposedChange::Targets(_)
                | ProposedChange::RemoveClaimant { .. }
                | ProposedChange::ProposeGovernance(_)
                | ProposedChange::RetireAsset(_)
                | ProposedChange::RemoveAsset { .. } => ChangeEffect::Tightens,
            };
            let delay_secs = now.fund.timelock_secs;
            let step = match (&p.change, effect) {
                (ProposedChange::Config(c), ChangeEffect::Loosens) if delay_secs > 0 => {
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
                        ProposedChange::Config(c) => config_ix(ctx, &governance, &governance, c),
                        ProposedChange::Targets(t) => {
                            ix::set_targets(&fund_key, &governance, t.clone())
                        }
                        ProposedChange::RemoveClaimant {
                            authority,
                            rent_receiver,
                        } => ix::remove_claimant(&fund_key, &governance, authority, *rent_receiver),
                        ProposedChange::ProposeGovernance(new) => {
                            ix::propose_governance(&fund_key, &governance, *new)
                        }
                        ProposedChange::RetireAsset(mint) => {
                            ix::retire_asset(&fund_key, &governance, *mint)
                        }
                        ProposedChange::RemoveAsset {
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
            effect: ChangeEffect::Tightens,
            governance_ix: ix::accept_governance(&fund_key, &new),
            execute: None,
            delay_secs: fund.timelock_secs,
        }],
    })
}
