//! Integer limits in the runtime: balances, caps, shortfalls, draws and fills at or near
//! `u64::MAX` (mint supplies are pushed to `u64::MAX` by minting it). What the math is meant
//! to handle succeeds exactly (a booked balance of `u64::MAX`, NAV at it, caps of `u64::MAX`,
//! a `u64::MAX` shortfall drawn in one go); what cannot fit is refused with the program's
//! `MathOverflow` (a lifetime total past `u64::MAX`, a fill whose payout would exceed
//! `u64::MAX` atoms) or its named limit, and changes nothing. A booked balance itself cannot
//! overflow: it never exceeds its vault's balance, which the token program keeps within the
//! mint's supply, itself at most `u64::MAX`.

use super::{assert_unchanged, snapshot};
use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::{Claimant, ClaimantCaps, DrawConfig, RebalanceConfig, Shortfall};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;
const MAX: u64 = u64::MAX;

/// Draws configured with nothing but `u64::MAX` caps: no approval below `u64::MAX`, the whole
/// NAV per window.
fn draws_at_the_limit() -> DrawConfig {
    DrawConfig {
        approval_threshold: MAX,
        fund_cap_bps: 10_000,
        ..draw_config()
    }
}

fn caps_at_the_limit() -> ClaimantCaps {
    ClaimantCaps {
        max_per_shortfall: MAX,
        max_per_window: MAX,
        lifetime_max: MAX,
    }
}

/// A claimant with every cap at `u64::MAX`, paying out to `owner`.
async fn claimant(f: &mut FundFixture, owner: Pubkey) -> Keypair {
    let authority = Keypair::new();
    let ix = f.register_claimant_ix(&f.gov(), authority.pubkey(), owner, caps_at_the_limit());
    f.send_gov(&[ix]).await.unwrap();
    authority
}

async fn record<T: AccountDeserialize>(ctx: &mut TestContext, key: &Pubkey) -> T {
    let data = ctx.account(key).await.expect("record").data;
    T::try_deserialize(&mut data.as_slice()).unwrap()
}

/// The default fund (USDC fixed at 1.00, USDT on Pyth at exactly 1.00) with draws at the
/// limit, USDC's whole supply (`u64::MAX` atoms) deposited, and fresh prices.
async fn fund_holding_the_whole_supply() -> FundFixture {
    let mut f = TestBuilder::new().build().await;
    f.send_gov(&[f.set_draw_params_ix(&f.gov(), draws_at_the_limit())])
        .await
        .unwrap();
    let (who, source) = f.depositor(0, MAX).await;
    // two deposits summing to exactly u64::MAX
    for amount in [MAX - 1, 1] {
        let ix = f.deposit_ix(&who.pubkey(), 0, &source, amount);
        f.ctx.send_ok(&[ix], &[&who]).await;
    }
    f.set_pyth_price(1, 100_000_000, -8, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    f
}

#[tokio::test]
async fn a_balance_and_lifetime_fees_book_up_to_u64_max_exactly_and_a_deposit_past_that_total_is_refused(
) {
    let mut f = fund_holding_the_whole_supply().await;
    let a = f.state().await.assets[0];
    assert_eq!((a.booked_balance, a.total_fees_received), (MAX, MAX));
    assert_eq!(f.ctx.token_balance(&f.h.assets[0].vault).await, MAX);
    assert_eq!(f.nav_report().await.nav, u128::from(MAX));
    // the premise: no more of the mint exists, so no vault can hold more
    let mint = f.h.assets[0].mint;
    let spare = f
        .ctx
        .create_token_account(&mint, &Pubkey::new_unique())
        .await;
    let ix = anchor_spl::token_2022::spl_token_2022::instruction::mint_to(
        &mint.program_id(),
        &mint.key,
        &spare,
        &f.payer,
        &[],
        1,
    )
    .unwrap();
    assert!(f.ctx.send(&[ix], &[]).await.result.is_err());

    // 5 USDC leave through a draw, and their owner deposits them back as fees: the vault
    // and the booked balance return to u64::MAX, but lifetime fees would pass it
    let owner = Keypair::new();
    let authority = claimant(&mut f, owner.pubkey()).await;
    let payout = f.ctx.create_token_account(&mint, &owner.pubkey()).await;
    let c = authority.pubkey();
    let ix = f.declare_ix(&c, &c, 0, 5 * ONE, [0; 32]);
    f.ctx.send_ok(&[ix], &[&authority]).await;
    let ix = f.draw_ix(&c, 0, MAX, &[(0, payout)]);
    f.ctx.send_ok(&[ix], &[&authority]).await;
    assert_eq!(f.ctx.token_balance(&payout).await, 5 * ONE);
    let keys = [f.fund, f.h.assets[0].vault, payout];
    let before = snapshot(&mut f.ctx, &keys).await;
    let ix = f.deposit_ix(&owner.pubkey(), 0, &payout, 5 * ONE);
    let out = f.ctx.send(&[ix], &[&owner]).await;
    assert_fund_error(&out, FundError::MathOverflow);
    assert_unchanged(&mut f.ctx, &keys, &before, "deposit past lifetime fees").await;
}

#[tokio::test]
async fn a_u64_max_shortfall_is_paid_exactly_and_a_draw_past_the_funds_lifetime_total_is_refused() {
    let mut f = fund_holding_the_whole_supply().await;
    let owner = Pubkey::new_unique();
    let first = claimant(&mut f, owner).await;
    let c = first.pubkey();
    let payout0 = f
        .ctx
        .create_token_account(&f.h.assets[0].mint, &owner)
        .await;
    // a shortfall of u64::MAX needs no approval at a u64::MAX threshold, and is paid in one
    // draw of u64::MAX: the whole vault
    let ix = f.declare_ix(&c, &c, 0, MAX, [0; 32]);
    f.ctx.send_ok(&[ix], &[&first]).await;
    let s: Shortfall = record(&mut f.ctx, &f.h.shortfall_address(0)).await;
    assert!(!s.needs_approval);
    let ix = f.draw_ix(&c, 0, MAX, &[(0, payout0)]);
    f.ctx.send_ok(&[ix], &[&first]).await;
    assert_eq!(f.ctx.token_balance(&payout0).await, MAX);
    let s: Shortfall = record(&mut f.ctx, &f.h.shortfall_address(0)).await;
    assert_eq!(
        (s.paid, s.status),
        (MAX, insurance_fund::state::ShortfallStatus::Paid)
    );
    let cl: Claimant = record(&mut f.ctx, &f.h.claimant_address(&c)).await;
    assert_eq!(cl.drawn_lifetime, MAX);
    let st = f.state().await;
    assert_eq!(
        (st.draw_state.total_drawn, st.assets[0].booked_balance),
        (MAX, 0)
    );

    // USDT's whole supply deposited; a day later both draw buckets have drained
    f.deposit(1, MAX).await;
    f.ctx.advance_clock(86_400).await;
    f.set_pyth_price(1, 100_000_000, -8, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    let payout1 = f
        .ctx
        .create_token_account(&f.h.assets[1].mint, &owner)
        .await;
    let mut keys = vec![f.fund, f.h.assets[1].vault, payout1, f.claimant_address(&c)];
    // the first claimant's lifetime cap of u64::MAX is used up exactly
    let ix = f.declare_ix(&c, &c, 1, ONE, [0; 32]);
    f.ctx.send_ok(&[ix], &[&first]).await;
    keys.push(f.shortfall_address(1));
    let before = snapshot(&mut f.ctx, &keys).await;
    let ix = f.draw_ix(&c, 1, ONE, &[(1, payout1)]);
    let out = f.ctx.send(&[ix], &[&first]).await;
    assert_fund_error(&out, FundError::NothingToDraw);
    assert_unchanged(&mut f.ctx, &keys, &before, "lifetime cap").await;
    // a second claimant may draw u64::MAX, but the fund's lifetime total cannot pass it
    let second = claimant(&mut f, owner).await;
    let s2 = second.pubkey();
    let ix = f.declare_ix(&s2, &s2, 2, MAX, [0; 32]);
    f.ctx.send_ok(&[ix], &[&second]).await;
    keys.extend([f.shortfall_address(2), f.claimant_address(&s2)]);
    let before = snapshot(&mut f.ctx, &keys).await;
    let ix = f.draw_ix(&s2, 2, MAX, &[(1, payout1)]);
    let out = f.ctx.send(&[ix], &[&second]).await;
    assert_fund_error(&out, FundError::MathOverflow);
    assert_unchanged(&mut f.ctx, &keys, &before, "fund total past u64::MAX").await;
}

#[tokio::test]
async fn fills_under_u64_max_caps_work_and_a_fill_paying_past_u64_max_is_refused() {
    let mut f = TestBuilder::new().build().await;
    let p = RebalanceConfig {
        max_volume_per_window: MAX,
        premium_budget_per_window: MAX,
        ..rebalance_config()
    };
    f.send_gov(&[f.set_rebalance_params_ix(&f.gov(), p)])
        .await
        .unwrap();
    // USDC (target 60 %) at 70 %, far over its band; USDT (target 40 %) at 30 %, far under
    f.deposit(0, 700 * ONE).await;
    f.deposit(1, 300 * ONE).await;
    f.set_pyth_price(1, 100_000_000, -8, 0).await;
    let crank = [f.refresh_ix(f.all_assets()), f.sync_auctions_ix()];
    f.ctx.send_ok(&crank, &[]).await;
    // a keeper holding the rest of USDT's supply
    let keeper = Keypair::new();
    let (usdc, usdt) = (f.h.assets[0].mint, f.h.assets[1].mint);
    let k0 = f.ctx.create_token_account(&usdc, &keeper.pubkey()).await;
    let k1 = f
        .ctx
        .funded_token_account(&usdt, &keeper.pubkey(), MAX - 300 * ONE)
        .await;
    let k = keeper.pubkey();
    // an ordinary fill: u64::MAX caps are no obstacle
    let ix = f.rebalance_ix(&k, 1, &k1, 0, &k0, 2 * ONE, 0);
    f.ctx.send_ok(&[ix], &[&keeper]).await;
    assert_eq!(f.ctx.token_balance(&k0).await, 2 * ONE + 2 * ONE / 1_000);

    let keys = [f.fund, f.h.assets[0].vault, f.h.assets[1].vault, k0, k1];
    let before = snapshot(&mut f.ctx, &keys).await;
    // more than USDC's vault holds, in a fill that fits u64: refused on the balance
    let ix = f.rebalance_ix(&k, 1, &k1, 0, &k0, 1_000 * ONE, 0);
    let out = f.ctx.send(&[ix], &[&keeper]).await;
    assert_fund_error(&out, FundError::InsufficientVaultBalance);
    assert_unchanged(&mut f.ctx, &keys, &before, "fill above the vault").await;
    // everything the keeper holds, near u64::MAX: the quote (value plus premium, in USDC
    // atoms) exceeds u64::MAX
    let all = f.ctx.token_balance(&k1).await;
    assert!(all > MAX - 303 * ONE);
    let ix = f.rebalance_ix(&k, 1, &k1, 0, &k0, all, 0);
    let out = f.ctx.send(&[ix], &[&keeper]).await;
    assert_fund_error(&out, FundError::MathOverflow);
    assert_unchanged(&mut f.ctx, &keys, &before, "fill near u64::MAX").await;
}
