//! `ifund propose`: a change file becomes a proposal whose diff is checked with the program's
//! own rules, whose instructions execute as printed (tightening at once, loosening queued and
//! executable by anyone after the timelock), and whose Squads and SPL Governance encodings
//! carry exactly those instructions. Bad change files are refused with the field named.
//!
//! Every change kind the program's `ConfigChange` knows is covered: targets, bounds, rebalance
//! and draw parameters, guardian, asset parameters, adding an asset, changing an asset's
//! oracle, and registering, updating and removing claimants.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::{program_pack::Pack, system_instruction};
use anchor_lang::AccountSerialize;
use anchor_spl::token_2022::spl_token_2022::{self as t22, extension::ExtensionType, state::Mint};
use base64::Engine;
use ifund::chain::{load_fund, send, Chain, EmbeddedChain, SendOptions, Snapshot};
use ifund::config::{execute, FundConfig};
use ifund::propose::{self, Proposal};
use insurance_fund::state::{asset_flags, Fund, LiquidityClass, OracleSource};
use insurance_fund::timelock::ChangeEffect;
use insurance_fund_client::{decode, pda};
use solana_keypair::Keypair;
use solana_signer::Signer;

/// A mint of `program` (SPL Token or Token-2022), with a permanent delegate when asked (a
/// Token-2022 extension the vault policy refuses).
fn mint_of(
    chain: &mut EmbeddedChain,
    payer: &Keypair,
    program: Pubkey,
    decimals: u8,
    permanent_delegate: bool,
) -> Keypair {
    let m = Keypair::new();
    let exts: &[ExtensionType] = if permanent_delegate {
        &[ExtensionType::PermanentDelegate]
    } else {
        &[]
    };
    let space = if program == anchor_spl::token::ID {
        Mint::LEN
    } else {
        ExtensionType::try_calculate_account_len::<Mint>(exts).unwrap()
    };
    let rent = chain.minimum_balance(space).unwrap();
    let mut ixs = vec![system_instruction::create_account(
        &payer.pubkey(),
        &m.pubkey(),
        rent,
        space as u64,
        &program,
    )];
    if permanent_delegate {
        ixs.push(
            t22::instruction::initialize_permanent_delegate(
                &program,
                &m.pubkey(),
                &Pubkey::new_unique(),
            )
            .unwrap(),
        );
    }
    ixs.push(
        t22::instruction::initialize_mint2(&program, &m.pubkey(), &payer.pubkey(), None, decimals)
            .unwrap(),
    );
    let r = send(chain, payer, &[&m], &ixs, &SendOptions::default()).unwrap();
    assert!(r.is_ok(), "{}", r.logs.join("\n"));
    m
}

fn mint(chain: &mut EmbeddedChain, payer: &Keypair, decimals: u8) -> Keypair {
    mint_of(chain, payer, anchor_spl::token::ID, decimals, false)
}

const SOL_FEED: &str = "0xef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d";

/// A configured fund whose governance is the returned keypair, with two assets (USDC at a
/// fixed price, a Pyth-priced yield-bearing SOL), rebalance parameters, and two claimants.
struct Fx {
    chain: EmbeddedChain,
    gov: Keypair,
    fund: Pubkey,
    usdc: Pubkey,
    sol: Pubkey,
    /// Authorities of the two registered claimants.
    claimants: [Pubkey; 2],
}

fn fixture(timelock_secs: u32) -> Fx {
    let mut chain = EmbeddedChain::start().unwrap();
    let payer = chain.payer();
    let usdc = mint(&mut chain, &payer, 6).pubkey();
    let sol = mint(&mut chain, &payer, 9).pubkey();
    let claimants = [Pubkey::new_unique(), Pubkey::new_unique()];
    let [a, c] = claimants;
    let (pa, pc) = (Pubkey::new_unique(), Pubkey::new_unique());
    let text = format!(
        r#"
[fund]
numeraire = "USD"
numeraire_decimals = 6
min_liquid_bps = 5000
timelock_secs = {timelock_secs}

[[assets]]
mint = "{usdc}"
class = "liquid"
oracle = "fixed"
fixed_price = 1
target_bps = 6000
max_weight_bps = 8000

[[assets]]
mint = "{sol}"
class = "yield-bearing"
oracle = "pyth"
feed_id = "{SOL_FEED}"
target_bps = 4000
max_weight_bps = 5000

[rebalance]
band_bps = 300
start_premium_bps = 5
max_premium_bps = 300
auction_duration_secs = 21600
window_secs = 86400
max_volume_per_window = 100000
premium_budget_per_window = 500
min_trade_value = 50

[[claimants]]
authority = "{a}"
payout_owner = "{pa}"
max_per_shortfall = 1000
max_per_window = 2000
lifetime_max = 5000

[[claimants]]
authority = "{c}"
payout_owner = "{pc}"
max_per_shortfall = 100
max_per_window = 100
lifetime_max = 100
"#
    );
    let cfg = FundConfig::parse(&text, "fund.toml").unwrap();
    let plan = cfg.plan("fund.toml", &payer.pubkey()).unwrap();
    let fund = execute(&mut chain, &payer, &Keypair::new(), &plan, &mut |_| {}).unwrap();
    assert_eq!(
        load_fund(&mut chain, &fund).unwrap().timelock_secs,
        timelock_secs
    );
    Fx {
        chain,
        gov: payer,
        fund,
        usdc,
        sol,
        claimants,
    }
}

/// The one-day-timelock fixture as (chain, governance, fund, [usdc, sol]).
fn fund() -> (EmbeddedChain, Keypair, Pubkey, [Pubkey; 2]) {
    let fx = fixture(86_400);
    (fx.chain, fx.gov, fx.fund, [fx.usdc, fx.sol])
}

/// The proposal of `toml` against the fund as it is on chain.
fn proposal(chain: &mut EmbeddedChain, fund: Pubkey, toml: &str) -> Proposal {
    let change = propose::parse(toml).unwrap();
    let state = load_fund(chain, &fund).unwrap();
    propose::build(chain, fund, &state, &change).unwrap()
}

/// Why `toml` is refused (parsing or building), as the binary prints it.
fn refusal(chain: &mut EmbeddedChain, fund_key: Pubkey, fund: &Fund, toml: &str) -> String {
    match propose::parse(toml) {
        Err(e) => format!("{e:#}"),
        Ok(c) => match propose::build(chain, fund_key, fund, &c) {
            Ok(p) => panic!("accepted:\n{toml}\nas\n{}", propose::render(&p)),
            Err(e) => format!("{e:#}"),
        },
    }
}

/// (instruction, effect, queued) of each step.
fn kinds(p: &Proposal) -> Vec<(String, ChangeEffect, bool)> {
    p.steps
        .iter()
        .map(|s| {
            (
                s.title.split(' ').next().unwrap().to_string(),
                s.effect,
                s.execute.is_some(),
            )
        })
        .collect()
}

/// Governance executes the proposal's instructions in one transaction.
fn governance_executes(chain: &mut EmbeddedChain, gov: &Keypair, p: &Proposal) {
    let r = send(chain, gov, &[], &p.instructions(), &SendOptions::default()).unwrap();
    assert!(r.is_ok(), "{}", r.logs.join("\n"));
}

/// After the timelock, a keeper (any key, funded by `gov`) executes every queued change as
/// printed, its key in every signer slot; each record is then closed.
fn anyone_executes_after_the_timelock(chain: &mut EmbeddedChain, gov: &Keypair, p: &Proposal) {
    let queued: Vec<_> = p.steps.iter().filter_map(|s| s.execute.clone()).collect();
    assert!(!queued.is_empty());
    let too_early = {
        let (_, ix) = &queued[0];
        let keeper = Keypair::new();
        let mut ix = ix.clone();
        for m in ix.accounts.iter_mut().filter(|m| m.is_signer) {
            m.pubkey = keeper.pubkey();
        }
        let fee = system_instruction::transfer(&gov.pubkey(), &keeper.pubkey(), 10_000_000);
        send(chain, gov, &[&keeper], &[fee, ix], &SendOptions::default()).unwrap()
    };
    assert_eq!(
        too_early
            .fund_error()
            .as_deref()
            .map(|e| e.split(' ').next().unwrap()),
        Some("TimelockNotElapsed"),
        "{}",
        too_early.logs.join("\n")
    );
    let delay = p.steps.iter().map(|s| s.delay_secs).max().unwrap();
    let now = chain.clock().unwrap().unix_timestamp;
    chain.set_time(now + i64::from(delay)).unwrap();
    let keeper = Keypair::new();
    let fee = system_instruction::transfer(&gov.pubkey(), &keeper.pubkey(), 100_000_000);
    assert!(send(chain, gov, &[], &[fee], &SendOptions::default())
        .unwrap()
        .is_ok());
    for (pending, ix) in queued {
        assert!(chain.get_account(&pending).unwrap().is_some());
        let mut ix = ix;
        for m in ix.accounts.iter_mut().filter(|m| m.is_signer) {
            m.pubkey = keeper.pubkey();
        }
        let r = send(chain, &keeper, &[], &[ix], &SendOptions::default()).unwrap();
        assert!(r.is_ok(), "{}", r.logs.join("\n"));
        assert!(chain.get_account(&pending).unwrap().is_none());
    }
}

fn claimant(
    chain: &mut EmbeddedChain,
    fund: &Pubkey,
    authority: &Pubkey,
) -> Option<insurance_fund::state::Claimant> {
    chain
        .get_account(&pda::claimant_address(fund, authority))
        .unwrap()
        .map(|a| decode::claimant(&a.data).unwrap())
}

#[test]
fn a_change_file_becomes_a_proposal_that_executes_as_printed() {
    let (mut chain, gov, fund_key, [usdc, sol]) = fund();
    let change = propose::parse(&format!(
        r#"
[targets]
"{usdc}" = 7000
"{sol}" = 3000

[bounds]
min_liquid_bps = 6000

[rebalance]
max_premium_bps = 400

[assets."{sol}"]
max_weight_bps = 4500
"#
    ))
    .unwrap();
    let before = load_fund(&mut chain, &fund_key).unwrap();
    let p = propose::build(&mut chain, fund_key, &before, &change).unwrap();

    // tightening changes apply at once, the premium rise is queued
    let kinds: Vec<(&str, ChangeEffect, bool)> = p
        .steps
        .iter()
        .map(|s| {
            (
                s.title.split(' ').next().unwrap(),
                s.effect,
                s.execute.is_some(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("update_asset", ChangeEffect::Tightens, false),
            ("set_bounds", ChangeEffect::Tightens, false),
            ("set_rebalance_params", ChangeEffect::Loosens, true),
            ("set_targets", ChangeEffect::Tightens, false),
        ]
    );
    let text = propose::render(&p);
    for expected in [
        "min_liquid_bps: 5000 -> 6000",
        "rebalance max_premium_bps: 300 -> 400",
        &format!("asset {sol} max_weight_bps: 5000 -> 4500"),
        &format!("asset {usdc} target_bps: 6000 -> 7000"),
        "LOOSENS: queued, executable by anyone 86400 s after the proposal executes",
        "== Squads v4",
        "== SPL Governance",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }

    // the Squads message: governance is the only signer and pays; it holds the instructions
    let message = bs58::decode(propose::squads_message_base58(&p))
        .into_vec()
        .unwrap();
    assert_eq!(message[0], 1, "one required signature");
    assert_eq!(
        &message[4..36],
        gov.pubkey().as_ref(),
        "fee payer = governance"
    );
    let ixs = p.instructions();
    assert_eq!(
        *message.last().unwrap(),
        *ixs.last().unwrap().data.last().unwrap()
    );
    // SPL Governance InstructionData: program id, metas, data, as the instruction
    for (data, ix) in propose::spl_governance_instruction_data(&p)
        .iter()
        .zip(&ixs)
    {
        let b = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        assert_eq!(&b[..32], ix.program_id.as_ref());
        let n = u32::from_le_bytes(b[32..36].try_into().unwrap()) as usize;
        assert_eq!(n, ix.accounts.len());
        for (k, m) in ix.accounts.iter().enumerate() {
            let at = 36 + k * 34;
            assert_eq!(&b[at..at + 32], m.pubkey.as_ref());
            assert_eq!(
                (b[at + 32] == 1, b[at + 33] == 1),
                (m.is_signer, m.is_writable)
            );
        }
        assert_eq!(&b[36 + n * 34 + 4..], &ix.data[..]);
    }

    // governance executes the proposal: everything but the premium rise applies now
    let r = send(&mut chain, &gov, &[], &ixs, &SendOptions::default()).unwrap();
    assert!(r.is_ok(), "{}", r.logs.join("\n"));
    let after = load_fund(&mut chain, &fund_key).unwrap();
    assert_eq!(
        (after.assets[0].target_bps, after.assets[1].target_bps),
        (7000, 3000)
    );
    assert_eq!(after.min_liquid_bps, 6000);
    assert_eq!(after.assets[1].max_weight_bps, 4500);
    assert_eq!(after.rebalance.max_premium_bps, 300);

    // a day later anyone executes the queued change, as printed
    let (pending, execute_ix) = p.steps[2].execute.clone().unwrap();
    assert!(chain.get_account(&pending).unwrap().is_some());
    let now = chain.clock().unwrap().unix_timestamp;
    chain.set_time(now + 86_400).unwrap();
    let keeper = Keypair::new();
    let fee = 10_000_000;
    let fund_keeper = system_instruction::transfer(&gov.pubkey(), &keeper.pubkey(), fee);
    assert!(send(
        &mut chain,
        &gov,
        &[],
        &[fund_keeper],
        &SendOptions::default()
    )
    .unwrap()
    .is_ok());
    let mut ix = execute_ix;
    ix.accounts[0].pubkey = keeper.pubkey();
    let r = send(&mut chain, &keeper, &[], &[ix], &SendOptions::default()).unwrap();
    assert!(r.is_ok(), "{}", r.logs.join("\n"));
    assert_eq!(
        load_fund(&mut chain, &fund_key)
            .unwrap()
            .rebalance
            .max_premium_bps,
        400
    );
    assert!(chain.get_account(&pending).unwrap().is_none());
}

#[test]
fn changes_the_program_would_refuse_are_refused_locally_with_the_reason() {
    let (mut chain, _, fund_key, [usdc, sol]) = fund();
    let fund = load_fund(&mut chain, &fund_key).unwrap();
    let mut err = |toml: String| refusal(&mut chain, fund_key, &fund, &toml);
    let e = err(format!("[targets]\n\"{usdc}\" = 6000\n\"{sol}\" = 3000\n"));
    assert!(
        e.contains("set_targets would be refused") && e.contains("TargetsSumInvalid"),
        "{e}"
    );
    let e = err(format!("[targets]\n\"{usdc}\" = 10000\n"));
    assert!(
        e.contains("targets: asset 1") && e.contains("is missing"),
        "{e}"
    );
    let e = err("[bounds]\nmin_liquid_bps = 20000\n".into());
    assert!(
        e.contains("set_bounds would be refused") && e.contains("MinLiquidShareTooHigh"),
        "{e}"
    );
    let e = err("[rebalance]\nmax_premium_bps = 5000\n".into());
    assert!(e.contains("InvalidPremium"), "{e}");
    let e = err("[bounds]\nmin_liquidity = 1\n".into());
    assert!(e.contains("unknown field `min_liquidity`"), "{e}");
    let e = err("[assets.\"nope\"]\nhaircut_bps = 1\n".into());
    assert!(
        e.contains("assets.\"nope\": \"nope\" is not a public key"),
        "{e}"
    );
    let e = err(format!("[assets.\"{sol}\"]\nclass = \"stable\"\n"));
    assert!(
        e.contains(&format!(
            "assets.\"{sol}\".class: \"stable\" is not a class"
        )),
        "{e}"
    );
    let e = err("# nothing\n".into());
    assert!(e.contains("proposes nothing"), "{e}");
    // the program's own write of set_guardian (`Fund::set_guardian`) refuses the default key
    let e = err(format!("[guardian]\nkey = \"{}\"\n", Pubkey::default()));
    assert!(
        e.contains("set_guardian would be refused by the program")
            && e.contains("InvalidGovernance"),
        "{e}"
    );
    // a raised cap waits for the timelock, so a target above the current cap cannot apply
    // at once in the same proposal
    let e = err(format!(
        "[assets.\"{sol}\"]\nmax_weight_bps = 6000\n[targets]\n\"{usdc}\" = 4800\n\"{sol}\" = 5200\n"
    ));
    assert!(
        e.contains("set_targets would be refused by the program")
            && e.contains("MaxWeightBelowTarget"),
        "{e}"
    );
}

#[test]
fn adding_an_asset_is_queued_and_executes_after_the_timelock_as_printed() {
    let mut fx = fixture(86_400);
    let (gov, fund) = (fx.gov.insecure_clone(), fx.fund);
    // a Token-2022 mint: the token program is read from the mint's owner
    let new = mint_of(&mut fx.chain, &gov, anchor_spl::token_2022::ID, 6, false).pubkey();
    let feed = format!("0x{}", "ab".repeat(32));
    let p = proposal(
        &mut fx.chain,
        fund,
        &format!(
            r#"
[add_assets."{new}"]
class = "liquid"
max_weight_bps = 2000
haircut_bps = 20
flags = ["deposit", "rebalance_in", "draw"]

[add_assets."{new}".oracle]
source = "pyth"
feed_id = "{feed}"
max_conf_bps = 150
"#
        ),
    );
    assert_eq!(
        kinds(&p),
        vec![("add_asset".into(), ChangeEffect::Loosens, true)]
    );
    let vault = pda::vault_address(&fund, &new);
    let text = propose::render(&p);
    for expected in [
        format!("asset {new}: - -> registered, vault {vault}"),
        format!("Token-2022 {}", anchor_spl::token_2022::ID),
        format!("asset {new} max_weight_bps: - -> 2000"),
        format!("asset {new} haircut_bps: - -> 20"),
        format!("asset {new} class: - -> liquid"),
        format!("asset {new} flags: - -> deposit, rebalance-in, draw"),
        format!("asset {new} target_bps: - -> 0"),
        format!("asset {new} oracle: - -> pyth feed {feed}, max age 60 s, max conf 150 bps"),
        "LOOSENS: queued, executable by anyone 86400 s after the proposal executes".into(),
        "queue_change (add_asset".into(),
        "signer slots #0, #4".into(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    // the execute instruction carries the vault PDA and the mint's token program
    let (_, execute_ix) = p.steps[0].execute.clone().unwrap();
    let keys: Vec<Pubkey> = execute_ix.accounts.iter().map(|m| m.pubkey).collect();
    assert!(keys.contains(&vault) && keys.contains(&anchor_spl::token_2022::ID));

    governance_executes(&mut fx.chain, &gov, &p);
    assert_eq!(load_fund(&mut fx.chain, &fund).unwrap().asset_count, 2);
    assert!(fx.chain.get_account(&vault).unwrap().is_none());

    anyone_executes_after_the_timelock(&mut fx.chain, &gov, &p);
    let after = load_fund(&mut fx.chain, &fund).unwrap();
    assert_eq!(after.asset_count, 3);
    let a = &after.assets[2];
    assert_eq!((a.mint, a.vault), (new, vault));
    assert_eq!((a.token_program, a.decimals, a.target_bps), (1, 6, 0));
    assert_eq!((a.max_weight_bps, a.haircut_bps), (2000, 20));
    assert_eq!(a.class, LiquidityClass::Liquid as u8);
    assert_eq!(
        a.flags,
        asset_flags::DEPOSIT | asset_flags::REBALANCE_IN | asset_flags::DRAW
    );
    assert_eq!(a.oracle.source, OracleSource::PythPull as u8);
    assert_eq!(a.oracle.feed_id, [0xab; 32]);
    assert_eq!((a.oracle.max_age_secs, a.oracle.max_conf_bps), (60, 150));
    // nothing else changed
    let before_assets = [fx.usdc, fx.sol];
    for (i, m) in before_assets.iter().enumerate() {
        assert_eq!(after.assets[i].mint, *m);
    }
    let vault_account = fx.chain.get_account(&vault).unwrap().unwrap();
    assert_eq!(vault_account.owner, anchor_spl::token_2022::ID);
    let v = decode::token_account(&vault_account.data).unwrap();
    assert_eq!((v.mint, v.owner), (new, fund));
}

#[test]
fn without_a_timelock_an_added_asset_applies_at_once_and_gets_its_target() {
    let mut fx = fixture(0);
    let (gov, fund) = (fx.gov.insecure_clone(), fx.fund);
    let new = mint(&mut fx.chain, &gov, 6).pubkey();
    let (usdc, sol) = (fx.usdc, fx.sol);
    let p = proposal(
        &mut fx.chain,
        fund,
        &format!(
            r#"
[add_assets."{new}"]
class = "liquid"
max_weight_bps = 3000
haircut_bps = 10

[add_assets."{new}".oracle]
source = "fixed"
fixed_price = 1

[targets]
"{usdc}" = 5000
"{sol}" = 3000
"{new}" = 2000
"#
        ),
    );
    assert_eq!(
        kinds(&p),
        vec![
            ("add_asset".into(), ChangeEffect::Loosens, false),
            ("set_targets".into(), ChangeEffect::Tightens, false),
        ]
    );
    assert!(propose::render(&p).contains("LOOSENS: applies at once (the fund has no timelock)"));
    governance_executes(&mut fx.chain, &gov, &p);
    let after = load_fund(&mut fx.chain, &fund).unwrap();
    assert_eq!(after.asset_count, 3);
    let targets: Vec<u16> = after
        .registered_assets()
        .iter()
        .map(|a| a.target_bps)
        .collect();
    assert_eq!(targets, vec![5000, 3000, 2000]);
    let a = &after.assets[2];
    assert_eq!(
        (a.mint, a.token_program, a.flags),
        (new, 0, asset_flags::ALL)
    );
    assert_eq!(a.oracle.source, OracleSource::Fixed as u8);
    assert_eq!((a.oracle.fixed_price, a.oracle.fixed_expo), (1, 0));
    assert_eq!(
        fx.chain.get_account(&a.vault).unwrap().unwrap().owner,
        anchor_spl::token::ID
    );
}

#[test]
fn adding_an_asset_the_program_would_refuse_is_refused_locally() {
    let mut fx = fixture(86_400);
    let (gov, fund_key) = (fx.gov.insecure_clone(), fx.fund);
    let (usdc, sol) = (fx.usdc, fx.sol);
    let delegated = mint_of(&mut fx.chain, &gov, anchor_spl::token_2022::ID, 6, true).pubkey();
    let fresh = mint(&mut fx.chain, &gov, 6).pubkey();
    let fund = load_fund(&mut fx.chain, &fund_key).unwrap();
    let add = |mint: &Pubkey, extra: &str| {
        format!(
            "[add_assets.\"{mint}\"]\nclass = \"liquid\"\nmax_weight_bps = 2000\n{extra}\n[add_assets.\"{mint}\".oracle]\nsource = \"fixed\"\nfixed_price = 1\n"
        )
    };
    let mut err = |toml: String| refusal(&mut fx.chain, fund_key, &fund, &toml);

    let e = err(add(&usdc, ""));
    assert!(
        e.contains(&format!("add_asset {usdc} would be refused by the program when it executes after the timelock (add_assets.\"{usdc}\" = class liquid, max_weight_bps 2000"))
            && e.contains("AssetAlreadyRegistered: This mint is already registered in the fund"),
        "{e}"
    );
    let e = err(add(&delegated, ""));
    assert!(
        e.contains(&format!("add_asset {delegated} would be refused"))
            && e.contains("MintHasPermanentDelegate"),
        "{e}"
    );
    let e = err(add(&fresh, "max_weight_bps = 20000"));
    assert!(
        e.contains("duplicate key") && e.contains("max_weight_bps"),
        "{e}"
    );
    let e = err(add(&fresh, "haircut_bps = 20000"));
    assert!(
        e.contains(&format!(
            "(add_assets.\"{fresh}\" = class liquid, max_weight_bps 2000, haircut_bps 20000"
        )) && e.contains("HaircutTooHigh"),
        "{e}"
    );
    let e = err(add(&fresh, "class = \"yield_bearing\"").replace("class = \"liquid\"\n", ""));
    assert!(e.contains("FixedPriceNotLiquid"), "{e}");
    let e = err(format!(
        "[add_assets.\"{fresh}\"]\nclass = \"liquid\"\nmax_weight_bps = 2000\n[add_assets.\"{fresh}\".oracle]\nfeed_id = \"{SOL_FEED}\"\n"
    ));
    assert!(
        e.contains(&format!("add_assets.\"{fresh}\".oracle.source: missing")),
        "{e}"
    );
    let e = err(format!(
        "[add_assets.\"{fresh}\"]\nclass = \"liquid\"\nmax_weight_bps = 2000\n[add_assets.\"{fresh}\".oracle]\nsource = \"pyth\"\n"
    ));
    assert!(
        e.contains(&format!("add_assets.\"{fresh}\".oracle.feed_id: missing")),
        "{e}"
    );
    let nobody = Pubkey::new_unique();
    let e = err(add(&nobody, ""));
    assert!(
        e.contains(&format!(
            "add_assets.\"{nobody}\": no account at {nobody} on the embedded runtime"
        )),
        "{e}"
    );
    // an account that is not a token program's
    let e = err(add(&fund_key, ""));
    assert!(
        e.contains("TokenProgramMismatch")
            && e.contains(&format!("is owned by {}", insurance_fund::ID)),
        "{e}"
    );
    // a target for an asset whose add_asset waits for the timelock cannot be set now
    let e = err(format!(
        "{}\n[targets]\n\"{usdc}\" = 5000\n\"{sol}\" = 3000\n\"{fresh}\" = 2000\n",
        add(&fresh, "")
    ));
    assert!(
        e.contains(&format!("targets.\"{fresh}\": {fresh} is registered only once its queued add_asset executes, after the 86400 s timelock")),
        "{e}"
    );

    // a full fund: 16 assets
    let mut full = fund.clone();
    for i in 2..16 {
        let mut a = full.assets[0];
        a.mint = Pubkey::new_unique();
        a.target_bps = 0;
        full.assets[i] = a;
    }
    full.asset_count = 16;
    let change = propose::parse(&add(&fresh, "")).unwrap();
    let e = format!(
        "{:#}",
        propose::build(&mut fx.chain, fund_key, &full, &change).unwrap_err()
    );
    assert!(e.contains("TooManyAssets"), "{e}");
}

#[test]
fn an_oracle_change_is_queued_and_executes_after_the_timelock() {
    let mut fx = fixture(86_400);
    let (gov, fund, sol) = (fx.gov.insecure_clone(), fx.fund, fx.sol);
    let feed = format!("0x{}", "11".repeat(32));
    let p = proposal(
        &mut fx.chain,
        fund,
        &format!("[assets.\"{sol}\".oracle]\nfeed_id = \"{feed}\"\nmax_age_secs = 90\n"),
    );
    assert_eq!(
        kinds(&p),
        vec![("update_asset".into(), ChangeEffect::Loosens, true)]
    );
    let text = propose::render(&p);
    let expected = format!(
        "asset {sol} oracle: pyth feed {SOL_FEED}, max age 60 s, max conf 100 bps (push feed account {}) -> pyth feed {feed}, max age 90 s, max conf 100 bps",
        pda::pyth_push_feed_address(0, &{
            let mut b = [0u8; 32];
            for (i, x) in b.iter_mut().enumerate() {
                *x = u8::from_str_radix(&SOL_FEED[2 + 2 * i..4 + 2 * i], 16).unwrap();
            }
            b
        })
    );
    assert!(text.contains(&expected), "missing {expected:?} in\n{text}");

    governance_executes(&mut fx.chain, &gov, &p);
    let before = load_fund(&mut fx.chain, &fund).unwrap();
    assert_eq!(before.assets[1].oracle.max_age_secs, 60);
    anyone_executes_after_the_timelock(&mut fx.chain, &gov, &p);
    let after = load_fund(&mut fx.chain, &fund).unwrap();
    let o = &after.assets[1].oracle;
    assert_eq!(o.feed_id, [0x11; 32]);
    assert_eq!((o.max_age_secs, o.max_conf_bps), (90, 100));
    assert_eq!(o.source, OracleSource::PythPull as u8);
    // everything else of the asset kept
    let (b, a) = (&before.assets[1], &after.assets[1]);
    assert_eq!(
        (
            a.max_weight_bps,
            a.haircut_bps,
            a.class,
            a.flags,
            a.target_bps
        ),
        (
            b.max_weight_bps,
            b.haircut_bps,
            b.class,
            b.flags,
            b.target_bps
        )
    );
}

#[test]
fn oracle_changes_the_program_would_refuse_are_refused_locally() {
    let mut fx = fixture(86_400);
    let (fund_key, sol) = (fx.fund, fx.sol);
    let fund = load_fund(&mut fx.chain, &fund_key).unwrap();
    let mut err = |body: &str| {
        refusal(
            &mut fx.chain,
            fund_key,
            &fund,
            &format!("[assets.\"{sol}\".oracle]\n{body}\n"),
        )
    };
    let e = err("feed_id = \"0x12\"");
    assert!(
        e.contains(&format!(
            "assets.\"{sol}\".oracle.feed_id: \"0x12\" is not a feed id"
        )),
        "{e}"
    );
    let e = err("max_conf_bps = 5000");
    assert!(
        e.contains(&format!(
            "update_asset {sol} would be refused by the program"
        )) && e.contains("max conf 5000 bps")
            && e.contains("InvalidOracleConfidence"),
        "{e}"
    );
    let e = err("max_age_secs = 0");
    assert!(e.contains("InvalidOracleMaxAge"), "{e}");
    let e = err("source = \"fixed\"");
    assert!(
        e.contains(&format!("assets.\"{sol}\".oracle.fixed_price: missing")),
        "{e}"
    );
    let e = err("source = \"fixed\"\nfixed_price = 150");
    assert!(e.contains("FixedPriceNotLiquid"), "{e}");
    let e = err("source = \"switchboard\"");
    assert!(
        e.contains("oracle.source: \"switchboard\" is not an oracle source"),
        "{e}"
    );
}

#[test]
fn claimant_changes_execute_as_printed() {
    let mut fx = fixture(86_400);
    let (gov, fund) = (fx.gov.insecure_clone(), fx.fund);
    let [a, c] = fx.claimants;
    let b = Pubkey::new_unique();
    let (pb, pa2) = (Pubkey::new_unique(), Pubkey::new_unique());
    let a_before = claimant(&mut fx.chain, &fund, &a).unwrap();
    let p = proposal(
        &mut fx.chain,
        fund,
        &format!(
            r#"
[register_claimants."{b}"]
payout_owner = "{pb}"
max_per_shortfall_atoms = 1000
max_per_window_atoms = 3000
lifetime_max_atoms = 9000

[claimants."{a}"]
payout_owner = "{pa2}"
lifetime_max = 8000

[remove_claimants."{c}"]
"#
        ),
    );
    assert_eq!(
        kinds(&p),
        vec![
            ("remove_claimant".into(), ChangeEffect::Tightens, false),
            ("register_claimant".into(), ChangeEffect::Loosens, true),
            ("update_claimant".into(), ChangeEffect::Loosens, true),
        ]
    );
    let text = propose::render(&p);
    for expected in [
        format!(
            "claimant {b}: - -> registered, account {}",
            pda::claimant_address(&fund, &b)
        ),
        format!("claimant {b} max_per_window: - -> 3000 (0.003 USD)"),
        format!(
            "claimant {a} payout_owner: {} -> {pa2}",
            a_before.payout_owner
        ),
        format!("claimant {a} lifetime_max: 5000000000 (5,000 USD) -> 8000000000 (8,000 USD)"),
        format!(
            "claimant {c}: account {}, drawn_lifetime 0 -> removed",
            pda::claimant_address(&fund, &c)
        ),
        format!("remove_claimant {c} (rent to {})", gov.pubkey()),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }

    governance_executes(&mut fx.chain, &gov, &p);
    assert!(claimant(&mut fx.chain, &fund, &c).is_none());
    assert!(claimant(&mut fx.chain, &fund, &b).is_none());
    assert_eq!(claimant(&mut fx.chain, &fund, &a).unwrap(), a_before);

    anyone_executes_after_the_timelock(&mut fx.chain, &gov, &p);
    let nb = claimant(&mut fx.chain, &fund, &b).unwrap();
    assert_eq!((nb.fund, nb.authority, nb.payout_owner), (fund, b, pb));
    assert_eq!(
        (
            nb.caps.max_per_shortfall,
            nb.caps.max_per_window,
            nb.caps.lifetime_max
        ),
        (1000, 3000, 9000)
    );
    assert!(nb.enabled);
    let na = claimant(&mut fx.chain, &fund, &a).unwrap();
    assert_eq!(na.payout_owner, pa2);
    assert_eq!(na.caps.lifetime_max, 8_000_000_000);
    assert_eq!(
        (
            na.caps.max_per_shortfall,
            na.caps.max_per_window,
            na.enabled
        ),
        (
            a_before.caps.max_per_shortfall,
            a_before.caps.max_per_window,
            true
        )
    );

    // lowering a cap and disabling tighten: they apply at once
    let p = proposal(
        &mut fx.chain,
        fund,
        &format!("[claimants.\"{a}\"]\nmax_per_window_atoms = 500\nenabled = false\n"),
    );
    assert_eq!(
        kinds(&p),
        vec![("update_claimant".into(), ChangeEffect::Tightens, false)]
    );
    governance_executes(&mut fx.chain, &gov, &p);
    let na = claimant(&mut fx.chain, &fund, &a).unwrap();
    assert_eq!((na.caps.max_per_window, na.enabled), (500, false));
    assert_eq!(na.payout_owner, pa2);
}

#[test]
fn amounts_are_whole_units_or_atoms_with_the_suffix_never_both() {
    let (mut chain, _, fund_key, _) = fund();
    // whole numeraire units, as in `ifund init`'s config
    let p = proposal(&mut chain, fund_key, "[rebalance]\nmin_trade_value = 60\n");
    assert_eq!(
        p.steps[0].diff,
        vec!["rebalance min_trade_value: 50000000 (50 USD) -> 60000000 (60 USD)".to_string()]
    );
    // atoms, named so
    let p = proposal(
        &mut chain,
        fund_key,
        "[rebalance]\nmin_trade_value_atoms = 60000001\n",
    );
    assert_eq!(
        p.steps[0].diff,
        vec![
            "rebalance min_trade_value: 50000000 (50 USD) -> 60000001 (60.000001 USD)".to_string()
        ]
    );
    // both spellings: refused, naming the two fields
    let fund = load_fund(&mut chain, &fund_key).unwrap();
    let e = refusal(
        &mut chain,
        fund_key,
        &fund,
        "[draws]\napproval_threshold = 5000\napproval_threshold_atoms = 5000000000\n",
    );
    assert_eq!(
        e,
        "`draws.approval_threshold` (whole units) and `draws.approval_threshold_atoms` (atoms) are both given: give the amount once, in one of them"
    );
    // atoms under the whole-unit name (how change files were written before this convention):
    // 50,000,000 "whole units" against 50 USD today is refused; the same in atoms is a change
    let e = refusal(
        &mut chain,
        fund_key,
        &fund,
        "[rebalance]\nmin_trade_value = 50000000\n",
    );
    assert_eq!(
        e,
        "`rebalance.min_trade_value` = 50000000 whole units is 50000000000000 atoms, at least 100000 times the fund's 50000000 atoms: if 50000000 is in atoms, write `rebalance.min_trade_value_atoms = 50000000` (a raise this large must be given in atoms too)"
    );
    let p = proposal(
        &mut chain,
        fund_key,
        "[rebalance]\nmin_trade_value_atoms = 50000001\n",
    );
    assert_eq!(
        p.steps[0].diff,
        vec![
            "rebalance min_trade_value: 50000000 (50 USD) -> 50000001 (50.000001 USD)".to_string()
        ]
    );
    let e = refusal(
        &mut chain,
        fund_key,
        &fund,
        "[rebalance.crisis]\nmax_volume_per_window = 18446744073709551615\n",
    );
    assert_eq!(
        e,
        "`rebalance.crisis.max_volume_per_window` = 18446744073709551615 whole units is too large for u64 numeraire atoms"
    );
}

#[test]
fn claimant_changes_the_program_would_refuse_are_refused_locally() {
    let mut fx = fixture(86_400);
    let fund_key = fx.fund;
    let [a, c] = fx.claimants;
    // claimant c has an open shortfall (written directly: declaring one needs draw parameters)
    let c_key = pda::claimant_address(&fund_key, &c);
    let mut account = fx.chain.get_account(&c_key).unwrap().unwrap();
    let mut record = decode::claimant(&account.data).unwrap();
    record.open_shortfalls = 1;
    let mut data = vec![];
    record.try_serialize(&mut data).unwrap();
    account.data = data;
    fx.chain.set_account(&c_key, account);

    let fund = load_fund(&mut fx.chain, &fund_key).unwrap();
    let someone = Pubkey::new_unique();
    let mut err = |toml: String| refusal(&mut fx.chain, fund_key, &fund, &toml);
    let register = |who: &Pubkey, payout: &Pubkey, caps: (u64, u64, u64)| {
        format!(
            "[register_claimants.\"{who}\"]\npayout_owner = \"{payout}\"\nmax_per_shortfall_atoms = {}\nmax_per_window_atoms = {}\nlifetime_max_atoms = {}\n",
            caps.0, caps.1, caps.2
        )
    };

    let e = err(register(&someone, &someone, (10, 9000, 5000)));
    assert!(
        e.contains(&format!("register_claimant {someone} would be refused by the program (register_claimants.\"{someone}\" = payout_owner {someone}, max_per_shortfall 10, max_per_window 9000, lifetime_max 5000)"))
            && e.contains("InvalidClaimantCaps: Claimant caps must be positive and none above the lifetime cap"),
        "{e}"
    );
    let e = err(register(&someone, &fund_key, (10, 10, 10)));
    assert!(e.contains("InvalidPayoutOwner"), "{e}");
    let e = err(register(&a, &someone, (10, 10, 10)));
    assert!(
        e.contains(&format!("{a} is already a claimant of this fund")),
        "{e}"
    );
    let e = err(format!("[claimants.\"{a}\"]\nmax_per_shortfall = 0\n"));
    assert!(
        e.contains(&format!(
            "update_claimant {a} would be refused by the program"
        )) && e.contains("max_per_shortfall 0")
            && e.contains("InvalidClaimantCaps"),
        "{e}"
    );
    let e = err(format!(
        "[claimants.\"{a}\"]\npayout_owner = \"{fund_key}\"\n"
    ));
    assert!(e.contains("InvalidPayoutOwner"), "{e}");
    let e = err(format!("[claimants.\"{someone}\"]\nenabled = false\n"));
    assert!(
        e.contains(&format!(
            "claimants.\"{someone}\": {someone} is not a registered claimant of fund {fund_key} (no claimant account at {})",
            pda::claimant_address(&fund_key, &someone)
        )),
        "{e}"
    );
    let e = err(format!("[remove_claimants.\"{someone}\"]\n"));
    assert!(
        e.contains(&format!(
            "remove_claimants.\"{someone}\": {someone} is not a registered claimant"
        )),
        "{e}"
    );
    let e = err(format!("[remove_claimants.\"{c}\"]\n"));
    assert!(
        e.contains(&format!("remove_claimant {c}"))
            && e.contains(
                "ClaimantHasOpenShortfalls: Claimant still has open shortfalls (it has 1 open)"
            ),
        "{e}"
    );
    // an update of a claimant whose registration waits for the timelock
    let e = err(format!(
        "{}\n[claimants.\"{someone}\"]\nenabled = false\n",
        register(&someone, &someone, (10, 10, 10))
    ));
    assert!(
        e.contains("is registered only once its queued register_claimant executes"),
        "{e}"
    );
    let e = err(format!("[claimants.\"{a}\"]\ncap = 1\n"));
    assert!(e.contains("unknown field `cap`"), "{e}");
}

/// The binary, against a saved state: a valid change prints the proposal, a refused one
/// prints nothing on stdout and one error line naming the field, the value and the reason.
#[test]
fn the_binary_prints_a_proposal_or_only_the_refusal() {
    let mut fx = fixture(86_400);
    let (gov, fund) = (fx.gov.insecure_clone(), fx.fund);
    let new = mint(&mut fx.chain, &gov, 6).pubkey();
    let [a, _] = fx.claimants;
    let keys = [fund, new, fx.usdc, pda::claimant_address(&fund, &a)];
    let dir = tempfile::tempdir().unwrap();
    Snapshot::capture(&mut fx.chain, &fund, &keys)
        .unwrap()
        .write(&dir.path().join("state.json"))
        .unwrap();
    let run = |toml: String| {
        let file = dir.path().join("change.toml");
        std::fs::write(&file, toml).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ifund"))
            .args(["propose", "--from"])
            .arg(dir.path())
            .arg("--change")
            .arg(&file)
            .env("HOME", "/nonexistent-home")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let oracle = "[add_assets.\"M\".oracle]\nsource = \"fixed\"\nfixed_price = 1\n";
    let add = |m: &Pubkey| {
        format!(
            "[add_assets.\"{m}\"]\nclass = \"liquid\"\nmax_weight_bps = 2000\n{}",
            oracle.replace('M', &m.to_string())
        )
    };
    let (ok, out, err) = run(format!(
        "{}\n[claimants.\"{a}\"]\nenabled = false\n",
        add(&new)
    ));
    assert!(ok, "{err}");
    for expected in [
        "queue_change (add_asset",
        "update_claimant",
        "== Squads v4",
        "== SPL Governance",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    let usdc = fx.usdc;
    let (ok, out, err) = run(add(&usdc));
    assert!(!ok);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("error: ")
            && err.contains(&format!("add_assets.\"{usdc}\""))
            && err.contains("AssetAlreadyRegistered"),
        "{err}"
    );
}

#[test]
fn a_governance_transfer_is_proposed_then_accepted_by_the_new_governance() {
    let (mut chain, gov, fund_key, _) = fund();
    let new = Keypair::new();
    let p = proposal(
        &mut chain,
        fund_key,
        &format!("[governance]\nnew = \"{}\"\n", new.pubkey()),
    );
    // not a ConfigChange: applies at once even under the one-day timelock
    assert_eq!(
        kinds(&p),
        vec![(
            "propose_governance".to_string(),
            ChangeEffect::Tightens,
            false
        )]
    );
    assert_eq!(
        p.steps[0].diff,
        vec![format!("pending_governance: - -> {}", new.pubkey())]
    );
    let text = propose::render(&p);
    assert!(
        text.contains(&format!(
            "`ifund propose --fund {fund_key} --accept-governance`"
        )),
        "{text}"
    );
    governance_executes(&mut chain, &gov, &p);
    let mid = load_fund(&mut chain, &fund_key).unwrap();
    assert_eq!(mid.pending_governance, new.pubkey());
    assert_eq!(mid.governance, gov.pubkey());

    // the second step is a proposal of the new governance
    let accept = propose::accept_governance(fund_key, &mid).unwrap();
    assert_eq!(accept.governance, new.pubkey());
    assert_eq!(
        accept.steps[0].diff,
        vec![
            format!("governance: {} -> {}", gov.pubkey(), new.pubkey()),
            format!("pending_governance: {} -> -", new.pubkey()),
        ]
    );
    let fee = system_instruction::transfer(&gov.pubkey(), &new.pubkey(), 10_000_000);
    assert!(send(&mut chain, &gov, &[], &[fee], &SendOptions::default())
        .unwrap()
        .is_ok());
    governance_executes(&mut chain, &new, &accept);
    let after = load_fund(&mut chain, &fund_key).unwrap();
    assert_eq!(after.governance, new.pubkey());
    assert!(!after.has_pending_governance());
    assert_eq!(after.governance_epoch, mid.governance_epoch + 1);
}

#[test]
fn governance_transfers_the_program_would_refuse_are_refused_locally() {
    let (mut chain, gov, fund_key, _) = fund();
    let fund = load_fund(&mut chain, &fund_key).unwrap();
    for (new, why) in [
        (gov.pubkey(), "the current governance"),
        (Pubkey::default(), "the default key"),
    ] {
        let e = refusal(
            &mut chain,
            fund_key,
            &fund,
            &format!("[governance]\nnew = \"{new}\"\n"),
        );
        assert!(
            e.contains("propose_governance") && e.contains("InvalidGovernance"),
            "{why}: {e}"
        );
    }
    let e = refusal(
        &mut chain,
        fund_key,
        &fund,
        "[governance]\nnew = \"nope\"\n",
    );
    assert!(
        e.contains("governance.new: \"nope\" is not a public key"),
        "{e}"
    );
    // a queued change in the same proposal would be void once the transfer is accepted
    let e = refusal(
        &mut chain,
        fund_key,
        &fund,
        &format!(
            "[rebalance]\nmax_premium_bps = 400\n[governance]\nnew = \"{}\"\n",
            Pubkey::new_unique()
        ),
    );
    assert!(
        e.contains("cannot go with set_rebalance_params") && e.contains("PendingChangeStale"),
        "{e}"
    );
    // nothing pending: there is nothing to accept
    let e = format!(
        "{:#}",
        propose::accept_governance(fund_key, &fund).unwrap_err()
    );
    assert!(
        e.contains("no governance transfer is pending") && e.contains("NoPendingGovernance"),
        "{e}"
    );
}

#[test]
fn a_fallback_is_added_through_the_timelock_and_narrowed_or_removed_at_once() {
    let mut fx = fixture(86_400);
    let (gov, fund, sol) = (fx.gov.insecure_clone(), fx.fund, fx.sol);
    let feed = Pubkey::new_unique();
    let p = proposal(
        &mut fx.chain,
        fund,
        &format!(
            "[assets.\"{sol}\".oracle.fallback]\nfeed = \"{feed}\"\nmax_divergence_bps = 150\n"
        ),
    );
    // adding a fallback loosens: queued
    assert_eq!(
        kinds(&p),
        vec![("update_asset".into(), ChangeEffect::Loosens, true)]
    );
    let expected = format!(
        "asset {sol} fallback: none -> switchboard pull feed {feed}, max age 60 s, max spread 100 bps, max divergence 150 bps"
    );
    assert!(p.steps[0].diff.contains(&expected), "{:?}", p.steps[0].diff);
    governance_executes(&mut fx.chain, &gov, &p);
    anyone_executes_after_the_timelock(&mut fx.chain, &gov, &p);
    let after = load_fund(&mut fx.chain, &fund).unwrap();
    let fb = after.assets[1].fallback;
    assert!(fb.is_set());
    assert_eq!(
        (
            fb.feed,
            fb.max_age_secs,
            fb.max_conf_bps,
            fb.max_divergence_bps
        ),
        (feed, 60, 100, 150)
    );
    // the primary oracle untouched
    assert_eq!(after.assets[1].oracle.max_age_secs, 60);

    // narrowing a limit tightens: at once, the other fields kept
    let p = proposal(
        &mut fx.chain,
        fund,
        &format!("[assets.\"{sol}\".oracle.fallback]\nmax_age_secs = 30\n"),
    );
    assert_eq!(
        kinds(&p),
        vec![("update_asset".into(), ChangeEffect::Tightens, false)]
    );
    governance_executes(&mut fx.chain, &gov, &p);
    let fb = load_fund(&mut fx.chain, &fund).unwrap().assets[1].fallback;
    assert_eq!(
        (fb.feed, fb.max_age_secs, fb.max_divergence_bps),
        (feed, 30, 150)
    );
    // removing it tightens too
    let p = proposal(
        &mut fx.chain,
        fund,
        &format!("[assets.\"{sol}\".oracle.fallback]\nfeed = \"none\"\n"),
    );
    assert_eq!(
        kinds(&p),
        vec![("update_asset".into(), ChangeEffect::Tightens, false)]
    );
    governance_executes(&mut fx.chain, &gov, &p);
    assert!(!load_fund(&mut fx.chain, &fund).unwrap().assets[1]
        .fallback
        .is_set());
}

#[test]
fn fallbacks_the_program_would_refuse_are_refused_locally() {
    let mut fx = fixture(86_400);
    let (fund_key, usdc, sol) = (fx.fund, fx.usdc, fx.sol);
    let fund = load_fund(&mut fx.chain, &fund_key).unwrap();
    let feed = Pubkey::new_unique();
    let mut err = |mint: Pubkey, body: &str| {
        refusal(
            &mut fx.chain,
            fund_key,
            &fund,
            &format!("[assets.\"{mint}\".oracle.fallback]\n{body}\n"),
        )
    };
    let e = err(sol, "max_age_secs = 30");
    assert!(
        e.contains(&format!("assets.\"{sol}\".oracle.fallback.feed: missing")),
        "{e}"
    );
    let e = err(sol, "feed = \"nope\"");
    assert!(e.contains("is not a public key"), "{e}");
    let e = err(sol, &format!("feed = \"{feed}\"\nmax_divergence_bps = 0"));
    assert!(e.contains("InvalidDivergenceLimit"), "{e}");
    let e = err(sol, &format!("feed = \"{feed}\"\nmax_conf_bps = 1001"));
    assert!(e.contains("InvalidOracleConfidence"), "{e}");
    // a fixed price has no feed to fall back from
    let e = err(usdc, &format!("feed = \"{feed}\""));
    assert!(e.contains("InvalidFallback"), "{e}");
}

#[test]
fn an_asset_is_retired_then_removed_as_printed() {
    let mut fx = fixture(0);
    let (gov, fund_key, usdc, sol) = (fx.gov.insecure_clone(), fx.fund, fx.usdc, fx.sol);
    let vault = pda::vault_address(&fund_key, &sol);
    // the SOL target goes to 0 (USDC's cap raised to take it all), then SOL is retired
    let p = proposal(
        &mut fx.chain,
        fund_key,
        &format!(
            "retire_assets = [\"{sol}\"]\n[assets.\"{usdc}\"]\nmax_weight_bps = 10000\n[targets]\n\"{usdc}\" = 10000\n\"{sol}\" = 0\n"
        ),
    );
    assert_eq!(
        kinds(&p),
        vec![
            ("update_asset".into(), ChangeEffect::Loosens, false),
            ("set_targets".into(), ChangeEffect::Tightens, false),
            ("retire_asset".into(), ChangeEffect::Tightens, false),
        ]
    );
    assert!(
        p.steps[2]
            .diff
            .contains(&format!("asset {sol} retired: false -> true")),
        "{:?}",
        p.steps[2].diff
    );
    governance_executes(&mut fx.chain, &gov, &p);
    let f = load_fund(&mut fx.chain, &fund_key).unwrap();
    assert!(f.assets[1].is_retired());
    assert_eq!(f.assets[1].flags, asset_flags::REBALANCE_OUT);
    // retiring it again is refused with the program's reason
    let e = refusal(
        &mut fx.chain,
        fund_key,
        &f,
        &format!("retire_assets = [\"{sol}\"]\n"),
    );
    assert!(e.contains("AssetIsRetired"), "{e}");

    // removed: the vault closed, its rent to the named recipient
    let recipient = Pubkey::new_unique();
    let p = proposal(
        &mut fx.chain,
        fund_key,
        &format!("[remove_assets.\"{sol}\"]\nrent_recipient = \"{recipient}\"\n"),
    );
    assert_eq!(
        kinds(&p),
        vec![("remove_asset".into(), ChangeEffect::Tightens, false)]
    );
    assert!(
        p.steps[0].diff.contains(&format!(
            "asset {sol}: registered, vault {vault} -> removed (vault closed)"
        )),
        "{:?}",
        p.steps[0].diff
    );
    assert!(fx.chain.get_account(&vault).unwrap().is_some());
    governance_executes(&mut fx.chain, &gov, &p);
    let f = load_fund(&mut fx.chain, &fund_key).unwrap();
    assert_eq!(f.asset_count, 1);
    assert!(f.asset_index(&sol).is_err());
    assert!(fx.chain.get_account(&vault).unwrap().is_none());
    assert!(fx.chain.get_account(&recipient).unwrap().is_some());
}

#[test]
fn retiring_or_removing_what_the_program_would_refuse_is_refused_locally() {
    let mut fx = fixture(0);
    let (fund_key, usdc, sol) = (fx.fund, fx.usdc, fx.sol);
    let fund = load_fund(&mut fx.chain, &fund_key).unwrap();
    let mut err = |body: String| refusal(&mut fx.chain, fund_key, &fund, &body);
    // a target above 0
    let e = err(format!("retire_assets = [\"{sol}\"]\n"));
    assert!(e.contains("AssetTargetNotZero"), "{e}");
    let e = err(format!("[remove_assets.\"{usdc}\"]\n"));
    assert!(e.contains("AssetTargetNotZero"), "{e}");
    // not registered
    let other = Pubkey::new_unique();
    let e = err(format!("retire_assets = [\"{other}\"]\n"));
    assert!(
        e.contains(&format!("retire_assets[0]: {other} is not registered")),
        "{e}"
    );
    let e = err(format!("[remove_assets.\"{other}\"]\n"));
    assert!(e.contains("is not registered"), "{e}");
}

/// The crisis hold (`CrisisProfile::hold_secs`) through `ifund propose`: a profile with a
/// hold, or a longer hold, loosens (queued behind the timelock); a shorter one applies at
/// once. The diff names the field, the stored profile is what was printed.
#[test]
fn a_crisis_hold_is_set_through_the_timelock_and_shortened_at_once() {
    let mut fx = fixture(86_400);
    let (gov, fund) = (fx.gov.insecure_clone(), fx.fund);
    let profile = |hold: u32| {
        format!(
            "[rebalance.crisis]\nmax_volume_per_window = 1000000\npremium_budget_per_window = 30000\nauction_duration_secs = 3600\nmax_premium_bps = 300\nmax_discount_bps = 300\ngap_trigger_bps = 1000\nliquid_target_bps = 9000\nhold_secs = {hold}\n"
        )
    };
    let p = proposal(&mut fx.chain, fund, &profile(43_200));
    assert_eq!(
        kinds(&p),
        vec![("set_rebalance_params".into(), ChangeEffect::Loosens, true)]
    );
    let diff = p.steps[0].diff.join("\n");
    assert!(
        diff.contains("rebalance crisis hold_secs: 0 -> 43200"),
        "{diff}"
    );
    assert!(
        diff.contains("rebalance crisis liquid_target_bps: 0 -> 9000"),
        "{diff}"
    );
    governance_executes(&mut fx.chain, &gov, &p);
    anyone_executes_after_the_timelock(&mut fx.chain, &gov, &p);
    let crisis = load_fund(&mut fx.chain, &fund).unwrap().rebalance.crisis;
    assert_eq!(
        (crisis.hold_secs, crisis.liquid_target_bps),
        (43_200, 9_000)
    );

    // a shorter hold tightens: at once
    let p = proposal(
        &mut fx.chain,
        fund,
        "[rebalance.crisis]\nhold_secs = 3600\n",
    );
    assert_eq!(
        kinds(&p),
        vec![("set_rebalance_params".into(), ChangeEffect::Tightens, false)]
    );
    governance_executes(&mut fx.chain, &gov, &p);
    let crisis = load_fund(&mut fx.chain, &fund).unwrap().rebalance.crisis;
    assert_eq!(
        (crisis.hold_secs, crisis.max_volume_per_window),
        (3_600, 1_000_000 * 1_000_000)
    );

    // a hold over seven days is refused locally, as the program would
    let state = load_fund(&mut fx.chain, &fund).unwrap();
    let why = refusal(
        &mut fx.chain,
        fund,
        &state,
        "[rebalance.crisis]\nhold_secs = 604801\n",
    );
    assert!(why.contains("InvalidCrisisProfile"), "{why}");
}
