//! `pagewalk host`.

use anyhow::Result;
use console::style;
use pagewalk_kvm::host::{report, HostMode};

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
}

pub fn host(as_json: bool, vm_mem: Option<u64>) -> Result<u8> {
    let r = report(vm_mem);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(0);
    }
    let yes = |b: bool| {
        if b {
            style("yes").green()
        } else {
            style("no").red()
        }
    };
    println!("{}", style("KVM").bold());
    println!("  usable:           {}", yes(r.kvm_usable));
    if let Some(p) = &r.kvm_problem {
        println!("  problem:          {p}");
    }
    if let Some(v) = r.api_version {
        println!("  API version:      {v}");
    }
    println!("  modules:          {}", r.modules.join(", "));
    let mode = match r.mode {
        HostMode::Shadow => "shadow paging",
        HostMode::Tdp => "TDP (EPT/NPT)",
        HostMode::Unavailable => "unavailable",
    };
    println!("  translation:      {mode} ({})", r.mode_reason);
    println!("  PVM:              {}", yes(r.pvm));
    println!(
        "  CPU flags:        {}",
        if r.cpu_flags.is_empty() {
            "none of vmx, svm, ept, vpid, npt".to_owned()
        } else {
            r.cpu_flags.join(" ")
        }
    );
    for (k, v) in &r.parameters {
        println!("  {k:<17} {v}");
    }
    println!("{}", style("Memory").bold());
    println!("  RAM:              {}", gib(r.ram_bytes));
    println!(
        "  for VMs:          {} (RAM - 2 GiB up to 64 GiB; RAM - (2 GiB + RAM/128) above)",
        gib(r.ram_for_vms_bytes)
    );
    println!(
        "  THP:              {}",
        r.thp.as_deref().unwrap_or("not available")
    );
    for p in &r.huge_pools {
        println!(
            "  hugetlb {:>7}:  {} pages, {} free",
            if p.page_bytes >= 1 << 30 {
                format!("{} GiB", p.page_bytes >> 30)
            } else {
                format!("{} MiB", p.page_bytes >> 20)
            },
            p.total,
            p.free
        );
    }
    println!(
        "  hugetlbfs mounts: {}",
        if r.hugetlbfs_mounts.is_empty() {
            "none (mount -t hugetlbfs hugetlbfs /dev/hugepages)".to_owned()
        } else {
            r.hugetlbfs_mounts.join(", ")
        }
    );
    if let Some(v) = &r.vm_mem {
        println!("{}", style("A VM of this size").bold());
        println!(
            "  {} MiB needs {} huge pages of 2 MiB: sysctl vm.nr_hugepages={}{}",
            v.bytes >> 20,
            v.nr_hugepages_2m,
            v.nr_hugepages_2m,
            if v.fits_2m_pool {
                " (the pool has them free now)"
            } else {
                " (the pool does not have them free now)"
            }
        );
        println!("  or {} huge pages of 1 GiB", v.nr_hugepages_1g);
    }
    Ok(0)
}
