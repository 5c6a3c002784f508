//! `remove_asset`: an empty asset with target 0 leaves the fund, its vault closed and its rent
//! returned; the assets after it move down one slot; every guard with its error.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::{Asset, LiquidityClass};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000;

/// USDC, USDT (Token-2022), LST with targets 80/0/20 %: USDT can leave once empty.
async fn fund() -> FundFixture {
    let mut f = TestBuilder::new()
        .assets(usdc_usdt_lst([8_000, 8_000, 8_000]))
        .min_liquid_bps(5_000)
        .build()
        .await;
    let gov = f.gov();
    f.send_gov(&[f.set_targets_ix(&gov, vec![8_000, 0, 2_000])])
        .await
        .unwrap();
    f.deposit(0, 100 * ONE).await;
    f.deposit(LST, 50 * ONE).await;
    f
}

#[tokio::test]
async fn an_empty_asset_is_removed_its_vault_closed_and_the_rest_moved_down() {
    let mut f = fund().await;
    let gov = f.gov();
    let before = f.state().await;
    let vault = f.h.assets[USDT].vault;
    let rent = f.ctx.lamports(&vault).await;
    assert!(rent > 0);
    let recipient = Pubkey::new_unique();
    let out = f
        .send_gov(&[f.remove_asset_ix(&gov, USDT, recipient)])
        .await
        .unwrap();
    assert!(f.ctx.account(&vault).await.is_none(), "vault closed");
    assert_eq!(f.ctx.lamports(&recipient).await, rent);
    let st = f.state().await;
    assert_eq!(st.asset_count, 2);
    assert_eq!(st.assets[0], before.assets[0]);
    // LST moved to slot 1 as it was (balance, clocks, stamps); slot 2 is empty
    assert_eq!(st.assets[1], before.assets[LST]);
    assert_eq!(st.assets[2], Asset::default());
    if let Some(e) = f.ctx.event::<insurance_fund::events::AssetRemoved>(&out) {
        assert_eq!((e.mint, e.index), (before.assets[USDT].mint, USDT as u8));
    }
    // the mint can be registered again (a new vault at the same address)
    let usdt = f.h.assets[USDT].mint;
    f.add_asset(
        usdt,
        asset_params(LiquidityClass::Liquid, 8_000, pyth_oracle(2)),
    )
    .await
    .unwrap();
    assert_eq!(f.state().await.asset_count, 3);
    assert!(f.ctx.account(&vault).await.is_some());
}

#[tokio::test]
async fn remove_guards() {
    let mut f = fund().await;
    let gov = f.gov();
    let payer = f.payer;
    let before = f.state().await;
    // a target above 0
    assert_fund_error(
        &f.send_gov(&[f.remove_asset_ix(&gov, LST, payer)]).await,
        FundError::AssetTargetNotZero,
    );
    // not governance
    let intruder = Keypair::new();
    let ix = f.remove_asset_ix(&intruder.pubkey(), USDT, payer);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );
    // another asset's vault, another token program
    let mut ix = f.remove_asset_ix(&gov, USDT, payer);
    ix.accounts[2].pubkey = f.h.assets[LST].vault;
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::VaultMismatch);
    let mut ix = f.remove_asset_ix(&gov, USDT, payer);
    ix.accounts[4].pubkey = anchor_spl::token::ID;
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::TokenProgramMismatch);
    // tokens in the vault, booked or not
    let usdt = f.h.assets[USDT];
    f.ctx.mint_to(&usdt.mint, &usdt.vault, 1).await;
    assert_fund_error(
        &f.send_gov(&[f.remove_asset_ix(&gov, USDT, payer)]).await,
        FundError::AssetNotEmpty,
    );
    f.deposit(USDT, ONE).await;
    assert_fund_error(
        &f.send_gov(&[f.remove_asset_ix(&gov, USDT, payer)]).await,
        FundError::AssetNotEmpty,
    );
    let mut after = f.state().await;
    after.assets[USDT].booked_balance = 0;
    after.assets[USDT].total_fees_received = 0;
    assert_eq!(after, before, "only the deposit changed the fund");
}
