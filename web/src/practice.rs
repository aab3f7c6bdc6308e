//! Practice questions generated from a seed, the way OSTEP's paging homework
//! (`paging-multilevel-translate.py`) generates problems: each question is a small scenario,
//! and its answer is what the core does when it runs that scenario, so the questions can never
//! disagree with the lessons. Two kinds: how many page-table references a cold TLB miss makes
//! (native, EPT or NPT, 4- or 5-level, any page sizes), and translating a virtual address by
//! reading the page tables by hand.

use crate::i18n::{t, ta, Lang};
use pagewalk_core::{view, Event, Gva};
use pagewalk_scenario::{parse, Action, Session};
use pagewalk_text::paragraph;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// What the learner must find.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A number of page-table references.
    Refs(u32),
    /// The physical address an access reaches, or `None` for a page fault.
    Address(Option<u64>),
}

/// What a question is about: the figures its words are made of, in any language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// How many references a cold TLB miss makes.
    Refs {
        /// `native`, `ept` or `npt`.
        mode: &'static str,
        /// Guest (or native) paging levels.
        g_levels: u32,
        /// Stage-2 levels.
        s_levels: u32,
        /// The guest's page size, written out (`2 MiB`).
        g_page: &'static str,
        /// Stage 2's page size, written out.
        s_page: &'static str,
        /// The address read.
        va: u64,
    },
    /// Which physical address a read reaches, by reading the tables given.
    Translate {
        /// The address read.
        va: u64,
        /// CR3: the root table.
        root: u64,
        /// Every present entry of every table on the pages' paths: (table, [(index, value)]).
        tables: Vec<(u64, Vec<(u64, u64)>)>,
    },
}

/// One generated question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exercise {
    /// The seed it was generated from (the same seed, the same question).
    pub seed: u64,
    /// What it asks.
    pub kind: Kind,
    /// The scenario that is the question, to open in the player.
    pub scenario: String,
    /// The answer, from running the scenario.
    pub answer: Answer,
    /// The events of the access asked about: the reason, narrated.
    pub events: Vec<Event>,
}

impl Exercise {
    /// Judges what the learner typed: a number of references, or an address in hex (`0x`
    /// optional) or `fault`. `None` when it cannot be read as an answer at all.
    pub fn judge(&self, typed: &str) -> Option<bool> {
        let t = typed.trim().to_ascii_lowercase();
        match self.answer {
            Answer::Refs(n) => t.parse::<u32>().ok().map(|g| g == n),
            Answer::Address(a) => {
                if t.contains("fault") || t == "#pf" || t == "pf" || t.contains("分頁錯誤") {
                    return Some(a.is_none());
                }
                let hex = t.trim_start_matches("0x").replace('_', "");
                u64::from_str_radix(&hex, 16).ok().map(|g| Some(g) == a)
            }
        }
    }

    /// The answer as the reveal states it, in `lang`.
    pub fn answer_text(&self, lang: Lang) -> String {
        match self.answer {
            Answer::Refs(n) => ta(lang, "practice-answer-refs", &[("count", n.into())]),
            Answer::Address(Some(a)) => ta(
                lang,
                "practice-answer-address",
                &[("address", format!("{a:#x}").into())],
            ),
            Answer::Address(None) => t(lang, "practice-answer-fault"),
        }
    }

    /// The question, in `lang`.
    pub fn question(&self, lang: Lang) -> String {
        match &self.kind {
            Kind::Refs {
                mode,
                g_levels,
                s_levels,
                g_page,
                s_page,
                va,
            } => {
                let setup = if *mode == "native" {
                    ta(
                        lang,
                        "practice-setup-native",
                        &[("levels", (*g_levels).into()), ("page", (*g_page).into())],
                    )
                } else {
                    ta(
                        lang,
                        "practice-setup-nested",
                        &[
                            ("levels", (*g_levels).into()),
                            ("stage2_levels", (*s_levels).into()),
                            ("stage2", if *mode == "ept" { "EPT" } else { "NPT" }.into()),
                            ("page", (*g_page).into()),
                            ("stage2_page", (*s_page).into()),
                        ],
                    )
                };
                paragraph(
                    lang,
                    &[
                        setup,
                        ta(
                            lang,
                            "practice-refs-question",
                            &[("address", format!("{va:#x}").into())],
                        ),
                    ],
                )
            }
            Kind::Translate { va, .. } => ta(
                lang,
                "practice-translate-question",
                &[("address", format!("{va:#x}").into())],
            ),
        }
    }

    /// What the learner may read, in `lang`: for a translation, the page tables as lines.
    pub fn given(&self, lang: Lang) -> Vec<String> {
        let Kind::Translate { root, tables, .. } = &self.kind else {
            return Vec::new();
        };
        let mut given = vec![ta(
            lang,
            "practice-given-head",
            &[("root", format!("{root:#x}").into())],
        )];
        for (table, entries) in tables {
            given.push(ta(
                lang,
                "practice-given-table",
                &[("table", format!("{table:#x}").into())],
            ));
            given.extend(entries.iter().map(|(i, v)| format!("  [{i}] = {v:#x}")));
        }
        given
    }

    /// Why, from the core's events, in `lang`.
    pub fn why(&self, lang: Lang) -> String {
        let events = &self.events;
        match &self.kind {
            Kind::Refs { mode, .. } => paragraph(
                lang,
                &[
                    view::narrate(events, lang),
                    t(
                        lang,
                        if *mode == "native" {
                            "practice-why-native"
                        } else {
                            "practice-why-nested"
                        },
                    ),
                ],
            ),
            Kind::Translate { va, .. } => {
                let idx = |shift: u32| ((va >> shift) & 0x1ff).to_string();
                paragraph(
                    lang,
                    &[
                        ta(
                            lang,
                            "practice-why-indices",
                            &[
                                ("pml4", idx(39).into()),
                                ("pdpt", idx(30).into()),
                                ("pd", idx(21).into()),
                                ("pt", idx(12).into()),
                                ("offset", format!("{:#x}", va & 0xfff).into()),
                            ],
                        ),
                        view::narrate(events, lang),
                    ],
                )
            }
        }
    }
}

/// The question of `seed`: even seeds ask for a reference count, odd ones for a translation.
/// A generated scenario the simulator refuses (a generator bug) is an error to show, never a
/// panic: seeds come from the learner.
pub fn exercise(seed: u64) -> Result<Exercise, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if seed % 2 == 0 {
        reference_count(seed, &mut rng)
    } else {
        translation(seed, &mut rng)
    }
}

const PAGE_NAMES: [(&str, &str, u64); 3] = [
    ("4K", "4 KiB", 1 << 12),
    ("2M", "2 MiB", 1 << 21),
    ("1G", "1 GiB", 1 << 30),
];

/// A generated scenario's name and lesson in Chinese, as the scenario file's `zh-TW.` keys.
fn zh_keys(name: &str, lesson: &str, seed: u64) -> String {
    let z = |id: &str| ta(Lang::ZhTw, id, &[("seed", seed.to_string().into())]);
    format!(
        "zh-TW.name = {:?}\nzh-TW.lesson = {:?}\n",
        z(name),
        z(lesson)
    )
}

fn reference_count(seed: u64, rng: &mut ChaCha8Rng) -> Result<Exercise, String> {
    let mode = ["native", "ept", "npt"][rng.random_range(0..3)];
    let g_levels = [4, 5][rng.random_range(0..2)];
    let s_levels = [4, 5][rng.random_range(0..2)];
    let (g_page, g_page_name, g_size) = PAGE_NAMES[rng.random_range(0..3)];
    let (s_page, s_page_name, _) = PAGE_NAMES[rng.random_range(0..3)];
    // The data page sits at 1 GiB or 2 GiB of guest-physical memory, aligned for any page size
    // and clear of the guest's tables (1..16 MiB).
    let gpa = (1 + rng.random_range(0..2u64)) << 30;
    let gva = (rng.random_range(1..64u64) << 39) + (rng.random_range(0..512u64) << 30);
    let offset = rng.random_range(0..g_size / 8) * 8;
    let host = if mode == "native" {
        String::new()
    } else {
        format!("[host]\nstage2 = \"prefilled\"\nstage2_page = \"{s_page}\"\n")
    };
    let scenario = format!(
        "schema = 1\nname = \"Practice {seed}: reference count\"\n\
         lesson = \"How many page-table references does a cold TLB miss make?\"\n\
         {}\
         [machine]\nmode = \"{mode}\"\nguest_levels = {g_levels}\nstage2_levels = {s_levels}\npwc = false\n\
         {host}\
         [[space]]\n[[space.map]]\ngva = \"{gva:#x}\"\ngpa = \"{gpa:#x}\"\npage = \"{g_page}\"\n\
         [[trace]]\nop = \"read\"\ngva = \"{:#x}\"\n",
        zh_keys("practice-refs-name", "practice-refs-lesson", seed),
        gva + offset
    );
    let events = first_access(session(&scenario)?);
    let refs = events
        .iter()
        .filter(|e| matches!(e, Event::TableRead { .. }))
        .count() as u32;
    Ok(Exercise {
        seed,
        kind: Kind::Refs {
            mode,
            g_levels,
            s_levels,
            g_page: g_page_name,
            s_page: s_page_name,
            va: gva + offset,
        },
        scenario,
        answer: Answer::Refs(refs),
        events,
    })
}

fn translation(seed: u64, rng: &mut ChaCha8Rng) -> Result<Exercise, String> {
    // Three 4 KiB pages: two in one page table, one under another PML4 entry, so every table on
    // the way holds more than the entry the learner needs.
    // PML4 indices below 256: the lower, canonical half of a 4-level address space.
    let pml4 = rng.random_range(1..255u64);
    let other_pml4 = (pml4 + rng.random_range(1..254u64)) % 255 + 1;
    let base =
        (pml4 << 39) + (rng.random_range(0..512u64) << 30) + (rng.random_range(0..512u64) << 21);
    let pages = [
        base + (rng.random_range(0..256u64) << 12),
        base + (rng.random_range(256..512u64) << 12),
        (other_pml4 << 39) + (rng.random_range(0..512u64) << 12),
    ];
    let frames: Vec<u64> = (0..3)
        .map(|_| (rng.random_range(0x1000..0x4000u64)) << 12)
        .collect();
    // One question in four asks about a page that is not mapped, in the same page table.
    let target = if rng.random_range(0..4) == 0 {
        let mut p = base + (rng.random_range(0..512u64) << 12);
        while pages.contains(&p) {
            p = base + (rng.random_range(0..512u64) << 12);
        }
        p
    } else {
        pages[rng.random_range(0..3)]
    };
    let va = target + rng.random_range(0..512u64) * 8;
    let mut scenario = format!(
        "schema = 1\nname = \"Practice {seed}: translate an address\"\n\
         lesson = \"Translate a virtual address by reading the page tables\"\n\
         {}\
         [machine]\nmode = \"native\"\n[[space]]\n",
        zh_keys("practice-translate-name", "practice-translate-lesson", seed)
    );
    for (p, f) in pages.iter().zip(&frames) {
        scenario.push_str(&format!(
            "[[space.map]]\ngva = \"{p:#x}\"\ngpa = \"{f:#x}\"\n"
        ));
    }
    scenario.push_str(&format!("[[trace]]\nop = \"read\"\ngva = \"{va:#x}\"\n"));
    let session = session(&scenario)?;
    let m = session.machine();
    let answer = m.resolve(Gva::new(va)).map(|h| h.raw());
    // Every present entry of every table on the pages' paths, by table.
    let mut tables: BTreeMap<u64, BTreeMap<u64, u64>> = BTreeMap::new();
    for p in pages.iter().chain([&target]) {
        for (_, entry, value) in m.guest_path(Gva::new(*p)) {
            if value & 1 == 1 {
                let e = entry.raw();
                tables
                    .entry(e & !0xfff)
                    .or_default()
                    .insert((e & 0xfff) / 8, value);
            }
        }
    }
    let root = tables.keys().next().copied().unwrap_or(0);
    let events = first_access(session);
    Ok(Exercise {
        seed,
        kind: Kind::Translate {
            va,
            root,
            tables: tables
                .into_iter()
                .map(|(t, e)| (t, e.into_iter().collect()))
                .collect(),
        },
        scenario,
        answer: Answer::Address(answer),
        events,
    })
}

/// The question's scenario, ready to run.
fn session(text: &str) -> Result<Session, String> {
    let sc = parse("practice.toml", text)
        .map_err(|d| format!("a generated question is invalid: {d}"))?;
    Session::new(sc).map_err(|d| format!("a generated question cannot run: {d}"))
}

/// The events of the session's first access.
fn first_access(mut session: Session) -> Vec<Event> {
    loop {
        let mut rec = pagewalk_core::Recorder::new(pagewalk_core::CostModel::default());
        match session.next(&mut rec) {
            Ok(Some(Action::Access { .. })) => return rec.events,
            Ok(Some(_)) => {}
            _ => return Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every question of the first few hundred seeds is built from a scenario that parses and
    /// runs, has an answer the judge accepts, and the same seed gives the same question.
    #[test]
    fn generated_questions_run_and_their_answers_are_accepted() {
        let mut faults = 0;
        let mut counts = std::collections::BTreeSet::new();
        for seed in 0..300 {
            let e = exercise(seed).expect("a question");
            assert_eq!(
                Ok(&e),
                exercise(seed).as_ref(),
                "seed {seed} is not deterministic"
            );
            match e.answer {
                Answer::Refs(n) => {
                    assert!(
                        (2..=35).contains(&n),
                        "seed {seed}: {n} references\n{}",
                        e.scenario
                    );
                    assert_eq!(e.judge(&n.to_string()), Some(true));
                    assert_eq!(e.judge(&(n + 1).to_string()), Some(false));
                    counts.insert(n);
                }
                Answer::Address(Some(a)) => {
                    assert_eq!(e.judge(&format!("{a:#x}")), Some(true), "seed {seed}");
                    assert_eq!(e.judge("fault"), Some(false));
                    assert!(
                        e.given(Lang::En).len() >= 5,
                        "seed {seed}: {:?}",
                        e.given(Lang::En)
                    );
                }
                Answer::Address(None) => {
                    faults += 1;
                    assert_eq!(e.judge("fault"), Some(true));
                    assert!(
                        e.why(Lang::En).contains("#PF"),
                        "seed {seed}: {}",
                        e.why(Lang::En)
                    );
                }
            }
        }
        assert!(faults > 10, "some translations fault: {faults}");
        // Both kinds read in both languages, and the generated scenario has its Chinese.
        for seed in [0, 1] {
            let e = exercise(seed).expect("a question");
            for l in Lang::ALL {
                assert!(!e.question(l).is_empty() && !e.why(l).is_empty());
                assert!(!e.answer_text(l).is_empty());
            }
            assert_ne!(e.question(Lang::ZhTw), e.question(Lang::En));
            let sc = pagewalk_scenario::parse("practice.toml", &e.scenario).expect("parses");
            assert_ne!(sc.name_in("zh-TW"), sc.name, "{}", e.scenario);
        }
        assert!(counts.len() > 8, "reference counts vary: {counts:?}");
    }

    /// The counts are the hardware's: a cold 4-level walk natively reads 4 entries, a 4x4 EPT
    /// walk 24, 5x5 35, and 2 MiB pages shorten both dimensions.
    #[test]
    fn reference_counts_follow_the_two_dimensional_formula() {
        for seed in (0..400).step_by(2) {
            let e = exercise(seed).expect("a question");
            let Answer::Refs(n) = e.answer else { panic!() };
            let num = |key: &str| -> u64 {
                e.scenario
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{key} = ")))
                    .map_or(4, |v| v.trim_matches('"').parse().unwrap_or(0))
            };
            let page = |key: &str| -> u64 {
                match e
                    .scenario
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{key} = ")))
                {
                    Some("\"2M\"") => 1,
                    Some("\"1G\"") => 2,
                    _ => 0,
                }
            };
            let g = num("guest_levels") - page("page");
            let expected = if e.scenario.contains("mode = \"native\"") {
                g
            } else {
                let h = num("stage2_levels") - page("stage2_page");
                (g + 1) * (h + 1) - 1
            };
            assert_eq!(u64::from(n), expected, "seed {seed}:\n{}", e.scenario);
        }
    }
}
