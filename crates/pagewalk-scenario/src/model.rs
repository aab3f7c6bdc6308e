//! A scenario after reading and validation: typed, with the file position of every item that
//! can still fail when the machine is built or run.

use crate::diag::Pos;
use pagewalk_core::{AccessKind, MachineConfig, PageSize, PteFlags};
use serde::Serialize;

pub use pagewalk_core::Backing;

/// How to change an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum EntryValue {
    /// Write this raw value.
    Raw {
        /// The value.
        value: u64,
    },
    /// Point the entry at a physical address with flags (PS added for a large leaf).
    Entry {
        /// The physical address.
        addr: u64,
        /// The flag bits.
        flags: u64,
    },
    /// Set and clear bits of the current value.
    Modify {
        /// Bits to set.
        set: u64,
        /// Bits to clear.
        clear: u64,
    },
}

impl EntryValue {
    /// The new value given the old one; `huge` is the PS bit for a leaf above level 1.
    pub fn apply(&self, old: u64, huge: u64) -> u64 {
        match *self {
            EntryValue::Raw { value } => value,
            EntryValue::Entry { addr, flags } => addr | flags | huge,
            EntryValue::Modify { set, clear } => (old | set) & !clear,
        }
    }
}

/// A raw edit of one entry of the initial image (to teach misconfigurations).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// The address whose path holds the entry (a GVA, or a GPA for stage 2).
    pub addr: u64,
    /// The level of the entry.
    pub level: u8,
    /// The change.
    pub value: EntryValue,
    /// Where in the file.
    pub pos: Pos,
}

/// A guest mapping range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mapping {
    /// First linear address.
    pub gva: u64,
    /// First guest-physical address.
    pub gpa: u64,
    /// Bytes mapped.
    pub size: u64,
    /// Page size.
    pub page: PageSize,
    /// Leaf flags, A/D presets included.
    pub flags: PteFlags,
    /// Where in the file.
    pub pos: Pos,
}

/// A guest address space (a process).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Space {
    /// Its name, used by `cr3` and `pte_write` steps.
    pub name: String,
    /// Its PCID (used with `pcid = true`).
    pub pcid: u16,
    /// Its mappings.
    pub maps: Vec<Mapping>,
    /// Raw edits of its tables.
    pub edits: Vec<Edit>,
}

/// An explicit stage-2 mapping range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Stage2Mapping {
    /// First guest-physical address.
    pub gpa: u64,
    /// First host-physical address (default: the memslot's backing).
    pub hpa: Option<u64>,
    /// Bytes mapped.
    pub size: u64,
    /// Page size.
    pub page: PageSize,
    /// Leaf bits (EPT or NPT format).
    pub flags: u64,
    /// Where in the file.
    pub pos: Pos,
}

/// The host side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Host {
    /// How guest RAM is backed.
    pub backing: Backing,
    /// Whether guest RAM is touched before the guest runs (QEMU's `-mem-prealloc`).
    pub prealloc: bool,
    /// When stage-2 entries are made: on demand by KVM's TDP MMU, or all before the run.
    pub stage2: pagewalk_core::Stage2Fill,
    /// How the guest's kernel runs (hardware virtualization, or PVM).
    pub platform: pagewalk_core::Platform,
    /// Page size of the automatic stage-2 mappings.
    pub stage2_page: PageSize,
    /// Map every guest-physical page the guest uses in stage 2 automatically.
    pub auto_stage2: bool,
    /// Leaf bits of the automatic stage-2 mappings.
    pub stage2_flags: u64,
    /// Explicit stage-2 mappings (made before the automatic ones).
    pub maps: Vec<Stage2Mapping>,
    /// Raw edits of stage-2 entries.
    pub edits: Vec<Edit>,
    /// The host machine: RAM, swap, hugetlb pool.
    pub spec: pagewalk_core::HostSpec,
    /// VMs on this host, each booted from the same guest image (the scenario's tables).
    pub vms: usize,
    /// Guest-physical range marked `MADV_MERGEABLE` (`None`: all guest RAM, as QEMU does).
    pub mergeable: Option<(u64, u64)>,
}

/// One operation of the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// One access.
    Access {
        /// Address.
        gva: u64,
        /// Read, write or fetch.
        kind: AccessKind,
        /// CPL 3 (true) or 0.
        user: bool,
    },
    /// Consecutive 8-byte accesses over `length` bytes, `repeat` times.
    Sequential {
        /// First address.
        start: u64,
        /// Bytes covered.
        length: u64,
        /// Read, write or fetch.
        kind: AccessKind,
        /// User mode.
        user: bool,
        /// Passes.
        repeat: u64,
    },
    /// `count` accesses `stride` bytes apart, `repeat` times.
    Strided {
        /// First address.
        start: u64,
        /// Distance between accesses.
        stride: u64,
        /// Accesses per pass.
        count: u64,
        /// Read, write or fetch.
        kind: AccessKind,
        /// User mode.
        user: bool,
        /// Passes.
        repeat: u64,
    },
    /// `count` 8-byte-aligned accesses spread uniformly over `span` bytes from `start`.
    Random {
        /// First address.
        start: u64,
        /// Bytes covered.
        span: u64,
        /// Accesses.
        count: u64,
        /// Seed of the generator (ChaCha8: the same stream everywhere).
        seed: u64,
        /// Read, write or fetch.
        kind: AccessKind,
        /// User mode.
        user: bool,
    },
    /// A working set of `pages` addresses `stride` apart, touched `rounds` times.
    WorkingSet {
        /// First address.
        start: u64,
        /// Addresses in the set.
        pages: u64,
        /// Distance between them.
        stride: u64,
        /// Passes.
        rounds: u64,
        /// Read, write or fetch.
        kind: AccessKind,
        /// User mode.
        user: bool,
    },
    /// VM exits and entries with no other work (I/O, hypercalls).
    VmExit {
        /// How many round trips.
        count: u64,
    },
    /// MOV to CR3 loading another address space.
    Cr3 {
        /// Index of the address space.
        space: usize,
        /// Bit 63: keep this PCID's entries.
        noflush: bool,
        /// The guest executes MOV CR3 itself (`via = "guest"`, the default), rather than the
        /// host loading CR3 with KVM_SET_SREGS while the vCPU is out (`via = "host"`): the two
        /// differ for the hypervisor (a host load drops KVM's cached roots, and an unchanged
        /// CR3 loaded by the host does nothing at all).
        from_guest: bool,
    },
    /// INVLPG.
    Invlpg {
        /// Address.
        gva: u64,
    },
    /// INVPCID.
    Invpcid {
        /// Type 0-3.
        kind: u8,
        /// PCID.
        pcid: u16,
        /// Address (type 0).
        gva: u64,
    },
    /// INVVPID (by the hypervisor).
    Invvpid {
        /// Type 0-3.
        kind: u8,
        /// VPID.
        vpid: u16,
        /// Address (type 0).
        gva: u64,
    },
    /// INVEPT (by the hypervisor).
    Invept {
        /// Type 1 or 2.
        kind: u8,
    },
    /// The guest writes one of its page-table entries.
    PteWrite {
        /// Index of the address space.
        space: usize,
        /// The address whose path holds the entry.
        gva: u64,
        /// Level of the entry.
        level: u8,
        /// The new value.
        value: EntryValue,
    },
    /// Sets RFLAGS.AC (for SMAP).
    SetAc {
        /// The value.
        value: bool,
    },
    /// The guest fills `pages` pages from `gva` with a pattern (every 8-byte word the same
    /// value), or each with data of its own: what KSM compares.
    Fill {
        /// First page.
        gva: u64,
        /// Pages.
        pages: u64,
        /// The word written, or `None` for data of each page's own (its address, in every
        /// word).
        pattern: Option<u64>,
    },
    /// The host writes the VM's pages at `[gpa, gpa + size)` to swap (`madvise(MADV_PAGEOUT)`).
    SwapOut {
        /// First guest-physical address.
        gpa: u64,
        /// Bytes.
        size: u64,
    },
    /// The guest's balloon driver gives `pages` pages from `gpa` to the host, which discards
    /// them (`MADV_DONTNEED`).
    BalloonInflate {
        /// First guest-physical address.
        gpa: u64,
        /// 4 KiB pages.
        pages: u64,
    },
    /// The balloon gives `pages` pages back to the guest.
    BalloonDeflate {
        /// 4 KiB pages.
        pages: u64,
    },
    /// `ksmd` makes `passes` full scans.
    KsmScan {
        /// Full scans.
        passes: u64,
    },
}

impl Op {
    /// A title for a trace entry that has no label: what it does, in words, in `lang` (the
    /// catalogue's `op-*` messages).
    pub fn describe(&self, lang: pagewalk_core::Lang) -> String {
        use pagewalk_text::{ta, FluentValue};
        let hex = |v: u64| FluentValue::from(format!("{v:#x}"));
        let n = |v: u64| FluentValue::from(v);
        let s = |id: &str, args: &[(&str, FluentValue<'_>)]| ta(lang, id, args);
        match *self {
            Op::Access { gva, kind, user } => s(
                match (kind, user) {
                    (AccessKind::Read, true) => "op-read",
                    (AccessKind::Write, true) => "op-write",
                    (AccessKind::Fetch, true) => "op-fetch",
                    (AccessKind::Read, false) => "op-read-supervisor",
                    (AccessKind::Write, false) => "op-write-supervisor",
                    (AccessKind::Fetch, false) => "op-fetch-supervisor",
                },
                &[("gva", hex(gva))],
            ),
            Op::Sequential {
                start,
                length,
                repeat,
                ..
            } => s(
                "op-sequential",
                &[
                    ("length", n(length)),
                    ("start", hex(start)),
                    ("repeat", n(repeat)),
                ],
            ),
            Op::Strided {
                start,
                stride,
                count,
                repeat,
                ..
            } => s(
                "op-strided",
                &[
                    ("count", n(count)),
                    ("stride", hex(stride)),
                    ("start", hex(start)),
                    ("repeat", n(repeat)),
                ],
            ),
            Op::Random {
                start, span, count, ..
            } => s(
                "op-random",
                &[
                    ("count", n(count)),
                    ("span", hex(span)),
                    ("start", hex(start)),
                ],
            ),
            Op::WorkingSet {
                start,
                pages,
                rounds,
                ..
            } => s(
                "op-working-set",
                &[
                    ("pages", n(pages)),
                    ("start", hex(start)),
                    ("rounds", n(rounds)),
                ],
            ),
            Op::VmExit { count } => s("op-vm-exit", &[("count", n(count))]),
            Op::Cr3 {
                space,
                noflush,
                from_guest,
            } => s(
                match (from_guest, noflush) {
                    (true, false) => "op-cr3-guest",
                    (true, true) => "op-cr3-guest-noflush",
                    (false, false) => "op-cr3-host",
                    (false, true) => "op-cr3-host-noflush",
                },
                &[("space", n(space as u64 + 1))],
            ),
            Op::Invlpg { gva } => s("op-invlpg", &[("gva", hex(gva))]),
            Op::Invpcid { kind, pcid, .. } => s(
                "op-invpcid",
                &[("kind", n(kind.into())), ("pcid", n(pcid.into()))],
            ),
            Op::Invvpid { kind, vpid, .. } => s(
                "op-invvpid",
                &[("kind", n(kind.into())), ("vpid", n(vpid.into()))],
            ),
            Op::Invept { kind } => s("op-invept", &[("kind", n(kind.into()))]),
            Op::PteWrite { gva, level, .. } => s(
                "op-pte-write",
                &[("level", n(level.into())), ("gva", hex(gva))],
            ),
            Op::SetAc { value } => s("op-set-ac", &[("value", n(value.into()))]),
            Op::Fill {
                gva,
                pages,
                pattern,
            } => match pattern {
                Some(p) => s(
                    "op-fill-pattern",
                    &[("pages", n(pages)), ("gva", hex(gva)), ("pattern", hex(p))],
                ),
                None => s("op-fill", &[("pages", n(pages)), ("gva", hex(gva))]),
            },
            Op::SwapOut { gpa, size } => s(
                "op-swap-out",
                &[("from", hex(gpa)), ("to", hex(gpa + size))],
            ),
            Op::BalloonInflate { gpa, pages } => s(
                "op-balloon-inflate",
                &[("pages", n(pages)), ("gpa", hex(gpa))],
            ),
            Op::BalloonDeflate { pages } => s("op-balloon-deflate", &[("pages", n(pages))]),
            Op::KsmScan { passes } => s("op-ksm-scan", &[("passes", n(passes))]),
        }
    }

    /// Whether the host does it to guest memory (while the guest is stopped), not the guest.
    pub const fn is_host(&self) -> bool {
        matches!(
            self,
            Op::SwapOut { .. }
                | Op::BalloonInflate { .. }
                | Op::BalloonDeflate { .. }
                | Op::KsmScan { .. }
        )
    }

    /// How many actions (accesses or events) the operation expands to.
    pub fn actions(&self) -> u64 {
        match *self {
            Op::Sequential { length, repeat, .. } => length.div_ceil(8).saturating_mul(repeat),
            Op::Strided { count, repeat, .. } => count.saturating_mul(repeat),
            Op::Random { count, .. } => count,
            Op::WorkingSet { pages, rounds, .. } => pages.saturating_mul(rounds),
            Op::VmExit { count } => count,
            Op::Fill { pages, .. } => pages,
            Op::Access { .. }
            | Op::SwapOut { .. }
            | Op::BalloonInflate { .. }
            | Op::BalloonDeflate { .. }
            | Op::KsmScan { .. }
            | Op::Cr3 { .. }
            | Op::Invlpg { .. }
            | Op::Invpcid { .. }
            | Op::Invvpid { .. }
            | Op::Invept { .. }
            | Op::PteWrite { .. }
            | Op::SetAc { .. } => 1,
        }
    }
}

/// What a fault expectation names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// No fault.
    None,
    /// #PF.
    PageFault,
    /// EPT violation.
    EptViolation,
    /// EPT misconfiguration.
    EptMisconfig,
    /// NPT nested page fault.
    NestedPageFault,
    /// #GP (non-canonical).
    GeneralProtection,
}

/// Where an access was served from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TlbExpect {
    /// Some TLB level.
    Hit,
    /// The L1 TLB.
    L1,
    /// The L2 TLB.
    L2,
    /// No TLB level: a walk.
    Miss,
}

/// Expectations on the outcome of one step (its last access) and its counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StepExpect {
    /// Hit or miss.
    pub tlb: Option<TlbExpect>,
    /// Fault kind.
    pub fault: Option<FaultKind>,
    /// #PF error code (or NPF EXITINFO1 low bits).
    pub error_code: Option<u32>,
    /// EPT violation exit qualification.
    pub qualification: Option<u64>,
    /// Host-physical address reached.
    pub hpa: Option<u64>,
    /// Counter deltas of this step.
    pub counters: Vec<(String, u64)>,
}

/// One entry of the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What to do.
    #[serde(flatten)]
    pub op: Op,
    /// A caption for the UI.
    pub label: Option<String>,
    /// Expectations on this step.
    pub expect: Option<StepExpect>,
    /// The caption in other languages (`zh-TW.label`), by language tag.
    pub labels: std::collections::BTreeMap<String, String>,
    /// The VM it runs in (0-based; `vm = 2` in the file is 1 here).
    pub vm: usize,
    /// Where in the file.
    pub pos: Pos,
}

/// A comparison of a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// Exactly this value.
    Equals(u64),
    /// Within `min..=max`.
    Range {
        /// Lower bound.
        min: u64,
        /// Upper bound.
        max: u64,
    },
}

impl Compare {
    /// Whether `v` passes.
    pub fn holds(&self, v: u64) -> bool {
        match *self {
            Compare::Equals(x) => v == x,
            Compare::Range { min, max } => v >= min && v <= max,
        }
    }
}

impl std::fmt::Display for Compare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Compare::Equals(x) => write!(f, "= {x}"),
            Compare::Range { min, max } if max == u64::MAX => write!(f, ">= {min}"),
            Compare::Range { min, max } => write!(f, "in {min}..={max}"),
        }
    }
}

/// A counter expectation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expect {
    /// The counter key.
    pub counter: String,
    /// The comparison.
    pub compare: Compare,
    /// After this trace entry (1-based), instead of at the end.
    pub after: Option<usize>,
    /// Where in the file.
    pub pos: Pos,
}

/// Limits that keep a scenario from exhausting memory or time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Most actions (accesses and events) a run may take.
    pub max_actions: u64,
    /// Most guest pages all mappings may create.
    pub max_mapped_pages: u64,
    /// Most work a run may do, in units of about a nanosecond of this machine's time
    /// (`Machine::work` plus `Machine::work_per_access` per action): bounds a run of large
    /// TLBs flushed often, or of large paging-structure caches, to seconds.
    pub max_work: u64,
}

impl Limits {
    /// Hard ceiling of `max_actions` a file may ask for.
    pub const MAX_ACTIONS_CEILING: u64 = 200_000_000;
    /// Hard ceiling of `max_frames` a file may ask for (4 GiB of tables).
    pub const MAX_FRAMES_CEILING: u64 = 1 << 20;
    /// Hard ceiling of `max_work` a file may ask for (about ten minutes).
    pub const MAX_WORK_CEILING: u64 = 600_000_000_000;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_actions: 20_000_000,
            max_mapped_pages: 4 << 20,
            max_work: 10_000_000_000,
        }
    }
}

/// A whole scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// Its title.
    pub name: String,
    /// The one-line lesson.
    pub lesson: String,
    /// Gallery topic.
    pub topic: String,
    /// Longer explanation (markdown), optional.
    pub notes: Option<String>,
    /// The machine.
    pub machine: MachineConfig,
    /// Limits.
    pub limits: Limits,
    /// Host side.
    pub host: Host,
    /// Guest address spaces; the first is loaded at the start.
    pub spaces: Vec<Space>,
    /// The trace.
    pub trace: Vec<Step>,
    /// Counter expectations.
    pub expects: Vec<Expect>,
    /// `name`, `lesson` and `notes` in other languages (`zh-TW.name`, ...), by language tag.
    pub translations: std::collections::BTreeMap<String, Texts>,
}

/// A scenario's texts in one language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Texts {
    /// The title.
    pub name: Option<String>,
    /// The one-line lesson.
    pub lesson: Option<String>,
    /// The notes.
    pub notes: Option<String>,
}

/// The languages a scenario's texts may be given in besides English (BCP 47 tags).
pub const LANGUAGES: [&str; 1] = ["zh-TW"];

impl Scenario {
    /// Whether the scenario has a host side worth showing: a host operation, several VMs, or
    /// a hugetlbfs pool (virtualized machines only).
    pub fn has_host_side(&self) -> bool {
        self.machine.mode.is_virtualized()
            && (self.trace.iter().any(|s| s.op.is_host())
                || self.host.vms > 1
                || self.host.backing.is_hugetlb())
    }

    /// The title in `lang`, or in English when it has none.
    pub fn name_in(&self, lang: &str) -> &str {
        self.translations
            .get(lang)
            .and_then(|t| t.name.as_deref())
            .unwrap_or(&self.name)
    }

    /// The lesson in `lang`, or in English.
    pub fn lesson_in(&self, lang: &str) -> &str {
        self.translations
            .get(lang)
            .and_then(|t| t.lesson.as_deref())
            .unwrap_or(&self.lesson)
    }

    /// The notes in `lang`, or in English.
    pub fn notes_in(&self, lang: &str) -> Option<&str> {
        self.translations
            .get(lang)
            .and_then(|t| t.notes.as_deref())
            .or(self.notes.as_deref())
    }

    /// The texts with no translation into `lang`: ("name" / "lesson" / "notes" / "label",
    /// where). A scenario should have every one.
    pub fn missing_translations(&self, lang: &str) -> Vec<(&'static str, Pos)> {
        let t = self.translations.get(lang);
        let top = Pos { line: 1, col: 1 };
        let mut out = Vec::new();
        if t.and_then(|t| t.name.as_ref()).is_none() {
            out.push(("name", top));
        }
        if t.and_then(|t| t.lesson.as_ref()).is_none() {
            out.push(("lesson", top));
        }
        if self.notes.is_some() && t.and_then(|t| t.notes.as_ref()).is_none() {
            out.push(("notes", top));
        }
        for s in &self.trace {
            if s.label.is_some() && !s.labels.contains_key(lang) {
                out.push(("label", s.pos));
            }
        }
        out
    }

    /// Total actions of the trace.
    pub fn total_actions(&self) -> u64 {
        self.trace
            .iter()
            .fold(0u64, |n, s| n.saturating_add(s.op.actions()))
    }
}
