# core: English. The core's words: narration, event lines, faults, exits, counters' meanings.
# Every message has its twin in ../zh-TW/core.ftl (checked by a test). Addresses, register,
# instruction and flag names, counter keys and numbers are variables or stay as they are.

## Table and address names (Intel SDM vol. 3, "Hierarchical Paging Structures: an Overview")
table-guest = { $level }
table-ept = EPT { $level }
table-npt = NPT { $level }
table-shadow = shadow { $level }
field-sign = sign extension
field-index = { $table } index
field-offset = page offset
grid-row-entry = { $table } entry
grid-row-data = data page
entry-memory-type = memory type { $name } ({ $value })
entry-empty = empty
ad-a = A
ad-d = D
ad-both = A and D

## Accesses
access-user-read = user read
access-user-write = user write
access-user-fetch = user fetch
access-supervisor-read = supervisor read
access-supervisor-write = supervisor write
access-supervisor-fetch = supervisor fetch

## Faults (Intel SDM vol. 3, "Exception and Interrupt Reference" and "EPT Violations"; AMD APM vol. 2, "Nested Paging")
fault-pf = #PF at { $gva } error code { $code } ({ $bits }) from the { $table } entry
fault-ept-violation-final = EPT violation at GPA { $gpa } (the final translation, exit qualification { $qual }) from the EPT { $level } entry
fault-ept-violation-table = EPT violation at GPA { $gpa } (a guest page-table access, exit qualification { $qual }) from the EPT { $level } entry
fault-ept-misconfig = EPT misconfiguration translating GPA { $gpa } at the EPT { $level } entry
fault-npf-final = nested page fault at GPA { $gpa } (EXITINFO1 { $info }: { $bits }, final translation) from the nested { $level } entry
fault-npf-table = nested page fault at GPA { $gpa } (EXITINFO1 { $info }: { $bits }, guest page-table access) from the nested { $level } entry
fault-non-canonical = #GP: { $gva } is not canonical
fault-cr3-reserved = #GP(0): MOV to CR3 of { $cr3 } sets bit 63, which is reserved while CR4.PCIDE = 0

## VM exits (Intel SDM vol. 3, "VM Exits"; KVM's exit handlers)
exit-external = an I/O instruction or interrupt
exit-stage2 = a stage-2 fault (EPT violation / NPF)
exit-misconfig = an EPT misconfiguration
exit-page-fault = a page fault (shadow paging)
exit-cr3 = a MOV to CR3 (shadow paging)
exit-invlpg = an INVLPG (shadow paging)
exit-host-cr3 = the host loads a new CR3 (KVM_SET_SREGS)
exit-kernel-entry = the guest enters its kernel (PVM emulates CPL 0)
exit-kernel-return = the guest's kernel returns to user mode (PVM)
exit-root-load = PVM loads a shadow root that was not cached

## What the hypervisor did with a fault
outcome-fixed = fixed: the missing entries were made
outcome-spurious = spurious: the entry was already right
outcome-emulated = emulated: the hypervisor did the write itself
outcome-injected = injected into the guest: its own tables say fault
outcome-retry = retried: the host page changed, nothing was mapped

## Cached mappings (Intel SDM vol. 3, "Caching Translation Information"; "Information That May Be Cached")
mapping-linear = linear mapping
mapping-guest-physical = guest-physical mapping
mapping-combined = combined mapping: no stage-2 walk for that table

## The host's pages (Linux mm/)
host-page-unallocated = not allocated
host-page-zero = the shared zero page
host-page-read-only = a page of its own, read-only until written
host-page-allocated = a page of its own
host-page-swapped = swapped out
host-page-ballooned = given back by the balloon
host-page-shared = shared by KSM (read-only, copied on write)
host-change-swap-out = swapped out
host-change-discard = given back by the balloon
host-change-ksm-merge = merged by KSM
host-change-cow = copied on write
host-change-split = split from one 2 MiB page into 4 KiB pages
refused-hugetlb-page-out = hugetlbfs memory cannot be paged out: madvise(MADV_PAGEOUT) fails with EINVAL, and KVM's mappings stay

## TLB flushes
flush-invlpg = INVLPG { $gva }
flush-invpcid = INVPCID type { $kind }
flush-mov-cr3 = MOV to CR3
flush-invvpid = INVVPID type { $kind }
flush-invept = INVEPT type { $kind }
flush-vm-exit = VM exit without VPID
flush-vm-entry = VM entry without VPID
flush-page-fault = page fault on this address
flush-stage2 = EPT violation on this address
flush-hypervisor = hypervisor changed shadow tables

## Event lines (the event ladder, `pagewalk walk`)
event-access = { $access } of { $gva }
event-tlb-hit = { $level } TLB hit ({ $size } page) -> HPA { $hpa }
event-tlb-miss = { $level } TLB miss
event-tlb-dirty-rewalk = TLB entry has D=0 and this is a write: walk again to set the dirty flag
event-pwc-hit = paging-structure cache hit ({ $mapping }) for the { $table } entry -> next table at HPA { $next }
walk-guest = page walk
walk-ept = EPT walk
walk-npt = NPT walk
walk-shadow = shadow-table walk
root-guest = CR3 = GPA { $addr }
root-host = shadow root at HPA { $addr }
root-physical = CR3 = physical address { $addr }
event-walk = { $what } of GVA { $gva } from { $root }
event-nested-table = translate GPA { $gpa } of the guest { $table } table through stage 2
event-nested-final = translate the final GPA { $gpa } through stage 2
event-read = read { $table }[{ $index }] at HPA { $addr } = { $entry } ({ $bits })
event-nested-end = GPA { $gpa } -> HPA { $hpa }
event-ad = set { $bits } in { $table } entry at HPA { $addr } ({ $old } -> { $new })
event-tlb-fill = fill TLB: { $gva } -> { $hpa } ({ $size })
event-tlb-fill-global = fill TLB: { $gva } -> { $hpa } ({ $size }, global)
event-flush = { $why }: { $removed } TLB entries invalidated
event-vm-exit = VM exit: { $reason }
event-vm-entry = VM entry
event-vm-entry-flush = VM entry; { $count } guest TLB entries flushed (no VPID)
event-cr3 = MOV CR3 <- { $cr3 } (PCID { $pcid })
event-cr3-noflush = MOV CR3 <- { $cr3 } (PCID { $pcid }, no flush)
event-shadow-fault = shadow table has no usable entry for { $gva }: #PF exits to the hypervisor
event-hv-read = hypervisor reads guest { $table } entry at GPA { $gpa } = { $entry } ({ $bits })
event-hv-ad = hypervisor sets A/D in guest { $table } entry at GPA { $gpa } -> { $new }
event-shadow-page-direct = new shadow { $table } page at HPA { $hpa } for direct map of GFN { $gfn }
event-shadow-page-table = new shadow { $table } page at HPA { $hpa } for guest table GFN { $gfn }
event-shadow-drop = drop shadow { $table } entry at HPA { $addr }
event-shadow-write = write shadow { $table } entry at HPA { $addr } = { $entry } ({ $bits })
event-shadow-prefetch = prefetch shadow { $table } entry at HPA { $addr } = { $entry } ({ $bits })
event-write-protect = write-protect guest page-table page GFN { $gfn }
event-os-pte-write = the OS writes a page-table entry at physical address { $gpa }: { $old } -> { $new }
event-guest-pte-write = guest writes its page-table entry at GPA { $gpa }: { $old } -> { $new }
event-guest-pte-write-emulated = guest writes its page-table entry at GPA { $gpa }: { $old } -> { $new } (trapped and emulated by the hypervisor)
event-shadow-zap = zap shadow { $table } page of GFN { $gfn }
event-shadow-zap-flooded = zap shadow { $table } page of GFN { $gfn } (write flooding)
event-unsync = leave guest page table GFN { $gfn } writable: its shadow page goes unsync
event-resync = resync shadow page of GFN { $gfn }: { $changed } entries changed
event-fault-handled = the hypervisor is done with the fault: { $outcome }
event-host-page = host page ({ $size }) behind GFN { $gfn }: { $from } -> { $to }
event-host-split = the host splits the 2 MiB page behind GFN { $gfn } into 512 4 KiB pages ({ $state })
event-host-unmap = host: { $frames } page(s) from GFN { $gfn } { $cause }; its MMU notifier makes KVM drop { $zapped } { $zapped ->
    [one] entry
   *[other] entries
} mapping them
event-ksm-scan = KSM finishes a full scan: pages_shared { $shared }, pages_sharing { $sharing }, pages_unshared { $unshared }, pages_volatile { $volatile }
event-balloon = the balloon now holds { $pages } guest page(s)
event-host-refused = host: { $why }
event-emulated-write = the hypervisor emulated the guest's write to GPA { $gpa }; its write tracking looks at it
event-emulated-stack = the hypervisor emulated the guest kernel's stack write; its write tracking looks at it
event-hv-invlpg = the hypervisor handles INVLPG { $gva }
event-hv-invlpg-synced = the hypervisor handles INVLPG { $gva }: the unsync shadow entry is brought in sync
event-stage2-fill = the hypervisor maps GPA { $gpa } -> HPA { $hpa } in stage 2 ({ $size })
event-stage2-fill-ro = the hypervisor maps GPA { $gpa } -> HPA { $hpa } in stage 2 ({ $size }, read-only)
event-stage2-zap = the hypervisor drops the stage-2 mapping of GPA { $gpa } ({ $size })
event-access-done = access done at HPA { $hpa }
event-access-faulted = access faulted

## Narration: one paragraph per action, built from its events
narr-pwc-linear = a cached entry for the { $table } entry
narr-pwc-guest-physical = a cached guest-physical mapping for the { $table } entry
narr-pwc-combined = a combined mapping for the { $table } entry
narr-exit-external = { $count ->
    [one] an I/O exit
   *[other] { $count } x I/O exit
}
narr-exit-stage2 = { $count ->
    [one] a stage-2 fault
   *[other] { $count } x stage-2 fault
}
narr-exit-misconfig = { $count ->
    [one] an EPT misconfiguration
   *[other] { $count } x EPT misconfiguration
}
narr-exit-page-fault = { $count ->
    [one] a shadow page fault
   *[other] { $count } x shadow page fault
}
narr-exit-cr3 = { $count ->
    [one] a CR3 write
   *[other] { $count } x CR3 write
}
narr-exit-invlpg = { $count ->
    [one] an INVLPG
   *[other] { $count } x INVLPG
}
narr-exit-host-cr3 = { $count ->
    [one] the host's CR3 load
   *[other] { $count } x the host's CR3 load
}
narr-exit-kernel-entry = { $count ->
    [one] entering the emulated guest kernel
   *[other] { $count } x entering the emulated guest kernel
}
narr-exit-kernel-return = { $count ->
    [one] returning from it
   *[other] { $count } x returning from it
}
narr-exit-root-load = { $count ->
    [one] loading an uncached shadow root
   *[other] { $count } x loading an uncached shadow root
}
narr-host-split = The host split a 2 MiB transparent huge page into 4 KiB pages, so KVM maps that memory with 4 KiB entries from now on.
narr-host-refused = { $why }.
narr-ksm-scan = KSM finished a full scan: { $shared } KSM { $shared ->
    [one] page
   *[other] pages
} shared by { $sharing } more { $sharing ->
    [one] page
   *[other] pages
} (the memory saved), { $unshared } unique, { $volatile } changed since the last scan.
narr-balloon = The balloon now holds { $pages } guest { $pages ->
    [one] page
   *[other] pages
}.
narr-swapped-out = The host wrote { $pages } { $pages ->
    [one] page
   *[other] pages
} of the VM's memory to swap.
narr-unmapped = { $frames } { $frames ->
    [one] page
   *[other] pages
} { $cause }: the host's MMU notifier made KVM drop { $zapped } { $zapped ->
    [one] entry
   *[other] entries
} mapping { $frames ->
    [one] it
   *[other] them
}, so the guest's next touch faults and KVM maps { $frames ->
    [one] it
   *[other] them
} again.
narr-swapped-in = { $pages } { $pages ->
    [one] page
   *[other] pages
} came back from swap (a major fault in the host, or a minor one while the page is still in the swap cache).
narr-tlb-hit = A TLB hit in the { $level } ({ $size } entry): no page walk.
narr-tlb-miss = A TLB miss.
narr-tlb-miss-refs = A TLB miss: { $refs } page-table { $refs ->
    [one] reference
   *[other] references
} ({ $kinds }).
narr-tlb-miss-refs-walks = A TLB miss: { $refs } page-table { $refs ->
    [one] reference
   *[other] references
} in { $walks } walks ({ $kinds }).
narr-tlb-miss-native = A TLB miss: { $refs } page-table { $refs ->
    [one] reference
   *[other] references
}.
narr-tlb-miss-native-walks = A TLB miss: { $refs } page-table { $refs ->
    [one] reference
   *[other] references
} in { $walks } walks.
narr-kind-guest = { $count } guest
narr-kind-shadow = { $count } shadow
narr-kind-stage2 = { $count } { $table }
narr-pwc = The paging-structure caches let the walk start lower: { $hits }.
narr-pwc-walks = The paging-structure caches let walks start lower: { $hits }.
narr-did-stage2 = mapped { $count } { $count ->
    [one] page
   *[other] pages
} in stage 2
narr-did-shadow = made { $count } shadow { $count ->
    [one] page
   *[other] pages
}
narr-did-prefetch = prefetched { $count } neighbouring { $count ->
    [one] entry
   *[other] entries
}
narr-did-fixed = fixed { $count } { $count ->
    [one] fault
   *[other] faults
}
narr-exits = { $count } VM { $count ->
    [one] exit
   *[other] exits
} ({ $reasons }).
narr-exits-did = { $count } VM { $count ->
    [one] exit
   *[other] exits
} ({ $reasons }): the hypervisor { $did }.
narr-flushes = { $flushes } TLB { $flushes ->
    [one] flush
   *[other] flushes
} removed { $removed } { $removed ->
    [one] entry
   *[other] entries
}.
narr-ad = The CPU set { $count } accessed/dirty { $count ->
    [one] flag
   *[other] flags
}.
narr-fault-stage2 = It ends in a fault: { $fault }. The hypervisor here leaves stage 2 as the scenario set it; KVM would map guest RAM at this address and let the guest retry, or hand an address outside guest RAM (or a write to a read-only memslot) to QEMU as MMIO.
narr-fault = It ends in a fault: { $fault }. The operating system's exception handler runs next (in a VM, the guest's own).
narr-nothing = Nothing is flushed and nothing exits: the TLB keeps every entry it had.

## What each counter means (the same words as the counters' rustdoc; a test checks)
meaning-accesses = Accesses started.
meaning-tlb-hits = Accesses served by some TLB level.
meaning-tlb-l1-hits = Of those, served by the L1 TLB.
meaning-tlb-l2-hits = Of those, served by the L2 TLB.
meaning-tlb-misses = Accesses that missed every TLB level.
meaning-walks = Hardware walks started (native, guest-over-stage-2, or shadow-table walks; the stage-2 sub-walks inside a nested walk are not counted separately).
meaning-guest-refs = References in the linear dimension: guest tables, native tables, or shadow tables.
meaning-host-refs = References in the host dimension: EPT or NPT tables.
meaning-pwc-hits = Paging-structure-cache hits.
meaning-ad-updates = Accessed/dirty flag updates by hardware.
meaning-page-faults = #PF faults (delivered to, or injected into, the guest).
meaning-ept-violations = Stage-2 faults: EPT violations or NPT nested page faults (handled by the hypervisor or not).
meaning-ept-misconfigs = EPT misconfigurations.
meaning-vm-exits = VM exits (KVM's `exits`).
meaning-shadow-faults = Shadow-table faults (each one a VM exit).
meaning-shadow-pages = Shadow pages created.
meaning-shadow-fills = Shadow entries written by the hypervisor.
meaning-stage2-fills = Stage-2 entries made on demand by the hypervisor's TDP MMU.
meaning-emulated-writes = Guest page-table writes trapped and emulated by the hypervisor.
meaning-hypervisor-refs = Guest-table references made by the hypervisor in software.
meaning-resync-changes = Shadow entries dropped by resyncs of unsync pages.
meaning-tlb-flushes = Flush operations (INVLPG, INVPCID, CR3 writes, VM transitions without VPID, ...).
meaning-tlb-entries-flushed = TLB entries removed by those flushes.
meaning-pf-taken = KVM: fault exits handled by its MMU (shadow #PF or stage-2 violation).
meaning-pf-fixed = KVM: of those, fixed by making entries.
meaning-pf-spurious = KVM: of those, spurious (the entry was already right).
meaning-pf-emulate = KVM: of those, emulated (a write to a write-protected guest page table).
meaning-pf-guest = KVM: of those, injected into the guest as its own #PF.
meaning-pages-4k = KVM: present 4 KiB leaf entries in shadow or stage-2 tables (a level).
meaning-pages-2m = KVM: present 2 MiB leaf entries (a level).
meaning-pages-1g = KVM: present 1 GiB leaf entries (a level).
meaning-mmu-cache-miss = KVM: shadow pages created (`mmu_cache_miss`: not found in its hash).
meaning-mmu-unsync = KVM: shadow pages out of sync with their guest tables now (a level).
meaning-mmu-pte-write = KVM: emulated guest writes seen by its write tracking.
meaning-mmu-flooded = KVM: shadow pages zapped because their guest table was written repeatedly.
meaning-mmu-shadow-zapped = KVM: shadow pages zapped.
meaning-tlb-flush = KVM: TLB flush requests serviced at VM entry (requests made in one exit count once).
meaning-invlpg = KVM: guest INVLPGs it handled (intercepted under shadow paging).
meaning-host-page-faults = Host: pages allocated by the host on first touch during the run (no `-mem-prealloc`).
meaning-host-zero-page-maps = Host: reads of untouched memory given the shared zero page.
meaning-host-cow-breaks = Host: zero pages copied on a later write.
meaning-host-swap-outs = Host: 4 KiB pages written to swap (`pswpout`).
meaning-host-swap-ins = Host: 4 KiB pages read back from swap when touched (major faults, `pswpin`).
meaning-host-thp-splits = Host: transparent huge pages split into 4 KiB pages.
meaning-ksm-cow-breaks = Host: KSM pages copied on a write (the sharing broken).
meaning-mmu-notifier-zaps = KVM: shadow or stage-2 entries dropped because the host took or replaced the page (the MMU notifier).
meaning-ksm-full-scans = KSM: full scans (`full_scans`).
meaning-ksm-pages-shared = KSM: KSM pages in use (`pages_shared`), as of the last full scan.
meaning-ksm-pages-sharing = KSM: further pages mapped to them, the memory saved (`pages_sharing`).
meaning-ksm-pages-unshared = KSM: pages checked and unique (`pages_unshared`).
meaning-ksm-pages-volatile = KSM: pages whose contents changed between scans (`pages_volatile`).
meaning-balloon-pages = Guest pages in the balloon.
meaning-memory-refs = Page-table memory references by hardware walkers (guest_refs + host_refs).
meaning-cycles = All cycles, by the cost model.
meaning-cycles-tlb = Cycles in TLB and paging-structure-cache hits.
meaning-cycles-walk = Cycles in hardware walks: references and A/D updates.
meaning-cycles-vm-exit = Cycles in VM exits and the entries back.
meaning-cycles-hypervisor = Cycles of hypervisor work: software walks, shadow-table updates, emulation.

## Errors building or driving a machine (misuse and limits, never architectural faults)
machine-no-space = address space { $space } does not exist
machine-wrong-mode = { $op } needs { $needs } mode; this machine runs in { $mode } mode
machine-no-entry = no { $level }-level entry on the path of { $gva } (a table above it is not present)
machine-not-ram = guest-physical address { $gpa } is outside guest RAM
machine-not-modelled = { $op } is not modelled: { $why }
machine-bad-type = { $op } has no type { $kind }
machine-op-invpcid-shadow = INVPCID under shadow paging
machine-why-invpcid-shadow = KVM intercepts it and syncs its shadow roots, which this project cannot check on real KVM (the guest CPU here has no PCID); use `invlpg`, or a `cr3` load, to flush
machine-op-invpcid = INVPCID
machine-op-invvpid = INVVPID
machine-op-invept = INVEPT
machine-op-host-memory = a host memory operation
machine-op-shadow-walk = a shadow walk
machine-op-host-cr3 = a host-side CR3 load
machine-op-vm-exit = a VM exit
machine-op-stage2-map = a stage-2 mapping
machine-op-stage2-backing = stage-2 backing
machine-op-stage2-edit = a stage-2 edit
machine-needs-ept = ept
machine-needs-vm = ept, npt or shadow
machine-needs-shadow = shadow
machine-needs-tdp = ept or npt
build-pool-full = the page-table pool at { $start }..{ $end } is full; map less or give it more room
build-unaligned = { $what } { $addr } is not aligned to the { $size } page it is mapped with
build-what-virtual = virtual address
build-what-physical = physical address
build-overlap = { $addr } is already mapped at level { $level }
build-bad-size = a { $size } page cannot be mapped in these tables
memory-frame-limit = the machine would need more than { $limit } frames of 4 KiB; raise `max_frames` or map less
memory-unaligned = entry address { $addr } is not 8-byte aligned
memory-no-memslot = guest-physical address { $gpa } is outside guest RAM
