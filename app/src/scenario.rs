//! Simulation scenarios: TOML files (the built-in default is `scenarios/default.toml`),
//! parsed with serde and then validated field by field, so a bad file is refused with the
//! field, the value and the reason.

use crate::file_error::FileError;
use insurance_fund::state::{LiquidityClass, OracleSource};
use serde::Deserialize;
use std::path::Path;

/// The built-in scenario.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.toml");

/// The built-in scenarios by name (`--scenario NAME`, `--print-scenario NAME`), each a file in
/// `app/scenarios/` compiled into the binary.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("default", DEFAULT_SCENARIO),
    ("crash", include_str!("../scenarios/crash.toml")),
    ("depeg", include_str!("../scenarios/depeg.toml")),
    (
        "oracle-outage",
        include_str!("../scenarios/oracle-outage.toml"),
    ),
    (
        "lst-discount",
        include_str!("../scenarios/lst-discount.toml"),
    ),
    ("replays", include_str!("../scenarios/replays.toml")),
];

/// The text of the built-in scenario `name`.
pub fn built_in(name: &str) -> Option<&'static str> {
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub simulation: Simulation,
    pub fund: FundParams,
    pub assets: Vec<AssetSpec>,
    #[serde(default)]
    pub fees: Vec<FeeFlow>,
    #[serde(default)]
    pub keepers: Vec<KeeperSpec>,
    #[serde(default)]
    pub shocks: Vec<Shock>,
    #[serde(default)]
    pub bad_debt: Vec<BadDebt>,
    #[serde(default)]
    pub oracle_faults: Vec<OracleFault>,
    #[serde(default)]
    pub market: Market,
    pub claimant: ClaimantSpec,
}

/// The keepers' market: a constant-product pool per asset against a perfect dollar, through
/// which the atomic keeper buys what it delivers and sells what it receives. Arbitrageurs
/// bring every pool back to the asset's market price each step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// Pool fee on every swap, bps.
    #[serde(default = "default_pool_fee")]
    pub fee_bps: u16,
    /// When the first claim is declared, the hours before and after it counted as the crisis
    /// (binding-limit chart, deliverable stablecoins).
    #[serde(default = "default_crisis_hours")]
    pub crisis_hours: u32,
    /// Keeper rounds per step: keepers look again at evenly spaced times within a step while
    /// an auction is running (the clock moves, prices stay as published at the step), as
    /// bots polling every few seconds would; 1 = once per step.
    #[serde(default = "default_keeper_rounds")]
    pub keeper_rounds: u32,
    /// Whether the market moves within a step: each keeper round sees the price on a Brownian
    /// bridge from the step's price to the next step's (the EMA following it, the pools and
    /// feeds with it), as feeds and keepers polling every few seconds would; the prices at the
    /// steps are the same either way. `false`: the market stays as it was at the step.
    #[serde(default)]
    pub intra_step_prices: bool,
    /// Whether a crank is sent at every keeper round within a step (`true`), or only when it
    /// changes an auction clock or the crisis mode or comes with a fill (`false`, the default:
    /// the same outcome, computed with the program's own rules, for far fewer transactions,
    /// except that a crisis hold runs from the last crank sent; `Sim::keepers_step`).
    #[serde(default)]
    pub crank_every_look: bool,
}

impl Default for Market {
    fn default() -> Self {
        Self {
            fee_bps: default_pool_fee(),
            crisis_hours: default_crisis_hours(),
            keeper_rounds: default_keeper_rounds(),
            intra_step_prices: false,
            crank_every_look: false,
        }
    }
}

fn default_pool_fee() -> u16 {
    30
}
fn default_crisis_hours() -> u32 {
    72
}
fn default_keeper_rounds() -> u32 {
    1
}

/// A fault of one asset's price feed, from `day` for `hours`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleFault {
    pub asset: String,
    pub day: f64,
    pub hours: f64,
    pub kind: FaultKind,
    /// `confidence`: the confidence published meanwhile, bps of the price.
    #[serde(default)]
    pub conf_bps: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// No update is published: the last one ages until the fund refuses it as stale.
    Halt,
    /// Updates carry a confidence of `conf_bps`.
    Confidence,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    pub days: u32,
    #[serde(default = "default_step")]
    pub step_secs: u32,
    #[serde(default)]
    pub seed: u64,
    #[serde(default = "default_start")]
    pub start_unix: i64,
    pub initial_nav: f64,
    #[serde(default = "default_sol_price")]
    pub sol_price: f64,
}

fn default_step() -> u32 {
    3600
}
fn default_start() -> i64 {
    1_767_225_600
}
fn default_sol_price() -> f64 {
    150.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundParams {
    pub min_liquid_bps: u16,
    pub band_bps: u16,
    pub start_premium_bps: u16,
    pub max_premium_bps: u16,
    pub auction_duration_secs: u32,
    pub rebalance_window_secs: u32,
    pub max_volume_per_window: f64,
    pub premium_budget_per_window: f64,
    pub min_trade_value: f64,
    pub draw_fund_cap_bps: u16,
    pub draw_window_secs: u32,
    pub approval_threshold: f64,
    /// Gap clearing outside a crisis (`RebalanceConfig::max_discount_bps`; 0 = none).
    #[serde(default)]
    pub max_discount_bps: u16,
    /// `[fund.crisis]`: the crisis profile (`RebalanceConfig::crisis`); none by default.
    #[serde(default)]
    pub crisis: Option<CrisisParams>,
}

/// `[fund.crisis]`, amounts in whole numeraire units.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrisisParams {
    pub max_volume_per_window: f64,
    pub premium_budget_per_window: f64,
    pub auction_duration_secs: u32,
    pub max_premium_bps: u16,
    pub max_discount_bps: u16,
    #[serde(default)]
    pub gap_trigger_bps: u16,
    /// Crisis targets: the liquid share the fund aims for in crisis mode (0 = none).
    #[serde(default)]
    pub liquid_target_bps: u16,
    /// Crisis hold: crisis mode lasts this long after its last trigger (0 = none).
    #[serde(default)]
    pub hold_secs: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TokenKind {
    #[serde(rename = "spl")]
    Spl,
    #[serde(rename = "token-2022")]
    Token2022,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetSpec {
    pub name: String,
    pub token: TokenKind,
    pub decimals: u8,
    /// "liquid", "yield-bearing" or "illiquid" (`crate::names`).
    #[serde(deserialize_with = "crate::names::deserialize_class")]
    pub class: LiquidityClass,
    /// "pyth" or "fixed" (`crate::names`).
    #[serde(deserialize_with = "crate::names::deserialize_oracle_source")]
    pub oracle: OracleSource,
    pub price: f64,
    #[serde(default)]
    pub annual_vol: f64,
    #[serde(default)]
    pub annual_drift: f64,
    #[serde(default = "default_conf")]
    pub conf_bps: u16,
    pub target_bps: u16,
    pub max_weight_bps: u16,
    #[serde(default)]
    pub haircut_bps: u16,
    /// Share of `initial_nav` the fund starts with in this asset (default: its target).
    pub initial_weight_bps: Option<u16>,
    /// Depth of the asset's pool (numeraire value on each side); 0: the currency the pools
    /// quote in (the numeraire's stablecoin), traded at its market price without slippage or
    /// fee (a route into it is one swap, in the other asset's pool).
    #[serde(default)]
    pub pool_depth: f64,
}

fn default_conf() -> u16 {
    5
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeFlow {
    pub asset: String,
    pub daily: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeeperSpec {
    pub name: String,
    /// Numeraire value of every asset the keeper holds at the start. The simulation's keepers
    /// fill atomically through the market's pools and need none; tests that drive the
    /// planner directly use it.
    #[serde(default)]
    pub inventory: f64,
    #[serde(default)]
    pub min_profit: f64,
    #[serde(default)]
    pub priority_micro_lamports: u64,
    #[serde(default = "default_activity")]
    pub activity: f64,
}

fn default_activity() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shock {
    #[serde(default)]
    pub name: String,
    pub asset: String,
    pub day: f64,
    /// The move at `day` (-0.35: 35 % down); 0 with `daily` moves.
    #[serde(rename = "move", default)]
    pub move_: f64,
    /// Standard deviation of the move across paths (each path draws its own move).
    #[serde(default)]
    pub move_sd: f64,
    /// Daily moves from `day` on (a replay: -0.1 is a 10 % fall that day), compounded and
    /// spread evenly over each day's hours; the last level holds.
    #[serde(default)]
    pub daily: Vec<f64>,
    /// Days the move holds before it recovers (0 with `recover_days` 0: it never recovers).
    #[serde(default)]
    pub hold_days: f64,
    #[serde(default)]
    pub recover_days: f64,
    /// The asset's pool depth is multiplied by this while the shock is in force.
    #[serde(default = "one")]
    pub depth: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadDebt {
    pub day: f64,
    /// A fixed amount (added to the gap-linked part).
    #[serde(default)]
    pub amount: f64,
    /// Claims linked to the price path: `per_gap` times the fall of `gap_asset` since
    /// `gap_from_day` (0.35 for a 35 % fall; nothing when it rose).
    #[serde(default)]
    pub gap_asset: Option<String>,
    #[serde(default)]
    pub per_gap: f64,
    #[serde(default)]
    pub gap_from_day: f64,
    #[serde(default)]
    pub approval_delay_hours: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimantSpec {
    pub max_per_shortfall: f64,
    pub max_per_window: f64,
    pub lifetime_max: f64,
}

impl Scenario {
    /// The built-in scenario.
    pub fn default_scenario() -> Self {
        Self::parse(DEFAULT_SCENARIO, "(built-in)").expect("the built-in scenario is valid")
    }

    pub fn load(path: &Path) -> Result<Self, FileError> {
        let text = std::fs::read_to_string(path).map_err(|e| FileError {
            kind: "scenario",
            source: path.display().to_string(),
            field: String::new(),
            value: String::new(),
            reason: format!("cannot read the file: {e}"),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates; `source` names the file in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self, FileError> {
        let s: Scenario = toml::from_str(text).map_err(|e| FileError {
            kind: "scenario",
            source: source.to_string(),
            field: String::new(),
            value: String::new(),
            reason: format!("not a valid scenario: {}", e.to_string().trim_end()),
        })?;
        s.validate(source)?;
        Ok(s)
    }

    /// Every rule the simulation relies on, each with its field.
    pub fn validate(&self, source: &str) -> Result<(), FileError> {
        let err = |field: String, value: String, reason: &str| FileError {
            kind: "scenario",
            source: source.to_string(),
            field,
            value,
            reason: reason.to_string(),
        };
        let sim = &self.simulation;
        if sim.days == 0 || sim.days > 3650 {
            return Err(err(
                "simulation.days".into(),
                sim.days.to_string(),
                "must be between 1 and 3650",
            ));
        }
        if !(60..=86_400).contains(&sim.step_secs) {
            return Err(err(
                "simulation.step_secs".into(),
                sim.step_secs.to_string(),
                "must be between 60 and 86400 seconds",
            ));
        }
        let rounds = self.market.keeper_rounds;
        if rounds == 0 || rounds > 360 || sim.step_secs / rounds < 10 {
            return Err(err(
                "market.keeper_rounds".into(),
                rounds.to_string(),
                "must be between 1 and 360, at least 10 seconds apart within a step",
            ));
        }
        positive(&err, "simulation.initial_nav", sim.initial_nav)?;
        positive(&err, "simulation.sol_price", sim.sol_price)?;
        if self.assets.is_empty() || self.assets.len() > 16 {
            return Err(err(
                "assets".into(),
                format!("{} assets", self.assets.len()),
                "a fund holds between 1 and 16 assets",
            ));
        }
        let mut target_sum = 0u32;
        let mut initial_sum = 0u32;
        let mut liquid_targets = 0u32;
        let mut fixed = 0;
        for (k, a) in self.assets.iter().enumerate() {
            let f = |name: &str| format!("assets[{k}].{name} ({})", a.name);
            if a.name.trim().is_empty() {
                return Err(err(
                    format!("assets[{k}].name"),
                    "\"\"".into(),
                    "must not be empty",
                ));
            }
            if self.assets[..k].iter().any(|b| b.name == a.name) {
                return Err(err(
                    f("name"),
                    format!("{:?}", a.name),
                    "two assets have this name",
                ));
            }
            if a.decimals > 12 {
                return Err(err(
                    f("decimals"),
                    a.decimals.to_string(),
                    "must be at most 12",
                ));
            }
            positive(&err, &f("price"), a.price)?;
            non_negative(&err, &f("pool_depth"), a.pool_depth)?;
            if !(0.0..=5.0).contains(&a.annual_vol) {
                return Err(err(
                    f("annual_vol"),
                    a.annual_vol.to_string(),
                    "must be between 0 and 5 (500 %)",
                ));
            }
            if !(-1.0..=1.0).contains(&a.annual_drift) {
                return Err(err(
                    f("annual_drift"),
                    a.annual_drift.to_string(),
                    "must be between -1 and 1",
                ));
            }
            if a.target_bps > 10_000 {
                return Err(err(
                    f("target_bps"),
                    a.target_bps.to_string(),
                    "must be at most 10000",
                ));
            }
            if a.max_weight_bps > 10_000 || a.max_weight_bps < a.target_bps {
                return Err(err(
                    f("max_weight_bps"),
                    a.max_weight_bps.to_string(),
                    "must be between the asset's target_bps and 10000",
                ));
            }
            if a.haircut_bps >= 10_000 {
                return Err(err(
                    f("haircut_bps"),
                    a.haircut_bps.to_string(),
                    "must be below 10000",
                ));
            }
            if a.oracle == OracleSource::PythPull && !(1..=500).contains(&a.conf_bps) {
                return Err(err(
                    f("conf_bps"),
                    a.conf_bps.to_string(),
                    "must be between 1 and 500",
                ));
            }
            if a.oracle == OracleSource::Fixed {
                fixed += 1;
                if a.class != LiquidityClass::Liquid {
                    return Err(err(
                        f("oracle"),
                        "\"fixed\"".into(),
                        "only a liquid asset (the numeraire) may have a fixed price",
                    ));
                }
                if a.annual_vol != 0.0 || a.annual_drift != 0.0 {
                    return Err(err(
                        f("annual_vol"),
                        a.annual_vol.to_string(),
                        "a fixed-price asset cannot move",
                    ));
                }
            }
            target_sum += u32::from(a.target_bps);
            if a.class == LiquidityClass::Liquid {
                liquid_targets += u32::from(a.target_bps);
            }
            initial_sum += u32::from(a.initial_weight_bps.unwrap_or(a.target_bps));
        }
        if fixed > 1 {
            return Err(err(
                "assets[].oracle".into(),
                format!("{fixed} fixed"),
                "at most one asset (the numeraire) has a fixed price",
            ));
        }
        if target_sum != 10_000 {
            return Err(err(
                "assets[].target_bps".into(),
                format!("sum {target_sum}"),
                "targets must sum to exactly 10000",
            ));
        }
        if initial_sum != 10_000 {
            return Err(err(
                "assets[].initial_weight_bps".into(),
                format!("sum {initial_sum}"),
                "initial weights (default: the targets) must sum to exactly 10000",
            ));
        }
        let fp = &self.fund;
        if fp.min_liquid_bps > 10_000 || u32::from(fp.min_liquid_bps) > liquid_targets {
            return Err(err(
                "fund.min_liquid_bps".into(),
                fp.min_liquid_bps.to_string(),
                &format!("must be at most the liquid assets' targets ({liquid_targets})"),
            ));
        }
        if !(1..=2_000).contains(&fp.band_bps) {
            return Err(err(
                "fund.band_bps".into(),
                fp.band_bps.to_string(),
                "must be between 1 and 2000",
            ));
        }
        if fp.start_premium_bps > fp.max_premium_bps || fp.max_premium_bps > 1_000 {
            return Err(err(
                "fund.max_premium_bps".into(),
                fp.max_premium_bps.to_string(),
                "must be at least start_premium_bps and at most 1000",
            ));
        }
        if !(60..=604_800).contains(&fp.auction_duration_secs) {
            return Err(err(
                "fund.auction_duration_secs".into(),
                fp.auction_duration_secs.to_string(),
                "must be between 60 and 604800",
            ));
        }
        for (name, v) in [
            ("fund.rebalance_window_secs", fp.rebalance_window_secs),
            ("fund.draw_window_secs", fp.draw_window_secs),
        ] {
            if !(60..=2_592_000).contains(&v) {
                return Err(err(
                    name.into(),
                    v.to_string(),
                    "must be between 60 and 2592000",
                ));
            }
        }
        positive(&err, "fund.max_volume_per_window", fp.max_volume_per_window)?;
        non_negative(
            &err,
            "fund.premium_budget_per_window",
            fp.premium_budget_per_window,
        )?;
        non_negative(&err, "fund.min_trade_value", fp.min_trade_value)?;
        if fp.min_trade_value > fp.max_volume_per_window {
            return Err(err(
                "fund.min_trade_value".into(),
                fp.min_trade_value.to_string(),
                "must be at most max_volume_per_window",
            ));
        }
        if !(1..=10_000).contains(&fp.draw_fund_cap_bps) {
            return Err(err(
                "fund.draw_fund_cap_bps".into(),
                fp.draw_fund_cap_bps.to_string(),
                "must be between 1 and 10000",
            ));
        }
        non_negative(&err, "fund.approval_threshold", fp.approval_threshold)?;
        let names: Vec<&str> = self.assets.iter().map(|a| a.name.as_str()).collect();
        let known = |field: String, name: &str| {
            if names.contains(&name) {
                Ok(())
            } else {
                Err(err(
                    field,
                    format!("{name:?}"),
                    &format!("no asset has this name (assets: {})", names.join(", ")),
                ))
            }
        };
        for (k, fee) in self.fees.iter().enumerate() {
            known(format!("fees[{k}].asset"), &fee.asset)?;
            non_negative(&err, &format!("fees[{k}].daily"), fee.daily)?;
        }
        for (k, kp) in self.keepers.iter().enumerate() {
            non_negative(&err, &format!("keepers[{k}].inventory"), kp.inventory)?;
            non_negative(&err, &format!("keepers[{k}].min_profit"), kp.min_profit)?;
            if !(0.0..=1.0).contains(&kp.activity) {
                return Err(err(
                    format!("keepers[{k}].activity"),
                    kp.activity.to_string(),
                    "must be between 0 and 1",
                ));
            }
        }
        for (k, s) in self.shocks.iter().enumerate() {
            known(format!("shocks[{k}].asset"), &s.asset)?;
            // a fixed-price asset may be shocked too: its market price moves (a depeg), the
            // fund still values it at the fixed price
            if !(s.move_ > -0.95 && s.move_ < 10.0) {
                return Err(err(
                    format!("shocks[{k}].move"),
                    s.move_.to_string(),
                    "must be above -0.95 and below 10",
                ));
            }
            day_in_range(&err, &format!("shocks[{k}].day"), s.day, sim.days)?;
            non_negative(&err, &format!("shocks[{k}].recover_days"), s.recover_days)?;
            non_negative(&err, &format!("shocks[{k}].hold_days"), s.hold_days)?;
            if !(0.0..=0.5).contains(&s.move_sd) {
                return Err(err(
                    format!("shocks[{k}].move_sd"),
                    s.move_sd.to_string(),
                    "must be between 0 and 0.5",
                ));
            }
            if !(s.depth > 0.0 && s.depth <= 10.0) {
                return Err(err(
                    format!("shocks[{k}].depth"),
                    s.depth.to_string(),
                    "must be above 0 and at most 10",
                ));
            }
            if let Some((d, m)) = s
                .daily
                .iter()
                .enumerate()
                .find(|(_, m)| !(**m > -0.95 && **m < 10.0))
            {
                return Err(err(
                    format!("shocks[{k}].daily[{d}]"),
                    m.to_string(),
                    "must be above -0.95 and below 10",
                ));
            }
        }
        for (k, f) in self.oracle_faults.iter().enumerate() {
            known(format!("oracle_faults[{k}].asset"), &f.asset)?;
            let a = self
                .assets
                .iter()
                .find(|a| a.name == f.asset)
                .expect("checked");
            if a.oracle != OracleSource::PythPull {
                return Err(err(
                    format!("oracle_faults[{k}].asset"),
                    format!("{:?}", f.asset),
                    "only an asset priced by a feed (oracle = \"pyth\") has a feed to fail",
                ));
            }
            day_in_range(&err, &format!("oracle_faults[{k}].day"), f.day, sim.days)?;
            positive(&err, &format!("oracle_faults[{k}].hours"), f.hours)?;
            if f.kind == FaultKind::Confidence && !(f.conf_bps > 0.0 && f.conf_bps <= 5_000.0) {
                return Err(err(
                    format!("oracle_faults[{k}].conf_bps"),
                    f.conf_bps.to_string(),
                    "a confidence fault needs conf_bps between 0 and 5000",
                ));
            }
        }
        if self.market.fee_bps > 1_000 {
            return Err(err(
                "market.fee_bps".into(),
                self.market.fee_bps.to_string(),
                "must be at most 1000",
            ));
        }
        for (k, b) in self.bad_debt.iter().enumerate() {
            day_in_range(&err, &format!("bad_debt[{k}].day"), b.day, sim.days)?;
            non_negative(&err, &format!("bad_debt[{k}].amount"), b.amount)?;
            non_negative(&err, &format!("bad_debt[{k}].per_gap"), b.per_gap)?;
            match &b.gap_asset {
                Some(g) => {
                    known(format!("bad_debt[{k}].gap_asset"), g)?;
                    if !(b.gap_from_day >= 0.0 && b.gap_from_day <= b.day) {
                        return Err(err(
                            format!("bad_debt[{k}].gap_from_day"),
                            b.gap_from_day.to_string(),
                            "must be between 0 and the claim's day",
                        ));
                    }
                }
                None if b.per_gap > 0.0 => {
                    return Err(err(
                        format!("bad_debt[{k}].per_gap"),
                        b.per_gap.to_string(),
                        "needs gap_asset, the asset whose fall it follows",
                    ))
                }
                None => {}
            }
            if b.amount == 0.0 && b.per_gap == 0.0 {
                return Err(err(
                    format!("bad_debt[{k}].amount"),
                    "0".into(),
                    "a claim needs an amount, a per_gap, or both",
                ));
            }
            non_negative(
                &err,
                &format!("bad_debt[{k}].approval_delay_hours"),
                b.approval_delay_hours,
            )?;
        }
        let c = &self.claimant;
        positive(&err, "claimant.max_per_shortfall", c.max_per_shortfall)?;
        positive(&err, "claimant.max_per_window", c.max_per_window)?;
        positive(&err, "claimant.lifetime_max", c.lifetime_max)?;
        if c.max_per_shortfall > c.lifetime_max || c.max_per_window > c.lifetime_max {
            return Err(err(
                "claimant.lifetime_max".into(),
                c.lifetime_max.to_string(),
                "must be at least max_per_shortfall and max_per_window",
            ));
        }
        Ok(())
    }
}

fn positive(
    err: &impl Fn(String, String, &str) -> FileError,
    field: &str,
    v: f64,
) -> Result<(), FileError> {
    if v.is_finite() && v > 0.0 && v < 1e15 {
        Ok(())
    } else {
        Err(err(
            field.to_string(),
            v.to_string(),
            "must be a positive number below 1e15",
        ))
    }
}

fn non_negative(
    err: &impl Fn(String, String, &str) -> FileError,
    field: &str,
    v: f64,
) -> Result<(), FileError> {
    if v.is_finite() && (0.0..1e15).contains(&v) {
        Ok(())
    } else {
        Err(err(
            field.to_string(),
            v.to_string(),
            "must be a number between 0 and 1e15",
        ))
    }
}

fn day_in_range(
    err: &impl Fn(String, String, &str) -> FileError,
    field: &str,
    day: f64,
    days: u32,
) -> Result<(), FileError> {
    if day.is_finite() && day >= 0.0 && day < f64::from(days) {
        Ok(())
    } else {
        Err(err(
            field.to_string(),
            day.to_string(),
            &format!("must be a day within the simulation (0 to {days})"),
        ))
    }
}
