//! `pagewalk kvm run`: KVM's real counters beside the model's prediction.

use anyhow::Result;
use console::style;
use pagewalk_kvm::{compare, run_on_kvm, KvmError, NOT_OBSERVABLE};
use pagewalk_scenario::load;
use serde_json::json;
use std::path::PathBuf;

pub fn run(files: &[PathBuf], as_json: bool) -> Result<u8> {
    if let Err(e) = pagewalk_kvm::host::probe_kvm() {
        eprintln!(
            "{}",
            style(format!("pagewalk: KVM is unavailable: {e}")).red()
        );
        if as_json {
            let out: Vec<_> = files
                .iter()
                .map(|f| json!({"file": f.display().to_string(), "unavailable": format!("KVM is unavailable: {e}")}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        return Ok(3);
    }
    // Compare with the model of the translation this host's KVM uses.
    let host_mode = pagewalk_kvm::host::report(None).mode;
    let tdp = host_mode == pagewalk_kvm::host::HostMode::Tdp;
    let mut invalid = false;
    let mut mismatch = false;
    let mut unavailable = false;
    let mut guest_failed = false;
    let mut out = Vec::new();
    for path in files {
        let file = path.display().to_string();
        let sc = match load(path) {
            Ok(s) => s,
            Err(d) => {
                invalid = true;
                eprintln!("{}", style(d.render()).red());
                if as_json {
                    out.push(crate::runcmd::diagnostics_json(&d));
                }
                continue;
            }
        };
        match run_on_kvm(&sc) {
            Ok(o) => {
                let rows = compare(&o.real, if tdp { &o.tdp_unverified } else { &o.shadow });
                let all = rows.iter().all(|r| r.matches);
                mismatch |= !all;
                if as_json {
                    out.push(outcome_json(&file, &sc.name, tdp, &o));
                } else {
                    println!(
                        "{} {}",
                        style(&sc.name).bold(),
                        style(format!("({file})")).dim()
                    );
                    println!("  {:<20} {:>10} {:>10}", "counter", "simulated", "real");
                    for r in &rows {
                        let mark = if r.matches {
                            style("=").green()
                        } else {
                            style("X").red().bold()
                        };
                        let within = if r.tolerance > 0 {
                            format!(" (within {}: {})", r.tolerance, r.why)
                        } else {
                            String::new()
                        };
                        println!(
                            "  {:<20} {:>10} {:>10}  {mark}{within}",
                            r.name, r.simulated, r.real
                        );
                    }
                    let small = rows
                        .iter()
                        .filter(|r| !r.matches)
                        .all(|r| r.simulated.abs_diff(r.real) <= r.tolerance + 2);
                    if !all && o.host_activity.is_empty() && small {
                        println!(
                            "  {}",
                            style("a difference of a fault or two can also come from another process using KVM or the host's memory at the same time; run it again alone to tell host noise from a model error").yellow()
                        );
                    }
                    if !all && !o.host_activity.is_empty() {
                        let what: Vec<String> = o
                            .host_activity
                            .iter()
                            .map(|(k, v)| format!("{k} +{v}"))
                            .collect();
                        println!(
                            "  {}",
                            style(format!("the host changed process memory during the run ({}): KVM's MMU notifier may have zapped entries the model keeps, so this mismatch may be host noise", what.join(", "))).yellow()
                        );
                    }
                    println!(
                        "  not observable on this host: {}",
                        NOT_OBSERVABLE.join(", ")
                    );
                    if !tdp {
                        let other: Vec<String> = ["pf_fixed", "pages_4k", "pages_2m", "exits"]
                            .iter()
                            .map(|k| format!("{k} {}", o.tdp_unverified.get(k)))
                            .collect();
                        println!(
                            "  under EPT/NPT the model predicts (unverified, no TDP host here): {}",
                            other.join(", ")
                        );
                    }
                    println!();
                }
            }
            Err(KvmError::NotRunnable(why)) => {
                if as_json {
                    out.push(json!({"file": file, "name": sc.name, "skipped": why.to_string(), "skipped_text": why}));
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
            Err(e @ KvmError::Guest(_)) => {
                // The guest crashed or the watchdog stopped it: not bad input.
                eprintln!("{}", style(format!("{file}: {e}")).red());
                guest_failed = true;
                if as_json {
                    out.push(json!({"file": file, "name": sc.name, "guest_failed": e.to_string()}));
                }
            }
            Err(e) => {
                eprintln!("{}", style(format!("{file}: {e}")).red());
                invalid = true;
                if as_json {
                    out.push(json!({"file": file, "name": sc.name, "error": e.to_string()}));
                }
            }
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(if invalid {
        2
    } else if guest_failed {
        4
    } else if unavailable {
        3
    } else if mismatch {
        1
    } else {
        0
    })
}

/// One scenario's KVM comparison as `pagewalk kvm run --json` gives it (and `pagewalk serve`).
pub fn outcome_json(
    file: &str,
    name: &str,
    tdp: bool,
    o: &pagewalk_kvm::Outcome,
) -> serde_json::Value {
    let rows = compare(&o.real, if tdp { &o.tdp_unverified } else { &o.shadow });
    let all = rows.iter().all(|r| r.matches);
    json!({
        "file": file,
        "name": name,
        "host_mode": if tdp { "tdp" } else { "shadow" },
        "counters": rows,
        "not_observable": NOT_OBSERVABLE,
        "match": all,
        "tdp_prediction_unverified": o.tdp_unverified.0,
        "host_activity": o.host_activity.iter().map(|(k, v)| json!({"counter": k, "delta": v})).collect::<Vec<_>>(),
    })
}
