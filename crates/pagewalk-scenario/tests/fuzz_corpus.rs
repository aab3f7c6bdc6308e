//! A bounded fuzz run over the parser, the builder and the runner: the bundled scenarios are
//! the corpus, mutated by byte flips, deletions, insertions of TOML-ish fragments and
//! splices, with a fixed seed so a failure reproduces. It runs for `PAGEWALK_FUZZ_SECS`
//! seconds (60 in `scripts/test.sh`, 10 by default) and fails on any panic; every mutant that
//! parses is also built and run for at most 2000 actions.

use pagewalk_core::Recorder;
use pagewalk_scenario::{parse, Session};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::time::{Duration, Instant};

const FRAGMENTS: &[&str] = &[
    "\n[machine]\n",
    "\n[host]\n",
    "\n[[trace]]\nop = \"read\"\ngva = \"0x7f00_0000_0000\"\n",
    "\n[[trace]]\nop = \"vm_exit\"\ncount = 100000\n",
    "\n[[trace]]\nop = \"pte_write\"\ngva = \"0x7f00_0000_0000\"\nlevel = 1\nraw = 0\n",
    "\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\nsize = \"1G\"\npage = \"1G\"\n",
    " = \"16x0\"",
    " = \"0x0\"",
    " = -1",
    " = 18446744073709551615",
    " = nan",
    " = inf",
    " = \"\u{1b}[2J\"",
    " = \"ffff_ffff_ffff_ffff\"",
    "mode = \"shadow\"\n",
    "mode = \"ept\"\n",
    "stage2 = \"prefilled\"\n",
    "platform = \"pvm\"\n",
    "tlb = { l1d_4k = \"4096x32\", l2 = \"4096x32\" }\n",
    "pwc = { entries = 4096 }\n",
    "guest_levels = 5\n",
    "max_frames = 16\n",
    "[",
    "]]",
    "\"",
    "\u{0}",
];

fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

fn mutate(rng: &mut ChaCha8Rng, base: &str, other: &str) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..6) {
        let at = rng.random_range(0..=bytes.len());
        match rng.random_range(0..5) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] ^= 1 << rng.random_range(0..8);
            }
            1 if !bytes.is_empty() => {
                let end = (at + rng.random_range(1..40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            2 => {
                let f = FRAGMENTS[rng.random_range(0..FRAGMENTS.len())];
                bytes.splice(at..at, f.bytes());
            }
            3 => {
                let o = other.as_bytes();
                let from = rng.random_range(0..=o.len());
                let to = (from + rng.random_range(0..200)).min(o.len());
                bytes.splice(at..at, o[from..to].iter().copied());
            }
            _ => {
                // A number somewhere: replace the next digit run with an extreme.
                let start = at.min(bytes.len());
                if let Some(i) = bytes[start..].iter().position(u8::is_ascii_digit) {
                    let i = start + i;
                    let j = bytes[i..]
                        .iter()
                        .position(|c| !c.is_ascii_alphanumeric() && *c != b'_')
                        .map_or(bytes.len(), |k| i + k);
                    let extreme = [
                        "0",
                        "1",
                        "4096",
                        "0xffffffffffffffff",
                        "99999999999999999999",
                    ][rng.random_range(0..5)];
                    bytes.splice(i..j, extreme.bytes());
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_bundled_scenarios_never_panic() {
    let secs: u64 = std::env::var("PAGEWALK_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let corpus = corpus();
    assert!(corpus.len() > 50, "the corpus is the bundled scenarios");
    let mut rng = ChaCha8Rng::seed_from_u64(0x005e_ed0f_7a9e);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut cases, mut parsed, mut ran) = (0u64, 0u64, 0u64);
    while Instant::now() < deadline {
        let base = &corpus[rng.random_range(0..corpus.len())];
        let other = &corpus[rng.random_range(0..corpus.len())];
        let text = mutate(&mut rng, base, other);
        cases += 1;
        let Ok(sc) = parse("fuzz.toml", &text) else {
            continue;
        };
        parsed += 1;
        let Ok(mut session) = Session::new(sc) else {
            continue;
        };
        ran += 1;
        let mut rec = Recorder::default();
        for _ in 0..2000 {
            rec.events.clear();
            match session.next(&mut rec) {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
    eprintln!("fuzz: {cases} mutants in {secs} s, {parsed} parsed, {ran} built and run");
    assert!(cases > 100, "only {cases} cases ran");
}
