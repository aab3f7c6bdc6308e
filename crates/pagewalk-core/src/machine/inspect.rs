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

    /// The size of the page the guest's own tables map `gva` with, resolved in software like
    /// [`Machine::resolve`]: the page the guest walk ends at, whatever the host backs it with
    /// (a combined TLB entry caches the smaller of the two: Intel SDM vol. 3, "Caching Translation
    /// Information", and "Translation Lookaside Buffers (TLBs)" for pages larger than 4 KiB).
    pub fn guest_page_size(&self, gva: Gva) -> Option<PageSize> {
        let s = self.spaces.get(self.current)?;
        let store = GuestView {
            mem: &self.mem,
            ram: &self.ram,
        };
        s.tables.resolve(&store, gva.raw()).map(|(_, size, _)| size)
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

    /// The TLB slot that served an access to `gva` at `level` (see [`Tlb::find`]), looked up
    /// after the access under the context loaded now.
    pub fn tlb_hit_slot(&self, gva: Gva, fetch: bool, level: crate::TlbLevel) -> Option<TlbSlot> {
        self.tlb.find(gva, fetch, self.tag, level)
    }

    /// The TLB's valid entries.
    pub fn tlb_slots(&self) -> Vec<TlbSlot> {
        self.tlb.slots()
    }

    /// Whether a TLB entry is stale: it belongs to the loaded context (its tag matches, or it
    /// is global) and the tables now map its page elsewhere or not at all, so an access through
    /// it would use a translation the tables no longer give (Intel SDM vol. 3, 4.10.4.1: the
    /// TLB is not kept coherent with the tables; software invalidates). Entries of other
    /// contexts are not stale but asleep: they serve no access until their tag is loaded again.
    /// Rights narrowed in place are not flagged: the page the entry reaches is still the one
    /// the tables give, which is what the views mark.
    pub fn is_stale(&self, entry: &TlbEntry) -> bool {
        entry.tag.matches(self.tag, entry.global)
            && self.resolve(entry.gva()).map(|h| h.align_down(entry.size)) != Some(entry.hpa)
    }
}
