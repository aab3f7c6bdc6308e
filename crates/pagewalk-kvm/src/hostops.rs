//! The host side of a run, for scenarios whose trace swaps, balloons or merges guest memory:
//! a swap file made for the run, KSM's settings, and putting both back afterwards, also on
//! error and on Ctrl-C. Measured on this host first (docs/overcommit.md, "Measured on real
//! KVM"): what each operation does to KVM's counters.

use crate::KvmError;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Whether Ctrl-C (or SIGTERM) came during the run.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Catches SIGINT and SIGTERM while host settings are changed, so that the guards below put
/// them back before the process ends; on drop, a signal that came is raised again with its
/// default action.
pub struct SignalGuard {
    old: [libc::sigaction; 2],
}

const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

impl SignalGuard {
    /// Installs the handlers (without `SA_RESTART`, so a KVM_RUN in progress returns EINTR).
    pub fn install() -> Self {
        // SAFETY: a zeroed sigaction is a valid "default" value; `sigaction` only reads the new
        // action and writes the old one into memory we own; the handler only stores to an
        // atomic, which is async-signal-safe.
        unsafe {
            let mut old: [libc::sigaction; 2] = std::mem::zeroed();
            for (i, &sig) in SIGNALS.iter().enumerate() {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_interrupt as *const () as usize;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, &mut old[i]);
            }
            SignalGuard { old }
        }
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        // SAFETY: restores the actions saved by `install`; raising a signal whose default
        // action ends the process is what the user asked for with Ctrl-C.
        unsafe {
            for (i, &sig) in SIGNALS.iter().enumerate() {
                libc::sigaction(sig, &self.old[i], std::ptr::null_mut());
            }
            if INTERRUPTED.swap(false, Ordering::SeqCst) {
                eprintln!("pagewalk: interrupted; the swap file and KSM settings were put back");
                libc::raise(libc::SIGINT);
            }
        }
    }
}

/// Refuses a swap-out run on a host that has swap of its own: the pages would go there, and
/// how much swap the guest has would not be the scenario's `[host] swap`.
pub fn no_other_swap() -> Result<(), KvmError> {
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
    match swaps.lines().nth(1) {
        Some(line) => Err(KvmError::Unavailable(format!(
            "this host already has swap ({}); a swap_out run makes its own swap file of the scenario's `[host] swap` size: swapoff the host's swap for the run, or run on a host without swap",
            line.split_whitespace().next().unwrap_or("?")
        ))),
        None => Ok(()),
    }
}

/// A swap file made and enabled for one run: swapped off and deleted on drop.
pub struct SwapFile {
    path: PathBuf,
    on: bool,
}

impl SwapFile {
    /// Makes a swap file of `bytes` (plus its header page) under `/var/tmp` and enables it.
    pub fn create(bytes: u64) -> Result<Self, KvmError> {
        let dir = std::env::var_os("PAGEWALK_SWAP_DIR")
            .map_or_else(|| PathBuf::from("/var/tmp"), PathBuf::from);
        let path = dir.join(format!("pagewalk-swap-{}", std::process::id()));
        let mut s = SwapFile { path, on: false };
        // mkswap needs at least 10 pages; a swap file must have no holes (write, not truncate).
        let size = (bytes + 4096).max(40 << 10) as usize;
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            KvmError::Unavailable(format!(
                "swap_out steps need a swap file and this run could not make one ({what}: {e}); run as root on a filesystem that takes swap files (ext4, xfs), or set PAGEWALK_SWAP_DIR to a directory on one"
            ))
        };
        std::fs::write(&s.path, vec![0u8; size]).map_err(|e| fail("writing it", &e))?;
        let out = std::process::Command::new("mkswap")
            .arg(&s.path)
            .output()
            .map_err(|e| fail("running mkswap", &e))?;
        if !out.status.success() {
            return Err(fail(
                "mkswap",
                &String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ));
        }
        let c = std::ffi::CString::new(s.path.as_os_str().as_encoded_bytes())
            .map_err(|e| fail("its path", &e))?;
        // SAFETY: `c` is a valid NUL-terminated path; swapon reads it and the flags only.
        let r = unsafe { libc::swapon(c.as_ptr(), 0) };
        if r != 0 {
            return Err(fail("swapon", &std::io::Error::last_os_error()));
        }
        s.on = true;
        Ok(s)
    }
}

impl Drop for SwapFile {
    fn drop(&mut self) {
        if self.on {
            if let Ok(c) = std::ffi::CString::new(self.path.as_os_str().as_encoded_bytes()) {
                // SAFETY: a valid NUL-terminated path; swapoff reads it only.
                if unsafe { libc::swapoff(c.as_ptr()) } != 0 {
                    eprintln!(
                        "pagewalk: could not swapoff {}: {}; run `swapoff {0}` and delete it",
                        self.path.display(),
                        std::io::Error::last_os_error()
                    );
                    return;
                }
            }
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

const KSM: &str = "/sys/kernel/mm/ksm";

fn ksm_read(name: &str) -> Option<u64> {
    std::fs::read_to_string(format!("{KSM}/{name}"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn ksm_write(name: &str, v: u64) -> Result<(), KvmError> {
    std::fs::write(format!("{KSM}/{name}"), v.to_string()).map_err(|e| {
        KvmError::Unavailable(format!(
            "ksm_scan steps drive KSM through {KSM}/{name} and this run cannot write it ({e}); run as root on a kernel built with CONFIG_KSM"
        ))
    })
}

/// KSM's settings, changed for one run and put back on drop.
pub struct KsmSession {
    saved: Vec<(&'static str, u64)>,
}

/// The settings a run changes, with the values it runs with: a whole scan per batch
/// (`pages_to_scan`), batches far enough apart to stop between two scans, zero pages merged
/// like any other (`use_zero_pages` 0, the default), every page looked at every scan
/// (`smart_scan` 0).
const SETTINGS: [(&str, u64); 4] = [
    ("pages_to_scan", 100_000),
    ("sleep_millisecs", 100),
    ("use_zero_pages", 0),
    ("smart_scan", 0),
];

/// KSM's counters, as `/sys/kernel/mm/ksm` shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KsmCounters {
    /// `pages_shared`.
    pub shared: u64,
    /// `pages_sharing`.
    pub sharing: u64,
    /// `pages_unshared`.
    pub unshared: u64,
    /// `pages_volatile`.
    pub volatile: u64,
}

impl KsmCounters {
    /// Reads them.
    pub fn now() -> Self {
        KsmCounters {
            shared: ksm_read("pages_shared").unwrap_or(0),
            sharing: ksm_read("pages_sharing").unwrap_or(0),
            unshared: ksm_read("pages_unshared").unwrap_or(0),
            volatile: ksm_read("pages_volatile").unwrap_or(0),
        }
    }
}

impl KsmSession {
    /// Saves the settings, sets the run's, and lets `ksmd` make one scan with nothing of this
    /// run to look at, so that counters left by an earlier process are cleared (they are
    /// updated only by a scan). Refuses when KSM is already running for someone else.
    pub fn start() -> Result<Self, KvmError> {
        let Some(run) = ksm_read("run") else {
            return Err(KvmError::Unavailable(format!(
                "ksm_scan steps need KSM and {KSM}/run cannot be read: this kernel has no CONFIG_KSM"
            )));
        };
        if run != 0 {
            return Err(KvmError::Unavailable(format!(
                "KSM is already running on this host ({KSM}/run = {run}): its counters would mix other processes' pages with this run's; stop it (`echo 0 > {KSM}/run`) and run again"
            )));
        }
        let mut s = KsmSession {
            saved: vec![("run", 0)],
        };
        for (name, v) in SETTINGS {
            if let Some(old) = ksm_read(name) {
                s.saved.push((name, old));
                ksm_write(name, v)?;
            }
        }
        s.scan(1)?;
        Ok(s)
    }

    /// Runs `ksmd` for `passes` full scans and stops it (the merged pages stay).
    pub fn scan(&mut self, passes: u64) -> Result<(), KvmError> {
        let start = ksm_read("full_scans").unwrap_or(0);
        ksm_write("run", 1)?;
        let deadline = Instant::now() + Duration::from_secs(20);
        let result = loop {
            let now = ksm_read("full_scans").unwrap_or(0);
            if now >= start + passes {
                break Ok(());
            }
            if interrupted() {
                break Err(KvmError::Guest("interrupted while KSM scanned".into()));
            }
            if Instant::now() > deadline {
                break Err(KvmError::Kvm(format!(
                    "KSM made {} of {passes} full scans in 20 s",
                    now - start
                )));
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        ksm_write("run", 0)?;
        result
    }
}

impl Drop for KsmSession {
    fn drop(&mut self) {
        // `run` first, so that ksmd stops before its pace is put back.
        for &(name, v) in &self.saved {
            if let Err(e) = ksm_write(name, v) {
                eprintln!("pagewalk: could not restore {KSM}/{name} to {v}: {e}");
            }
        }
    }
}
