//! Oracle faults during a rebalance and a draw: every fault the refresh path rejects
//! (`oracle.rs`: wrong owner, not a price update, wrong feed, another asset's feed, partial
//! verification, stale publish time, zero or negative spot or EMA, wide spot or EMA
//! confidence) is published for one asset whose cached price has gone stale. The refresh is
//! refused with the fault's error (also as the first instruction of a keeper's or claimant's
//! transaction), the cached price stays stale, and a fill delivering USDT then refuses with
//! `PriceStale`: nothing moves. A draw paid from USDC goes through while USDT is stale (draws
//! need fresh prices only for what they pay, issue #16). A sound price afterwards lets both
//! through.
//!
//! The exponent is not among the faults: `oracle.rs` bounds only a fixed price's exponent; a
//! Pyth exponent is part of the price the feed publishes and is used as published (last test).

use super::{assert_error_at, assert_unchanged, snapshot};
use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;
const USDC: usize = 0;
const USDT: usize = 1;

/// A fund mid-flow: USDC (fixed, liquid, target 50 %) at 70 %, far over its band; USDT (Pyth
/// feed 2, liquid, target 30 %, max age 60 s, max confidence 100 bps) at 10 %, far under it;
/// LST (Pyth feed 3, yield-bearing, target 20 %) on target. Auctions synced, a keeper holding
/// USDT and USDC, and an open 10 USD shortfall its claimant can draw from USDC.
struct Flow {
    f: FundFixture,
    keeper: Keypair,
    keeper_accounts: [Pubkey; 2],
    claimant: Keypair,
    payout: Pubkey,
}

async fn flow() -> Flow {
    let mut f = TestBuilder::new()
        .assets(usdc_usdt_lst([8_000, 6_000, 4_000]))
        .min_liquid_bps(6_000)
        .build()
        .await;
    let (claimant, owner) = configure_rebalance_draws_and_claimant(&mut f).await;
    for (k, amount) in [700, 100, 200].into_iter().enumerate() {
        f.deposit(k, amount * ONE).await;
    }
    f.set_pyth_price(1, 100_000_000, -8, 0).await;
    f.set_pyth_price(2, 100_000_000, -8, 0).await;
    let crank = [f.refresh_ix(f.all_assets()), f.sync_auctions_ix()];
    f.ctx.send_ok(&crank, &[]).await;
    let c = claimant.pubkey();
    let ix = f.declare_ix(&c, &c, 0, 10 * ONE, [4; 32]);
    f.ctx.send_ok(&[ix], &[&claimant]).await;
    let payout = f
        .ctx
        .create_token_account(&f.h.assets[USDC].mint, &owner)
        .await;
    let keeper = Keypair::new();
    let mut keeper_accounts = [Pubkey::default(); 2];
    for (k, slot) in keeper_accounts.iter_mut().enumerate() {
        let mint = f.h.assets[k].mint;
        *slot = f
            .ctx
            .funded_token_account(&mint, &keeper.pubkey(), 100 * ONE)
            .await;
    }
    Flow {
        f,
        keeper,
        keeper_accounts,
        claimant,
        payout,
    }
}

impl Flow {
    /// The keeper delivers 2 USDT for USDC (above the 1 USD minimum at USDT's lower bound).
    fn fill(&self) -> anchor_lang::solana_program::instruction::Instruction {
        let [k0, k1] = self.keeper_accounts;
        self.f
            .rebalance_ix(&self.keeper.pubkey(), USDT, &k1, USDC, &k0, 2 * ONE, 0)
    }

    /// The claimant draws 1 USD from USDC.
    fn draw(&self) -> anchor_lang::solana_program::instruction::Instruction {
        let c = self.claimant.pubkey();
        self.f.draw_ix(&c, 0, ONE, &[(USDC, self.payout)])
    }

    fn accounts(&self) -> Vec<Pubkey> {
        let f = &self.f;
        let mut keys = vec![f.fund, f.shortfall_address(0), self.payout];
        keys.push(f.claimant_address(&self.claimant.pubkey()));
        keys.extend(f.h.assets.iter().map(|a| a.vault));
        keys.extend(f.h.assets.iter().filter_map(|a| a.oracle));
        keys.extend(self.keeper_accounts);
        keys
    }
}

/// How a fault is written into USDT's price account.
enum Fault {
    Price(PythPrice),
    Owner(PythPrice, Pubkey),
    Data(Vec<u8>),
}

#[tokio::test]
async fn every_oracle_fault_leaves_the_price_stale_and_blocks_rebalance_and_draw() {
    let mut fl = flow().await;
    // the cached prices age past the fund's 120 s; LST gets a sound new price, USDT will not
    fl.f.ctx.advance_clock(121).await;
    fl.f.set_pyth_price(2, 100_000_000, -8, 0).await;
    let mask = 0b101;
    fl.f.ctx.send_ok(&[fl.f.refresh_ix(mask)], &[]).await;
    let now = fl.f.ctx.now().await;
    assert_eq!(
        fl.f.state().await.stale_mask(now),
        0b010,
        "only USDT is stale"
    );

    let sound = pyth_price([2; 32], 100_000_000, -8, now);
    let with = |change: &dyn Fn(&mut PythPrice)| {
        let mut p = sound;
        change(&mut p);
        Fault::Price(p)
    };
    use FundError::*;
    let faults: Vec<(&str, Fault, FundError)> = vec![
        (
            "owned by another program",
            Fault::Owner(sound, anchor_spl::token::ID),
            OracleWrongOwner,
        ),
        (
            "not a price update",
            Fault::Data(vec![7; 134]),
            OracleInvalidAccount,
        ),
        (
            "an unknown feed",
            with(&|p| p.feed_id = [99; 32]),
            OracleFeedMismatch,
        ),
        (
            "another asset's feed",
            with(&|p| p.feed_id = [3; 32]),
            OracleBelongsToOtherAsset,
        ),
        (
            "partially verified",
            with(&|p| p.fully_verified = false),
            OracleNotFullyVerified,
        ),
        (
            "published 61 s ago (max age 60 s)",
            with(&|p| p.publish_time = now - 61),
            OracleStale,
        ),
        (
            "a zero price",
            with(&|p| (p.price, p.conf) = (0, 0)),
            OracleNonPositivePrice,
        ),
        (
            "a negative price",
            with(&|p| (p.price, p.conf) = (-100_000_000, 0)),
            OracleNonPositivePrice,
        ),
        (
            "a zero EMA",
            with(&|p| (p.ema_price, p.ema_conf) = (0, 0)),
            OracleNonPositivePrice,
        ),
        (
            "spot confidence over 100 bps",
            with(&|p| p.conf = 1_000_001),
            OracleConfidenceTooWide,
        ),
        (
            "EMA confidence over 100 bps",
            with(&|p| p.ema_conf = 1_000_001),
            OracleConfidenceTooWide,
        ),
    ];
    let oracle = fl.f.h.assets[USDT].oracle.unwrap();
    let keys = fl.accounts();
    let keeper = fl.keeper.insecure_clone();
    let claimant = fl.claimant.insecure_clone();
    for (what, fault, err) in faults {
        match fault {
            Fault::Price(p) => fl.f.ctx.set_price(&oracle, &p),
            Fault::Owner(p, owner) => fl.f.ctx.set_price_account_owned(&oracle, &p, owner),
            Fault::Data(data) => {
                let account = solana_account::Account {
                    lamports: 10_000_000,
                    data,
                    owner: pyth_solana_receiver_sdk::ID,
                    executable: false,
                    rent_epoch: 0,
                };
                fl.f.ctx.ctx.set_account(&oracle, &account.into());
            }
        }
        let before = snapshot(&mut fl.f.ctx, &keys).await;
        let refresh = fl.f.refresh_ix(fl.f.all_assets());
        let out = fl.f.ctx.send(std::slice::from_ref(&refresh), &[]).await;
        assert_fund_error(&out, err);
        // a keeper's and a claimant's transaction, refresh first: refused at the refresh
        let out =
            fl.f.ctx
                .send(&[refresh.clone(), fl.fill()], &[&keeper])
                .await;
        assert_error_at(&out, 0, fund_error_code(err));
        let out = fl.f.ctx.send(&[refresh, fl.draw()], &[&claimant]).await;
        assert_error_at(&out, 0, fund_error_code(err));
        // the cached price stayed stale, so the fill delivering USDT cannot go ahead
        let now = fl.f.ctx.now().await;
        assert_eq!(fl.f.state().await.stale_mask(now), 0b010, "{what}");
        let out = fl.f.ctx.send(&[fl.fill()], &[&keeper]).await;
        assert_fund_error(&out, PriceStale);
        assert_unchanged(&mut fl.f.ctx, &keys, &before, what).await;
    }

    // a draw paid from USDC does not need USDT's price: it goes through while USDT is stale
    fl.f.ctx.send_ok(&[fl.draw()], &[&claimant]).await;
    assert_eq!(fl.f.ctx.token_balance(&fl.payout).await, ONE);
    // a sound price: the draw goes through again, and once the shortfall is closed, the fill
    fl.f.ctx.set_price(&oracle, &sound);
    let refresh = fl.f.refresh_ix(fl.f.all_assets());
    fl.f.ctx.send_ok(&[refresh, fl.draw()], &[&claimant]).await;
    assert_eq!(fl.f.ctx.token_balance(&fl.payout).await, 2 * ONE);
    let c = claimant.pubkey();
    fl.f.ctx
        .send_ok(&[fl.f.cancel_ix(&c, &c, 0)], &[&claimant])
        .await;
    fl.f.ctx.send_ok(&[fl.fill()], &[&keeper]).await;
    assert_eq!(
        fl.f.ctx.token_balance(&fl.keeper_accounts[USDT]).await,
        98 * ONE
    );
}

/// Not a fault: a Pyth exponent outside the fixed-price range (-18..=0) is cached as the feed
/// published it, and valued exactly: USDT published at 10^8 x 10^-30 is worth nothing, so the
/// NAV drops by its whole holding. (A feed's exponent is fixed by Pyth and signed with its
/// price, so it is trusted like the mantissa.)
#[tokio::test]
async fn a_pyth_exponent_outside_the_fixed_price_range_is_used_as_published() {
    let mut fl = flow().await;
    let nav_before = fl.f.nav_report().await.nav;
    // a second later than the cached price (an update no newer leaves the cache as it is)
    fl.f.ctx.advance_clock(1).await;
    let now = fl.f.ctx.now().await;
    let oracle = fl.f.h.assets[USDT].oracle.unwrap();
    let mut p = pyth_price([2; 32], 100_000_000, -30, now);
    (p.conf, p.ema_conf) = (0, 0);
    fl.f.ctx.set_price(&oracle, &p);
    fl.f.ctx
        .send_ok(&[fl.f.refresh_ix(fl.f.all_assets())], &[])
        .await;
    let cached = fl.f.state().await.assets[USDT].price;
    assert_eq!(
        (cached.lower, cached.upper, cached.expo),
        (100_000_000, 100_000_000, -30)
    );
    assert_eq!(
        fl.f.nav_report().await.nav,
        nav_before - 100 * u128::from(ONE)
    );
}
