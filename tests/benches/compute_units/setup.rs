//! Setup: the funds measured, and every instruction sent on them.

use super::*;

/// Asset `k` of an `n`-asset fund: SPL Token at even indices, Token-2022 at odd ones (asset 1
/// with a 1 % transfer fee); fixed price 1.00 at indices 0 and 8, Pyth otherwise; classes
/// liquid, liquid, yield-bearing, illiquid repeating; equal targets.
fn spec(k: usize, n: usize) -> AssetSpec {
    let class = match k % 4 {
        0 | 1 => LiquidityClass::Liquid,
        2 => LiquidityClass::YieldBearing,
        _ => LiquidityClass::Illiquid,
    };
    let oracle = if k.is_multiple_of(8) {
        fixed_oracle()
    } else {
        pyth_oracle(k as u8 + 1)
    };
    let kind = if k % 2 == 1 {
        TokenKind::Token2022
    } else {
        TokenKind::Spl
    };
    let target = (10_000 / n) as u16;
    let spec = AssetSpec::new(
        kind,
        6,
        asset_params(class, target.max(8_000), oracle),
        target,
    );
    if k == 1 {
        spec.with_exts(&[MintExt::TransferFee {
            bps: 100,
            max_fee: u64::MAX,
        }])
    } else {
        spec
    }
}

fn describe(spec: &AssetSpec) -> String {
    let kind = match (spec.kind, spec.exts.is_empty()) {
        (TokenKind::Spl, _) => "SPL",
        (TokenKind::Token2022, true) => "Token-2022",
        (TokenKind::Token2022, false) => "Token-2022 + transfer fee",
    };
    let price = match (spec.params.oracle.source, spec.params.fallback.is_some()) {
        (OracleSource::Fixed, _) => "fixed price",
        (OracleSource::PythPull, false) => "Pyth",
        (OracleSource::PythPull, true) => "Pyth + Switchboard fallback",
    };
    format!("{kind}, {price}")
}

fn rebalance_params() -> RebalanceConfig {
    RebalanceConfig {
        max_volume_per_window: 10_000_000 * ONE,
        premium_budget_per_window: 100_000 * ONE,
        ..rebalance_config()
    }
}

fn draw_params() -> DrawConfig {
    DrawConfig {
        approval_threshold: 10_000_000 * ONE,
        fund_cap_bps: 10_000,
        ..draw_config()
    }
}

fn caps() -> ClaimantCaps {
    ClaimantCaps {
        max_per_shortfall: 1_000_000_000 * ONE,
        max_per_window: 1_000_000_000 * ONE,
        lifetime_max: 1_000_000_000 * ONE,
    }
}

/// Publishes every Pyth price at 1.00 (confidence 0.1 %) now and refreshes every asset.
async fn fresh(f: &mut FundFixture) {
    for k in 0..f.h.assets.len() {
        if f.h.assets[k].oracle.is_some() {
            f.set_pyth_price(k, 100_000_000, -8, 100_000).await;
        }
    }
    let ixs = [f.h.refresh_ix(f.h.all_assets())];
    let s = sizes(&f.ctx, &ixs);
    send_sized(&mut f.ctx, &ixs, &[], &s).await.unwrap();
}

/// The payable assets in waterfall order (`Fund::draw_waterfall`).
fn waterfall(fund: &Fund) -> Vec<usize> {
    fund.draw_waterfall().as_slice().to_vec()
}

/// Every instruction on an `n`-asset fund. Deposits: each asset its target share of
/// 1,000,000 tokens, except asset 0 (twice that: over-weight) and asset 1 (half: under-weight),
/// so a keeper can deliver asset 1 for asset 0.
pub(super) async fn bench_fund(n: usize, b: &mut Bench) {
    let mut ctx = TestContext::start(program_test()).await;
    let governance = new_keypair();
    let guardian = new_keypair();
    let create_key = new_keypair();
    let args = InitializeFundArgs {
        governance: governance.pubkey(),
        guardian: Some(guardian.pubkey()),
        numeraire: *b"USD\0\0\0\0\0",
        numeraire_decimals: 6,
        min_liquid_bps: 0,
    };
    let ix = initialize_fund_ix(&ctx.payer_key(), &create_key.pubkey(), args);
    b.measure(
        &mut ctx,
        n,
        "initialize_fund",
        "",
        &[ix],
        &[&create_key],
        None,
    )
    .await;
    let mut h = FundHandle {
        fund: fund_address(&create_key.pubkey()),
        payer: ctx.payer_key(),
        create_key,
        governance,
        guardian,
        assets: vec![],
    };

    // add_asset: record the last SPL and the last Token-2022 asset added
    let specs: Vec<AssetSpec> = (0..n).map(|k| spec(k, n)).collect();
    let last_spl = (0..n).rev().find(|k| k % 2 == 0);
    let last_t22 = (0..n).rev().find(|k| k % 2 == 1);
    for (k, spec) in specs.iter().enumerate() {
        let mint = ctx.create_mint(spec.kind, spec.decimals, &spec.exts).await;
        let ix = h.add_asset_ix(&h.gov(), &mint, spec.params);
        let s = sizes(&ctx, &[ix]);
        let out = match h.add_asset(&mut ctx, mint, spec.params).await {
            Ok(out) => out,
            Err(out) => panic!("add_asset {k}: {:?}\n{}", out.result, out.logs.join("\n")),
        };
        if Some(k) == last_spl || Some(k) == last_t22 {
            let variant = format!("asset #{} ({})", k + 1, describe(spec));
            b.record(n, "add_asset", variant, &s, &out, None);
        }
    }
    let mut f = FundFixture { ctx, h };
    let gov = f.h.governance.insecure_clone();
    let g = gov.pubkey();

    let targets: Vec<u16> = specs.iter().map(|s| s.target_bps).collect();
    let ix = f.h.set_targets_ix(&g, targets);
    b.measure(&mut f.ctx, n, "set_targets", "", &[ix], &[&gov], None)
        .await;
    let ix = f.h.set_bounds_ix(&g, 3_000);
    b.measure(&mut f.ctx, n, "set_bounds", "", &[ix], &[&gov], None)
        .await;
    let ix = f.h.set_rebalance_params_ix(&g, rebalance_params());
    b.measure(
        &mut f.ctx,
        n,
        "set_rebalance_params",
        "",
        &[ix],
        &[&gov],
        None,
    )
    .await;
    let ix = f.h.set_draw_params_ix(&g, draw_params());
    b.measure(&mut f.ctx, n, "set_draw_params", "", &[ix], &[&gov], None)
        .await;
    let last = f.h.assets[n - 1].mint.key;
    let mut params = specs[n - 1].params;
    params.haircut_bps = 50;
    let ix = f.h.update_asset_ix(&g, &last, params);
    b.measure(
        &mut f.ctx,
        n,
        "update_asset",
        "last asset",
        &[ix],
        &[&gov],
        None,
    )
    .await;

    // claimant
    let authority = new_keypair();
    let a = authority.pubkey();
    let owner = Pubkey::new_unique();
    let ix = f.h.register_claimant_ix(&g, a, owner, caps());
    b.measure(&mut f.ctx, n, "register_claimant", "", &[ix], &[&gov], None)
        .await;
    let ix = f.h.update_claimant_ix(&g, &a, owner, caps(), true);
    b.measure(&mut f.ctx, n, "update_claimant", "", &[ix], &[&gov], None)
        .await;

    // guardian
    let guardian = f.h.guardian.insecure_clone();
    let ix = f.h.pause_ix(&guardian.pubkey(), pause_flags::DEPOSITS);
    b.measure(
        &mut f.ctx,
        n,
        "pause",
        "by the guardian",
        &[ix],
        &[&guardian],
        None,
    )
    .await;
    let ix = f.h.unpause_ix(&g, pause_flags::DEPOSITS);
    b.measure(&mut f.ctx, n, "unpause", "", &[ix], &[&gov], None)
        .await;

    // deposits
    for (k, spec) in specs.iter().enumerate() {
        let share = u64::from(spec.target_bps) * 100 * ONE;
        let amount = match k {
            0 => 2 * share,
            1 => share / 2,
            _ => share,
        };
        let (who, source) = f.depositor(k, amount).await;
        let ix = f.h.deposit_ix(&who.pubkey(), k, &source, amount);
        if k <= 1 || k == 3 {
            let variant = format!("asset #{} ({})", k + 1, describe(spec));
            b.measure(&mut f.ctx, n, "deposit_fees", variant, &[ix], &[&who], None)
                .await;
        } else {
            f.ctx.send_ok(&[ix], &[&who]).await;
        }
    }

    // probes: fail right after the accounts are deserialized (zero amounts, empty selection)
    let ix = f.h.refresh_ix_with(0, &[]);
    b.probe(&mut f.ctx, n, "refresh_prices(0)", &[ix], &[])
        .await;
    let (who, source) = f.depositor(0, ONE).await;
    let ix = f.h.deposit_ix(&who.pubkey(), 0, &source, 0);
    b.probe(&mut f.ctx, n, "deposit_fees(0)", &[ix], &[&who])
        .await;

    // prices, NAV, auctions
    fresh(&mut f).await;
    let all = f.h.all_assets();
    measure_refresh(&mut f, b, all, format!("all {n} assets")).await;
    for (k, spec) in specs.iter().enumerate().take(3) {
        let variant = format!("one asset: #{} ({})", k + 1, describe(spec));
        measure_refresh(&mut f, b, 1 << k, variant).await;
    }
    let ix = f.h.get_nav_ix();
    b.measure(&mut f.ctx, n, "get_nav", "", &[ix], &[], None)
        .await;
    let ix = f.h.sync_auctions_ix();
    b.measure(&mut f.ctx, n, "sync_auctions", "", &[ix], &[], None)
        .await;
    // the same with auctions running (the sync set clocks): deposits and refreshes then end
    // the episodes of assets back inside their bands (`Fund::settle_auction_clocks`, one
    // valuation per asset); a small deposit, so the fill below is unchanged
    if n >= 2 {
        let variant = format!("all {n} assets, auctions running");
        measure_refresh(&mut f, b, all, variant).await;
        let (who, source) = f.depositor(1, ONE).await;
        let ix = f.h.deposit_ix(&who.pubkey(), 1, &source, ONE);
        let variant = format!("asset #2 ({}), auctions running", describe(&specs[1]));
        b.measure(&mut f.ctx, n, "deposit_fees", variant, &[ix], &[&who], None)
            .await;
    }

    // a keeper fill: asset 1 in, asset 0 out
    if n >= 2 {
        let keeper = new_keypair();
        let (m0, m1) = (f.h.assets[0].mint, f.h.assets[1].mint);
        let keeper_in = f
            .ctx
            .funded_token_account(&m1, &keeper.pubkey(), 10_000 * ONE)
            .await;
        let keeper_out = f.ctx.create_token_account(&m0, &keeper.pubkey()).await;
        fresh(&mut f).await;
        let ix =
            f.h.rebalance_ix(&keeper.pubkey(), 1, &keeper_in, 0, &keeper_out, 0, 0);
        b.probe(&mut f.ctx, n, "rebalance(0)", &[ix], &[&keeper])
            .await;
        // the reverse pair passes every check before the engine (the keeper delivers), then
        // the engine refuses it: OutNotOverweight
        let ix =
            f.h.rebalance_ix(&keeper.pubkey(), 0, &keeper_out, 1, &keeper_in, ONE, 0);
        b.probe(&mut f.ctx, n, "rebalance(reverse)", &[ix], &[&keeper])
            .await;
        let ix = f.h.rebalance_ix(
            &keeper.pubkey(),
            1,
            &keeper_in,
            0,
            &keeper_out,
            1_000 * ONE,
            0,
        );
        let variant = format!(
            "#2 ({}) in, #1 ({}) out",
            describe(&specs[1]),
            describe(&specs[0])
        );
        b.measure(&mut f.ctx, n, "rebalance", variant, &[ix], &[&keeper], None)
            .await;
        // a flash fill of the same pair: begin lends asset 0, the keeper's route delivers
        // asset 1 (a plain transfer here), end checks and books it
        let variant = format!(
            "#2 ({}) in, #1 ({}) out, delivered by a transfer",
            describe(&specs[1]),
            describe(&specs[0])
        );
        let accounts = (keeper_in, keeper_out);
        measure_flash_fill(&mut f, b, &keeper, (1, 0), accounts, variant).await;
    }

    // shortfall A: declared, drawn from one asset, then from two
    let mut payout = vec![];
    for k in 0..n {
        let mint = f.h.assets[k].mint;
        payout.push(f.ctx.create_token_account(&mint, &owner).await);
    }
    let id = f.state().await.draw_state.shortfall_count;
    let ix = f.h.declare_ix(&a, &a, id, 5_000_000 * ONE, [7; 32]);
    b.measure(
        &mut f.ctx,
        n,
        "declare_shortfall",
        "",
        &[ix],
        &[&authority],
        None,
    )
    .await;
    fresh(&mut f).await;
    let order = waterfall(&*f.state().await);
    let ix = f.h.draw_ix(&a, id, 0, &[(order[0], payout[order[0]])]);
    b.probe(&mut f.ctx, n, "draw(0)", &[ix], &[&authority])
        .await;
    let ix =
        f.h.draw_ix(&a, id, 100 * ONE, &[(order[0], payout[order[0]])]);
    b.measure(
        &mut f.ctx,
        n,
        "draw",
        "1 asset paid",
        &[ix],
        &[&authority],
        Some(1),
    )
    .await;
    if n >= 2 {
        fresh(&mut f).await;
        // asset 0 (fixed price 1.00, same decimals as the numeraire) first: exhaust it
        assert_eq!(order[0], 0);
        let balance0 = f.state().await.assets[0].booked_balance;
        let pay = [(order[0], payout[order[0]]), (order[1], payout[order[1]])];
        let ix = f.h.draw_ix(&a, id, balance0 + 100 * ONE, &pay);
        b.measure(
            &mut f.ctx,
            n,
            "draw",
            "2 assets paid",
            &[ix],
            &[&authority],
            Some(2),
        )
        .await;
    }

    // shortfall B: above the approval threshold; approved, cancelled, closed
    let id_b = f.state().await.draw_state.shortfall_count;
    let ix = f.h.declare_ix(&a, &a, id_b, 20_000_000 * ONE, [8; 32]);
    f.ctx.send_ok(&[ix], &[&authority]).await;
    let ix = f.h.approve_ix(&g, id_b);
    b.measure(&mut f.ctx, n, "approve_shortfall", "", &[ix], &[&gov], None)
        .await;
    let ix = f.h.cancel_ix(&a, &a, id_b);
    b.measure(
        &mut f.ctx,
        n,
        "cancel_shortfall",
        "",
        &[ix],
        &[&authority],
        None,
    )
    .await;
    let ix = f.h.close_shortfall_ix(id_b, f.h.payer);
    b.measure(&mut f.ctx, n, "close_shortfall", "", &[ix], &[], None)
        .await;
    // shortfall A closed too, then the claimant removed
    let ix = f.h.cancel_ix(&a, &a, id);
    f.ctx.send_ok(&[ix], &[&authority]).await;
    let ix = f.h.close_shortfall_ix(id, f.h.payer);
    f.ctx.send_ok(&[ix], &[]).await;
    let ix = f.h.remove_claimant_ix(&g, &a, Pubkey::new_unique());
    b.measure(&mut f.ctx, n, "remove_claimant", "", &[ix], &[&gov], None)
        .await;

    // governance transfer
    let next = new_keypair();
    let ix = f.h.propose_governance_ix(&g, next.pubkey());
    b.measure(
        &mut f.ctx,
        n,
        "propose_governance",
        "",
        &[ix],
        &[&gov],
        None,
    )
    .await;
    let ix = f.h.accept_governance_ix(&next.pubkey());
    b.measure(
        &mut f.ctx,
        n,
        "accept_governance",
        "",
        &[ix],
        &[&next],
        None,
    )
    .await;
    f.h.governance = next;

    if n == 16 {
        let rent = f.ctx.ctx.banks_client.get_rent().await.unwrap();
        let mut push = |name: String, len: usize| {
            b.account_sizes.push((name, len, rent.minimum_balance(len)));
        };
        push("Fund (`Fund::SPACE`)".into(), Fund::SPACE);
        push("Claimant (`Claimant::SPACE`)".into(), Claimant::SPACE);
        push("Shortfall (`Shortfall::SPACE`)".into(), Shortfall::SPACE);
        let mut vaults = vec![];
        for k in [0usize, 1, 3] {
            let len = f
                .ctx
                .account(&f.h.assets[k].vault)
                .await
                .expect("vault")
                .data
                .len();
            vaults.push((format!("vault, {}", describe(&specs[k])), len));
        }
        for (name, len) in vaults {
            b.account_sizes.push((name, len, rent.minimum_balance(len)));
        }
    }
}

/// A draw paying from every asset: all but the waterfall's last asset hold one token, so the
/// draw exhausts them and finishes on the last.
pub(super) async fn bench_draw_all(n: usize, b: &mut Bench) {
    let specs: Vec<AssetSpec> = (0..n).map(|k| spec(k, n)).collect();
    let mut f = TestBuilder::new()
        .assets(specs)
        .min_liquid_bps(3_000)
        .build()
        .await;
    let gov = f.h.governance.insecure_clone();
    let g = gov.pubkey();
    f.send_gov(&[f.h.set_draw_params_ix(&g, draw_params())])
        .await
        .unwrap();
    // one token in every asset, then 999 more in the waterfall's last
    for k in 0..n {
        f.deposit(k, ONE).await;
    }
    let order = waterfall(&*f.state().await);
    assert_eq!(order.len(), n, "every asset payable");
    f.deposit(order[n - 1], 999 * ONE).await;
    let authority = new_keypair();
    let a = authority.pubkey();
    let owner = Pubkey::new_unique();
    f.send_gov(&[f.h.register_claimant_ix(&g, a, owner, caps())])
        .await
        .unwrap();
    let mut pay = vec![];
    for k in order.iter().copied() {
        let mint = f.h.assets[k].mint;
        pay.push((k, f.ctx.create_token_account(&mint, &owner).await));
    }
    let amount = (n as u64 + 10) * ONE;
    let ix = f.h.declare_ix(&a, &a, 0, amount, [1; 32]);
    f.ctx.send_ok(&[ix], &[&authority]).await;
    fresh(&mut f).await;
    let ix = f.h.draw_ix(&a, 0, amount, &pay);
    let variant = format!("{n} assets paid (all)");
    b.measure(
        &mut f.ctx,
        n,
        "draw",
        variant,
        &[ix],
        &[&authority],
        Some(n),
    )
    .await;
}

/// `refresh_prices` when every Pyth asset of the `n`-asset fund (`spec`) also has a
/// Switchboard On-Demand fallback (60 s, 100 bps, divergence 200 bps): both sources fresh (the
/// fallback cross-checks the primary), then with every Pyth price stale (the fallback prices
/// the asset). Rows' variants start with "fallback:".
pub(super) async fn bench_fallback(n: usize, b: &mut Bench) {
    let specs: Vec<AssetSpec> = (0..n)
        .map(|k| {
            let mut s = spec(k, n);
            if s.params.oracle.source == OracleSource::PythPull {
                s.params.fallback = Some(fallback_params(Pubkey::new_unique()));
            }
            s
        })
        .collect();
    let mut f = TestBuilder::new()
        .assets(specs.clone())
        .min_liquid_bps(0)
        .build()
        .await;
    let now = f.ctx.now().await;
    publish_fallbacks(&mut f, now, None);
    fresh(&mut f).await;
    // both fresh, every asset
    let variant = format!("fallback: all {n} assets, both sources fresh");
    measure_fallback_refresh(&mut f, b, 1, None, true, variant).await;
    // both fresh, one asset (#3: SPL, Pyth + fallback, when there is one)
    let k = 2.min(n - 1);
    if f.h.assets[k].fallback.is_some() {
        let asset = format!("#{} ({})", k + 1, describe(&specs[k]));
        let variant = format!("fallback: one asset: {asset}, both sources fresh");
        measure_fallback_refresh(&mut f, b, 1, Some(k), true, variant).await;
        // the Pyth price stale: the fallback prices it
        let variant = format!("fallback: one asset: {asset}, on fallback (Pyth stale)");
        measure_fallback_refresh(&mut f, b, 61, Some(k), false, variant).await;
        assert_eq!(f.state().await.assets[k].price.on_fallback, 1);
    }
    // every Pyth price stale: every such asset on fallback
    let variant = format!("fallback: all {n} assets, every Pyth one on fallback");
    measure_fallback_refresh(&mut f, b, 61, None, false, variant).await;
}

/// Publishes the Switchboard fallback price (1.00) of asset `only`, or of every asset with a
/// fallback, at `now`.
fn publish_fallbacks(f: &mut FundFixture, now: i64, only: Option<usize>) {
    for (k, a) in f.h.assets.iter().enumerate() {
        if let (Some(feed), true) = (a.fallback, only.is_none_or(|o| o == k)) {
            f.ctx
                .set_feed(&feed, &SwitchboardPrice::new(100_000_000, now));
        }
    }
}

/// One row of `bench_fallback`: the clock moves on `secs`; the fallback feeds of asset `only`
/// (or of every asset) publish at the new time, and so do their Pyth feeds when `pyth_fresh`
/// (else the Pyth prices age); then `refresh_prices` of the same assets is measured.
async fn measure_fallback_refresh(
    f: &mut FundFixture,
    b: &mut Bench,
    secs: i64,
    only: Option<usize>,
    pyth_fresh: bool,
    variant: String,
) {
    let n = f.h.assets.len();
    f.ctx.advance_clock(secs).await;
    let now = f.ctx.now().await;
    publish_fallbacks(f, now, only);
    let mask = only.map_or_else(|| f.h.all_assets(), |k| 1 << k);
    if pyth_fresh {
        for k in (0..n).filter(|k| mask & (1 << k) != 0) {
            if f.h.assets[k].oracle.is_some() {
                f.set_pyth_price(k, 100_000_000, -8, 100_000).await;
            }
        }
    }
    measure_refresh(f, b, mask, variant).await;
}

/// Measures `refresh_prices` of the assets in `mask` (its units per asset refreshed).
async fn measure_refresh(f: &mut FundFixture, b: &mut Bench, mask: u16, variant: String) {
    let n = f.h.assets.len();
    let ix = f.h.refresh_ix(mask);
    let per = Some(mask.count_ones() as usize);
    b.measure(&mut f.ctx, n, "refresh_prices", variant, &[ix], &[], per)
        .await;
}

/// A fill on crisis terms in an `n`-asset fund (`spec`, every asset holding `tokens` whole
/// tokens, `n >= 3`): a crisis profile (liquid target 95 %, auction 1 h, discount 3 %, gap
/// trigger 5 %, hold 24 h), then asset #3 (yield-bearing, Pyth) gaps 35 % below its EMA, a
/// refresh sees it and the auctions are synced; half an hour later (prices republished) a
/// keeper delivers asset #1 (liquid, fixed price) for asset #3: the tilted targets, the sale
/// price between the upper bound and the gap floor, the hold and the set-back in proportion to
/// the take all run. Measured as a `rebalance` and as a flash fill of the same pair; rows'
/// variants start with "crisis: {tokens} tokens an asset". Two sizes are measured: 62,500
/// tokens an asset (the size of `bench_fund`'s fund) and 1,000,000, where a balance times a
/// Pyth mantissa (10^12 atoms x 10^8) no longer fits 64 bits and every valuation takes the
/// wider path (`math::valuation::value_floor`, `wide::mul_div_pow10_floor`).
pub(super) async fn bench_crisis(n: usize, tokens: u64, b: &mut Bench) {
    const RISK: usize = 2;
    let specs: Vec<AssetSpec> = (0..n).map(|k| spec(k, n)).collect();
    let mut f = TestBuilder::new()
        .assets(specs.clone())
        .min_liquid_bps(0)
        .build()
        .await;
    let profile = CrisisProfile {
        max_volume_per_window: 10_000_000 * ONE,
        premium_budget_per_window: 100_000 * ONE,
        auction_duration_secs: 3_600,
        max_premium_bps: 110,
        max_discount_bps: 300,
        gap_trigger_bps: 500,
        liquid_target_bps: 9_500,
        hold_secs: 86_400,
    };
    let params = RebalanceConfig {
        crisis: profile,
        ..rebalance_params()
    };
    let ix = f.h.set_rebalance_params_ix(&f.h.gov(), params);
    f.send_gov(&[ix]).await.unwrap();
    for k in 0..n {
        f.deposit(k, tokens * ONE).await;
    }
    // the gap: spot 0.65 against an EMA of 1.00, seen by a refresh; the auctions start
    f.ctx.advance_clock(1).await;
    publish_gap(&mut f, RISK).await;
    let ixs = [f.h.refresh_ix(f.h.all_assets()), f.h.sync_auctions_ix()];
    let s = sizes(&f.ctx, &ixs);
    send_sized(&mut f.ctx, &ixs, &[], &s).await.unwrap();
    let now = f.ctx.now().await;
    let st = f.state().await;
    assert!(
        st.gapped() && st.crisis_mode(now),
        "the gap puts the fund in crisis mode"
    );
    // half the crisis auction later, the same prices republished
    f.ctx.advance_clock(1_800).await;
    publish_gap(&mut f, RISK).await;
    let ixs = [f.h.refresh_ix(f.h.all_assets())];
    let s = sizes(&f.ctx, &ixs);
    send_sized(&mut f.ctx, &ixs, &[], &s).await.unwrap();

    let keeper = new_keypair();
    let k = keeper.pubkey();
    let (m_in, m_out) = (f.h.assets[0].mint, f.h.assets[RISK].mint);
    let keeper_in = f.ctx.funded_token_account(&m_in, &k, 10_000 * ONE).await;
    let keeper_out = f.ctx.create_token_account(&m_out, &k).await;
    let pair = format!(
        "crisis: {} tokens an asset, #1 ({}) in, #3 ({}) out, 30 min after a 35 % gap",
        num(tokens),
        describe(&specs[0]),
        describe(&specs[RISK])
    );
    let before = f.state().await.rebalance_state.total_volume;
    let ix =
        f.h.rebalance_ix(&k, 0, &keeper_in, RISK, &keeper_out, 1_000 * ONE, 0);
    b.measure(
        &mut f.ctx,
        n,
        "rebalance",
        pair.clone(),
        &[ix],
        &[&keeper],
        None,
    )
    .await;
    let st = f.state().await;
    assert_eq!(
        st.rebalance_state.total_volume - before,
        1_000 * ONE,
        "the fill booked"
    );
    assert!(st.crisis_mode(f.ctx.now().await));
    let variant = format!("{pair}, delivered by a transfer");
    measure_flash_fill(
        &mut f,
        b,
        &keeper,
        (0, RISK),
        (keeper_in, keeper_out),
        variant,
    )
    .await;
}

/// Measures a flash fill of the pair `(i, o)`: `rebalance_begin` lends one token of `o` to
/// the keeper's account `accounts.1`, the keeper delivers 100 tokens of `i` from `accounts.0`
/// by a plain transfer (standing in for a route), `rebalance_end` checks and books it.
async fn measure_flash_fill(
    f: &mut FundFixture,
    b: &mut Bench,
    keeper: &Keypair,
    (i, o): (usize, usize),
    (keeper_in, keeper_out): (Pubkey, Pubkey),
    variant: String,
) {
    let k = keeper.pubkey();
    let n = f.h.assets.len();
    let ixs = [
        f.h.rebalance_begin_ix(&k, i, o, &keeper_out, ONE),
        f.ctx.transfer_ix(
            &f.h.assets[i].mint,
            &keeper_in,
            &f.h.assets[i].vault,
            &k,
            100 * ONE,
        ),
        f.h.rebalance_end_ix(&k, i, o),
    ];
    b.measure(
        &mut f.ctx,
        n,
        "rebalance_begin+end",
        variant,
        &ixs,
        &[keeper],
        None,
    )
    .await;
}

/// Publishes every Pyth price at 1.00 now, except asset `gapped`'s: spot 0.65 against an EMA
/// of 1.00 (a 35 % gap), no confidence.
async fn publish_gap(f: &mut FundFixture, gapped: usize) {
    for k in 0..f.h.assets.len() {
        if k == gapped {
            f.set_pyth_gap(k, 65_000_000, 100_000_000, -8, 0).await;
        } else if f.h.assets[k].oracle.is_some() {
            f.set_pyth_price(k, 100_000_000, -8, 100_000).await;
        }
    }
}
