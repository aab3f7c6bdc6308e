#!/usr/bin/env bash
# End-to-end check of the web app as a learner would open it: build with Trunk, serve on
# 127.0.0.1, open pages in headless Chromium, check what is shown, save a screenshot.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$PATH"

trunk build --release --offline >/dev/null
wasm=$(ls dist/*.wasm | head -1)
echo "release wasm: $(stat -c %s "$wasm") bytes, $(gzip -9 -c "$wasm" | wc -c) gzipped ($wasm)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done

chrome() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --virtual-time-budget=8000 "$@" 2>/dev/null
}

fail() { echo "e2e FAILED: $*" >&2; exit 1; }

dom=$(chrome --dump-dom "http://127.0.0.1:$port/#scenario=ept-24-references&step=1")
refs=$(grep -o 'data-ref="[0-9]*"' <<<"$dom" | sort -u | wc -l)
[ "$refs" -eq 24 ] || fail "the EPT walk shows $refs numbered cells, not 24"
grep -q 'data-counter="memory_refs"[^>]*>24<' <<<"$dom" || fail "memory_refs is not 24"
grep -q 'data-counter="tlb_misses"[^>]*>1<' <<<"$dom" || fail "tlb_misses is not 1"
echo "ok: #scenario=ept-24-references&step=1 shows 24 numbered references and memory_refs = 24"

dom=$(chrome --dump-dom "http://127.0.0.1:$port/#scenario=tlb-reach-4k-vs-2m&step=0")
grep -q 'TLB reach' <<<"$dom" || fail "the gallery link did not open the TLB reach scenario"
echo "ok: #scenario=tlb-reach-4k-vs-2m opens that scenario"

broken='schema%20%3D%201%0Aname%20%3D%20%22x%22%0Alesson%20%3D%20%22y%22%0A%5Bmachine%5D%0Amode%20%3D%20%22eptt%22%0A'
dom=$(chrome --dump-dom "http://127.0.0.1:$port/#text=$broken&step=0")
grep -q 'data-line="5" data-column="8"' <<<"$dom" || fail "no inline error at 5:8 for a broken file"
grep -q 'cannot be "eptt"' <<<"$dom" || fail "the error message is missing"
echo "ok: a broken file shows its error at line 5, column 8"

dom=$(chrome --dump-dom "http://127.0.0.1:$port/")
grep -q 'How a CPU and a hypervisor translate memory' <<<"$dom" || fail "a first visit does not open the start page"
for space in GVA GPA HVA HPA; do grep -q "<b>$space</b>" <<<"$dom" || fail "the start page lacks $space"; done
grep -q 'memslots' <<<"$dom" || fail "the start page does not say which structure maps GPA to HVA"
echo "ok: a first visit opens the start page with the four address spaces and their maps"

dom=$(chrome --dump-dom "http://127.0.0.1:$port/#page=post-claims")
grep -q 'What the post says, and what holds today' <<<"$dom" || fail "the post-claims page did not open"
grep -q 'href="#scenario=workload-under-ept&amp;step=0"' <<<"$dom" || fail "the post-claims page does not link its lessons"
grep -q '32 - 2 = 10' <<<"$dom" || fail "the post-claims page lacks the RAM-for-VMs example"
echo "ok: #page=post-claims shows the post's claims with links to lessons"

dom=$(chrome --dump-dom "http://127.0.0.1:$port/#compare=workload-under-shadow,workload-under-ept")
grep -q 'data-left="vm_exits">520<' <<<"$dom" || fail "the comparison does not show shadow paging's 520 exits"
grep -q 'data-right="vm_exits">520<' <<<"$dom" || fail "the comparison does not show EPT's 520 exits"
grep -q 'data-right="ept_violations">520<' <<<"$dom" || fail "the comparison does not show EPT's 520 violations"
grep -q 'one scale for both' <<<"$dom" || fail "the comparison chart is missing"
grep -q '<th scope="col">EPT</th>' <<<"$dom" || fail "the comparison's right column is not headed EPT"
grep -q 'shadow EPT' <<<"$dom" && fail "a comparison column is headed 'shadow EPT'"
echo "ok: #compare=workload-under-shadow,workload-under-ept shows both columns and one chart scale"

dom=$(chrome --dump-dom "http://127.0.0.1:$port/#scenario=no-such-lesson&step=0")
grep -q 'There is no lesson named' <<<"$dom" || fail "an unknown lesson name silently opens another lesson"
echo "ok: an unknown lesson name says so"

zero_ways='schema%20%3D%201%0Aname%20%3D%20%22x%22%0Alesson%20%3D%20%22y%22%0A%5Bmachine%5D%0Atlb%20%3D%20%7B%20l1d_4k%20%3D%20%2216x0%22%20%7D%0A'
dom=$(chrome --dump-dom "http://127.0.0.1:$port/#text=$zero_ways&step=0")
grep -q 'data-line="5"' <<<"$dom" || fail "a TLB array of 0 ways in a link does not show its error"
grep -q 'SETSxWAYS' <<<"$dom" || fail "the 0-way TLB error message is missing"
grep -q 'class="fatal"' <<<"$dom" && fail "the 0-way TLB link killed the page"
echo "ok: a link with a 0-way TLB array shows its error at line 5, and the page lives"

# axe-core on the start page, lessons (one with the host panel), the comparison, the reading,
# practice and host pages, at desktop and phone
# sizes, light and dark: any violation fails with its rule and the elements it found.
node tests/axe.mjs "http://127.0.0.1:$port/" "http://127.0.0.1:$port/#scenario=ept-24-references&step=1" \
  "http://127.0.0.1:$port/#compare=workload-under-shadow,workload-under-ept" "http://127.0.0.1:$port/#page=post-claims" "http://127.0.0.1:$port/#page=practice" "http://127.0.0.1:$port/#scenario=vpid-on&step=60" "http://127.0.0.1:$port/#page=huge-pages" \
  "http://127.0.0.1:$port/#page=host" "http://127.0.0.1:$port/#scenario=ksm-two-vms&step=161" \
  || fail "axe-core reports accessibility violations (above)"

mkdir -p target/e2e
chrome --screenshot=target/e2e/ept-walk.png --window-size=1400,1000 "http://127.0.0.1:$port/#scenario=ept-24-references&step=1" >/dev/null
[ -s target/e2e/ept-walk.png ] || fail "no screenshot"
echo "ok: screenshot in target/e2e/ept-walk.png"
chrome --screenshot=target/e2e/start.png --window-size=1400,1000 "http://127.0.0.1:$port/" >/dev/null
chrome --screenshot=target/e2e/start-phone.png --window-size=390,844 "http://127.0.0.1:$port/" >/dev/null
chrome --screenshot=target/e2e/lesson-phone.png --window-size=390,844 "http://127.0.0.1:$port/#scenario=ept-24-references&step=1" >/dev/null
chrome --screenshot=target/e2e/compare.png --window-size=1400,1000 "http://127.0.0.1:$port/#compare=workload-under-shadow,workload-under-ept" >/dev/null
chrome --screenshot=target/e2e/lesson.png --window-size=1400,1000 "http://127.0.0.1:$port/#scenario=kvm-read-then-write&step=20" >/dev/null
chrome --screenshot=target/e2e/post-claims.png --window-size=1400,1000 "http://127.0.0.1:$port/#page=post-claims" >/dev/null
# In Traditional Chinese: the start page and three lessons show no English UI string but the
# terms kept on purpose (screenshots target/e2e/zh-*.png), and switching languages keeps the step.
node tests/zh_tw.mjs "http://127.0.0.1:$port/" || fail "English left in the zh-TW app (above)"
# The "Run on this machine's KVM" button, through `pagewalk serve` (the debug build the tests
# made), and its refusal in this static copy.
bin=target/debug/pagewalk
[ -x "$bin" ] || cargo build --quiet -p pagewalk-cli
node tests/kvm_button.mjs "$bin" dist "http://127.0.0.1:$port/" || fail "the KVM button (above)"
echo "10 passed, 0 failed"
