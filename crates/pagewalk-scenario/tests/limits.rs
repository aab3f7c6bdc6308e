//! Regression tests for the reproducers of the issue "Bad input never panics, hangs or eats
//! the machine": each once panicked, ran for hours or took gigabytes; each now gets a clean
//! error at its line and column, or runs within its bounds.

use pagewalk_scenario::{check, load, parse, run, Session};
use std::io::Write;
use std::time::{Duration, Instant};

fn file(text: &str) -> tempfile_path::TempPath {
    tempfile_path::TempPath::new(text)
}

/// A scenario file on disk that removes itself (no dependency for so little).
mod tempfile_path {
    use std::sync::atomic::{AtomicU32, Ordering};
    pub struct TempPath(pub std::path::PathBuf);
    static N: AtomicU32 = AtomicU32::new(0);
    impl TempPath {
        pub fn new(text: &str) -> Self {
            let p = std::env::temp_dir().join(format!(
                "pagewalk-limits-{}-{}.toml",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::write(&p, text).expect("temp file");
            TempPath(p)
        }
    }
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

const HEAD: &str = "schema = 1\nname = \"x\"\nlesson = \"y\"\n";

#[test]
fn a_tlb_array_with_no_ways_is_an_error_at_its_position() {
    let src = format!("{HEAD}[machine]\ntlb = {{ l1d_4k = \"16x0\" }}\n[[space.map]]\ngva = \"0x1000\"\ngpa = \"0x4000_0000\"\n[[trace]]\nop = \"read\"\ngva = \"0x1000\"\n");
    let e = parse("t.toml", &src).expect_err("0 ways");
    assert_eq!((e.items[0].pos.line, e.items[0].pos.col), (5, 18), "{e}");
    for bad in ["0x4", "4096x0", "5000x4", "16x33"] {
        let src = format!("{HEAD}[machine]\ntlb = {{ l2 = \"{bad}\" }}\n");
        assert!(parse("t.toml", &src).is_err(), "{bad}");
    }
    let src = format!("{HEAD}[machine]\ntlb = {{ l2 = \"0x0\" }}\n");
    assert!(parse("t.toml", &src).is_ok(), "0x0 removes an array");
}

#[test]
fn reading_stops_at_the_size_limit_whatever_the_file_is() {
    let t = Instant::now();
    let e = load(std::path::Path::new("/dev/zero")).expect_err("endless");
    assert!(e.items[0].message.contains("larger than the limit"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));
    let e = load(std::path::Path::new("/")).expect_err("a directory");
    assert!(e.items[0].message.contains("directory"), "{e}");
}

#[test]
fn check_reports_what_run_reports_before_its_first_step() {
    let src = format!("{HEAD}[machine]\nmax_frames = 16\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\nsize = \"64M\"\n");
    let f = file(&src);
    let c = check(&f.0).expect_err("check refuses");
    let r = run("t.toml", load(&f.0).expect("parses")).expect_err("run refuses");
    assert_eq!(c.items[0].message, r.items[0].message);
    assert_eq!(c.items[0].pos, r.items[0].pos);
}

#[test]
fn flushing_a_huge_tlb_millions_of_times_is_refused_before_running() {
    let src = format!("{HEAD}[machine]\nmode = \"ept\"\nvpid = false\nmax_actions = 20000000\ntlb = {{ l1d_4k = \"4096x32\", l2 = \"4096x32\", l1i_4k = \"4096x32\" }}\n[[trace]]\nop = \"vm_exit\"\ncount = 20000000\n");
    let f = file(&src);
    let t = Instant::now();
    let e = check(&f.0).expect_err("over budget");
    assert!(e.items[0].message.contains("max_work"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn large_paging_structure_caches_are_refused_for_long_traces() {
    let src = format!("{HEAD}[machine]\nmode = \"ept\"\npwc = {{ entries = 4096 }}\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\nsize = \"64M\"\n[[trace]]\nop = \"strided\"\nstart = \"0x7f00_0000_0000\"\nstride = \"4K\"\ncount = 16384\nrepeat = 1000\n");
    let e = check(&file(&src).0).expect_err("over budget");
    assert!(e.items[0].message.contains("max_work"), "{e}");
}

/// The hypervisor's own flushes are known only while running: a shadow-paging run whose every
/// access flushes a huge TLB stops at its budget with a clear error, quickly.
#[test]
fn the_work_budget_stops_a_run_while_it_runs() {
    let src = format!("{HEAD}[machine]\nmode = \"shadow\"\nmax_work = 300000000\ntlb = {{ l1d_4k = \"4096x32\", l2 = \"4096x32\", l1i_4k = \"4096x32\" }}\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\nsize = \"64M\"\n[[trace]]\nop = \"strided\"\nstart = \"0x7f00_0000_0000\"\nstride = \"4K\"\ncount = 16384\n[[trace]]\nop = \"strided\"\nstart = \"0x7f00_0000_0000\"\nstride = \"4K\"\ncount = 16384\nkind = \"write\"\n");
    let sc = parse("t.toml", &src).expect("valid");
    let t = Instant::now();
    let mut s = Session::new(sc).expect("within the static estimate");
    let mut c = pagewalk_core::Counters::default();
    let err = loop {
        match s.next(&mut c) {
            Ok(Some(_)) => {}
            Ok(None) => panic!("ran to the end: the budget did not stop it"),
            Err(e) => break e,
        }
    };
    assert!(err.message.contains("work budget"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}

#[test]
fn many_address_spaces_parse_in_linear_time() {
    let mut src = String::from(HEAD);
    let mut i = 0;
    while src.len() < 1_000_000 {
        src.push_str(&format!("[[space]]\nname = \"s{i}\"\n"));
        i += 1;
    }
    let t = Instant::now();
    let _ = parse("t.toml", &src);
    // 0.07 s in release here; the test build is unoptimised.
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    // A reference to a missing space lists a few names, not all of them.
    src.push_str("[[trace]]\nop = \"cr3\"\nspace = \"nope\"\n");
    let e = parse("t.toml", &src).expect_err("no such space");
    let hint = e
        .items
        .last()
        .and_then(|d| d.hint.clone())
        .unwrap_or_default();
    assert!(hint.len() < 200 && hint.contains("more"), "{hint}");
}

#[test]
fn control_characters_in_a_file_cannot_reach_the_terminal() {
    let src = format!("{HEAD}[machine]\nmode = \"\u{1b}[2J\u{1b}[31mevil\nline\"\n");
    let e = parse("t.toml", &src).expect_err("bad mode");
    let r = e.render();
    assert!(!r.contains('\u{1b}'), "{r}");
    let _ = std::io::stderr().flush();
}
