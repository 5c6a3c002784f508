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
# SKIP_SBF=1 runs only the native half (the real-governance tests then skip, saying why,
# unless their programs are already in target/deploy).
#
# The real governance programs (app/tests/real_governance.rs) are the published crates built
# for the Solana VM with ../shared/sbf/build-registry-program.sh into target/deploy, once per
# machine (skipped when the .so is there): SPL Governance 4.0.0 and Squads v4 2.0.0 took 3.6 and
# 7.0 min cold on the 2-core development machine shared with other builds (Squads is under the
# Business Source License 1.1: built here, never committed). GOVERNANCE_PROGRAMS=skip leaves them out (those tests then skip).
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
DEPLOY="$ROOT/target/deploy"

if [ -z "${SKIP_SBF:-}" ] && [ "${GOVERNANCE_PROGRAMS:-build}" != skip ]; then
  echo "== sbf: the real governance programs (Squads v4, SPL Governance) in target/deploy"
  "$ROOT/../shared/sbf/setup.sh"
  mkdir -p "$DEPLOY"
  for p in "spl-governance 4.0.0 spl_governance" "squads-multisig-program 2.0.0 squads_multisig_program"; do
    read -r crate version lib <<<"$p"
    if [ -f "$DEPLOY/$lib.so" ]; then
      echo "$lib.so already built"
    else
      start=$(date +%s)
      "$ROOT/../shared/sbf/build-registry-program.sh" "$crate" "$version" "$DEPLOY"
      echo "$lib.so built in $(( $(date +%s) - start )) s"
    fi
  done
  # from here on a missing program fails the real-governance tests instead of skipping them
  export IFUND_REQUIRE_GOVERNANCE_PROGRAMS=1
fi

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

echo "== native: unit tests and integration suite (the real-governance tests: the fund native, the governance programs SBF)"
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

echo "== sbf: governance through the real Squads v4 and SPL Governance programs, the fund as its .so"
INSURANCE_FUND_TEST_MODE=sbf SBF_OUT_DIR="$ROOT/target/deploy" \
  cargo test -p ifund --test real_governance "$@"
