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
//!
//! `compute_units/setup.rs` builds the funds and sends every instruction, `measure.rs` sends
//! one and reads its units, accounts and sizes, `report.rs` writes the tables and their reading.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use insurance_fund::instructions::InitializeFundArgs;
use insurance_fund::state::{
    pause_flags, Claimant, ClaimantCaps, CrisisProfile, DrawConfig, Fund, LiquidityClass,
    OracleSource, RebalanceConfig, Shortfall,
};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_message::{v0, AddressLookupTableAccount, VersionedMessage};
use solana_signer::Signer;
use solana_transaction::{versioned::VersionedTransaction, Transaction};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

mod measure;
mod report;
mod setup;

use measure::*;
use report::*;
use setup::*;

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
        if n > 2 {
            for tokens in [62_500, 1_000_000] {
                bench_crisis(n, tokens, &mut b).await;
            }
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
