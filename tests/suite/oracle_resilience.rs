//! Oracle resilience (issue #16): a dead feed blocks neither draws nor the fills that raise the
//! fund's liquidity. Draws need fresh prices only for what they pay and size the fund-wide
//! cap without the dead asset; fills need their own pair fresh and, while a third asset's
//! price is stale, are restricted to liquidity-raising ones; an asset holding nothing never
//! needs a price.

use crate::rebalance;
use insurance_fund::error::FundError;
use insurance_fund_tests::shortfall;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

/// Kills a Pyth asset's feed the way a crash does: its confidence blows out past the asset's
/// limit (2 % against 1 %), so every refresh of it is refused, then its cached price ages
/// past the 60 s max age.
async fn kill_feed(f: &mut FundFixture, k: usize, price: i64) {
    f.set_pyth_price(k, price, -8, (price / 50) as u64).await;
    let out = f.ctx.send(&[f.refresh_ix(1 << k)], &[]).await;
    assert_fund_error(&out, FundError::OracleConfidenceTooWide);
    f.ctx.advance_clock(61).await;
}

/// Refreshes every asset but `dead`, at the given prices (`(asset, price)`, expo -8).
async fn refresh_all_but(f: &mut FundFixture, dead: usize, prices: &[(usize, i64)]) {
    for &(k, p) in prices {
        f.set_pyth_price(k, p, -8, 0).await;
    }
    let mask = f.all_assets() & !(1 << dead);
    f.ctx.send_ok(&[f.refresh_ix(mask)], &[]).await;
    let now = f.ctx.now().await;
    assert_eq!(f.state().await.stale_mask(now), 1 << dead);
}

mod draws {
    use super::*;
    const USDC: usize = 0;
    const USDT: usize = 1;
    const LST: usize = 2;

    /// USDC 100, USDT 200, LST 300 at 2.00 (NAV 900, fund-wide cap 50 %): the LST feed dies.
    /// The cap is sized on the 300 of fresh liquid value (150), not on 900 (450): a draw of a
    /// 250 shortfall pays exactly 150, from USDC then USDT.
    #[tokio::test]
    async fn a_dead_non_liquid_feed_does_not_block_a_draw_and_the_cap_excludes_it() {
        let mut s = shortfall::setup().await;
        kill_feed(&mut s.f, LST, 200_000_000).await;
        refresh_all_but(&mut s.f, LST, &[(USDT, 100_000_000)]).await;
        let id = s.declare(250 * ONE).await;
        s.draw(id, u64::MAX, &[USDC, USDT]).await.unwrap();
        assert_eq!(s.balances().await, [100 * ONE, 50 * ONE, 0]);
        let r = s.shortfall(id).await;
        assert_eq!(r.paid, 150 * ONE);
        let st = s.f.state().await;
        assert_eq!(st.draw_state.level, 150 * ONE);
        assert_eq!(st.assets[LST].booked_balance, 300 * ONE);
    }

    /// A draw never pays from an asset whose price is stale (`PriceStale` for a group naming
    /// it) and may skip it in the waterfall: with USDC drained and USDT's feed dead, a draw
    /// naming USDT is refused and one skipping it to the LST pays.
    #[tokio::test]
    async fn a_draw_skips_a_stale_asset_and_never_pays_from_it() {
        let mut s = shortfall::setup().await;
        let first = s.declare(100 * ONE).await;
        s.draw(first, u64::MAX, &[USDC]).await.unwrap();
        kill_feed(&mut s.f, USDT, 100_000_000).await;
        refresh_all_but(&mut s.f, USDT, &[(LST, 200_000_000)]).await;
        let id = s.declare(20 * ONE).await;
        let before = s.f.state().await;
        assert_fund_error(&s.draw(id, u64::MAX, &[USDT]).await, FundError::PriceStale);
        assert_eq!(s.f.state().await, before);
        // 20 USD of LST at 2.00
        s.draw(id, u64::MAX, &[LST]).await.unwrap();
        assert_eq!(s.balances().await, [100 * ONE, 0, 10 * ONE]);
    }

    /// An asset holding nothing never needs a price: USDT's feed dies after a draw emptied
    /// it, and nothing is stale.
    #[tokio::test]
    async fn an_empty_asset_never_needs_a_fresh_price() {
        let mut s = shortfall::setup().await;
        let id = s.declare(300 * ONE).await;
        s.draw(id, u64::MAX, &[USDC, USDT]).await.unwrap();
        assert_eq!(s.f.state().await.assets[USDT].booked_balance, 0);
        kill_feed(&mut s.f, USDT, 100_000_000).await;
        s.f.set_pyth_price(LST, 200_000_000, -8, 0).await;
        s.f.ctx.send_ok(&[s.f.refresh_ix(1 << LST)], &[]).await;
        let now = s.f.ctx.now().await;
        assert_eq!(s.f.state().await.stale_mask(now), 0);
    }
}

mod fills {
    use super::*;
    const USDC: usize = 0;
    const USDT: usize = 1;
    const LST: usize = 2;
    const LP: usize = 3;

    /// The four-asset fund (USDC 40 %, USDT 20 %, LST 20 %, LP 20 % targets; liquid floor
    /// 60 %) after an LP-heavy inflow: USDC 500, USDT 100, LST 0, LP 1,000 (NAV 1,600: USDC
    /// and LST under their bands, LP far over), auctions synced, a claimant with an open
    /// shortfall (shortfall mode). Then USDT's feed dies.
    async fn crisis() -> (FundFixture, rebalance::Keeper, Keypair) {
        let mut f = rebalance::four_asset_fund(rebalance_config()).await;
        let (claimant, _) = configure_rebalance_draws_and_claimant(&mut f).await;
        f.deposit(LP, 600 * ONE).await;
        for k in 1..4 {
            f.set_pyth_price(k, 100_000_000, -8, 0).await;
        }
        let c = claimant.pubkey();
        let declare = f.declare_ix(&c, &c, 0, 10 * ONE, [3; 32]);
        f.ctx.send_ok(&[declare], &[&claimant]).await;
        f.ctx.advance_clock(1).await;
        for k in 1..4 {
            f.set_pyth_price(k, 100_000_000, -8, 0).await;
        }
        rebalance::crank(&mut f).await;
        let kp = rebalance::keeper(&mut f, 1_000).await;
        kill_feed(&mut f, USDT, 100_000_000).await;
        refresh_all_but(&mut f, USDT, &[(LST, 100_000_000), (LP, 100_000_000)]).await;
        (f, kp, claimant)
    }

    #[tokio::test]
    async fn a_keeper_sells_a_risk_asset_for_a_liquid_one_while_a_third_feed_is_dead() {
        let (mut f, kp, _) = crisis().await;
        assert!(f.state().await.draw_state.open_shortfalls > 0);
        let lp_before = f.ctx.token_balance(&kp.accounts[LP]).await;
        rebalance::fill(&mut f, &kp, USDC, LP, 50 * ONE, 0)
            .await
            .unwrap();
        let got = f.ctx.token_balance(&kp.accounts[LP]).await - lp_before;
        assert!(got >= 50 * ONE, "the keeper received {got} LP atoms");
        let st = f.state().await;
        assert_eq!(st.assets[USDC].booked_balance, 550 * ONE);
        assert_eq!(st.assets[LP].booked_balance, 1_000 * ONE - got);
    }

    /// Outside shortfall mode too, a stale third asset restricts fills to liquidity-raising
    /// ones (`StalePricesLiquidOnly`), and a pair with a stale side is refused (`PriceStale`).
    #[tokio::test]
    async fn a_stale_third_asset_allows_only_liquidity_raising_fills() {
        let (mut f, kp, claimant) = crisis().await;
        // out of shortfall mode: the claimant cancels its shortfall
        let c = claimant.pubkey();
        f.ctx.send_ok(&[f.cancel_ix(&c, &c, 0)], &[&claimant]).await;
        assert_eq!(f.state().await.draw_state.open_shortfalls, 0);
        let before = f.state().await;
        // LST (yield-bearing) for LP: eligible, but not liquidity-raising
        assert_fund_error(
            &rebalance::fill(&mut f, &kp, LST, LP, 10 * ONE, 0).await,
            FundError::StalePricesLiquidOnly,
        );
        // USDT itself is stale: it cannot be delivered
        assert_fund_error(
            &rebalance::fill(&mut f, &kp, USDT, LP, 10 * ONE, 0).await,
            FundError::PriceStale,
        );
        assert_eq!(f.state().await, before);
        // once USDT is priced again, the LST fill goes through
        f.set_pyth_price(USDT, 100_000_000, -8, 0).await;
        f.ctx.send_ok(&[f.refresh_ix(1 << USDT)], &[]).await;
        rebalance::fill(&mut f, &kp, LST, LP, 10 * ONE, 0)
            .await
            .unwrap();
    }
}
