//! The machine: a CPU with TLBs and paging-structure caches, memory, the guest's address
//! spaces, stage-2 tables, and (under shadow paging) the hypervisor's shadow MMU.

use crate::access::{check_rights, Access};
use crate::addr::{Gpa, Gva, Hpa, Level, PageSize};
use crate::builder::{
    BuildError, GuestStore, GuestView, HostStore, HostView, Pool, TableBuilder, TableFormat,
};
use crate::config::{CpuConfig, MachineConfig, Mode, Platform, Stage2Fill, Vendor};
use crate::entry::{EptFlags, PteFlags};
use crate::event::{Event, EventSink, ExitReason, FaultOutcome, FlushCause, TableKind, TlbLevel};
use crate::fault::Fault;
use crate::hypervisor::shadow::{FaultFix, ShadowMmu, ShadowPageInfo};
use crate::hypervisor::tdp::{TdpFix, TdpMmu};
use crate::hypervisor::{HostMemory, HostPageState};
use crate::memory::{GuestRam, Memslot, PhysMemory};
use crate::pwc::Pwc;
use crate::tlb::{Tag, Tlb, TlbEntry, TlbSlot};
use crate::walk::{walk_stage1, Ept, EptChecks, Identity, Npt, ReservedMasks, Stage1, Translation};
use crate::{Gfn, Hfn};
use serde::{Deserialize, Serialize};

mod access_path;
mod exits;
mod host_side;
mod inspect;
mod invalidations;
mod setup;

/// Errors from building or driving a machine (misuse, limits), never architectural faults.
/// Said from the catalogue ([`MachineError::text`]); `Display` is the English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MachineError {
    /// Building tables failed.
    Build(BuildError),
    /// No such address space.
    NoSuchSpace(usize),
    /// The operation needs a mode the machine is not in.
    WrongMode {
        /// The operation (a message id, `machine-op-*`).
        op: &'static str,
        /// What it needs (a message id, `machine-needs-*`).
        needs: &'static str,
        /// The machine's mode.
        mode: Mode,
    },
    /// The entry to edit does not exist (a table above it is missing).
    NoEntry {
        /// The address.
        gva: Gva,
        /// The level number.
        level: u8,
    },
    /// A guest-physical address outside guest RAM.
    NotRam(Gpa),
    /// An operation the model does not simulate on this machine, rather than simulate it
    /// wrongly.
    NotModelled {
        /// The operation (a message id, `machine-op-*`).
        op: &'static str,
        /// Why, and what to use instead (a message id, `machine-why-*`).
        why: &'static str,
    },
    /// An INV* type that does not exist.
    BadInvalidationType {
        /// The instruction (a message id, `machine-op-*`).
        op: &'static str,
        /// The type.
        kind: u8,
    },
}

impl MachineError {
    /// What went wrong, as a message of the catalogue (area core), to say in any language.
    pub fn text(&self) -> pagewalk_text::Text {
        use pagewalk_text::Text;
        match self {
            MachineError::Build(e) => e.text(),
            MachineError::NoSuchSpace(n) => Text::new("machine-no-space").arg("space", *n as u64),
            MachineError::WrongMode { op, needs, mode } => Text::new("machine-wrong-mode")
                .arg("op", Text::new(op))
                .arg("needs", Text::new(needs))
                .arg("mode", format!("{mode:?}")),
            MachineError::NoEntry { gva, level } => Text::new("machine-no-entry")
                .arg("level", u64::from(*level))
                .arg("gva", gva.to_string()),
            MachineError::NotRam(gpa) => Text::new("machine-not-ram").arg("gpa", gpa.to_string()),
            MachineError::NotModelled { op, why } => Text::new("machine-not-modelled")
                .arg("op", Text::new(op))
                .arg("why", Text::new(why)),
            MachineError::BadInvalidationType { op, kind } => Text::new("machine-bad-type")
                .arg("op", Text::new(op))
                .arg("kind", u64::from(*kind)),
        }
    }
}

pagewalk_text::display_in_english!(MachineError);

impl std::error::Error for MachineError {}

impl From<BuildError> for MachineError {
    fn from(e: BuildError) -> Self {
        MachineError::Build(e)
    }
}

/// Identifies one guest address space (a process: its CR3 and PCID).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SpaceId(pub usize);

#[derive(Clone, Debug)]
struct AddressSpace {
    tables: TableBuilder,
    pcid: u16,
}

/// What one access came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The host-physical address, or the fault.
    pub result: Result<Hpa, Fault>,
    /// The TLB level that served it, if any.
    pub tlb_hit: Option<TlbLevel>,
}

/// What one walk for a TLB miss decided.
enum Round {
    /// The access is complete.
    Done(Outcome),
    /// A guest page fault under shadow paging: the hypervisor's turn, then a retry.
    Retry(Fault),
    /// A stage-2 fault for KVM's TDP MMU to fix, then a retry.
    Stage2(Fault),
}

/// What the TLB lookup left to do.
enum Probe {
    /// A hit that translates: the address and the level that served it.
    Hit(Hpa, TlbLevel),
    /// The access is complete (a fault from a cached entry).
    Done(Outcome),
    /// Walk the tables.
    Walk,
    /// Under shadow paging, a cached entry denied the access: exit to the hypervisor.
    ShadowFault(Fault),
}

/// A simulated x86-64 machine.
#[derive(Clone, Debug)]
pub struct Machine {
    cfg: MachineConfig,
    mem: PhysMemory,
    ram: GuestRam,
    guest_pool: Pool,
    host_pool: Pool,
    spaces: Vec<AddressSpace>,
    current: usize,
    cr3: Gpa,
    pcid: u16,
    ac: bool,
    stage2: Option<TableBuilder>,
    guest_ranges: Vec<(u64, u64)>,
    tlb: Tlb,
    pwc: Pwc,
    pwc_stage2: Pwc,
    shadow: Option<ShadowMmu>,
    /// KVM's TDP MMU, when stage 2 is filled on demand.
    tdp: Option<TdpMmu>,
    /// The host's memory behind guest RAM (virtualized modes).
    host: HostMemory,
    /// A value for the store being made ([`Machine::store`]), taken by an emulated write.
    store_value: Option<u64>,
    reserved: ReservedMasks,
    npt_host: CpuConfig,
    npt_reserved: ReservedMasks,
    ept_checks: EptChecks,
    stage2_tag: Tag,
    tag: Tag,
    /// The rights-check controls the hardware applies (CR0/CR4/EFER bits and RFLAGS.AC),
    /// kept current: under shadow paging the real CR0.WP is always 1 (KVM keeps it so while
    /// it shadows, so that it sees every write to a write-protected page).
    ctl: crate::RightsControl,
    /// The host asked for a TLB flush at the next VM entry (a CR3 loaded by the host).
    flush_request: bool,
}

/// The rights controls the hardware applies: the guest's, except that under shadow paging
/// KVM keeps the real CR0.WP set (Linux `arch/x86/kvm/vmx/vmx.c`, `vmx_set_cr0` with
/// `enable_ept` off, and PVM alike), so supervisor writes honour the shadow entries' R/W.
fn hardware_control(cfg: &MachineConfig, ac: bool) -> crate::RightsControl {
    let mut ctl = cfg.cpu.rights_control(ac);
    if cfg.mode == Mode::Shadow {
        ctl.wp = true;
    }
    ctl
}

/// The leaf bits of stage-2 entries made on demand: EPT read, write, execute, write-back,
/// A/D set (as KVM makes them); NPT present, writable, user, A/D.
pub const fn default_stage2_flags(mode: Mode) -> u64 {
    match mode {
        Mode::Npt => {
            PteFlags::PRESENT.bits()
                | PteFlags::WRITABLE.bits()
                | PteFlags::USER.bits()
                | PteFlags::ACCESSED.bits()
                | PteFlags::DIRTY.bits()
        }
        _ => {
            EptFlags::READ.bits()
                | EptFlags::WRITE.bits()
                | EptFlags::EXECUTE.bits()
                | EptFlags::MEMTYPE1.bits()
                | EptFlags::MEMTYPE2.bits()
                | EptFlags::ACCESSED.bits()
                | EptFlags::DIRTY.bits()
        }
    }
}

fn stage2_allows(e: TlbEntry, access: Access) -> bool {
    use crate::Stage2Rights as S;
    e.stage2.contains(match access.kind {
        crate::AccessKind::Read => S::READ,
        crate::AccessKind::Write => S::WRITE,
        crate::AccessKind::Fetch => S::EXECUTE,
    })
}

fn stage1<'a>(
    cfg: &'a MachineConfig,
    reserved: &'a ReservedMasks,
    tag: Tag,
    table: TableKind,
    root: u64,
    ctl: crate::RightsControl,
) -> Stage1<'a> {
    Stage1 {
        table,
        levels: cfg.guest_levels,
        root,
        addr_mask: crate::entry::ADDR_MASK_4K & crate::entry::physical_mask(cfg.cpu.maxphyaddr),
        cpu: &cfg.cpu,
        reserved,
        ctl,
        tag,
    }
}

/// Ends an access that walked. The walk's result is passed through as it is, not taken
/// apart and rebuilt: moving an `Outcome` from one enum into another made the compiler copy
/// it in overlapping pieces, and reading those back missed store-to-load forwarding on every
/// access (docs/performance.md).
#[inline(always)]
fn walked<K: EventSink>(
    res: Result<Outcome, MachineError>,
    sink: &mut K,
) -> Result<Outcome, MachineError> {
    if let Ok(out) = &res {
        sink.event(&Event::AccessEnd {
            hpa: out.result.ok(),
        });
    }
    res
}

fn ept<'a>(
    cfg: &MachineConfig,
    checks: &'a EptChecks,
    root: Hpa,
    tag: Tag,
    pwc: &'a mut Pwc,
) -> Ept<'a> {
    Ept {
        root,
        levels: cfg.stage2_levels,
        ad: cfg.ept_ad,
        addr_mask: crate::entry::ADDR_MASK_4K & crate::entry::physical_mask(cfg.cpu.maxphyaddr),
        checks,
        pwc,
        tag,
    }
}

fn npt<'a>(
    cfg: &MachineConfig,
    host: &CpuConfig,
    reserved: &'a ReservedMasks,
    root: Hpa,
    tag: Tag,
    pwc: &'a mut Pwc,
) -> Npt<'a> {
    Npt {
        root,
        levels: cfg.stage2_levels,
        addr_mask: crate::entry::ADDR_MASK_4K & crate::entry::physical_mask(host.maxphyaddr),
        host: *host,
        reserved,
        pwc,
        tag,
    }
}

fn covers(e: &TlbEntry, gva: Gva) -> bool {
    e.vpn == gva.raw() >> e.size.shift()
}
