//! Flash fills routed through a real AMM: SPL Token Swap 3.0.0, the published program built
//! for the Solana VM and loaded beside the fund (`tests/src/amm.rs`), with a constant-product
//! LST/USDC pool. A keeper holding nothing borrows the fund's over-weight LST, swaps it in
//! the pool and delivers USDC, all in one transaction; a route that returns too little fails
//! as a whole. Amounts are sized from `insurance_fund_client::amm::quote_swap` (the keeper's
//! embedded quote source), which the first test holds to the program's own arithmetic.

use crate::attacks::{assert_unchanged, snapshot};
use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::state as t22_mint;
use insurance_fund::error::FundError;
use insurance_fund::events::Rebalanced;
use insurance_fund::math::rebalance::quote_sale;
use insurance_fund::state::FlashFill;
use insurance_fund_client::amm::{self as camm, quote_swap};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

const USDC: usize = 0;
const USDT: usize = 1;
const LST: usize = 2;
const ONE: u64 = 1_000_000;

/// The flash-fill suite's fund (USDC 100 at 1.00, USDT 200 at 1.00, LST 300 at 2.00: NAV
/// 900, targets 50/30/20, liquid share 33 % under a 50 % floor, so only fills that raise
/// the liquid share are open; USDC in / LST out is), with rebalancing configured and the
/// auctions started, in a runtime that also holds SPL Token Swap; `usdt` are USDT's mint
/// extensions. A pool of `pool_lst` LST and `pool_usdc` USDC (0.25 % + 0.05 % fees) and a
/// keeper with empty LST and USDC accounts.
struct World {
    f: FundFixture,
    pool: Pool,
    keeper: Keypair,
    keeper_lst: Pubkey,
    keeper_usdc: Pubkey,
}

async fn world_with(pool_lst: u64, pool_usdc: u64, usdt: &[MintExt]) -> World {
    let mut ctx = TestContext::start(program_test_with_amm()).await;
    let mut assets = usdc_usdt_lst([8_000, 8_000, 8_000]);
    assets[USDT] = assets[USDT].clone().with_exts(usdt);
    let h = TestBuilder::new()
        .assets(assets)
        .min_liquid_bps(5_000)
        .create(&mut ctx)
        .await;
    let mut f = FundFixture { ctx, h };
    for (k, amount) in [100u64, 200, 300].into_iter().enumerate() {
        f.deposit(k, amount * ONE).await;
    }
    f.set_pyth_price(USDT, 100_000_000, -8, 0).await;
    f.set_pyth_price(LST, 200_000_000, -8, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    f.send_gov(&[f.set_rebalance_params_ix(&f.gov(), rebalance_config())])
        .await
        .unwrap();
    f.ctx.send_ok(&[f.sync_auctions_ix()], &[]).await;
    let (lst, usdc) = (f.h.assets[LST].mint, f.h.assets[USDC].mint);
    let pool = f
        .ctx
        .create_pool(lst, usdc, pool_lst, pool_usdc, default_fees())
        .await;
    let keeper = Keypair::new();
    let keeper_lst = f.ctx.create_token_account(&lst, &keeper.pubkey()).await;
    let keeper_usdc = f.ctx.create_token_account(&usdc, &keeper.pubkey()).await;
    World {
        f,
        pool,
        keeper,
        keeper_lst,
        keeper_usdc,
    }
}

async fn world(pool_lst: u64, pool_usdc: u64) -> World {
    world_with(pool_lst, pool_usdc, &[]).await
}

impl World {
    /// Every account a routed flash fill could touch: the fund, its vaults, the pool's
    /// accounts and the keeper's.
    fn watched(&self) -> Vec<Pubkey> {
        let mut keys = vec![self.f.fund];
        keys.extend(self.f.h.assets.iter().map(|a| a.vault));
        keys.extend(self.pool.accounts());
        keys.extend([self.keeper_lst, self.keeper_usdc]);
        keys
    }

    /// The least delivery of asset `i` the fund accepts now for `taken` atoms of asset `o`:
    /// the program's own sale quote (`quote_sale` under the pair's terms, premium and
    /// out-pricing now, as `rebalance_end` prices it) inverted by bisection, so a delivery
    /// one atom smaller is underpaid.
    async fn min_delivery(&mut self, i: usize, o: usize, taken: u64) -> u64 {
        let now = self.f.ctx.now().await;
        let fund = self.f.state().await;
        let mode = fund.fill_mode(now);
        let (inputs, _) = fund.engine_inputs_without(mode.stale, mode.tilt);
        let terms = mode.terms;
        let premium = fund.pair_premium_bps(&terms, i, o, now);
        let out = fund.pair_out_pricing(&terms, i, o, now);
        let pays = |received: u64| {
            quote_sale(
                &inputs[i],
                &out,
                fund.assets[o].decimals,
                received,
                premium,
                fund.numeraire_decimals,
            )
            .is_ok_and(|q| q.amount_out >= taken)
        };
        let (mut lo, mut hi) = (0u64, u64::MAX / 1_000_000);
        assert!(pays(hi) && !pays(lo));
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if pays(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }

    /// begin (lend `taken` LST to the keeper), swap `taken` LST in the pool into
    /// `destination` with `min_out`, end; `deliver` (if any) is a transfer of that much USDC
    /// from the keeper's account to the vault, placed after the swap.
    fn route(
        &self,
        taken: u64,
        destination: &Pubkey,
        min_out: u64,
        deliver: Option<u64>,
    ) -> Vec<anchor_lang::solana_program::instruction::Instruction> {
        let (f, k) = (&self.f, self.keeper.pubkey());
        let (lst, usdc) = (&f.h.assets[LST], &f.h.assets[USDC]);
        let mut ixs = vec![
            f.rebalance_begin_ix(&k, USDC, LST, &self.keeper_lst, taken),
            self.pool.swap_ix(
                &lst.mint.key,
                &k,
                &self.keeper_lst,
                destination,
                taken,
                min_out,
            ),
        ];
        if let Some(amount) = deliver {
            ixs.push(
                f.ctx
                    .transfer_ix(&usdc.mint, &self.keeper_usdc, &usdc.vault, &k, amount),
            );
        }
        ixs.push(f.rebalance_end_ix(&k, USDC, LST));
        ixs
    }
}

/// Asserts the transaction failed in instruction `index` with the token-swap program's
/// custom error `code`.
#[track_caller]
fn assert_swap_error_at(out: &Outcome, index: u8, code: u32) {
    match &out.result {
        Err(TransactionError::InstructionError(k, InstructionError::Custom(c)))
            if *k == index && *c == code => {}
        other => panic!(
            "expected token-swap error {code} in instruction {index}, got {other:?}\n{}",
            out.logs.join("\n")
        ),
    }
}

/// The quote is the program's arithmetic: swaps of several sizes, both ways, each moving
/// exactly what `quote_swap` said (input taken, output sent, reserves), and the pool tokens
/// minted for the owner's fee reaching the fee account.
#[tokio::test]
async fn the_quote_is_what_the_program_swaps() {
    let mut w = world(10_000 * ONE, 20_600 * ONE).await;
    let trader = Keypair::new();
    let (lst, usdc) = (w.f.h.assets[LST].mint, w.f.h.assets[USDC].mint);
    let t_lst =
        w.f.ctx
            .funded_token_account(&lst, &trader.pubkey(), 5_000 * ONE)
            .await;
    let t_usdc =
        w.f.ctx
            .funded_token_account(&usdc, &trader.pubkey(), 5_000 * ONE)
            .await;
    let cases = [
        (lst, 50 * ONE),
        (usdc, 333_333_333),
        (lst, 1_234),
        (usdc, 7),
        (lst, 2_000 * ONE),
    ];
    for (mint, amount) in cases {
        let (source, destination) = if mint.key == lst.key {
            (t_lst, t_usdc)
        } else {
            (t_usdc, t_lst)
        };
        let q = w.pool.quote(&mut w.f.ctx, &mint.key, amount).await.unwrap();
        let reserves = w.f.ctx.pool_reserves(&w.pool).await;
        let (src, dst) = (
            w.f.ctx.token_balance(&source).await,
            w.f.ctx.token_balance(&destination).await,
        );
        let (supply, fees) = (
            w.f.ctx.pool_supply(&w.pool).await,
            w.f.ctx.token_balance(&w.pool.keys.fee_account).await,
        );
        // one atom more than the quote is refused by the program's own slippage check
        let ix = w.pool.swap_ix(
            &mint.key,
            &trader.pubkey(),
            &source,
            &destination,
            amount,
            q.amount_out + 1,
        );
        let out = w.f.ctx.send(&[ix], &[&trader]).await;
        assert_swap_error_at(&out, 0, camm::error::EXCEEDED_SLIPPAGE);
        let ix = w.pool.swap_ix(
            &mint.key,
            &trader.pubkey(),
            &source,
            &destination,
            amount,
            q.amount_out,
        );
        w.f.ctx.send_ok(&[ix], &[&trader]).await;
        assert_eq!(w.f.ctx.token_balance(&source).await, src - q.source_taken);
        assert_eq!(
            w.f.ctx.token_balance(&destination).await,
            dst + q.amount_out
        );
        let expected = if mint.key == lst.key {
            (reserves.0 + q.source_taken, reserves.1 - q.amount_out)
        } else {
            (reserves.0 - q.amount_out, reserves.1 + q.source_taken)
        };
        assert_eq!(w.f.ctx.pool_reserves(&w.pool).await, expected);
        let minted = w.f.ctx.pool_supply(&w.pool).await - supply;
        assert_eq!(
            w.f.ctx.token_balance(&w.pool.keys.fee_account).await,
            fees + minted
        );
    }
    // the pool as the program stored it decodes to the keys and fees the harness used
    let data = w.f.ctx.account(&w.pool.keys.swap).await.unwrap().data;
    let state = camm::decode_pool(&w.pool.keys.swap, &data).unwrap();
    assert_eq!(state.keys, w.pool.keys);
    assert_eq!(state.fees, default_fees());
    assert_eq!(
        (state.token_a_mint, state.token_b_mint),
        (lst.key, usdc.key)
    );
    assert_eq!(state.curve_type, camm::CURVE_CONSTANT_PRODUCT);
}

/// A keeper with no inventory at all converts the fund's LST into USDC through the pool in
/// one transaction, sized from the pool quote: it borrows 50 LST, swaps them into its own
/// USDC account, delivers exactly the least USDC the fund accepts and keeps the rest. One
/// atom less fails as a whole.
#[tokio::test]
async fn a_keeper_without_inventory_sells_lst_for_usdc_through_the_pool() {
    // the pool pays 2.06 USDC per LST before fees and impact; the fund asks 2.00 less its
    // premium
    let mut w = world(10_000 * ONE, 20_600 * ONE).await;
    let taken = 50 * ONE;
    let q = w
        .pool
        .quote(&mut w.f.ctx, &w.f.h.assets[LST].mint.key, taken)
        .await
        .unwrap();
    let need = w.min_delivery(USDC, LST, taken).await;
    // 50 LST at 2.00 is 100 USDC; with the 10 bps start premium the fund accepts 99.9
    assert_eq!(need, 99_900_100);
    assert!(q.amount_out > need, "the pool pays more than the fund asks");
    let keys = w.watched();
    let before = snapshot(&mut w.f.ctx, &keys).await;

    // one atom short: the end refuses, and nothing at all happened (the swap included)
    let vault_usdc = w.f.h.assets[USDC].vault;
    let ixs = w.route(taken, &w.keeper_usdc, need, Some(need - 1));
    let out = w.f.ctx.send(&ixs, &[&w.keeper]).await;
    assert_fund_error_at(&out, 3, FundError::FlashFillUnderpaid);
    assert_unchanged(&mut w.f.ctx, &keys, &before, "a route one atom short").await;

    let (pool_lst, pool_usdc) = w.f.ctx.pool_reserves(&w.pool).await;
    let pool_supply = w.f.ctx.pool_supply(&w.pool).await;
    let ixs = w.route(taken, &w.keeper_usdc, need, Some(need));
    let out = w.f.ctx.send(&ixs, &[&w.keeper]).await.unwrap();

    // the fund: 50 LST out, exactly `need` USDC in
    let f = &mut w.f;
    assert_eq!(f.ctx.token_balance(&vault_usdc).await, 100 * ONE + need);
    assert_eq!(
        f.ctx.token_balance(&f.h.assets[LST].vault).await,
        300 * ONE - taken
    );
    assert_eq!(
        f.ctx.token_balance(&f.h.assets[USDT].vault).await,
        200 * ONE
    );
    // the pool: what the quote said, both reserves
    assert_eq!(
        f.ctx.pool_reserves(&w.pool).await,
        (pool_lst + q.source_taken, pool_usdc - q.amount_out)
    );
    let minted = f.ctx.pool_supply(&w.pool).await - pool_supply;
    assert!(minted > 0, "the owner's fee is minted in pool tokens");
    assert_eq!(f.ctx.token_balance(&w.pool.keys.fee_account).await, minted);
    // the keeper: started with nothing, keeps the surplus (and any LST the pool's rounding
    // left unused)
    assert_eq!(
        f.ctx.token_balance(&w.keeper_usdc).await,
        q.amount_out - need
    );
    assert_eq!(
        f.ctx.token_balance(&w.keeper_lst).await,
        taken - q.source_taken
    );
    // booked: the fill at the measured amounts, the premium on what was taken
    let st = f.state().await;
    assert_eq!(st.assets[USDC].booked_balance, 100 * ONE + need);
    assert_eq!(st.assets[LST].booked_balance, 300 * ONE - taken);
    assert_eq!(st.rebalance_state.fills, 1);
    assert_eq!(st.rebalance_state.total_volume, need);
    // 50 LST at 2.00 is worth 100.0 out; `need` came in
    assert_eq!(st.rebalance_state.total_premium, 100 * ONE - need);
    assert_eq!(st.flash, FlashFill::default(), "the lock is released");
    if let Some(e) = f.ctx.event::<Rebalanced>(&out) {
        assert!(e.flash);
        assert_eq!(
            (e.amount_in_received, e.amount_out, e.premium_bps),
            (need, taken, 10)
        );
        assert_eq!(e.premium_value, u128::from(100 * ONE - need));
    }
}

/// The swap may pay the fund's vault directly: the fund receives the whole output (more
/// than it asks), the keeper keeps nothing and no premium is charged.
#[tokio::test]
async fn the_pool_may_pay_the_vault_directly() {
    let mut w = world(10_000 * ONE, 20_600 * ONE).await;
    let taken = 50 * ONE;
    let q = w
        .pool
        .quote(&mut w.f.ctx, &w.f.h.assets[LST].mint.key, taken)
        .await
        .unwrap();
    let need = w.min_delivery(USDC, LST, taken).await;
    let vault_usdc = w.f.h.assets[USDC].vault;
    // the fund's requirement as the swap's minimum output
    let ixs = w.route(taken, &vault_usdc, need, None);
    w.f.ctx.send(&ixs, &[&w.keeper]).await.unwrap();
    let f = &mut w.f;
    assert_eq!(
        f.ctx.token_balance(&vault_usdc).await,
        100 * ONE + q.amount_out
    );
    assert_eq!(f.ctx.token_balance(&w.keeper_usdc).await, 0);
    let st = f.state().await;
    assert_eq!(st.assets[USDC].booked_balance, 100 * ONE + q.amount_out);
    assert_eq!(st.assets[LST].booked_balance, 300 * ONE - taken);
    assert_eq!(st.rebalance_state.total_volume, q.amount_out);
    assert_eq!(st.rebalance_state.total_premium, 0);
}

/// A pool whose price is below the fund's requirement: routed without a minimum output the
/// end refuses the delivery; with the fund's requirement as the minimum the swap refuses
/// first. Either way the whole transaction fails and no account changes.
#[tokio::test]
async fn a_route_through_a_pool_priced_below_the_fund_fails_as_a_whole() {
    // 1.90 USDC per LST before fees: 50 LST fetch about 94.5, the fund asks 99.9
    let mut w = world(10_000 * ONE, 19_000 * ONE).await;
    let taken = 50 * ONE;
    let q = w
        .pool
        .quote(&mut w.f.ctx, &w.f.h.assets[LST].mint.key, taken)
        .await
        .unwrap();
    let need = w.min_delivery(USDC, LST, taken).await;
    assert!(q.amount_out < need);
    let keys = w.watched();
    let before = snapshot(&mut w.f.ctx, &keys).await;
    let vault_usdc = w.f.h.assets[USDC].vault;

    let ixs = w.route(taken, &vault_usdc, 0, None);
    let out = w.f.ctx.send(&ixs, &[&w.keeper]).await;
    assert_fund_error_at(&out, 2, FundError::FlashFillUnderpaid);

    let ixs = w.route(taken, &vault_usdc, need, None);
    let out = w.f.ctx.send(&ixs, &[&w.keeper]).await;
    assert_swap_error_at(&out, 1, camm::error::EXCEEDED_SLIPPAGE);

    // through the keeper's account, delivering all it got
    let ixs = w.route(taken, &w.keeper_usdc, 0, Some(q.amount_out));
    let out = w.f.ctx.send(&ixs, &[&w.keeper]).await;
    assert_fund_error_at(&out, 3, FundError::FlashFillUnderpaid);

    assert_unchanged(
        &mut w.f.ctx,
        &keys,
        &before,
        "routes that return too little",
    )
    .await;
    assert_eq!(w.f.state().await.rebalance_state.fills, 0);
}

/// The pool moves between the keeper's quote and its transaction (another trader sells LST
/// into it first): a route sized from the stale quote with a loose minimum output (4 % of
/// slippage allowed) delivers less than the fund asks and fails as a whole; the same route
/// with the fund's requirement as its minimum fails at the swap. Nothing changes but the
/// other trader's swap.
#[tokio::test]
async fn a_route_with_a_loose_minimum_after_the_pool_moved_fails_as_a_whole() {
    let mut w = world(10_000 * ONE, 20_600 * ONE).await;
    let taken = 50 * ONE;
    let lst = w.f.h.assets[LST].mint;
    let stale = w.pool.quote(&mut w.f.ctx, &lst.key, taken).await.unwrap();
    let need = w.min_delivery(USDC, LST, taken).await;
    let loose = stale.amount_out - stale.amount_out / 25;
    assert!(loose < need && need < stale.amount_out);

    // another trader sells 150 LST into the pool
    let trader = Keypair::new();
    let usdc = w.f.h.assets[USDC].mint;
    let t_lst =
        w.f.ctx
            .funded_token_account(&lst, &trader.pubkey(), 150 * ONE)
            .await;
    let t_usdc = w.f.ctx.create_token_account(&usdc, &trader.pubkey()).await;
    let ix = w
        .pool
        .swap_ix(&lst.key, &trader.pubkey(), &t_lst, &t_usdc, 150 * ONE, 0);
    w.f.ctx.send_ok(&[ix], &[&trader]).await;
    let now = w.pool.quote(&mut w.f.ctx, &lst.key, taken).await.unwrap();
    assert!(loose <= now.amount_out && now.amount_out < need);

    let keys = w.watched();
    let before = snapshot(&mut w.f.ctx, &keys).await;
    let vault_usdc = w.f.h.assets[USDC].vault;
    let ixs = w.route(taken, &vault_usdc, loose, None);
    let out = w.f.ctx.send(&ixs, &[&w.keeper]).await;
    assert_fund_error_at(&out, 2, FundError::FlashFillUnderpaid);
    let ixs = w.route(taken, &vault_usdc, need, None);
    let out = w.f.ctx.send(&ixs, &[&w.keeper]).await;
    assert_swap_error_at(&out, 1, camm::error::EXCEEDED_SLIPPAGE);
    assert_unchanged(&mut w.f.ctx, &keys, &before, "stale routes").await;
}

/// A keeper sizes its fill against the pool's price impact with the quote: the largest
/// whole-LST amount whose pool output still covers the fund's requirement fills; 5 % more
/// is underpaid and fails at the end.
#[tokio::test]
async fn a_keeper_sized_against_the_price_impact_fills_and_a_larger_one_fails() {
    // a shallow pool (1,000 LST / 2,060 USDC): its impact reaches the fund's price near 28 LST
    let mut w = world(1_000 * ONE, 2_060 * ONE).await;
    let lst = w.f.h.assets[LST].mint;
    let (r_lst, r_usdc) = w.f.ctx.pool_reserves(&w.pool).await;
    let fees = w.pool.fees;
    // the largest whole LST amount the pool pays for at the fund's requirement
    let mut best = 0;
    for whole in 1..=100u64 {
        let taken = whole * ONE;
        let q = quote_swap(taken, r_lst, r_usdc, &fees).unwrap();
        if q.amount_out >= w.min_delivery(USDC, LST, taken).await {
            best = taken;
        } else if best > 0 {
            break;
        }
    }
    assert!(best > 0 && best < 100 * ONE);
    let vault_usdc = w.f.h.assets[USDC].vault;
    let too_big = best + best / 20;
    let need = w.min_delivery(USDC, LST, too_big).await;
    let q = w.pool.quote(&mut w.f.ctx, &lst.key, too_big).await.unwrap();
    assert!(q.amount_out < need);
    let ixs = w.route(too_big, &vault_usdc, 0, None);
    let out = w.f.ctx.send(&ixs, &[&w.keeper]).await;
    assert_fund_error_at(&out, 2, FundError::FlashFillUnderpaid);
    let need = w.min_delivery(USDC, LST, best).await;
    let ixs = w.route(best, &vault_usdc, need, None);
    w.f.ctx.send(&ixs, &[&w.keeper]).await.unwrap();
    assert_eq!(
        w.f.state().await.assets[LST].booked_balance,
        300 * ONE - best
    );
}

/// The delivered asset is a Token-2022 mint with a 1 % transfer fee (USDT here): the route
/// is the pool (LST to USDC, into the keeper's account) then a market maker who takes the
/// keeper's USDC and sends USDT to the fund's vault. The fund counts what reached the vault,
/// after the fee: sending the required amount gross is underpaid and fails as a whole;
/// sending enough that the required amount arrives net fills, booked at the net amount.
#[tokio::test]
async fn a_token_2022_fee_on_the_delivery_is_not_counted_as_received() {
    use anchor_spl::token_2022::spl_token_2022::extension::{
        transfer_fee::TransferFeeConfig, BaseStateWithExtensions, StateWithExtensions,
    };
    let fee = MintExt::TransferFee {
        bps: 100,
        max_fee: u64::MAX,
    };
    let mut w = world_with(10_000 * ONE, 20_600 * ONE, &[fee]).await;
    // 25 LST for 50 USDT: USDT rises to about 248 of 900, under its 30 % target
    let taken = 25 * ONE;
    let q = w
        .pool
        .quote(&mut w.f.ctx, &w.f.h.assets[LST].mint.key, taken)
        .await
        .unwrap();
    let need = w.min_delivery(USDT, LST, taken).await;
    assert_eq!(
        need, 49_950_050,
        "USDT at 1.00 with the 10 bps start premium"
    );
    // the gross transfer whose net is `need`, from the mint's own fee schedule
    let (usdt, usdc) = (w.f.h.assets[USDT], w.f.h.assets[USDC]);
    let data = w.f.ctx.account(&usdt.mint.key).await.unwrap().data;
    let mint = StateWithExtensions::<t22_mint::Mint>::unpack(&data).unwrap();
    let epoch =
        w.f.ctx
            .ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .unwrap()
            .epoch;
    let schedule = *mint
        .get_extension::<TransferFeeConfig>()
        .unwrap()
        .get_epoch_fee(epoch);
    let gross = schedule.calculate_pre_fee_amount(need).unwrap();
    assert_eq!(schedule.calculate_post_fee_amount(gross), Some(need));
    assert!(gross > need && gross <= q.amount_out);

    let mm = Keypair::new();
    let mm_usdt =
        w.f.ctx
            .funded_token_account(&usdt.mint, &mm.pubkey(), 1_000 * ONE)
            .await;
    let mm_usdc = w.f.ctx.create_token_account(&usdc.mint, &mm.pubkey()).await;
    let k = w.keeper.pubkey();
    // begin (USDT in, LST out), swap into the keeper's USDC, the keeper pays the market maker
    // `sent` USDC, the market maker sends `sent` USDT to the vault, end
    let route = |w: &World, sent: u64| {
        let f = &w.f;
        vec![
            f.rebalance_begin_ix(&k, USDT, LST, &w.keeper_lst, taken),
            w.pool.swap_ix(
                &f.h.assets[LST].mint.key,
                &k,
                &w.keeper_lst,
                &w.keeper_usdc,
                taken,
                gross,
            ),
            f.ctx
                .transfer_ix(&usdc.mint, &w.keeper_usdc, &mm_usdc, &k, sent),
            f.ctx
                .transfer_ix(&usdt.mint, &mm_usdt, &usdt.vault, &mm.pubkey(), sent),
            f.rebalance_end_ix(&k, USDT, LST),
        ]
    };
    // the deposit of 200 USDT already paid the fee: the vault holds 198
    let vault_before = w.f.ctx.token_balance(&usdt.vault).await;
    assert_eq!(vault_before, 198 * ONE);
    let mut keys = w.watched();
    keys.extend([mm_usdt, mm_usdc]);
    let before = snapshot(&mut w.f.ctx, &keys).await;
    // `need` sent: 1 % of it never reaches the vault
    let ixs = route(&w, need);
    let out = w.f.ctx.send(&ixs, &[&w.keeper, &mm]).await;
    assert_fund_error_at(&out, 4, FundError::FlashFillUnderpaid);
    assert_unchanged(&mut w.f.ctx, &keys, &before, "a delivery short by the fee").await;

    let ixs = route(&w, gross);
    let out = w.f.ctx.send(&ixs, &[&w.keeper, &mm]).await.unwrap();
    let f = &mut w.f;
    assert_eq!(f.ctx.token_balance(&usdt.vault).await, vault_before + need);
    assert_eq!(f.ctx.token_balance(&mm_usdt).await, 1_000 * ONE - gross);
    assert_eq!(f.ctx.token_balance(&mm_usdc).await, gross);
    assert_eq!(
        f.ctx.token_balance(&w.keeper_usdc).await,
        q.amount_out - gross
    );
    assert_eq!(
        f.ctx.token_balance(&f.h.assets[LST].vault).await,
        300 * ONE - taken
    );
    let st = f.state().await;
    assert_eq!(st.assets[USDT].booked_balance, vault_before + need);
    assert_eq!(st.assets[LST].booked_balance, 300 * ONE - taken);
    assert_eq!(st.rebalance_state.total_volume, need);
    assert_eq!(st.rebalance_state.total_premium, 50 * ONE - need);
    if let Some(e) = f.ctx.event::<Rebalanced>(&out) {
        assert_eq!((e.amount_in_received, e.amount_out), (need, taken));
    }
}

/// The keeper's own planner (`ifund::route`, what `ifund keeper` runs) reads the fund and the
/// pool, sizes a flash fill against the pool's price impact and the fund's bounds, and the
/// transaction it builds goes through: the keeper, holding nothing, ends with its profit.
#[tokio::test]
async fn the_keepers_planner_sizes_and_sends_a_flash_fill_through_the_pool() {
    // the pool pays 2.10 USDC per LST; the fund sells LST at 2.00 plus its premium
    let mut w = world(1_000 * ONE, 2_100 * ONE).await;
    let now = w.f.ctx.now().await;
    let fund = w.f.state().await;
    let data = w.f.ctx.account(&w.pool.keys.swap).await.unwrap().data;
    let (reserve_a, reserve_b) = w.f.ctx.pool_reserves(&w.pool).await;
    let view = ifund::route::PoolView {
        state: camm::decode_pool(&w.pool.keys.swap, &data).unwrap(),
        reserve_a,
        reserve_b,
    };
    let params = ifund::keeper::PlanParams {
        cost: 0,
        min_profit: ONE / 100,
    };
    let plan = ifund::route::plan_flash(&fund, now, &[view], params).unwrap();
    assert_eq!((plan.asset_in, plan.asset_out), (USDC, LST));
    // the pool's return and the fund's quote are what the program and the pool compute
    let back = quote_swap(
        plan.quote.amount_out,
        reserve_a,
        reserve_b,
        &view.state.fees,
    )
    .unwrap();
    assert_eq!(back.amount_out, plan.swap_out);
    assert!(plan.swap_out >= plan.delivered + ONE / 100);
    let ixs = ifund::route::flash_instructions(
        &w.f.fund,
        &fund,
        &view,
        &w.keeper.pubkey(),
        (w.keeper_usdc, w.keeper_lst),
        &plan,
    );
    let usdc_vault = w.f.ctx.token_balance(&w.f.h.assets[USDC].vault).await;
    w.f.ctx.send(&ixs, &[&w.keeper]).await.unwrap();
    assert_eq!(
        w.f.ctx.token_balance(&w.keeper_usdc).await,
        plan.swap_out - plan.delivered
    );
    assert_eq!(w.f.ctx.token_balance(&w.keeper_lst).await, 0);
    assert_eq!(
        w.f.ctx.token_balance(&w.f.h.assets[USDC].vault).await,
        usdc_vault + plan.delivered
    );
    let st = w.f.state().await;
    assert_eq!(st.rebalance_state.fills, 1);
    assert_eq!(
        u128::from(st.rebalance_state.total_volume),
        plan.quote.value_in
    );
    // the planner took the largest size still paying the minimum: a tenth more fails it
    let bigger = plan.delivered + plan.delivered / 10;
    let q = quote_sale(
        &fund.engine_inputs_without(0, None).0[USDC],
        &fund.pair_out_pricing(&fund.fill_mode(now).terms, USDC, LST, now),
        6,
        bigger,
        plan.premium_bps,
        6,
    )
    .unwrap();
    let back_bigger = quote_swap(q.amount_out, reserve_a, reserve_b, &view.state.fees)
        .map_or(0, |s| s.amount_out);
    assert!(
        back_bigger < bigger + ONE / 100,
        "{back_bigger} vs {bigger}"
    );
}

/// The planner's skips: a pool priced at the fund's own price leaves nothing after its fees
/// (`Unprofitable`), and with no pool for an open pair there is no route (`NoRoute`).
#[tokio::test]
async fn the_keepers_planner_skips_an_unprofitable_route_and_a_missing_one() {
    let mut w = world(1_000 * ONE, 2_000 * ONE).await;
    let now = w.f.ctx.now().await;
    let fund = w.f.state().await;
    let data = w.f.ctx.account(&w.pool.keys.swap).await.unwrap().data;
    let (reserve_a, reserve_b) = w.f.ctx.pool_reserves(&w.pool).await;
    let view = ifund::route::PoolView {
        state: camm::decode_pool(&w.pool.keys.swap, &data).unwrap(),
        reserve_a,
        reserve_b,
    };
    let params = ifund::keeper::PlanParams {
        cost: 0,
        min_profit: 0,
    };
    match ifund::route::plan_flash(&fund, now, &[view], params) {
        Err(ifund::keeper::Skip::Unprofitable { best_profit, .. }) => assert!(best_profit < 0),
        other => panic!("expected Unprofitable, got {other:?}"),
    }
    assert_eq!(
        ifund::route::plan_flash(&fund, now, &[], params),
        Err(ifund::keeper::Skip::NoRoute)
    );
}
