#!/usr/bin/env bash
# Works around a defect of ../shared/sbf (maintained outside this project; reported in the
# issue notes): its i128 helper bitcode (plugin/i128_helpers.rs, built by setup.sh) divides
# u64s with `/` and `%`, which rustc guards with calls to core's `panic_const_div_by_zero`.
# The program's own core is built with panic=immediate-abort and has no such symbol, so as
# soon as the program divides u128 values the link fails with
#   Symbol _RNvNtNtCs..._4core9panicking11panic_const23panic_const_div_by_zero is missing.
# The divisors there are never zero (the helper returns early on a zero divisor), so this
# rebuilds the helper from a copy whose divisions are total (`checked_div(..).unwrap_or(0)`),
# re-runs the tool's own host check of the helpers against native u128 on that copy, and
# installs the bitcode in place of the original. Idempotent; does nothing once installed.
set -euo pipefail
H=$(cd "$(dirname "$0")/../../shared/sbf" && pwd)
T=${SBF_TOOLCHAIN:-$HOME/.cache/sbf-toolchain}
BC="$T/plugin/sbf_i128.bc"
[ -f "$BC" ] || { echo "sbf-fixup: run $H/setup.sh first" >&2; exit 1; }
if ! /usr/lib/llvm-22/bin/llvm-dis "$BC" -o - | grep -q panic_const_div_by_zero; then
  echo "sbf-fixup: i128 helpers already total"; exit 0
fi
B=$(mktemp -d); trap 'rm -rf "$B"' EXIT
mkdir -p "$B/src"
sed -E \
  -e 's/\b([A-Za-z0-9_]+(\[[0-9]\])?) \/ ([A-Za-z0-9_]+(\[[0-9]\])?)/\1.checked_div(\3).unwrap_or(0)/g' \
  -e 's/\b([A-Za-z0-9_]+(\[[0-9]\])?) % ([A-Za-z0-9_]+(\[[0-9]\])?)/\1.checked_rem(\3).unwrap_or(0)/g' \
  "$H/plugin/i128_helpers.rs" > "$B/src/lib.rs"
# host check: the tool's own randomized comparison against native u128/i128
cp "$B/src/lib.rs" "$B/i128_helpers.rs"
cp "$H/plugin/test_i128.rs" "$B/test_i128.rs"
rustc -O --edition 2021 "$B/test_i128.rs" -o "$B/test_i128" && "$B/test_i128"
printf '[package]\nname = "sbf_i128"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n[profile.release]\nopt-level = 3\npanic = "abort"\noverflow-checks = false\n[workspace]\n' > "$B/Cargo.toml"
( cd "$B" && PATH=/usr/bin:$PATH RUSTC="$T/rustc" RUSTC_BOOTSTRAP=1 RUSTC_BOOTSTRAP_SYNTHETIC_TARGET=1 \
  CARGO_TARGET_DIR="$B/target" /usr/bin/cargo rustc -q --release --target "$H/bpfel-unknown-solana.json" \
  -Zjson-target-spec -Zbuild-std=core -- -C target-cpu=v2 -C target-feature=+allows-misaligned-mem-access \
  --emit=llvm-bc ) 2>/dev/null
NEW=$(ls "$B"/target/bpfel-unknown-solana/release/deps/sbf_i128-*.bc | head -1)
if /usr/lib/llvm-22/bin/llvm-dis "$NEW" -o - | grep -q panic_const; then
  echo "sbf-fixup: rebuilt helpers still reference a panic; leaving the toolchain as it is" >&2; exit 1
fi
cp "$NEW" "$BC"
echo "sbf-fixup: installed total i128 helpers in $BC"
