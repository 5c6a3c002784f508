#!/usr/bin/env bash
# Deploys the program and creates a fund from a TOML configuration.
#   bash migrations/deploy.sh [CONFIG] [extra ifund options, e.g. -u d -k ~/.config/solana/id.json]
# Needs the Anchor CLI for `anchor deploy` (skip it with SKIP_DEPLOY=1 when the program is
# already deployed) and builds `ifund` from this workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG="${1:-migrations/fund.example.toml}"
shift || true
if [ -z "${SKIP_DEPLOY:-}" ]; then
  anchor deploy
fi
cargo run --quiet --profile sim -p ifund -- init --config "$CONFIG" "$@"
