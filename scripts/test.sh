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
# The browser tests compile only for wasm32: lint them there too.
cargo clippy -p pagewalk-web --target wasm32-unknown-unknown --all-targets -- -D warnings

step "rustdoc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

step "hugetlb pool for the KVM cross-checks"
# Scenarios backed by hugetlbfs need 2 MiB pages. As root, fill the pool for the run and put
# it back afterwards; otherwise those KVM comparisons are skipped, and say so.
if [ "$(id -u)" = 0 ] && [ -e /dev/kvm ] && [ -w /proc/sys/vm/nr_hugepages ]; then
  old_pool=$(cat /proc/sys/vm/nr_hugepages)
  if [ "$old_pool" -lt 1100 ]; then
    sysctl -q vm.nr_hugepages=1100 || true
    trap 'sysctl -q vm.nr_hugepages='"$old_pool"' || true' EXIT
  fi
  grep -E 'HugePages_(Total|Free)' /proc/meminfo
else
  echo "not root or no /dev/kvm: hugetlb-backed KVM comparisons will be skipped (the tests say which)"
fi

step "tests (the KVM cross-checks run where /dev/kvm opens and say loudly when they cannot)"
# The fuzz run over the bundled scenarios (tests/fuzz_corpus.rs) gets a minute here.
PAGEWALK_FUZZ_SECS=60 cargo test --workspace -- --nocapture

step "the bundled scenarios"
cargo run --quiet -p pagewalk-cli -- run scenarios/*.toml

step "wasm32 build of the core and the scenario crate"
cargo build -p pagewalk-core -p pagewalk-scenario --target wasm32-unknown-unknown

step "web app: toolchain (skipped where present), Trunk build, end-to-end checks in headless Chromium"
bash scripts/web-tools.sh
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER="$(command -v chromedriver)" \
  cargo test --target wasm32-unknown-unknown -p pagewalk-web --test browser -- --nocapture
bash tests/e2e.sh

step "benchmarks compile (run them with: cargo bench -p pagewalk-core, or pagewalk bench)"
cargo bench -p pagewalk-core --no-run
