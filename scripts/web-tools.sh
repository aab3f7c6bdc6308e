#!/usr/bin/env bash
# Installs what building and testing the web app needs, skipping what is present:
# the wasm32 target, wasm-bindgen-cli at the version Cargo.lock pins, trunk 0.21.14, binaryen's
# wasm-opt, axe-core and playwright-core from npm (into tools/), and Debian's chromium + chromedriver for browser tests.
# The only network here is the package registries (crates.io, npm, Debian), which is all this uses.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

want_wb=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$want_wb" ]; then
  echo "installing wasm-bindgen-cli $want_wb (a few minutes, once)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install wasm-bindgen-cli --version "$want_wb" --force
fi

if ! command -v trunk >/dev/null || [ "$(trunk --version | awk '{print $2}')" != "0.21.14" ]; then
  echo "installing trunk 0.21.14 (several minutes, once)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install trunk --version 0.21.14 --locked --no-default-features --features rustls
fi

if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  echo "installing binaryen 132 (wasm-opt) from npm into tools/"
  npm install --silent --prefix tools binaryen@132.0.0
fi

# axe-core checks accessibility in the end-to-end test; playwright-core drives Debian's chromium
# for it (no browser download: tests/axe.mjs gives it /usr/bin/chromium).
if [ ! -f tools/node_modules/axe-core/axe.min.js ] || [ ! -d tools/node_modules/playwright-core ]; then
  echo "installing axe-core 4.14.1 and playwright-core 1.65.1 from npm into tools/"
  npm install --silent --prefix tools axe-core@4.14.1 playwright-core@1.65.1
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "installing Debian's chromium and chromium-driver"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver
  else
    echo "chromium is missing and this is not root: run 'sudo apt-get install chromium chromium-driver'" >&2
    exit 1
  fi
fi

# The post pagewalk teaches is in Traditional Chinese: without a CJK font, headless Chromium
# draws its words as boxes in the screenshots the end-to-end test saves.
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  echo "installing Debian's fonts-noto-cjk (Chinese text in the browser tests' screenshots)"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq fonts-noto-cjk || { apt-get update -qq && apt-get install -y -qq fonts-noto-cjk; }
  else
    echo "fonts-noto-cjk is missing and this is not root: run 'sudo apt-get install fonts-noto-cjk'" >&2
    exit 1
  fi
fi

# Trunk builds with --offline; make sure every crate the wasm build needs is downloaded.
cargo fetch --quiet
