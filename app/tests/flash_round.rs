//! The keeper's flash-fill round (`keeper::round` with `swap_pools`) on the embedded runtime
//! with the real SPL Token Swap 3.0.0 beside the fund: a keeper holding nothing sells the
//! fund's over-weight LST through a constant-product pool and delivers USDC, in one
//! transaction planned, built and sent by the round itself (pools read from the chain, the
//! keeper's missing accounts created). A pool priced under the fund's ask gives no fill.
//!
//! Needs `target/deploy/spl_token_swap.so` (`scripts/test.sh` builds it before the tests).

use anchor_lang::prelude::Pubkey;
use ifund::chain::{load_fund, SendOptions};
use ifund::keeper::{round, KeeperAccounts, PlanParams, RoundOptions, RoundOutcome, Skip};
use ifund::scenario::Scenario;
use ifund::simulate::Sim;

#[path = "support/flash_fixture.rs"]
mod fixture;
use fixture::{create_pool, fills, keeper_holds, sim, vault_balances, SCENARIO};

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
        vault_balances(&mut self.sim, (&self.usdc.vault, &self.lst.vault))
    }

    /// The keeper's balance of `mint` (0 without an account).
    fn held(&mut self, mint: &Pubkey) -> u64 {
        keeper_holds(&mut self.sim, mint)
    }

    fn rounds(&mut self, hours: u64) -> RoundOutcome {
        rounds_until_action(&self.s, &mut self.sim, self.pool, hours)
    }

    fn fills(&mut self) -> u64 {
        fills(&mut self.sim, &self.fund_key)
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
