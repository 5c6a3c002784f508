//! Missing signer: every signer of every instruction (governance, guardian, pending
//! governance, create key, claimant authority, keeper, depositor) is required; an instruction
//! sent with one signature missing fails with Anchor's `AccountNotSigner` and changes nothing.

use anchor_lang::error::ErrorCode;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[tokio::test]
async fn every_instruction_refuses_each_missing_signer() {
    let mut w = World::new().await;
    let payer = w.f.payer;
    let fund_before = w.f.state().await;
    let mut tried = vec![];
    for c in w.every_instruction() {
        for (k, meta) in c.ix.accounts.iter().enumerate() {
            if !meta.is_signer || meta.pubkey == payer {
                continue;
            }
            let mut ix = c.ix.clone();
            ix.accounts[k].is_signer = false;
            let signers: Vec<&Keypair> = c
                .signers
                .iter()
                .filter(|s| s.pubkey() != meta.pubkey)
                .collect();
            let out = w.f.ctx.send(&[ix], &signers).await;
            expect_anchor_error(&out, ErrorCode::AccountNotSigner, c.name);
            tried.push(c.name);
        }
    }
    // every instruction with an authority was tried: 28 instructions, 7 of them signed by
    // nobody but the fee payer (anyone may call them) or by the payer alone
    let unsigned = [
        "close_shortfall",
        "refresh_prices",
        "get_nav",
        "sync_auctions",
    ];
    for c in w.every_instruction() {
        assert_eq!(
            tried.contains(&c.name),
            !unsigned.contains(&c.name),
            "{}",
            c.name
        );
    }
    assert_eq!(w.f.state().await, fund_before);
}
