#!/usr/bin/env bash
# The end-to-end suite: the `ifund` binary against a real solana-test-validator (Agave 3.1.12,
# in-process) running target/deploy/insurance_fund.so; see README.md, "End to end on a real
# validator". Extra arguments go to `cargo test` (CI passes --locked).
#
# Needs: target/deploy/insurance_fund.so (scripts/test.sh builds it; SBF_BUILD=shared builds
# it here when missing), `libclang-dev` (RocksDB's bindgen) and build-essential.
# e2e/ is a workspace of its own with its own Cargo.lock; its build goes to E2E_TARGET_DIR
# (default e2e/target; a directory outside the clone lets later clones reuse the ~20-minute
# cold build). The app is built in the main workspace's target dir (CARGO_TARGET_DIR, default
# target/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export RUST_LOG="${RUST_LOG:-error}"
E2E_TARGET_DIR="${E2E_TARGET_DIR:-$ROOT/e2e/target}"
# e2e/Cargo.toml sets its own lean dev profile: a CARGO_PROFILE_DEV_* the main workspace's
# callers export (CI's line-tables-only) would change it and rebuild the whole validator
e2e_env=(env -u CARGO_PROFILE_DEV_DEBUG -u CARGO_PROFILE_DEV_INCREMENTAL CARGO_TARGET_DIR="$E2E_TARGET_DIR")
locked=()
for a in "$@"; do [ "$a" = --locked ] && locked=(--locked); done

SO="$CARGO_TARGET_DIR/deploy/insurance_fund.so"
if [ ! -f "$SO" ]; then
  if [ "${SBF_BUILD:-shared}" = shared ]; then
    "$ROOT/../shared/sbf/setup.sh"
    "$ROOT/../shared/sbf/build-sbf.sh" programs/insurance_fund "$CARGO_TARGET_DIR/deploy"
  else
    echo "$SO is missing: build it first (bash scripts/test.sh)" >&2
    exit 1
  fi
fi

echo "== e2e: the ifund binary"
start=$(date +%s)
cargo build -p ifund "${locked[@]}"
echo "ifund built in $(( $(date +%s) - start )) s"

echo "== e2e: format and lints of the e2e crate"
cargo fmt --manifest-path e2e/Cargo.toml --all --check
start=$(date +%s)
"${e2e_env[@]}" \
  cargo clippy --manifest-path e2e/Cargo.toml --all-targets "${locked[@]}" -- -D warnings
echo "e2e clippy in $(( $(date +%s) - start )) s"

echo "== e2e: ifund against solana-test-validator"
start=$(date +%s)
"${e2e_env[@]}" IFUND_TARGET_DIR="$CARGO_TARGET_DIR" \
  cargo test --manifest-path e2e/Cargo.toml "$@" -- --nocapture
echo "e2e build and run in $(( $(date +%s) - start )) s"
