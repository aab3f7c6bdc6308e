#!/usr/bin/env bash
# The main job: build the web app (release) and serve it with `pagewalk serve` on 127.0.0.1,
# printing the URL (with the token its "Run on this machine's KVM" button needs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/web-tools.sh
export PATH="$PWD/tools/node_modules/.bin:$PATH"
port="${PORT:-8080}"
echo "building the web app and the pagewalk command..."
trunk build --release --offline
cargo build --release -p pagewalk-cli
echo
echo "  e.g. add #scenario=ept-24-references&step=1 to the URL below"
exec ./target/release/pagewalk serve --dir dist --port "$port"
