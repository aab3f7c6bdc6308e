//! Counters and the cost model: a fold over events, so they cannot drift from what happened.

use crate::event::{Event, EventSink, TableKind, TlbLevel};
use serde::{Deserialize, Serialize};

/// Cycles charged per kind of work. The defaults are round, illustrative figures for a
/// current x86 server core, not measurements: scenarios set their own to explore the
/// trade-offs (what matters is the ratio between a TLB hit, a memory reference and a VM exit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostModel {
    /// An L1 TLB hit.
    pub l1_tlb_hit: u64,
    /// An L2 TLB hit (after the L1 miss).
    pub l2_tlb_hit: u64,
    /// A paging-structure-cache hit.
    pub pwc_hit: u64,
    /// One page-table memory reference by the hardware walker.
    pub memory_ref: u64,
    /// One accessed/dirty flag update (a locked read-modify-write).
    pub ad_update: u64,
    /// One VM exit and the entry back (the round trip, without handler work).
    pub vm_exit: u64,
    /// One guest page-table read or write done by the hypervisor in software.
    pub hypervisor_ref: u64,
    /// One instruction emulated by the hypervisor (a trapped page-table write), or a
    /// shadow-table update.
    pub emulation: u64,
}

impl Default for CostModel {
    fn default() -> Self {
        Self {
            l1_tlb_hit: 1,
            l2_tlb_hit: 7,
            pwc_hit: 2,
            memory_ref: 40,
            ad_update: 40,
            vm_exit: 1200,
            hypervisor_ref: 40,
            emulation: 400,
        }
    }
}

/// What happened, counted. Every field is derived from events by [`Counters::event`];
/// `memory_refs` and the cycle figures are computed from the counts, the cycles by applying
/// the cost model at read time (so a different cost model needs no re-run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Accesses started.
    pub accesses: u64,
    /// Accesses served by some TLB level.
    pub tlb_hits: u64,
    /// Of those, served by the L1 TLB.
    pub tlb_l1_hits: u64,
    /// Of those, served by the L2 TLB.
    pub tlb_l2_hits: u64,
    /// Accesses that missed every TLB level.
    pub tlb_misses: u64,
    /// Hardware walks started (native, guest-over-stage-2, or shadow-table walks; the
    /// stage-2 sub-walks inside a nested walk are not counted separately).
    pub walks: u64,
    /// References in the linear dimension: guest tables, native tables, or shadow tables.
    pub guest_refs: u64,
    /// References in the host dimension: EPT or NPT tables.
    pub host_refs: u64,
    /// Paging-structure-cache hits.
    pub pwc_hits: u64,
    /// Accessed/dirty flag updates by hardware.
    pub ad_updates: u64,
    /// #PF faults (delivered to, or injected into, the guest).
    pub page_faults: u64,
    /// Stage-2 faults: EPT violations or NPT nested page faults.
    pub ept_violations: u64,
    /// EPT misconfigurations.
    pub ept_misconfigs: u64,
    /// VM exits.
    pub vm_exits: u64,
    /// Shadow-table faults (each one a VM exit).
    pub shadow_faults: u64,
    /// Shadow pages created.
    pub shadow_pages: u64,
    /// Shadow entries written by the hypervisor.
    pub shadow_fills: u64,
    /// Guest page-table writes trapped and emulated by the hypervisor.
    pub emulated_writes: u64,
    /// Guest-table references made by the hypervisor in software.
    pub hypervisor_refs: u64,
    /// Shadow entries dropped by resyncs of unsync pages.
    pub resync_changes: u64,
    /// Flush operations (INVLPG, INVPCID, CR3 writes, VM transitions without VPID, ...).
    pub tlb_flushes: u64,
    /// TLB entries removed by those flushes.
    pub tlb_entries_flushed: u64,
    cost: CostModel,
}

/// The counter keys of `pagewalk run --json`, in order.
pub const COUNTER_KEYS: [&str; 15] = [
    "accesses",
    "tlb_hits",
    "tlb_misses",
    "walks",
    "memory_refs",
    "guest_refs",
    "host_refs",
    "pwc_hits",
    "ad_updates",
    "page_faults",
    "ept_violations",
    "vm_exits",
    "shadow_faults",
    "tlb_flushes",
    "cycles",
];

impl Counters {
    /// Zeroed counters whose cycles are charged by `cost`.
    pub fn new(cost: CostModel) -> Self {
        Self {
            cost,
            ..Self::default()
        }
    }

    /// The cost model in use.
    pub fn cost(&self) -> &CostModel {
        &self.cost
    }

    /// Page-table memory references by hardware walkers (`guest_refs + host_refs`).
    pub const fn memory_refs(&self) -> u64 {
        self.guest_refs + self.host_refs
    }

    /// Cycles in TLB and paging-structure-cache hits.
    pub const fn cycles_tlb(&self) -> u64 {
        self.tlb_l1_hits * self.cost.l1_tlb_hit
            + self.tlb_l2_hits * self.cost.l2_tlb_hit
            + self.pwc_hits * self.cost.pwc_hit
    }

    /// Cycles in hardware walks: memory references and A/D updates.
    pub const fn cycles_walk(&self) -> u64 {
        self.memory_refs() * self.cost.memory_ref + self.ad_updates * self.cost.ad_update
    }

    /// Cycles in VM exits and the entries back.
    pub const fn cycles_vm_exit(&self) -> u64 {
        self.vm_exits * self.cost.vm_exit
    }

    /// Cycles of hypervisor work: software walks, shadow-table updates, emulation.
    pub const fn cycles_hypervisor(&self) -> u64 {
        (self.hypervisor_refs + self.shadow_fills + self.resync_changes) * self.cost.hypervisor_ref
            + (self.shadow_pages + self.emulated_writes) * self.cost.emulation
    }

    /// All cycles.
    pub const fn cycles(&self) -> u64 {
        self.cycles_tlb() + self.cycles_walk() + self.cycles_vm_exit() + self.cycles_hypervisor()
    }

    /// Every counter as (key, value): first the [`COUNTER_KEYS`] of `pagewalk run --json`,
    /// then the finer ones.
    pub fn entries(&self) -> [(&'static str, u64); 28] {
        [
            ("accesses", self.accesses),
            ("tlb_hits", self.tlb_hits),
            ("tlb_misses", self.tlb_misses),
            ("walks", self.walks),
            ("memory_refs", self.memory_refs()),
            ("guest_refs", self.guest_refs),
            ("host_refs", self.host_refs),
            ("pwc_hits", self.pwc_hits),
            ("ad_updates", self.ad_updates),
            ("page_faults", self.page_faults),
            ("ept_violations", self.ept_violations),
            ("vm_exits", self.vm_exits),
            ("shadow_faults", self.shadow_faults),
            ("tlb_flushes", self.tlb_flushes),
            ("cycles", self.cycles()),
            ("tlb_l1_hits", self.tlb_l1_hits),
            ("tlb_l2_hits", self.tlb_l2_hits),
            ("ept_misconfigs", self.ept_misconfigs),
            ("shadow_pages", self.shadow_pages),
            ("shadow_fills", self.shadow_fills),
            ("emulated_writes", self.emulated_writes),
            ("hypervisor_refs", self.hypervisor_refs),
            ("resync_changes", self.resync_changes),
            ("tlb_entries_flushed", self.tlb_entries_flushed),
            ("cycles_tlb", self.cycles_tlb()),
            ("cycles_walk", self.cycles_walk()),
            ("cycles_vm_exit", self.cycles_vm_exit()),
            ("cycles_hypervisor", self.cycles_hypervisor()),
        ]
    }

    /// The value of a counter by its key (see [`Counters::entries`]).
    pub fn get(&self, key: &str) -> Option<u64> {
        self.entries()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|&(_, v)| v)
    }
}

impl Serialize for Counters {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let entries = self.entries();
        let mut map = s.serialize_map(Some(entries.len()))?;
        for (k, v) in &entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl EventSink for Counters {
    // Always inlined: at each call site the event's kind is known, so the match folds away
    // and counting costs an addition or two on the walk's hot path.
    #[inline(always)]
    fn event(&mut self, event: &Event) {
        match *event {
            Event::AccessBegin { .. } => self.accesses += 1,
            Event::TlbHit { level, .. } => {
                self.tlb_hits += 1;
                match level {
                    TlbLevel::L1 => self.tlb_l1_hits += 1,
                    TlbLevel::L2 => self.tlb_l2_hits += 1,
                }
            }
            Event::TlbMiss { level } => {
                if level == TlbLevel::L2 {
                    self.tlb_misses += 1;
                }
            }
            Event::PwcHit { .. } => self.pwc_hits += 1,
            Event::WalkBegin { table, .. } => {
                if !table.is_stage2() {
                    self.walks += 1;
                }
            }
            Event::TableRead { table, .. } => {
                if table.is_stage2() {
                    self.host_refs += 1;
                } else {
                    self.guest_refs += 1;
                }
            }
            Event::AdUpdate { .. } => self.ad_updates += 1,
            Event::Fault { fault } => match fault {
                crate::Fault::PageFault { .. } => self.page_faults += 1,
                crate::Fault::EptViolation { .. } | crate::Fault::NestedPageFault { .. } => {
                    self.ept_violations += 1
                }
                crate::Fault::EptMisconfig { .. } => self.ept_misconfigs += 1,
                crate::Fault::NonCanonical { .. } => {}
            },
            Event::Flush { removed, .. } => {
                self.tlb_flushes += 1;
                self.tlb_entries_flushed += u64::from(removed);
            }
            Event::VmExit { .. } => self.vm_exits += 1,
            Event::ShadowFault { .. } => self.shadow_faults += 1,
            Event::HypervisorRead { .. } | Event::HypervisorAdUpdate { .. } => {
                self.hypervisor_refs += 1
            }
            Event::ShadowPageAlloc { .. } => self.shadow_pages += 1,
            Event::ShadowFill { .. } => self.shadow_fills += 1,
            Event::GuestPteWrite { emulated, .. } => {
                if emulated {
                    self.emulated_writes += 1;
                }
            }
            Event::Resync { changed, .. } => self.resync_changes += u64::from(changed),
            Event::TlbDirtyRewalk
            | Event::NestedBegin { .. }
            | Event::NestedEnd { .. }
            | Event::TlbFill { .. }
            | Event::VmEntry { .. }
            | Event::Cr3Load { .. }
            | Event::WriteProtect { .. }
            | Event::ShadowZap { .. }
            | Event::Unsync { .. }
            | Event::AccessEnd { .. } => {}
        }
    }
}

impl EventSink for TableKindCount {
    fn event(&mut self, event: &Event) {
        if let Event::TableRead { table, .. } = event {
            match table {
                TableKind::Guest => self.guest += 1,
                TableKind::Ept | TableKind::Npt => self.stage2 += 1,
                TableKind::Shadow => self.shadow += 1,
            }
        }
    }
}

/// Counts table references by structure; a small sink for tests and tools.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableKindCount {
    /// Guest (or native) table references.
    pub guest: u64,
    /// EPT/NPT references.
    pub stage2: u64,
    /// Shadow-table references.
    pub shadow: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gva, Hpa, Level, PageSize};

    #[test]
    fn cycles_apply_the_cost_model_to_the_counts() {
        let cost = CostModel {
            l1_tlb_hit: 1,
            l2_tlb_hit: 10,
            pwc_hit: 100,
            memory_ref: 1_000,
            ad_update: 10_000,
            vm_exit: 100_000,
            hypervisor_ref: 1_000_000,
            emulation: 10_000_000,
        };
        let mut c = Counters::new(cost);
        let read = Event::TableRead {
            table: TableKind::Ept,
            level: Level::L1,
            index: 0,
            entry_addr: Hpa::new(0),
            entry: 0,
        };
        for e in [
            Event::TlbHit {
                level: TlbLevel::L1,
                size: PageSize::Size4K,
                hpa: Hpa::new(0),
            },
            Event::TlbHit {
                level: TlbLevel::L2,
                size: PageSize::Size4K,
                hpa: Hpa::new(0),
            },
            read,
            read,
            Event::VmExit {
                reason: crate::ExitReason::External,
            },
            Event::ShadowFault { gva: Gva::new(0) },
        ] {
            c.event(&e);
        }
        assert_eq!(c.memory_refs(), 2);
        assert_eq!(c.host_refs, 2);
        assert_eq!(c.cycles(), 1 + 10 + 2_000 + 100_000);
        assert_eq!(c.get("cycles"), Some(c.cycles()));
        let json = serde_json::to_value(c).unwrap();
        assert_eq!(json["memory_refs"], 2);
        for key in COUNTER_KEYS {
            assert!(json.get(key).is_some(), "{key}");
        }
    }
}
