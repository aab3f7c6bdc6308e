# scenario: English. What a trace entry without a label does, in words (the step's title).
# Every message has its twin in ../zh-TW/scenario.ftl (checked by a test).

op-read = a read of { $gva }
op-write = a write to { $gva }
op-fetch = an instruction fetch from { $gva }
op-read-supervisor = a read of { $gva } (supervisor)
op-write-supervisor = a write to { $gva } (supervisor)
op-fetch-supervisor = an instruction fetch from { $gva } (supervisor)
op-sequential = sequential accesses over { $length } bytes from { $start }, { $repeat ->
    [one] one pass
   *[other] { $repeat } passes
}
op-strided = { $count } accesses { $stride } apart from { $start }, { $repeat ->
    [one] one pass
   *[other] { $repeat } passes
}
op-random = { $count } random accesses in { $span } bytes from { $start }
op-working-set = a working set of { $pages } pages from { $start }, { $rounds ->
    [one] one round
   *[other] { $rounds } rounds
}
op-vm-exit = { $count ->
    [one] a VM exit and the entry back
   *[other] { $count } VM exits and entries
}
op-cr3-guest = MOV to CR3 loads CR3 of address space { $space }
op-cr3-guest-noflush = MOV to CR3 loads CR3 of address space { $space } with bit 63 set
op-cr3-host = the host (KVM_SET_SREGS) loads CR3 of address space { $space }
op-cr3-host-noflush = the host (KVM_SET_SREGS) loads CR3 of address space { $space } with bit 63 set
op-invlpg = INVLPG { $gva }
op-invpcid = INVPCID type { $kind } (PCID { $pcid })
op-invvpid = INVVPID type { $kind } (VPID { $vpid })
op-invept = INVEPT type { $kind }
op-pte-write = a write to the level-{ $level } page-table entry for { $gva }
op-set-ac = RFLAGS.AC = { $value }
op-fill-pattern = the guest fills { $pages ->
    [one] one page
   *[other] { $pages } pages
} from { $gva } with { $pattern }
op-fill = the guest fills { $pages ->
    [one] one page
   *[other] { $pages } pages
} from { $gva }, each with data of its own
op-swap-out = the host swaps out guest RAM { $from }..{ $to } (MADV_PAGEOUT)
op-balloon-inflate = the balloon takes { $pages ->
    [one] one guest page
   *[other] { $pages } guest pages
} from GPA { $gpa }; the host discards them (MADV_DONTNEED)
op-balloon-deflate = the balloon gives { $pages ->
    [one] one page
   *[other] { $pages } pages
} back to the guest
op-ksm-scan = KSM scans all mergeable memory { $passes ->
    [one] once
   *[other] { $passes } times
}
