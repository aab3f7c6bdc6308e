//! The hardware walkers: IA-32e (guest, native or shadow tables) and stage 2 (EPT or NPT).
//!
//! A guest walk reads each guest entry at a guest-physical address; under EPT/NPT each of those
//! addresses is first translated through stage 2, which is where the (g+1)(h+1)-1 references
//! of a two-dimensional walk come from (Intel SDM vol. 3, "EPT Translation Mechanism": "guest-
//! physical addresses used in the guest's paging structures ... are translated using EPT";
//! AMD APM vol. 2, "Nested Paging", "Nested Table Walk"). Every reference is one
//! [`Event::TableRead`].

use crate::access::{check_rights, error_code_bits, Access, Rights, RightsAcc, RightsControl};
use crate::addr::{Gpa, Gva, Hpa, Level, Levels, PageSize};
use crate::config::{CpuConfig, Vendor};
use crate::entry::{
    high_reserved_bits, large_page_reserved_bits, EptFlags, EptViolationQual, PfErrorCode, PteFlags,
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
    pub stage2: crate::Stage2Rights,
    /// The leaf's dirty flag after the walk.
    pub dirty: bool,
    /// A global translation.
    pub global: bool,
}

/// Reserved-bit masks of IA-32e entries for one CPU, by level (index 1..=5) and PS bit:
/// computed once per walk setup so the hot loop tests one mask per entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReservedMasks([u64; 16]);

impl ReservedMasks {
    /// The masks for `cpu` (see [`ia32e_reserved`] for the rules).
    pub fn new(cpu: &CpuConfig) -> Self {
        let mut m = [0u64; 16];
        for level in Level::TOP_DOWN {
            for ps in [0, 1] {
                m[Self::slot(level, ps)] = reserved_mask(ps << 7, level, cpu);
            }
        }
        Self(m)
    }

    // The mask keeps the index provably in range, so the hot check has no bounds test.
    #[inline(always)]
    fn slot(level: Level, ps: u64) -> usize {
        ((level.number() as usize) << 1 | ps as usize) & 15
    }

    /// Whether `entry` sets a reserved bit at `level`.
    #[inline(always)]
    pub fn check(&self, entry: u64, level: Level) -> bool {
        entry & self.0[Self::slot(level, (entry >> 7) & 1)] != 0
    }
}

fn reserved_mask(entry: u64, level: Level, cpu: &CpuConfig) -> u64 {
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
    rsvd
}

/// Whether an IA-32e entry sets a reserved bit at its level.
///
/// Intel SDM vol. 3, "4-Level Paging and 5-Level Paging" and "Page-Fault Exceptions"
/// (RSVD): bits at or above MAXPHYADDR; XD without EFER.NXE; PS in a PML5E/PML4E; PS in a
/// PDPTE without 1 GiB-page support; the offset bits of a large page above PAT. On AMD, bit 8
/// of a PML5E/PML4E is reserved too (AMD APM vol. 2, "Long-Mode Page Translation").
pub fn ia32e_reserved(entry: u64, level: Level, cpu: &CpuConfig) -> bool {
    entry & reserved_mask(entry, level, cpu) != 0
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
    misconfigured(
        entry,
        level.shift(),
        ept_is_leaf(entry, level),
        high_reserved_bits(maxphyaddr),
    )
}

/// [`ept_misconfigured`] for the hot loop: the level as its address shift, leaf-ness known,
/// the reserved high bits precomputed.
#[inline(always)]
fn misconfigured(entry: u64, shift: u32, leaf: bool, high_rsvd: u64) -> bool {
    // Memory types 2, 3 and 7 are reserved: bits 2, 3 and 7 of this mask.
    const BAD_MEMTYPES: u64 = 0b1000_1100;
    if entry & 0b011 == 0b010 || entry & high_rsvd != 0 {
        return true;
    }
    if leaf {
        let memtype = (entry >> 3) & 0b111;
        let offset_bits = ((1u64 << shift) - 1) & !0xfff;
        (BAD_MEMTYPES >> memtype) & 1 != 0 || entry & offset_bits != 0
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

impl Stage2Access {
    fn is_final(&self) -> bool {
        matches!(self.purpose, NestedPurpose::FinalAddress)
    }
}

/// The result of a stage-2 translation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stage2Ok {
    pub hpa: Hpa,
    pub size: PageSize,
    pub rights: u8,
}

/// The second dimension of a walk. Each kind is its own type so the guest walker is compiled
/// once per kind, and the identity case costs nothing.
pub(crate) trait Stage2 {
    /// Whether guest page-table reads are writes for stage 2.
    fn table_reads_are_writes(&self) -> bool;

    /// No second dimension (natively, and for shadow tables).
    fn is_identity(&self) -> bool {
        false
    }

    /// One stage-2 walk for a guest-physical address, without its framing events.
    fn walk<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        gpa: Gpa,
        acc: Stage2Access,
        sink: &mut K,
    ) -> Result<Stage2Ok, Fault>;

    /// Translates one guest-physical address: the walk framed by its NestedBegin/NestedEnd
    /// events. (Written out rather than passed a closure: the closure was not inlined, and a
    /// call per guest level halved the speed of nested walks.)
    #[inline(always)]
    fn translate<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        gpa: Gpa,
        acc: Stage2Access,
        sink: &mut K,
    ) -> Result<Stage2Ok, Fault> {
        sink.event(&Event::NestedBegin {
            gpa,
            purpose: acc.purpose,
        });
        let r = self.walk(mem, gpa, acc, sink)?;
        sink.event(&Event::NestedEnd { gpa, hpa: r.hpa });
        Ok(r)
    }

    /// The fault when a guest A/D update needs write access that stage 2 does not give.
    fn ad_write_fault(&self, gpa: Gpa, gva: Gva, rights: u8, level: Level) -> Fault;
}

/// No stage 2: guest-physical is host-physical (native, and shadow tables walked by hardware,
/// which already hold host-physical addresses).
pub(crate) struct Identity;

impl Stage2 for Identity {
    fn table_reads_are_writes(&self) -> bool {
        false
    }

    fn is_identity(&self) -> bool {
        true
    }

    #[inline(always)]
    fn walk<K: EventSink>(
        &mut self,
        _: &mut PhysMemory,
        gpa: Gpa,
        _: Stage2Access,
        _: &mut K,
    ) -> Result<Stage2Ok, Fault> {
        Ok(Stage2Ok {
            hpa: Hpa::new(gpa.raw()),
            size: PageSize::Size1G,
            rights: S2_ALL,
        })
    }

    /// No stage 2, so nothing to frame: no nested events.
    #[inline(always)]
    fn translate<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        gpa: Gpa,
        acc: Stage2Access,
        sink: &mut K,
    ) -> Result<Stage2Ok, Fault> {
        self.walk(mem, gpa, acc, sink)
    }

    fn ad_write_fault(&self, gpa: Gpa, gva: Gva, _: u8, level: Level) -> Fault {
        // Unreachable in practice: identity stage 2 always allows writes.
        Fault::EptViolation {
            gpa,
            gva,
            qual: EptViolationQual::WRITE,
            level,
        }
    }
}

/// EPT entry checks for one MAXPHYADDR, as tables indexed by level and bit 7, so the hot
/// loop decides "present, well formed" and "leaf" for an entry with two lookups and one
/// branch. They encode exactly [`ept_misconfigured`], [`ept_is_leaf`] and the not-present
/// test (bits 2:0 clear); a test compares them over every low-bit pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EptChecks {
    /// Bits that must be clear: MAXPHYADDR..=51 always, 7:3 in a non-leaf entry, the offset
    /// bits of a large page.
    rsvd: [u64; 16],
    /// Bit `v` is set when the entry's bits 5:0 equal `v` and make it not present (bits 2:0
    /// clear), write-without-read, or (in a leaf) a reserved memory type.
    low: [u64; 16],
}

impl EptChecks {
    /// Slots of the leaf entries: L1 with either bit 7, L2 and L3 with bit 7 set.
    const LEAF_SLOTS: u16 = 1 << 2 | 1 << 3 | 1 << 5 | 1 << 7;

    /// The checks for a CPU with `maxphyaddr` physical address bits.
    pub fn new(maxphyaddr: u8) -> Self {
        let high = high_reserved_bits(maxphyaddr);
        let mut rsvd = [u64::MAX; 16];
        let mut low = [u64::MAX; 16];
        for level in Level::TOP_DOWN {
            for ps in [0u64, 1] {
                let slot = Self::slot(level.number(), ps << 7);
                let leaf = Self::LEAF_SLOTS >> slot & 1 != 0;
                rsvd[slot] = high
                    | if leaf {
                        ((1u64 << level.shift()) - 1) & !0xfff
                    } else {
                        0xf8
                    };
                low[slot] = (0..64u64)
                    .filter(|&v| {
                        let e = v | ps << 7;
                        e & 0b111 == 0 || misconfigured(e, level.shift(), leaf, 0)
                    })
                    .fold(0, |m, v| m | 1 << v);
            }
        }
        Self { rsvd, low }
    }

    /// The table slot of an entry at level number `lv` (1..=5): level and bit 7. Masked so
    /// the lookups need no bounds test.
    #[inline(always)]
    fn slot(lv: u8, entry: u64) -> usize {
        (usize::from(lv) << 1 | ((entry >> 7) & 1) as usize) & 15
    }

    /// Whether the entry in `slot` is not present or misconfigured.
    #[inline(always)]
    fn bad(&self, entry: u64, slot: usize) -> bool {
        entry & self.rsvd[slot] != 0 || (self.low[slot] >> (entry & 63)) & 1 != 0
    }

    /// Whether the entry in `slot` maps a page (every L1 entry does, so a walk ends). A
    /// constant, so a step with a known level folds it.
    #[inline(always)]
    const fn is_leaf(slot: usize) -> bool {
        Self::LEAF_SLOTS >> slot & 1 != 0
    }
}

/// The entries one stage-2 walk read, top first: their addresses and values, for A/D
/// updates and cache fills after the walk.
///
/// The walk itself does not record them: its loop carries only what the next reference
/// depends on. When flags must be set or caches filled, [`Entries::reread`] reads the same
/// entries again, silently (the model's bookkeeping, not a hardware reference): nothing has
/// written memory since, so they are the entries the walk read.
struct Entries {
    len: usize,
    addr: [u64; 5],
    value: [u64; 5],
}

impl Entries {
    /// The entries from level number `first` (in the table at `table`) down to `last`,
    /// following each entry's address field (`addr_mask`).
    fn reread(mem: &PhysMemory, mut table: u64, first: u8, last: u8, addr: u64, mask: u64) -> Self {
        let mut entries = Entries {
            len: 0,
            addr: [0; 5],
            value: [0; 5],
        };
        for (i, lv) in (last..=first).rev().enumerate().take(5) {
            let offset = 8 * ((addr >> (9 * u32::from(lv) + 3)) & 511);
            let at = table + offset;
            let e = mem.read_entry(table, offset);
            entries.addr[i] = at;
            entries.value[i] = e;
            entries.len = i + 1;
            table = e & mask;
        }
        entries
    }
}

/// The level below level number `lv`, as a `Level` (for events; L1 at the bottom).
#[inline(always)]
fn level_of(lv: u8) -> Level {
    Level::from_number(lv).unwrap_or(Level::L1)
}

/// Where a walk of one dimension starts: at the root, or (on a paging-structure-cache hit,
/// reported as an event) at the table below the deepest cached entry, with the rights
/// combined down to it (Intel SDM vol. 3, "Using the Paging-Structure Caches to Translate
/// Linear Addresses").
struct WalkStart {
    table: u64,
    level: Level,
    /// The cached rights, packed as the cache keeps them, on a hit.
    cached: Option<u8>,
    /// A combined mapping: the next guest table's host-physical address and the stage-2
    /// rights of its page (`table` is then its guest-physical address).
    combined: Option<(u64, u8)>,
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn walk_start<K: EventSink>(
    pwc: &mut Pwc,
    levels: Levels,
    root: u64,
    addr: u64,
    tag: Tag,
    table: TableKind,
    mapping: crate::event::CachedMapping,
    sink: &mut K,
) -> WalkStart {
    match pwc.lookup(levels, addr, tag) {
        Some(hit) => {
            sink.event(&Event::PwcHit {
                table,
                level: hit.level,
                mapping,
                next: hit.next,
            });
            let combined = mapping == crate::event::CachedMapping::Combined;
            WalkStart {
                table: hit.next_gpa,
                level: hit.level.below().unwrap_or(Level::L1),
                cached: Some(hit.rights),
                combined: combined.then_some((hit.next, hit.stage2)),
            }
        }
        None => WalkStart {
            table: root,
            level: levels.top(),
            cached: None,
            combined: None,
        },
    }
}

/// Intel EPT (Intel SDM vol. 3, "EPT Translation Mechanism", "EPT Violations", "EPT
/// Misconfigurations", "Accessed and Dirty Flags for EPT").
pub(crate) struct Ept<'a> {
    pub root: Hpa,
    pub levels: Levels,
    pub ad: bool,
    /// Bits 51:12 below MAXPHYADDR: the address field of an entry.
    pub addr_mask: u64,
    pub checks: &'a EptChecks,
    pub pwc: &'a mut Pwc,
    pub tag: Tag,
}

impl Stage2 for Ept<'_> {
    /// With EPT A/D on, "accesses to guest paging-structure entries are treated as writes"
    /// (Intel SDM vol. 3, "Accessed and Dirty Flags for EPT").
    fn table_reads_are_writes(&self) -> bool {
        self.ad
    }

    /// One EPT walk. The walk carries only what the next reference depends on; A/D updates
    /// and cache fills, rare once a walk has run, happen after it ([`set_ad`],
    /// [`Ept::fill_pwc`]) on entries read again ([`Entries::reread`]).
    #[inline(always)]
    fn walk<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        gpa: Gpa,
        acc: Stage2Access,
        sink: &mut K,
    ) -> Result<Stage2Ok, Fault> {
        let addr = gpa.raw();
        let at = walk_start(
            self.pwc,
            self.levels,
            self.root.raw(),
            addr,
            self.tag,
            TableKind::Ept,
            crate::event::CachedMapping::GuestPhysical,
            sink,
        );
        let mut table = at.table;
        let mut lv = at.level.number();
        let rights = at.cached.unwrap_or(S2_ALL);
        let first = lv;
        let start_table = table;
        let start_rights = rights;
        // The AND of every entry read: the rights (bits 2:0) combined, and all accessed
        // flags already set when its bit 8 is.
        let mut all = u64::MAX;
        // One step per level, unrolled so each level's index shift and check slots are
        // constants; PML5/PML4 entries never map a page, every PT entry does.
        let leaf = 'walk: {
            if lv >= 5 {
                let (e, _) = self.step(mem, 5, table, gpa, &acc, sink)?;
                all &= e;
                table = e & self.addr_mask;
            }
            if lv >= 4 {
                let (e, _) = self.step(mem, 4, table, gpa, &acc, sink)?;
                all &= e;
                table = e & self.addr_mask;
            }
            if lv >= 3 {
                let (e, leaf) = self.step(mem, 3, table, gpa, &acc, sink)?;
                all &= e;
                if leaf {
                    lv = 3;
                    break 'walk e;
                }
                table = e & self.addr_mask;
            }
            if lv >= 2 {
                let (e, leaf) = self.step(mem, 2, table, gpa, &acc, sink)?;
                all &= e;
                if leaf {
                    lv = 2;
                    break 'walk e;
                }
                table = e & self.addr_mask;
            }
            let (e, _) = self.step(mem, 1, table, gpa, &acc, sink)?;
            all &= e;
            lv = 1;
            e
        };
        let rights = rights & (all & 0b111) as u8;
        let size = level_of(lv).leaf_size().unwrap_or(PageSize::Size4K);
        let need = if acc.write {
            0b010
        } else if acc.fetch {
            0b100
        } else {
            0b001
        };
        if rights & need == 0 {
            return Err(self.violation(gpa, &acc, rights, level_of(lv)));
        }
        let set_flags = self.ad
            && (all & EptFlags::ACCESSED.bits() == 0
                || (acc.write && leaf & EptFlags::DIRTY.bits() == 0));
        let fill = self.pwc.enabled() && lv < first;
        if set_flags || fill {
            let mut entries = Entries::reread(mem, start_table, first, lv, addr, self.addr_mask);
            if set_flags {
                // Intel SDM vol. 3, "Accessed and Dirty Flags for EPT".
                let dirty = if acc.write { EptFlags::DIRTY.bits() } else { 0 };
                set_ad(
                    mem,
                    &mut entries,
                    TableKind::Ept,
                    first,
                    EptFlags::ACCESSED.bits(),
                    dirty,
                    sink,
                );
            }
            if fill {
                self.fill_pwc(&entries, first, addr, start_rights);
            }
        }
        let base = leaf & self.addr_mask & !(size.bytes() - 1);
        Ok(Stage2Ok {
            hpa: Hpa::new(base | gpa.page_offset(size)),
            size,
            rights,
        })
    }

    fn ad_write_fault(&self, gpa: Gpa, gva: Gva, rights: u8, level: Level) -> Fault {
        Fault::EptViolation {
            gpa,
            gva,
            qual: EptViolationQual::WRITE
                | EptViolationQual::GLA_VALID
                | EptViolationQual::from_bits_truncate(u64::from(rights) << 3),
            level,
        }
    }
}

impl Ept<'_> {
    fn violation(&self, gpa: Gpa, acc: &Stage2Access, rights: u8, level: Level) -> Fault {
        let mut q = EptViolationQual::GLA_VALID;
        q |= if acc.write {
            EptViolationQual::WRITE
        } else if acc.fetch {
            EptViolationQual::FETCH
        } else {
            EptViolationQual::READ
        };
        q |= EptViolationQual::from_bits_truncate(u64::from(rights) << 3);
        if acc.is_final() {
            q |= EptViolationQual::FINAL_TRANSLATION;
        }
        Fault::EptViolation {
            gpa,
            gva: acc.gva,
            qual: q,
            level,
        }
    }

    /// The fault for an entry [`EptChecks`] refused: a not-present entry is a violation
    /// (the SDM checks misconfiguration only for present entries), anything else a
    /// misconfiguration.
    #[cold]
    #[inline(never)]
    fn refused(&self, gpa: Gpa, acc: &Stage2Access, entry: u64, level: Level) -> Fault {
        if entry & 0b111 == 0 {
            self.violation(gpa, acc, 0, level)
        } else {
            Fault::EptMisconfig { gpa, level }
        }
    }

    /// Reads and checks the entry at level number `lv` of the table at `table` for `gpa`:
    /// the entry and whether it maps a page. Inlined with a constant `lv` at each level of
    /// [`Ept::walk`], so the index shift and the check slots fold.
    #[inline(always)]
    fn step<K: EventSink>(
        &self,
        mem: &PhysMemory,
        lv: u8,
        table: u64,
        gpa: Gpa,
        acc: &Stage2Access,
        sink: &mut K,
    ) -> Result<(u64, bool), Fault> {
        let offset = (gpa.raw() >> (9 * u32::from(lv))) & 0xff8;
        let e = mem.read_entry(table, offset);
        sink.event(&Event::TableRead {
            table: TableKind::Ept,
            level: level_of(lv),
            index: (offset >> 3) as u16,
            entry_addr: Hpa::new(table + offset),
            entry: e,
        });
        let slot = EptChecks::slot(lv, e);
        if self.checks.bad(e, slot) {
            return Err(self.refused(gpa, acc, e, level_of(lv)));
        }
        Ok((e, EptChecks::is_leaf(slot)))
    }

    /// Remembers the walk's non-leaf entries in the stage-2 paging-structure cache, each with
    /// the rights combined down to it.
    fn fill_pwc(&mut self, entries: &Entries, first: u8, addr: u64, start_rights: u8) {
        let mut r = start_rights;
        for i in 0..entries.len.saturating_sub(1) {
            r &= (entries.value[i] & 0b111) as u8;
            let next = entries.value[i] & self.addr_mask;
            self.pwc
                .insert(level_of(first - i as u8), addr, self.tag, next, r);
        }
    }
}

/// AMD nested paging (AMD APM vol. 2, "Nested Paging": nested tables use the long-mode
/// format, every nested access is a user access, and a failure is a #VMEXIT(NPF) with a
/// #PF-style error code).
pub(crate) struct Npt<'a> {
    pub root: Hpa,
    pub levels: Levels,
    pub host: CpuConfig,
    /// Bits 51:12 below MAXPHYADDR: the address field of an entry.
    pub addr_mask: u64,
    pub reserved: &'a ReservedMasks,
    pub pwc: &'a mut Pwc,
    pub tag: Tag,
}

impl Stage2 for Npt<'_> {
    /// KVM's paging_tmpl.h translates guest page-table addresses through nested tables with
    /// PFERR_USER_MASK | PFERR_WRITE_MASK when the guest format has A/D bits, as IA-32e has.
    fn table_reads_are_writes(&self) -> bool {
        true
    }

    /// One nested walk, shaped like [`Ept::walk`].
    #[inline(always)]
    fn walk<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        gpa: Gpa,
        acc: Stage2Access,
        sink: &mut K,
    ) -> Result<Stage2Ok, Fault> {
        let addr = gpa.raw();
        let at = walk_start(
            self.pwc,
            self.levels,
            self.root.raw(),
            addr,
            self.tag,
            TableKind::Npt,
            crate::event::CachedMapping::GuestPhysical,
            sink,
        );
        let mut table = at.table;
        let mut lv = at.level.number();
        let mut racc = at.cached.map_or(RightsAcc::ALL, |r| {
            RightsAcc::from_rights(Rights::unpack(r))
        });
        let first = lv;
        let start_table = table;
        let start = racc;
        let mut all = u64::MAX;
        let mut shift = 9 * u32::from(lv) + 3;
        let leaf = loop {
            let level = level_of(lv);
            let index = (addr >> shift) & 511;
            let entry_addr = table + 8 * index;
            let e = mem.read_entry(table, 8 * index);
            sink.event(&Event::TableRead {
                table: TableKind::Npt,
                level,
                index: index as u16,
                entry_addr: Hpa::new(entry_addr),
                entry: e,
            });
            if e & PteFlags::PRESENT.bits() == 0 {
                return Err(self.npf(gpa, &acc, PfErrorCode::empty(), level));
            }
            if self.reserved.check(e, level) {
                return Err(self.npf(
                    gpa,
                    &acc,
                    PfErrorCode::PRESENT | PfErrorCode::RESERVED,
                    level,
                ));
            }
            racc.add(e);
            all &= e;
            if ia32e_is_leaf(e, level) {
                break e;
            }
            table = e & self.addr_mask;
            lv -= 1;
            shift -= 9;
        };
        let size = level_of(lv).leaf_size().unwrap_or(PageSize::Size4K);
        let rights = racc.rights(self.host.nxe);
        let ctl = self.host.rights_control(false);
        if let Some(code) = check_rights(rights, Self::access(&acc), ctl) {
            return Err(self.npf(gpa, &acc, code, level_of(lv)));
        }
        // Nested tables are IA-32e tables: the walk sets their accessed (and the leaf's dirty)
        // flags like a guest walk (AMD APM vol. 2, "Nested Paging").
        let set_flags = all & PteFlags::ACCESSED.bits() == 0
            || (acc.write && leaf & PteFlags::DIRTY.bits() == 0);
        let fill = self.pwc.enabled() && lv < first;
        if set_flags || fill {
            let mut entries = Entries::reread(mem, start_table, first, lv, addr, self.addr_mask);
            if set_flags {
                let dirty = if acc.write { PteFlags::DIRTY.bits() } else { 0 };
                set_ad(
                    mem,
                    &mut entries,
                    TableKind::Npt,
                    first,
                    PteFlags::ACCESSED.bits(),
                    dirty,
                    sink,
                );
            }
            if fill {
                let mut r = start;
                for i in 0..entries.len.saturating_sub(1) {
                    r.add(entries.value[i]);
                    let next = entries.value[i] & self.addr_mask;
                    let packed = r.rights(self.host.nxe).pack();
                    self.pwc
                        .insert(level_of(first - i as u8), addr, self.tag, next, packed);
                }
            }
        }
        let base = leaf & self.addr_mask & !(size.bytes() - 1);
        let s2 = (rights.user as u8)
            | ((rights.user && rights.writable) as u8) << 1
            | ((rights.user && !rights.no_execute) as u8) << 2;
        Ok(Stage2Ok {
            hpa: Hpa::new(base | gpa.page_offset(size)),
            size,
            rights: s2,
        })
    }

    fn ad_write_fault(&self, gpa: Gpa, _: Gva, _: u8, level: Level) -> Fault {
        Fault::NestedPageFault {
            gpa,
            code: PfErrorCode::PRESENT | PfErrorCode::WRITE | PfErrorCode::USER,
            final_translation: false,
            level,
        }
    }
}

impl Npt<'_> {
    /// The nested access as a user access of the same kind.
    fn access(acc: &Stage2Access) -> Access {
        Access::new(
            if acc.write {
                crate::AccessKind::Write
            } else if acc.fetch {
                crate::AccessKind::Fetch
            } else {
                crate::AccessKind::Read
            },
            crate::Privilege::User,
        )
    }

    #[cold]
    fn npf(&self, gpa: Gpa, acc: &Stage2Access, code: PfErrorCode, level: Level) -> Fault {
        let code = code | error_code_bits(Self::access(acc), self.host.rights_control(false));
        Fault::NestedPageFault {
            gpa,
            code,
            final_translation: acc.is_final(),
            level,
        }
    }
}

/// Sets `accessed` in every entry of a walk and `dirty` in its leaf, where clear: the
/// processor's locked A/D updates after a successful walk. Kept out of line: once a page has
/// been walked its flags are set, and the walk only checks them.
#[cold]
#[allow(clippy::too_many_arguments)]
fn set_ad<K: EventSink>(
    mem: &mut PhysMemory,
    entries: &mut Entries,
    table: TableKind,
    first: u8,
    accessed: u64,
    dirty: u64,
    sink: &mut K,
) {
    let last = entries.len.saturating_sub(1);
    for i in 0..entries.len {
        let bits = if i == last {
            accessed | dirty
        } else {
            accessed
        };
        let old = entries.value[i];
        let new = old | bits;
        if new != old {
            let at = Hpa::new(entries.addr[i]);
            // The entry was just read as present, so its frame exists: no allocation.
            mem.update_existing(at, new);
            sink.event(&Event::AdUpdate {
                table,
                level: level_of(first - i as u8),
                entry_addr: at,
                old,
                new,
            });
            entries.value[i] = new;
        }
    }
}

/// The entries a walk went through, kept for A/D updates and cache fills.
struct Path {
    len: usize,
    top: u8,
    hpa: [u64; 5],
    value: [u64; 5],
    s2_rights: [u8; 5],
    gpa: [u64; 5],
}

impl Path {
    /// An empty path whose first entry is at `top`.
    #[inline(always)]
    fn new(top: Level) -> Self {
        Path {
            len: 0,
            top: top.number(),
            hpa: [0; 5],
            value: [0; 5],
            s2_rights: [0; 5],
            gpa: [0; 5],
        }
    }

    #[inline(always)]
    fn push(&mut self, hpa: u64, value: u64, s2: u8, gpa: u64) {
        let i = self.len.min(4);
        self.hpa[i] = hpa;
        self.value[i] = value;
        self.s2_rights[i] = s2;
        self.gpa[i] = gpa;
        self.len += 1;
    }

    fn level(&self, i: usize) -> Level {
        Level::from_number(self.top - i as u8).unwrap_or(Level::L1)
    }

    /// Sets `bits` in entry `i` if any is clear: the processor's locked A/D update.
    fn set_bits<K: EventSink>(
        &mut self,
        i: usize,
        mem: &mut PhysMemory,
        table: TableKind,
        bits: u64,
        sink: &mut K,
    ) {
        let old = self.value[i];
        let new = old | bits;
        if new != old {
            // The entry was just read as present, so its frame exists: no allocation here.
            mem.update_existing(Hpa::new(self.hpa[i]), new);
            sink.event(&Event::AdUpdate {
                table,
                level: self.level(i),
                entry_addr: Hpa::new(self.hpa[i]),
                old,
                new,
            });
            self.value[i] = new;
        }
    }
}

/// Everything a stage-1 walk needs besides memory and stage 2.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stage1<'a> {
    pub table: TableKind,
    pub levels: Levels,
    pub root: u64,
    /// Bits 51:12 below MAXPHYADDR: the address field of an entry.
    pub addr_mask: u64,
    pub cpu: &'a CpuConfig,
    pub reserved: &'a ReservedMasks,
    pub ctl: RightsControl,
    pub tag: Tag,
}

/// Walks IA-32e tables for one linear address, translating every table address through
/// `s2` (Intel SDM vol. 3, "Linear-Address Translation with 4-Level Paging and 5-Level
/// Paging", "Access Rights", "Accessed and Dirty Flags", "Page-Fault Exceptions").
///
/// Accessed and dirty flags are set only once the whole translation has succeeded, as KVM's
/// software walker does (`FNAME(update_accessed_dirty_bits)` after the permission check); the
/// SDM allows a processor to set them earlier. An A/D update is a write to the guest table,
/// so stage 2 must allow writes there (SDM "EPT Violations").
#[inline(never)]
pub(crate) fn walk_stage1<S: Stage2, K: EventSink>(
    mem: &mut PhysMemory,
    w: &Stage1<'_>,
    gva: Gva,
    access: Access,
    pwc: &mut Pwc,
    s2: &mut S,
    sink: &mut K,
) -> Result<Translation, Fault> {
    let addr = gva.raw();
    sink.event(&Event::WalkBegin {
        table: w.table,
        root: match w.table {
            TableKind::Shadow => crate::event::WalkRoot::Host(Hpa::new(w.root)),
            // With no second dimension the guest's tables are the only ones: CR3 is a
            // physical address, not a guest-physical one.
            _ if s2.is_identity() => crate::event::WalkRoot::Physical(Hpa::new(w.root)),
            _ => crate::event::WalkRoot::Guest(Gpa::new(w.root)),
        },
        gva,
    });
    let pf = |code: PfErrorCode, level: Level| Fault::PageFault { gva, code, level };
    let base_code = error_code_bits(access, w.ctl);
    let table_write = s2.table_reads_are_writes();
    let mapping = if s2.is_identity() {
        crate::event::CachedMapping::Linear
    } else {
        crate::event::CachedMapping::Combined
    };
    let at = walk_start(pwc, w.levels, w.root, addr, w.tag, w.table, mapping, sink);
    let mut table = at.table;
    let mut level = at.level;
    let mut combined = at.combined;
    let mut acc = at.cached.map_or(RightsAcc::ALL, |r| {
        RightsAcc::from_rights(Rights::unpack(r))
    });
    let start = acc;
    let mut path = Path::new(level);
    let guest_size = loop {
        let index = level.index(addr);
        let entry_gpa = Gpa::new(table + 8 * index as u64);
        let t = match combined.take() {
            // A combined mapping gave this table's host-physical address: no stage-2 walk.
            Some((hpa, rights)) => Stage2Ok {
                hpa: Hpa::new(hpa + 8 * index as u64),
                size: PageSize::Size4K,
                rights,
            },
            None => s2.translate(
                mem,
                entry_gpa,
                Stage2Access {
                    write: table_write,
                    fetch: false,
                    purpose: NestedPurpose::GuestTable { level },
                    gva,
                },
                sink,
            )?,
        };
        // The table's frame and the offset in it, kept apart for the read (see `read_entry`).
        let e = mem.read_entry(t.hpa.raw() & !0xfff, t.hpa.raw() & 0xff8);
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
        if w.reserved.check(e, level) {
            return Err(pf(
                PfErrorCode::PRESENT | PfErrorCode::RESERVED | base_code,
                level,
            ));
        }
        acc.add(e);
        path.push(t.hpa.raw(), e, t.rights, entry_gpa.raw());
        if ia32e_is_leaf(e, level) {
            break level.leaf_size().unwrap_or(PageSize::Size4K);
        }
        table = e & w.addr_mask;
        level = match level.below() {
            Some(l) => l,
            None => break PageSize::Size4K,
        };
    };
    let rights = acc.rights(w.cpu.nxe);
    if let Some(code) = check_rights(rights, access, w.ctl) {
        return Err(pf(code, level));
    }
    let last = path.len - 1;
    let leaf = path.value[last];
    let base = leaf & w.addr_mask & !(guest_size.bytes() - 1);
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
    for i in 0..path.len {
        let mut bits = PteFlags::ACCESSED.bits();
        if i == last && access.is_write() {
            bits |= PteFlags::DIRTY.bits();
        }
        if path.value[i] & bits == bits {
            continue;
        }
        if path.s2_rights[i] & 0b010 == 0 {
            return Err(s2.ad_write_fault(
                Gpa::new(path.gpa[i]),
                gva,
                path.s2_rights[i],
                path.level(i),
            ));
        }
        path.set_bits(i, mem, w.table, bits, sink);
    }
    if pwc.enabled() {
        // Natively (and for shadow tables) a linear mapping to the next table; under EPT/NPT
        // a combined one, to the host-physical address the walk found for it.
        let mut r = start;
        for i in 0..last {
            r.add(path.value[i]);
            let packed = r.rights(w.cpu.nxe).pack();
            pwc.insert_combined(
                path.level(i),
                addr,
                w.tag,
                path.hpa[i + 1] & !0xfff,
                path.gpa[i + 1] & !0xfff,
                packed,
                path.s2_rights[i + 1],
            );
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
        stage2: crate::Stage2Rights::from_bits_truncate(fin.rights),
        dirty: path.value[last] & PteFlags::DIRTY.bits() != 0,
        global: w.cpu.pge && leaf & PteFlags::GLOBAL.bits() != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the tables must say: the rules written out one by one.
    fn by_the_rules(e: u64, level: Level, maxphyaddr: u8) -> (bool, bool) {
        let bad = e & 0b111 == 0 || ept_misconfigured(e, level, maxphyaddr);
        (bad, ept_is_leaf(e, level))
    }

    fn by_the_tables(checks: &EptChecks, e: u64, level: Level) -> (bool, bool) {
        let slot = EptChecks::slot(level.number(), e);
        (checks.bad(e, slot), EptChecks::is_leaf(slot))
    }

    #[test]
    fn ept_check_tables_agree_with_the_rules_for_every_low_bit_pattern() {
        for maxphyaddr in [36u8, 39, 46, 48, 52] {
            let checks = EptChecks::new(maxphyaddr);
            let high = [
                0u64,
                1 << 12,
                1 << 20,
                1 << 29,
                1 << 35,
                1 << 47,
                1 << 51,
                1 << 52,
                1 << 63,
            ];
            for level in Level::TOP_DOWN {
                for low in 0..0x400u64 {
                    for h in high {
                        let e = low | h;
                        assert_eq!(
                            by_the_tables(&checks, e, level),
                            by_the_rules(e, level, maxphyaddr),
                            "entry {e:#x} at {level:?}, MAXPHYADDR {maxphyaddr}"
                        );
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn ept_check_tables_agree_with_the_rules_for_any_entry(
            e in any::<u64>(),
            n in 1u8..=5,
            maxphyaddr in 36u8..=52,
        ) {
            let level = Level::from_number(n).unwrap();
            let checks = EptChecks::new(maxphyaddr);
            prop_assert_eq!(
                by_the_tables(&checks, e, level),
                by_the_rules(e, level, maxphyaddr)
            );
        }
    }
}
