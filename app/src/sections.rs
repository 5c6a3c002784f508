//! The `[rebalance]` (with `[rebalance.crisis]`) and `[draws]` sections as both operator files
//! write them, `ifund init`'s config and `ifund propose`'s change file: the same fields, the
//! same units (`crate::units`: amounts in whole numeraire units, or in atoms under `_atoms`).
//! A section is read over a base: the fund's current parameters for `propose` (a field left
//! out keeps its value), none for `init` (a field left out takes its default, or is missing).

use crate::units::to_atoms;
use insurance_fund::state::{ClaimantCaps, CrisisProfile, DrawConfig, RebalanceConfig};
use serde::Deserialize;

/// `set_rebalance_params`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RebalanceSection {
    pub band_bps: Option<u16>,
    pub start_premium_bps: Option<u16>,
    pub max_premium_bps: Option<u16>,
    /// Gap clearing: deepest discount below `spot - conf` (0 = sell at the upper bound;
    /// default 0).
    pub max_discount_bps: Option<u16>,
    /// `[rebalance.crisis]`: terms that apply by themselves in crisis mode.
    pub crisis: Option<CrisisSection>,
    pub auction_duration_secs: Option<u32>,
    pub window_secs: Option<u32>,
    /// Whole numeraire units; `max_volume_per_window_atoms` in atoms (and so on).
    pub max_volume_per_window: Option<u64>,
    pub max_volume_per_window_atoms: Option<u64>,
    pub premium_budget_per_window: Option<u64>,
    pub premium_budget_per_window_atoms: Option<u64>,
    pub min_trade_value: Option<u64>,
    pub min_trade_value_atoms: Option<u64>,
}

/// `[rebalance.crisis]`: the crisis profile (gap trigger and liquid target default to 0).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrisisSection {
    /// Whole numeraire units; `max_volume_per_window_atoms` in atoms (and so on).
    pub max_volume_per_window: Option<u64>,
    pub max_volume_per_window_atoms: Option<u64>,
    pub premium_budget_per_window: Option<u64>,
    pub premium_budget_per_window_atoms: Option<u64>,
    pub auction_duration_secs: Option<u32>,
    pub max_premium_bps: Option<u16>,
    pub max_discount_bps: Option<u16>,
    pub gap_trigger_bps: Option<u16>,
    pub liquid_target_bps: Option<u16>,
    /// Crisis hold, seconds (0 = none).
    pub hold_secs: Option<u32>,
}

/// `set_draw_params`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawSection {
    /// Whole numeraire units; `approval_threshold_atoms` in atoms.
    pub approval_threshold: Option<u64>,
    pub approval_threshold_atoms: Option<u64>,
    pub fund_cap_bps: Option<u16>,
    pub window_secs: Option<u32>,
}

/// A field of a section that cannot be read: its full name, its value, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// A plain field: given, else the base's value, else its default, else missing.
fn value<T: Copy>(
    field: &str,
    given: Option<T>,
    base: Option<T>,
    default: Option<T>,
) -> Result<T, FieldError> {
    given.or(base).or(default).ok_or_else(|| FieldError {
        field: field.into(),
        value: "missing".into(),
        reason: format!("`{field}` is missing"),
    })
}

/// How many times a field's current value an amount written in whole units must reach to be
/// read as atoms written under the whole-unit name (until this convention, `ifund propose` read
/// these names in atoms): a tenth of the factor that mistake multiplies by.
fn suspicious_ratio(decimals: u8) -> u64 {
    10u64.saturating_pow(u32::from(decimals.saturating_sub(1)))
}

/// Whether `atoms` (from a whole-unit spelling) is so far above the current value `base` that
/// it most likely is atoms written under the whole-unit name. Only numeraires of 3 decimals or
/// more can be told apart this way.
fn looks_like_atoms(atoms: u64, base: u64, decimals: u8) -> bool {
    decimals >= 3 && base > 0 && atoms / base >= suspicious_ratio(decimals)
}

/// An amount field (`crate::units`), in atoms: given either way, else the base's value, else
/// missing.
fn amount(
    field: &str,
    (whole, atoms): (Option<u64>, Option<u64>),
    base: Option<u64>,
    decimals: u8,
) -> Result<u64, FieldError> {
    let shown = whole.or(atoms).map_or("missing".into(), |v| v.to_string());
    let err = |reason: String| FieldError {
        field: field.into(),
        value: shown.clone(),
        reason,
    };
    match to_atoms(field, whole, atoms, decimals).map_err(err)? {
        Some(v) => {
            if let (Some(w), Some(b)) = (whole, base) {
                if looks_like_atoms(v, b, decimals) {
                    return Err(err(format!(
                        "`{field}` = {w} whole units is {v} atoms, at least {} times the fund's {b} atoms: if {w} is in atoms, write `{field}_atoms = {w}` (a raise this large must be given in atoms too)",
                        suspicious_ratio(decimals)
                    )));
                }
            }
            Ok(v)
        }
        None => base.ok_or_else(|| {
            err(format!(
                "`{field}` is missing: give it in whole units (`{field}`) or in atoms (`{field}_atoms`)"
            ))
        }),
    }
}

impl RebalanceSection {
    /// The parameters the section gives over `base` (`None`: a new configuration).
    pub fn over(
        &self,
        base: Option<&RebalanceConfig>,
        decimals: u8,
    ) -> Result<RebalanceConfig, FieldError> {
        let f = |name: &str| format!("rebalance.{name}");
        Ok(RebalanceConfig {
            band_bps: value(
                &f("band_bps"),
                self.band_bps,
                base.map(|b| b.band_bps),
                None,
            )?,
            start_premium_bps: value(
                &f("start_premium_bps"),
                self.start_premium_bps,
                base.map(|b| b.start_premium_bps),
                None,
            )?,
            max_premium_bps: value(
                &f("max_premium_bps"),
                self.max_premium_bps,
                base.map(|b| b.max_premium_bps),
                None,
            )?,
            max_discount_bps: value(
                &f("max_discount_bps"),
                self.max_discount_bps,
                base.map(|b| b.max_discount_bps),
                Some(0),
            )?,
            auction_duration_secs: value(
                &f("auction_duration_secs"),
                self.auction_duration_secs,
                base.map(|b| b.auction_duration_secs),
                None,
            )?,
            window_secs: value(
                &f("window_secs"),
                self.window_secs,
                base.map(|b| b.window_secs),
                None,
            )?,
            max_volume_per_window: amount(
                &f("max_volume_per_window"),
                (self.max_volume_per_window, self.max_volume_per_window_atoms),
                base.map(|b| b.max_volume_per_window),
                decimals,
            )?,
            premium_budget_per_window: amount(
                &f("premium_budget_per_window"),
                (
                    self.premium_budget_per_window,
                    self.premium_budget_per_window_atoms,
                ),
                base.map(|b| b.premium_budget_per_window),
                decimals,
            )?,
            min_trade_value: amount(
                &f("min_trade_value"),
                (self.min_trade_value, self.min_trade_value_atoms),
                base.map(|b| b.min_trade_value),
                decimals,
            )?,
            crisis: match (&self.crisis, base) {
                (Some(c), _) => c.over(base.map(|b| &b.crisis), decimals)?,
                (None, Some(b)) => b.crisis,
                (None, None) => CrisisProfile::default(),
            },
        })
    }
}

impl CrisisSection {
    /// The profile the section gives over `base` (`None`: a new profile).
    pub fn over(
        &self,
        base: Option<&CrisisProfile>,
        decimals: u8,
    ) -> Result<CrisisProfile, FieldError> {
        let f = |name: &str| format!("rebalance.crisis.{name}");
        Ok(CrisisProfile {
            max_volume_per_window: amount(
                &f("max_volume_per_window"),
                (self.max_volume_per_window, self.max_volume_per_window_atoms),
                base.map(|b| b.max_volume_per_window),
                decimals,
            )?,
            premium_budget_per_window: amount(
                &f("premium_budget_per_window"),
                (
                    self.premium_budget_per_window,
                    self.premium_budget_per_window_atoms,
                ),
                base.map(|b| b.premium_budget_per_window),
                decimals,
            )?,
            auction_duration_secs: value(
                &f("auction_duration_secs"),
                self.auction_duration_secs,
                base.map(|b| b.auction_duration_secs),
                None,
            )?,
            max_premium_bps: value(
                &f("max_premium_bps"),
                self.max_premium_bps,
                base.map(|b| b.max_premium_bps),
                None,
            )?,
            max_discount_bps: value(
                &f("max_discount_bps"),
                self.max_discount_bps,
                base.map(|b| b.max_discount_bps),
                None,
            )?,
            gap_trigger_bps: value(
                &f("gap_trigger_bps"),
                self.gap_trigger_bps,
                base.map(|b| b.gap_trigger_bps),
                Some(0),
            )?,
            liquid_target_bps: value(
                &f("liquid_target_bps"),
                self.liquid_target_bps,
                base.map(|b| b.liquid_target_bps),
                Some(0),
            )?,
            hold_secs: value(
                &f("hold_secs"),
                self.hold_secs,
                base.map(|b| b.hold_secs),
                Some(0),
            )?,
        })
    }
}

impl DrawSection {
    /// The parameters the section gives over `base` (`None`: a new configuration).
    pub fn over(&self, base: Option<&DrawConfig>, decimals: u8) -> Result<DrawConfig, FieldError> {
        Ok(DrawConfig {
            approval_threshold: amount(
                "draws.approval_threshold",
                (self.approval_threshold, self.approval_threshold_atoms),
                base.map(|b| b.approval_threshold),
                decimals,
            )?,
            fund_cap_bps: value(
                "draws.fund_cap_bps",
                self.fund_cap_bps,
                base.map(|b| b.fund_cap_bps),
                None,
            )?,
            _pad: [0; 2],
            window_secs: value(
                "draws.window_secs",
                self.window_secs,
                base.map(|b| b.window_secs),
                None,
            )?,
        })
    }
}

/// A claimant's caps as both files write them: `max_per_shortfall`, `max_per_window` and
/// `lifetime_max` under `prefix` (e.g. `claimants[0]`), each `(whole units, atoms)` in that
/// order, over `base` (the claimant's caps; `None` for a new claimant: all three required).
pub fn claimant_caps(
    prefix: &str,
    [shortfall, window, lifetime]: [(Option<u64>, Option<u64>); 3],
    base: Option<&ClaimantCaps>,
    decimals: u8,
) -> Result<ClaimantCaps, FieldError> {
    let f = |name: &str| format!("{prefix}.{name}");
    Ok(ClaimantCaps {
        max_per_shortfall: amount(
            &f("max_per_shortfall"),
            shortfall,
            base.map(|b| b.max_per_shortfall),
            decimals,
        )?,
        max_per_window: amount(
            &f("max_per_window"),
            window,
            base.map(|b| b.max_per_window),
            decimals,
        )?,
        lifetime_max: amount(
            &f("lifetime_max"),
            lifetime,
            base.map(|b| b.lifetime_max),
            decimals,
        )?,
    })
}
