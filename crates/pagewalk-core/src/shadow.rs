//! A hypervisor doing shadow paging, modelled on KVM's shadow MMU
//! (`arch/x86/kvm/mmu/mmu.c`, `paging_tmpl.h`).
//!
//! The hardware walks only the shadow tables (GVA -> HPA). When they lack a usable entry the
//! #PF exits to the hypervisor, which walks the guest's tables in software, and then either
//! injects the #PF into the guest (the guest's own walk fails) or builds the missing shadow
//! entries and resumes the guest. Rules taken from KVM:
//! - one shadow page per (guest table frame, level), created on first use and shared by every
//!   root that reaches the same guest table (`kvm_mmu_get_shadow_page`); a guest large page
//!   mapped with smaller host pages gets a *direct* shadow page;
//! - every guest frame that holds a shadowed guest table is write-protected; the leaf shadow
//!   entries of guest pages are writable only if the guest entry is writable and dirty (or the
//!   access writes), so the first write faults to set the guest D flag (`protect_clean_gpte`);
//! - a write to a write-protected guest table is emulated (`kvm_mmu_track_write`): the
//!   shadow entries it changes are zapped, and a non-leaf shadow page written three times
//!   without being used is zapped as flooded (`detect_write_flooding`);
//! - with unsync on, a level-1 guest table may stay writable instead: its shadow page goes
//!   unsync and is brought back in sync at INVLPG (that entry) or CR3 load (all of it);
//! - a shadow leaf is never larger than the host page backing guest RAM, and a large region
//!   holding a shadowed guest table is mapped with 4 KiB pages.

use crate::access::{check_rights, error_code_bits, Access, Rights, RightsControl};
use crate::addr::{Gfn, Gpa, Gva, Hpa, Level, Levels, PageSize};
use crate::builder::{BuildError, Pool};
use crate::config::{CpuConfig, ShadowConfig};
use crate::entry::{address_field, PfErrorCode, PteFlags};
use crate::event::{Event, EventSink};
use crate::fault::Fault;
use crate::memory::{GuestRam, PhysMemory};
use crate::walk::{ia32e_is_leaf, ia32e_reserved};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The identity of a shadow page: which guest table (or region) it shadows, and its role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SpKey {
    /// The guest table's frame, or the first frame of the region of a direct page.
    pub gfn: Gfn,
    /// Level of the shadow page.
    pub level: Level,
    /// A direct page (maps part of a guest large page).
    pub direct: bool,
    /// For direct pages, the guest rights packed (part of KVM's role); 0 otherwise.
    pub access: u8,
}

/// A shadow page as seen from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowPageInfo {
    /// Its identity.
    pub key: SpKey,
    /// Where it lives.
    pub hpa: Hpa,
    /// Out of sync with its guest table.
    pub unsync: bool,
}

#[derive(Clone, Debug)]
struct Sp {
    hpa: u64,
    unsync: bool,
    flood: u8,
    parents: Vec<u64>,
    /// The guest table as last synced (unsync-capable level-1 pages only).
    snapshot: Option<Box<[u64; 512]>>,
}

/// What a trapped guest page-table write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WriteOutcome {
    /// The page is not write-protected (or its shadow is unsync): a plain store.
    Direct,
    /// The write trapped and the shadow page went unsync.
    Unsynced,
    /// The write trapped and was emulated.
    Emulated,
}

const SPTE_TABLE: u64 = PteFlags::PRESENT.bits()
    | PteFlags::WRITABLE.bits()
    | PteFlags::USER.bits()
    | PteFlags::ACCESSED.bits();

/// The shadow MMU.
#[derive(Clone, Debug)]
pub(crate) struct ShadowMmu {
    cfg: ShadowConfig,
    levels: Levels,
    cpu: CpuConfig,
    pool: Pool,
    pages: FxHashMap<SpKey, Sp>,
    by_frame: FxHashMap<u64, SpKey>,
    /// Guest frames holding shadowed guest tables -> number of non-direct shadow pages.
    protected: FxHashMap<u64, u32>,
    /// Leaf shadow entries by the guest frame (aligned to the leaf size) they map.
    rmap: FxHashMap<u64, Vec<u64>>,
}

/// How the hypervisor dealt with a shadow-table fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultFix {
    /// Shadow entries were built: the guest retries. `flush`: a TLB flush is due.
    Fixed { flush: bool },
    /// The guest's own walk failed: this #PF is injected into the guest.
    Inject(Fault),
    /// A write to a write-protected guest page table: the instruction was emulated.
    Emulated { hpa: Hpa, flush: bool },
}

/// The guest's entries met by the hypervisor's software walk.
struct GuestPath {
    entries: [(Level, u64, u64); 5],
    len: usize,
    rights: Rights,
    size: PageSize,
}

impl ShadowMmu {
    pub fn new(cfg: ShadowConfig, levels: Levels, cpu: CpuConfig, pool: Pool) -> Self {
        Self {
            cfg,
            levels,
            cpu,
            pool,
            pages: FxHashMap::default(),
            by_frame: FxHashMap::default(),
            protected: FxHashMap::default(),
            rmap: FxHashMap::default(),
        }
    }

    /// Every shadow page, sorted by key.
    pub fn pages(&self) -> Vec<ShadowPageInfo> {
        let mut v: Vec<_> = self
            .pages
            .iter()
            .map(|(k, sp)| ShadowPageInfo {
                key: *k,
                hpa: Hpa::new(sp.hpa),
                unsync: sp.unsync,
            })
            .collect();
        v.sort_by_key(|p| p.key);
        v
    }

    /// The shadow root of a guest CR3, if it exists yet.
    pub fn root_of(&self, cr3: Gpa) -> Option<Hpa> {
        let key = SpKey {
            gfn: cr3.frame(),
            level: self.levels.top(),
            direct: false,
            access: 0,
        };
        self.pages.get(&key).map(|sp| Hpa::new(sp.hpa))
    }

    /// Whether a guest frame is write-protected because it holds a shadowed guest table.
    pub fn is_protected(&self, gfn: Gfn) -> bool {
        self.protected.contains_key(&gfn.raw())
    }

    fn get_or_create<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        key: SpKey,
        sink: &mut K,
    ) -> Result<(u64, bool), BuildError> {
        if let Some(sp) = self.pages.get(&key) {
            return Ok((sp.hpa, false));
        }
        let hpa = self.pool.alloc()?;
        // Touch the frame so the memory limit applies to shadow pages as to any table.
        mem.write_u64(Hpa::new(hpa), 0)?;
        self.pages.insert(
            key,
            Sp {
                hpa,
                unsync: false,
                flood: 0,
                parents: Vec::new(),
                snapshot: None,
            },
        );
        self.by_frame.insert(hpa >> 12, key);
        sink.event(&Event::ShadowPageAlloc {
            gfn: key.gfn,
            level: key.level,
            direct: key.direct,
            hpa: Hpa::new(hpa),
        });
        Ok((hpa, true))
    }

    /// The shadow root for a guest CR3, created on first use.
    pub fn root<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        cr3: Gpa,
        sink: &mut K,
    ) -> Result<Hpa, BuildError> {
        let key = SpKey {
            gfn: cr3.frame(),
            level: self.levels.top(),
            direct: false,
            access: 0,
        };
        let (hpa, new) = self.get_or_create(mem, key, sink)?;
        if new {
            self.protect(mem, key.gfn, sink);
        }
        Ok(Hpa::new(hpa))
    }

    /// Write-protects a guest frame that now holds a shadowed guest table: removes write
    /// access from leaf shadow entries mapping it, and zaps large leaves covering it. Returns
    /// whether any present entry changed (a TLB flush is due).
    fn protect<K: EventSink>(&mut self, mem: &mut PhysMemory, gfn: Gfn, sink: &mut K) -> bool {
        let count = self.protected.entry(gfn.raw()).or_insert(0);
        *count += 1;
        if *count > 1 {
            return false;
        }
        self.write_protect_leaves(mem, gfn, sink)
    }

    /// Removes write access from the leaf shadow entries that map `gfn`, and zaps large leaves
    /// that cover it.
    fn write_protect_leaves<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        gfn: Gfn,
        sink: &mut K,
    ) -> bool {
        sink.event(&Event::WriteProtect { gfn });
        let mut changed = false;
        for size in PageSize::ALL {
            let base = gfn.raw() & !((size.bytes() >> 12) - 1);
            let Some(sptes) = self.rmap.get(&base) else {
                continue;
            };
            for &at in sptes {
                let e = mem.read_u64(Hpa::new(at));
                if e & PteFlags::PRESENT.bits() == 0 {
                    continue;
                }
                let is_large = e & PteFlags::HUGE_PAGE.bits() != 0;
                if (size == PageSize::Size4K) == is_large {
                    continue;
                }
                let new = if is_large {
                    0
                } else {
                    e & !(PteFlags::WRITABLE.bits() | PteFlags::DIRTY.bits())
                };
                if new != e {
                    mem.update_existing(Hpa::new(at), new);
                    changed = true;
                }
            }
        }
        changed
    }

    /// The hypervisor's software walk of the guest tables (KVM's `FNAME(walk_addr)`).
    #[allow(clippy::too_many_arguments)]
    fn guest_walk<K: EventSink>(
        &self,
        mem: &PhysMemory,
        ram: &GuestRam,
        cr3: Gpa,
        gva: Gva,
        access: Access,
        ctl: RightsControl,
        sink: &mut K,
    ) -> Result<GuestPath, Fault> {
        let base_code = error_code_bits(access, ctl);
        let pf = |code, level| Fault::PageFault { gva, code, level };
        let mut path = GuestPath {
            entries: [(Level::L1, 0, 0); 5],
            len: 0,
            rights: Rights::ALL,
            size: PageSize::Size4K,
        };
        let mut table = cr3.raw() & !0xfff;
        let mut level = self.levels.top();
        loop {
            let gpa = Gpa::new(table + 8 * level.index(gva.raw()) as u64);
            let e = ram.gpa_to_hpa(gpa).map_or(0, |h| mem.read_u64(h));
            sink.event(&Event::HypervisorRead {
                level,
                gpa,
                entry: e,
            });
            if e & PteFlags::PRESENT.bits() == 0 {
                return Err(pf(base_code, level));
            }
            if ia32e_reserved(e, level, &self.cpu) {
                return Err(pf(
                    PfErrorCode::PRESENT | PfErrorCode::RESERVED | base_code,
                    level,
                ));
            }
            path.rights = path.rights.and_entry(e, self.cpu.nxe);
            path.entries[path.len] = (level, gpa.raw(), e);
            path.len += 1;
            if ia32e_is_leaf(e, level) {
                path.size = level.leaf_size().unwrap_or(PageSize::Size4K);
                break;
            }
            table = address_field(e, self.cpu.maxphyaddr);
            level = level.below().ok_or(pf(base_code, level))?;
        }
        if let Some(code) = check_rights(path.rights, access, ctl) {
            return Err(pf(code, level));
        }
        Ok(path)
    }

    /// Handles a shadow-table #PF that exited to the hypervisor (KVM's `FNAME(page_fault)`).
    /// `Err` only when a limit was hit.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_fault<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        cr3: Gpa,
        gva: Gva,
        access: Access,
        ctl: RightsControl,
        sink: &mut K,
    ) -> Result<FaultFix, BuildError> {
        let path = match self.guest_walk(mem, ram, cr3, gva, access, ctl, sink) {
            Ok(p) => p,
            Err(f) => return Ok(FaultFix::Inject(f)),
        };
        // Set guest A/D flags in software (KVM's FNAME(update_accessed_dirty_bits)).
        let mut leaf_entry = 0;
        for i in 0..path.len {
            let (level, gpa, e) = path.entries[i];
            let mut new = e | PteFlags::ACCESSED.bits();
            if i == path.len - 1 && access.is_write() {
                new |= PteFlags::DIRTY.bits();
            }
            if new != e {
                if let Some(h) = ram.gpa_to_hpa(Gpa::new(gpa)) {
                    mem.update_existing(h, new);
                }
                sink.event(&Event::HypervisorAdUpdate {
                    level,
                    gpa: Gpa::new(gpa),
                    new,
                });
            }
            leaf_entry = new;
        }
        let mut flush = false;
        let root = self.root(mem, cr3, sink)?;
        let mut sp = root.raw();
        // Link shadow pages for every guest table below the root (KVM's FNAME(fetch)).
        for i in 0..path.len - 1 {
            let (level, _, e) = path.entries[i];
            let child_gfn = Gfn::new(address_field(e, self.cpu.maxphyaddr) >> 12);
            let child_level = level.below().unwrap_or(Level::L1);
            let key = SpKey {
                gfn: child_gfn,
                level: child_level,
                direct: false,
                access: 0,
            };
            let (child, new) = self.get_or_create(mem, key, sink)?;
            if new {
                flush |= self.protect(mem, child_gfn, sink);
            }
            sp = self.link(mem, sp, level, gva, child, key, sink)?;
        }
        // The leaf: as large as the guest page, the host backing and the memslot allow.
        let (glevel, _, _) = path.entries[path.len - 1];
        let gsize = path.size;
        let page_gpa = address_field(leaf_entry, self.cpu.maxphyaddr) & !(gsize.bytes() - 1);
        let target_gpa = page_gpa | gva.page_offset(gsize);
        let size = self.leaf_size(ram, gsize, Gpa::new(target_gpa));
        let mut level = glevel;
        while level > size.leaf_level() {
            let below = level.below().unwrap_or(Level::L1);
            let region = target_gpa & !(level.leaf_size().unwrap_or(gsize).bytes() - 1);
            let key = SpKey {
                gfn: Gfn::new(region >> 12),
                level: below,
                direct: true,
                access: path.rights.pack(),
            };
            let (child, _) = self.get_or_create(mem, key, sink)?;
            sp = self.link(mem, sp, level, gva, child, key, sink)?;
            level = below;
        }
        let frame_gpa = target_gpa & !(size.bytes() - 1);
        let Some(hpa) = ram.gpa_to_hpa(Gpa::new(frame_gpa)) else {
            // Not RAM: KVM would emulate MMIO; pagewalk reports a guest #PF-free failure as a
            // reserved-bit fault would be wrong, so it injects a not-present #PF.
            return Ok(FaultFix::Inject(Fault::PageFault {
                gva,
                code: error_code_bits(access, ctl),
                level: glevel,
            }));
        };
        let gfn = frame_gpa >> 12;
        let mut spte = hpa.raw() | PteFlags::PRESENT.bits() | PteFlags::ACCESSED.bits();
        if path.rights.user {
            spte |= PteFlags::USER.bits();
        }
        if path.rights.no_execute {
            spte |= PteFlags::NO_EXECUTE.bits();
        }
        if size != PageSize::Size4K {
            spte |= PteFlags::HUGE_PAGE.bits();
        }
        let guest_dirty = leaf_entry & PteFlags::DIRTY.bits() != 0;
        let mut writable = path.rights.writable && (guest_dirty || access.is_write());
        if writable && self.protected.contains_key(&gfn) {
            writable = self.try_unsync(mem, ram, Gfn::new(gfn), sink);
            if !writable && access.is_write() {
                // The guest writes one of its own page tables through a data mapping: KVM
                // emulates the instruction (pf_emulate) and tracks the write.
                let target = Gpa::new(target_gpa & !7);
                let Some(h) = ram.gpa_to_hpa(target) else {
                    return Ok(FaultFix::Fixed { flush });
                };
                let value = mem.read_u64(h);
                sink.event(&Event::GuestPteWrite {
                    gpa: target,
                    old: value,
                    new: value,
                    emulated: true,
                });
                flush |= self.track_write(mem, target, sink);
                return Ok(FaultFix::Emulated {
                    hpa: Hpa::new(h.raw() | (target_gpa & 7)),
                    flush,
                });
            }
        }
        if writable {
            spte |= PteFlags::WRITABLE.bits() | PteFlags::DIRTY.bits();
        }
        let at = sp + 8 * size.leaf_level().index(gva.raw()) as u64;
        mem.write_u64(Hpa::new(at), spte)?;
        sink.event(&Event::ShadowFill {
            level: size.leaf_level(),
            entry_addr: Hpa::new(at),
            entry: spte,
        });
        let list = self.rmap.entry(gfn).or_default();
        if !list.contains(&at) {
            list.push(at);
        }
        Ok(FaultFix::Fixed { flush })
    }

    /// Points the entry for `gva` at `level` in shadow page `sp` to `child`, unless it does.
    #[allow(clippy::too_many_arguments)]
    fn link<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        sp: u64,
        level: Level,
        gva: Gva,
        child: u64,
        key: SpKey,
        sink: &mut K,
    ) -> Result<u64, BuildError> {
        let at = sp + 8 * level.index(gva.raw()) as u64;
        let cur = mem.read_u64(Hpa::new(at));
        if let Some(c) = self.pages.get_mut(&key) {
            // Using a shadow page resets its write-flooding count (KVM's
            // clear_sp_write_flooding_count in FNAME(fetch)).
            c.flood = 0;
        }
        if cur & PteFlags::PRESENT.bits() != 0 && address_field(cur, 52) == child {
            return Ok(child);
        }
        if cur & PteFlags::PRESENT.bits() != 0 {
            self.unlink_entry(cur, at);
        }
        let spte = child | SPTE_TABLE;
        mem.write_u64(Hpa::new(at), spte)?;
        sink.event(&Event::ShadowFill {
            level,
            entry_addr: Hpa::new(at),
            entry: spte,
        });
        if let Some(c) = self.pages.get_mut(&key) {
            c.parents.push(at);
        }
        Ok(child)
    }

    /// Forgets that the entry at `at` (value `e`) pointed to a child shadow page.
    fn unlink_entry(&mut self, e: u64, at: u64) {
        if e & PteFlags::HUGE_PAGE.bits() != 0 {
            return;
        }
        if let Some(key) = self.by_frame.get(&(address_field(e, 52) >> 12)).copied() {
            if let Some(c) = self.pages.get_mut(&key) {
                c.parents.retain(|&p| p != at);
            }
        }
    }

    fn leaf_size(&self, ram: &GuestRam, guest: PageSize, gpa: Gpa) -> PageSize {
        for size in [PageSize::Size1G, PageSize::Size2M] {
            if size > guest || size > self.cfg.host_page {
                continue;
            }
            let base = gpa.align_down(size);
            let Some(slot) = ram.slot_of(base.frame()) else {
                continue;
            };
            let frames = size.bytes() >> 12;
            let aligned = (slot.hfn.raw().wrapping_sub(slot.gfn.raw())) % frames == 0;
            let inside = base.frame().raw() + frames <= slot.gfn.raw() + slot.frames;
            let holds_table =
                (0..frames).any(|i| self.protected.contains_key(&(base.frame().raw() + i)));
            if aligned && inside && !holds_table {
                return size;
            }
        }
        PageSize::Size4K
    }

    /// KVM's mmu_try_to_unsync_pages: a guest table frame may stay writable if every shadow
    /// page of it is a level-1 page and unsync is allowed.
    fn try_unsync<K: EventSink>(
        &mut self,
        mem: &PhysMemory,
        ram: &GuestRam,
        gfn: Gfn,
        sink: &mut K,
    ) -> bool {
        if !self.cfg.unsync {
            return false;
        }
        let keys: Vec<SpKey> = self.shadows_of(gfn);
        if keys.is_empty() || keys.iter().any(|k| k.level != Level::L1) {
            return false;
        }
        for k in keys {
            if let Some(sp) = self.pages.get_mut(&k) {
                if !sp.unsync {
                    sp.unsync = true;
                    let mut snap = Box::new([0u64; 512]);
                    for (i, w) in snap.iter_mut().enumerate() {
                        *w = ram
                            .gpa_to_hpa(Gpa::new((gfn.raw() << 12) + 8 * i as u64))
                            .map_or(0, |h| mem.read_u64(h));
                    }
                    sp.snapshot = Some(snap);
                    sink.event(&Event::Unsync { gfn });
                }
            }
        }
        true
    }

    fn shadows_of(&self, gfn: Gfn) -> Vec<SpKey> {
        if !self.protected.contains_key(&gfn.raw()) {
            return Vec::new();
        }
        Level::TOP_DOWN
            .iter()
            .map(|&level| SpKey {
                gfn,
                level,
                direct: false,
                access: 0,
            })
            .filter(|k| self.pages.contains_key(k))
            .collect()
    }

    /// Whether a store to this guest-physical address would trap (its frame holds a shadowed
    /// guest table whose shadow pages are not all unsync).
    pub fn write_traps(&self, gpa: Gpa) -> bool {
        let keys = self.shadows_of(gpa.frame());
        !keys.is_empty()
            && keys
                .iter()
                .any(|k| self.pages.get(k).is_some_and(|sp| !sp.unsync))
    }

    /// A guest store to one of its page-table entries (`gpa`). Writes guest memory and keeps
    /// the shadow tables correct. Returns what happened and whether a TLB flush is due.
    pub fn guest_write<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        gpa: Gpa,
        hpa: Hpa,
        value: u64,
        sink: &mut K,
    ) -> Result<(WriteOutcome, bool), BuildError> {
        let old = mem.read_u64(hpa);
        if !self.write_traps(gpa) {
            mem.write_u64(hpa, value)?;
            sink.event(&Event::GuestPteWrite {
                gpa,
                old,
                new: value,
                emulated: false,
            });
            return Ok((WriteOutcome::Direct, false));
        }
        let gfn = gpa.frame();
        let keys = self.shadows_of(gfn);
        if self.cfg.unsync && keys.iter().all(|k| k.level == Level::L1) {
            self.try_unsync(mem, ram, gfn, sink);
            mem.write_u64(hpa, value)?;
            sink.event(&Event::GuestPteWrite {
                gpa,
                old,
                new: value,
                emulated: false,
            });
            return Ok((WriteOutcome::Unsynced, false));
        }
        mem.write_u64(hpa, value)?;
        sink.event(&Event::GuestPteWrite {
            gpa,
            old,
            new: value,
            emulated: true,
        });
        let flush = self.track_write(mem, gpa, sink);
        Ok((WriteOutcome::Emulated, flush))
    }

    /// KVM's kvm_mmu_track_write: after an emulated write to a shadowed guest table, zap the
    /// shadow entries for the written entry in every shadow page of that table, or the whole
    /// page when a non-leaf page is written three times in a row (flooding). Returns whether
    /// a TLB flush is due.
    fn track_write<K: EventSink>(&mut self, mem: &mut PhysMemory, gpa: Gpa, sink: &mut K) -> bool {
        let keys = self.shadows_of(gpa.frame());
        let index = (gpa.raw() & 0xfff) / 8;
        let mut flush = false;
        for k in keys {
            let Some(sp) = self.pages.get_mut(&k) else {
                continue;
            };
            if k.level != Level::L1 {
                sp.flood += 1;
                if sp.flood >= 3 {
                    self.zap(mem, k, true, sink);
                    flush = true;
                    continue;
                }
            }
            let at = sp.hpa + 8 * index;
            let e = mem.read_u64(Hpa::new(at));
            if e & PteFlags::PRESENT.bits() != 0 {
                if k.level != Level::L1 {
                    self.unlink_entry(e, at);
                }
                mem.update_existing(Hpa::new(at), 0);
                flush = true;
            }
        }
        flush
    }

    /// Drops a shadow page (KVM's kvm_mmu_prepare_zap_page).
    fn zap<K: EventSink>(&mut self, mem: &mut PhysMemory, key: SpKey, flooded: bool, sink: &mut K) {
        let Some(sp) = self.pages.remove(&key) else {
            return;
        };
        for &p in &sp.parents {
            let e = mem.read_u64(Hpa::new(p));
            if address_field(e, 52) == sp.hpa {
                mem.update_existing(Hpa::new(p), 0);
            }
        }
        if key.level != Level::L1 {
            if let Some(words) = mem.frame_words(Hpa::new(sp.hpa).frame()) {
                for (i, e) in words.iter().enumerate() {
                    if e & PteFlags::PRESENT.bits() != 0 {
                        self.unlink_entry(*e, sp.hpa + 8 * i as u64);
                    }
                }
            }
        }
        mem.zero_frame(Hpa::new(sp.hpa).frame());
        self.by_frame.remove(&(sp.hpa >> 12));
        self.pool.release(sp.hpa);
        if !key.direct {
            if let Some(c) = self.protected.get_mut(&key.gfn.raw()) {
                *c -= 1;
                if *c == 0 {
                    self.protected.remove(&key.gfn.raw());
                }
            }
        }
        sink.event(&Event::ShadowZap {
            gfn: key.gfn,
            level: key.level,
            flooded,
        });
    }

    /// Brings one unsync page back in sync: every shadow entry whose guest entry changed
    /// since the page went unsync is dropped (KVM's kvm_sync_page). Returns entries changed.
    fn sync_page<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        key: SpKey,
        sink: &mut K,
    ) -> u32 {
        let Some(sp) = self.pages.get_mut(&key) else {
            return 0;
        };
        let Some(snap) = sp.snapshot.take() else {
            return 0;
        };
        sp.unsync = false;
        let hpa = sp.hpa;
        let mut changed = 0;
        for (i, old) in snap.iter().enumerate() {
            let g = ram
                .gpa_to_hpa(Gpa::new((key.gfn.raw() << 12) + 8 * i as u64))
                .map_or(0, |h| mem.read_u64(h));
            if g != *old && mem.read_u64(Hpa::new(hpa + 8 * i as u64)) != 0 {
                mem.update_existing(Hpa::new(hpa + 8 * i as u64), 0);
                changed += 1;
            }
        }
        sink.event(&Event::Resync {
            gfn: key.gfn,
            changed,
        });
        // In sync again, the frame is write-protected again.
        self.write_protect_leaves(mem, key.gfn, sink);
        changed
    }

    /// Syncs every unsync page (at a guest CR3 load: KVM's kvm_mmu_sync_roots). Returns
    /// entries changed.
    pub fn sync_all<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        sink: &mut K,
    ) -> u32 {
        let mut keys: Vec<SpKey> = self
            .pages
            .iter()
            .filter(|(_, sp)| sp.unsync)
            .map(|(k, _)| *k)
            .collect();
        keys.sort();
        keys.into_iter()
            .map(|k| self.sync_page(mem, ram, k, sink))
            .sum()
    }

    /// Guest INVLPG under shadow paging (KVM's kvm_mmu_invlpg): if the level-1 shadow page
    /// on the path of `gva` is unsync, its entry for `gva` is brought back in sync. Returns
    /// whether a shadow entry changed.
    pub fn invlpg(&mut self, mem: &mut PhysMemory, ram: &GuestRam, cr3: Gpa, gva: Gva) -> bool {
        let key = SpKey {
            gfn: cr3.frame(),
            level: self.levels.top(),
            direct: false,
            access: 0,
        };
        let Some(mut sp) = self.pages.get(&key).map(|s| s.hpa) else {
            return false;
        };
        let mut level = self.levels.top();
        while level > Level::L1 {
            let e = mem.read_u64(Hpa::new(sp + 8 * level.index(gva.raw()) as u64));
            if e & PteFlags::PRESENT.bits() == 0 || e & PteFlags::HUGE_PAGE.bits() != 0 {
                return false;
            }
            sp = address_field(e, 52);
            level = level.below().unwrap_or(Level::L1);
        }
        let Some(key) = self.by_frame.get(&(sp >> 12)).copied() else {
            return false;
        };
        let Some(page) = self.pages.get_mut(&key) else {
            return false;
        };
        let i = Level::L1.index(gva.raw());
        let Some(snap) = page.snapshot.as_mut() else {
            return false;
        };
        let g = ram
            .gpa_to_hpa(Gpa::new((key.gfn.raw() << 12) + 8 * i as u64))
            .map_or(0, |h| mem.read_u64(h));
        if g == snap[i] {
            return false;
        }
        snap[i] = g;
        mem.update_existing(Hpa::new(sp + 8 * i as u64), 0);
        true
    }
}
