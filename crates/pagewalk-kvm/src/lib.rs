//! # pagewalk-kvm
//!
//! Runs a pagewalk scenario on real `/dev/kvm`: the guest page tables the simulator built are
//! copied byte for byte to the same guest-physical addresses, a small runtime (GDT, IDT, TSS,
//! stacks, code) is mapped high in every address space, and the trace becomes CPL-3 guest
//! code. KVM's own statistics are read before and after the measured phase.
//!
//! Also: [`host::report`], what this host offers (`pagewalk host`).
//!
//! Linux x86-64 only; elsewhere every entry point returns [`KvmError::Unavailable`].

pub mod codegen;
pub mod host;
pub mod stats;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub mod hostops;
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod runner;
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod sys;

use serde::Serialize;
use std::collections::BTreeMap;

/// Lets a closed standard output end the process quietly, as other command-line tools do
/// (`pagewalk run ... | head`): Rust ignores SIGPIPE, so printing to a closed pipe would panic.
/// For the printing commands only: a server must not die of a client that went away.
pub fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal at start-up, before any thread is
    // started; no handler code runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Why a KVM run could not happen or finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvmError {
    /// KVM cannot be used here (with what to do).
    #[error("KVM is unavailable: {0}")]
    Unavailable(String),
    /// The hugetlb pool is too small (with the command that fills it).
    #[error("{0}")]
    HugePool(String),
    /// The scenario uses something the KVM runtime cannot do yet, or that this host lacks.
    #[error("not runnable on KVM: {0}")]
    NotRunnable(pagewalk_text::Text),
    /// A KVM ioctl failed.
    #[error("{0}")]
    Kvm(String),
    /// The guest did something unexpected (a triple fault, a runaway).
    #[error("guest: {0}")]
    Guest(String),
}

/// KVM's counters over the measured phase: deltas of cumulative statistics, values of gauges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RealCounters(pub BTreeMap<String, u64>);

impl RealCounters {
    /// A counter, 0 if KVM does not have it.
    pub fn get(&self, k: &str) -> u64 {
        self.0.get(k).copied().unwrap_or(0)
    }
}

/// The core's counters under KVM's names, from the one list [`pagewalk_core::KVM_STATS`]: what
/// the comparison holds against real KVM is the core's fold over its events, nothing else.
pub fn predicted(c: &pagewalk_core::Counters) -> RealCounters {
    RealCounters(
        pagewalk_core::KVM_STATS
            .iter()
            .map(|&(kvm, core)| (kvm.to_owned(), c.get(core).unwrap_or(0)))
            .collect(),
    )
}

/// The host's own counters compared in runs that swap, balloon or merge guest memory: (the
/// name shown, the model's counter). Real values: `pswpout` and `cow_ksm` from /proc/vmstat
/// (deltas), KSM's from /sys/kernel/mm/ksm (levels after the run), and the guest RAM
/// mapping's `Swap` from /proc/self/smaps, in 4 KiB pages.
/// hugetlbfs pool pages in use and reserved (from /proc/meminfo, `HugePages_Total -
/// HugePages_Free` and `HugePages_Rsvd`, as the run changed them) are compared too when guest
/// RAM is on 2 MiB hugetlbfs pages.
pub const HOST_STATS: [(&str, &str); 9] = [
    ("pswpout", "host_swap_outs"),
    ("cow_ksm", "ksm_cow_breaks"),
    ("ksm pages_shared", "ksm_pages_shared"),
    ("ksm pages_sharing", "ksm_pages_sharing"),
    ("ksm pages_unshared", "ksm_pages_unshared"),
    ("smaps Swap (pages)", "swap pages"),
    ("smaps Rss (pages)", "rss pages"),
    ("HugePages in use", "hugepages used"),
    ("HugePages_Rsvd", "hugepages reserved"),
];

/// Adds the model's side of [`HOST_STATS`] to a prediction: its counters, the guest RAM in
/// swap at the end (`swap_pages`), and the hugetlbfs pool (`meminfo`).
pub fn add_host_predictions(
    p: &mut RealCounters,
    c: &pagewalk_core::Counters,
    swap_pages: u64,
    rss_pages: u64,
    meminfo: &pagewalk_core::MemInfo,
) {
    for (name, core) in HOST_STATS {
        let v = match core {
            "swap pages" => swap_pages,
            "rss pages" => rss_pages,
            "hugepages used" => meminfo.huge_pages_total - meminfo.huge_pages_free,
            "hugepages reserved" => meminfo.huge_pages_rsvd,
            _ => c.get(core).unwrap_or(0),
        };
        p.0.insert(name.to_owned(), v);
    }
}

/// One compared counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Counter name (KVM's), or `exits - irq_exits`.
    pub name: String,
    /// The model's prediction.
    pub simulated: u64,
    /// KVM's value.
    pub real: u64,
    /// Whether they agree (exactly, but `exits - irq_exits` within `tolerance`).
    #[serde(rename = "match")]
    pub matches: bool,
    /// How far apart they may be and still match (0: exactly).
    pub tolerance: u64,
    /// Why there is a tolerance (empty without one).
    pub why: String,
}

/// Simulator counters that real KVM cannot expose on this host (no PMU, no view of the TLB).
pub const NOT_OBSERVABLE: [&str; 7] = [
    "tlb_hits",
    "tlb_misses",
    "walks",
    "memory_refs",
    "pwc_hits",
    "cycles",
    "vpid effects",
];

/// Compares every statistic of [`pagewalk_core::KVM_STATS`], the list the core's counters
/// are folded for. `exits` include the host's interrupts, which come at random, so
/// `exits - irq_exits` is compared instead, within a tolerance that grows with the run: one
/// exit, plus one per 20,000 (a run of 1.2 million exits measured 16 to 29 apart here, from
/// host events that `irq_exits` does not count).
pub fn compare(real: &RealCounters, sim: &RealCounters) -> Vec<Row> {
    let mut rows: Vec<Row> = pagewalk_core::KVM_STATS
        .iter()
        .map(|&(k, _)| k)
        .filter(|k| *k != "exits")
        .map(|k| Row {
            name: k.to_owned(),
            simulated: sim.get(k),
            real: real.get(k),
            matches: sim.get(k) == real.get(k),
            tolerance: 0,
            why: String::new(),
        })
        .collect();
    // The host's counters, in runs that have them. `pswpout` is the whole host's and not
    // exact: now and then reclaim leaves a page in the swap cache without writing it in that
    // pass (measured here: 62 of 64 pages written in 3 of 20 page-outs; 4076 of 4096 once),
    // and writes finishing from another process count too (4098 of 4096 once), so it is
    // compared within 1/16; the pages in swap (`smaps`) are compared exactly.
    for (name, _) in HOST_STATS {
        if let (Some(&r), Some(&m)) = (real.0.get(name), sim.0.get(name)) {
            let tolerance = if name == "pswpout" { m / 16 } else { 0 };
            rows.push(Row {
                name: name.to_owned(),
                simulated: m,
                real: r,
                matches: r.abs_diff(m) <= tolerance,
                tolerance,
                why: if tolerance > 0 {
                    "the host's count: pages left unwritten in the swap cache, other processes"
                        .to_owned()
                } else {
                    String::new()
                },
            });
        }
    }
    let s = sim.get("exits");
    let r = real.get("exits").saturating_sub(real.get("irq_exits"));
    let tolerance = exits_tolerance(r);
    rows.push(Row {
        name: "exits - irq_exits".to_owned(),
        simulated: s,
        real: r,
        matches: s.abs_diff(r) <= tolerance,
        tolerance,
        why: "host interrupts".to_owned(),
    });
    rows
}

/// How far `exits - irq_exits` may be from the prediction: one, plus one per 20,000.
pub fn exits_tolerance(exits: u64) -> u64 {
    1 + exits / 20_000
}

/// What a KVM run gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// KVM's counters over the measured phase.
    pub real: RealCounters,
    /// The core's prediction under shadow paging (what this project's hosts run): its
    /// counters folded from its events, under KVM's names.
    pub shadow: RealCounters,
    /// The core's prediction under EPT with stage 2 filled on demand, unverified: no host
    /// here has TDP.
    pub tdp_unverified: RealCounters,
    /// What the host did to memory while the guest ran (the nonzero deltas of the
    /// compaction, THP, swap, KSM and migration counters of /proc/vmstat): any of it can
    /// make KVM fault again where the model does not, so a mismatch beside it is host noise
    /// with a cause, not a model error.
    pub host_activity: Vec<(String, u64)>,
}

/// Runs a scenario's trace on KVM; returns KVM's real counters and the models' predictions.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub fn run_on_kvm(scenario: &pagewalk_scenario::Scenario) -> Result<Outcome, KvmError> {
    runner::run(scenario, WATCHDOG)
}

/// How long a guest may run before the watchdog stops it.
pub const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(20);

/// [`run_on_kvm`] with another watchdog time: a guest still running after it is stopped
/// with [`KvmError::Guest`].
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub fn run_on_kvm_within(
    scenario: &pagewalk_scenario::Scenario,
    watchdog: std::time::Duration,
) -> Result<Outcome, KvmError> {
    runner::run(scenario, watchdog)
}

/// Runs a scenario's trace on KVM; returns KVM's real counters and the models' predictions.
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub fn run_on_kvm(_: &pagewalk_scenario::Scenario) -> Result<Outcome, KvmError> {
    Err(KvmError::Unavailable(
        "the KVM backend runs on Linux x86-64 only".into(),
    ))
}

/// Whether the scenario can run on the KVM runtime, and why not.
pub fn runnable(scenario: &pagewalk_scenario::Scenario) -> Result<(), KvmError> {
    use pagewalk_scenario::model::Op;
    use pagewalk_text::Text;
    let no = |id: &'static str| Err(KvmError::NotRunnable(Text::new(id)));
    if scenario.machine.guest_levels != pagewalk_core::Levels::Four {
        return no("kvm-no-la57");
    }
    for s in &scenario.spaces {
        if s.maps
            .iter()
            .any(|m| m.page == pagewalk_core::PageSize::Size1G)
        {
            return no("kvm-no-gbpages");
        }
        if s.maps.iter().any(|m| m.gpa < crate::RUNTIME_GPA_END) {
            return no("kvm-low-gpa");
        }
    }
    if !scenario.host.edits.is_empty() || !scenario.host.maps.is_empty() {
        return no("kvm-stage2-maps");
    }
    if scenario.host.vms > 4 {
        return no("kvm-too-many-vms");
    }
    if let Some((gpa, size)) = scenario.host.mergeable {
        if gpa < RUNTIME_GPA_END || gpa % 4096 != 0 || size % 4096 != 0 {
            return no("kvm-mergeable");
        }
    }
    if scenario.spaces.len() > MAX_SPACES {
        return no("kvm-too-many-spaces");
    }
    let in_runtime_slot = |gva: u64| pagewalk_core::Level::L4.index(gva) == RUNTIME_PML4_SLOT;
    for s in &scenario.spaces {
        if s.maps.iter().any(|m| in_runtime_slot(m.gva))
            || s.edits.iter().any(|e| in_runtime_slot(e.addr))
        {
            return no("kvm-runtime-slot-map");
        }
    }
    // Every address an access can reach must be canonical: the runtime has no #GP handler, so
    // a non-canonical access would end the guest with a triple fault.
    let canonical = |a: u64| pagewalk_core::Gva::new(a).is_canonical(pagewalk_core::Levels::Four);
    for step in &scenario.trace {
        let (lo, hi) = match step.op {
            Op::Access { gva, .. } | Op::Invlpg { gva } => (gva, gva),
            Op::Sequential { start, length, .. } => {
                (start, start.wrapping_add(length.saturating_sub(1)))
            }
            Op::Strided {
                start,
                stride,
                count,
                ..
            }
            | Op::WorkingSet {
                start,
                stride,
                pages: count,
                ..
            } => (
                start,
                start.wrapping_add(stride.wrapping_mul(count.saturating_sub(1))),
            ),
            Op::Random { start, span, .. } => (start, start.wrapping_add(span.saturating_sub(1))),
            Op::PteWrite { gva, .. } => {
                if in_runtime_slot(gva) {
                    return Err(KvmError::NotRunnable(at_step(
                        step,
                        Text::new("kvm-runtime-slot-write"),
                    )));
                }
                (gva, gva)
            }
            _ => continue,
        };
        if !canonical(lo) || !canonical(hi) || hi < lo {
            return Err(KvmError::NotRunnable(at_step(
                step,
                Text::new("kvm-non-canonical")
                    .arg("from", format!("{lo:#x}"))
                    .arg("to", format!("{hi:#x}")),
            )));
        }
        if in_runtime_slot(lo) || in_runtime_slot(hi) {
            return Err(KvmError::NotRunnable(at_step(
                step,
                Text::new("kvm-runtime-slot-access"),
            )));
        }
    }
    for step in &scenario.trace {
        match &step.op {
            Op::Access { user: false, .. }
            | Op::Sequential { user: false, .. }
            | Op::Strided { user: false, .. }
            | Op::Random { user: false, .. }
            | Op::WorkingSet { user: false, .. } => return no("kvm-supervisor"),
            Op::Access {
                kind: pagewalk_core::AccessKind::Fetch,
                ..
            }
            | Op::Sequential {
                kind: pagewalk_core::AccessKind::Fetch,
                ..
            }
            | Op::Strided {
                kind: pagewalk_core::AccessKind::Fetch,
                ..
            }
            | Op::Random {
                kind: pagewalk_core::AccessKind::Fetch,
                ..
            }
            | Op::WorkingSet {
                kind: pagewalk_core::AccessKind::Fetch,
                ..
            } => return no("kvm-fetch"),
            Op::Random { count, .. } if *count > MAX_TABLE_ADDRESSES => {
                return no("kvm-random-table")
            }
            Op::Access { .. }
            | Op::Sequential { .. }
            | Op::Strided { .. }
            | Op::Random { .. }
            | Op::WorkingSet { .. }
            | Op::VmExit { .. }
            | Op::Cr3 { .. } => {}
            Op::Invlpg { .. } => {}
            Op::Invpcid { .. } | Op::Invvpid { .. } | Op::Invept { .. } => {
                return no("kvm-invalidations")
            }
            Op::PteWrite { .. } => {}
            Op::SetAc { .. } => return no("kvm-set-ac"),
            Op::Fill { .. }
            | Op::SwapOut { .. }
            | Op::BalloonInflate { .. }
            | Op::BalloonDeflate { .. } => {}
            Op::KsmScan { .. } if scenario.host.mergeable.is_none() => {
                return no("kvm-ksm-needs-mergeable")
            }
            Op::KsmScan { .. } => {}
        }
    }
    Ok(())
}

/// `why` said of a trace entry: "trace entry at line L, column C: why".
pub(crate) fn at_step(
    step: &pagewalk_scenario::model::Step,
    why: pagewalk_text::Text,
) -> pagewalk_text::Text {
    pagewalk_text::Text::new("kvm-at-step")
        .arg("line", step.pos.line as u64)
        .arg("column", step.pos.col as u64)
        .arg("why", why)
}

/// The runtime's PML4 slot (its linear addresses start at `0xffff_ff80_0000_0000`).
pub const RUNTIME_PML4_SLOT: usize = 511;

/// Most address spaces the runtime can switch among (it names one in a byte).
pub const MAX_SPACES: usize = 256;

/// Guest-physical memory below this is the runtime's (GDT, IDT, TSS, stacks, code, tables).
pub const RUNTIME_GPA_END: u64 = 0x10_0000;

/// How many addresses a random pattern may have on KVM (the runtime's address table).
pub const MAX_TABLE_ADDRESSES: u64 = 0x60_000 / 8;

#[cfg(test)]
mod tests {
    use super::*;
    use pagewalk_core::{Counters, Event, EventSink, ExitReason, FaultOutcome, Gfn, Level};

    fn not_runnable(src: &str) -> String {
        let sc = pagewalk_scenario::parse("t.toml", src).expect("a valid scenario");
        match runnable(&sc) {
            Err(KvmError::NotRunnable(why)) => why.to_string(),
            other => panic!("expected not runnable, got {other:?}"),
        }
    }

    const HEAD: &str = "schema = 1\nname = \"x\"\nlesson = \"y\"\n[machine]\nmode = \"shadow\"\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\n";

    /// Scenarios that used to crash the guest (a triple fault), cut it off from its own code,
    /// or load the wrong CR3 are refused with the reason before any guest runs.
    #[test]
    fn the_runtime_is_protected_from_its_scenario() {
        let why = not_runnable(&format!(
            "{HEAD}[[trace]]\nop = \"read\"\ngva = \"0x0000_8000_0000_0000\"\n"
        ));
        assert!(why.contains("non-canonical"), "{why}");
        let why = not_runnable(&format!("{HEAD}[[trace]]\nop = \"strided\"\nstart = \"0x7fff_ffff_f000\"\nstride = \"4K\"\ncount = 2\n"));
        assert!(why.contains("non-canonical"), "{why}");
        let why = not_runnable(&format!(
            "{HEAD}[[trace]]\nop = \"read\"\ngva = \"0xffff_ff80_0000_1000\"\n"
        ));
        assert!(why.contains("slot 511"), "{why}");
        let why = not_runnable(&format!("{HEAD}[[trace]]\nop = \"pte_write\"\ngva = \"0xffff_ff80_0001_0000\"\nlevel = 4\nraw = 0\n"));
        assert!(why.contains("runtime") || why.contains("slot 511"), "{why}");
        let mut many = String::from(
            "schema = 1\nname = \"x\"\nlesson = \"y\"\n[machine]\nmode = \"shadow\"\n",
        );
        for i in 0..257 {
            many.push_str(&format!("[[space]]\nname = \"s{i}\"\n"));
        }
        let why = not_runnable(&many);
        assert!(why.contains("256"), "{why}");
    }

    /// The comparison reads the core's fold: events folded into `Counters` come out under
    /// KVM's names, each from its own counter, and every statistic compared is in the core's
    /// list. A second model in this crate would have to bypass `predicted` and fail here.
    #[test]
    fn the_comparison_reads_the_cores_fold() {
        let mut c = Counters::default();
        let outcomes = [
            (FaultOutcome::Fixed, 1),
            (FaultOutcome::Spurious, 2),
            (FaultOutcome::Emulated, 3),
            (FaultOutcome::Injected, 4),
            (FaultOutcome::Retry, 5),
        ];
        for (outcome, n) in outcomes {
            for _ in 0..n {
                c.event(&Event::FaultHandled { outcome });
            }
        }
        for _ in 0..6 {
            c.event(&Event::ShadowPageAlloc {
                gfn: Gfn::new(1),
                level: Level::L1,
                direct: false,
                hpa: pagewalk_core::Hpa::new(0),
            });
        }
        for _ in 0..7 {
            c.event(&Event::VmExit {
                reason: ExitReason::PageFault,
            });
        }
        let p = predicted(&c);
        assert_eq!(p.get("pf_taken"), 15);
        assert_eq!(
            (
                p.get("pf_fixed"),
                p.get("pf_spurious"),
                p.get("pf_emulate"),
                p.get("pf_guest")
            ),
            (1, 2, 3, 4)
        );
        assert_eq!((p.get("mmu_cache_miss"), p.get("exits")), (6, 7));
        let real = RealCounters(p.0.clone());
        let rows = compare(&real, &p);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        for (kvm, _) in pagewalk_core::KVM_STATS {
            assert!(
                names.contains(&kvm) || kvm == "exits",
                "{kvm} is not compared"
            );
        }
        assert!(rows.iter().all(|r| r.matches));
    }
}
