//! The flash-fill tests' world (`flash_round.rs`, `flash_jupiter.rs`): a two-asset fund
//! (USDC, an LST) simulated on the embedded runtime with the real SPL Token Swap 3.0.0 beside
//! it, and a constant-product pool of the two.
//!
//! Needs `target/deploy/spl_token_swap.so` (`scripts/test.sh` builds it before the tests).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::{instruction::Instruction, system_instruction};
use anchor_spl::token_2022::spl_token_2022 as t22;
use ifund::chain::{send, Chain, EmbeddedChain, SendOptions};
use ifund::scenario::Scenario;
use ifund::simulate::Sim;
use insurance_fund_client::amm::{self, Fees, PoolKeys, TOKEN_SWAP_PROGRAM_ID};
use insurance_fund_client::{decode, embedded, ix, pda};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::path::PathBuf;

pub const SCENARIO: &str = r#"
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

pub fn token_swap_so() -> PathBuf {
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
pub fn sim(s: &Scenario) -> Sim {
    let mut pt = embedded::program_test();
    embedded::add_sbf_program(&mut pt, TOKEN_SWAP_PROGRAM_ID, &token_swap_so()).unwrap();
    Sim::setup_on(s, EmbeddedChain::start_with(pt).unwrap()).unwrap()
}

pub fn send_ok(
    chain: &mut EmbeddedChain,
    payer: &Keypair,
    signers: &[&Keypair],
    ixs: &[Instruction],
) {
    let r = send(chain, payer, signers, ixs, &SendOptions::default()).unwrap();
    assert!(r.is_ok(), "{}\n{}", r.describe(), r.logs.join("\n"));
}

/// The first keeper's balance of `mint` in its associated account (0 without one).
pub fn keeper_holds(sim: &mut Sim, mint: &Pubkey) -> u64 {
    let keeper = sim.keeper(0).signer.pubkey();
    let a = pda::associated_token_address(&keeper, mint, &anchor_spl::token::ID);
    sim.chain()
        .get_account(&a)
        .unwrap()
        .map_or(0, |acc| decode::token_account(&acc.data).unwrap().amount)
}

/// The token balances of two vaults (the fund's USDC and LST vaults in these tests).
pub fn vault_balances(sim: &mut Sim, vaults: (&Pubkey, &Pubkey)) -> (u64, u64) {
    (
        balance(sim.chain(), vaults.0),
        balance(sim.chain(), vaults.1),
    )
}

/// The fills the fund has booked.
pub fn fills(sim: &mut Sim, fund: &Pubkey) -> u64 {
    ifund::chain::load_fund(sim.chain(), fund)
        .unwrap()
        .rebalance_state
        .fills
}

pub fn balance(chain: &mut EmbeddedChain, account: &Pubkey) -> u64 {
    let a = chain.get_account(account).unwrap().expect("token account");
    decode::token_account(&a.data).unwrap().amount
}

/// A constant-product pool of `lst` LST and `usdc` USDC (both minted by the runtime's payer,
/// every simulated mint's authority), with a 0.25 % trade fee.
pub fn create_pool(
    chain: &mut EmbeddedChain,
    mints: (Pubkey, Pubkey),
    lst: u64,
    usdc: u64,
) -> Pubkey {
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
