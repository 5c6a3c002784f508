//! Compute units, CPIs, accounts and transaction sizes of every fund instruction at 1, 4, 8
//! and 16 assets, measured against the SBF binary; writes `docs/performance.md`.
//!
//! Run (the `.so` must be current):
//!
//! ```text
//! ../shared/sbf/build-sbf.sh programs/insurance_fund target/deploy
//! INSURANCE_FUND_TEST_MODE=sbf SBF_OUT_DIR=$PWD/target/deploy \
//!   cargo test -p insurance_fund_tests --bench compute_units     # dev profile, reuses test builds
//! # or `cargo bench -p insurance_fund_tests --bench compute_units` (same figures, release build)
//! ```
//!
//! "Own" units are the fund program's `consumed` figure (which includes its CPIs) minus the
//! `consumed` figures of the token-program CPIs it makes, parsed from the runtime's logs.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use insurance_fund::instructions::InitializeFundArgs;
use insurance_fund::math::draw::waterfall_order;
use insurance_fund::state::{
    pause_flags, Claimant, ClaimantCaps, DrawConfig, FallbackParams, Fund, LiquidityClass,
    OracleSource, RebalanceConfig, Shortfall,
};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_message::{v0, AddressLookupTableAccount, VersionedMessage};
use solana_signer::Signer;
use solana_transaction::{versioned::VersionedTransaction, Transaction};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

const ONE: u64 = 1_000_000; // one whole 6-decimal token
const ASSET_COUNTS: [usize; 4] = [1, 4, 8, 16];
const PACKET: usize = 1_232;
const MAX_LOCKS: usize = 64;
const IX_CU: u64 = 200_000;
const TX_CU: u64 = 1_400_000;

/// Instructions in report order.
const INSTRUCTIONS: [&str; 26] = [
    "initialize_fund",
    "add_asset",
    "update_asset",
    "set_targets",
    "set_bounds",
    "set_rebalance_params",
    "set_draw_params",
    "register_claimant",
    "update_claimant",
    "propose_governance",
    "accept_governance",
    "pause",
    "unpause",
    "deposit_fees",
    "refresh_prices",
    "get_nav",
    "sync_auctions",
    "rebalance",
    "rebalance_begin+end",
    "declare_shortfall",
    "approve_shortfall",
    "draw",
    "cancel_shortfall",
    "close_shortfall",
    "remove_claimant",
    "(all)",
];

const HOW_TO_RUN: &str = "\
The compute-unit benchmark runs against the SBF binary only. Build it, then run:

  ../shared/sbf/setup.sh
  ../shared/sbf/build-sbf.sh programs/insurance_fund target/deploy
  INSURANCE_FUND_TEST_MODE=sbf SBF_OUT_DIR=$PWD/target/deploy \\
    cargo test -p insurance_fund_tests --bench compute_units

(`cargo bench -p insurance_fund_tests --bench compute_units` with the same variables runs the
same code in the release profile; the figures are identical, the build is much slower.)";

// ---- measurement -----------------------------------------------------------------------------

/// What the logs say about one fund instruction (the transaction's only instruction).
#[derive(Clone, Copy, Debug, Default)]
struct Units {
    /// The fund's `consumed` figure: its own work plus everything its CPIs consumed.
    total: u64,
    /// `consumed` by the token programs it called.
    token_cpi: u64,
    /// Every CPI (token programs and builtins such as the system program).
    cpis: usize,
    token_cpis: usize,
    /// The fund's own `Program log:` lines and `Program data:` lines (events) and their bytes.
    log_lines: usize,
    data_lines: usize,
    data_bytes: usize,
    /// The transaction's total units.
    tx_total: u64,
}

impl Units {
    fn own(&self) -> u64 {
        self.total - self.token_cpi
    }
}

fn is_token_program(id: &str) -> bool {
    id == anchor_spl::token::ID.to_string() || id == anchor_spl::token_2022::ID.to_string()
}

/// Parses `Program <id> invoke [d]`, `Program <id> consumed N of M compute units`,
/// `Program <id> success|failed` into units per depth.
fn parse_units(logs: &[String], tx_total: u64) -> Units {
    let fund = insurance_fund::ID.to_string();
    let mut u = Units {
        tx_total,
        ..Units::default()
    };
    let mut stack: Vec<String> = vec![];
    for line in logs {
        if let Some(data) = line.strip_prefix("Program data: ") {
            if stack.len() == 1 && stack[0] == fund {
                u.data_lines += 1;
                u.data_bytes += data
                    .split_whitespace()
                    .map(|b| {
                        use base64::Engine;
                        base64::engine::general_purpose::STANDARD
                            .decode(b)
                            .map(|v| v.len())
                            .unwrap_or(0)
                    })
                    .sum::<usize>();
            }
            continue;
        }
        if line.starts_with("Program log: ") {
            if stack.len() == 1 && stack[0] == fund {
                u.log_lines += 1;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("Program ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(id), Some(verb)) = (words.next(), words.next()) else {
            continue;
        };
        match verb {
            "invoke" => {
                stack.push(id.to_string());
                if stack.len() == 2 && stack[0] == fund {
                    u.cpis += 1;
                    if is_token_program(id) {
                        u.token_cpis += 1;
                    }
                }
            }
            "consumed" => {
                let n: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                if stack.len() == 1 && id == fund {
                    // a flash fill has two top-level fund instructions: both count
                    u.total += n;
                } else if stack.len() == 2 && stack[0] == fund && is_token_program(id) {
                    u.token_cpi += n;
                }
            }
            "success" | "failed:" | "failed" => {
                stack.pop();
            }
            _ => {}
        }
    }
    u
}

/// Accounts, signers and wire sizes of a one-payer transaction of `ixs`.
struct Sizes {
    accounts: usize,
    signers: usize,
    legacy: usize,
    with_table: usize,
    /// Every account that is neither a signer nor an invoked program.
    table: Vec<Pubkey>,
}

fn sizes(ctx: &TestContext, ixs: &[Instruction]) -> Sizes {
    let payer = ctx.payer_key();
    let tx = Transaction::new_with_payer(ixs, Some(&payer));
    let accounts = tx.message.account_keys.len();
    let signers = tx.message.header.num_required_signatures as usize;
    let legacy = wire_size(&VersionedTransaction::from(tx));
    let signer_keys: HashSet<Pubkey> = ixs
        .iter()
        .flat_map(|ix| ix.accounts.iter())
        .filter(|m| m.is_signer)
        .map(|m| m.pubkey)
        .chain([payer])
        .collect();
    let invoked: HashSet<Pubkey> = ixs.iter().map(|ix| ix.program_id).collect();
    let mut table: Vec<Pubkey> = vec![];
    for m in ixs.iter().flat_map(|ix| ix.accounts.iter()) {
        if !signer_keys.contains(&m.pubkey)
            && !invoked.contains(&m.pubkey)
            && !table.contains(&m.pubkey)
        {
            table.push(m.pubkey);
        }
    }
    let message = v0_message(ctx, ixs, Pubkey::new_unique(), &table);
    let unsigned = VersionedTransaction {
        signatures: vec![Default::default(); signers],
        message: VersionedMessage::V0(message),
    };
    Sizes {
        accounts,
        signers,
        legacy,
        with_table: wire_size(&unsigned),
        table,
    }
}

fn v0_message(
    ctx: &TestContext,
    ixs: &[Instruction],
    key: Pubkey,
    table: &[Pubkey],
) -> v0::Message {
    let lookup = AddressLookupTableAccount {
        key,
        addresses: table.to_vec(),
    };
    v0::Message::try_compile(&ctx.payer_key(), ixs, &[lookup], ctx.ctx.last_blockhash)
        .expect("v0 message compiles")
}

/// One measured instruction.
#[derive(Clone, Debug)]
struct Row {
    ix: &'static str,
    variant: String,
    assets: usize,
    units: Units,
    accounts: usize,
    signers: usize,
    legacy: usize,
    with_table: usize,
    /// Assets refreshed or paid (for per-asset figures).
    per: Option<usize>,
}

#[derive(Default)]
struct Bench {
    rows: Vec<Row>,
    /// (account, bytes, rent-exempt lamports)
    account_sizes: Vec<(String, usize, u64)>,
    /// Transactions made to fail at a known line: (assets, label, fund's units consumed).
    probes: Vec<(usize, &'static str, u64)>,
}

impl Bench {
    /// Sends `ixs` (legacy when it fits a packet, otherwise v0 through a lookup table holding
    /// every non-signer account), requires success and records the figures.
    #[allow(clippy::too_many_arguments)]
    async fn measure(
        &mut self,
        ctx: &mut TestContext,
        assets: usize,
        ix: &'static str,
        variant: impl Into<String>,
        ixs: &[Instruction],
        signers: &[&Keypair],
        per: Option<usize>,
    ) -> Outcome {
        let s = sizes(ctx, ixs);
        let out = if s.legacy <= PACKET {
            ctx.send(ixs, signers).await
        } else {
            let key = ctx.set_lookup_table(&s.table);
            let message = v0_message(ctx, ixs, key, &s.table);
            let payer = ctx.payer().insecure_clone();
            let mut all: Vec<&Keypair> = vec![&payer];
            all.extend(
                signers
                    .iter()
                    .copied()
                    .filter(|k| k.pubkey() != payer.pubkey()),
            );
            let tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &all)
                .expect("v0 transaction signs");
            ctx.process(tx).await
        };
        let out = out.unwrap();
        self.record(assets, ix, variant, &s, &out, per);
        out
    }

    fn record(
        &mut self,
        assets: usize,
        ix: &'static str,
        variant: impl Into<String>,
        s: &Sizes,
        out: &Outcome,
        per: Option<usize>,
    ) {
        let units = parse_units(&out.logs, out.compute_units);
        assert!(
            units.total > 0,
            "no units for {ix}:\n{}",
            out.logs.join("\n")
        );
        self.rows.push(Row {
            ix,
            variant: variant.into(),
            assets,
            units,
            accounts: s.accounts,
            signers: s.signers,
            legacy: s.legacy,
            with_table: s.with_table,
            per,
        });
    }

    /// Sends `ixs`, which must fail, and records the units the fund consumed up to the failure
    /// (accounts deserialized, handler up to the failing check, Anchor's error log).
    async fn probe(
        &mut self,
        ctx: &mut TestContext,
        assets: usize,
        label: &'static str,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) {
        let out = ctx.send(ixs, signers).await;
        assert!(out.result.is_err(), "probe {label} succeeded");
        let units = parse_units(&out.logs, out.compute_units);
        assert!(
            units.total > 0,
            "no units for probe {label}:\n{}",
            out.logs.join("\n")
        );
        self.probes.push((assets, label, units.total));
    }

    fn probe_units(&self, label: &str, assets: usize) -> Option<i64> {
        self.probes
            .iter()
            .find(|(n, l, _)| *n == assets && *l == label)
            .map(|(_, _, u)| *u as i64)
    }

    fn find(&self, ix: &str, variant_prefix: &str, assets: usize) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.ix == ix && r.assets == assets && r.variant.starts_with(variant_prefix))
    }
}

// ---- the funds -----------------------------------------------------------------------------

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
        band_bps: 200,
        start_premium_bps: 10,
        max_premium_bps: 110,
        max_discount_bps: 0,
        auction_duration_secs: 1_000,
        window_secs: 86_400,
        max_volume_per_window: 10_000_000 * ONE,
        premium_budget_per_window: 100_000 * ONE,
        min_trade_value: ONE,
        crisis: Default::default(),
    }
}

fn draw_params() -> DrawConfig {
    DrawConfig {
        approval_threshold: 10_000_000 * ONE,
        fund_cap_bps: 10_000,
        _pad: [0; 2],
        window_secs: 86_400,
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
    let ix = f.h.refresh_ix(f.h.all_assets());
    let s = sizes(&f.ctx, std::slice::from_ref(&ix));
    if s.legacy <= PACKET {
        f.ctx.send_ok(&[ix], &[]).await;
    } else {
        let key = f.ctx.set_lookup_table(&s.table);
        let message = v0_message(&f.ctx, &[ix], key, &s.table);
        let tx =
            VersionedTransaction::try_new(VersionedMessage::V0(message), &[f.ctx.payer()]).unwrap();
        f.ctx.process(tx).await.unwrap();
    }
}

fn waterfall(fund: &Fund) -> Vec<usize> {
    fund.draw_waterfall().as_slice().to_vec()
}

/// Every instruction on an `n`-asset fund. Deposits: each asset its target share of
/// 1,000,000 tokens, except asset 0 (twice that: over-weight) and asset 1 (half: under-weight),
/// so a keeper can deliver asset 1 for asset 0.
async fn bench_fund(n: usize, b: &mut Bench) {
    let mut ctx = TestContext::start(program_test()).await;
    let governance = Keypair::new();
    let guardian = Keypair::new();
    let create_key = Keypair::new();
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
    let authority = Keypair::new();
    let a = authority.pubkey();
    let owner = Pubkey::new_unique();
    let ix = f.h.register_claimant_ix(&g, a, owner, caps());
    b.measure(&mut f.ctx, n, "register_claimant", "", &[ix], &[&gov], None)
        .await;
    let claimant = f.h.claimant_address(&a);
    let ix = f.h.update_claimant_ix(&g, claimant, owner, caps(), true);
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
    let ix = f.h.refresh_ix(f.h.all_assets());
    let variant = format!("all {n} assets");
    b.measure(
        &mut f.ctx,
        n,
        "refresh_prices",
        variant,
        &[ix],
        &[],
        Some(n),
    )
    .await;
    for (k, spec) in specs.iter().enumerate().take(3) {
        let ix = f.h.refresh_ix(1 << k);
        let variant = format!("one asset: #{} ({})", k + 1, describe(spec));
        b.measure(
            &mut f.ctx,
            n,
            "refresh_prices",
            variant,
            &[ix],
            &[],
            Some(1),
        )
        .await;
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
        let ix = f.h.refresh_ix(f.h.all_assets());
        let variant = format!("all {n} assets, auctions running");
        b.measure(
            &mut f.ctx,
            n,
            "refresh_prices",
            variant,
            &[ix],
            &[],
            Some(n),
        )
        .await;
        let (who, source) = f.depositor(1, ONE).await;
        let ix = f.h.deposit_ix(&who.pubkey(), 1, &source, ONE);
        let variant = format!("asset #2 ({}), auctions running", describe(&specs[1]));
        b.measure(&mut f.ctx, n, "deposit_fees", variant, &[ix], &[&who], None)
            .await;
    }

    // a keeper fill: asset 1 in, asset 0 out
    if n >= 2 {
        let keeper = Keypair::new();
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
        let k = keeper.pubkey();
        let ixs = [
            f.h.rebalance_begin_ix(&k, 1, 0, &keeper_out, ONE),
            f.ctx
                .transfer_ix(&m1, &keeper_in, &f.h.assets[1].vault, &k, 100 * ONE),
            f.h.rebalance_end_ix(&k, 1, 0),
        ];
        let variant = format!(
            "#2 ({}) in, #1 ({}) out, delivered by a transfer",
            describe(&specs[1]),
            describe(&specs[0])
        );
        b.measure(
            &mut f.ctx,
            n,
            "rebalance_begin+end",
            variant,
            &ixs,
            &[&keeper],
            None,
        )
        .await;
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
    let ix = f.h.remove_claimant_ix(&g, claimant, Pubkey::new_unique());
    b.measure(&mut f.ctx, n, "remove_claimant", "", &[ix], &[&gov], None)
        .await;

    // governance transfer
    let next = Keypair::new();
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
async fn bench_draw_all(n: usize, b: &mut Bench) {
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
    let classes: Vec<u8> = {
        let s = f.state().await;
        s.registered_assets().iter().map(|a| a.class).collect()
    };
    let (order, count) = waterfall_order(&classes, &vec![true; n]);
    assert_eq!(count, n);
    for (pos, k) in order[..n].iter().enumerate() {
        let amount = if pos == n - 1 { 1_000 * ONE } else { ONE };
        f.deposit(*k, amount).await;
    }
    let authority = Keypair::new();
    let a = authority.pubkey();
    let owner = Pubkey::new_unique();
    f.send_gov(&[f.h.register_claimant_ix(&g, a, owner, caps())])
        .await
        .unwrap();
    let mut pay = vec![];
    for k in order[..n].iter().copied() {
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

// ---- the report ----------------------------------------------------------------------------

fn num(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn size_cell(bytes: usize) -> String {
    if bytes <= PACKET {
        num(bytes as u64)
    } else {
        format!("**{}** (> 1,232)", num(bytes as u64))
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

fn report(b: &Bench) -> String {
    let mut d = String::new();
    let w = &mut d;
    let _ = writeln!(
        w,
        "# Performance: compute units, CPIs, accounts, transaction sizes\n"
    );
    let _ = writeln!(
        w,
        "Generated by `tests/benches/compute_units.rs`; do not edit by hand. Every figure is \
         measured: each instruction runs in its own transaction against the SBF binary in \
         `solana-program-test`'s bank (real SPL Token and Token-2022), on funds of 1, 4, 8 and \
         16 assets.\n"
    );
    let _ = writeln!(w, "## Regenerate\n");
    let _ = writeln!(w, "From the repository root:\n");
    let _ = writeln!(w, "```");
    let _ = writeln!(
        w,
        "../shared/sbf/setup.sh   # once per machine\n\
         ../shared/sbf/build-sbf.sh programs/insurance_fund \"$PWD/target/deploy\"\n\
         INSURANCE_FUND_TEST_MODE=sbf SBF_OUT_DIR=\"$PWD/target/deploy\" \\\n  \
         cargo test -p insurance_fund_tests --bench compute_units"
    );
    let _ = writeln!(w, "```\n");
    let _ = writeln!(
        w,
        "`cargo test --bench` builds the `[[bench]]` target (`harness = false`) in the dev \
         profile and runs it, reusing the test suite's build. `cargo bench -p \
         insurance_fund_tests --bench compute_units` (same variables) runs the same code in \
         the release profile (fat LTO: a long cold build); compute units are a property of \
         the `.so`, not of the host build, so the figures are identical. Without \
         `INSURANCE_FUND_TEST_MODE=sbf` the benchmark refuses to run.\n"
    );
    let _ = writeln!(
        w,
        "**The binary.** `target/deploy/insurance_fund.so` comes from `../shared/sbf` (upstream \
         LLVM 22's BPF backend plus a fix-up pass), not from Solana's platform tools, so these \
         figures may differ somewhat from an `anchor build` binary (`SBF_BUILD=anchor bash \
         scripts/test.sh` builds one; rerun the command above afterwards).\n"
    );
    let _ = writeln!(w, "## What is measured\n");
    let _ = writeln!(
        w,
        "- **own CU**: the fund program's `Program <id> consumed N of M compute units` figure \
         minus the `consumed` figures of the token-program CPIs it makes (the runtime's \
         figure for the caller includes its callees). Own units therefore still include what \
         the runtime charges the caller for each CPI (the fixed invoke cost of about 1,000 CU \
         plus serializing the callee's accounts) and the whole cost of system-program CPIs \
         (a builtin, which logs no `consumed` line; only `initialize_fund`, `add_asset`, \
         `register_claimant` and `declare_shortfall` make them).\n\
         - **token CPI CU**: the sum of the token programs' `consumed` figures; **CPIs**: every \
         CPI the fund makes (token ones in brackets).\n\
         - **fund total**: own + token CPI CU, what counts against the 200,000 CU per \
         instruction default; **tx CU**: the transaction's total.\n\
         - **accounts**: account keys of the transaction (payer, program and every account \
         the instruction references, deduplicated); **signers** include the payer.\n\
         - **legacy bytes**: `1 + 64 * signatures + message` of a legacy transaction; \
         **with ALT bytes**: the same as a v0 transaction with every account that is neither \
         a signer nor an invoked program in one address lookup table. Transactions over \
         1,232 bytes were sent as that v0 transaction.\n\
         - The funds: asset #1 SPL, fixed price 1.00, liquid; #2 Token-2022 with a 1 % \
         transfer fee, Pyth, liquid; then SPL at odd positions and Token-2022 at even ones, \
         Pyth prices except #9 (fixed), classes liquid, liquid, yield-bearing, illiquid \
         repeating; equal targets summing to 10,000 bps; minimum liquid share 30 %. Deposits \
         put #1 at twice its target and #2 at half, so a keeper can deliver #2 for #1. The \
         claimant's caps and the fund cap never bind. `draw` from every asset uses a second \
         fund of the same layout where all but the waterfall's last asset hold one token.\n"
    );

    // ---- budgets at 16 ----------------------------------------------------------------
    let _ = writeln!(
        w,
        "## Budgets at 16 assets (own CU, excluding token CPIs)\n"
    );
    let _ = writeln!(w, "| instruction | variant | own CU | budget | standing |");
    let _ = writeln!(w, "|---|---|---:|---:|---|");
    let mut missed = false;
    for r in b.rows.iter().filter(|r| r.assets == 16) {
        let own = r.units.own();
        let (budget, shown) = match r.ix {
            "deposit_fees" => (6_000, own),
            "refresh_prices" => {
                let per = r.per.unwrap_or(1) as u64;
                (1_500 * per, own)
            }
            "rebalance" => (20_000, own),
            "rebalance_begin+end" => (25_000, own),
            "draw" => {
                let per = r.per.unwrap_or(1) as u64;
                (15_000 + 3_000 * per, own)
            }
            _ => continue,
        };
        let ok = shown <= budget;
        missed |= !ok;
        let budget_text = match r.ix {
            "refresh_prices" => format!("{} ({} per asset)", num(budget), num(1_500)),
            "draw" => format!("{} (15,000 + 3,000 x {})", num(budget), r.per.unwrap_or(1)),
            _ => num(budget),
        };
        let per_text = match (r.ix, r.per) {
            ("refresh_prices", Some(p)) if p > 1 => {
                format!(" ({} per asset)", num(own / p as u64))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            w,
            "| `{}` | {} | {}{} | {} | {} |",
            r.ix,
            r.variant,
            num(own),
            per_text,
            budget_text,
            met(ok)
        );
    }
    // draw: fixed part and per-asset part from the 1-asset and all-asset draws
    if let (Some(one), Some(all)) = (
        b.find("draw", "1 asset", 16),
        b.find("draw", "16 assets", 16),
    ) {
        let slope = (all.units.own() as f64 - one.units.own() as f64) / 15.0;
        let base = one.units.own() as f64 - slope;
        let _ = writeln!(
            w,
            "| `draw` | fitted: fixed part | {} | 15,000 | {} |",
            num(base.round() as u64),
            met(base <= 15_000.0)
        );
        let _ = writeln!(
            w,
            "| `draw` | fitted: per asset paid | {} | 3,000 | {} |",
            num(slope.round() as u64),
            met(slope <= 3_000.0)
        );
        missed |= base > 15_000.0 || slope > 3_000.0;
    }
    if let (Some(one), Some(all)) = (
        b.find("refresh_prices", "one asset: #2", 16),
        b.find("refresh_prices", "all", 16),
    ) {
        let slope = (all.units.own() as f64 - one.units.own() as f64) / 15.0;
        let _ = writeln!(
            w,
            "| `refresh_prices` | marginal per extra asset (all 16 vs #2 alone, / 15) | {} | 1,500 | {} |",
            num(slope.round() as u64),
            met(slope <= 1_500.0)
        );
    }
    let _ = writeln!(w);

    // ---- Solana limits ------------------------------------------------------------------
    let _ = writeln!(w, "## Standing against Solana's limits\n");
    let _ = writeln!(
        w,
        "Worst case over the variants measured, at the largest fund measured (16 assets). \
         Limits: 1,232-byte transactions, 64 account locks, 200,000 CU per instruction by \
         default (raise with `SetComputeUnitLimit`), 1,400,000 CU per transaction.\n"
    );
    let _ = writeln!(
        w,
        "| instruction | fund total CU (vs 200k) | tx CU (vs 1.4M) | accounts (vs 64) | legacy bytes | with ALT bytes | standing |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---|");
    for ix in INSTRUCTIONS.iter().filter(|i| **i != "(all)") {
        let rows: Vec<&Row> = b
            .rows
            .iter()
            .filter(|r| r.ix == *ix && r.assets == 16)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let total = rows.iter().map(|r| r.units.total).max().unwrap();
        let tx = rows.iter().map(|r| r.units.tx_total).max().unwrap();
        let accounts = rows.iter().map(|r| r.accounts).max().unwrap();
        let legacy = rows.iter().map(|r| r.legacy).max().unwrap();
        let alt = rows.iter().map(|r| r.with_table).max().unwrap();
        let mut notes = vec![];
        if total > IX_CU {
            notes.push("needs a compute-unit limit above the default".to_string());
        }
        if tx > TX_CU {
            notes.push("**over the transaction CU limit**".to_string());
        }
        if accounts > MAX_LOCKS {
            notes.push("**over 64 account locks**".to_string());
        }
        if legacy > PACKET {
            let worst: Vec<String> = rows
                .iter()
                .filter(|r| r.legacy > PACKET)
                .map(|r| r.variant.clone())
                .collect();
            if alt <= PACKET {
                notes.push(format!("needs a lookup table ({})", worst.join("; ")));
            } else {
                notes.push("**too large even with a lookup table**".to_string());
            }
        }
        let standing = if notes.is_empty() {
            "within every limit (legacy transaction)".to_string()
        } else {
            notes.join("; ")
        };
        let _ = writeln!(
            w,
            "| `{ix}` | {} | {} | {} | {} | {} | {standing} |",
            num(total),
            num(tx),
            accounts,
            size_cell(legacy),
            size_cell(alt)
        );
    }
    let _ = writeln!(w);

    // ---- per instruction ---------------------------------------------------------------
    let _ = writeln!(w, "## Per instruction\n");
    for ix in INSTRUCTIONS.iter().filter(|i| **i != "(all)") {
        let rows: Vec<&Row> = b.rows.iter().filter(|r| r.ix == *ix).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(w, "### `{ix}`\n");
        let per = rows.iter().any(|r| r.per.is_some());
        let _ = write!(
            w,
            "| assets | variant | own CU | token CPI CU | CPIs (token) | fund total | tx CU | accounts | signers | legacy bytes | with ALT bytes | logs / events (bytes) |"
        );
        let _ = writeln!(w, "{}", if per { " own CU per asset |" } else { "" });
        let _ = write!(
            w,
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
        );
        let _ = writeln!(w, "{}", if per { "---:|" } else { "" });
        let mut by_variant: BTreeMap<(usize, String), Vec<&Row>> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            let key = r
                .variant
                .replace(&format!("all {} assets", r.assets), "all assets");
            let key = key.replace(
                &format!("{} assets paid (all)", r.assets),
                "all assets paid",
            );
            let first = by_variant
                .keys()
                .find(|(_, k)| *k == key)
                .map(|(i, _)| *i)
                .unwrap_or(i);
            by_variant.entry((first, key)).or_default().push(r);
        }
        for ((_, _), group) in by_variant {
            let mut group = group;
            group.sort_by_key(|r| r.assets);
            for r in group {
                let u = &r.units;
                let _ =
                    write!(
                    w,
                    "| {} | {} | {} | {} | {} ({}) | {} | {} | {} | {} | {} | {} | {} / {} ({}) |",
                    r.assets,
                    if r.variant.is_empty() { "-" } else { &r.variant },
                    num(u.own()),
                    num(u.token_cpi),
                    u.cpis,
                    u.token_cpis,
                    num(u.total),
                    num(u.tx_total),
                    r.accounts,
                    r.signers,
                    size_cell(r.legacy),
                    size_cell(r.with_table),
                    u.log_lines,
                    u.data_lines,
                    u.data_bytes
                );
                if per {
                    match r.per {
                        Some(p) => {
                            let _ = writeln!(w, " {} |", num(u.own() / p as u64));
                        }
                        None => {
                            let _ = writeln!(w, " - |");
                        }
                    }
                } else {
                    let _ = writeln!(w);
                }
            }
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(
        w,
        "At 1 asset there is no second asset to rebalance against or pay from, so `rebalance` \
         and multi-asset `draw` rows start at 4 assets; `deposit_fees` and `refresh_prices` \
         rows for assets #2 to #4 exist only where the fund has them. Instructions that create \
         a PDA with a `seeds` + `bump` constraint (`initialize_fund`, `add_asset`, \
         `register_claimant`, `declare_shortfall`) vary from run to run in steps of about \
         1,500 CU: `find_program_address` tries bumps from 255 down, one \
         `create_program_address` per try, and the addresses (random keys) differ per run. \
         Every other figure is deterministic.\n"
    );

    // ---- account sizes ------------------------------------------------------------------
    let _ = writeln!(w, "## Account sizes and rent\n");
    let _ = writeln!(
        w,
        "| account | bytes | rent-exempt minimum (lamports) | SOL |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|");
    for (name, len, lamports) in &b.account_sizes {
        let _ = writeln!(
            w,
            "| {name} | {} | {} | {:.6} |",
            num(*len as u64),
            num(*lamports),
            *lamports as f64 / 1e9
        );
    }
    let _ = writeln!(
        w,
        "\nA fund of `n` assets holds one `Fund` account (fixed size: 16 asset slots) plus `n` \
         vaults; each registered claimant one `Claimant`; each open or unclosed shortfall one \
         `Shortfall` (its rent goes back to the payer at `close_shortfall`).\n"
    );

    where_units_go(w, b, missed);
    d
}

/// Differences between measured instructions (and probes) that differ by little.
fn where_units_go(w: &mut String, b: &Bench, missed: bool) {
    let own = |ix: &str, v: &str, n: usize| b.find(ix, v, n).map(|r| r.units.own() as i64);
    let probe = |l: &str, n: usize| b.probe_units(l, n);
    let diff = |x: Option<i64>, y: Option<i64>| x.zip(y).map(|(x, y)| x - y);
    let _ = writeln!(w, "## Where the units go\n");
    if missed {
        let _ = writeln!(
            w,
            "Budgets are missed above. Measured, at 16 assets unless stated (own CU of this \
             `.so`). *Probes* are transactions made to fail at a known check: the fund's \
             `consumed` figure then covers dispatch, the `#[derive(Accounts)]` \
             deserialization and checks, the handler up to that check, and Anchor's error \
             log (the same in every probe, so it cancels in differences).\n"
        );
    } else {
        let _ = writeln!(w, "Every budget above is met. For reference:\n");
    }
    let _ = writeln!(w, "| measurement | CU | what it isolates |");
    let _ = writeln!(w, "|---|---:|---|");
    let mut line = |what: &str, cu: Option<i64>, isolates: &str| {
        if let Some(cu) = cu {
            let _ = writeln!(
                w,
                "| {what} | {} | {isolates} |",
                if cu < 0 {
                    format!("-{}", num((-cu) as u64))
                } else {
                    num(cu as u64)
                }
            );
        }
    };
    line(
        "`close_shortfall`",
        own("close_shortfall", "", 16),
        "the cheapest instruction: dispatch, `AccountLoader<Fund>` (read-only), a borsh \
         `Account<Shortfall>` with two `has_one`, closing it",
    );
    line(
        "`set_bounds`, 1 asset",
        own("set_bounds", "", 1),
        "a governance setter: + `Signer`, writable zero-copy `Fund`, whole-config validation, \
         `invariant`, one event",
    );
    line(
        "`set_bounds`, 16 minus 1 asset",
        diff(own("set_bounds", "", 16), own("set_bounds", "", 1)),
        "per-asset validation and `invariant` (mint uniqueness: a set of first bytes, full \
         keys compared only on a shared byte) for 15 more assets, minus the check that 15 \
         unused slots are empty: every writer of the fund pays both",
    );
    line(
        "probe `refresh_prices` (empty selection)",
        probe("refresh_prices(0)", 16),
        "writable `AccountLoader<Fund>`, `Clock`, `load_mut`, the error path",
    );
    line(
        "probe `deposit_fees` (amount 0)",
        probe("deposit_fees(0)", 16),
        "+ `Signer`, 3 `UncheckedAccount`s (mint, vault, source; checked in the handler against the stored addresses and the token layout), 1 `Interface`",
    );
    line(
        "probe `rebalance` (amount 0)",
        probe("rebalance(0)", 16),
        "+ `Signer`, 6 `UncheckedAccount`s (2 mints, 2 vaults, 2 keeper accounts; checked in \
         the handler against the stored addresses and the token layout), 2 `Interface`s, the \
         check that the four written token accounts differ",
    );
    line(
        "probe `draw` (max value 0)",
        probe("draw(0)", 16),
        "+ `Signer`, borsh `Account<Claimant>` and `Account<Shortfall>` with 4 `has_one`",
    );
    line(
        "probe `rebalance` minus probe `deposit_fees`",
        diff(probe("rebalance(0)", 16), probe("deposit_fees(0)", 16)),
        "3 more unchecked accounts, one more `Interface`, the distinctness check of the \
         written accounts",
    );
    line(
        "`deposit_fees` SPL minus its probe",
        diff(
            own("deposit_fees", "asset #1", 16),
            probe("deposit_fees(0)", 16),
        ),
        "the handler: asset lookup, the source's layout, two balance reads, the hand-built \
         `transfer_checked` CPI as charged to the caller (about 1,000 invoke cost, account and \
         data serialization, borrow checks), booking, `invariant`, the event",
    );
    line(
        "`deposit_fees` SPL, 16 minus 1 asset",
        diff(
            own("deposit_fees", "asset #1", 16),
            own("deposit_fees", "asset #1", 1),
        ),
        "the fund's per-asset validation (`invariant`) and asset lookup, minus the unused-slot \
         checks",
    );
    line(
        "`get_nav`, 16 assets",
        own("get_nav", "", 16),
        "one valuation and weights pass (`Fund::weights`: native 64-bit fast paths, weights \
         in bps, liquid share, distance), the report and its return data",
    );
    line(
        "`get_nav`, 16 minus 1 asset, per asset",
        diff(own("get_nav", "", 16), own("get_nav", "", 1)).map(|d| d / 15),
        "the weights engine per extra asset",
    );
    line(
        "probe `rebalance` reverse pair minus probe amount 0",
        diff(probe("rebalance(reverse)", 16), probe("rebalance(0)", 16)),
        "up to the engine's first refusal: pause, freshness of 16 prices, targets, asset \
         lookups, the keeper accounts' layout, the auction clocks, the keeper's delivery (CPI \
         as charged to the caller), the quote, the fund valued before the fill",
    );
    line(
        "`rebalance` minus its reverse-pair probe",
        diff(own("rebalance", "", 16), probe("rebalance(reverse)", 16)),
        "the rest of `check_fill` (the two changed assets revalued, weights after, every \
         bound exactly, distance before and after), the payout CPI as charged to the caller, \
         rate limits, booking, `invariant`, event",
    );
    line(
        "`draw`, 1 asset, minus its probe",
        diff(own("draw", "1 asset", 16), probe("draw(0)", 16)),
        "freshness, NAV for the fund cap, waterfall order, one payout group (destination \
         read from its layout, CPI), booking, `invariant`s, event",
    );
    line(
        "`draw`, 2 assets minus 1 asset",
        diff(own("draw", "2 assets", 16), own("draw", "1 asset", 16)),
        "one more payout group: destination read from its layout, asset checks, rounding, \
         one more `transfer_checked` CPI as charged to the caller",
    );
    line(
        "`draw`, 16 minus 1 asset, 1 asset paid",
        diff(own("draw", "1 asset", 16), own("draw", "1 asset", 1)),
        "what 15 more registered assets add to a draw that pays from one (NAV, freshness, \
         waterfall, `invariant`)",
    );
    line(
        "`refresh_prices`: one Pyth SPL asset minus the fixed-price one",
        diff(
            own("refresh_prices", "one asset: #3", 16),
            own("refresh_prices", "one asset: #1", 16),
        ),
        "reading and checking one `PriceUpdateV2` (borsh decode, owner, feed, age, \
         confidence, bounds)",
    );
    line(
        "`refresh_prices`: all 16 minus one Pyth asset, per extra asset",
        diff(
            own("refresh_prices", "all", 16),
            own("refresh_prices", "one asset: #3", 16),
        )
        .map(|d| d / 15),
        "marginal cost of one more asset in a refresh",
    );
    let _ = writeln!(w);
    let text = where_text(b);
    let _ = writeln!(w, "{text}");
}

/// The reading of the table above, with its numbers.
fn where_text(b: &Bench) -> String {
    let own =
        |ix: &str, v: &str, n: usize| b.find(ix, v, n).map(|r| r.units.own() as i64).unwrap_or(0);
    let probe = |l: &str| b.probe_units(l, 16).unwrap_or(0);
    let n = |x: i64| {
        if x < 0 {
            format!("-{}", num((-x) as u64))
        } else {
            num(x as u64)
        }
    };
    let nav16 = own("get_nav", "", 16);
    let nav_slope = (own("get_nav", "", 16) - own("get_nav", "", 1)) / 15;
    format!(
        "Reading:\n\n\
         - **Arithmetic.** The Solana VM has 64-bit registers only: a `u128` multiply, divide \
         or remainder is a software routine (tens of CU for a product, one to two hundred for \
         a division). The engines (`math/valuation.rs`, `math/weights.rs`, \
         `math/rebalance/`) therefore take native fast paths, each proven equal to the \
         general path by property tests: `u64 x u64` products from 32-bit halves \
         (`math/wide.rs`), a 192-bit `amount * mantissa * bps` divided by powers of ten in \
         native steps, `value_floor` in two native divisions when `amount * mantissa < 2^64`, \
         and shares and bound terms in 64-bit arithmetic while NAV and values are below 2^48 \
         atoms (about 281 million whole units of a 6-decimal numeraire). Beyond those \
         thresholds the exact general paths run: same results, more units per asset (not \
         measured here; this fund holds about 62,500 tokens per asset). The largest weight \
         and the largest excess over a cap are computed on demand (`Weights::max_weight`, \
         `Weights::max_excess_bps`), not in every valuation pass. `get_nav`, one full \
         valuation and weights pass with its report, costs {nav16} CU at 16 assets, about \
         {nav_slope} per further asset.\n\
         - **`refresh_prices`** meets 1,500 CU per asset refreshed when it refreshes the \
         whole fund ({refresh_all} CU for 16 assets) and at the margin ({refresh_margin} per \
         extra asset); a refresh of a single asset misses it ({refresh_one} CU for one Pyth \
         asset) because its fixed part is not per asset: dispatch, the writable fund, the \
         clock, the invariant and the event (the empty-selection probe alone is \
         {refresh_probe}).\n\
         - **A second price source** (a Switchboard On-Demand fallback, issue #16) costs \
         {fb_fresh} CU per asset that has one when both sources are fresh (the fallback read, \
         its spread and bounds, the cross-check: one asset {fb_one} CU against {refresh_one} \
         without), and {fb_on} when the fallback prices the asset (the Pyth price stale). A \
         fund whose every Pyth asset has a fallback does not meet 1,500 CU per asset: \
         {fb_all} CU for 16 assets, both fresh ({fb_all_per} per asset), {fb_all_on} with every \
         Pyth price stale. Most of the fallback's cost is 128-bit arithmetic (Switchboard \
         values are `i128` with 18 decimals; the SBF target has no 128-bit division or \
         overflow-checked product in hardware: `oracle::to_expo` does two divisions and no \
         checked product). Assets without a fallback do not read one; what every Pyth asset \
         pays for the feature is the larger price cache (the last good primary price, the \
         source) and its bookkeeping: about 140 CU per asset when it was added (the \
         refresh of one Pyth asset went from 2,704 to 2,848 CU, of 16 from 18,059 to \
         20,254).\n\
         - **`rebalance`** ({reb} CU at 16 assets) meets its 20,000 budget, with a small \
         margin. Measured with `sol_log_compute_units` probes while optimising (approximate, \
         16 assets): dispatch and accounts about 2,300; pre-checks about 1,500 (pause, \
         targets, freshness of 16 prices, lookups, keeper accounts' layout, distinctness of \
         the written accounts); the two CPIs about 1,450 each as charged to the caller (about \
         1,000 of each is the runtime's invoke cost); the engine inputs and quote about 1,300; \
         `check_fill` about 7,500 (the fund valued before the fill, weights before and after, \
         only the two changed assets revalued; exact concentration, liquidity, targets and \
         the distance before and after about 3,000); booking and rate limits about 700; the \
         fund's `invariant` about 1,700; the event about 600. Kept although they cost units: \
         every bound is an exact rational comparison (no bps rounding), including the \
         distance and value checks that `check_fill` proves redundant (defence in depth, \
         about 1,500 together); the whole configuration is re-validated after the write \
         (`invariant`); the event carries NAV, distance and liquid share before and after. \
         Code layout alone moves these figures by a few hundred CU from one build to the \
         next, so the margin is thin.\n\
         - **Accounts.** No hot path unpacks a token account: `deposit_fees`, `rebalance` and \
         `draw` check mints and vaults against the addresses stored at `add_asset` and read \
         the few fields they need (owner program, state, mint, owner) from the fixed token \
         layout (an `InterfaceAccount` unpack costs about 1,000 to 1,500 CU). The borsh \
         `Claimant` and `Shortfall` with their four `has_one` checks and a `Signer` cost about \
         {borsh} CU together (`draw` probe minus the `refresh_prices` probe). Every \
         instruction that writes the fund re-validates the whole configuration \
         (`invariant`: each registered asset's configuration and mint uniqueness, and every \
         unused slot checked empty, so its cost moves little with the asset count: \
         `set_bounds` costs {sb1} CU at 1 asset and {sb16} at 16). Anchor \
         compares the instruction's discriminator with each instruction's in declaration \
         order, so the hot instructions are declared first.\n\
         - **`deposit_fees`** ({dep} CU at 16) meets its budget: about {dep_probe} CU before \
         the handler's first check (including the probe's error log), the rest mostly the \
         `transfer_checked` CPI (built by hand: the same instruction and borrow checks as \
         Anchor's helper, without its search of accounts by key) and the invariant.\n\
         - **`draw`** meets its budgets: each payout group costs about {group} CU, of which \
         about 1,450 is the CPI as charged to the caller; the fixed part sizes the fund cap \
         against NAV alone (one valuation pass) and pays the account struct (probe: \
         {draw_probe}).\n\
         - **Logging** is minor: no `Instruction:` log line (the program's default \
         `no-log-ix-name` feature) and one event per instruction (`sol_log_data`: 100 CU + 100 \
         per field + 1 per byte after borsh serialization). **`find_program_address`** (1,500 \
         CU per bump tried) runs only where accounts are created (`initialize_fund`, \
         `add_asset`, `register_claimant`, `declare_shortfall`, whose `seeds` + `bump` \
         constraints derive the address); no hot path derives an address: vaults are checked \
         against stored addresses and the fund signs with its stored bump.",
        nav16 = n(nav16),
        nav_slope = n(nav_slope),
        reb = n(own("rebalance", "", 16)),
        refresh_all = n(own("refresh_prices", "all", 16)),
        refresh_margin = n((own("refresh_prices", "all", 16)
            - own("refresh_prices", "one asset: #3", 16))
            / 15),
        refresh_one = n(own("refresh_prices", "one asset: #3", 16)),
        refresh_probe = n(probe("refresh_prices(0)")),
        fb_one = n(own("refresh_prices", "fallback: one asset: #3", 16)),
        fb_fresh = n(own("refresh_prices", "fallback: one asset: #3", 16)
            - own("refresh_prices", "one asset: #3", 16)),
        fb_on = n(b
            .rows
            .iter()
            .find(|r| r.assets == 16 && r.variant.contains("on fallback (Pyth stale)"))
            .map(|r| r.units.own() as i64)
            .unwrap_or(0)
            - own("refresh_prices", "one asset: #3", 16)),
        fb_all = n(own("refresh_prices", "fallback: all", 16)),
        fb_all_per = n(own("refresh_prices", "fallback: all", 16) / 16),
        fb_all_on = n(b
            .rows
            .iter()
            .find(|r| r.assets == 16 && r.variant.contains("every Pyth one on fallback"))
            .map(|r| r.units.own() as i64)
            .unwrap_or(0)),
        dep = n(own("deposit_fees", "asset #1", 16)),
        borsh = n(probe("draw(0)") - probe("refresh_prices(0)")),
        draw_probe = n(probe("draw(0)")),
        dep_probe = n(probe("deposit_fees(0)")),
        group = n(own("draw", "2 assets", 16) - own("draw", "1 asset", 16)),
        sb1 = n(own("set_bounds", "", 1)),
        sb16 = n(own("set_bounds", "", 16)),
    )
}

/// `refresh_prices` when every Pyth asset of the `n`-asset fund (`spec`) also has a
/// Switchboard On-Demand fallback (60 s, 100 bps, divergence 200 bps): both sources fresh (the
/// fallback cross-checks the primary), then with every Pyth price stale (the fallback prices
/// the asset). Rows' variants start with "fallback:".
async fn bench_fallback(n: usize, b: &mut Bench) {
    let specs: Vec<AssetSpec> = (0..n)
        .map(|k| {
            let mut s = spec(k, n);
            if s.params.oracle.source == OracleSource::PythPull {
                s.params.fallback = Some(FallbackParams {
                    feed: Pubkey::new_unique(),
                    max_age_secs: 60,
                    max_conf_bps: 100,
                    max_divergence_bps: 200,
                });
            }
            s
        })
        .collect();
    let mut f = TestBuilder::new()
        .assets(specs.clone())
        .min_liquid_bps(0)
        .build()
        .await;
    let publish = |f: &mut FundFixture, f_ctx_now: i64, only: Option<usize>| {
        for (k, a) in f.h.assets.iter().enumerate() {
            if let (Some(feed), true) = (a.fallback, only.is_none_or(|o| o == k)) {
                f.ctx
                    .set_feed(&feed, &SwitchboardPrice::new(100_000_000, f_ctx_now));
            }
        }
    };
    let now = f.ctx.now().await;
    publish(&mut f, now, None);
    fresh(&mut f).await;
    // both fresh, every asset
    f.ctx.advance_clock(1).await;
    let now = f.ctx.now().await;
    publish(&mut f, now, None);
    for k in 0..n {
        if f.h.assets[k].oracle.is_some() {
            f.set_pyth_price(k, 100_000_000, -8, 100_000).await;
        }
    }
    let ix = f.h.refresh_ix(f.h.all_assets());
    let variant = format!("fallback: all {n} assets, both sources fresh");
    b.measure(
        &mut f.ctx,
        n,
        "refresh_prices",
        variant,
        &[ix],
        &[],
        Some(n),
    )
    .await;
    // both fresh, one asset (#3: SPL, Pyth + fallback, when there is one)
    let k = 2.min(n - 1);
    if f.h.assets[k].fallback.is_some() {
        f.ctx.advance_clock(1).await;
        let now = f.ctx.now().await;
        publish(&mut f, now, Some(k));
        f.set_pyth_price(k, 100_000_000, -8, 100_000).await;
        let ix = f.h.refresh_ix(1 << k);
        let variant = format!(
            "fallback: one asset: #{} ({}), both sources fresh",
            k + 1,
            describe(&specs[k])
        );
        b.measure(
            &mut f.ctx,
            n,
            "refresh_prices",
            variant,
            &[ix],
            &[],
            Some(1),
        )
        .await;
        // the Pyth price stale: the fallback prices it
        f.ctx.advance_clock(61).await;
        let now = f.ctx.now().await;
        publish(&mut f, now, Some(k));
        let ix = f.h.refresh_ix(1 << k);
        let variant = format!(
            "fallback: one asset: #{} ({}), on fallback (Pyth stale)",
            k + 1,
            describe(&specs[k])
        );
        b.measure(
            &mut f.ctx,
            n,
            "refresh_prices",
            variant,
            &[ix],
            &[],
            Some(1),
        )
        .await;
        assert_eq!(f.state().await.assets[k].price.on_fallback, 1);
    }
    // every Pyth price stale: every such asset on fallback
    f.ctx.advance_clock(61).await;
    let now = f.ctx.now().await;
    publish(&mut f, now, None);
    let ix = f.h.refresh_ix(f.h.all_assets());
    let variant = format!("fallback: all {n} assets, every Pyth one on fallback");
    b.measure(
        &mut f.ctx,
        n,
        "refresh_prices",
        variant,
        &[ix],
        &[],
        Some(n),
    )
    .await;
}

async fn run() -> Bench {
    let mut b = Bench::default();
    for n in ASSET_COUNTS {
        eprintln!("compute_units: fund of {n} assets");
        bench_fund(n, &mut b).await;
        if n > 2 {
            bench_draw_all(n, &mut b).await;
        }
        if n > 1 {
            bench_fallback(n, &mut b).await;
        }
    }
    b
}

fn main() {
    if mode() != Mode::Sbf {
        eprintln!("{HOW_TO_RUN}");
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let bench = runtime.block_on(run());
    let doc = report(&bench);
    let path = std::env::var("PERFORMANCE_MD")
        .unwrap_or_else(|_| format!("{}/../docs/performance.md", env!("CARGO_MANIFEST_DIR")));
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir).expect("docs directory");
    }
    std::fs::write(&path, doc).expect("write docs/performance.md");
    eprintln!("compute_units: wrote {path}");
}
