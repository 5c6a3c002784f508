//! `ifund simulate`: the real program in the embedded runtime, a fund with several assets,
//! Pyth-format price accounts updated every step, fee inflows, competing keepers running the
//! keeper planner, and bad debt declared and drawn. Everything on chain goes through real
//! transactions (SPL Token and Token-2022 included); only the oracle accounts are written
//! directly, as the Pyth receiver would post them.
//!
//! Determinism: every key, price path and keeper ordering comes from one ChaCha20 stream
//! seeded by the scenario's seed, and the clock is set by the simulation, so the same seed
//! gives the same report.

use crate::chain::{load_fund, send, Chain, EmbeddedChain, SendOptions, Snapshot};
use crate::keeper::{self, KeeperAccounts, PlanParams};
use crate::scenario::{Class, OracleKind, Scenario, TokenKind};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::{program_pack::Pack, system_instruction};
use anchor_spl::token_2022::spl_token_2022::{self as t22, state::Mint as MintState};
use anyhow::{bail, Context};
use insurance_fund::instructions::{InitializeFundArgs, NavReport};
use insurance_fund::state::{
    asset_flags, AssetParams, ClaimantCaps, DrawConfig, LiquidityClass, OracleParams, OracleSource,
    RebalanceConfig, ShortfallStatus,
};
use insurance_fund_client::decode::{encode_price_update, PythPrice};
use insurance_fund_client::{decode, ix, pda, remaining};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::path::{Path, PathBuf};

/// Numeraire precision of the simulated fund (USD with 6 decimals).
pub const NUMERAIRE_DECIMALS: u8 = 6;
const PYTH_EXPO: i32 = -8;
/// The widest confidence the simulated oracles publish is kept below the assets' configured
/// `max_conf_bps` (200), so a refresh is never refused for confidence.
const MAX_CONF_BPS: u16 = 200;
const SIM_CONF_CAP_BPS: f64 = 180.0;

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
    /// Each asset's spot price.
    pub prices: Vec<f64>,
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

/// One declared shortfall and how it was paid.
#[derive(Clone, Debug, Serialize)]
pub struct ShortfallStats {
    pub id: u64,
    pub declared: f64,
    pub paid: f64,
    pub declared_hour: f64,
    /// Hours from declaration to fully paid; `None` if still open at the end.
    pub hours_to_pay: Option<f64>,
    pub draws: u64,
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
    pub keepers: Vec<KeeperStats>,
    pub shortfalls: Vec<ShortfallStats>,
    /// (hour, label) of shocks and bad-debt events, for the charts.
    pub events: Vec<(f64, String)>,
    pub report_path: PathBuf,
    pub snapshot_path: PathBuf,
}

struct SimAsset {
    mint: Keypair,
    token_program: Pubkey,
    decimals: u8,
    vault: Pubkey,
    oracle: Option<Pubkey>,
    feed_id: [u8; 32],
    log_price: f64,
    ema: f64,
    spot: f64,
    /// The multiplicative shock in force (1 = none).
    shock: f64,
    base_conf_bps: f64,
}

struct SimKeeper {
    accounts: KeeperAccounts,
    /// Atoms of each asset the keeper holds at the start and restocks to once a day.
    stock: Vec<u64>,
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

/// Whole units `x` with `decimals` as atoms, rounded to nearest; refused when out of range.
fn atoms(x: f64, decimals: u8) -> anyhow::Result<u64> {
    let v = (x * 10f64.powi(i32::from(decimals))).round();
    if !(v.is_finite() && v >= 0.0 && v < u64::MAX as f64) {
        bail!("amount {x} with {decimals} decimals does not fit a u64 of atoms");
    }
    Ok(v as u64)
}

fn units(atoms: u128, decimals: u8) -> f64 {
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

/// The multiplicative shock on `asset` at `day`.
fn shock_factor(s: &Scenario, asset: &str, day: f64) -> f64 {
    s.shocks
        .iter()
        .filter(|sh| sh.asset == asset && day >= sh.day)
        .map(|sh| {
            let weight = if sh.recover_days > 0.0 {
                (1.0 - (day - sh.day) / sh.recover_days).max(0.0)
            } else {
                1.0
            };
            1.0 + sh.move_ * weight
        })
        .product()
}

/// Runs `scenario` and writes the report, summary and state snapshot into `opts.out`.
pub fn run(scenario: &Scenario, opts: &SimOptions) -> anyhow::Result<SimResult> {
    scenario
        .validate("(as given)")
        .map_err(anyhow::Error::new)?;
    let mut s = scenario.clone();
    if let Some(d) = opts.days {
        // events past a shorter horizon are simply never reached
        anyhow::ensure!(
            (1..=3650).contains(&d),
            "--days {d}: must be between 1 and 3650"
        );
        s.simulation.days = d;
    }
    if let Some(seed) = opts.seed {
        s.simulation.seed = seed;
    }
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating the output directory {}", opts.out.display()))?;

    let mut sim = Sim::setup(&s)?;
    let steps = u64::from(s.simulation.days) * 86_400 / u64::from(s.simulation.step_secs);
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
    sim.finish(&s, opts)
}

/// A running simulation: the embedded chain with the fund, its keepers and oracles.
pub struct Sim {
    chain: EmbeddedChain,
    payer: Keypair,
    rng: ChaCha20Rng,
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
    open: Vec<OpenShortfall>,
    shortfalls: Vec<ShortfallStats>,
    samples: Vec<Sample>,
    events: Vec<(f64, String)>,
    next_bad_debt: usize,
    tx: u64,
    failed_tx: u64,
    fees_deposited: f64,
    start: i64,
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
        let mut chain = EmbeddedChain::start()?;
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
                let oracle = (a.oracle == OracleKind::Pyth).then(|| keypair(&mut rng).pubkey());
                SimAsset {
                    vault: pda::vault_address(&fund, &mint.pubkey()),
                    mint,
                    token_program,
                    decimals: a.decimals,
                    oracle,
                    feed_id,
                    log_price: a.price.ln(),
                    ema: a.price,
                    spot: a.price,
                    shock: 1.0,
                    base_conf_bps: f64::from(a.conf_bps),
                }
            })
            .collect();
        let mut sim = Sim {
            chain,
            payer,
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
            open: vec![],
            shortfalls: vec![],
            samples: vec![],
            events: vec![],
            next_bad_debt: 0,
            tx: 0,
            failed_tx: 0,
            fees_deposited: 0.0,
            start,
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
                OracleKind::Fixed => {
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
                OracleKind::Pyth => OracleParams {
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
                class: class(spec.class),
                oracle,
                flags: asset_flags::ALL,
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
            max_discount_bps: 0,
            auction_duration_secs: fp.auction_duration_secs,
            window_secs: fp.rebalance_window_secs,
            max_volume_per_window: atoms(fp.max_volume_per_window, nd)?,
            premium_budget_per_window: atoms(fp.premium_budget_per_window, nd)?,
            min_trade_value: atoms(fp.min_trade_value, nd)?,
            crisis: Default::default(),
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
        sim.publish_prices(start)?;

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
        sim.crank_ixs = keeper::crank_instructions(&sim.fund, &fund_state, &|k, _| {
            oracles.get(k).copied().flatten()
        })?;
        for kspec in &s.keepers {
            let signer = keypair(&mut sim.rng);
            let owner = signer.pubkey();
            let accounts = KeeperAccounts::associated(signer, &fund_state);
            // SOL for a year of fees
            let fund_sol =
                system_instruction::transfer(&sim.payer.pubkey(), &owner, 1_000_000_000_000);
            sim.send(&[], &[fund_sol], "funding a keeper with SOL")?;
            sim.create_atas(&owner)?;
            let mut stock = vec![];
            for (k, spec) in s.assets.iter().enumerate() {
                let amount = atoms(kspec.inventory / spec.price, spec.decimals)?;
                stock.push(amount);
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
                stock,
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
            sim.events
                .push((b.day * 24.0, format!("bad debt {:.0}", b.amount)));
        }
        sim.events
            .sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
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

    /// Writes every Pyth asset's price account as of `now`.
    fn publish_prices(&mut self, now: i64) -> anyhow::Result<()> {
        let slot = self.chain.clock()?.slot;
        for a in &self.assets {
            let Some(key) = a.oracle else { continue };
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
        self.chain.set_time(now)?;

        // prices: geometric random walk times the shocks in force; EMA follows spot
        let dt = f64::from(s.simulation.step_secs) / (365.0 * 86_400.0);
        for (a, spec) in self.assets.iter_mut().zip(&s.assets) {
            if spec.oracle == OracleKind::Fixed {
                continue;
            }
            let z = normal(&mut self.rng);
            let vol = spec.annual_vol;
            a.log_price += (spec.annual_drift - vol * vol / 2.0) * dt + vol * dt.sqrt() * z;
            let shock = shock_factor(s, &spec.name, day);
            a.spot = a.log_price.exp() * shock;
            a.ema += 0.3 * (a.spot - a.ema);
            a.shock = shock;
        }
        self.publish_prices(now)?;
        Ok(now)
    }

    /// One step: prices, fees, the crank, bad debt, keepers, and the sample.
    pub fn step(&mut self, s: &Scenario, step: u64) -> anyhow::Result<()> {
        let now = self.advance(s, step)?;
        let day = (now - self.start) as f64 / 86_400.0;

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

        // keepers restock once a day: what they delivered is bought back at market, off
        // chain (minted here); what they received stays in their accounts
        if new_day {
            for kidx in 0..self.keepers.len() {
                let balances = self.keepers[kidx].accounts.inventory(&mut self.chain)?;
                let mut ixs = vec![];
                for (k, a) in self.assets.iter().enumerate() {
                    let want = self.keepers[kidx].stock[k];
                    let have = balances.get(k).copied().unwrap_or(0);
                    if have < want {
                        let to = self.keepers[kidx].accounts.token_accounts[k]
                            .context("a keeper token account per asset")?;
                        ixs.push(t22::instruction::mint_to(
                            &a.token_program,
                            &a.mint.pubkey(),
                            &to,
                            &self.payer.pubkey(),
                            &[],
                            want - have,
                        )?);
                    }
                }
                if !ixs.is_empty() {
                    self.send(&[], &ixs, "restocking a keeper")?;
                }
            }
        }

        // the crank: refresh every price and sync the auctions (keepers take turns)
        let crank_ixs = self.crank_ixs.clone();
        if !self.keepers.is_empty() {
            let kidx = (step as usize) % self.keepers.len();
            let signer = self.keepers[kidx].accounts.signer.insecure_clone();
            let opts = self.keepers[kidx].send;
            let r = send(&mut self.chain, &signer, &[], &crank_ixs, &opts)?;
            self.tx += 1;
            let k = &mut self.keepers[kidx];
            k.stats.cranks += 1;
            k.stats.costs += k.cost_value;
            if !r.is_ok() {
                self.failed_tx += 1;
                bail!(
                    "refresh_prices/sync_auctions failed at hour {}: {}",
                    step,
                    r.describe()
                );
            }
        } else {
            self.send(&[], &crank_ixs, "refresh_prices")?;
        }

        // bad debt: declare, approve when due, draw, close
        while let Some(b) = s.bad_debt.get(self.next_bad_debt) {
            if b.day > day {
                break;
            }
            self.declare(b.amount, b.approval_delay_hours, now)?;
            self.next_bad_debt += 1;
        }
        self.service_shortfalls(now)?;

        // keepers, in a random order each step
        let mut order: Vec<usize> = (0..self.keepers.len()).collect();
        for i in (1..order.len()).rev() {
            let j = self.rng.random_range(0..=i);
            order.swap(i, j);
        }
        let mut fund = load_fund(&mut self.chain, &self.fund)?;
        // nothing to fill for anyone (in bands, no auction running, ...): skip the keepers
        let skip_all = keeper::precheck(&fund, now).is_err();
        for kidx in order {
            let roll: f64 = self.rng.random();
            if skip_all || roll >= self.keepers[kidx].activity {
                continue;
            }
            let inventory = self.keepers[kidx].accounts.inventory(&mut self.chain)?;
            let plan = keeper::plan(&fund, now, &inventory, self.keepers[kidx].params);
            let Ok(fill) = plan else { continue };
            let ixn =
                keeper::fill_instruction(&self.fund, &fund, &self.keepers[kidx].accounts, &fill)?;
            let signer = self.keepers[kidx].accounts.signer.insecure_clone();
            let opts = self.keepers[kidx].send;
            let r = send(&mut self.chain, &signer, &[], &[ixn], &opts)?;
            self.tx += 1;
            let k = &mut self.keepers[kidx];
            k.stats.costs += k.cost_value;
            if r.is_ok() {
                k.stats.fills += 1;
                k.stats.premium += units(fill.quote.premium_value, NUMERAIRE_DECIMALS);
            } else {
                k.stats.failed += 1;
                self.failed_tx += 1;
            }
            fund = load_fund(&mut self.chain, &self.fund)?;
        }

        // the sample
        let report = NavReport::build(&fund, now).map_err(|e| anyhow::anyhow!("NAV: {e}"))?;
        self.samples.push(Sample {
            t_hours: (now - self.start) as f64 / 3600.0,
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
        });
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
            declared: amount,
            paid: 0.0,
            declared_hour: (now - self.start) as f64 / 3600.0,
            hours_to_pay: None,
            draws: 0,
        });
        self.open.push(OpenShortfall {
            id,
            approve_at: needs_approval.then(|| now + (delay_hours * 3600.0) as i64),
            stats_index: self.shortfalls.len() - 1,
        });
        Ok(())
    }

    fn service_shortfalls(&mut self, now: i64) -> anyhow::Result<()> {
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
            if plan.limit > 0 && plan.paid > 0 {
                let payout = self.payout_accounts.clone();
                let metas = remaining::draw_accounts(&fund, &plan.assets, |i, _| payout[i]);
                let c = self.claimant.insecure_clone();
                self.send(
                    &[&c],
                    &[ix::draw(&self.fund, &authority, id, u64::MAX, metas)],
                    "draw",
                )?;
                self.shortfalls[si].draws += 1;
            }
            let acc = self
                .chain
                .get_account(&shortfall_key)?
                .context("shortfall account missing")?;
            let shortfall = decode::shortfall(&acc.data)?;
            self.shortfalls[si].paid = units(u128::from(shortfall.paid), NUMERAIRE_DECIMALS);
            if shortfall.status == ShortfallStatus::Paid {
                let declared_at = shortfall.declared_at;
                self.shortfalls[si].hours_to_pay = Some((now - declared_at) as f64 / 3600.0);
                let close = ix::close_shortfall(&self.fund, id, self.payer.pubkey());
                self.send(&[], &[close], "close_shortfall")?;
                self.open.remove(k);
            } else {
                k += 1;
            }
        }
        Ok(())
    }

    fn finish(mut self, s: &Scenario, opts: &SimOptions) -> anyhow::Result<SimResult> {
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
        let metrics = Metrics {
            days: s.simulation.days,
            steps: self.samples.len() as u64,
            seed: s.simulation.seed,
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
            keeper_premium_bps_per_year: if mean_nav > 0.0 {
                premium_total / mean_nav / years * 10_000.0
            } else {
                0.0
            },
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

        // the state snapshot `ifund status` reads
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
        let snapshot_path = opts.out.join("state.json");
        snapshot.write(&snapshot_path)?;

        let mut result = SimResult {
            scenario_name: String::new(),
            asset_names: s.assets.iter().map(|a| a.name.clone()).collect(),
            targets_bps: s.assets.iter().map(|a| a.target_bps).collect(),
            max_weights_bps: s.assets.iter().map(|a| a.max_weight_bps).collect(),
            band_bps: s.fund.band_bps,
            samples: std::mem::take(&mut self.samples),
            metrics,
            keepers: self.keepers.iter().map(|k| k.stats.clone()).collect(),
            shortfalls: self.shortfalls.clone(),
            events: self.events.clone(),
            report_path: opts.out.join("report.html"),
            snapshot_path,
        };
        result.scenario_name = format!("seed {}, {} days", s.simulation.seed, s.simulation.days);
        let html = crate::report::html(&result);
        std::fs::write(&result.report_path, html)
            .with_context(|| format!("writing {}", result.report_path.display()))?;
        let summary = crate::report::summary_table(&result);
        let summary_path = opts.out.join("summary.txt");
        std::fs::write(&summary_path, &summary)
            .with_context(|| format!("writing {}", summary_path.display()))?;
        Ok(result)
    }
}

impl SimAsset {
    /// The published confidence: the asset's base confidence, wider while a shock is in
    /// force, capped below the configured maximum.
    fn conf_bps_now(&self) -> f64 {
        let base = self.base_conf_bps;
        (base * (1.0 + 20.0 * (1.0 - self.shock).abs())).min(SIM_CONF_CAP_BPS)
    }
}

fn class(c: Class) -> LiquidityClass {
    match c {
        Class::Liquid => LiquidityClass::Liquid,
        Class::YieldBearing => LiquidityClass::YieldBearing,
        Class::Illiquid => LiquidityClass::Illiquid,
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
