//! `add_asset`: mirrors its Specification bullets, including the Token-2022 mint policy.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::AssetAdded;
use insurance_fund::state::{asset_flags, LiquidityClass, OracleSource, TokenProgramKind};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

fn liquid() -> insurance_fund::state::AssetParams {
    asset_params(LiquidityClass::Liquid, 10_000, pyth_oracle(7))
}

#[tokio::test]
async fn registers_spl_and_token_2022_assets_with_vaults_owned_by_the_fund() {
    let mut f = TestBuilder::empty().build().await;
    for (i, kind) in [TokenKind::Spl, TokenKind::Token2022]
        .into_iter()
        .enumerate()
    {
        let mint = f.ctx.create_mint(kind, 6 + i as u8, &[]).await;
        let params = asset_params(LiquidityClass::YieldBearing, 7_000, pyth_oracle(3));
        let out = f.add_asset(mint, params).await.unwrap();

        let vault = vault_address(&f.fund, &mint.key);
        let v = f.ctx.token_account_state(&vault).await;
        assert_eq!(v.owner, f.fund, "vault authority is the fund PDA");
        assert_eq!(v.mint, mint.key);
        assert_eq!(
            f.ctx.account(&vault).await.unwrap().owner,
            kind.program_id()
        );

        let s = f.state().await;
        assert_eq!(s.asset_count as usize, i + 1);
        let a = s.assets[i];
        assert_eq!(a.mint, mint.key);
        assert_eq!(a.vault, vault);
        assert_eq!(a.decimals, 6 + i as u8);
        let kind_byte = match kind {
            TokenKind::Spl => TokenProgramKind::SplToken as u8,
            TokenKind::Token2022 => TokenProgramKind::Token2022 as u8,
        };
        assert_eq!(a.token_program, kind_byte);
        assert_eq!(a.target_bps, 0, "targets only change through set_targets");
        assert_eq!(a.max_weight_bps, 7_000);
        assert_eq!(a.class, LiquidityClass::YieldBearing as u8);
        assert_eq!(a.flags, asset_flags::ALL);
        assert_eq!(a.oracle.source, OracleSource::PythPull as u8);
        assert_eq!(a.oracle.feed_id, [3; 32]);
        assert_eq!(a.booked_balance, 0);
        let (_, bump) = Pubkey::find_program_address(
            &[b"vault", f.fund.as_ref(), mint.key.as_ref()],
            &insurance_fund::ID,
        );
        assert_eq!(a.vault_bump, bump);

        if let Some(e) = f.ctx.event::<AssetAdded>(&out) {
            assert_eq!((e.mint, e.vault, e.index), (mint.key, vault, i as u8));
            assert_eq!(e.params, params);
        }
    }
}

#[tokio::test]
async fn only_governance_may_add() {
    let mut f = TestBuilder::empty().build().await;
    let mint = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let intruder = Keypair::new();
    let ix = f.add_asset_ix(&intruder.pubkey(), &mint, liquid());
    let out = f.ctx.send(&[ix], &[&intruder]).await;
    assert_fund_error(&out, FundError::NotGovernance);
    assert_eq!(f.state().await.asset_count, 0);
    assert!(f
        .ctx
        .account(&vault_address(&f.h.fund, &mint.key))
        .await
        .is_none());
}

#[tokio::test]
async fn governance_must_sign() {
    let mut f = TestBuilder::empty().build().await;
    let mint = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let mut ix = f.add_asset_ix(&f.gov(), &mint, liquid());
    ix.accounts[0].is_signer = false;
    let out = f.ctx.send(&[ix], &[]).await;
    assert_anchor_error(&out, anchor_lang::error::ErrorCode::AccountNotSigner);
}

#[tokio::test]
async fn token_program_must_own_the_mint() {
    let mut f = TestBuilder::empty().build().await;
    let mint = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let mut ix = f.add_asset_ix(&f.gov(), &mint, liquid());
    ix.accounts[5].pubkey = anchor_spl::token_2022::ID;
    let out = f.send_gov(&[ix]).await;
    assert_instruction_error(&out, InstructionError::IncorrectProgramId);
    assert_eq!(f.state().await.asset_count, 0);
}

#[tokio::test]
async fn the_same_mint_cannot_be_registered_twice() {
    let mut f = TestBuilder::new().build().await;
    let mint = f.assets[0].mint;
    let out = f.add_asset(mint, liquid()).await.unwrap_err();
    // The vault PDA already exists, so Anchor's `init` fails before the handler runs.
    assert!(out.result.is_err());
    assert_eq!(f.state().await.asset_count, 2);
}

#[tokio::test]
async fn at_most_sixteen_assets() {
    let mut f = TestBuilder::empty().build().await;
    for _ in 0..16 {
        let mint = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
        f.add_asset(mint, liquid()).await.unwrap();
    }
    let mint = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let out = f.add_asset(mint, liquid()).await.unwrap_err();
    assert_fund_error(&out, FundError::TooManyAssets);
    assert_eq!(f.state().await.asset_count, 16);
    assert!(f
        .ctx
        .account(&vault_address(&f.h.fund, &mint.key))
        .await
        .is_none());
}

#[tokio::test]
async fn invalid_params_are_rejected_with_their_error() {
    let mut f = TestBuilder::empty().build().await;
    let mint = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let base = liquid();
    let mut cases = vec![];
    let mut p = base;
    p.max_weight_bps = 10_001;
    cases.push((p, FundError::MaxWeightTooHigh));
    let mut p = base;
    p.haircut_bps = 10_001;
    cases.push((p, FundError::HaircutTooHigh));
    let mut p = base;
    p.flags = 0x10;
    cases.push((p, FundError::InvalidAssetFlags));
    let mut p = base;
    p.oracle.feed_id = [0; 32];
    cases.push((p, FundError::InvalidOracleFeedId));
    let mut p = base;
    p.oracle.max_age_secs = 0;
    cases.push((p, FundError::InvalidOracleMaxAge));
    let mut p = base;
    p.oracle.max_age_secs = 86_401;
    cases.push((p, FundError::InvalidOracleMaxAge));
    let mut p = base;
    p.oracle.max_conf_bps = 0;
    cases.push((p, FundError::InvalidOracleConfidence));
    let mut p = base;
    p.oracle.max_conf_bps = 1_001;
    cases.push((p, FundError::InvalidOracleConfidence));
    let mut p = base;
    p.oracle = fixed_oracle();
    p.oracle.fixed_price = 0;
    cases.push((p, FundError::InvalidFixedPrice));
    let mut p = base;
    p.oracle = fixed_oracle();
    p.oracle.fixed_expo = 1;
    cases.push((p, FundError::InvalidFixedPrice));
    let mut p = base;
    p.oracle = fixed_oracle();
    p.oracle.fixed_expo = -19;
    cases.push((p, FundError::InvalidFixedPrice));
    for (p, err) in cases {
        let out = f.add_asset(mint, p).await.unwrap_err();
        assert_fund_error(&out, err);
    }
    assert_eq!(f.state().await.asset_count, 0);
    // The bounds themselves are accepted.
    let mut p = base;
    p.haircut_bps = 10_000;
    p.oracle.max_age_secs = 86_400;
    p.oracle.max_conf_bps = 1_000;
    f.add_asset(mint, p).await.unwrap();
}

async fn assert_mint_rejected(exts: &[MintExt], err: FundError) {
    let mut f = TestBuilder::empty().build().await;
    let mint = f.ctx.create_mint(TokenKind::Token2022, 6, exts).await;
    let out = f.add_asset(mint, liquid()).await.unwrap_err();
    assert_fund_error(&out, err);
    assert_eq!(f.state().await.asset_count, 0);
    assert!(
        f.ctx
            .account(&vault_address(&f.h.fund, &mint.key))
            .await
            .is_none(),
        "a rejected mint leaves no vault behind"
    );
}

#[tokio::test]
async fn rejects_permanent_delegate_mint() {
    assert_mint_rejected(
        &[MintExt::PermanentDelegate],
        FundError::MintHasPermanentDelegate,
    )
    .await;
}

#[tokio::test]
async fn rejects_transfer_hook_mint() {
    assert_mint_rejected(&[MintExt::TransferHook], FundError::MintHasTransferHook).await;
}

#[tokio::test]
async fn rejects_default_frozen_mint() {
    assert_mint_rejected(&[MintExt::DefaultFrozen], FundError::MintDefaultFrozen).await;
}

#[tokio::test]
async fn rejects_non_transferable_mint() {
    assert_mint_rejected(&[MintExt::NonTransferable], FundError::MintNonTransferable).await;
}

#[tokio::test]
async fn rejects_pausable_mint() {
    assert_mint_rejected(&[MintExt::Pausable], FundError::MintPausable).await;
}

#[tokio::test]
async fn rejects_mint_with_close_authority() {
    assert_mint_rejected(&[MintExt::CloseAuthority], FundError::MintHasCloseAuthority).await;
}

#[tokio::test]
async fn rejects_interest_bearing_and_scaled_mints() {
    assert_mint_rejected(&[MintExt::InterestBearing], FundError::MintUiAmountScaled).await;
    assert_mint_rejected(&[MintExt::ScaledUiAmount], FundError::MintUiAmountScaled).await;
}

#[tokio::test]
async fn accepts_harmless_token_2022_extensions() {
    let mut f = TestBuilder::empty().build().await;
    let mint = f
        .ctx
        .create_mint(
            TokenKind::Token2022,
            6,
            &[
                MintExt::TransferFee {
                    bps: 100,
                    max_fee: u64::MAX,
                },
                MintExt::DefaultInitialized,
            ],
        )
        .await;
    f.add_asset(mint, liquid()).await.unwrap();
    assert_eq!(f.state().await.asset_count, 1);
}
