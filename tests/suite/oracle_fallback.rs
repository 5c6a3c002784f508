//! A second price source per asset (#16 part 5): a Switchboard On-Demand pull feed as the
//! fallback of a Pyth-priced asset, one test per branch of `oracle::choose` and per check of
//! the fallback account, the governance bounds of its parameters and their timelock
//! classification. Every fallback account is written with the publisher's own crate
//! (`switchboard-on-demand`'s `PullFeedAccountData`, `tests/src/oracle.rs`), so these tests
//! also cross-check the program's layout mirror.

use anchor_lang::prelude::*;
use insurance_fund::constants::{MAX_DIVERGENCE_BPS, MAX_ORACLE_AGE_SECS, MAX_ORACLE_CONF_BPS};
use insurance_fund::error::FundError;
use insurance_fund::events::PricesRefreshed;
use insurance_fund::state::{AssetParams, FallbackParams, LiquidityClass, PriceCache};
use insurance_fund_tests::*;

const LST: usize = 1;
/// 1.00 at exponent -8.
const PAR: i64 = 100_000_000;

fn lst_params(fb: Option<FallbackParams>) -> AssetParams {
    let mut p = asset_params(LiquidityClass::YieldBearing, 10_000, pyth_oracle(2));
    p.fallback = fb;
    p
}

/// Asset 0: the fixed-price numeraire; asset 1: an LST priced by Pyth (feed 2, max age 60 s,
/// confidence 100 bps) with a Switchboard fallback (max age 60 s, spread 100 bps, divergence
/// 200 bps), holding 1 LST. Both sources at 1.00 now, refreshed once from the primary.
async fn fund() -> (FundFixture, Pubkey) {
    let feed = Pubkey::new_unique();
    let mut f = TestBuilder::new()
        .assets(vec![
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle()),
                5_000,
            ),
            AssetSpec::new(
                TokenKind::Spl,
                9,
                lst_params(Some(fallback_params(feed))),
                5_000,
            ),
        ])
        .min_liquid_bps(5_000)
        .build()
        .await;
    assert_eq!(f.assets[LST].fallback, Some(feed));
    f.deposit(LST, 1_000_000_000).await;
    set_fallback(&mut f, feed, PAR, 0).await;
    f.ctx.advance_clock(1).await;
    f.set_pyth_price(LST, PAR, -8, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    (f, feed)
}

/// Publishes the fallback at `units_e8 * 10^-8`, `age` seconds ago.
async fn set_fallback(f: &mut FundFixture, feed: Pubkey, units_e8: i64, age: i64) {
    let now = f.ctx.now().await;
    f.ctx
        .set_feed(&feed, &SwitchboardPrice::new(units_e8, now - age));
}

/// Leaves the primary as it is and lets 61 s pass: the primary update and the last good
/// primary price are both stale (max age 60 s).
async fn primary_dies(f: &mut FundFixture) {
    f.ctx.advance_clock(61).await;
}

async fn cache(f: &mut FundFixture) -> PriceCache {
    f.state().await.assets[LST].price
}

/// Sends the refresh of the LST and asserts it fails with `e`, leaving the fund unchanged.
async fn refused(f: &mut FundFixture, e: FundError) {
    let before = f.state().await;
    let out = f.ctx.send(&[f.refresh_ix(1 << LST)], &[]).await;
    assert_fund_error(&out, e);
    assert_eq!(
        f.state().await,
        before,
        "a refused refresh changed the fund"
    );
}

#[tokio::test]
async fn a_fresh_primary_prices_the_asset_and_the_fallback_cross_checks_it() {
    let (mut f, feed) = fund().await;
    let first = cache(&mut f).await;
    assert_eq!(first.on_fallback, 0);
    assert_eq!(
        (first.primary_price, first.primary_time),
        (PAR as u64, first.publish_time)
    );
    // both fresh and 2 % apart (the limit): the primary prices it
    f.ctx.advance_clock(1).await;
    f.set_pyth_price(LST, 105_000_000, -8, 0).await;
    set_fallback(&mut f, feed, 107_100_000, 0).await;
    let out = f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    let now = f.ctx.now().await;
    let c = cache(&mut f).await;
    assert_eq!(
        (c.lower, c.upper, c.on_fallback),
        (105_000_000, 105_000_000, 0)
    );
    assert_eq!((c.primary_price, c.primary_time), (105_000_000, now));
    if let Some(e) = f.ctx.event::<PricesRefreshed>(&out) {
        assert!(e.refreshed[0].updated && !e.refreshed[0].on_fallback);
    }
    // both fresh, one atom past the limit, either way: refused, the cache untouched
    f.ctx.advance_clock(1).await;
    f.set_pyth_price(LST, 100_000_000, -8, 0).await;
    set_fallback(&mut f, feed, 102_000_001, 0).await;
    refused(&mut f, FundError::OracleSourcesDiverge).await;
    set_fallback(&mut f, feed, 97_999_999, 0).await;
    refused(&mut f, FundError::OracleSourcesDiverge).await;
    // a stale or too uncertain fallback never blocks a good primary
    set_fallback(&mut f, feed, 150_000_000, 61).await;
    f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    assert_eq!(cache(&mut f).await.lower, PAR as u64);
    let now = f.ctx.now().await;
    let mut wide = SwitchboardPrice::new(150_000_000, now);
    wide.std_dev = 2 * SB_ONE / 100; // 1.33 %
    f.ctx.advance_clock(1).await;
    f.set_pyth_price(LST, 101_000_000, -8, 0).await;
    f.ctx.set_feed(&feed, &wide);
    f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    assert_eq!(cache(&mut f).await.lower, 101_000_000);
}

#[tokio::test]
async fn a_stale_primary_falls_back_to_an_agreeing_fallback_which_never_moves_the_reference() {
    let (mut f, feed) = fund().await;
    let primary_time = cache(&mut f).await.publish_time;
    primary_dies(&mut f).await;
    // 1.015 with a spread of 0.005: within 2 % of the last good primary price (1.00)
    let now = f.ctx.now().await;
    let mut p = SwitchboardPrice::new(101_500_000, now);
    p.min_value = p.value - SB_ONE / 200;
    p.max_value = p.value + SB_ONE / 400;
    f.ctx.set_feed(&feed, &p);
    let out = f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    let c = cache(&mut f).await;
    assert_eq!(
        (c.lower, c.upper, c.spot_lower, c.conf, c.expo),
        (101_000_000, 102_000_000, 101_000_000, 500_000, -8)
    );
    assert_eq!((c.publish_time, c.on_fallback), (now, 1));
    // the reference is still the last primary price
    assert_eq!(
        (c.primary_price, c.primary_time),
        (PAR as u64, primary_time)
    );
    if let Some(e) = f.ctx.event::<PricesRefreshed>(&out) {
        assert!(e.refreshed[0].updated && e.refreshed[0].on_fallback);
    }
    // the fallback-priced asset is fresh for every action
    assert_eq!(f.state().await.stale_mask(now), 0);
    // 1.0201 is within 2 % of the last fallback price but not of the last primary one:
    // refused, so a run of fallback prices cannot walk away from the primary
    f.ctx.advance_clock(1).await;
    set_fallback(&mut f, feed, 102_010_000, 0).await;
    refused(&mut f, FundError::FallbackDiverges).await;
    set_fallback(&mut f, feed, 97_990_000, 0).await;
    refused(&mut f, FundError::FallbackDiverges).await;
    // the primary comes back: it prices the asset again, and becomes the reference
    f.ctx.advance_clock(1).await;
    f.set_pyth_price(LST, 99_000_000, -8, 0).await;
    set_fallback(&mut f, feed, 99_000_000, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    let now = f.ctx.now().await;
    let c = cache(&mut f).await;
    assert_eq!((c.lower, c.on_fallback), (99_000_000, 0));
    assert_eq!((c.primary_price, c.primary_time), (99_000_000, now));
}

#[tokio::test]
async fn a_too_uncertain_primary_falls_back_once_the_last_good_price_is_stale() {
    let (mut f, feed) = fund().await;
    // confidence 2 % against a 1 % limit while the last good primary price is still fresh:
    // the primary's own error (the cached primary price stands)
    f.ctx.advance_clock(30).await;
    f.set_pyth_price(LST, PAR, -8, 2_000_000).await;
    set_fallback(&mut f, feed, PAR, 0).await;
    refused(&mut f, FundError::OracleConfidenceTooWide).await;
    // 31 s later it is stale: the fallback prices the asset
    f.ctx.advance_clock(31).await;
    f.set_pyth_price(LST, PAR, -8, 2_000_000).await;
    set_fallback(&mut f, feed, 99_500_000, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    let c = cache(&mut f).await;
    assert_eq!(
        (c.lower, c.upper, c.on_fallback),
        (99_500_000, 99_500_000, 1)
    );
}

#[tokio::test]
async fn the_fallback_stands_in_only_for_a_stale_last_primary_price_and_a_usable_feed() {
    let (mut f, feed) = fund().await;
    // an old primary update while the cached primary price is fresh: not a way to pick the
    // fallback
    f.ctx.advance_clock(30).await;
    let now = f.ctx.now().await;
    let old = pyth_price([2; 32], PAR, -8, now - 61);
    f.ctx.set_price(&f.assets[LST].oracle.unwrap(), &old);
    set_fallback(&mut f, feed, PAR, 0).await;
    refused(&mut f, FundError::OracleStale).await;
    // the primary dead, the fallback stale, too uncertain, or non-positive
    primary_dies(&mut f).await;
    set_fallback(&mut f, feed, PAR, 61).await;
    refused(&mut f, FundError::FallbackStale).await;
    let now = f.ctx.now().await;
    let mut wide = SwitchboardPrice::new(PAR, now);
    wide.max_value = wide.value + SB_ONE / 100 + 1; // just over 1 %
    f.ctx.set_feed(&feed, &wide);
    refused(&mut f, FundError::FallbackConfidenceTooWide).await;
    set_fallback(&mut f, feed, 0, 0).await;
    refused(&mut f, FundError::FallbackNonPositivePrice).await;
    // exactly 1 % of spread and 60 s old is accepted
    wide.max_value -= 1;
    wide.timestamp = now - 60;
    f.ctx.set_feed(&feed, &wide);
    f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    assert_eq!(cache(&mut f).await.upper, 101_000_000);
}

#[tokio::test]
async fn the_fallback_never_prices_an_asset_its_primary_never_priced() {
    let (mut f, feed) = fund().await;
    // governance points the primary at another feed: the cache, reference included, is gone
    let mut p = lst_params(Some(fallback_params(feed)));
    p.oracle = pyth_oracle(9);
    let ix = f.update_asset_ix(&f.gov(), &f.assets[LST].mint.key, p);
    f.send_gov(&[ix]).await.unwrap();
    assert_eq!(cache(&mut f).await, PriceCache::default());
    f.ctx.advance_clock(1).await;
    set_fallback(&mut f, feed, PAR, 0).await;
    // the price account still carries feed 2: the primary is refused outright
    refused(&mut f, FundError::OracleFeedMismatch).await;
    let now = f.ctx.now().await;
    let stale = pyth_price([9; 32], PAR, -8, now - 61);
    f.ctx.set_price(&f.assets[LST].oracle.unwrap(), &stale);
    refused(&mut f, FundError::FallbackWithoutPrimaryPrice).await;
}

#[tokio::test]
async fn the_fallback_account_is_checked_whatever_the_primary_says() {
    let (mut f, feed) = fund().await;
    f.ctx.advance_clock(1).await;
    f.set_pyth_price(LST, PAR, -8, 0).await;
    let now = f.ctx.now().await;
    let good = SwitchboardPrice::new(PAR, now);
    // owned by another program (here the Pyth receiver)
    f.ctx
        .set_feed_account_owned(&feed, &good, pyth_solana_receiver_sdk::ID);
    refused(&mut f, FundError::FallbackWrongOwner).await;
    // owned by Switchboard but not a pull feed (another discriminator), or without a result
    let mut data = pull_feed_data(&good);
    data[0] ^= 1;
    set_raw(&mut f, feed, data).await;
    refused(&mut f, FundError::FallbackInvalidAccount).await;
    let mut data = pull_feed_data(&good);
    let slot = 8 + insurance_fund::oracle::switchboard::RESULT_OFFSET + 104;
    data[slot..slot + 8].fill(0);
    set_raw(&mut f, feed, data).await;
    refused(&mut f, FundError::FallbackInvalidAccount).await;
    // another genuine pull feed at another address
    let other = Pubkey::new_unique();
    f.ctx.set_feed(&feed, &good);
    f.ctx.set_feed(&other, &good);
    let o = f.assets[LST].oracle.unwrap();
    let v = f.assets[LST].vault;
    let ix = f.refresh_ix_with(1 << LST, &[(o, false), (other, false), (v, false)]);
    let out = f.ctx.send(&[ix], &[]).await;
    assert_fund_error(&out, FundError::FallbackFeedMismatch);
    // left out: the vault is taken for the fallback, and then the vault is missing
    let ix = f.refresh_ix_with(1 << LST, &[(o, false), (v, false)]);
    let out = f.ctx.send(&[ix], &[]).await;
    assert_fund_error(&out, FundError::MissingRemainingAccounts);
    // and with a vault after it, the vault in the fallback's slot is another program's
    let ix = f.refresh_ix_with(1 << LST, &[(o, false), (v, false), (v, false)]);
    let out = f.ctx.send(&[ix], &[]).await;
    assert_fund_error(&out, FundError::FallbackWrongOwner);
    // a wrong primary account is never replaced by the fallback
    let ix = f.refresh_ix_with(1 << LST, &[(other, false), (feed, false), (v, false)]);
    let out = f.ctx.send(&[ix], &[]).await;
    assert_fund_error(&out, FundError::OracleWrongOwner);
    // and the right accounts still work
    f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
}

async fn set_raw(f: &mut FundFixture, key: Pubkey, data: Vec<u8>) {
    let account = solana_account::Account {
        lamports: 30_000_000,
        data,
        owner: switchboard_program_id(),
        executable: false,
        rent_epoch: 0,
    };
    f.ctx.ctx.set_account(&key, &account.into());
}

#[tokio::test]
async fn a_pegged_stablecoin_falls_back_inside_its_peg_band() {
    // the numeraire's stablecoin priced by Pyth with a 50 bps peg band and a fallback
    let feed = Pubkey::new_unique();
    let mut usdc = asset_params(LiquidityClass::Liquid, 10_000, pyth_oracle(5));
    usdc.oracle.peg_band_bps = 50;
    usdc.fallback = Some(fallback_params(feed));
    let mut f = TestBuilder::new()
        .assets(vec![AssetSpec::new(TokenKind::Spl, 6, usdc, 10_000)])
        .build()
        .await;
    f.set_pyth_price(0, PAR, -8, 0).await;
    set_fallback(&mut f, feed, PAR, 0).await;
    f.ctx.advance_clock(1).await;
    f.set_pyth_price(0, PAR, -8, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(1)], &[]).await;
    f.ctx.advance_clock(61).await;
    // 0.997 is inside the band: exactly 1.00 on fallback, as the primary would give
    set_fallback(&mut f, feed, 99_700_000, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(1)], &[]).await;
    let c = f.state().await.assets[0].price;
    assert_eq!(
        (c.lower, c.upper, c.on_fallback),
        (PAR as u64, PAR as u64, 1)
    );
    // 0.993 is outside it: the bounds as published
    f.ctx.advance_clock(1).await;
    set_fallback(&mut f, feed, 99_300_000, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(1)], &[]).await;
    let c = f.state().await.assets[0].price;
    assert_eq!(
        (c.lower, c.upper, c.on_fallback),
        (99_300_000, 99_300_000, 1)
    );
}

#[tokio::test]
async fn governance_bounds_every_fallback_parameter() {
    let (mut f, feed) = fund().await;
    let mint = f.assets[LST].mint.key;
    let gov = f.gov();
    let with = |g: &dyn Fn(&mut FallbackParams)| {
        let mut fb = fallback_params(feed);
        g(&mut fb);
        lst_params(Some(fb))
    };
    let cases: Vec<(AssetParams, FundError)> = vec![
        (
            with(&|p| p.feed = Pubkey::default()),
            FundError::InvalidFallback,
        ),
        (
            with(&|p| p.max_age_secs = 0),
            FundError::InvalidOracleMaxAge,
        ),
        (
            with(&|p| p.max_age_secs = MAX_ORACLE_AGE_SECS + 1),
            FundError::InvalidOracleMaxAge,
        ),
        (
            with(&|p| p.max_conf_bps = 0),
            FundError::InvalidOracleConfidence,
        ),
        (
            with(&|p| p.max_conf_bps = MAX_ORACLE_CONF_BPS + 1),
            FundError::InvalidOracleConfidence,
        ),
        (
            with(&|p| p.max_divergence_bps = 0),
            FundError::InvalidDivergenceLimit,
        ),
        (
            with(&|p| p.max_divergence_bps = MAX_DIVERGENCE_BPS + 1),
            FundError::InvalidDivergenceLimit,
        ),
    ];
    for (params, e) in cases {
        let before = f.state().await;
        let out = f.send_gov(&[f.update_asset_ix(&gov, &mint, params)]).await;
        assert_fund_error(&out, e);
        assert_eq!(f.state().await, before);
    }
    // the bounds themselves are accepted
    let edge = with(&|p| {
        p.max_age_secs = MAX_ORACLE_AGE_SECS;
        p.max_conf_bps = MAX_ORACLE_CONF_BPS;
        p.max_divergence_bps = MAX_DIVERGENCE_BPS;
    });
    f.send_gov(&[f.update_asset_ix(&gov, &mint, edge)])
        .await
        .unwrap();
    // a fixed price has no feed to fall back from
    let numeraire = f.assets[0].mint.key;
    let mut fixed = asset_params(LiquidityClass::Liquid, 10_000, fixed_oracle());
    fixed.fallback = Some(fallback_params(Pubkey::new_unique()));
    let out = f
        .send_gov(&[f.update_asset_ix(&gov, &numeraire, fixed)])
        .await;
    assert_fund_error(&out, FundError::InvalidFallback);
    // at add_asset too
    let mint = f.ctx.create_mint(TokenKind::Spl, 6, &[]).await;
    let bad = with(&|p| p.max_divergence_bps = 0);
    let out = f.send_gov(&[f.add_asset_ix(&gov, &mint, bad)]).await;
    assert_fund_error(&out, FundError::InvalidDivergenceLimit);
}

#[tokio::test]
async fn adding_or_loosening_a_fallback_waits_for_the_timelock_removing_or_narrowing_does_not() {
    let (mut f, feed) = fund().await;
    let mint = f.assets[LST].mint.key;
    let gov = f.gov();
    f.send_gov(&[f.set_bounds_args_ix(&gov, crate::timelock::bounds(5_000, 86_400))])
        .await
        .unwrap();
    let current = fallback_params(feed);
    let loosen: [&dyn Fn(&mut FallbackParams); 4] = [
        &|p| p.feed = Pubkey::new_unique(),
        &|p| p.max_age_secs += 1,
        &|p| p.max_conf_bps += 1,
        &|p| p.max_divergence_bps += 1,
    ];
    for g in loosen {
        let mut fb = current;
        g(&mut fb);
        let before = f.state().await;
        let out = f
            .send_gov(&[f.update_asset_ix(&gov, &mint, lst_params(Some(fb)))])
            .await;
        assert_fund_error(&out, FundError::TimelockRequired);
        assert_eq!(f.state().await, before);
    }
    // narrowing each limit applies at once
    let narrower = FallbackParams {
        feed,
        max_age_secs: 59,
        max_conf_bps: 99,
        max_divergence_bps: 199,
    };
    f.send_gov(&[f.update_asset_ix(&gov, &mint, lst_params(Some(narrower)))])
        .await
        .unwrap();
    assert_eq!(
        f.state().await.assets[LST].fallback.params(),
        Some(narrower)
    );
    // so does removing it; adding one back waits
    f.send_gov(&[f.update_asset_ix(&gov, &mint, lst_params(None))])
        .await
        .unwrap();
    assert!(!f.state().await.assets[LST].fallback.is_set());
    let out = f
        .send_gov(&[f.update_asset_ix(&gov, &mint, lst_params(Some(narrower)))])
        .await;
    assert_fund_error(&out, FundError::TimelockRequired);
}

#[tokio::test]
async fn a_new_fallback_configuration_drops_a_price_the_old_fallback_gave() {
    let (mut f, feed) = fund().await;
    let mint = f.assets[LST].mint.key;
    let gov = f.gov();
    let reference = cache(&mut f).await;
    primary_dies(&mut f).await;
    set_fallback(&mut f, feed, PAR, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    assert_eq!(cache(&mut f).await.on_fallback, 1);
    // narrowing the divergence limit changes the fallback: its price goes, the last good
    // primary price stays
    let mut fb = fallback_params(feed);
    fb.max_divergence_bps = 100;
    f.send_gov(&[f.update_asset_ix(&gov, &mint, lst_params(Some(fb)))])
        .await
        .unwrap();
    let c = cache(&mut f).await;
    assert_eq!(
        c,
        PriceCache {
            expo: -8,
            primary_price: reference.primary_price,
            primary_time: reference.primary_time,
            ..PriceCache::default()
        }
    );
    let now = f.ctx.now().await;
    assert_eq!(f.state().await.stale_mask(now), 1 << LST);
    // a price the primary gave is kept by a fallback change
    f.ctx.advance_clock(1).await;
    f.set_pyth_price(LST, PAR, -8, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(1 << LST)], &[]).await;
    let priced = cache(&mut f).await;
    f.send_gov(&[f.update_asset_ix(&gov, &mint, lst_params(None))])
        .await
        .unwrap();
    assert_eq!(cache(&mut f).await, priced);
}

#[tokio::test]
async fn the_clients_remaining_accounts_carry_the_fallback_feed_from_the_fund() {
    let (mut f, feed) = fund().await;
    let state = f.state().await;
    let oracle = f.assets[LST].oracle.unwrap();
    let metas = insurance_fund_client::remaining::refresh_prices_accounts(
        &state,
        f.all_assets(),
        |_, _| Some(oracle),
    )
    .unwrap();
    let keys: Vec<Pubkey> = metas.iter().map(|m| m.pubkey).collect();
    // the fixed-price numeraire's vault; the LST's price account, fallback feed and vault
    assert_eq!(
        keys,
        vec![f.assets[0].vault, oracle, feed, f.assets[LST].vault]
    );
    assert!(metas.iter().all(|m| !m.is_writable && !m.is_signer));
    // as a keeper sends it, once the primary is dead: the fallback prices the LST
    primary_dies(&mut f).await;
    set_fallback(&mut f, feed, 99_000_000, 0).await;
    let ix = insurance_fund_client::ix::refresh_prices(&f.fund, f.all_assets(), metas);
    f.ctx.send_ok(&[ix], &[]).await;
    let c = cache(&mut f).await;
    assert_eq!((c.lower, c.on_fallback), (99_000_000, 1));
}
