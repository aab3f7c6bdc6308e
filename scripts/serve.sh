#!/usr/bin/env bash
# The main job: build the web app (release) and serve it on 127.0.0.1, printing the URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/web-tools.sh
export PATH="$PWD/tools/node_modules/.bin:$PATH"
port="${PORT:-8080}"
echo "building the web app..."
trunk build --release --offline
echo
echo "pagewalk is at http://127.0.0.1:$port/   (Ctrl-C stops it)"
echo "  e.g. http://127.0.0.1:$port/#scenario=ept-24-references&step=1"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
