#!/usr/bin/env bash
# The program's Anchor IDL, without the Anchor CLI.
#
#   bash scripts/idl.sh            regenerate idl/insurance_fund.json
#   bash scripts/idl.sh --check    regenerate to a temp file; fail with a diff if the committed
#                                  idl/insurance_fund.json differs (what CI runs)
#
# scripts/idl-gen is a small standalone crate that calls anchor-lang-idl's IdlBuilder, the code
# `anchor idl build` runs: it compiles the program's `__anchor_private_print_idl` test with
# `--features idl-build`, then merges, sorts and verifies the printed pieces. Cargo calls use
# --locked (both lockfiles are committed). Build artifacts go to $IDL_TARGET_DIR (default:
# <target dir>/idl-build, apart from normal builds: the IDL build uses other features and
# RUSTFLAGS, so sharing the directory would only make each build invalidate the other).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CHECK=0
case "${1:-}" in
  "") ;;
  --check) CHECK=1 ;;
  *) echo "usage: bash scripts/idl.sh [--check]" >&2; exit 2 ;;
esac

IDL="$ROOT/idl/insurance_fund.json"
export CARGO_TARGET_DIR="${IDL_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/idl-build}"

cargo build --locked --quiet --manifest-path "$ROOT/scripts/idl-gen/Cargo.toml"
GEN="$CARGO_TARGET_DIR/debug/idl-gen"

TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
IDL_CARGO_ARGS="--locked" "$GEN" "$ROOT/programs/insurance_fund" "$TMP"

if [ "$CHECK" = 1 ]; then
  if [ ! -f "$IDL" ]; then
    echo "idl/insurance_fund.json is missing: run 'bash scripts/idl.sh' and commit it" >&2
    exit 1
  fi
  if ! diff -u --label "idl/insurance_fund.json (committed)" --label "idl/insurance_fund.json (from the program)" "$IDL" "$TMP"; then
    echo "idl/insurance_fund.json is out of date: run 'bash scripts/idl.sh' and commit it" >&2
    exit 1
  fi
  echo "idl/insurance_fund.json is up to date"
else
  mkdir -p "$ROOT/idl"
  cat "$TMP" >"$IDL"
  echo "wrote idl/insurance_fund.json"
fi
