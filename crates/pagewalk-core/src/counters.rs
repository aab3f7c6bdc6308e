//! Counters and the cost model: a fold over events, so they cannot drift from what happened.

use crate::event::{Event, EventSink, FaultOutcome, TableKind, TlbLevel};
use crate::hypervisor::HostPageState;
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

/// Whether a counter adds up events or tracks a level that goes up and down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterKind {
    /// Adds up: over a stretch of a run its value is the difference of the ends.
    Count,
    /// A level (KVM's `pages_4k`, `mmu_unsync`): over a stretch its value is the level at
    /// the end.
    Gauge,
}

/// Declares every stored counter once: the struct field, its key, its kind and its doc.
/// Adding one here makes it appear in `entries`, JSON, [`Counters::since`] and the key
/// lists; forgetting to fold it is caught by the tests, which compare every counter with a
/// value computed another way.
macro_rules! counters {
    ($( $(#[doc = $doc:literal])+ $name:ident : $kind:ident, )*) => {
        /// What happened, counted. Every field is derived from events by [`Counters::event`];
        /// `memory_refs` and the cycle figures are computed from the counts, the cycles by
        /// applying the cost model at read time (so a different cost model needs no re-run).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct Counters {
            $( $(#[doc = $doc])+ pub $name: u64, )*
            cost: CostModel,
        }

        /// Every stored counter: (key, kind, meaning), in order.
        pub const STORED_COUNTERS: [(&str, CounterKind, &str); [$(stringify!($name)),*].len()] = [
            $( (stringify!($name), CounterKind::$kind, concat!($($doc),+)), )*
        ];

        impl Counters {
            /// The stored counters as (key, value), in the order of [`STORED_COUNTERS`].
            fn stored(&self) -> [(&'static str, u64); [$(stringify!($name)),*].len()] {
                [ $( (stringify!($name), self.$name), )* ]
            }

            /// The counters of the stretch of a run since `before`: counts as differences,
            /// gauges as their level now.
            pub fn since(&self, before: &Counters) -> Counters {
                Counters {
                    $( $name: match CounterKind::$kind {
                        CounterKind::Count => self.$name.wrapping_sub(before.$name),
                        CounterKind::Gauge => self.$name,
                    }, )*
                    cost: self.cost,
                }
            }
        }
    };
}

counters! {
    /// Accesses started.
    accesses: Count,
    /// Accesses served by some TLB level.
    tlb_hits: Count,
    /// Of those, served by the L1 TLB.
    tlb_l1_hits: Count,
    /// Of those, served by the L2 TLB.
    tlb_l2_hits: Count,
    /// Accesses that missed every TLB level.
    tlb_misses: Count,
    /// Hardware walks started (native, guest-over-stage-2, or shadow-table walks; the
    /// stage-2 sub-walks inside a nested walk are not counted separately).
    walks: Count,
    /// References in the linear dimension: guest tables, native tables, or shadow tables.
    guest_refs: Count,
    /// References in the host dimension: EPT or NPT tables.
    host_refs: Count,
    /// Paging-structure-cache hits.
    pwc_hits: Count,
    /// Accessed/dirty flag updates by hardware.
    ad_updates: Count,
    /// #PF faults (delivered to, or injected into, the guest).
    page_faults: Count,
    /// Stage-2 faults: EPT violations or NPT nested page faults (handled by the hypervisor
    /// or not).
    ept_violations: Count,
    /// EPT misconfigurations.
    ept_misconfigs: Count,
    /// VM exits (KVM's `exits`).
    vm_exits: Count,
    /// Shadow-table faults (each one a VM exit).
    shadow_faults: Count,
    /// Shadow pages created.
    shadow_pages: Count,
    /// Shadow entries written by the hypervisor.
    shadow_fills: Count,
    /// Stage-2 entries made on demand by the hypervisor's TDP MMU.
    stage2_fills: Count,
    /// Guest page-table writes trapped and emulated by the hypervisor.
    emulated_writes: Count,
    /// Guest-table references made by the hypervisor in software.
    hypervisor_refs: Count,
    /// Shadow entries dropped by resyncs of unsync pages.
    resync_changes: Count,
    /// Flush operations (INVLPG, INVPCID, CR3 writes, VM transitions without VPID, ...).
    tlb_flushes: Count,
    /// TLB entries removed by those flushes.
    tlb_entries_flushed: Count,
    /// KVM: fault exits handled by its MMU (shadow #PF or stage-2 violation).
    pf_taken: Count,
    /// KVM: of those, fixed by making entries.
    pf_fixed: Count,
    /// KVM: of those, spurious (the entry was already right).
    pf_spurious: Count,
    /// KVM: of those, emulated (a write to a write-protected guest page table).
    pf_emulate: Count,
    /// KVM: of those, injected into the guest as its own #PF.
    pf_guest: Count,
    /// KVM: present 4 KiB leaf entries in shadow or stage-2 tables (a level).
    pages_4k: Gauge,
    /// KVM: present 2 MiB leaf entries (a level).
    pages_2m: Gauge,
    /// KVM: present 1 GiB leaf entries (a level).
    pages_1g: Gauge,
    /// KVM: shadow pages created (`mmu_cache_miss`: not found in its hash).
    mmu_cache_miss: Count,
    /// KVM: shadow pages out of sync with their guest tables now (a level).
    mmu_unsync: Gauge,
    /// KVM: emulated guest writes seen by its write tracking.
    mmu_pte_write: Count,
    /// KVM: shadow pages zapped because their guest table was written repeatedly.
    mmu_flooded: Count,
    /// KVM: shadow pages zapped.
    mmu_shadow_zapped: Count,
    /// KVM: TLB flush requests serviced at VM entry (requests made in one exit count once).
    tlb_flush: Count,
    /// KVM: guest INVLPGs it handled (intercepted under shadow paging).
    invlpg: Count,
    /// Host: pages allocated by the host on first touch during the run (no `-mem-prealloc`).
    host_page_faults: Count,
    /// Host: reads of untouched memory given the shared zero page.
    host_zero_page_maps: Count,
    /// Host: zero pages copied on a later write.
    host_cow_breaks: Count,
    /// Host: 4 KiB pages written to swap (`pswpout`).
    host_swap_outs: Count,
    /// Host: 4 KiB pages read back from swap when touched (major faults, `pswpin`).
    host_swap_ins: Count,
    /// Host: transparent huge pages split into 4 KiB pages.
    host_thp_splits: Count,
    /// Host: KSM pages copied on a write (the sharing broken).
    ksm_cow_breaks: Count,
    /// KVM: shadow or stage-2 entries dropped because the host took or replaced the page
    /// (the MMU notifier).
    mmu_notifier_zaps: Count,
    /// KSM: full scans (`full_scans`).
    ksm_full_scans: Count,
    /// KSM: KSM pages in use (`pages_shared`), as of the last full scan.
    ksm_pages_shared: Gauge,
    /// KSM: further pages mapped to them, the memory saved (`pages_sharing`).
    ksm_pages_sharing: Gauge,
    /// KSM: pages checked and unique (`pages_unshared`).
    ksm_pages_unshared: Gauge,
    /// KSM: pages whose contents changed between scans (`pages_volatile`).
    ksm_pages_volatile: Gauge,
    /// Guest pages in the balloon.
    balloon_pages: Gauge,
}

/// The counter keys of `pagewalk run`'s summary, in order (the JSON has every counter).
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

/// The host-side counters (the host kernel's memory work, KSM, the balloon, and KVM's MMU
/// notifier zaps), in the order `pagewalk run` prints them.
pub const HOST_COUNTERS: [&str; 14] = [
    "host_page_faults",
    "host_zero_page_maps",
    "host_cow_breaks",
    "host_swap_outs",
    "host_swap_ins",
    "host_thp_splits",
    "mmu_notifier_zaps",
    "balloon_pages",
    "ksm_full_scans",
    "ksm_pages_shared",
    "ksm_pages_sharing",
    "ksm_pages_unshared",
    "ksm_pages_volatile",
    "ksm_cow_breaks",
];

/// KVM's statistics as `KVM_GET_STATS_FD` names them, each with the counter that predicts it:
/// the one list the KVM comparison reads.
pub const KVM_STATS: [(&str, &str); 16] = [
    ("pf_taken", "pf_taken"),
    ("pf_fixed", "pf_fixed"),
    ("pf_spurious", "pf_spurious"),
    ("pf_emulate", "pf_emulate"),
    ("pf_guest", "pf_guest"),
    ("pages_4k", "pages_4k"),
    ("pages_2m", "pages_2m"),
    ("pages_1g", "pages_1g"),
    ("mmu_cache_miss", "mmu_cache_miss"),
    ("mmu_unsync", "mmu_unsync"),
    ("mmu_pte_write", "mmu_pte_write"),
    ("mmu_flooded", "mmu_flooded"),
    ("mmu_shadow_zapped", "mmu_shadow_zapped"),
    ("tlb_flush", "tlb_flush"),
    ("invlpg", "invlpg"),
    ("exits", "vm_exits"),
];

/// Counters computed from the stored ones: (key, meaning).
pub const DERIVED_COUNTERS: [(&str, &str); 6] = [
    (
        "memory_refs",
        "Page-table memory references by hardware walkers (guest_refs + host_refs).",
    ),
    ("cycles", "All cycles, by the cost model."),
    (
        "cycles_tlb",
        "Cycles in TLB and paging-structure-cache hits.",
    ),
    (
        "cycles_walk",
        "Cycles in hardware walks: references and A/D updates.",
    ),
    ("cycles_vm_exit", "Cycles in VM exits and the entries back."),
    (
        "cycles_hypervisor",
        "Cycles of hypervisor work: software walks, shadow-table updates, emulation.",
    ),
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

    /// Cycles of hypervisor work: software walks, shadow- and stage-2-table updates,
    /// emulation.
    pub const fn cycles_hypervisor(&self) -> u64 {
        (self.hypervisor_refs + self.shadow_fills + self.stage2_fills + self.resync_changes)
            * self.cost.hypervisor_ref
            + (self.shadow_pages + self.emulated_writes) * self.cost.emulation
    }

    /// All cycles.
    pub const fn cycles(&self) -> u64 {
        self.cycles_tlb() + self.cycles_walk() + self.cycles_vm_exit() + self.cycles_hypervisor()
    }

    fn derived(&self) -> [(&'static str, u64); DERIVED_COUNTERS.len()] {
        [
            ("memory_refs", self.memory_refs()),
            ("cycles", self.cycles()),
            ("cycles_tlb", self.cycles_tlb()),
            ("cycles_walk", self.cycles_walk()),
            ("cycles_vm_exit", self.cycles_vm_exit()),
            ("cycles_hypervisor", self.cycles_hypervisor()),
        ]
    }

    /// Every counter as (key, value): first the [`COUNTER_KEYS`] of `pagewalk run`'s
    /// summary, then the rest of the stored ones, then the rest of the derived ones.
    pub fn entries(&self) -> Vec<(&'static str, u64)> {
        let all: Vec<(&'static str, u64)> =
            self.stored().into_iter().chain(self.derived()).collect();
        let mut out: Vec<(&'static str, u64)> = COUNTER_KEYS
            .iter()
            .filter_map(|k| all.iter().find(|(n, _)| n == k).copied())
            .collect();
        out.extend(all.into_iter().filter(|(k, _)| !COUNTER_KEYS.contains(k)));
        out
    }

    /// The value of a counter by its key (see [`Counters::entries`]).
    pub fn get(&self, key: &str) -> Option<u64> {
        self.stored()
            .into_iter()
            .chain(self.derived())
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// Whether a key names a counter.
    pub fn is_key(key: &str) -> bool {
        STORED_COUNTERS.iter().any(|(k, _, _)| *k == key)
            || DERIVED_COUNTERS.iter().any(|(k, _)| *k == key)
    }

    /// What a counter means, by its key, in `lang` (the catalogue's `meaning-<key>`, whose
    /// English is the counter's rustdoc: a test keeps them the same).
    pub fn meaning(key: &str, lang: crate::Lang) -> Option<String> {
        Self::is_key(key)
            .then(|| pagewalk_text::t(lang, &format!("meaning-{}", key.replace('_', "-"))))
    }

    fn leaf(&mut self, level: crate::Level, entry: u64, up: bool) {
        use crate::entry::PteFlags;
        if entry & PteFlags::PRESENT.bits() == 0 {
            return;
        }
        let large = entry & PteFlags::HUGE_PAGE.bits() != 0;
        let gauge = match level {
            crate::Level::L1 => &mut self.pages_4k,
            crate::Level::L2 if large => &mut self.pages_2m,
            crate::Level::L3 if large => &mut self.pages_1g,
            _ => return,
        };
        if up {
            *gauge += 1;
        } else {
            *gauge = gauge.saturating_sub(1);
        }
    }

    fn stage2_leaf(&mut self, size: crate::PageSize, up: bool) {
        let gauge = match size {
            crate::PageSize::Size4K => &mut self.pages_4k,
            crate::PageSize::Size2M => &mut self.pages_2m,
            crate::PageSize::Size1G => &mut self.pages_1g,
        };
        if up {
            *gauge += 1;
        } else {
            *gauge = gauge.saturating_sub(1);
        }
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
                crate::Fault::NonCanonical { .. } | crate::Fault::Cr3Reserved { .. } => {}
            },
            Event::Flush { removed, cause } => {
                self.tlb_flushes += 1;
                self.tlb_entries_flushed += u64::from(removed);
                if cause == crate::FlushCause::Hypervisor {
                    self.tlb_flush += 1;
                }
            }
            Event::VmExit { .. } => self.vm_exits += 1,
            Event::ShadowFault { .. } => self.shadow_faults += 1,
            Event::HypervisorRead { .. } | Event::HypervisorAdUpdate { .. } => {
                self.hypervisor_refs += 1
            }
            Event::ShadowPageAlloc { .. } => {
                self.shadow_pages += 1;
                self.mmu_cache_miss += 1;
            }
            Event::ShadowFill {
                level, old, entry, ..
            } => {
                self.shadow_fills += 1;
                self.leaf(level, old, false);
                self.leaf(level, entry, true);
            }
            Event::GuestPteWrite { emulated, .. } => {
                if emulated {
                    self.emulated_writes += 1;
                }
            }
            Event::Resync { changed, .. } => {
                self.resync_changes += u64::from(changed);
                self.mmu_unsync = self.mmu_unsync.saturating_sub(1);
            }
            Event::Unsync { .. } => self.mmu_unsync += 1,
            Event::ShadowZap {
                flooded, unsync, ..
            } => {
                self.mmu_shadow_zapped += 1;
                if flooded {
                    self.mmu_flooded += 1;
                }
                if unsync {
                    self.mmu_unsync = self.mmu_unsync.saturating_sub(1);
                }
            }
            Event::FaultHandled { outcome } => {
                self.pf_taken += 1;
                match outcome {
                    FaultOutcome::Fixed => self.pf_fixed += 1,
                    FaultOutcome::Spurious => self.pf_spurious += 1,
                    FaultOutcome::Emulated => self.pf_emulate += 1,
                    FaultOutcome::Injected => self.pf_guest += 1,
                    FaultOutcome::Retry => {}
                }
            }
            Event::HostPage { from, to, size, .. } => match (from, to) {
                (_, HostPageState::Ballooned) => {}
                (
                    HostPageState::Unallocated | HostPageState::Ballooned,
                    HostPageState::ZeroPage,
                ) => self.host_zero_page_maps += 1,
                (HostPageState::Unallocated | HostPageState::Ballooned, _) => {
                    self.host_page_faults += 1
                }
                (HostPageState::ZeroPage, HostPageState::Allocated) => self.host_cow_breaks += 1,
                (HostPageState::Shared, HostPageState::Allocated) => self.ksm_cow_breaks += 1,
                (_, HostPageState::Swapped) => self.host_swap_outs += size.bytes() >> 12,
                (HostPageState::Swapped, _) => self.host_swap_ins += size.bytes() >> 12,
                _ => {}
            },
            Event::HostSplit { .. } => self.host_thp_splits += 1,
            Event::HostRefused { .. } => {}
            Event::HostUnmap { zapped, .. } => self.mmu_notifier_zaps += zapped,
            Event::KsmScan {
                shared,
                sharing,
                unshared,
                volatile,
            } => {
                self.ksm_full_scans += 1;
                self.ksm_pages_shared = shared;
                self.ksm_pages_sharing = sharing;
                self.ksm_pages_unshared = unshared;
                self.ksm_pages_volatile = volatile;
            }
            Event::Balloon { pages } => self.balloon_pages = pages,
            Event::EmulatedWrite { .. } => self.mmu_pte_write += 1,
            Event::HypervisorInvlpg { .. } => self.invlpg += 1,
            Event::Stage2Fill { size, .. } => {
                self.stage2_fills += 1;
                self.stage2_leaf(size, true);
            }
            Event::Stage2Zap { size, .. } => self.stage2_leaf(size, false),
            Event::TlbDirtyRewalk
            | Event::NestedBegin { .. }
            | Event::NestedEnd { .. }
            | Event::TlbFill { .. }
            | Event::VmEntry { .. }
            | Event::Cr3Load { .. }
            | Event::WriteProtect { .. }
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

    /// The catalogue's English meaning of each counter is its rustdoc, and every counter has
    /// one in Traditional Chinese too.
    #[test]
    fn every_counter_means_what_its_rustdoc_says_in_both_languages() {
        let docs = STORED_COUNTERS
            .iter()
            .map(|(k, _, d)| (*k, *d))
            .chain(DERIVED_COUNTERS.iter().copied());
        for (k, doc) in docs {
            assert_eq!(
                Counters::meaning(k, crate::Lang::En).as_deref(),
                Some(doc.trim()),
                "{k}"
            );
            let zh = Counters::meaning(k, crate::Lang::ZhTw).unwrap_or_default();
            assert!(zh != doc.trim() && !zh.starts_with("meaning-"), "{k}: {zh}");
        }
        assert_eq!(Counters::meaning("no_such_counter", crate::Lang::En), None);
    }
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
