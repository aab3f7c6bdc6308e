//! Running a scenario: a [`Session`] steps through the trace one action at a time (what the web
//! app drives), and [`run`] takes it to the end and checks every expectation.

use crate::diag::{msg, Diagnostic, Diagnostics, Pos, Text};
use crate::lower::{build_vm, Built};
use crate::model::*;
use pagewalk_core::{
    Access, AccessKind, Content, Counters, EventSink, Fault, Gpa, Gva, Host, Level, Machine,
    MemInfo, Outcome, Privilege, SpaceId, TlbLevel, VmMemory,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// What one action did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// An access.
    Access {
        /// Trace entry (0-based).
        step: usize,
        /// The address.
        gva: Gva,
        /// What kind.
        access: Access,
        /// What came of it.
        outcome: Outcome,
    },
    /// Any other operation.
    Event {
        /// Trace entry (0-based).
        step: usize,
        /// A fault the operation raised (a MOV to CR3 with a reserved bit).
        fault: Option<Fault>,
    },
}

impl Action {
    /// The trace entry the action belongs to.
    pub fn step(&self) -> usize {
        match *self {
            Action::Access { step, .. } | Action::Event { step, .. } => step,
        }
    }
}

/// Runs `f` on a VM's machine with its guest stopped: a VM running now exits first and
/// enters again after; one stopped already stays so.
fn stopped<K: EventSink>(
    m: &mut Machine,
    running: bool,
    sink: &mut K,
    f: impl FnOnce(&mut Machine, &mut K) -> Result<(), pagewalk_core::MachineError>,
) -> Result<(), pagewalk_core::MachineError> {
    if running {
        m.while_stopped(sink, f)?
    } else {
        f(m, sink)
    }
}

/// A running scenario.
pub struct Session {
    scenario: Scenario,
    /// One machine per VM; all boot the same image.
    machines: Vec<Machine>,
    /// The VM in guest mode now (the others are stopped in an exit).
    running: usize,
    /// The host below them.
    host: Host,
    spaces: Vec<SpaceId>,
    step: usize,
    within: u64,
    rng: Option<ChaCha8Rng>,
    done: u64,
    /// The machine's work bound per action ([`Machine::work_per_access`]).
    per_access: u64,
}

fn access_of(kind: AccessKind, user: bool) -> Access {
    Access::new(
        kind,
        if user {
            Privilege::User
        } else {
            Privilege::Supervisor
        },
    )
}

/// The address and kind of action `i` of `op`, if `op` is an access or a pattern of them;
/// `rng` is the pattern's generator (`Random`), made on first use.
fn access_at(op: &Op, i: u64, rng: &mut Option<ChaCha8Rng>) -> Option<(u64, Access)> {
    match *op {
        Op::Access { gva, kind, user } => Some((gva, access_of(kind, user))),
        Op::Sequential {
            start,
            length,
            kind,
            user,
            ..
        } => {
            let per = length.div_ceil(8).max(1);
            Some((start.wrapping_add((i % per) * 8), access_of(kind, user)))
        }
        Op::Strided {
            start,
            stride,
            count,
            kind,
            user,
            ..
        } => Some((
            start.wrapping_add((i % count.max(1)).wrapping_mul(stride)),
            access_of(kind, user),
        )),
        Op::Random {
            start,
            span,
            seed,
            kind,
            user,
            ..
        } => {
            let rng = rng.get_or_insert_with(|| ChaCha8Rng::seed_from_u64(seed));
            let off = rng.random_range(0..span.max(8) / 8) * 8;
            Some((start.wrapping_add(off), access_of(kind, user)))
        }
        Op::WorkingSet {
            start,
            pages,
            stride,
            kind,
            user,
            ..
        } => Some((
            start.wrapping_add((i % pages.max(1)).wrapping_mul(stride)),
            access_of(kind, user),
        )),
        Op::VmExit { .. }
        | Op::Cr3 { .. }
        | Op::Invlpg { .. }
        | Op::Invpcid { .. }
        | Op::Invvpid { .. }
        | Op::Invept { .. }
        | Op::PteWrite { .. }
        | Op::SetAc { .. }
        | Op::SwapOut { .. }
        | Op::BalloonInflate { .. }
        | Op::BalloonDeflate { .. }
        | Op::KsmScan { .. } => None,
        Op::Fill { gva, .. } => Some((gva.wrapping_add(i * 4096), Access::USER_WRITE)),
    }
}

impl Session {
    /// Builds the machine of a scenario.
    pub fn new(scenario: Scenario) -> Result<Self, Diagnostic> {
        let Built { machine, spaces } = build_vm(&scenario, 0)?;
        let per_access = machine.work_per_access();
        let mut machines = vec![machine];
        for vm in 1..scenario.host.vms {
            let mut m = build_vm(&scenario, vm)?.machine;
            m.set_vm_number(vm as u64);
            machines.push(m);
        }
        let mut host = Host::new(scenario.host.spec, machines.len());
        if let Some((gpa, size)) = scenario.host.mergeable {
            for vm in 0..machines.len() {
                host.mark_mergeable(vm, Gpa::new(gpa), size);
            }
        }
        Ok(Self {
            per_access,
            scenario,
            machines,
            running: 0,
            host,
            spaces,
            step: 0,
            within: 0,
            rng: None,
            done: 0,
        })
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The machine of the VM that ran last, for views.
    pub fn machine(&self) -> &Machine {
        &self.machines[self.running]
    }

    /// Every VM's machine.
    pub fn machines(&self) -> &[Machine] {
        &self.machines
    }

    /// The VM that ran last (0-based).
    pub fn running_vm(&self) -> usize {
        self.running
    }

    /// The host below the VMs.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The host's simulated `/proc/meminfo`.
    pub fn meminfo(&self) -> MemInfo {
        self.host.meminfo(&self.machines)
    }

    /// Each VM's memory as the host sees it.
    pub fn vm_memory(&self) -> Vec<VmMemory> {
        self.machines
            .iter()
            .enumerate()
            .map(|(i, m)| self.host.vm_memory(i, m))
            .collect()
    }

    /// The trace entry the next action belongs to.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Actions taken so far.
    pub fn actions_done(&self) -> u64 {
        self.done
    }

    /// The next access the trace makes (skipping actions that are not accesses), computed
    /// without taking it: what predict-then-reveal asks about.
    pub fn upcoming(&self) -> Option<(Gva, Access)> {
        let mut rng = self.rng.clone();
        let mut within = self.within;
        for entry in self.scenario.trace.iter().skip(self.step) {
            if within < entry.op.actions() {
                if let Some((gva, access)) = access_at(&entry.op, within, &mut rng) {
                    return Some((Gva::new(gva), access));
                }
            }
            within = 0;
            rng = None;
        }
        None
    }

    /// Whether the trace is finished.
    pub fn finished(&self) -> bool {
        self.step >= self.scenario.trace.len()
    }

    fn advance(&mut self, total: u64) {
        self.within += 1;
        if self.within >= total {
            self.step += 1;
            self.within = 0;
            self.rng = None;
        }
    }

    /// Takes the next action, reporting its events to `sink`; `None` at the end.
    pub fn next<K: EventSink>(&mut self, sink: &mut K) -> Result<Option<Action>, Diagnostic> {
        let Some(entry) = self.scenario.trace.get(self.step) else {
            return Ok(None);
        };
        let (step, pos, i) = (self.step, entry.pos, self.within);
        // The hypervisor's own flushes are known only as the run goes: the budget is checked
        // as it goes too (one multiply-add per action).
        let work = self
            .machines
            .iter()
            .map(Machine::work)
            .fold(0u64, u64::saturating_add)
            .saturating_add(self.done.saturating_mul(self.per_access));
        if work > self.scenario.limits.max_work {
            return Err(Diagnostic::new(
                pos,
                msg!(
                    "diag-work-budget-used",
                    limit = self.scenario.limits.max_work,
                    done = self.done
                ),
            )
            .hint(Text::new("diag-hint-work-budget-used")));
        }
        let total = entry.op.actions();
        if total == 0 {
            self.step += 1;
            self.within = 0;
            return Ok(Some(Action::Event { step, fault: None }));
        }
        let err = |e: pagewalk_core::MachineError| {
            Diagnostic::new(pos, msg!("diag-machine-error", error = e.text()))
                .hint(Text::new("diag-hint-cannot-run"))
        };
        let vm = entry.vm.min(self.machines.len() - 1);
        if vm != self.running && !entry.op.is_host() {
            // One vCPU thread runs one VM at a time: the one running stops, this one enters.
            self.machines[self.running].stop(sink).map_err(err)?;
            self.machines[vm].resume(sink);
            self.running = vm;
        }
        let access = access_at(&entry.op, i, &mut self.rng);
        if let Some((gva, access)) = access {
            let m = &mut self.machines[vm];
            let outcome = match entry.op {
                Op::Fill { pattern, .. } => {
                    // "distinct": every word of the page holds the page's address.
                    let content = Content::Pattern(pattern.unwrap_or(gva));
                    m.fill(Gva::new(gva), content, sink)
                }
                _ => m.access(Gva::new(gva), access, sink),
            }
            .map_err(err)?;
            self.done += 1;
            self.advance(total);
            return Ok(Some(Action::Access {
                step,
                gva: Gva::new(gva),
                access,
                outcome,
            }));
        }
        let mut fault = None;
        let running = vm == self.running;
        let (machines, host) = (&mut self.machines, &mut self.host);
        // The host works while the guest is stopped: the VM running exits first and enters
        // again after (which services the flush the MMU notifier asked for).
        if let Op::SwapOut { gpa, size } = entry.op {
            if running {
                machines[vm].stop(sink).map_err(err)?;
            }
            let r = host.page_out(machines, vm, Gpa::new(gpa), size, sink);
            if running {
                machines[vm].resume(sink);
            }
            r.map_err(err)?;
            self.done += 1;
            self.advance(total);
            return Ok(Some(Action::Event { step, fault: None }));
        }
        let machine = &mut machines[vm];
        match entry.op {
            // Taken above.
            Op::SwapOut { .. } => Ok(()),
            Op::BalloonInflate { gpa, pages } => stopped(machine, running, sink, |m, sink| {
                host.balloon_inflate(vm, m, Gpa::new(gpa), pages, sink)
                    .map(drop)
            }),
            Op::BalloonDeflate { pages } => {
                host.balloon_deflate(vm, pages, sink);
                Ok(())
            }
            Op::KsmScan { passes } => {
                let run = self.running;
                machines[run].stop(sink).map_err(err)?;
                let r = host.ksm_scan(machines, passes, sink);
                machines[run].resume(sink);
                r
            }
            Op::VmExit { .. } => machine.vm_exit_and_entry(sink),
            Op::Cr3 {
                space,
                noflush,
                from_guest,
            } => {
                let id = self.spaces[space.min(self.spaces.len() - 1)];
                if from_guest || !machine.config().mode.is_virtualized() {
                    machine.mov_cr3(id, noflush, sink).map(|f| fault = f)
                } else {
                    machine.host_load_cr3(id, sink)
                }
            }
            Op::Invlpg { gva } => machine.invlpg(Gva::new(gva), sink),
            Op::Invpcid { kind, pcid, gva } => machine.invpcid(kind, pcid, Gva::new(gva), sink),
            Op::Invvpid { kind, vpid, gva } => machine.invvpid(kind, vpid, Gva::new(gva), sink),
            Op::Invept { kind } => machine.invept(kind, sink),
            Op::PteWrite {
                space,
                gva,
                level,
                value,
            } => {
                let id = self.spaces[space.min(self.spaces.len() - 1)];
                let level = Level::from_number(level).unwrap_or(Level::L1);
                let gpa = machine
                    .guest_entry_gpa(id, Gva::new(gva), level)
                    .map_err(err)?;
                let old = machine.read_guest(gpa).map_err(err)?;
                machine.write_guest_pte(id, Gva::new(gva), level, value.apply(old, 0), sink)
            }
            Op::SetAc { value } => {
                machine.set_ac(value);
                Ok(())
            }
            // Accesses returned above.
            Op::Fill { .. }
            | Op::Access { .. }
            | Op::Sequential { .. }
            | Op::Strided { .. }
            | Op::Random { .. }
            | Op::WorkingSet { .. } => Ok(()),
        }
        .map_err(err)?;
        self.done += 1;
        self.advance(total);
        Ok(Some(Action::Event { step, fault }))
    }
}

/// One failed expectation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Where the expectation is written.
    pub pos: Pos,
    /// What was expected and what happened.
    pub message: String,
}

/// What one trace entry did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepReport {
    /// Index (0-based).
    pub index: usize,
    /// Its caption.
    pub label: Option<String>,
    /// Counters of this entry alone.
    pub counters: Counters,
    /// The last access's outcome, if the entry made accesses.
    pub last: Option<Outcome>,
    /// The last access's address.
    pub last_gva: Option<Gva>,
    /// The guest entries on the last access's path after the step (level, guest-physical
    /// address of the entry, value), top first: their A/D flags show what the walk (or the
    /// hypervisor) set.
    pub path: Vec<(Level, pagewalk_core::Gpa, u64)>,
}

/// The host's side at a point of a run: `/proc/meminfo` and each VM's memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostReport {
    /// The simulated `/proc/meminfo`.
    pub meminfo: MemInfo,
    /// Each VM's memory as the host sees it.
    pub vms: Vec<VmMemory>,
}

impl HostReport {
    /// A host value by expectation key (`HugePages_Free`, `vm2.resident`).
    pub fn get(&self, key: &str) -> Option<u64> {
        if let Some((vm, field)) = key.split_once('.') {
            let n: usize = vm.strip_prefix("vm")?.parse().ok()?;
            return self.vms.get(n.checked_sub(1)?)?.get(field);
        }
        self.meminfo.get(key)
    }
}

impl Session {
    /// The host's side now (virtualized machines only).
    pub fn host_report(&self) -> Option<HostReport> {
        self.machine()
            .config()
            .mode
            .is_virtualized()
            .then(|| HostReport {
                meminfo: self.meminfo(),
                vms: self.vm_memory(),
            })
    }
}

/// The result of a whole run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Scenario name.
    pub name: String,
    /// Final counters.
    pub counters: Counters,
    /// Per-entry results.
    pub steps: Vec<StepReport>,
    /// Expectations that held.
    pub passed: usize,
    /// Expectations that failed.
    pub failures: Vec<Failure>,
    /// The host's side at the end (virtualized machines).
    pub host: Option<HostReport>,
    /// The scenario has a host side worth showing ([`Scenario::has_host_side`]).
    pub host_side: bool,
}

fn fault_kind(o: &Outcome) -> FaultKind {
    match o.result {
        Ok(_) => FaultKind::None,
        Err(Fault::PageFault { .. }) => FaultKind::PageFault,
        Err(Fault::EptViolation { .. }) => FaultKind::EptViolation,
        Err(Fault::EptMisconfig { .. }) => FaultKind::EptMisconfig,
        Err(Fault::NestedPageFault { .. }) => FaultKind::NestedPageFault,
        Err(Fault::NonCanonical { .. } | Fault::Cr3Reserved { .. }) => FaultKind::GeneralProtection,
    }
}

fn check_step(x: &StepExpect, r: &StepReport, pos: Pos, out: &mut Vec<Failure>) -> usize {
    let mut passed = 0;
    let mut check = |ok: bool, what: String| {
        if ok {
            passed += 1;
        } else {
            out.push(Failure { pos, message: what });
        }
    };
    let n = r.index + 1;
    let last = r.last;
    if let Some(t) = x.tlb {
        let got = last.and_then(|o| o.tlb_hit);
        let ok = match t {
            TlbExpect::Hit => got.is_some(),
            TlbExpect::L1 => got == Some(TlbLevel::L1),
            TlbExpect::L2 => got == Some(TlbLevel::L2),
            TlbExpect::Miss => last.is_some() && got.is_none(),
        };
        check(ok, format!("step {n}: expected TLB {t:?}, got {got:?}"));
    }
    if let Some(f) = x.fault {
        let got = last.map(|o| fault_kind(&o));
        let what = match last.map(|o| o.result) {
            Some(Err(fault)) => fault.to_string(),
            Some(Ok(h)) => format!("no fault (HPA {h})"),
            None => "no access".to_owned(),
        };
        check(
            got == Some(f),
            format!("step {n}: expected fault {f:?}, got {what}"),
        );
    }
    if let Some(code) = x.error_code {
        let got = last.and_then(|o| match o.result {
            Err(Fault::PageFault { code, .. }) | Err(Fault::NestedPageFault { code, .. }) => {
                Some(code.bits())
            }
            _ => None,
        });
        check(
            got == Some(code),
            format!("step {n}: expected error code {code:#x}, got {got:x?}"),
        );
    }
    if let Some(q) = x.qualification {
        let got = last.and_then(|o| match o.result {
            Err(Fault::EptViolation { qual, .. }) => Some(qual.bits()),
            _ => None,
        });
        check(
            got == Some(q),
            format!("step {n}: expected exit qualification {q:#x}, got {got:x?}"),
        );
    }
    if let Some(h) = x.hpa {
        let got = last.and_then(|o| o.result.ok()).map(|h| h.raw());
        check(
            got == Some(h),
            format!("step {n}: expected HPA {h:#x}, got {got:x?}"),
        );
    }
    for (k, v) in &x.counters {
        let got = r.counters.get(k).unwrap_or(0);
        check(
            got == *v,
            format!("step {n}: expected {k} = {v} in this step, got {got}"),
        );
    }
    passed
}

/// Runs a scenario to the end and checks its expectations; `progress` is called now and
/// then with (actions done, total).
pub fn run_with_progress(
    file: &str,
    scenario: Scenario,
    mut progress: impl FnMut(u64, u64),
) -> Result<Report, Diagnostics> {
    let fail = |d: Diagnostic| Diagnostics {
        file: file.to_owned(),
        items: vec![d],
    };
    let total = scenario.total_actions();
    let mut session = Session::new(scenario).map_err(fail)?;
    let mut counters = Counters::new(session.scenario().machine.cost);
    let mut before = counters;
    let mut steps = Vec::with_capacity(session.scenario().trace.len());
    let mut after: Vec<Counters> = Vec::with_capacity(steps.capacity());
    // The host's side after each entry, when an expectation asks for it after one.
    let host_after = session
        .scenario()
        .expects
        .iter()
        .any(|x| x.after.is_some() && Counters::default().get(&x.counter).is_none());
    let mut hosts: Vec<Option<HostReport>> = Vec::new();
    let mut last: Option<(Option<Gva>, Outcome)> = None;
    while let Some(a) = session.next(&mut counters).map_err(fail)? {
        match a {
            Action::Access { gva, outcome, .. } => last = Some((Some(gva), outcome)),
            Action::Event { fault: Some(f), .. } => {
                last = Some((
                    None,
                    Outcome {
                        result: Err(f),
                        tlb_hit: None,
                    },
                ))
            }
            Action::Event { .. } => {}
        }
        if session.step() != a.step() {
            let entry = &session.scenario().trace[a.step()];
            let last = last.take();
            steps.push(StepReport {
                index: a.step(),
                label: entry.label.clone(),
                counters: counters.since(&before),
                last: last.map(|(_, o)| o),
                last_gva: last.and_then(|(g, _)| g),
                path: last
                    .and_then(|(g, _)| g)
                    .map_or_else(Vec::new, |g| session.machine().guest_path(g)),
            });
            after.push(counters);
            if host_after {
                hosts.push(session.host_report());
            }
            before = counters;
        }
        if session.actions_done() % (1 << 16) == 0 {
            progress(session.actions_done(), total);
        }
    }
    progress(total, total);
    let sc = session.scenario();
    let mut failures = Vec::new();
    let mut passed = 0;
    for (r, entry) in steps.iter().zip(&sc.trace) {
        if let Some(x) = &entry.expect {
            passed += check_step(x, r, entry.pos, &mut failures);
        }
    }
    let host = session.host_report();
    for x in &sc.expects {
        let source = match x.after {
            Some(n) => after.get(n - 1).unwrap_or(&counters),
            None => &counters,
        };
        let host_now = match x.after {
            Some(n) => hosts.get(n - 1).cloned().flatten(),
            None => host.clone(),
        };
        let got = source
            .get(&x.counter)
            .or_else(|| host_now.as_ref().and_then(|h| h.get(&x.counter)))
            .unwrap_or(0);
        if x.compare.holds(got) {
            passed += 1;
        } else {
            let when = x
                .after
                .map_or("at the end".to_owned(), |n| format!("after step {n}"));
            failures.push(Failure {
                pos: x.pos,
                message: format!("{} {when}: expected {}, got {got}", x.counter, x.compare),
            });
        }
    }
    Ok(Report {
        name: sc.name.clone(),
        counters,
        steps,
        passed,
        failures,
        host,
        host_side: sc.has_host_side(),
    })
}

/// Runs a scenario to the end and checks its expectations.
pub fn run(file: &str, scenario: Scenario) -> Result<Report, Diagnostics> {
    run_with_progress(file, scenario, |_, _| {})
}
