# compare: English. Every message has its twin in ../zh-TW/compare.ftl.ftl (checked by a test).

## The comparison page (#compare=left,right)
compare-nothing = Nothing to compare
compare-no-lesson = no bundled lesson is named "{ $left }" or "{ $right }"
compare-side-by-side = side by side
compare-left = left
compare-right = right
# What each comparison of state::COMPARISONS shows: the two sides, split at " | ".
compare-what-shadow-ept = shadow paging | EPT
compare-what-vpid = VPID off | VPID on
compare-what-pcid = PCID off | PCID on
compare-what-host-pages = 4 KiB host pages | 2 MiB host pages
compare-what-prealloc = -mem-prealloc off | -mem-prealloc on
compare-heading = Compare: { $what }
compare-label = Two lessons side by side
compare-chart-caption = Cycles by kind, whole run (one scale for both; the cost model's cycles: 40 per memory reference, 1200 per VM exit round trip, ...)
compare-chart-label = cycles by kind for both lessons on one scale
compare-cycles-title = { $kind }: { $cycles } cycles
compare-kind-walk = walks
compare-kind-vm = VM exits
compare-kind-hv = hypervisor work
compare-kind-tlbc = TLB and caches
compare-axis = {" "}— axis in thousands of cycles
compare-table-label = Counters of both runs
compare-col-counter = counter
compare-col-difference = difference

## Counters the comparison table shows beyond the counters panel's, by key
counter-tlb_l1_hits = tlb l1 hits
counter-tlb_l2_hits = tlb l2 hits
counter-ept_misconfigs = ept misconfigs
counter-shadow_pages = shadow pages
counter-shadow_fills = shadow fills
counter-stage2_fills = stage2 fills
counter-emulated_writes = emulated writes
counter-hypervisor_refs = hypervisor refs
counter-resync_changes = resync changes
counter-tlb_entries_flushed = tlb entries flushed
counter-cycles_tlb = cycles tlb
counter-cycles_walk = cycles walk
counter-cycles_vm_exit = cycles vm exit
counter-cycles_hypervisor = cycles hypervisor
