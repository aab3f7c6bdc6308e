//! The host machine's memory, shared by its VMs: RAM, swap, the hugetlb pool, and KSM.
//!
//! A VM is a process to the host (a QEMU process whose guest RAM is one big mapping), so its
//! memory is allocated as the guest touches it and can be taken back behind the guest's
//! back: written to swap, discarded when the guest's balloon gives pages back, or merged
//! with identical pages by KSM. Each VM's own pages are its [`Machine`]'s
//! ([`crate::HostMemory`]); this holds what the VMs share and does the host-wide work.
//! Sources: Linux `mm/madvise.c`, `mm/vmscan.c`, `mm/swapfile.c`, `mm/ksm.c`, `mm/hugetlb.c`,
//! `Documentation/admin-guide/mm/ksm.rst`; QEMU `hw/virtio/virtio-balloon.c`.

use crate::addr::{Gfn, Gpa};
use crate::event::{Event, EventSink};
use crate::hypervisor::{Content, HostPageState};
use crate::machine::{Machine, MachineError};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The host's memory: what `free` and `/proc/meminfo` start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostSpec {
    /// Physical RAM in bytes.
    pub ram: u64,
    /// Swap space in bytes (a swap partition or file).
    pub swap: u64,
    /// `vm.nr_hugepages`: 2 MiB pages set aside for hugetlbfs. `None`: as many as the VMs
    /// backed by `hugetlb-2M` need (what the post's recipe sets).
    pub hugepages: Option<u64>,
}

impl Default for HostSpec {
    fn default() -> Self {
        Self {
            ram: 32 << 30,
            swap: 0,
            hugepages: None,
        }
    }
}

/// The lines of `/proc/meminfo` the post reads, for this host and its VMs (only the VMs'
/// memory is counted as used: the host's own kernel and processes are left out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct MemInfo {
    /// `MemTotal`, bytes.
    pub mem_total: u64,
    /// `MemFree`, bytes.
    pub mem_free: u64,
    /// `AnonPages`, bytes: anonymous memory in use (a KSM page counted once).
    pub anon_pages: u64,
    /// `AnonHugePages`, bytes: of it, in transparent huge pages.
    pub anon_huge_pages: u64,
    /// `SwapTotal`, bytes.
    pub swap_total: u64,
    /// `SwapFree`, bytes.
    pub swap_free: u64,
    /// `HugePages_Total`.
    pub huge_pages_total: u64,
    /// `HugePages_Free`.
    pub huge_pages_free: u64,
    /// `HugePages_Rsvd`: promised to a mapping, not taken yet.
    pub huge_pages_rsvd: u64,
}

/// The host values a scenario can expect, by key: `/proc/meminfo`'s lines (bytes in kB, as
/// the file shows them; huge pages in pages) and each VM's memory (`vm1.resident`, in kB).
pub const MEMINFO_KEYS: [&str; 9] = [
    "MemTotal",
    "MemFree",
    "AnonPages",
    "AnonHugePages",
    "SwapTotal",
    "SwapFree",
    "HugePages_Total",
    "HugePages_Free",
    "HugePages_Rsvd",
];

/// The fields of [`VmMemory`] a scenario can expect, as `vmN.<field>` (kB).
pub const VM_KEYS: [&str; 7] = [
    "committed",
    "touched",
    "resident",
    "swapped",
    "ballooned",
    "shared",
    "zero",
];

impl MemInfo {
    /// The value of a [`MEMINFO_KEYS`] key.
    pub fn get(&self, key: &str) -> Option<u64> {
        Some(match key {
            "MemTotal" => self.mem_total >> 10,
            "MemFree" => self.mem_free >> 10,
            "AnonPages" => self.anon_pages >> 10,
            "AnonHugePages" => self.anon_huge_pages >> 10,
            "SwapTotal" => self.swap_total >> 10,
            "SwapFree" => self.swap_free >> 10,
            "HugePages_Total" => self.huge_pages_total,
            "HugePages_Free" => self.huge_pages_free,
            "HugePages_Rsvd" => self.huge_pages_rsvd,
            _ => return None,
        })
    }

    /// The lines as `/proc/meminfo` prints them.
    pub fn lines(&self) -> Vec<String> {
        let kb = |b: u64| format!("{:>8} kB", b >> 10);
        vec![
            format!("MemTotal:       {}", kb(self.mem_total)),
            format!("MemFree:        {}", kb(self.mem_free)),
            format!("AnonPages:      {}", kb(self.anon_pages)),
            format!("AnonHugePages:  {}", kb(self.anon_huge_pages)),
            format!("SwapTotal:      {}", kb(self.swap_total)),
            format!("SwapFree:       {}", kb(self.swap_free)),
            format!("HugePages_Total: {:>7}", self.huge_pages_total),
            format!("HugePages_Free:  {:>7}", self.huge_pages_free),
            format!("HugePages_Rsvd:  {:>7}", self.huge_pages_rsvd),
            "HugePages_Surp:        0".to_owned(),
            "Hugepagesize:       2048 kB".to_owned(),
        ]
    }
}

/// One VM's memory as the host sees it, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmMemory {
    /// What `-m` promised the guest.
    pub committed: u64,
    /// What the guest has touched and still has something behind: resident, swapped or
    /// mapped to the zero page.
    pub touched: u64,
    /// In host RAM (anonymous RSS, hugetlbfs pages), KSM-shared pages included.
    pub resident: u64,
    /// In swap.
    pub swapped: u64,
    /// In the balloon (given back to the host).
    pub ballooned: u64,
    /// Mapped to a KSM page shared with others.
    pub shared: u64,
    /// Mapped to the zero page (no memory of its own).
    pub zero: u64,
}

impl VmMemory {
    /// The value of a [`VM_KEYS`] field, in kB.
    pub fn get(&self, field: &str) -> Option<u64> {
        Some(
            match field {
                "committed" => self.committed,
                "touched" => self.touched,
                "resident" => self.resident,
                "swapped" => self.swapped,
                "ballooned" => self.ballooned,
                "shared" => self.shared,
                "zero" => self.zero,
                _ => return None,
            } >> 10,
        )
    }
}

/// KSM's state: its stable tree (one node per KSM page, by contents) and the checksum it
/// remembers of each page from the last scan (`rmap_item->oldchecksum`).
#[derive(Clone, Debug, Default)]
struct Ksm {
    oldchecksum: FxHashMap<(usize, u64), Content>,
    full_scans: u64,
    /// The KSM page each merged page maps (VM, guest frame) -> (contents, which of the KSM
    /// pages of those contents: a KSM page takes at most `max_page_sharing` mappings, and
    /// more make a chain of duplicates, `stable_node_chain`).
    node_of: FxHashMap<(usize, u64), (Content, u32)>,
}

/// `/sys/kernel/mm/ksm/max_page_sharing`: the most pages one KSM page is shared by (the
/// default; more identical pages make more KSM pages).
pub const KSM_MAX_PAGE_SHARING: u64 = 256;

impl Ksm {
    /// How many pages map each KSM page now (merged pages written since are no longer
    /// counted; ksmd notices at its next scan, as the kernel's counters do).
    /// By contents, the mappings of each of its KSM pages.
    fn nodes(&self, vms: &[Machine]) -> FxHashMap<Content, Vec<u64>> {
        let mut n: FxHashMap<Content, Vec<u64>> = FxHashMap::default();
        for (&(v, g), &(c, i)) in &self.node_of {
            if vms
                .get(v)
                .is_some_and(|m| m.host_memory().state(Gfn::new(g)) == HostPageState::Shared)
            {
                let chain = n.entry(c).or_default();
                if chain.len() <= i as usize {
                    chain.resize(i as usize + 1, 0);
                }
                chain[i as usize] += 1;
            }
        }
        n
    }
}

/// The host: its spec, swap in use, balloons, KSM.
#[derive(Clone, Debug)]
pub struct Host {
    spec: HostSpec,
    /// Guest pages in each VM's balloon.
    balloons: Vec<u64>,
    /// Per VM, the guest-physical ranges marked `MADV_MERGEABLE` (QEMU marks all guest RAM,
    /// `-machine mem-merge=on`).
    mergeable: Vec<Vec<(u64, u64)>>,
    ksm: Ksm,
}

impl Host {
    /// A host with `vms` VMs.
    pub fn new(spec: HostSpec, vms: usize) -> Self {
        Self {
            spec,
            balloons: vec![0; vms],
            mergeable: vec![Vec::new(); vms],
            ksm: Ksm::default(),
        }
    }

    /// The spec.
    pub fn spec(&self) -> HostSpec {
        self.spec
    }

    /// Swap free, in 4 KiB slots: what the VMs' swapped pages leave (a page read back frees
    /// its slot here; the kernel may keep it a while in the swap cache).
    fn swap_free(&self, vms: &[Machine]) -> u64 {
        let used: u64 = vms.iter().map(|m| m.host_usage().swap >> 12).sum();
        (self.spec.swap >> 12).saturating_sub(used)
    }

    /// `madvise(MADV_PAGEOUT)` of VM `vm`'s guest RAM at `[gpa, gpa + bytes)`, with the guest
    /// stopped ([`Machine::stop`]). Returns the 4 KiB pages written to swap.
    pub fn page_out<K: EventSink>(
        &mut self,
        vms: &mut [Machine],
        vm: usize,
        gpa: Gpa,
        bytes: u64,
        sink: &mut K,
    ) -> Result<u64, MachineError> {
        let mut free = self.swap_free(vms);
        vms[vm].host_page_out(gpa, bytes, &mut free, sink)
    }

    /// VM `vm`'s balloon driver gives the guest pages at `[gpa, gpa + pages * 4 KiB)` to the
    /// host, and the VMM discards them (`MADV_DONTNEED`), with the guest stopped. Returns
    /// the 4 KiB pages that had memory behind them.
    pub fn balloon_inflate<K: EventSink>(
        &mut self,
        vm: usize,
        m: &mut Machine,
        gpa: Gpa,
        pages: u64,
        sink: &mut K,
    ) -> Result<u64, MachineError> {
        let (freed, _) = m.host_discard(gpa, pages << 12, sink)?;
        let b = &mut self.balloons[vm];
        *b += pages;
        sink.event(&Event::Balloon { pages: *b });
        Ok(freed)
    }

    /// VM `vm`'s balloon gives `pages` back to the guest: nothing happens on the host until
    /// the guest touches them (a fresh page of zeros each).
    pub fn balloon_deflate<K: EventSink>(&mut self, vm: usize, pages: u64, sink: &mut K) {
        let b = &mut self.balloons[vm];
        *b = b.saturating_sub(pages);
        sink.event(&Event::Balloon { pages: *b });
    }

    /// Marks VM `vm`'s guest RAM at `[gpa, gpa + bytes)` mergeable (`MADV_MERGEABLE`).
    pub fn mark_mergeable(&mut self, vm: usize, gpa: Gpa, bytes: u64) {
        let end = gpa.raw().saturating_add(bytes).div_ceil(4096);
        self.mergeable[vm].push((gpa.raw() >> 12, end));
    }

    fn is_mergeable(&self, vm: usize, gfn: Gfn) -> bool {
        let r = &self.mergeable[vm];
        r.is_empty() || r.iter().any(|&(a, b)| (a..b).contains(&gfn.raw()))
    }

    /// `passes` full scans of `ksmd` over the mergeable memory of every VM (`mm/ksm.c`,
    /// `ksm_do_scan` -> `cmp_and_merge_page`), with every guest stopped. For each page, in
    /// VM then address order:
    /// - contents equal to a KSM page's (the stable tree): merged into it;
    /// - contents changed since the last scan (its checksum): only remembered (volatile);
    /// - contents equal to a page met earlier in this scan (the unstable tree): the two
    ///   become a new KSM page;
    /// - otherwise it joins the unstable tree (unshared), which every scan starts empty.
    ///
    /// So two scans merge pages that were already equal before the first. Pages already
    /// merged stay so until written.
    pub fn ksm_scan<K: EventSink>(
        &mut self,
        vms: &mut [Machine],
        passes: u64,
        sink: &mut K,
    ) -> Result<(), MachineError> {
        for _ in 0..passes {
            // The stable tree as it is now: pages written since their merge have left it.
            self.ksm.node_of.retain(|&(v, g), _| {
                vms.get(v)
                    .is_some_and(|m| m.host_memory().state(Gfn::new(g)) == HostPageState::Shared)
            });
            let mut stable = self.ksm.nodes(vms);
            let mut unstable: FxHashMap<Content, (usize, Gfn)> = FxHashMap::default();
            let mut volatile = 0;
            for vi in 0..vms.len() {
                let candidates = vms[vi].ksm_candidates();
                for (gfn, _, content) in candidates {
                    // A merge earlier in this scan may have split a THP (and turned its
                    // zero-filled subpages into the zero page): look at the page as it is now.
                    let state = vms[vi].host_memory().state(gfn);
                    if !self.is_mergeable(vi, gfn)
                        || !state.resident()
                        || state == HostPageState::Shared
                    {
                        continue;
                    }
                    // A KSM page of these contents with room for one more mapping.
                    let room = stable.get(&content).and_then(|chain| {
                        chain
                            .iter()
                            .position(|&n| n > 0 && n < KSM_MAX_PAGE_SHARING)
                    });
                    if let Some(i) = room {
                        vms[vi].ksm_merge(gfn, sink);
                        self.ksm
                            .node_of
                            .insert((vi, gfn.raw()), (content, i as u32));
                        if let Some(chain) = stable.get_mut(&content) {
                            chain[i] += 1;
                        }
                        continue;
                    }
                    let old = self.ksm.oldchecksum.insert((vi, gfn.raw()), content);
                    if old != Some(content) {
                        volatile += 1;
                        continue;
                    }
                    if let Some((vj, other)) = unstable.remove(&content) {
                        vms[vj].ksm_merge(other, sink);
                        vms[vi].ksm_merge(gfn, sink);
                        // A new KSM page: the first of these contents, or one more of a
                        // chain whose pages are full.
                        let chain = stable.entry(content).or_default();
                        chain.push(2);
                        let node = (content, (chain.len() - 1) as u32);
                        self.ksm.node_of.insert((vj, other.raw()), node);
                        self.ksm.node_of.insert((vi, gfn.raw()), node);
                    } else {
                        unstable.insert(content, (vi, gfn));
                    }
                }
            }
            self.ksm.full_scans += 1;
            let (shared, sharing) = self.ksm_counts(vms);
            sink.event(&Event::KsmScan {
                shared,
                sharing,
                unshared: unstable.len() as u64,
                volatile,
            });
        }
        Ok(())
    }

    /// The simulated `/proc/meminfo` for these VMs.
    pub fn meminfo(&self, vms: &[Machine]) -> MemInfo {
        let mut anon = 0;
        let mut anon_huge = 0;
        let mut huge_used = 0;
        let mut huge_reserved = 0;
        for vm in vms {
            let u = vm.host_usage();
            anon += u.rss;
            anon_huge += u.anon_huge;
            if vm.config().host.backing == crate::Backing::Hugetlb2M {
                huge_used += u.hugetlb >> 21;
                // A hugetlbfs mapping reserves all its pages when it is made
                // (`hugetlb_reserve_pages`); a page taken consumes its reservation.
                huge_reserved += vm.config().layout.guest_ram >> 21;
            }
        }
        let (_, sharing) = self.ksm_counts(vms);
        anon -= sharing << 12;
        let swapped: u64 = vms.iter().map(|m| m.host_usage().swap).sum();
        let total = self.spec.hugepages.unwrap_or(huge_reserved);
        let pool = total << 21;
        MemInfo {
            mem_total: self.spec.ram,
            mem_free: self.spec.ram.saturating_sub(pool + anon),
            anon_pages: anon,
            anon_huge_pages: anon_huge,
            swap_total: self.spec.swap,
            swap_free: self.spec.swap.saturating_sub(swapped),
            huge_pages_total: total,
            huge_pages_free: total.saturating_sub(huge_used),
            huge_pages_rsvd: huge_reserved.saturating_sub(huge_used),
        }
    }

    /// VM `vm`'s memory as the host sees it.
    pub fn vm_memory(&self, vm: usize, m: &Machine) -> VmMemory {
        let u = m.host_usage();
        let resident = u.rss + u.hugetlb;
        VmMemory {
            committed: m.config().layout.guest_ram,
            touched: resident + u.swap + u.zero_mapped,
            resident,
            swapped: u.swap,
            ballooned: self.balloons.get(vm).copied().unwrap_or(0) << 12,
            shared: u.ksm_merged,
            zero: u.zero_mapped,
        }
    }

    /// `pages_shared` (KSM pages in use) and `pages_sharing` (the further pages mapped to
    /// them) over all VMs, now.
    pub fn ksm_counts(&self, vms: &[Machine]) -> (u64, u64) {
        let nodes = self.ksm.nodes(vms);
        let counts = nodes.values().flatten();
        let shared = counts.clone().filter(|&&n| n > 0).count() as u64;
        let total: u64 = counts.sum();
        (shared, total - shared)
    }

    /// Full KSM scans so far.
    pub fn ksm_full_scans(&self) -> u64 {
        self.ksm.full_scans
    }
}
