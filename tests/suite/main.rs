//! The integration suite: one module per instruction, plus cross-instruction scenarios.
//! Run natively with `cargo test -p insurance_fund_tests`, or against the SBF binary with
//! `INSURANCE_FUND_TEST_MODE=sbf SBF_OUT_DIR=target/deploy` (see `scripts/test.sh`).

mod add_asset;
mod approve_shortfall;
mod attacks;
mod audit_findings;
mod cancel_shortfall;
mod close_shortfall;
mod config;
mod crisis_liquidity;
mod declare_shortfall;
mod deposit_fees;
mod draw;
mod draw_properties;
mod flash_fill;
mod flash_fill_amm;
mod get_nav;
mod governance;
mod initialize_fund;
mod liquidator_cpi;
mod numeraire_depeg;
mod oracle_fallback;
mod oracle_resilience;
mod pause;
mod rebalance;
mod refresh_prices;
mod register_claimant;
mod remove_asset;
mod remove_claimant;
mod retire_asset;
mod state_machine;
mod timelock;
mod tx_size;
mod update_claimant;
