//! The simulator's predictions against real /dev/kvm, for every bundled scenario that can run
//! there. Where /dev/kvm does not open, each test says so loudly and checks nothing else.

use pagewalk_kvm::{compare, host::probe_kvm, run_on_kvm, KvmError};
use std::path::Path;

/// The tests of this file run one at a time: the leak check counts the process's descriptors.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn kvm_or_skip(test: &str) -> bool {
    match probe_kvm() {
        Ok(_) => true,
        Err(e) => {
            eprintln!("\n*** SKIPPED {test}: KVM is unavailable here: {e} ***\n");
            false
        }
    }
}

fn scenarios() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_runnable_bundled_scenario_matches_kvm() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !kvm_or_skip("every_runnable_bundled_scenario_matches_kvm") {
        return;
    }
    let mut ran = 0;
    let mut mismatches = Vec::new();
    for path in scenarios() {
        let sc = pagewalk_scenario::load(&path).expect("bundled scenarios are valid");
        match run_on_kvm(&sc) {
            Ok(o) => {
                ran += 1;
                for row in compare(&o.real, &o.shadow) {
                    if !row.matches {
                        mismatches.push(format!(
                            "{}: {} simulated {} real {}",
                            path.display(),
                            row.name,
                            row.simulated,
                            row.real
                        ));
                    }
                }
            }
            Err(KvmError::NotRunnable(why)) => {
                eprintln!("not runnable on KVM: {}: {why}", path.display())
            }
            Err(KvmError::HugePool(why)) => eprintln!(
                "\n*** SKIPPED {} on KVM: {why} (scripts/test.sh fills the pool when it runs as root) ***\n",
                path.display()
            ),
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    // With the hugetlb pool filled (scripts/test.sh does it as root) 79 run here; without it
    // the hugetlbfs ones are skipped, loudly.
    assert!(ran >= 50, "only {ran} scenarios ran on KVM");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn a_thousand_runs_leak_nothing() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !kvm_or_skip("a_thousand_runs_leak_nothing") {
        return;
    }
    let src = "schema = 1\nname = \"leak\"\nlesson = \"x\"\n[machine]\nmode = \"shadow\"\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\n[[trace]]\nop = \"read\"\ngva = \"0x7f00_0000_0000\"\n";
    let sc = pagewalk_scenario::parse("leak.toml", src).unwrap();
    // Warm up allocator caches before measuring.
    for _ in 0..20 {
        run_on_kvm(&sc).unwrap();
    }
    let (fds, rss) = (open_fds(), rss_kib());
    for _ in 0..1000 {
        let o = run_on_kvm(&sc).unwrap();
        assert_eq!(o.real.get("pf_fixed"), 1);
    }
    assert_eq!(open_fds(), fds, "file descriptors leaked");
    let grown = rss_kib().saturating_sub(rss);
    assert!(
        grown < 16 * 1024,
        "resident memory grew by {grown} KiB over 1000 runs"
    );
}

#[test]
fn the_watchdog_stops_a_long_guest() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !kvm_or_skip("the_watchdog_stops_a_long_guest") {
        return;
    }
    let src = "schema = 1\nname = \"long\"\nlesson = \"x\"\n[machine]\nmode = \"shadow\"\nmax_actions = 200000000\nmax_work = 600000000000\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\n[[trace]]\nop = \"strided\"\nstart = \"0x7f00_0000_0000\"\nstride = \"8\"\ncount = 512\nrepeat = 390000\n";
    let sc = pagewalk_scenario::parse("long.toml", src).unwrap();
    let t = std::time::Instant::now();
    let r = pagewalk_kvm::run_on_kvm_within(&sc, std::time::Duration::from_millis(30));
    match r {
        Err(KvmError::Guest(m)) => assert!(m.contains("watchdog"), "{m}"),
        other => panic!("expected the watchdog to stop the guest, got {other:?}"),
    }
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn host_report_is_consistent() {
    let r = pagewalk_kvm::host::report(Some(2048 << 20));
    assert_eq!(
        r.ram_for_vms_bytes,
        pagewalk_core::sizing::ram_for_vms(r.ram_bytes)
    );
    let plan = r.vm_mem.expect("asked for a plan");
    assert_eq!(plan.nr_hugepages_2m, 1024);
    assert_eq!(r.kvm_usable, probe_kvm().is_ok());
    if r.pvm {
        assert_eq!(r.mode, pagewalk_kvm::host::HostMode::Shadow);
    }
}
