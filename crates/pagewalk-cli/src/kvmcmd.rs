//! `pagewalk kvm run`.

use anyhow::Result;
use console::style;
use pagewalk_kvm::{run_on_kvm, KvmError, KVM_COUNTERS};
use pagewalk_scenario::load;
use serde_json::json;
use std::path::PathBuf;

pub fn run(files: &[PathBuf], as_json: bool) -> Result<u8> {
    if let Err(e) = pagewalk_kvm::host::probe_kvm() {
        eprintln!(
            "{}",
            style(format!("pagewalk: KVM is unavailable: {e}")).red()
        );
        return Ok(3);
    }
    let mut invalid = false;
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
            Ok(real) => {
                if as_json {
                    out.push(json!({
                        "file": file,
                        "name": sc.name,
                        "host_mode": "shadow",
                        "real": real.0,
                    }));
                } else {
                    println!(
                        "{} {}",
                        style(&sc.name).bold(),
                        style(format!("({file})")).dim()
                    );
                    for k in KVM_COUNTERS {
                        println!("  {k:<18} {:>10}", real.get(k));
                    }
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
            Err(e) => {
                eprintln!("{}", style(format!("{file}: {e}")).red());
                invalid = true;
            }
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(if invalid { 2 } else { 0 })
}
