//! A fund ready for claims, shared by the suites of the claimant, shortfall and draw
//! instructions and the scenarios that need a claimant: USDC, USDT and LST holding 100, 200
//! and 300 tokens, draws configured, a claimant registered with payout accounts.

use crate::fixture::{usdc_usdt_lst, FundFixture, TestBuilder};
use crate::presets::{claimant_caps, draw_config};
use crate::runtime::new_keypair;
use crate::runtime::Outcome;
use anchor_lang::prelude::*;
use insurance_fund::state::{Claimant, ClaimantCaps, Shortfall};
use insurance_fund_client::decode;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000;

pub struct Setup {
    pub f: FundFixture,
    /// The claimant's authority (a keypair here; a program PDA in liquidator_cpi.rs).
    pub authority: Keypair,
    /// Owner of the payout accounts, and its account per asset.
    pub payout: Vec<Pubkey>,
}

/// USDC (fixed 1.00, liquid), USDT (Pyth 1.00 exactly, liquid), LST (Pyth 2.00 exactly,
/// yield-bearing) holding 100, 200 and 300 tokens: NAV 900 USD. A claimant with `claimant_caps()`.
pub async fn setup_with(caps: ClaimantCaps) -> Setup {
    let mut f = TestBuilder::new()
        .assets(usdc_usdt_lst([8_000, 8_000, 8_000]))
        .min_liquid_bps(5_000)
        .build()
        .await;
    f.send_gov(&[f.set_draw_params_ix(&f.gov(), draw_config())])
        .await
        .unwrap();
    for (k, amount) in [100u64, 200, 300].into_iter().enumerate() {
        f.deposit(k, amount * ONE).await;
    }
    set_prices(&mut f, 100_000_000, 0, 200_000_000, 0).await;
    refresh(&mut f).await;
    let authority = new_keypair();
    let owner = Pubkey::new_unique();
    f.send_gov(&[f.register_claimant_ix(&f.gov(), authority.pubkey(), owner, caps)])
        .await
        .unwrap();
    let mut payout = vec![];
    for k in 0..3 {
        let mint = f.h.assets[k].mint;
        payout.push(f.ctx.create_token_account(&mint, &owner).await);
    }
    Setup {
        f,
        authority,
        payout,
    }
}

pub async fn setup() -> Setup {
    setup_with(claimant_caps()).await
}

pub async fn set_prices(f: &mut FundFixture, usdt: i64, usdt_conf: u64, lst: i64, lst_conf: u64) {
    f.set_pyth_price(USDT, usdt, -8, usdt_conf).await;
    f.set_pyth_price(LST, lst, -8, lst_conf).await;
}

pub async fn refresh(f: &mut FundFixture) {
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
}

impl Setup {
    pub async fn declare(&mut self, amount: u64) -> u64 {
        let id = self.f.state().await.draw_state.shortfall_count;
        let ix = self.f.declare_ix(
            &self.authority.pubkey(),
            &self.authority.pubkey(),
            id,
            amount,
            [7; 32],
        );
        self.f.ctx.send_ok(&[ix], &[&self.authority]).await;
        id
    }

    pub async fn draw(&mut self, id: u64, max_value: u64, assets: &[usize]) -> Outcome {
        let pay: Vec<(usize, Pubkey)> = assets.iter().map(|k| (*k, self.payout[*k])).collect();
        let ix = self
            .f
            .draw_ix(&self.authority.pubkey(), id, max_value, &pay);
        self.f.ctx.send(&[ix], &[&self.authority]).await
    }

    pub async fn shortfall(&mut self, id: u64) -> Shortfall {
        let data = self
            .f
            .ctx
            .account(&self.f.shortfall_address(id))
            .await
            .expect("shortfall")
            .data;
        decode::shortfall(&data).expect("a Shortfall")
    }

    pub async fn claimant(&mut self) -> Claimant {
        let key = self.f.claimant_address(&self.authority.pubkey());
        let data = self.f.ctx.account(&key).await.expect("claimant").data;
        decode::claimant(&data).expect("a Claimant")
    }

    pub async fn balances(&mut self) -> [u64; 3] {
        let mut b = [0; 3];
        for (k, slot) in b.iter_mut().enumerate() {
            *slot = self.f.ctx.token_balance(&self.payout[k]).await;
        }
        b
    }
}
