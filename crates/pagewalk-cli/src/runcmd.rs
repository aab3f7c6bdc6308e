//! `pagewalk run` and `pagewalk check`.

use anyhow::Result;
use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use pagewalk_core::COUNTER_KEYS;
use pagewalk_scenario::{load, run_with_progress, Report};
use serde_json::{json, Map, Value};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Runs with more actions than this get a progress bar on a terminal.
const PROGRESS_FROM: u64 = 2_000_000;

fn counters_json(r: &Report) -> Value {
    let mut m = Map::new();
    for k in COUNTER_KEYS {
        m.insert(k.to_owned(), json!(r.counters.get(k).unwrap_or(0)));
    }
    Value::Object(m)
}

pub fn run(files: &[PathBuf], as_json: bool) -> Result<u8> {
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
                continue;
            }
        };
        let total = scenario.total_actions();
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
                continue;
            }
        };
        failed |= !report.failures.is_empty();
        if as_json {
            out.push(json!({
                "file": file,
                "name": report.name,
                "counters": counters_json(&report),
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
            print_report(&file, &report);
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
        match load(path) {
            Ok(s) => println!(
                "{} {} ({}, {} trace entries, {} actions)",
                style("ok").green(),
                path.display(),
                s.name,
                s.trace.len(),
                s.total_actions()
            ),
            Err(d) => {
                invalid = true;
                eprintln!("{}", style(d.render()).red());
            }
        }
    }
    Ok(if invalid { 2 } else { 0 })
}
