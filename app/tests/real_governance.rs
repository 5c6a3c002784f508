//! Governance through the real programs: Squads v4 (`squads-multisig-program` 2.0.0) and SPL
//! Governance (`spl-governance` 4.0.0), built from the registry for the Solana VM
//! (`../shared/sbf/build-registry-program.sh`, done by `scripts/test.sh`) and loaded beside the
//! fund in the embedded bank.
//!
//! Each test takes what `ifund propose` prints for a change file, creates the proposal with
//! the function `ifund propose --submit` calls (`submit::submit`, the bank standing in for
//! the RPC node), votes and executes it through the real program, and asserts the fund's
//! state: a tightening applies when the proposal executes, a loosening is queued and executes
//! after the fund's timelock, a governance transfer goes through `propose_governance` and the
//! new multisig's `accept_governance`, and a proposal that fails its vote or is cancelled
//! changes nothing.
//!
//! Modes (`INSURANCE_FUND_TEST_MODE`): `sbf` runs the fund's own `.so` too; otherwise the fund
//! runs natively and the SBF governance programs call it through CPI. The programs' `.so`
//! files are read from `$SBF_OUT_DIR` (default: the workspace's `target/deploy`); when one is
//! missing the tests say so and skip, unless `IFUND_REQUIRE_GOVERNANCE_PROGRAMS` is set (as
//! `scripts/test.sh` does), when they fail.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::{program_pack::Pack, system_instruction};
use anchor_spl::token::spl_token;
use base64::Engine;
use ifund::chain::{load_fund, send, Chain, EmbeddedChain, SendOptions, TxResult};
use ifund::config::{execute, FundConfig};
use ifund::propose::{self, Proposal};
use ifund::submit::{self, SubmitTo, Submitted};
use insurance_fund::state::Fund;
use insurance_fund_client::embedded;
use insurance_fund_client::governance::spl_governance::{
    self as spl, InstructionData, ProposalKeys,
};
use insurance_fund_client::governance::squads;
use insurance_fund_client::ix;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::path::PathBuf;

const SOL_FEED: &str = "0xef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d";
const TIMELOCK_SECS: u32 = 86_400;

fn deploy_dir() -> PathBuf {
    std::env::var_os("SBF_OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/deploy"))
}

fn sbf_mode() -> bool {
    std::env::var("INSURANCE_FUND_TEST_MODE").as_deref() == Ok("sbf")
}

/// The bank with the fund (native, or its `.so` in SBF mode), Squads v4 with its
/// `ProgramConfig` (no creation fee) and SPL Governance; `None` (test skipped, reason printed)
/// when a program's `.so` is missing and the environment does not require them.
fn start() -> Option<EmbeddedChain> {
    let dir = deploy_dir();
    let mut needed = vec!["squads_multisig_program.so", "spl_governance.so"];
    if sbf_mode() {
        needed.push("insurance_fund.so");
    }
    let missing: Vec<&str> = needed
        .into_iter()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        let why = format!(
            "{} missing in {}: build them with `../shared/sbf/build-registry-program.sh squads-multisig-program 2.0.0 target/deploy` and `... spl-governance 4.0.0 target/deploy` (scripts/test.sh does)",
            missing.join(", "),
            dir.display()
        );
        if std::env::var_os("IFUND_REQUIRE_GOVERNANCE_PROGRAMS").is_some() {
            panic!("{why}");
        }
        eprintln!("SKIPPED: real-governance test: {why}");
        return None;
    }
    let mut pt = if sbf_mode() {
        embedded::program_test_sbf(&dir.join("insurance_fund.so")).unwrap()
    } else {
        embedded::program_test()
    };
    embedded::add_sbf_program(
        &mut pt,
        squads::PROGRAM_ID,
        &dir.join("squads_multisig_program.so"),
    )
    .unwrap();
    embedded::add_sbf_program(&mut pt, spl::PROGRAM_ID, &dir.join("spl_governance.so")).unwrap();
    // On a cluster the Squads team initialised the ProgramConfig once; here it is genesis.
    let data = squads::program_config_data(&Pubkey::new_unique(), 0, &squads_treasury());
    pt.add_account(
        squads::program_config_address(),
        Account {
            lamports: 1_000_000_000,
            data,
            owner: squads::PROGRAM_ID,
            executable: false,
            rent_epoch: 0,
        },
    );
    Some(EmbeddedChain::start_with(pt).unwrap())
}

fn squads_treasury() -> Pubkey {
    Pubkey::find_program_address(&[b"squads-treasury"], &Pubkey::default()).0
}

#[track_caller]
fn ok(r: TxResult) -> TxResult {
    assert!(r.is_ok(), "{}\n{}", r.describe(), r.logs.join("\n"));
    r
}

/// The custom error code a failed transaction ended with.
fn custom_error(r: &TxResult) -> Option<u32> {
    use anchor_lang::solana_program::instruction::error::InstructionError;
    use solana_transaction_error::TransactionError;
    match &r.result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(c))) => Some(*c),
        _ => None,
    }
}

fn transfer(chain: &mut EmbeddedChain, payer: &Keypair, to: &Pubkey, lamports: u64) {
    let ix = system_instruction::transfer(&payer.pubkey(), to, lamports);
    ok(send(chain, payer, &[], &[ix], &SendOptions::default()).unwrap());
}

/// A funded keypair.
fn funded(chain: &mut EmbeddedChain, payer: &Keypair) -> Keypair {
    let k = Keypair::new();
    transfer(chain, payer, &k.pubkey(), 10_000_000_000);
    k
}

/// An SPL Token mint (authority `payer`).
fn mint(chain: &mut EmbeddedChain, payer: &Keypair, decimals: u8) -> Pubkey {
    let m = Keypair::new();
    let rent = chain.minimum_balance(spl_token::state::Mint::LEN).unwrap();
    let ixs = [
        system_instruction::create_account(
            &payer.pubkey(),
            &m.pubkey(),
            rent,
            spl_token::state::Mint::LEN as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_mint2(
            &spl_token::ID,
            &m.pubkey(),
            &payer.pubkey(),
            None,
            decimals,
        )
        .unwrap(),
    ];
    ok(send(chain, payer, &[&m], &ixs, &SendOptions::default()).unwrap());
    m.pubkey()
}

/// A fund (two assets, a one-day timelock) created by `ifund init` with `governance` as its
/// final governance: the run ends with `propose_governance(governance)`.
fn fund_proposing(chain: &mut EmbeddedChain, payer: &Keypair, governance: &Pubkey) -> Pubkey {
    let usdc = mint(chain, payer, 6);
    let sol = mint(chain, payer, 9);
    let text = format!(
        r#"
[fund]
numeraire = "USD"
numeraire_decimals = 6
min_liquid_bps = 5000
timelock_secs = {TIMELOCK_SECS}
governance = "{governance}"

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
"#
    );
    let cfg = FundConfig::parse(&text, "fund.toml").unwrap();
    let plan = cfg.plan("fund.toml", &payer.pubkey()).unwrap();
    let fund = execute(chain, payer, &Keypair::new(), &plan, &mut |_| {}).unwrap();
    assert_eq!(
        load_fund(chain, &fund).unwrap().pending_governance,
        *governance
    );
    fund
}

/// What `ifund propose` prints for `change` against the fund as it is on chain, and the
/// proposal behind it.
fn propose(chain: &mut EmbeddedChain, fund: Pubkey, change: &str) -> (Proposal, String) {
    let file = propose::parse(change).unwrap();
    let state = load_fund(chain, &fund).unwrap();
    let p = propose::build(chain, fund, &state, &file).unwrap();
    let printed = propose::render(&p);
    (p, printed)
}

/// The Squads message `ifund propose` printed (base58 line under its heading), decoded.
fn printed_squads_message(printed: &str) -> solana_message::Message {
    let mut lines = printed.lines();
    lines
        .by_ref()
        .find(|l| l.starts_with("== Squads v4: transaction message"))
        .expect("the Squads section");
    let b58 = lines.next().expect("the message line");
    bincode::deserialize(&bs58::decode(b58).into_vec().unwrap()).unwrap()
}

/// The SPL Governance `InstructionData` entries `ifund propose` printed (base64 lines under
/// their heading), decoded.
fn printed_spl_instructions(printed: &str) -> Vec<InstructionData> {
    printed
        .lines()
        .skip_while(|l| !l.starts_with("== SPL Governance"))
        .skip(1)
        .take_while(|l| !l.is_empty() && !l.starts_with("=="))
        .map(|l| {
            let bytes = base64::engine::general_purpose::STANDARD.decode(l).unwrap();
            InstructionData::from_bytes(&bytes).expect("one InstructionData")
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Squads v4

/// A 2-of-2 Squads multisig (every permission) and its vault 0, funded for the rent the fund
/// charges its governance.
struct Multisig {
    key: Pubkey,
    vault: Pubkey,
    members: [Keypair; 2],
}

fn multisig(chain: &mut EmbeddedChain, payer: &Keypair) -> Multisig {
    let members = [funded(chain, payer), funded(chain, payer)];
    let create_key = Keypair::new();
    let ix = squads::multisig_create_v2(
        &squads_treasury(),
        &create_key.pubkey(),
        &payer.pubkey(),
        2,
        members
            .iter()
            .map(|m| squads::Member {
                key: m.pubkey(),
                permissions: squads::permission::ALL,
            })
            .collect(),
        0,
    );
    ok(send(chain, payer, &[&create_key], &[ix], &SendOptions::default()).unwrap());
    let key = squads::multisig_address(&create_key.pubkey());
    let vault = squads::vault_address(&key, 0);
    transfer(chain, payer, &vault, 1_000_000_000);
    Multisig {
        key,
        vault,
        members,
    }
}

impl Multisig {
    /// `ifund propose --submit --squads <multisig>` by the first member (who also approves).
    fn submit(&self, chain: &mut EmbeddedChain, p: &Proposal) -> Submitted {
        submit::submit(
            chain,
            &self.members[0],
            &SubmitTo::Squads {
                multisig: self.key,
                vault_index: 0,
            },
            p,
            &SendOptions::default(),
        )
        .unwrap()
    }

    fn vote(
        &self,
        chain: &mut EmbeddedChain,
        index: u64,
        member: usize,
        vote: squads::Vote,
    ) -> TxResult {
        let m = &self.members[member];
        let ix = squads::proposal_vote(&self.key, index, &m.pubkey(), vote);
        send(chain, m, &[], &[ix], &SendOptions::default()).unwrap()
    }

    fn status(&self, chain: &mut EmbeddedChain, index: u64) -> squads::ProposalStatus {
        let a = chain
            .get_account(&squads::proposal_address(&self.key, index))
            .unwrap()
            .expect("the proposal account");
        assert_eq!(a.owner, squads::PROGRAM_ID);
        squads::proposal_status(&a.data).expect("a Squads proposal")
    }

    /// `vault_transaction_execute` of the printed message.
    fn execute(
        &self,
        chain: &mut EmbeddedChain,
        index: u64,
        message: &solana_message::Message,
    ) -> TxResult {
        let m = &self.members[1];
        let ix = squads::vault_transaction_execute(&self.key, index, &m.pubkey(), message);
        send(chain, m, &[], &[ix], &SendOptions::default()).unwrap()
    }

    /// Runs `printed` (with its proposal `p`) through the whole lifecycle: submit (created and
    /// approved by member 0), approval by member 1 (threshold 2), execution.
    fn pass(&self, chain: &mut EmbeddedChain, p: &Proposal, printed: &str) {
        let message = printed_squads_message(printed);
        assert_eq!(
            message,
            propose::squads_message(p),
            "what --submit stores is what is printed"
        );
        let s = self.submit(chain, p);
        assert!(matches!(
            self.status(chain, s.index),
            squads::ProposalStatus::Active { .. }
        ));
        ok(self.vote(chain, s.index, 1, squads::Vote::Approve));
        assert!(matches!(
            self.status(chain, s.index),
            squads::ProposalStatus::Approved { .. }
        ));
        ok(self.execute(chain, s.index, &message));
        assert!(matches!(
            self.status(chain, s.index),
            squads::ProposalStatus::Executed { .. }
        ));
    }
}

/// A fund governed by a fresh 2-of-2 multisig's vault: `ifund init` proposes the vault, and the
/// multisig accepts through its own proposal (`ifund propose --accept-governance`).
fn squads_fund() -> Option<(EmbeddedChain, Keypair, Multisig, Pubkey)> {
    let mut chain = start()?;
    let payer = chain.payer();
    let ms = multisig(&mut chain, &payer);
    let fund = fund_proposing(&mut chain, &payer, &ms.vault);
    let state = load_fund(&mut chain, &fund).unwrap();
    let p = propose::accept_governance(fund, &state).unwrap();
    let printed = propose::render(&p);
    ms.pass(&mut chain, &p, &printed);
    let after = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(after.governance, ms.vault);
    assert!(!after.has_pending_governance());
    assert_eq!(after.governance_epoch, state.governance_epoch + 1);
    Some((chain, payer, ms, fund))
}

fn config(f: &Fund) -> (u16, u16, u16) {
    (
        f.min_liquid_bps,
        f.assets[1].max_weight_bps,
        f.rebalance.max_premium_bps,
    )
}

const TIGHTEN: &str = r#"
[bounds]
min_liquid_bps = 6000
"#;

const LOOSEN: &str = r#"
[rebalance]
max_premium_bps = 400
"#;

fn tighten_sol_cap(sol: &Pubkey) -> String {
    format!("{TIGHTEN}\n[assets.\"{sol}\"]\nmax_weight_bps = 4500\n")
}

/// After the timelock, anyone executes each queued change of `p` as printed (its key in every
/// signer slot); before it, the same instruction fails with `TimelockNotElapsed`.
fn execute_queued(chain: &mut EmbeddedChain, payer: &Keypair, p: &Proposal) {
    let keeper = funded(chain, payer);
    let queued: Vec<(
        Pubkey,
        anchor_lang::solana_program::instruction::Instruction,
    )> = p.steps.iter().filter_map(|s| s.execute.clone()).collect();
    assert!(!queued.is_empty());
    let signed = |ix: &anchor_lang::solana_program::instruction::Instruction| {
        let mut ix = ix.clone();
        for m in ix.accounts.iter_mut().filter(|m| m.is_signer) {
            m.pubkey = keeper.pubkey();
        }
        ix
    };
    let early = send(
        chain,
        &keeper,
        &[],
        &[signed(&queued[0].1)],
        &SendOptions::default(),
    )
    .unwrap();
    assert_eq!(
        early
            .fund_error()
            .as_deref()
            .map(|e| e.split(' ').next().unwrap()),
        Some("TimelockNotElapsed"),
        "{}",
        early.logs.join("\n")
    );
    let now = chain.clock().unwrap().unix_timestamp;
    chain.set_time(now + i64::from(TIMELOCK_SECS)).unwrap();
    for (pending, ix) in &queued {
        assert!(chain.get_account(pending).unwrap().is_some());
        ok(send(chain, &keeper, &[], &[signed(ix)], &SendOptions::default()).unwrap());
        assert!(chain.get_account(pending).unwrap().is_none());
    }
}

#[test]
fn squads_tightening_applies_when_the_vault_transaction_executes() {
    let Some((mut chain, _payer, ms, fund)) = squads_fund() else {
        return;
    };
    let sol = load_fund(&mut chain, &fund).unwrap().assets[1].mint;
    let (p, printed) = propose(&mut chain, fund, &tighten_sol_cap(&sol));
    assert!(
        p.steps.iter().all(|s| s.execute.is_none()),
        "applies at once"
    );
    let before = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(config(&before), (5000, 5000, 300));
    ms.pass(&mut chain, &p, &printed);
    let after = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(config(&after), (6000, 4500, 300));
}

#[test]
fn squads_loosening_is_queued_then_executes_after_the_timelock() {
    let Some((mut chain, payer, ms, fund)) = squads_fund() else {
        return;
    };
    let (p, printed) = propose(&mut chain, fund, LOOSEN);
    assert!(p.steps.iter().all(|s| s.execute.is_some()), "queued");
    ms.pass(&mut chain, &p, &printed);
    // the vault transaction only queued it
    assert_eq!(
        config(&load_fund(&mut chain, &fund).unwrap()),
        (5000, 5000, 300)
    );
    execute_queued(&mut chain, &payer, &p);
    assert_eq!(
        config(&load_fund(&mut chain, &fund).unwrap()),
        (5000, 5000, 400)
    );
}

#[test]
fn squads_governance_moves_to_a_new_multisig() {
    let Some((mut chain, payer, old, fund)) = squads_fund() else {
        return;
    };
    let new = multisig(&mut chain, &payer);
    let (p, printed) = propose(
        &mut chain,
        fund,
        &format!("[governance]\nnew = \"{}\"\n", new.vault),
    );
    assert!(printed.contains("--accept-governance"), "{printed}");
    old.pass(&mut chain, &p, &printed);
    let mid = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(
        (mid.governance, mid.pending_governance),
        (old.vault, new.vault)
    );

    // the old multisig can no longer be the one that accepts
    let state = load_fund(&mut chain, &fund).unwrap();
    let accept = propose::accept_governance(fund, &state).unwrap();
    let e = submit::submit(
        &mut chain,
        &old.members[0],
        &SubmitTo::Squads {
            multisig: old.key,
            vault_index: 0,
        },
        &accept,
        &SendOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("not vault 0"), "{e}");

    new.pass(&mut chain, &accept, &propose::render(&accept));
    let after = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(after.governance, new.vault);
    assert!(!after.has_pending_governance());
    assert_eq!(after.governance_epoch, mid.governance_epoch + 1);

    // the new multisig governs: a tightening through it applies
    let (p, printed) = propose(&mut chain, fund, TIGHTEN);
    new.pass(&mut chain, &p, &printed);
    assert_eq!(load_fund(&mut chain, &fund).unwrap().min_liquid_bps, 6000);
}

#[test]
fn squads_rejected_or_cancelled_proposals_change_nothing() {
    let Some((mut chain, _payer, ms, fund)) = squads_fund() else {
        return;
    };
    let before = load_fund(&mut chain, &fund).unwrap();

    // rejected: with 2 of 2 required, one rejection decides
    let (p, printed) = propose(&mut chain, fund, TIGHTEN);
    let message = printed_squads_message(&printed);
    let s = ms.submit(&mut chain, &p);
    ok(ms.vote(&mut chain, s.index, 1, squads::Vote::Reject));
    assert!(matches!(
        ms.status(&mut chain, s.index),
        squads::ProposalStatus::Rejected { .. }
    ));
    assert_eq!(
        custom_error(&ms.execute(&mut chain, s.index, &message)),
        Some(squads::error::INVALID_PROPOSAL_STATUS)
    );

    // cancelled after approval: both members cancel
    let s = ms.submit(&mut chain, &p);
    ok(ms.vote(&mut chain, s.index, 1, squads::Vote::Approve));
    ok(ms.vote(&mut chain, s.index, 0, squads::Vote::Cancel));
    ok(ms.vote(&mut chain, s.index, 1, squads::Vote::Cancel));
    assert!(matches!(
        ms.status(&mut chain, s.index),
        squads::ProposalStatus::Cancelled { .. }
    ));
    assert_eq!(
        custom_error(&ms.execute(&mut chain, s.index, &message)),
        Some(squads::error::INVALID_PROPOSAL_STATUS)
    );

    let after = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(
        bytemuck::bytes_of(&*after),
        bytemuck::bytes_of(&*before),
        "the fund is unchanged"
    );
}

/// A proposal of `governance` executing `ixs` as they are (for instructions `ifund propose`
/// never prints: a loosening sent without its queue, `cancel_change`).
fn raw_proposal(fund: Pubkey, governance: Pubkey, ixs: Vec<Instruction>) -> Proposal {
    Proposal {
        fund,
        governance,
        timelock_secs: TIMELOCK_SECS,
        steps: ixs
            .into_iter()
            .map(|ix| propose::Step {
                title: "raw".into(),
                diff: vec![],
                effect: insurance_fund::timelock::ChangeEffect::Tightens,
                governance_ix: ix,
                execute: None,
                delay_secs: 0,
            })
            .collect(),
    }
}

#[test]
fn squads_cannot_skip_the_queue_and_can_cancel_what_it_queued() {
    let Some((mut chain, payer, ms, fund)) = squads_fund() else {
        return;
    };
    let before = load_fund(&mut chain, &fund).unwrap();

    // the loosening sent as itself: the vault transaction fails with the fund's error and
    // the proposal stays approved, the fund unchanged
    let mut rebalance = before.rebalance;
    rebalance.max_premium_bps = 400;
    let direct = raw_proposal(
        fund,
        ms.vault,
        vec![ix::set_rebalance_params(&fund, &ms.vault, rebalance)],
    );
    let s = ms.submit(&mut chain, &direct);
    ok(ms.vote(&mut chain, s.index, 1, squads::Vote::Approve));
    let r = ms.execute(&mut chain, s.index, &propose::squads_message(&direct));
    assert_eq!(
        r.fund_error()
            .as_deref()
            .map(|e| e.split(' ').next().unwrap()),
        Some("TimelockRequired"),
        "{}",
        r.logs.join("\n")
    );
    assert!(matches!(
        ms.status(&mut chain, s.index),
        squads::ProposalStatus::Approved { .. }
    ));
    assert_eq!(
        load_fund(&mut chain, &fund).unwrap().rebalance,
        before.rebalance
    );

    // queued through the multisig, then cancelled through it: the record's rent returns
    // to the vault and the change never executes
    let (p, printed) = propose(&mut chain, fund, LOOSEN);
    ms.pass(&mut chain, &p, &printed);
    let (pending, execute_ix) = p.steps[0].execute.clone().unwrap();
    let rent = chain.get_account(&pending).unwrap().unwrap().lamports;
    let vault_before = chain.get_account(&ms.vault).unwrap().unwrap().lamports;
    let cancel = raw_proposal(
        fund,
        ms.vault,
        vec![ix::cancel_change(&fund, &ms.vault, pending, ms.vault)],
    );
    ms.pass(&mut chain, &cancel, &propose::render(&cancel));
    assert!(chain.get_account(&pending).unwrap().is_none());
    assert_eq!(
        chain.get_account(&ms.vault).unwrap().unwrap().lamports,
        vault_before + rent
    );
    let now = chain.clock().unwrap().unix_timestamp;
    chain.set_time(now + i64::from(TIMELOCK_SECS)).unwrap();
    let keeper = funded(&mut chain, &payer);
    let mut execute_ix = execute_ix;
    for m in execute_ix.accounts.iter_mut().filter(|m| m.is_signer) {
        m.pubkey = keeper.pubkey();
    }
    let r = send(
        &mut chain,
        &keeper,
        &[],
        &[execute_ix],
        &SendOptions::default(),
    )
    .unwrap();
    // the record is gone: Anchor's AccountNotInitialized
    assert_eq!(
        custom_error(&r),
        Some(anchor_lang::error::ErrorCode::AccountNotInitialized as u32),
        "{}",
        r.logs.join("\n")
    );
    assert_eq!(
        load_fund(&mut chain, &fund).unwrap().rebalance,
        before.rebalance
    );
}

#[test]
fn submit_refuses_a_proposal_that_does_not_fit_in_a_transaction_and_sends_nothing() {
    let Some((mut chain, _payer, ms, fund)) = squads_fund() else {
        return;
    };
    let f = load_fund(&mut chain, &fund).unwrap();
    let bounds = |min_liquid_bps| insurance_fund::state::BoundsArgs {
        min_liquid_bps,
        max_price_age_secs: f.max_price_age_secs,
        max_pause_secs: f.max_pause_secs,
        timelock_secs: f.timelock_secs,
    };
    let ixs = (0..60)
        .map(|i| ix::set_bounds(&fund, &ms.vault, bounds(5000 + i)))
        .collect();
    let big = raw_proposal(fund, ms.vault, ixs);
    let last = |chain: &mut EmbeddedChain| {
        let a = chain.get_account(&ms.key).unwrap().unwrap();
        squads::multisig(&a.data).unwrap().transaction_index
    };
    let before = last(&mut chain);
    let e = submit::submit(
        &mut chain,
        &ms.members[0],
        &SubmitTo::Squads {
            multisig: ms.key,
            vault_index: 0,
        },
        &big,
        &SendOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("vault_transaction_create would be a ")
            && e.contains("over the 1232-byte limit: nothing was sent"),
        "{e}"
    );
    assert_eq!(last(&mut chain), before);
}

// ---------------------------------------------------------------------------------------
// SPL Governance

/// A DAO with one member holding every community token (so a vote decides at once), a
/// governance with a 60 % approval threshold and no hold-up, and its native treasury, funded.
struct Dao {
    realm: Pubkey,
    governance: Pubkey,
    treasury: Pubkey,
    member: Keypair,
}

fn dao(chain: &mut EmbeddedChain, payer: &Keypair) -> Dao {
    let program = spl::PROGRAM_ID;
    let member = funded(chain, payer);
    let community = mint(chain, payer, 0);
    // the member's token account, holding the whole supply
    let account = Keypair::new();
    let rent = chain
        .minimum_balance(spl_token::state::Account::LEN)
        .unwrap();
    let ixs = [
        system_instruction::create_account(
            &payer.pubkey(),
            &account.pubkey(),
            rent,
            spl_token::state::Account::LEN as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_account3(
            &spl_token::ID,
            &account.pubkey(),
            &community,
            &member.pubkey(),
        )
        .unwrap(),
        spl_token::instruction::mint_to(
            &spl_token::ID,
            &community,
            &account.pubkey(),
            &payer.pubkey(),
            &[],
            100,
        )
        .unwrap(),
    ];
    ok(send(chain, payer, &[&account], &ixs, &SendOptions::default()).unwrap());
    let name = "ifund test DAO";
    let realm = spl::realm_address(&program, name);
    let config = spl::GovernanceConfig {
        community_vote_threshold: spl::VoteThreshold::YesVotePercentage(60),
        min_community_weight_to_create_proposal: 1,
        min_transaction_hold_up_time: 0,
        voting_base_time: 3600,
        community_vote_tipping: spl::VoteTipping::Strict,
        council_vote_threshold: spl::VoteThreshold::Disabled,
        council_veto_vote_threshold: spl::VoteThreshold::Disabled,
        min_council_weight_to_create_proposal: 1,
        council_vote_tipping: spl::VoteTipping::Strict,
        community_veto_vote_threshold: spl::VoteThreshold::Disabled,
        voting_cool_off_time: 0,
        deposit_exempt_proposal_count: 10,
    };
    let governed = Pubkey::new_unique();
    let governance = spl::governance_address(&program, &realm, &governed);
    let m = member.pubkey();
    let realm_ix = spl::create_realm(
        &program,
        &payer.pubkey(),
        &community,
        &payer.pubkey(),
        name,
        1,
    );
    ok(send(chain, payer, &[], &[realm_ix], &SendOptions::default()).unwrap());
    let ixs = [
        spl::deposit_governing_tokens(&program, &realm, &community, &account.pubkey(), &m, 100),
        spl::create_governance(&program, &realm, &governed, &community, &m, config),
        spl::create_native_treasury(&program, &governance, &m),
    ];
    ok(send(chain, &member, &[], &ixs, &SendOptions::default()).unwrap());
    let treasury = spl::native_treasury_address(&program, &governance);
    transfer(chain, payer, &treasury, 1_000_000_000);
    Dao {
        realm,
        governance,
        treasury,
        member,
    }
}

impl Dao {
    /// `ifund propose --submit --spl-governance <governance>` by the member.
    fn submit(&self, chain: &mut EmbeddedChain, p: &Proposal) -> (Submitted, ProposalKeys) {
        let s = submit::submit(
            chain,
            &self.member,
            &SubmitTo::SplGovernance {
                program: spl::PROGRAM_ID,
                governance: self.governance,
                mint: None,
            },
            p,
            &SendOptions::default(),
        )
        .unwrap();
        let keys = s.spl_keys.expect("SPL Governance keys");
        assert_eq!((keys.realm, keys.governance), (self.realm, self.governance));
        (s, keys)
    }

    fn state(&self, chain: &mut EmbeddedChain, k: &ProposalKeys) -> spl::ProposalState {
        let a = chain
            .get_account(&k.proposal)
            .unwrap()
            .expect("the proposal");
        assert_eq!(a.owner, spl::PROGRAM_ID);
        spl::proposal_state(&a.data).expect("a ProposalV2")
    }

    fn vote(&self, chain: &mut EmbeddedChain, k: &ProposalKeys, vote: spl::Vote) -> TxResult {
        let ix = spl::cast_vote(k, &self.member.pubkey(), vote);
        send(chain, &self.member, &[], &[ix], &SendOptions::default()).unwrap()
    }

    /// `ExecuteTransaction` of each printed instruction, one second after the vote (the
    /// program wants the clock strictly past the hold-up time).
    fn execute(
        &self,
        chain: &mut EmbeddedChain,
        k: &ProposalKeys,
        printed: &[InstructionData],
    ) -> Vec<TxResult> {
        let now = chain.clock().unwrap().unix_timestamp;
        chain.set_time(now + 1).unwrap();
        printed
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let ix = spl::execute_transaction(k, i as u16, d);
                send(chain, &self.member, &[], &[ix], &SendOptions::default()).unwrap()
            })
            .collect()
    }

    /// The whole lifecycle: submit (create, insert, sign off), approve, execute.
    fn pass(&self, chain: &mut EmbeddedChain, p: &Proposal, printed: &str) {
        let data = printed_spl_instructions(printed);
        assert_eq!(
            data,
            propose::spl_governance_instructions(p),
            "what --submit inserts is what is printed"
        );
        let (s, k) = self.submit(chain, p);
        assert_eq!(s.index, data.len() as u64);
        assert_eq!(self.state(chain, &k), spl::ProposalState::Voting);
        ok(self.vote(chain, &k, spl::approve()));
        assert_eq!(self.state(chain, &k), spl::ProposalState::Succeeded);
        for r in self.execute(chain, &k, &data) {
            ok(r);
        }
        assert_eq!(self.state(chain, &k), spl::ProposalState::Completed);
    }
}

/// A fund governed by a DAO's native treasury: `ifund init` proposes the treasury, and the DAO
/// accepts through its own proposal (`ifund propose --accept-governance`).
fn dao_fund() -> Option<(EmbeddedChain, Keypair, Dao, Pubkey)> {
    let mut chain = start()?;
    let payer = chain.payer();
    let dao = dao(&mut chain, &payer);
    let fund = fund_proposing(&mut chain, &payer, &dao.treasury);
    let state = load_fund(&mut chain, &fund).unwrap();
    let p = propose::accept_governance(fund, &state).unwrap();
    dao.pass(&mut chain, &p, &propose::render(&p));
    let after = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(after.governance, dao.treasury);
    assert!(!after.has_pending_governance());
    Some((chain, payer, dao, fund))
}

#[test]
fn spl_governance_tightening_applies_when_the_proposal_executes() {
    let Some((mut chain, _payer, dao, fund)) = dao_fund() else {
        return;
    };
    let sol = load_fund(&mut chain, &fund).unwrap().assets[1].mint;
    let (p, printed) = propose(&mut chain, fund, &tighten_sol_cap(&sol));
    assert_eq!(p.steps.len(), 2);
    assert_eq!(
        config(&load_fund(&mut chain, &fund).unwrap()),
        (5000, 5000, 300)
    );
    dao.pass(&mut chain, &p, &printed);
    assert_eq!(
        config(&load_fund(&mut chain, &fund).unwrap()),
        (6000, 4500, 300)
    );
}

#[test]
fn spl_governance_loosening_is_queued_then_executes_after_the_timelock() {
    let Some((mut chain, payer, dao, fund)) = dao_fund() else {
        return;
    };
    let (p, printed) = propose(&mut chain, fund, LOOSEN);
    assert!(p.steps.iter().all(|s| s.execute.is_some()), "queued");
    dao.pass(&mut chain, &p, &printed);
    assert_eq!(
        config(&load_fund(&mut chain, &fund).unwrap()),
        (5000, 5000, 300)
    );
    execute_queued(&mut chain, &payer, &p);
    assert_eq!(
        config(&load_fund(&mut chain, &fund).unwrap()),
        (5000, 5000, 400)
    );
}

#[test]
fn spl_governance_hands_the_fund_to_a_squads_multisig() {
    let Some((mut chain, payer, dao, fund)) = dao_fund() else {
        return;
    };
    let ms = multisig(&mut chain, &payer);
    let (p, printed) = propose(
        &mut chain,
        fund,
        &format!("[governance]\nnew = \"{}\"\n", ms.vault),
    );
    dao.pass(&mut chain, &p, &printed);
    let mid = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(
        (mid.governance, mid.pending_governance),
        (dao.treasury, ms.vault)
    );
    let accept = propose::accept_governance(fund, &mid).unwrap();
    ms.pass(&mut chain, &accept, &propose::render(&accept));
    let after = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(after.governance, ms.vault);
    assert_eq!(after.governance_epoch, mid.governance_epoch + 1);

    // the DAO no longer governs: its treasury signing set_bounds is refused by the fund
    let bounds = insurance_fund::state::BoundsArgs {
        min_liquid_bps: 6000,
        max_price_age_secs: after.max_price_age_secs,
        max_pause_secs: after.max_pause_secs,
        timelock_secs: after.timelock_secs,
    };
    let stale = ix::set_bounds(&fund, &dao.treasury, bounds);
    let (_, k) = {
        let p = Proposal {
            fund,
            governance: dao.treasury,
            timelock_secs: after.timelock_secs,
            steps: vec![propose::Step {
                title: "set_bounds".into(),
                diff: vec![],
                effect: insurance_fund::timelock::ChangeEffect::Tightens,
                governance_ix: stale.clone(),
                execute: None,
                delay_secs: 0,
            }],
        };
        dao.submit(&mut chain, &p)
    };
    ok(dao.vote(&mut chain, &k, spl::approve()));
    let r = dao.execute(&mut chain, &k, &[InstructionData::from(&stale)]);
    assert_eq!(
        r[0].fund_error()
            .as_deref()
            .map(|e| e.split(' ').next().unwrap()),
        Some("NotGovernance"),
        "{}",
        r[0].logs.join("\n")
    );
    assert_eq!(load_fund(&mut chain, &fund).unwrap().min_liquid_bps, 5000);
}

#[test]
fn spl_governance_defeated_or_cancelled_proposals_change_nothing() {
    let Some((mut chain, _payer, dao, fund)) = dao_fund() else {
        return;
    };
    let before = load_fund(&mut chain, &fund).unwrap();
    let (p, printed) = propose(&mut chain, fund, TIGHTEN);
    let data = printed_spl_instructions(&printed);

    // defeated: the only member votes no
    let (_, k) = dao.submit(&mut chain, &p);
    ok(dao.vote(&mut chain, &k, spl::Vote::Deny));
    assert_eq!(dao.state(&mut chain, &k), spl::ProposalState::Defeated);
    for r in dao.execute(&mut chain, &k, &data) {
        assert_eq!(
            custom_error(&r),
            Some(spl::error::INVALID_STATE_CANNOT_EXECUTE_TRANSACTION)
        );
    }

    // cancelled by its owner while the vote is open
    let (_, k) = dao.submit(&mut chain, &p);
    let ix = spl::cancel_proposal(&k, &dao.member.pubkey());
    ok(send(&mut chain, &dao.member, &[], &[ix], &SendOptions::default()).unwrap());
    assert_eq!(dao.state(&mut chain, &k), spl::ProposalState::Cancelled);
    for r in dao.execute(&mut chain, &k, &data) {
        assert_eq!(
            custom_error(&r),
            Some(spl::error::INVALID_STATE_CANNOT_EXECUTE_TRANSACTION)
        );
    }

    let after = load_fund(&mut chain, &fund).unwrap();
    assert_eq!(
        bytemuck::bytes_of(&*after),
        bytemuck::bytes_of(&*before),
        "the fund is unchanged"
    );
}
