//! The app's state and view models, pure and tested natively: a scenario loaded into a
//! player that records each action's events so stepping back is free, and the URL contract.

use crate::i18n::Lang;
use pagewalk_core::view::{address_fields, walk_grid, AddressField, WalkGrid};
use pagewalk_core::{CostModel, Counters, Event, Recorder, TlbSlot};
pub use pagewalk_scenario::run::HostReport;
use pagewalk_scenario::{parse, Action, Diagnostics, Scenario, Session};

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// How many actions are recorded for stepping; "run to end" goes on without events.
pub const RECORD_LIMIT: usize = 5000;

/// One recorded action and what the machine looked like after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The action.
    pub action: Action,
    /// Its events.
    pub events: Vec<Event>,
    /// Cumulative counters after it.
    pub counters: Counters,
    /// The TLB after it: its first [`TLB_SHOWN`] entries (a full copy per step would cost
    /// megabytes over a long recording).
    pub tlb: Vec<TlbSlot>,
    /// How many entries the TLB held.
    pub tlb_len: usize,
    /// For each kept TLB entry of the current context: whether the tables now say otherwise.
    pub stale: Vec<bool>,
    /// For each kept TLB entry: whether this action hit it or filled it (the view flashes it).
    pub marks: Vec<TlbMark>,
    /// For an access, the size of the page the guest's tables map it with (what its bit fields
    /// split by), not the TLB entry's, which is the smaller of guest and host pages.
    pub guest_page: Option<pagewalk_core::PageSize>,
    /// Under shadow paging, for an access: the guest's entries (level, GPA, value,
    /// write-protected) and the shadow entries (level, HPA, value) on its path.
    pub shadow: Option<ShadowView>,
    /// The host's `/proc/meminfo` and each VM's memory after this action, for a scenario
    /// with a host side ([`Player::has_host`]); `None` until worked out (a report costs a pass
    /// over every host page, so a long seek keeps only the last [`HOST_AROUND`] actions'
    /// and [`Player::host_report`] fills the others in when they are shown).
    pub host: Option<HostReport>,
}

/// How many frames on each side of the step shown get a host report when it has none.
pub const HOST_AROUND: usize = 64;

/// The guest table and the shadow table side by side, for one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShadowView {
    /// Guest entries: level, guest-physical address, value, whether its page is write-protected.
    pub guest: Vec<(pagewalk_core::Level, pagewalk_core::Gpa, u64, bool)>,
    /// Shadow entries: level, host-physical address, value.
    pub shadow: Vec<(pagewalk_core::Level, pagewalk_core::Hpa, u64)>,
}

/// How many TLB entries a frame keeps for display.
pub const TLB_SHOWN: usize = 48;

/// A scenario being played.
pub struct Player {
    /// The scenario.
    pub scenario: Scenario,
    session: Session,
    /// Recorded frames, in order: a window of at most [`RECORD_LIMIT`] actions, the first
    /// of which is action `base + 1`.
    pub frames: Vec<Frame>,
    /// Actions run before the first recorded frame.
    pub base: usize,
    /// The counters after those `base` actions.
    base_counters: Counters,
    /// The host's side after those `base` actions (scenarios with a host side).
    base_host: Option<HostReport>,
    /// The scenario has a host side worth a panel: see [`Player::has_host`].
    host_side: bool,
    /// The action shown (0 = before the first action), counted from the start of the trace.
    pub cursor: usize,
    /// Total actions of the trace.
    pub total: u64,
    /// An error the run hit (a limit, an entry that cannot run), said in the learner's
    /// language when shown.
    pub error: Option<pagewalk_scenario::Diagnostic>,
}

impl Player {
    /// Loads a scenario; errors are the file's diagnostics.
    pub fn load(name: &str, text: &str) -> Result<Player, Diagnostics> {
        let scenario = parse(name, text)?;
        let total = scenario.total_actions();
        let session = Session::new(scenario.clone()).map_err(|d| Diagnostics {
            file: name.to_owned(),
            items: vec![d],
        })?;
        let base_counters = Counters::new(scenario.machine.cost);
        let host_side = scenario.has_host_side();
        let base_host = session.host_report().filter(|_| host_side);
        Ok(Player {
            scenario,
            session,
            frames: Vec::new(),
            base: 0,
            base_counters,
            base_host,
            host_side,
            cursor: 0,
            total,
            error: None,
        })
    }

    /// Actions run so far (recorded or not).
    fn executed(&self) -> usize {
        self.base + self.frames.len()
    }

    /// The counters after every action run so far.
    fn last_counters(&self) -> Counters {
        self.frames
            .last()
            .map_or(self.base_counters, |f| f.counters)
    }

    /// Records the next action; with `with_host`, also the host's report after it (when the
    /// scenario has a host side).
    fn record_next(&mut self, with_host: bool) -> bool {
        if self.error.is_some() {
            return false;
        }
        if self.frames.len() >= RECORD_LIMIT {
            // Keep a window: the oldest half goes, the cursor can still step back through
            // the rest, and further back is replayed from the start.
            let drop = RECORD_LIMIT / 2;
            self.base_counters = self.frames[drop - 1].counters;
            self.base_host = self.frames[drop - 1].host.take();
            self.frames.drain(..drop);
            self.base += drop;
        }
        let mut rec = Recorder::new(self.scenario.machine.cost);
        rec.counters = self.last_counters();
        match self.session.next(&mut rec) {
            Ok(Some(action)) => {
                let m = self.session.machine();
                let mut tlb = m.tlb_slots();
                let tlb_len = tlb.len();
                tlb.truncate(TLB_SHOWN);
                let (stale, marks) = tlb_annotations(m, Some((&action, &rec.events)), &tlb);
                let shadow = match action {
                    Action::Access { gva, .. }
                        if self.scenario.machine.mode == pagewalk_core::Mode::Shadow =>
                    {
                        Some(ShadowView {
                            guest: m
                                .guest_path(gva)
                                .into_iter()
                                .map(|(l, g, v)| (l, g, v, m.is_write_protected(g.frame())))
                                .collect(),
                            shadow: m.shadow_path(gva),
                        })
                    }
                    _ => None,
                };
                let guest_page = match action {
                    Action::Access { gva, .. } => m.guest_page_size(gva),
                    Action::Event { .. } => None,
                };
                let host = if with_host && self.host_side {
                    self.session.host_report()
                } else {
                    None
                };
                self.frames.push(Frame {
                    host,
                    guest_page,
                    action,
                    events: rec.events,
                    counters: rec.counters,
                    tlb,
                    tlb_len,
                    stale,
                    marks,
                    shadow,
                });
                true
            }
            Ok(None) => false,
            Err(d) => {
                self.error = Some(d);
                false
            }
        }
    }

    /// One step forward (recording the next action if needed).
    pub fn step(&mut self) -> bool {
        if self.cursor < self.executed() {
            self.cursor += 1;
            self.fill_host();
            return true;
        }
        if self.record_next(true) {
            self.cursor = self.executed();
            true
        } else {
            false
        }
    }

    /// Steps until an access has run and returns what it did (`None` at the end).
    pub fn step_to_access(&mut self, lang: Lang) -> Option<Reveal> {
        while self.step() {
            if let Some(r) = self.current().and_then(|f| Reveal::of(f, lang)) {
                return Some(r);
            }
        }
        None
    }

    /// The next access after the step shown (its address and kind), without taking it: what
    /// predict mode asks about. From the recorded frames when the learner stepped back, else
    /// from the session.
    pub fn upcoming(&self) -> Option<(pagewalk_core::Gva, pagewalk_core::Access)> {
        let recorded = self.cursor.saturating_sub(self.base);
        for f in self.frames.iter().skip(recorded) {
            if let Action::Access { gva, access, .. } = f.action {
                return Some((gva, access));
            }
        }
        self.session.upcoming()
    }

    /// One step back.
    pub fn back(&mut self) {
        let n = self.cursor.saturating_sub(1);
        self.seek(n);
    }

    /// Goes to action `n` of the trace, any of them: the actions before the recorded window
    /// are run again from the start without recording, then a window of frames is recorded
    /// up to `n`, so the counters always agree with the step shown.
    pub fn seek(&mut self, n: usize) {
        let n = n.min(usize::try_from(self.total).unwrap_or(usize::MAX));
        if n < self.base {
            // Before the window: start again.
            match Session::new(self.scenario.clone()) {
                Ok(s) => self.session = s,
                Err(d) => {
                    self.error = Some(d);
                    return;
                }
            }
            self.frames.clear();
            self.base = 0;
            self.base_counters = Counters::new(self.scenario.machine.cost);
            self.base_host = self.host_now();
            self.error = None;
        }
        // Far ahead: run without recording up to half a window before `n`.
        let skip_to = n.saturating_sub(RECORD_LIMIT / 2);
        if skip_to > self.executed() {
            let mut c = self.last_counters();
            let mut done = self.executed();
            while done < skip_to {
                match self.session.next(&mut c) {
                    Ok(Some(_)) => done += 1,
                    Ok(None) => break,
                    Err(d) => {
                        self.error = Some(d);
                        break;
                    }
                }
            }
            self.frames.clear();
            self.base = done;
            self.base_counters = c;
            self.base_host = self.host_now();
        }
        // Only the last actions before `n` get a host report now: the learner sees `n`
        // and steps near it; [`Player::fill_host`] works out any other when it is shown.
        while self.executed() < n {
            let near = n - self.executed() <= HOST_AROUND;
            if !self.record_next(near) {
                break;
            }
        }
        self.cursor = n.min(self.executed()).max(self.base);
        self.fill_host();
    }

    /// Runs the whole trace and shows its last action.
    pub fn run_to_end(&mut self) {
        self.seek(usize::try_from(self.total).unwrap_or(usize::MAX));
        // The trace may hold fewer actions than its patterns promise (an error stops it).
        while self.record_next(true) {}
        self.cursor = self.executed();
        self.fill_host();
    }

    /// Whether the scenario has a host side worth showing: a virtualized machine with an
    /// operation of the host in its trace (swap, balloon, KSM), more than one VM, or guest RAM
    /// on hugetlbfs.
    pub fn has_host(&self) -> bool {
        self.host_side
    }

    /// The host's report now (after every action run so far), for a scenario with a host side.
    fn host_now(&self) -> Option<HostReport> {
        self.session.host_report().filter(|_| self.host_side)
    }

    /// The host's `/proc/meminfo` and each VM's memory after the action shown (`None` for a
    /// scenario without a host side): recorded with the frame, or, for an action a long seek
    /// ran past, worked out again by a replay.
    pub fn host_report(&self) -> Option<HostReport> {
        if !self.host_side {
            return None;
        }
        if let Some(h) = self.host_at(self.cursor) {
            return Some(h.clone());
        }
        if self.cursor == self.executed() {
            return self.host_now();
        }
        let mut session = Session::new(self.scenario.clone()).ok()?;
        let mut c = Counters::new(self.scenario.machine.cost);
        for _ in 0..self.cursor {
            if !matches!(session.next(&mut c), Ok(Some(_))) {
                return None;
            }
        }
        session.host_report()
    }

    /// The host's report before the action shown, when it is recorded (to mark what the step
    /// changed); `None` at the start.
    pub fn host_report_before(&self) -> Option<HostReport> {
        self.host_at(self.cursor.checked_sub(1)?).cloned()
    }

    /// The recorded report after action `k`, if there is one.
    fn host_at(&self, k: usize) -> Option<&HostReport> {
        if k == self.base {
            return self.base_host.as_ref();
        }
        self.frames
            .get(k.checked_sub(self.base + 1)?)?
            .host
            .as_ref()
    }

    /// Makes sure the step shown has its host report: when it has none (a long seek ran past
    /// it), a fresh session is run to it and the reports of the [`HOST_AROUND`] actions on
    /// each side are kept, so stepping near it costs nothing more.
    fn fill_host(&mut self) {
        if !self.host_side || self.host_at(self.cursor).is_some() {
            return;
        }
        if self.cursor == self.executed() {
            let now = self.host_now();
            self.set_host(self.cursor, now);
            return;
        }
        let Ok(mut session) = Session::new(self.scenario.clone()) else {
            return;
        };
        let mut c = Counters::new(self.scenario.machine.cost);
        let lo = self.cursor.saturating_sub(HOST_AROUND).max(self.base);
        let hi = (self.cursor + HOST_AROUND).min(self.executed());
        for k in 0..=hi {
            if k >= lo && self.host_at(k).is_none() {
                self.set_host(k, session.host_report());
            }
            if k < hi && !matches!(session.next(&mut c), Ok(Some(_))) {
                return;
            }
        }
    }

    fn set_host(&mut self, k: usize, report: Option<HostReport>) {
        if k == self.base {
            self.base_host = report;
        } else if let Some(f) = k
            .checked_sub(self.base + 1)
            .and_then(|i| self.frames.get_mut(i))
        {
            f.host = report;
        }
    }

    /// The counters before the action shown (`None` at the start of the recorded window):
    /// with [`Player::counters`], what the step changed.
    pub fn counters_before(&self) -> Option<Counters> {
        let i = self.cursor.checked_sub(self.base + 1)?;
        Some(if i == 0 {
            self.base_counters
        } else {
            self.frames.get(i - 1)?.counters
        })
    }

    /// Whether every action has run.
    pub fn finished(&self) -> bool {
        self.session.finished() && self.cursor == self.executed()
    }

    /// Every TLB entry after the action shown, with its staleness and what this action did
    /// to it: frames keep only the first [`TLB_SHOWN`], so the rest is read from the machine,
    /// which is at the step shown when the learner steps forward, and otherwise is replayed
    /// to it on a fresh session (unrecorded, so at the speed of a run).
    pub fn full_tlb(&self) -> Vec<(TlbSlot, bool, TlbMark)> {
        let frame = self.current();
        let rows = |m: &pagewalk_core::Machine| {
            let slots = m.tlb_slots();
            let (stale, marks) =
                tlb_annotations(m, frame.map(|f| (&f.action, &f.events[..])), &slots);
            slots
                .into_iter()
                .zip(stale)
                .zip(marks)
                .map(|((s, stale), mark)| (s, stale, mark))
                .collect()
        };
        if self.cursor == self.executed() {
            return rows(self.session.machine());
        }
        let Ok(mut session) = Session::new(self.scenario.clone()) else {
            return Vec::new();
        };
        let mut c = Counters::new(self.scenario.machine.cost);
        for _ in 0..self.cursor {
            if !matches!(session.next(&mut c), Ok(Some(_))) {
                break;
            }
        }
        rows(session.machine())
    }

    /// The frame shown, if any.
    pub fn current(&self) -> Option<&Frame> {
        self.cursor
            .checked_sub(self.base + 1)
            .and_then(|i| self.frames.get(i))
    }

    /// The counters to show: those after the action shown.
    pub fn counters(&self) -> Counters {
        self.current().map_or(self.base_counters, |f| f.counters)
    }

    /// The bit fields of the current access's address.
    pub fn address(&self, lang: Lang) -> Option<Vec<AddressField>> {
        let f = self.current()?;
        let Action::Access { gva, .. } = f.action else {
            return None;
        };
        let size = f.guest_page.unwrap_or(pagewalk_core::PageSize::Size4K);
        Some(address_fields(
            gva,
            self.scenario.machine.guest_levels,
            size,
            lang,
        ))
    }

    /// The 2D grid of the current access, under EPT or NPT.
    pub fn grid(&self, lang: Lang) -> Option<WalkGrid> {
        let f = self.current()?;
        walk_grid(
            &f.events,
            self.scenario.machine.guest_levels,
            self.scenario.machine.stage2_levels,
            lang,
        )
    }
}

/// Values over the recorded steps, for charts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// TLB misses per access so far.
    pub miss_rate: Vec<f64>,
    /// Page-table references per access so far.
    pub refs_per_access: Vec<f64>,
    /// Cycles so far, by kind, in the order of [`CYCLE_KINDS`].
    pub cycles: [Vec<f64>; 4],
}

/// Most points a chart draws.
pub const CHART_POINTS: usize = 240;

impl Player {
    /// The chart series up to the step shown (sampled to [`CHART_POINTS`]).
    pub fn series(&self) -> Series {
        let shown = &self.frames[..self.cursor.saturating_sub(self.base).min(self.frames.len())];
        let stride = shown.len().div_ceil(CHART_POINTS).max(1);
        let mut s = Series::default();
        // Thinned to at most CHART_POINTS, keeping the first step and the step shown, so the
        // chart spans exactly the steps its axis names.
        let last = shown.len().saturating_sub(1);
        let picked = (0..shown.len())
            .step_by(stride)
            .chain((last % stride != 0).then_some(last));
        for f in picked.map(|i| &shown[i]) {
            let c = &f.counters;
            let acc = c.accesses.max(1) as f64;
            s.miss_rate.push(c.tlb_misses as f64 / acc);
            s.refs_per_access.push(c.memory_refs() as f64 / acc);
            for (line, (_, _, cycles)) in s.cycles.iter_mut().zip(CYCLE_KINDS) {
                line.push(cycles(c) as f64);
            }
        }
        s
    }
}

/// One of the cost model's cycle figures.
pub type CycleFigure = fn(&Counters) -> u64;

/// The kinds of cycles the charts and comparisons show: legend name, CSS class (one colour
/// per kind everywhere), and the cost model's figure.
pub const CYCLE_KINDS: [(&str, &str, CycleFigure); 4] = [
    ("walks", "walk", Counters::cycles_walk),
    ("VM exits", "vm", Counters::cycles_vm_exit),
    ("hypervisor work", "hv", Counters::cycles_hypervisor),
    ("TLB and caches", "tlbc", Counters::cycles_tlb),
];

/// SVG polyline points for values scaled into a `w` x `h` box (0 at the bottom).
pub fn polyline(values: &[f64], max: f64, w: f64, h: f64) -> String {
    let n = values.len().max(2) - 1;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = w * i as f64 / n as f64;
            let y = h - h * (v / max.max(f64::MIN_POSITIVE)).clamp(0.0, 1.0);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How one TLB row changed in a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbMark {
    /// Untouched.
    Untouched,
    /// The access was served by this entry.
    Hit,
    /// The walk stored this entry.
    Fill,
}

/// Which rows of `tlb` the action hit or filled: a fill matches a `TlbFill` event exactly; the
/// hit is the slot the core says served the access (`Machine::tlb_hit_slot`).
fn tlb_marks(events: &[Event], tlb: &[TlbSlot], hit: Option<TlbSlot>) -> Vec<TlbMark> {
    tlb.iter()
        .map(|s| {
            let e = &s.entry;
            let filled = events.iter().any(|ev| {
                matches!(ev, Event::TlbFill { gva, hpa, size, .. }
                    if *gva == e.gva() && *hpa == e.hpa && *size == e.size)
            });
            if filled {
                TlbMark::Fill
            } else if hit.is_some_and(|h| (h.array, h.set, h.way) == (s.array, s.set, s.way)) {
                TlbMark::Hit
            } else {
                TlbMark::Untouched
            }
        })
        .collect()
}

/// For each of `slots` (the machine's TLB after the step): whether it is stale, and what the
/// step (`action` with its events, if there was one) did to it. Frames and "see all" both
/// take their rows from here.
fn tlb_annotations(
    m: &pagewalk_core::Machine,
    step: Option<(&Action, &[Event])>,
    slots: &[TlbSlot],
) -> (Vec<bool>, Vec<TlbMark>) {
    let stale = slots.iter().map(|s| m.is_stale(&s.entry)).collect();
    let marks = match step {
        Some((action, events)) => tlb_marks(events, slots, hit_slot(m, action)),
        None => vec![TlbMark::Untouched; slots.len()],
    };
    (stale, marks)
}

/// The slot that served `action`, if it was a TLB hit, from the machine after it.
fn hit_slot(m: &pagewalk_core::Machine, action: &Action) -> Option<TlbSlot> {
    match action {
        Action::Access {
            gva,
            access,
            outcome,
            ..
        } => outcome
            .tlb_hit
            .and_then(|level| m.tlb_hit_slot(*gva, access.is_fetch(), level)),
        Action::Event { .. } => None,
    }
}

/// The kinds of outcome a learner can predict; the reveal names the exact fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultClass {
    /// The access completed.
    NoFault,
    /// #PF to the guest (or native) OS.
    PageFault,
    /// A stage-2 fault, a VM exit: EPT violation or misconfiguration, or AMD's nested #PF.
    Stage2,
    /// #GP for a non-canonical address.
    GeneralProtection,
}

impl FaultClass {
    /// Every class, in the order the buttons show them.
    pub const ALL: [FaultClass; 4] = [
        FaultClass::NoFault,
        FaultClass::PageFault,
        FaultClass::Stage2,
        FaultClass::GeneralProtection,
    ];

    /// The class of an access's result.
    pub fn of(result: &Result<pagewalk_core::Hpa, pagewalk_core::Fault>) -> Self {
        use pagewalk_core::Fault;
        match result {
            Ok(_) => FaultClass::NoFault,
            Err(Fault::PageFault { .. }) => FaultClass::PageFault,
            Err(Fault::NonCanonical { .. } | Fault::Cr3Reserved { .. }) => {
                FaultClass::GeneralProtection
            }
            Err(_) => FaultClass::Stage2,
        }
    }

    /// Its button label, in `lang`.
    pub fn label(self, lang: crate::i18n::Lang) -> String {
        match self {
            FaultClass::NoFault => crate::i18n::t(lang, "fault-none"),
            FaultClass::PageFault => "#PF".to_owned(),
            FaultClass::Stage2 => crate::i18n::t(lang, "fault-stage2"),
            FaultClass::GeneralProtection => "#GP".to_owned(),
        }
    }
}

/// A learner's prediction for the next access: the three questions are asked together, and
/// any may be left open (it is then not scored).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prediction {
    /// TLB hit (true) or miss.
    pub hit: Option<bool>,
    /// How many page-table memory references the access makes.
    pub refs: Option<u32>,
    /// Which fault, if any.
    pub fault: Option<FaultClass>,
}

impl Prediction {
    /// Nothing predicted yet.
    pub fn is_empty(&self) -> bool {
        self.hit.is_none() && self.refs.is_none() && self.fault.is_none()
    }
}

/// What one access really did, for judging a prediction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reveal {
    /// Served by the TLB.
    pub hit: bool,
    /// Page-table memory references.
    pub refs: u32,
    /// The fault class.
    pub fault: FaultClass,
    /// The exact fault, with its error code or qualification, if there was one.
    pub fault_detail: Option<pagewalk_core::Fault>,
    /// Why: the core's narration of the access's events (which caches served it, how many
    /// references of each kind, what the walk found), in the language of the reveal.
    pub why: String,
    /// The access's events, to narrate them again in another language.
    pub events: Vec<Event>,
}

impl Reveal {
    /// The reveal of a frame, if the frame is an access.
    pub fn of(frame: &Frame, lang: Lang) -> Option<Reveal> {
        let Action::Access { outcome, .. } = &frame.action else {
            return None;
        };
        let refs = frame
            .events
            .iter()
            .filter(|e| matches!(e, Event::TableRead { .. }))
            .count() as u32;
        Some(Reveal {
            hit: outcome.tlb_hit.is_some(),
            refs,
            fault: FaultClass::of(&outcome.result),
            fault_detail: outcome.result.as_ref().err().copied(),
            why: pagewalk_core::view::narrate(&frame.events, lang),
            events: frame.events.clone(),
        })
    }

    /// The answers, each judged against the prediction: (right, wrong, or not asked, text in
    /// `lang`).
    pub fn judge(&self, p: Prediction, lang: crate::i18n::Lang) -> Vec<(Option<bool>, String)> {
        use crate::i18n::{t, ta};
        let refs = |n: u32| ta(lang, "verdict-refs", &[("count", n.into())]);
        let hit = |h: bool| t(lang, if h { "verdict-hit" } else { "verdict-miss" });
        let said = |answer: String, said: String| {
            ta(
                lang,
                "verdict-you-said",
                &[("answer", answer.into()), ("said", said.into())],
            )
        };
        let fault = self
            .fault_detail
            .map_or_else(|| t(lang, "fault-none"), |f| f.describe(lang));
        vec![
            (
                p.hit.map(|h| h == self.hit),
                match p.hit {
                    Some(h) if h != self.hit => said(hit(self.hit), hit(h)),
                    _ => hit(self.hit),
                },
            ),
            (
                p.refs.map(|n| n == self.refs),
                match p.refs {
                    Some(n) if n != self.refs => said(refs(self.refs), n.to_string()),
                    _ => refs(self.refs),
                },
            ),
            (
                p.fault.map(|f| f == self.fault),
                match p.fault {
                    Some(f) if f != self.fault => said(fault, f.label(lang)),
                    _ => fault,
                },
            ),
        ]
    }
}

/// The verdict on one prediction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Each answer: right (`Some(true)`), wrong, or not asked, with what happened.
    pub answers: Vec<(Option<bool>, String)>,
    /// Why it happened.
    pub why: String,
    /// What the access did and what was predicted, to say the answers again in another
    /// language.
    pub judged: (Reveal, Prediction),
}

impl Verdict {
    /// Says the answers again in `lang` (the learner switched languages).
    pub fn speak(&mut self, lang: crate::i18n::Lang) {
        self.answers = self.judged.0.judge(self.judged.1, lang);
        self.why = pagewalk_core::view::narrate(&self.judged.0.events, lang);
    }
}

/// The score of predict-then-reveal mode: every answered question counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    /// Right answers.
    pub right: u32,
    /// Answers.
    pub total: u32,
}

impl Score {
    /// Steps `player` to its next access, judges `prediction` against it and returns the
    /// verdict (`None` when no access is left).
    pub fn judge(
        &mut self,
        player: &mut Player,
        prediction: Prediction,
        lang: crate::i18n::Lang,
    ) -> Option<Verdict> {
        let r = player.step_to_access(lang)?;
        let answers = r.judge(prediction, lang);
        for (right, _) in &answers {
            if let Some(right) = right {
                self.total += 1;
                self.right += u32::from(*right);
            }
        }
        Some(Verdict {
            answers,
            why: r.why.clone(),
            judged: (r, prediction),
        })
    }
}

/// Reads the scores stored by [`write_scores`]: `lesson right/total` per line; lines that do
/// not read so (an older format, an edit by hand) are dropped.
pub fn parse_scores(text: &str) -> std::collections::BTreeMap<String, Score> {
    text.lines()
        .filter_map(|l| {
            let (name, score) = l.rsplit_once(' ')?;
            let (right, total) = score.split_once('/')?;
            let score = Score {
                right: right.parse().ok()?,
                total: total.parse().ok()?,
            };
            (score.right <= score.total).then(|| (name.to_owned(), score))
        })
        .collect()
}

/// Writes scores for [`parse_scores`].
pub fn write_scores(scores: &std::collections::BTreeMap<String, Score>) -> String {
    scores
        .iter()
        .map(|(name, s)| format!("{name} {}/{}\n", s.right, s.total))
        .collect()
}

/// One row of a `pagewalk kvm run --json` result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvmRow {
    /// Counter.
    pub name: String,
    /// The model's prediction.
    pub simulated: u64,
    /// Real KVM.
    pub real: u64,
    /// Whether they agree.
    pub matches: bool,
}

/// One scenario of a `pagewalk kvm run --json` result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvmResult {
    /// Scenario name.
    pub name: String,
    /// Its file.
    pub file: String,
    /// Compared counters (empty when skipped).
    pub rows: Vec<KvmRow>,
    /// Why it did not run, if it did not (in English, as the CLI and the server say it).
    pub skipped: Option<String>,
    /// The same reason as a catalogue message, when the server sent one: said in the
    /// learner's language.
    pub skipped_text: Option<pagewalk_text::Text>,
    /// What real KVM cannot show on that host (no PMU, no view of the TLB).
    pub not_observable: Vec<String>,
}

/// Why a text is not the JSON of `pagewalk kvm run --json`: which element is not a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvmJsonError {
    /// Not JSON at all (serde's words).
    NotJson(String),
    /// JSON, but not an array.
    NotArray,
    /// An empty array.
    Empty,
    /// Element N (from 1) has no file name.
    NoFile(usize),
    /// A counter of this file lacks a field.
    BadCounter(String),
    /// The element for this file has neither counters nor a reason it did not run.
    NoCounters(String),
}

impl KvmJsonError {
    /// In words, in `lang`.
    pub fn text(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::{t, ta};
        match self {
            KvmJsonError::NotJson(e) => {
                ta(lang, "kvm-json-not-json", &[("error", e.as_str().into())])
            }
            KvmJsonError::NotArray => t(lang, "kvm-json-want"),
            KvmJsonError::Empty => t(lang, "kvm-json-empty"),
            KvmJsonError::NoFile(n) => ta(lang, "kvm-json-no-file", &[("n", (*n as u64).into())]),
            KvmJsonError::BadCounter(f) => {
                ta(lang, "kvm-json-bad-counter", &[("file", f.as_str().into())])
            }
            KvmJsonError::NoCounters(f) => {
                ta(lang, "kvm-json-no-counters", &[("file", f.as_str().into())])
            }
        }
    }
}

/// Reads the JSON printed by `pagewalk kvm run --json`. Anything else is refused with a message
/// that says which element is not a result, so a wrong file never shows as an empty card.
pub fn parse_kvm_json(text: &str) -> Result<Vec<KvmResult>, KvmJsonError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| KvmJsonError::NotJson(e.to_string()))?;
    let arr = v.as_array().ok_or(KvmJsonError::NotArray)?;
    if arr.is_empty() {
        return Err(KvmJsonError::Empty);
    }
    arr.iter()
        .enumerate()
        .map(|(i, o)| {
            let file = o["file"].as_str().ok_or(KvmJsonError::NoFile(i + 1))?;
            // A scenario that did not run says why under one of these keys.
            let skipped = ["skipped", "unavailable", "guest_failed", "error"]
                .iter()
                .find_map(|k| o[*k].as_str().map(str::to_owned))
                .or_else(|| {
                    o["errors"].as_array().map(|es| {
                        es.iter()
                            .map(|e| {
                                format!(
                                    "{}:{}: {}",
                                    e["line"].as_u64().unwrap_or(0),
                                    e["column"].as_u64().unwrap_or(0),
                                    e["message"].as_str().unwrap_or("")
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                });
            let skipped_text = serde_json::from_value(o["skipped_text"].clone()).ok();
            let rows = match (o["counters"].as_array(), &skipped) {
                (Some(rows), _) => rows
                    .iter()
                    .map(|r| {
                        Some(KvmRow {
                            name: r["name"].as_str()?.to_owned(),
                            simulated: r["simulated"].as_u64()?,
                            real: r["real"].as_u64()?,
                            matches: r["match"].as_bool()?,
                        })
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| KvmJsonError::BadCounter(file.to_owned()))?,
                (None, Some(_)) => Vec::new(),
                (None, None) => return Err(KvmJsonError::NoCounters(file.to_owned())),
            };
            let not_observable = o["not_observable"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Ok(KvmResult {
                name: o["name"].as_str().unwrap_or(file).to_owned(),
                file: file.to_owned(),
                rows,
                skipped,
                skipped_text,
                not_observable,
            })
        })
        .collect()
}

/// What the URL fragment asks for: `#scenario=NAME&step=N`, or `#text=...` for edited text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// A bundled scenario's name (file stem).
    pub scenario: Option<String>,
    /// Edited TOML text.
    pub text: Option<String>,
    /// The step to open at.
    pub step: usize,
    /// A reading page shown instead of a scenario (`#page=post-claims`).
    pub page: Option<String>,
    /// Two bundled scenarios side by side (`#compare=left,right`).
    pub compare: Option<(String, String)>,
    /// The language asked for (`#lang=zh-TW&...`).
    pub lang: Option<String>,
}

/// Parses a URL fragment (with or without the leading `#`).
pub fn parse_link(fragment: &str) -> Link {
    let mut link = Link::default();
    for pair in fragment.trim_start_matches('#').split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "scenario" => link.scenario = Some(decode(v)),
            "text" => link.text = Some(decode(v)),
            "step" => link.step = v.parse().unwrap_or(0),
            "page" => link.page = Some(decode(v)),
            "lang" => link.lang = Some(decode(v)),
            "compare" => {
                let v = decode(v);
                if let Some((l, r)) = v.split_once(',') {
                    link.compare = Some((l.to_owned(), r.to_owned()));
                }
            }
            _ => {}
        }
    }
    link
}

/// The fragment for a link.
pub fn link_fragment(link: &Link) -> String {
    let lang = link
        .lang
        .as_deref()
        .map_or_else(String::new, |l| format!("lang={}&", encode(l)));
    if let Some(p) = &link.page {
        return format!("#{lang}page={}", encode(p));
    }
    if let Some((l, r)) = &link.compare {
        return format!("#{lang}compare={},{}", encode(l), encode(r));
    }
    let mut parts = Vec::new();
    if let Some(l) = &link.lang {
        parts.push(format!("lang={}", encode(l)));
    }
    if let Some(s) = &link.scenario {
        parts.push(format!("scenario={}", encode(s)));
    }
    if let Some(t) = &link.text {
        parts.push(format!("text={}", encode(t)));
    }
    parts.push(format!("step={}", link.step));
    format!("#{}", parts.join("&"))
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16);
    while i < bytes.len() {
        // Works on bytes: a `%` before a multi-byte character must not split it.
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The bundled scenario of a name.
pub fn bundled(name: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The lessons in the order of the post pagewalk teaches, grouped by the topic a reader
/// would name: addresses and the native walk, the TLB, page faults, shadow paging, EPT/NPT,
/// VPID, PCID, huge pages and the host's set-up, memory overcommit, then KVM's MMU in depth. Every bundled
/// scenario is in exactly one group (a test checks it).
pub const PATH: &[(&str, &[&str])] = &[
    (
        "Addresses and the page walk",
        &["native-walk-and-tlb-hit", "five-level-paging"],
    ),
    ("The TLB", &["stale-tlb-and-invlpg", "tlb-reach-4k-vs-2m"]),
    ("Page faults", &["page-fault-error-codes"]),
    (
        "Shadow paging",
        &["shadow-paging-basics", "workload-under-shadow"],
    ),
    (
        "EPT and NPT: the two-dimensional walk",
        &[
            "ept-24-references",
            "nested-5-level-35-references",
            "npt-nested-walk",
            "paging-structure-caches",
            "ept-violation",
            "ept-misconfiguration",
            "workload-under-ept",
        ],
    ),
    (
        "VPID: TLB entries across VM exits",
        &["vpid-off", "vpid-on"],
    ),
    (
        "PCID: TLB entries across process switches",
        &["two-processes-pcid-off", "two-processes-pcid-on"],
    ),
    (
        "Huge pages and the host's memory",
        &[
            "nested-huge-pages-guest",
            "nested-huge-pages-host",
            "guest-2m-pages-backing-4k",
            "guest-2m-pages-backing-thp",
            "guest-2m-pages-backing-hugetlb-2m",
            "mem-prealloc",
            "hugetlbfs-738-free",
            "hugetlbfs-738-free-prealloc",
        ],
    ),
    (
        "Memory overcommit: swap, ballooning, KSM",
        &[
            "overcommit-three-vms",
            "swap-out-and-back",
            "hugetlbfs-cannot-swap",
            "thp-swap-keeps-only-written-pages",
            "balloon-inflate-and-touch",
            "thp-split-by-balloon",
            "ksm-identical-pages",
            "ksm-two-vms",
        ],
    ),
    (
        "KVM's MMU in depth: first touches and prefetch",
        &[
            "kvm-read-then-write",
            "kvm-touch-across-512-pages",
            "kvm-5000-pages",
            "kvm-prefetch-and-accessed-bits",
            "kvm-prefetch-hole-at-0",
            "kvm-prefetch-hole-at-1",
            "kvm-prefetch-hole-at-3",
            "kvm-prefetch-hole-at-6",
            "kvm-prefetch-hole-at-7",
            "kvm-prefetch-accessed-clear-at-1",
            "kvm-prefetch-accessed-clear-at-3-and-6",
            "kvm-prefetch-reserved-bit-hole",
            "kvm-prefetch-dirty-clear-read-vs-write",
            "kvm-prefetch-read-only-ptes",
            "kvm-prefetch-zero-page-neighbours",
            "kvm-prefetch-hole-no-prealloc",
        ],
    ),
    (
        "KVM's MMU in depth: huge pages on the host",
        &[
            "kvm-thp-4k-read-then-write",
            "kvm-thp-2m-guest-read-then-write",
            "kvm-thp-2m-guest-dirty-clear-prealloc",
            "kvm-hugetlb-4k-read-then-write",
            "kvm-hugetlb-4k-read-then-write-prealloc",
            "kvm-hugetlb-4k-write-first",
            "kvm-hugetlb-2m-guest-read-then-write",
            "kvm-hugetlb-2m-guest-dirty-clear",
            "kvm-hugetlb-2m-guest-dirty-clear-prealloc",
            "kvm-guest-2m-on-4k-host-read-then-write",
            "kvm-guest-2m-dirty-clear-on-4k-host",
        ],
    ),
    (
        "KVM's MMU in depth: the guest's faults",
        &[
            "kvm-guest-page-faults",
            "kvm-fault-write-read-only",
            "kvm-fault-not-present-holes",
            "kvm-fault-supervisor-page",
            "kvm-fault-supervisor-pde",
            "kvm-fault-reserved-bits",
            "kvm-fault-1g-pdpte-no-gbpages",
            "kvm-fault-pml4e-bit8-amd",
        ],
    ),
    (
        "KVM's MMU in depth: guest page-table writes",
        &[
            "kvm-pte-writes-at-each-level",
            "kvm-flood-pde-three-writes",
            "kvm-flood-pde-with-accesses-between",
            "kvm-flood-pde-access-other-region",
            "kvm-flood-pdpte",
            "kvm-flood-pml4e",
            "kvm-pde-clear-writable",
            "kvm-pde-clear-user",
            "kvm-pde-set-nx",
            "kvm-pdpte-clear-writable",
            "kvm-pde-write-relinks-unsync-table",
            "kvm-unsync-clear-writable-invlpg",
            "kvm-unsync-clear-user-invlpg",
            "kvm-unsync-set-nx-invlpg",
            "kvm-unsync-change-address-invlpg",
            "kvm-unsync-writable-restored",
            "kvm-unsync-clear-writable-guest-cr3",
        ],
    ),
    (
        "KVM's MMU in depth: address spaces and CR3",
        &[
            "kvm-three-address-spaces",
            "kvm-guest-cr3-three-spaces",
            "kvm-guest-cr3-five-spaces",
            "kvm-guest-cr3-four-spaces-mixed-host",
            "kvm-guest-cr3-same-pages-three-spaces",
            "kvm-guest-cr3-shared-leaf-table",
            "kvm-guest-cr3-resyncs",
            "kvm-guest-cr3-unsync-left-behind",
            "kvm-guest-cr3-unsync-synced-on-return",
            "kvm-guest-cr3-evicted-root-resync",
            "kvm-guest-cr3-pte-write-from-other-space",
            "kvm-host-cr3-pte-write-from-other-space",
        ],
    ),
];

/// Lessons that are two halves of one comparison: (left, right, what differs).
pub const COMPARISONS: &[(&str, &str, &str)] = &[
    (
        "workload-under-shadow",
        "workload-under-ept",
        "shadow paging | EPT",
    ),
    ("vpid-off", "vpid-on", "VPID off | VPID on"),
    (
        "two-processes-pcid-off",
        "two-processes-pcid-on",
        "PCID off | PCID on",
    ),
    (
        "guest-2m-pages-backing-4k",
        "guest-2m-pages-backing-thp",
        "4 KiB host pages | 2 MiB host pages",
    ),
    (
        "kvm-hugetlb-2m-guest-dirty-clear",
        "kvm-hugetlb-2m-guest-dirty-clear-prealloc",
        "-mem-prealloc off | -mem-prealloc on",
    ),
];

/// The comparison a lesson belongs to, if any.
pub fn comparison_of(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    COMPARISONS
        .iter()
        .copied()
        .find(|(l, r, _)| *l == name || *r == name)
}

/// One side of a comparison: the scenario run to its end.
#[derive(Clone, Debug)]
pub struct Side {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// Its lesson.
    pub lesson: String,
    /// Counters at the end.
    pub counters: Counters,
    /// Why it could not run to the end, if it could not (said in the learner's language when
    /// shown).
    pub error: Option<pagewalk_scenario::Diagnostic>,
}

thread_local! {
    /// Sides already run: a comparison is drawn many times, a scenario runs once.
    static SIDES: std::cell::RefCell<Vec<Side>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs a bundled scenario to its end, counting only (once per page).
pub fn run_side(name: &str) -> Option<Side> {
    if let Some(s) = SIDES.with(|c| c.borrow().iter().find(|s| s.name == name).cloned()) {
        return Some(s);
    }
    let side = run_side_now(name)?;
    SIDES.with(|c| c.borrow_mut().push(side.clone()));
    Some(side)
}

fn run_side_now(name: &str) -> Option<Side> {
    let text = bundled(name)?;
    let sc = parse(name, text).ok()?;
    let (title, lesson) = (sc.name.clone(), sc.lesson.clone());
    let mut c = Counters::new(sc.machine.cost);
    let mut error = None;
    match Session::new(sc) {
        Ok(mut s) => loop {
            match s.next(&mut c) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(d) => {
                    error = Some(d);
                    break;
                }
            }
        },
        Err(d) => error = Some(d),
    }
    Some(Side {
        name: name.to_owned(),
        title,
        lesson,
        counters: c,
        error,
    })
}

/// The rows of a comparison table: every counter that is not zero on either side, with its
/// meaning, in the order of [`Counters::entries`].
pub fn compare_rows(l: &Counters, r: &Counters) -> Vec<(&'static str, u64, u64)> {
    l.entries()
        .into_iter()
        .zip(r.entries())
        .filter(|((_, a), (_, b))| *a != 0 || *b != 0)
        .map(|((k, a), (_, b))| (k, a, b))
        .collect()
}

/// One gallery entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// File stem (the link name).
    pub name: String,
    /// Title.
    pub title: String,
    /// One-line lesson.
    pub lesson: String,
    /// Title in zh-TW (the English one when the file has none).
    pub title_zh: String,
    /// One-line lesson in zh-TW.
    pub lesson_zh: String,
}

impl Entry {
    /// The title in `lang`.
    pub fn title_in(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::En => &self.title,
            crate::i18n::Lang::ZhTw => &self.title_zh,
        }
    }

    /// The lesson in `lang`.
    pub fn lesson_in(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::En => &self.lesson,
            crate::i18n::Lang::ZhTw => &self.lesson_zh,
        }
    }
}

/// The catalogue message that names a topic of [`PATH`] (the topic itself if none does).
pub fn topic_message(topic: &str) -> &str {
    match topic {
        "Addresses and the page walk" => "topic-addresses",
        "The TLB" => "topic-tlb",
        "Page faults" => "topic-faults",
        "Shadow paging" => "topic-shadow",
        "EPT and NPT: the two-dimensional walk" => "topic-ept",
        "VPID: TLB entries across VM exits" => "topic-vpid",
        "PCID: TLB entries across process switches" => "topic-pcid",
        "Huge pages and the host's memory" => "topic-huge",
        "Memory overcommit: swap, ballooning, KSM" => "topic-overcommit",
        "KVM's MMU in depth: first touches and prefetch" => "topic-kvm-prefetch",
        "KVM's MMU in depth: huge pages on the host" => "topic-kvm-huge",
        "KVM's MMU in depth: the guest's faults" => "topic-kvm-faults",
        "KVM's MMU in depth: guest page-table writes" => "topic-kvm-writes",
        "KVM's MMU in depth: address spaces and CR3" => "topic-kvm-cr3",
        other => other,
    }
}

/// Bundled scenarios grouped by topic, in file order.
pub fn gallery() -> Vec<(String, Vec<Entry>)> {
    // Parsing every bundled file is not free: once per page, not once per frame.
    static GALLERY: std::sync::OnceLock<Vec<(String, Vec<Entry>)>> = std::sync::OnceLock::new();
    GALLERY.get_or_init(build_gallery).clone()
}

fn build_gallery() -> Vec<(String, Vec<Entry>)> {
    PATH.iter()
        .map(|(topic, names)| {
            let entries = names
                .iter()
                .filter_map(|name| {
                    let text = bundled(name)?;
                    let s = parse(name, text).ok()?;
                    Some(Entry {
                        name: (*name).to_owned(),
                        title: s.name.clone(),
                        lesson: s.lesson.clone(),
                        title_zh: s.name_in("zh-TW").to_owned(),
                        lesson_zh: s.lesson_in("zh-TW").to_owned(),
                    })
                })
                .collect();
            ((*topic).to_owned(), entries)
        })
        .collect()
}

/// The lesson after (`forward`) or before a bundled scenario on the path.
pub fn next_lesson(name: &str, forward: bool) -> Option<&'static str> {
    let all: Vec<&'static str> = PATH.iter().flat_map(|(_, n)| n.iter().copied()).collect();
    let i = all.iter().position(|n| *n == name)?;
    if forward {
        all.get(i + 1).copied()
    } else {
        i.checked_sub(1).and_then(|j| all.get(j).copied())
    }
}

/// The default cost model, for empty counters.
pub fn zero_counters() -> Counters {
    Counters::new(CostModel::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn predictions_are_judged_together_and_say_why() {
        let mut p = Player::load("ept", bundled("ept-24-references").unwrap()).unwrap();
        let mut score = Score::default();
        let v = score
            .judge(
                &mut p,
                Prediction {
                    hit: Some(false),
                    refs: Some(24),
                    fault: Some(FaultClass::NoFault),
                },
                Lang::En,
            )
            .unwrap();
        assert_eq!(score, Score { right: 3, total: 3 }, "{v:?}");
        assert_eq!(
            v.answers[1],
            (Some(true), "24 page-table references".to_owned())
        );
        // The reason is the core's narration of the walk.
        assert!(v.why.contains("24 page-table references"), "{}", v.why);
        // The walk stored the translation: its row flashes as a fill.
        let f = p.current().unwrap();
        assert!(f.marks.contains(&TlbMark::Fill), "{:?}", f.marks);
        assert!(!f.marks.contains(&TlbMark::Hit));
        // Only the hit/miss question answered (wrongly): one answer counted.
        let mut v = score
            .judge(
                &mut p,
                Prediction {
                    hit: Some(false),
                    ..Prediction::default()
                },
                Lang::En,
            )
            .unwrap();
        assert_eq!(score, Score { right: 3, total: 4 }, "{v:?}");
        assert_eq!(
            v.answers[0],
            (Some(false), "a TLB hit (you said a TLB miss)".to_owned())
        );
        // Switching languages says the answers again, not the score.
        v.speak(Lang::ZhTw);
        assert_eq!(
            v.answers[0],
            (Some(false), "TLB 命中（你答的是「TLB 未命中」）".to_owned())
        );
        assert_eq!(score, Score { right: 3, total: 4 });
        assert_eq!(v.answers[1].0, None, "not asked, not scored");
        let f = p.current().unwrap();
        // The L1 served it: only the L1 copy is marked, not the L2's.
        let hits: Vec<_> = f
            .tlb
            .iter()
            .zip(&f.marks)
            .filter(|(_, m)| **m == TlbMark::Hit)
            .map(|(s, _)| s.array)
            .collect();
        assert_eq!(hits, vec![pagewalk_core::TlbArrayId::L1d4k]);
        assert!(!f.marks.contains(&TlbMark::Fill));
    }

    #[test]
    fn scores_survive_a_round_trip_and_bad_lines_are_dropped() {
        let mut m = std::collections::BTreeMap::new();
        m.insert("vpid-off".to_owned(), Score { right: 3, total: 5 });
        m.insert("my lesson".to_owned(), Score { right: 0, total: 1 });
        assert_eq!(parse_scores(&write_scores(&m)), m);
        assert!(parse_scores("x 5/3\ny\nz a/b\n").is_empty());
    }

    /// What predict mode announces as the next access is the access the reveal makes, in
    /// every bundled scenario (patterns, random ones and steps back included).
    #[test]
    fn the_announced_next_access_is_the_one_revealed() {
        for (name, text) in BUNDLED {
            let mut p = Player::load(name, text).unwrap();
            for round in 0..40 {
                if round == 20 {
                    p.back();
                    p.back();
                }
                let said = p.upcoming();
                let Some(_) = p.step_to_access(Lang::En) else {
                    assert_eq!(said, None, "{name}: announced an access after the end");
                    break;
                };
                let Action::Access { gva, access, .. } = p.current().unwrap().action else {
                    panic!("{name}: not an access")
                };
                assert_eq!(said, Some((gva, access)), "{name}, round {round}");
            }
        }
    }

    #[test]
    fn fault_predictions_name_the_exact_fault() {
        for (name, class, text) in [
            ("ept-violation", FaultClass::Stage2, "EPT violation at GPA"),
            ("page-fault-error-codes", FaultClass::PageFault, "#PF at"),
        ] {
            let mut p = Player::load(name, bundled(name).unwrap()).unwrap();
            let r = std::iter::from_fn(|| p.step_to_access(Lang::En))
                .find(|r| r.fault != FaultClass::NoFault)
                .unwrap_or_else(|| panic!("{name} has a faulting access"));
            let detail = r.fault_detail.map(|f| f.to_string()).unwrap_or_default();
            assert_eq!(r.fault, class, "{name}: {detail}");
            assert!(detail.contains(text), "{name}: {detail}");
            let said = |f| Prediction {
                fault: Some(f),
                ..Prediction::default()
            };
            assert_eq!(r.judge(said(class), Lang::En)[2].0, Some(true));
            let wrong = r.judge(said(FaultClass::NoFault), Lang::En);
            assert_eq!(wrong[2].0, Some(false));
            assert!(wrong[2].1.contains("you said no fault"), "{}", wrong[2].1);
        }
    }

    #[test]
    fn every_bundled_scenario_loads() {
        assert!(BUNDLED.len() >= 20);
        for (name, text) in BUNDLED {
            assert!(Player::load(name, text).is_ok(), "{name}");
        }
    }

    #[test]
    fn stepping_back_and_forth_replays_the_same_frames() {
        let mut p = Player::load("ept", bundled("ept-24-references").unwrap()).unwrap();
        assert!(p.step());
        assert_eq!(p.counters().memory_refs(), 24);
        let grid = p.grid(Lang::En).expect("a nested walk has a grid");
        assert_eq!(grid.cells.len(), 24);
        assert!(p.step());
        assert_eq!(p.counters().tlb_hits, 1);
        p.back();
        assert_eq!(p.counters().tlb_hits, 0);
        assert_eq!(p.counters().memory_refs(), 24);
        p.back();
        assert_eq!(p.counters().accesses, 0);
        assert!(!p.finished());
        p.run_to_end();
        assert!(p.finished());
    }

    #[test]
    fn run_to_end_past_the_recording_keeps_counting() {
        let mut p = Player::load("reach", bundled("tlb-reach-4k-vs-2m").unwrap()).unwrap();
        p.run_to_end();
        assert!(p.frames.len() <= RECORD_LIMIT);
        assert_eq!(p.counters().accesses, 43008);
        assert_eq!(
            p.cursor as u64, p.total,
            "the walk pane shows the last step too"
        );
        assert!(p.current().is_some());
    }

    /// The bit fields split by the guest's page, not by the TLB entry: a guest 2 MiB page on
    /// 4 KiB host backing is cached as a 4 KiB entry, but the guest walk has no PT index.
    #[test]
    fn address_fields_follow_the_guest_page_not_the_tlb_entry() {
        let src = "schema = 1\nname = \"x\"\nlesson = \"y\"\n[machine]\nmode = \"ept\"\n\
                   [host]\nstage2 = \"prefilled\"\n[[space]]\n[[space.map]]\n\
                   gva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\npage = \"2M\"\n\
                   [[trace]]\nop = \"read\"\ngva = \"0x7f00_0000_1234\"\n";
        let mut p = Player::load("x.toml", src).unwrap();
        p.step();
        let f = p.current().unwrap();
        assert_eq!(f.tlb[0].entry.size, pagewalk_core::PageSize::Size4K);
        let names: Vec<String> = p
            .address(Lang::En)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert!(!names.iter().any(|n| n == "PT index"), "{names:?}");
        assert!(names.iter().any(|n| n.contains("PD index")), "{names:?}");
        let offset = p.address(Lang::En).unwrap().into_iter().last().unwrap();
        assert_eq!(
            (offset.hi, offset.lo),
            (20, 0),
            "a 21-bit offset into the 2 MiB page"
        );
    }

    /// "See all" shows every entry, and its first rows are the frame's, wherever the machine
    /// is: at the step shown, or ahead of it after stepping back.
    #[test]
    fn the_whole_tlb_agrees_with_the_frames_rows() {
        let mut p = Player::load("reach", bundled("tlb-reach-4k-vs-2m").unwrap()).unwrap();
        p.seek(300);
        let check = |p: &Player| {
            let f = p.current().expect("a frame");
            let all = p.full_tlb();
            assert_eq!(all.len(), f.tlb_len, "every entry");
            assert!(
                all.len() > TLB_SHOWN,
                "more than the frame keeps: {}",
                all.len()
            );
            for (i, (slot, stale, mark)) in all.iter().take(TLB_SHOWN).enumerate() {
                assert_eq!(*slot, f.tlb[i]);
                assert_eq!(*stale, f.stale[i]);
                assert_eq!(*mark, f.marks[i]);
            }
        };
        check(&p);
        p.back();
        p.back();
        assert!(
            p.cursor < p.base + p.frames.len(),
            "the machine is ahead of the step shown"
        );
        check(&p);
    }

    /// Any step of a long scenario can be shown, its counters agree with it, and stepping
    /// back before the recorded window replays (the 2 MiB half of the TLB-reach lesson starts
    /// after step 21,506).
    #[test]
    fn seeking_anywhere_shows_that_step_with_its_counters() {
        let mut p = Player::load("reach", bundled("tlb-reach-4k-vs-2m").unwrap()).unwrap();
        p.seek(30_000);
        assert_eq!(p.cursor, 30_000);
        let f = p.current().expect("a frame at 30000");
        let accesses = f.counters.accesses;
        assert_eq!(p.counters().accesses, accesses);
        assert!((29_990..=30_000).contains(&accesses), "{accesses}");
        let Action::Access { gva, .. } = f.action else {
            panic!("an access")
        };
        let _ = gva;
        p.back();
        assert_eq!(p.cursor, 29_999);
        p.seek(10);
        assert_eq!(p.cursor, 10);
        assert_eq!(p.counters().accesses, 10);
        assert!(p.frames.len() <= RECORD_LIMIT);
    }

    /// The host lessons the host page links, and whether each has a host side.
    const HOST_LESSONS: [&str; 10] = [
        "hugetlbfs-738-free",
        "hugetlbfs-738-free-prealloc",
        "overcommit-three-vms",
        "swap-out-and-back",
        "balloon-inflate-and-touch",
        "ksm-identical-pages",
        "ksm-two-vms",
        "thp-split-by-balloon",
        "thp-swap-keeps-only-written-pages",
        "hugetlbfs-cannot-swap",
    ];

    /// A fresh session run `n` actions: its counters and host report, to hold the player to.
    fn fresh(name: &str, n: usize) -> (Counters, Option<HostReport>) {
        let scenario = parse(name, bundled(name).unwrap()).unwrap();
        let mut c = Counters::new(scenario.machine.cost);
        let mut s = Session::new(scenario).unwrap();
        for _ in 0..n {
            assert!(
                matches!(s.next(&mut c), Ok(Some(_))),
                "{name} ends before {n}"
            );
        }
        (c, s.host_report())
    }

    /// The host panel's report is the one of the step shown, wherever the learner goes: after
    /// stepping, seeking back and forth, running to the end, and across the recorded window;
    /// it agrees with the counters shown at that step (the balloon's pages, the swap used).
    #[test]
    fn the_host_report_is_the_one_of_the_step_shown() {
        let agree = |p: &Player, name: &str| {
            let (c, h) = fresh(name, p.cursor);
            assert_eq!(p.counters(), c, "{name} at {}", p.cursor);
            let r = p.host_report();
            assert_eq!(r, h, "{name} at {}", p.cursor);
            let r = r.expect("a host report");
            let ballooned: u64 = r.vms.iter().map(|v| v.ballooned).sum();
            assert_eq!(ballooned, c.balloon_pages << 12, "{name} at {}", p.cursor);
            let swapped: u64 = r.vms.iter().map(|v| v.swapped).sum();
            assert_eq!(
                r.meminfo.swap_total - r.meminfo.swap_free,
                swapped,
                "{name} at {}",
                p.cursor
            );
        };
        for name in HOST_LESSONS {
            let mut p = Player::load(name, bundled(name).unwrap()).unwrap();
            assert!(p.has_host(), "{name} has a host side");
            if name == "overcommit-three-vms" {
                continue;
            }
            agree(&p, name);
            let total = usize::try_from(p.total).unwrap();
            for _ in 0..total {
                assert!(p.step());
                agree(&p, name);
            }
            for n in [total / 2, 1, total, 0, total - 1] {
                p.seek(n);
                agree(&p, name);
            }
            p.back();
            agree(&p, name);
        }
        // The long one: seeks past thousands of actions keep only some reports, and the
        // others are worked out when shown; the window slides.
        let name = "overcommit-three-vms";
        let mut p = Player::load(name, bundled(name).unwrap()).unwrap();
        p.run_to_end();
        assert!(p.base > 0, "the recorded window slid");
        agree(&p, name);
        let end = p.cursor;
        for _ in 0..3 {
            p.back();
            agree(&p, name);
        }
        p.seek(end - 500);
        agree(&p, name);
        p.step();
        agree(&p, name);
        p.seek(100);
        agree(&p, name);
        p.run_to_end();
        agree(&p, name);
    }

    #[test]
    fn only_virtualized_lessons_with_a_host_side_get_a_host_panel() {
        for (name, text) in BUNDLED {
            let p = Player::load(name, text).unwrap();
            assert_eq!(
                p.host_report().is_some(),
                p.has_host(),
                "{name}: a report exactly when there is a host side"
            );
        }
        let p = Player::load("x", bundled("ept-24-references").unwrap()).unwrap();
        assert!(!p.has_host());
        let p = Player::load("x", bundled("ksm-two-vms").unwrap()).unwrap();
        assert_eq!(p.host_report().map(|r| r.vms.len()), Some(2));
    }

    /// The columns of a comparison are headed by its label's two sides, so each must say in
    /// full what its side is ("VPID on", not "on"; "EPT", not a word glued to the other side).
    #[test]
    fn comparison_labels_name_both_sides_in_full() {
        for (_, _, label) in COMPARISONS {
            let (left, right) = label.split_once(" | ").expect("two sides");
            assert!(!left.is_empty() && !right.is_empty(), "{label}");
            for side in [left, right] {
                assert!(
                    !["on", "off"].contains(&side),
                    "{label}: \"{side}\" says too little"
                );
            }
        }
    }

    #[test]
    fn comparisons_run_both_sides_and_list_what_differs() {
        for (l, r, _) in COMPARISONS {
            let (a, b) = (run_side(l).expect(l), run_side(r).expect(r));
            assert!(a.error.is_none() && b.error.is_none(), "{l} | {r}");
            let rows = compare_rows(&a.counters, &b.counters);
            assert!(
                rows.iter().any(|(_, x, y)| x != y),
                "{l} | {r} differ somewhere"
            );
        }
        let a = run_side("workload-under-shadow").unwrap();
        let b = run_side("workload-under-ept").unwrap();
        let rows = compare_rows(&a.counters, &b.counters);
        let exits = rows.iter().find(|(k, _, _)| *k == "vm_exits").unwrap();
        assert_eq!((exits.1, exits.2), (520, 520));
    }

    #[test]
    fn the_path_holds_every_bundled_scenario_once() {
        let mut on_path: Vec<&str> = PATH.iter().flat_map(|(_, n)| n.iter().copied()).collect();
        let count = on_path.len();
        on_path.sort_unstable();
        on_path.dedup();
        assert_eq!(on_path.len(), count, "a lesson is on the path twice");
        let mut all: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
        all.sort_unstable();
        assert_eq!(on_path, all, "every bundled scenario, and only those");
        assert_eq!(
            next_lesson("native-walk-and-tlb-hit", true),
            Some("five-level-paging")
        );
        assert_eq!(next_lesson("native-walk-and-tlb-hit", false), None);
    }

    #[test]
    fn links_round_trip() {
        let l = parse_link("#scenario=ept-24-references&step=3");
        assert_eq!(l.scenario.as_deref(), Some("ept-24-references"));
        assert_eq!(l.step, 3);
        let edited = Link {
            scenario: None,
            text: Some("schema = 1\nname = \"a & b\"".into()),
            step: 2,
            page: None,
            compare: None,
            lang: None,
        };
        assert_eq!(parse_link(&link_fragment(&edited)), edited);
        // Broken escapes never panic: a `%` before a multi-byte character, or at the end.
        for odd in [
            "#text=%1\u{e9}",
            "#text=%\u{e9}1",
            "#text=%",
            "#text=%4",
            "#text=%41",
            "#scenario=%zz",
        ] {
            let _ = parse_link(odd);
        }
        assert_eq!(parse_link("#text=%41").text.as_deref(), Some("A"));
        let c = parse_link("#compare=vpid-off,vpid-on");
        assert_eq!(
            c.compare,
            Some(("vpid-off".to_owned(), "vpid-on".to_owned()))
        );
        assert_eq!(parse_link(&link_fragment(&c)), c);
        let page = parse_link("#page=post-claims");
        assert_eq!(page.page.as_deref(), Some("post-claims"));
        assert_eq!(parse_link(&link_fragment(&page)), page);
    }

    #[test]
    fn series_follow_the_counters() {
        let mut p = Player::load("v", bundled("vpid-off").unwrap()).unwrap();
        p.seek(40);
        let s = p.series();
        assert_eq!(s.miss_rate.len(), 40);
        // The first access misses, and again after each of its first-touch EPT violations.
        assert!(s.miss_rate[0] >= 1.0, "the first access misses");
        assert!(
            s.cycles[1].last().copied().unwrap_or(0.0) > 0.0,
            "VM exits cost cycles"
        );
        assert_eq!(polyline(&[0.0, 1.0], 1.0, 10.0, 10.0), "0.0,10.0 10.0,0.0");
        // Thinned, a long history keeps its first step and the step shown.
        p.seek(1000);
        let s = p.series();
        assert!(
            s.miss_rate.len() <= CHART_POINTS + 1,
            "{}",
            s.miss_rate.len()
        );
        let first = p.frames[0].counters;
        let shown = p.current().unwrap().counters;
        let rate = |c: &Counters| c.tlb_misses as f64 / c.accesses.max(1) as f64;
        assert_eq!(s.miss_rate.first().copied(), Some(rate(&first)));
        assert_eq!(s.miss_rate.last().copied(), Some(rate(&shown)));
    }

    #[test]
    fn stale_entries_and_the_shadow_view() {
        let mut p = Player::load("s", bundled("stale-tlb-and-invlpg").unwrap()).unwrap();
        p.seek(2);
        let f = p.current().unwrap();
        assert!(
            f.stale.iter().any(|s| *s),
            "after the PTE write the cached entry is stale"
        );
        p.seek(4);
        assert!(
            p.current().unwrap().stale.iter().all(|s| !*s),
            "INVLPG dropped it"
        );
        let mut p = Player::load("sh", bundled("shadow-paging-basics").unwrap()).unwrap();
        p.seek(1);
        let v = p.current().unwrap().shadow.clone().expect("a shadow view");
        assert_eq!((v.guest.len(), v.shadow.len()), (4, 4));
        assert!(
            v.guest.iter().all(|g| g.3),
            "every guest table page is write-protected"
        );
    }

    #[test]
    fn kvm_json_is_read() {
        let j = r#"[{"file":"a.toml","name":"A","host_mode":"shadow","counters":[{"name":"pf_fixed","simulated":2,"real":2,"match":true}],"match":true},
                    {"file":"b.toml","name":"B","skipped":"5-level"}]"#;
        let r = parse_kvm_json(j).unwrap();
        assert_eq!(r[0].rows[0].real, 2);
        assert!(r[0].rows[0].matches);
        assert_eq!(r[1].skipped.as_deref(), Some("5-level"));
        assert!(parse_kvm_json("{}").is_err());
        // The server's reason as a message: said in the learner's language.
        let j = r#"[{"file":"c.toml","name":"C","skipped":"RFLAGS.AC changes need CPL 0","skipped_text":{"id":"kvm-set-ac","args":[]}}]"#;
        let r = parse_kvm_json(j).unwrap();
        let t = r[0].skipped_text.as_ref().expect("a message");
        assert_eq!(t.say(Lang::ZhTw), "改變 RFLAGS.AC 需要 CPL 0");
        assert_eq!(t.to_string(), r[0].skipped.clone().unwrap());
    }

    #[test]
    fn wrong_kvm_json_says_what_is_wrong_instead_of_an_empty_card() {
        let err = |j: &str| parse_kvm_json(j).unwrap_err().text(Lang::En);
        let e = err("[]");
        assert!(e.contains("empty"), "{e}");
        let e = err(r#"[{"a": 1}]"#);
        assert!(e.contains("element 1 has no \"file\""), "{e}");
        let e = err(r#"[{"file": "x.toml"}]"#);
        assert!(e.contains("neither counters nor a reason"), "{e}");
        let e = err(r#"[{"file": "x.toml", "counters": [{"name": "pf_fixed"}]}]"#);
        assert!(e.contains("lacks name, simulated, real or match"), "{e}");
        let e = parse_kvm_json("{").unwrap_err().text(Lang::ZhTw);
        assert!(e.starts_with("這不是 JSON"), "{e}");
        let e = parse_kvm_json("[]").unwrap_err().text(Lang::ZhTw);
        assert!(
            e.contains("`pagewalk kvm run --json`") && e.contains("空的"),
            "{e}"
        );
        // The CLI's own error shapes are results that did not run, with their reason.
        let r = parse_kvm_json(
            r#"[{"file": "x.toml", "errors": [{"line": 3, "column": 7, "message": "bad key"}]},
                {"file": "y.toml", "error": "the guest failed"}]"#,
        )
        .unwrap();
        assert_eq!(r[0].skipped.as_deref(), Some("3:7: bad key"));
        assert_eq!(r[1].skipped.as_deref(), Some("the guest failed"));
    }

    #[test]
    fn a_broken_file_gives_positions() {
        let e = match Player::load("x.toml", "schema = 1\nname = 3\n") {
            Err(e) => e,
            Ok(_) => panic!("accepted"),
        };
        assert!(e.items.iter().any(|d| d.pos.line == 2), "{e}");
    }
}
