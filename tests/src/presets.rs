//! Parameter presets, written once: the oracle, asset, fallback, rebalance, draw and claimant
//! parameters the suite and the benchmark start from. A test that needs another value names
//! only the field that differs (`RebalanceConfig { max_premium_bps: 120, ..rebalance_config() }`).

use anchor_lang::prelude::Pubkey;
use insurance_fund::state::{
    asset_flags, AssetParams, ClaimantCaps, DrawConfig, FallbackParams, LiquidityClass,
    OracleParams, OracleSource, RebalanceConfig,
};

/// One whole 6-decimal token (and one numeraire unit).
const ONE: u64 = 1_000_000;

/// A Pyth-sourced oracle config with sensible bounds (the feed id is derived from `seed`).
pub fn pyth_oracle(seed: u8) -> OracleParams {
    OracleParams {
        source: OracleSource::PythPull,
        feed_id: [seed.max(1); 32],
        max_age_secs: 60,
        max_conf_bps: 100,
        fixed_price: 0,
        fixed_expo: 0,
        peg_band_bps: 0,
    }
}

/// The numeraire priced at exactly 1.
pub fn fixed_oracle() -> OracleParams {
    OracleParams {
        source: OracleSource::Fixed,
        feed_id: [0; 32],
        max_age_secs: 0,
        max_conf_bps: 0,
        fixed_price: 1,
        fixed_expo: 0,
        peg_band_bps: 0,
    }
}

/// A Switchboard On-Demand fallback read from `feed`: 60 s max age, 100 bps confidence,
/// 200 bps divergence from the primary.
pub fn fallback_params(feed: Pubkey) -> FallbackParams {
    FallbackParams {
        feed,
        max_age_secs: 60,
        max_conf_bps: 100,
        max_divergence_bps: 200,
    }
}

/// Parameters for a typical asset of `class`: every flag, no haircut, no fallback.
pub fn asset_params(
    class: LiquidityClass,
    max_weight_bps: u16,
    oracle: OracleParams,
) -> AssetParams {
    AssetParams {
        max_weight_bps,
        haircut_bps: 0,
        class,
        oracle,
        flags: asset_flags::ALL,
        fallback: None,
    }
}

/// Rebalancing: 2 % band, premium 10 to 110 bps over 1,000 s, 1,000,000 tokens of volume and
/// 10,000 of premium a day, fills of at least one token.
pub fn rebalance_config() -> RebalanceConfig {
    RebalanceConfig {
        band_bps: 200,
        start_premium_bps: 10,
        max_premium_bps: 110,
        max_discount_bps: 0,
        auction_duration_secs: 1_000,
        window_secs: 86_400,
        max_volume_per_window: 1_000_000 * ONE,
        premium_budget_per_window: 10_000 * ONE,
        min_trade_value: ONE,
        crisis: Default::default(),
    }
}

/// Draws: approval above 1,000 tokens, half the NAV a day.
pub fn draw_config() -> DrawConfig {
    DrawConfig {
        approval_threshold: 1_000 * ONE,
        fund_cap_bps: 5_000,
        _pad: [0; 2],
        window_secs: 86_400,
    }
}

/// A claimant's caps: 500 tokens a shortfall, 400 a window, 10,000 over its lifetime.
pub fn claimant_caps() -> ClaimantCaps {
    ClaimantCaps {
        max_per_shortfall: 500 * ONE,
        max_per_window: 400 * ONE,
        lifetime_max: 10_000 * ONE,
    }
}
