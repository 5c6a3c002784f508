//! Missing owner check: an account byte-for-byte identical to one of the fund's (the fund, a
//! claimant, a shortfall record, a queued change) but owned by another program is refused by
//! every instruction that takes it, with Anchor's `AccountOwnedByWrongProgram`.

use super::clone_account;
use anchor_lang::error::ErrorCode;
use insurance_fund_tests::*;

#[tokio::test]
async fn every_program_account_owned_by_another_program_is_refused() {
    let mut w = World::new().await;
    let fund_before = w.f.state().await;
    let mut tried = 0;
    for c in w.every_instruction() {
        for (k, meta) in c.ix.accounts.iter().enumerate() {
            let Some(account) = w.f.ctx.account(&meta.pubkey).await else {
                continue; // created by this instruction
            };
            if account.owner != insurance_fund::ID || account.executable {
                continue;
            }
            // the impostor is owned by a real program that could have written those bytes
            let fake = clone_account(&mut w.f.ctx, &meta.pubkey, mock_liquidator::ID).await;
            let mut ix = c.ix.clone();
            ix.accounts[k].pubkey = fake;
            let signers: Vec<&solana_keypair::Keypair> = c.signers.iter().collect();
            let out = w.f.ctx.send(&[ix], &signers).await;
            expect_anchor_error(&out, ErrorCode::AccountOwnedByWrongProgram, c.name);
            tried += 1;
        }
    }
    // the fund in 27 instructions, plus claimants, shortfalls and the queued change
    assert!(tried >= 33, "only {tried} accounts tried");
    assert_eq!(w.f.state().await, fund_before);
}
