//! The `pagewalk` command as scripts and CI use it: exit codes, JSON shapes, and every
//! bundled scenario passing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pagewalk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pagewalk"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("pagewalk runs")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scenarios() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| format!("scenarios/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    v.sort();
    v
}

#[test]
fn every_bundled_scenario_passes() {
    let files = scenarios();
    assert!(files.len() >= 20, "{files:?}");
    let mut args = vec!["run", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = pagewalk(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let arr = v.as_array().expect("an array");
    assert_eq!(arr.len(), files.len());
    for o in arr {
        assert_eq!(o["expectations"]["failed"], 0, "{o}");
        assert!(o["expectations"]["passed"].as_u64().unwrap() >= 1, "{o}");
        for key in pagewalk_core::COUNTER_KEYS {
            assert!(o["counters"][key].is_u64(), "{key} in {o}");
        }
        for key in ["file", "name"] {
            assert!(o[key].is_string());
        }
    }
}

#[test]
fn exit_codes() {
    let dir = std::env::temp_dir().join(format!("pagewalk-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "schema = 1\nname = \"x\"\nlesson = \"y\"\n[machine]\nmode = \"nope\"\n",
    )
    .unwrap();
    let failing = dir.join("failing.toml");
    std::fs::write(
        &failing,
        "schema = 1\nname = \"x\"\nlesson = \"y\"\n[[space.map]]\ngva = \"0x1000\"\ngpa = \"0x4000_0000\"\n[[trace]]\nop = \"read\"\ngva = \"0x1000\"\nexpect = { memory_refs = 5 }\n",
    )
    .unwrap();
    let out = pagewalk(&["run", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:5:8: `mode` cannot be \"nope\""),
        "{err}"
    );
    let out = pagewalk(&["run", failing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("expected memory_refs = 5 in this step, got 4"),
        "{text}"
    );
    let out = pagewalk(&[
        "check",
        bad.to_str().unwrap(),
        "scenarios/ept-24-references.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = pagewalk(&["run", dir.join("missing.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the file"));
}

#[test]
fn walk_json_counts_the_nested_walk() {
    for (mode, gl, hl, gp, hp, refs) in [
        ("ept", "4", "4", "4K", "4K", 24),
        ("ept", "5", "5", "4K", "4K", 35),
        ("npt", "4", "4", "2M", "2M", 15),
        ("native", "4", "4", "4K", "4K", 4),
        ("native", "5", "4", "1G", "4K", 3),
    ] {
        let out = pagewalk(&[
            "walk",
            "--mode",
            mode,
            "--guest-levels",
            gl,
            "--host-levels",
            hl,
            "--guest-page",
            gp,
            "--host-page",
            hp,
            "--json",
            "0x7fff00001234",
        ]);
        assert_eq!(out.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["memory_refs"], refs, "{mode} {gl}x{hl} {gp}/{hp}");
        assert_eq!(
            v["guest_refs"].as_u64().unwrap() + v["host_refs"].as_u64().unwrap(),
            refs
        );
        assert!(v["translation"]["Ok"].is_string(), "{v}");
        assert!(v["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["text"].is_string()));
    }
    let out = pagewalk(&["walk", "--mode", "ept", "0x7fff00001234"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(g+1)(h+1)-1 = 24"), "{text}");
    let out = pagewalk(&["walk", "0x0000800000000000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not canonical"));
}

#[test]
fn bench_json_keys() {
    let out = pagewalk(&["bench", "--json", "--seconds", "0.05"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["tlb_hits_per_s", "native_walks_per_s", "nested_walks_per_s"] {
        assert!(v[key].as_u64().unwrap() > 0, "{key}");
    }
}

#[test]
fn explain_shows_both_layouts() {
    let out = pagewalk(&["explain", "0x7fff00001234"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("4-level paging"));
    assert!(text.contains("PML5 index [56:48] = 0x0"));
    assert!(text.contains("PML4 index [47:39] = 0xff"));
}

#[test]
fn nan_or_infinite_seconds_are_refused_not_a_panic() {
    for bad in ["nan", "inf", "-1", "0", "1e9"] {
        let arg = format!("--seconds={bad}");
        let out = pagewalk(&["bench", &arg]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("seconds") && !err.contains("panicked"),
            "{err}"
        );
    }
}

#[test]
fn json_modes_print_json_on_every_exit() {
    let dir = std::env::temp_dir().join(format!("pagewalk-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "schema = 1\nname = \"x\"\nlesson = \"y\"\n[machine]\nmode = \"eptt\"\n",
    )
    .unwrap();
    let out = pagewalk(&["run", "--json", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on exit 2");
    assert_eq!(v[0]["errors"][0]["line"], 5);
    let out = pagewalk(&["walk", "--json", "0xffff000000000000"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON error object");
    assert!(
        v["error"].as_str().unwrap_or("").contains("canonical"),
        "{v}"
    );
    let out = pagewalk(&["kvm", "run", "--json", bad.to_str().unwrap()]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("kvm run prints JSON on any exit");
    assert!(v.is_array(), "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}
