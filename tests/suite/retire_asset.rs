//! `retire_asset`: governance takes a dead or dangerous asset out of every bound at once, even
//! under a long timelock; every guard with its error.

use crate::timelock::bounds;
use insurance_fund::error::FundError;
use insurance_fund::state::{asset_flags, LiquidityClass};
use insurance_fund_tests::shortfall;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: usize = 0;
const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000;

/// USDC 100, USDT 200, LST 300 at 2.00 (the shortfall suite's fund), a 30-day timelock; the
/// LST feed then dies (its price goes stale with 300 LST booked).
async fn fund_with_a_dead_lst() -> shortfall::Setup {
    let mut s = shortfall::setup().await;
    let gov = s.f.gov();
    s.f.send_gov(&[s.f.set_bounds_args_ix(&gov, bounds(5_000, 30 * 86_400))])
        .await
        .unwrap();
    s.f.ctx.advance_clock(61).await;
    s.f.set_pyth_price(USDT, 100_000_000, -8, 0).await;
    s.f.ctx.send_ok(&[s.f.refresh_ix(1 << USDT)], &[]).await;
    let now = s.f.ctx.now().await;
    assert_eq!(s.f.state().await.stale_mask(now), 1 << LST);
    s
}

#[tokio::test]
async fn a_retired_asset_is_out_of_every_bound_at_once_under_a_timelock() {
    let mut s = fund_with_a_dead_lst().await;
    let gov = s.f.gov();
    let nav_before = s.f.state().await.nav().unwrap();
    // its target to 0 and retired, in one proposal: both apply at once
    let ixs = [
        s.f.set_targets_ix(&gov, vec![5_000, 5_000, 0]),
        s.f.retire_asset_ix(&gov, LST),
    ];
    let out = s.f.send_gov(&ixs).await.unwrap();
    let st = s.f.state().await;
    let lst = st.assets[LST];
    assert_eq!(lst.retired, 1);
    assert_eq!(lst.flags, asset_flags::REBALANCE_OUT);
    assert_eq!(lst.booked_balance, 300 * ONE);
    // valued at 0: NAV loses the 600 USD of LST (at its 2.00 lower bound) and nothing else
    assert_eq!(st.nav().unwrap(), nav_before - 600 * u128::from(ONE));
    // its dead feed no longer counts as stale: it restricts no fill and no draw
    let now = s.f.ctx.now().await;
    assert_eq!(st.stale_mask(now), 0);
    if let Some(e) = s.f.ctx.event::<insurance_fund::events::AssetRetired>(&out) {
        assert_eq!((e.mint, e.booked_balance), (lst.mint, 300 * ONE));
    }

    // no deposits, never paid out, parameters final
    let (who, source) = s.f.depositor(LST, ONE).await;
    let deposit = s.f.h.deposit_ix(&who.pubkey(), LST, &source, ONE);
    assert_fund_error(
        &s.f.ctx.send(&[deposit], &[&who]).await,
        FundError::AssetDepositsDisabled,
    );
    // never paid out: out of the waterfall; and worth 0 to the draw cap (50 % of the 300 USD
    // of USDC and USDT)
    assert_eq!(s.f.state().await.draw_waterfall().as_slice(), &[USDC, USDT]);
    let id = s.declare(400 * ONE).await;
    s.draw(id, u64::MAX, &[USDC, USDT]).await.unwrap();
    assert_eq!(s.balances().await, [100 * ONE, 50 * ONE, 0]);
    let mut p = asset_params(LiquidityClass::YieldBearing, 8_000, pyth_oracle(3));
    p.flags = asset_flags::REBALANCE_OUT;
    let update = s.f.update_asset_ix(&gov, &lst.mint, p);
    assert_fund_error(&s.f.send_gov(&[update]).await, FundError::AssetIsRetired);
    // a retired asset cannot get a target back
    let targets = s.f.set_targets_ix(&gov, vec![5_000, 3_000, 2_000]);
    assert_fund_error(&s.f.send_gov(&[targets]).await, FundError::AssetIsRetired);
    assert_eq!(s.f.state().await.assets[LST], lst);
}

#[tokio::test]
async fn retire_guards() {
    let mut s = fund_with_a_dead_lst().await;
    let gov = s.f.gov();
    let before = s.f.state().await;
    // its target is not 0 yet
    assert_fund_error(
        &s.f.send_gov(&[s.f.retire_asset_ix(&gov, LST)]).await,
        FundError::AssetTargetNotZero,
    );
    // not governance
    let intruder = Keypair::new();
    let ix = s.f.retire_asset_ix(&intruder.pubkey(), LST);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&intruder]).await,
        FundError::NotGovernance,
    );
    // the guardian cannot either (retirement is for governance only: it is one-way)
    let guardian = s.f.h.guardian.insecure_clone();
    let ix = s.f.retire_asset_ix(&guardian.pubkey(), LST);
    assert_fund_error(
        &s.f.ctx.send(&[ix], &[&guardian]).await,
        FundError::NotGovernance,
    );
    // an unregistered mint
    let ix = insurance_fund_client::ix::retire_asset(
        &s.f.fund,
        &gov,
        anchor_lang::prelude::Pubkey::new_unique(),
    );
    assert_fund_error(&s.f.send_gov(&[ix]).await, FundError::UnknownAsset);
    assert_eq!(s.f.state().await, before);
    // retired once, not twice
    let ixs = [
        s.f.set_targets_ix(&gov, vec![5_000, 5_000, 0]),
        s.f.retire_asset_ix(&gov, LST),
    ];
    s.f.send_gov(&ixs).await.unwrap();
    let once = s.f.state().await;
    assert_fund_error(
        &s.f.send_gov(&[s.f.retire_asset_ix(&gov, LST)]).await,
        FundError::AssetIsRetired,
    );
    assert_eq!(s.f.state().await, once);
}

/// When a retired asset's feed comes back, keepers buy it out of the fund at its upper price
/// plus the auction premium, for liquid assets the fund is short of: NAV only rises (what
/// leaves is worth 0 to it), the asset stays on offer until empty, and it is never bought.
#[tokio::test]
async fn keepers_buy_a_retired_asset_out_once_its_feed_is_back() {
    let mut s = shortfall::setup().await;
    let gov = s.f.gov();
    s.f.send_gov(&[s.f.set_rebalance_params_ix(&gov, rebalance_config())])
        .await
        .unwrap();
    // the LST feed dies, and governance retires it
    s.f.ctx.advance_clock(61).await;
    s.f.set_pyth_price(USDT, 100_000_000, -8, 0).await;
    s.f.ctx.send_ok(&[s.f.refresh_ix(1 << USDT)], &[]).await;
    let ixs = [
        s.f.set_targets_ix(&gov, vec![5_000, 5_000, 0]),
        s.f.retire_asset_ix(&gov, LST),
    ];
    s.f.send_gov(&ixs).await.unwrap();
    // while its feed is dead: no price, no buy-out (a fill needs its pair's prices fresh)
    s.f.ctx.send_ok(&[s.f.sync_auctions_ix()], &[]).await;
    let st = s.f.state().await;
    assert!(
        st.assets[LST].over_since > 0,
        "on offer from the first sync"
    );
    let kp = crate::rebalance::keeper(&mut s.f, 1_000).await;
    let out = crate::rebalance::fill(&mut s.f, &kp, USDC, LST, 10 * ONE, 0).await;
    assert_fund_error(&out, FundError::PriceStale);
    // the feed comes back at 2.00
    s.f.ctx.advance_clock(1).await;
    s.f.set_pyth_price(LST, 200_000_000, -8, 0).await;
    s.f.set_pyth_price(USDT, 100_000_000, -8, 0).await;
    s.f.ctx
        .send_ok(&[s.f.refresh_ix(s.f.all_assets())], &[])
        .await;
    let nav_before = s.f.state().await.nav().unwrap();
    // USDC (100 of 300 valued) is under its 50 % target: deliver 20 USDC for LST at 2.00
    // plus the 10 bps start premium
    let before = s.f.ctx.token_balance(&kp.accounts[LST]).await;
    crate::rebalance::fill(&mut s.f, &kp, USDC, LST, 20 * ONE, 0)
        .await
        .unwrap();
    let got = s.f.ctx.token_balance(&kp.accounts[LST]).await - before;
    assert_eq!(got, 20_020_000 / 2);
    let st = s.f.state().await;
    assert_eq!(st.assets[LST].booked_balance, 300 * ONE - got);
    assert_eq!(st.assets[USDC].booked_balance, 120 * ONE);
    // NAV rose by the whole delivery: the LST that left was worth 0 to the fund
    assert_eq!(st.nav().unwrap(), nav_before + 20 * u128::from(ONE));
    assert!(st.assets[LST].over_since > 0, "still on offer");
    // never bought: delivering it to the fund is refused
    let out = crate::rebalance::fill(&mut s.f, &kp, LST, USDC, ONE, 0).await;
    assert_fund_error(&out, FundError::RebalanceInDisabled);
    // the in-asset must be one the fund is short of: USDT (200 of 320) is over its target
    let out = crate::rebalance::fill(&mut s.f, &kp, USDT, LST, ONE, 0).await;
    assert_fund_error(&out, FundError::InNotUnderweight);
}
