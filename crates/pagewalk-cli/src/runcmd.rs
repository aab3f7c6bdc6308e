//! `pagewalk run` and `pagewalk check`.

use anyhow::Result;
use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use pagewalk_core::{Counters, Fault, PteFlags, COUNTER_KEYS, KVM_STATS};
use pagewalk_scenario::{load, run_with_progress, Report, StepReport};
use serde_json::{json, Map, Value};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Runs with more actions than this get a progress bar on a terminal.
const PROGRESS_FROM: u64 = 2_000_000;

/// A file's problems as JSON: each with its line, column, message and hint.
pub fn diagnostics_json(d: &pagewalk_scenario::Diagnostics) -> Value {
    json!({
        "file": d.file,
        "errors": d.items.iter().map(|i| json!({
            "line": i.pos.line,
            "column": i.pos.col,
            "message": i.message,
            "hint": i.hint,
        })).collect::<Vec<_>>(),
    })
}

fn counters_json(c: &Counters) -> Value {
    let mut m = Map::new();
    for (k, v) in c.entries() {
        m.insert(k.to_owned(), json!(v));
    }
    Value::Object(m)
}

/// A fault as data: its kind, #PF error code or exit qualification, and the addresses.
fn fault_json(f: &Fault) -> Value {
    match *f {
        Fault::PageFault { gva, code, level } => json!({
            "kind": "page_fault", "error_code": code.bits(), "gva": gva.to_string(),
            "level": level.number(), "text": f.to_string(),
        }),
        Fault::EptViolation {
            gpa,
            gva,
            qual,
            level,
        } => json!({
            "kind": "ept_violation", "qualification": qual.bits(), "gva": gva.to_string(),
            "gpa": gpa.to_string(), "level": level.number(), "text": f.to_string(),
        }),
        Fault::EptMisconfig { gpa, level } => json!({
            "kind": "ept_misconfig", "gpa": gpa.to_string(), "level": level.number(),
            "text": f.to_string(),
        }),
        Fault::NestedPageFault {
            gpa,
            code,
            final_translation,
            level,
        } => json!({
            "kind": "nested_page_fault", "error_code": code.bits(), "gpa": gpa.to_string(),
            "final_translation": final_translation, "level": level.number(),
            "text": f.to_string(),
        }),
        Fault::NonCanonical { gva } => json!({
            "kind": "general_protection", "gva": gva.to_string(), "text": f.to_string(),
        }),
        Fault::Cr3Reserved { cr3 } => json!({
            "kind": "general_protection", "cr3": format!("{cr3:#x}"), "text": f.to_string(),
        }),
    }
}

/// One trace entry: its counters, the last access's result, and the A/D flags of each guest
/// entry on that access's path after the step.
fn step_json(s: &StepReport) -> Value {
    let a = PteFlags::ACCESSED.bits();
    let d = PteFlags::DIRTY.bits();
    json!({
        "index": s.index + 1,
        "label": s.label,
        "gva": s.last_gva.map(|g| g.to_string()),
        "hpa": s.last.and_then(|o| o.result.ok()).map(|h| h.to_string()),
        "fault": s.last.and_then(|o| o.result.err()).map(|f| fault_json(&f)),
        "tlb": s.last.map(|o| match o.tlb_hit {
            Some(l) => format!("{l:?}").to_lowercase(),
            None => "miss".to_owned(),
        }),
        "path": s.path.iter().map(|&(level, gpa, e)| json!({
            "level": level.number(),
            "table": level.table_name(),
            "entry_gpa": gpa.to_string(),
            "entry": format!("{e:#x}"),
            "accessed": e & a != 0,
            "dirty": e & d != 0,
        })).collect::<Vec<_>>(),
        "counters": counters_json(&s.counters),
    })
}

pub fn run(files: &[PathBuf], as_json: bool, lang: Option<&str>) -> Result<u8> {
    let mut invalid = false;
    let mut failed = false;
    let mut out = Vec::new();
    let tty = std::io::stderr().is_terminal();
    for path in files {
        let file = path.display().to_string();
        let scenario = match load(path) {
            Ok(s) => s,
            Err(d) => {
                invalid = true;
                eprintln!("{}", style(d.render()).red());
                if as_json {
                    out.push(diagnostics_json(&d));
                }
                continue;
            }
        };
        let total = scenario.total_actions();
        // With --lang, the lesson's title, lesson and notes in that language (the counters
        // and everything else stay English).
        let texts = lang.map(|l| {
            (
                scenario.name_in(l).to_owned(),
                scenario.lesson_in(l).to_owned(),
                scenario.notes_in(l).map(str::to_owned),
            )
        });
        let bar = (tty && total >= PROGRESS_FROM).then(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} accesses ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_message(file.clone());
            b
        });
        let report = run_with_progress(&file, scenario, |done, _| {
            if let Some(b) = &bar {
                b.set_position(done);
            }
        });
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        let report = match report {
            Ok(r) => r,
            Err(d) => {
                invalid = true;
                eprintln!("{}", style(d.render()).red());
                if as_json {
                    out.push(diagnostics_json(&d));
                }
                continue;
            }
        };
        failed |= !report.failures.is_empty();
        if as_json {
            out.push(json!({
                "file": file,
                "name": report.name,
                "counters": counters_json(&report.counters),
                "steps": report.steps.iter().map(step_json).collect::<Vec<_>>(),
                "host": report.host,
                "expectations": {
                    "passed": report.passed,
                    "failed": report.failures.len(),
                    "failures": report.failures.iter().map(|f| json!({
                        "line": f.pos.line,
                        "column": f.pos.col,
                        "message": f.message,
                    })).collect::<Vec<_>>(),
                },
            }));
        } else {
            match &texts {
                Some((name, lesson, notes)) => {
                    let mut r = report.clone();
                    r.name.clone_from(name);
                    print_report(&file, &r);
                    println!("  {lesson}");
                    if let Some(n) = notes {
                        for line in n.lines() {
                            println!("  {line}");
                        }
                    }
                    println!();
                }
                None => print_report(&file, &report),
            }
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(if invalid {
        2
    } else if failed {
        1
    } else {
        0
    })
}

fn print_report(file: &str, r: &Report) {
    println!(
        "{} {}",
        style(&r.name).bold(),
        style(format!("({file})")).dim()
    );
    let width = COUNTER_KEYS.iter().map(|k| k.len()).max().unwrap_or(10);
    for k in COUNTER_KEYS {
        let v = r.counters.get(k).unwrap_or(0);
        if v != 0 || matches!(k, "accesses" | "memory_refs" | "cycles") {
            println!("  {k:<width$}  {v:>12}");
        }
    }
    let c = &r.counters;
    let kvm: Vec<String> = KVM_STATS
        .iter()
        .filter(|(_, key)| !matches!(*key, "vm_exits"))
        .filter_map(|&(name, key)| {
            let v = c.get(key).unwrap_or(0);
            (v != 0).then(|| format!("{name} {v}"))
        })
        .collect();
    if !kvm.is_empty() {
        println!("  {:<width$}  {}", "KVM's counters", kvm.join(", "));
    }
    let host: Vec<String> = pagewalk_core::HOST_COUNTERS
        .iter()
        .filter_map(|&k| {
            let v = c.get(k).unwrap_or(0);
            (v != 0).then(|| format!("{k} {v}"))
        })
        .collect();
    if !host.is_empty() {
        println!("  {:<width$}  {}", "host memory", host.join(", "));
    }
    if let Some(h) = r.host.as_ref().filter(|_| r.host_side) {
        let m = &h.meminfo;
        println!(
            "  {:<width$}  MemFree {} MiB of {} MiB, SwapFree {} of {} MiB, HugePages_Total {} Free {} Rsvd {}",
            "/proc/meminfo",
            m.mem_free >> 20,
            m.mem_total >> 20,
            m.swap_free >> 20,
            m.swap_total >> 20,
            m.huge_pages_total,
            m.huge_pages_free,
            m.huge_pages_rsvd
        );
        for (i, v) in h.vms.iter().enumerate() {
            println!(
                "  {:<width$}  -m {} MiB: touched {} KiB, resident {} KiB, swapped {} KiB, ballooned {} KiB, KSM-shared {} KiB",
                format!("vm{}", i + 1),
                v.committed >> 20,
                v.touched >> 10,
                v.resident >> 10,
                v.swapped >> 10,
                v.ballooned >> 10,
                v.shared >> 10
            );
        }
    }
    if c.cycles() > 0 {
        println!(
            "  {:<width$}  tlb {} + walks {} + vm exits {} + hypervisor {}",
            "cycles by kind",
            c.cycles_tlb(),
            c.cycles_walk(),
            c.cycles_vm_exit(),
            c.cycles_hypervisor()
        );
    }
    let total = r.passed + r.failures.len();
    if r.failures.is_empty() {
        println!(
            "  {} {} of {total} expectations hold",
            style("ok").green().bold(),
            r.passed
        );
    } else {
        for f in &r.failures {
            println!(
                "  {} {file}:{}:{}: {}",
                style("FAIL").red().bold(),
                f.pos.line,
                f.pos.col,
                f.message
            );
        }
        println!("  {} of {total} expectations hold", r.passed);
    }
    println!();
}

pub fn check(files: &[PathBuf]) -> Result<u8> {
    let mut invalid = false;
    for path in files {
        match pagewalk_scenario::check(path) {
            Ok(s) => {
                println!(
                    "{} {} ({}, {} trace entries, {} actions)",
                    style("ok").green(),
                    path.display(),
                    s.name,
                    s.trace.len(),
                    s.total_actions()
                );
                // Every lesson is taught in the post's language too.
                for lang in pagewalk_scenario::model::LANGUAGES {
                    for (what, pos) in s.missing_translations(lang) {
                        eprintln!(
                            "{}",
                            style(format!(
                                "warning: {}:{}:{}: `{what}` has no {lang} text (add `{lang}.{what} = \"...\"`)",
                                path.display(),
                                pos.line,
                                pos.col
                            ))
                            .yellow()
                        );
                    }
                }
            }
            Err(d) => {
                invalid = true;
                eprintln!("{}", style(d.render()).red());
            }
        }
    }
    Ok(if invalid { 2 } else { 0 })
}
