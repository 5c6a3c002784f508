//! The timelock on loosening configuration changes (`timelock.rs`): loosening changes wait,
//! tightening ones apply at once, queued changes execute by anyone after the delay, exactly
//! once and only as queued, governance cancels, and a governance transfer voids what the
//! previous governance queued. Governance as a PDA of another program (the mock governance
//! program standing in for a Squads vault or an SPL Governance treasury) runs the whole flow
//! through `invoke_signed`.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::{ChangeCancelled, ChangeExecuted, ChangeQueued};
use insurance_fund::state::BoundsArgs;
use insurance_fund::state::{
    asset_flags, Claimant, ClaimantCaps, DrawConfig, LiquidityClass, RebalanceConfig,
};
use insurance_fund::timelock::ConfigChange;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: u32 = 86_400;
const ONE: u64 = 1_000_000;

pub(crate) fn bounds(min_liquid_bps: u16, timelock_secs: u32) -> BoundsArgs {
    BoundsArgs {
        min_liquid_bps,
        max_price_age_secs: insurance_fund::constants::DEFAULT_MAX_PRICE_AGE_SECS,
        max_pause_secs: insurance_fund::constants::DEFAULT_MAX_PAUSE_SECS,
        timelock_secs,
    }
}

fn rebalance_params(max_premium_bps: u16) -> RebalanceConfig {
    RebalanceConfig {
        max_premium_bps,
        ..rebalance_config()
    }
}

pub(crate) fn draw_params(fund_cap_bps: u16) -> DrawConfig {
    DrawConfig {
        fund_cap_bps,
        ..draw_config()
    }
}

pub(crate) fn caps(max_per_window: u64) -> ClaimantCaps {
    ClaimantCaps {
        max_per_window,
        ..claimant_caps()
    }
}

/// The default fund with rebalancing and draws configured, a claimant registered, and then a
/// one-day timelock (raising it applies at once).
async fn timelocked_fund() -> (FundFixture, Keypair) {
    let mut f = TestBuilder::new().build().await;
    let claimant = Keypair::new();
    let gov = f.gov();
    let setup = [
        f.set_rebalance_params_ix(&gov, rebalance_params(110)),
        f.set_draw_params_ix(&gov, draw_params(5_000)),
        f.register_claimant_ix(&gov, claimant.pubkey(), claimant.pubkey(), caps(400 * ONE)),
        f.set_bounds_args_ix(&gov, bounds(5_000, DAY)),
    ];
    f.send_gov(&setup).await.unwrap();
    assert_eq!(f.state().await.timelock_secs, DAY);
    (f, claimant)
}

async fn claimant_state(f: &mut FundFixture, authority: &Pubkey) -> Claimant {
    let key = f.claimant_address(authority);
    let data = f.ctx.account(&key).await.expect("claimant").data;
    Claimant::try_deserialize(&mut data.as_slice()).unwrap()
}

/// Sends `ix` signed by governance and checks the outcome: `None` = applied, `Some(e)` =
/// refused with `e` and the fund left byte-for-byte unchanged.
async fn expect(
    f: &mut FundFixture,
    ix: impl FnOnce(&FundHandle) -> anchor_lang::solana_program::instruction::Instruction,
    refused: Option<FundError>,
) {
    let before = f.state().await;
    let ix = ix(&f.h);
    let out = f.send_gov(&[ix]).await;
    match refused {
        None => {
            out.unwrap();
        }
        Some(e) => {
            assert_fund_error(&out, e);
            assert_eq!(f.state().await, before, "a refused change changed the fund");
        }
    }
}

#[tokio::test]
async fn a_new_fund_has_no_timelock_and_its_bound_is_enforced() {
    let mut f = TestBuilder::new().build().await;
    assert_eq!(f.state().await.timelock_secs, 0);
    let too_long = insurance_fund::constants::MAX_TIMELOCK_SECS + 1;
    let ix = f.set_bounds_args_ix(&f.gov(), bounds(5_000, too_long));
    expect(&mut f, move |_| ix, Some(FundError::InvalidTimelock)).await;
    let ix = f.set_bounds_args_ix(&f.gov(), bounds(5_000, too_long - 1));
    expect(&mut f, move |_| ix, None).await;
}

#[tokio::test]
async fn bounds_and_the_timelock_itself_loosen_later_and_tighten_now() {
    let (mut f, _) = timelocked_fund().await;
    let gov = f.gov();
    let tl = Some(FundError::TimelockRequired);
    // lowering the delay waits for the delay
    expect(
        &mut f,
        |h| h.set_bounds_args_ix(&gov, bounds(5_000, DAY - 1)),
        tl,
    )
    .await;
    // a higher liquid floor and a longer delay apply at once; a lower floor waits
    expect(
        &mut f,
        |h| h.set_bounds_args_ix(&gov, bounds(6_000, 2 * DAY)),
        None,
    )
    .await;
    assert_eq!(f.state().await.min_liquid_bps, 6_000);
    expect(
        &mut f,
        |h| h.set_bounds_args_ix(&gov, bounds(5_999, 2 * DAY)),
        tl,
    )
    .await;
    // an older accepted price, or a longer pause, waits; younger and shorter do not
    let mut b = bounds(6_000, 2 * DAY);
    b.max_price_age_secs += 1;
    expect(&mut f, |h| h.set_bounds_args_ix(&gov, b), tl).await;
    b.max_price_age_secs -= 2;
    b.max_pause_secs -= 1;
    expect(&mut f, |h| h.set_bounds_args_ix(&gov, b), None).await;
    b.max_pause_secs += 1;
    expect(&mut f, |h| h.set_bounds_args_ix(&gov, b), tl).await;
}

#[tokio::test]
async fn asset_changes_follow_the_classification() {
    let (mut f, _) = timelocked_fund().await;
    let gov = f.gov();
    let tl = Some(FundError::TimelockRequired);
    let mint0 = f.assets[0].mint.key;
    let mint1 = f.assets[1].mint.key;
    let p0 = asset_params(LiquidityClass::Liquid, 8_000, fixed_oracle());
    let p1 = asset_params(LiquidityClass::Liquid, 6_000, pyth_oracle(2));

    // a lower cap, a higher haircut, a cleared flag, a less liquid class: at once
    let mut tighter = p0;
    tighter.max_weight_bps = 7_000;
    tighter.haircut_bps = 100;
    tighter.flags = asset_flags::ALL & !asset_flags::DEPOSIT;
    expect(&mut f, |h| h.update_asset_ix(&gov, &mint0, tighter), None).await;
    let mut less_liquid = p1;
    less_liquid.class = LiquidityClass::YieldBearing;
    expect(
        &mut f,
        |h| h.update_asset_ix(&gov, &mint1, less_liquid),
        None,
    )
    .await;

    // each single loosening move waits
    let mut up = tighter;
    up.max_weight_bps = 7_001;
    expect(&mut f, |h| h.update_asset_ix(&gov, &mint0, up), tl).await;
    let mut down = tighter;
    down.haircut_bps = 99;
    expect(&mut f, |h| h.update_asset_ix(&gov, &mint0, down), tl).await;
    let mut flag = tighter;
    flag.flags = asset_flags::ALL;
    expect(&mut f, |h| h.update_asset_ix(&gov, &mint0, flag), tl).await;
    expect(&mut f, |h| h.update_asset_ix(&gov, &mint1, p1), tl).await; // back to Liquid
    let mut oracle = less_liquid;
    oracle.oracle = pyth_oracle(9);
    expect(&mut f, |h| h.update_asset_ix(&gov, &mint1, oracle), tl).await;
    // a new asset always waits
    let mint = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let ix = f.add_asset_ix(
        &gov,
        &mint,
        asset_params(LiquidityClass::Liquid, 1_000, fixed_oracle()),
    );
    expect(&mut f, move |_| ix, tl).await;
    // targets move value only inside the (timelocked) caps and floor: at once
    expect(&mut f, |h| h.set_targets_ix(&gov, vec![7_000, 3_000]), None).await;
}

#[tokio::test]
async fn keeper_draw_and_guardian_parameters_follow_the_classification() {
    let (mut f, claimant) = timelocked_fund().await;
    let gov = f.gov();
    let tl = Some(FundError::TimelockRequired);
    expect(
        &mut f,
        |h| h.set_rebalance_params_ix(&gov, rebalance_params(111)),
        tl,
    )
    .await;
    expect(
        &mut f,
        |h| h.set_rebalance_params_ix(&gov, rebalance_params(109)),
        None,
    )
    .await;
    expect(
        &mut f,
        |h| h.set_draw_params_ix(&gov, draw_params(5_001)),
        tl,
    )
    .await;
    expect(
        &mut f,
        |h| h.set_draw_params_ix(&gov, draw_params(4_999)),
        None,
    )
    .await;
    // a new guardian waits; removing the guardian (e.g. a compromised key) does not
    let ix = f.set_guardian_ix(&gov, Some(Pubkey::new_unique()));
    expect(&mut f, move |_| ix, tl).await;
    expect(&mut f, |h| h.set_guardian_ix(&gov, None), None).await;
    assert_eq!(f.state().await.guardian, Pubkey::default());

    // claimants: a new one waits; disabling and lowering caps apply at once
    let other = Pubkey::new_unique();
    let ix = f.register_claimant_ix(&gov, other, other, caps(400 * ONE));
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::TimelockRequired);
    assert!(f.ctx.account(&f.claimant_address(&other)).await.is_none());
    let c = f.claimant_address(&claimant.pubkey());
    let who = claimant.pubkey();
    let ix = f.update_claimant_ix(&gov, &claimant.pubkey(), who, caps(300 * ONE), false);
    f.send_gov(&[ix]).await.unwrap();
    let refused = [
        f.update_claimant_ix(&gov, &claimant.pubkey(), who, caps(300 * ONE), true), // re-enabled
        f.update_claimant_ix(&gov, &claimant.pubkey(), who, caps(301 * ONE), false), // cap raised
        f.update_claimant_ix(
            &gov,
            &claimant.pubkey(),
            Pubkey::new_unique(),
            caps(300 * ONE),
            false,
        ), // payouts redirected
    ];
    for ix in refused {
        assert_fund_error(&f.send_gov(&[ix]).await, FundError::TimelockRequired);
        let s = claimant_state(&mut f, &who).await;
        assert_eq!(
            (s.caps, s.enabled, s.payout_owner),
            (caps(300 * ONE), false, who)
        );
    }
    // removing a claimant tightens
    let ix = f.remove_claimant_ix(&gov, &claimant.pubkey(), f.payer);
    f.send_gov(&[ix]).await.unwrap();
    assert!(f.ctx.account(&c).await.is_none());
}

#[tokio::test]
async fn a_queued_change_executes_after_the_delay_by_anyone_once() {
    let (mut f, _) = timelocked_fund().await;
    let new_guardian = Pubkey::new_unique();
    let change = ConfigChange::SetGuardian {
        guardian: Some(new_guardian),
    };
    let pending = f.pending_change_address(&change);
    let sponsor = Keypair::new();
    f.ctx.fund_lamports(&sponsor.pubkey(), 1_000_000_000).await;
    let ix = f.queue_change_ix(&f.gov(), &sponsor.pubkey(), change.clone());
    let gov = f.governance.insecure_clone();
    let out = f.ctx.send(&[ix], &[&gov, &sponsor]).await.unwrap();
    let now = f.ctx.now().await;
    let record = f.ctx.pending_change(&pending).await.expect("queued");
    assert_eq!(
        (
            record.fund,
            record.payer,
            record.change.clone(),
            record.eta,
            record.governance_epoch
        ),
        (
            f.fund,
            sponsor.pubkey(),
            change.clone(),
            now + i64::from(DAY),
            0
        )
    );
    assert_eq!(record.change_hash, change.hash().unwrap());
    if let Some(e) = f.ctx.event::<ChangeQueued>(&out) {
        assert_eq!(
            (e.pending_change, e.change, e.eta),
            (pending, change.clone(), record.eta)
        );
    }
    let rent = f.ctx.lamports(&pending).await;
    let sponsor_before = f.ctx.lamports(&sponsor.pubkey()).await;

    let keeper = Keypair::new();
    let exec = with_pending_change(
        f.set_guardian_ix(&keeper.pubkey(), Some(new_guardian)),
        pending,
        sponsor.pubkey(),
    );
    f.ctx.advance_clock(i64::from(DAY) - 30).await;
    let before = f.state().await;
    let out = f.ctx.send(std::slice::from_ref(&exec), &[&keeper]).await;
    assert_fund_error(&out, FundError::TimelockNotElapsed);
    assert_eq!(f.state().await, before);

    f.ctx.advance_clock(30).await;
    let out = f
        .ctx
        .send(std::slice::from_ref(&exec), &[&keeper])
        .await
        .unwrap();
    assert_eq!(f.state().await.guardian, new_guardian);
    assert!(f.ctx.account(&pending).await.is_none(), "record closed");
    assert_eq!(
        f.ctx.lamports(&sponsor.pubkey()).await,
        sponsor_before + rent
    );
    if let Some(e) = f.ctx.event::<ChangeExecuted>(&out) {
        assert_eq!((e.pending_change, e.executor), (pending, keeper.pubkey()));
    }
    // it executes once: the record is gone
    let out = f.ctx.send(&[exec], &[&keeper]).await;
    assert_anchor_error(&out, anchor_lang::error::ErrorCode::AccountNotInitialized);
}

#[tokio::test]
async fn a_queued_change_executes_only_as_queued() {
    let (mut f, _) = timelocked_fund().await;
    let change = ConfigChange::SetDrawParams {
        params: draw_params(6_000).into(),
    };
    let pending = f.pending_change_address(&change);
    let payer = f.payer;
    f.send_gov(&[f.queue_change_ix(&f.gov(), &payer, change)])
        .await
        .unwrap();
    f.ctx.advance_clock(i64::from(DAY)).await;
    let keeper = Keypair::new();

    // another change presented with this record
    let other = with_pending_change(
        f.set_draw_params_ix(&keeper.pubkey(), draw_params(6_001)),
        pending,
        payer,
    );
    // this change, but its rent to someone else
    let thief = with_pending_change(
        f.set_draw_params_ix(&keeper.pubkey(), draw_params(6_000)),
        pending,
        keeper.pubkey(),
    );
    let before = f.state().await;
    for (ix, e) in [
        (other, FundError::PendingChangeMismatch),
        (thief, FundError::RentRecipientMismatch),
    ] {
        assert_fund_error(&f.ctx.send(&[ix], &[&keeper]).await, e);
        assert_eq!(f.state().await, before);
        assert!(f.ctx.pending_change(&pending).await.is_some());
    }
    // a record of another fund
    let g = TestBuilder::new().create(&mut f.ctx).await;
    let gov_g = g.governance.insecure_clone();
    f.ctx
        .send_ok(
            &[g.set_draw_params_ix(&g.gov(), draw_params(5_000))],
            &[&gov_g],
        )
        .await;
    let ix = with_pending_change(
        g.set_draw_params_ix(&keeper.pubkey(), draw_params(6_000)),
        pending,
        payer,
    );
    assert_fund_error(
        &f.ctx.send(&[ix], &[&keeper]).await,
        FundError::PendingChangeMismatch,
    );
    // the right one
    let ix = with_pending_change(
        f.set_draw_params_ix(&keeper.pubkey(), draw_params(6_000)),
        pending,
        payer,
    );
    f.ctx.send_ok(&[ix], &[&keeper]).await;
    assert_eq!(f.state().await.draws, draw_params(6_000));
}

#[tokio::test]
async fn queue_change_checks_its_caller_hash_and_shape() {
    let (mut f, _) = timelocked_fund().await;
    let payer = f.payer;
    let intruder = Keypair::new();
    let change = ConfigChange::SetGuardian { guardian: None };
    let ix = f.queue_change_ix(&intruder.pubkey(), &payer, change.clone());
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );
    // the guardian cannot queue either
    let g = f.guardian.insecure_clone();
    let ix = f.queue_change_ix(&g.pubkey(), &payer, change.clone());
    assert_fund_error(&f.ctx.send(&[ix], &[&g]).await, FundError::NotGovernance);

    // a hash that is not the change's (the address derived from that hash)
    let mut ix = f.queue_change_ix(&f.gov(), &payer, change.clone());
    let mut data = ix.data.clone();
    data[8] ^= 1; // first byte of change_hash
    let mut forged = [0u8; 32];
    forged.copy_from_slice(&data[8..40]);
    ix.accounts[2].pubkey = Pubkey::find_program_address(
        &[
            insurance_fund::state::seeds::SEED_CHANGE,
            f.fund.as_ref(),
            &forged,
        ],
        &insurance_fund::ID,
    )
    .0;
    ix.data = data;
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::ChangeHashMismatch);

    // malformed changes fail when queued, not after the delay
    let mut bad_premium = rebalance_params(110);
    bad_premium.start_premium_bps = 111;
    let cases = [
        (
            ConfigChange::SetRebalanceParams {
                params: bad_premium.into(),
            },
            FundError::InvalidPremium,
        ),
        (
            ConfigChange::SetDrawParams {
                params: draw_params(0).into(),
            },
            FundError::InvalidDrawCap,
        ),
        (
            ConfigChange::RegisterClaimant {
                authority: Pubkey::new_unique(),
                payout_owner: Pubkey::new_unique(),
                caps: caps(0),
            },
            FundError::InvalidClaimantCaps,
        ),
        (
            ConfigChange::SetBounds {
                bounds: bounds(5_000, insurance_fund::constants::MAX_TIMELOCK_SECS + 1),
            },
            FundError::InvalidTimelock,
        ),
    ];
    for (change, e) in cases {
        let pending = f.pending_change_address(&change);
        let ix = f.queue_change_ix(&f.gov(), &payer, change);
        assert_fund_error(&f.send_gov(&[ix]).await, e);
        assert!(f.ctx.account(&pending).await.is_none());
    }
}

#[tokio::test]
async fn governance_cancels_and_nobody_else_can() {
    let (mut f, _) = timelocked_fund().await;
    let change = ConfigChange::SetRebalanceParams {
        params: rebalance_params(200).into(),
    };
    let pending = f.pending_change_address(&change);
    let payer = f.payer;
    f.send_gov(&[f.queue_change_ix(&f.gov(), &payer, change)])
        .await
        .unwrap();
    let intruder = Keypair::new();
    let ix = f.cancel_change_ix(&intruder.pubkey(), pending, payer);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernanceOrStale,
    );
    let ix = f.cancel_change_ix(&f.gov(), pending, intruder.pubkey());
    assert_fund_error(&f.send_gov(&[ix]).await, FundError::RentRecipientMismatch);
    assert!(f.ctx.pending_change(&pending).await.is_some());

    let out = f
        .send_gov(&[f.cancel_change_ix(&f.gov(), pending, payer)])
        .await
        .unwrap();
    assert!(f.ctx.account(&pending).await.is_none());
    if let Some(e) = f.ctx.event::<ChangeCancelled>(&out) {
        assert_eq!((e.pending_change, e.stale), (pending, false));
    }
    // a cancelled change can no longer execute
    f.ctx.advance_clock(i64::from(DAY)).await;
    let keeper = Keypair::new();
    let ix = with_pending_change(
        f.set_rebalance_params_ix(&keeper.pubkey(), rebalance_params(200)),
        pending,
        payer,
    );
    assert_anchor_error(
        &f.ctx.send(&[ix], &[&keeper]).await,
        anchor_lang::error::ErrorCode::AccountNotInitialized,
    );
    assert_eq!(f.state().await.rebalance, rebalance_params(110));
}

#[tokio::test]
async fn a_governance_transfer_voids_changes_the_old_governance_queued() {
    let (mut f, _) = timelocked_fund().await;
    let trap = ConfigChange::SetGuardian {
        guardian: Some(Pubkey::new_unique()),
    };
    let pending = f.pending_change_address(&trap);
    let payer = f.payer;
    let old = f.gov();
    f.send_gov(&[f.queue_change_ix(&old, &payer, trap.clone())])
        .await
        .unwrap();
    let next = Keypair::new();
    f.send_gov(&[f.propose_governance_ix(&old, next.pubkey())])
        .await
        .unwrap();
    f.ctx
        .send_ok(&[f.accept_governance_ix(&next.pubkey())], &[&next])
        .await;
    assert_eq!(f.state().await.governance_epoch, 1);

    f.ctx.advance_clock(i64::from(DAY)).await;
    let keeper = Keypair::new();
    let ConfigChange::SetGuardian { guardian } = trap else {
        unreachable!()
    };
    let ix = with_pending_change(
        f.set_guardian_ix(&keeper.pubkey(), guardian),
        pending,
        payer,
    );
    let before = f.state().await;
    assert_fund_error(
        &f.ctx.send(&[ix], &[&keeper]).await,
        FundError::PendingChangeStale,
    );
    assert_eq!(f.state().await, before);
    // anyone may clear the stale record; its rent goes back to its payer
    let out = f
        .ctx
        .send(
            &[f.cancel_change_ix(&keeper.pubkey(), pending, payer)],
            &[&keeper],
        )
        .await
        .unwrap();
    assert!(f.ctx.account(&pending).await.is_none());
    if let Some(e) = f.ctx.event::<ChangeCancelled>(&out) {
        assert_eq!((e.cancelled_by, e.stale), (keeper.pubkey(), true));
    }
}

/// Governance is the treasury PDA of another program (a stand-in for a Squads vault or an SPL
/// Governance treasury): it accepts the fund, queues a loosening change and cancels another
/// through `invoke_signed`, applies a tightening change at once, and after the delay a keeper
/// executes the queued change.
#[tokio::test]
async fn a_governance_program_queues_waits_executes_and_cancels() {
    let (mut f, _) = timelocked_fund().await;
    let treasury = treasury();
    f.ctx.fund_lamports(&treasury, 1_000_000_000).await;
    // hand the fund to the program: propose by the keypair, accept through the program
    f.send_gov(&[f.propose_governance_ix(&f.gov(), treasury)])
        .await
        .unwrap();
    f.ctx
        .send_ok(
            &[governance_execute_ix(f.accept_governance_ix(&treasury))],
            &[],
        )
        .await;
    assert_eq!(f.state().await.governance, treasury);

    // a tightening change applies at once through the program
    let ix = governance_execute_ix(f.set_draw_params_ix(&treasury, draw_params(4_000)));
    f.ctx.send_ok(&[ix], &[]).await;
    assert_eq!(f.state().await.draws.fund_cap_bps, 4_000);
    // a loosening one cannot skip the queue
    let ix = governance_execute_ix(f.set_draw_params_ix(&treasury, draw_params(5_000)));
    assert_fund_error(&f.ctx.send(&[ix], &[]).await, FundError::TimelockRequired);

    // queue two changes (the treasury pays their rent), cancel one
    let keep = ConfigChange::SetDrawParams {
        params: draw_params(5_000).into(),
    };
    let drop = ConfigChange::SetRebalanceParams {
        params: rebalance_params(300).into(),
    };
    let (keep_at, drop_at) = (
        f.pending_change_address(&keep),
        f.pending_change_address(&drop),
    );
    let queue = [
        governance_execute_ix(f.queue_change_ix(&treasury, &treasury, keep)),
        governance_execute_ix(f.queue_change_ix(&treasury, &treasury, drop)),
    ];
    f.ctx.send_ok(&queue, &[]).await;
    let treasury_before = f.ctx.lamports(&treasury).await;
    let rent = f.ctx.lamports(&drop_at).await;
    let ix = governance_execute_ix(f.cancel_change_ix(&treasury, drop_at, treasury));
    f.ctx.send_ok(&[ix], &[]).await;
    assert!(f.ctx.account(&drop_at).await.is_none());
    assert_eq!(f.ctx.lamports(&treasury).await, treasury_before + rent);

    // wait, then anyone executes the kept change
    f.ctx.advance_clock(i64::from(DAY)).await;
    let keeper = Keypair::new();
    let ix = with_pending_change(
        f.set_draw_params_ix(&keeper.pubkey(), draw_params(5_000)),
        keep_at,
        treasury,
    );
    f.ctx.send_ok(&[ix], &[&keeper]).await;
    let s = f.state().await;
    assert_eq!(
        (s.draws.fund_cap_bps, s.rebalance),
        (5_000, rebalance_params(110))
    );
}

/// The queued-change slot of every timelocked instruction takes only a genuine record:
/// another program's byte-identical copy and another account type are refused, and the
/// record must be writable to be closed.
#[tokio::test]
async fn a_forged_queued_change_is_refused() {
    let (mut f, claimant) = timelocked_fund().await;
    let change = ConfigChange::SetGuardian { guardian: None };
    let pending = f.pending_change_address(&change);
    let payer = f.payer;
    f.send_gov(&[f.queue_change_ix(&f.gov(), &payer, change)])
        .await
        .unwrap();
    f.ctx.advance_clock(i64::from(DAY)).await;
    let mut copy = f.ctx.account(&pending).await.unwrap();
    copy.owner = mock_liquidator::ID;
    let forged = Pubkey::new_unique();
    f.ctx.ctx.set_account(&forged, &copy.into());
    let keeper = Keypair::new();
    let exec = |at: Pubkey, f: &FundFixture| {
        with_pending_change(f.set_guardian_ix(&keeper.pubkey(), None), at, payer)
    };
    let before = f.state().await;
    let ix = exec(forged, &f);
    expect_anchor_error(
        &f.ctx.send(&[ix], &[&keeper]).await,
        anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram,
        "set_guardian",
    );
    let ix = exec(f.claimant_address(&claimant.pubkey()), &f);
    expect_anchor_error(
        &f.ctx.send(&[ix], &[&keeper]).await,
        anchor_lang::error::ErrorCode::AccountDiscriminatorMismatch,
        "set_guardian",
    );
    let ix = exec(f.fund, &f);
    assert_fund_error(
        &f.ctx.send(&[ix], &[&keeper]).await,
        FundError::PendingChangeMismatch,
    );
    assert_eq!(f.state().await, before);
    // the genuine record, passed read-only, cannot be closed: the runtime refuses
    let mut ix = exec(pending, &f);
    let n = ix.accounts.len();
    ix.accounts[n - 2].is_writable = false;
    assert!(f.ctx.send(&[ix], &[&keeper]).await.result.is_err());
    assert!(f.ctx.pending_change(&pending).await.is_some());
    assert_eq!(f.state().await, before);
    f.ctx.send_ok(&[exec(pending, &f)], &[&keeper]).await;
    assert!(f.ctx.account(&pending).await.is_none());
}
