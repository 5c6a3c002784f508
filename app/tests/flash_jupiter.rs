//! Flash fills through the aggregator interface (`ifund keeper --jupiter-url`), without a
//! network: a mock of Jupiter's Swap API v6 (a `TcpListener` on 127.0.0.1 answering
//! `/quote` and `/swap-instructions` in the API's JSON format) whose quotes are an embedded
//! SPL Token Swap pool's own arithmetic and whose swap instruction is a REAL swap against
//! that pool, with the pool's accounts in an address lookup table. The keeper's round plans
//! through `route::jupiter::Jupiter`, builds the v0 transaction and the embedded runtime
//! executes it: the fund's vault receives the delivery and the keeper keeps its profit.
//! A quote returning too little is a logged skip; an HTTP error or malformed JSON is a clear
//! error, not a panic, and moves nothing.
//!
//! The fixture (scenario, runtime, pool) is `support/flash_fixture.rs`, shared with
//! `flash_round.rs`.
//! Needs `target/deploy/spl_token_swap.so` (`scripts/test.sh` builds it before the tests).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use base64::Engine as _;
use ifund::chain::{load_fund, EmbeddedChain, SendOptions};
use ifund::keeper::{
    round, JupiterOptions, KeeperAccounts, PlanParams, RoundOptions, RoundOutcome, Skip,
};
use ifund::route::PoolView;
use ifund::scenario::Scenario;
use ifund::simulate::Sim;
use insurance_fund_client::amm;
use insurance_fund_client::{ix, pda};
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[path = "support/flash_fixture.rs"]
mod fixture;
use fixture::{create_pool, fills, keeper_holds, sim, vault_balances, SCENARIO};

// ---------------------------------------------------------------------------------------
// The mock of Jupiter's Swap API v6
// ---------------------------------------------------------------------------------------

/// How the mock answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// As the pool would: `outAmount` is the pool's exact output.
    Honest,
    /// Quotes half the pool's output (a route returning too little).
    Stingy,
    /// `/quote` answers HTTP 500.
    ServerError,
    /// `/quote` answers something that is not JSON.
    Garbage,
    /// `/quote` answers HTTP 400 with the API's "no route" error code.
    NoRoute,
    /// `/quote` honest, `/swap-instructions` answers JSON of another shape.
    BadInstructions,
}

struct MockState {
    pool: PoolView,
    lookup_table: Pubkey,
    mode: Mode,
    requests: Vec<String>,
}

/// A Jupiter Swap API mock on 127.0.0.1: returns its base URL. It serves until the test ends.
fn serve(state: Arc<Mutex<MockState>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (method, target) = (
                parts.next().unwrap_or("").to_string(),
                parts.next().unwrap_or("").to_string(),
            );
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let (status, answer) = answer(
                &mut state.lock().unwrap(),
                &method,
                &target,
                &String::from_utf8_lossy(&body),
            );
            let reason = if status == 200 { "OK" } else { "Error" };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

fn query(target: &str) -> std::collections::HashMap<String, String> {
    target
        .split_once('?')
        .map_or("", |(_, q)| q)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn key(v: &Value) -> Pubkey {
    v.as_str().unwrap().parse().unwrap()
}

fn num(v: &Value) -> u64 {
    v.as_str().unwrap().parse().unwrap()
}

/// An instruction in the API's JSON form.
fn api_ix(ix: &Instruction) -> Value {
    json!({
        "programId": ix.program_id.to_string(),
        "accounts": ix.accounts.iter().map(|a| json!({
            "pubkey": a.pubkey.to_string(),
            "isSigner": a.is_signer,
            "isWritable": a.is_writable,
        })).collect::<Vec<_>>(),
        "data": base64::engine::general_purpose::STANDARD.encode(&ix.data),
    })
}

fn answer(s: &mut MockState, method: &str, target: &str, body: &str) -> (u16, String) {
    s.requests.push(format!("{method} {target}"));
    let path = target.split('?').next().unwrap_or("");
    match (method, path, s.mode) {
        ("GET", "/quote", Mode::ServerError) => (500, r#"{"error":"internal"}"#.into()),
        ("GET", "/quote", Mode::Garbage) => (200, "<html>not a quote</html>".into()),
        ("GET", "/quote", Mode::NoRoute) => (
            400,
            r#"{"error":"Could not find any route","errorCode":"COULD_NOT_FIND_ANY_ROUTE"}"#.into(),
        ),
        ("GET", "/quote", mode) => {
            let q = query(target);
            let (mint_in, mint_out): (Pubkey, Pubkey) = (
                q["inputMint"].parse().unwrap(),
                q["outputMint"].parse().unwrap(),
            );
            let amount: u64 = q["amount"].parse().unwrap();
            let slippage: u64 = q["slippageBps"].parse().unwrap();
            assert_eq!(
                q["maxAccounts"], "40",
                "the keeper leaves room for its instructions"
            );
            let Some(direction) = s.pool.direction(&mint_in, &mint_out) else {
                return (400, r#"{"error":"no route"}"#.into());
            };
            let mut out = s.pool.quote(direction, amount).map_or(0, |q| q.amount_out);
            if mode == Mode::Stingy {
                out /= 2;
            }
            let threshold = out - out * slippage / 10_000;
            let quote = json!({
                "inputMint": mint_in.to_string(),
                "inAmount": amount.to_string(),
                "outputMint": mint_out.to_string(),
                "outAmount": out.to_string(),
                "otherAmountThreshold": threshold.to_string(),
                "swapMode": "ExactIn",
                "slippageBps": slippage,
                "platformFee": null,
                "priceImpactPct": "0",
                "routePlan": [{
                    "swapInfo": {
                        "ammKey": s.pool.state.keys.swap.to_string(),
                        "label": "Token Swap",
                        "inputMint": mint_in.to_string(),
                        "outputMint": mint_out.to_string(),
                        "inAmount": amount.to_string(),
                        "outAmount": out.to_string(),
                        "feeAmount": "0",
                        "feeMint": mint_in.to_string(),
                    },
                    "percent": 100,
                }],
                "contextSlot": 1,
                "timeTaken": 0.001,
            });
            (200, quote.to_string())
        }
        ("POST", "/swap-instructions", Mode::BadInstructions) => {
            (200, r#"{"swapInstruction": 5}"#.into())
        }
        ("POST", "/swap-instructions", _) => {
            let req: Value = serde_json::from_str(body).unwrap();
            assert_eq!(req["wrapAndUnwrapSol"], json!(false));
            let quote = &req["quoteResponse"];
            let user = key(&req["userPublicKey"]);
            let (mint_in, mint_out) = (key(&quote["inputMint"]), key(&quote["outputMint"]));
            let spl = anchor_spl::token::ID;
            let source = pda::associated_token_address(&user, &mint_in, &spl);
            let destination = key(&req["destinationTokenAccount"]);
            let direction = s.pool.direction(&mint_in, &mint_out).unwrap();
            let swap = amm::swap_ix(
                &s.pool.state.keys,
                direction,
                &user,
                &source,
                &destination,
                num(&quote["inAmount"]),
                num(&quote["otherAmountThreshold"]),
            );
            let setup =
                ix::create_associated_token_account_idempotent(&user, &user, &mint_out, &spl);
            let answer = json!({
                "tokenLedgerInstruction": null,
                // the keeper sets its own budget: these must be left out
                "computeBudgetInstructions": [api_ix(
                    &solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(1_400_000),
                )],
                "setupInstructions": [api_ix(&setup)],
                "swapInstruction": api_ix(&swap),
                "cleanupInstruction": null,
                "otherInstructions": [],
                "addressLookupTableAddresses": [s.lookup_table.to_string()],
                "prioritizationFeeLamports": 0,
            });
            (200, answer.to_string())
        }
        _ => (404, r#"{"error":"not found"}"#.into()),
    }
}

/// An address lookup table holding `addresses`, written straight into the bank (active, not
/// deactivating, extended at slot 0): the program's layout, a 56-byte header then the keys.
fn lookup_table(chain: &mut EmbeddedChain, addresses: &[Pubkey]) -> Pubkey {
    let key = Keypair::new().pubkey();
    let mut data = vec![0u8; 56];
    data[0..4].copy_from_slice(&1u32.to_le_bytes()); // ProgramState::LookupTable
    data[4..12].copy_from_slice(&u64::MAX.to_le_bytes()); // deactivation_slot: never
    for a in addresses {
        data.extend_from_slice(a.as_ref());
    }
    let lamports = anchor_lang::prelude::Rent::default().minimum_balance(data.len());
    chain.set_account(
        &key,
        solana_account::Account {
            lamports,
            data,
            owner: anchor_lang::pubkey!("AddressLookupTab1e1111111111111111111111111"),
            executable: false,
            rent_epoch: 0,
        },
    );
    key
}

// ---------------------------------------------------------------------------------------
// The world: the fund, the pool, the mock
// ---------------------------------------------------------------------------------------

struct World {
    s: Scenario,
    sim: Sim,
    fund_key: Pubkey,
    usdc: insurance_fund::state::Asset,
    lst: insurance_fund::state::Asset,
    mock: Arc<Mutex<MockState>>,
    url: String,
}

impl World {
    /// The fund beside a pool of 2,000 LST at `usdc_per_lst` USDC, and the mock quoting it.
    fn new(usdc_per_lst: u64, mode: Mode) -> Self {
        let s = Scenario::parse(SCENARIO, "flash_jupiter").unwrap();
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
        let view = ifund::route::load_pools(sim.chain(), &[pool]).unwrap()[0];
        let k = view.state.keys;
        let table = lookup_table(
            sim.chain(),
            &[
                k.swap,
                k.authority,
                k.token_a,
                k.token_b,
                k.pool_mint,
                k.fee_account,
            ],
        );
        let mock = Arc::new(Mutex::new(MockState {
            pool: view,
            lookup_table: table,
            mode,
            requests: vec![],
        }));
        let url = serve(mock.clone());
        Self {
            s,
            sim,
            fund_key,
            usdc,
            lst,
            mock,
            url,
        }
    }

    fn vaults(&mut self) -> (u64, u64) {
        vault_balances(&mut self.sim, (&self.usdc.vault, &self.lst.vault))
    }

    /// The keeper's balance of `mint` (0 without an account).
    fn held(&mut self, mint: &Pubkey) -> u64 {
        keeper_holds(&mut self.sim, mint)
    }

    fn fills(&mut self) -> u64 {
        fills(&mut self.sim, &self.fund_key)
    }

    /// Keeper rounds through the mock at hourly steps (prices republished, the auction's
    /// premium rising) until one is not a skip or fails; returns that (or the last skip).
    fn rounds(&mut self, hours: u64) -> anyhow::Result<RoundOutcome> {
        let fund_key = self.fund_key;
        let oracles = self.sim.oracle_accounts();
        let prices =
            move |k: usize, _: &insurance_fund::state::Asset| oracles.get(k).copied().flatten();
        let keeper = KeeperAccounts {
            signer: self.sim.keeper(0).signer.insecure_clone(),
            token_accounts: self.sim.keeper(0).token_accounts.clone(),
        };
        let opts = RoundOptions {
            send: SendOptions::default(),
            params: PlanParams {
                cost: 0,
                min_profit: 0,
            },
            dry_run: false,
            crank: true,
            swap_pools: vec![],
            jupiter: Some(JupiterOptions {
                url: self.url.clone(),
                slippage_bps: 50,
            }),
        };
        let mut last = None;
        for step in 1..=hours {
            self.sim.advance(&self.s, step).unwrap();
            let (crank, outcome) = round(self.sim.chain(), &fund_key, &keeper, &prices, &opts)?;
            assert!(crank.unwrap().is_ok());
            match outcome {
                RoundOutcome::SkippedBoth { .. } => last = Some(outcome),
                other => return Ok(other),
            }
        }
        Ok(last.expect("at least one round"))
    }

    fn requests(&self) -> Vec<String> {
        self.mock.lock().unwrap().requests.clone()
    }
}

#[test]
fn a_keeper_holding_nothing_flash_fills_through_the_aggregator() {
    // the pool a little over the market price, 152 USDC per LST: the route pays the premium,
    // the pool's fee and the quote's 50 bps slippage allowance
    let mut w = World::new(152, Mode::Honest);
    let (usdc, lst) = (w.usdc.mint, w.lst.mint);
    assert_eq!((w.held(&usdc), w.held(&lst)), (0, 0));
    let before = w.vaults();
    match w.rounds(4).unwrap() {
        RoundOutcome::FlashFilled { plan, tx } => {
            assert!(tx.is_ok(), "{}\n{}", tx.describe(), tx.logs.join("\n"));
            assert_eq!((plan.asset_in, plan.asset_out), (0, 1));
            assert!(matches!(
                plan.route.detail,
                ifund::route::RouteDetail::Aggregator(_)
            ));
            // the plan counts on the quote less its slippage, and delivers within it
            assert_eq!(plan.route.amount_in, plan.quote.amount_out);
            assert_eq!(
                plan.route.min_out,
                plan.swap_out - plan.swap_out * 50 / 10_000
            );
            assert!(plan.delivered <= plan.route.min_out);
            assert!(plan.expected_profit >= 0);
            // the vault received the delivery and lent the LST
            let vaults = w.vaults();
            assert_eq!(vaults.0, before.0 + plan.delivered);
            assert_eq!(vaults.1, before.1 - plan.quote.amount_out);
            // the pool paid what it quoted; the keeper kept the rest, and of the LST only what
            // the pool's rounding did not take (`SwapQuote::source_taken`)
            assert_eq!(w.held(&usdc), plan.swap_out - plan.delivered);
            assert!(w.held(&usdc) > 0);
            let pool = w.mock.lock().unwrap().pool;
            let taken = pool
                .quote(amm::Direction::AToB, plan.route.amount_in)
                .unwrap()
                .source_taken;
            assert_eq!(w.held(&lst), plan.route.amount_in - taken);
            assert_eq!(w.fills(), 1);
            let f = load_fund(w.sim.chain(), &w.fund_key).unwrap();
            assert_eq!(
                (f.assets[0].booked_balance, f.assets[1].booked_balance),
                vaults
            );
            // the route's accounts came from the lookup table: the table reads back, and a v0
            // message of the swap looks the pool's accounts up in it
            let (table, pool) = {
                let m = w.mock.lock().unwrap();
                (m.lookup_table, m.pool)
            };
            let tables = ifund::chain::load_lookup_tables(w.sim.chain(), &[table]).unwrap();
            assert_eq!(tables[0].addresses[0], pool.state.keys.swap);
            assert_eq!(tables[0].addresses.len(), 6);
            let me = w.sim.keeper(0).signer.pubkey();
            let swap = amm::swap_ix(
                &pool.state.keys,
                amm::Direction::AToB,
                &me,
                &Pubkey::new_unique(),
                &Pubkey::new_unique(),
                1,
                1,
            );
            let m =
                solana_message::v0::Message::try_compile(&me, &[swap], &tables, Default::default())
                    .unwrap();
            assert_eq!(m.address_table_lookups.len(), 1);
            // a few quotes sized it, then one swap-instructions request built it
            let requests = w.requests();
            let quotes = requests
                .iter()
                .filter(|r| r.starts_with("GET /quote?"))
                .count();
            assert!(
                (1..=ifund::route::jupiter::PROBES_PER_PAIR).contains(&quotes),
                "{requests:?}"
            );
            assert_eq!(
                requests.last().map(String::as_str),
                Some("POST /swap-instructions")
            );
        }
        other => panic!("expected a flash fill, got {other:?}"),
    }
}

#[test]
fn a_quote_returning_too_little_is_skipped_with_its_reason() {
    let mut w = World::new(152, Mode::Stingy);
    let before = w.vaults();
    match w.rounds(3).unwrap() {
        RoundOutcome::SkippedBoth {
            inventory: Skip::NoInventory,
            flash: flash @ Skip::Unprofitable { best_profit, .. },
        } => {
            assert!(best_profit < 0);
            assert!(flash.to_string().contains("below the minimum"), "{flash}");
        }
        other => panic!("expected an unprofitable skip, got {other:?}"),
    }
    assert_eq!(w.vaults(), before);
    assert_eq!(w.fills(), 0);
    assert!(!w.requests().iter().any(|r| r.starts_with("POST")));
}

#[test]
fn an_aggregator_without_a_route_is_a_no_route_skip_not_a_failure() {
    let mut w = World::new(152, Mode::NoRoute);
    let before = w.vaults();
    match w.rounds(3).unwrap() {
        RoundOutcome::SkippedBoth {
            flash: flash @ Skip::NoRoute,
            ..
        } => assert_eq!(
            flash.to_string(),
            "no pool or route trades an open pair (flash fills)"
        ),
        other => panic!("expected a no-route skip, got {other:?}"),
    }
    assert_eq!(w.vaults(), before);
    assert_eq!(w.fills(), 0);
    // the keeper asked for quotes and stopped there
    assert!(w.requests().iter().any(|r| r.starts_with("GET /quote")));
    assert!(!w.requests().iter().any(|r| r.starts_with("POST")));
}

#[test]
fn an_http_error_or_malformed_json_is_a_clear_error_not_a_panic() {
    for (mode, expect) in [(Mode::ServerError, "HTTP 500"), (Mode::Garbage, "not JSON")] {
        let mut w = World::new(152, mode);
        let before = w.vaults();
        match w.rounds(1).unwrap() {
            RoundOutcome::SkippedBoth {
                flash: Skip::QuoteFailed(e),
                ..
            } => {
                assert!(e.contains(expect) && e.contains(&w.url), "{mode:?}: {e}");
                let shown = Skip::QuoteFailed(e).to_string();
                assert!(
                    shown.starts_with("the quote source failed: Jupiter quote at"),
                    "{shown}"
                );
            }
            other => panic!("{mode:?}: expected a failed quote, got {other:?}"),
        }
        assert_eq!(w.vaults(), before);
    }
    // swap instructions in another shape: the round fails with the reason, nothing is sent
    let mut w = World::new(152, Mode::BadInstructions);
    let before = w.vaults();
    let e = w.rounds(4).unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.contains("building the swap through Jupiter at")
            && msg.contains("not a SwapInstructionsResponse"),
        "{msg}"
    );
    assert_eq!(w.vaults(), before);
    assert_eq!(w.fills(), 0);
}
