# panels: English. Every message has its twin in ../zh-TW/panels.ftl (checked by a test).
# The lesson page's side panels (TLB, address bits, charts, real KVM), the reading pages' frame,
# and the app's notices and errors.

## The TLB panel
tlb-heading = { $count ->
    [one] TLB: 1 entry
   *[other] TLB: { $count } entries
}
tlb-missed = miss
tlb-missed-title = this access was not in the TLB: the hardware walked the page tables
tlb-count-all = all { $count } entries, in array order
tlb-count-first = the first { $shown } of { $count } entries, in array order
tlb-show-few = show the first few
tlb-see-all = see all
tlb-rows-label = TLB entries, scrollable
tlb-table-label = TLB entries
tlb-col-array = array
tlb-col-array-title = which TLB array holds the entry
tlb-col-slot = slot
tlb-col-slot-title = set and way in that array
tlb-col-map-title = guest virtual page → host-physical page, and the page size
tlb-col-tags = tags
tlb-col-tags-title = tags: VPID (virtual CPU), PCID (process), G (global: survives CR3 writes)
tlb-row-stale = stale: the page tables now say otherwise
tlb-row-hit = hit by this access
tlb-row-fill = filled by this walk

## The address panel
address-label = Address bits

## Charts
chart-misses = TLB misses per access
chart-misses-unit = misses ÷ accesses, from the first access to each step (an access that exits, for a shadow page fault or an EPT violation, is looked up again when the guest retries it, so this can pass 1)
chart-refs = page-table references per access
chart-refs-unit = hardware references ÷ accesses so far
chart-cycles = cycles so far, by kind
chart-cycles-unit = the cost model's cycles:
chart-label = { $title }, from step { $from } to { $to }
chart-step = step { $step }
chart-now = — now { $value }
chart-kind-walk = walks
chart-kind-vm = VM exits
chart-kind-hv = hypervisor work
chart-kind-tlbc = TLB and caches

## The real-KVM panel
kvm-summary = Real KVM: run this scenario on /dev/kvm, or load
kvm-run = Run on this machine's KVM
kvm-run-unavailable = Run on this machine's KVM (not available)
kvm-running = Running on KVM…
kvm-asking = asking the server…
kvm-ready = runs the scenario on screen on the server's /dev/kvm ({ $mode }) and puts KVM's own counters beside the model's
kvm-mode-shadow = shadow paging
kvm-not-served = this copy of the app was not opened from `pagewalk serve`, so it cannot run KVM here: start it with `bash scripts/serve.sh` and open the URL it prints, or run `pagewalk kvm run --json FILE` and load the file below
kvm-unavailable = KVM is unavailable on the server's host
kvm-no-request = the request could not be made
kvm-no-answer = the server did not answer (is `pagewalk serve` still running?)
kvm-status = the server answered { $status }
kvm-on-screen = the scenario on screen
kvm-not-run = not run: { $why }
kvm-col-counter = counter
kvm-col-simulated = simulated
kvm-col-real = real KVM
kvm-col-agree = agree?
kvm-not-observable = Not observable on that host (no hardware counters for the TLB and the walks): { $list }.
kvm-file-label = KVM results file
kvm-paste = or paste the JSON here, or drop the file on this box
kvm-json-label = KVM results JSON
kvm-json-not-json = not JSON: { $error }
kvm-json-want = expected the array that `pagewalk kvm run --json` prints
kvm-json-empty = { kvm-json-want }; this array is empty
kvm-json-no-file = { kvm-json-want }; element { $n } has no "file"
kvm-json-bad-counter = { kvm-json-want }; a counter of { $file } lacks name, simulated, real or match
kvm-json-no-counters = { kvm-json-want }; the element for { $file } has neither counters nor a reason it did not run

## Reading pages
reading-in-english = This page, “{ $title }”, is in English.
reading-open-lesson = open this lesson
page-addresses = Four address spaces: GVA, GPA, HVA, HPA
page-page-walks = Page walks and the TLB
page-nested-paging = Nested paging: EPT and NPT
page-shadow-paging = Shadow page tables
page-shadow-vs-ept = Shadow paging or EPT: what each costs
page-vpid = The TLB and VPID
page-huge-pages = Huge pages
page-host-support = Does this host have EPT and VPID?
page-ram-for-vms = How much RAM can VMs have?
page-overcommit = Memory overcommit

## Notices
notice-no-lesson-start = There is no lesson named "{ $name }". Here is the start page; the lessons are listed on the left.
notice-no-lesson = There is no lesson named "{ $name }".
notice-trace-over = No access left: the trace is over.

## Predict mode's answers
predict-access = { $access } of { $gva }
fault-none = no fault
fault-stage2 = EPT violation / NPF (VM exit)
verdict-hit = a TLB hit
verdict-miss = a TLB miss
verdict-refs = { $count ->
    [one] 1 page-table reference
   *[other] { $count } page-table references
}
verdict-you-said = { $answer } (you said { $said })
