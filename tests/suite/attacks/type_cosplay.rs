//! Type cosplay: every slot that takes one of the program's accounts (fund, claimant,
//! shortfall, queued change) refuses each of the program's other account types with Anchor's
//! `AccountDiscriminatorMismatch`, in every instruction.

use anchor_lang::error::ErrorCode;
use insurance_fund_tests::*;

#[tokio::test]
async fn every_account_slot_refuses_every_other_account_type() {
    let mut w = World::new().await;
    let fund_before = w.f.state().await;
    let claimant =
        w.f.claimant_address(&solana_signer::Signer::pubkey(&w.claimant));
    // one account of each type the program owns
    let kinds = [
        w.f.h.fund,
        claimant,
        w.f.shortfall_address(0),
        w.f.pending_change_address(&w.queued),
    ];
    let mut discriminators = vec![];
    for k in kinds {
        let data = w.f.ctx.account(&k).await.expect("exists").data;
        discriminators.push(data[..8].to_vec());
    }
    let mut tried = 0;
    for c in w.every_instruction() {
        for (slot, meta) in c.ix.accounts.iter().enumerate() {
            let Some(kind) = kinds.iter().position(|k| *k == meta.pubkey) else {
                continue;
            };
            for (other, key) in kinds.iter().enumerate() {
                if discriminators[other] == discriminators[kind] {
                    continue;
                }
                let mut ix = c.ix.clone();
                ix.accounts[slot].pubkey = *key;
                let signers: Vec<&solana_keypair::Keypair> = c.signers.iter().collect();
                let out = w.f.ctx.send(&[ix], &signers).await;
                expect_anchor_error(&out, ErrorCode::AccountDiscriminatorMismatch, c.name);
                tried += 1;
            }
        }
    }
    assert!(tried >= 3 * 33, "only {tried} substitutions tried");
    assert_eq!(w.f.state().await, fund_before);
}
