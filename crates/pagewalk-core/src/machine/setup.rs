//! Building a machine: its configuration, guest RAM, address spaces, guest and stage-2
//! mappings, and raw edits of the initial image.

use super::*;

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
        let tdp =
            (cfg.mode.is_nested() && cfg.host.stage2 == Stage2Fill::OnDemand).then(|| TdpMmu {
                flags: default_stage2_flags(cfg.mode),
                flush_request: false,
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

    pub(super) fn space(&self, id: SpaceId) -> Result<&AddressSpace, MachineError> {
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
        // One range per run of contiguous pages, not one per page: a mapping of many pages
        // must not cost memory in proportion to its size here.
        match self.guest_ranges.last_mut() {
            Some((start, len)) if *start + *len == gpa.raw() => *len += size.bytes(),
            _ => self.guest_ranges.push((gpa.raw(), size.bytes())),
        }
        Ok(())
    }

    /// The VMM writes guest memory at `gpa` before the guest runs (its code, its data): the
    /// host page behind it exists from then on.
    pub fn vmm_write(&mut self, gpa: Gpa) {
        self.host.written_by_vmm(gpa.frame());
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
                op: "machine-op-stage2-map",
                needs: "machine-needs-tdp",
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
                op: "machine-op-stage2-backing",
                needs: "machine-needs-tdp",
                mode: self.cfg.mode,
            });
        };
        // The ranges in use, aligned to the stage-2 page, sorted and merged: memory in
        // proportion to the number of ranges, each page visited once however many address
        // spaces map it.
        let page = size.bytes();
        let mut ranges: Vec<(u64, u64)> = self
            .guest_pool
            .tables()
            .iter()
            .map(|&t| (t, t + 4096))
            .chain(
                self.guest_ranges
                    .iter()
                    .map(|&(s, l)| (s, s.saturating_add(l))),
            )
            .map(|(s, e)| (s & !(page - 1), e.saturating_add(page - 1) & !(page - 1)))
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
        for (s, e) in ranges {
            match merged.last_mut() {
                Some((_, end)) if s <= *end => *end = (*end).max(e),
                _ => merged.push((s, e)),
            }
        }
        for (start, end) in merged {
            let mut p = start;
            while p < end {
                if s2.resolve(&HostView(&self.mem), p).is_none() {
                    let hpa = self
                        .ram
                        .gpa_to_hpa(Gpa::new(p))
                        .ok_or(MachineError::NotRam(Gpa::new(p)))?;
                    self.map_stage2(Gpa::new(p), hpa, size, flags)?;
                }
                p += page;
            }
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
            op: "machine-op-stage2-edit",
            needs: "machine-needs-tdp",
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

    pub(super) fn stage2_root_or_zero(&self) -> Hpa {
        self.stage2_root().unwrap_or(Hpa::new(0))
    }

    /// The tag of the current context (VPID, PCID, EPT root), kept up to date by every
    /// change of PCID so the TLB lookup does not recompute it.
    #[inline(always)]
    pub(super) fn tag(&self) -> Tag {
        self.tag
    }

    pub(super) fn refresh_tag(&mut self) {
        let vpid = u16::from(self.cfg.mode.is_virtualized() && self.cfg.vpid);
        let pcid = if self.cfg.cpu.pcide { self.pcid } else { 0 };
        self.tag = Tag::new(vpid, pcid, self.stage2_root_or_zero());
    }
}
