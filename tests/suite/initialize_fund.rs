//! `initialize_fund`: mirrors its Specification bullets.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::FundInitialized;
use insurance_fund::instructions::InitializeFundArgs;
use insurance_fund::state::Fund;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

fn args(governance: Pubkey) -> InitializeFundArgs {
    InitializeFundArgs {
        governance,
        guardian: Some(Pubkey::new_unique()),
        numeraire: *b"USD\0\0\0\0\0",
        numeraire_decimals: 6,
        min_liquid_bps: 3_000,
    }
}

#[tokio::test]
async fn creates_fund_with_every_field_set() {
    let mut ctx = TestContext::start(program_test()).await;
    let create_key = Keypair::new();
    let a = args(Pubkey::new_unique());
    let ix = initialize_fund_ix(&ctx.payer_key(), &create_key.pubkey(), a.clone());
    let out = ctx.send_ok(&[ix], &[&create_key]).await;

    let fund_key = fund_address(&create_key.pubkey());
    let account = ctx.account(&fund_key).await.unwrap();
    assert_eq!(account.owner, insurance_fund::ID);
    assert_eq!(account.data.len(), Fund::SPACE);
    let fund: &Fund = bytemuck::from_bytes(&account.data[8..]);
    assert_eq!(fund.governance, a.governance);
    assert_eq!(fund.guardian, a.guardian.unwrap());
    assert_eq!(fund.pending_governance, Pubkey::default());
    assert_eq!(fund.create_key, create_key.pubkey());
    assert_eq!(fund.numeraire, a.numeraire);
    assert_eq!(fund.numeraire_decimals, 6);
    assert_eq!(fund.min_liquid_bps, 3_000);
    assert_eq!(fund.asset_count, 0);
    assert_eq!(fund.paused, 0);
    assert_eq!(fund.version, Fund::VERSION);
    let (_, bump) = Pubkey::find_program_address(
        &[b"fund", create_key.pubkey().as_ref()],
        &insurance_fund::ID,
    );
    assert_eq!(fund.bump, bump);

    if let Some(e) = ctx.event::<FundInitialized>(&out) {
        assert_eq!(e.fund, fund_key);
        assert_eq!(e.governance, a.governance);
        assert_eq!(e.min_liquid_bps, 3_000);
    }
}

#[tokio::test]
async fn guardian_may_be_unset() {
    let f = TestBuilder::empty().without_guardian().build().await;
    let mut f = f;
    assert_eq!(f.state().await.guardian, Pubkey::default());
}

#[tokio::test]
async fn reinitialisation_is_impossible() {
    let mut ctx = TestContext::start(program_test()).await;
    let create_key = Keypair::new();
    let ix = initialize_fund_ix(
        &ctx.payer_key(),
        &create_key.pubkey(),
        args(Pubkey::new_unique()),
    );
    ctx.send_ok(&[ix], &[&create_key]).await;
    let fund_key = fund_address(&create_key.pubkey());
    let before = ctx.account(&fund_key).await.unwrap();

    // Same create key, other governance: the system program refuses to create the account.
    let ix = initialize_fund_ix(
        &ctx.payer_key(),
        &create_key.pubkey(),
        args(Pubkey::new_unique()),
    );
    let out = ctx.send(&[ix], &[&create_key]).await;
    // Anchor's `init` finds the account funded and owned by the program; the system program's
    // allocate then refuses it.
    assert_instruction_error(&out, InstructionError::InvalidInstructionData);
    assert_eq!(ctx.account(&fund_key).await.unwrap(), before);
}

#[tokio::test]
async fn create_key_must_sign() {
    let mut ctx = TestContext::start(program_test()).await;
    let create_key = Keypair::new();
    let mut ix = initialize_fund_ix(
        &ctx.payer_key(),
        &create_key.pubkey(),
        args(Pubkey::new_unique()),
    );
    ix.accounts[1].is_signer = false;
    let out = ctx.send(&[ix], &[]).await;
    assert_anchor_error(&out, anchor_lang::error::ErrorCode::AccountNotSigner);
    assert!(ctx
        .account(&fund_address(&create_key.pubkey()))
        .await
        .is_none());
}

#[tokio::test]
async fn fund_address_must_be_the_create_key_pda() {
    let mut ctx = TestContext::start(program_test()).await;
    let create_key = Keypair::new();
    let mut ix = initialize_fund_ix(
        &ctx.payer_key(),
        &create_key.pubkey(),
        args(Pubkey::new_unique()),
    );
    ix.accounts[2].pubkey = fund_address(&Pubkey::new_unique());
    let out = ctx.send(&[ix], &[&create_key]).await;
    assert_anchor_error(&out, anchor_lang::error::ErrorCode::ConstraintSeeds);
}

#[tokio::test]
async fn rejects_each_invalid_argument() {
    let mut ctx = TestContext::start(program_test()).await;
    let cases: Vec<(InitializeFundArgs, FundError)> = vec![
        (args(Pubkey::default()), FundError::InvalidGovernance),
        (
            InitializeFundArgs {
                guardian: Some(Pubkey::default()),
                ..args(Pubkey::new_unique())
            },
            FundError::InvalidGovernance,
        ),
        (
            InitializeFundArgs {
                numeraire_decimals: 10,
                ..args(Pubkey::new_unique())
            },
            FundError::NumeraireDecimalsTooHigh,
        ),
        (
            InitializeFundArgs {
                min_liquid_bps: 10_001,
                ..args(Pubkey::new_unique())
            },
            FundError::MinLiquidShareTooHigh,
        ),
    ];
    for (a, err) in cases {
        let create_key = Keypair::new();
        let ix = initialize_fund_ix(&ctx.payer_key(), &create_key.pubkey(), a);
        let out = ctx.send(&[ix], &[&create_key]).await;
        assert_fund_error(&out, err);
        assert!(ctx
            .account(&fund_address(&create_key.pubkey()))
            .await
            .is_none());
    }
    // The edges themselves are accepted.
    let create_key = Keypair::new();
    let a = InitializeFundArgs {
        numeraire_decimals: 9,
        min_liquid_bps: 10_000,
        guardian: None,
        ..args(Pubkey::new_unique())
    };
    let ix = initialize_fund_ix(&ctx.payer_key(), &create_key.pubkey(), a);
    ctx.send_ok(&[ix], &[&create_key]).await;
}

#[tokio::test]
async fn two_funds_live_side_by_side() {
    let f1 = TestBuilder::new().build().await;
    let mut f1 = f1;
    let f2 = TestBuilder::new().create(&mut f1.ctx).await;
    assert_ne!(f2.fund, f1.fund);
}
