//! `pagewalk serve`: every refusal of the API, tested against the real server (each test
//! fails if its check is removed), a KVM run through it, and a soak of 200 runs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// KVM runs one at a time across the tests of this file (the server allows one anyway).
static SERIAL: Mutex<()> = Mutex::new(());

struct Server {
    child: Child,
    /// Kept open for as long as the server runs.
    _stdout: BufReader<std::process::ChildStdout>,
    port: u16,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn app_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("pagewalk-serve-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("index.html"),
        "<!doctype html><title>pagewalk</title>",
    )
    .unwrap();
    d
}

fn start(extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pagewalk"))
        .args(["serve", "--port", "0", "--dir"])
        .arg(app_dir())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    // "pagewalk is at http://127.0.0.1:PORT/?token=TOKEN"
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    let rest = url.strip_prefix("http://127.0.0.1:").expect(&line);
    let (port, token) = rest.split_once("/?token=").unwrap();
    Server {
        child,
        _stdout: stdout,
        port: port.parse().unwrap(),
        token: token.to_owned(),
    }
}

/// One HTTP/1.1 request; returns (status, body).
fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    // A refused body may be cut off: the status line is what matters then.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

fn scenario(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../scenarios/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn kvm_here() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

#[test]
fn the_app_is_served_and_the_api_needs_the_token() {
    let s = start(&[]);
    let (code, body) = request(s.port, "GET", "/", &[], b"");
    assert_eq!(code, 200);
    assert!(body.contains("pagewalk"));
    assert_eq!(
        request(s.port, "GET", "/api/kvm", &[], b"").0,
        403,
        "no token"
    );
    let wrong = "0".repeat(32);
    assert_eq!(
        request(
            s.port,
            "GET",
            "/api/kvm",
            &[("x-pagewalk-token", &wrong)],
            b""
        )
        .0,
        403,
        "wrong token"
    );
    let (code, body) = request(
        s.port,
        "GET",
        "/api/kvm",
        &[("x-pagewalk-token", &s.token)],
        b"",
    );
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"available\""), "{body}");
}

#[test]
fn a_foreign_origin_is_refused() {
    let s = start(&[]);
    let t = s.token.as_str();
    let (code, body) = request(
        s.port,
        "POST",
        "/api/kvm/run",
        &[("x-pagewalk-token", t), ("Origin", "http://evil.example")],
        &scenario("kvm-read-then-write"),
    );
    assert_eq!(code, 403, "{body}");
    let own = format!("http://127.0.0.1:{}", s.port);
    let (code, _) = request(
        s.port,
        "GET",
        "/api/kvm",
        &[("x-pagewalk-token", t), ("Origin", &own)],
        b"",
    );
    assert_eq!(code, 200, "the server's own origin is fine");
}

#[test]
fn a_rebound_host_name_is_refused() {
    let s = start(&[]);
    let (code, body) = request(
        s.port,
        "GET",
        "/api/kvm",
        &[
            ("x-pagewalk-token", &s.token),
            ("Host", "attacker.example:80"),
        ],
        b"",
    );
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("Host"), "{body}");
}

#[test]
fn a_body_over_the_limit_is_refused() {
    let s = start(&[]);
    let big = vec![b'#'; (1 << 20) + 1];
    let (code, _) = request(
        s.port,
        "POST",
        "/api/kvm/run",
        &[("x-pagewalk-token", &s.token)],
        &big,
    );
    assert_eq!(code, 413);
}

#[test]
fn an_invalid_file_gets_the_editors_diagnostics() {
    let s = start(&[]);
    let (code, body) = request(
        s.port,
        "POST",
        "/api/kvm/run",
        &[("x-pagewalk-token", &s.token)],
        b"schema = 1\nname = 3\n",
    );
    assert_eq!(code, 422, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"][0]["line"], 1, "{body}");
    assert!(
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["line"] == 2 && e["column"] == 8),
        "{body}"
    );
}

#[test]
fn host_settings_are_never_changed_by_a_request() {
    let s = start(&[]);
    let (code, body) = request(
        s.port,
        "POST",
        "/api/kvm/run",
        &[("x-pagewalk-token", &s.token)],
        &scenario("swap-out-and-back"),
    );
    // Refused with what to do instead, and nothing run (a run would have made a swap file).
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("skipped") && body.contains("pagewalk kvm run"),
        "{body}"
    );
    assert!(!body.contains("\"counters\""), "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["file"], "the scenario on screen",
        "the app's reader needs a file"
    );
    assert_eq!(v["skipped_text"]["id"], "kvm-host-settings", "{body}");
}

/// A scenario the KVM runtime cannot run says why, as every reply does with a `file` (the
/// app refused a reply without one), and as a message the app says in the learner's language.
#[test]
fn a_scenario_that_cannot_run_says_why_in_words_the_app_can_translate() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !kvm_here() {
        eprintln!("\n*** SKIPPED a_scenario_that_cannot_run_says_why_in_words_the_app_can_translate: /dev/kvm does not open here ***\n");
        return;
    }
    let s = start(&[]);
    let (code, body) = request(
        s.port,
        "POST",
        "/api/kvm/run",
        &[("x-pagewalk-token", &s.token)],
        &scenario("page-fault-error-codes"),
    );
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["file"], "the scenario on screen", "{body}");
    assert_eq!(v["skipped_text"]["id"], "kvm-fetch", "{body}");
    assert!(
        v["skipped"]
            .as_str()
            .unwrap()
            .contains("instruction fetches"),
        "{body}"
    );
}

#[test]
fn a_non_loopback_address_needs_allow_remote() {
    let out = Command::new(env!("CARGO_BIN_EXE_pagewalk"))
        .args(["serve", "--port", "0", "--bind", "0.0.0.0", "--dir"])
        .arg(app_dir())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-remote"), "{err}");
}

#[test]
fn a_taken_port_is_said_so() {
    let s = start(&[]);
    let out = Command::new(env!("CARGO_BIN_EXE_pagewalk"))
        .args(["serve", "--port", &s.port.to_string(), "--dir"])
        .arg(app_dir())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is taken") && err.contains("--port 0"),
        "{err}"
    );
}

#[test]
fn one_kvm_run_at_a_time() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !kvm_here() {
        eprintln!("\n*** SKIPPED one_kvm_run_at_a_time: /dev/kvm does not open here ***\n");
        return;
    }
    let s = start(&[]);
    // A run long enough to overlap: half a million first touches and their replay.
    let long = "schema = 1\nname = \"long\"\nlesson = \"x\"\n[machine]\nmode = \"shadow\"\n\
                [[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\nsize = \"64M\"\n\
                [[trace]]\nop = \"strided\"\nstart = \"0x7f00_0000_0000\"\nstride = \"4K\"\ncount = 16384\nrepeat = 40\n";
    let (port, token) = (s.port, s.token.clone());
    let first = std::thread::spawn(move || {
        request(
            port,
            "POST",
            "/api/kvm/run",
            &[("x-pagewalk-token", &token)],
            long.as_bytes(),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    let (code, body) = request(
        s.port,
        "POST",
        "/api/kvm/run",
        &[("x-pagewalk-token", &s.token)],
        &scenario("kvm-read-then-write"),
    );
    assert_eq!(code, 429, "{body}");
    let (code, body) = first.join().unwrap();
    assert_eq!(code, 200, "{body}");
}

#[test]
fn a_kvm_scenario_runs_through_the_api_and_matches() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !kvm_here() {
        eprintln!("\n*** SKIPPED a_kvm_scenario_runs_through_the_api_and_matches: /dev/kvm does not open here ***\n");
        return;
    }
    let s = start(&[]);
    let (code, body) = request(
        s.port,
        "POST",
        "/api/kvm/run",
        &[("x-pagewalk-token", &s.token)],
        &scenario("kvm-read-then-write"),
    );
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["match"], true, "{body}");
    assert!(
        v["counters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "pf_fixed" && r["real"] == 32),
        "{body}"
    );
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// 200 runs in a row: no growth in open files, and memory within 32 MiB of where it was after
/// the first ten (allocator caches settle by then).
#[test]
fn two_hundred_runs_leak_nothing() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !kvm_here() {
        eprintln!("\n*** SKIPPED two_hundred_runs_leak_nothing: /dev/kvm does not open here ***\n");
        return;
    }
    let s = start(&[]);
    let pid = s.child.id();
    let body = scenario("kvm-read-then-write");
    let run = || {
        let (code, out) = request(
            s.port,
            "POST",
            "/api/kvm/run",
            &[("x-pagewalk-token", &s.token)],
            &body,
        );
        assert_eq!(code, 200, "{out}");
    };
    for _ in 0..10 {
        run();
    }
    let (fd0, rss0) = (fds(pid), rss_kib(pid));
    let t = Instant::now();
    for _ in 0..190 {
        run();
    }
    let (fd1, rss1) = (fds(pid), rss_kib(pid));
    eprintln!(
        "200 runs: fds {fd0} -> {fd1}, RSS {rss0} -> {rss1} KiB, {:?} for the last 190",
        t.elapsed()
    );
    assert!(fd1 <= fd0 + 2, "open files grew: {fd0} -> {fd1}");
    assert!(
        rss1 <= rss0 + 32 * 1024,
        "memory grew: {rss0} -> {rss1} KiB"
    );
}
