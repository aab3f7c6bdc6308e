//! The host's side of guest RAM: for each host page behind a guest-physical page, whether it
//! exists yet, and as what.
//!
//! A memslot maps guest-physical memory to the VMM's virtual memory (HVA); the host kernel
//! backs that memory lazily, like any process memory (Linux `mm/memory.c`,
//! `handle_mm_fault`). KVM asks for the host page when it builds a shadow or stage-2 entry
//! (`arch/x86/kvm/mmu/mmu.c`, `kvm_faultin_pfn` -> `hva_to_pfn`): a read of anonymous memory
//! never written gets the shared zero page, mapped read-only, and a later write copies it
//! (`do_wp_page`), which zaps KVM's entries through the MMU notifier. hugetlbfs has no zero
//! page: the first touch of any kind takes a page from the pool.

use crate::addr::{Gfn, PageSize};
use crate::config::{Backing, HostConfig};
use crate::event::{Event, EventSink};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The state of one host page (of the backing's size).
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
}

impl HostPageState {
    /// A short description.
    pub const fn describe(self) -> &'static str {
        match self {
            HostPageState::Unallocated => "not allocated",
            HostPageState::ZeroPage => "the shared zero page",
            HostPageState::ReadOnly => "a page of its own, read-only until written",
            HostPageState::Allocated => "a page of its own",
        }
    }
}

/// Host memory behind guest RAM, by host page.
#[derive(Clone, Debug)]
pub struct HostMemory {
    cfg: HostConfig,
    /// 4 KiB frames per host page.
    frames: u64,
    pages: FxHashMap<u64, HostPageState>,
}

impl HostMemory {
    /// Host memory as the configuration starts it: with `prealloc`, every page is allocated
    /// before the guest runs (QEMU's `-mem-prealloc` writes each page once).
    pub fn new(cfg: HostConfig) -> Self {
        Self {
            cfg,
            frames: cfg.backing.page_size().bytes() >> 12,
            pages: FxHashMap::default(),
        }
    }

    /// The backing.
    pub fn backing(&self) -> Backing {
        self.cfg.backing
    }

    /// The host page size.
    pub fn page_size(&self) -> PageSize {
        self.cfg.backing.page_size()
    }

    fn base(&self, gfn: Gfn) -> u64 {
        gfn.raw() & !(self.frames - 1)
    }

    /// The state of the host page behind `gfn`.
    pub fn state(&self, gfn: Gfn) -> HostPageState {
        if self.cfg.prealloc {
            return HostPageState::Allocated;
        }
        self.pages.get(&self.base(gfn)).copied().unwrap_or_default()
    }

    fn set<K: EventSink>(&mut self, gfn: Gfn, to: HostPageState, sink: &mut K) {
        let from = self.state(gfn);
        if from == to || self.cfg.prealloc {
            return;
        }
        let base = self.base(gfn);
        self.pages.insert(base, to);
        sink.event(&Event::HostPage {
            gfn: Gfn::new(base),
            size: self.page_size(),
            from,
            to,
        });
    }

    /// The VMM writes guest memory before the guest runs (its page tables, its code): those
    /// host pages exist. No event: this is the initial image.
    pub fn written_by_vmm(&mut self, gfn: Gfn) {
        let base = self.base(gfn);
        self.pages.insert(base, HostPageState::Allocated);
    }

    /// KVM needs the host page behind `gfn` to map it (`hva_to_pfn`): a fault in the host's
    /// own tables if it does not exist. Returns the state the page is mapped in: a read of an
    /// untouched anonymous page gets the zero page and a read of an untouched hugetlbfs page
    /// a read-only page of its own (both mapped read-only by KVM); a write gets a writable
    /// page of its own. A write to the zero page is handled by
    /// [`HostMemory::copy_on_write`] first.
    pub fn fault_in<K: EventSink>(&mut self, gfn: Gfn, write: bool, sink: &mut K) -> HostPageState {
        let to = match (self.state(gfn), write) {
            (HostPageState::Unallocated | HostPageState::ReadOnly, true) => {
                HostPageState::Allocated
            }
            (HostPageState::Unallocated, false) if self.cfg.backing.has_zero_page() => {
                HostPageState::ZeroPage
            }
            (HostPageState::Unallocated, false) => HostPageState::ReadOnly,
            (s, _) => s,
        };
        self.set(gfn, to, sink);
        to
    }

    /// A write to a page the host has as its zero page: the host copies it (`do_wp_page`),
    /// and its MMU notifier makes KVM drop every mapping of the old page.
    pub fn copy_on_write<K: EventSink>(&mut self, gfn: Gfn, sink: &mut K) {
        self.set(gfn, HostPageState::Allocated, sink);
    }

    /// The guest-frame range of the host page that holds `gfn`.
    pub fn page_frames(&self, gfn: Gfn) -> std::ops::Range<u64> {
        let base = self.base(gfn);
        base..base + self.frames
    }
}
