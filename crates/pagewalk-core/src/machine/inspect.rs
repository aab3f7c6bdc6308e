//! Looking at a machine without changing it: the views the CLI and the web app draw
//! (paths through the tables, TLB contents, stale entries, shadow pages, host pages).

use super::*;

impl Machine {
    /// Work done so far that does not grow with the number of accesses: TLB slots looked at
    /// by invalidations (a flush of a large TLB costs its size). With the per-access cost of
    /// [`Machine::work_per_access`] it bounds how long a run can take.
    pub fn work(&self) -> u64 {
        self.tlb.slots_visited()
    }

    /// An upper bound of the work of one access, in the same units as [`Machine::work`]
    /// (one unit is about a nanosecond here): a walk, the retries of a hypervisor fix, and
    /// the paging-structure caches' lookups, which scan every entry of a level.
    pub fn work_per_access(&self) -> u64 {
        let g = u64::from(self.cfg.guest_levels.count());
        let h = u64::from(self.cfg.stage2_levels.count());
        let entries = u64::from(self.cfg.pwc.entries);
        let guest = if self.cfg.pwc.guest {
            entries * (g - 1)
        } else {
            0
        };
        let stage2 = if self.cfg.mode.is_nested() && self.cfg.pwc.stage2 {
            entries * (h - 1) * (g + 1)
        } else {
            0
        };
        // Measured here: a nested 4x4 walk without caches takes about 66 ns (3 per reference
        // of 24, with the rest), a cache entry compared about half a nanosecond.
        16 + (g + 1) * (h + 1) * 3 + (guest + stage2) / 2
    }
    /// The state of the host page behind a guest-physical address.
    pub fn host_page(&self, gpa: Gpa) -> HostPageState {
        self.host.state(gpa.frame())
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

    pub(super) fn walk_only(&mut self, gva: Gva, access: Access) -> Result<Translation, Fault> {
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
}
