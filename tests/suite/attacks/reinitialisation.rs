//! Re-initialisation: every instruction that creates an account (the fund, a vault, a
//! claimant, a shortfall record, a queued change) fails when sent a second time, before its
//! handler runs, and the account the first call created stays byte-identical.
//!
//! How it fails: Anchor 1.2.2's `init` sees the address already holds lamports and asks the
//! system program for `CreateAccountAllowPrefund`, which the runtime under test (Agave
//! 3.1.12's system program) does not implement: `InvalidInstructionData`. That same path is
//! why an address anyone pre-funded cannot be created either (the open finding tested at the
//! end of this file).

use super::{assert_init_refused, assert_unchanged, snapshot, world_accounts};
use anchor_lang::prelude::*;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

/// The catalogue's creating instructions (the ones naming a writable, unsigned account that
/// does not exist yet), each sent twice: the first call creates the account, the second fails
/// and leaves it, the fund and every other account of the world byte-identical.
#[tokio::test]
async fn every_creating_instruction_fails_the_second_time_and_changes_nothing() {
    let mut w = World::new().await;
    let mut creators = vec![];
    for c in w.every_instruction() {
        let mut absent = vec![];
        for m in
            c.ix.accounts
                .iter()
                .filter(|m| m.is_writable && !m.is_signer)
        {
            if w.f.ctx.account(&m.pubkey).await.is_none() {
                absent.push(m.pubkey);
            }
        }
        if absent.is_empty() {
            continue;
        }
        let signers: Vec<&Keypair> = c.signers.iter().collect();
        w.f.ctx.send_ok(std::slice::from_ref(&c.ix), &signers).await;
        let mut keys = absent.clone();
        keys.extend(world_accounts(&w));
        let before = snapshot(&mut w.f.ctx, &keys).await;
        for (k, created) in absent.iter().zip(&before) {
            assert!(created.is_some(), "{} did not create {k}", c.name);
        }
        let out = w.f.ctx.send(std::slice::from_ref(&c.ix), &signers).await;
        assert_init_refused(&out, c.name);
        assert_unchanged(&mut w.f.ctx, &keys, &before, c.name).await;
        creators.push(c.name);
    }
    assert_eq!(
        creators,
        [
            "initialize_fund",
            "add_asset",
            "register_claimant",
            "queue_change",
            "declare_shortfall"
        ]
    );
}

/// The variants the catalogue does not send: a mint already registered at setup, a claimant
/// registered again under other caps and payout owner, the queued change of the world queued
/// again by another payer, and a declaration reusing the open shortfall's id. Each refuses
/// before its handler and changes nothing.
#[tokio::test]
async fn existing_vaults_claimants_queued_changes_and_shortfall_ids_cannot_be_created_again() {
    let mut w = World::new().await;
    let gov = w.f.gov();
    let c = w.claimant.pubkey();
    let sponsor = Keypair::new();
    w.f.ctx
        .fund_lamports(&sponsor.pubkey(), 1_000_000_000)
        .await;
    let other_caps = insurance_fund::state::ClaimantCaps {
        max_per_shortfall: ONE,
        max_per_window: ONE,
        lifetime_max: ONE,
    };
    let mint0 = w.f.h.assets[0].mint;
    let params = asset_params(
        insurance_fund::state::LiquidityClass::Liquid,
        8_000,
        fixed_oracle(),
    );
    let queue_again =
        w.f.queue_change_ix(&gov, &sponsor.pubkey(), w.queued.clone());
    let cases: Vec<(&str, _, Vec<&Keypair>)> = vec![
        ("add_asset", w.f.add_asset_ix(&gov, &mint0, params), vec![]),
        (
            "register_claimant",
            w.f.register_claimant_ix(&gov, c, Pubkey::new_unique(), other_caps),
            vec![],
        ),
        ("queue_change", queue_again, vec![&sponsor]),
    ];
    let keys = world_accounts(&w);
    let before = snapshot(&mut w.f.ctx, &keys).await;
    let governance = w.f.governance.insecure_clone();
    for (name, ix, extra) in cases {
        let mut signers = vec![&governance];
        signers.extend(extra);
        let out = w.f.ctx.send(&[ix], &signers).await;
        assert_init_refused(&out, name);
        assert_unchanged(&mut w.f.ctx, &keys, &before, name).await;
    }
    // the open shortfall's id: `init` refuses the existing record before the handler could
    // say the id is not the next one
    let ix = w.f.declare_ix(&c, &c, 0, ONE, [9; 32]);
    let out = w.f.ctx.send(&[ix], &[&w.claimant]).await;
    assert_init_refused(&out, "declare_shortfall");
    assert_unchanged(&mut w.f.ctx, &keys, &before, "declare_shortfall").await;
    // the next id is still free, and the declaration that takes it works
    assert_eq!(w.f.state().await.draw_state.shortfall_count, 1);
    let ix = w.f.declare_ix(&c, &c, 1, ONE, [9; 32]);
    w.f.ctx.send_ok(&[ix], &[&w.claimant]).await;
}

/// OPEN FINDING (docs/threat-model.md, Findings): an address that holds lamports before it is
/// created cannot be created at all (`InvalidInstructionData`, see the module comment), and
/// anyone can send lamports to any address. Every address the program creates is predictable:
/// the next shortfall is `["shortfall", fund, shortfall_count]`, a queued change's address is
/// the hash of a change governance proposes in public, a claimant's and a vault's come from
/// keys named in that change. About 0.0009 SOL sent to the next shortfall address blocks every
/// future declaration for good (ids cannot be skipped, and nothing can take the lamports back),
/// so nothing can be drawn again. Expected: each instruction below succeeds on its pre-funded
/// address. Ignored so the suite stays green until the program is fixed; run it with
/// `cargo test -p insurance_fund_tests --test suite -- --ignored a_prefunded`.
#[tokio::test]
#[ignore = "open finding: a pre-funded PDA cannot be created (docs/threat-model.md, Findings)"]
async fn a_prefunded_address_does_not_block_the_instruction_that_creates_it() {
    let mut w = World::new().await;
    let gov = w.f.gov();
    let c = w.claimant.pubkey();
    let payer = w.f.payer;
    let change = insurance_fund::timelock::ConfigChange::SetGuardian { guardian: None };
    let new_authority = Pubkey::new_unique();
    let params = asset_params(
        insurance_fund::state::LiquidityClass::Liquid,
        8_000,
        fixed_oracle(),
    );
    let caps = insurance_fund_tests::claimant_caps();
    let governance = w.f.governance.insecure_clone();
    let cases = [
        (
            "declare_shortfall",
            w.f.shortfall_address(1),
            w.f.declare_ix(&c, &c, 1, ONE, [9; 32]),
            &w.claimant,
        ),
        (
            "queue_change",
            w.f.pending_change_address(&change),
            w.f.queue_change_ix(&gov, &payer, change.clone()),
            &governance,
        ),
        (
            "register_claimant",
            w.f.claimant_address(&new_authority),
            w.f.register_claimant_ix(&gov, new_authority, Pubkey::new_unique(), caps),
            &governance,
        ),
        (
            "add_asset",
            vault_address(&w.f.fund, &w.new_mint.key),
            w.f.add_asset_ix(&gov, &w.new_mint, params),
            &governance,
        ),
    ];
    let mut blocked = vec![];
    for (name, address, ix, signer) in cases {
        // a griefer's transfer (at least the rent-exempt minimum of an empty account)
        w.f.ctx.fund_lamports(&address, 1_000_000).await;
        let out = w.f.ctx.send(&[ix], &[signer]).await;
        if let Err(e) = out.result {
            blocked.push(format!("{name}: {e:?}"));
        }
    }
    assert!(
        blocked.is_empty(),
        "blocked by a pre-funded address: {blocked:#?}"
    );
}
