//! The event log: one event per thing the machine does, one per page-table memory reference.
//!
//! Counters are a fold over these events ([`crate::Counters`]); the CLI and the web app print
//! them with [`Event::describe`], so both say the same thing.

use crate::access::Access;
use crate::addr::{Gfn, Gpa, Gva, Hpa, Level, PageSize};
use crate::entry::{describe_ept, describe_pte};
use crate::fault::Fault;
use crate::words::{hex, num, say, text, Lang};
use pagewalk_text::FluentValue;
use serde::{Deserialize, Serialize};

/// Which translation structure a table belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// The guest's own IA-32e tables (or the only tables, natively): the linear dimension.
    Guest,
    /// Intel EPT tables (stage 2): the host dimension.
    Ept,
    /// AMD nested page tables (stage 2, IA-32e format): the host dimension.
    Npt,
    /// A hypervisor's shadow tables, walked by hardware in place of the guest's.
    Shadow,
}

impl TableKind {
    /// Whether references to this table are in the host (stage-2) dimension.
    pub const fn is_stage2(self) -> bool {
        matches!(self, TableKind::Ept | TableKind::Npt)
    }

    /// The table's name at a level: "PML4", "EPT PD", "NPT PT", "shadow PDPT".
    pub fn table_name(self, level: Level, lang: Lang) -> String {
        let id = match self {
            TableKind::Guest => "table-guest",
            TableKind::Ept => "table-ept",
            TableKind::Npt => "table-npt",
            TableKind::Shadow => "table-shadow",
        };
        say(lang, id, &[("level", text(level.table_name()))])
    }
}

impl FlushCause {
    /// What flushed, in `lang`: "INVLPG 0x...", "MOV to CR3", "VM exit without VPID".
    pub fn describe(self, lang: Lang) -> String {
        let s = |id: &str, args: &[(&str, FluentValue<'_>)]| say(lang, id, args);
        match self {
            FlushCause::Invlpg { gva } => s("flush-invlpg", &[("gva", text(gva))]),
            FlushCause::Invpcid { kind } => s("flush-invpcid", &[("kind", num(kind))]),
            FlushCause::MovCr3 => s("flush-mov-cr3", &[]),
            FlushCause::Invvpid { kind } => s("flush-invvpid", &[("kind", num(kind))]),
            FlushCause::Invept { kind } => s("flush-invept", &[("kind", num(kind))]),
            FlushCause::VmExit => s("flush-vm-exit", &[]),
            FlushCause::VmEntry => s("flush-vm-entry", &[]),
            FlushCause::PageFault => s("flush-page-fault", &[]),
            FlushCause::Stage2Fault => s("flush-stage2", &[]),
            FlushCause::Hypervisor => s("flush-hypervisor", &[]),
        }
    }
}

/// Something the host could not do to guest memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// hugetlbfs pages cannot be paged out: `madvise(MADV_PAGEOUT)` fails with EINVAL
    /// (mm/madvise.c: `madvise_pageout` returns -EINVAL when `can_madv_lru_vma` sees VM_HUGETLB).
    HugetlbPageOut,
}

impl Refusal {
    /// Why, in `lang`, as a sentence without its full stop.
    pub fn describe(self, lang: Lang) -> String {
        match self {
            Refusal::HugetlbPageOut => say(lang, "refused-hugetlb-page-out", &[]),
        }
    }
}

/// Why a nested (stage-2) walk is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum NestedPurpose {
    /// To find the guest table entry at this guest level.
    GuestTable {
        /// The guest level.
        level: Level,
    },
    /// To translate the final guest-physical address of the access.
    FinalAddress,
}

/// A level of the TLB hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlbLevel {
    /// The first-level data or instruction TLB.
    L1,
    /// The unified second-level TLB (STLB).
    L2,
}

/// What caused a flush of TLB and paging-structure-cache entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum FlushCause {
    /// INVLPG of one linear address.
    Invlpg {
        /// The address.
        gva: Gva,
    },
    /// INVPCID of the given type (0-3).
    Invpcid {
        /// INVPCID type.
        kind: u8,
    },
    /// MOV to CR3.
    MovCr3,
    /// INVVPID of the given type (0-3).
    Invvpid {
        /// INVVPID type.
        kind: u8,
    },
    /// INVEPT of the given type (1 single-context, 2 global).
    Invept {
        /// INVEPT type.
        kind: u8,
    },
    /// A VM exit without VPID.
    VmExit,
    /// A VM entry without VPID.
    VmEntry,
    /// A page fault invalidates the faulting address.
    PageFault,
    /// An EPT violation (or NPF) invalidates the combined mappings of its linear address.
    Stage2Fault,
    /// The hypervisor flushed after changing shadow tables.
    Hypervisor,
}

/// Why the host changed the pages behind guest memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostChange {
    /// Written out to swap (`MADV_PAGEOUT`, or reclaim).
    SwapOut,
    /// Given back through the balloon (`MADV_DONTNEED`).
    Discard,
    /// Merged by KSM (write-protected, then replaced by the KSM page).
    KsmMerge,
    /// Copied on write (the zero page, a KSM page).
    CopyOnWrite,
    /// A transparent huge page split: mapped with 4 KiB pages from now on.
    Split,
}

impl HostChange {
    /// A short description.
    pub fn describe(self, lang: Lang) -> String {
        let id = match self {
            HostChange::SwapOut => "host-change-swap-out",
            HostChange::Discard => "host-change-discard",
            HostChange::KsmMerge => "host-change-ksm-merge",
            HostChange::CopyOnWrite => "host-change-cow",
            HostChange::Split => "host-change-split",
        };
        say(lang, id, &[])
    }
}

/// The three kinds of cached paging-structure mapping (Intel SDM vol. 3, "Information That
/// May Be Cached"): what a paging-structure-cache hit skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CachedMapping {
    /// Linear address bits -> the next table (no EPT: natively, and shadow tables), tagged
    /// by VPID and PCID.
    Linear,
    /// Guest-physical address bits -> the next EPT/NPT table, tagged by the EPT root.
    GuestPhysical,
    /// Linear address bits -> the host-physical address of the next *guest* table under
    /// EPT/NPT, tagged by VPID, PCID and EPT root: a hit skips the guest levels above and the
    /// stage-2 walk of that table's address.
    Combined,
}

impl CachedMapping {
    /// A short description.
    pub fn describe(self, lang: Lang) -> String {
        let id = match self {
            CachedMapping::Linear => "mapping-linear",
            CachedMapping::GuestPhysical => "mapping-guest-physical",
            CachedMapping::Combined => "mapping-combined",
        };
        say(lang, id, &[])
    }
}

/// Where a hardware walk starts, in its own address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "space", content = "addr", rename_all = "snake_case")]
pub enum WalkRoot {
    /// The guest's CR3: a guest-physical address (the physical address itself natively).
    Guest(Gpa),
    /// The hypervisor's shadow root, in host memory.
    Host(Hpa),
    /// CR3 of a machine with no hypervisor: a physical address.
    Physical(Hpa),
}

/// Why a VM exit happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// An exit the scenario asked for (an I/O instruction, a hypercall, an interrupt).
    External,
    /// An EPT violation or NPT nested page fault.
    Stage2Fault,
    /// An EPT misconfiguration.
    EptMisconfig,
    /// A #PF under shadow paging (every guest page fault exits).
    PageFault,
    /// MOV to CR3 under shadow paging.
    Cr3Write,
    /// INVLPG under shadow paging.
    Invlpg,
    /// The host loads guest state (KVM_SET_SREGS with a new CR3) after an I/O exit.
    HostCr3,
    /// PVM: the guest enters its kernel (CPL 0, emulated by the hypervisor) through an
    /// exception.
    KernelEntry,
    /// PVM: the guest's kernel returns to user mode (IRETQ, emulated).
    KernelReturn,
    /// PVM: one more exit when a guest MOV CR3 loads a shadow root that is not among the
    /// cached ones (measured on this host; the mechanism is not identified).
    RootLoad,
}

impl ExitReason {
    /// A short description.
    pub fn describe(self, lang: Lang) -> String {
        let id = match self {
            ExitReason::External => "exit-external",
            ExitReason::Stage2Fault => "exit-stage2",
            ExitReason::EptMisconfig => "exit-misconfig",
            ExitReason::PageFault => "exit-page-fault",
            ExitReason::Cr3Write => "exit-cr3",
            ExitReason::Invlpg => "exit-invlpg",
            ExitReason::HostCr3 => "exit-host-cr3",
            ExitReason::KernelEntry => "exit-kernel-entry",
            ExitReason::KernelReturn => "exit-kernel-return",
            ExitReason::RootLoad => "exit-root-load",
        };
        say(lang, id, &[])
    }
}

/// How KVM's MMU ended a fault exit (Linux `arch/x86/kvm/mmu/mmu_internal.h`, `RET_PF_*`),
/// which is what its `pf_*` statistics count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultOutcome {
    /// Entries were made; the guest retries the access (`pf_fixed`).
    Fixed,
    /// The entry was already right (`RET_PF_SPURIOUS`, `pf_spurious`).
    Spurious,
    /// The faulting instruction was emulated (a write to a write-protected guest page table,
    /// `RET_PF_EMULATE`, `pf_emulate`).
    Emulated,
    /// The guest's own walk failed: the #PF is injected into the guest (`pf_guest`).
    Injected,
    /// Nothing was mapped (the host page changed under KVM: `RET_PF_RETRY`); the access
    /// faults again.
    Retry,
}

impl FaultOutcome {
    /// A short description.
    pub fn describe(self, lang: Lang) -> String {
        let id = match self {
            FaultOutcome::Fixed => "outcome-fixed",
            FaultOutcome::Spurious => "outcome-spurious",
            FaultOutcome::Emulated => "outcome-emulated",
            FaultOutcome::Injected => "outcome-injected",
            FaultOutcome::Retry => "outcome-retry",
        };
        say(lang, id, &[])
    }
}

/// One step of what the machine did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// An access starts.
    AccessBegin {
        /// The linear address.
        gva: Gva,
        /// What kind of access.
        access: Access,
    },
    /// A TLB level held the translation.
    TlbHit {
        /// Which level.
        level: TlbLevel,
        /// The page size of the entry.
        size: PageSize,
        /// The translated address.
        hpa: Hpa,
    },
    /// A TLB level did not hold it.
    TlbMiss {
        /// Which level.
        level: TlbLevel,
    },
    /// A TLB entry was found but has D=0 and the access writes: the processor walks again to
    /// set the dirty flag (Intel SDM vol. 3, "Accessed and Dirty Flags").
    TlbDirtyRewalk,
    /// A paging-structure cache held an entry, so the walk starts lower.
    PwcHit {
        /// The structure.
        table: TableKind,
        /// The level of the cached entry.
        level: Level,
        /// What the cached entry maps (Intel SDM vol. 3, "Information That May Be Cached").
        mapping: CachedMapping,
        /// The table the cached entry points to (host-physical, but guest-physical for the
        /// guest tables of a two-dimensional walk in a cache that keeps them so).
        next: u64,
    },
    /// A hardware walk starts.
    WalkBegin {
        /// The structure walked.
        table: TableKind,
        /// The root: the guest's CR3 (a guest-physical address; physical natively), or the
        /// hypervisor's shadow root (host-physical).
        root: WalkRoot,
        /// The linear address translated.
        gva: Gva,
    },
    /// A stage-2 walk starts for a guest-physical address.
    NestedBegin {
        /// The address.
        gpa: Gpa,
        /// Why.
        purpose: NestedPurpose,
    },
    /// One page-table memory reference by the hardware walker.
    TableRead {
        /// The structure.
        table: TableKind,
        /// Level of the entry.
        level: Level,
        /// Index 0..512 within its table.
        index: u16,
        /// Where the entry is.
        entry_addr: Hpa,
        /// Its raw value.
        entry: u64,
    },
    /// A stage-2 walk ended with a host-physical address.
    NestedEnd {
        /// The address translated.
        gpa: Gpa,
        /// The result.
        hpa: Hpa,
    },
    /// The processor set an accessed or dirty flag (a locked write: walk traffic).
    AdUpdate {
        /// The structure.
        table: TableKind,
        /// Level of the entry.
        level: Level,
        /// Where the entry is.
        entry_addr: Hpa,
        /// Before.
        old: u64,
        /// After.
        new: u64,
    },
    /// A translation was stored in the TLB.
    TlbFill {
        /// The page's linear base.
        gva: Gva,
        /// The page's host-physical base.
        hpa: Hpa,
        /// The entry's size (the smaller of both dimensions).
        size: PageSize,
        /// A global translation.
        global: bool,
    },
    /// A fault.
    Fault {
        /// The fault.
        fault: Fault,
    },
    /// TLB and paging-structure-cache entries were invalidated.
    Flush {
        /// What caused it.
        cause: FlushCause,
        /// How many TLB entries went.
        removed: u32,
    },
    /// The CPU left the guest for the hypervisor.
    VmExit {
        /// Why.
        reason: ExitReason,
    },
    /// The CPU entered the guest again.
    VmEntry {
        /// TLB entries flushed by the entry (with VPID off).
        flushed: u32,
    },
    /// The guest loaded CR3.
    Cr3Load {
        /// The new page-table root.
        cr3: Gpa,
        /// The PCID (0 without CR4.PCIDE).
        pcid: u16,
        /// Bit 63 was set: no flush.
        noflush: bool,
    },
    /// Under shadow paging, the hardware walk of the shadow table faulted: a VM exit follows.
    ShadowFault {
        /// The faulting address.
        gva: Gva,
    },
    /// The hypervisor read a guest page-table entry in software.
    HypervisorRead {
        /// Guest level.
        level: Level,
        /// Where in guest-physical memory.
        gpa: Gpa,
        /// The value.
        entry: u64,
    },
    /// The hypervisor set an accessed or dirty flag in a guest entry in software.
    HypervisorAdUpdate {
        /// Guest level.
        level: Level,
        /// Where.
        gpa: Gpa,
        /// New value.
        new: u64,
    },
    /// The hypervisor created a shadow page.
    ShadowPageAlloc {
        /// The guest table it shadows (or the first frame of a large page, when direct).
        gfn: Gfn,
        /// Its level.
        level: Level,
        /// A direct page: it maps a guest large page with smaller host pages.
        direct: bool,
        /// Where it lives.
        hpa: Hpa,
    },
    /// The hypervisor wrote a shadow entry (0 drops it).
    ShadowFill {
        /// Level of the entry.
        level: Level,
        /// Where.
        entry_addr: Hpa,
        /// The value before.
        old: u64,
        /// The value.
        entry: u64,
        /// Made ahead of need, for a neighbour of the faulting address (KVM's prefetch).
        prefetch: bool,
    },
    /// A guest page-table page became write-protected.
    WriteProtect {
        /// The guest frame.
        gfn: Gfn,
    },
    /// A guest page-table entry was written.
    GuestPteWrite {
        /// Where.
        gpa: Gpa,
        /// Before.
        old: u64,
        /// After.
        new: u64,
        /// The write was trapped and emulated by the hypervisor.
        emulated: bool,
        /// No guest: native paging, where the address is a plain physical address and the
        /// writer is the operating system.
        native: bool,
    },
    /// The hypervisor dropped a shadow page (after flooding or a resync).
    ShadowZap {
        /// The guest frame it shadowed.
        gfn: Gfn,
        /// Its level.
        level: Level,
        /// Dropped because the guest wrote its table repeatedly.
        flooded: bool,
        /// It was unsync (KVM's `mmu_unsync` gauge goes down).
        unsync: bool,
    },
    /// A leaf shadow page was left writable and out of sync with the guest table.
    Unsync {
        /// The guest frame.
        gfn: Gfn,
    },
    /// An unsync shadow page was brought back in sync.
    Resync {
        /// The guest frame.
        gfn: Gfn,
        /// Shadow entries changed.
        changed: u32,
    },
    /// KVM's MMU finished with a fault exit (a shadow-table #PF, or an EPT violation / NPF
    /// under TDP): how it ended (`kvm_mmu_page_fault` and its `RET_PF_*` results, Linux
    /// `arch/x86/kvm/mmu/mmu.c`).
    FaultHandled {
        /// What came of it.
        outcome: FaultOutcome,
    },
    /// The host page behind guest-physical memory changed state (allocated on first touch,
    /// the zero page, copied on write).
    HostPage {
        /// First guest frame of the host page.
        gfn: Gfn,
        /// Its size (the backing's page).
        size: PageSize,
        /// State before.
        from: crate::HostPageState,
        /// State after.
        to: crate::HostPageState,
    },
    /// The host split a transparent huge page into 4 KiB pages (`split_huge_page`), to page
    /// out, discard or merge part of it; KVM maps those pages with 4 KiB entries from then on.
    HostSplit {
        /// First guest frame of the huge page.
        gfn: Gfn,
        /// The state its 4 KiB pages keep.
        state: crate::HostPageState,
    },
    /// The host took away or replaced the pages behind guest frames and its MMU notifier told
    /// KVM (`kvm_mmu_notifier_invalidate_range_start` -> `kvm_unmap_gfn_range`), which
    /// dropped the entries that mapped them.
    HostUnmap {
        /// First guest frame.
        gfn: Gfn,
        /// 4 KiB frames.
        frames: u64,
        /// Shadow or stage-2 leaf entries dropped.
        zapped: u64,
        /// Why.
        cause: HostChange,
    },
    /// The host could not do what was asked to guest memory (hugetlbfs cannot be paged out).
    HostRefused {
        /// Why.
        why: Refusal,
    },
    /// A full KSM scan finished (`mm/ksm.c`, `ksm_do_scan`): its counters, as
    /// `/sys/kernel/mm/ksm/` shows them.
    KsmScan {
        /// KSM pages in use (`pages_shared`).
        shared: u64,
        /// Further pages mapped to them: the memory saved (`pages_sharing`).
        sharing: u64,
        /// Pages checked, unique so far (`pages_unshared`).
        unshared: u64,
        /// Pages whose contents changed since the last scan (`pages_volatile`).
        volatile: u64,
    },
    /// The guest's balloon driver changed its size (`virtio_balloon`): pages given to the host
    /// (inflate) or taken back (deflate).
    Balloon {
        /// Pages in the balloon now.
        pages: u64,
    },
    /// The hypervisor emulated a guest store to guest memory; KVM's write tracking sees it
    /// while any shadow page exists (`kvm_mmu_track_write`, counted as `mmu_pte_write`).
    EmulatedWrite {
        /// Where the guest wrote (`None`: its kernel stack, on PVM).
        gpa: Option<Gpa>,
    },
    /// KVM handled a guest INVLPG (intercepted under shadow paging, `kvm_mmu_invlpg`).
    HypervisorInvlpg {
        /// The address.
        gva: Gva,
        /// An unsync shadow entry was brought in sync.
        synced: bool,
    },
    /// KVM's TDP MMU made a stage-2 leaf on demand (`kvm_tdp_mmu_map`).
    Stage2Fill {
        /// Guest-physical address of the page.
        gpa: Gpa,
        /// Host-physical address it maps to.
        hpa: Hpa,
        /// Page size.
        size: PageSize,
        /// Writable (a zero page is mapped read-only).
        writable: bool,
    },
    /// KVM dropped a stage-2 leaf (the host page changed: MMU notifier).
    Stage2Zap {
        /// Guest-physical address of the page.
        gpa: Gpa,
        /// Page size.
        size: PageSize,
    },
    /// An access ended.
    AccessEnd {
        /// The host-physical address reached, or `None` after a fault.
        hpa: Option<Hpa>,
    },
}

impl Event {
    /// One line describing the event, in `lang` (the event ladder, `pagewalk walk`).
    pub fn describe(&self, lang: Lang) -> String {
        let s = |id: &str, args: &[(&str, FluentValue<'_>)]| say(lang, id, args);
        let table = |t: TableKind, l: Level| text(t.table_name(l, lang));
        match *self {
            Event::AccessBegin { gva, access } => s(
                "event-access",
                &[("access", text(access.name(lang))), ("gva", text(gva))],
            ),
            Event::TlbHit { level, size, hpa } => s(
                "event-tlb-hit",
                &[
                    ("level", text(format!("{level:?}"))),
                    ("size", text(size)),
                    ("hpa", text(hpa)),
                ],
            ),
            Event::TlbMiss { level } => {
                s("event-tlb-miss", &[("level", text(format!("{level:?}")))])
            }
            Event::TlbDirtyRewalk => s("event-tlb-dirty-rewalk", &[]),
            Event::PwcHit {
                table: t,
                level,
                mapping,
                next,
            } => s(
                "event-pwc-hit",
                &[
                    ("mapping", text(mapping.describe(lang))),
                    ("table", table(t, level)),
                    ("next", hex(next)),
                ],
            ),
            Event::WalkBegin {
                table: t,
                root,
                gva,
            } => {
                let what = match t {
                    TableKind::Guest => "walk-guest",
                    TableKind::Ept => "walk-ept",
                    TableKind::Npt => "walk-npt",
                    TableKind::Shadow => "walk-shadow",
                };
                let root = match root {
                    WalkRoot::Guest(g) => s("root-guest", &[("addr", text(g))]),
                    WalkRoot::Host(h) => s("root-host", &[("addr", text(h))]),
                    WalkRoot::Physical(p) => s("root-physical", &[("addr", text(p))]),
                };
                s(
                    "event-walk",
                    &[
                        ("what", text(s(what, &[]))),
                        ("gva", text(gva)),
                        ("root", text(root)),
                    ],
                )
            }
            Event::NestedBegin { gpa, purpose } => match purpose {
                NestedPurpose::GuestTable { level } => s(
                    "event-nested-table",
                    &[("gpa", text(gpa)), ("table", text(level.table_name()))],
                ),
                NestedPurpose::FinalAddress => s("event-nested-final", &[("gpa", text(gpa))]),
            },
            Event::TableRead {
                table: t,
                level,
                index,
                entry_addr,
                entry,
            } => {
                let bits = match t {
                    TableKind::Ept => describe_ept(entry, lang),
                    _ => describe_pte(entry, lang),
                };
                s(
                    "event-read",
                    &[
                        ("table", table(t, level)),
                        ("index", num(index as u64)),
                        ("addr", text(entry_addr)),
                        ("entry", hex(entry)),
                        ("bits", text(bits)),
                    ],
                )
            }
            Event::NestedEnd { gpa, hpa } => s(
                "event-nested-end",
                &[("gpa", text(gpa)), ("hpa", text(hpa))],
            ),
            Event::AdUpdate {
                table: t,
                level,
                entry_addr,
                old,
                new,
            } => s(
                "event-ad",
                &[
                    ("bits", text(s(ad_bits_name(t, old ^ new), &[]))),
                    ("table", table(t, level)),
                    ("addr", text(entry_addr)),
                    ("old", hex(old)),
                    ("new", hex(new)),
                ],
            ),
            Event::TlbFill {
                gva,
                hpa,
                size,
                global,
            } => s(
                if global {
                    "event-tlb-fill-global"
                } else {
                    "event-tlb-fill"
                },
                &[("gva", text(gva)), ("hpa", text(hpa)), ("size", text(size))],
            ),
            Event::Fault { fault } => fault.describe(lang),
            Event::Flush { cause, removed } => s(
                "event-flush",
                &[
                    ("why", text(cause.describe(lang))),
                    ("removed", num(removed)),
                ],
            ),
            Event::VmExit { reason } => {
                s("event-vm-exit", &[("reason", text(reason.describe(lang)))])
            }
            Event::VmEntry { flushed } => {
                if flushed > 0 {
                    s("event-vm-entry-flush", &[("count", num(flushed))])
                } else {
                    s("event-vm-entry", &[])
                }
            }
            Event::Cr3Load { cr3, pcid, noflush } => s(
                if noflush {
                    "event-cr3-noflush"
                } else {
                    "event-cr3"
                },
                &[("cr3", text(cr3)), ("pcid", num(pcid))],
            ),
            Event::ShadowFault { gva } => s("event-shadow-fault", &[("gva", text(gva))]),
            Event::HypervisorRead { level, gpa, entry } => s(
                "event-hv-read",
                &[
                    ("table", text(level.table_name())),
                    ("gpa", text(gpa)),
                    ("entry", hex(entry)),
                    ("bits", text(describe_pte(entry, lang))),
                ],
            ),
            Event::HypervisorAdUpdate { level, gpa, new } => s(
                "event-hv-ad",
                &[
                    ("table", text(level.table_name())),
                    ("gpa", text(gpa)),
                    ("new", hex(new)),
                ],
            ),
            Event::ShadowPageAlloc {
                gfn,
                level,
                direct,
                hpa,
            } => s(
                if direct {
                    "event-shadow-page-direct"
                } else {
                    "event-shadow-page-table"
                },
                &[
                    ("table", text(level.table_name())),
                    ("hpa", text(hpa)),
                    ("gfn", hex(gfn.raw())),
                ],
            ),
            Event::ShadowFill {
                level,
                entry_addr,
                entry,
                prefetch,
                ..
            } => {
                if entry == 0 {
                    s(
                        "event-shadow-drop",
                        &[
                            ("table", text(level.table_name())),
                            ("addr", text(entry_addr)),
                        ],
                    )
                } else {
                    s(
                        if prefetch {
                            "event-shadow-prefetch"
                        } else {
                            "event-shadow-write"
                        },
                        &[
                            ("table", text(level.table_name())),
                            ("addr", text(entry_addr)),
                            ("entry", hex(entry)),
                            ("bits", text(describe_pte(entry, lang))),
                        ],
                    )
                }
            }
            Event::WriteProtect { gfn } => s("event-write-protect", &[("gfn", hex(gfn.raw()))]),
            Event::GuestPteWrite {
                native: true,
                gpa,
                old,
                new,
                ..
            } => s(
                "event-os-pte-write",
                &[
                    ("gpa", hex(gpa.raw())),
                    ("old", hex(old)),
                    ("new", hex(new)),
                ],
            ),
            Event::GuestPteWrite {
                gpa,
                old,
                new,
                emulated,
                ..
            } => s(
                if emulated {
                    "event-guest-pte-write-emulated"
                } else {
                    "event-guest-pte-write"
                },
                &[("gpa", text(gpa)), ("old", hex(old)), ("new", hex(new))],
            ),
            Event::ShadowZap {
                gfn,
                level,
                flooded,
                ..
            } => s(
                if flooded {
                    "event-shadow-zap-flooded"
                } else {
                    "event-shadow-zap"
                },
                &[("table", text(level.table_name())), ("gfn", hex(gfn.raw()))],
            ),
            Event::Unsync { gfn } => s("event-unsync", &[("gfn", hex(gfn.raw()))]),
            Event::Resync { gfn, changed } => s(
                "event-resync",
                &[("gfn", hex(gfn.raw())), ("changed", num(changed))],
            ),
            Event::FaultHandled { outcome } => s(
                "event-fault-handled",
                &[("outcome", text(outcome.describe(lang)))],
            ),
            Event::HostPage {
                gfn,
                size,
                from,
                to,
            } => s(
                "event-host-page",
                &[
                    ("size", text(size)),
                    ("gfn", hex(gfn.raw())),
                    ("from", text(from.describe(lang))),
                    ("to", text(to.describe(lang))),
                ],
            ),
            Event::HostSplit { gfn, state } => s(
                "event-host-split",
                &[
                    ("gfn", hex(gfn.raw())),
                    ("state", text(state.describe(lang))),
                ],
            ),
            Event::HostUnmap {
                gfn,
                frames,
                zapped,
                cause,
            } => s(
                "event-host-unmap",
                &[
                    ("frames", num(frames)),
                    ("gfn", hex(gfn.raw())),
                    ("cause", text(cause.describe(lang))),
                    ("zapped", num(zapped)),
                ],
            ),
            Event::KsmScan {
                shared,
                sharing,
                unshared,
                volatile,
            } => s(
                "event-ksm-scan",
                &[
                    ("shared", num(shared)),
                    ("sharing", num(sharing)),
                    ("unshared", num(unshared)),
                    ("volatile", num(volatile)),
                ],
            ),
            Event::Balloon { pages } => s("event-balloon", &[("pages", num(pages))]),
            Event::HostRefused { why } => {
                s("event-host-refused", &[("why", text(why.describe(lang)))])
            }
            Event::EmulatedWrite { gpa } => match gpa {
                Some(gpa) => s("event-emulated-write", &[("gpa", text(gpa))]),
                None => s("event-emulated-stack", &[]),
            },
            Event::HypervisorInvlpg { gva, synced } => s(
                if synced {
                    "event-hv-invlpg-synced"
                } else {
                    "event-hv-invlpg"
                },
                &[("gva", text(gva))],
            ),
            Event::Stage2Fill {
                gpa,
                hpa,
                size,
                writable,
            } => s(
                if writable {
                    "event-stage2-fill"
                } else {
                    "event-stage2-fill-ro"
                },
                &[("gpa", text(gpa)), ("hpa", text(hpa)), ("size", text(size))],
            ),
            Event::Stage2Zap { gpa, size } => s(
                "event-stage2-zap",
                &[("gpa", text(gpa)), ("size", text(size))],
            ),
            Event::AccessEnd { hpa } => match hpa {
                Some(h) => s("event-access-done", &[("hpa", text(h))]),
                None => s("event-access-faulted", &[]),
            },
        }
    }
}

/// The message for the accessed/dirty bits an update set.
fn ad_bits_name(table: TableKind, changed: u64) -> &'static str {
    let (a, d) = match table {
        TableKind::Ept => (1 << 8, 1 << 9),
        _ => (1 << 5, 1 << 6),
    };
    match (changed & a != 0, changed & d != 0) {
        (true, true) => "ad-both",
        (false, true) => "ad-d",
        _ => "ad-a",
    }
}

/// Where events go. The machine calls [`EventSink::event`] for every event; an implementation
/// folds it into counters, stores it, or both.
pub trait EventSink {
    /// Takes one event.
    fn event(&mut self, event: &Event);
}

/// Stores every event and keeps counters: for step-by-step views and goldens.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// The events so far.
    pub events: Vec<Event>,
    /// The counters folded from them.
    pub counters: crate::Counters,
}

impl Recorder {
    /// An empty recorder whose counters use `cost`.
    pub fn new(cost: crate::CostModel) -> Self {
        Self {
            events: Vec::new(),
            counters: crate::Counters::new(cost),
        }
    }
}

impl EventSink for Recorder {
    fn event(&mut self, event: &Event) {
        self.counters.event(event);
        self.events.push(*event);
    }
}
