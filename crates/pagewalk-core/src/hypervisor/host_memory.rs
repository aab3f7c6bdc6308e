//! The host's side of guest RAM: for each host page behind a guest-physical page, whether it
//! exists yet, and as what; and what the host kernel does to those pages behind the guest's
//! back (swap, ballooning, KSM).
//!
//! A memslot maps guest-physical memory to the VMM's virtual memory (HVA); the host kernel
//! backs that memory lazily, like any process memory (Linux `mm/memory.c`,
//! `handle_mm_fault`). KVM asks for the host page when it builds a shadow or stage-2 entry
//! (`arch/x86/kvm/mmu/mmu.c`, `kvm_faultin_pfn` -> `hva_to_pfn`): a read of anonymous memory
//! never written gets the shared zero page, mapped read-only, and a later write copies it
//! (`do_wp_page`), which zaps KVM's entries through the MMU notifier. hugetlbfs has no zero
//! page: the first touch of any kind takes a page from the pool.
//!
//! When the host takes a page away (swap-out, `MADV_DONTNEED` for a balloon) or replaces it
//! (a KSM merge), its MMU notifier tells KVM first (`virt/kvm/kvm_main.c`,
//! `kvm_mmu_notifier_invalidate_range_start` -> `kvm_unmap_gfn_range`), which drops the
//! entries that map it; the machine does that part ([`crate::Machine::host_page_out`] and
//! the other host operations).

use crate::addr::{Gfn, PageSize};
use crate::config::{Backing, HostConfig};
use crate::event::{Event, EventSink};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// The state of one host page (of the backing's size, or 4 KiB once a THP is split).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostPageState {
    /// Never touched: no memory behind it yet.
    #[default]
    Unallocated,
    /// Read before any write: the host's shared zero page, mapped read-only.
    ZeroPage,
    /// A page of its own, mapped read-only in the host because it was only read: a private
    /// hugetlbfs mapping (`hugetlb_no_page` maps a read fault read-only; the first write
    /// makes it writable in place, `hugetlb_wp`, with no copy and no MMU-notifier zap).
    ReadOnly,
    /// A page of its own: a private 4 KiB page, a THP, or a hugetlbfs page (by the backing).
    Allocated,
    /// Written out to swap (`MADV_PAGEOUT` or reclaim): the next touch is a major fault
    /// that reads it back (`do_swap_page`).
    Swapped,
    /// Given back by the guest's balloon and discarded by the VMM (`MADV_DONTNEED`): the
    /// next touch gets a fresh page of zeros, as for a page never touched.
    Ballooned,
    /// Merged by KSM with pages of the same contents: one read-only page shared by them
    /// all; a write copies it (`do_wp_page`, a KSM copy on write).
    Shared,
}

impl HostPageState {
    /// A short description, in `lang`.
    pub fn describe(self, lang: crate::Lang) -> String {
        let id = match self {
            HostPageState::Unallocated => "host-page-unallocated",
            HostPageState::ZeroPage => "host-page-zero",
            HostPageState::ReadOnly => "host-page-read-only",
            HostPageState::Allocated => "host-page-allocated",
            HostPageState::Swapped => "host-page-swapped",
            HostPageState::Ballooned => "host-page-ballooned",
            HostPageState::Shared => "host-page-shared",
        };
        pagewalk_text::t(lang, id)
    }

    /// Whether the host maps it writable, so KVM may too (`hva_to_pfn` reports the page
    /// writable only then).
    pub const fn writable(self) -> bool {
        matches!(self, HostPageState::Allocated)
    }

    /// Whether a write must first copy it (the zero page, a KSM page).
    pub const fn copied_on_write(self) -> bool {
        matches!(self, HostPageState::ZeroPage | HostPageState::Shared)
    }

    /// Whether memory of this host page is resident in host RAM as the VM's own (RSS).
    pub const fn resident(self) -> bool {
        matches!(
            self,
            HostPageState::ReadOnly | HostPageState::Allocated | HostPageState::Shared
        )
    }

    /// Whether there is no page behind it (never touched, or given back).
    const fn absent(self) -> bool {
        matches!(self, HostPageState::Unallocated | HostPageState::Ballooned)
    }
}

/// What a guest page holds, as far as KSM can tell: only equal contents merge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// All zeros (never written, given back, or filled with zeros).
    #[default]
    Zero,
    /// Every 8-byte word holds this value (a `fill` with a pattern).
    Pattern(u64),
    /// Data no other page has (what an ordinary write leaves: the runtime on real KVM
    /// stores the address it writes, so no two pages of a VM written this way are equal),
    /// by VM and page.
    Own(u64),
}

/// How much of a VM's memory is where, in bytes: the numbers of `/proc/<pid>/smaps` for the
/// guest RAM mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostUsage {
    /// Resident anonymous memory (`Rss` of an anonymous mapping), KSM pages included.
    pub rss: u64,
    /// Of `rss`, in transparent huge pages (`AnonHugePages`).
    pub anon_huge: u64,
    /// hugetlbfs pages in use (`Private_Hugetlb`; hugetlbfs is not in `Rss`).
    pub hugetlb: u64,
    /// Swapped out (`Swap`).
    pub swap: u64,
    /// Pages mapped to a KSM page (each counted in `rss` too).
    pub ksm_merged: u64,
    /// Given back by the balloon and not touched since.
    pub ballooned: u64,
    /// Mapped to the shared zero page (in no `Rss`).
    pub zero_mapped: u64,
}

/// Host memory behind guest RAM, by host page.
#[derive(Clone, Debug)]
pub struct HostMemory {
    cfg: HostConfig,
    /// 4 KiB frames per host page.
    frames: u64,
    pages: FxHashMap<u64, HostPageState>,
    /// THPs split into 4 KiB pages (by first frame): partly discarded, partly swapped, or
    /// scanned by KSM.
    split: FxHashSet<u64>,
    /// Contents of the 4 KiB pages written so far (absent: zeros). Kept only when
    /// `track_contents` is on (a scenario with KSM), so the hot path stays free of it.
    contents: FxHashMap<u64, Content>,
    track_contents: bool,
    /// Told apart from other VMs' data of their own ([`Content::Own`]): the VM's number.
    owner: u64,
    /// 2 MiB windows whose host mapping was split since KVM last looked: the split's MMU
    /// notifier covers the whole window (`__split_huge_pmd`).
    split_windows: Vec<(u64, u64)>,
}

impl HostMemory {
    /// Host memory as the configuration starts it: with `prealloc`, every page is allocated
    /// before the guest runs (QEMU's `-mem-prealloc` writes each page once).
    pub fn new(cfg: HostConfig) -> Self {
        Self {
            cfg,
            frames: cfg.backing.page_size().bytes() >> 12,
            pages: FxHashMap::default(),
            split: FxHashSet::default(),
            contents: FxHashMap::default(),
            track_contents: false,
            owner: 0,
            split_windows: Vec::new(),
        }
    }

    /// The backing.
    pub fn backing(&self) -> Backing {
        self.cfg.backing
    }

    /// The host page size of the backing.
    pub fn page_size(&self) -> PageSize {
        self.cfg.backing.page_size()
    }

    /// The host page size behind `gfn` now: the backing's, or 4 KiB in a split THP.
    pub fn page_size_at(&self, gfn: Gfn) -> PageSize {
        if self.frames > 1 && self.split.contains(&(gfn.raw() & !(self.frames - 1))) {
            PageSize::Size4K
        } else {
            self.page_size()
        }
    }

    fn frames_at(&self, gfn: u64) -> u64 {
        self.page_size_at(Gfn::new(gfn)).bytes() >> 12
    }

    fn base(&self, gfn: Gfn) -> u64 {
        gfn.raw() & !(self.frames_at(gfn.raw()) - 1)
    }

    /// The state of the host page behind `gfn`.
    pub fn state(&self, gfn: Gfn) -> HostPageState {
        match self.pages.get(&self.base(gfn)) {
            Some(&s) => s,
            None if self.cfg.prealloc => HostPageState::Allocated,
            None => HostPageState::Unallocated,
        }
    }

    fn set<K: EventSink>(&mut self, gfn: Gfn, to: HostPageState, sink: &mut K) {
        let from = self.state(gfn);
        if from == to {
            return;
        }
        let base = self.base(gfn);
        self.pages.insert(base, to);
        sink.event(&Event::HostPage {
            gfn: Gfn::new(base),
            size: self.page_size_at(gfn),
            from,
            to,
        });
    }

    /// The VMM writes guest memory before the guest runs (its page tables, its code): those
    /// host pages exist. No event: this is the initial image.
    pub fn written_by_vmm(&mut self, gfn: Gfn) {
        let base = self.base(gfn);
        self.pages.insert(base, HostPageState::Allocated);
        if self.track_contents {
            self.contents
                .insert(gfn.raw(), Content::Own(self.owner << 52 | gfn.raw()));
        }
    }

    /// KVM needs the host page behind `gfn` to map it (`hva_to_pfn`): a fault in the host's
    /// own tables if it does not exist. Returns the state the page is mapped in: a read of an
    /// untouched anonymous page gets the zero page and a read of an untouched hugetlbfs page
    /// a read-only page of its own (both mapped read-only by KVM); any touch of a swapped page
    /// reads it back, writable; a write gets a writable page of its own. A write to the
    /// zero page or a KSM page is handled by [`HostMemory::copy_on_write`] first.
    pub fn fault_in<K: EventSink>(&mut self, gfn: Gfn, write: bool, sink: &mut K) -> HostPageState {
        let to = match (self.state(gfn), write) {
            (
                HostPageState::Unallocated | HostPageState::Ballooned | HostPageState::ReadOnly,
                true,
            ) => HostPageState::Allocated,
            // An exclusive page read back from swap is mapped writable at once
            // (`do_swap_page`), so KVM maps it writable too: the guest's next write is free.
            (HostPageState::Swapped, _) => HostPageState::Allocated,
            (HostPageState::Unallocated | HostPageState::Ballooned, false)
                if self.cfg.backing.has_zero_page() =>
            {
                HostPageState::ZeroPage
            }
            (HostPageState::Unallocated | HostPageState::Ballooned, false) => {
                HostPageState::ReadOnly
            }
            (s, _) => s,
        };
        self.set(gfn, to, sink);
        to
    }

    /// A write to a page the host maps copy-on-write (the zero page, a KSM page): the host
    /// copies it (`do_wp_page`), and its MMU notifier makes KVM drop every mapping of the
    /// old page.
    pub fn copy_on_write<K: EventSink>(&mut self, gfn: Gfn, sink: &mut K) {
        self.set(gfn, HostPageState::Allocated, sink);
    }

    /// The guest-frame range of the host page that holds `gfn`.
    pub fn page_frames(&self, gfn: Gfn) -> std::ops::Range<u64> {
        let base = self.base(gfn);
        base..base + self.frames_at(gfn.raw())
    }

    /// Keep the contents of written pages from now on (for KSM).
    pub fn track_contents(&mut self) {
        self.track_contents = true;
    }

    /// Data of this VM's own is not equal to another VM's (`vm`: its number).
    pub fn set_owner(&mut self, vm: u64) {
        self.owner = vm;
    }

    /// Whether contents are kept.
    pub fn tracks_contents(&self) -> bool {
        self.track_contents
    }

    /// What the 4 KiB guest page `gfn` holds.
    pub fn content(&self, gfn: Gfn) -> Content {
        self.contents.get(&gfn.raw()).copied().unwrap_or_default()
    }

    /// The guest wrote `content` to the whole of page `gfn` (or, with `None`, an ordinary
    /// store left data of its own there).
    pub fn written(&mut self, gfn: Gfn, content: Option<Content>) {
        if self.track_contents {
            let c = match content.unwrap_or(Content::Own(self.owner << 52 | gfn.raw())) {
                Content::Pattern(0) => Content::Zero,
                c => c,
            };
            if c == Content::Zero {
                self.contents.remove(&gfn.raw());
            } else {
                self.contents.insert(gfn.raw(), c);
            }
        }
    }

    /// Splits the THP holding `gfn` into 4 KiB pages of the same state: the host maps it
    /// with 4 KiB entries from now on, so KVM does too. `folio`: the page itself is split
    /// too (to swap or merge part of it), and then its subpages that hold only zeros become
    /// the shared zero page (`remap_page` with `RMP_USE_SHARED_ZEROPAGE`, Linux 6.12);
    /// otherwise only its mapping is (`__split_huge_pmd`, a partial `MADV_DONTNEED`).
    /// Either way the MMU notifier covers the whole 2 MiB. No-op elsewhere.
    pub fn split_huge<K: EventSink>(&mut self, gfn: Gfn, folio: bool, sink: &mut K) -> bool {
        if self.cfg.backing != Backing::Thp || self.page_size_at(gfn) == PageSize::Size4K {
            return false;
        }
        let base = gfn.raw() & !(self.frames - 1);
        let state = self.state(gfn);
        self.pages.remove(&base);
        self.split.insert(base);
        for g in base..base + self.frames {
            let zero = folio && state.resident() && self.content(Gfn::new(g)) == Content::Zero;
            self.pages.insert(
                g,
                if zero && self.track_contents {
                    HostPageState::ZeroPage
                } else {
                    state
                },
            );
        }
        self.split_windows.push((base, self.frames));
        sink.event(&Event::HostSplit {
            gfn: Gfn::new(base),
            state,
        });
        true
    }

    /// The 2 MiB windows split since the last call, for KVM to unmap.
    pub fn take_split_windows(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.split_windows)
    }

    /// The host pages fully inside frames `[first, first + count)`, as (first frame,
    /// frames); a THP only partly inside is split first (as `madvise` does), a hugetlbfs
    /// page only partly inside is left out (`madvise` on hugetlbfs works on whole pages).
    fn pages_in<K: EventSink>(&mut self, first: u64, count: u64, sink: &mut K) -> Vec<(u64, u64)> {
        let end = first + count;
        let mut out = Vec::new();
        let mut g = first;
        while g < end {
            let base = self.base(Gfn::new(g));
            let n = self.frames_at(g);
            if base < first || base + n > end {
                if self.split_huge(Gfn::new(g), false, sink) {
                    continue;
                }
                g = base + n;
                continue;
            }
            out.push((base, n));
            g = base + n;
        }
        out
    }

    /// `madvise(MADV_PAGEOUT)` over frames `[first, first + count)`: the host writes the
    /// VM's own pages there to swap, up to `swap_free` 4 KiB slots (`mm/madvise.c`,
    /// `madvise_cold_or_pageout_pte_range`; a whole THP is written out and split,
    /// `shrink_folio_list`). The zero page, KSM pages (mapped by several) and hugetlbfs are
    /// not paged out. Returns the guest frames that lost their page, for KVM to unmap.
    pub fn page_out<K: EventSink>(
        &mut self,
        first: u64,
        count: u64,
        swap_free: &mut u64,
        sink: &mut K,
    ) -> Vec<(u64, u64)> {
        if self.cfg.backing.is_hugetlb() {
            sink.event(&Event::HostRefused {
                why: crate::event::Refusal::HugetlbPageOut,
            });
            return Vec::new();
        }
        let mut gone = Vec::new();
        for (base, n) in self.pages_in(first, count, sink) {
            let state = self.state(Gfn::new(base));
            if !matches!(state, HostPageState::Allocated | HostPageState::ReadOnly) {
                continue;
            }
            if *swap_free < n {
                break;
            }
            *swap_free -= n;
            // A swap file takes no THP whole (`thp_swpout_fallback`): the page is split, its
            // zero-filled subpages become the zero page, the others go to swap.
            if n > 1 {
                self.split_huge(Gfn::new(base), true, sink);
                for g in base..base + n {
                    if self.state(Gfn::new(g)) == state {
                        self.set(Gfn::new(g), HostPageState::Swapped, sink);
                    } else {
                        *swap_free += 1;
                    }
                }
            } else {
                self.set(Gfn::new(base), HostPageState::Swapped, sink);
            }
            gone.push((base, n));
        }
        gone
    }

    /// `madvise(MADV_DONTNEED)` over frames `[first, first + count)`, as QEMU does for the
    /// pages the guest's balloon gave back (`hw/virtio/virtio-balloon.c`,
    /// `balloon_inflate_page` -> `ram_block_discard_range`): the pages go back to the host
    /// (swap slots freed, hugetlbfs pages back to the pool), and the next touch sees zeros.
    /// Returns the guest frames that lost their page and how many 4 KiB swap slots were
    /// freed.
    pub fn discard<K: EventSink>(
        &mut self,
        first: u64,
        count: u64,
        sink: &mut K,
    ) -> (Vec<(u64, u64)>, u64) {
        let mut gone = Vec::new();
        let mut swap_freed = 0;
        for (base, n) in self.pages_in(first, count, sink) {
            let state = self.state(Gfn::new(base));
            if state == HostPageState::Swapped {
                swap_freed += n;
            }
            for g in base..base + n {
                self.contents.remove(&g);
            }
            if state != HostPageState::Ballooned {
                self.set(Gfn::new(base), HostPageState::Ballooned, sink);
            }
            if !state.absent() {
                gone.push((base, n));
            }
        }
        (gone, swap_freed)
    }

    /// Marks the 4 KiB page `gfn` merged into a KSM page (state [`HostPageState::Shared`]);
    /// a THP around it is split first (`try_to_merge_one_page` -> `split_huge_page`).
    pub fn merge<K: EventSink>(&mut self, gfn: Gfn, sink: &mut K) {
        self.split_huge(gfn, true, sink);
        self.set(gfn, HostPageState::Shared, sink);
    }

    /// The VM's pages KSM can look at, in address order: its own 4 KiB pages (anonymous
    /// memory; inside a THP, each subpage), with their contents. hugetlbfs is never merged;
    /// the zero page and swapped pages are skipped (`mm/ksm.c`, `scan_get_next_rmap_item`
    /// takes only anonymous pages present in memory).
    pub fn ksm_candidates(&self) -> Vec<(Gfn, HostPageState, Content)> {
        if self.cfg.backing.is_hugetlb() {
            return Vec::new();
        }
        let mut bases: Vec<u64> = self
            .pages
            .iter()
            .filter(|(_, s)| s.resident())
            .map(|(&b, _)| b)
            .collect();
        bases.sort_unstable();
        let mut out = Vec::new();
        for base in bases {
            let s = self.state(Gfn::new(base));
            for g in base..base + self.frames_at(base) {
                out.push((Gfn::new(g), s, self.content(Gfn::new(g))));
            }
        }
        out
    }

    /// The 4 KiB guest pages in state `want`, in address order (listed pages only: not
    /// the pages a pre-allocated VM never changed).
    pub fn pages_in_state(&self, want: HostPageState) -> Vec<Gfn> {
        let mut out: Vec<Gfn> = self
            .pages
            .iter()
            .filter(|&(_, &s)| s == want)
            .flat_map(|(&b, _)| (b..b + self.frames_at(b)).map(Gfn::new))
            .collect();
        out.sort_unstable();
        out
    }

    /// How much of guest RAM is where.
    pub fn usage(&self, guest_ram: u64) -> HostUsage {
        let mut u = HostUsage::default();
        if self.cfg.prealloc {
            // Pages never listed are allocated: count them as such.
            let listed: u64 = self.pages.keys().map(|&b| self.frames_at(b) << 12).sum();
            let rest = guest_ram.saturating_sub(listed);
            self.add(&mut u, HostPageState::Allocated, rest, self.frames > 1);
        }
        for (&b, &s) in &self.pages {
            let bytes = self.frames_at(b) << 12;
            self.add(&mut u, s, bytes, self.frames_at(b) > 1);
        }
        u
    }

    fn add(&self, u: &mut HostUsage, s: HostPageState, bytes: u64, huge: bool) {
        let hugetlb = self.cfg.backing.is_hugetlb();
        match s {
            HostPageState::ReadOnly | HostPageState::Allocated if hugetlb => u.hugetlb += bytes,
            HostPageState::ReadOnly | HostPageState::Allocated => {
                u.rss += bytes;
                if huge {
                    u.anon_huge += bytes;
                }
            }
            HostPageState::Shared => {
                u.rss += bytes;
                u.ksm_merged += bytes;
            }
            HostPageState::Swapped => u.swap += bytes,
            HostPageState::Ballooned => u.ballooned += bytes,
            HostPageState::ZeroPage => u.zero_mapped += bytes,
            HostPageState::Unallocated => {}
        }
    }
}
