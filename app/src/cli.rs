//! The command line (clap), following the Solana CLI's conventions: `--url/-u` with the
//! `m`/`d`/`t`/`l` monikers, `--keypair/-k` defaulting to `~/.config/solana/id.json` (or the
//! Solana CLI config's `keypair_path`), `--commitment`.

use crate::chain::{Chain, RpcChain, SendOptions, SnapshotChain};
use crate::keeper::{self, KeeperAccounts, PlanParams, RoundOptions, RoundOutcome};
use crate::scenario::Scenario;
use crate::simulate::{self, SimOptions};
use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Parser, Debug)]
#[command(
    name = "ifund",
    version,
    about = "Operator app of the Solana insurance fund: simulate it, watch it, keep it.",
    long_about = "Operator app of the Solana insurance fund.\n\n\
        The main job, `ifund simulate`, runs the real program in an embedded Solana runtime \
        (no cluster needed) through a year of prices, fees, keepers and bad debt, and writes \
        an HTML report. `status`, `keeper` and `init` work against a cluster (--url) too."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Cluster: a URL or a moniker (m = mainnet-beta, d = devnet, t = testnet, l = localhost).
    /// Default: the Solana CLI config's json_rpc_url.
    #[arg(
        short = 'u',
        long = "url",
        global = true,
        value_name = "URL_OR_MONIKER"
    )]
    pub url: Option<String>,
    /// Keypair file that signs and pays. Default: the Solana CLI config's keypair_path, else
    /// ~/.config/solana/id.json.
    #[arg(short = 'k', long = "keypair", global = true, value_name = "PATH")]
    pub keypair: Option<PathBuf>,
    /// Commitment of reads and confirmations.
    #[arg(long, global = true, default_value = "confirmed", value_parser = ["processed", "confirmed", "finalized"])]
    pub commitment: String,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a fund on an embedded Solana runtime and write an HTML report (the main job).
    Simulate(SimulateArgs),
    /// Show a fund's state: from a cluster (--url and --fund) or from the last simulation.
    Status(StatusArgs),
    /// Run the permissionless keeper against a cluster: refresh prices, sync auctions, fill.
    Keeper(KeeperArgs),
    /// Create and configure a fund from a TOML file (see migrations/fund.example.toml).
    Init(InitArgs),
    /// Turn a configuration change (TOML) into a governance proposal: a diff checked with the
    /// program's own rules, the fund's instructions, a Squads v4 transaction message and SPL
    /// Governance instruction data.
    Propose(ProposeArgs),
}

#[derive(Args, Debug)]
pub struct ProposeArgs {
    /// The fund's address (read from --url; without --url, from the last simulation).
    #[arg(long, value_name = "ADDRESS")]
    pub fund: Option<String>,
    /// The change: a TOML file with any of [targets], [bounds], [rebalance], [draws],
    /// [guardian], [assets."<mint>"] (incl. .oracle), [add_assets."<mint>"],
    /// [register_claimants."<authority>"], [claimants."<authority>"],
    /// [remove_claimants."<authority>"], [governance] (see app/README.md).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "accept_governance"
    )]
    pub change: Option<PathBuf>,
    /// Instead of a change file: the fund's pending governance takes over
    /// (`accept_governance`), the second step of a governance transfer.
    #[arg(long, conflicts_with = "change")]
    pub accept_governance: bool,
    /// Create the proposal on chain (needs --url), signed and paid by --keypair, a member:
    /// with --squads, vault_transaction_create + proposal_create + proposal_approve; with
    /// --spl-governance, CreateProposal + InsertTransaction (one per instruction) +
    /// SignOffProposal.
    #[arg(long)]
    pub submit: bool,
    /// The Squads v4 multisig whose vault is the fund's governance (for --submit).
    #[arg(long, value_name = "MULTISIG", conflicts_with = "spl_governance")]
    pub squads: Option<String>,
    /// The multisig's vault index (for --squads).
    #[arg(long, default_value_t = 0)]
    pub vault_index: u8,
    /// The SPL Governance governance account whose native treasury is the fund's governance
    /// (for --submit).
    #[arg(long, value_name = "GOVERNANCE")]
    pub spl_governance: Option<String>,
    /// The SPL Governance program the DAO uses.
    #[arg(
        long,
        value_name = "PROGRAM_ID",
        default_value = "GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw"
    )]
    pub spl_governance_program: String,
    /// The governing token mint the proposal is voted with (default: the realm's community
    /// mint).
    #[arg(long, value_name = "MINT")]
    pub governing_mint: Option<String>,
    /// Directory of the simulation to read when no --url is given.
    #[arg(long = "from", value_name = "DIR", default_value = "ifund-sim")]
    pub from: PathBuf,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// A built-in scenario by name (default, crash, depeg, oracle-outage, lst-discount,
    /// replays) or a scenario TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    pub scenario: Option<String>,
    /// Days to simulate (overrides the scenario).
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Random seed (overrides the scenario); the same seed gives the same report. With
    /// --paths, the first path's seed (path k runs seed + k).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Run N paths (seeds) in parallel over the machine's cores and report distributions.
    #[arg(long, value_name = "N")]
    pub paths: Option<u32>,
    /// Worker threads for --paths (default: the machine's cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Output directory for report.html, summary.txt, fills.csv and state.json.
    #[arg(long, value_name = "DIR", default_value = "ifund-sim")]
    pub out: PathBuf,
    /// Print a built-in scenario (default: `default`; a starting point for your own) and exit.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "default")]
    pub print_scenario: Option<String>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The fund's address (required with --url).
    #[arg(long, value_name = "ADDRESS")]
    pub fund: Option<String>,
    /// Directory of the simulation to read when no --url is given.
    #[arg(long = "from", value_name = "DIR", default_value = "ifund-sim")]
    pub from: PathBuf,
}

#[derive(Args, Debug)]
pub struct KeeperArgs {
    /// The fund's address.
    #[arg(long, value_name = "ADDRESS")]
    pub fund: String,
    /// One round, then exit (non-zero when the round failed).
    #[arg(long)]
    pub once: bool,
    /// Plan and log, send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Seconds between rounds.
    #[arg(long, default_value_t = 30)]
    pub interval: u64,
    /// Least profit after fees worth a fill, in whole numeraire units.
    #[arg(long, default_value_t = 1.0)]
    pub min_profit: f64,
    /// Priority fee in micro-lamports per compute unit.
    #[arg(long, default_value_t = 10_000)]
    pub priority_fee: u64,
    /// Compute-unit limit of each transaction.
    #[arg(long, default_value_t = 400_000)]
    pub compute_units: u32,
    /// SOL price in the numeraire, to weigh fees against profit.
    #[arg(long, default_value_t = 150.0)]
    pub sol_price: f64,
    /// Price account of a Pyth-priced asset, MINT=ADDRESS (default: the Pyth push feed of the
    /// asset's feed id on shard 0).
    #[arg(long = "price-account", value_name = "MINT=ADDRESS")]
    pub price_accounts: Vec<String>,
    /// Skip refresh_prices/sync_auctions (when another crank runs).
    #[arg(long)]
    pub no_crank: bool,
    /// An SPL Token Swap pool a flash fill may route through when the keeper's inventory
    /// fills nothing (repeatable): the keeper borrows the over-weight asset, sells it in the
    /// pool, delivers the fund's requirement and keeps the rest, in one transaction.
    #[arg(long = "swap-pool", value_name = "ADDRESS")]
    pub swap_pools: Vec<String>,
    /// Route flash fills through Jupiter's Swap API v6 at this base URL instead of pools
    /// (e.g. https://quote-api.jup.ag/v6): its quotes size the fill, its swap instructions
    /// execute it, in one v0 transaction with its address lookup tables.
    #[arg(long, value_name = "URL", conflicts_with = "swap_pools")]
    pub jupiter_url: Option<String>,
    /// Slippage each Jupiter quote allows (`slippageBps`); the plan counts only on the quote
    /// less this.
    #[arg(long, value_name = "BPS", default_value_t = 50)]
    pub jupiter_slippage_bps: u16,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Fund configuration TOML.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// The Solana CLI config file's `json_rpc_url` and `keypair_path`, if present.
fn solana_cli_config() -> (Option<String>, Option<PathBuf>) {
    let Some(home) = std::env::var_os("HOME") else {
        return (None, None);
    };
    let path = Path::new(&home).join(".config/solana/cli/config.yml");
    let Ok(text) = std::fs::read_to_string(path) else {
        return (None, None);
    };
    let field = |name: &str| {
        text.lines().find_map(|l| {
            l.trim()
                .strip_prefix(name)
                .and_then(|r| r.trim_start().strip_prefix(':'))
                .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        })
    };
    (
        field("json_rpc_url"),
        field("keypair_path").map(PathBuf::from),
    )
}

/// A URL from a URL or moniker.
pub fn resolve_url(u: &str) -> String {
    match u {
        "m" | "mainnet-beta" => "https://api.mainnet-beta.solana.com".into(),
        "d" | "devnet" => "https://api.devnet.solana.com".into(),
        "t" | "testnet" => "https://api.testnet.solana.com".into(),
        "l" | "localhost" => "http://localhost:8899".into(),
        other => other.into(),
    }
}

impl Global {
    fn url(&self) -> anyhow::Result<String> {
        if let Some(u) = &self.url {
            return Ok(resolve_url(u));
        }
        match solana_cli_config().0 {
            Some(u) => Ok(u),
            None => bail!("no cluster given: pass --url (a URL, or m/d/t/l)"),
        }
    }

    fn commitment(&self) -> CommitmentConfig {
        match self.commitment.as_str() {
            "processed" => CommitmentConfig::processed(),
            "finalized" => CommitmentConfig::finalized(),
            _ => CommitmentConfig::confirmed(),
        }
    }

    fn rpc(&self) -> anyhow::Result<RpcChain> {
        let url = self.url()?;
        let chain = RpcChain::new(&url, self.commitment());
        chain.check_reachable()?;
        Ok(chain)
    }

    pub fn keypair_path(&self) -> PathBuf {
        if let Some(p) = &self.keypair {
            return p.clone();
        }
        if let Some(p) = solana_cli_config().1 {
            return p;
        }
        let home = std::env::var_os("HOME").unwrap_or_default();
        Path::new(&home).join(".config/solana/id.json")
    }

    pub fn load_keypair(&self) -> anyhow::Result<Keypair> {
        load_keypair(&self.keypair_path())
    }
}

/// The JSON-RPC chain the global options name (checked reachable).
pub fn rpc_for(g: &Global) -> anyhow::Result<RpcChain> {
    g.rpc()
}

/// Reads a Solana keypair file with a clear error when it is missing or malformed.
pub fn load_keypair(path: &Path) -> anyhow::Result<Keypair> {
    if !path.exists() {
        bail!(
            "keypair file {} does not exist (create one with `solana-keygen new -o {}`, or pass --keypair PATH)",
            path.display(),
            path.display()
        );
    }
    solana_keypair::read_keypair_file(path).map_err(|e| {
        anyhow::anyhow!(
            "keypair file {} is not a Solana keypair: {e}",
            path.display()
        )
    })
}

fn parse_pubkey(s: &str, what: &str) -> anyhow::Result<Pubkey> {
    Pubkey::from_str(s.trim())
        .map_err(|_| anyhow::anyhow!("{what} {s:?} is not a valid base58 address"))
}

/// Runs the command; the binary prints the error and exits non-zero.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(a) => simulate_cmd(a),
        Command::Status(a) => status_cmd(&cli.global, a),
        Command::Keeper(a) => keeper_cmd(&cli.global, a),
        Command::Init(a) => crate::config::init_cmd(&cli.global, &a.config),
        Command::Propose(a) => propose_cmd(&cli.global, a),
    }
}

/// The built-in scenario `name`, else the file at `name`.
pub fn load_scenario(name: Option<&str>) -> anyhow::Result<(Scenario, String)> {
    let name = name.unwrap_or("default");
    if let Some(text) = crate::scenario::built_in(name) {
        return Ok((Scenario::parse(text, name)?, name.to_string()));
    }
    let path = std::path::Path::new(name);
    if !path.exists() {
        let names: Vec<&str> = crate::scenario::BUILT_IN.iter().map(|(n, _)| *n).collect();
        anyhow::bail!(
            "--scenario {name}: neither a built-in scenario ({}) nor a file",
            names.join(", ")
        );
    }
    let label = path
        .file_stem()
        .map_or(name.to_string(), |s| s.to_string_lossy().into_owned());
    Ok((Scenario::load(path)?, label))
}

/// Sends stdout to /dev/null until dropped: the program, run natively, prints each error it
/// raises (`msg!` is `println!` off chain), and the scenarios raise refused feeds on purpose.
struct MuteStdout(Option<i32>);

impl MuteStdout {
    fn new() -> Self {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: plain descriptor calls on fd 1 and a descriptor we open; failures leave
        // stdout as it was.
        unsafe {
            let saved = libc::dup(1);
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
            if saved < 0 || null < 0 || libc::dup2(null, 1) < 0 {
                return Self(None);
            }
            libc::close(null);
            Self(Some(saved))
        }
    }
}

impl Drop for MuteStdout {
    fn drop(&mut self) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        if let Some(saved) = self.0 {
            // SAFETY: restores the descriptor saved in `new`.
            unsafe {
                libc::dup2(saved, 1);
                libc::close(saved);
            }
        }
    }
}

fn simulate_cmd(a: SimulateArgs) -> anyhow::Result<()> {
    if let Some(name) = &a.print_scenario {
        let Some(text) = crate::scenario::built_in(name) else {
            let names: Vec<&str> = crate::scenario::BUILT_IN.iter().map(|(n, _)| *n).collect();
            anyhow::bail!(
                "--print-scenario {name}: no built-in scenario has this name ({})",
                names.join(", ")
            );
        };
        print!("{text}");
        return Ok(());
    }
    let (scenario, label) = load_scenario(a.scenario.as_deref())?;
    let started = std::time::Instant::now();
    if let Some(paths) = a.paths {
        let mute = MuteStdout::new();
        let result = crate::paths::run_paths(
            &scenario,
            &crate::paths::PathsOptions {
                days: a.days,
                seed: a.seed,
                paths,
                threads: a.threads,
                out: a.out.clone(),
                progress: !a.quiet,
                label,
            },
        );
        drop(mute);
        let result = result?;
        print!("{}", crate::report_paths::summary(&result));
        println!();
        println!(
            "report  {}\ntook    {:.1} s",
            result.report_path.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let mute = MuteStdout::new();
    let result = simulate::run(
        &scenario,
        &SimOptions {
            days: a.days,
            seed: a.seed,
            out: a.out.clone(),
            progress: !a.quiet,
        },
    );
    drop(mute);
    let result = result?;
    print!("{}", crate::report::summary_table(&result));
    println!();
    println!(
        "report  {}\nstate   {} (`ifund status --from {}`)\ntook    {:.1} s",
        result.report_path.display(),
        result.snapshot_path.display(),
        a.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn status_cmd(g: &Global, a: StatusArgs) -> anyhow::Result<()> {
    if g.url.is_some() {
        let fund = a
            .fund
            .as_deref()
            .context("--fund ADDRESS is required with --url")?;
        let fund = parse_pubkey(fund, "--fund")?;
        let mut chain = g.rpc()?;
        print!(
            "{}",
            crate::status::render(&mut chain, &fund, &HashMap::new())?
        );
    } else {
        let mut chain = SnapshotChain::open(&a.from.join("state.json"))?;
        let fund = match a.fund.as_deref() {
            Some(f) => parse_pubkey(f, "--fund")?,
            None => chain.fund,
        };
        let labels = chain.labels.clone();
        print!("{}", crate::status::render(&mut chain, &fund, &labels)?);
    }
    Ok(())
}

fn propose_cmd(g: &Global, a: ProposeArgs) -> anyhow::Result<()> {
    use crate::submit::SubmitTo;
    let change = a.change.as_deref().map(crate::propose::load).transpose()?;
    let submit_to = match (&a.squads, &a.spl_governance) {
        (Some(m), _) => Some(SubmitTo::Squads {
            multisig: parse_pubkey(m, "--squads")?,
            vault_index: a.vault_index,
        }),
        (None, Some(gov)) => Some(SubmitTo::SplGovernance {
            program: parse_pubkey(&a.spl_governance_program, "--spl-governance-program")?,
            governance: parse_pubkey(gov, "--spl-governance")?,
            mint: a
                .governing_mint
                .as_deref()
                .map(|m| parse_pubkey(m, "--governing-mint"))
                .transpose()?,
        }),
        (None, None) => None,
    };
    anyhow::ensure!(
        a.submit || submit_to.is_none(),
        "--squads and --spl-governance say where --submit creates the proposal: add --submit"
    );
    if a.submit {
        anyhow::ensure!(
            g.url.is_some(),
            "--submit needs --url: it sends transactions to a cluster"
        );
        anyhow::ensure!(
            submit_to.is_some(),
            "--submit needs --squads <MULTISIG> or --spl-governance <GOVERNANCE>"
        );
    }
    let (mut chain, fund): (Box<dyn Chain>, Pubkey) = if g.url.is_some() {
        let fund = a
            .fund
            .as_deref()
            .context("--fund ADDRESS is required with --url")?;
        (Box::new(g.rpc()?), parse_pubkey(fund, "--fund")?)
    } else {
        let chain = SnapshotChain::open(&a.from.join("state.json"))?;
        let fund = match a.fund.as_deref() {
            Some(f) => parse_pubkey(f, "--fund")?,
            None => chain.fund,
        };
        (Box::new(chain), fund)
    };
    let account = chain
        .get_account(&fund)?
        .with_context(|| format!("fund {fund} not found on {}", chain.describe()))?;
    let state = insurance_fund_client::decode::fund(&account.data)
        .with_context(|| format!("{fund} is not an insurance fund account"))?;
    let proposal = match &change {
        Some(change) => crate::propose::build(chain.as_mut(), fund, &state, change)?,
        None => crate::propose::accept_governance(fund, &state)?,
    };
    print!("{}", crate::propose::render(&proposal));
    if let (true, Some(to)) = (a.submit, submit_to) {
        let member = g.load_keypair()?;
        let done = crate::submit::submit(
            chain.as_mut(),
            &member,
            &to,
            &proposal,
            &SendOptions::default(),
        )?;
        println!("\n== Submitted");
        match to {
            SubmitTo::Squads { .. } => println!(
                "proposal {} of vault transaction {} (created and approved by {})",
                done.proposal,
                done.index,
                solana_signer::Signer::pubkey(&member)
            ),
            SubmitTo::SplGovernance { .. } => println!(
                "proposal {} with {} transaction(s), signed off: voting is open",
                done.proposal, done.index
            ),
        }
        for s in &done.signatures {
            println!("signature {s}");
        }
    }
    Ok(())
}

fn keeper_cmd(g: &Global, a: KeeperArgs) -> anyhow::Result<()> {
    let fund_key = parse_pubkey(&a.fund, "--fund")?;
    let signer = g.load_keypair()?;
    let mut chain = g.rpc()?;
    let fund = crate::chain::load_fund(&mut chain, &fund_key)?;
    if !a.dry_run {
        let me = solana_signer::Signer::pubkey(&signer);
        let lamports = chain.get_account(&me)?.map_or(0, |acc| acc.lamports);
        anyhow::ensure!(
            lamports > 0,
            "keeper {me} holds no SOL on {} to pay transaction fees: fund it first (or use --dry-run)",
            chain.describe()
        );
    }
    let mut overrides: HashMap<Pubkey, Pubkey> = HashMap::new();
    for spec in &a.price_accounts {
        let (mint, addr) = spec
            .split_once('=')
            .with_context(|| format!("--price-account {spec:?}: expected MINT=ADDRESS"))?;
        overrides.insert(
            parse_pubkey(mint, "--price-account mint")?,
            parse_pubkey(addr, "--price-account address")?,
        );
    }
    let prices = move |_: usize, asset: &insurance_fund::state::Asset| {
        Some(overrides.get(&asset.mint).copied().unwrap_or_else(|| {
            insurance_fund_client::pda::pyth_push_feed_address(0, &asset.oracle.feed_id)
        }))
    };
    let keeper_accounts = KeeperAccounts::associated(signer, &fund);
    let send = SendOptions {
        compute_unit_limit: a.compute_units,
        priority_micro_lamports: a.priority_fee,
        retries: 3,
    };
    let nd = fund.numeraire_decimals;
    let to_atoms = |x: f64| -> anyhow::Result<u64> {
        let v = (x * 10f64.powi(i32::from(nd))).round();
        anyhow::ensure!(
            v.is_finite() && v >= 0.0 && v < u64::MAX as f64,
            "amount {x} out of range"
        );
        Ok(v as u64)
    };
    let fee_lamports = 5_000 + send.priority_fee_lamports();
    let opts = RoundOptions {
        send,
        params: PlanParams {
            cost: to_atoms(fee_lamports as f64 / 1e9 * a.sol_price)?,
            min_profit: to_atoms(a.min_profit)?,
        },
        dry_run: a.dry_run,
        crank: !a.no_crank,
        swap_pools: a
            .swap_pools
            .iter()
            .map(|k| parse_pubkey(k, "--swap-pool"))
            .collect::<anyhow::Result<_>>()?,
        jupiter: a.jupiter_url.as_ref().map(|url| keeper::JupiterOptions {
            url: url.clone(),
            slippage_bps: a.jupiter_slippage_bps,
        }),
    };
    log(&format!(
        "keeper {} on {} for fund {fund_key}{}",
        solana_signer::Signer::pubkey(&keeper_accounts.signer),
        chain.describe(),
        if a.dry_run {
            " (dry run: nothing is sent)"
        } else {
            ""
        }
    ));
    loop {
        match keeper::round(&mut chain, &fund_key, &keeper_accounts, &prices, &opts) {
            Ok((crank, outcome)) => {
                if let Some(c) = crank {
                    for (k, why) in &c.refused {
                        log(&format!(
                            "price of asset {k} left out of the refresh: {why}"
                        ));
                    }
                    let n = c.txs.len();
                    for (i, tx) in c.txs.iter().enumerate() {
                        log(&format!(
                            "crank transaction {}/{n} {} {}",
                            i + 1,
                            tx.describe(),
                            tx.signature
                        ));
                    }
                }
                log(&describe_outcome(&outcome));
            }
            Err(e) if a.once => return Err(e.context("the keeper round failed")),
            Err(e) => log(&format!("round failed: {e:#}")),
        }
        if a.once {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_secs(a.interval));
    }
}

fn describe_outcome(o: &RoundOutcome) -> String {
    let fill = |f: &keeper::PlannedFill| {
        format!(
            "asset {} in ({} atoms) for asset {} out ({} atoms) at {} bps premium, distance {} -> {} bps, expected profit {} atoms",
            f.asset_in, f.amount_in, f.asset_out, f.quote.amount_out, f.premium_bps, f.distance_before_bps, f.distance_after_bps, f.expected_profit
        )
    };
    let flash = |p: &crate::route::FlashPlan| {
        format!(
            "borrow {} atoms of asset {}, sell them {} for {} atoms of asset {} (at least {}), deliver {} at {} bps premium, expected profit {} atoms",
            p.quote.amount_out, p.asset_out, match p.route.detail {
                crate::route::RouteDetail::Pool(_) => format!("in pool #{}", p.pool),
                crate::route::RouteDetail::Aggregator(_) => "through the aggregator".to_string(),
            }, p.swap_out, p.asset_in, p.route.min_out, p.delivered, p.premium_bps, p.expected_profit
        )
    };
    match o {
        RoundOutcome::Filled { fill: f, tx } => format!("filled: {} ({})", fill(f), tx.signature),
        RoundOutcome::WouldFill(f) => format!("would fill: {}", fill(f)),
        RoundOutcome::Skipped(s) => format!("skipped: {s}"),
        RoundOutcome::FillFailed { fill: f, tx } => {
            format!("fill {} {} ({})", fill(f), tx.describe(), tx.signature)
        }
        RoundOutcome::FlashFilled { plan, tx } => {
            format!("flash filled: {} ({})", flash(plan), tx.signature)
        }
        RoundOutcome::WouldFlash(plan) => format!("would flash fill: {}", flash(plan)),
        RoundOutcome::FlashFailed { plan, tx } => {
            format!(
                "flash fill {} {} ({})",
                flash(plan),
                tx.describe(),
                tx.signature
            )
        }
        RoundOutcome::SkippedBoth { inventory, flash } => {
            format!("skipped: {inventory}; flash fill: {flash}")
        }
    }
}

fn log(msg: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    println!("[{}] {msg}", crate::status::utc(now));
}
