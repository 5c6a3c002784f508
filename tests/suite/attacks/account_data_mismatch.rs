//! Account data mismatch: every instruction that takes a vault, a mint, a price account, a
//! claimant, a shortfall or a queued change refuses one that is genuine but not the one it
//! needs: another fund's (a twin fund holding the same mints, with a claimant for the same
//! authority, its own shortfalls and the same change queued), another asset's, another
//! claimant's, or an unregistered mint. Each is refused with its named error and changes
//! nothing in either fund; the right accounts are then accepted, so each refusal is the
//! mismatch's doing.

use super::{assert_unchanged, snapshot, world_accounts};
use anchor_lang::error::ErrorCode;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use insurance_fund::error::FundError;
use insurance_fund::state::BoundsArgs;
use insurance_fund::state::{ClaimantCaps, DrawConfig, LiquidityClass, RebalanceConfig};
use insurance_fund::timelock::ConfigChange;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

/// A refusal: a fund error, or one of Anchor's.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    Fund(FundError),
    Anchor(ErrorCode),
}

impl From<FundError> for Refusal {
    fn from(e: FundError) -> Self {
        Refusal::Fund(e)
    }
}

impl From<ErrorCode> for Refusal {
    fn from(e: ErrorCode) -> Self {
        Refusal::Anchor(e)
    }
}

#[track_caller]
fn assert_refused(out: &Outcome, refusal: Refusal, what: &str) {
    match refusal {
        Refusal::Fund(e) => {
            let code = fund_error_code(e);
            assert!(
                matches!(
                    &out.result,
                    Err(solana_transaction_error::TransactionError::InstructionError(
                        _,
                        InstructionError::Custom(c)
                    )) if *c == code
                ),
                "{what}: expected {e:?}, got {:?}\n{}",
                out.result,
                out.logs.join("\n")
            );
        }
        Refusal::Anchor(e) => expect_anchor_error(out, e, what),
    }
}

/// A second fund in the world's runtime holding the same two mints (its Pyth asset on feed 3,
/// so its price account is not the world's), configured like the world, with prices cached, a
/// claimant for the world's claimant authority, an open 10 USD shortfall 0 declared by that
/// authority, and the world's queued change queued as well.
async fn twin(w: &mut World) -> FundHandle {
    let (m0, m1) = (w.f.h.assets[0].mint, w.f.h.assets[1].mint);
    let c = w.claimant.pubkey();
    let queued = w.queued.clone();
    let ctx = &mut w.f.ctx;
    let mut b = TestBuilder::empty().create(ctx).await;
    let liquid = |max, oracle| asset_params(LiquidityClass::Liquid, max, oracle);
    b.add_asset(ctx, m0, liquid(8_000, fixed_oracle()))
        .await
        .unwrap();
    b.add_asset(ctx, m1, liquid(6_000, pyth_oracle(3)))
        .await
        .unwrap();
    let gov = b.gov();
    let ixs = [
        b.set_targets_ix(&gov, vec![6_000, 4_000]),
        b.set_rebalance_params_ix(&gov, rebalance_config()),
        b.set_draw_params_ix(&gov, draw_config()),
        b.register_claimant_ix(&gov, c, Pubkey::new_unique(), claimant_caps()),
        b.queue_change_ix(&gov, &b.payer, queued),
        b.refresh_ix(b.all_assets()),
    ];
    ctx.send_ok(&ixs, &[&b.governance]).await;
    let ix = b.declare_ix(&c, &c, 0, 10 * ONE, [5; 32]);
    ctx.send_ok(&[ix], &[&w.claimant]).await;
    b
}

/// Every account of the twin an attack on the world could touch.
fn twin_accounts(b: &FundHandle, w: &World) -> Vec<Pubkey> {
    vec![
        b.fund,
        b.assets[0].vault,
        b.assets[1].vault,
        b.claimant_address(&w.claimant.pubkey()),
        b.shortfall_address(0),
        b.pending_change_address(&w.queued),
    ]
}

/// Sends each case, expects its refusal, and checks nothing at `keys` changed.
async fn refuse_all(
    w: &mut World,
    keys: &[Pubkey],
    cases: Vec<(&str, Instruction, Vec<&Keypair>, Refusal)>,
) {
    let before = snapshot(&mut w.f.ctx, keys).await;
    for (what, ix, signers, refusal) in cases {
        let out = w.f.ctx.send(&[ix], &signers).await;
        assert_refused(&out, refusal, what);
        assert_unchanged(&mut w.f.ctx, keys, &before, what).await;
    }
}

fn with(mut ix: Instruction, slot: usize, key: Pubkey) -> Instruction {
    ix.accounts[slot].pubkey = key;
    ix
}

#[tokio::test]
async fn deposit_fees_refuses_another_funds_vault_another_assets_vault_and_wrong_mints() {
    let mut w = World::new().await;
    let b = twin(&mut w).await;
    let who = w.depositor.insecure_clone();
    let d = who.pubkey();
    let a = w.f.h.assets.clone();
    let (m0, m1) = (a[0].mint.key, a[1].mint.key);
    let (spl, t22) = (a[0].mint.program_id(), a[1].mint.program_id());
    let new_mint = w.new_mint;
    let stray = w.f.ctx.funded_token_account(&new_mint, &d, ONE).await;
    let src = w.source;
    let ix = |f: &FundHandle, mint, vault, source, program| {
        f.deposit_ix_with(&d, &mint, &vault, &source, &program, ONE)
    };
    use FundError::*;
    let cases = vec![
        (
            "another fund's vault of the mint",
            ix(&w.f.h, m0, b.assets[0].vault, src, spl),
            vec![&who],
            VaultMismatch.into(),
        ),
        (
            "another asset's vault",
            ix(&w.f.h, m0, a[1].vault, src, spl),
            vec![&who],
            VaultMismatch.into(),
        ),
        (
            "another registered mint for the vault",
            ix(&w.f.h, m1, a[0].vault, src, t22),
            vec![&who],
            VaultMismatch.into(),
        ),
        (
            "an unregistered mint",
            ix(&w.f.h, new_mint.key, a[0].vault, stray, spl),
            vec![&who],
            UnknownAsset.into(),
        ),
        (
            "a source holding another mint",
            ix(&w.f.h, m0, a[0].vault, stray, spl),
            vec![&who],
            SourceMintMismatch.into(),
        ),
        (
            "this fund's vault booked in another fund",
            ix(&b, m0, a[0].vault, src, spl),
            vec![&who],
            VaultMismatch.into(),
        ),
    ];
    let mut keys = world_accounts(&w);
    keys.extend(twin_accounts(&b, &w));
    keys.push(stray);
    refuse_all(&mut w, &keys, cases).await;
    let ok = ix(&w.f.h, m0, a[0].vault, src, spl);
    w.f.ctx.send_ok(&[ok], &[&who]).await;
}

#[tokio::test]
async fn refresh_prices_refuses_another_funds_vaults_and_another_feeds_price_account() {
    let mut w = World::new().await;
    let b = twin(&mut w).await;
    let a = w.f.h.assets.clone();
    let (v0, v1, o1) = (a[0].vault, a[1].vault, a[1].oracle.unwrap());
    let refresh = |f: &FundHandle, keys: [Pubkey; 3]| {
        let metas: Vec<(Pubkey, bool)> = keys.iter().map(|k| (*k, false)).collect();
        f.refresh_ix_with(0b11, &metas)
    };
    use FundError::*;
    let cases = vec![
        (
            "another fund's vault for the fixed-price asset",
            refresh(&w.f.h, [b.assets[0].vault, o1, v1]),
            vec![],
            VaultMismatch.into(),
        ),
        (
            "another fund's vault for the Pyth asset",
            refresh(&w.f.h, [v0, o1, b.assets[1].vault]),
            vec![],
            VaultMismatch.into(),
        ),
        (
            "another fund's price account, another feed",
            refresh(&w.f.h, [v0, b.assets[1].oracle.unwrap(), v1]),
            vec![],
            OracleFeedMismatch.into(),
        ),
        (
            "this fund's vaults presented to another fund",
            refresh(&b, [v0, b.assets[1].oracle.unwrap(), v1]),
            vec![],
            VaultMismatch.into(),
        ),
    ];
    // newer prices published: a refresh that went through would cache them
    w.f.ctx.advance_clock(1).await;
    w.f.set_pyth_price(1, 100_000_000, -8, 0).await;
    let mut keys = world_accounts(&w);
    keys.extend(twin_accounts(&b, &w));
    refuse_all(&mut w, &keys, cases).await;
    w.f.ctx.send_ok(&[refresh(&w.f.h, [v0, o1, v1])], &[]).await;
}

#[tokio::test]
async fn rebalance_refuses_mismatched_mints_vaults_and_keeper_accounts_on_both_sides() {
    let mut w = World::new().await;
    let b = twin(&mut w).await;
    // an eligible fill: no open shortfall, asset 0 (target 60 %) at 75 %, far over its band,
    // and asset 1 (target 40 %) at 25 %, far under it
    let c = w.claimant.pubkey();
    w.f.ctx
        .send_ok(&[w.f.cancel_ix(&c, &c, 0)], &[&w.claimant])
        .await;
    w.f.deposit(0, 600 * ONE).await;
    let crank = [w.f.refresh_ix(w.f.all_assets()), w.f.sync_auctions_ix()];
    w.f.ctx.send_ok(&crank, &[]).await;
    let keeper = w.keeper.insecure_clone();
    let k = keeper.pubkey();
    let [k0, k1] = w.keeper_accounts;
    let a = w.f.h.assets.clone();
    let new_mint = w.new_mint;
    let other_t22 = w.f.ctx.create_mint(TokenKind::Token2022, 6, &[]).await;
    let stray_spl = w.f.ctx.funded_token_account(&new_mint, &k, ONE).await;
    let stray_t22 = w.f.ctx.funded_token_account(&other_t22, &k, ONE).await;
    // accounts: keeper, fund, mint_in, vault_in, keeper_in, mint_out, vault_out, keeper_out,
    // token_program_in, token_program_out
    let fill = w.f.rebalance_ix(&k, 1, &k1, 0, &k0, ONE, 0);
    use FundError::*;
    let cases = vec![
        (
            "in: another fund's vault",
            with(fill.clone(), 3, b.assets[1].vault),
            vec![&keeper],
            VaultMismatch.into(),
        ),
        (
            "out: another fund's vault",
            with(fill.clone(), 6, b.assets[0].vault),
            vec![&keeper],
            VaultMismatch.into(),
        ),
        (
            "in: an unregistered mint",
            with(fill.clone(), 2, new_mint.key),
            vec![&keeper],
            UnknownAsset.into(),
        ),
        (
            "out: an unregistered mint",
            with(fill.clone(), 5, new_mint.key),
            vec![&keeper],
            UnknownAsset.into(),
        ),
        (
            "mints swapped, vaults not",
            with(with(fill.clone(), 2, a[0].mint.key), 5, a[1].mint.key),
            vec![&keeper],
            VaultMismatch.into(),
        ),
        (
            "in: the keeper's account of another mint",
            with(fill.clone(), 4, stray_t22),
            vec![&keeper],
            SourceMintMismatch.into(),
        ),
        (
            "out: the keeper's account of another mint",
            with(fill.clone(), 7, stray_spl),
            vec![&keeper],
            SourceMintMismatch.into(),
        ),
        (
            "this fund's vaults presented to another fund",
            with(fill.clone(), 1, b.fund),
            vec![&keeper],
            VaultMismatch.into(),
        ),
    ];
    let mut keys = world_accounts(&w);
    keys.extend(twin_accounts(&b, &w));
    keys.extend([stray_spl, stray_t22]);
    refuse_all(&mut w, &keys, cases).await;
    w.f.ctx.send_ok(&[fill], &[&keeper]).await;
    assert_eq!(w.f.ctx.token_balance(&k1).await, 99 * ONE);
}

#[tokio::test]
async fn shortfall_instructions_refuse_another_funds_or_claimants_claimant_and_shortfall() {
    let mut w = World::new().await;
    let b = twin(&mut w).await;
    let c = w.claimant.pubkey();
    let claimant = w.claimant.insecure_clone();
    let gov = w.f.gov();
    let governance = w.f.governance.insecure_clone();
    let b_governance = b.governance.insecure_clone();
    // this fund: a second claimant with shortfall 1, and shortfall 2 of the first claimant
    // above the approval threshold; the twin: shortfall 1 above the threshold, shortfall 2
    // cancelled (closable)
    let second = Keypair::new();
    w.f.send_gov(&[w.f.register_claimant_ix(
        &gov,
        second.pubkey(),
        Pubkey::new_unique(),
        claimant_caps(),
    )])
    .await
    .unwrap();
    let s = second.pubkey();
    w.f.ctx
        .send_ok(&[w.f.declare_ix(&s, &s, 1, ONE, [1; 32])], &[&second])
        .await;
    w.f.ctx
        .send_ok(
            &[w.f.declare_ix(&c, &c, 2, 2_000 * ONE, [1; 32])],
            &[&claimant],
        )
        .await;
    for (id, amount) in [(1, 2_000 * ONE), (2, ONE)] {
        let ix = b.declare_ix(&c, &c, id, amount, [1; 32]);
        w.f.ctx.send_ok(&[ix], &[&claimant]).await;
    }
    w.f.ctx
        .send_ok(&[b.cancel_ix(&c, &c, 2)], &[&claimant])
        .await;

    let (claimant_b, shortfall_b) = (b.claimant_address(&c), b.shortfall_address(0));
    let draw = w.f.draw_ix(&c, 0, ONE, &[(0, w.payout)]);
    let cancel = w.f.cancel_ix(&c, &c, 0);
    let approve = w.f.approve_ix(&gov, 2);
    let declare = w.f.declare_ix(&c, &c, 3, ONE, [1; 32]);
    let owner = w.payout_owner;
    let payout1 =
        w.f.ctx
            .create_token_account(&w.f.h.assets[1].mint, &owner)
            .await;
    let a = w.f.h.assets.clone();
    use FundError::*;
    let cases: Vec<(&str, Instruction, Vec<&Keypair>, Refusal)> = vec![
        // draw: authority, fund, claimant, shortfall, then vault, mint, payout, token program
        (
            "draw: another fund's shortfall",
            with(draw.clone(), 3, shortfall_b),
            vec![&claimant],
            ShortfallMismatch.into(),
        ),
        (
            "draw: another fund's claimant",
            with(draw.clone(), 2, claimant_b),
            vec![&claimant],
            ClaimantFundMismatch.into(),
        ),
        (
            "draw: another fund",
            with(draw.clone(), 1, b.fund),
            vec![&claimant],
            ClaimantFundMismatch.into(),
        ),
        (
            "draw: this fund's shortfall from another fund",
            with(with(draw.clone(), 1, b.fund), 2, claimant_b),
            vec![&claimant],
            ShortfallMismatch.into(),
        ),
        (
            "draw: another claimant's shortfall",
            with(draw.clone(), 3, w.f.shortfall_address(1)),
            vec![&claimant],
            ShortfallMismatch.into(),
        ),
        (
            "draw: another fund's vault",
            with(draw.clone(), 4, b.assets[0].vault),
            vec![&claimant],
            WaterfallOrderViolated.into(),
        ),
        (
            "draw: another asset's mint",
            with(draw.clone(), 5, a[1].mint.key),
            vec![&claimant],
            UnknownAsset.into(),
        ),
        (
            "draw: an unregistered mint",
            with(draw.clone(), 5, w.new_mint.key),
            vec![&claimant],
            UnknownAsset.into(),
        ),
        (
            "draw: a payout account of another mint",
            with(draw.clone(), 6, payout1),
            vec![&claimant],
            PayoutMintMismatch.into(),
        ),
        // cancel: authority, fund, claimant, shortfall
        (
            "cancel: another fund's shortfall",
            with(cancel.clone(), 3, shortfall_b),
            vec![&claimant],
            ShortfallMismatch.into(),
        ),
        (
            "cancel: another fund's claimant",
            with(cancel.clone(), 2, claimant_b),
            vec![&claimant],
            ClaimantFundMismatch.into(),
        ),
        (
            "cancel: another fund",
            with(cancel.clone(), 1, b.fund),
            vec![&claimant],
            ClaimantFundMismatch.into(),
        ),
        (
            "cancel: another claimant's shortfall",
            with(cancel.clone(), 3, w.f.shortfall_address(1)),
            vec![&claimant],
            ShortfallMismatch.into(),
        ),
        // approve: governance, fund, shortfall
        (
            "approve: another fund's shortfall",
            with(approve.clone(), 2, b.shortfall_address(1)),
            vec![&governance],
            ShortfallMismatch.into(),
        ),
        (
            "approve: this fund's shortfall by another fund's governance",
            b.approve_ix(&b.gov(), 0)
                .tap_slot(2, w.f.shortfall_address(2)),
            vec![&b_governance],
            ShortfallMismatch.into(),
        ),
        // declare: declarer, payer, fund, claimant, shortfall, system program
        (
            "declare: another fund's claimant",
            with(declare.clone(), 3, claimant_b),
            vec![&claimant],
            ClaimantFundMismatch.into(),
        ),
        (
            "declare: for another fund with this fund's claimant",
            with(with(declare.clone(), 2, b.fund), 4, b.shortfall_address(3)),
            vec![&claimant],
            ClaimantFundMismatch.into(),
        ),
        (
            "declare: another fund's next shortfall address",
            with(declare.clone(), 4, b.shortfall_address(3)),
            vec![&claimant],
            ErrorCode::ConstraintSeeds.into(),
        ),
        // close: fund, shortfall, rent payer
        (
            "close: another fund's closed shortfall",
            w.f.close_shortfall_ix(0, w.f.payer)
                .tap_slot(1, b.shortfall_address(2)),
            vec![],
            ShortfallMismatch.into(),
        ),
    ];
    let mut keys = world_accounts(&w);
    keys.extend(twin_accounts(&b, &w));
    keys.extend([
        w.f.shortfall_address(1),
        w.f.shortfall_address(2),
        w.f.claimant_address(&s),
        b.shortfall_address(1),
        b.shortfall_address(2),
        payout1,
    ]);
    refuse_all(&mut w, &keys, cases).await;

    // the right accounts: approved, drawn, cancelled, closed; and another fund cannot close
    // this fund's closed shortfall
    w.f.send_gov(&[approve]).await.unwrap();
    w.f.ctx.send_ok(&[draw], &[&claimant]).await;
    w.f.ctx.send_ok(&[cancel], &[&claimant]).await;
    let close = b
        .close_shortfall_ix(0, b.payer)
        .tap_slot(1, w.f.shortfall_address(0));
    let before = snapshot(&mut w.f.ctx, &keys).await;
    let out = w.f.ctx.send(&[close], &[]).await;
    assert_fund_error(&out, ShortfallMismatch);
    assert_unchanged(&mut w.f.ctx, &keys, &before, "close from another fund").await;
    let payer = w.f.payer;
    w.f.ctx
        .send_ok(&[w.f.close_shortfall_ix(0, payer)], &[])
        .await;
    w.f.ctx.send_ok(&[declare], &[&claimant]).await;
}

/// Sets one account of an instruction, in builder position.
trait TapSlot {
    fn tap_slot(self, slot: usize, key: Pubkey) -> Self;
}

impl TapSlot for Instruction {
    fn tap_slot(self, slot: usize, key: Pubkey) -> Self {
        with(self, slot, key)
    }
}

#[tokio::test]
async fn timelocked_instructions_and_cancel_change_refuse_another_funds_queued_change() {
    let mut w = World::new().await;
    let b = twin(&mut w).await;
    let gov = w.f.gov();
    let payer = w.f.payer;
    let keeper = Keypair::new();
    let k = keeper.pubkey();
    let c = w.claimant.pubkey();
    let owner = w.payout_owner;
    let mint0 = w.f.h.assets[0].mint;
    let new_mint = w.new_mint;
    let added = asset_params(LiquidityClass::Liquid, 5_000, fixed_oracle());
    let updated = asset_params(LiquidityClass::Liquid, 7_000, fixed_oracle());
    let bounds = BoundsArgs {
        min_liquid_bps: 4_000,
        max_price_age_secs: 100,
        max_pause_secs: insurance_fund::constants::DEFAULT_MAX_PAUSE_SECS,
        timelock_secs: 0,
    };
    let rebalance = RebalanceConfig {
        max_premium_bps: 120,
        ..rebalance_config()
    };
    let draws = DrawConfig {
        fund_cap_bps: 6_000,
        ..draw_config()
    };
    let caps = ClaimantCaps {
        max_per_window: 450 * ONE,
        ..claimant_caps()
    };
    let new_claimant = Pubkey::new_unique();
    let guardian = Pubkey::new_unique();
    // each timelocked instruction, sent by anyone, and the change it carries out
    let f = &w.f;
    let changes: Vec<(&str, ConfigChange, Instruction)> = vec![
        (
            "add_asset",
            ConfigChange::AddAsset {
                mint: new_mint.key,
                params: added,
            },
            f.add_asset_ix(&k, &new_mint, added),
        ),
        (
            "update_asset",
            ConfigChange::UpdateAsset {
                mint: mint0.key,
                params: updated,
            },
            f.update_asset_ix(&k, &mint0.key, updated),
        ),
        (
            "set_bounds",
            ConfigChange::SetBounds { bounds },
            f.set_bounds_args_ix(&k, bounds),
        ),
        (
            "set_rebalance_params",
            ConfigChange::SetRebalanceParams {
                params: rebalance.into(),
            },
            f.set_rebalance_params_ix(&k, rebalance),
        ),
        (
            "set_draw_params",
            ConfigChange::SetDrawParams {
                params: draws.into(),
            },
            f.set_draw_params_ix(&k, draws),
        ),
        (
            "set_guardian",
            ConfigChange::SetGuardian {
                guardian: Some(guardian),
            },
            f.set_guardian_ix(&k, Some(guardian)),
        ),
        (
            "register_claimant",
            ConfigChange::RegisterClaimant {
                authority: new_claimant,
                payout_owner: owner,
                caps,
            },
            f.register_claimant_ix(&k, new_claimant, owner, caps),
        ),
        (
            "update_claimant",
            ConfigChange::UpdateClaimant {
                authority: c,
                payout_owner: owner,
                caps,
                enabled: true,
            },
            f.update_claimant_ix(&k, &c, owner, caps, true),
        ),
    ];
    // the same changes queued in both funds (no timelock: executable at once)
    let b_governance = b.governance.insecure_clone();
    for (_, change, _) in &changes {
        let ix = b.queue_change_ix(&b.gov(), &payer, change.clone());
        w.f.ctx.send_ok(&[ix], &[&b_governance]).await;
        let ix = w.f.queue_change_ix(&gov, &payer, change.clone());
        w.f.send_gov(&[ix]).await.unwrap();
    }
    let mut keys = world_accounts(&w);
    keys.extend(twin_accounts(&b, &w));
    for (_, change, _) in &changes {
        keys.push(b.pending_change_address(change));
        keys.push(w.f.pending_change_address(change));
    }
    keys.extend([
        vault_address(&w.f.fund, &new_mint.key),
        w.f.claimant_address(&new_claimant),
    ]);
    let mut cases: Vec<(&str, Instruction, Vec<&Keypair>, Refusal)> = vec![];
    for (name, change, ix) in &changes {
        let theirs = b.pending_change_address(change);
        cases.push((
            name,
            with_pending_change(ix.clone(), theirs, payer),
            vec![&keeper],
            FundError::PendingChangeMismatch.into(),
        ));
    }
    // cancel_change: another fund's record, either way round
    let theirs = b.pending_change_address(&w.queued);
    let ours = w.f.pending_change_address(&w.queued);
    let governance = w.f.governance.insecure_clone();
    cases.push((
        "cancel_change: another fund's record",
        w.f.cancel_change_ix(&gov, theirs, payer),
        vec![&governance],
        FundError::PendingChangeMismatch.into(),
    ));
    cases.push((
        "cancel_change: this fund's record from another fund",
        b.cancel_change_ix(&b.gov(), ours, payer),
        vec![&b_governance],
        FundError::PendingChangeMismatch.into(),
    ));
    refuse_all(&mut w, &keys, cases).await;

    // each executes with its own fund's record
    for (name, change, ix) in changes {
        let ours = w.f.pending_change_address(&change);
        let out =
            w.f.ctx
                .send(&[with_pending_change(ix, ours, payer)], &[&keeper])
                .await;
        assert!(out.result.is_ok(), "{name}: {:?}", out.result);
        assert!(w.f.ctx.account(&ours).await.is_none(), "{name}");
        assert!(w
            .f
            .ctx
            .account(&b.pending_change_address(&change))
            .await
            .is_some());
    }
    let s = w.f.state().await;
    assert_eq!(
        (s.guardian, s.rebalance, s.draws),
        (guardian, rebalance, draws)
    );
}
