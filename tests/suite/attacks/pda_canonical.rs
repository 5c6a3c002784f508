//! Non-canonical bumps and PDA sharing: every vault and record is the canonical PDA of its own
//! fund (bumps come from `find_program_address` at creation and are stored), so two funds
//! never share an account and a non-canonical address is refused.

use anchor_lang::prelude::*;
use insurance_fund_tests::*;
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
