#!/usr/bin/env bash
# The whole test suite, in both modes:
#   1. unit and property tests, and the integration suite with the program run natively;
#   2. the program built for Solana's VM, and the integration suite run against that binary.
# Extra arguments go to every `cargo test` (CI passes --locked).
#
# SBF_BUILD selects how the .so in target/deploy is made:
#   shared (default)  ../shared/sbf/build-sbf.sh, for machines without Solana's platform tools
#   anchor            `anchor build` (needs the Solana platform tools)
#   none              use target/deploy/insurance_fund.so as it is
# SKIP_SBF=1 runs only the native half.
#
# Both halves also load SPL Token Swap 3.0.0 (a real AMM the flash-fill tests route through,
# tests/src/amm.rs) from target/deploy/spl_token_swap.so, built from the published crate by
# ../shared/sbf/build-registry-program.sh when missing (about 2.5 min cold on 2 busy cores,
# then kept). With SBF_BUILD=none it must already be there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export RUST_LOG="${RUST_LOG:-error}"

TOKEN_SWAP_SO="$ROOT/target/deploy/spl_token_swap.so"
if [ ! -f "$TOKEN_SWAP_SO" ]; then
  if [ "${SBF_BUILD:-shared}" = none ]; then
    echo "$TOKEN_SWAP_SO is missing (SBF_BUILD=none builds nothing)" >&2
    exit 1
  fi
  echo "== building SPL Token Swap 3.0.0 for the Solana VM (the flash-fill tests' AMM)"
  "$ROOT/../shared/sbf/setup.sh"
  "$ROOT/../shared/sbf/build-registry-program.sh" spl-token-swap 3.0.0 "$ROOT/target/deploy"
fi

echo "== native: unit tests and integration suite"
cargo test --workspace "$@"

[ -n "${SKIP_SBF:-}" ] && exit 0

echo "== sbf: building the program for the Solana VM"
case "${SBF_BUILD:-shared}" in
  shared)
    "$ROOT/../shared/sbf/setup.sh"
    "$ROOT/../shared/sbf/build-sbf.sh" programs/insurance_fund "$ROOT/target/deploy"
    ;;
  anchor) anchor build ;;
  none) ;;
  *) echo "SBF_BUILD must be shared, anchor or none" >&2; exit 2 ;;
esac
[ -f "$ROOT/target/deploy/insurance_fund.so" ] || { echo "target/deploy/insurance_fund.so is missing" >&2; exit 1; }

echo "== sbf: integration suite against target/deploy/insurance_fund.so"
INSURANCE_FUND_TEST_MODE=sbf SBF_OUT_DIR="$ROOT/target/deploy" \
  cargo test -p insurance_fund_tests --test suite "$@"
