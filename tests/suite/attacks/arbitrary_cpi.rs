//! Arbitrary CPI: every instruction that calls a token program refuses any program but the
//! asset's own token program (a fake program, the system program, the fund itself, or the
//! other real token program), so the fund never signs for a program it does not trust.

use anchor_lang::error::ErrorCode;
use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund_tests::*;
use solana_signer::Signer;

/// Programs that are not the asset's token program.
fn impostors(real: Pubkey) -> Vec<Pubkey> {
    let other_token = if real == anchor_spl::token::ID {
        anchor_spl::token_2022::ID
    } else {
        anchor_spl::token::ID
    };
    vec![
        anchor_lang::system_program::ID,
        Pubkey::new_unique(),
        insurance_fund::ID,
        other_token,
    ]
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
async fn rebalance_and_draw_refuse_any_other_token_program() {
    let mut w = World::new().await;
    let fund_before = w.f.state().await;
    let catalogue = w.every_instruction();
    let rebalance = catalogue.iter().find(|c| c.name == "rebalance").unwrap();
    // rebalance: token_program_in (8) and token_program_out (9)
    for slot in [8usize, 9] {
        let real = rebalance.ix.accounts[slot].pubkey;
        for fake in impostors(real) {
            let mut ix = rebalance.ix.clone();
            ix.accounts[slot].pubkey = fake;
            let out = w.f.ctx.send(&[ix], &[&w.keeper]).await;
            if fake == anchor_spl::token::ID || fake == anchor_spl::token_2022::ID {
                assert_fund_error(&out, FundError::TokenProgramMismatch);
            } else {
                expect_anchor_error(&out, ErrorCode::InvalidProgramId, "rebalance");
            }
        }
    }
    // draw: the token program of a payout group (remaining account 4 + 3)
    let draw = catalogue.iter().find(|c| c.name == "draw").unwrap();
    let real = draw.ix.accounts[7].pubkey;
    for fake in impostors(real) {
        let mut ix = draw.ix.clone();
        ix.accounts[7].pubkey = fake;
        let out = w.f.ctx.send(&[ix], &[&w.claimant]).await;
        assert_fund_error(&out, FundError::TokenProgramMismatch);
    }
    // add_asset: the mint's owner is the only token program that can create its vault
    let add = catalogue.iter().find(|c| c.name == "add_asset").unwrap();
    for fake in impostors(add.ix.accounts[5].pubkey) {
        let mut ix = add.ix.clone();
        ix.accounts[5].pubkey = fake;
        let out = w.f.send_gov(&[ix]).await;
        assert!(
            out.result.is_err(),
            "add_asset accepted token program {fake}"
        );
    }
    assert_eq!(w.f.state().await, fund_before);
    let _ = w.claimant.pubkey();
}
