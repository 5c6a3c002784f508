//! A real AMM beside the fund: SPL Token Swap 3.0.0 (the published crate, built for the
//! Solana VM by `../shared/sbf/build-registry-program.sh spl-token-swap 3.0.0 target/deploy`;
//! `scripts/test.sh` builds it when missing) loaded as an SBF program in both test modes,
//! and constant-product pools made through its own `Initialize`.
//!
//! Instruction encoders and the swap quote are `insurance_fund_client::amm` (shared with the
//! keeper).

use crate::runtime::{new_keypair, program_test, TestContext};
use crate::token::{TestMint, TokenKind};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::{
    instruction::Instruction, program_pack::Pack, system_instruction,
};
use anchor_spl::token_2022::spl_token_2022::{self as t22, state::Mint as MintState};
use insurance_fund_client::amm::{self, Direction, Fees, PoolKeys, SwapQuote};
use insurance_fund_client::embedded::add_sbf_program;
use solana_program_test::ProgramTest;
use solana_signer::Signer;
use std::path::PathBuf;

pub use insurance_fund_client::amm::TOKEN_SWAP_PROGRAM_ID;

/// The file the registry build writes.
pub const TOKEN_SWAP_SO: &str = "spl_token_swap.so";

/// Where `spl_token_swap.so` is: `SBF_OUT_DIR`/`BPF_OUT_DIR` (SBF mode sets one), else
/// `$CARGO_TARGET_DIR/deploy`, else the workspace's `target/deploy`. Panics naming the build
/// command when it is in none of them.
pub fn token_swap_so() -> PathBuf {
    let mut dirs: Vec<PathBuf> = ["SBF_OUT_DIR", "BPF_OUT_DIR"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .collect();
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        dirs.push(PathBuf::from(target).join("deploy"));
    }
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/deploy"));
    dirs.iter()
        .map(|d| d.join(TOKEN_SWAP_SO))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{TOKEN_SWAP_SO} not found in {dirs:?}: build it with \
                 `../shared/sbf/build-registry-program.sh spl-token-swap 3.0.0 target/deploy` \
                 (scripts/test.sh does when it is missing)"
            )
        })
}

/// The suite's `ProgramTest` (the fund in the selected mode) plus SPL Token Swap as an SBF
/// program: written as an executable account of the BPF loader
/// (`insurance_fund_client::embedded::add_sbf_program`), as `ProgramTest::add_program` does for
/// a `.so`, which it only does when the whole test prefers SBF.
pub fn program_test_with_amm() -> ProgramTest {
    let mut pt = program_test();
    add_sbf_program(&mut pt, TOKEN_SWAP_PROGRAM_ID, &token_swap_so())
        .expect("read spl_token_swap.so");
    pt
}

/// A constant-product pool of two SPL Token mints, made through the program's `Initialize`.
#[derive(Clone, Copy, Debug)]
pub struct Pool {
    pub keys: PoolKeys,
    pub mint_a: TestMint,
    pub mint_b: TestMint,
    pub fees: Fees,
    /// Holds the initial pool tokens (the liquidity provider).
    pub lp_account: Pubkey,
}

/// 0.25 % kept by the liquidity providers and 0.05 % for the owner (in pool tokens): the
/// fee split of the crate's own production constraints, with a trade fee added.
pub fn default_fees() -> Fees {
    Fees {
        trade_fee_numerator: 25,
        trade_fee_denominator: 10_000,
        owner_trade_fee_numerator: 5,
        owner_trade_fee_denominator: 10_000,
        ..Fees::default()
    }
}

impl TestContext {
    /// A pool holding `reserve_a` of `mint_a` and `reserve_b` of `mint_b` (minted by the
    /// payer, every harness mint's authority), with `fees`. The pool mint, fee account and
    /// liquidity provider's account are made here; the payer owns the latter two.
    pub async fn create_pool(
        &mut self,
        mint_a: TestMint,
        mint_b: TestMint,
        reserve_a: u64,
        reserve_b: u64,
        fees: Fees,
    ) -> Pool {
        assert!(
            mint_a.kind == TokenKind::Spl && mint_b.kind == TokenKind::Spl,
            "SPL Token Swap 3.0.0 supports SPL Token mints only"
        );
        let swap = new_keypair();
        let (authority, _) = amm::pool_authority(&swap.pubkey());
        let token_a = self
            .funded_token_account(&mint_a, &authority, reserve_a)
            .await;
        let token_b = self
            .funded_token_account(&mint_b, &authority, reserve_b)
            .await;
        let pool_mint = self.create_mint_with_authority(&authority, 6).await;
        let payer = self.payer_key();
        let fee_account = self.create_token_account(&pool_mint, &payer).await;
        let lp_account = self.create_token_account(&pool_mint, &payer).await;
        let keys = PoolKeys {
            swap: swap.pubkey(),
            authority,
            token_a,
            token_b,
            pool_mint: pool_mint.key,
            fee_account,
            token_program: anchor_spl::token::ID,
        };
        let rent = self.rent_exempt(amm::POOL_ACCOUNT_LEN).await;
        let ixs = [
            system_instruction::create_account(
                &payer,
                &swap.pubkey(),
                rent,
                amm::POOL_ACCOUNT_LEN as u64,
                &TOKEN_SWAP_PROGRAM_ID,
            ),
            amm::initialize_ix(&keys, &lp_account, &fees),
        ];
        self.send_ok(&ixs, &[&swap]).await;
        Pool {
            keys,
            mint_a,
            mint_b,
            fees,
            lp_account,
        }
    }

    /// An SPL Token mint whose mint authority is `authority` (no freeze authority).
    pub async fn create_mint_with_authority(
        &mut self,
        authority: &Pubkey,
        decimals: u8,
    ) -> TestMint {
        let mint = new_keypair();
        let program = anchor_spl::token::ID;
        let rent = self.rent_exempt(MintState::LEN).await;
        let ixs = [
            system_instruction::create_account(
                &self.payer_key(),
                &mint.pubkey(),
                rent,
                MintState::LEN as u64,
                &program,
            ),
            t22::instruction::initialize_mint2(&program, &mint.pubkey(), authority, None, decimals)
                .unwrap(),
        ];
        self.send_ok(&ixs, &[&mint]).await;
        TestMint {
            key: mint.pubkey(),
            kind: TokenKind::Spl,
            decimals,
        }
    }

    /// The pool's reserves `(a, b)`, read from its token accounts.
    pub async fn pool_reserves(&mut self, pool: &Pool) -> (u64, u64) {
        (
            self.token_balance(&pool.keys.token_a).await,
            self.token_balance(&pool.keys.token_b).await,
        )
    }

    /// The pool mint's supply.
    pub async fn pool_supply(&mut self, pool: &Pool) -> u64 {
        let data = self.account(&pool.keys.pool_mint).await.unwrap().data;
        MintState::unpack(&data).unwrap().supply
    }
}

impl Pool {
    /// The direction that takes `mint_in` in.
    pub fn direction(&self, mint_in: &Pubkey) -> Direction {
        if *mint_in == self.mint_a.key {
            Direction::AToB
        } else {
            assert_eq!(*mint_in, self.mint_b.key, "not a mint of this pool");
            Direction::BToA
        }
    }

    /// A swap of `amount_in` of `mint_in` from `source` (owned by `user`) to `destination`.
    pub fn swap_ix(
        &self,
        mint_in: &Pubkey,
        user: &Pubkey,
        source: &Pubkey,
        destination: &Pubkey,
        amount_in: u64,
        minimum_amount_out: u64,
    ) -> Instruction {
        amm::swap_ix(
            &self.keys,
            self.direction(mint_in),
            user,
            source,
            destination,
            amount_in,
            minimum_amount_out,
        )
    }

    /// The quote for `amount_in` of `mint_in` against the pool's reserves now.
    pub async fn quote(
        &self,
        ctx: &mut TestContext,
        mint_in: &Pubkey,
        amount_in: u64,
    ) -> Option<SwapQuote> {
        let (a, b) = ctx.pool_reserves(self).await;
        let (r_in, r_out) = match self.direction(mint_in) {
            Direction::AToB => (a, b),
            Direction::BToA => (b, a),
        };
        amm::quote_swap(amount_in, r_in, r_out, &self.fees)
    }

    /// Every account of the pool a swap writes: the pool, both reserves, the pool mint and
    /// the fee account.
    pub fn accounts(&self) -> Vec<Pubkey> {
        vec![
            self.keys.swap,
            self.keys.token_a,
            self.keys.token_b,
            self.keys.pool_mint,
            self.keys.fee_account,
        ]
    }
}
