//! `pagewalk kvm run`: KVM's real counters beside the model's prediction.

use anyhow::Result;
use console::style;
use pagewalk_kvm::{run_on_kvm, KvmError, RealCounters, KVM_COUNTERS};
use pagewalk_scenario::load;
use serde_json::json;
use std::path::PathBuf;

/// Simulator counters that real KVM cannot expose on this host (no PMU, no TLB view).
const NOT_OBSERVABLE: [&str; 7] = [
    "tlb_hits",
    "tlb_misses",
    "walks",
    "memory_refs",
    "pwc_hits",
    "cycles",
    "vpid effects",
];

/// (name, simulated, real, matches) for every compared counter.
fn compare(real: &RealCounters, sim: &RealCounters) -> Vec<(String, u64, u64, bool)> {
    let mut rows = Vec::new();
    for k in KVM_COUNTERS {
        if k == "exits" || k == "irq_exits" {
            continue;
        }
        let (s, r) = (sim.get(k), real.get(k));
        rows.push((k.to_owned(), s, r, s == r));
    }
    // exits include interrupts the host takes at random; compare exits - irq_exits within 1.
    let s = sim.get("exits");
    let r = real.get("exits").saturating_sub(real.get("irq_exits"));
    rows.push(("exits - irq_exits".to_owned(), s, r, s.abs_diff(r) <= 1));
    rows
}

pub fn run(files: &[PathBuf], as_json: bool) -> Result<u8> {
    if let Err(e) = pagewalk_kvm::host::probe_kvm() {
        eprintln!(
            "{}",
            style(format!("pagewalk: KVM is unavailable: {e}")).red()
        );
        return Ok(3);
    }
    let mut invalid = false;
    let mut mismatch = false;
    let mut unavailable = false;
    let mut out = Vec::new();
    for path in files {
        let file = path.display().to_string();
        let sc = match load(path) {
            Ok(s) => s,
            Err(d) => {
                invalid = true;
                eprintln!("{}", style(d.render()).red());
                continue;
            }
        };
        match run_on_kvm(&sc) {
            Ok((real, sim)) => {
                let rows = compare(&real, &sim);
                let all = rows.iter().all(|r| r.3);
                mismatch |= !all;
                if as_json {
                    out.push(json!({
                        "file": file,
                        "name": sc.name,
                        "host_mode": "shadow",
                        "counters": rows.iter().map(|(n, s, r, m)| json!({
                            "name": n, "simulated": s, "real": r, "match": m,
                        })).collect::<Vec<_>>(),
                        "not_observable": NOT_OBSERVABLE,
                        "match": all,
                    }));
                } else {
                    println!(
                        "{} {}",
                        style(&sc.name).bold(),
                        style(format!("({file})")).dim()
                    );
                    println!("  {:<20} {:>10} {:>10}", "counter", "simulated", "real");
                    for (n, s, r, m) in &rows {
                        let mark = if *m {
                            style("=").green()
                        } else {
                            style("X").red().bold()
                        };
                        println!("  {n:<20} {s:>10} {r:>10}  {mark}");
                    }
                    println!(
                        "  not observable on this host: {}",
                        NOT_OBSERVABLE.join(", ")
                    );
                    println!();
                }
            }
            Err(KvmError::NotRunnable(why)) => {
                if as_json {
                    out.push(json!({"file": file, "name": sc.name, "skipped": why}));
                } else {
                    println!(
                        "{} {} {}",
                        style(&sc.name).bold(),
                        style(format!("({file})")).dim(),
                        style(format!("skipped: {why}")).yellow()
                    );
                }
            }
            Err(e @ KvmError::HugePool(_)) | Err(e @ KvmError::Unavailable(_)) => {
                eprintln!("{}", style(format!("{file}: {e}")).red());
                unavailable = true;
                if as_json {
                    out.push(json!({"file": file, "name": sc.name, "unavailable": e.to_string()}));
                }
            }
            Err(e) => {
                eprintln!("{}", style(format!("{file}: {e}")).red());
                invalid = true;
            }
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(if invalid {
        2
    } else if unavailable {
        3
    } else if mismatch {
        1
    } else {
        0
    })
}
