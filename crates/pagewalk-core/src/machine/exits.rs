//! VM exits and entries, and what the hypervisor does in between: shadow faults, its TLB
//! flushes at entry, the guest kernel on PVM, host-side CR3 loads.

use super::*;

impl Machine {
    pub(super) fn shadow_root<K: EventSink>(&mut self, sink: &mut K) -> Result<Hpa, MachineError> {
        let cr3 = self.cr3;
        let Some(sh) = self.shadow.as_mut() else {
            return Err(MachineError::WrongMode {
                op: "machine-op-shadow-walk",
                needs: "machine-needs-shadow",
                mode: self.cfg.mode,
            });
        };
        Ok(sh.root(&mut self.mem, &self.ram, cr3, sink)?)
    }

    /// A #PF from the shadow tables exits to the hypervisor. `Some` ends the access (a fault
    /// injected into the guest, or a write the hypervisor emulated); `None` means the shadow
    /// tables were fixed: retry.
    pub(super) fn shadow_fault<K: EventSink>(
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
                    native: false,
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
    pub(super) fn hypervisor_flush<K: EventSink>(&mut self, sink: &mut K) {
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
    pub(super) fn kernel_exit<K: EventSink>(&mut self, reason: ExitReason, sink: &mut K) {
        self.exit(reason, sink);
        if self
            .shadow
            .as_ref()
            .is_some_and(ShadowMmu::has_indirect_pages)
        {
            sink.event(&Event::EmulatedWrite { gpa: None });
        }
    }

    /// The guest executes a privileged instruction in its kernel. With hardware
    /// virtualization under shadow paging it exits once (`reason`); on PVM the guest enters
    /// its emulated kernel through an exception and returns: two exits. The caller does the
    /// work and then [`Machine::entry`].
    pub(super) fn kernel_op_begin<K: EventSink>(&mut self, reason: ExitReason, sink: &mut K) {
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
    pub(super) fn shadow_new_root<K: EventSink>(
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
                op: "machine-op-host-cr3",
                needs: "machine-needs-vm",
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

    pub(super) fn exit<K: EventSink>(&mut self, reason: ExitReason, sink: &mut K) {
        sink.event(&Event::VmExit { reason });
        if !self.cfg.vpid {
            // Without VPID, VM exits and entries invalidate all linear and combined mappings
            // of VPID 0 (Intel SDM vol. 3, "Operations that Invalidate Cached Mappings");
            // guest-physical (stage-2) mappings survive.
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
    pub(super) fn entry<K: EventSink>(&mut self, sink: &mut K) {
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
                op: "machine-op-vm-exit",
                needs: "machine-needs-vm",
                mode: self.cfg.mode,
            });
        }
        self.exit(ExitReason::External, sink);
        self.entry(sink);
        Ok(())
    }
}
