//! `ifund`: the insurance fund's operator app, as a library so tests drive it directly.
//!
//! - [`chain`]: the one interface to a chain, with the embedded runtime, JSON-RPC and
//!   snapshot implementations;
//! - [`keeper`]: the keeper planner (the program's own engine) and the crank;
//! - [`route`]: flash fills without inventory, routed through a pool;
//! - [`status`]: the fund's state as a table;
//! - [`scenario`], [`simulate`], [`report`]: the simulation and its HTML report;
//! - [`market`], [`baseline`], [`paths`]: the simulated market (price paths, feed faults,
//!   pools), the two baselines, and many paths in parallel with their distributions;
//! - [`config`]: `ifund init`'s fund configuration file;
//! - [`names`], [`units`], [`sections`], [`file_error`]: what operator files share: class,
//!   flag and price-source names, the amount convention (whole units, or atoms with
//!   `_atoms`), the rebalance and draw sections, and the error naming a file's field;
//! - [`propose`]: `ifund propose`, a configuration change checked locally and encoded for the
//!   fund, a Squads v4 vault and SPL Governance;
//! - [`submit`]: `ifund propose --submit`, the proposal created in the multisig or the DAO;
//! - [`cli`]: the command line.

pub mod baseline;
pub mod chain;
pub mod cli;
pub mod config;
pub mod file_error;
pub mod keeper;
pub mod market;
pub mod names;
pub mod paths;
pub mod propose;
pub mod report;
pub mod report_paths;
pub mod route;
pub mod scenario;
pub mod sections;
pub mod simulate;
pub mod status;
pub mod submit;
pub mod units;
