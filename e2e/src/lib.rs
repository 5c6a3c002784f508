//! The `ifund` binary end to end against a real `solana-test-validator` (Agave 3.1, run
//! in-process): the validator with the fund's `.so`, mints on both token programs and Pyth
//! `PriceUpdateV2` accounts; `ifund` run as a subprocess; every outcome read back over
//! JSON-RPC.
//!
//! This crate has its own workspace and lockfile: `solana-test-validator` 3.x (through
//! `solana-gossip`) pins `solana-clock =3.0.0`, which anchor-lang 1.2.2's `^3.0.1` excludes,
//! so it cannot share the main workspace's lockfile, and it depends on nothing of the main
//! workspace. Fund instructions the app has no command for (a deposit, a claimant's
//! declaration and draw) are built from the committed IDL (`idl/insurance_fund.json`: account
//! order, signer and writable flags, discriminators) with their arguments encoded here; fund
//! fields are read at the offsets `docs/design.md` gives.

pub mod accounts;
pub mod fund;
pub mod idl;
pub mod ifund;
pub mod proxy;
pub mod validator;

use std::path::PathBuf;

/// The repository's root (this crate lives in `<root>/e2e`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ has a parent")
        .to_path_buf()
}

/// The main workspace's target directory: `IFUND_TARGET_DIR`, else `<root>/target`.
pub fn main_target_dir() -> PathBuf {
    std::env::var_os("IFUND_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}
