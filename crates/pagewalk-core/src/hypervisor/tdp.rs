//! KVM's TDP MMU: stage-2 (EPT/NPT) entries made on demand. **Unverified** on this project's
//! hosts, which have no EPT or NPT (docs/kvm-backend.md); the rules are read from Linux
//! `arch/x86/kvm/mmu/tdp_mmu.c` (`kvm_tdp_mmu_map`), `mmu.c` (`kvm_tdp_page_fault`,
//! `kvm_mmu_hugepage_adjust`) and `mm/memory.c` (the zero page, copy on write):
//! - stage 2 starts empty: the first guest access to a guest-physical page not mapped yet,
//!   by the guest's walker (its page tables) or by the access itself, is an EPT violation
//!   (NPF on AMD) and a VM exit, whether or not the host page exists (`-mem-prealloc` only
//!   decides that);
//! - KVM maps the whole host page (4 KiB, or 2 MiB / 1 GiB for THP and hugetlbfs);
//! - a read of anonymous memory never written maps the zero page read-only; a later write
//!   faults again, the host copies the page, its MMU notifier zaps the stage-2 entry and asks
//!   for a flush, and the fault is retried (`RET_PF_RETRY`), then fixed by a third exit's
//!   worth of work on the fresh page;
//! - the TDP MMU does not prefetch and makes no shadow pages (`mmu_cache_miss` stays 0);
//! - the guest's own page faults, CR3 writes and INVLPG never exit.

use super::host_memory::HostMemory;
use crate::addr::{Gfn, Gpa, Hpa};
use crate::builder::{BuildError, HostStore, HostView, Pool, TableBuilder, TableFormat};
use crate::entry::{EptFlags, PteFlags};
use crate::event::{Event, EventSink};
use crate::memory::{GuestRam, PhysMemory};

/// How the TDP MMU dealt with a stage-2 fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TdpFix {
    /// A stage-2 entry was made: the guest retries.
    Fixed,
    /// The host page changed (a zero page copied on write): the guest retries and faults again.
    Retry,
    /// Not KVM's to fix (not RAM, or an entry the scenario edited): the exit stands.
    NotHandled,
}

/// The TDP MMU's settings and requests.
#[derive(Clone, Debug)]
pub(crate) struct TdpMmu {
    /// Leaf bits of the entries it makes (EPT R/W/X, memory type, A/D; or NPT P/RW/U/A/D).
    pub flags: u64,
    /// A TLB flush is requested for the next VM entry.
    pub flush_request: bool,
}

impl TdpMmu {
    /// The host's MMU notifier for guest frames `[first, first + count)`
    /// (`kvm_unmap_gfn_range` -> `kvm_tdp_mmu_unmap_gfn_range`): the stage-2 leaves that map
    /// them are zapped and a TLB flush is requested. Returns how many were zapped.
    pub fn unmap_frames<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        s2: &TableBuilder,
        first: u64,
        count: u64,
        sink: &mut K,
    ) -> u64 {
        let mut zapped = 0;
        let mut g = first;
        while g < first + count {
            let gpa = g << 12;
            let Some((_, mapped, _)) = s2.resolve(&HostView(mem), gpa) else {
                g += 1;
                continue;
            };
            if let Some(at) = s2.entry_addr(&HostView(mem), gpa, mapped.leaf_level()) {
                mem.update_existing(Hpa::new(at), 0);
                sink.event(&Event::Stage2Zap {
                    gpa: Gpa::new(gpa).align_down(mapped),
                    size: mapped,
                });
                zapped += 1;
            }
            g = (Gpa::new(gpa).align_down(mapped).raw() + mapped.bytes()) >> 12;
        }
        if zapped > 0 {
            self.flush_request = true;
        }
        zapped
    }

    fn write_bit(format: TableFormat) -> u64 {
        match format {
            TableFormat::Ept => EptFlags::WRITE.bits(),
            TableFormat::Ia32e => PteFlags::WRITABLE.bits(),
        }
    }

    /// `kvm_tdp_page_fault` for a stage-2 fault at `gpa`.
    #[allow(clippy::too_many_arguments)]
    pub fn handle<K: EventSink>(
        &mut self,
        mem: &mut PhysMemory,
        ram: &GuestRam,
        host: &mut HostMemory,
        s2: &TableBuilder,
        pool: &mut Pool,
        gpa: Gpa,
        write: bool,
        sink: &mut K,
    ) -> Result<TdpFix, BuildError> {
        let gfn = Gfn::new(gpa.raw() >> 12);
        let size = host.page_size_at(gfn);
        let base = gpa.align_down(size);
        let Some(hpa) = ram.gpa_to_hpa(base) else {
            return Ok(TdpFix::NotHandled);
        };
        let wbit = Self::write_bit(s2.format());
        if let Some((_, mapped, entry)) = s2.resolve(&HostView(mem), gpa.raw()) {
            // Present: only a write to a page the host mapped read-only is KVM's to fix.
            let state = host.state(gfn);
            let read_only = !state.writable() && (state.resident() || state.copied_on_write());
            if !(write && entry & wbit == 0 && read_only) {
                return Ok(TdpFix::NotHandled);
            }
            if state.copied_on_write() {
                // The zero page or a KSM page: the host copies it and its MMU notifier
                // zaps the entry; the fault is retried.
                host.copy_on_write(gfn, sink);
                let frames = host.page_frames(gfn);
                self.unmap_frames(mem, s2, frames.start, frames.end - frames.start, sink);
                return Ok(TdpFix::Retry);
            }
            // A page of its own mapped read-only (hugetlbfs read, swap-in by a read): the
            // host makes it writable in place and KVM maps it writable.
            host.fault_in(gfn, true, sink);
            let at = s2
                .entry_addr(&HostView(mem), gpa.raw(), mapped.leaf_level())
                .unwrap_or(0);
            mem.update_existing(Hpa::new(at), entry | wbit);
            sink.event(&Event::Stage2Fill {
                gpa: gpa.align_down(mapped),
                hpa: Hpa::new(hpa.raw() & !(mapped.bytes() - 1)),
                size: mapped,
                writable: true,
            });
            return Ok(TdpFix::Fixed);
        }
        let state = host.fault_in(gfn, write, sink);
        let mut leaf = self.flags;
        if !state.writable() {
            leaf &= !wbit;
        }
        let nonleaf = match s2.format() {
            TableFormat::Ept => {
                (EptFlags::READ | EptFlags::WRITE | EptFlags::EXECUTE).bits()
                    | (self.flags & EptFlags::ACCESSED.bits())
            }
            TableFormat::Ia32e => {
                (PteFlags::PRESENT | PteFlags::WRITABLE | PteFlags::USER).bits()
                    | (self.flags & PteFlags::ACCESSED.bits())
            }
        };
        s2.map(
            &mut HostStore(mem),
            pool,
            base.raw(),
            hpa.raw(),
            size,
            leaf & !(1 << 7),
            nonleaf,
        )?;
        sink.event(&Event::Stage2Fill {
            gpa: base,
            hpa,
            size,
            writable: leaf & wbit != 0,
        });
        Ok(TdpFix::Fixed)
    }
}
