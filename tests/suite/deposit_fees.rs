//! `deposit_fees`: mirrors its Specification bullets.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::FeesDeposited;
use insurance_fund::state::{asset_flags, pause_flags, LiquidityClass};
use insurance_fund_tests::*;
use solana_signer::Signer;

#[tokio::test]
async fn books_the_deposit_for_spl_and_token_2022() {
    let mut f = TestBuilder::new().build().await;
    for i in 0..2 {
        let (who, source) = f.depositor(i, 5_000_000).await;
        let vault = f.assets[i].vault;
        let ix = f.deposit_ix(&who.pubkey(), i, &source, 1_250_000);
        let out = f.ctx.send_ok(&[ix], &[&who]).await;

        assert_eq!(f.ctx.token_balance(&source).await, 3_750_000);
        assert_eq!(f.ctx.token_balance(&vault).await, 1_250_000);
        let a = f.state().await.assets[i];
        assert_eq!(a.booked_balance, 1_250_000);
        assert_eq!(a.total_fees_received, 1_250_000);

        if let Some(e) = f.ctx.event::<FeesDeposited>(&out) {
            assert_eq!(e.fund, f.fund);
            assert_eq!(e.depositor, who.pubkey());
            assert_eq!(e.mint, f.assets[i].mint.key);
            assert_eq!((e.amount_sent, e.amount_received), (1_250_000, 1_250_000));
            assert_eq!(
                (e.vault_balance_before, e.vault_balance_after),
                (0, 1_250_000)
            );
            assert_eq!(e.booked_balance_after, 1_250_000);
        }
    }
}

#[tokio::test]
async fn repeated_deposits_accumulate() {
    let mut f = TestBuilder::new().build().await;
    let (who, source) = f.depositor(0, 1_000).await;
    for _ in 0..3 {
        let ix = f.deposit_ix(&who.pubkey(), 0, &source, 100);
        f.ctx.send_ok(&[ix], &[&who]).await;
    }
    let a = f.state().await.assets[0];
    assert_eq!((a.booked_balance, a.total_fees_received), (300, 300));
    assert_eq!(f.ctx.token_balance(&f.h.assets[0].vault).await, 300);
}

#[tokio::test]
async fn transfer_fee_mint_books_what_arrived() {
    let mut f = TestBuilder::new()
        .assets(vec![AssetSpec::new(
            TokenKind::Token2022,
            6,
            asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
            10_000,
        )
        .with_exts(&[MintExt::TransferFee {
            bps: 100,
            max_fee: u64::MAX,
        }])])
        .min_liquid_bps(0)
        .build()
        .await;
    let (who, source) = f.depositor(0, 10_000_000).await;
    let ix = f.deposit_ix(&who.pubkey(), 0, &source, 1_000_000);
    let out = f.ctx.send_ok(&[ix], &[&who]).await;

    // 1 % of 1,000,000 is withheld in the vault's fee extension; 990,000 arrives.
    assert_eq!(f.ctx.token_balance(&f.h.assets[0].vault).await, 990_000);
    let a = f.state().await.assets[0];
    assert_eq!(a.booked_balance, 990_000);
    assert_eq!(a.total_fees_received, 990_000);
    if let Some(e) = f.ctx.event::<FeesDeposited>(&out) {
        assert_eq!((e.amount_sent, e.amount_received), (1_000_000, 990_000));
    }
}

#[tokio::test]
async fn rejects_zero_amount() {
    let mut f = TestBuilder::new().build().await;
    let (who, source) = f.depositor(0, 1_000).await;
    let ix = f.deposit_ix(&who.pubkey(), 0, &source, 0);
    assert_fund_error(&f.ctx.send(&[ix], &[&who]).await, FundError::ZeroAmount);
}

#[tokio::test]
async fn rejects_when_deposits_paused() {
    let mut f = TestBuilder::new().build().await;
    let (who, source) = f.depositor(0, 1_000).await;
    let guardian = f.guardian.insecure_clone();
    f.ctx
        .send_ok(
            &[f.pause_ix(&guardian.pubkey(), pause_flags::DEPOSITS)],
            &[&guardian],
        )
        .await;
    let ix = f.deposit_ix(&who.pubkey(), 0, &source, 10);
    assert_fund_error(&f.ctx.send(&[ix], &[&who]).await, FundError::DepositsPaused);
    assert_eq!(f.ctx.token_balance(&source).await, 1_000);

    // a rebalance pause does not stop deposits
    f.send_gov(&[f.unpause_ix(&f.gov(), pause_flags::DEPOSITS)])
        .await
        .unwrap();
    f.ctx
        .send_ok(
            &[f.pause_ix(&guardian.pubkey(), pause_flags::REBALANCES)],
            &[&guardian],
        )
        .await;
    let ix = f.deposit_ix(&who.pubkey(), 0, &source, 10);
    f.ctx.send_ok(&[ix], &[&who]).await;
}

#[tokio::test]
async fn rejects_asset_with_deposits_disabled() {
    let mut f = TestBuilder::new().build().await;
    let mint = f.assets[1].mint.key;
    let mut p = asset_params(LiquidityClass::Liquid, 6_000, pyth_oracle(2));
    p.flags = asset_flags::ALL & !asset_flags::DEPOSIT;
    f.send_gov(&[f.update_asset_ix(&f.gov(), &mint, p)])
        .await
        .unwrap();
    let (who, source) = f.depositor(1, 1_000).await;
    let ix = f.deposit_ix(&who.pubkey(), 1, &source, 10);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&who]).await,
        FundError::AssetDepositsDisabled,
    );
}

#[tokio::test]
async fn rejects_unknown_mint() {
    let mut f = TestBuilder::new().build().await;
    let stranger = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let (who, _) = f.depositor(0, 0).await;
    let source = f
        .ctx
        .funded_token_account(&stranger, &who.pubkey(), 1_000)
        .await;
    // a vault the depositor made for the stranger mint, "owned" by the fund
    let fake_vault = f.ctx.create_token_account(&stranger, &f.h.fund).await;
    let ix = f.deposit_ix_with(
        &who.pubkey(),
        &stranger.key,
        &fake_vault,
        &source,
        &stranger.program_id(),
        10,
    );
    assert_fund_error(&f.ctx.send(&[ix], &[&who]).await, FundError::UnknownAsset);
}

#[tokio::test]
async fn rejects_a_vault_that_is_not_the_funds() {
    let mut f = TestBuilder::new().build().await;
    let mint = f.assets[0].mint;
    let (who, source) = f.depositor(0, 1_000).await;
    // a token account of the right mint, with the fund as owner, but not the fund's vault
    let impostor = f.ctx.create_token_account(&mint, &f.h.fund).await;
    let ix = f.deposit_ix_with(
        &who.pubkey(),
        &mint.key,
        &impostor,
        &source,
        &mint.program_id(),
        10,
    );
    assert_fund_error(&f.ctx.send(&[ix], &[&who]).await, FundError::VaultMismatch);
    assert_eq!(f.ctx.token_balance(&source).await, 1_000);
}

#[tokio::test]
async fn rejects_another_funds_vault() {
    let mut f = TestBuilder::new().build().await;
    // a second fund holding the same mint in the same runtime
    let mint = f.assets[0].mint;
    let mut other = TestBuilder::empty().create(&mut f.ctx).await;
    other
        .add_asset(
            &mut f.ctx,
            mint,
            asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
        )
        .await
        .unwrap();
    let other_vault = other.assets[0].vault;
    assert_ne!(other_vault, f.assets[0].vault);

    let (who, source) = f.depositor(0, 1_000).await;
    let ix = f.deposit_ix_with(
        &who.pubkey(),
        &mint.key,
        &other_vault,
        &source,
        &mint.program_id(),
        10,
    );
    assert_fund_error(&f.ctx.send(&[ix], &[&who]).await, FundError::VaultMismatch);
    assert_eq!(f.ctx.token_balance(&other_vault).await, 0);
    assert_eq!(f.state().await.assets[0].booked_balance, 0);
}

#[tokio::test]
async fn rejects_mismatched_token_program() {
    let mut f = TestBuilder::new().build().await;
    let a = f.assets[0];
    let (who, source) = f.depositor(0, 1_000).await;
    let ix = f.deposit_ix_with(
        &who.pubkey(),
        &a.mint.key,
        &a.vault,
        &source,
        &anchor_spl::token_2022::ID,
        10,
    );
    assert_fund_error(
        &f.ctx.send(&[ix], &[&who]).await,
        FundError::TokenProgramMismatch,
    );
}

#[tokio::test]
async fn rejects_source_of_another_mint() {
    let mut f = TestBuilder::new().build().await;
    let a = f.assets[0];
    // an SPL Token account (the asset's token program) of another mint
    let (who, _) = f.depositor(0, 0).await;
    let stranger = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let wrong_source = f
        .ctx
        .funded_token_account(&stranger, &who.pubkey(), 1_000)
        .await;
    let ix = f.deposit_ix_with(
        &who.pubkey(),
        &a.mint.key,
        &a.vault,
        &wrong_source,
        &a.mint.program_id(),
        10,
    );
    assert_fund_error(
        &f.ctx.send(&[ix], &[&who]).await,
        FundError::SourceMintMismatch,
    );
}

#[tokio::test]
async fn rejects_the_vault_as_source() {
    let mut f = TestBuilder::new().build().await;
    let a = f.assets[0];
    let (who, _) = f.depositor(0, 0).await;
    let ix = f.deposit_ix_with(
        &who.pubkey(),
        &a.mint.key,
        &a.vault,
        &a.vault,
        &a.mint.program_id(),
        10,
    );
    assert_fund_error(&f.ctx.send(&[ix], &[&who]).await, FundError::SourceIsVault);
}

#[tokio::test]
async fn rejects_a_source_that_is_not_a_token_account_of_the_asset() {
    let mut f = TestBuilder::new().build().await;
    let a = f.assets[1]; // Token-2022 asset
    let (who, _) = f.depositor(1, 0).await;
    // the mint itself, and a system account, in the source slot
    for source in [a.mint.key, who.pubkey()] {
        let ix = f.deposit_ix_with(
            &who.pubkey(),
            &a.mint.key,
            &a.vault,
            &source,
            &a.mint.program_id(),
            10,
        );
        assert_fund_error(
            &f.ctx.send(&[ix], &[&who]).await,
            FundError::InvalidTokenAccount,
        );
    }
    // an SPL Token account (another token program) for the Token-2022 asset
    let spl = f.assets[0].mint;
    let other = f.ctx.funded_token_account(&spl, &who.pubkey(), 100).await;
    let ix = f.deposit_ix_with(
        &who.pubkey(),
        &a.mint.key,
        &a.vault,
        &other,
        &a.mint.program_id(),
        10,
    );
    assert_fund_error(
        &f.ctx.send(&[ix], &[&who]).await,
        FundError::InvalidTokenAccount,
    );
}

#[tokio::test]
async fn depositor_must_sign_and_own_the_source() {
    let mut f = TestBuilder::new().build().await;
    let (who, source) = f.depositor(0, 1_000).await;
    let mut ix = f.deposit_ix(&who.pubkey(), 0, &source, 10);
    ix.accounts[0].is_signer = false;
    assert_anchor_error(
        &f.ctx.send(&[ix], &[]).await,
        anchor_lang::error::ErrorCode::AccountNotSigner,
    );

    // someone else's token account: the token program refuses (owner mismatch, code 4)
    let (thief, _) = f.depositor(0, 0).await;
    let ix = f.deposit_ix(&thief.pubkey(), 0, &source, 10);
    assert_instruction_error(
        &f.ctx.send(&[ix], &[&thief]).await,
        InstructionError::Custom(4),
    );
    assert_eq!(f.ctx.token_balance(&source).await, 1_000);
}

#[tokio::test]
async fn insufficient_funds_change_nothing() {
    let mut f = TestBuilder::new().build().await;
    let (who, source) = f.depositor(0, 100).await;
    let before = f.state().await;
    let ix = f.deposit_ix(&who.pubkey(), 0, &source, 101);
    // SPL Token: InsufficientFunds = 1
    assert_instruction_error(
        &f.ctx.send(&[ix], &[&who]).await,
        InstructionError::Custom(1),
    );
    assert_eq!(*f.state().await, *before);
    assert_eq!(f.ctx.token_balance(&source).await, 100);
}

#[tokio::test]
async fn donations_are_not_booked_as_deposits() {
    // A direct transfer into the vault is not a deposit: it is neither booked nor counted
    // as fees (the oracle issue's refresh_prices re-reads vault balances).
    let mut f = TestBuilder::new().build().await;
    let vault = f.assets[0].vault;
    let mint = f.assets[0].mint;
    f.ctx.mint_to(&mint, &vault, 500).await;
    let (who, source) = f.depositor(0, 1_000).await;
    let out = f
        .ctx
        .send_ok(&[f.deposit_ix(&who.pubkey(), 0, &source, 100)], &[&who])
        .await;
    let a = f.state().await.assets[0];
    assert_eq!((a.booked_balance, a.total_fees_received), (100, 100));
    if let Some(e) = f.ctx.event::<FeesDeposited>(&out) {
        assert_eq!((e.vault_balance_before, e.vault_balance_after), (500, 600));
    }
}
