# host: English. Every message has its twin in ../zh-TW/host.ftl.ftl (checked by a test).
# Text between backticks is shown as code. A leading {" "} keeps a space Fluent would trim.

## The host page (#page=host)
host-title = Host and VM memory
host-intro = A VM is a QEMU process to the host: its guest RAM is the process's memory, given with `-m`, taken from the host as the guest touches it, or all at once from a pool of huge pages. These calculators work out the post's numbers for your host with the same functions the simulator and `pagewalk host` use.
host-sentence-end = .

host-ram-heading = How much RAM can the VMs have?
host-ram-rule = The post's rule of thumb: up to 64 GB of RAM, `RAM - 2 GB`; above, `RAM - (2 GB + 0.5 * RAM / 64)`, another 0.5 GB kept for every 64 GB.
host-ram-label = Host RAM (GiB)
host-ram-for-vms = RAM for VMs:
host-ram-keeps = {" "}(the host keeps { $size })
host-formula-second = The host has more than 64 GB, so the second formula applies:
host-formula-first = The host has at most 64 GB, so the first formula applies:
host-ram-nothing-left = {" "}(nothing is left for VMs)
host-slip-title = The post's first example is a slip:
host-slip = it says a 32 GB host leaves `32 - 2 = 10` GB for VMs; the formula gives { $gib }. Its second example, 256 GB leaving 252, is right. The rule also leaves out what each VM costs beyond its `-m` (QEMU itself, the stage-2 or shadow tables): see{" "}
host-slip-link = How much RAM can VMs have?
host-gib-empty = type the host's RAM in GiB, like 32
host-gib-not-number = "{ $text }" is not a number of GiB: type one like 32 or 0.5
host-gib-not-ram = "{ $text }" GiB is not a RAM size: type a number above 0

host-m-heading = What does `-m` mean?
host-m-intro = QEMU reads `-m` in MiB unless a suffix says otherwise (`K`, `M`, `G`, `T`); the post starts its VMs with `-m 2048` and `-m 4G`. Options after a comma (`slots=`, `maxmem=`, for memory added later) do not change the size the VM starts with.
host-m-label = What you would give -m
host-m-is = {" "}is{" "}
host-m-bytes = {" "}= { $bytes } bytes
# Why QEMU would not take an argument of -m (pagewalk_core::sizing::QemuSizeError).
qemu-m-empty = `-m` needs a size, like 2048 or 4G
qemu-m-suffix = `{ $suffix }` is not a size suffix: QEMU takes one letter, B, K, M, G, T, P or E
qemu-m-not-a-size = `{ $text }` is not a size: write a number of MiB, like 2048, or 4G, 1.5G
qemu-m-unusable = `{ $text }` is not a usable memory size

host-hp-heading = Huge pages for a VM
host-hp-intro = Backing a VM with hugetlbfs takes a pool of huge pages set aside in advance: the post computes `2048 * 1024 / 2048 = 1024` pages of 2 MiB for a 2048 MiB VM, mounts hugetlbfs and starts QEMU with `-mem-path`. Without `-mem-prealloc` the VM takes a page only when the guest first touches it; with it, QEMU takes them all before the guest runs.
host-vm-label = VM memory (-m)
host-hp-page-size = Huge page size
host-prealloc-label = -mem-prealloc (take every page at start-up)
host-pages-needed = Pages needed:
host-pages-of = {" "}huge pages of { $page } for a VM of { $vm }
host-pool = {" "}({ $pool } set aside)
host-pool-rounded = {" "}({ $pool } set aside, rounded up from { $vm })
host-commands-intro = The commands, in the post's order: check the page size and the pool, mount hugetlbfs, size the pool, start the VM from it.
host-commands-label = The commands, one per line
host-copy = Copy the commands
host-copied = {" "}copied
host-copy-failed = {" "}this browser did not let the page copy: select the text instead
host-watch = Watch it happen:
host-watch-without = without -mem-prealloc
host-watch-mid = {" "}(the post's `HugePages_Free 738`), and{" "}
host-watch-with = with it
host-watch-end = : the lesson's Host memory panel shows the live `/proc/meminfo`.

host-swap-heading = How much swap?
host-swap-intro = The table the post quotes for swap:
host-swap-table = Recommended swap by system RAM
host-swap-col-ram = system RAM
host-swap-col-swap = recommended swap
host-swap-col-yours = your host
# The rows of the table (pagewalk_core::sizing::SwapAdvice), as the post prints them.
swap-twice-ram = 2 x memory size
swap-equal-to-ram = equal to memory size
swap-at-least-4g = at least 4 GB
host-swap-result = For { $ram } of RAM the row is “{ $row }”: at least{" "}
host-swap-result-end = {" "}of swap.
host-swap-note-title = General advice, not a KVM sizing rule:
host-swap-note = the table is Red Hat's advice for any RHEL 7 system (its Storage Administration Guide). How much swap an overcommitted KVM host needs depends on how much more it promises its VMs than it has, and how much of their memory is cold; and hugetlbfs memory is never swapped. See{" "}
host-swap-note-link = Memory overcommit

host-lessons-heading = The host's side, step by step
host-lessons-intro = Each of these lessons shows a Host memory panel beside the counters: the simulated `/proc/meminfo`, each VM's memory, and the host's counters, at the step shown.
host-watch-hugetlbfs-738-free = without -mem-prealloc the VM takes a huge page only when the guest first touches it: watch HugePages_Free fall to the post's 738 while HugePages_Rsvd keeps the rest promised to the VM
host-watch-hugetlbfs-738-free-prealloc = the same VM with -mem-prealloc: all 1024 pages are taken before the guest runs (HugePages_Free 0 from step 0)
host-watch-overcommit-three-vms = 12 GiB promised on an 8 GiB host; swap, a balloon and KSM each take some back: the per-VM bars
host-watch-swap-out-and-back = the host swaps 64 pages out (SwapFree falls) and the guest faults each back in
host-watch-balloon-inflate-and-touch = the balloon takes 32 pages, gives them back, and the guest finds zeros: the zero page, then copies
host-watch-ksm-identical-pages = KSM merges identical pages of one VM into one, until the guest writes one
host-watch-ksm-two-vms = two VMs from one image: KSM keeps one copy of what both hold
host-watch-thp-split-by-balloon = one 4 KiB balloon page splits a 2 MiB transparent huge page
host-watch-thp-swap-keeps-only-written-pages = swapping a transparent huge page splits it; only the written pages reach swap
host-watch-hugetlbfs-cannot-swap = the host asks to swap a hugetlbfs page out and nothing happens: SwapFree stays

## The player's Host memory panel
host-panel-title = Host memory
host-panel-after = {" "}after step { $step }
host-panel-this-step = This step:
host-meminfo-label = /proc/meminfo, simulated
host-meminfo-caption = {" "}(the VMs' memory only)
host-rose = rose this step
host-fell = fell this step
host-rose-sr = rose this step, now{" "}
host-fell-sr = fell this step, now{" "}
host-vm-memory-one = The VM's memory
host-vm-memory-many = Each VM's memory ({ $count } VMs)
host-legend-label = What the bars show
host-legend-key = Key:
host-seg-resident = resident
host-seg-shared = shared (KSM)
host-seg-swapped = swapped
host-seg-ballooned = ballooned
host-seg-zero = zero page
host-seg-untouched = promised, never touched
host-seg-title = { $name }: { $size }
host-bar-label = VM { $vm }: of { $promised } promised, { $parts }
host-bars-caption = Each bar is what -m promised the VM:
host-bars-zoomed = Zoomed in: what each VM touched or gave to the balloon, one scale for every VM (the whole width is { $size })
host-vm-table-scroll = Each VM's memory, scrollable
host-vm-table = Each VM's memory
host-vm-col = memory
host-field-committed = committed
host-field-committed-what = what -m promised the guest
host-field-touched = touched
host-field-touched-what = what the guest has touched and still has something behind: resident, swapped or the zero page
host-field-resident = resident
host-field-resident-what = in host RAM (anonymous memory or hugetlbfs pages), KSM-shared pages included
host-field-swapped = swapped
host-field-swapped-what = written to the host's swap
host-field-ballooned = ballooned
host-field-ballooned-what = in the balloon: given back to the host
host-field-shared = shared
host-field-shared-what = mapped to a KSM page shared with other pages
host-field-zero = zero
host-field-zero-what = mapped to the host's zero page: no memory of its own
host-counters = The host's counters
host-col-counter = counter
host-col-so-far = so far
host-col-this-step = this step

## The host's counters (pagewalk_core::HOST_COUNTERS), by key
counter-host_page_faults = host page faults
counter-host_zero_page_maps = host zero page maps
counter-host_cow_breaks = host cow breaks
counter-host_swap_outs = host swap outs
counter-host_swap_ins = host swap ins
counter-host_thp_splits = host thp splits
counter-mmu_notifier_zaps = mmu notifier zaps
counter-balloon_pages = balloon pages
counter-ksm_full_scans = ksm full scans
counter-ksm_pages_shared = ksm pages shared
counter-ksm_pages_sharing = ksm pages sharing
counter-ksm_pages_unshared = ksm pages unshared
counter-ksm_pages_volatile = ksm pages volatile
counter-ksm_cow_breaks = ksm cow breaks
