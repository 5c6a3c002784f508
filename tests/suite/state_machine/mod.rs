//! Property-based state-machine test (issue #8): random sequences of deposits (and dust
//! deposits), price moves, refreshes (of every asset, or of the live feeds), rollback
//! refreshes, dead feeds, auction syncs, NAV reads, keeper fills (the engine's largest fill
//! and adversarial ones), declarations (single and split), approvals, draws, cancellations,
//! configuration changes, pauses and clock warps, run against the real runtime, with the
//! fund's invariants asserted after every step.
//!
//! The model (`model.rs`) is an independent re-implementation of the program's rules, on
//! purpose: see the comment at its top. The files: `model.rs` what the runtime should do;
//! `operations.rs` the generated operations and how a step applies one to the runtime;
//! `checks.rs` the invariants compared after every step; `runner.rs` the fund under test
//! and the proptest driver. The invariants:
//!
//! - every asset's booked balance equals its vault's token balance;
//! - a failed transaction changes nothing (fund, claimant, shortfall records, vaults, keeper,
//!   depositor and payout accounts are byte-identical before and after);
//! - every asset's cached `publish_time` never decreases, over any step; a refresh replaces a
//!   cached price only with a strictly newer update (an update at or before the cached time
//!   leaves the cache as it was, and is not refused). The rollback adversary keeps an older,
//!   valid, fully verified update of a Pyth asset in an account of its own, with another
//!   price, and refreshes from it: accepted, and the cache (bounds and time) is unchanged;
//! - freshness at use (oracle resilience, issue #16): a Pyth price is fresh when
//!   `now - publish_time <= min(fund max age, asset max age)` (a fixed price always is); an
//!   asset is *stale* when it holds a booked balance and its price is not fresh (one holding
//!   nothing never needs a price). `get_nav`'s `stale_assets` is exactly that set. The feed
//!   fault: a Pyth feed publishes a confidence above its bound (refreshing it fails), time
//!   passes its max age, and a keeper refreshes the live feeds; the dead asset stays stale
//!   (USDT most often, second in the draw waterfall) until a price move revives its feed;
//! - keeper fills: accepted or refused exactly as the shared engine (`quote_fill`,
//!   `check_fill`) and the handler's other checks predict, in the handler's order, with the
//!   exact error: both assets of the pair need a fresh price, whatever they hold
//!   (`PriceStale`); then in shortfall mode (`ShortfallModeLiquidOnly`) and while any other
//!   asset is stale (`StalePricesLiquidOnly`) only liquid-in, non-liquid-out fills pass; the
//!   engine values the stale assets at 0 (lower price mantissa 0). An accepted fill moves
//!   exactly the quoted amounts and satisfies, on that view, every bound `check_fill`
//!   documents (out not below / in not above target, the liquidity floor or no fall below it,
//!   every weight within its cap or the largest excess not grown, strictly smaller distance
//!   to targets, NAV after + premium >= NAV before, the last also at cached prices) and the
//!   premium and volume buckets. While a third asset is stale, every accepted fill is
//!   liquid in, non-liquid out, and the liquid share (at cached prices) does not fall, with
//!   the stale asset valued at 0 and at its cached price alike;
//! - auction clocks: deposits, refreshes and draws clear the clock of every asset no longer
//!   beyond its band (at cached prices, stale or not) and start none; a fill restarts its
//!   pair's clocks (on its own view, stale assets at 0) and clears those of the other assets
//!   back inside their band (on the fill's values when nothing is stale, else at cached
//!   prices); a sync needs no fresh price: it sets, keeps or clears each clock from the band
//!   state at cached prices, stale or not, and changes nothing else; no other step touches
//!   them;
//! - NAV changes only through deposits (up), refreshed prices, accepted fills (down by at most
//!   the premium) and draws (down by at most what was credited); every other step leaves
//!   booked balances and cached prices alone;
//! - declarations: accepted or refused as predicted; approval is cumulative per claimant (a
//!   leaky bucket of capacity `approval_threshold` draining that per draw window): each
//!   record's `needs_approval` is the model's, and the claimant's `unapproved_level` and
//!   `unapproved_updated_at` equal the model's bucket after every step. The split adversary
//!   declares several shortfalls each within the threshold, in one transaction or in a row a
//!   few seconds apart, partly by governance on the claimant's behalf: what it declares
//!   without approval in a window never passes the threshold plus what drained;
//! - draws: need no fresh price but for what they pay. Paid exactly as `math::draw` predicts
//!   for the groups passed (waterfall order; dust assets, worth less than one numeraire unit
//!   at the upper price, may be skipped or paid from; stale assets may be skipped, and a group
//!   naming one is `PriceStale`), paid <= declared and every claimant and fund-wide cap, the
//!   fund-wide capacity a share of the NAV of the assets not stale (the fund's window level
//!   after a draw is exactly the drained level under that capacity plus what was paid), no
//!   payout from a stale asset, and the books agree (sum of shortfall payments = claimant
//!   lifetime = fund total; open counts match the records).
//!
//! - a griefer's lamports sent to the next shortfall record's address never block the next
//!   declaration (`create::create_pda`; before it, Anchor's `init` refused such an address).
//!
//! Regression kept from a finding of this test: `a_draw_never_pays_more_value_than_it_credits`
//! (a draw used to credit the floor of the value it paid; see docs/threat-model.md).
//!
//! The fund: USDC (SPL, fixed 1.00, liquid), USDT (Token-2022 with a 0.25 % transfer fee,
//! Pyth, liquid), an LST (SPL, 9 decimals, Pyth ~150, yield-bearing) and an LP token (SPL,
//! Pyth ~2.5, illiquid), started off target so auctions run.
//!
//! `PROPTEST_CASES` sets the number of sequences: default 256 natively, 64 in SBF mode. The
//! longer run:
//! `PROPTEST_CASES=5000 cargo test -p insurance_fund_tests --test suite state_machine -- --nocapture`
//! (about 20 minutes natively; it prints how many steps of each kind were accepted, and how
//! many fills and draws were accepted with a stale asset; add
//! `INSURANCE_FUND_TEST_MODE=sbf SBF_OUT_DIR=target/deploy` for the VM).

mod checks;
mod model;
mod operations;
mod runner;

use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::extension::transfer_fee::TransferFeeConfig;
use anchor_spl::token_2022::spl_token_2022::extension::{
    BaseStateWithExtensions, StateWithExtensions,
};
use anchor_spl::token_2022::spl_token_2022::state::{Account as TokenState, Mint as MintState};
use insurance_fund::constants::MAX_ASSETS;
use insurance_fund::error::FundError;
use insurance_fund::math::draw::{draw_limit, payout_floor, waterfall_order};
use insurance_fund::math::rate_limit::{drained_level_ceil, take};
use insurance_fund::math::rebalance::RebalanceAsset;
use insurance_fund::math::rebalance::{
    check_fill, max_fill, open_pairs, quote_fill, FillError, FillQuote,
};
use insurance_fund::math::valuation::{mul_div_floor, value_floor, MathError, Price};
use insurance_fund::math::{weights, Weights};
use insurance_fund::state::{
    asset_flags, pause_flags, Claimant, ClaimantCaps, DrawConfig, Fund, LiquidityClass,
    OracleSource, RebalanceConfig, Shortfall, ShortfallStatus,
};
use insurance_fund_tests::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use checks::*;
use model::*;
use operations::*;
use runner::*;

const USDT: usize = 1;
const N: usize = 4;
/// One numeraire unit (USD, 6 decimals).
const USD: u64 = 1_000_000;
/// Every Pyth price is published with this exponent.
const EXPO: i32 = -8;
const INITIAL_PRICE: [i64; N] = [100_000_000, 100_000_000, 15_000_000_000, 250_000_000];
const DECIMALS: [u8; N] = [6, 6, 9, 6];
/// The keeper's and the depositor's inventory of every asset (atoms).
const INVENTORY: u64 = 1_000_000_000_000_000;
/// Target sets governance picks from; the last three are invalid (liquid targets below a 50 %
/// floor, a sum of 9,999, LP above its 25 % max weight).
const TARGET_SETS: [[u16; N]; 7] = [
    [4_000, 3_000, 2_000, 1_000],
    [5_000, 2_000, 2_000, 1_000],
    [3_000, 3_000, 2_500, 1_500],
    [6_000, 1_000, 2_000, 1_000],
    [2_000, 2_000, 4_000, 2_000],
    [4_000, 3_000, 2_000, 999],
    [3_000, 2_000, 2_000, 3_000],
];

fn rebalance_params() -> RebalanceConfig {
    RebalanceConfig {
        max_premium_bps: 100,
        auction_duration_secs: 600,
        max_volume_per_window: 20_000 * USD,
        premium_budget_per_window: 20 * USD,
        min_trade_value: USD,
        ..rebalance_config()
    }
}

fn draw_params() -> DrawConfig {
    DrawConfig {
        approval_threshold: 1_500 * USD,
        fund_cap_bps: 3_000,
        ..draw_config()
    }
}

fn claimant_caps() -> ClaimantCaps {
    ClaimantCaps {
        max_per_shortfall: 2_000 * USD,
        max_per_window: 2_500 * USD,
        lifetime_max: 12_000 * USD,
    }
}
