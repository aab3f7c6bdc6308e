//! The docs are checked like code:
//! - every Intel SDM / AMD APM section cited in the docs, the lessons and the source is in the
//!   reviewed list `docs/citations.txt` (a citation that is not there, or is spelled another
//!   way, fails);
//! - every `modprobe`, `sysctl`, `mount` and `qemu-system-x86_64` command the docs show has
//!   the syntax of that command;
//! - the numbers in the docs' tables that come from a bundled scenario are what the scenario
//!   computes now.

use pagewalk_scenario::{load, run};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_under(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if !p.ends_with("target") && !p.ends_with("node_modules") {
                files_under(&p, exts, out);
            }
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| exts.contains(&x))
        {
            out.push(p);
        }
    }
}

/// Every `SDM vol. N, "Title"` / `APM vol. N "Title"` in a text, as `SDM vol. N | Title`.
fn citations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for book in ["SDM vol. ", "APM vol. "] {
        let mut rest = text;
        while let Some(i) = rest.find(book) {
            rest = &rest[i + book.len()..];
            let vol: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let after = rest[vol.len()..].trim_start_matches(',').trim_start();
            // Titles may be wrapped over two lines of a comment or a doc.
            if let Some(t) = after.strip_prefix('"') {
                if let Some(end) = t.find('"') {
                    let title: String = t[..end]
                        .split_whitespace()
                        .filter(|w| *w != "///" && *w != "//")
                        .collect::<Vec<_>>()
                        .join(" ");
                    out.push(format!("{} vol. {vol} | {title}", &book[..3]));
                }
            }
        }
    }
    out
}

#[test]
fn every_cited_section_is_in_the_reviewed_list() {
    let list_path = root().join("docs/citations.txt");
    let list = std::fs::read_to_string(&list_path).expect("docs/citations.txt");
    let known: BTreeSet<String> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut files = Vec::new();
    for dir in ["docs", "scenarios", "crates", "web/src"] {
        files_under(&root().join(dir), &["md", "toml", "rs"], &mut files);
    }
    let mut unknown = Vec::new();
    let mut seen = 0;
    for f in files {
        if f.ends_with("docs_are_true.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for c in citations(&text) {
            seen += 1;
            if !known.contains(&c) {
                unknown.push(format!("{}: {c}", f.display()));
            }
        }
    }
    assert!(
        seen > 30,
        "only {seen} citations found: is the scan broken?"
    );
    assert!(
        unknown.is_empty(),
        "citations missing from docs/citations.txt (add them after checking the section exists, \
         or fix the title):\n{}",
        unknown.join("\n")
    );
}

/// Lines of shell commands shown in a markdown file: code blocks and inline code, with
/// continuation lines joined.
fn commands(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            let l = line.trim();
            let l = l.strip_prefix("$ ").unwrap_or(l);
            let l = l.strip_prefix("# ").unwrap_or(l);
            if let Some(part) = l.strip_suffix('\\') {
                pending.push_str(part);
                pending.push(' ');
                continue;
            }
            pending.push_str(l);
            out.push(std::mem::take(&mut pending));
        } else {
            for (i, span) in line.split('`').enumerate() {
                if i % 2 == 1 {
                    out.push(span.to_owned());
                }
            }
        }
    }
    out.into_iter()
        .map(|c| c.trim().trim_start_matches("sudo ").to_owned())
        .collect()
}

fn check_modprobe(args: &[&str]) -> Result<(), String> {
    let mut it = args.iter().skip_while(|a| a.starts_with('-'));
    let module = it.next().ok_or("no module named")?;
    if !module
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!("`{module}` is not a module name"));
    }
    for p in it {
        let (name, value) = p
            .split_once('=')
            .ok_or(format!("`{p}`: a parameter is name=value"))?;
        if name.is_empty() || value.contains('=') {
            return Err(format!(
                "`{p}`: parameters are separated by spaces, not commas"
            ));
        }
    }
    Ok(())
}

fn check_sysctl(args: &[&str]) -> Result<(), String> {
    let rest: Vec<&&str> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if rest.is_empty() {
        return Err("no key".into());
    }
    for kv in rest {
        let key: &str = kv.split_once('=').map_or(kv, |(k, _)| k);
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '<' | '>'))
        {
            return Err(format!("`{kv}` is not key or key=value"));
        }
    }
    Ok(())
}

fn check_mount(args: &[&str]) -> Result<(), String> {
    let mut positional = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "-t" | "-o" => {
                args.get(i + 1)
                    .ok_or(format!("`{}` needs a value", args[i]))?;
                i += 2;
            }
            a if a.starts_with('-') => i += 1,
            a => {
                positional.push(a);
                i += 1;
            }
        }
    }
    if positional.len() != 2 && !args.contains(&"-a") {
        return Err(format!(
            "mount takes a source and a directory, got {positional:?}"
        ));
    }
    Ok(())
}

fn check_qemu(args: &[&str]) -> Result<(), String> {
    let mut i = 0;
    let mut kvm = false;
    while i < args.len() {
        let a = args[i];
        if !a.starts_with('-') {
            return Err(format!("`{a}` is not an option"));
        }
        let value = args.get(i + 1).filter(|v| !v.starts_with('-'));
        match a {
            "-enable-kvm" | "-mem-prealloc" | "-nographic" | "-snapshot" => i += 1,
            _ => {
                let v = value.ok_or(format!("`{a}` needs a value"))?;
                if (a == "-accel" && v.starts_with("kvm"))
                    || (a == "-machine" && v.contains("accel=kvm"))
                {
                    kvm = true;
                }
                i += 2;
            }
        }
        if a == "-enable-kvm" {
            kvm = true;
        }
    }
    if !kvm {
        return Err("without `-accel kvm` (or `-enable-kvm`) QEMU runs the guest under TCG".into());
    }
    Ok(())
}

#[test]
fn every_command_in_the_docs_parses() {
    let mut files = Vec::new();
    files_under(&root().join("docs"), &["md"], &mut files);
    files.push(root().join("README.md"));
    let mut problems = Vec::new();
    let mut checked = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for cmd in commands(&text) {
            let words: Vec<&str> = cmd.split_whitespace().collect();
            let Some((&head, args)) = words.split_first() else {
                continue;
            };
            let verdict = match head {
                "modprobe" => check_modprobe(args),
                "sysctl" => check_sysctl(args),
                "mount" => check_mount(args),
                "qemu-system-x86_64" => check_qemu(args),
                _ => continue,
            };
            checked += 1;
            if let Err(e) = verdict {
                problems.push(format!("{}: `{cmd}`: {e}", f.display()));
            }
        }
    }
    assert!(checked >= 5, "only {checked} commands found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checks_catch_the_posts_mistakes() {
    assert!(check_modprobe(&["kvm_intel", "ept=1,vpid=1"]).is_err());
    assert!(check_modprobe(&["kvm_intel", "ept=1", "vpid=1"]).is_ok());
    assert!(check_qemu(&["-m", "2048", "-mem-path", "/dev/hugepages"]).is_err());
    assert!(check_qemu(&["-accel", "kvm", "-m", "2048", "-mem-path", "/dev/hugepages"]).is_ok());
    // The set-up lines the app's huge-page planner shows run KVM too.
    for prealloc in [false, true] {
        let lines = pagewalk_core::sizing::hugetlb_setup(
            2048 << 20,
            pagewalk_core::PageSize::Size2M,
            prealloc,
        );
        let qemu = lines.last().unwrap();
        let args: Vec<&str> = qemu.split_whitespace().skip(1).collect();
        assert_eq!(check_qemu(&args), Ok(()), "{qemu}");
        let m = args[args.iter().position(|a| *a == "-m").unwrap() + 1];
        assert_eq!(pagewalk_core::sizing::parse_qemu_m(m), Ok(2048 << 20));
    }
    assert!(check_sysctl(&["vm.nr_hugepages=1024"]).is_ok());
    assert!(check_mount(&["-t", "hugetlbfs", "none"]).is_err());
    assert_eq!(
        citations("see Intel SDM vol. 3, \"EPT Violations\" and AMD APM vol. 2 \"Nested Paging\""),
        ["SDM vol. 3 | EPT Violations", "APM vol. 2 | Nested Paging"]
    );
}

/// One number in a doc's table: the row whose first cell starts with `row`, its `col`-th
/// cell (from 0), must start with the value of `counter` in `scenario` (after trace entry
/// `step`, from 1, when given: that entry's own counters).
struct TableNumber {
    doc: &'static str,
    row: &'static str,
    col: usize,
    scenario: &'static str,
    counter: &'static str,
    step: Option<usize>,
}

const fn n(
    doc: &'static str,
    row: &'static str,
    col: usize,
    scenario: &'static str,
    counter: &'static str,
) -> TableNumber {
    TableNumber {
        doc,
        row,
        col,
        scenario,
        counter,
        step: None,
    }
}

const NUMBERS: &[TableNumber] = &[
    n(
        "shadow-vs-ept.md",
        "accesses",
        1,
        "workload-under-shadow.toml",
        "accesses",
    ),
    n(
        "shadow-vs-ept.md",
        "accesses",
        2,
        "workload-under-ept.toml",
        "accesses",
    ),
    n(
        "shadow-vs-ept.md",
        "TLB misses",
        1,
        "workload-under-shadow.toml",
        "tlb_misses",
    ),
    n(
        "shadow-vs-ept.md",
        "TLB misses",
        2,
        "workload-under-ept.toml",
        "tlb_misses",
    ),
    n(
        "shadow-vs-ept.md",
        "page-table references",
        1,
        "workload-under-shadow.toml",
        "memory_refs",
    ),
    n(
        "shadow-vs-ept.md",
        "page-table references",
        2,
        "workload-under-ept.toml",
        "memory_refs",
    ),
    n(
        "shadow-vs-ept.md",
        "VM exits",
        1,
        "workload-under-shadow.toml",
        "vm_exits",
    ),
    n(
        "shadow-vs-ept.md",
        "VM exits",
        2,
        "workload-under-ept.toml",
        "vm_exits",
    ),
    n(
        "shadow-vs-ept.md",
        "cycles in walks",
        1,
        "workload-under-shadow.toml",
        "cycles_walk",
    ),
    n(
        "shadow-vs-ept.md",
        "cycles in walks",
        2,
        "workload-under-ept.toml",
        "cycles_walk",
    ),
    n(
        "shadow-vs-ept.md",
        "cycles in VM exits",
        1,
        "workload-under-shadow.toml",
        "cycles_vm_exit",
    ),
    n(
        "shadow-vs-ept.md",
        "cycles in VM exits",
        2,
        "workload-under-ept.toml",
        "cycles_vm_exit",
    ),
    n(
        "shadow-vs-ept.md",
        "cycles of hypervisor work",
        1,
        "workload-under-shadow.toml",
        "cycles_hypervisor",
    ),
    n(
        "shadow-vs-ept.md",
        "cycles of hypervisor work",
        2,
        "workload-under-ept.toml",
        "cycles_hypervisor",
    ),
    n(
        "shadow-vs-ept.md",
        "cycles in all",
        1,
        "workload-under-shadow.toml",
        "cycles",
    ),
    n(
        "shadow-vs-ept.md",
        "cycles in all",
        2,
        "workload-under-ept.toml",
        "cycles",
    ),
    n(
        "pcid.md",
        "TLB misses",
        1,
        "two-processes-pcid-off.toml",
        "tlb_misses",
    ),
    n(
        "pcid.md",
        "TLB misses",
        2,
        "two-processes-pcid-on.toml",
        "tlb_misses",
    ),
    n(
        "pcid.md",
        "flushes",
        1,
        "two-processes-pcid-off.toml",
        "tlb_flushes",
    ),
    n(
        "pcid.md",
        "flushes",
        2,
        "two-processes-pcid-on.toml",
        "tlb_flushes",
    ),
    n(
        "pcid.md",
        "page-table references",
        1,
        "two-processes-pcid-off.toml",
        "memory_refs",
    ),
    n(
        "pcid.md",
        "page-table references",
        2,
        "two-processes-pcid-on.toml",
        "memory_refs",
    ),
    n("vpid.md", "accesses", 1, "vpid-off.toml", "accesses"),
    n("vpid.md", "accesses", 2, "vpid-on.toml", "accesses"),
    n("vpid.md", "TLB misses", 1, "vpid-off.toml", "tlb_misses"),
    n("vpid.md", "TLB misses", 2, "vpid-on.toml", "tlb_misses"),
    n("vpid.md", "flushes", 1, "vpid-off.toml", "tlb_flushes"),
    n("vpid.md", "flushes", 2, "vpid-on.toml", "tlb_flushes"),
    n("vpid.md", "page walks", 1, "vpid-off.toml", "walks"),
    n("vpid.md", "page walks", 2, "vpid-on.toml", "walks"),
    n("vpid.md", "VM exits", 1, "vpid-off.toml", "vm_exits"),
    n("vpid.md", "VM exits", 2, "vpid-on.toml", "vm_exits"),
    n(
        "huge-pages.md",
        "`4K`",
        2,
        "guest-2m-pages-backing-4k.toml",
        "tlb_misses",
    ),
    n(
        "huge-pages.md",
        "`4K`",
        3,
        "guest-2m-pages-backing-4k.toml",
        "ept_violations",
    ),
    n(
        "huge-pages.md",
        "`thp`",
        2,
        "guest-2m-pages-backing-thp.toml",
        "tlb_misses",
    ),
    n(
        "huge-pages.md",
        "`thp`",
        3,
        "guest-2m-pages-backing-thp.toml",
        "ept_violations",
    ),
    n(
        "huge-pages.md",
        "`hugetlb-2M`",
        2,
        "guest-2m-pages-backing-hugetlb-2m.toml",
        "tlb_misses",
    ),
    n(
        "huge-pages.md",
        "`hugetlb-2M`",
        3,
        "guest-2m-pages-backing-hugetlb-2m.toml",
        "ept_violations",
    ),
    TableNumber {
        step: Some(1),
        ..n(
            "paging-structure-caches.md",
            "first, cold caches",
            1,
            "paging-structure-caches.toml",
            "memory_refs",
        )
    },
    TableNumber {
        step: Some(2),
        ..n(
            "paging-structure-caches.md",
            "next page",
            1,
            "paging-structure-caches.toml",
            "memory_refs",
        )
    },
    TableNumber {
        step: Some(3),
        ..n(
            "paging-structure-caches.md",
            "14 more pages",
            1,
            "paging-structure-caches.toml",
            "memory_refs",
        )
    },
];

/// The cells of the table row that starts with `label`.
fn row_cells(md: &str, label: &str) -> Option<Vec<String>> {
    md.lines().find_map(|l| {
        let cells: Vec<String> = l
            .trim()
            .strip_prefix('|')?
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect();
        cells.first()?.starts_with(label).then_some(cells)
    })
}

fn leading_number(cell: &str) -> Option<u64> {
    let digits: String = cell
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
fn numbers_in_doc_tables_are_what_the_scenarios_compute() {
    let mut wrong = Vec::new();
    for t in NUMBERS {
        let md = std::fs::read_to_string(root().join("docs").join(t.doc)).expect("doc");
        let path = root().join("scenarios").join(t.scenario);
        let sc = load(&path).expect("bundled scenario");
        let report = run(t.scenario, sc).expect("runs");
        assert!(
            report.failures.is_empty(),
            "{}: {:?}",
            t.scenario,
            report.failures
        );
        let counters = match t.step {
            Some(s) => report.steps[s - 1].counters,
            None => report.counters,
        };
        let want = counters.get(t.counter).expect("a counter key");
        let cells = row_cells(&md, t.row).unwrap_or_else(|| panic!("{}: no row {}", t.doc, t.row));
        let got = cells.get(t.col).and_then(|c| leading_number(c));
        if got != Some(want) {
            wrong.push(format!(
                "{} row `{}` column {}: the doc says {:?}, {} computes {} = {want}",
                t.doc, t.row, t.col, got, t.scenario, t.counter
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
