//! Re-initialisation: every instruction that creates an account (the fund, a vault, a
//! claimant, a shortfall record, a queued change) fails when sent a second time, and the
//! account the first call created stays byte-identical; and no address the program creates
//! can be blocked by sending it lamports first.
//!
//! How a second call fails: `add_asset` and `declare_shortfall` refuse in their handlers
//! (`AssetAlreadyRegistered`, `ShortfallIdMismatch`) before creating anything;
//! `register_claimant` and `queue_change` find a program-owned account at the address
//! (`AccountAlreadyExists`, `create::create_pda`); `initialize_fund` keeps Anchor's `init`,
//! which for an address holding lamports asks the system program for
//! `CreateAccountAllowPrefund` (SIMD-0312), refused by the runtime under test:
//! `InvalidInstructionData` (the fund's address comes from a signing key, see `create.rs`).

use super::{assert_init_refused, assert_unchanged, snapshot, world_accounts};
use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;
/// What a griefer sends to an address before it is created (below any record's rent).
const GRIEF: u64 = 900_000;

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
        match c.name {
            "initialize_fund" => assert_init_refused(&out, c.name),
            "add_asset" => assert_fund_error(&out, FundError::AssetAlreadyRegistered),
            "declare_shortfall" => assert_fund_error(&out, FundError::ShortfallIdMismatch),
            _ => assert_fund_error(&out, FundError::AccountAlreadyExists),
        }
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
    let cases: Vec<(&str, _, Vec<&Keypair>, FundError)> = vec![
        (
            "add_asset",
            w.f.add_asset_ix(&gov, &mint0, params),
            vec![],
            FundError::AssetAlreadyRegistered,
        ),
        (
            "register_claimant",
            w.f.register_claimant_ix(&gov, c, Pubkey::new_unique(), other_caps),
            vec![],
            FundError::AccountAlreadyExists,
        ),
        (
            "queue_change",
            queue_again,
            vec![&sponsor],
            FundError::AccountAlreadyExists,
        ),
    ];
    let keys = world_accounts(&w);
    let before = snapshot(&mut w.f.ctx, &keys).await;
    let governance = w.f.governance.insecure_clone();
    for (name, ix, extra, error) in cases {
        let mut signers = vec![&governance];
        signers.extend(extra);
        let out = w.f.ctx.send(&[ix], &signers).await;
        assert_fund_error(&out, error);
        assert_unchanged(&mut w.f.ctx, &keys, &before, name).await;
    }
    // the open shortfall's id is not the next one
    let ix = w.f.declare_ix(&c, &c, 0, ONE, [9; 32]);
    let out = w.f.ctx.send(&[ix], &[&w.claimant]).await;
    assert_fund_error(&out, FundError::ShortfallIdMismatch);
    assert_unchanged(&mut w.f.ctx, &keys, &before, "declare_shortfall").await;
    // the next id is still free, and the declaration that takes it works
    assert_eq!(w.f.state().await.draw_state.shortfall_count, 1);
    let ix = w.f.declare_ix(&c, &c, 1, ONE, [9; 32]);
    w.f.ctx.send_ok(&[ix], &[&w.claimant]).await;
}

/// Anyone can send lamports to any address, and every address the program creates is
/// predictable: the next shortfall is `["shortfall", fund, shortfall_count]`, a queued
/// change's address is the hash of a change governance proposes in public, a claimant's and a
/// vault's come from keys named in that change. With Anchor's `init` (before
/// `create::create_pda`), about 0.001 SOL sent to the next shortfall address blocked every
/// future declaration for good. Each instruction below succeeds on its pre-funded address,
/// creates exactly the account it creates on an empty one (owner, size, contents), and the
/// griefer's lamports stay in it, counted toward its rent.
#[tokio::test]
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
    for (name, address, ix, signer) in cases {
        // a griefer's transfer: less than the rent of any record (the payer tops it up) ...
        w.f.ctx.fund_lamports(&address, GRIEF).await;
        let out = w.f.ctx.send(&[ix], &[signer]).await;
        assert!(out.result.is_ok(), "{name} blocked: {:?}", out.result);
        let created = w.f.ctx.account(&address).await.unwrap();
        let rent = w.f.ctx.rent_exempt(created.data.len()).await;
        assert_eq!(created.lamports, rent.max(GRIEF), "{name}: lamports");
        assert!(!created.data.is_empty(), "{name}: nothing allocated");
    }
    // ... or more than the rent: the record is created and keeps the extra lamports
    let next = w.f.shortfall_address(2);
    w.f.ctx.fund_lamports(&next, 1_000_000_000).await;
    w.f.ctx
        .send_ok(&[w.f.declare_ix(&c, &c, 2, ONE, [7; 32])], &[&w.claimant])
        .await;
    let created = w.f.ctx.account(&next).await.unwrap();
    assert_eq!(created.owner, insurance_fund::ID);
    assert_eq!(created.lamports, 1_000_000_000);
    let s =
        insurance_fund::state::Shortfall::try_deserialize(&mut created.data.as_slice()).unwrap();
    assert_eq!((s.id, s.declared, s.reference), (2, ONE, [7; 32]));
    // the records hold what the instructions wrote: the claimant, the queued change, the vault
    let data = w.f.ctx.account(&w.f.claimant_address(&new_authority)).await;
    let claimant =
        insurance_fund::state::Claimant::try_deserialize(&mut data.unwrap().data.as_slice())
            .unwrap();
    assert_eq!(
        (claimant.authority, claimant.enabled),
        (new_authority, true)
    );
    let asset = w.f.state().await;
    let vault = asset.assets[asset.asset_count as usize - 1].vault;
    assert_eq!(vault, vault_address(&w.f.fund, &w.new_mint.key));
    assert_eq!(w.f.ctx.token_balance(&vault).await, 0);
}
