//! What this host offers for memory virtualisation, in the seed's terms: KVM present and usable,
//! shadow paging or TDP (EPT/NPT), VPID, the module parameters, THP, hugetlb pools, and the
//! RAM left for VMs.
//!
//! Facts are read from `/dev/kvm`, `/sys/module/*/parameters`, `/proc/cpuinfo`,
//! `/proc/meminfo` and `/sys/kernel/mm`; nothing is assumed from the CPU model.

use pagewalk_core::sizing::{hugepages_needed, ram_for_vms};
use pagewalk_core::PageSize;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;

/// How the host's KVM translates guest memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostMode {
    /// Shadow paging (no EPT/NPT in use, or PVM).
    Shadow,
    /// Two-dimensional paging: EPT or NPT.
    Tdp,
    /// KVM is not usable here.
    Unavailable,
}

/// One hugetlb pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HugePool {
    /// Page size in bytes.
    pub page_bytes: u64,
    /// `nr_hugepages`.
    pub total: u64,
    /// `free_hugepages`.
    pub free: u64,
}

/// The host report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostReport {
    /// /dev/kvm opened and a VM could be created.
    pub kvm_usable: bool,
    /// Why not, and what to do.
    pub kvm_problem: Option<String>,
    /// KVM API version.
    pub api_version: Option<i32>,
    /// Loaded KVM modules (kvm, kvm_intel, kvm_amd, kvm_pvm).
    pub modules: Vec<String>,
    /// Shadow paging or TDP.
    pub mode: HostMode,
    /// Why that mode was concluded.
    pub mode_reason: String,
    /// CPU flags from /proc/cpuinfo that matter: vmx, svm, ept, vpid, npt.
    pub cpu_flags: Vec<String>,
    /// Module parameters that matter (ept, vpid, npt, tdp_mmu, ...), by "module.param".
    pub parameters: BTreeMap<String, String>,
    /// KVM here is PVM (kvm_pvm loaded).
    pub pvm: bool,
    /// Transparent huge pages mode (the bracketed word of /sys/kernel/mm/transparent_hugepage/enabled).
    pub thp: Option<String>,
    /// hugetlb pools.
    pub huge_pools: Vec<HugePool>,
    /// hugetlbfs mount points.
    pub hugetlbfs_mounts: Vec<String>,
    /// MemTotal in bytes.
    pub ram_bytes: u64,
    /// RAM available to VMs by the seed's formula.
    pub ram_for_vms_bytes: u64,
    /// For `--vm-mem`: the VM size and the huge pages it needs per pool size.
    pub vm_mem: Option<VmMemPlan>,
}

/// The huge pages a VM of a given size needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VmMemPlan {
    /// The VM's memory in bytes.
    pub bytes: u64,
    /// 2 MiB pages needed (`sysctl vm.nr_hugepages=N`).
    pub nr_hugepages_2m: u64,
    /// 1 GiB pages needed.
    pub nr_hugepages_1g: u64,
    /// Whether the 2 MiB pool has that many free pages now.
    pub fits_2m_pool: bool,
}

fn read(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_owned())
}

fn meminfo_bytes(key: &str) -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Whether /dev/kvm works: opens, answers the API version, and creates a VM.
pub fn probe_kvm() -> Result<i32, String> {
    crate::sys::probe()
}

/// Reads everything, and plans huge pages for a VM of `vm_mem` bytes if given.
pub fn report(vm_mem: Option<u64>) -> HostReport {
    let modules: Vec<String> = ["kvm", "kvm_intel", "kvm_amd", "kvm_pvm"]
        .iter()
        .filter(|m| fs::metadata(format!("/sys/module/{m}")).is_ok())
        .map(|m| (*m).to_owned())
        .collect();
    let mut parameters = BTreeMap::new();
    for (module, params) in [
        ("kvm", &["tdp_mmu", "mmio_caching", "nx_huge_pages"][..]),
        (
            "kvm_intel",
            &["ept", "vpid", "unrestricted_guest", "enable_apicv"][..],
        ),
        ("kvm_amd", &["npt", "nested"][..]),
    ] {
        for p in params {
            if let Some(v) = read(&format!("/sys/module/{module}/parameters/{p}")) {
                parameters.insert(format!("{module}.{p}"), v);
            }
        }
    }
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags_line = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or_default();
    let cpu_flags: Vec<String> = ["vmx", "svm", "ept", "vpid", "npt"]
        .iter()
        .filter(|f| flags_line.split_whitespace().any(|w| w == **f))
        .map(|f| (*f).to_owned())
        .collect();
    let pvm = modules.iter().any(|m| m == "kvm_pvm");
    let probe = probe_kvm();
    let yes = |k: &str| parameters.get(k).is_some_and(|v| v == "Y" || v == "1");
    let (mode, mode_reason) = match (&probe, pvm) {
        (Err(_), _) => (HostMode::Unavailable, "KVM is not usable".to_owned()),
        (Ok(_), true) => (
            HostMode::Shadow,
            "kvm_pvm is loaded: PVM runs guests with shadow paging, without hardware virtualisation".to_owned(),
        ),
        (Ok(_), false) if yes("kvm_intel.ept") => {
            (HostMode::Tdp, "kvm_intel.ept = Y: EPT".to_owned())
        }
        (Ok(_), false) if yes("kvm_amd.npt") => (HostMode::Tdp, "kvm_amd.npt = 1: NPT".to_owned()),
        (Ok(_), false) => (
            HostMode::Shadow,
            "neither kvm_intel.ept nor kvm_amd.npt is on: shadow paging".to_owned(),
        ),
    };
    let thp = read("/sys/kernel/mm/transparent_hugepage/enabled").and_then(|s| {
        s.split_whitespace()
            .find(|w| w.starts_with('['))
            .map(|w| w.trim_matches(['[', ']']).to_owned())
    });
    let mut huge_pools = Vec::new();
    if let Ok(dir) = fs::read_dir("/sys/kernel/mm/hugepages") {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(kb) = name
                .strip_prefix("hugepages-")
                .and_then(|s| s.strip_suffix("kB"))
                .and_then(|s| s.parse::<u64>().ok())
            else {
                continue;
            };
            let base = e.path();
            let num = |f: &str| {
                fs::read_to_string(base.join(f))
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(0)
            };
            huge_pools.push(HugePool {
                page_bytes: kb * 1024,
                total: num("nr_hugepages"),
                free: num("free_hugepages"),
            });
        }
    }
    huge_pools.sort_by_key(|p| p.page_bytes);
    let hugetlbfs_mounts = fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.split_whitespace().nth(2) == Some("hugetlbfs"))
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .collect();
    let ram_bytes = meminfo_bytes("MemTotal:").unwrap_or(0);
    let vm_mem = vm_mem.map(|bytes| {
        let n2 = hugepages_needed(bytes, PageSize::Size2M);
        VmMemPlan {
            bytes,
            nr_hugepages_2m: n2,
            nr_hugepages_1g: hugepages_needed(bytes, PageSize::Size1G),
            fits_2m_pool: huge_pools
                .iter()
                .any(|p| p.page_bytes == 2 << 20 && p.free >= n2),
        }
    });
    HostReport {
        kvm_usable: probe.is_ok(),
        kvm_problem: probe.as_ref().err().cloned(),
        api_version: probe.ok(),
        modules,
        mode,
        mode_reason,
        cpu_flags,
        parameters,
        pvm,
        thp,
        huge_pools,
        hugetlbfs_mounts,
        ram_bytes,
        ram_for_vms_bytes: ram_for_vms(ram_bytes),
        vm_mem,
    }
}
