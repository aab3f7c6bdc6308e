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
use crate::memory::{GuestRam, Memslot, PhysMemory};
use crate::pwc::Pwc;
use crate::hypervisor::shadow::{FaultFix, ShadowMmu, ShadowPageInfo};
use crate::hypervisor::tdp::{TdpFix, TdpMmu};
use crate::hypervisor::{HostMemory, HostPageState};
use crate::tlb::{Tag, Tlb, TlbEntry, TlbSlot};
use crate::walk::{walk_stage1, Ept, EptChecks, Identity, Npt, ReservedMasks, Stage1, Translation};
use crate::{Gfn, Hfn};
use serde::{Deserialize, Serialize};

/// Errors from building or driving a machine (misuse, limits), never architectural faults.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MachineError {
    /// Building tables failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// No such address space.
    #[error("address space {0} does not exist")]
    NoSuchSpace(usize),
    /// The operation needs a mode the machine is not in.
    #[error("{op} needs {needs} mode; this machine runs in {mode:?} mode")]
    WrongMode {
        /// The operation.
        op: &'static str,
        /// What it needs.
        needs: &'static str,
        /// The machine's mode.
        mode: Mode,
    },
    /// The entry to edit does not exist (a table above it is missing).
    #[error("no {level}-level entry on the path of {gva} (a table above it is not present)")]
    NoEntry {
        /// The address.
        gva: Gva,
        /// The level number.
        level: u8,
    },
    /// A guest-physical address outside guest RAM.
    #[error("guest-physical address {0} is outside guest RAM")]
    NotRam(Gpa),
    /// An INV* type that does not exist.
    #[error("{op} has no type {kind}")]
    BadInvalidationType {
        /// The instruction.
        op: &'static str,
        /// The type.
        kind: u8,
    },
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

impl Machine {
    /// A machine with one memslot of guest RAM, empty tables and one address space (PCID 0).
    pub fn new(cfg: MachineConfig) -> Result<Machine, MachineError> {
        let lay = cfg.layout;
        let host_base = if cfg.mode == Mode::Native {
            0
        } else {
            lay.host_ram_base
        };
        let ram = GuestRam::new(vec![Memslot {
            gfn: Gfn::new(0),
            frames: lay.guest_ram >> 12,
            hfn: Hfn::new(host_base >> 12),
        }]);
        let mut host_pool = Pool::new(lay.host_tables.0, lay.host_tables.1);
        let stage2 = match cfg.mode {
            Mode::Ept => Some(TableBuilder::new(
                TableFormat::Ept,
                cfg.stage2_levels,
                cfg.cpu.maxphyaddr,
                &mut host_pool,
            )?),
            Mode::Npt => Some(TableBuilder::new(
                TableFormat::Ia32e,
                cfg.stage2_levels,
                cfg.cpu.maxphyaddr,
                &mut host_pool,
            )?),
            _ => None,
        };
        let shadow = (cfg.mode == Mode::Shadow).then(|| {
            ShadowMmu::new(
                cfg.shadow,
                cfg.guest_levels,
                cfg.cpu,
                Pool::new(lay.shadow_tables.0, lay.shadow_tables.1),
            )
        });
        let tdp = (cfg.mode.is_nested() && cfg.host.stage2 == Stage2Fill::OnDemand).then(|| {
            TdpMmu {
                flags: default_stage2_flags(cfg.mode),
                flush_request: false,
            }
        });
        // The host's view of nested tables: AMD rules, NX and 1 GiB pages available.
        let npt_host = CpuConfig {
            vendor: Vendor::Amd,
            nxe: true,
            gbpages: true,
            ..cfg.cpu
        };
        let stage2_root = Hpa::new(stage2.as_ref().map_or(0, TableBuilder::root));
        let mut m = Machine {
            mem: PhysMemory::new(cfg.max_frames),
            ram,
            guest_pool: Pool::new(lay.guest_tables.0, lay.guest_tables.1),
            host_pool,
            spaces: Vec::new(),
            current: 0,
            cr3: Gpa::new(0),
            pcid: 0,
            ac: false,
            stage2,
            guest_ranges: Vec::new(),
            tlb: Tlb::new(&cfg.tlb),
            pwc: Pwc::new(cfg.pwc.guest, cfg.pwc.entries),
            pwc_stage2: Pwc::new(cfg.pwc.stage2, cfg.pwc.entries),
            shadow,
            tdp,
            host: HostMemory::new(cfg.host),
            store_value: None,
            reserved: ReservedMasks::new(&cfg.cpu),
            npt_host,
            npt_reserved: ReservedMasks::new(&npt_host),
            ept_checks: EptChecks::new(cfg.cpu.maxphyaddr),
            stage2_tag: Tag::new(0, 0, stage2_root),
            tag: Tag::new(0, 0, Hpa::new(0)),
            ctl: hardware_control(&cfg, false),
            flush_request: false,
            cfg,
        };
        let first = m.add_address_space(0)?;
        m.activate(first)?;
        Ok(m)
    }

    /// The configuration.
    pub fn config(&self) -> &MachineConfig {
        &self.cfg
    }

    /// Host memory (read-only view).
    pub fn memory(&self) -> &PhysMemory {
        &self.mem
    }

    /// Guest RAM layout.
    pub fn guest_ram(&self) -> &GuestRam {
        &self.ram
    }

    /// Adds an address space with its own guest page-table root.
    pub fn add_address_space(&mut self, pcid: u16) -> Result<SpaceId, MachineError> {
        let tables = TableBuilder::new(
            TableFormat::Ia32e,
            self.cfg.guest_levels,
            self.cfg.cpu.maxphyaddr,
            &mut self.guest_pool,
        )?;
        self.host.written_by_vmm(Gfn::new(tables.root() >> 12));
        self.spaces.push(AddressSpace {
            tables,
            pcid: pcid & 0xfff,
        });
        Ok(SpaceId(self.spaces.len() - 1))
    }

    /// Changes the PCID of an address space (takes effect at its next load).
    pub fn set_space_pcid(&mut self, id: SpaceId, pcid: u16) -> Result<(), MachineError> {
        let s = self
            .spaces
            .get_mut(id.0)
            .ok_or(MachineError::NoSuchSpace(id.0))?;
        s.pcid = pcid & 0xfff;
        Ok(())
    }

    fn space(&self, id: SpaceId) -> Result<&AddressSpace, MachineError> {
        self.spaces.get(id.0).ok_or(MachineError::NoSuchSpace(id.0))
    }

    /// Number of address spaces.
    pub fn space_count(&self) -> usize {
        self.spaces.len()
    }

    /// The guest CR3 (page-table root) of an address space.
    pub fn cr3_of(&self, id: SpaceId) -> Result<Gpa, MachineError> {
        Ok(Gpa::new(self.space(id)?.tables.root()))
    }

    /// The loaded CR3.
    pub fn cr3(&self) -> Gpa {
        self.cr3
    }

    /// The current address space.
    pub fn current_space(&self) -> SpaceId {
        SpaceId(self.current)
    }

    /// Makes an address space current without any event (the initial state of a run).
    pub fn activate(&mut self, id: SpaceId) -> Result<(), MachineError> {
        let s = self.space(id)?;
        let (root, pcid) = (s.tables.root(), s.pcid);
        self.cr3 = Gpa::new(root);
        self.pcid = pcid;
        self.refresh_tag();
        self.current = id.0;
        Ok(())
    }

    /// Sets RFLAGS.AC (for SMAP).
    pub fn set_ac(&mut self, ac: bool) {
        self.ac = ac;
        self.ctl = hardware_control(&self.cfg, ac);
    }

    /// Maps one guest page: `gva` -> `gpa` with `flags` (include PRESENT; ACCESSED and DIRTY
    /// are the A/D presets). Tables created on the way get P|R/W|U/S, and A if `flags` has it.
    pub fn map(
        &mut self,
        space: SpaceId,
        gva: Gva,
        gpa: Gpa,
        size: PageSize,
        flags: PteFlags,
    ) -> Result<(), MachineError> {
        let s = self
            .spaces
            .get(space.0)
            .ok_or(MachineError::NoSuchSpace(space.0))?;
        let nonleaf = (PteFlags::PRESENT | PteFlags::WRITABLE | PteFlags::USER).bits()
            | (flags.bits() & PteFlags::ACCESSED.bits());
        let leaf = flags.bits() & !PteFlags::HUGE_PAGE.bits();
        let tables = s.tables.clone();
        let known = self.guest_pool.tables().len();
        tables.map(
            &mut GuestStore {
                mem: &mut self.mem,
                ram: &self.ram,
            },
            &mut self.guest_pool,
            gva.raw(),
            gpa.raw(),
            size,
            leaf,
            nonleaf,
        )?;
        // The VMM wrote the guest's tables into guest RAM before it runs: their host pages
        // exist.
        for &t in &self.guest_pool.tables()[known..] {
            self.host.written_by_vmm(Gfn::new(t >> 12));
        }
        self.guest_ranges.push((gpa.raw(), size.bytes()));
        Ok(())
    }

    /// The VMM writes guest memory at `gpa` before the guest runs (its code, its data): the
    /// host page behind it exists from then on.
    pub fn vmm_write(&mut self, gpa: Gpa) {
        self.host.written_by_vmm(gpa.frame());
    }

    /// The state of the host page behind a guest-physical address.
    pub fn host_page(&self, gpa: Gpa) -> HostPageState {
        self.host.state(gpa.frame())
    }

    /// The leaf bits of the stage-2 entries the TDP MMU makes on demand (EPT R/W/X, memory
    /// type and A/D presets; NPT P/RW/U/A/D).
    pub fn set_stage2_flags(&mut self, flags: u64) {
        if let Some(t) = self.tdp.as_mut() {
            t.flags = flags;
        }
    }

    /// Turns the TDP MMU off: stage-2 faults stand as the scenario's tables make them (for
    /// lessons about explicit stage-2 mappings and edits).
    pub fn disable_tdp(&mut self) {
        self.tdp = None;
    }

    /// Maps a guest-physical page in stage 2. `flags` are EPT bits under EPT (R/W/X, memory
    /// type, A/D presets) or IA-32e bits under NPT.
    pub fn map_stage2(
        &mut self,
        gpa: Gpa,
        hpa: Hpa,
        size: PageSize,
        flags: u64,
    ) -> Result<(), MachineError> {
        let Some(s2) = self.stage2.clone() else {
            return Err(MachineError::WrongMode {
                op: "a stage-2 mapping",
                needs: "ept or npt",
                mode: self.cfg.mode,
            });
        };
        let nonleaf = match s2.format() {
            TableFormat::Ept => {
                (EptFlags::READ | EptFlags::WRITE | EptFlags::EXECUTE).bits()
                    | (flags & EptFlags::ACCESSED.bits())
            }
            TableFormat::Ia32e => {
                (PteFlags::PRESENT | PteFlags::WRITABLE | PteFlags::USER).bits()
                    | (flags & PteFlags::ACCESSED.bits())
            }
        };
        s2.map(
            &mut HostStore(&mut self.mem),
            &mut self.host_pool,
            gpa.raw(),
            hpa.raw(),
            size,
            flags & !(1 << 7),
            nonleaf,
        )?;
        Ok(())
    }

    /// Maps in stage 2, with pages of `size` and `flags`, every guest-physical page the guest
    /// uses so far (its page tables and the pages its mappings point to), GPA -> HPA through
    /// the memslot. Pages already mapped are left alone.
    pub fn back_stage2(&mut self, size: PageSize, flags: u64) -> Result<(), MachineError> {
        let Some(s2) = self.stage2.clone() else {
            return Err(MachineError::WrongMode {
                op: "stage-2 backing",
                needs: "ept or npt",
                mode: self.cfg.mode,
            });
        };
        let mut ranges: Vec<(u64, u64)> = self
            .guest_pool
            .tables()
            .iter()
            .map(|&t| (t, 4096))
            .collect();
        ranges.extend(self.guest_ranges.iter().copied());
        let mut pages: Vec<u64> = Vec::new();
        for (start, len) in ranges {
            let mut p = start & !(size.bytes() - 1);
            while p < start + len {
                pages.push(p);
                p += size.bytes();
            }
        }
        pages.sort_unstable();
        pages.dedup();
        for p in pages {
            if s2.resolve(&HostView(&self.mem), p).is_some() {
                continue;
            }
            let hpa = self
                .ram
                .gpa_to_hpa(Gpa::new(p))
                .ok_or(MachineError::NotRam(Gpa::new(p)))?;
            self.map_stage2(Gpa::new(p), hpa, size, flags)?;
        }
        Ok(())
    }

    /// Guest-physical address of the guest entry at `level` on the path of `gva`.
    pub fn guest_entry_gpa(
        &self,
        space: SpaceId,
        gva: Gva,
        level: Level,
    ) -> Result<Gpa, MachineError> {
        let s = self.space(space)?;
        let store = GuestView {
            mem: &self.mem,
            ram: &self.ram,
        };
        s.tables
            .entry_addr(&store, gva.raw(), level)
            .map(Gpa::new)
            .ok_or(MachineError::NoEntry {
                gva,
                level: level.number(),
            })
    }

    /// Reads a guest entry at a guest-physical address (no events).
    pub fn read_guest(&self, gpa: Gpa) -> Result<u64, MachineError> {
        let hpa = self.ram.gpa_to_hpa(gpa).ok_or(MachineError::NotRam(gpa))?;
        Ok(self.mem.read_u64(hpa))
    }

    /// Overwrites a guest entry with no event and no hypervisor involvement: a raw edit of
    /// the initial image, for teaching (a reserved bit, a cleared present bit).
    pub fn poke_guest(&mut self, gpa: Gpa, value: u64) -> Result<(), MachineError> {
        let hpa = self.ram.gpa_to_hpa(gpa).ok_or(MachineError::NotRam(gpa))?;
        self.mem.write_u64(hpa, value).map_err(BuildError::from)?;
        Ok(())
    }

    /// Host-physical address of the stage-2 entry at `level` for `gpa`.
    pub fn stage2_entry_hpa(&self, gpa: Gpa, level: Level) -> Result<Hpa, MachineError> {
        let s2 = self.stage2.as_ref().ok_or(MachineError::WrongMode {
            op: "a stage-2 edit",
            needs: "ept or npt",
            mode: self.cfg.mode,
        })?;
        s2.entry_addr(&HostView(&self.mem), gpa.raw(), level)
            .map(Hpa::new)
            .ok_or(MachineError::NoEntry {
                gva: Gva::new(gpa.raw()),
                level: level.number(),
            })
    }

    /// Overwrites a host-physical word with no event (raw edit of stage-2 tables).
    pub fn poke_host(&mut self, hpa: Hpa, value: u64) -> Result<(), MachineError> {
        self.mem.write_u64(hpa, value).map_err(BuildError::from)?;
        Ok(())
    }

    /// The stage-2 root (EPTP/nCR3 table address), if any.
    pub fn stage2_root(&self) -> Option<Hpa> {
        self.stage2.as_ref().map(|s| Hpa::new(s.root()))
    }

    /// Guest page-table frames, in allocation order.
    pub fn guest_table_frames(&self) -> &[u64] {
        self.guest_pool.tables()
    }

    /// Host table frames (stage-2 tables), in allocation order.
    pub fn host_table_frames(&self) -> &[u64] {
        self.host_pool.tables()
    }

    /// The shadow pages (shadow mode only; empty otherwise).
    pub fn shadow_pages(&self) -> Vec<ShadowPageInfo> {
        self.shadow
            .as_ref()
            .map(ShadowMmu::pages)
            .unwrap_or_default()
    }

    /// Whether a guest frame is write-protected by the shadow MMU.
    pub fn is_write_protected(&self, gfn: Gfn) -> bool {
        self.shadow.as_ref().is_some_and(|s| s.is_protected(gfn))
    }

    /// The context tag of the loaded address space (VPID, PCID, EPT root).
    pub fn current_tag(&self) -> Tag {
        self.tag
    }

    /// What the tables say `gva` translates to now, resolved in software without events or
    /// side effects (no A/D updates, no caches): how a view decides a TLB entry is stale.
    pub fn resolve(&self, gva: Gva) -> Option<Hpa> {
        let s = self.spaces.get(self.current)?;
        let store = GuestView {
            mem: &self.mem,
            ram: &self.ram,
        };
        let (gpa, _, _) = s.tables.resolve(&store, gva.raw())?;
        match self.cfg.mode {
            Mode::Native => Some(Hpa::new(gpa)),
            Mode::Shadow => self.ram.gpa_to_hpa(Gpa::new(gpa)),
            Mode::Ept | Mode::Npt => {
                let s2 = self.stage2.as_ref()?;
                s2.resolve(&HostView(&self.mem), gpa)
                    .map(|(h, _, _)| Hpa::new(h))
            }
        }
    }

    /// The guest entries on the path of `gva` in the loaded address space: (level,
    /// guest-physical address of the entry, value), top first, as far as they are present.
    pub fn guest_path(&self, gva: Gva) -> Vec<(Level, Gpa, u64)> {
        let mut out = Vec::new();
        let Some(s) = self.spaces.get(self.current) else {
            return out;
        };
        let store = GuestView {
            mem: &self.mem,
            ram: &self.ram,
        };
        for level in Level::TOP_DOWN {
            if level > self.cfg.guest_levels.top() {
                continue;
            }
            let Some(at) = s.tables.entry_addr(&store, gva.raw(), level) else {
                break;
            };
            let v = self.read_guest(Gpa::new(at)).unwrap_or(0);
            out.push((level, Gpa::new(at), v));
            if v & PteFlags::PRESENT.bits() == 0 || crate::walk::ia32e_is_leaf(v, level) {
                break;
            }
        }
        out
    }

    /// Under shadow paging, the shadow entries on the path of `gva`: (level, host-physical
    /// address of the entry, value), top first, as far as they are present.
    pub fn shadow_path(&self, gva: Gva) -> Vec<(Level, Hpa, u64)> {
        let mut out = Vec::new();
        let Some(sh) = self.shadow.as_ref() else {
            return out;
        };
        let Some(root) = sh.root_of(self.cr3) else {
            return out;
        };
        let mut table = root.raw();
        for level in Level::TOP_DOWN {
            if level > self.cfg.guest_levels.top() {
                continue;
            }
            let at = Hpa::new(table + 8 * level.index(gva.raw()) as u64);
            let v = self.mem.read_u64(at);
            out.push((level, at, v));
            if v & PteFlags::PRESENT.bits() == 0 || crate::walk::ia32e_is_leaf(v, level) {
                break;
            }
            table = crate::entry::address_field(v, 52);
        }
        out
    }

    /// The TLB's valid entries.
    pub fn tlb_slots(&self) -> Vec<TlbSlot> {
        self.tlb.slots()
    }

    /// Whether a TLB entry is stale: what the tables say now differs from what it caches.
    /// The check walks in software on a copy of the machine, so it changes nothing.
    pub fn is_stale(&self, entry: &TlbEntry) -> bool {
        let mut probe = self.clone();
        probe.tlb = Tlb::new(&crate::tlb::TlbConfig {
            enabled: false,
            ..self.cfg.tlb
        });
        probe.pwc = Pwc::new(false, 0);
        probe.pwc_stage2 = Pwc::new(false, 0);
        let gva = entry.gva();
        let t = probe.walk_only(gva, Access::USER_READ);
        match t {
            // Under shadow paging the cached rights are the shadow entry's, which may be
            // narrower than the guest's on purpose (write protection): compare addresses only.
            Ok(t) if self.cfg.mode == Mode::Shadow => t.hpa.align_down(entry.size) != entry.hpa,
            Ok(t) => t.hpa.align_down(entry.size) != entry.hpa || t.rights.pack() != entry.rights,
            Err(_) => true,
        }
    }

    fn walk_only(&mut self, gva: Gva, access: Access) -> Result<Translation, Fault> {
        let mut sink = crate::Counters::default();
        let mut ctl = self.ctl;
        // Read the tables as the supervisor would, without rights failures.
        ctl.smap = false;
        let access = Access::new(access.kind, crate::Privilege::Supervisor);
        let root = self.cr3.raw();
        let t = self.walk_tables(TableKind::Guest, root, ctl, gva, access, &mut sink)?;
        Ok(match self.cfg.mode {
            // The guest's own tables hold guest-physical addresses: map through the memslots.
            Mode::Shadow | Mode::Native => Translation {
                hpa: self.ram.gpa_to_hpa(t.gpa).unwrap_or(Hpa::new(t.gpa.raw())),
                ..t
            },
            Mode::Ept | Mode::Npt => t,
        })
    }

    fn stage2_root_or_zero(&self) -> Hpa {
        self.stage2_root().unwrap_or(Hpa::new(0))
    }

    /// The tag of the current context (VPID, PCID, EPT root), kept up to date by every
    /// change of PCID so the TLB lookup does not recompute it.
    #[inline(always)]
    fn tag(&self) -> Tag {
        self.tag
    }

    fn refresh_tag(&mut self) {
        let vpid = u16::from(self.cfg.mode.is_virtualized() && self.cfg.vpid);
        let pcid = if self.cfg.cpu.pcide { self.pcid } else { 0 };
        self.tag = Tag::new(vpid, pcid, self.stage2_root_or_zero());
    }

    /// One memory access by the guest: TLB lookup, then a walk on a miss, with every step
    /// reported to `sink`.
    #[inline]
    pub fn access<K: EventSink>(
        &mut self,
        gva: Gva,
        access: Access,
        sink: &mut K,
    ) -> Result<Outcome, MachineError> {
        sink.event(&Event::AccessBegin { gva, access });
        let out = if gva.is_canonical(self.cfg.guest_levels) {
            match self.probe_tlb(gva, access, sink) {
                // Built here, in place: see `walked` for why an `Outcome` is not moved.
                Probe::Hit(hpa, level) => Outcome {
                    result: Ok(hpa),
                    tlb_hit: Some(level),
                },
                Probe::Done(out) => out,
                Probe::Walk => return walked(self.miss(gva, access, None, sink), sink),
                Probe::ShadowFault(f) => {
                    return walked(self.miss(gva, access, Some(f), sink), sink)
                }
            }
        } else {
            self.fault(Fault::NonCanonical { gva }, None, sink)
        };
        sink.event(&Event::AccessEnd {
            hpa: out.result.ok(),
        });
        Ok(out)
    }

    fn fault<K: EventSink>(
        &mut self,
        fault: Fault,
        hit: Option<TlbLevel>,
        sink: &mut K,
    ) -> Outcome {
        sink.event(&Event::Fault { fault });
        Outcome {
            result: Err(fault),
            tlb_hit: hit,
        }
    }

    /// The TLB lookup: the whole access on a hit, kept small so it inlines.
    #[inline(always)]
    fn probe_tlb<K: EventSink>(&mut self, gva: Gva, access: Access, sink: &mut K) -> Probe {
        if !self.tlb.enabled() {
            return Probe::Walk;
        }
        let Some((level, e)) = self.tlb.lookup(gva, access.is_fetch(), self.tag()) else {
            sink.event(&Event::TlbMiss {
                level: TlbLevel::L1,
            });
            sink.event(&Event::TlbMiss {
                level: TlbLevel::L2,
            });
            return Probe::Walk;
        };
        if level == TlbLevel::L2 {
            sink.event(&Event::TlbMiss {
                level: TlbLevel::L1,
            });
        }
        let rights_fault = check_rights(e.guest_rights(), access, self.ctl);
        let need_dirty = access.is_write() && !e.dirty && rights_fault.is_none();
        // A stage-2 rights failure is found by walking again, which also reports the
        // guest-physical address of the EPT violation.
        let stage2_denied = rights_fault.is_none() && !stage2_allows(e, access);
        if need_dirty || stage2_denied {
            if need_dirty {
                sink.event(&Event::TlbDirtyRewalk);
            }
            sink.event(&Event::TlbMiss {
                level: TlbLevel::L2,
            });
            return Probe::Walk;
        }
        let hpa = Hpa::new(e.hpa.raw() | gva.page_offset(e.size));
        sink.event(&Event::TlbHit {
            level,
            size: e.size,
            hpa,
        });
        let Some(code) = rights_fault else {
            return Probe::Hit(hpa, level);
        };
        let fault = Fault::PageFault {
            gva,
            code,
            level: e.size.leaf_level(),
        };
        if self.cfg.mode == Mode::Shadow {
            return Probe::ShadowFault(fault);
        }
        self.invalidate_after_fault(gva, sink);
        Probe::Done(self.fault(fault, Some(level), sink))
    }

    /// A TLB miss: walk, fill the TLB, or deliver the fault. Natively and under EPT/NPT one
    /// walk decides; under shadow paging a fault exits to the hypervisor, which fixes its
    /// tables, and the access is tried again ([`Machine::miss_shadow`]). Kept apart so the
    /// common case carries none of the retry loop's set-up.
    #[inline(never)]
    fn miss<K: EventSink>(
        &mut self,
        gva: Gva,
        access: Access,
        pending: Option<Fault>,
        sink: &mut K,
    ) -> Result<Outcome, MachineError> {
        if pending.is_some() || self.cfg.mode == Mode::Shadow {
            return self.miss_shadow(gva, access, pending, sink);
        }
        match self.walk_once(gva, access, sink)? {
            Round::Done(out) => Ok(out),
            Round::Stage2(f) => self.miss_tdp(gva, access, f, sink),
            // Only shadow paging retries a #PF.
            Round::Retry(f) => Ok(self.fault(f, None, sink)),
        }
    }

    /// A stage-2 fault with KVM's TDP MMU filling stage 2 on demand: the exit, the new
    /// entry, and the access again (a few rounds: a guest table, then the page, then a
    /// copy on write).
    #[inline(never)]
    fn miss_tdp<K: EventSink>(
        &mut self,
        gva: Gva,
        access: Access,
        mut f: Fault,
        sink: &mut K,
    ) -> Result<Outcome, MachineError> {
        for _ in 0..16 {
            let (gpa, write) = match f {
                Fault::EptViolation { gpa, qual, .. } => {
                    (gpa, qual.contains(crate::EptViolationQual::WRITE))
                }
                Fault::NestedPageFault { gpa, code, .. } => {
                    (gpa, code.contains(crate::PfErrorCode::WRITE))
                }
                _ => return Ok(self.stage2_exit(f, None, sink)),
            };
            sink.event(&Event::Fault { fault: f });
            self.exit(ExitReason::Stage2Fault, sink);
            let (Some(tdp), Some(s2)) = (self.tdp.as_mut(), self.stage2.as_ref()) else {
                self.entry(sink);
                return Ok(Outcome {
                    result: Err(f),
                    tlb_hit: None,
                });
            };
            let fix = tdp.handle(
                &mut self.mem,
                &self.ram,
                &mut self.host,
                s2,
                &mut self.host_pool,
                gpa,
                write,
                sink,
            )?;
            let outcome = match fix {
                TdpFix::Fixed => FaultOutcome::Fixed,
                TdpFix::Retry => FaultOutcome::Retry,
                TdpFix::NotHandled => {
                    self.entry(sink);
                    return Ok(Outcome {
                        result: Err(f),
                        tlb_hit: None,
                    });
                }
            };
            sink.event(&Event::FaultHandled { outcome });
            self.entry(sink);
            match self.walk_once(gva, access, sink)? {
                Round::Stage2(next) => f = next,
                Round::Done(out) => return Ok(out),
                Round::Retry(pf) => return Ok(self.fault(pf, None, sink)),
            }
        }
        Ok(self.stage2_exit(f, None, sink))
    }

    /// A TLB miss under shadow paging: rounds of walk, shadow fault and retry.
    #[inline(never)]
    fn miss_shadow<K: EventSink>(
        &mut self,
        gva: Gva,
        access: Access,
        mut pending: Option<Fault>,
        sink: &mut K,
    ) -> Result<Outcome, MachineError> {
        let ctl = self.ctl;
        // A missing shadow entry, a zero page copied on write, a write-protected one, a
        // spurious fault: a few rounds always suffice.
        for _ in 0..8 {
            if let Some(f) = pending.take() {
                if let Some(out) = self.shadow_fault(gva, access, f, sink)? {
                    return Ok(out);
                }
                // The guest re-executes the access after the VM entry: a new TLB lookup.
                match self.probe_tlb(gva, access, sink) {
                    Probe::Hit(hpa, level) => {
                        return Ok(Outcome {
                            result: Ok(hpa),
                            tlb_hit: Some(level),
                        })
                    }
                    Probe::Done(out) => return Ok(out),
                    Probe::Walk => {}
                    Probe::ShadowFault(f) => {
                        pending = Some(f);
                        continue;
                    }
                }
            }
            match self.walk_once(gva, access, sink)? {
                Round::Done(out) => return Ok(out),
                Round::Retry(f) => pending = Some(f),
                Round::Stage2(f) => return Ok(self.fault(f, None, sink)),
            }
        }
        // The hypervisor could not make progress (it always should within the rounds).
        Ok(self.fault(
            Fault::PageFault {
                gva,
                code: crate::access::error_code_bits(access, ctl),
                level: Level::L1,
            },
            None,
            sink,
        ))
    }

    /// One walk for a TLB miss: fill the TLB and finish the access, or (under shadow
    /// paging) hand a guest page fault back for the hypervisor.
    #[inline(always)]
    fn walk_once<K: EventSink>(
        &mut self,
        gva: Gva,
        access: Access,
        sink: &mut K,
    ) -> Result<Round, MachineError> {
        let ctl = self.ctl;
        let tag = self.tag();
        // Every mode walks IA-32e tables; shadow paging walks the hypervisor's copy.
        let (kind, root) = match self.cfg.mode {
            Mode::Shadow => (TableKind::Shadow, self.shadow_root(sink)?.raw()),
            _ => (TableKind::Guest, self.cr3.raw()),
        };
        let walked = self.walk_tables(kind, root, ctl, gva, access, sink);
        match walked {
            Ok(t) => {
                if self.tlb.enabled() {
                    self.tlb
                        .fill(TlbEntry::new(gva, tag, &t), access.is_fetch());
                    sink.event(&Event::TlbFill {
                        gva: gva.align_down(t.size),
                        hpa: t.hpa.align_down(t.size),
                        size: t.size,
                        global: t.global,
                    });
                }
                Ok(Round::Done(Outcome {
                    result: Ok(t.hpa),
                    tlb_hit: None,
                }))
            }
            Err(f @ Fault::PageFault { .. }) if self.cfg.mode == Mode::Shadow => {
                Ok(Round::Retry(f))
            }
            Err(f @ Fault::PageFault { .. }) => {
                self.invalidate_after_fault(gva, sink);
                Ok(Round::Done(self.fault(f, None, sink)))
            }
            Err(f) if f.is_stage2() && self.tdp.is_some() => Ok(Round::Stage2(f)),
            Err(f) if f.is_stage2() => Ok(Round::Done(self.stage2_exit(f, None, sink))),
            Err(f) => Ok(Round::Done(self.fault(f, None, sink))),
        }
    }

    /// Walks the IA-32e tables at `root` (`kind`: the guest's or the hypervisor's shadow
    /// copy) for `gva`, through this machine's stage 2.
    #[inline(always)]
    fn walk_tables<K: EventSink>(
        &mut self,
        kind: TableKind,
        root: u64,
        ctl: crate::RightsControl,
        gva: Gva,
        access: Access,
        sink: &mut K,
    ) -> Result<Translation, Fault> {
        let w = stage1(&self.cfg, &self.reserved, self.tag(), kind, root, ctl);
        match self.cfg.mode {
            Mode::Native | Mode::Shadow => walk_stage1(
                &mut self.mem,
                &w,
                gva,
                access,
                &mut self.pwc,
                &mut Identity,
                sink,
            ),
            Mode::Ept => {
                let root = self.stage2_root_or_zero();
                let mut s2 = ept(
                    &self.cfg,
                    &self.ept_checks,
                    root,
                    self.stage2_tag,
                    &mut self.pwc_stage2,
                );
                walk_stage1(&mut self.mem, &w, gva, access, &mut self.pwc, &mut s2, sink)
            }
            Mode::Npt => {
                let root = self.stage2_root_or_zero();
                let mut s2 = npt(
                    &self.cfg,
                    &self.npt_host,
                    &self.npt_reserved,
                    root,
                    self.stage2_tag,
                    &mut self.pwc_stage2,
                );
                walk_stage1(&mut self.mem, &w, gva, access, &mut self.pwc, &mut s2, sink)
            }
        }
    }

    /// A page fault invalidates the TLB entries for the faulting address (Intel SDM vol. 3,
    /// "Operations that Invalidate TLBs and Paging-Structure Caches": "if a page fault
    /// occurs, the processor invalidates entries ... that would be used for that address").
    fn invalidate_after_fault<K: EventSink>(&mut self, gva: Gva, sink: &mut K) {
        let tag = self.tag();
        let removed = self
            .tlb
            .invalidate(|e| covers(e, gva) && e.tag.matches(tag, e.global));
        if removed > 0 {
            sink.event(&Event::Flush {
                cause: FlushCause::PageFault,
                removed,
            });
        }
    }

    fn stage2_exit<K: EventSink>(
        &mut self,
        f: Fault,
        hit: Option<TlbLevel>,
        sink: &mut K,
    ) -> Outcome {
        let out = self.fault(f, hit, sink);
        let reason = if matches!(f, Fault::EptMisconfig { .. }) {
            ExitReason::EptMisconfig
        } else {
            ExitReason::Stage2Fault
        };
        self.exit(reason, sink);
        self.entry(sink);
        out
    }

    fn shadow_root<K: EventSink>(&mut self, sink: &mut K) -> Result<Hpa, MachineError> {
        let cr3 = self.cr3;
        let Some(sh) = self.shadow.as_mut() else {
            return Err(MachineError::WrongMode {
                op: "a shadow walk",
                needs: "shadow",
                mode: self.cfg.mode,
            });
        };
        Ok(sh.root(&mut self.mem, &self.ram, cr3, sink)?)
    }

    /// A #PF from the shadow tables exits to the hypervisor. `Some` ends the access (a fault
    /// injected into the guest, or a write the hypervisor emulated); `None` means the shadow
    /// tables were fixed: retry.
    fn shadow_fault<K: EventSink>(
        &mut self,
        gva: Gva,
        access: Access,
        hw_fault: Fault,
        sink: &mut K,
    ) -> Result<Option<Outcome>, MachineError> {
        let _ = hw_fault;
        sink.event(&Event::ShadowFault { gva });
        self.invalidate_after_fault(gva, sink);
        self.exit(ExitReason::PageFault, sink);
        // KVM walks the guest's tables with the guest's own controls (its CR0.WP).
        let ctl = self.cfg.cpu.rights_control(self.ac);
        let cr3 = self.cr3;
        let Some(sh) = self.shadow.as_mut() else {
            return Ok(None);
        };
        let fix = sh.handle_fault(
            &mut self.mem,
            &self.ram,
            &mut self.host,
            cr3,
            gva,
            access,
            ctl,
            sink,
        )?;
        let outcome = match fix {
            FaultFix::Fixed => FaultOutcome::Fixed,
            FaultFix::Spurious => FaultOutcome::Spurious,
            FaultFix::Retry => FaultOutcome::Retry,
            FaultFix::Inject(_) => FaultOutcome::Injected,
            FaultFix::Emulated { .. } => FaultOutcome::Emulated,
        };
        sink.event(&Event::FaultHandled { outcome });
        match fix {
            FaultFix::Inject(guest_fault) => {
                let out = self.fault(guest_fault, None, sink);
                self.entry(sink);
                if self.cfg.host.platform == Platform::Pvm {
                    // The guest's #PF handler (CPL 0, emulated) returns.
                    self.kernel_exit(ExitReason::KernelReturn, sink);
                    self.entry(sink);
                }
                Ok(Some(out))
            }
            FaultFix::Fixed | FaultFix::Spurious | FaultFix::Retry => {
                self.entry(sink);
                Ok(None)
            }
            FaultFix::Emulated { gpa } => {
                let hpa = self.ram.gpa_to_hpa(gpa).ok_or(MachineError::NotRam(gpa))?;
                let old = self.mem.read_u64(hpa);
                let new = self.store_value.take().unwrap_or(old);
                self.mem.write_u64(hpa, new).map_err(BuildError::from)?;
                sink.event(&Event::GuestPteWrite {
                    gpa,
                    old,
                    new,
                    emulated: true,
                });
                if let Some(sh) = self.shadow.as_mut() {
                    sh.track_write(&mut self.mem, gpa, sink)?;
                }
                self.entry(sink);
                Ok(Some(Outcome {
                    result: Ok(Hpa::new(hpa.raw() | (gva.raw() & 7))),
                    tlb_hit: None,
                }))
            }
        }
    }

    /// The hypervisor's TLB flush, at a VM entry that services a flush request: everything
    /// of this VPID (shadow paging), or everything derived from this EPT/NPT root (KVM's
    /// `kvm_flush_tlb_current`).
    fn hypervisor_flush<K: EventSink>(&mut self, sink: &mut K) {
        let removed = if self.cfg.mode.is_nested() {
            let frame = self.stage2_tag.ept_root_frame();
            self.pwc_stage2.invalidate(|t| t.ept_root_frame() == frame);
            self.pwc.invalidate(|t| t.ept_root_frame() == frame);
            self.tlb.invalidate(|e| e.tag.ept_root_frame() == frame)
        } else {
            let vpid = self.tag().vpid();
            self.pwc.invalidate(|t| t.vpid() == vpid);
            self.tlb.invalidate(|e| e.tag.vpid() == vpid)
        };
        sink.event(&Event::Flush {
            cause: FlushCause::Hypervisor,
            removed,
        });
    }

    /// An exit into the hypervisor on behalf of the guest's kernel: on PVM the kernel itself
    /// runs in the hypervisor, and its one stack write is emulated (KVM's write tracking
    /// counts it while shadow pages exist; measured on this project's host).
    fn kernel_exit<K: EventSink>(&mut self, reason: ExitReason, sink: &mut K) {
        self.exit(reason, sink);
        if self.shadow.as_ref().is_some_and(ShadowMmu::has_indirect_pages) {
            sink.event(&Event::EmulatedWrite { gpa: None });
        }
    }

    /// The guest executes a privileged instruction in its kernel. With hardware
    /// virtualization under shadow paging it exits once (`reason`); on PVM the guest enters
    /// its emulated kernel through an exception and returns: two exits. The caller does the
    /// work and then [`Machine::entry`].
    fn kernel_op_begin<K: EventSink>(&mut self, reason: ExitReason, sink: &mut K) {
        match self.cfg.host.platform {
            Platform::Hardware => self.exit(reason, sink),
            Platform::Pvm => {
                self.exit(ExitReason::KernelEntry, sink);
                self.entry(sink);
                self.kernel_exit(ExitReason::KernelReturn, sink);
            }
        }
    }

    /// The guest enters its kernel through an exception and returns, doing nothing else
    /// (the KVM runtime's trampoline): free with hardware virtualization, two exits on PVM.
    pub fn kernel_round_trip<K: EventSink>(&mut self, sink: &mut K) {
        if self.cfg.host.platform == Platform::Pvm && self.cfg.mode.is_virtualized() {
            self.kernel_op_begin(ExitReason::KernelEntry, sink);
            self.entry(sink);
        }
    }

    /// Under shadow paging, KVM switches to the root of the CR3 just loaded (`kvm_set_cr3`,
    /// `kvm_mmu_new_pgd`) and asks for a TLB flush. A root among the cached ones is synced
    /// before the coming entry, and the flushes coalesce. Any other root is loaded only after
    /// an entry has serviced the flush (`kvm_mmu_reload`), and the sync of its unsync pages
    /// needs a second flush (measured on this host); on PVM a guest MOV CR3 to such a root
    /// also takes one more exit (measured; the mechanism is not identified).
    fn shadow_new_root<K: EventSink>(
        &mut self,
        old: Gpa,
        by_guest: bool,
        sink: &mut K,
    ) -> Result<(), MachineError> {
        let cr3 = self.cr3;
        let Some(sh) = self.shadow.as_mut() else {
            return Ok(());
        };
        let cached = sh.switch_root(old, cr3, by_guest);
        sh.flush_request = true;
        if !cached {
            self.entry(sink);
            if by_guest && self.cfg.host.platform == Platform::Pvm {
                self.exit(ExitReason::RootLoad, sink);
            }
        }
        if let Some(sh) = self.shadow.as_mut() {
            sh.root(&mut self.mem, &self.ram, cr3, sink)?;
            sh.sync_root(&mut self.mem, &self.ram, cr3, sink)?;
        }
        Ok(())
    }

    /// The host loads the guest's CR3 for address space `space` while the vCPU is out
    /// (KVM_SET_SREGS after an I/O exit: one exit). An unchanged CR3 does nothing at all
    /// (measured on this host); a new one requests a TLB flush and, under shadow paging,
    /// switches shadow roots and syncs unsync pages.
    pub fn host_load_cr3<K: EventSink>(
        &mut self,
        space: SpaceId,
        sink: &mut K,
    ) -> Result<(), MachineError> {
        if !self.cfg.mode.is_virtualized() {
            return Err(MachineError::WrongMode {
                op: "a host-side CR3 load",
                needs: "ept, npt or shadow",
                mode: self.cfg.mode,
            });
        }
        let s = self.space(space)?;
        let (cr3, pcid) = (Gpa::new(s.tables.root()), s.pcid);
        self.exit(ExitReason::HostCr3, sink);
        if cr3 != self.cr3 {
            sink.event(&Event::Cr3Load {
                cr3,
                pcid: if self.cfg.cpu.pcide { pcid } else { 0 },
                noflush: false,
            });
            let old = self.cr3;
            self.cr3 = cr3;
            self.pcid = pcid;
            self.refresh_tag();
            self.current = space.0;
            self.flush_request = true;
            self.shadow_new_root(old, false, sink)?;
        }
        self.entry(sink);
        Ok(())
    }

    /// The guest stores `value` at `gva` (8 bytes): a write access whose data lands in guest
    /// memory, so a store to one of its own page tables changes what the tables say. Under
    /// shadow paging a store to a write-protected table is emulated by the hypervisor, which
    /// then zaps the shadow entries it changes ([`Machine::access`] otherwise).
    pub fn store<K: EventSink>(
        &mut self,
        gva: Gva,
        value: u64,
        user: bool,
        sink: &mut K,
    ) -> Result<Outcome, MachineError> {
        let privilege = if user {
            crate::Privilege::User
        } else {
            crate::Privilege::Supervisor
        };
        self.store_value = Some(value);
        let out = self.access(gva, Access::new(crate::AccessKind::Write, privilege), sink);
        let value = self.store_value.take();
        let out = out?;
        if let (Some(v), Ok(hpa)) = (value, out.result) {
            let at = Hpa::new(hpa.raw() & !7);
            if let Some(gpa) = self.hpa_to_gpa(at) {
                let old = self.mem.read_u64(at);
                self.mem.write_u64(at, v).map_err(BuildError::from)?;
                if self.guest_pool.contains(gpa.raw()) {
                    sink.event(&Event::GuestPteWrite {
                        gpa,
                        old,
                        new: v,
                        emulated: false,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The guest-physical address of host memory that is guest RAM.
    fn hpa_to_gpa(&self, hpa: Hpa) -> Option<Gpa> {
        self.ram.slots().iter().find_map(|s| {
            let start = s.hfn.raw() << 12;
            let end = start + (s.frames << 12);
            (hpa.raw() >= start && hpa.raw() < end)
                .then(|| Gpa::new((s.gfn.raw() << 12) + hpa.raw() - start))
        })
    }

    fn exit<K: EventSink>(&mut self, reason: ExitReason, sink: &mut K) {
        sink.event(&Event::VmExit { reason });
        if !self.cfg.vpid {
            // Without VPID, VM exits and entries invalidate all linear and combined mappings
            // of VPID 0 (Intel SDM vol. 3, "VPID and VM Transitions" / "Caching Translation
            // Information"); guest-physical (stage-2) caches survive.
            let removed = self.tlb.invalidate(|e| e.tag.vpid() == 0);
            self.pwc.invalidate(|t| t.vpid() == 0);
            sink.event(&Event::Flush {
                cause: FlushCause::VmExit,
                removed,
            });
        }
    }

    /// A VM entry. KVM first services what the exit requested (`vcpu_enter_guest`): a sync of
    /// unsync shadow pages (`KVM_REQ_MMU_SYNC`), then one TLB flush however many were asked
    /// for (`KVM_REQ_TLB_FLUSH`, which its `tlb_flush` statistic counts).
    fn entry<K: EventSink>(&mut self, sink: &mut K) {
        let mut flush = std::mem::take(&mut self.flush_request);
        if let Some(sh) = self.shadow.as_mut() {
            if std::mem::take(&mut sh.sync_request) {
                // Syncing writes only existing shadow frames: no limit can be hit.
                let _ = sh.sync_root(&mut self.mem, &self.ram, self.cr3, sink);
            }
            flush |= std::mem::take(&mut sh.flush_request);
        }
        if let Some(t) = self.tdp.as_mut() {
            flush |= std::mem::take(&mut t.flush_request);
        }
        if flush {
            self.hypervisor_flush(sink);
        }
        let mut flushed = 0;
        if !self.cfg.vpid {
            flushed = self.tlb.invalidate(|e| e.tag.vpid() == 0);
            self.pwc.invalidate(|t| t.vpid() == 0);
            sink.event(&Event::Flush {
                cause: FlushCause::VmEntry,
                removed: flushed,
            });
        }
        sink.event(&Event::VmEntry { flushed });
    }

    /// A VM exit and the entry back, with no other work (an I/O exit, a hypercall): what
    /// VPID is about.
    pub fn vm_exit_and_entry<K: EventSink>(&mut self, sink: &mut K) -> Result<(), MachineError> {
        if !self.cfg.mode.is_virtualized() {
            return Err(MachineError::WrongMode {
                op: "a VM exit",
                needs: "ept, npt or shadow",
                mode: self.cfg.mode,
            });
        }
        self.exit(ExitReason::External, sink);
        self.entry(sink);
        Ok(())
    }

    /// MOV to CR3 by the guest, loading address space `space` (Intel SDM vol. 3, "Operations
    /// that Invalidate TLBs and Paging-Structure Caches"): without CR4.PCIDE every non-global
    /// entry goes; with it, the entries of the new PCID go unless bit 63 (`noflush`) is set.
    /// Under shadow paging the write exits and the hypervisor switches shadow roots, syncing
    /// unsync pages first.
    pub fn mov_cr3<K: EventSink>(
        &mut self,
        space: SpaceId,
        noflush: bool,
        sink: &mut K,
    ) -> Result<(), MachineError> {
        let s = self.space(space)?;
        let (cr3, pcid) = (Gpa::new(s.tables.root()), s.pcid);
        let pcide = self.cfg.cpu.pcide;
        let noflush = noflush && pcide;
        sink.event(&Event::Cr3Load {
            cr3,
            pcid: if pcide { pcid } else { 0 },
            noflush,
        });
        if self.cfg.mode == Mode::Shadow {
            self.kernel_op_begin(ExitReason::Cr3Write, sink);
        }
        let old = self.cr3;
        self.cr3 = cr3;
        self.pcid = pcid;
        self.refresh_tag();
        self.current = space.0;
        self.shadow_new_root(old, true, sink)?;
        if !noflush {
            let tag = self.tag();
            let removed = self.tlb.invalidate(|e| {
                e.tag.vpid() == tag.vpid() && !e.global && (!pcide || e.tag.pcid() == tag.pcid())
            });
            self.pwc
                .invalidate(|t| t.vpid() == tag.vpid() && (!pcide || t.pcid() == tag.pcid()));
            sink.event(&Event::Flush {
                cause: FlushCause::MovCr3,
                removed,
            });
        }
        if self.cfg.mode == Mode::Shadow {
            self.entry(sink);
        }
        Ok(())
    }

    /// INVLPG by the guest (Intel SDM vol. 3, "INVLPG"): the TLB entries for the page of
    /// `gva` (global ones too) in the current PCID, and all paging-structure-cache entries of
    /// the current PCID. Under shadow paging it exits and the hypervisor syncs that entry.
    pub fn invlpg<K: EventSink>(&mut self, gva: Gva, sink: &mut K) -> Result<(), MachineError> {
        if self.cfg.mode == Mode::Shadow {
            self.kernel_op_begin(ExitReason::Invlpg, sink);
            let cr3 = self.cr3;
            if let Some(sh) = self.shadow.as_mut() {
                let synced = sh.invlpg(&mut self.mem, &self.ram, cr3, gva, sink)?;
                sink.event(&Event::HypervisorInvlpg { gva, synced });
            }
        }
        let tag = self.tag();
        let removed = self
            .tlb
            .invalidate(|e| covers(e, gva) && e.tag.matches(tag, true));
        self.pwc
            .invalidate(|t| t.vpid() == tag.vpid() && t.pcid() == tag.pcid());
        sink.event(&Event::Flush {
            cause: FlushCause::Invlpg { gva },
            removed,
        });
        if self.cfg.mode == Mode::Shadow {
            self.entry(sink);
        }
        Ok(())
    }

    /// INVPCID (Intel SDM vol. 3, "INVPCID"): type 0 one address in `pcid` (not global),
    /// type 1 all of `pcid` (not global), type 2 everything including globals, type 3
    /// everything except globals.
    pub fn invpcid<K: EventSink>(
        &mut self,
        kind: u8,
        pcid: u16,
        gva: Gva,
        sink: &mut K,
    ) -> Result<(), MachineError> {
        let vpid = self.tag().vpid();
        let removed = match kind {
            0 => self.tlb.invalidate(|e| {
                e.tag.vpid() == vpid && e.tag.pcid() == pcid && !e.global && covers(e, gva)
            }),
            1 => self
                .tlb
                .invalidate(|e| e.tag.vpid() == vpid && e.tag.pcid() == pcid && !e.global),
            2 => self.tlb.invalidate(|e| e.tag.vpid() == vpid),
            3 => self.tlb.invalidate(|e| e.tag.vpid() == vpid && !e.global),
            _ => {
                return Err(MachineError::BadInvalidationType {
                    op: "INVPCID",
                    kind,
                })
            }
        };
        self.pwc
            .invalidate(|t| t.vpid() == vpid && (kind >= 2 || t.pcid() == pcid));
        sink.event(&Event::Flush {
            cause: FlushCause::Invpcid { kind },
            removed,
        });
        Ok(())
    }

    /// INVVPID by the hypervisor (Intel SDM vol. 3, "INVVPID"): type 0 one address of `vpid`,
    /// 1 all of `vpid`, 2 all VPIDs but 0, 3 all of `vpid` except globals.
    pub fn invvpid<K: EventSink>(
        &mut self,
        kind: u8,
        vpid: u16,
        gva: Gva,
        sink: &mut K,
    ) -> Result<(), MachineError> {
        let removed = match kind {
            0 => self
                .tlb
                .invalidate(|e| e.tag.vpid() == vpid && covers(e, gva)),
            1 => self.tlb.invalidate(|e| e.tag.vpid() == vpid),
            2 => self.tlb.invalidate(|e| e.tag.vpid() != 0),
            3 => self.tlb.invalidate(|e| e.tag.vpid() == vpid && !e.global),
            _ => {
                return Err(MachineError::BadInvalidationType {
                    op: "INVVPID",
                    kind,
                })
            }
        };
        self.pwc.invalidate(|t| {
            if kind == 2 {
                t.vpid() != 0
            } else {
                t.vpid() == vpid
            }
        });
        sink.event(&Event::Flush {
            cause: FlushCause::Invvpid { kind },
            removed,
        });
        Ok(())
    }

    /// INVEPT by the hypervisor (Intel SDM vol. 3, "INVEPT"): type 1 the guest-physical and
    /// combined mappings of this EPT root, type 2 those of every EPT root.
    pub fn invept<K: EventSink>(&mut self, kind: u8, sink: &mut K) -> Result<(), MachineError> {
        let Some(root) = self.stage2_root() else {
            return Err(MachineError::WrongMode {
                op: "INVEPT",
                needs: "ept",
                mode: self.cfg.mode,
            });
        };
        let frame = Tag::new(0, 0, root).ept_root_frame();
        let removed = match kind {
            1 => {
                self.pwc_stage2.invalidate(|t| t.ept_root_frame() == frame);
                self.pwc.invalidate(|t| t.ept_root_frame() == frame);
                self.tlb.invalidate(|e| e.tag.ept_root_frame() == frame)
            }
            2 => {
                self.pwc_stage2.invalidate(|t| t.ept_root_frame() != 0);
                self.pwc.invalidate(|t| t.ept_root_frame() != 0);
                self.tlb.invalidate(|e| e.tag.ept_root_frame() != 0)
            }
            _ => return Err(MachineError::BadInvalidationType { op: "INVEPT", kind }),
        };
        sink.event(&Event::Flush {
            cause: FlushCause::Invept { kind },
            removed,
        });
        Ok(())
    }

    /// The guest writes its own page-table entry at `level` on the path of `gva` in `space`.
    /// Natively and under EPT/NPT this is a plain store: the TLB keeps any stale entry until
    /// INVLPG. Under shadow paging the store traps if the page is write-protected.
    pub fn write_guest_pte<K: EventSink>(
        &mut self,
        space: SpaceId,
        gva: Gva,
        level: Level,
        value: u64,
        sink: &mut K,
    ) -> Result<(), MachineError> {
        let gpa = self.guest_entry_gpa(space, gva, level)?;
        let hpa = self.ram.gpa_to_hpa(gpa).ok_or(MachineError::NotRam(gpa))?;
        let traps = self.shadow.as_ref().is_some_and(|sh| sh.write_traps(gpa));
        if traps {
            // The store faults on the write-protected table: KVM either lets the table go
            // unsync (the store then goes through) or emulates it.
            sink.event(&Event::ShadowFault { gva });
            self.exit(ExitReason::PageFault, sink);
            let emulate = match self.shadow.as_mut() {
                Some(sh) => sh.store_traps(gpa, sink),
                None => false,
            };
            sink.event(&Event::FaultHandled {
                outcome: if emulate {
                    FaultOutcome::Emulated
                } else {
                    FaultOutcome::Fixed
                },
            });
            let old = self.mem.read_u64(hpa);
            self.mem.write_u64(hpa, value).map_err(BuildError::from)?;
            sink.event(&Event::GuestPteWrite {
                gpa,
                old,
                new: value,
                emulated: emulate,
            });
            if emulate {
                if let Some(sh) = self.shadow.as_mut() {
                    sh.track_write(&mut self.mem, gpa, sink)?;
                }
            }
            self.entry(sink);
        } else {
            let old = self.mem.read_u64(hpa);
            self.mem.write_u64(hpa, value).map_err(BuildError::from)?;
            sink.event(&Event::GuestPteWrite {
                gpa,
                old,
                new: value,
                emulated: false,
            });
        }
        Ok(())
    }
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
    let need = match access.kind {
        crate::AccessKind::Read => 0b001,
        crate::AccessKind::Write => 0b010,
        crate::AccessKind::Fetch => 0b100,
    };
    e.stage2 & need != 0
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
