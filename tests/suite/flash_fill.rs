//! `rebalance_begin` / `rebalance_end`: a keeper with no inventory borrows the over-weight
//! asset, routes it, and delivers the under-weight one within one transaction; every bound of
//! a normal fill applies at the end, the pair is pinned by the instructions sysvar, and the
//! fund is locked in between (each attempt to use it refused).
//!
//! The route here is a stand-in market maker (two token transfers signed by it); a route
//! through a real AMM program is in `flash_fill_amm.rs` when that lands.

use crate::attacks::{assert_unchanged, snapshot};
use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::Rebalanced;
use insurance_fund::state::FlashFill;
use insurance_fund_tests::shortfall::Setup;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: usize = 0;
const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000;

/// The shortfall suite's fund (USDC 100, USDT 200, LST 300 at 2.00: NAV 900, targets
/// 50/30/20, liquid share 33 % under a 50 % floor) with rebalancing configured and the
/// auctions started: the pair USDC in / LST out is open (it raises the liquid share, so it
/// is allowed in shortfall mode too).
async fn setup() -> Setup {
    let mut s = insurance_fund_tests::shortfall::setup().await;
    let f = &mut s.f;
    f.send_gov(&[f.set_rebalance_params_ix(&f.gov(), rebalance_config())])
        .await
        .unwrap();
    f.ctx.send_ok(&[f.sync_auctions_ix()], &[]).await;
    s
}

/// A keeper with empty accounts of every asset, and a market maker holding 1,000 of every
/// asset, who swaps with the keeper inside the transaction.
struct Route {
    keeper: Keypair,
    keeper_accounts: Vec<Pubkey>,
    mm: Keypair,
    mm_accounts: Vec<Pubkey>,
}

async fn route(f: &mut FundFixture) -> Route {
    let (keeper, mm) = (Keypair::new(), Keypair::new());
    let (mut keeper_accounts, mut mm_accounts) = (vec![], vec![]);
    for k in 0..3 {
        let mint = f.h.assets[k].mint;
        keeper_accounts.push(f.ctx.create_token_account(&mint, &keeper.pubkey()).await);
        mm_accounts.push(
            f.ctx
                .funded_token_account(&mint, &mm.pubkey(), 1_000 * ONE)
                .await,
        );
    }
    Route {
        keeper,
        keeper_accounts,
        mm,
        mm_accounts,
    }
}

impl Route {
    /// begin (lend `taken` of `o`), the keeper pays the market maker what it borrowed, the
    /// market maker delivers `delivered` of `i` into the fund's vault, end.
    fn flash(
        &self,
        f: &FundFixture,
        i: usize,
        o: usize,
        taken: u64,
        delivered: u64,
    ) -> Vec<anchor_lang::solana_program::instruction::Instruction> {
        let (k, mm) = (self.keeper.pubkey(), self.mm.pubkey());
        vec![
            f.rebalance_begin_ix(&k, i, o, &self.keeper_accounts[o], taken),
            f.ctx.transfer_ix(
                &f.h.assets[o].mint,
                &self.keeper_accounts[o],
                &self.mm_accounts[o],
                &k,
                taken,
            ),
            f.ctx.transfer_ix(
                &f.h.assets[i].mint,
                &self.mm_accounts[i],
                &f.h.assets[i].vault,
                &mm,
                delivered,
            ),
            f.rebalance_end_ix(&k, i, o),
        ]
    }

    fn signers(&self) -> [&Keypair; 2] {
        [&self.keeper, &self.mm]
    }
}

/// Every account a flash fill could touch: the fund, the three vaults, the route's accounts.
fn watched(f: &FundFixture, r: &Route) -> Vec<Pubkey> {
    let mut keys = vec![f.fund];
    keys.extend(f.h.assets.iter().map(|a| a.vault));
    keys.extend(r.keeper_accounts.iter().copied());
    keys.extend(r.mm_accounts.iter().copied());
    keys
}

#[tokio::test]
async fn a_keeper_without_inventory_fills_through_a_route() {
    let mut s = setup().await;
    let f = &mut s.f;
    let r = route(f).await;
    // 100 USDC at 1.00 plus the start premium of 10 bps is worth 100.1, paid in LST at 2.00
    let taken = 50_050_000;
    let ixs = r.flash(f, USDC, LST, taken, 100 * ONE);
    let out = f.ctx.send(&ixs, &r.signers()).await.unwrap();

    assert_eq!(
        f.ctx.token_balance(&f.h.assets[USDC].vault).await,
        200 * ONE
    );
    assert_eq!(
        f.ctx.token_balance(&f.h.assets[LST].vault).await,
        300 * ONE - taken
    );
    // the keeper held nothing before and nothing after: the market maker has the LST
    assert_eq!(f.ctx.token_balance(&r.keeper_accounts[LST]).await, 0);
    assert_eq!(
        f.ctx.token_balance(&r.mm_accounts[LST]).await,
        1_000 * ONE + taken
    );
    let st = f.state().await;
    assert_eq!(st.assets[USDC].booked_balance, 200 * ONE);
    assert_eq!(st.assets[LST].booked_balance, 300 * ONE - taken);
    assert_eq!(st.rebalance_state.fills, 1);
    assert_eq!(st.rebalance_state.total_volume, 100 * ONE);
    assert_eq!(st.rebalance_state.total_premium, 100_000);
    assert_eq!(st.flash, FlashFill::default(), "the lock is released");
    if let Some(e) = f.ctx.event::<Rebalanced>(&out) {
        assert!(e.flash);
        assert_eq!(
            (e.amount_in_received, e.amount_out, e.premium_bps),
            (100 * ONE, taken, 10)
        );
        assert_eq!(
            (e.value_in, e.value_out, e.premium_value),
            (100 * ONE as u128, 100_100_000, 100_000)
        );
        assert_eq!(e.nav_after + e.premium_value, e.nav_before);
    }
}

#[tokio::test]
async fn taking_less_than_the_delivery_pays_charges_only_what_was_taken() {
    let mut s = setup().await;
    let f = &mut s.f;
    let r = route(f).await;
    // 50 LST at 2.00 for 100 USDC: no premium taken at all
    let ixs = r.flash(f, USDC, LST, 50 * ONE, 100 * ONE);
    f.ctx.send(&ixs, &r.signers()).await.unwrap();
    let st = f.state().await;
    assert_eq!(st.rebalance_state.total_premium, 0);
    assert_eq!(st.rebalance_state.premium_level, 0);
    assert_eq!(st.assets[LST].booked_balance, 250 * ONE);
    assert_eq!(st.assets[USDC].booked_balance, 200 * ONE);
}

#[tokio::test]
async fn taking_more_than_the_delivery_pays_fails_as_a_whole() {
    let mut s = setup().await;
    let f = &mut s.f;
    let r = route(f).await;
    let keys = watched(f, &r);
    let before = snapshot(&mut f.ctx, &keys).await;
    // one atom more than 100 USDC pays for
    let ixs = r.flash(f, USDC, LST, 50_050_001, 100 * ONE);
    let out = f.ctx.send(&ixs, &r.signers()).await;
    assert_fund_error_at(&out, 3, FundError::FlashFillUnderpaid);
    // a delivery that never arrives
    let mut ixs = r.flash(f, USDC, LST, 50 * ONE, 100 * ONE);
    ixs.remove(2);
    let out = f.ctx.send(&ixs, &[&r.keeper]).await;
    assert_fund_error_at(&out, 2, FundError::NothingReceived);
    assert_unchanged(&mut f.ctx, &keys, &before, "failed flash fills").await;
}

#[tokio::test]
async fn the_end_applies_every_bound_of_a_normal_fill() {
    let mut s = setup().await;
    let f = &mut s.f;
    let r = route(f).await;
    // the reverse direction (LST in, USDC out) is not an open pair
    let ixs = r.flash(f, LST, USDC, 10 * ONE, 5 * ONE);
    let out = f.ctx.send(&ixs, &r.signers()).await;
    assert_fund_error_at(&out, 3, FundError::OutNotOverweight);
    // USDC in, USDT out: USDT (22 %) is under its 30 % target
    let ixs = r.flash(f, USDC, USDT, 10 * ONE, 10 * ONE);
    let out = f.ctx.send(&ixs, &r.signers()).await;
    assert_fund_error_at(&out, 3, FundError::OutNotOverweight);
    // so much LST out that it falls below its target
    let ixs = r.flash(f, USDC, LST, 250 * ONE, 500 * ONE);
    let out = f.ctx.send(&ixs, &r.signers()).await;
    assert_fund_error_at(&out, 3, FundError::OutPushedBelowTarget);
    // below the minimum trade (1.00)
    let ixs = r.flash(f, USDC, LST, 1, 999_999);
    let out = f.ctx.send(&ixs, &r.signers()).await;
    assert_fund_error_at(&out, 3, FundError::TradeTooSmall);
    assert_eq!(f.state().await.rebalance_state.fills, 0);
}

#[tokio::test]
async fn begin_needs_its_own_end_later_in_the_transaction() {
    let mut s = setup().await;
    let f = &mut s.f;
    let r = route(f).await;
    let keys = watched(f, &r);
    let before = snapshot(&mut f.ctx, &keys).await;
    let k = r.keeper.pubkey();
    let begin = f.rebalance_begin_ix(&k, USDC, LST, &r.keeper_accounts[LST], ONE);
    // alone
    let out = f.ctx.send(std::slice::from_ref(&begin), &[&r.keeper]).await;
    assert_fund_error_at(&out, 0, FundError::FlashFillEndMissing);
    // an end before it does not count
    let end = f.rebalance_end_ix(&k, USDC, LST);
    let out = f
        .ctx
        .send(&[end.clone(), begin.clone()], &[&r.keeper])
        .await;
    assert_fund_error_at(&out, 0, FundError::FlashFillNotStarted);
    // ends naming another keeper, another in-vault or another out-vault
    let other = Keypair::new();
    let wrong_ends = [
        f.rebalance_end_ix(&other.pubkey(), USDC, LST),
        f.rebalance_end_ix(&k, USDT, LST),
        f.rebalance_end_ix(&k, USDC, USDT),
    ];
    for (n, end) in wrong_ends.into_iter().enumerate() {
        let signers: Vec<&Keypair> = if n == 0 {
            vec![&r.keeper, &other]
        } else {
            vec![&r.keeper]
        };
        let out = f.ctx.send(&[begin.clone(), end], &signers).await;
        assert_fund_error_at(&out, 0, FundError::FlashFillEndMissing);
    }
    assert_unchanged(&mut f.ctx, &keys, &before, "begin without its end").await;
}

#[tokio::test]
async fn end_without_begin_and_end_of_another_pair_are_refused() {
    let mut s = setup().await;
    let f = &mut s.f;
    let r = route(f).await;
    let k = r.keeper.pubkey();
    let out = f
        .ctx
        .send(&[f.rebalance_end_ix(&k, USDC, LST)], &[&r.keeper])
        .await;
    assert_fund_error_at(&out, 0, FundError::FlashFillNotStarted);
    // begin finds the first end of the program after it: a second end for another pair
    // right after the matching one runs on an unlocked fund
    let mut ixs = r.flash(f, USDC, LST, 50 * ONE, 100 * ONE);
    ixs.push(f.rebalance_end_ix(&k, USDT, LST));
    let out = f.ctx.send(&ixs, &r.signers()).await;
    assert_fund_error_at(&out, 4, FundError::FlashFillNotStarted);
}

/// While a flash fill is open, every other use of the fund fails: a second begin, a deposit,
/// a draw, a refresh, a sync, a plain fill, a NAV read, a governance change, a pause.
#[tokio::test]
async fn nothing_else_may_use_the_fund_between_begin_and_end() {
    let mut s = setup().await;
    let id = s.declare(50 * ONE).await;
    let (depositor, source) = s.f.depositor(USDC, 100).await;
    let pay = [(USDC, s.payout[USDC])];
    let f = &mut s.f;
    let r = route(f).await;
    let k = r.keeper.pubkey();
    let g = f.gov();
    let (gov, guardian) = (f.governance.insecure_clone(), f.guardian.insecure_clone());
    let authority = s.authority.insecure_clone();
    let keys = watched(f, &r);
    let before = snapshot(&mut f.ctx, &keys).await;
    let in_between: Vec<(&str, _, Vec<&Keypair>)> = vec![
        (
            "second begin",
            f.rebalance_begin_ix(&k, USDC, LST, &r.keeper_accounts[LST], ONE),
            vec![],
        ),
        (
            "deposit",
            f.deposit_ix(&depositor.pubkey(), USDC, &source, ONE),
            vec![&depositor],
        ),
        (
            "draw",
            f.draw_ix(&authority.pubkey(), id, ONE, &pay),
            vec![&authority],
        ),
        ("refresh", f.refresh_ix(f.all_assets()), vec![]),
        ("sync", f.sync_auctions_ix(), vec![]),
        ("get_nav", f.get_nav_ix(), vec![]),
        (
            "rebalance",
            f.rebalance_ix(
                &k,
                USDC,
                &r.keeper_accounts[USDC],
                LST,
                &r.keeper_accounts[LST],
                ONE,
                0,
            ),
            vec![],
        ),
        (
            "set_bounds",
            f.set_bounds_args_ix(&g, crate::timelock::bounds(5_000, 0)),
            vec![&gov],
        ),
        ("pause", f.pause_ix(&guardian.pubkey(), 1), vec![&guardian]),
    ];
    for (what, ix, extra) in in_between {
        let mut ixs = r.flash(f, USDC, LST, 50 * ONE, 100 * ONE);
        ixs.insert(1, ix);
        let mut signers = r.signers().to_vec();
        signers.extend(extra);
        let out = f.ctx.send(&ixs, &signers).await;
        match &out.result {
            Err(solana_transaction_error::TransactionError::InstructionError(1, _)) => {}
            other => panic!("{what}: expected a failure at instruction 1, got {other:?}"),
        }
        assert_fund_error_at(&out, 1, FundError::FlashFillInProgress);
    }
    assert_unchanged(&mut f.ctx, &keys, &before, "fund used mid-flash").await;
    // the same flash fill alone goes through
    let ixs = r.flash(f, USDC, LST, 50 * ONE, 100 * ONE);
    f.ctx.send(&ixs, &r.signers()).await.unwrap();
}

/// Neither half may be reached through CPI (the relay program calls the fund with the
/// exact instruction a keeper would send), and a draw through CPI mid-flash is refused by
/// the lock.
#[tokio::test]
async fn flash_fills_refuse_cpi() {
    let mut s = setup().await;
    let f = &mut s.f;
    let r = route(f).await;
    let keys = watched(f, &r);
    let before = snapshot(&mut f.ctx, &keys).await;
    // begin through CPI, its end at the top level
    let mut ixs = r.flash(f, USDC, LST, 50 * ONE, 100 * ONE);
    ixs[0] = relayed(&ixs[0]);
    let out = f.ctx.send(&ixs, &r.signers()).await;
    assert_fund_error_at(&out, 0, FundError::FlashFillNotTopLevel);
    // end through CPI
    let mut ixs = r.flash(f, USDC, LST, 50 * ONE, 100 * ONE);
    ixs[3] = relayed(&ixs[3]);
    let out = f.ctx.send(&ixs, &r.signers()).await;
    // begin does not see a top-level end of this program, so it refuses first
    assert_fund_error_at(&out, 0, FundError::FlashFillEndMissing);
    // a fund instruction through CPI mid-flash meets the lock
    let mut ixs = r.flash(f, USDC, LST, 50 * ONE, 100 * ONE);
    ixs.insert(1, relayed(&f.sync_auctions_ix()));
    let out = f.ctx.send(&ixs, &r.signers()).await;
    assert_fund_error_at(&out, 1, FundError::FlashFillInProgress);
    assert_unchanged(&mut f.ctx, &keys, &before, "flash fills through CPI").await;
}

#[tokio::test]
async fn begin_guards() {
    let mut s = setup().await;
    let f = &mut s.f;
    let r = route(f).await;
    let k = r.keeper.pubkey();
    let end = f.rebalance_end_ix(&k, USDC, LST);
    let begin = f.rebalance_begin_ix(&k, USDC, LST, &r.keeper_accounts[LST], 0);
    let out = f.ctx.send(&[begin, end.clone()], &[&r.keeper]).await;
    assert_fund_error_at(&out, 0, FundError::ZeroAmount);
    // more than the fund holds
    let begin = f.rebalance_begin_ix(&k, USDC, LST, &r.keeper_accounts[LST], 300 * ONE + 1);
    let out = f.ctx.send(&[begin, end.clone()], &[&r.keeper]).await;
    assert_fund_error_at(&out, 0, FundError::InsufficientVaultBalance);
    // the keeper's account must hold the out-asset
    let begin = f.rebalance_begin_ix(&k, USDC, LST, &r.keeper_accounts[USDC], ONE);
    let out = f.ctx.send(&[begin, end.clone()], &[&r.keeper]).await;
    assert_fund_error_at(&out, 0, FundError::SourceMintMismatch);
    // lending into the vault itself
    let begin = f.rebalance_begin_ix(&k, USDC, LST, &f.h.assets[LST].vault, ONE);
    let out = f.ctx.send(&[begin, end.clone()], &[&r.keeper]).await;
    assert_anchor_error(
        &out,
        anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount,
    );
    // a spoofed instructions sysvar
    let mut begin = f.rebalance_begin_ix(&k, USDC, LST, &r.keeper_accounts[LST], ONE);
    begin.accounts[8].pubkey = Pubkey::new_unique();
    let out = f.ctx.send(&[begin, end.clone()], &[&r.keeper]).await;
    assert_anchor_error(&out, anchor_lang::error::ErrorCode::ConstraintAddress);
    // paused
    let guardian = f.guardian.insecure_clone();
    let pause = f.pause_ix(&guardian.pubkey(), 2);
    f.ctx.send_ok(&[pause], &[&guardian]).await;
    let begin = f.rebalance_begin_ix(&k, USDC, LST, &r.keeper_accounts[LST], ONE);
    let out = f.ctx.send(&[begin, end], &[&r.keeper]).await;
    assert_fund_error_at(&out, 0, FundError::RebalancesPaused);
}

#[tokio::test]
async fn end_measures_only_the_vaults_of_its_fill() {
    let mut s = setup().await;
    let f = &mut s.f;
    let r = route(f).await;
    // part of what was lent comes back to the out-vault: only the net amount is taken
    let mut ixs = r.flash(f, USDC, LST, 50 * ONE, 100 * ONE);
    ixs.insert(
        2,
        f.ctx.transfer_ix(
            &f.h.assets[LST].mint,
            &r.mm_accounts[LST],
            &f.h.assets[LST].vault,
            &r.mm.pubkey(),
            10 * ONE,
        ),
    );
    f.ctx.send(&ixs, &r.signers()).await.unwrap();
    let st = f.state().await;
    assert_eq!(st.assets[LST].booked_balance, 260 * ONE);
    assert_eq!(f.ctx.token_balance(&f.h.assets[LST].vault).await, 260 * ONE);
}
