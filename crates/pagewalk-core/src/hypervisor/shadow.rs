//! KVM's shadow MMU (Linux `arch/x86/kvm/mmu/mmu.c` and `paging_tmpl.h`, 6.x), the one model
//! of it in pagewalk: what `pagewalk run` and the web app show, and what `pagewalk kvm run`
//! holds against the real `/dev/kvm` of a host that shadows (the PVM hosts of this project).
//!
//! The hardware walks only the shadow tables (GVA -> HPA), which live in host memory like any
//! table. When they lack a usable entry the #PF exits to KVM, which walks the guest's tables
//! in software (`FNAME(walk_addr)`), sets the guest's A/D flags, and either injects the #PF
//! into the guest or builds the missing shadow entries (`FNAME(fetch)`). The rules, each
//! checked against real KVM by the bundled `kvm-*` scenarios (docs/kvm-backend.md):
//! - one shadow page per (guest table, role), created on first use (`mmu_cache_miss`) and kept
//!   across CR3 switches; the role holds the level and the rights of the entries above
//!   (`kvm_mmu_child_role`); a guest large page mapped with smaller pages gets *direct* pages;
//! - guest frames holding shadowed guest tables are write-protected (`rmap_write_protect`),
//!   and a large leaf is never made over a range holding one (`disallow_lpage`);
//! - a leaf is as large as the guest page, the host page and the memslot allow
//!   (`kvm_mmu_hugepage_adjust`);
//! - a read of a clean guest page (D=0) maps it read-only (`FNAME(protect_clean_gpte)`), and
//!   so does a read of a host page that is the zero page;
//! - a write to a host zero page copies it: the MMU notifier zaps the old mappings, a flush is
//!   requested and the fault is retried (`RET_PF_RETRY`);
//! - after a 4 KiB fault the rest of the aligned group of 8 guest PTEs is prefetched, in order,
//!   stopping at the first that is not present, not accessed, has reserved bits, or whose host
//!   page is not present and writable (`FNAME(pte_prefetch)`, `FNAME(prefetch_gpte)`); direct
//!   pages prefetch runs of present host pages (`__direct_pte_prefetch`);
//! - a write fault on a write-protected guest table: a table all of whose shadow pages are
//!   level 1 goes unsync (`mmu_try_to_unsync_pages`); otherwise the write is emulated, and
//!   KVM's write tracking zaps the written entry's shadow entries, or the whole shadow page
//!   after three writes with no fault walking through it (`kvm_mmu_track_write`,
//!   `detect_write_flooding`);
//! - an unsync page is brought in sync at a CR3 load (`kvm_mmu_sync_roots`), at INVLPG of one
//!   of its entries (`kvm_mmu_invlpg`), and before entry when a parent is relinked to it
//!   (`KVM_REQ_MMU_SYNC`): entries whose guest entry became invalid or points elsewhere are
//!   dropped, entries whose rights changed are updated (`FNAME(sync_spte)`);
//! - a fault whose entry is already right is spurious (`RET_PF_SPURIOUS`), with no prefetch;
//! - with guest CR0.WP = 0, a supervisor write to a page the guest maps read-only makes a
//!   writable supervisor-only entry (`FNAME(page_fault)`); the hardware always walks the
//!   shadow tables with WP = 1.
//!
//! Flush and sync requests are kept here and serviced by the machine at the next VM entry
//! (`vcpu_enter_guest`: `KVM_REQ_MMU_SYNC` before `KVM_REQ_TLB_FLUSH`), so requests made in
//! one exit count once, as KVM's `tlb_flush` statistic does.

use super::host_memory::{HostMemory, HostPageState};
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
    /// The rights of the guest entries above it, packed ([`Rights::pack`]): part of KVM's
    /// role, so two paths with different rights to one guest table get two shadow pages.
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
    /// Emulated writes to its guest table since a fault last walked through it.
    flood: u8,
    /// Shadow entries (host-physical addresses) that point to this page.
    parents: Vec<u64>,
}

/// How KVM's shadow MMU ended a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultFix {
    /// Shadow entries were built: the guest retries.
    Fixed,
    /// The entry was already right (its path had been cut and is linked again).
    Spurious,
    /// The host page changed under KVM (a zero page copied on write): retry the fault.
    Retry,
    /// The guest's own walk failed: this #PF is injected into the guest.
    Inject(Fault),
    /// A write to a write-protected guest page table: the instruction is emulated; the
    /// machine stores the data at `gpa` and then calls [`ShadowMmu::track_write`].
    Emulated {
        /// Guest-physical address written.
        gpa: Gpa,
    },
}

/// The guest's entries met by KVM's software walk.
struct GuestPath {
    /// (level, guest-physical address of the entry, value), top first.
    entries: [(Level, u64, u64); 5],
    len: usize,
    /// Rights of all entries above the leaf (the leaf table's role access).
    upper: Rights,
    /// Rights of the whole path.
    rights: Rights,
    size: PageSize,
}

const SPTE_TABLE: u64 = PteFlags::PRESENT.bits()
    | PteFlags::WRITABLE.bits()
    | PteFlags::USER.bits()
    | PteFlags::ACCESSED.bits();
const P: u64 = PteFlags::PRESENT.bits();
const W: u64 = PteFlags::WRITABLE.bits();
const A: u64 = PteFlags::ACCESSED.bits();
const D: u64 = PteFlags::DIRTY.bits();
const PS: u64 = PteFlags::HUGE_PAGE.bits();
/// A bit the hardware ignores (bit 9 is available to software in IA-32e entries) where KVM
/// notes that the host page was writable when the entry was made
/// (`shadow_host_writable_mask`), so a later sync may grant write access.
const HOST_WRITABLE: u64 = 1 << 9;

/// The shadow MMU.
#[derive(Clone, Debug)]
pub(crate) struct ShadowMmu {
    cfg: ShadowConfig,
    levels: Levels,
    cpu: CpuConfig,
    pool: Pool,
    pages: FxHashMap<SpKey, Sp>,
    by_frame: FxHashMap<u64, SpKey>,
    /// Non-direct shadow pages of each guest frame.
    of_gfn: FxHashMap<u64, Vec<SpKey>>,
    /// Leaf shadow entries (their host-physical addresses) by the host frame they map (the
    /// first frame, for large leaves): KVM's rmap, which it keys by guest frame; one memslot
    /// makes the two the same list.
    rmap: FxHashMap<u64, Vec<u64>>,
    /// A TLB flush is requested for the next VM entry (`KVM_REQ_TLB_FLUSH`).
    pub flush_request: bool,
    /// A sync of unsync pages is requested for the next VM entry (`KVM_REQ_MMU_SYNC`).
    pub sync_request: bool,
    /// The cached previous roots (`mmu->prev_roots`, most recent first).
    prev_roots: Vec<Gpa>,
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
            of_gfn: FxHashMap::default(),
            rmap: FxHashMap::default(),
            flush_request: false,
            sync_request: false,
            prev_roots: Vec::new(),
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

    /// Whether any shadow page shadows a guest table (KVM's `indirect_shadow_pages`: only
    /// then does its write tracking look at emulated writes).
    pub fn has_indirect_pages(&self) -> bool {
        !self.of_gfn.is_empty()
    }

    fn root_key(&self, cr3: Gpa) -> SpKey {
        SpKey {
            gfn: cr3.frame(),
            level: self.levels.top(),
            direct: false,
            access: Rights::ALL.pack(),
        }
    }

    /// The shadow root of a guest CR3, if it exists yet.
    pub fn root_of(&self, cr3: Gpa) -> Option<Hpa> {
        self.pages
            .get(&self.root_key(cr3))
            .map(|sp| Hpa::new(sp.hpa))
    }

    /// Whether a guest frame is write-protected because it holds a shadowed guest table.
    pub fn is_protected(&self, gfn: Gfn) -> bool {
        self.of_gfn.contains_key(&gfn.raw())
    }

    /// Writes a shadow entry, keeping the rmap, and reports it.
    fn set_spte<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        at: u64,
        level: Level,
        new: u64,
        prefetch: bool,
        sink: &mut K,
    ) -> Result<(), BuildError> {
        let old = mem.read_u64(Hpa::new(at));
        if old == new {
            return Ok(());
        }
        if is_leaf(old, level) {
            if let Some(list) = self.rmap.get_mut(&(address_field(old, 52) >> 12)) {
                list.retain(|&a| a != at);
            }
        }
        mem.write_u64(Hpa::new(at), new)?;
        if is_leaf(new, level) {
            let list = self.rmap.entry(address_field(new, 52) >> 12).or_default();
            if !list.contains(&at) {
                list.push(at);
            }
        }
        sink.event(&Event::ShadowFill {
            level,
            entry_addr: Hpa::new(at),
            old,
            entry: new,
            prefetch,
        });
        Ok(())
    }

    /// Drops a shadow entry (no memory is allocated by dropping).
    fn drop_spte<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        at: u64,
        level: Level,
        sink: &mut K,
    ) {
        let old = mem.read_u64(Hpa::new(at));
        if old & P == 0 {
            return;
        }
        if is_leaf(old, level) {
            if let Some(list) = self.rmap.get_mut(&(address_field(old, 52) >> 12)) {
                list.retain(|&a| a != at);
            }
        } else if let Some(key) = self.by_frame.get(&(address_field(old, 52) >> 12)).copied() {
            if let Some(c) = self.pages.get_mut(&key) {
                c.parents.retain(|&p| p != at);
            }
        }
        mem.update_existing(Hpa::new(at), 0);
        sink.event(&Event::ShadowFill {
            level,
            entry_addr: Hpa::new(at),
            old,
            entry: 0,
            prefetch: false,
        });
    }

    /// The host's MMU notifier for guest frames `[first, first + count)`
    /// (`kvm_unmap_gfn_range` -> `kvm_zap_rmap`): every leaf shadow entry that maps them is
    /// dropped (large leaves that cover them too) and a TLB flush is requested. The shadow
    /// pages themselves stay. Returns how many entries were dropped.
    pub fn unmap_frames<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        first: u64,
        count: u64,
        sink: &mut K,
    ) -> u64 {
        let mut dropped = 0;
        for g in first..first + count {
            let Some(h) = ram.gpa_to_hpa(Gpa::new(g << 12)) else {
                continue;
            };
            // A large leaf is listed under its first frame.
            let f = h.frame().raw();
            for (level, base) in [
                (Level::L1, f),
                (Level::L2, f & !511),
                (Level::L3, f & !0x3ffff),
            ] {
                for at in self.rmap.get(&base).cloned().unwrap_or_default() {
                    if self.level_of_entry(at) == level {
                        self.drop_spte(mem, at, level, sink);
                        dropped += 1;
                    }
                }
            }
        }
        if dropped > 0 {
            self.flush_request = true;
        }
        dropped
    }

    fn level_of_entry(&self, at: u64) -> Level {
        self.by_frame
            .get(&(at >> 12))
            .map_or(Level::L1, |k| k.level)
    }

    /// The shadow page for `key`, created on first use (`kvm_mmu_get_shadow_page`); a new
    /// page of a guest table write-protects that table's frame.
    fn get_sp<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
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
            },
        );
        self.by_frame.insert(hpa >> 12, key);
        sink.event(&Event::ShadowPageAlloc {
            gfn: key.gfn,
            level: key.level,
            direct: key.direct,
            hpa: Hpa::new(hpa),
        });
        if !key.direct {
            let list = self.of_gfn.entry(key.gfn.raw()).or_default();
            list.push(key);
            if list.len() == 1 {
                // account_shadowed: write-protect existing mappings of the guest table.
                sink.event(&Event::WriteProtect { gfn: key.gfn });
                if self.write_protect(mem, ram, key.gfn, sink)? {
                    self.flush_request = true;
                }
            }
        }
        Ok((hpa, true))
    }

    /// Makes every writable leaf mapping of `gfn` read-only (KVM's `rmap_write_protect`);
    /// returns whether any changed, so the caller requests a TLB flush.
    fn write_protect<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        gfn: Gfn,
        sink: &mut K,
    ) -> Result<bool, BuildError> {
        let mut changed = false;
        let Some(hfn) = ram
            .gpa_to_hpa(Gpa::new(gfn.raw() << 12))
            .map(|h| h.frame().raw())
        else {
            return Ok(false);
        };
        let gfn = Gfn::new(hfn);
        let mut bases = vec![gfn.raw()];
        for size in [PageSize::Size2M, PageSize::Size1G] {
            bases.push(gfn.raw() & !((size.bytes() >> 12) - 1));
        }
        bases.dedup();
        for base in bases {
            for at in self.rmap.get(&base).cloned().unwrap_or_default() {
                let e = mem.read_u64(Hpa::new(at));
                let level = self.level_of_entry(at);
                let covers = level == Level::L1 && base == gfn.raw()
                    || level
                        .leaf_size()
                        .is_some_and(|s| gfn.raw() - base < s.bytes() >> 12);
                if e & W != 0 && covers {
                    self.set_spte(mem, at, level, e & !(W | D), false, sink)?;
                    changed = true;
                }
            }
        }
        Ok(changed)
    }

    /// The shadow root for a guest CR3, created on first use.
    pub fn root<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        cr3: Gpa,
        sink: &mut K,
    ) -> Result<Hpa, BuildError> {
        let (hpa, _) = self.get_sp(mem, ram, self.root_key(cr3), sink)?;
        Ok(Hpa::new(hpa))
    }

    /// KVM's software walk of the guest tables (`FNAME(walk_addr)`), with the guest's own
    /// rights rules (its CR0.WP, CR4.SMEP/SMAP).
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
            upper: Rights::ALL,
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
            if e & P == 0 {
                return Err(pf(base_code, level));
            }
            if ia32e_reserved(e, level, &self.cpu) {
                return Err(pf(
                    PfErrorCode::PRESENT | PfErrorCode::RESERVED | base_code,
                    level,
                ));
            }
            path.upper = path.rights;
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

    /// Handles a shadow-table #PF that exited to KVM (`FNAME(page_fault)`). `Err` only when
    /// a limit was hit.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_fault<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        host: &mut HostMemory,
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
        let (leaf_level, leaf_gpa, leaf_old) = path.entries[path.len - 1];
        // The prefetch candidates are read during the walk, before the A/D update
        // (`gw->prefetch_ptes`).
        let group_base = leaf_gpa & !(8 * 8 - 1);
        let mut group = [0u64; 8];
        if leaf_level == Level::L1 {
            for (i, g) in group.iter_mut().enumerate() {
                *g = ram
                    .gpa_to_hpa(Gpa::new(group_base + 8 * i as u64))
                    .map_or(0, |h| mem.read_u64(h));
            }
        }
        // Set guest A/D flags in software (FNAME(update_accessed_dirty_bits)).
        let mut leaf_entry = leaf_old;
        for i in 0..path.len {
            let (level, gpa, e) = path.entries[i];
            let mut new = e | A;
            if i == path.len - 1 && access.is_write() {
                new |= D;
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
        let gsize = path.size;
        let page_gpa = address_field(leaf_entry, self.cpu.maxphyaddr) & !(gsize.bytes() - 1);
        let target_gpa = page_gpa | gva.page_offset(gsize);
        let gfn = Gfn::new(target_gpa >> 12);
        if ram.gpa_to_hpa(Gpa::new(target_gpa)).is_none() {
            // Not RAM: KVM would emulate MMIO; pagewalk has no devices, so the access fails
            // as a not-present #PF.
            return Ok(FaultFix::Inject(Fault::PageFault {
                gva,
                code: error_code_bits(access, ctl),
                level: leaf_level,
            }));
        }
        // The host page (`kvm_faultin_pfn` -> `hva_to_pfn`).
        if access.is_write() && host.state(gfn).copied_on_write() {
            // The zero page or a KSM page: the host copies it, and its MMU notifier drops
            // KVM's mappings of the old page first; the fault is retried.
            host.copy_on_write(gfn, sink);
            let frames = host.page_frames(gfn);
            self.unmap_frames(mem, ram, frames.start, frames.end - frames.start, sink);
            return Ok(FaultFix::Retry);
        }
        let host_state = host.fault_in(gfn, access.is_write(), sink);
        let host_writable = host_state.writable();

        // The rights of the new leaf (FNAME(gpte_access), protect_clean_gpte, and the
        // CR0.WP = 0 case of FNAME(page_fault)).
        let mut rights = path.rights;
        if access.is_write() && !rights.writable && !ctl.wp && !access.is_user() {
            rights.writable = true;
            rights.user = false;
            if ctl.smep {
                rights.no_execute = true;
            }
        }
        // A read of a clean page maps it read-only, so that the first write faults and KVM
        // sets D (protect_clean_gpte; on a write fault D is set already).
        if leaf_entry & D == 0 {
            rights.writable = false;
        }

        // Link shadow pages for the guest tables below the root (FNAME(fetch)).
        let mut sp_key = self.root_key(cr3);
        let (mut sp, _) = self.get_sp(mem, ram, sp_key, sink)?;
        let mut above = Rights::ALL;
        for i in 0..path.len - 1 {
            let (level, _, e) = path.entries[i];
            above = above.and_entry(e, self.cpu.nxe);
            let child_key = SpKey {
                gfn: Gfn::new(address_field(e, self.cpu.maxphyaddr) >> 12),
                level: level.below().unwrap_or(Level::L1),
                direct: false,
                access: above.pack(),
            };
            // Using a shadow page clears its write-flooding count (FNAME(fetch)).
            if let Some(p) = self.pages.get_mut(&sp_key) {
                p.flood = 0;
            }
            let existed = self.pages.contains_key(&child_key);
            let (child, _) = self.get_sp(mem, ram, child_key, sink)?;
            if self.link(mem, sp, level, gva, child, sink)? && existed {
                // Relinking a shadow page that was found in KVM's hash
                // (`kvm_mmu_find_shadow_page`): an unsync page gets its entries synced in
                // place (it stays unsync), and one with unsync pages below it makes KVM sync
                // the root before the next entry.
                if self.pages.get(&child_key).is_some_and(|c| c.unsync) {
                    for i in 0..512 {
                        if self.sync_entry(mem, ram, child_key, child, i, sink)? {
                            self.flush_request = true;
                        }
                    }
                }
                if self.has_unsync_children(mem, child) {
                    self.sync_request = true;
                }
            }
            sp = child;
            sp_key = child_key;
        }
        if let Some(p) = self.pages.get_mut(&sp_key) {
            p.flood = 0;
        }

        // The leaf: as large as the guest page, the host backing and the memslot allow.
        let size = self.leaf_size(ram, host, gsize, Gpa::new(target_gpa));
        let mut level = leaf_level;
        while level > size.leaf_level() {
            let below = level.below().unwrap_or(Level::L1);
            let region = target_gpa & !(level.leaf_size().unwrap_or(gsize).bytes() - 1);
            let key = SpKey {
                gfn: Gfn::new(region >> 12),
                level: below,
                direct: true,
                access: rights.pack(),
            };
            let (child, _) = self.get_sp(mem, ram, key, sink)?;
            self.link(mem, sp, level, gva, child, sink)?;
            sp = child;
            sp_key = key;
            level = below;
        }
        let frame_gpa = target_gpa & !(size.bytes() - 1);
        let Some(hpa) = ram.gpa_to_hpa(Gpa::new(frame_gpa)) else {
            return Ok(FaultFix::Fixed);
        };
        let mut spte = leaf_spte(hpa.raw(), rights, size);
        if host_writable {
            spte |= HOST_WRITABLE;
        }
        let mut writable = rights.writable && host_writable;
        let mut emulate = false;
        let frame = Gfn::new(frame_gpa >> 12);
        if writable && self.is_protected(frame) && !self.try_unsync(frame, sink) {
            // A write-protected guest table: map it read-only; a write is emulated.
            writable = false;
            emulate = access.is_write();
        }
        if writable {
            spte |= W | D;
        }
        let at = sp + 8 * size.leaf_level().index(gva.raw()) as u64;
        if mem.read_u64(Hpa::new(at)) == spte && !emulate {
            // Already right (its path had been cut, or another vCPU fixed it).
            return Ok(FaultFix::Spurious);
        }
        self.set_spte(mem, at, size.leaf_level(), spte, false, sink)?;
        if emulate {
            return Ok(FaultFix::Emulated {
                gpa: Gpa::new(target_gpa & !7),
            });
        }
        if size == PageSize::Size4K {
            if sp_key.direct {
                self.direct_prefetch(mem, ram, host, sp, sp_key, at, sink)?;
            } else {
                self.prefetch(mem, ram, host, at, path.upper, &group, sink)?;
            }
        }
        Ok(FaultFix::Fixed)
    }

    /// `FNAME(pte_prefetch)`: the other entries of the aligned group of 8, in order, until
    /// one cannot be prefetched.
    #[allow(clippy::too_many_arguments)]
    fn prefetch<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        host: &HostMemory,
        faulting: u64,
        upper: Rights,
        group: &[u64; 8],
        sink: &mut K,
    ) -> Result<(), BuildError> {
        let base = faulting & !(8 * 8 - 1);
        for (i, &gpte) in group.iter().enumerate() {
            let at = base + 8 * i as u64;
            if at == faulting || mem.read_u64(Hpa::new(at)) & P != 0 {
                continue;
            }
            // FNAME(prefetch_invalid_gpte): not present, not accessed, reserved bits.
            if gpte & P == 0 || gpte & A == 0 || ia32e_reserved(gpte, Level::L1, &self.cpu) {
                break;
            }
            let gfn = Gfn::new(address_field(gpte, self.cpu.maxphyaddr) >> 12);
            // gfn_to_pfn_memslot_atomic with a write: the host page must exist, writable.
            let Some(hpa) = ram.gpa_to_hpa(Gpa::new(gfn.raw() << 12)) else {
                break;
            };
            if host.state(gfn) != HostPageState::Allocated {
                break;
            }
            let rights = upper.and_entry(gpte, self.cpu.nxe);
            let mut spte = leaf_spte(hpa.raw(), rights, PageSize::Size4K) | HOST_WRITABLE;
            if rights.writable && gpte & D != 0 && !self.is_protected(gfn) {
                spte |= W | D;
            }
            self.set_spte(mem, at, Level::L1, spte, true, sink)?;
        }
        Ok(())
    }

    /// `__direct_pte_prefetch`: runs of empty entries around the faulting one, each filled
    /// with the leading run of present, writable host pages (`gfn_to_page_many_atomic`).
    #[allow(clippy::too_many_arguments)]
    fn direct_prefetch<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        host: &HostMemory,
        sp: u64,
        key: SpKey,
        faulting: u64,
        sink: &mut K,
    ) -> Result<(), BuildError> {
        let base = faulting & !(8 * 8 - 1);
        let rights = Rights::unpack(key.access);
        let mut i = 0u64;
        while i < 8 {
            let at = base + 8 * i;
            if at == faulting || mem.read_u64(Hpa::new(at)) & P != 0 {
                i += 1;
                continue;
            }
            let start = i;
            while i < 8 && base + 8 * i != faulting && mem.read_u64(Hpa::new(base + 8 * i)) & P == 0
            {
                i += 1;
            }
            let mut n = 0;
            while start + n < i {
                let idx = (base - sp) / 8 + start + n;
                let g = Gfn::new(key.gfn.raw() + idx);
                if host.state(g) != HostPageState::Allocated {
                    break;
                }
                n += 1;
            }
            if n == 0 {
                return Ok(());
            }
            for k in 0..n {
                let idx = (base - sp) / 8 + start + k;
                let g = Gfn::new(key.gfn.raw() + idx);
                let Some(hpa) = ram.gpa_to_hpa(Gpa::new(g.raw() << 12)) else {
                    return Ok(());
                };
                let mut spte = leaf_spte(hpa.raw(), rights, PageSize::Size4K) | HOST_WRITABLE;
                if rights.writable && !self.is_protected(g) {
                    spte |= W | D;
                }
                self.set_spte(mem, base + 8 * (start + k), Level::L1, spte, true, sink)?;
            }
        }
        Ok(())
    }

    /// Points the entry for `gva` at `level` in shadow page `sp` to `child`, unless it does;
    /// returns whether it had to link.
    fn link<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        sp: u64,
        level: Level,
        gva: Gva,
        child: u64,
        sink: &mut K,
    ) -> Result<bool, BuildError> {
        let at = sp + 8 * level.index(gva.raw()) as u64;
        let cur = mem.read_u64(Hpa::new(at));
        if cur & P != 0 && cur & PS == 0 && address_field(cur, 52) == child {
            return Ok(false);
        }
        if cur & P != 0 {
            // A link to a shadow page of another role (a direct page made for other rights):
            // unlinked, and the TLB flushed (`validate_direct_spte`).
            self.drop_spte(mem, at, level, sink);
            self.flush_request = true;
        }
        self.set_spte(mem, at, level, child | SPTE_TABLE, false, sink)?;
        if let Some(key) = self.by_frame.get(&(child >> 12)).copied() {
            if let Some(c) = self.pages.get_mut(&key) {
                c.parents.push(at);
            }
        }
        Ok(true)
    }

    /// The largest leaf KVM makes here: no larger than the guest page or the host page, the
    /// memslot must line up, and no shadowed guest table may lie inside
    /// (`kvm_mmu_hugepage_adjust`, `disallow_lpage`).
    fn leaf_size(&self, ram: &GuestRam, host: &HostMemory, guest: PageSize, gpa: Gpa) -> PageSize {
        for size in [PageSize::Size1G, PageSize::Size2M] {
            if size > guest || size > host.page_size_at(gpa.frame()) {
                continue;
            }
            let base = gpa.align_down(size);
            let Some(slot) = ram.slot_of(base.frame()) else {
                continue;
            };
            let frames = size.bytes() >> 12;
            let aligned = (slot.hfn.raw().wrapping_sub(slot.gfn.raw())) % frames == 0;
            let inside = base.frame().raw() + frames <= slot.gfn.raw() + slot.frames;
            let holds_table = self
                .of_gfn
                .keys()
                .any(|&g| g >= base.frame().raw() && g < base.frame().raw() + frames);
            if aligned && inside && !holds_table {
                return size;
            }
        }
        PageSize::Size4K
    }

    /// `mmu_try_to_unsync_pages`: a guest table frame may stay writable if unsync is allowed
    /// and every shadow page of it is a level-1 page; those go unsync.
    fn try_unsync<K: EventSink>(&mut self, gfn: Gfn, sink: &mut K) -> bool {
        if !self.cfg.unsync {
            return false;
        }
        let keys = self.of_gfn.get(&gfn.raw()).cloned().unwrap_or_default();
        if keys.is_empty() || keys.iter().any(|k| k.level != Level::L1) {
            return false;
        }
        for k in keys {
            if let Some(sp) = self.pages.get_mut(&k) {
                if !sp.unsync {
                    sp.unsync = true;
                    sink.event(&Event::Unsync { gfn });
                }
            }
        }
        true
    }

    /// Whether a store to this guest-physical address would trap (its frame holds a shadowed
    /// guest table that cannot go unsync).
    pub fn write_traps(&self, gpa: Gpa) -> bool {
        self.of_gfn.get(&gpa.frame().raw()).is_some_and(|keys| {
            keys.iter()
                .any(|k| self.pages.get(k).is_some_and(|sp| !sp.unsync))
        })
    }

    /// A store to a guest table through an entry already in the shadow tables, with no fault
    /// of its own (the scenario's `pte_write`): returns whether the write traps, after making
    /// the table unsync where KVM would.
    pub fn store_traps<K: EventSink>(&mut self, gpa: Gpa, sink: &mut K) -> bool {
        if !self.write_traps(gpa) {
            return false;
        }
        !self.try_unsync(gpa.frame(), sink)
    }

    /// `kvm_mmu_track_write`: after an emulated write to guest memory (the data is already
    /// stored), zap the shadow entries of the written guest entry in every shadow page of
    /// that table, or the whole page when a non-leaf one is written three times with no fault
    /// walking through it (flooding).
    pub fn track_write<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        gpa: Gpa,
        sink: &mut K,
    ) -> Result<(), BuildError> {
        if !self.has_indirect_pages() {
            return Ok(());
        }
        sink.event(&Event::EmulatedWrite { gpa: Some(gpa) });
        let keys = self
            .of_gfn
            .get(&gpa.frame().raw())
            .cloned()
            .unwrap_or_default();
        let index = (gpa.raw() & 0xfff) / 8;
        for k in keys {
            let Some(sp) = self.pages.get_mut(&k) else {
                continue;
            };
            if k.level != Level::L1 {
                sp.flood += 1;
                if sp.flood >= 3 {
                    self.zap(mem, k, true, sink);
                    self.flush_request = true;
                    continue;
                }
            }
            let at = sp.hpa + 8 * index;
            if mem.read_u64(Hpa::new(at)) & P != 0 {
                self.drop_spte(mem, at, k.level, sink);
                self.flush_request = true;
            }
        }
        Ok(())
    }

    /// Drops a shadow page (`kvm_mmu_prepare_zap_page`): its entries, the links to it, its
    /// write protection.
    fn zap<K: EventSink>(&mut self, mem: &mut PhysMemory, key: SpKey, flooded: bool, sink: &mut K) {
        let Some(sp) = self.pages.get(&key).cloned() else {
            return;
        };
        for i in 0..512u64 {
            self.drop_spte(mem, sp.hpa + 8 * i, key.level, sink);
        }
        for p in sp.parents.clone() {
            let e = mem.read_u64(Hpa::new(p));
            if e & P != 0 && address_field(e, 52) == sp.hpa {
                let level = self.level_of_entry(p);
                self.drop_spte(mem, p, level, sink);
            }
        }
        self.pages.remove(&key);
        self.by_frame.remove(&(sp.hpa >> 12));
        self.pool.release(sp.hpa);
        if !key.direct {
            if let Some(list) = self.of_gfn.get_mut(&key.gfn.raw()) {
                list.retain(|k| *k != key);
                if list.is_empty() {
                    self.of_gfn.remove(&key.gfn.raw());
                }
            }
        }
        sink.event(&Event::ShadowZap {
            gfn: key.gfn,
            level: key.level,
            flooded,
            unsync: sp.unsync,
        });
    }

    /// KVM's `unsync_children`: some shadow page below this one (not itself) is unsync.
    fn has_unsync_children(&self, mem: &PhysMemory, sp: u64) -> bool {
        let Some(key) = self.by_frame.get(&(sp >> 12)) else {
            return false;
        };
        if key.level == Level::L1 {
            return false;
        }
        (0..512u64).any(|i| {
            let e = mem.read_u64(Hpa::new(sp + 8 * i));
            if e & P == 0 || e & PS != 0 {
                return false;
            }
            let child = address_field(e, 52);
            self.by_frame.get(&(child >> 12)).is_some_and(|k| {
                self.pages.get(k).is_some_and(|c| c.unsync) || self.has_unsync_children(mem, child)
            })
        })
    }

    /// `FNAME(sync_spte)` for entry `i` of an unsync level-1 page: drop it if its guest entry
    /// is no longer valid or points elsewhere, update its rights if they changed. Returns
    /// whether a flush is due.
    fn sync_entry<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        key: SpKey,
        hpa: u64,
        i: u64,
        sink: &mut K,
    ) -> Result<bool, BuildError> {
        let at = hpa + 8 * i;
        let spte = mem.read_u64(Hpa::new(at));
        if spte & P == 0 {
            return Ok(false);
        }
        let gpte = ram
            .gpa_to_hpa(Gpa::new((key.gfn.raw() << 12) + 8 * i))
            .map_or(0, |h| mem.read_u64(h));
        if gpte & P == 0 || gpte & A == 0 || ia32e_reserved(gpte, Level::L1, &self.cpu) {
            self.drop_spte(mem, at, Level::L1, sink);
            return Ok(true);
        }
        let gfn = address_field(gpte, self.cpu.maxphyaddr) >> 12;
        let Some(host) = ram.gpa_to_hpa(Gpa::new(gfn << 12)) else {
            self.drop_spte(mem, at, Level::L1, sink);
            return Ok(true);
        };
        if host.raw() != address_field(spte, 52) {
            self.drop_spte(mem, at, Level::L1, sink);
            return Ok(true);
        }
        let rights = Rights::unpack(key.access).and_entry(gpte, self.cpu.nxe);
        let host_writable = spte & HOST_WRITABLE != 0;
        let mut new = leaf_spte(host.raw(), rights, PageSize::Size4K) | (spte & HOST_WRITABLE);
        // Writable only if the guest entry is dirty, the host page was writable when the entry
        // was made, and the frame is not a shadowed table (make_spte, no unsync here).
        if rights.writable && host_writable && gpte & D != 0 && !self.is_protected(Gfn::new(gfn)) {
            new |= W | D;
        }
        if new == spte {
            return Ok(false);
        }
        self.set_spte(mem, at, Level::L1, new, false, sink)?;
        // `mmu_spte_update` asks for a flush when the entry loses write access; a change of
        // U/S or NX alone is left for the guest's own flush (measured on this project's host).
        Ok(spte & W != 0 && new & W == 0)
    }

    fn sync_page<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        key: SpKey,
        sink: &mut K,
    ) -> Result<bool, BuildError> {
        let Some(sp) = self.pages.get_mut(&key) else {
            return Ok(false);
        };
        sp.unsync = false;
        let hpa = sp.hpa;
        let mut flush = false;
        let mut changed = 0;
        for i in 0..512 {
            if self.sync_entry(mem, ram, key, hpa, i, sink)? {
                flush = true;
                changed += 1;
            }
        }
        sink.event(&Event::Resync {
            gfn: key.gfn,
            changed,
        });
        Ok(flush)
    }

    /// The unsync shadow pages reachable from a shadow page.
    fn unsync_below(&self, mem: &PhysMemory, sp: u64, out: &mut Vec<SpKey>) {
        let Some(&key) = self.by_frame.get(&(sp >> 12)) else {
            return;
        };
        if self.pages.get(&key).is_some_and(|p| p.unsync) && !out.contains(&key) {
            out.push(key);
        }
        if key.level == Level::L1 {
            return;
        }
        for i in 0..512u64 {
            let e = mem.read_u64(Hpa::new(sp + 8 * i));
            if e & P != 0 && e & PS == 0 {
                self.unsync_below(mem, address_field(e, 52), out);
            }
        }
    }

    /// `kvm_mmu_sync_roots` for the root of `cr3`: write-protect every unsync table below it
    /// again, then bring those shadow pages in sync (`mmu_sync_children`); requests a flush if
    /// anything changed. Unsync pages under other roots stay unsync.
    pub fn sync_root<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        cr3: Gpa,
        sink: &mut K,
    ) -> Result<(), BuildError> {
        let Some(root) = self.root_of(cr3) else {
            return Ok(());
        };
        let mut unsync = Vec::new();
        self.unsync_below(mem, root.raw(), &mut unsync);
        if unsync.is_empty() {
            return Ok(());
        }
        unsync.sort();
        let mut gfns: Vec<Gfn> = unsync.iter().map(|k| k.gfn).collect();
        gfns.dedup();
        for &gfn in &gfns {
            if self.write_protect(mem, ram, gfn, sink)? {
                self.flush_request = true;
            }
        }
        for key in unsync {
            if self.sync_page(mem, ram, key, sink)? {
                self.flush_request = true;
            }
        }
        Ok(())
    }

    /// A new CR3 (KVM's `kvm_mmu_new_pgd`): a guest MOV CR3 keeps the old root among up to
    /// three cached previous roots and finds the new one there if it can
    /// (`cached_root_find_and_keep_current`); a host KVM_SET_SREGS drops them all
    /// (`kvm_mmu_reset_context`). Returns whether the new root was cached.
    pub fn switch_root(&mut self, old: Gpa, new: Gpa, by_guest: bool) -> bool {
        if !by_guest {
            self.prev_roots.clear();
            return false;
        }
        if old == new {
            return true;
        }
        let cached = if let Some(i) = self.prev_roots.iter().position(|&r| r == new) {
            self.prev_roots.remove(i);
            true
        } else {
            false
        };
        self.prev_roots.insert(0, old);
        self.prev_roots.truncate(3);
        cached
    }

    /// Guest INVLPG (`kvm_mmu_invlpg`): every unsync shadow page on the path of `gva` gets
    /// that entry brought in sync (the page stays unsync). Returns whether an entry changed.
    pub fn invlpg<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        cr3: Gpa,
        gva: Gva,
        sink: &mut K,
    ) -> Result<bool, BuildError> {
        // Every root KVM has loaded: the current one and the cached previous ones
        // (`KVM_MMU_ROOTS_ALL`).
        let mut changed = false;
        let roots: Vec<Gpa> = std::iter::once(cr3)
            .chain(self.prev_roots.iter().copied())
            .collect();
        for r in roots {
            changed |= self.invlpg_root(mem, ram, r, gva, sink)?;
        }
        Ok(changed)
    }

    fn invlpg_root<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        cr3: Gpa,
        gva: Gva,
        sink: &mut K,
    ) -> Result<bool, BuildError> {
        let Some(root) = self.root_of(cr3) else {
            return Ok(false);
        };
        let mut sp = root.raw();
        let mut level = self.levels.top();
        while level > Level::L1 {
            let e = mem.read_u64(Hpa::new(sp + 8 * level.index(gva.raw()) as u64));
            if e & P == 0 || e & PS != 0 {
                return Ok(false);
            }
            sp = address_field(e, 52);
            level = level.below().unwrap_or(Level::L1);
        }
        let Some(key) = self.by_frame.get(&(sp >> 12)).copied() else {
            return Ok(false);
        };
        if !self.pages.get(&key).is_some_and(|p| p.unsync) {
            return Ok(false);
        }
        let changed =
            self.sync_entry(mem, ram, key, sp, Level::L1.index(gva.raw()) as u64, sink)?;
        if changed {
            self.flush_request = true;
        }
        Ok(changed)
    }
}

/// A leaf shadow entry without write access: present, accessed, the rights the guest grants.
fn leaf_spte(hpa: u64, rights: Rights, size: PageSize) -> u64 {
    let mut spte = hpa | P | A;
    if rights.user {
        spte |= PteFlags::USER.bits();
    }
    if rights.no_execute {
        spte |= PteFlags::NO_EXECUTE.bits();
    }
    if size != PageSize::Size4K {
        spte |= PS;
    }
    spte
}

fn is_leaf(e: u64, level: Level) -> bool {
    e & P != 0 && ia32e_is_leaf(e, level)
}
