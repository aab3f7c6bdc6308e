//! The app's state and its one transition function, [`State::reduce`]: every message the
//! views send goes through it, it touches nothing outside the state, and it says what the
//! component must do outside (render, the URL, the playback timer, storage) as [`Effects`].
//! So the app's behaviour is tested natively (`cargo test`), and the component only renders.

use crate::state::{
    bundled, parse_kvm_json, parse_link, FaultClass, KvmJsonError, KvmResult, Link, Player,
    Prediction, Score, Verdict,
};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Where the app is: everything a view shows, changed only by [`State::reduce`].
pub struct State {
    /// What the URL says is shown.
    pub link: Link,
    /// The scenario text (bundled or edited).
    pub text: String,
    /// The scenario being played, if the text loads.
    pub player: Option<Player>,
    /// The text's errors, each at its line and column with its hint (said in the learner's
    /// language when shown).
    pub errors: Vec<pagewalk_scenario::Diagnostic>,
    /// Playback is running.
    pub playing: bool,
    /// Predict-then-reveal mode is on.
    pub predict: bool,
    /// Within the shown access, the event shown last (reference-by-reference viewing);
    /// `None` shows the whole access.
    pub sub: Option<usize>,
    /// Milliseconds per step while playing.
    pub speed_ms: u32,
    /// The score in each lesson, by lesson file name (kept across visits); shared with the
    /// gallery's props without a copy, copied only when a score changes.
    pub scores: Rc<BTreeMap<String, Score>>,
    /// What the learner has predicted so far for the next access.
    pub prediction: Prediction,
    /// The verdict on the last prediction.
    pub verdict: Option<Verdict>,
    /// The reference-count guess as typed.
    pub refs_input: String,
    /// Loaded `pagewalk kvm run --json` results, or why they could not be read.
    pub kvm: Option<Result<Vec<KvmResult>, KvmJsonError>>,
    /// The learner has typed in the editor since the last load: it stays open.
    pub editing: bool,
    /// Something the learner asked for that could not be shown (an unknown lesson name).
    pub notice: Option<Notice>,
    /// The TLB panel lists every entry, not the first [`TLB_SHOWN`](crate::state::TLB_SHOWN).
    pub tlb_all: bool,
    /// The practice page's seed.
    pub practice_seed: u64,
    /// Its question, or why none could be generated from the seed.
    pub practice: Result<crate::practice::Exercise, String>,
    /// The practice answer as typed.
    pub practice_input: String,
    /// Whether the practice answer was right, once checked.
    pub practice_verdict: Option<bool>,
    /// The reference under the pointer, highlighted in the grid and in the event list.
    pub hover_ref: Option<u32>,
    /// The language the app speaks.
    pub lang: crate::i18n::Lang,
    /// What the learner typed on the host page's calculators.
    pub host_inputs: crate::host::Inputs,
}

/// Something the learner asked for that could not be done, said in the language spoken when
/// it is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A link named a lesson that does not exist (its name, printable); `start` when the
    /// start page is shown instead.
    NoLesson {
        /// The name asked for.
        name: String,
        /// The start page is shown instead.
        start: bool,
    },
    /// A reveal was asked for after the last access.
    TraceOver,
}

impl Notice {
    /// In words, in `lang`.
    pub fn text(&self, lang: crate::i18n::Lang) -> String {
        match self {
            Notice::NoLesson { name, start } => crate::i18n::ta(
                lang,
                if *start {
                    "notice-no-lesson-start"
                } else {
                    "notice-no-lesson"
                },
                &[("name", name.as_str().into())],
            ),
            Notice::TraceOver => crate::i18n::t(lang, "notice-trace-over"),
        }
    }
}

/// What can happen.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// Open a bundled scenario.
    Open(String),
    /// The editor's text changed.
    Edit(String),
    /// Load the editor's text.
    Apply,
    /// One step forward.
    Step,
    /// One step back.
    Back,
    /// Run to the end.
    RunToEnd,
    /// Go to a step.
    Seek(usize),
    /// Play or pause.
    TogglePlay,
    /// A key was pressed.
    Key(String),
    /// Turn predict-then-reveal on or off.
    TogglePredict,
    /// Playback speed: milliseconds per step.
    Speed(u32),
    /// Show one more (or one fewer) event of the current access.
    SubStep(bool),
    /// Predict a TLB hit (true) or miss for the next access.
    PickHit(bool),
    /// Predict the next access's fault, if any.
    PickFault(FaultClass),
    /// The number typed into the reference-count prediction.
    RefsInput(String),
    /// Step to the next access and judge the prediction.
    Reveal,
    /// The text of a `pagewalk kvm run --json` file.
    KvmJson(String),
    /// Speak this language (kept in the link and remembered).
    SetLang(crate::i18n::Lang),
    /// Open a reading page.
    OpenPage(String),
    /// Show two lessons side by side.
    Compare(String, String),
    /// The URL fragment changed (a link was followed, or Back).
    Hash(String),
    /// List every TLB entry, or the first few.
    ToggleTlbAll,
    /// The pointer is over reference K (in the grid or the event list), or left it.
    HoverRef(Option<u32>),
    /// The answer typed on the practice page.
    PracticeInput(String),
    /// Check the practice answer.
    PracticeCheck,
    /// A new practice question from the next seed.
    PracticeNext,
    /// A calculator's input changed on the host page.
    HostInput(crate::host::Input),
}

/// The playback timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ticker {
    /// Send [`Msg::Step`] every so many milliseconds (replacing any timer).
    Start(u32),
    /// No timer.
    Stop,
}

/// What the component does after a transition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Draw again.
    pub render: bool,
    /// Show the state's link in the address bar (and remember it when not playing).
    pub sync_url: bool,
    /// Start or stop the playback timer.
    pub ticker: Option<Ticker>,
    /// Store the scores.
    pub save_scores: bool,
}

impl State {
    /// Loads scenario text: a player, or the file's errors.
    pub fn load(&mut self, name: &str, text: &str) {
        self.text = text.to_owned();
        // A verdict and a half-made prediction belong to the lesson they were made in.
        self.verdict = None;
        self.prediction = Prediction::default();
        match Player::load(name, text) {
            Ok(p) => {
                self.player = Some(p);
                self.errors.clear();
            }
            Err(d) => {
                self.player = None;
                self.errors = d.items;
            }
        }
    }

    /// The key of the lesson shown, for its predict-mode score: the bundled file's name, or
    /// the scenario's own name for edited text.
    pub fn lesson_key(&self) -> String {
        self.link.scenario.clone().unwrap_or_else(|| {
            self.player
                .as_ref()
                .map_or_else(String::new, |p| p.scenario.name.clone())
        })
    }

    /// The state for a page opened at `fragment`, with the learner's stored `scores`.
    pub fn new(fragment: &str, scores: BTreeMap<String, Score>) -> State {
        let mut link = parse_link(fragment);
        if link.scenario.is_none()
            && link.text.is_none()
            && link.page.is_none()
            && link.compare.is_none()
        {
            // A first visit starts at the beginning, not in a lesson.
            link.page = Some("start".into());
        }
        let mut model = State {
            link: link.clone(),
            text: String::new(),
            player: None,
            errors: Vec::new(),
            playing: false,
            predict: false,
            sub: None,
            speed_ms: 400,
            scores: Rc::new(scores),
            prediction: Prediction::default(),
            verdict: None,
            refs_input: String::new(),
            kvm: None,
            editing: false,
            notice: None,
            tlb_all: false,
            practice_seed: 0,
            practice: crate::practice::exercise(0),
            practice_input: String::new(),
            practice_verdict: None,
            hover_ref: None,
            host_inputs: crate::host::Inputs::default(),
            lang: link
                .lang
                .as_deref()
                .and_then(crate::i18n::Lang::from_tag)
                .unwrap_or_default(),
        };
        if let Some(n) = link.scenario.as_deref().filter(|n| bundled(n).is_none()) {
            // A link to a lesson that does not exist: say so, rather than open another one.
            model.notice = Some(Notice::NoLesson {
                name: pagewalk_scenario::diag::printable(n),
                start: true,
            });
            model.link.page = Some("start".into());
        }
        let (name, text) = match (&link.text, &link.scenario) {
            (Some(t), _) => ("edited.toml".to_owned(), t.clone()),
            (None, Some(n)) => match bundled(n) {
                Some(t) => (format!("{n}.toml"), t.to_owned()),
                None => (
                    "native-walk-and-tlb-hit.toml".into(),
                    bundled("native-walk-and-tlb-hit").unwrap_or("").to_owned(),
                ),
            },
            (None, None) => (
                "ept-24-references.toml".into(),
                bundled("ept-24-references").unwrap_or("").to_owned(),
            ),
        };
        model.load(&name, &text);
        if let Some(p) = model.player.as_mut() {
            p.seek(link.step);
        }
        model
    }

    /// Applies `msg`: the one place the state changes. Returns what the component must do
    /// outside the state (render, the URL, the playback timer, storage).
    pub fn reduce(&mut self, msg: Msg) -> Effects {
        let mut fx = Effects {
            render: true,
            ..Effects::default()
        };
        let m = &mut *self;
        match msg {
            Msg::Open(name) => {
                m.sub = None;
                m.editing = false;
                // Playback belongs to a lesson: it does not go on into the next one.
                m.playing = false;
                fx.ticker = Some(Ticker::Stop);
                if let Some(t) = bundled(&name) {
                    m.link = Link {
                        scenario: Some(name.clone()),
                        text: None,
                        step: 0,
                        page: None,
                        compare: None,
                        lang: m.link.lang.clone(),
                    };
                    m.load(&format!("{name}.toml"), t);
                }
            }
            Msg::HoverRef(k) => {
                if m.hover_ref == k {
                    return Effects::default();
                }
                m.hover_ref = k;
                return fx;
            }
            Msg::PracticeInput(t) => {
                m.practice_input = t;
                return fx;
            }
            Msg::PracticeCheck => {
                if m.practice_verdict.is_none() {
                    let judged = m
                        .practice
                        .as_ref()
                        .ok()
                        .and_then(|e| e.judge(&m.practice_input));
                    if let Some(right) = judged {
                        m.practice_verdict = Some(right);
                        let score = Rc::make_mut(&mut m.scores)
                            .entry("practice".to_owned())
                            .or_default();
                        score.total += 1;
                        score.right += u32::from(right);
                        fx.save_scores = true;
                    }
                }
                return fx;
            }
            Msg::PracticeNext => {
                m.practice_seed = m.practice_seed.wrapping_add(1);
                m.practice = crate::practice::exercise(m.practice_seed);
                m.practice_input.clear();
                m.practice_verdict = None;
                return fx;
            }
            Msg::HostInput(i) => {
                m.host_inputs.apply(i);
                return fx;
            }
            Msg::ToggleTlbAll => {
                m.tlb_all = !m.tlb_all;
                return fx;
            }
            Msg::OpenPage(slug) => {
                m.playing = false;
                fx.ticker = Some(Ticker::Stop);
                m.link.page = Some(slug);
                fx.sync_url = true;
                return fx;
            }
            Msg::Compare(l, r) => {
                m.playing = false;
                fx.ticker = Some(Ticker::Stop);
                m.link.page = None;
                m.link.compare = Some((l, r));
                fx.sync_url = true;
                return fx;
            }
            Msg::SetLang(l) => {
                m.lang = l;
                if let Some(v) = m.verdict.as_mut() {
                    v.speak(l);
                }
                m.link.lang = Some(l.tag().to_owned());
                fx.sync_url = true;
            }
            Msg::Hash(fragment) => {
                let link = parse_link(&fragment);
                if link == m.link {
                    return Effects::default();
                }
                if let Some(l) = link.lang.as_deref().and_then(crate::i18n::Lang::from_tag) {
                    m.lang = l;
                    m.link.lang = link.lang.clone();
                }
                if link.compare.is_some() {
                    m.link.page = None;
                    m.link.compare = link.compare;
                    return fx;
                }
                m.link.compare = None;
                m.sub = None;
                m.playing = false;
                fx.ticker = Some(Ticker::Stop);
                if link.page.is_some() {
                    m.link.page = link.page;
                    return fx;
                }
                let source = match (&link.text, &link.scenario) {
                    (Some(t), _) => Some(("edited.toml".to_owned(), t.clone())),
                    (None, Some(n)) => bundled(n).map(|t| (format!("{n}.toml"), t.to_owned())),
                    (None, None) => None,
                };
                if let Some(n) = link.scenario.as_deref().filter(|n| bundled(n).is_none()) {
                    m.notice = Some(Notice::NoLesson {
                        name: pagewalk_scenario::diag::printable(n),
                        start: false,
                    });
                    return fx;
                }
                m.notice = None;
                if let Some((name, text)) = source {
                    // A lesson link without a language keeps the one spoken.
                    let lang = m.link.lang.take();
                    m.link = link.clone();
                    m.link.lang = m.link.lang.take().or(lang);
                    m.load(&name, &text);
                    if let Some(p) = m.player.as_mut() {
                        p.seek(link.step);
                    }
                } else {
                    m.link.page = None;
                }
                return fx;
            }
            Msg::Edit(t) => {
                m.editing = true;
                m.text = t;
                // Check as the user types: errors appear at their line and column.
                m.errors = match pagewalk_scenario::parse("edited.toml", &m.text) {
                    Ok(_) => Vec::new(),
                    Err(d) => d.items,
                };
                return fx;
            }
            Msg::Apply => {
                m.link = Link {
                    scenario: None,
                    text: Some(m.text.clone()),
                    step: 0,
                    page: None,
                    compare: None,
                    lang: m.link.lang.clone(),
                };
                let t = m.text.clone();
                m.load("edited.toml", &t);
            }
            Msg::Step => {
                m.sub = None;
                let more = m.player.as_mut().is_some_and(|p| p.step());
                if !more {
                    m.playing = false;
                    fx.ticker = Some(Ticker::Stop);
                }
            }
            Msg::Back => {
                m.sub = None;
                if let Some(p) = m.player.as_mut() {
                    p.back();
                }
            }
            Msg::RunToEnd => {
                m.sub = None;
                if let Some(p) = m.player.as_mut() {
                    p.run_to_end();
                }
            }
            Msg::Seek(n) => {
                m.sub = None;
                if let Some(p) = m.player.as_mut() {
                    p.seek(n);
                }
            }
            Msg::TogglePlay => {
                m.playing = !m.playing;
                fx.ticker = Some(if m.playing {
                    Ticker::Start(m.speed_ms)
                } else {
                    Ticker::Stop
                });
            }
            Msg::SubStep(forward) => {
                let len = m
                    .player
                    .as_ref()
                    .and_then(|p| p.current())
                    .map_or(0, |f| f.events.len());
                m.sub = match (m.sub, forward) {
                    (None, true) => Some(0),
                    (Some(i), true) if i + 1 >= len => None,
                    (Some(i), true) => Some(i + 1),
                    (None, false) => Some(len.saturating_sub(1)),
                    (Some(0), false) => Some(0),
                    (Some(i), false) => Some(i - 1),
                };
                return fx;
            }
            Msg::Speed(ms) => {
                m.speed_ms = ms;
                if m.playing {
                    fx.ticker = Some(Ticker::Start(ms));
                }
                return fx;
            }
            Msg::TogglePredict => {
                m.predict = !m.predict;
                m.prediction = Prediction::default();
                m.verdict = None;
            }
            Msg::PickHit(h) => {
                m.prediction.hit = Some(h);
                return fx;
            }
            Msg::PickFault(f) => {
                m.prediction.fault = Some(f);
                return fx;
            }
            Msg::RefsInput(t) => {
                m.prediction.refs = t.trim().parse().ok();
                m.refs_input = t;
                return fx;
            }
            Msg::Reveal => {
                let lesson = m.lesson_key();
                if let Some(p) = m.player.as_mut() {
                    m.sub = None;
                    let score = Rc::make_mut(&mut m.scores).entry(lesson).or_default();
                    m.verdict = score.judge(p, m.prediction, m.lang);
                    if m.verdict.is_none() {
                        m.notice = Some(Notice::TraceOver);
                    }
                    m.prediction = Prediction::default();
                    m.refs_input.clear();
                    fx.save_scores = true;
                }
            }
            Msg::KvmJson(t) => {
                m.kvm = Some(parse_kvm_json(&t));
                return fx;
            }
            Msg::Key(k) => {
                let next = match k.as_str() {
                    "ArrowRight" => Some(Msg::Step),
                    "ArrowLeft" => Some(Msg::Back),
                    " " => Some(Msg::TogglePlay),
                    "End" => Some(Msg::RunToEnd),
                    "ArrowDown" | "." => Some(Msg::SubStep(true)),
                    "ArrowUp" | "," => Some(Msg::SubStep(false)),
                    _ => None,
                };
                return match next {
                    Some(n) => self.reduce(n),
                    None => Effects::default(),
                };
            }
        }
        m.link.step = m.player.as_ref().map_or(0, |p| p.cursor);
        fx.sync_url = true;
        fx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(fragment: &str) -> State {
        State::new(fragment, BTreeMap::new())
    }

    fn cursor(s: &State) -> usize {
        s.player.as_ref().map_or(usize::MAX, |p| p.cursor)
    }

    #[test]
    fn a_first_visit_opens_the_start_page_and_an_unknown_lesson_says_so() {
        let s = at("");
        assert_eq!(s.link.page.as_deref(), Some("start"));
        assert_eq!(s.notice, None);
        let s = at("#scenario=no-such-lesson&step=0");
        assert_eq!(s.link.page.as_deref(), Some("start"));
        let notice = s.notice.as_ref().map(|n| n.text(crate::i18n::Lang::En));
        assert!(notice.unwrap_or_default().contains("no-such-lesson"));
        let notice = s.notice.as_ref().map(|n| n.text(crate::i18n::Lang::ZhTw));
        assert!(notice.unwrap_or_default().contains("「no-such-lesson」"));
        let s = at("#scenario=vpid-off&step=40");
        assert_eq!(cursor(&s), 40, "a link opens at its step");
    }

    #[test]
    fn keys_step_play_and_are_ignored_when_unknown() {
        let mut s = at("#scenario=native-walk-and-tlb-hit&step=0");
        let fx = s.reduce(Msg::Key("ArrowRight".into()));
        assert_eq!(cursor(&s), 1);
        assert!(fx.render && fx.sync_url);
        assert_eq!(s.link.step, 1, "the URL follows the step");
        s.reduce(Msg::Key("ArrowLeft".into()));
        assert_eq!(cursor(&s), 0);
        assert_eq!(s.reduce(Msg::Key("x".into())), Effects::default());
        let fx = s.reduce(Msg::Key(" ".into()));
        assert!(s.playing);
        assert_eq!(fx.ticker, Some(Ticker::Start(s.speed_ms)));
        let fx = s.reduce(Msg::Speed(100));
        assert_eq!(
            fx.ticker,
            Some(Ticker::Start(100)),
            "a new speed restarts the timer"
        );
    }

    #[test]
    fn playback_stops_at_the_end_and_when_another_lesson_opens() {
        let mut s = at("#scenario=native-walk-and-tlb-hit&step=0");
        s.reduce(Msg::TogglePlay);
        let total = s.player.as_ref().map_or(0, |p| p.total);
        let mut last = Effects::default();
        for _ in 0..=total {
            last = s.reduce(Msg::Step);
        }
        assert!(!s.playing);
        assert_eq!(last.ticker, Some(Ticker::Stop));
        s.reduce(Msg::TogglePlay);
        let fx = s.reduce(Msg::Open("vpid-off".into()));
        assert!(!s.playing, "playback belongs to a lesson");
        assert_eq!(fx.ticker, Some(Ticker::Stop));
        assert_eq!(s.link.scenario.as_deref(), Some("vpid-off"));
        assert_eq!(cursor(&s), 0);
    }

    #[test]
    fn the_fragment_drives_the_state_and_an_unchanged_one_does_nothing() {
        let mut s = at("#scenario=vpid-off&step=3");
        let same = link_of(&s);
        assert_eq!(s.reduce(Msg::Hash(same)), Effects::default());
        s.reduce(Msg::Hash("#scenario=vpid-on&step=7".into()));
        assert_eq!(s.link.scenario.as_deref(), Some("vpid-on"));
        assert_eq!(cursor(&s), 7);
        s.reduce(Msg::Hash("#page=practice".into()));
        assert_eq!(s.link.page.as_deref(), Some("practice"));
        s.reduce(Msg::Hash("#compare=vpid-off,vpid-on".into()));
        assert_eq!(s.link.compare, Some(("vpid-off".into(), "vpid-on".into())));
    }

    fn link_of(s: &State) -> String {
        crate::state::link_fragment(&s.link)
    }

    #[test]
    fn a_reveal_scores_the_lesson_and_asks_to_store_it() {
        let mut s = at("#scenario=ept-24-references&step=0");
        s.reduce(Msg::TogglePredict);
        s.reduce(Msg::RefsInput("24".into()));
        s.reduce(Msg::PickHit(false));
        let fx = s.reduce(Msg::Reveal);
        assert!(fx.save_scores);
        assert_eq!(
            s.scores.get("ept-24-references"),
            Some(&Score { right: 2, total: 2 })
        );
        assert_eq!(
            s.prediction,
            Prediction::default(),
            "a new question starts empty"
        );
        assert!(s.verdict.is_some());
        // Another lesson does not show this one's verdict.
        s.reduce(Msg::Open("ept-violation".into()));
        assert!(s.verdict.is_none(), "a verdict stays with its lesson");
        s.reduce(Msg::Hash("#scenario=vpid-on&step=0".into()));
        assert!(s.verdict.is_none());
    }

    #[test]
    fn the_editor_checks_as_you_type_stays_open_and_loads() {
        let mut s = at("#scenario=vpid-off&step=0");
        s.reduce(Msg::Edit(
            "schema = 1\nname = \"x\"\nlesson = \"y\"\n[machine]\nmode = \"eptt\"\n".into(),
        ));
        assert!(s.editing);
        assert_eq!(
            s.errors.first().map(|e| (e.pos.line, e.pos.col)),
            Some((5, 8))
        );
        s.reduce(Msg::Edit("schema = 1\nname = \"x\"\nlesson = \"y\"\n[[space]]\n[[space.map]]\ngva = \"0x1000000\"\ngpa = \"0x2000000\"\n[[trace]]\nop = \"read\"\ngva = \"0x1000000\"\n".into()));
        assert!(s.errors.is_empty() && s.editing, "fixed, and still open");
        s.reduce(Msg::Apply);
        assert!(s.link.text.is_some() && s.link.scenario.is_none());
        assert_eq!(s.player.as_ref().map(|p| p.total), Some(1));
        assert!(s.editing, "the editor stays open after Load, to edit again");
    }

    #[test]
    fn practice_checks_once_and_moves_to_the_next_seed() {
        let mut s = at("#page=practice");
        let answer = match s
            .practice
            .as_ref()
            .expect("seed 0 generates a question")
            .answer
        {
            crate::practice::Answer::Refs(n) => n.to_string(),
            crate::practice::Answer::Address(a) => a.map_or("fault".into(), |a| format!("{a:#x}")),
        };
        s.reduce(Msg::PracticeInput(answer));
        let fx = s.reduce(Msg::PracticeCheck);
        assert!(fx.save_scores);
        assert_eq!(s.practice_verdict, Some(true));
        s.reduce(Msg::PracticeCheck);
        assert_eq!(
            s.scores.get("practice"),
            Some(&Score { right: 1, total: 1 }),
            "checked once"
        );
        s.reduce(Msg::PracticeNext);
        assert_eq!(s.practice.as_ref().map(|e| e.seed), Ok(1));
        assert_eq!(s.practice_verdict, None);
    }

    #[test]
    fn the_host_page_keeps_what_was_typed_across_a_lesson() {
        let mut s = at("#page=host");
        assert_eq!(s.link.page.as_deref(), Some("host"));
        let fx = s.reduce(Msg::HostInput(crate::host::Input::Ram("256".into())));
        assert!(fx.render && !fx.sync_url, "typing does not touch the URL");
        s.reduce(Msg::HostInput(crate::host::Input::Prealloc(true)));
        s.reduce(Msg::Hash("#scenario=hugetlbfs-738-free&step=3".into()));
        s.reduce(Msg::Hash("#page=host".into()));
        assert_eq!(s.host_inputs.ram_gib, "256");
        assert!(s.host_inputs.prealloc);
    }

    #[test]
    fn hovering_the_same_reference_again_does_not_redraw() {
        let mut s = at("#scenario=ept-24-references&step=1");
        assert!(s.reduce(Msg::HoverRef(Some(3))).render);
        assert!(!s.reduce(Msg::HoverRef(Some(3))).render);
        assert!(s.reduce(Msg::HoverRef(None)).render);
    }
}
