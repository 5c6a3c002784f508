//! Attack classes from the security issue that no instruction file covers yet: a byte-identical
//! account owned by another program, type cosplay, a fake token program, and non-canonical
//! PDAs. (The other classes live beside the instruction they attack; docs/threat-model.md maps
//! every class to its tests.)

use anchor_lang::prelude::*;
use insurance_fund::state::{ClaimantCaps, DrawConfig};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

/// A copy of `key`'s account (same bytes, same lamports) at a fresh address, owned by `owner`.
async fn clone_account(ctx: &mut TestContext, key: &Pubkey, owner: Pubkey) -> Pubkey {
    let mut account = ctx.account(key).await.expect("account");
    account.owner = owner;
    let copy = Pubkey::new_unique();
    ctx.ctx.set_account(&copy, &account.into());
    copy
}

#[tokio::test]
async fn a_byte_identical_fund_owned_by_another_program_is_refused() {
    let mut f = TestBuilder::new().build().await;
    let fake = clone_account(&mut f.ctx, &f.h.fund, Pubkey::new_unique()).await;
    let mut ix = f.set_bounds_ix(&f.gov(), 1_000);
    ix.accounts[1].pubkey = fake;
    assert_anchor_error(
        &f.send_gov(&[ix]).await,
        anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram,
    );
}

#[tokio::test]
async fn type_cosplay_is_refused() {
    // a Claimant account passed where the Fund is expected, and the Fund where a Claimant is
    let mut f = TestBuilder::new().build().await;
    let p = DrawConfig {
        approval_threshold: ONE,
        fund_cap_bps: 5_000,
        _pad: [0; 2],
        window_secs: 86_400,
    };
    f.send_gov(&[f.set_draw_params_ix(&f.gov(), p)])
        .await
        .unwrap();
    let a = Keypair::new();
    let caps = ClaimantCaps {
        max_per_shortfall: ONE,
        max_per_window: ONE,
        lifetime_max: ONE,
    };
    f.send_gov(&[f.register_claimant_ix(&f.gov(), a.pubkey(), a.pubkey(), caps)])
        .await
        .unwrap();
    let claimant = f.claimant_address(&a.pubkey());

    let mut ix = f.set_bounds_ix(&f.gov(), 1_000);
    ix.accounts[1].pubkey = claimant;
    assert_anchor_error(
        &f.send_gov(&[ix]).await,
        anchor_lang::error::ErrorCode::AccountDiscriminatorMismatch,
    );
    let mut ix = f.declare_ix(&a.pubkey(), &a.pubkey(), 0, ONE, [0; 32]);
    ix.accounts[3].pubkey = f.h.fund; // claimant slot
    assert_anchor_error(
        &f.ctx.send(&[ix], &[&a]).await,
        anchor_lang::error::ErrorCode::AccountDiscriminatorMismatch,
    );
}

#[tokio::test]
async fn a_fake_token_program_is_refused() {
    let mut f = TestBuilder::new().build().await;
    let (who, source) = f.depositor(0, 100).await;
    for fake in [
        anchor_lang::system_program::ID,
        Pubkey::new_unique(),
        insurance_fund::ID,
    ] {
        let mut ix = f.deposit_ix(&who.pubkey(), 0, &source, 10);
        ix.accounts[5].pubkey = fake; // token_program
                                      // `Interface<TokenInterface>` accepts only SPL Token and Token-2022
        assert_anchor_error(
            &f.ctx.send(&[ix], &[&who]).await,
            anchor_lang::error::ErrorCode::InvalidProgramId,
        );
    }
    assert_eq!(f.ctx.token_balance(&source).await, 100);
}

#[tokio::test]
async fn vaults_and_records_are_canonical_pdas_of_their_fund() {
    let mut f = TestBuilder::new().build().await;
    let s = f.state().await;
    for (k, a) in f.h.assets.iter().enumerate() {
        let (vault, bump) = Pubkey::find_program_address(
            &[b"vault", f.h.fund.as_ref(), a.mint.key.as_ref()],
            &insurance_fund::ID,
        );
        assert_eq!((s.assets[k].vault, s.assets[k].vault_bump), (vault, bump));
    }
    // the same mint in two funds gets two vaults: nothing is shared between funds
    let mint = f.h.assets[0].mint;
    let mut other = TestBuilder::empty().create(&mut f.ctx).await;
    other
        .add_asset(
            &mut f.ctx,
            mint,
            asset_params(
                insurance_fund::state::LiquidityClass::Liquid,
                10_000,
                fixed_oracle(),
            ),
        )
        .await
        .unwrap();
    assert_ne!(other.assets[0].vault, f.h.assets[0].vault);
    // a vault at a non-canonical bump cannot be created: `add_asset` derives the address
    let mint2 = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let mut ix = f.add_asset_ix(
        &f.gov(),
        &mint2,
        asset_params(
            insurance_fund::state::LiquidityClass::Liquid,
            10_000,
            fixed_oracle(),
        ),
    );
    let canonical = vault_address(&f.h.fund, &mint2.key);
    let (_, bump) = Pubkey::find_program_address(
        &[b"vault", f.h.fund.as_ref(), mint2.key.as_ref()],
        &insurance_fund::ID,
    );
    let other_bump = (0..bump).rev().find_map(|b| {
        Pubkey::create_program_address(
            &[b"vault", f.h.fund.as_ref(), mint2.key.as_ref(), &[b]],
            &insurance_fund::ID,
        )
        .ok()
    });
    if let Some(non_canonical) = other_bump {
        assert_ne!(non_canonical, canonical);
        ix.accounts[3].pubkey = non_canonical;
        assert_anchor_error(
            &f.send_gov(&[ix]).await,
            anchor_lang::error::ErrorCode::ConstraintSeeds,
        );
    }
}
