#!/usr/bin/env bash
# The project's one test command: installs what a fresh machine lacks (skipping what is
# present), then runs every check. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup first (https://rustup.rs)" >&2; exit 1; }
for c in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
done
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "rustdoc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

step "tests"
cargo test --workspace

step "the bundled scenarios"
cargo run --quiet -p pagewalk-cli -- run scenarios/*.toml

step "wasm32 build of the core and the scenario crate"
cargo build -p pagewalk-core -p pagewalk-scenario --target wasm32-unknown-unknown

step "benchmarks compile (run them with: cargo bench -p pagewalk-core, or pagewalk bench)"
cargo bench -p pagewalk-core --no-run
