//! The hardware walkers: IA-32e (guest, native or shadow tables) and stage 2 (EPT or NPT).
//!
//! A guest walk reads each guest entry at a guest-physical address; under EPT/NPT each of those
//! addresses is first translated through stage 2, which is where the (g+1)(h+1)-1 references
//! of a two-dimensional walk come from (Intel SDM vol. 3, "EPT Translation Mechanism": "guest-
//! physical addresses used in the guest's paging structures ... are translated using EPT";
//! AMD APM vol. 2, "Nested Paging", "Nested Table Walk"). Every reference is one
//! [`Event::TableRead`].

use crate::access::{check_rights, error_code_bits, Access, Rights, RightsControl};
use crate::addr::{Gpa, Gva, Hpa, Level, Levels, PageSize};
use crate::config::{CpuConfig, Vendor};
use crate::entry::{
    address_field, high_reserved_bits, large_page_reserved_bits, EptFlags, EptViolationQual,
    PfErrorCode, PteFlags,
};
use crate::event::{Event, EventSink, NestedPurpose, TableKind};
use crate::fault::Fault;
use crate::memory::PhysMemory;
use crate::pwc::Pwc;
use crate::tlb::Tag;

/// Stage-2 rights: bit 0 read, bit 1 write, bit 2 execute.
pub const S2_ALL: u8 = 0b111;

/// A completed translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Guest-physical address reached by the guest walk (equal to `hpa` natively).
    pub gpa: Gpa,
    /// Host-physical address of the access.
    pub hpa: Hpa,
    /// Size of the mapping as cached: the smaller of the guest and stage-2 page sizes.
    pub size: PageSize,
    /// Guest page size alone.
    pub guest_size: PageSize,
    /// Combined guest rights.
    pub rights: Rights,
    /// Combined stage-2 rights.
    pub stage2: u8,
    /// The leaf's dirty flag after the walk.
    pub dirty: bool,
    /// A global translation.
    pub global: bool,
}

/// Whether an IA-32e entry sets a reserved bit at its level.
///
/// Intel SDM vol. 3, "Formats of Paging-Structure Entries" and "Page-Fault Exceptions"
/// (RSVD): bits at or above MAXPHYADDR; XD without EFER.NXE; PS in a PML5E/PML4E; PS in a
/// PDPTE without 1 GiB-page support; the offset bits of a large page above PAT. On AMD, bit 8
/// of a PML5E/PML4E is reserved too (AMD APM vol. 2, "Long-Mode Page Translation").
#[inline]
pub fn ia32e_reserved(entry: u64, level: Level, cpu: &CpuConfig) -> bool {
    let mut rsvd = high_reserved_bits(cpu.maxphyaddr);
    if !cpu.nxe {
        rsvd |= PteFlags::NO_EXECUTE.bits();
    }
    let ps = entry & PteFlags::HUGE_PAGE.bits() != 0;
    match level {
        Level::L5 | Level::L4 => {
            rsvd |= PteFlags::HUGE_PAGE.bits();
            if cpu.vendor == Vendor::Amd {
                rsvd |= PteFlags::GLOBAL.bits();
            }
        }
        Level::L3 if ps => {
            rsvd |= if cpu.gbpages {
                large_page_reserved_bits(PageSize::Size1G)
            } else {
                PteFlags::HUGE_PAGE.bits()
            }
        }
        Level::L2 if ps => rsvd |= large_page_reserved_bits(PageSize::Size2M),
        _ => {}
    }
    entry & rsvd != 0
}

/// Whether an IA-32e entry at `level` maps a page (rather than pointing to a table).
#[inline]
pub const fn ia32e_is_leaf(entry: u64, level: Level) -> bool {
    matches!(level, Level::L1)
        || (matches!(level, Level::L2 | Level::L3) && entry & PteFlags::HUGE_PAGE.bits() != 0)
}

/// Whether an EPT entry at `level` is misconfigured.
///
/// Intel SDM vol. 3, "EPT Misconfigurations": write without read (bits 2:0 = 010b or 110b);
/// a reserved bit (bits 51:MAXPHYADDR; bits 7:3 of a non-leaf entry; the offset bits of a
/// large page); memory type 2, 3 or 7 in a leaf. Execute-only (100b) is taken as supported.
#[inline]
pub fn ept_misconfigured(entry: u64, level: Level, maxphyaddr: u8) -> bool {
    let rwx = entry & 0b111;
    if rwx & 0b011 == 0b010 {
        return true;
    }
    if entry & high_reserved_bits(maxphyaddr) != 0 {
        return true;
    }
    if ept_is_leaf(entry, level) {
        let memtype = (entry >> 3) & 0b111;
        let offset_bits = match level {
            Level::L2 => 0x001f_f000,
            Level::L3 => 0x3fff_f000,
            _ => 0,
        };
        matches!(memtype, 2 | 3 | 7) || entry & offset_bits != 0
    } else {
        entry & 0xf8 != 0
    }
}

/// Whether an EPT entry at `level` maps a page.
#[inline]
pub const fn ept_is_leaf(entry: u64, level: Level) -> bool {
    matches!(level, Level::L1)
        || (matches!(level, Level::L2 | Level::L3) && entry & EptFlags::HUGE_PAGE.bits() != 0)
}

/// What stage 2 is asked to do for one guest-physical access.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stage2Access {
    pub write: bool,
    pub fetch: bool,
    pub purpose: NestedPurpose,
    pub gva: Gva,
}

/// The result of a stage-2 translation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stage2Ok {
    pub hpa: Hpa,
    pub size: PageSize,
    pub rights: u8,
}

/// The second dimension of a walk.
pub(crate) enum Stage2<'a> {
    /// No stage 2: guest-physical is host-physical (native, and shadow tables walked by
    /// hardware, which already hold host-physical addresses).
    Identity,
    /// Intel EPT.
    Ept {
        root: Hpa,
        levels: Levels,
        ad: bool,
        maxphyaddr: u8,
        pwc: &'a mut Pwc,
        tag: Tag,
    },
    /// AMD NPT: IA-32e format, every access a user access.
    Npt {
        root: Hpa,
        levels: Levels,
        host: CpuConfig,
        pwc: &'a mut Pwc,
        tag: Tag,
    },
}

impl Stage2<'_> {
    /// Whether guest page-table reads are writes for stage 2: with EPT A/D on (Intel SDM vol.
    /// 3, "Accessed and Dirty Flags for EPT": "accesses to guest paging-structure entries are
    /// treated as writes"), and always under NPT (KVM's paging_tmpl.h walks nested tables with
    /// PFERR_USER_MASK | PFERR_WRITE_MASK for guest tables that have A/D bits).
    fn table_reads_are_writes(&self) -> bool {
        match self {
            Stage2::Identity => false,
            Stage2::Ept { ad, .. } => *ad,
            Stage2::Npt { .. } => true,
        }
    }

    #[inline]
    pub fn translate<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        gpa: Gpa,
        acc: Stage2Access,
        sink: &mut K,
    ) -> Result<Stage2Ok, Fault> {
        match self {
            Stage2::Identity => Ok(Stage2Ok {
                hpa: Hpa::new(gpa.raw()),
                size: PageSize::Size1G,
                rights: S2_ALL,
            }),
            Stage2::Ept {
                root,
                levels,
                ad,
                maxphyaddr,
                pwc,
                tag,
            } => {
                sink.event(&Event::NestedBegin {
                    gpa,
                    purpose: acc.purpose,
                });
                let r = walk_ept(
                    mem,
                    *root,
                    *levels,
                    *ad,
                    *maxphyaddr,
                    pwc,
                    *tag,
                    gpa,
                    acc,
                    sink,
                )?;
                sink.event(&Event::NestedEnd { gpa, hpa: r.hpa });
                Ok(r)
            }
            Stage2::Npt {
                root,
                levels,
                host,
                pwc,
                tag,
            } => {
                sink.event(&Event::NestedBegin {
                    gpa,
                    purpose: acc.purpose,
                });
                let r = walk_npt(mem, *root, *levels, host, pwc, *tag, gpa, acc, sink)?;
                sink.event(&Event::NestedEnd { gpa, hpa: r.hpa });
                Ok(r)
            }
        }
    }
}

#[derive(Clone, Copy, Default)]
struct PathEntry {
    level: u8,
    hpa: u64,
    value: u64,
    next: u64,
    rights: u8,
    s2_rights: u8,
    gpa: u64,
}

fn set_bits_in_place<K: EventSink>(
    mem: &mut PhysMemory,
    table: TableKind,
    p: &PathEntry,
    bits: u64,
    sink: &mut K,
) -> u64 {
    let new = p.value | bits;
    if new != p.value {
        // The entry was just read as present, so its frame exists: no allocation here.
        mem.update_existing(Hpa::new(p.hpa), new);
        sink.event(&Event::AdUpdate {
            table,
            level: Level::from_number(p.level).unwrap_or(Level::L1),
            entry_addr: Hpa::new(p.hpa),
            old: p.value,
            new,
        });
    }
    new
}

/// Walks EPT for one guest-physical address (Intel SDM vol. 3, "EPT Translation Mechanism",
/// "EPT Violations", "EPT Misconfigurations", "Accessed and Dirty Flags for EPT").
#[allow(clippy::too_many_arguments)]
fn walk_ept<K: EventSink>(
    mem: &mut PhysMemory,
    root: Hpa,
    levels: Levels,
    ad: bool,
    maxphyaddr: u8,
    pwc: &mut Pwc,
    tag: Tag,
    gpa: Gpa,
    acc: Stage2Access,
    sink: &mut K,
) -> Result<Stage2Ok, Fault> {
    let addr = gpa.raw();
    let mut table = root.raw();
    let mut level = levels.top();
    let mut rights = S2_ALL;
    if let Some(hit) = pwc.lookup(levels, addr, tag) {
        sink.event(&Event::PwcHit {
            table: TableKind::Ept,
            level: hit.level,
            next: hit.next,
        });
        table = hit.next;
        rights = hit.rights;
        level = hit.level.below().unwrap_or(Level::L1);
    }
    let mut path = [PathEntry::default(); 5];
    let mut n = 0;
    let is_final = matches!(acc.purpose, NestedPurpose::FinalAddress);
    let violation = |rights: u8, level: Level| {
        let mut q = EptViolationQual::GLA_VALID;
        if acc.write {
            q |= EptViolationQual::WRITE;
        } else if acc.fetch {
            q |= EptViolationQual::FETCH;
        } else {
            q |= EptViolationQual::READ;
        }
        q |= EptViolationQual::from_bits_truncate(u64::from(rights) << 3);
        if is_final {
            q |= EptViolationQual::FINAL_TRANSLATION;
        }
        Fault::EptViolation {
            gpa,
            gva: acc.gva,
            qual: q,
            level,
        }
    };
    let size = loop {
        let index = level.index(addr);
        let entry_addr = Hpa::new(table + 8 * index as u64);
        let e = mem.read_u64(entry_addr);
        sink.event(&Event::TableRead {
            table: TableKind::Ept,
            level,
            index: index as u16,
            entry_addr,
            entry: e,
        });
        if e & 0b111 == 0 {
            return Err(violation(0, level));
        }
        if ept_misconfigured(e, level, maxphyaddr) {
            return Err(Fault::EptMisconfig { gpa, level });
        }
        rights &= (e & 0b111) as u8;
        let leaf = ept_is_leaf(e, level);
        let next = address_field(e, maxphyaddr);
        path[n] = PathEntry {
            level: level.number(),
            hpa: entry_addr.raw(),
            value: e,
            next,
            rights,
            s2_rights: 0,
            gpa: 0,
        };
        n += 1;
        if leaf {
            break level.leaf_size().unwrap_or(PageSize::Size4K);
        }
        table = next;
        level = match level.below() {
            Some(l) => l,
            None => break PageSize::Size4K,
        };
    };
    let need = if acc.write {
        0b010
    } else if acc.fetch {
        0b100
    } else {
        0b001
    };
    if rights & need == 0 {
        return Err(violation(rights, level));
    }
    if ad {
        for (i, p) in path[..n].iter_mut().enumerate() {
            let mut bits = EptFlags::ACCESSED.bits();
            if i == n - 1 && acc.write {
                bits |= EptFlags::DIRTY.bits();
            }
            p.value = set_bits_in_place(mem, TableKind::Ept, p, bits, sink);
        }
    }
    for p in &path[..n - 1] {
        if let Some(l) = Level::from_number(p.level) {
            pwc.insert(l, addr, tag, p.next, p.rights);
        }
    }
    let leaf = path[n - 1].value;
    let base = address_field(leaf, maxphyaddr) & !(size.bytes() - 1);
    Ok(Stage2Ok {
        hpa: Hpa::new(base | gpa.page_offset(size)),
        size,
        rights,
    })
}

/// Walks AMD nested page tables for one guest-physical address (AMD APM vol. 2, "Nested
/// Paging": nested tables use the long-mode format, every nested access is a user access,
/// and a failure is a #VMEXIT(NPF) with a #PF-style error code).
#[allow(clippy::too_many_arguments)]
fn walk_npt<K: EventSink>(
    mem: &mut PhysMemory,
    root: Hpa,
    levels: Levels,
    host: &CpuConfig,
    pwc: &mut Pwc,
    tag: Tag,
    gpa: Gpa,
    acc: Stage2Access,
    sink: &mut K,
) -> Result<Stage2Ok, Fault> {
    let addr = gpa.raw();
    let is_final = matches!(acc.purpose, NestedPurpose::FinalAddress);
    let access = Access::new(
        if acc.write {
            crate::AccessKind::Write
        } else if acc.fetch {
            crate::AccessKind::Fetch
        } else {
            crate::AccessKind::Read
        },
        crate::Privilege::User,
    );
    let ctl = host.rights_control(false);
    let npf = |code: PfErrorCode, level: Level| Fault::NestedPageFault {
        gpa,
        code,
        final_translation: is_final,
        level,
    };
    let mut table = root.raw();
    let mut level = levels.top();
    let mut rights = Rights::ALL;
    if let Some(hit) = pwc.lookup(levels, addr, tag) {
        sink.event(&Event::PwcHit {
            table: TableKind::Npt,
            level: hit.level,
            next: hit.next,
        });
        table = hit.next;
        rights = Rights::unpack(hit.rights);
        level = hit.level.below().unwrap_or(Level::L1);
    }
    let mut path = [PathEntry::default(); 5];
    let mut n = 0;
    let size = loop {
        let index = level.index(addr);
        let entry_addr = Hpa::new(table + 8 * index as u64);
        let e = mem.read_u64(entry_addr);
        sink.event(&Event::TableRead {
            table: TableKind::Npt,
            level,
            index: index as u16,
            entry_addr,
            entry: e,
        });
        if e & PteFlags::PRESENT.bits() == 0 {
            return Err(npf(error_code_bits(access, ctl), level));
        }
        if ia32e_reserved(e, level, host) {
            return Err(npf(
                PfErrorCode::PRESENT | PfErrorCode::RESERVED | error_code_bits(access, ctl),
                level,
            ));
        }
        rights = rights.and_entry(e, host.nxe);
        let leaf = ia32e_is_leaf(e, level);
        let next = address_field(e, host.maxphyaddr);
        path[n] = PathEntry {
            level: level.number(),
            hpa: entry_addr.raw(),
            value: e,
            next,
            rights: rights.pack(),
            s2_rights: 0,
            gpa: 0,
        };
        n += 1;
        if leaf {
            break level.leaf_size().unwrap_or(PageSize::Size4K);
        }
        table = next;
        level = match level.below() {
            Some(l) => l,
            None => break PageSize::Size4K,
        };
    };
    if let Some(code) = check_rights(rights, access, ctl) {
        return Err(npf(code, level));
    }
    for (i, p) in path[..n].iter_mut().enumerate() {
        let mut bits = PteFlags::ACCESSED.bits();
        if i == n - 1 && acc.write {
            bits |= PteFlags::DIRTY.bits();
        }
        p.value = set_bits_in_place(mem, TableKind::Npt, p, bits, sink);
    }
    for p in &path[..n - 1] {
        if let Some(l) = Level::from_number(p.level) {
            pwc.insert(l, addr, tag, p.next, p.rights);
        }
    }
    let leaf = path[n - 1].value;
    let base = address_field(leaf, host.maxphyaddr) & !(size.bytes() - 1);
    let s2 = (rights.user as u8)
        | ((rights.user && rights.writable) as u8) << 1
        | ((rights.user && !rights.no_execute) as u8) << 2;
    Ok(Stage2Ok {
        hpa: Hpa::new(base | gpa.page_offset(size)),
        size,
        rights: s2,
    })
}

/// Everything a stage-1 walk needs besides memory and stage 2.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stage1 {
    pub table: TableKind,
    pub levels: Levels,
    pub root: u64,
    pub cpu: CpuConfig,
    pub ctl: RightsControl,
    pub tag: Tag,
}

/// Walks IA-32e tables for one linear address, translating every table address through
/// `s2` (Intel SDM vol. 3, "Linear-Address Translation with 4-Level Paging and 5-Level
/// Paging", "Access Rights", "Accessed and Dirty Flags", "Page-Fault Exceptions").
///
/// Accessed and dirty flags are set only once the whole translation has succeeded, as KVM's
/// software walker does (`FNAME(update_accessed_dirty_bits)` after the permission check); the
/// SDM allows a processor to set them earlier.
#[inline]
pub(crate) fn walk_stage1<K: EventSink>(
    mem: &mut PhysMemory,
    w: &Stage1,
    gva: Gva,
    access: Access,
    pwc: &mut Pwc,
    s2: &mut Stage2<'_>,
    sink: &mut K,
) -> Result<Translation, Fault> {
    let addr = gva.raw();
    sink.event(&Event::WalkBegin {
        table: w.table,
        root: w.root,
        addr,
    });
    let pf = |code: PfErrorCode, level: Level| Fault::PageFault { gva, code, level };
    let base_code = error_code_bits(access, w.ctl);
    let table_write = s2.table_reads_are_writes();
    let mut table = w.root;
    let mut level = w.levels.top();
    let mut rights = Rights::ALL;
    if let Some(hit) = pwc.lookup(w.levels, addr, w.tag) {
        sink.event(&Event::PwcHit {
            table: w.table,
            level: hit.level,
            next: hit.next,
        });
        table = hit.next;
        rights = Rights::unpack(hit.rights);
        level = hit.level.below().unwrap_or(Level::L1);
    }
    let mut path = [PathEntry::default(); 5];
    let mut n = 0;
    let guest_size = loop {
        let index = level.index(addr);
        let entry_gpa = Gpa::new(table + 8 * index as u64);
        let t = s2.translate(
            mem,
            entry_gpa,
            Stage2Access {
                write: table_write,
                fetch: false,
                purpose: NestedPurpose::GuestTable { level },
                gva,
            },
            sink,
        )?;
        let e = mem.read_u64(t.hpa);
        sink.event(&Event::TableRead {
            table: w.table,
            level,
            index: index as u16,
            entry_addr: t.hpa,
            entry: e,
        });
        if e & PteFlags::PRESENT.bits() == 0 {
            return Err(pf(base_code, level));
        }
        if ia32e_reserved(e, level, &w.cpu) {
            return Err(pf(
                PfErrorCode::PRESENT | PfErrorCode::RESERVED | base_code,
                level,
            ));
        }
        rights = rights.and_entry(e, w.cpu.nxe);
        let leaf = ia32e_is_leaf(e, level);
        let next = address_field(e, w.cpu.maxphyaddr);
        path[n] = PathEntry {
            level: level.number(),
            hpa: t.hpa.raw(),
            value: e,
            next,
            rights: rights.pack(),
            s2_rights: t.rights,
            gpa: entry_gpa.raw(),
        };
        n += 1;
        if leaf {
            break level.leaf_size().unwrap_or(PageSize::Size4K);
        }
        table = next;
        level = match level.below() {
            Some(l) => l,
            None => break PageSize::Size4K,
        };
    };
    if let Some(code) = check_rights(rights, access, w.ctl) {
        return Err(pf(code, level));
    }
    let leaf = path[n - 1].value;
    let base = address_field(leaf, w.cpu.maxphyaddr) & !(guest_size.bytes() - 1);
    let gpa = Gpa::new(base | gva.page_offset(guest_size));
    let fin = s2.translate(
        mem,
        gpa,
        Stage2Access {
            write: access.is_write(),
            fetch: access.is_fetch(),
            purpose: NestedPurpose::FinalAddress,
            gva,
        },
        sink,
    )?;
    // A/D updates are writes to the guest tables; stage 2 must allow them (SDM "EPT
    // Violations": an update of a guest A/D flag is a write access to guest-physical memory).
    let mut dirty = leaf & PteFlags::DIRTY.bits() != 0;
    for (i, &p) in path[..n].iter().enumerate() {
        let mut bits = PteFlags::ACCESSED.bits();
        if i == n - 1 && access.is_write() {
            bits |= PteFlags::DIRTY.bits();
        }
        if p.value & bits == bits {
            continue;
        }
        if p.s2_rights & 0b010 == 0 {
            let lvl = Level::from_number(p.level).unwrap_or(Level::L1);
            return Err(match s2 {
                Stage2::Npt { .. } => Fault::NestedPageFault {
                    gpa: Gpa::new(p.gpa),
                    code: PfErrorCode::PRESENT | PfErrorCode::WRITE | PfErrorCode::USER,
                    final_translation: false,
                    level: lvl,
                },
                _ => Fault::EptViolation {
                    gpa: Gpa::new(p.gpa),
                    gva,
                    qual: EptViolationQual::WRITE
                        | EptViolationQual::GLA_VALID
                        | EptViolationQual::from_bits_truncate(u64::from(p.s2_rights) << 3),
                    level: lvl,
                },
            });
        }
        let new = set_bits_in_place(mem, w.table, &p, bits, sink);
        if i == n - 1 {
            dirty = new & PteFlags::DIRTY.bits() != 0;
        }
    }
    for p in &path[..n - 1] {
        if let Some(l) = Level::from_number(p.level) {
            pwc.insert(l, addr, w.tag, p.next, p.rights);
        }
    }
    let size = if fin.size < guest_size {
        fin.size
    } else {
        guest_size
    };
    Ok(Translation {
        gpa,
        hpa: fin.hpa,
        size,
        guest_size,
        rights,
        stage2: fin.rights,
        dirty,
        global: w.cpu.pge && leaf & PteFlags::GLOBAL.bits() != 0,
    })
}
