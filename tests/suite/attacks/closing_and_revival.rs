//! Closing and revival: a closed shortfall record and an executed or cancelled queued change
//! are gone for good. Their addresses refuse every use afterwards (re-declaring the id,
//! drawing, cancelling, approving, closing, executing), also after someone sends lamports back
//! to them ("refunding" the rent), and also within the transaction that closed them; a change
//! queued again is a new record that waits the whole timelock again. Nothing changes on any
//! refusal.

use super::{assert_error_at, assert_unchanged, snapshot, world_accounts};
use anchor_lang::error::ErrorCode;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_instruction::transfer;
use insurance_fund::error::FundError;
use insurance_fund::state::BoundsArgs;
use insurance_fund::state::ShortfallStatus;
use insurance_fund::timelock::ConfigChange;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;
const DAY: u32 = 86_400;
/// More than the rent of either record: what a "refund" sends back.
const REFUND: u64 = 10_000_000;

/// Every instruction that takes the shortfall record `id` of the world's claimant, signed.
fn uses_of_shortfall(w: &World, id: u64) -> Vec<(&'static str, Instruction, Vec<Keypair>)> {
    let f = &w.f;
    let c = w.claimant.pubkey();
    vec![
        (
            "draw",
            f.draw_ix(&c, id, ONE, &[(0, w.payout)]),
            vec![w.claimant.insecure_clone()],
        ),
        (
            "cancel_shortfall",
            f.cancel_ix(&c, &c, id),
            vec![w.claimant.insecure_clone()],
        ),
        (
            "approve_shortfall",
            f.approve_ix(&f.gov(), id),
            vec![f.h.governance.insecure_clone()],
        ),
        ("close_shortfall", f.close_shortfall_ix(id, f.payer), vec![]),
    ]
}

#[tokio::test]
async fn a_closed_shortfall_cannot_be_redeclared_used_or_revived_by_refunding_its_address() {
    let mut w = World::new().await;
    let c = w.claimant.pubkey();
    let payer = w.f.payer;
    w.f.ctx
        .send_ok(&[w.f.cancel_ix(&c, &c, 0)], &[&w.claimant])
        .await;
    w.f.ctx
        .send_ok(&[w.f.close_shortfall_ix(0, payer)], &[])
        .await;
    let record = w.f.shortfall_address(0);
    assert!(w.f.ctx.account(&record).await.is_none());
    let keys = world_accounts(&w);

    // closed: every use is refused as for an account that was never created
    let before = snapshot(&mut w.f.ctx, &keys).await;
    for (name, ix, signers) in uses_of_shortfall(&w, 0) {
        let signers: Vec<&Keypair> = signers.iter().collect();
        let out = w.f.ctx.send(&[ix], &signers).await;
        expect_anchor_error(&out, ErrorCode::AccountNotInitialized, name);
        assert_unchanged(&mut w.f.ctx, &keys, &before, name).await;
    }
    // the id is used up: declaring it again is refused before anything is created
    let redeclare = w.f.declare_ix(&c, &c, 0, ONE, [3; 32]);
    let out =
        w.f.ctx
            .send(std::slice::from_ref(&redeclare), &[&w.claimant])
            .await;
    assert_fund_error(&out, FundError::ShortfallIdMismatch);
    assert_unchanged(&mut w.f.ctx, &keys, &before, "declare_shortfall").await;

    // "refunded": lamports sent to the address make it a system account, which no slot
    // taking a shortfall accepts
    w.f.ctx.fund_lamports(&record, REFUND).await;
    let before = snapshot(&mut w.f.ctx, &keys).await;
    for (name, ix, signers) in uses_of_shortfall(&w, 0) {
        let signers: Vec<&Keypair> = signers.iter().collect();
        let out = w.f.ctx.send(&[ix], &signers).await;
        expect_anchor_error(&out, ErrorCode::AccountOwnedByWrongProgram, name);
        assert_unchanged(&mut w.f.ctx, &keys, &before, name).await;
    }
    // and re-declaring the funded address is still the handler's refusal: the id is used up
    let out = w.f.ctx.send(&[redeclare], &[&w.claimant]).await;
    assert_fund_error(&out, FundError::ShortfallIdMismatch);
    assert_unchanged(&mut w.f.ctx, &keys, &before, "declare_shortfall").await;
    assert_eq!(w.f.state().await.draw_state.shortfall_count, 1);
}

#[tokio::test]
async fn a_paid_shortfall_cannot_be_drawn_again_nor_revived_in_the_transaction_that_closes_it() {
    let mut w = World::new().await;
    let c = w.claimant.pubkey();
    let payer = w.f.payer;
    // the world's shortfall (10 USD) paid in full from asset 0
    let ix = w.f.draw_ix(&c, 0, 10 * ONE, &[(0, w.payout)]);
    w.f.ctx.send_ok(&[ix], &[&w.claimant]).await;
    let record = w.f.shortfall_address(0);
    let data = w.f.ctx.account(&record).await.unwrap().data;
    let s = insurance_fund::state::Shortfall::try_deserialize(&mut data.as_slice()).unwrap();
    assert_eq!((s.status, s.paid), (ShortfallStatus::Paid, 10 * ONE));

    let keys = world_accounts(&w);
    let before = snapshot(&mut w.f.ctx, &keys).await;
    // paid is final: no further draw, no cancellation, no approval
    for (name, ix, signers) in uses_of_shortfall(&w, 0) {
        if name == "close_shortfall" {
            continue;
        }
        let signers: Vec<&Keypair> = signers.iter().collect();
        let out = w.f.ctx.send(&[ix], &signers).await;
        assert_fund_error(&out, FundError::ShortfallNotOpen);
        assert_unchanged(&mut w.f.ctx, &keys, &before, name).await;
    }
    // closed, refunded and used in one transaction: the close already wiped the record
    let close = w.f.close_shortfall_ix(0, payer);
    let refund = transfer(&payer, &record, REFUND);
    let draw = w.f.draw_ix(&c, 0, ONE, &[(0, w.payout)]);
    let out =
        w.f.ctx
            .send(&[close.clone(), refund, draw], &[&w.claimant])
            .await;
    assert_error_at(&out, 2, ErrorCode::AccountOwnedByWrongProgram as u32);
    assert_unchanged(&mut w.f.ctx, &keys, &before, "close, refund, draw").await;
    // closed and declared again in one transaction: the id is used up
    let redeclare = w.f.declare_ix(&c, &c, 0, ONE, [3; 32]);
    let out =
        w.f.ctx
            .send(&[close.clone(), redeclare], &[&w.claimant])
            .await;
    assert_error_at(&out, 1, fund_error_code(FundError::ShortfallIdMismatch));
    assert_unchanged(&mut w.f.ctx, &keys, &before, "close, declare").await;
    // the record is intact and closes normally
    w.f.ctx.send_ok(&[close], &[]).await;
    assert!(w.f.ctx.account(&record).await.is_none());
}

#[tokio::test]
async fn an_executed_or_cancelled_change_never_executes_again_even_with_lamports_sent_back() {
    let mut w = World::new().await;
    let payer = w.f.payer;
    let gov = w.f.gov();
    let keeper = Keypair::new();
    let ConfigChange::SetGuardian { guardian } = w.queued.clone() else {
        unreachable!("the world queues a guardian change")
    };
    let pending = w.f.pending_change_address(&w.queued);
    let exec = |w: &World, g: Option<Pubkey>, at: Pubkey| {
        with_pending_change(w.f.set_guardian_ix(&keeper.pubkey(), g), at, payer)
    };
    // the world's change was queued without a delay: it executes now, once
    w.f.ctx
        .send_ok(&[exec(&w, guardian, pending)], &[&keeper])
        .await;
    assert_eq!(Some(w.f.state().await.guardian), guardian);
    // a one-day timelock from now on (raising it tightens: applies at once; it would also
    // hold back the world's change had it not executed yet)
    let bounds = BoundsArgs {
        min_liquid_bps: 5_000,
        max_price_age_secs: insurance_fund::constants::DEFAULT_MAX_PRICE_AGE_SECS,
        max_pause_secs: insurance_fund::constants::DEFAULT_MAX_PAUSE_SECS,
        timelock_secs: DAY,
    };
    w.f.send_gov(&[w.f.set_bounds_args_ix(&gov, bounds)])
        .await
        .unwrap();
    // governance removes that guardian again (tightens: at once), so a second execution
    // would show
    w.f.send_gov(&[w.f.set_guardian_ix(&gov, None)])
        .await
        .unwrap();
    let keys = world_accounts(&w);
    let before = snapshot(&mut w.f.ctx, &keys).await;
    let cancel = w.f.cancel_change_ix(&gov, pending, payer);
    let out =
        w.f.ctx
            .send(&[exec(&w, guardian, pending)], &[&keeper])
            .await;
    expect_anchor_error(&out, ErrorCode::AccountNotInitialized, "executed twice");
    let out = w.f.send_gov(std::slice::from_ref(&cancel)).await;
    expect_anchor_error(&out, ErrorCode::AccountNotInitialized, "cancel executed");
    assert_unchanged(&mut w.f.ctx, &keys, &before, "executed change").await;
    // lamports sent back to the record's address do not bring the record back
    w.f.ctx.fund_lamports(&pending, REFUND).await;
    let before = snapshot(&mut w.f.ctx, &keys).await;
    let out =
        w.f.ctx
            .send(&[exec(&w, guardian, pending)], &[&keeper])
            .await;
    expect_anchor_error(&out, ErrorCode::AccountNotInitialized, "refunded, executed");
    let out = w.f.send_gov(&[cancel]).await;
    expect_anchor_error(
        &out,
        ErrorCode::AccountOwnedByWrongProgram,
        "refunded, cancel",
    );
    assert_unchanged(&mut w.f.ctx, &keys, &before, "refunded change").await;
    assert_eq!(w.f.state().await.guardian, Pubkey::default());

    // a change executed, refunded and executed again within one transaction
    let g2 = Pubkey::new_unique();
    let second = ConfigChange::SetGuardian { guardian: Some(g2) };
    let pending2 = w.f.pending_change_address(&second);
    w.f.send_gov(&[w.f.queue_change_ix(&gov, &payer, second.clone())])
        .await
        .unwrap();
    w.f.ctx.advance_clock(i64::from(DAY)).await;
    let mut keys2 = keys.clone();
    keys2.push(pending2);
    let before = snapshot(&mut w.f.ctx, &keys2).await;
    let ixs = [
        exec(&w, Some(g2), pending2),
        transfer(&payer, &pending2, REFUND),
        exec(&w, Some(g2), pending2),
    ];
    let out = w.f.ctx.send(&ixs, &[&keeper]).await;
    assert_error_at(&out, 2, ErrorCode::AccountNotInitialized as u32);
    assert_unchanged(&mut w.f.ctx, &keys2, &before, "execute, refund, execute").await;
    // executed once for real; queued again, it is a new record that waits a whole new delay
    w.f.ctx
        .send_ok(&[exec(&w, Some(g2), pending2)], &[&keeper])
        .await;
    assert_eq!(w.f.state().await.guardian, g2);
    w.f.send_gov(&[w.f.set_guardian_ix(&gov, None)])
        .await
        .unwrap();
    w.f.send_gov(&[w.f.queue_change_ix(&gov, &payer, second)])
        .await
        .unwrap();
    let before = snapshot(&mut w.f.ctx, &keys2).await;
    let out =
        w.f.ctx
            .send(&[exec(&w, Some(g2), pending2)], &[&keeper])
            .await;
    assert_fund_error(&out, FundError::TimelockNotElapsed);
    assert_unchanged(&mut w.f.ctx, &keys2, &before, "re-queued change").await;

    // cancelled, refunded, and presented after its eta: still gone
    let third = ConfigChange::SetGuardian {
        guardian: Some(Pubkey::new_unique()),
    };
    let pending3 = w.f.pending_change_address(&third);
    w.f.send_gov(&[w.f.queue_change_ix(&gov, &payer, third.clone())])
        .await
        .unwrap();
    w.f.send_gov(&[w.f.cancel_change_ix(&gov, pending3, payer)])
        .await
        .unwrap();
    w.f.ctx.fund_lamports(&pending3, REFUND).await;
    w.f.ctx.advance_clock(i64::from(DAY)).await;
    let ConfigChange::SetGuardian { guardian: g3 } = third else {
        unreachable!()
    };
    let before = snapshot(&mut w.f.ctx, &keys).await;
    let out = w.f.ctx.send(&[exec(&w, g3, pending3)], &[&keeper]).await;
    expect_anchor_error(
        &out,
        ErrorCode::AccountNotInitialized,
        "cancelled, executed",
    );
    assert_unchanged(&mut w.f.ctx, &keys, &before, "cancelled change").await;
}
