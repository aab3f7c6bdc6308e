# The web app's words, in English. Every message here has its zh-TW twin in zh-TW.ftl (a test
# checks both files have the same messages and variables). Addresses, register and instruction
# names, counter keys and numbers are not messages: they stay as they are in both languages.

app-title = pagewalk
app-document-title = pagewalk: how memory is translated
app-tagline = how a CPU and a hypervisor translate memory, one reference at a time
lang-switch = Language
lang-en = English
lang-zh-TW = 中文（台灣）

## The start page
start-heading = How a CPU and a hypervisor translate memory
start-intro = A program in a virtual machine uses addresses that pass through four address spaces before they reach a byte of RAM. Each step has its own map, kept by someone else. pagewalk shows every step a CPU and KVM take, reference by reference, and checks its model of KVM against the real /dev/kvm.
start-spaces-label = The four address spaces
space-gva = guest virtual
space-gva-what = what a guest program uses
map-guest-tables = guest page tables
map-guest-tables-who = kept by the guest kernel; root in CR3
space-gpa = guest physical
space-gpa-what = what the guest thinks is RAM
map-memslots = memslots
map-memslots-who = kept by the VMM (QEMU): guest RAM is its memory
space-hva = host virtual
space-hva-what = the VMM process's addresses
map-host-tables = host page tables
map-host-tables-who = kept by the host kernel; change with swap, KSM, THP, compaction
space-hpa = host physical
space-hpa-what = where the byte is
start-walks-title = What the CPU walks.
start-walks = The CPU cannot read the middle two maps, so KVM composes them into tables it can walk: under EPT (Intel) or NPT (AMD), stage-2 tables map GPA → HPA and the CPU walks the guest's tables and those, a two-dimensional walk of up to 24 references (35 with 5 levels); under shadow paging, shadow tables map GVA → HPA directly, and KVM keeps them in step with the guest's tables in software.
start-host-title = When the host changes its mind.
start-host = If the host moves or frees the page behind an HVA (swap, KSM, compaction, THP), an MMU notifier tells KVM, which drops its stage-2 or shadow entries; the guest's next touch faults and KVM maps the page again.
start-panels = What the panels show
panel-walk = The walk
panel-walk-what = : for a two-dimensional walk, a grid whose rows are the guest entries read and whose columns are the stage-2 levels walked for each, every reference numbered in the order the hardware makes it; below it, every event of the access in order (TLB lookups, table reads, faults, VM exits, what the hypervisor did).
panel-counters = Counters
panel-counters-what = : what happened so far, folded from those events; KVM's own statistics come from the same events.
panel-address = Address
panel-address-what = : the bits of the address, split into the indexes each level uses.
panel-tlb = TLB
panel-tlb-what = : the cached translations, with the array and slot that hold them and their tags (VPID, PCID).
panel-shadow = Shadow view
panel-shadow-what = (shadow paging): the guest's entries beside the hypervisor's shadow entries.
start-keys = Keys
start-keys-what = → next access, ← previous, ↓ / ↑ one event of the access at a time, space play or pause, End run to the end.
start-resume = Continue where you left off
start-path = The path
start-path-what = The lessons follow the post pagewalk teaches. Start with the first; each lesson's page says what to look at.
start-more = { $count ->
    [one] and 1 more
   *[other] and { $count } more
}
start-also = Also:
start-claims-link = what the post says, and what holds today

## The gallery
gallery-reading = reading
gallery-start = Start here: four addresses
gallery-practice = Practice: generated questions
gallery-score-practice = your score on generated questions
gallery-score-lesson = your predict-mode score in this lesson

## Topics of the path (state::PATH)
topic-addresses = Addresses and the page walk
topic-tlb = The TLB
topic-faults = Page faults
topic-shadow = Shadow paging
topic-ept = EPT and NPT: the two-dimensional walk
topic-vpid = VPID: TLB entries across VM exits
topic-pcid = PCID: TLB entries across process switches
topic-huge = Huge pages and the host's memory
topic-overcommit = Memory overcommit: swap, ballooning, KSM
topic-kvm-prefetch = KVM's MMU in depth: first touches and prefetch
topic-kvm-huge = KVM's MMU in depth: huge pages on the host

## The lesson's head
lesson-about = About this lesson
lesson-pvm-title = Modelled on this project's KVM host, which runs guests under PVM.
lesson-pvm = The CPUs of the machines this project checks itself against offer no VT-x or AMD-V (no vmx or svm in /proc/cpuinfo), so their KVM is PVM: it runs guests with shadow paging and no hardware virtualization, emulating the guest kernel's code, which costs VM exits that VT-x would not take (entering and leaving the guest kernel). The shadow MMU is KVM's own, and this lesson's KVM counters are checked against real KVM there (pagewalk kvm run).
lesson-nav = Lessons
lesson-next = next: { $title } →
lesson-compare = compare side by side: { $what }
lesson-problems = This file has problems

## Playback
controls = Playback
ctl-back = ◀ back
ctl-back-title = Step back (Left arrow)
ctl-play = play
ctl-pause = ❚❚ pause
ctl-play-title = Play / pause (Space)
ctl-step = step ▶
ctl-step-title = Step (Right arrow)
ctl-end = Run to end
ctl-end-title = Run to the end (End)
ctl-refs = Reference by reference
ctl-ref-prev = ‹ ref
ctl-ref-prev-title = Previous event of this access (Up arrow)
ctl-ref-next = ref ›
ctl-ref-next-title = Next event of this access (Down arrow)
ctl-speed = speed
ctl-speed-label = Playback speed
ctl-slow = slow
ctl-normal = normal
ctl-fast = fast
ctl-fastest = fastest
ctl-timeline = Timeline
ctl-position = step { $step } of { $total }
start-host-link = host and VM memory
start-host-what = : how much RAM VMs can have, what -m means, the huge pages a VM needs, swap.
gallery-host = Host and VM memory: RAM, -m, huge pages, swap
gallery-label = Scenarios
ctl-back-label = Step back
ctl-play-label = Play or pause
ctl-step-label = Step

## Predict, then reveal
predict-toggle = Predict, then reveal
predict-next = Next:
predict-none = The trace has no access left.
predict-how = Answer any of the three for it, then reveal: each answer is scored, and the reveal says why.
predict-hit-label = Hit or miss?
predict-tlb = TLB:
predict-hit = hit
predict-miss = miss
predict-refs-label = How many references?
predict-refs = page-table references:
predict-fault-label = Which fault?
predict-fault = fault:
predict-reveal = Reveal
predict-score = this lesson: { $right } / { $total }
predict-right = right:
predict-wrong = not this time:
predict-open = not answered:
predict-why = Why:
page-post-claims = What the post says, and what holds today
topic-kvm-faults = KVM's MMU in depth: the guest's faults
topic-kvm-writes = KVM's MMU in depth: guest page-table writes
topic-kvm-cr3 = KVM's MMU in depth: address spaces and CR3

## Counters (names; their meanings on hover are the core's, in English)
counters-label = Counters
counters-kvm = KVM's statistics
counters-kvm-title = folded from the hypervisor's events, under the names KVM_GET_STATS_FD gives them; pagewalk kvm run compares them with real KVM
counter-accesses = accesses
counter-tlb_hits = tlb hits
counter-tlb_misses = tlb misses
counter-walks = walks
counter-memory_refs = memory refs
counter-guest_refs = guest refs
counter-host_refs = host refs
counter-pwc_hits = pwc hits
counter-ad_updates = ad updates
counter-page_faults = page faults
counter-ept_violations = ept violations
counter-vm_exits = vm exits
counter-shadow_faults = shadow faults
counter-tlb_flushes = tlb flushes
counter-cycles = cycles

## The walk pane and the editor
pane-walk = The walk
walk-first = Press ▶ (or the right arrow) to make the first access.
walk-grid-label = Two-dimensional walk
walk-grid-corner = guest table
walk-grid-entry = guest entry
walk-shadow-label = Guest table and shadow table
walk-level = level
walk-guest-entry = guest entry (GPA = value)
walk-shadow-entry = shadow entry (HPA = value)
editor-edit = Edit this scenario
editor-label = Scenario TOML
editor-load = Load

## The glossary page
glossary-title = Glossary
glossary-intro = Every term pagewalk uses, as the Intel SDM, the AMD APM and KVM name it. Hover a term in a lesson's text or narration to see its entry.
gallery-glossary = Glossary: every term, with its meaning

## The walk grid
walk-event-of = — event { $n } of { $total }
walk-badge-pwc = PWC
walk-badge-pwc-title = a guest-physical mapping in the paging-structure cache skipped the upper stage-2 levels
walk-badge-combined = combined
walk-badge-combined-title = a combined mapping in the paging-structure cache gave this guest table's host-physical address: no stage-2 walk
walk-badge-again = again
walk-badge-again-title = the walk starts again after the VM exit
walk-badge-exit = violation → exit
walk-badge-exit-title = EPT violation: a VM exit; the hypervisor maps the page in stage 2 and the guest retries
walk-formula = { $refs } references; a walk with no cache makes (g+1)(h+1)-1 = { $full }
walk-formula-retries = { $refs } references in { $walks } walks ({ $faulted } ended in a stage-2 fault and a VM exit); one walk with no cache makes (g+1)(h+1)-1 = { $full }
