//! The guest's CR3 loads, its TLB invalidations (INVLPG, INVPCID) and the hypervisor's
//! (INVVPID, INVEPT), and guest writes to its own page tables (Intel SDM vol. 3,
//! "Invalidation of TLBs and Paging-Structure Caches").

use super::*;

impl Machine {
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
    ) -> Result<Option<Fault>, MachineError> {
        let s = self.space(space)?;
        let (cr3, pcid) = (Gpa::new(s.tables.root()), s.pcid);
        let pcide = self.cfg.cpu.pcide;
        if noflush && !pcide {
            // Bit 63 is reserved without PCIDE: #GP(0), nothing is loaded. Under shadow paging
            // the write exits first and KVM injects the #GP (`kvm_set_cr3` fails).
            let fault = Fault::Cr3Reserved {
                cr3: cr3.raw() | 1 << 63,
            };
            if self.cfg.mode == Mode::Shadow {
                self.kernel_op_begin(ExitReason::Cr3Write, sink);
                sink.event(&Event::Fault { fault });
                self.entry(sink);
            } else {
                sink.event(&Event::Fault { fault });
            }
            return Ok(Some(fault));
        }
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
        Ok(None)
    }

    /// INVLPG by the guest (Intel SDM vol. 2, "INVLPG—Invalidate TLB Entries"): the TLB entries for the page of
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

    /// INVPCID (Intel SDM vol. 2, "INVPCID—Invalidate Process-Context Identifier"): type 0 one address in `pcid` (not global),
    /// type 1 all of `pcid` (not global), type 2 everything including globals, type 3
    /// everything except globals.
    pub fn invpcid<K: EventSink>(
        &mut self,
        kind: u8,
        pcid: u16,
        gva: Gva,
        sink: &mut K,
    ) -> Result<(), MachineError> {
        if self.cfg.mode == Mode::Shadow {
            // Without EPT, KVM sets INVLPG exiting, which makes INVPCID exit too (Intel SDM
            // vol. 3, "Instructions That Cause VM Exits Conditionally"), and handles it in
            // `kvm_handle_invpcid` (arch/x86/kvm/x86.c) with root syncs and flushes. The guest
            // CPU of this project's KVM host has no PCID, so no model of that could be checked.
            return Err(MachineError::NotModelled {
                op: "machine-op-invpcid-shadow",
                why: "machine-why-invpcid-shadow",
            });
        }
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
                    op: "machine-op-invpcid",
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

    /// INVVPID by the hypervisor (Intel SDM vol. 3, "INVVPID—Invalidate Translations Based on VPID"): type 0 one address of `vpid`,
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
                    op: "machine-op-invvpid",
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

    /// INVEPT by the hypervisor (Intel SDM vol. 3, "INVEPT—Invalidate Translations Derived from EPT"): type 1 the guest-physical and
    /// combined mappings of this EPT root, type 2 those of every EPT root.
    pub fn invept<K: EventSink>(&mut self, kind: u8, sink: &mut K) -> Result<(), MachineError> {
        let Some(root) = self.stage2_root() else {
            return Err(MachineError::WrongMode {
                op: "machine-op-invept",
                needs: "machine-needs-ept",
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
            _ => {
                return Err(MachineError::BadInvalidationType {
                    op: "machine-op-invept",
                    kind,
                })
            }
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
                native: false,
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
                native: self.cfg.mode == Mode::Native,
            });
        }
        Ok(())
    }
}
