//! Practice questions generated from a seed, the way OSTEP's paging homework
//! (`paging-multilevel-translate.py`) generates problems: each question is a small scenario,
//! and its answer is what the core does when it runs that scenario, so the questions can never
//! disagree with the lessons. Two kinds: how many page-table references a cold TLB miss makes
//! (native, EPT or NPT, 4- or 5-level, any page sizes), and translating a virtual address by
//! reading the page tables by hand.

use pagewalk_core::{view, Event, Gva};
use pagewalk_scenario::{parse, Action, Session};
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

/// One generated question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exercise {
    /// The seed it was generated from (the same seed, the same question).
    pub seed: u64,
    /// The question.
    pub question: String,
    /// What the learner may read: for a translation, the page tables as lines of text.
    pub given: Vec<String>,
    /// The scenario that is the question, to open in the player.
    pub scenario: String,
    /// The answer, from running the scenario.
    pub answer: Answer,
    /// Why, from the core's events.
    pub why: String,
}

impl Exercise {
    /// Judges what the learner typed: a number of references, or an address in hex (`0x`
    /// optional) or `fault`. `None` when it cannot be read as an answer at all.
    pub fn judge(&self, typed: &str) -> Option<bool> {
        let t = typed.trim().to_ascii_lowercase();
        match self.answer {
            Answer::Refs(n) => t.parse::<u32>().ok().map(|g| g == n),
            Answer::Address(a) => {
                if t.contains("fault") || t == "#pf" || t == "pf" {
                    return Some(a.is_none());
                }
                let hex = t.trim_start_matches("0x").replace('_', "");
                u64::from_str_radix(&hex, 16).ok().map(|g| Some(g) == a)
            }
        }
    }

    /// The answer as the reveal states it.
    pub fn answer_text(&self) -> String {
        match self.answer {
            Answer::Refs(n) => format!("{n} page-table references"),
            Answer::Address(Some(a)) => format!("physical address {a:#x}"),
            Answer::Address(None) => "a page fault (#PF)".to_owned(),
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
    let (host, setup) = if mode == "native" {
        (
            String::new(),
            format!("A machine without a hypervisor, {g_levels}-level paging; the page is a {g_page_name} page."),
        )
    } else {
        let stage2 = if mode == "ept" { "EPT" } else { "NPT" };
        (
            format!("[host]\nstage2 = \"prefilled\"\nstage2_page = \"{s_page}\"\n"),
            format!(
                "A {g_levels}-level guest over {s_levels}-level {stage2}: the guest maps the page \
                 with a {g_page_name} page, {stage2} maps guest-physical memory with {s_page_name} pages."
            ),
        )
    };
    let scenario = format!(
        "schema = 1\nname = \"Practice {seed}: reference count\"\n\
         lesson = \"How many page-table references does a cold TLB miss make?\"\n\
         [machine]\nmode = \"{mode}\"\nguest_levels = {g_levels}\nstage2_levels = {s_levels}\npwc = false\n\
         {host}\
         [[space]]\n[[space.map]]\ngva = \"{gva:#x}\"\ngpa = \"{gpa:#x}\"\npage = \"{g_page}\"\n\
         [[trace]]\nop = \"read\"\ngva = \"{:#x}\"\n",
        gva + offset
    );
    let events = first_access(session(&scenario)?);
    let refs = events
        .iter()
        .filter(|e| matches!(e, Event::TableRead { .. }))
        .count() as u32;
    Ok(Exercise {
        seed,
        question: format!(
            "{setup} The TLB and the paging-structure caches are empty. How many page-table \
             references does one read of {:#x} make?",
            gva + offset
        ),
        given: Vec::new(),
        scenario,
        answer: Answer::Refs(refs),
        why: format!(
            "{} {}",
            view::narrate(&events),
            if mode == "native" {
                "A walk reads one entry per level down to the leaf: a 2 MiB page ends it one \
                 level early, a 1 GiB page two."
            } else {
                "A walk that reads g guest entries, each behind an h-reference stage-2 walk, \
                 makes (g+1)(h+1)-1 (the last h for the data page itself); a larger page ends \
                 its walk a level or two early."
            }
        ),
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
         [machine]\nmode = \"native\"\n[[space]]\n"
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
    let mut given = vec![format!(
        "CR3 = {root:#x}, 4-level paging. Entries not listed are 0 (not present). \
         In an entry, bit 0 = present and bits 51..12 = the next table or the page."
    )];
    for (table, entries) in &tables {
        given.push(format!("table at {table:#x}:"));
        given.extend(entries.iter().map(|(i, v)| format!("  [{i}] = {v:#x}")));
    }
    let events = first_access(session);
    let idx = |shift: u32| (va >> shift) & 0x1ff;
    Ok(Exercise {
        seed,
        question: format!(
            "Which physical address does a read of {va:#x} reach? Type it in hex, or \"fault\"."
        ),
        given,
        scenario,
        answer: Answer::Address(answer),
        why: format!(
            "The address's indices are PML4 {}, PDPT {}, PD {}, PT {}, offset {:#x} (bits 47..39, \
             38..30, 29..21, 20..12, 11..0). {}",
            idx(39),
            idx(30),
            idx(21),
            idx(12),
            va & 0xfff,
            view::narrate(&events)
        ),
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
                    assert!(e.given.len() >= 5, "seed {seed}: {:?}", e.given);
                }
                Answer::Address(None) => {
                    faults += 1;
                    assert_eq!(e.judge("fault"), Some(true));
                    assert!(e.why.contains("#PF"), "seed {seed}: {}", e.why);
                }
            }
        }
        assert!(faults > 10, "some translations fault: {faults}");
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
