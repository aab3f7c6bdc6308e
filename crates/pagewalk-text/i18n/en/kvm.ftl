# kvm: English. Why a scenario cannot run on the KVM runtime (pagewalk kvm run, the app's
# "Run on this machine's KVM"). Every message has its twin in ../zh-TW/kvm.ftl.

kvm-at-step = trace entry at line { $line }, column { $column }: { $why }
kvm-no-la57 = 5-level guest paging: the guest CPU offered by KVM here has no LA57
kvm-no-gbpages = 1 GiB guest pages: the guest CPU offered here has no GBPAGES
kvm-low-gpa = a mapping uses guest-physical memory below 1 MiB, where the KVM runtime lives
kvm-stage2-maps = explicit stage-2 mappings: this host runs KVM with shadow paging
kvm-too-many-vms = more than four VMs: the runner keeps every VM's guest RAM mapped at once
kvm-mergeable = `[host] mergeable` must be whole 4 KiB pages above 1 MiB, where the KVM runtime does not live
kvm-too-many-spaces = more than 256 address spaces: the runtime names a space in one byte
kvm-runtime-slot-map = a mapping in the top 512 GiB of the address space (PML4 slot 511), where the KVM runtime lives
kvm-runtime-slot-write = a guest page-table write on the path of the KVM runtime's own mappings (PML4 slot 511) would cut the guest off from its code
kvm-non-canonical = a non-canonical address ({ $from }..{ $to }): the runtime has no #GP handler
kvm-runtime-slot-access = an access in PML4 slot 511, where the KVM runtime lives
kvm-supervisor = supervisor-mode accesses: the measured guest code runs at CPL 3
kvm-fetch = instruction fetches from data pages (not in the runtime yet)
kvm-random-table = more random addresses than the runtime's address table holds
kvm-invalidations = INVPCID/INVVPID/INVEPT steps (the guest CPU here has no PCID; INVVPID/INVEPT are VMX-root instructions)
kvm-set-ac = RFLAGS.AC changes need CPL 0
kvm-ksm-needs-mergeable = a ksm_scan step needs `[host] mergeable = { "{" } gpa = ..., size = ... { "}" }`: on KVM only that range is marked MADV_MERGEABLE (before the guest runs), so that KSM sees the scenario's pages and not the runtime's
kvm-model-slow = the model's replay of this guest program took longer than { $seconds } s; shorten the trace
kvm-host-ops = more than 256 host operations
kvm-exits-room = { $count } VM exits make more guest code than the runtime has room for ({ $kib } KiB)
kvm-guest-entry = { $why }
kvm-cannot-run = cannot run on the KVM runtime
kvm-code-room = the trace makes more guest code than the runtime has room for
kvm-warmup-room = the warm-up code does not fit in one page
kvm-guest-ram = the guest needs { $need } MiB of RAM (a mapping or a page-table write points there), more than its `guest_ram` of { $have } MiB
kvm-host-settings = this scenario swaps or drives KSM, which changes host settings (a swap file, /sys/kernel/mm/ksm) that a page may not change: run `pagewalk kvm run FILE` as root in a terminal
