//! Protocol-wide constants and parameter bounds.
//!
//! Every bound a governance setter enforces is defined here, so the design doc and the
//! validator read the same numbers.

/// Basis-point denominator: 10,000 bps = 100 %.
pub const BPS_DENOMINATOR: u16 = 10_000;

/// Maximum number of assets a fund can hold. Sized so that an instruction touching every
/// asset (a full `refresh_prices`) still fits Solana's 1232-byte transaction with an address
/// lookup table and 64 account locks.
pub const MAX_ASSETS: usize = 16;

/// Largest numeraire precision accepted at `initialize_fund`. Values, caps, rate-limit
/// buckets and lifetime totals are `u64` numeraire atoms: at 9 decimals that is up to about
/// 1.8 * 10^10 whole units (USD), beyond any fund; at 18 it would be 18.4 units, and the
/// first large draw or fill would overflow (`MathOverflow`) for good.
pub const MAX_NUMERAIRE_DECIMALS: u8 = 9;

/// Upper bound for an oracle's accepted price age.
pub const MAX_ORACLE_AGE_SECS: u32 = 24 * 60 * 60;

/// Upper bound for an oracle's accepted confidence interval (conf / price).
pub const MAX_ORACLE_CONF_BPS: u16 = 1_000;
/// Widest peg band of a stablecoin priced by its feed (`OracleConfig::peg_band_bps`).
pub const MAX_PEG_BAND_BPS: u16 = 200;
/// Widest divergence limit between an asset's fallback and its primary price
/// (`FallbackConfig::max_divergence_bps`): the most a fallback can move a price away from
/// the last good primary one.
pub const MAX_DIVERGENCE_BPS: u16 = 1_000;

/// Exponent range accepted for a fixed price (`price = mantissa * 10^expo`).
pub const MIN_FIXED_EXPO: i32 = -18;
pub const MAX_FIXED_EXPO: i32 = 0;

/// `max_price_age_secs` a new fund starts with (governance changes it with `set_bounds`).
pub const DEFAULT_MAX_PRICE_AGE_SECS: u32 = 120;

/// Rebalance parameter bounds (`set_rebalance_params`).
pub const MAX_BAND_BPS: u16 = 2_000;
pub const MAX_PREMIUM_BPS: u16 = 1_000;
pub const MIN_AUCTION_DURATION_SECS: u32 = 60;
pub const MAX_AUCTION_DURATION_SECS: u32 = 7 * 24 * 60 * 60;
pub const MIN_WINDOW_SECS: u32 = 60;
pub const MAX_WINDOW_SECS: u32 = 30 * 24 * 60 * 60;
/// Deepest discount below `spot - conf` a sale may reach (`RebalanceConfig::max_discount_bps`).
pub const MAX_DISCOUNT_BPS: u16 = 2_000;
/// On crisis terms a take moves its pair's auction back in proportion to what it takes
/// (`fill::crisis_set_back_ceil`): a take of the out-asset's whole excess over its target
/// moves it back by this share (bps) of the auction's length, smaller takes by less, so the
/// sale price holds while keepers take about `excess * 10,000 / CRISIS_SET_BACK_BPS` per
/// auction length and falls when they take less.
pub const CRISIS_SET_BACK_BPS: u32 = 7_500;
/// Longest crisis hold (`CrisisProfile::hold_secs`).
pub const MAX_CRISIS_HOLD_SECS: u32 = 7 * 24 * 60 * 60;
/// Gap trigger bounds of the crisis profile (`CrisisProfile::gap_trigger_bps`).
pub const MIN_GAP_TRIGGER_BPS: u16 = 100;
pub const MAX_GAP_TRIGGER_BPS: u16 = 5_000;

/// Bounds and default of how long a pause lasts unless governance renews it.
pub const MIN_PAUSE_SECS: u32 = 60 * 60;
pub const MAX_PAUSE_SECS: u32 = 30 * 24 * 60 * 60;
pub const DEFAULT_MAX_PAUSE_SECS: u32 = 7 * 24 * 60 * 60;

/// How long a queued change stays executable once its timelock has elapsed; after that it
/// can only be cancelled (anyone may). Compound's Timelock uses the same 14 days.
pub const QUEUED_CHANGE_GRACE_SECS: i64 = 14 * 86_400;

/// Longest timelock governance can set on loosening changes (`set_bounds`). A new fund starts
/// at 0 so its creator can configure it in one go; raising the delay tightens and applies at
/// once.
pub const MAX_TIMELOCK_SECS: u32 = 30 * 24 * 60 * 60;
