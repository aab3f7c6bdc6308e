//! A model of KVM's shadow MMU accounting: given the guest's page tables and the guest
//! program's memory accesses, predict KVM's counters (`pf_fixed`, `mmu_cache_miss`,
//! `pages_4k`, `tlb_flush`, ...). Pure: no KVM needed, tested natively.
//!
//! The rules come from Linux `arch/x86/kvm/mmu/mmu.c` and `paging_tmpl.h` (6.x) and were
//! checked by experiment on this project's host (a PVM KVM with shadow paging):
//! - every shadow-table miss is a #PF exit (`pf_taken`); KVM walks the guest tables in software
//!   (`FNAME(walk_addr)`), sets the guest's A (and, on a write, D) flags, and either injects the
//!   fault (`pf_guest`) or installs the missing shadow entries (`pf_fixed`);
//! - a shadow page per (guest table, level) and per guest large page mapped with small pages
//!   (a *direct* page), created once (`mmu_cache_miss`), kept across CR3 switches;
//! - a read of a host page that was never touched maps the host's zero page read-only; a later
//!   write copies it on write, which zaps the shadow entry and requests a TLB flush: that fault
//!   is retried (`pf_taken` without `pf_fixed`) and the next one fixes;
//! - a read of a clean guest page (D=0) maps it read-only (`FNAME(protect_clean_gpte)`);
//! - after a 4 KiB fault KVM prefetches the other entries of the aligned group of 8
//!   (`FNAME(pte_prefetch)`): each guest PTE must be present and accessed, and the host page
//!   present and writable (`gfn_to_pfn_memslot_atomic` with a write), else the scan stops;
//! - a host CR3 load (`KVM_SET_SREGS`) requests a full TLB flush (`tlb_flush`);
//! - `exits` counts every exit: page faults and the guest's `out` instructions.

use pagewalk_core::entry::{address_field, PteFlags};
use pagewalk_core::{Level, PageSize};
use std::collections::{BTreeMap, HashMap};

/// The guest's memory as KVM sees it at the start: page-table frames and which host pages
/// already exist.
#[derive(Clone, Debug)]
pub struct Image {
    /// Guest page-table frames by guest frame number.
    pub tables: HashMap<u64, Box<[u64; 512]>>,
    /// CR3 of each address space.
    pub roots: Vec<u64>,
    /// Guest frames whose host pages the host wrote before the run (present and writable).
    pub host_written: Vec<u64>,
    /// Every host page was touched before the run (QEMU's -mem-prealloc).
    pub prealloc: bool,
    /// MAXPHYADDR of the guest (for the address field of entries).
    pub maxphyaddr: u8,
    /// The page size of the host memory behind guest RAM (4 KiB anonymous; 2 MiB for THP and
    /// hugetlbfs 2 MiB; 1 GiB for hugetlbfs 1 GiB).
    pub host_page: PageSize,
    /// Whether a read of an untouched host page maps a (huge) zero page: anonymous memory and
    /// THP do, hugetlbfs does not.
    pub zero_page: bool,
}

impl Default for Image {
    fn default() -> Self {
        Image {
            tables: HashMap::new(),
            roots: Vec::new(),
            host_written: Vec::new(),
            prealloc: false,
            maxphyaddr: 46,
            host_page: PageSize::Size4K,
            zero_page: true,
        }
    }
}

/// One memory-relevant action of the guest program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestOp {
    /// A data read, or an instruction fetch (same rules for the shadow MMU).
    Read(u64),
    /// A data write.
    Write(u64),
    /// An `out` to the host.
    Out,
    /// The host loads this address space's CR3 (after the `out` that asked for it).
    Cr3(usize),
    /// A round trip through the CPL-0 trampoline that does nothing.
    Trap,
    /// The guest loads this address space's CR3 itself, through the trampoline.
    GuestCr3(usize),
    /// INVLPG through the trampoline.
    Invlpg(u64),
    /// The guest writes one of its page-table entries through a writable alias mapping:
    /// `alias` is the linear address it writes, `gfn`/`index` the entry. With `modify`, the
    /// guest reads the entry first and writes `(old | set) & !clear`; otherwise it writes
    /// `set`.
    PteWrite {
        /// Linear address of the entry in the alias mapping.
        alias: u64,
        /// Guest frame of the table.
        gfn: u64,
        /// Entry index.
        index: usize,
        /// Read-modify-write (true) or a plain store of `set` (false).
        modify: bool,
        /// Bits to set (or the whole value).
        set: u64,
        /// Bits to clear.
        clear: u64,
    },
}

/// How a shadow fault ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fixed {
    /// The access can proceed (entries installed, or a #PF injected).
    Done,
    /// KVM retried (the zero page was copied on write).
    Retry,
    /// The write hit a write-protected guest table and was emulated.
    Emulated,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Spte {
    #[default]
    None,
    Table(usize),
    Leaf {
        gfn: u64,
        writable: bool,
        size: PageSize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    gfn: u64,
    level: u8,
    direct: bool,
    access: u8,
}

struct Sp {
    key: Key,
    sptes: Box<[Spte; 512]>,
    unsync: bool,
    flood: u8,
    live: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Host {
    Absent,
    Zero,
    Writable,
}

/// The model's state.
pub struct Model {
    tables: HashMap<u64, Box<[u64; 512]>>,
    roots: Vec<u64>,
    current: usize,
    addr_mask: u64,
    sps: Vec<Sp>,
    index: HashMap<Key, usize>,
    protected: HashMap<u64, u32>,
    rmap: HashMap<u64, Vec<(usize, usize)>>,
    host: HashMap<u64, Host>,
    prealloc: bool,
    host_frames: u64,
    zero_page: bool,
    rsvd_high: u64,
    /// A TLB flush was requested; KVM services it (once) at the next VM entry.
    flush_pending: bool,
    /// A sync of unsync pages was requested for the next VM entry.
    sync_pending: bool,
    /// Cumulative counters by KVM's names.
    pub counters: BTreeMap<&'static str, u64>,
}

const W: u64 = PteFlags::WRITABLE.bits();
const A: u64 = PteFlags::ACCESSED.bits();
const D: u64 = PteFlags::DIRTY.bits();
const P: u64 = PteFlags::PRESENT.bits();
const PS: u64 = PteFlags::HUGE_PAGE.bits();

impl Model {
    /// A model of a VM whose vCPU is about to enter address space 0.
    pub fn new(image: Image) -> Self {
        let host_frames = image.host_page.bytes() >> 12;
        let mut host = HashMap::new();
        for &g in image.host_written.iter().chain(image.tables.keys()) {
            host.insert(g & !(host_frames - 1), Host::Writable);
        }
        let mut m = Model {
            tables: image.tables,
            roots: image.roots,
            current: 0,
            addr_mask: pagewalk_core::entry::ADDR_MASK_4K
                & pagewalk_core::entry::physical_mask(image.maxphyaddr),
            sps: Vec::new(),
            index: HashMap::new(),
            protected: HashMap::new(),
            rmap: HashMap::new(),
            host,
            prealloc: image.prealloc,
            host_frames,
            zero_page: image.zero_page,
            rsvd_high: pagewalk_core::entry::high_reserved_bits(image.maxphyaddr),
            flush_pending: false,
            sync_pending: false,
            counters: BTreeMap::new(),
        };
        m.root();
        m
    }

    /// Makes every writable leaf mapping of `gfn` read-only (KVM's `rmap_write_protect`);
    /// returns whether any changed, so the caller requests a TLB flush.
    fn write_protect(&mut self, gfn: u64) -> bool {
        let mut changed = false;
        for (sp, idx) in self.rmap.get(&gfn).cloned().unwrap_or_default() {
            if let Spte::Leaf {
                writable: true,
                gfn,
                size,
            } = self.sps[sp].sptes[idx]
            {
                self.sps[sp].sptes[idx] = Spte::Leaf {
                    gfn,
                    writable: false,
                    size,
                };
                changed = true;
            }
        }
        changed
    }

    /// KVM_REQ_TLB_FLUSH: requests made while the vCPU is out of the guest coalesce into one
    /// flush at the next entry, which is what `tlb_flush` counts.
    fn request_flush(&mut self) {
        self.flush_pending = true;
    }

    fn vm_entry(&mut self) {
        // KVM_REQ_MMU_SYNC is serviced before KVM_REQ_TLB_FLUSH, so its flushes coalesce.
        if std::mem::take(&mut self.sync_pending) {
            self.sync_all();
        }
        if std::mem::take(&mut self.flush_pending) {
            self.bump("tlb_flush", 1);
        }
    }

    fn bump(&mut self, k: &'static str, n: u64) {
        *self.counters.entry(k).or_insert(0) += n;
    }

    /// The state of the host page (of the backing's size) holding `gfn`.
    fn host_state(&self, gfn: u64) -> Host {
        if self.prealloc {
            return Host::Writable;
        }
        self.host
            .get(&(gfn & !(self.host_frames - 1)))
            .copied()
            .unwrap_or(Host::Absent)
    }

    fn set_host(&mut self, gfn: u64, h: Host) {
        if !self.prealloc {
            self.host.insert(gfn & !(self.host_frames - 1), h);
        }
    }

    fn gpte(&self, table_gfn: u64, index: usize) -> u64 {
        self.tables.get(&table_gfn).map_or(0, |t| t[index])
    }

    fn root(&mut self) -> usize {
        let cr3 = self.roots.get(self.current).copied().unwrap_or(0);
        self.get_sp(Key {
            gfn: cr3 >> 12,
            level: 4,
            direct: false,
            access: 0,
        })
    }

    fn get_sp(&mut self, key: Key) -> usize {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.bump("mmu_cache_miss", 1);
        let i = self.sps.len();
        self.sps.push(Sp {
            key,
            unsync: false,
            flood: 0,
            live: true,
            sptes: Box::new([Spte::None; 512]),
        });
        self.index.insert(key, i);
        if !key.direct {
            let c = self.protected.entry(key.gfn).or_insert(0);
            *c += 1;
            if *c == 1 {
                // Write-protect existing mappings of the new guest table (rmap_write_protect).
                if self.write_protect(key.gfn) {
                    self.request_flush();
                }
            }
        }
        i
    }

    fn set_leaf(&mut self, sp: usize, idx: usize, gfn: u64, writable: bool, size: PageSize) {
        if matches!(self.sps[sp].sptes[idx], Spte::None) {
            self.bump(
                match size {
                    PageSize::Size4K => "pages_4k",
                    PageSize::Size2M => "pages_2m",
                    PageSize::Size1G => "pages_1g",
                },
                1,
            );
        }
        self.sps[sp].sptes[idx] = Spte::Leaf {
            gfn,
            writable,
            size,
        };
        let list = self.rmap.entry(gfn).or_default();
        if !list.contains(&(sp, idx)) {
            list.push((sp, idx));
        }
    }

    fn drop_leaf(&mut self, sp: usize, idx: usize) {
        if let Spte::Leaf { size, .. } = self.sps[sp].sptes[idx] {
            let k = match size {
                PageSize::Size4K => "pages_4k",
                PageSize::Size2M => "pages_2m",
                PageSize::Size1G => "pages_1g",
            };
            *self.counters.entry(k).or_insert(0) -= 1;
            self.sps[sp].sptes[idx] = Spte::None;
        }
    }

    /// Whether the shadow tables allow the access now (no fault).
    fn shadow_allows(&self, gva: u64, write: bool) -> bool {
        let cr3 = self.roots.get(self.current).copied().unwrap_or(0);
        let Some(&mut_root) = self.index.get(&Key {
            gfn: cr3 >> 12,
            level: 4,
            direct: false,
            access: 0,
        }) else {
            return false;
        };
        let mut sp = mut_root;
        for level in (1..=4u8).rev() {
            let l = Level::from_number(level).unwrap_or(Level::L1);
            match self.sps[sp].sptes[l.index(gva)] {
                Spte::None => return false,
                Spte::Table(c) => sp = c,
                Spte::Leaf { writable, .. } => return writable || !write,
            }
        }
        false
    }

    /// Runs one guest action.
    pub fn step(&mut self, op: GuestOp) {
        match op {
            GuestOp::Out => {
                self.vm_entry();
                self.bump("exits", 1);
            }
            GuestOp::Cr3(space) => {
                let space = space.min(self.roots.len().saturating_sub(1));
                if self.roots.get(space) == self.roots.get(self.current) {
                    // KVM_SET_SREGS with an unchanged CR3 does nothing at all (measured).
                    return;
                }
                self.current = space;
                self.request_flush();
                self.root();
                self.sync_all();
            }
            GuestOp::PteWrite {
                alias,
                gfn,
                index,
                modify,
                set,
                clear,
            } => {
                if modify {
                    self.access(alias, false);
                }
                let emulated = self.access(alias, true);
                let old = self.gpte(gfn, index);
                let new = if modify { (old | set) & !clear } else { set };
                if let Some(t) = self.tables.get_mut(&gfn) {
                    t[index] = new;
                }
                if emulated {
                    self.track_write(gfn, index);
                }
            }
            GuestOp::Trap => self.trampoline(),
            GuestOp::GuestCr3(space) => {
                self.trampoline();
                self.current = space.min(self.roots.len().saturating_sub(1));
                self.request_flush();
                self.root();
                self.sync_all();
            }
            GuestOp::Invlpg(gva) => {
                self.trampoline();
                self.bump("invlpg", 1);
                self.invlpg(gva);
            }
            GuestOp::Read(gva) => {
                self.access(gva, false);
            }
            GuestOp::Write(gva) => {
                self.access(gva, true);
            }
        }
    }

    /// A round trip through a CPL-0 handler. Measured on this host (PVM): two exits more than
    /// the exception itself, and the handler's one memory write (`add qword [rsp], n`) is an
    /// emulated write, which KVM's write tracking counts as `mmu_pte_write` whenever shadow
    /// pages exist.
    fn trampoline(&mut self) {
        self.vm_entry();
        self.bump("exits", 2);
        self.bump("mmu_pte_write", 1);
    }

    /// KVM injects the #PF; the guest's handler skips the access and returns: one more exit
    /// and one emulated write (measured on this host, as for [`Model::trampoline`]).
    fn inject(&mut self) {
        self.bump("pf_guest", 1);
        self.bump("exits", 1);
        self.bump("mmu_pte_write", 1);
    }

    /// One guest access; returns whether KVM emulated it (a write to a protected table).
    fn access(&mut self, gva: u64, write: bool) -> bool {
        for _ in 0..4 {
            self.vm_entry();
            if self.shadow_allows(gva, write) {
                return false;
            }
            self.bump("pf_taken", 1);
            self.bump("exits", 1);
            match self.fault(gva, write) {
                Fixed::Done => return false,
                Fixed::Emulated => return true,
                Fixed::Retry => {}
            }
        }
        false
    }

    fn sps_of(&self, gfn: u64) -> Vec<usize> {
        (1..=4u8)
            .filter_map(|level| {
                self.index
                    .get(&Key {
                        gfn,
                        level,
                        direct: false,
                        access: 0,
                    })
                    .copied()
            })
            .collect()
    }

    /// mmu_try_to_unsync_pages: a guest table may stay writable when every shadow page of it
    /// is a level-1 page; those go unsync (`mmu_unsync`).
    fn try_unsync(&mut self, gfn: u64) -> bool {
        let sps = self.sps_of(gfn);
        if sps.is_empty() || sps.iter().any(|&i| self.sps[i].key.level != 1) {
            return false;
        }
        for i in sps {
            if !self.sps[i].unsync {
                self.sps[i].unsync = true;
                self.bump("mmu_unsync", 1);
            }
        }
        true
    }

    /// kvm_mmu_track_write: after an emulated write to a guest table, zap the shadow entries
    /// of the written entry, or the whole shadow page when a non-leaf one is written three
    /// times without being used (flooding).
    fn track_write(&mut self, gfn: u64, index: usize) {
        self.bump("mmu_pte_write", 1);
        let mut flush = false;
        let mut zapped = false;
        for sp in self.sps_of(gfn) {
            if self.sps[sp].key.level != 1 {
                self.sps[sp].flood += 1;
                if self.sps[sp].flood >= 3 {
                    self.zap(sp);
                    self.bump("mmu_flooded", 1);
                    zapped = true;
                    continue;
                }
            }
            match self.sps[sp].sptes[index] {
                Spte::None => {}
                Spte::Leaf { .. } => {
                    self.drop_leaf(sp, index);
                    flush = true;
                }
                Spte::Table(_) => {
                    self.sps[sp].sptes[index] = Spte::None;
                    flush = true;
                }
            }
        }
        if zapped || flush {
            self.request_flush();
        }
    }

    /// Drops a shadow page: its leaves, the links to it, its write protection.
    fn zap(&mut self, sp: usize) {
        self.bump("mmu_shadow_zapped", 1);
        for i in 0..512 {
            if matches!(self.sps[sp].sptes[i], Spte::Leaf { .. }) {
                self.drop_leaf(sp, i);
            }
            self.sps[sp].sptes[i] = Spte::None;
        }
        for other in 0..self.sps.len() {
            for i in 0..512 {
                if self.sps[other].sptes[i] == Spte::Table(sp) {
                    self.sps[other].sptes[i] = Spte::None;
                }
            }
        }
        let key = self.sps[sp].key;
        self.index.remove(&key);
        self.sps[sp].live = false;
        if self.sps[sp].unsync {
            self.sps[sp].unsync = false;
            *self.counters.entry("mmu_unsync").or_insert(0) -= 1;
        }
        if !key.direct {
            if let Some(c) = self.protected.get_mut(&key.gfn) {
                *c -= 1;
                if *c == 0 {
                    self.protected.remove(&key.gfn);
                }
            }
        }
    }

    /// KVM's `unsync_children`: some shadow page below this one (not itself) is unsync.
    fn has_unsync_children(&self, sp: usize) -> bool {
        self.sps[sp].sptes.iter().any(|e| match *e {
            Spte::Table(c) => {
                self.sps[c].live && (self.sps[c].unsync || self.has_unsync_children(c))
            }
            _ => false,
        })
    }

    /// FNAME(sync_spte) for one entry of an unsync page; returns whether it changed.
    fn sync_entry(&mut self, sp: usize, i: usize) -> bool {
        let Spte::Leaf { gfn, .. } = self.sps[sp].sptes[i] else {
            return false;
        };
        let gpte = self.gpte(self.sps[sp].key.gfn, i);
        let new_gfn = (gpte & self.addr_mask) >> 12;
        if gpte & P == 0 || gpte & A == 0 || new_gfn != gfn {
            self.drop_leaf(sp, i);
            return true;
        }
        false
    }

    /// kvm_mmu_sync_roots at a CR3 load: write-protect every unsync table again, then bring
    /// its shadow page in sync.
    fn sync_all(&mut self) {
        let unsync: Vec<usize> = (0..self.sps.len())
            .filter(|&i| self.sps[i].live && self.sps[i].unsync)
            .collect();
        if unsync.is_empty() {
            return;
        }
        let mut protected = false;
        for &sp in &unsync {
            let gfn = self.sps[sp].key.gfn;
            protected |= self.write_protect(gfn);
        }
        if protected {
            self.request_flush();
        }
        let mut flush = false;
        for sp in unsync {
            self.sps[sp].unsync = false;
            *self.counters.entry("mmu_unsync").or_insert(0) -= 1;
            for i in 0..512 {
                flush |= self.sync_entry(sp, i);
            }
        }
        if flush {
            self.request_flush();
        }
    }

    /// kvm_mmu_invlpg: if the level-1 shadow page on the path of `gva` is unsync, sync that
    /// entry.
    fn invlpg(&mut self, gva: u64) {
        let cr3 = self.roots.get(self.current).copied().unwrap_or(0);
        let Some(&root) = self.index.get(&Key {
            gfn: cr3 >> 12,
            level: 4,
            direct: false,
            access: 0,
        }) else {
            return;
        };
        let mut sp = root;
        for level in (2..=4u8).rev() {
            let l = Level::from_number(level).unwrap_or(Level::L1);
            match self.sps[sp].sptes[l.index(gva)] {
                Spte::Table(c) => sp = c,
                _ => return,
            }
        }
        if self.sps[sp].unsync && self.sync_entry(sp, Level::L1.index(gva)) {
            // kvm_flush_remote_tlbs_sptep after a changed entry.
            self.request_flush();
        }
    }

    /// One shadow-table fault.
    fn fault(&mut self, gva: u64, write: bool) -> Fixed {
        // The guest walk in software (FNAME(walk_addr)).
        let cr3 = self.roots.get(self.current).copied().unwrap_or(0);
        let mut table = cr3 >> 12;
        let mut path: Vec<(u64, usize, u8)> = Vec::with_capacity(4);
        let mut writable = true;
        let mut size = PageSize::Size4K;
        let mut leaf = 0;
        for level in (1..=4u8).rev() {
            let l = Level::from_number(level).unwrap_or(Level::L1);
            let idx = l.index(gva);
            let e = self.gpte(table, idx);
            if e & P == 0 {
                self.inject();
                return Fixed::Done;
            }
            if e & self.rsvd_high != 0 || (level == 4 && e & PS != 0) {
                self.inject();
                return Fixed::Done;
            }
            writable &= e & W != 0;
            path.push((table, idx, level));
            if level == 1 || (e & PS != 0 && level <= 3) {
                size = l.leaf_size().unwrap_or(PageSize::Size4K);
                leaf = e;
                break;
            }
            table = address_field(e, 52) >> 12;
        }
        if write && !writable {
            self.inject();
            return Fixed::Done;
        }
        // The prefetch candidates are read before the A/D update of the faulting entry.
        let (leaf_table, leaf_idx, leaf_level) = *path.last().unwrap_or(&(0, 0, 1));
        let group: Vec<u64> = if leaf_level == 1 {
            let base = leaf_idx & !7;
            (base..base + 8).map(|i| self.gpte(leaf_table, i)).collect()
        } else {
            Vec::new()
        };
        // Set A (and D) in the guest entries.
        for (i, &(t, idx, _)) in path.iter().enumerate() {
            let mut bits = A;
            if i == path.len() - 1 && write {
                bits |= D;
            }
            if let Some(tab) = self.tables.get_mut(&t) {
                tab[idx] |= bits;
            }
        }
        let page_gfn = (leaf & self.addr_mask & !(size.bytes() - 1)) >> 12;
        let gfn = page_gfn + ((gva & (size.bytes() - 1)) >> 12);
        // The host page (hva_to_pfn).
        let host = self.host_state(gfn);
        if write && host == Host::Zero {
            // Copy-on-write of the zero page: the MMU notifier zaps the shadow entries of the
            // host page and requests a flush; KVM retries the fault.
            self.set_host(gfn, Host::Writable);
            let base = gfn & !(self.host_frames - 1);
            for g in base..base + self.host_frames {
                for (sp, idx) in self.rmap.get(&g).cloned().unwrap_or_default() {
                    self.drop_leaf(sp, idx);
                }
            }
            self.request_flush();
            return Fixed::Retry;
        }
        let host = match host {
            Host::Absent if write || !self.zero_page => Host::Writable,
            Host::Absent => Host::Zero,
            h => h,
        };
        self.set_host(gfn, host);
        // Link shadow pages for the guest tables below the root (FNAME(fetch)).
        let mut sp = self.root();
        for &(_, idx, level) in &path[..path.len() - 1] {
            let l = Level::from_number(level).unwrap_or(Level::L1);
            let child_table = {
                let e = self.gpte(path_table(&path, level), idx);
                address_field(e, 52) >> 12
            };
            let key = Key {
                gfn: child_table,
                level: level - 1,
                direct: false,
                access: 0,
            };
            // Using a shadow page clears its write-flooding count (FNAME(fetch)).
            self.sps[sp].flood = 0;
            let at = l.index(gva);
            if let Spte::Table(c) = self.sps[sp].sptes[at] {
                if self.sps[c].key == key && self.sps[c].live {
                    sp = c;
                    continue;
                }
            }
            // Linking a shadow page that already exists and has unsync pages below it makes
            // KVM sync the roots before the next entry (kvm_mmu_find_shadow_page:
            // unsync_children -> KVM_REQ_MMU_SYNC).
            let existed = self.index.contains_key(&key);
            let child = self.get_sp(key);
            if existed && self.has_unsync_children(child) {
                self.sync_pending = true;
            }
            self.sps[sp].sptes[at] = Spte::Table(child);
            sp = child;
        }
        self.sps[sp].flood = 0;
        let guest_dirty = leaf & D != 0 || write;
        // The leaf is as large as the guest page and the host page allow, unless the range
        // holds a shadowed guest table (kvm_mmu_hugepage_adjust, disallow_lpage).
        let host_size = self.host_frames << 12;
        let large = if size.bytes() >= host_size {
            host_size
        } else {
            size.bytes()
        };
        if large > 4096 {
            let frames = large >> 12;
            let base = gfn & !(frames - 1);
            if !(base..base + frames).any(|g| self.protected.contains_key(&g)) {
                let at = if large >= 1 << 30 {
                    Level::L3
                } else {
                    Level::L2
                };
                let lsize = if large >= 1 << 30 {
                    PageSize::Size1G
                } else {
                    PageSize::Size2M
                };
                let w = writable && guest_dirty && host == Host::Writable;
                // The guest leaf is at the same level (a guest 2 MiB page on 2 MiB host pages),
                // so the shadow page reached is the one that holds it.
                self.set_leaf(sp, at.index(gva), base, w, lsize);
                self.bump("pf_fixed", 1);
                return Fixed::Done;
            }
        }
        // A guest large page on smaller host pages: a direct page under the guest leaf.
        let mut map_level = leaf_level;
        if size != PageSize::Size4K {
            let l = Level::from_number(leaf_level).unwrap_or(Level::L1);
            let key = Key {
                gfn: page_gfn,
                level: leaf_level - 1,
                direct: true,
                access: u8::from(writable),
            };
            let child = self.get_sp(key);
            self.sps[sp].sptes[l.index(gva)] = Spte::Table(child);
            sp = child;
            map_level = 1;
        }
        let mut spte_w = writable && guest_dirty && host == Host::Writable;
        let mut emulate = false;
        if spte_w && self.protected.contains_key(&gfn) && !self.try_unsync(gfn) {
            // A write-protected guest table: map it read-only; a write is emulated.
            spte_w = false;
            emulate = write;
        }
        let idx = Level::L1.index(gva);
        debug_assert_eq!(map_level, 1);
        let new = Spte::Leaf {
            gfn,
            writable: spte_w,
            size: PageSize::Size4K,
        };
        if self.sps[sp].sptes[idx] == new && !emulate {
            // The entry was already right (its path had been cut): RET_PF_SPURIOUS, and no
            // prefetch.
            self.bump("pf_spurious", 1);
            return Fixed::Done;
        }
        self.set_leaf(sp, idx, gfn, spte_w, PageSize::Size4K);
        if emulate {
            self.bump("pf_emulate", 1);
            return Fixed::Emulated;
        }
        self.bump("pf_fixed", 1);
        // Prefetch (FNAME(pte_prefetch) / __direct_pte_prefetch).
        if self.sps[sp].key.direct {
            self.direct_prefetch(sp, idx, writable);
        } else {
            let base = idx & !7;
            for (j, gpte) in group.iter().enumerate() {
                let i = base + j;
                if i == idx || !matches!(self.sps[sp].sptes[i], Spte::None) {
                    continue;
                }
                if gpte & P == 0 || gpte & A == 0 {
                    continue;
                }
                let g = (gpte & self.addr_mask) >> 12;
                if self.host_state(g) != Host::Writable {
                    break;
                }
                let w = gpte & W != 0 && gpte & D != 0 && !self.protected.contains_key(&g);
                self.set_leaf(sp, i, g, w, PageSize::Size4K);
            }
        }
        Fixed::Done
    }

    fn direct_prefetch(&mut self, sp: usize, idx: usize, writable: bool) {
        let base = idx & !7;
        let region = self.sps[sp].key.gfn;
        let mut i = base;
        while i < base + 8 {
            if i == idx || !matches!(self.sps[sp].sptes[i], Spte::None) {
                i += 1;
                continue;
            }
            let start = i;
            while i < base + 8 && i != idx && matches!(self.sps[sp].sptes[i], Spte::None) {
                i += 1;
            }
            // gfn_to_page_many_atomic: the leading run of present, writable host pages.
            let mut n = 0;
            while start + n < i && self.host_state(region + (start + n) as u64) == Host::Writable {
                n += 1;
            }
            if n == 0 {
                return;
            }
            for k in 0..n {
                let g = region + (start + k) as u64;
                let w = writable && !self.protected.contains_key(&g);
                self.set_leaf(sp, start + k, g, w, PageSize::Size4K);
            }
        }
    }
}

fn path_table(path: &[(u64, usize, u8)], level: u8) -> u64 {
    path.iter().find(|p| p.2 == level).map_or(0, |p| p.0)
}

/// Counters of the measured phase: deltas of cumulative ones, values of gauges.
pub fn measured(
    before: &BTreeMap<&'static str, u64>,
    after: &BTreeMap<&'static str, u64>,
) -> BTreeMap<String, u64> {
    let gauges = ["pages_4k", "pages_2m", "pages_1g", "mmu_unsync"];
    crate::KVM_COUNTERS
        .iter()
        .map(|&k| {
            let a = after.get(k).copied().unwrap_or(0);
            let v = if gauges.contains(&k) {
                a
            } else {
                a - before.get(k).copied().unwrap_or(0)
            };
            (k.to_owned(), v)
        })
        .collect()
}

/// KVM's counters under TDP (EPT or NPT) for the same guest program: **unverified** on this
/// project's hosts, which have no EPT/NPT.
///
/// Rules (Linux `arch/x86/kvm/mmu/tdp_mmu.c`, `mmu.c`): the guest's own page faults, CR3
/// writes and INVLPG are not intercepted; KVM sees only stage-2 faults, one per guest-physical
/// host page on first touch by the guest's hardware walk or access (guest page-table pages
/// included); the TDP MMU does not prefetch and does not count `mmu_cache_miss`; a read of a
/// never-touched host page maps the zero page read-only and a later write copies it on write
/// and retries, as under shadow paging.
pub struct TdpModel {
    tables: HashMap<u64, Box<[u64; 512]>>,
    roots: Vec<u64>,
    current: usize,
    addr_mask: u64,
    host_frames: u64,
    zero_page: bool,
    prealloc: bool,
    host: HashMap<u64, Host>,
    /// Stage-2 leaves: host-page base gfn -> writable.
    mapped: HashMap<u64, bool>,
    /// Cumulative counters by KVM's names.
    pub counters: BTreeMap<&'static str, u64>,
}

impl TdpModel {
    /// A model over the same image as [`Model`].
    pub fn new(image: Image) -> Self {
        let host_frames = image.host_page.bytes() >> 12;
        let mut host = HashMap::new();
        for &g in image.host_written.iter().chain(image.tables.keys()) {
            host.insert(g & !(host_frames - 1), Host::Writable);
        }
        TdpModel {
            tables: image.tables,
            roots: image.roots,
            current: 0,
            addr_mask: pagewalk_core::entry::ADDR_MASK_4K
                & pagewalk_core::entry::physical_mask(image.maxphyaddr),
            host_frames,
            zero_page: image.zero_page,
            prealloc: image.prealloc,
            host,
            mapped: HashMap::new(),
            counters: BTreeMap::new(),
        }
    }

    fn bump(&mut self, k: &'static str, n: u64) {
        *self.counters.entry(k).or_insert(0) += n;
    }

    /// A guest-physical access by the guest's hardware; `write` for data writes and for the
    /// walker's A/D updates.
    fn touch(&mut self, gfn: u64, write: bool) {
        let base = gfn & !(self.host_frames - 1);
        for _ in 0..3 {
            match self.mapped.get(&base) {
                Some(true) => return,
                Some(false) if !write => return,
                _ => {}
            }
            self.bump("pf_taken", 1);
            self.bump("exits", 1);
            let state = if self.prealloc {
                Host::Writable
            } else {
                self.host.get(&base).copied().unwrap_or(Host::Absent)
            };
            if write && state == Host::Zero {
                self.host.insert(base, Host::Writable);
                self.mapped.remove(&base);
                self.bump("tlb_flush", 1);
                continue;
            }
            let state = match state {
                Host::Absent if write || !self.zero_page => Host::Writable,
                Host::Absent => Host::Zero,
                s => s,
            };
            self.host.insert(base, state);
            let size = match self.host_frames {
                1 => "pages_4k",
                512 => "pages_2m",
                _ => "pages_1g",
            };
            if !self.mapped.contains_key(&base) {
                self.bump(size, 1);
            }
            self.mapped.insert(base, state == Host::Writable);
            self.bump("pf_fixed", 1);
            return;
        }
    }

    fn access(&mut self, gva: u64, write: bool) {
        let cr3 = self.roots.get(self.current).copied().unwrap_or(0);
        let mut table = cr3 >> 12;
        for level in (1..=4u8).rev() {
            let l = Level::from_number(level).unwrap_or(Level::L1);
            let idx = l.index(gva);
            self.touch(table, false);
            let e = self.tables.get(&table).map_or(0, |t| t[idx]);
            if e & P == 0 {
                return; // the guest's own #PF: not intercepted under TDP
            }
            let leaf = level == 1 || (e & PS != 0 && level <= 3);
            let bits = A | if leaf && write { D } else { 0 };
            if e & bits != bits {
                self.touch(table, true);
                if let Some(t) = self.tables.get_mut(&table) {
                    t[idx] |= bits;
                }
            }
            if leaf {
                let size = l.leaf_size().unwrap_or(PageSize::Size4K).bytes();
                let gfn = ((e & self.addr_mask & !(size - 1)) | (gva & (size - 1))) >> 12;
                self.touch(gfn, write);
                return;
            }
            table = (e & self.addr_mask) >> 12;
        }
    }

    /// Runs one guest action.
    pub fn step(&mut self, op: GuestOp) {
        match op {
            GuestOp::Out => self.bump("exits", 1),
            GuestOp::Cr3(s) => self.current = s.min(self.roots.len().saturating_sub(1)),
            GuestOp::Trap | GuestOp::Invlpg(_) => {}
            GuestOp::GuestCr3(s) => self.current = s.min(self.roots.len().saturating_sub(1)),
            GuestOp::Read(gva) => self.access(gva, false),
            GuestOp::Write(gva) => self.access(gva, true),
            GuestOp::PteWrite {
                alias,
                gfn,
                index,
                modify,
                set,
                clear,
            } => {
                self.access(alias, true);
                let old = self.tables.get(&gfn).map_or(0, |t| t[index]);
                let new = if modify { (old | set) & !clear } else { set };
                if let Some(t) = self.tables.get_mut(&gfn) {
                    t[index] = new;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A guest whose space 0 maps `n` 4 KiB pages at GVA 0x7f00_0000_0000 -> GPA 0x4000_0000
    /// with the given leaf flags, tables at GPA 0x100000..
    fn image(n: u64, leaf: u64, prealloc: bool) -> Image {
        let mut tables = HashMap::new();
        let (pml4, pdpt, pd, pt) = (0x100u64, 0x101, 0x102, 0x103);
        let gva: u64 = 0x7f00_0000_0000;
        let nonleaf = P | W | PteFlags::USER.bits() | A;
        let mut t4 = Box::new([0u64; 512]);
        t4[Level::L4.index(gva)] = (pdpt << 12) | nonleaf;
        let mut t3 = Box::new([0u64; 512]);
        t3[Level::L3.index(gva)] = (pd << 12) | nonleaf;
        let mut t2 = Box::new([0u64; 512]);
        t2[Level::L2.index(gva)] = (pt << 12) | nonleaf;
        let mut t1 = Box::new([0u64; 512]);
        for i in 0..n as usize {
            t1[i] = ((0x40000 + i as u64) << 12) | leaf;
        }
        tables.insert(pml4, t4);
        tables.insert(pdpt, t3);
        tables.insert(pd, t2);
        tables.insert(pt, t1);
        Image {
            tables,
            roots: vec![pml4 << 12],
            prealloc,
            ..Image::default()
        }
    }

    fn run(img: Image, ops: &[GuestOp]) -> BTreeMap<&'static str, u64> {
        let mut m = Model::new(img);
        for &op in ops {
            m.step(op);
        }
        m.counters
    }

    fn reads(n: u64) -> Vec<GuestOp> {
        (0..n)
            .map(|i| GuestOp::Read(0x7f00_0000_0000 + i * 4096))
            .collect()
    }

    const LEAF: u64 = P | W | PteFlags::USER.bits() | A | D;

    #[test]
    fn first_touches_without_prealloc_fault_one_by_one() {
        let c = run(image(16, LEAF, false), &reads(16));
        assert_eq!(
            (c["pf_fixed"], c["pages_4k"], c["mmu_cache_miss"]),
            (16, 16, 4)
        );
    }

    #[test]
    fn prealloc_lets_kvm_prefetch_groups_of_eight() {
        let c = run(image(16, LEAF, true), &reads(16));
        assert_eq!((c["pf_fixed"], c["pages_4k"]), (2, 16));
        let c = run(image(16, LEAF & !A, true), &reads(16));
        assert_eq!(c["pf_fixed"], 16, "no prefetch of entries with A clear");
    }

    #[test]
    fn writing_a_read_zero_page_faults_twice() {
        let mut ops = reads(1);
        ops.push(GuestOp::Write(0x7f00_0000_0000));
        let c = run(image(1, LEAF & !D, false), &ops);
        assert_eq!((c["pf_taken"], c["pf_fixed"], c["tlb_flush"]), (3, 2, 1));
    }

    #[test]
    fn cr3_loads_flush_and_exits_count_outs() {
        let mut img = image(1, LEAF, false);
        img.roots.push(0x200 << 12);
        // The flush requested by the CR3 load is serviced at the next entry (the second out).
        let c = run(img.clone(), &[GuestOp::Out, GuestOp::Cr3(1), GuestOp::Out]);
        assert_eq!((c["exits"], c["tlb_flush"]), (2, 1));
        // Loading the same CR3 from the host does nothing.
        let c = run(img, &[GuestOp::Out, GuestOp::Cr3(0), GuestOp::Out]);
        assert_eq!((c["exits"], c.get("tlb_flush")), (2, None));
    }

    #[test]
    fn leaf_table_writes_unsync_upper_table_writes_are_emulated() {
        // Map the PT (gfn 0x103) and the PD (gfn 0x102) writable at two alias addresses.
        let mut img = image(4, LEAF, false);
        let alias = 0x7f00_0001_0000u64;
        img.tables.get_mut(&0x103).unwrap()[16] = (0x103 << 12) | LEAF;
        img.tables.get_mut(&0x103).unwrap()[17] = (0x102 << 12) | LEAF;
        let mut m = Model::new(img);
        m.step(GuestOp::Read(0x7f00_0000_0000));
        let pte = |index, set| GuestOp::PteWrite {
            alias: alias + 8 * index as u64,
            gfn: 0x103,
            index,
            modify: true,
            set,
            clear: 0,
        };
        m.step(pte(1, 1 << 9));
        assert_eq!(m.counters.get("mmu_unsync"), Some(&1));
        assert_eq!(
            m.counters.get("pf_emulate"),
            None,
            "a leaf table goes unsync"
        );
        for _ in 0..3 {
            m.step(GuestOp::PteWrite {
                alias: alias + 0x1000,
                gfn: 0x102,
                index: 0,
                modify: true,
                set: 1 << 9,
                clear: 0,
            });
        }
        assert_eq!(m.counters["pf_emulate"], 3, "a PD write is emulated");
        assert_eq!(m.counters["mmu_pte_write"], 3);
        // The alias lies under the same PD, so each write's fault walks through the PD's
        // shadow page and clears its flooding count (FNAME(fetch)): no flooding. (Through an
        // alias elsewhere the third write floods: scenarios/kvm-pte-writes-at-each-level.toml,
        // checked against real KVM.)
        assert_eq!(m.counters.get("mmu_flooded"), None);
    }

    #[test]
    fn tdp_faults_once_per_guest_physical_page_tables_included() {
        let mut t = TdpModel::new(image(16, LEAF, false));
        for op in reads(16) {
            t.step(op);
        }
        // 16 data pages; the four guest tables were written by the host, so present, but
        // still unmapped in stage 2 until the guest's walker first reads them.
        assert_eq!(t.counters["pf_fixed"], 16 + 4);
        assert_eq!(
            t.counters.get("pf_guest"),
            None,
            "guest faults are not intercepted"
        );
        t.step(GuestOp::Read(0x7f00_0000_5000 + 0x10_0000));
        assert_eq!(t.counters["pf_fixed"], 20);
    }

    #[test]
    fn unmapped_access_is_a_guest_fault() {
        let c = run(image(1, LEAF, false), &[GuestOp::Read(0x7f00_0000_5000)]);
        assert_eq!(
            (c["pf_taken"], c.get("pf_fixed"), c["pf_guest"]),
            (1, None, 1)
        );
    }
}
