//! What the host kernel does to the memory behind guest RAM while the guest is stopped in a
//! VM exit (swap-out, a balloon's pages discarded, KSM merging), and what KVM does about it
//! through the MMU notifier. The host-wide part (swap space, KSM's trees, the hugetlb pool)
//! is [`crate::host::Host`]; this is one VM's part.

use super::*;
use crate::event::HostChange;
use crate::hypervisor::{Content, HostUsage};

impl Machine {
    /// Stops the guest in a VM exit (an I/O exit to the VMM, as the real runtime's `out`
    /// is), for the host to work on its memory.
    pub fn stop<K: EventSink>(&mut self, sink: &mut K) -> Result<(), MachineError> {
        if !self.cfg.mode.is_virtualized() {
            return Err(MachineError::WrongMode {
                op: "machine-op-host-memory",
                needs: "machine-needs-vm",
                mode: self.cfg.mode,
            });
        }
        self.exit(ExitReason::External, sink);
        Ok(())
    }

    /// The VM entry after [`Machine::stop`]: it services the TLB flush the MMU notifier
    /// asked for.
    pub fn resume<K: EventSink>(&mut self, sink: &mut K) {
        self.entry(sink);
    }

    /// Runs `f` between [`Machine::stop`] and [`Machine::resume`].
    pub fn while_stopped<K: EventSink, R>(
        &mut self,
        sink: &mut K,
        f: impl FnOnce(&mut Self, &mut K) -> R,
    ) -> Result<R, MachineError> {
        self.stop(sink)?;
        let r = f(self, sink);
        self.resume(sink);
        Ok(r)
    }

    /// Keep the contents of guest pages from now on (for KSM); off by default, so the
    /// access path pays nothing for it.
    pub fn track_contents(&mut self) {
        self.host.track_contents();
        for &frame in self.guest_pool.tables() {
            self.host.written_by_vmm(Gfn::new(frame >> 12));
        }
    }

    /// Tells this VM's own data apart from other VMs' (`vm`: its number on the host).
    pub fn set_vm_number(&mut self, vm: u64) {
        self.host.set_owner(vm);
    }

    /// The host page state and contents of guest frame `gfn`.
    pub fn host_content(&self, gfn: Gfn) -> Content {
        self.host.content(gfn)
    }

    /// The guest fills the page at `gva` with `content` (a `rep stosq` over the page, as
    /// the MMU sees it: one write translation), and KSM will see that content there.
    pub fn fill<K: EventSink>(
        &mut self,
        gva: Gva,
        content: Content,
        sink: &mut K,
    ) -> Result<Outcome, MachineError> {
        let out = self.access(gva, Access::USER_WRITE, sink)?;
        if let Ok(hpa) = out.result {
            if let Some(gpa) = self.hpa_to_gpa(hpa) {
                self.host.written(gpa.frame(), Some(content));
            }
        }
        Ok(out)
    }

    /// An ordinary guest store landed at `hpa`: the page holds data of its own now.
    pub(super) fn note_write(&mut self, hpa: Hpa) {
        if let Some(gpa) = self.hpa_to_gpa(hpa) {
            self.host.written(gpa.frame(), None);
        }
    }

    /// The MMU notifier for host pages that went away or were replaced: KVM drops its
    /// entries for them (shadow or stage 2) and asks for a flush at the next entry.
    fn host_unmap<K: EventSink>(&mut self, gone: &[(u64, u64)], cause: HostChange, sink: &mut K) {
        // A THP split first: its notifier covers the whole 2 MiB window.
        let windows = self.host.take_split_windows();
        let all = windows
            .iter()
            .map(|&w| (w, HostChange::Split))
            .chain(gone.iter().map(|&g| (g, cause)));
        for ((first, frames), cause) in all {
            let mut zapped = 0;
            if let Some(sh) = self.shadow.as_mut() {
                zapped += sh.unmap_frames(&mut self.mem, &self.ram, first, frames, sink);
            }
            if let (Some(t), Some(s2)) = (self.tdp.as_mut(), self.stage2.as_ref()) {
                zapped += t.unmap_frames(&mut self.mem, s2, first, frames, sink);
            }
            sink.event(&Event::HostUnmap {
                gfn: Gfn::new(first),
                frames,
                zapped,
                cause,
            });
        }
    }

    fn frames_of(&self, gpa: Gpa, bytes: u64) -> Result<(u64, u64), MachineError> {
        let first = gpa.raw() >> 12;
        // Past the end of the address space, or outside guest RAM: not RAM.
        let end = gpa
            .raw()
            .checked_add(bytes)
            .map(|e| e.div_ceil(4096))
            .filter(|&e| e > first && e < (1 << 52))
            .ok_or(MachineError::NotRam(gpa))?;
        if self.ram.gpa_to_hpa(gpa).is_none()
            || self.ram.gpa_to_hpa(Gpa::new((end << 12) - 1)).is_none()
        {
            return Err(MachineError::NotRam(gpa));
        }
        Ok((first, end - first))
    }

    /// `madvise(MADV_PAGEOUT)` on the guest RAM at `[gpa, gpa + bytes)`: the VM's own pages
    /// there go to swap while `swap_free` (4 KiB slots) lasts. Returns the 4 KiB pages
    /// written out.
    pub fn host_page_out<K: EventSink>(
        &mut self,
        gpa: Gpa,
        bytes: u64,
        swap_free: &mut u64,
        sink: &mut K,
    ) -> Result<u64, MachineError> {
        let (first, count) = self.frames_of(gpa, bytes)?;
        let gone = self.host.page_out(first, count, swap_free, sink);
        self.host_unmap(&gone, HostChange::SwapOut, sink);
        Ok(gone.iter().map(|g| g.1).sum())
    }

    /// `madvise(MADV_DONTNEED)` on the guest RAM at `[gpa, gpa + bytes)` (the VMM discarding
    /// pages the guest's balloon gave back). Returns the 4 KiB pages that had memory and the
    /// swap slots freed.
    pub fn host_discard<K: EventSink>(
        &mut self,
        gpa: Gpa,
        bytes: u64,
        sink: &mut K,
    ) -> Result<(u64, u64), MachineError> {
        let (first, count) = self.frames_of(gpa, bytes)?;
        let (gone, swap_freed) = self.host.discard(first, count, sink);
        self.host_unmap(&gone, HostChange::Discard, sink);
        Ok((gone.iter().map(|g| g.1).sum(), swap_freed))
    }

    /// The pages KSM can look at, in address order, with their state and contents.
    pub fn ksm_candidates(&self) -> Vec<(Gfn, HostPageState, Content)> {
        self.host.ksm_candidates()
    }

    /// KSM merged guest frame `gfn` into a KSM page: the host write-protects it and replaces
    /// it (`mm/ksm.c`, `write_protect_page` and `replace_page`, each inside an MMU-notifier
    /// range), so KVM drops its entries.
    pub fn ksm_merge<K: EventSink>(&mut self, gfn: Gfn, sink: &mut K) {
        self.host.merge(gfn, sink);
        self.host_unmap(&[(gfn.raw(), 1)], HostChange::KsmMerge, sink);
    }

    /// How much of guest RAM is where on the host.
    pub fn host_usage(&self) -> HostUsage {
        self.host.usage(self.cfg.layout.guest_ram)
    }

    /// The host memory behind guest RAM.
    pub fn host_memory(&self) -> &HostMemory {
        &self.host
    }
}
