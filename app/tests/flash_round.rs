//! The keeper's flash-fill round (`keeper::round` with `swap_pools`) on the embedded runtime
//! with the real SPL Token Swap 3.0.0 beside the fund: a keeper holding nothing sells the
//! fund's over-weight LST through a constant-product pool and delivers USDC, in one
//! transaction planned, built and sent by the round itself (pools read from the chain, the
//! keeper's missing accounts created). A pool priced under the fund's ask gives no fill.
//!
//! Needs `target/deploy/spl_token_swap.so` (`scripts/test.sh` builds it before the tests).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::{instruction::Instruction, system_instruction};
use anchor_spl::token_2022::spl_token_2022 as t22;
use ifund::chain::{load_fund, send, Chain, EmbeddedChain, SendOptions};
use ifund::keeper::{round, KeeperAccounts, PlanParams, RoundOptions, RoundOutcome, Skip};
use ifund::scenario::Scenario;
use ifund::simulate::Sim;
use insurance_fund_client::amm::{self, Fees, PoolKeys, TOKEN_SWAP_PROGRAM_ID};
use insurance_fund_client::{decode, embedded, ix, pda};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::path::PathBuf;

const SCENARIO: &str = r#"
[simulation]
days = 2
seed = 3
initial_nav = 1000000

[fund]
min_liquid_bps = 1000
band_bps = 200
start_premium_bps = 5
max_premium_bps = 200
auction_duration_secs = 7200
rebalance_window_secs = 86400
max_volume_per_window = 10000000
premium_budget_per_window = 100000
min_trade_value = 10
draw_fund_cap_bps = 1000
draw_window_secs = 86400
approval_threshold = 100000

[[assets]]
name = "USDC"
token = "spl"
decimals = 6
class = "liquid"
oracle = "fixed"
price = 1.0
target_bps = 5000
max_weight_bps = 9500
initial_weight_bps = 2000

[[assets]]
name = "LST"
token = "spl"
decimals = 9
class = "yield-bearing"
oracle = "pyth"
price = 150.0
conf_bps = 3
annual_vol = 0.0
target_bps = 5000
max_weight_bps = 9000
initial_weight_bps = 8000

[[keepers]]
name = "k"
inventory = 0
min_profit = 0

[claimant]
max_per_shortfall = 1
max_per_window = 1
lifetime_max = 1
"#;

fn token_swap_so() -> PathBuf {
    let dir = std::env::var_os("SBF_OUT_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(|t| PathBuf::from(t).join("deploy")))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/deploy"));
    let so = dir.join("spl_token_swap.so");
    assert!(
        so.is_file(),
        "{} missing: build it with `../shared/sbf/build-registry-program.sh spl-token-swap 3.0.0 target/deploy` (scripts/test.sh does)",
        so.display()
    );
    so
}

/// The scenario's fund on a runtime with SPL Token Swap loaded.
fn sim(s: &Scenario) -> Sim {
    let mut pt = embedded::program_test();
    embedded::add_sbf_program(&mut pt, TOKEN_SWAP_PROGRAM_ID, &token_swap_so()).unwrap();
    Sim::setup_on(s, EmbeddedChain::start_with(pt).unwrap()).unwrap()
}

fn send_ok(chain: &mut EmbeddedChain, payer: &Keypair, signers: &[&Keypair], ixs: &[Instruction]) {
    let r = send(chain, payer, signers, ixs, &SendOptions::default()).unwrap();
    assert!(r.is_ok(), "{}\n{}", r.describe(), r.logs.join("\n"));
}

fn balance(chain: &mut EmbeddedChain, account: &Pubkey) -> u64 {
    let a = chain.get_account(account).unwrap().expect("token account");
    decode::token_account(&a.data).unwrap().amount
}

/// A constant-product pool of `lst` LST and `usdc` USDC (both minted by the runtime's payer,
/// every simulated mint's authority), with a 0.25 % trade fee.
fn create_pool(chain: &mut EmbeddedChain, mints: (Pubkey, Pubkey), lst: u64, usdc: u64) -> Pubkey {
    let payer = chain.payer();
    let spl = anchor_spl::token::ID;
    let swap = Keypair::new();
    let (authority, _) = amm::pool_authority(&swap.pubkey());
    let (mint_lst, mint_usdc) = mints;
    let reserve = |mint: &Pubkey| pda::associated_token_address(&authority, mint, &spl);
    let pool_mint = Keypair::new();
    let lp = Keypair::new().pubkey();
    let fee_account = pda::associated_token_address(&payer.pubkey(), &pool_mint.pubkey(), &spl);
    let destination = pda::associated_token_address(&lp, &pool_mint.pubkey(), &spl);
    let mint_rent = anchor_lang::prelude::Rent::default().minimum_balance(82);
    let pool_rent = anchor_lang::prelude::Rent::default().minimum_balance(amm::POOL_ACCOUNT_LEN);
    let mut ixs = vec![];
    for (mint, amount) in [(mint_lst, lst), (mint_usdc, usdc)] {
        ixs.push(ix::create_associated_token_account_idempotent(
            &payer.pubkey(),
            &authority,
            &mint,
            &spl,
        ));
        ixs.push(
            t22::instruction::mint_to(&spl, &mint, &reserve(&mint), &payer.pubkey(), &[], amount)
                .unwrap(),
        );
    }
    ixs.push(system_instruction::create_account(
        &payer.pubkey(),
        &pool_mint.pubkey(),
        mint_rent,
        82,
        &spl,
    ));
    ixs.push(
        t22::instruction::initialize_mint2(&spl, &pool_mint.pubkey(), &authority, None, 6).unwrap(),
    );
    send_ok(chain, &payer, &[&pool_mint], &ixs);
    let keys = PoolKeys {
        swap: swap.pubkey(),
        authority,
        token_a: reserve(&mint_lst),
        token_b: reserve(&mint_usdc),
        pool_mint: pool_mint.pubkey(),
        fee_account,
        token_program: spl,
    };
    let fees = Fees {
        trade_fee_numerator: 25,
        trade_fee_denominator: 10_000,
        ..Fees::default()
    };
    let ixs = [
        ix::create_associated_token_account_idempotent(
            &payer.pubkey(),
            &payer.pubkey(),
            &pool_mint.pubkey(),
            &spl,
        ),
        ix::create_associated_token_account_idempotent(
            &payer.pubkey(),
            &lp,
            &pool_mint.pubkey(),
            &spl,
        ),
        system_instruction::create_account(
            &payer.pubkey(),
            &swap.pubkey(),
            pool_rent,
            amm::POOL_ACCOUNT_LEN as u64,
            &TOKEN_SWAP_PROGRAM_ID,
        ),
        amm::initialize_ix(&keys, &destination, &fees),
    ];
    send_ok(chain, &payer, &[&swap], &ixs);
    swap.pubkey()
}

/// Rounds at hourly steps (prices republished, the auction's premium rising) until the round
/// is not a skip; returns that outcome.
fn rounds_until_action(s: &Scenario, sim: &mut Sim, pool: Pubkey, hours: u64) -> RoundOutcome {
    let fund_key = sim.fund_key();
    let oracles = sim.oracle_accounts();
    let prices =
        move |k: usize, _: &insurance_fund::state::Asset| oracles.get(k).copied().flatten();
    let keeper = KeeperAccounts {
        signer: sim.keeper(0).signer.insecure_clone(),
        token_accounts: sim.keeper(0).token_accounts.clone(),
    };
    let opts = RoundOptions {
        send: SendOptions::default(),
        params: PlanParams {
            cost: 0,
            min_profit: 0,
        },
        dry_run: false,
        crank: true,
        swap_pools: vec![pool],
        jupiter: None,
    };
    let mut last = None;
    for step in 1..=hours {
        sim.advance(s, step).unwrap();
        let (crank, outcome) = round(sim.chain(), &fund_key, &keeper, &prices, &opts).unwrap();
        assert!(crank.unwrap().is_ok());
        match outcome {
            RoundOutcome::SkippedBoth { .. } => last = Some(outcome),
            other => return other,
        }
    }
    last.expect("at least one round")
}

/// The scenario's fund (its USDC and LST assets) beside a pool of 2,000 LST at
/// `usdc_per_lst` USDC each.
struct World {
    s: Scenario,
    sim: Sim,
    fund_key: Pubkey,
    usdc: insurance_fund::state::Asset,
    lst: insurance_fund::state::Asset,
    pool: Pubkey,
}

impl World {
    fn new(usdc_per_lst: u64) -> Self {
        let s = Scenario::parse(SCENARIO, "flash_round").unwrap();
        let mut sim = sim(&s);
        let fund_key = sim.fund_key();
        let fund = load_fund(sim.chain(), &fund_key).unwrap();
        let (usdc, lst) = (fund.assets[0], fund.assets[1]);
        let pool = create_pool(
            sim.chain(),
            (lst.mint, usdc.mint),
            2_000_000_000_000,
            2_000 * usdc_per_lst * 1_000_000,
        );
        Self {
            s,
            sim,
            fund_key,
            usdc,
            lst,
            pool,
        }
    }

    fn vaults(&mut self) -> (u64, u64) {
        (
            balance(self.sim.chain(), &self.usdc.vault),
            balance(self.sim.chain(), &self.lst.vault),
        )
    }

    /// The keeper's balance of `mint` (0 without an account).
    fn held(&mut self, mint: &Pubkey) -> u64 {
        let keeper = self.sim.keeper(0).signer.pubkey();
        let a = pda::associated_token_address(&keeper, mint, &anchor_spl::token::ID);
        self.sim
            .chain()
            .get_account(&a)
            .unwrap()
            .map_or(0, |acc| decode::token_account(&acc.data).unwrap().amount)
    }

    fn rounds(&mut self, hours: u64) -> RoundOutcome {
        rounds_until_action(&self.s, &mut self.sim, self.pool, hours)
    }

    fn fills(&mut self) -> u64 {
        load_fund(self.sim.chain(), &self.fund_key)
            .unwrap()
            .rebalance_state
            .fills
    }
}

#[test]
fn a_keeper_holding_nothing_flash_fills_through_the_pool() {
    // the pool at the market price, 150 USDC per LST
    let mut w = World::new(150);
    let (usdc, lst) = (w.usdc.mint, w.lst.mint);
    assert_eq!((w.held(&usdc), w.held(&lst)), (0, 0));
    let before = w.vaults();
    match w.rounds(3) {
        RoundOutcome::FlashFilled { plan, tx } => {
            assert!(tx.is_ok());
            assert_eq!((plan.asset_in, plan.asset_out, plan.pool), (0, 1, 0));
            let vaults = w.vaults();
            assert_eq!(vaults.0, before.0 + plan.delivered);
            assert_eq!(vaults.1, before.1 - plan.quote.amount_out);
            // the keeper kept the pool's output over what it delivered, and no LST
            assert_eq!(w.held(&usdc), plan.swap_out - plan.delivered);
            assert_eq!(w.held(&lst), 0);
            assert!(plan.expected_profit >= 0);
            assert_eq!(w.fills(), 1);
            let f = load_fund(w.sim.chain(), &w.fund_key).unwrap();
            assert_eq!(
                (f.assets[0].booked_balance, f.assets[1].booked_balance),
                vaults
            );
        }
        other => panic!("expected a flash fill, got {other:?}"),
    }
}

#[test]
fn a_pool_under_the_funds_ask_gives_no_flash_fill() {
    // LST at 140 USDC in the pool, 6.7 % under the oracle: no premium within 200 bps pays
    let mut w = World::new(140);
    let before = w.vaults();
    match w.rounds(3) {
        RoundOutcome::SkippedBoth {
            inventory: Skip::NoInventory,
            flash: Skip::Unprofitable { best_profit, .. },
        } => assert!(best_profit < 0),
        other => panic!("expected no fill, got {other:?}"),
    }
    assert_eq!(w.vaults(), before);
    assert_eq!(w.fills(), 0);
}
