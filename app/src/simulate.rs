//! `ifund simulate`: the real program in the embedded runtime, a fund with several assets,
//! Pyth-format price accounts updated every step (halted or blown out when the scenario says
//! so), fee inflows, competing atomic keepers that buy what they deliver and sell what they
//! receive through each asset's pool, and bad debt declared and drawn. Everything on chain
//! goes through real transactions (SPL Token and Token-2022 included); only the oracle
//! accounts are written directly, as the Pyth receiver would post them.
//!
//! One [`Sim`] runs many paths: the fund is set up once, its accounts captured, and every
//! path starts by writing them back ([`Sim::reset`]), so a path costs only its steps.
//!
//! Determinism: keys come from the scenario's seed; a path's price moves, shock sizes and
//! keeper orderings from one ChaCha20 stream seeded by the path's seed, and the clock is set
//! by the simulation, so the same seed gives the same path and report.

use crate::chain::{load_fund, send, Chain, EmbeddedChain, SendOptions, Snapshot};
use crate::keeper::{self, KeeperAccounts, PlanParams, PlannedFill, Room, Skip};
use crate::market::{feed_state, shock_factors, FeedState, Pool, ShockDraws};
use crate::scenario::{FaultKind, Scenario, TokenKind};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::{program_pack::Pack, system_instruction};
use anchor_spl::token_2022::spl_token_2022::{self as t22, state::Mint as MintState};
use anyhow::{bail, Context};
use insurance_fund::instructions::{InitializeFundArgs, NavReport};
use insurance_fund::state::{
    asset_flags, fresh_nav, AssetParams, ClaimantCaps, DrawConfig, LiquidityClass, OracleParams,
    OracleSource, RebalanceConfig, ShortfallStatus,
};
use insurance_fund_client::decode::{encode_price_update, PythPrice};
use insurance_fund_client::{decode, ix, pda, remaining};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Numeraire precision of the simulated fund (USD with 6 decimals).
pub const NUMERAIRE_DECIMALS: u8 = 6;
const PYTH_EXPO: i32 = -8;
/// The widest confidence the fund accepts from the simulated feeds (`max_conf_bps`). The
/// feeds are not capped below it: a shock or a confidence fault that publishes a wider one
/// gets the refresh refused, as on a cluster.
const MAX_CONF_BPS: u16 = 200;
/// Hours after the first claim at which deliverable stablecoins are measured.
pub const HORIZONS: [f64; 4] = [1.0, 6.0, 24.0, 72.0];
/// Sizes the atomic keeper tries, as fractions of the most its pool can supply. The smallest
/// is the probe: small enough that a thin out-asset pool (an LP token's in a crash) does not
/// make every size look like a loss when the in-asset's supply is large (a stablecoin's).
/// Mixed into a path's seed for its market stream (`Sim::market_rng`).
const MARKET_STREAM: u64 = 0x6d61_726b_6574_0001;
/// Mixed into a path's seed for the prices within a step (`Sim::bridge_rng`), so that the
/// prices at the steps are the same with or without them.
const BRIDGE_STREAM: u64 = 0x6272_6964_6765_0001;
/// The probe's largest value as a share of the thinnest pool's depth (a 10 bps slice).
const PROBE_DEPTH: f64 = 0.001;
const SIZES: [f64; 6] = [1.0, 0.25, 0.0625, 0.015625, 0.00390625, 0.0009765625];

/// How to run a scenario.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Overrides `simulation.days`.
    pub days: Option<u32>,
    /// Overrides `simulation.seed`.
    pub seed: Option<u64>,
    /// Where the report, summary and state snapshot go.
    pub out: PathBuf,
    pub progress: bool,
}

/// One sample per step.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    /// Hours since the start.
    pub t_hours: f64,
    /// NAV in whole numeraire units.
    pub nav: f64,
    pub weights_bps: Vec<u16>,
    pub liquid_bps: u16,
    pub distance_bps: u32,
    /// Cumulative keeper premium and draws, whole numeraire units.
    pub premium_total: f64,
    pub drawn_total: f64,
    /// Each asset's market price.
    pub prices: Vec<f64>,
    /// Stablecoins (liquid assets) the fund holds, at market prices.
    pub liquid_value: f64,
}

/// A keeper's results.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KeeperStats {
    pub name: String,
    pub fills: u64,
    pub failed: u64,
    pub cranks: u64,
    /// Premium earned (fund's valuation), numeraire units.
    pub premium: f64,
    /// Fees paid (signature + priority), numeraire units.
    pub costs: f64,
}

/// One executed fill, as `fills.csv` lists it: what the fund asked, where its conservative
/// prices stood against the market, and what the fill cost the fund and the keeper against
/// mid (the market prices of the hour).
#[derive(Clone, Debug, Serialize)]
pub struct FillRecord {
    pub hour: f64,
    pub keeper: String,
    pub asset_in: String,
    pub asset_out: String,
    /// The auction premium the fill was priced at, bps.
    pub premium_bps: u16,
    /// The fund's upper price of the out-asset over its market price, bps (the fund sells at
    /// it, so the keeper pays this much above mid before the premium).
    pub out_upper_over_mid_bps: f64,
    /// The fund's lower price of the in-asset under its market price, bps.
    pub in_lower_under_mid_bps: f64,
    /// What the keeper delivered, at mid.
    pub volume_mid: f64,
    /// What the fund gave minus what it got, at mid, bps of `volume_mid`.
    pub cost_bps: f64,
    /// What the keeper lost to the pools (fees and slippage), bps of `volume_mid`.
    pub pool_cost_bps: f64,
}

/// One declared shortfall and how it was paid.
#[derive(Clone, Debug, Serialize)]
pub struct ShortfallStats {
    pub id: u64,
    pub declared: f64,
    pub paid: f64,
    pub declared_hour: f64,
    /// When it may first be drawn (after governance's approval when it needs one).
    pub payable_from_hour: f64,
    /// Hours from declaration to fully paid; `None` if still open at the end.
    pub hours_to_pay: Option<f64>,
    pub draws: u64,
    /// Remaining at 24 h and 72 h after declaration (`None`: the run ended before).
    pub unpaid_after_24h: Option<f64>,
    pub unpaid_after_72h: Option<f64>,
}

/// What bound the fund's conversion of risk assets in one hour (the binding-limit chart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Binding {
    /// Every asset in its band: nothing to convert.
    InBands,
    /// A fill went as far as the program's fill bounds allow (band, floor, caps).
    FillBounds,
    /// The fill was shrunk, or refused, by `max_volume_per_window`.
    VolumeCap,
    /// By `premium_budget_per_window`.
    PremiumBudget,
    /// The keeper sized the fill down (or found none) because of the pool's slippage.
    PoolDepth,
    /// The auction's premium does not yet cover the keeper's cost at any size.
    AuctionPremium,
    /// A price the pair needs is stale or refused.
    Oracle,
    /// Auctions not started, shortfall mode without an eligible pair, no passing fill.
    BandRules,
    /// Rebalances paused.
    Paused,
    /// No keeper was active this hour.
    NoKeeper,
}

impl Binding {
    /// Whether a keeper looking again later in the same step might fill: the auction moves
    /// with the clock, keepers wake up, and a fill leaves room for the next one (its pair
    /// restarts its auction).
    pub fn may_change_within_step(self) -> bool {
        matches!(
            self,
            Binding::AuctionPremium | Binding::NoKeeper | Binding::PoolDepth | Binding::FillBounds
        )
    }

    pub const ALL: [Binding; 10] = [
        Binding::InBands,
        Binding::FillBounds,
        Binding::VolumeCap,
        Binding::PremiumBudget,
        Binding::PoolDepth,
        Binding::AuctionPremium,
        Binding::Oracle,
        Binding::BandRules,
        Binding::Paused,
        Binding::NoKeeper,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Binding::InBands => "in bands",
            Binding::FillBounds => "fill bounds",
            Binding::VolumeCap => "volume cap",
            Binding::PremiumBudget => "premium budget",
            Binding::PoolDepth => "pool depth",
            Binding::AuctionPremium => "auction premium",
            Binding::Oracle => "oracle",
            Binding::BandRules => "band rules",
            Binding::Paused => "paused",
            Binding::NoKeeper => "no keeper",
        }
    }
}

/// What later issues judge the fund by.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Metrics {
    pub days: u32,
    pub steps: u64,
    pub seed: u64,
    pub initial_nav: f64,
    pub final_nav: f64,
    pub mean_distance_bps: f64,
    pub max_distance_bps: u32,
    /// Share of steps with the liquid share below the floor (0..=1).
    pub time_below_floor: f64,
    pub min_liquid_bps: u16,
    pub keeper_premium_total: f64,
    /// Keeper premium as bps of mean NAV per year.
    pub keeper_premium_bps_per_year: f64,
    pub fills: u64,
    pub rebalance_volume: f64,
    pub fees_deposited: f64,
    pub shortfall_declared: f64,
    pub shortfall_paid: f64,
    pub mean_hours_to_pay: Option<f64>,
    pub max_hours_to_pay: Option<f64>,
    pub transactions: u64,
    pub failed_transactions: u64,
}

/// The figures a risk team decides on, for one path.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PathMetrics {
    pub seed: u64,
    /// Claims declared over the run, numeraire units.
    pub claims: f64,
    /// Hour of the first claim, if any.
    pub first_claim_hour: Option<f64>,
    /// Value paid to the claimant (the fund's valuation) within each of [`HORIZONS`] hours
    /// of the first claim, as a share of the claims declared by then.
    pub paid_share: [f64; 4],
    /// Stablecoins (liquid assets, at market) paid within each horizon, share of claims.
    pub stable_paid_share: [f64; 4],
    /// Stablecoins paid plus stablecoins held at each horizon, share of claims declared by
    /// then: what the fund could deliver in stablecoins without the draw caps.
    pub stable_deliverable_share: [f64; 4],
    /// Some shortfall still unpaid 24 h / 72 h after its declaration.
    pub unpaid_24h: bool,
    pub unpaid_72h: bool,
    /// Hours to pay each shortfall (unpaid at the end: the hours it stayed open).
    pub hours_to_pay: Vec<f64>,
    /// Hours in which a draw for an open, approved shortfall paid nothing, by reason.
    pub refused_hours: BTreeMap<String, u32>,
    /// Of those, hours refused for a price reason while the liquid vaults held value.
    pub refused_oracle_with_liquid: u32,
    /// Asset-hours whose price refresh the program refuses (`oracle::read_price`), by error.
    pub refused_refreshes: BTreeMap<String, u32>,
    /// Rebalance volume at mid, numeraire units, and the fund's cost against mid (value out
    /// minus value in, at market prices), bps of that volume.
    pub volume_mid: f64,
    pub cost_vs_mid_bps: f64,
    /// The keepers' cost on the pools against mid (slippage and fees), bps of volume.
    pub pool_cost_bps: f64,
    /// Keeper premium, bps of mean NAV per year.
    pub premium_bps_per_year: f64,
    /// Stablecoins the fund spent buying risk assets in the 48 h before a claim.
    pub stables_into_risk_before_claim: f64,
    /// Stablecoins (at market) the fund raised by selling risk assets within 24 h of the
    /// first claim, as a share of NAV at the step before it (before the crash of a `crash`
    /// path), and those fills' cost against mid (risk assets given minus stablecoins
    /// received, at market), bps of the stablecoins received.
    pub raised_24h_share: f64,
    pub raised_24h_cost_bps: f64,
    pub final_nav: f64,
    pub min_liquid_bps: u16,
    /// Per hour from `crisis_start_hour`: what bound conversion.
    pub bindings: Vec<Binding>,
    /// Hour (from the start) of `bindings[0]`.
    pub crisis_start_hour: f64,
    /// The two baselines on the same market path.
    pub baselines: Vec<crate::baseline::BaselineMetrics>,
}

/// Everything a run produced.
#[derive(Clone, Debug, Serialize)]
pub struct SimResult {
    pub scenario_name: String,
    pub asset_names: Vec<String>,
    pub targets_bps: Vec<u16>,
    pub max_weights_bps: Vec<u16>,
    pub band_bps: u16,
    pub samples: Vec<Sample>,
    pub metrics: Metrics,
    pub path: PathMetrics,
    pub keepers: Vec<KeeperStats>,
    pub shortfalls: Vec<ShortfallStats>,
    /// Every executed fill, in order (`fills.csv`).
    pub fills: Vec<FillRecord>,
    /// (hour, label) of shocks, faults and bad-debt events, for the charts.
    pub events: Vec<(f64, String)>,
    pub report_path: PathBuf,
    pub snapshot_path: PathBuf,
}

struct SimAsset {
    name: String,
    mint: Keypair,
    token_program: Pubkey,
    decimals: u8,
    liquid: bool,
    vault: Pubkey,
    oracle: Option<Pubkey>,
    feed_id: [u8; 32],
    log_price: f64,
    /// With prices within a step: the next step's random-walk level, drawn a step ahead
    /// from the market stream (the same draws, in the same order, as without).
    next_log_price: Option<f64>,
    ema: f64,
    /// Market price (for the fixed-price numeraire too: a depeg moves it).
    spot: f64,
    /// The multiplicative shock in force (1 = none).
    shock: f64,
    base_conf_bps: f64,
    feed: FeedState,
    pool: Pool,
    /// The price account's data as last published (the keeper reads it from here rather
    /// than from the bank: the simulation wrote it).
    published: Vec<u8>,
}

impl SimAsset {
    /// Runs `f` with the asset's price account as last published (`publish_prices`), as the
    /// program would see it; `None` for an asset without one (a fixed price).
    fn with_published<R>(
        &self,
        f: impl FnOnce(Option<&anchor_lang::prelude::AccountInfo>) -> R,
    ) -> R {
        let Some(key) = self.oracle else {
            return f(None);
        };
        let (mut data, mut lamports) = (self.published.clone(), 10_000_000);
        let owner = insurance_fund::oracle::PYTH_RECEIVER_PROGRAM_ID;
        let info = anchor_lang::prelude::AccountInfo::new(
            &key,
            false,
            false,
            &mut lamports,
            &mut data,
            &owner,
            false,
        );
        f(Some(&info))
    }
}

struct SimKeeper {
    accounts: KeeperAccounts,
    params: PlanParams,
    send: SendOptions,
    activity: f64,
    cost_value: f64,
    stats: KeeperStats,
}

struct OpenShortfall {
    id: u64,
    approve_at: Option<i64>,
    stats_index: usize,
}

/// What a path records beyond the samples, for [`PathMetrics`].
#[derive(Default)]
struct PathLog {
    /// (hour, value credited, stablecoins at market) of every draw.
    draws: Vec<(f64, f64, f64)>,
    /// Hours with a draw refused, by reason; and refused for price reasons with liquid value.
    refused: BTreeMap<String, u32>,
    refused_oracle_with_liquid: u32,
    /// Asset-hours whose price refresh the program would refuse, by error.
    refused_refreshes: BTreeMap<String, u32>,
    /// (hour, stablecoins at market) the fund paid for risk assets.
    stables_into_risk: Vec<(f64, f64)>,
    /// (hour, stablecoins received at market, risk assets given at market) of every fill
    /// that sold a risk asset for a liquid one.
    liquidity_raised: Vec<(f64, f64, f64)>,
    volume_mid: f64,
    cost_vs_mid: f64,
    pool_cost: f64,
    bindings: Vec<Binding>,
    fills: Vec<FillRecord>,
}

/// Whole units `x` with `decimals` as atoms, rounded to nearest; refused when out of range.
fn atoms(x: f64, decimals: u8) -> anyhow::Result<u64> {
    let v = (x * 10f64.powi(i32::from(decimals))).round();
    if !(v.is_finite() && v >= 0.0 && v < u64::MAX as f64) {
        bail!("amount {x} with {decimals} decimals does not fit a u64 of atoms");
    }
    Ok(v as u64)
}

pub(crate) fn units(atoms: u128, decimals: u8) -> f64 {
    atoms as f64 / 10f64.powi(i32::from(decimals))
}

fn keypair(rng: &mut ChaCha20Rng) -> Keypair {
    let mut secret = [0u8; 32];
    rng.fill(&mut secret);
    Keypair::new_from_array(secret)
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha20Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Applies `--days` and `--seed` to a validated copy of `scenario`.
pub fn prepare(
    scenario: &Scenario,
    days: Option<u32>,
    seed: Option<u64>,
) -> anyhow::Result<Scenario> {
    scenario
        .validate("(as given)")
        .map_err(anyhow::Error::new)?;
    let mut s = scenario.clone();
    if let Some(d) = days {
        // events past a shorter horizon are simply never reached
        anyhow::ensure!(
            (1..=3650).contains(&d),
            "--days {d}: must be between 1 and 3650"
        );
        s.simulation.days = d;
    }
    if let Some(seed) = seed {
        s.simulation.seed = seed;
    }
    Ok(s)
}

/// Steps of a scenario.
pub fn step_count(s: &Scenario) -> u64 {
    u64::from(s.simulation.days) * 86_400 / u64::from(s.simulation.step_secs)
}

/// Runs one path of `scenario` (seed: `opts.seed`, else the scenario's) and writes the
/// report, summary and state snapshot into `opts.out`.
pub fn run(scenario: &Scenario, opts: &SimOptions) -> anyhow::Result<SimResult> {
    let s = prepare(scenario, opts.days, None)?;
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating the output directory {}", opts.out.display()))?;
    let mut sim = Sim::setup(&s)?;
    let seed = opts.seed.unwrap_or(s.simulation.seed);
    sim.reset(&s, seed)?;
    let steps = step_count(&s);
    let bar = if opts.progress {
        let bar = indicatif::ProgressBar::new(steps);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} simulating [{bar:40}] day {msg} ({pos}/{len} steps, eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    for step in 1..=steps {
        sim.step(&s, step)?;
        if step % 24 == 0 || step == steps {
            bar.set_position(step);
            bar.set_message(format!(
                "{}",
                step * u64::from(s.simulation.step_secs) / 86_400
            ));
        }
    }
    bar.finish_and_clear();
    let mut result = sim.finish(&s)?;
    sim.write_outputs(&s, &mut result, &opts.out)?;
    Ok(result)
}

/// A running simulation: the embedded chain with the fund, its keepers and oracles.
pub struct Sim {
    chain: EmbeddedChain,
    payer: Keypair,
    /// Keepers' draws (order, activity).
    rng: ChaCha20Rng,
    /// The market's draws (price paths), a stream of its own so that what the keepers do
    /// never changes the market path: variants of the fund compare on the same prices.
    market_rng: ChaCha20Rng,
    /// The draws of the prices within a step (`[market] intra_step_prices`).
    bridge_rng: ChaCha20Rng,
    fund: Pubkey,
    governance: Keypair,
    claimant: Keypair,
    payout_owner: Keypair,
    payout_accounts: Vec<Pubkey>,
    depositor: Keypair,
    deposit_accounts: Vec<Pubkey>,
    assets: Vec<SimAsset>,
    keepers: Vec<SimKeeper>,
    /// `refresh_prices` + `sync_auctions`: the same accounts every step.
    crank_ixs: Vec<Instruction>,
    /// `refresh_prices` of asset k alone (when the crank is refused).
    refresh_one: Vec<Instruction>,
    open: Vec<OpenShortfall>,
    shortfalls: Vec<ShortfallStats>,
    samples: Vec<Sample>,
    events: Vec<(f64, String)>,
    next_bad_debt: usize,
    tx: u64,
    failed_tx: u64,
    fees_deposited: f64,
    start: i64,
    /// Every account the setup wrote, as it left them: each path starts from these.
    base: Vec<(Pubkey, Account)>,
    seed: u64,
    draws: ShockDraws,
    path: PathLog,
    /// The fund as set up (its configuration: assets, oracles, parameters).
    config: Box<insurance_fund::state::Fund>,
    /// The runtime's clock as last set (`advance`, `clock_to`) and its slot.
    clock: i64,
    slot: u64,
}

/// Whether a crank at `now` that leaves `after` from `before` changes what the fund does
/// next: an auction clock started, cleared or moved, or the fund's crisis mode at `now`
/// changed. Cached prices and booked balances aside (every fill's own crank and the next
/// step's bring them up to date), and the time a crisis trigger was last seen
/// (`Fund::crisis_seen_at`, which moves at every crank while a price has gapped): the crisis
/// hold then runs from the last crank sent, at most a step earlier than from the last look.
fn crank_changes_course(
    before: &insurance_fund::state::Fund,
    after: &insurance_fund::state::Fund,
    now: i64,
) -> bool {
    before.crisis_mode(now) != after.crisis_mode(now)
        || before
            .assets
            .iter()
            .zip(&after.assets)
            .any(|(b, a)| (b.over_since, b.under_since) != (a.over_since, a.under_since))
}

impl Sim {
    fn send(
        &mut self,
        signers: &[&Keypair],
        ixs: &[Instruction],
        what: &str,
    ) -> anyhow::Result<()> {
        let r = send(
            &mut self.chain,
            &self.payer,
            signers,
            ixs,
            &SendOptions::default(),
        )?;
        self.tx += 1;
        if !r.is_ok() {
            self.failed_tx += 1;
            bail!("{what}: {}\n{}", r.describe(), r.logs.join("\n"));
        }
        Ok(())
    }

    /// Starts the runtime and creates, configures and funds the fund of `s`, its keepers,
    /// depositor and claimant.
    pub fn setup(s: &Scenario) -> anyhow::Result<Self> {
        Self::setup_on(s, EmbeddedChain::start()?)
    }

    /// [`Sim::setup`] on a runtime the caller started (e.g. with a swap program beside the
    /// fund: `EmbeddedChain::start_with`).
    pub fn setup_on(s: &Scenario, mut chain: EmbeddedChain) -> anyhow::Result<Self> {
        let payer = chain.payer();
        let mut rng = ChaCha20Rng::seed_from_u64(s.simulation.seed);
        let start = s.simulation.start_unix;
        chain.set_time(start)?;
        let governance = keypair(&mut rng);
        let create_key = keypair(&mut rng);
        let claimant = keypair(&mut rng);
        let payout_owner = keypair(&mut rng);
        let depositor = keypair(&mut rng);
        let fund = pda::fund_address(&create_key.pubkey());

        let assets: Vec<SimAsset> = s
            .assets
            .iter()
            .map(|a| {
                let mint = keypair(&mut rng);
                let mut feed_id = [0u8; 32];
                rng.fill(&mut feed_id);
                let token_program = match a.token {
                    TokenKind::Spl => anchor_spl::token::ID,
                    TokenKind::Token2022 => anchor_spl::token_2022::ID,
                };
                let oracle =
                    (a.oracle == OracleSource::PythPull).then(|| keypair(&mut rng).pubkey());
                SimAsset {
                    name: a.name.clone(),
                    vault: pda::vault_address(&fund, &mint.pubkey()),
                    mint,
                    token_program,
                    decimals: a.decimals,
                    liquid: a.class == LiquidityClass::Liquid,
                    oracle,
                    feed_id,
                    log_price: a.price.ln(),
                    next_log_price: None,
                    ema: a.price,
                    spot: a.price,
                    shock: 1.0,
                    base_conf_bps: f64::from(a.conf_bps),
                    feed: FeedState::Normal,
                    pool: Pool::new(a.price, a.pool_depth, s.market.fee_bps),
                    published: vec![],
                }
            })
            .collect();
        let mut sim = Sim {
            chain,
            payer,
            market_rng: rng.clone(),
            bridge_rng: rng.clone(),
            rng,
            fund,
            governance,
            claimant,
            payout_owner,
            payout_accounts: vec![],
            depositor,
            deposit_accounts: vec![],
            assets,
            keepers: vec![],
            crank_ixs: vec![],
            refresh_one: vec![],
            open: vec![],
            shortfalls: vec![],
            samples: vec![],
            events: vec![],
            next_bad_debt: 0,
            tx: 0,
            failed_tx: 0,
            fees_deposited: 0.0,
            start,
            base: vec![],
            seed: s.simulation.seed,
            draws: ShockDraws::default(),
            path: PathLog::default(),
            config: Box::new(bytemuck::Zeroable::zeroed()),
            clock: 0,
            slot: 0,
        };

        // mints
        let rent = sim.chain.minimum_balance(MintState::LEN)?;
        for k in 0..sim.assets.len() {
            let a = &sim.assets[k];
            let ixs = [
                system_instruction::create_account(
                    &sim.payer.pubkey(),
                    &a.mint.pubkey(),
                    rent,
                    MintState::LEN as u64,
                    &a.token_program,
                ),
                t22::instruction::initialize_mint2(
                    &a.token_program,
                    &a.mint.pubkey(),
                    &sim.payer.pubkey(),
                    None,
                    a.decimals,
                )?,
            ];
            let mint = a.mint.insecure_clone();
            sim.send(&[&mint], &ixs, "creating a mint")?;
        }

        // the fund, its assets and parameters
        let fp = &s.fund;
        let nd = NUMERAIRE_DECIMALS;
        let gov = sim.governance.pubkey();
        let init = ix::initialize_fund(
            &sim.payer.pubkey(),
            &create_key.pubkey(),
            InitializeFundArgs {
                governance: gov,
                guardian: None,
                numeraire: *b"USD\0\0\0\0\0",
                numeraire_decimals: nd,
                min_liquid_bps: fp.min_liquid_bps,
            },
        );
        sim.send(&[&create_key], &[init], "initialize_fund")?;
        for (k, spec) in s.assets.iter().enumerate() {
            let a = &sim.assets[k];
            let oracle = match spec.oracle {
                OracleSource::Fixed => {
                    let (mantissa, expo) = fixed_price(spec.price)?;
                    OracleParams {
                        source: OracleSource::Fixed,
                        feed_id: [0; 32],
                        max_age_secs: 0,
                        max_conf_bps: 0,
                        fixed_price: mantissa,
                        fixed_expo: expo,
                        peg_band_bps: 0,
                    }
                }
                OracleSource::PythPull => OracleParams {
                    source: OracleSource::PythPull,
                    feed_id: a.feed_id,
                    max_age_secs: 120,
                    max_conf_bps: MAX_CONF_BPS,
                    fixed_price: 0,
                    fixed_expo: 0,
                    peg_band_bps: 0,
                },
            };
            let params = AssetParams {
                max_weight_bps: spec.max_weight_bps,
                haircut_bps: spec.haircut_bps,
                class: spec.class,
                oracle,
                flags: asset_flags::ALL,
                fallback: None,
            };
            let add = ix::add_asset(
                &sim.fund,
                &gov,
                &sim.payer.pubkey(),
                &a.mint.pubkey(),
                &a.token_program,
                params,
            );
            let g = sim.governance.insecure_clone();
            sim.send(&[&g], &[add], &format!("add_asset {}", spec.name))?;
        }
        let cfg = RebalanceConfig {
            band_bps: fp.band_bps,
            start_premium_bps: fp.start_premium_bps,
            max_premium_bps: fp.max_premium_bps,
            max_discount_bps: fp.max_discount_bps,
            auction_duration_secs: fp.auction_duration_secs,
            window_secs: fp.rebalance_window_secs,
            max_volume_per_window: atoms(fp.max_volume_per_window, nd)?,
            premium_budget_per_window: atoms(fp.premium_budget_per_window, nd)?,
            min_trade_value: atoms(fp.min_trade_value, nd)?,
            crisis: match &fp.crisis {
                None => Default::default(),
                Some(c) => insurance_fund::state::CrisisProfile {
                    max_volume_per_window: atoms(c.max_volume_per_window, nd)?,
                    premium_budget_per_window: atoms(c.premium_budget_per_window, nd)?,
                    auction_duration_secs: c.auction_duration_secs,
                    max_premium_bps: c.max_premium_bps,
                    max_discount_bps: c.max_discount_bps,
                    gap_trigger_bps: c.gap_trigger_bps,
                    liquid_target_bps: c.liquid_target_bps,
                    hold_secs: c.hold_secs,
                },
            },
        };
        let draws = DrawConfig {
            approval_threshold: atoms(fp.approval_threshold, nd)?,
            fund_cap_bps: fp.draw_fund_cap_bps,
            _pad: [0; 2],
            window_secs: fp.draw_window_secs,
        };
        let c = &s.claimant;
        let caps = ClaimantCaps {
            max_per_shortfall: atoms(c.max_per_shortfall, nd)?,
            max_per_window: atoms(c.max_per_window, nd)?,
            lifetime_max: atoms(c.lifetime_max, nd)?,
        };
        let gov_ixs = vec![
            ix::set_targets(
                &sim.fund,
                &gov,
                s.assets.iter().map(|a| a.target_bps).collect(),
            ),
            ix::set_rebalance_params(&sim.fund, &gov, cfg),
            ix::set_draw_params(&sim.fund, &gov, draws),
            ix::register_claimant(
                &sim.fund,
                &gov,
                &sim.payer.pubkey(),
                sim.claimant.pubkey(),
                sim.payout_owner.pubkey(),
                caps,
            ),
        ];
        let g = sim.governance.insecure_clone();
        sim.send(&[&g], &gov_ixs, "configuring the fund")?;

        // token accounts: depositor, payout owner, keepers (associated token accounts)
        let depositor = sim.depositor.pubkey();
        let payout = sim.payout_owner.pubkey();
        sim.deposit_accounts = sim.create_atas(&depositor)?;
        sim.payout_accounts = sim.create_atas(&payout)?;
        let slot = sim.chain.clock()?.slot;
        sim.publish_prices(start, slot)?;

        // initial holdings, deposited through deposit_fees
        for (k, spec) in s.assets.iter().enumerate() {
            let w = f64::from(spec.initial_weight_bps.unwrap_or(spec.target_bps)) / 10_000.0;
            let amount = atoms(s.simulation.initial_nav * w / spec.price, spec.decimals)?;
            if amount > 0 {
                sim.deposit(k, amount)?;
            }
        }
        sim.fees_deposited = 0.0;

        // keepers
        let fund_state = load_fund(&mut sim.chain, &sim.fund)?;
        let oracles: Vec<Option<Pubkey>> = sim.assets.iter().map(|a| a.oracle).collect();
        let price_account =
            |k: usize, _: &insurance_fund::state::Asset| oracles.get(k).copied().flatten();
        sim.crank_ixs = keeper::crank_instructions(&sim.fund, &fund_state, &price_account)?;
        for k in 0..sim.assets.len() {
            let mask = 1u16 << k;
            let metas = remaining::refresh_prices_accounts(&fund_state, mask, price_account)?;
            sim.refresh_one
                .push(ix::refresh_prices(&sim.fund, mask, metas));
        }
        for kspec in &s.keepers {
            let signer = keypair(&mut sim.rng);
            let owner = signer.pubkey();
            let accounts = KeeperAccounts::associated(signer, &fund_state);
            // SOL for a year of fees
            let fund_sol =
                system_instruction::transfer(&sim.payer.pubkey(), &owner, 1_000_000_000_000);
            sim.send(&[], &[fund_sol], "funding a keeper with SOL")?;
            sim.create_atas(&owner)?;
            for (k, spec) in s.assets.iter().enumerate() {
                let amount = atoms(kspec.inventory / spec.price, spec.decimals)?;
                if amount > 0 {
                    let to = accounts.token_accounts[k].expect("an ATA per asset");
                    let a = &sim.assets[k];
                    let mint_ix = t22::instruction::mint_to(
                        &a.token_program,
                        &a.mint.pubkey(),
                        &to,
                        &sim.payer.pubkey(),
                        &[],
                        amount,
                    )?;
                    sim.send(&[], &[mint_ix], "funding a keeper")?;
                }
            }
            let send_opts = SendOptions {
                compute_unit_limit: 400_000,
                priority_micro_lamports: kspec.priority_micro_lamports,
                retries: 3,
            };
            let lamports = 5_000 + send_opts.priority_fee_lamports();
            let cost_value = lamports as f64 / 1e9 * s.simulation.sol_price;
            sim.keepers.push(SimKeeper {
                accounts,
                params: PlanParams {
                    cost: atoms(cost_value, nd)?,
                    min_profit: atoms(kspec.min_profit, nd)?,
                },
                send: send_opts,
                activity: kspec.activity,
                cost_value,
                stats: KeeperStats {
                    name: kspec.name.clone(),
                    ..Default::default()
                },
            });
        }
        for sh in &s.shocks {
            let label = if sh.name.is_empty() {
                format!("{} {:+.0}%", sh.asset, sh.move_ * 100.0)
            } else {
                sh.name.clone()
            };
            sim.events.push((sh.day * 24.0, label));
        }
        for b in &s.bad_debt {
            let label = match &b.gap_asset {
                Some(g) if b.per_gap > 0.0 => format!("bad debt ({g} gap)"),
                _ => format!("bad debt {:.0}", b.amount),
            };
            sim.events.push((b.day * 24.0, label));
        }
        for f in &s.oracle_faults {
            let what = match f.kind {
                FaultKind::Halt => "feed halted".to_string(),
                FaultKind::Confidence => format!("confidence {:.0} bps", f.conf_bps),
            };
            sim.events
                .push((f.day * 24.0, format!("{} {what} {:.0} h", f.asset, f.hours)));
        }
        sim.events
            .sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        sim.config = load_fund(&mut sim.chain, &sim.fund)?;
        sim.capture_base()?;
        let seed = s.simulation.seed;
        sim.reset(s, seed)?;
        Ok(sim)
    }

    /// The embedded chain.
    pub fn chain(&mut self) -> &mut EmbeddedChain {
        &mut self.chain
    }

    /// The fund's address.
    pub fn fund_key(&self) -> Pubkey {
        self.fund
    }

    /// Keeper `k`'s keys and token accounts.
    pub fn keeper(&self, k: usize) -> &KeeperAccounts {
        &self.keepers[k].accounts
    }

    /// Each asset's price account (None for the fixed-price numeraire).
    pub fn oracle_accounts(&self) -> Vec<Option<Pubkey>> {
        self.assets.iter().map(|a| a.oracle).collect()
    }

    fn create_atas(&mut self, owner: &Pubkey) -> anyhow::Result<Vec<Pubkey>> {
        let ixs: Vec<Instruction> = self
            .assets
            .iter()
            .map(|a| {
                ix::create_associated_token_account_idempotent(
                    &self.payer.pubkey(),
                    owner,
                    &a.mint.pubkey(),
                    &a.token_program,
                )
            })
            .collect();
        self.send(&[], &ixs, "creating token accounts")?;
        Ok(self
            .assets
            .iter()
            .map(|a| pda::associated_token_address(owner, &a.mint.pubkey(), &a.token_program))
            .collect())
    }

    /// Mints `amount` of asset `k` to the depositor and deposits it with `deposit_fees`.
    fn deposit(&mut self, k: usize, amount: u64) -> anyhow::Result<()> {
        let a = &self.assets[k];
        let keys = ix::AssetKeys {
            mint: a.mint.pubkey(),
            vault: a.vault,
            token_program: a.token_program,
        };
        let ixs = [
            t22::instruction::mint_to(
                &a.token_program,
                &a.mint.pubkey(),
                &self.deposit_accounts[k],
                &self.payer.pubkey(),
                &[],
                amount,
            )?,
            ix::deposit_fees(
                &self.fund,
                &self.depositor.pubkey(),
                &keys,
                &self.deposit_accounts[k],
                amount,
            ),
        ];
        let d = self.depositor.insecure_clone();
        self.send(&[&d], &ixs, "deposit_fees")
    }

    /// Records every account the setup wrote (the fund, claimant, mints, vaults, token
    /// accounts, keepers' SOL), so [`Sim::reset`] can start each path from them.
    fn capture_base(&mut self) -> anyhow::Result<()> {
        let mut keys = vec![
            self.fund,
            pda::claimant_address(&self.fund, &self.claimant.pubkey()),
        ];
        for a in &self.assets {
            keys.push(a.mint.pubkey());
            keys.push(a.vault);
        }
        keys.extend(self.deposit_accounts.iter().copied());
        keys.extend(self.payout_accounts.iter().copied());
        for k in &self.keepers {
            keys.push(k.accounts.signer.pubkey());
            keys.extend(k.accounts.token_accounts.iter().flatten().copied());
        }
        let accounts = self.chain.get_accounts(&keys)?;
        self.base = keys
            .into_iter()
            .zip(accounts)
            .map(|(k, a)| {
                Ok((
                    k,
                    a.with_context(|| format!("account {k} missing after setup"))?,
                ))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(())
    }

    /// Starts path `seed`: writes back the accounts as the setup left them, deletes the
    /// shortfall records the last path created, sets the clock to the start and reseeds.
    pub fn reset(&mut self, s: &Scenario, seed: u64) -> anyhow::Result<()> {
        let fund = load_fund(&mut self.chain, &self.fund)?;
        for id in 0..fund.draw_state.shortfall_count {
            let key = pda::shortfall_address(&self.fund, id);
            self.chain.set_account(&key, Account::default());
        }
        for (k, a) in &self.base {
            self.chain.set_account(k, a.clone());
        }
        self.chain.set_time(self.start)?;
        self.seed = seed;
        self.rng = ChaCha20Rng::seed_from_u64(seed);
        self.market_rng = ChaCha20Rng::seed_from_u64(seed ^ MARKET_STREAM);
        self.bridge_rng = ChaCha20Rng::seed_from_u64(seed ^ BRIDGE_STREAM);
        let rng = &mut self.market_rng;
        self.draws = ShockDraws::draw(s, || normal(rng));
        for (a, spec) in self.assets.iter_mut().zip(&s.assets) {
            a.log_price = spec.price.ln();
            a.next_log_price = None;
            a.ema = spec.price;
            a.spot = spec.price;
            a.shock = 1.0;
            a.feed = FeedState::Normal;
            a.pool = Pool::new(spec.price, spec.pool_depth, s.market.fee_bps);
        }
        for k in &mut self.keepers {
            k.stats = KeeperStats {
                name: k.stats.name.clone(),
                ..Default::default()
            };
        }
        self.open.clear();
        self.shortfalls.clear();
        self.samples.clear();
        self.next_bad_debt = 0;
        self.tx = 0;
        self.failed_tx = 0;
        self.fees_deposited = 0.0;
        self.path = PathLog::default();
        let slot = self.chain.clock()?.slot;
        self.publish_prices(self.start, slot)?;
        Ok(())
    }

    /// Writes every Pyth asset's price account as of `now` (a halted feed keeps its last).
    fn publish_prices(&mut self, now: i64, slot: u64) -> anyhow::Result<()> {
        for a in &mut self.assets {
            let Some(key) = a.oracle else { continue };
            if a.feed == FeedState::Halted && now != self.start {
                continue;
            }
            let mantissa = |x: f64| (x * 10f64.powi(-PYTH_EXPO)).round() as i64;
            let conf_bps = a.conf_bps_now();
            let conf = (a.spot * conf_bps / 10_000.0 * 10f64.powi(-PYTH_EXPO)).round() as u64;
            let p = PythPrice {
                feed_id: a.feed_id,
                price: mantissa(a.spot),
                conf,
                ema_price: mantissa(a.ema),
                ema_conf: conf,
                expo: PYTH_EXPO,
                publish_time: now,
                fully_verified: true,
            };
            let data = encode_price_update(&p, Pubkey::new_from_array([7; 32]), slot);
            a.published.clone_from(&data);
            self.chain.set_account(
                &key,
                Account {
                    lamports: 10_000_000,
                    data,
                    owner: insurance_fund::oracle::PYTH_RECEIVER_PROGRAM_ID,
                    executable: false,
                    rent_epoch: 0,
                },
            );
        }
        Ok(())
    }

    /// Moves the clock to step `step` and publishes that step's prices; returns the time.
    pub fn advance(&mut self, s: &Scenario, step: u64) -> anyhow::Result<i64> {
        let now = self.start + step as i64 * i64::from(s.simulation.step_secs);
        let day = (now - self.start) as f64 / 86_400.0;
        let slot = self.chain.set_clock(now)?.slot;
        (self.clock, self.slot) = (now, slot);

        // prices: geometric random walk times the shocks in force; EMA follows spot; pools
        // are brought back to the market price (arbitrage) at the shock's depth
        let dt = f64::from(s.simulation.step_secs) / (365.0 * 86_400.0);
        let walk = |rng: &mut ChaCha20Rng, spec: &crate::scenario::AssetSpec, level: f64| {
            let (vol, z) = (spec.annual_vol, normal(rng));
            level + (spec.annual_drift - vol * vol / 2.0) * dt + vol * dt.sqrt() * z
        };
        // with prices within the step, the next step's levels are drawn now, after this
        // step's (every asset's), so the market stream is drawn in the same order either way
        if s.market.intra_step_prices {
            for (a, spec) in self.assets.iter_mut().zip(&s.assets) {
                if spec.oracle == OracleSource::PythPull && a.next_log_price.is_none() {
                    a.next_log_price = Some(walk(&mut self.market_rng, spec, a.log_price));
                }
            }
            for (a, spec) in self.assets.iter_mut().zip(&s.assets) {
                if let Some(next) = a.next_log_price {
                    a.log_price = next;
                    a.next_log_price = Some(walk(&mut self.market_rng, spec, next));
                }
            }
        }
        for (a, spec) in self.assets.iter_mut().zip(&s.assets) {
            if spec.oracle == OracleSource::PythPull && !s.market.intra_step_prices {
                a.log_price = walk(&mut self.market_rng, spec, a.log_price);
            }
            let (shock, _) = shock_factors(s, &self.draws, &spec.name, day);
            a.spot = a.log_price.exp() * shock;
            a.ema += 0.3 * (a.spot - a.ema);
            a.shock = shock;
            a.feed = feed_state(s, &spec.name, day);
        }
        self.recentre_pools(s, day);
        self.publish_prices(now, slot)?;
        Ok(now)
    }

    /// Every asset's pool back at its market price, at the depth of the shocks in force on
    /// `day` (arbitrage between keeper rounds).
    /// The market a fraction `f` (0 < f < 1) into the step, at `day`: each random-walk price
    /// on a Brownian bridge from the step's level to the next step's (the spread of the bridge
    /// at `f` is `vol * sqrt(dt * f * (1 - f))`), times the shocks in force at `day`; the EMA
    /// moves from the step's (`at_step`: spot and EMA at the step) toward it as its factor per
    /// step would over `f` of the step. Fixed prices stay.
    fn bridge_prices(&mut self, s: &Scenario, f: f64, day: f64, at_step: &[(f64, f64)]) {
        let dt = f64::from(s.simulation.step_secs) / (365.0 * 86_400.0);
        for ((a, spec), &(_, ema)) in self.assets.iter_mut().zip(&s.assets).zip(at_step) {
            let Some(next) = a.next_log_price else {
                continue;
            };
            let z = normal(&mut self.bridge_rng);
            let spread = spec.annual_vol * (dt * f * (1.0 - f)).sqrt();
            let level = (1.0 - f) * a.log_price + f * next + spread * z;
            let (shock, _) = shock_factors(s, &self.draws, &spec.name, day);
            let spot = level.exp() * shock;
            // the EMA's factor per step is 0.3 (`advance`): over f of the step, 1 - 0.7^f
            a.ema = ema + (1.0 - 0.7f64.powf(f)) * (spot - ema);
            a.spot = spot;
        }
    }

    fn recentre_pools(&mut self, s: &Scenario, day: f64) {
        for (a, spec) in self.assets.iter_mut().zip(&s.assets) {
            let (_, depth) = shock_factors(s, &self.draws, &spec.name, day);
            a.pool = Pool::new(a.spot, spec.pool_depth * depth, s.market.fee_bps);
        }
    }

    /// One step: prices, fees, the crank, bad debt, keepers, and the sample.
    pub fn step(&mut self, s: &Scenario, step: u64) -> anyhow::Result<()> {
        let now = self.advance(s, step)?;
        let day = (now - self.start) as f64 / 86_400.0;
        let hour = (now - self.start) as f64 / 3600.0;

        // fee inflows, once a day
        let step_secs = i64::from(s.simulation.step_secs);
        let new_day = (now - self.start) / 86_400 != (now - step_secs - self.start) / 86_400;
        if new_day {
            for fee in &s.fees {
                let k = s
                    .assets
                    .iter()
                    .position(|a| a.name == fee.asset)
                    .expect("validated");
                let amount = atoms(fee.daily / self.assets[k].spot, self.assets[k].decimals)?;
                if amount > 0 {
                    self.deposit(k, amount)?;
                    self.fees_deposited += fee.daily;
                }
            }
        }

        self.crank(step, 0, now)?;

        // bad debt: declare (linked to the price path when the scenario says so), approve
        // when due, draw, close
        while let Some(b) = s.bad_debt.get(self.next_bad_debt) {
            if b.day > day {
                break;
            }
            let mut amount = b.amount;
            if let Some(g) = &b.gap_asset {
                let k = s
                    .assets
                    .iter()
                    .position(|a| &a.name == g)
                    .expect("validated");
                let from = self.price_at_hour(k, b.gap_from_day * 24.0, s);
                let fall = (1.0 - self.assets[k].spot / from).max(0.0);
                amount += b.per_gap * fall;
            }
            if amount >= 1.0 {
                self.declare(amount, b.approval_delay_hours, now)?;
            }
            self.next_bad_debt += 1;
        }
        self.service_shortfalls(now, hour)?;

        let (mut binding, mut fund) = self.keepers_step(now, hour, None)?;
        // keepers look again within the step while something they could take may still come
        // within reach (an auction's premium rising, its sale price falling, another keeper
        // waking up): `[market] keeper_rounds`; the market stays as it was at the step, or,
        // with `intra_step_prices`, moves on toward the next step's (the step's kept here)
        let rounds = i64::from(s.market.keeper_rounds.max(1));
        let at_step: Option<Vec<(f64, f64)>> = s
            .market
            .intra_step_prices
            .then(|| self.assets.iter().map(|a| (a.spot, a.ema)).collect());
        for r in 1..rounds {
            if !binding.may_change_within_step() {
                break;
            }
            let t = now + r * step_secs / rounds;
            // the runtime's clock moves to `t` only for a round that sends something
            // (`clock_to`): setting it refills the runtime's sysvar cache
            let slot = self.slot;
            if let Some(at_step) = &at_step {
                let day = (t - self.start) as f64 / 86_400.0;
                self.bridge_prices(s, r as f64 / rounds as f64, day, at_step);
            }
            // arbitrage has brought the pools back to the market since the last round; the
            // feeds publish again (the market as it is now); the crank that brings them to the
            // fund (fills need prices younger than the assets' `max_age_secs`) is sent at every
            // look with `crank_every_look`, otherwise when it matters (`keepers_step`)
            self.recentre_pools(s, (t - self.start) as f64 / 86_400.0);
            self.publish_prices(t, slot)?;
            let crank_with_fill = if s.market.crank_every_look {
                self.crank(step, r as u32, t)?;
                None
            } else {
                Some((step, r as u32))
            };
            (binding, fund) =
                self.keepers_step(t, (t - self.start) as f64 / 3600.0, crank_with_fill)?;
        }
        self.path.bindings.push(binding);
        // the step's own prices again (the rounds moved them within the step)
        for (a, (spot, ema)) in self.assets.iter_mut().zip(at_step.into_iter().flatten()) {
            (a.spot, a.ema) = (spot, ema);
        }

        // the sample (the fund as the keepers left it)
        let report = NavReport::build(&fund, now).map_err(|e| anyhow::anyhow!("NAV: {e}"))?;
        let liquid_value = self.liquid_value(&fund);
        self.samples.push(Sample {
            t_hours: hour,
            nav: units(report.nav, NUMERAIRE_DECIMALS),
            weights_bps: report.weights_bps.clone(),
            liquid_bps: report.liquid_bps,
            distance_bps: report.distance_bps,
            premium_total: units(
                u128::from(fund.rebalance_state.total_premium),
                NUMERAIRE_DECIMALS,
            ),
            drawn_total: units(u128::from(fund.draw_state.total_drawn), NUMERAIRE_DECIMALS),
            prices: self.assets.iter().map(|a| a.spot).collect(),
            liquid_value,
        });
        Ok(())
    }

    /// Market value of the fund's liquid assets.
    fn liquid_value(&self, fund: &insurance_fund::state::Fund) -> f64 {
        self.assets
            .iter()
            .zip(fund.registered_assets())
            .filter(|(a, _)| a.liquid)
            .map(|(a, f)| units(u128::from(f.booked_balance), a.decimals) * a.spot)
            .sum()
    }

    /// Asset `k`'s market price at `hour` (from the samples; the start price before them).
    fn price_at_hour(&self, k: usize, hour: f64, s: &Scenario) -> f64 {
        self.samples
            .iter()
            .rev()
            .find(|x| x.t_hours <= hour + 1e-9)
            .map_or(s.assets[k].price, |x| x.prices[k])
    }

    /// The runtime's clock at `now` before a transaction of a keeper round is sent.
    fn clock_to(&mut self, now: i64) -> anyhow::Result<()> {
        if self.clock != now {
            self.slot = self.chain.set_clock(now)?.slot;
            self.clock = now;
        }
        Ok(())
    }

    /// `refresh_prices` + `sync_auctions` (keepers take turns). Like a cluster keeper, the
    /// keeper first reads each feed and checks it with the program's own `oracle::read_price`;
    /// a feed the program would refuse (stale, confidence too wide) is left out of the
    /// refresh, and the refusal is counted by reason, so one dead feed does not stop the
    /// others from being cached. `round` > 0 for the extra keeper rounds within a step
    /// (refusals are counted once per step, in round 0).
    fn crank(&mut self, step: u64, round: u32, now: i64) -> anyhow::Result<()> {
        self.clock_to(now)?;
        // the assets' oracle configurations never change in a simulation
        let fund = self.config.clone();
        let mut mask = remaining::all_assets_mask(&fund);
        for (k, a) in self.assets.iter().enumerate() {
            if a.oracle.is_none() {
                continue;
            }
            let read = a.with_published(|info| {
                insurance_fund::oracle::read_price(&fund.assets[k].oracle, info, now, |_| false)
            });
            if let Err(e) = read {
                mask &= !(1u16 << k);
                let name = match &e {
                    anchor_lang::error::Error::AnchorError(ae) => ae.error_name.clone(),
                    other => other.to_string(),
                };
                if round == 0 {
                    *self.path.refused_refreshes.entry(name).or_insert(0) += 1;
                }
            }
        }
        let ixs = if mask == remaining::all_assets_mask(&fund) {
            self.crank_ixs.clone()
        } else {
            let oracles: Vec<Option<Pubkey>> = self.assets.iter().map(|a| a.oracle).collect();
            let price_account =
                |k: usize, _: &insurance_fund::state::Asset| oracles.get(k).copied().flatten();
            let metas = remaining::refresh_prices_accounts(&fund, mask, price_account)?;
            let mut ixs = vec![];
            if mask != 0 {
                ixs.push(ix::refresh_prices(&self.fund, mask, metas));
            }
            ixs.extend(self.crank_ixs.get(1).cloned());
            ixs
        };
        if ixs.is_empty() {
            return Ok(());
        }
        if self.keepers.is_empty() {
            return self.send(&[], &ixs, "refresh_prices");
        }
        let kidx = (step as usize) % self.keepers.len();
        let signer = self.keepers[kidx].accounts.signer.insecure_clone();
        let mut opts = self.keepers[kidx].send;
        // the same crank an hour later would be byte-identical within one slot (the clock
        // moves without a new slot, `EmbeddedChain::set_clock`); a compute-unit limit a few
        // units lower per step keeps it distinct (the fee difference is below a lamport)
        // (and per round within a step)
        opts.compute_unit_limit = opts
            .compute_unit_limit
            .saturating_sub((step % 997) as u32 + 997 * round);
        let r = send(&mut self.chain, &signer, &[], &ixs, &opts)?;
        self.tx += 1;
        let k = &mut self.keepers[kidx];
        k.stats.cranks += 1;
        k.stats.costs += k.cost_value;
        if !r.is_ok() {
            self.failed_tx += 1;
            bail!(
                "refresh_prices/sync_auctions failed at step {step}: {}",
                r.describe()
            );
        }
        Ok(())
    }

    fn declare(&mut self, amount: f64, delay_hours: f64, now: i64) -> anyhow::Result<()> {
        let fund = load_fund(&mut self.chain, &self.fund)?;
        let id = fund.draw_state.shortfall_count;
        let value = atoms(amount, NUMERAIRE_DECIMALS)?;
        let mut reference = [0u8; 32];
        reference[..8].copy_from_slice(&id.to_le_bytes());
        let authority = self.claimant.pubkey();
        let declare = ix::declare_shortfall(
            &self.fund,
            &authority,
            &self.payer.pubkey(),
            &authority,
            id,
            value,
            reference,
        );
        let c = self.claimant.insecure_clone();
        self.send(&[&c], &[declare], "declare_shortfall")?;
        // the program decides (approval counts what the claimant declared without approval
        // over the draw window): read it from the record rather than predict it
        let record = self
            .chain
            .get_account(&pda::shortfall_address(&self.fund, id))?
            .context("shortfall account missing after declare_shortfall")?;
        let needs_approval = decode::shortfall(&record.data)?.needs_approval;
        self.shortfalls.push(ShortfallStats {
            id,
            declared: units(u128::from(value), NUMERAIRE_DECIMALS),
            paid: 0.0,
            declared_hour: (now - self.start) as f64 / 3600.0,
            payable_from_hour: (now - self.start) as f64 / 3600.0
                + if needs_approval { delay_hours } else { 0.0 },
            hours_to_pay: None,
            draws: 0,
            unpaid_after_24h: None,
            unpaid_after_72h: None,
        });
        self.open.push(OpenShortfall {
            id,
            approve_at: needs_approval.then(|| now + (delay_hours * 3600.0) as i64),
            stats_index: self.shortfalls.len() - 1,
        });
        Ok(())
    }

    /// Stablecoins (liquid assets at market) in the claimant's payout accounts.
    fn payout_stables(&mut self) -> anyhow::Result<f64> {
        let keys: Vec<Pubkey> = self
            .assets
            .iter()
            .zip(&self.payout_accounts)
            .filter(|(a, _)| a.liquid)
            .map(|(_, k)| *k)
            .collect();
        let accounts = self.chain.get_accounts(&keys)?;
        let mut total = 0.0;
        for (a, acc) in self.assets.iter().filter(|a| a.liquid).zip(accounts) {
            if let Some(acc) = acc {
                let amount = decode::token_account(&acc.data)?.amount;
                total += units(u128::from(amount), a.decimals) * a.spot;
            }
        }
        Ok(total)
    }

    fn refuse(&mut self, reason: String, oracle: bool, fund: &insurance_fund::state::Fund) {
        *self.path.refused.entry(reason).or_insert(0) += 1;
        if oracle && self.liquid_value(fund) > 1.0 {
            self.path.refused_oracle_with_liquid += 1;
        }
    }

    fn service_shortfalls(&mut self, now: i64, hour: f64) -> anyhow::Result<()> {
        let authority = self.claimant.pubkey();
        let mut k = 0;
        while k < self.open.len() {
            let (id, approve_at, si) = (
                self.open[k].id,
                self.open[k].approve_at,
                self.open[k].stats_index,
            );
            if let Some(at) = approve_at {
                if now < at {
                    k += 1;
                    continue;
                }
                let gov = self.governance.pubkey();
                let g = self.governance.insecure_clone();
                self.send(
                    &[&g],
                    &[ix::approve_shortfall(&self.fund, &gov, id)],
                    "approve_shortfall",
                )?;
                self.open[k].approve_at = None;
            }
            let fund = load_fund(&mut self.chain, &self.fund)?;
            let claimant_key = pda::claimant_address(&self.fund, &authority);
            let shortfall_key = pda::shortfall_address(&self.fund, id);
            let accs = self.chain.get_accounts(&[claimant_key, shortfall_key])?;
            let claimant =
                decode::claimant(&accs[0].as_ref().context("claimant account missing")?.data)?;
            let shortfall =
                decode::shortfall(&accs[1].as_ref().context("shortfall account missing")?.data)?;
            let plan = remaining::plan_draw(&fund, &claimant, &shortfall, u64::MAX, now)?;
            let paid_before = shortfall.paid;
            if plan.limit == 0 {
                // which cap is used up (the handler's sizing, `Fund::draw_room`)
                let stale = fund.stale_mask(now);
                let (values, _) = fund
                    .asset_values()
                    .map_err(|e| anyhow::anyhow!("asset values: {e}"))?;
                let nav = fresh_nav(&values[..fund.asset_count as usize], stale)
                    .map_err(|e| anyhow::anyhow!("fresh NAV: {e}"))?;
                let room = fund
                    .draw_room(nav, &claimant, &shortfall, u64::MAX, now)
                    .map_err(|e| anyhow::anyhow!("draw room: {e}"))?;
                let reason = if room.fund_capacity <= room.fund_level {
                    "fund draw cap used up"
                } else if claimant.caps.max_per_window <= room.claimant_level {
                    "claimant window cap used up"
                } else {
                    "claimant shortfall or lifetime cap"
                };
                self.refuse(reason.into(), false, &fund);
            } else if plan.paid == 0 {
                self.refuse("nothing payable with a fresh price".into(), true, &fund);
            } else {
                let payout = self.payout_accounts.clone();
                let metas = remaining::draw_accounts(&fund, &plan.assets, |i, _| payout[i]);
                let c = self.claimant.insecure_clone();
                let stables_before = self.payout_stables()?;
                let r = send(
                    &mut self.chain,
                    &self.payer,
                    &[&c],
                    &[ix::draw(&self.fund, &authority, id, u64::MAX, metas)],
                    &SendOptions::default(),
                )?;
                self.tx += 1;
                if r.is_ok() {
                    self.shortfalls[si].draws += 1;
                    let stables = self.payout_stables()? - stables_before;
                    let acc = self
                        .chain
                        .get_account(&shortfall_key)?
                        .context("shortfall account missing")?;
                    let paid_now = decode::shortfall(&acc.data)?.paid;
                    let credited = units(
                        u128::from(paid_now.saturating_sub(paid_before)),
                        NUMERAIRE_DECIMALS,
                    );
                    self.path.draws.push((hour, credited, stables));
                } else {
                    self.failed_tx += 1;
                    let reason = r.fund_error().unwrap_or_else(|| r.describe());
                    let oracle = reason.contains("Stale") || reason.contains("Oracle");
                    self.refuse(reason, oracle, &fund);
                }
            }
            let acc = self
                .chain
                .get_account(&shortfall_key)?
                .context("shortfall account missing")?;
            let shortfall = decode::shortfall(&acc.data)?;
            let st = &mut self.shortfalls[si];
            st.paid = units(u128::from(shortfall.paid), NUMERAIRE_DECIMALS);
            let age = hour - st.declared_hour;
            let remaining = st.declared - st.paid;
            if age >= 24.0 && st.unpaid_after_24h.is_none() {
                st.unpaid_after_24h = Some(remaining.max(0.0));
            }
            if age >= 72.0 && st.unpaid_after_72h.is_none() {
                st.unpaid_after_72h = Some(remaining.max(0.0));
            }
            if shortfall.status == ShortfallStatus::Paid {
                let declared_at = shortfall.declared_at;
                st.hours_to_pay = Some((now - declared_at) as f64 / 3600.0);
                if age < 24.0 {
                    st.unpaid_after_24h = Some(0.0);
                }
                if age < 72.0 {
                    st.unpaid_after_72h = Some(0.0);
                }
                let close = ix::close_shortfall(&self.fund, id, self.payer.pubkey());
                self.send(&[], &[close], "close_shortfall")?;
                self.open.remove(k);
            } else {
                k += 1;
            }
        }
        Ok(())
    }

    /// The largest amount of asset `k` (atoms) a keeper can source in one fill: half the
    /// pool's holdings (a flat pool: the fund's whole volume cap's worth).
    fn pool_supply(&self, k: usize, volume_cap: f64) -> u64 {
        let a = &self.assets[k];
        let units = if a.pool.flat {
            volume_cap / a.spot.max(1e-9) * 2.0
        } else {
            a.pool.x * 0.5
        };
        atoms(units, a.decimals).unwrap_or(0)
    }

    /// What an atomic keeper makes on a fill: it sells what it receives through the
    /// out-asset's pool and buys what it delivers through the in-asset's pool, in the same
    /// transaction; minus its fee. Numeraire atoms.
    fn pool_profit(&self, i: usize, o: usize, amount_in: u64, amount_out: u64, cost: f64) -> i128 {
        let (ai, ao) = (&self.assets[i], &self.assets[o]);
        let got = ao
            .pool
            .sell_quote(units(u128::from(amount_out), ao.decimals));
        let gave = ai.pool.buy_cost(units(u128::from(amount_in), ai.decimals));
        let p = (got - gave - cost) * 10f64.powi(i32::from(NUMERAIRE_DECIMALS));
        if p.is_finite() {
            p as i128
        } else {
            i128::MIN / 2
        }
    }

    /// The most profitable fill at `now` for an atomic keeper paying `cost` per
    /// transaction: each size in [`SIZES`] of what the pools supply, planned by the program's
    /// engine (`keeper::plan_with`), valued on the pools. Also whether a smaller size than
    /// the largest won (the pool's depth bound it).
    fn plan_atomic(
        &self,
        fund: &insurance_fund::state::Fund,
        now: i64,
        cost: f64,
    ) -> (Result<PlannedFill, Skip>, bool) {
        let volume_cap = units(
            u128::from(fund.rebalance.max_volume_per_window),
            NUMERAIRE_DECIMALS,
        );
        let supply: Vec<u64> = (0..self.assets.len())
            .map(|a| self.pool_supply(a, volume_cap))
            .collect();
        let profit =
            |i: usize, o: usize, amount: u64, q: &insurance_fund::math::rebalance::FillQuote| {
                self.pool_profit(i, o, amount, q.amount_out, cost)
            };
        // first the smallest size, where the pools cost only their fee: with no fee per
        // transaction (`cost` is charged by the caller when 0 here) the profit is concave in
        // the size and 0 at 0, so a loss there is a loss at every size
        let smallest = SIZES[SIZES.len() - 1];
        // the probe must be small against the thinnest pool it may be sold into, not only
        // against its own (a stablecoin's probe sold into an LP token's pool): at most
        // `PROBE_DEPTH` of that depth, and above the fund's minimum trade
        let thinnest = self
            .assets
            .iter()
            .filter(|a| !a.pool.flat)
            .map(|a| a.pool.y)
            .fold(f64::INFINITY, f64::min);
        let min_trade = units(
            u128::from(fund.rebalance.min_trade_value),
            NUMERAIRE_DECIMALS,
        );
        let probe_value = (thinnest * PROBE_DEPTH).max(min_trade * 1.5);
        let inventory: Vec<u64> = supply
            .iter()
            .zip(&self.assets)
            .map(|(x, a)| {
                let by_depth =
                    atoms(probe_value / a.spot.max(1e-12), a.decimals).unwrap_or(u64::MAX);
                ((*x as f64 * smallest) as u64).min(by_depth)
            })
            .collect();
        let probe = keeper::plan_with(fund, now, &inventory, 0, &profit);
        match &probe {
            Err(Skip::Unprofitable { .. }) if cost == 0.0 => return (probe, false),
            Err(Skip::NoAcceptableFill) | Ok(_) | Err(Skip::Unprofitable { .. }) => {}
            Err(_) => return (probe, false),
        }
        // a profitable probe gives the margin per unit of value; against the two pools'
        // slippage (about value / depth each) the profit m*v - v^2*(1/D_o + 1/D_i) peaks at
        // v* = m / (2 (1/D_o + 1/D_i)): plan once at that size and keep the better of the two
        if let Ok(p) = &probe {
            let v = units(p.quote.value_in, NUMERAIRE_DECIMALS);
            let (ai, ao) = (&self.assets[p.asset_in], &self.assets[p.asset_out]);
            let inv_depth = |pool: &Pool| if pool.flat { 0.0 } else { 1.0 / pool.y };
            let k = inv_depth(&ai.pool) + inv_depth(&ao.pool);
            // the margin at size 0: the probe's average margin plus its own slippage (v * k)
            let margin =
                units(p.expected_profit.max(0) as u128, NUMERAIRE_DECIMALS) / v.max(1e-9) + v * k;
            let best_value = if k > 0.0 {
                margin / (2.0 * k)
            } else {
                f64::INFINITY
            };
            let cap_units = best_value / ai.spot.max(1e-12);
            let cap = atoms(cap_units.min(1e15), ai.decimals).unwrap_or(u64::MAX);
            let full = supply[p.asset_in];
            let mut inventory = supply.clone();
            inventory[p.asset_in] = cap.min(full);
            let sized = keeper::plan_with(fund, now, &inventory, 0, &profit);
            return match sized {
                // the pools bound the fill when it took all the size they were asked for
                Ok(f) if f.expected_profit > p.expected_profit => {
                    let down = cap < full && f.amount_in >= inventory[p.asset_in];
                    (Ok(f), down)
                }
                _ => (probe, true),
            };
        }
        let mut probe = Some(probe);
        let mut best: Option<PlannedFill> = None;
        let mut first_err = None;
        let mut sized_down = false;
        for (n, frac) in SIZES.iter().enumerate() {
            let planned = if n == SIZES.len() - 1 {
                probe.take().expect("planned once")
            } else {
                let inventory: Vec<u64> =
                    supply.iter().map(|x| (*x as f64 * frac) as u64).collect();
                keeper::plan_with(fund, now, &inventory, 0, &profit)
            };
            match planned {
                Ok(fill) => match &best {
                    Some(b) if fill.expected_profit <= b.expected_profit => break,
                    _ => {
                        sized_down = n > 0;
                        best = Some(fill);
                    }
                },
                Err(e) => {
                    // these do not depend on the size: stop at once
                    let size_free =
                        !matches!(e, Skip::Unprofitable { .. } | Skip::NoAcceptableFill);
                    if first_err.is_none() {
                        first_err = Some(e);
                    }
                    if size_free || best.is_some() {
                        break;
                    }
                }
            }
        }
        match best {
            Some(b) => (Ok(b), sized_down),
            None => (Err(first_err.unwrap_or(Skip::NoAcceptableFill)), false),
        }
    }

    /// The fill transaction of an atomic keeper, a flash fill: `rebalance_begin` lends the
    /// out-asset, the keeper sells it and buys the in-asset in its pool, delivers, and
    /// `rebalance_end` checks the fill. The market legs are modelled off chain (the pools),
    /// so the out-asset is burned and the in-asset minted to the keeper.
    fn atomic_fill_ixs(
        &self,
        fund: &insurance_fund::state::Fund,
        kidx: usize,
        fill: &PlannedFill,
    ) -> anyhow::Result<Vec<Instruction>> {
        let k = &self.keepers[kidx];
        let (ai, ao) = (&self.assets[fill.asset_in], &self.assets[fill.asset_out]);
        let acc =
            |x: usize| k.accounts.token_accounts[x].context("a keeper token account per asset");
        let fa = (&fund.assets[fill.asset_in], &fund.assets[fill.asset_out]);
        let (keys_in, keys_out) = (ix::AssetKeys::of(fa.0), ix::AssetKeys::of(fa.1));
        let me = k.accounts.signer.pubkey();
        // a flash fill: the fund lends the out-asset, the keeper sells it in its pool (burnt
        // here: the pools are off-chain, `market.rs`), buys the in-asset there (minted) and
        // delivers it into the vault before `rebalance_end` checks the fill; the keeper
        // needs no inventory
        Ok(vec![
            ix::rebalance_begin(
                &self.fund,
                &me,
                &keys_in,
                &keys_out,
                &acc(fill.asset_out)?,
                fill.quote.amount_out,
            ),
            t22::instruction::burn(
                &ao.token_program,
                &acc(fill.asset_out)?,
                &ao.mint.pubkey(),
                &me,
                &[],
                fill.quote.amount_out,
            )?,
            t22::instruction::mint_to(
                &ai.token_program,
                &ai.mint.pubkey(),
                &acc(fill.asset_in)?,
                &self.payer.pubkey(),
                &[],
                fill.amount_in,
            )?,
            ix::token_transfer_checked(
                &ai.token_program,
                &acc(fill.asset_in)?,
                &ai.mint.pubkey(),
                &fa.0.vault,
                &me,
                fill.amount_in,
                fa.0.decimals,
            ),
            ix::rebalance_end(&self.fund, &me, &keys_in, &keys_out),
        ])
    }

    /// Keepers in a random order; returns what bound conversion this hour. The best fill
    /// is planned once per fund state (after a fill, again); each active keeper in turn
    /// sends it when it earns the keeper's minimum profit after the keeper's fee.
    ///
    /// `crank_with_fill` (a keeper round within a step, `(step, round)`): the prices just
    /// published are cranked only when it matters, with the outcome of cranking at every
    /// round. The fund as the crank would leave it is computed with the program's own rules
    /// (`project_crank`); a crank that would start or end an auction clock or change the
    /// crisis mode is sent at once (`crank_changes_course`); otherwise the keepers plan on that fund and the first that
    /// would send a fill sends the crank first, then they plan again on the fund as it is. A
    /// round in which nothing changes and nobody fills sends nothing, as a cluster keeper that
    /// simulates before it sends (and posts its price update with its fill) pays nothing for
    /// a look. The simulator runs many looks an hour at the cost of the rounds that act.
    fn keepers_step(
        &mut self,
        now: i64,
        hour: f64,
        mut crank_with_fill: Option<(u64, u32)>,
    ) -> anyhow::Result<(Binding, Box<insurance_fund::state::Fund>)> {
        let mut order: Vec<usize> = (0..self.keepers.len()).collect();
        for i in (1..order.len()).rev() {
            let j = self.rng.random_range(0..=i);
            order.swap(i, j);
        }
        let active: Vec<usize> = order
            .into_iter()
            .filter(|&k| self.rng.random::<f64>() < self.keepers[k].activity)
            .collect();
        let mut fund = match crank_with_fill {
            Some((step, round)) => {
                let (on_chain, projected) = self.project_crank(now)?;
                if crank_changes_course(&on_chain, &projected, now) {
                    // the crank starts or ends an auction or changes the crisis mode: the
                    // crank bot sends it, as it would have at every round
                    crank_with_fill = None;
                    self.crank(step, round, now)?;
                    load_fund(&mut self.chain, &self.fund)?
                } else {
                    projected
                }
            }
            None => load_fund(&mut self.chain, &self.fund)?,
        };
        if let Err(skip) = keeper::precheck(&fund, now) {
            return Ok((self.binding_of_skip(&fund, now, &skip), fund));
        }
        let mut binding = Binding::NoKeeper;
        let mut planned: Option<(Result<PlannedFill, Skip>, bool)> = None;
        let mut filled = false;
        let mut next = 0;
        while let Some(&kidx) = active.get(next) {
            next += 1;
            let (plan, sized_down) = match &planned {
                Some(p) => p.clone(),
                None => {
                    let p = self.plan_atomic(&fund, now, 0.0);
                    planned = Some(p.clone());
                    p
                }
            };
            let fill = match plan {
                Ok(f) => f,
                Err(skip) => {
                    if !filled {
                        binding = self.binding_of_skip(&fund, now, &skip);
                    }
                    break;
                }
            };
            let k = &self.keepers[kidx];
            let earns = fill.expected_profit
                - (k.cost_value * 10f64.powi(i32::from(NUMERAIRE_DECIMALS))) as i128;
            if earns < i128::from(k.params.min_profit) {
                if !filled {
                    binding = Binding::AuctionPremium;
                }
                continue;
            }
            if let Some((step, round)) = crank_with_fill.take() {
                // this keeper would fill: it cranks, and the keepers look again from the first
                self.crank(step, round, now)?;
                fund = load_fund(&mut self.chain, &self.fund)?;
                (binding, planned, next) = (Binding::NoKeeper, None, 0);
                continue;
            }
            self.clock_to(now)?;
            let ixs = self.atomic_fill_ixs(&fund, kidx, &fill)?;
            let signer = self.keepers[kidx].accounts.signer.insecure_clone();
            let opts = self.keepers[kidx].send;
            let payer = self.payer.insecure_clone();
            let r = send(&mut self.chain, &signer, &[&payer], &ixs, &opts)?;
            self.tx += 1;
            let cost = self.keepers[kidx].cost_value;
            self.keepers[kidx].stats.costs += cost;
            if !r.is_ok() {
                self.keepers[kidx].stats.failed += 1;
                self.failed_tx += 1;
                continue;
            }
            self.keepers[kidx].stats.fills += 1;
            self.keepers[kidx].stats.premium += units(fill.quote.premium_value, NUMERAIRE_DECIMALS);
            self.book_fill(&fill, hour, kidx, &fund);
            if !filled {
                binding = match fill.clipped_by {
                    Some(Room::Volume) => Binding::VolumeCap,
                    Some(Room::Premium) => Binding::PremiumBudget,
                    None if sized_down => Binding::PoolDepth,
                    None => Binding::FillBounds,
                };
            }
            filled = true;
            fund = load_fund(&mut self.chain, &self.fund)?;
            planned = None;
        }
        Ok((binding, fund))
    }

    /// The fund as a crank at `now` would leave it, computed from the fund on chain and the
    /// feeds as published with the program's own rules (`oracle::price_asset`,
    /// `Asset::cache_price`, `Fund::note_gap`, `Fund::settle_auction_clocks`,
    /// `Fund::sync_clocks`); a feed the program would refuse is left out, as `crank` leaves it
    /// out. Balances stay as booked (nothing reaches a vault between a step's rounds).
    /// Returns the fund on chain and the projected one.
    fn project_crank(
        &mut self,
        now: i64,
    ) -> anyhow::Result<(
        Box<insurance_fund::state::Fund>,
        Box<insurance_fund::state::Fund>,
    )> {
        let on_chain = load_fund(&mut self.chain, &self.fund)?;
        let mut fund = on_chain.clone();
        for (k, a) in self.assets.iter().enumerate() {
            let asset = fund.assets[k];
            let priced = a.with_published(|info| {
                let inputs = insurance_fund::oracle::PriceInputs {
                    oracle: &asset.oracle,
                    fallback: &asset.fallback,
                    cache: &asset.price,
                    primary_account: info,
                    fallback_account: None,
                    fund_max_age_secs: fund.max_price_age_secs,
                };
                insurance_fund::oracle::price_asset(&inputs, now, |_| false)
            });
            if let Ok(priced) = priced {
                fund.assets[k].cache_price(&priced);
            }
        }
        fund.note_gap(now);
        let err = |e: anchor_lang::error::Error| anyhow::anyhow!("projected crank: {e}");
        fund.settle_auction_clocks(now).map_err(err)?;
        if fund.rebalance.is_configured() && fund.targets_set() {
            fund.sync_clocks(now).map_err(err)?;
        }
        Ok((on_chain, fund))
    }

    /// Moves the pools for an executed fill (sent by keeper `kidx` on `fund` as it stood
    /// before the fill) and books its cost against mid.
    fn book_fill(
        &mut self,
        fill: &PlannedFill,
        hour: f64,
        kidx: usize,
        fund: &insurance_fund::state::Fund,
    ) {
        let (i, o) = (fill.asset_in, fill.asset_out);
        let units_in = units(u128::from(fill.amount_in), self.assets[i].decimals);
        let units_out = units(u128::from(fill.quote.amount_out), self.assets[o].decimals);
        let mid_in = units_in * self.assets[i].spot;
        let mid_out = units_out * self.assets[o].spot;
        let got = self.assets[o].pool.sell(units_out);
        let paid = self.assets[i].pool.buy(units_in);
        self.path.volume_mid += mid_in;
        self.path.cost_vs_mid += mid_out - mid_in;
        let pool_cost = (mid_out - got) + (paid - mid_in);
        self.path.pool_cost += pool_cost;
        if self.assets[o].liquid && !self.assets[i].liquid {
            self.path.stables_into_risk.push((hour, mid_out));
        }
        if self.assets[i].liquid && !self.assets[o].liquid {
            self.path.liquidity_raised.push((hour, mid_in, mid_out));
        }
        let price = |k: usize, upper: bool| {
            let p = &fund.assets[k].price;
            let atoms = if upper { p.upper } else { p.lower };
            atoms as f64 * 10f64.powi(p.expo)
        };
        let over_mid = |x: f64, mid: f64| {
            if mid > 0.0 {
                (x / mid - 1.0) * 1e4
            } else {
                0.0
            }
        };
        self.path.fills.push(FillRecord {
            hour,
            keeper: self.keepers[kidx].stats.name.clone(),
            asset_in: self.assets[i].name.clone(),
            asset_out: self.assets[o].name.clone(),
            premium_bps: fill.premium_bps,
            out_upper_over_mid_bps: over_mid(price(o, true), self.assets[o].spot),
            in_lower_under_mid_bps: -over_mid(price(i, false), self.assets[i].spot),
            volume_mid: mid_in,
            cost_bps: bps(mid_out - mid_in, mid_in),
            pool_cost_bps: bps(pool_cost, mid_in),
        });
    }

    fn binding_of_skip(
        &self,
        fund: &insurance_fund::state::Fund,
        now: i64,
        skip: &Skip,
    ) -> Binding {
        match skip {
            Skip::InBands => Binding::InBands,
            Skip::StalePrices { .. } => Binding::Oracle,
            Skip::RebalancesPaused => Binding::Paused,
            Skip::RateLimited => {
                let (volume, _) = keeper::rate_rooms(fund, now);
                if volume < fund.rebalance.min_trade_value.max(1) {
                    Binding::VolumeCap
                } else {
                    Binding::PremiumBudget
                }
            }
            Skip::Unprofitable { .. } => Binding::AuctionPremium,
            Skip::NoInventory => Binding::PoolDepth,
            // no pair passed: when a price is stale, that is why (the planner reports the
            // shortfall mode first)
            _ if fund.stale_mask(now) != 0 => Binding::Oracle,
            _ => Binding::BandRules,
        }
    }

    /// The run's metrics (the fund's state is left as the path ended).
    pub fn finish(&mut self, s: &Scenario) -> anyhow::Result<SimResult> {
        let fund = load_fund(&mut self.chain, &self.fund)?;
        let n = self.samples.len().max(1) as f64;
        let mean_nav = self.samples.iter().map(|x| x.nav).sum::<f64>() / n;
        let below = self
            .samples
            .iter()
            .filter(|x| x.liquid_bps < s.fund.min_liquid_bps)
            .count() as f64;
        let premium_total = units(
            u128::from(fund.rebalance_state.total_premium),
            NUMERAIRE_DECIMALS,
        );
        let years = f64::from(s.simulation.days) / 365.0;
        let paid_hours: Vec<f64> = self
            .shortfalls
            .iter()
            .filter_map(|x| x.hours_to_pay)
            .collect();
        let initial_nav = s.simulation.initial_nav;
        let premium_bps_per_year = if mean_nav > 0.0 {
            premium_total / mean_nav / years * 10_000.0
        } else {
            0.0
        };
        let metrics = Metrics {
            days: s.simulation.days,
            steps: self.samples.len() as u64,
            seed: self.seed,
            initial_nav,
            final_nav: self.samples.last().map_or(0.0, |x| x.nav),
            mean_distance_bps: self
                .samples
                .iter()
                .map(|x| f64::from(x.distance_bps))
                .sum::<f64>()
                / n,
            max_distance_bps: self
                .samples
                .iter()
                .map(|x| x.distance_bps)
                .max()
                .unwrap_or(0),
            time_below_floor: below / n,
            min_liquid_bps: s.fund.min_liquid_bps,
            keeper_premium_total: premium_total,
            keeper_premium_bps_per_year: premium_bps_per_year,
            fills: fund.rebalance_state.fills,
            rebalance_volume: units(
                u128::from(fund.rebalance_state.total_volume),
                NUMERAIRE_DECIMALS,
            ),
            fees_deposited: self.fees_deposited,
            shortfall_declared: self.shortfalls.iter().map(|x| x.declared).sum(),
            shortfall_paid: self.shortfalls.iter().map(|x| x.paid).sum(),
            mean_hours_to_pay: (!paid_hours.is_empty())
                .then(|| paid_hours.iter().sum::<f64>() / paid_hours.len() as f64),
            max_hours_to_pay: paid_hours.iter().copied().reduce(f64::max),
            transactions: self.tx,
            failed_transactions: self.failed_tx,
        };
        let path = self.path_metrics(s, premium_bps_per_year);
        Ok(SimResult {
            scenario_name: format!("seed {}, {} days", self.seed, s.simulation.days),
            asset_names: s.assets.iter().map(|a| a.name.clone()).collect(),
            targets_bps: s.assets.iter().map(|a| a.target_bps).collect(),
            max_weights_bps: s.assets.iter().map(|a| a.max_weight_bps).collect(),
            band_bps: s.fund.band_bps,
            samples: self.samples.clone(),
            metrics,
            path,
            keepers: self.keepers.iter().map(|k| k.stats.clone()).collect(),
            shortfalls: self.shortfalls.clone(),
            fills: self.path.fills.clone(),
            events: self.events.clone(),
            report_path: PathBuf::new(),
            snapshot_path: PathBuf::new(),
        })
    }

    fn path_metrics(&self, s: &Scenario, premium_bps_per_year: f64) -> PathMetrics {
        let end_hour = self.samples.last().map_or(0.0, |x| x.t_hours);
        let first = self
            .shortfalls
            .iter()
            .map(|x| x.declared_hour)
            .reduce(f64::min);
        let mut m = PathMetrics {
            seed: self.seed,
            claims: self.shortfalls.iter().map(|x| x.declared).sum(),
            first_claim_hour: first,
            refused_hours: self.path.refused.clone(),
            refused_oracle_with_liquid: self.path.refused_oracle_with_liquid,
            refused_refreshes: self.path.refused_refreshes.clone(),
            volume_mid: self.path.volume_mid,
            cost_vs_mid_bps: bps(self.path.cost_vs_mid, self.path.volume_mid),
            pool_cost_bps: bps(self.path.pool_cost, self.path.volume_mid),
            premium_bps_per_year,
            final_nav: self.samples.last().map_or(0.0, |x| x.nav),
            min_liquid_bps: self.samples.iter().map(|x| x.liquid_bps).min().unwrap_or(0),
            ..Default::default()
        };
        m.unpaid_24h = self.shortfalls.iter().any(|x| {
            x.unpaid_after_24h.is_some_and(|u| u > 0.5)
                || (x.hours_to_pay.is_none() && end_hour - x.declared_hour >= 24.0)
        });
        m.unpaid_72h = self.shortfalls.iter().any(|x| {
            x.unpaid_after_72h.is_some_and(|u| u > 0.5)
                || (x.hours_to_pay.is_none() && end_hour - x.declared_hour >= 72.0)
        });
        m.hours_to_pay = self
            .shortfalls
            .iter()
            .map(|x| x.hours_to_pay.unwrap_or(end_hour - x.declared_hour))
            .collect();
        if let Some(h0) = first {
            for (j, h) in HORIZONS.iter().enumerate() {
                let t = h0 + h;
                let claims: f64 = self
                    .shortfalls
                    .iter()
                    .filter(|x| x.declared_hour <= t)
                    .map(|x| x.declared)
                    .sum();
                let paid: f64 = self
                    .path
                    .draws
                    .iter()
                    .filter(|d| d.0 <= t)
                    .map(|d| d.1)
                    .sum();
                let stable: f64 = self
                    .path
                    .draws
                    .iter()
                    .filter(|d| d.0 <= t)
                    .map(|d| d.2)
                    .sum();
                let held = self
                    .samples
                    .iter()
                    .rev()
                    .find(|x| x.t_hours <= t + 1e-9)
                    .map_or(0.0, |x| x.liquid_value);
                if claims > 0.0 {
                    m.paid_share[j] = paid / claims;
                    m.stable_paid_share[j] = stable / claims;
                    m.stable_deliverable_share[j] = (stable + held) / claims;
                }
            }
            m.stables_into_risk_before_claim = self
                .path
                .stables_into_risk
                .iter()
                .filter(|(t, _)| {
                    self.shortfalls
                        .iter()
                        .any(|x| *t <= x.declared_hour && *t > x.declared_hour - 48.0)
                })
                .map(|(_, v)| v)
                .sum();
            let nav_before = self
                .samples
                .iter()
                .rev()
                .find(|x| x.t_hours < h0 - 1e-9)
                .map_or(s.simulation.initial_nav, |x| x.nav);
            let (raised, given) = self
                .path
                .liquidity_raised
                .iter()
                .filter(|(t, _, _)| *t >= h0 - 1e-9 && *t < h0 + 24.0 - 1e-9)
                .fold((0.0, 0.0), |(r, g), (_, got, gave)| (r + got, g + gave));
            if nav_before > 0.0 {
                m.raised_24h_share = raised / nav_before;
            }
            m.raised_24h_cost_bps = bps(given - raised, raised);
            // the crisis: from a day before the first claim to `crisis_hours` after it
            let step_h = f64::from(s.simulation.step_secs) / 3600.0;
            let from = (h0 - 24.0).max(step_h);
            let to = h0 + f64::from(s.market.crisis_hours);
            m.crisis_start_hour = from;
            m.bindings = self
                .samples
                .iter()
                .zip(&self.path.bindings)
                .filter(|(x, _)| x.t_hours >= from - 1e-9 && x.t_hours <= to + 1e-9)
                .map(|(_, b)| *b)
                .collect();
        }
        m.baselines =
            crate::baseline::run_baselines(s, &self.samples, &self.shortfalls, &self.draws);
        m
    }

    /// Writes the state snapshot, the report and the summary of a single path into `out`.
    pub fn write_outputs(
        &mut self,
        s: &Scenario,
        result: &mut SimResult,
        out: &Path,
    ) -> anyhow::Result<()> {
        let fund = load_fund(&mut self.chain, &self.fund)?;
        let mut keys = vec![self.fund];
        keys.push(pda::claimant_address(&self.fund, &self.claimant.pubkey()));
        for id in 0..fund.draw_state.shortfall_count {
            keys.push(pda::shortfall_address(&self.fund, id));
        }
        let mut snapshot = Snapshot::capture(&mut self.chain, &self.fund, &keys)?;
        snapshot.labels = self
            .assets
            .iter()
            .zip(&s.assets)
            .map(|(a, spec)| (a.mint.pubkey().to_string(), spec.name.clone()))
            .collect();
        result.snapshot_path = out.join("state.json");
        snapshot.write(&result.snapshot_path)?;
        result.report_path = out.join("report.html");
        let html = crate::report::html(result);
        std::fs::write(&result.report_path, html)
            .with_context(|| format!("writing {}", result.report_path.display()))?;
        let summary = crate::report::summary_table(result);
        let summary_path = out.join("summary.txt");
        std::fs::write(&summary_path, &summary)
            .with_context(|| format!("writing {}", summary_path.display()))?;
        let fills_path = out.join("fills.csv");
        std::fs::write(&fills_path, fills_csv(&result.fills))
            .with_context(|| format!("writing {}", fills_path.display()))?;
        Ok(())
    }
}

/// `x` as bps of `of` (0 when `of` is 0).
/// A CSV field: quoted (inner quotes doubled) when it holds a comma, a quote or a line break.
fn csv_field(x: &str) -> String {
    if x.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", x.replace('"', "\"\""))
    } else {
        x.to_string()
    }
}

/// `fills.csv`: a header, then one line per fill (`FillRecord`, its fields in order).
pub fn fills_csv(fills: &[FillRecord]) -> String {
    let mut out = String::from(
        "hour,keeper,asset_in,asset_out,premium_bps,out_upper_over_mid_bps,\
         in_lower_under_mid_bps,volume_mid,cost_bps,pool_cost_bps\n",
    );
    for f in fills {
        out.push_str(&format!(
            "{:.3},{},{},{},{},{:.2},{:.2},{:.2},{:.2},{:.2}\n",
            f.hour,
            csv_field(&f.keeper),
            csv_field(&f.asset_in),
            csv_field(&f.asset_out),
            f.premium_bps,
            f.out_upper_over_mid_bps,
            f.in_lower_under_mid_bps,
            f.volume_mid,
            f.cost_bps,
            f.pool_cost_bps
        ));
    }
    out
}

pub(crate) fn bps(x: f64, of: f64) -> f64 {
    if of > 0.0 {
        x / of * 10_000.0
    } else {
        0.0
    }
}

impl SimAsset {
    /// The published confidence: the asset's base confidence, wider while a shock is in
    /// force, or the fault's; not capped (the fund refuses it past `max_conf_bps`).
    fn conf_bps_now(&self) -> f64 {
        if let FeedState::Confidence(c) = self.feed {
            return c;
        }
        self.base_conf_bps * (1.0 + 20.0 * (1.0 - self.shock).abs())
    }
}

/// A fixed price as (mantissa, expo) with up to 8 decimals, exact when the price has no more.
fn fixed_price(price: f64) -> anyhow::Result<(u64, i32)> {
    for expo in 0..=8 {
        let scaled = price * 10f64.powi(expo);
        if (scaled - scaled.round()).abs() < 1e-9 {
            return Ok((scaled.round() as u64, -expo));
        }
    }
    let mantissa = (price * 1e8).round();
    if !(mantissa >= 1.0 && mantissa < u64::MAX as f64) {
        bail!("fixed price {price} cannot be represented");
    }
    Ok((mantissa as u64, -8))
}

/// Resolves the output directory argument.
pub fn out_dir(dir: Option<&Path>) -> PathBuf {
    dir.map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("ifund-sim"))
}
