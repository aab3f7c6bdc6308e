//! # pagewalk-core
//!
//! A pure, deterministic model of x86-64 address translation for teaching: native 4- and
//! 5-level paging, nested two-dimensional walks under Intel EPT and AMD NPT, shadow paging kept
//! by a hypervisor, TLBs and paging-structure caches tagged by PCID, VPID and EPT root, VM exits
//! and entries, 4 KiB / 2 MiB / 1 GiB pages in both dimensions, access rights with exact fault
//! codes, accessed and dirty flags, a cost model, and counters.
//!
//! Everything the machine does is reported as [`Event`]s to an [`EventSink`]; [`Counters`] is
//! a fold over them and [`Recorder`] keeps them for step-by-step views. No I/O, clock, threads
//! or `unsafe`: the same inputs always give the same events, natively and in wasm.
//!
//! ```
//! use pagewalk_core::*;
//! // EPT, no paging-structure caches: every reference of the 2D walk is made.
//! let pwc = PwcConfig { guest: false, stage2: false, ..Default::default() };
//! let mut m = Machine::new(MachineConfig { mode: Mode::Ept, pwc, ..Default::default() }).unwrap();
//! let space = m.current_space();
//! let flags = PteFlags::PRESENT | PteFlags::WRITABLE | PteFlags::USER | PteFlags::ACCESSED | PteFlags::DIRTY;
//! m.map(space, Gva::new(0x7fff_0000_1000), Gpa::new(0x20_0000), PageSize::Size4K, flags).unwrap();
//! m.back_stage2(PageSize::Size4K, 0x307).unwrap(); // R|W|X, write-back, A set
//! let mut rec = Recorder::new(CostModel::default());
//! m.access(Gva::new(0x7fff_0000_1234), Access::USER_READ, &mut rec).unwrap();
//! assert_eq!(rec.counters.memory_refs(), 24); // (4+1)(4+1)-1
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod addr;
pub mod builder;
pub mod config;
pub mod counters;
pub mod entry;
pub mod event;
pub mod fault;
pub mod host;
pub mod hypervisor;
pub mod machine;
pub mod memory;
pub mod presets;
pub mod pwc;
pub mod sizing;
pub mod tlb;
pub mod view;
pub mod walk;
pub mod words;

pub use access::{check_rights, Access, AccessKind, Privilege, Rights, RightsControl};
pub use addr::{Gfn, Gpa, Gva, Hfn, Hpa, Level, Levels, PageSize};
pub use builder::{BuildError, TableBuilder, TableFormat};
pub use config::{
    Backing, CpuConfig, HostConfig, Layout, MachineConfig, Mode, Platform, ShadowConfig,
    Stage2Fill, Vendor,
};
pub use counters::{
    CostModel, CounterKind, Counters, COUNTER_KEYS, DERIVED_COUNTERS, HOST_COUNTERS, KVM_STATS,
    STORED_COUNTERS,
};
pub use entry::{EptFlags, EptViolationQual, PfErrorCode, PteFlags, Stage2Rights};
pub use event::{
    CachedMapping, Event, EventSink, ExitReason, FaultOutcome, FlushCause, HostChange,
    NestedPurpose, Recorder, TableKind, TlbLevel, WalkRoot,
};
pub use fault::Fault;
pub use host::{Host, HostSpec, MemInfo, VmMemory, MEMINFO_KEYS, VM_KEYS};
pub use hypervisor::{Content, HostMemory, HostPageState, HostUsage, ShadowPageInfo, SpKey};
pub use machine::{Machine, MachineError, Outcome, SpaceId};
pub use memory::{GuestRam, Memslot, PhysMemory};
pub use pwc::PwcConfig;
pub use tlb::{Tag, TlbArrayConfig, TlbArrayId, TlbConfig, TlbEntry, TlbSlot};
pub use walk::Translation;
pub use words::Lang;
