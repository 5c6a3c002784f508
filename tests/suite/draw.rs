//! `draw`: the waterfall, payouts at the upper price rounded for the fund, caps per shortfall,
//! window, lifetime and fund across clock warps, every guard with its exact error, and no
//! pause blocking it.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::events::ShortfallDrawn;
use insurance_fund::state::{
    pause_flags, ClaimantCaps, DrawConfig, LiquidityClass, ShortfallStatus,
};
use insurance_fund_tests::shortfall::*;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: usize = 0;
const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000;

#[tokio::test]
async fn draw_pays_liquid_first_and_closes_when_paid() {
    let mut s = setup().await;
    let id = s.declare(250 * ONE).await;
    let out = s.draw(id, u64::MAX, &[USDC, USDT]).await.unwrap();
    // USDC (100) exhausted first, then 150 of USDT; LST untouched
    assert_eq!(s.balances().await, [100 * ONE, 150 * ONE, 0]);
    let st = s.f.state().await;
    assert_eq!(st.assets[USDC].booked_balance, 0);
    assert_eq!(st.assets[USDT].booked_balance, 50 * ONE);
    assert_eq!(st.assets[LST].booked_balance, 300 * ONE);
    assert_eq!(
        (st.draw_state.total_drawn, st.draw_state.open_shortfalls),
        (250 * ONE, 0)
    );
    let r = s.shortfall(id).await;
    assert_eq!((r.paid, r.status), (250 * ONE, ShortfallStatus::Paid));
    let c = s.claimant().await;
    assert_eq!((c.drawn_lifetime, c.open_shortfalls), (250 * ONE, 0));
    if let Some(e) = s.f.ctx.event::<ShortfallDrawn>(&out) {
        assert_eq!(e.payouts.len(), 2);
        assert_eq!(
            (e.payouts[1].amount, e.payouts[1].value),
            (150 * ONE, 150 * ONE)
        );
        assert_eq!((e.paid, e.remaining), (250 * ONE, 0));
    }
    assert_fund_error(&s.draw(id, ONE, &[USDT]).await, FundError::ShortfallNotOpen);
}

#[tokio::test]
async fn the_next_class_only_when_the_previous_is_exhausted_or_disabled() {
    let mut s = setup_with(ClaimantCaps {
        max_per_shortfall: 900 * ONE,
        max_per_window: 900 * ONE,
        lifetime_max: 900 * ONE,
    })
    .await;
    let id = s.declare(450 * ONE).await;
    // skipping USDC, or jumping to the yield-bearing LST, breaks the order
    assert_fund_error(
        &s.draw(id, u64::MAX, &[USDT]).await,
        FundError::WaterfallOrderViolated,
    );
    assert_fund_error(
        &s.draw(id, u64::MAX, &[USDC, LST]).await,
        FundError::WaterfallOrderViolated,
    );
    // a draw-disabled asset drops out of the waterfall
    let mut p = asset_params(LiquidityClass::Liquid, 8_000, pyth_oracle(2));
    p.flags &= !insurance_fund::state::asset_flags::DRAW;
    let usdt = s.f.h.assets[USDT].mint.key;
    s.f.send_gov(&[s.f.update_asset_ix(&s.f.gov(), &usdt, p)])
        .await
        .unwrap();
    s.draw(id, u64::MAX, &[USDC, LST]).await.unwrap();
    // 100 USDC, then 350 USD of LST at 2.00: 175 LST
    assert_eq!(s.balances().await, [100 * ONE, 0, 175 * ONE]);
}

#[tokio::test]
async fn payouts_convert_at_the_upper_price_and_round_for_the_fund() {
    let mut s = setup().await;
    // LST 2.00 ± 0.01: the fund pays at 2.01 (published a second after the setup's price: an
    // update no newer than the cache would leave it as it is)
    s.f.ctx.advance_clock(1).await;
    set_prices(&mut s.f, 100_000_000, 0, 200_000_000, 1_000_000).await;
    refresh(&mut s.f).await;
    let mut p = asset_params(LiquidityClass::Liquid, 8_000, pyth_oracle(2));
    p.flags &= !insurance_fund::state::asset_flags::DRAW;
    let usdt = s.f.h.assets[USDT].mint.key;
    s.f.send_gov(&[s.f.update_asset_ix(&s.f.gov(), &usdt, p)])
        .await
        .unwrap();
    let id = s.declare(200 * ONE).await;
    s.draw(id, u64::MAX, &[USDC, LST]).await.unwrap();
    // 100 from USDC; 100 USD / 2.01 = 49.751243 LST (tokens rounded down), worth
    // 99.99999843 USD at 2.01: credited 99.999999 (rounded up, for the fund)
    assert_eq!(s.balances().await, [100 * ONE, 0, 49_751_243]);
    let r = s.shortfall(id).await;
    assert_eq!(r.paid, 100 * ONE + 99_999_999);
    assert_eq!(r.status, ShortfallStatus::Open, "1 atom remains owed");
    // valued at the lower bound the fund lost less than it credited
    let nav = s.f.state().await.nav().unwrap();
    let lst_left = 300 * ONE - 49_751_243;
    assert_eq!(nav, 200 * ONE as u128 + (lst_left as u128 * 199 / 100));
}

#[tokio::test]
async fn caps_per_shortfall_window_lifetime_and_fund() {
    // per shortfall: 500, window: 400 per day, lifetime: 10,000; fund: 50 % of NAV per day
    let mut s = setup().await;
    // (the fund-wide cap out of the way: 100 % of NAV)
    let p = DrawConfig {
        fund_cap_bps: 10_000,
        ..draw_config()
    };
    s.f.send_gov(&[s.f.set_draw_params_ix(&s.f.gov(), p)])
        .await
        .unwrap();
    let id = s.declare(600 * ONE).await;
    s.draw(id, 300 * ONE, &[USDC, USDT]).await.unwrap();
    // window: 100 more fits today (USDC and USDT are used up: LST pays)
    let out = s.draw(id, u64::MAX, &[LST]).await.unwrap();
    let r = s.shortfall(id).await;
    assert_eq!(r.paid, 400 * ONE, "window cap");
    if let Some(e) = s.f.ctx.event::<ShortfallDrawn>(&out) {
        assert_eq!(e.paid, 100 * ONE);
    }
    assert_eq!(s.balances().await[LST], 50 * ONE);
    assert_fund_error(&s.draw(id, ONE, &[LST]).await, FundError::NothingToDraw);
    // a day later the window has drained; the per-shortfall cap (500) now binds
    s.f.ctx.advance_clock(86_400).await;
    set_prices(&mut s.f, 100_000_000, 0, 200_000_000, 0).await;
    refresh(&mut s.f).await;
    s.draw(id, u64::MAX, &[LST]).await.unwrap();
    assert_eq!(s.shortfall(id).await.paid, 500 * ONE, "per-shortfall cap");
    assert_fund_error(&s.draw(id, ONE, &[LST]).await, FundError::NothingToDraw);
}

#[tokio::test]
async fn lifetime_and_fund_wide_caps() {
    let mut s = setup_with(ClaimantCaps {
        max_per_shortfall: 50 * ONE,
        max_per_window: 50 * ONE,
        lifetime_max: 60 * ONE,
    })
    .await;
    let id = s.declare(50 * ONE).await;
    s.draw(id, u64::MAX, &[USDC]).await.unwrap();
    s.f.ctx.advance_clock(86_400).await;
    set_prices(&mut s.f, 100_000_000, 0, 200_000_000, 0).await;
    refresh(&mut s.f).await;
    let id = s.declare(50 * ONE).await;
    s.draw(id, u64::MAX, &[USDC]).await.unwrap();
    assert_eq!(s.shortfall(id).await.paid, 10 * ONE, "lifetime cap");
    assert_fund_error(&s.draw(id, ONE, &[USDC]).await, FundError::NothingToDraw);

    // fund-wide: 10 % of NAV per window, whatever the claimant's own caps
    let mut s = setup_with(ClaimantCaps {
        max_per_shortfall: 900 * ONE,
        max_per_window: 900 * ONE,
        lifetime_max: 900 * ONE,
    })
    .await;
    let p = DrawConfig {
        fund_cap_bps: 1_000,
        ..draw_config()
    };
    s.f.send_gov(&[s.f.set_draw_params_ix(&s.f.gov(), p)])
        .await
        .unwrap();
    let id = s.declare(500 * ONE).await;
    s.draw(id, u64::MAX, &[USDC]).await.unwrap();
    assert_eq!(s.shortfall(id).await.paid, 90 * ONE, "10 % of a 900 NAV");
    assert_fund_error(&s.draw(id, ONE, &[USDC]).await, FundError::NothingToDraw);
}

#[tokio::test]
async fn draw_guards() {
    let mut s = setup().await;
    let id = s.declare(10 * ONE).await;
    assert_fund_error(&s.draw(id, 0, &[USDC]).await, FundError::ZeroAmount);
    // someone else signs for the claimant
    let intruder = Keypair::new();
    let mut ix =
        s.f.draw_ix(&s.authority.pubkey(), id, ONE, &[(USDC, s.payout[USDC])]);
    ix.accounts[0].pubkey = intruder.pubkey();
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotClaimantAuthority,
    );
    // payout to a foreign owner, or to an account of another mint
    let foreign =
        s.f.ctx
            .create_token_account(&s.f.h.assets[USDC].mint, &intruder.pubkey())
            .await;
    let ix =
        s.f.draw_ix(&s.authority.pubkey(), id, ONE, &[(USDC, foreign)]);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&s.authority]).await,
        FundError::PayoutOwnerMismatch,
    );
    let ix =
        s.f.draw_ix(&s.authority.pubkey(), id, ONE, &[(USDC, s.payout[USDT])]);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&s.authority]).await,
        FundError::PayoutMintMismatch,
    );
    // a group cut short, or one too many
    let mut ix =
        s.f.draw_ix(&s.authority.pubkey(), id, ONE, &[(USDC, s.payout[USDC])]);
    ix.accounts.pop();
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&s.authority]).await,
        FundError::MissingRemainingAccounts,
    );
    assert_fund_error(
        &s.draw(id, ONE, &[USDC, USDT]).await,
        FundError::ExtraRemainingAccounts,
    );
    // nothing given to pay from
    assert_fund_error(&s.draw(id, ONE, &[]).await, FundError::NothingToDraw);
    // disabled claimant
    let owner = s.claimant().await.payout_owner;
    s.f.send_gov(&[s.f.update_claimant_ix(
        &s.f.gov(),
        &s.authority.pubkey(),
        owner,
        claimant_caps(),
        false,
    )])
    .await
    .unwrap();
    assert_fund_error(&s.draw(id, ONE, &[USDC]).await, FundError::ClaimantDisabled);
    s.f.send_gov(&[s.f.update_claimant_ix(
        &s.f.gov(),
        &s.authority.pubkey(),
        owner,
        claimant_caps(),
        true,
    )])
    .await
    .unwrap();
    // nothing moved
    assert_eq!(s.balances().await, [0, 0, 0]);
    // stale prices: a draw needs fresh prices only for what it pays (the `PriceStale` guard
    // of a group naming a stale asset: `oracle_resilience.rs`), so one paid from the
    // fixed-price USDC goes through with USDT and LST stale
    s.f.ctx.advance_clock(121).await;
    s.draw(id, ONE, &[USDC]).await.unwrap();
    assert_eq!(s.balances().await, [ONE, 0, 0]);
}

#[tokio::test]
async fn pauses_never_block_draws() {
    let mut s = setup().await;
    let id = s.declare(10 * ONE).await;
    let guardian = s.f.h.guardian.insecure_clone();
    s.f.ctx
        .send_ok(
            &[s.f.pause_ix(&guardian.pubkey(), pause_flags::ALL)],
            &[&guardian],
        )
        .await;
    s.draw(id, u64::MAX, &[USDC]).await.unwrap();
    assert_eq!(s.balances().await[USDC], 10 * ONE);
}
