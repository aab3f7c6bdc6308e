//! One access: the TLB lookup, the walk on a miss, and the retries when the hypervisor
//! fixes a shadow or stage-2 fault (Intel SDM vol. 3, "Paging" and "VMX Support for Address
//! Translation").

use super::*;

impl Machine {
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
        if self.host.tracks_contents() && access.is_write() {
            let out = self.access_inner(gva, access, sink)?;
            if let Ok(hpa) = out.result {
                self.note_write(hpa);
            }
            return Ok(out);
        }
        self.access_inner(gva, access, sink)
    }

    /// [`Machine::access`] after its first event.
    #[inline(always)]
    fn access_inner<K: EventSink>(
        &mut self,
        gva: Gva,
        access: Access,
        sink: &mut K,
    ) -> Result<Outcome, MachineError> {
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

    pub(super) fn fault<K: EventSink>(
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
    pub(super) fn probe_tlb<K: EventSink>(
        &mut self,
        gva: Gva,
        access: Access,
        sink: &mut K,
    ) -> Probe {
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
    pub(super) fn miss<K: EventSink>(
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
    pub(super) fn miss_tdp<K: EventSink>(
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
            self.invalidate_after_stage2_fault(f, sink);
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
            // The guest re-executes the access after the VM entry: a new TLB lookup, as
            // under shadow paging; the violation invalidated the mappings it would have used
            // (Intel SDM vol. 3, "Operations that Invalidate Cached Mappings"), so it misses.
            match self.probe_tlb(gva, access, sink) {
                Probe::Hit(hpa, level) => {
                    return Ok(Outcome {
                        result: Ok(hpa),
                        tlb_hit: Some(level),
                    })
                }
                Probe::Done(out) => return Ok(out),
                Probe::Walk | Probe::ShadowFault(_) => {}
            }
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
    pub(super) fn miss_shadow<K: EventSink>(
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
    pub(super) fn walk_once<K: EventSink>(
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
    pub(super) fn walk_tables<K: EventSink>(
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
    pub(super) fn invalidate_after_fault<K: EventSink>(&mut self, gva: Gva, sink: &mut K) {
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

    /// "An EPT violation invalidates any guest-physical mappings (associated with the
    /// current EP4TA) that would be used to translate the guest-physical address that caused
    /// the EPT violation. If that guest-physical address was the translation of a linear
    /// address, the EPT violation also invalidates any combined mappings for that linear
    /// address" (Intel SDM vol. 3, "Operations that Invalidate Cached Mappings"); an NPF is
    /// treated alike.
    fn invalidate_after_stage2_fault<K: EventSink>(&mut self, f: Fault, sink: &mut K) {
        let (gpa, gva) = match f {
            Fault::EptViolation { gpa, gva, qual, .. } => (
                gpa,
                qual.contains(crate::EptViolationQual::GLA_VALID)
                    .then_some(gva),
            ),
            Fault::NestedPageFault { gpa, .. } => (gpa, None),
            _ => return,
        };
        let root = self.stage2_tag.ept_root_frame();
        self.pwc_stage2
            .invalidate_addr(gpa.raw(), |t| t.ept_root_frame() == root);
        if let Some(gva) = gva {
            let tag = self.tag();
            self.pwc.invalidate_addr(gva.raw(), |t| t == tag);
            // The TLB holds combined mappings: the entry for this linear address goes too.
            let removed = self
                .tlb
                .invalidate(|e| covers(e, gva) && e.tag.matches(tag, e.global));
            if removed > 0 {
                sink.event(&Event::Flush {
                    cause: FlushCause::Stage2Fault,
                    removed,
                });
            }
        }
    }

    pub(super) fn stage2_exit<K: EventSink>(
        &mut self,
        f: Fault,
        hit: Option<TlbLevel>,
        sink: &mut K,
    ) -> Outcome {
        self.invalidate_after_stage2_fault(f, sink);
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
                        native: self.cfg.mode == Mode::Native,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The guest-physical address of host memory that is guest RAM.
    pub(super) fn hpa_to_gpa(&self, hpa: Hpa) -> Option<Gpa> {
        self.ram.slots().iter().find_map(|s| {
            let start = s.hfn.raw() << 12;
            let end = start + (s.frames << 12);
            (hpa.raw() >= start && hpa.raw() < end)
                .then(|| Gpa::new((s.gfn.raw() << 12) + hpa.raw() - start))
        })
    }
}
