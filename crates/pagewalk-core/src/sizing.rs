//! The seed's sizing arithmetic: RAM left for VMs, and huge pages a VM needs.

use crate::addr::PageSize;

const GIB: u64 = 1 << 30;

/// RAM available to VMs on a host with `host_ram` bytes, by the rule of thumb the seed quotes
/// (Red Hat's): up to 64 GiB, `RAM - 2 GiB`; above, `RAM - (2 GiB + 0.5 * RAM / 64)`.
///
/// The seed's first worked example says a 32 GB host leaves `32 - 2 = 10` GB; the formula
/// gives 30 (an arithmetic slip in the post), and so does this function.
pub const fn ram_for_vms(host_ram: u64) -> u64 {
    let reserve = if host_ram <= 64 * GIB {
        2 * GIB
    } else {
        2 * GIB + host_ram / 128
    };
    host_ram.saturating_sub(reserve)
}

/// The `vm.nr_hugepages` a VM of `vm_ram` bytes needs with huge pages of `page` size, as in
/// the seed's `2048 * 1024 / 2048 = 1024` for a 2048 MiB VM and 2 MiB pages (rounded up).
pub const fn hugepages_needed(vm_ram: u64, page: PageSize) -> u64 {
    vm_ram.div_ceil(page.bytes())
}

/// The swap Red Hat recommended for a system with `ram` bytes (RHEL 7 Storage Administration
/// Guide, the table the seed quotes): (the least, in bytes; the row that applies). It is general
/// advice for any system, not a sizing rule for an overcommitted KVM host.
pub const fn recommended_swap(ram: u64) -> (u64, &'static str) {
    if ram <= 2 * GIB {
        (2 * ram, "up to 2 GB: twice the RAM")
    } else if ram <= 8 * GIB {
        (ram, "over 2 GB up to 8 GB: as much as the RAM")
    } else if ram <= 64 * GIB {
        (4 * GIB, "over 8 GB up to 64 GB: at least 4 GB")
    } else {
        (4 * GIB, "over 64 GB: at least 4 GB")
    }
}

/// The rows of that table, as the seed prints them: (system RAM, recommended swap).
pub const SWAP_TABLE: [(&str, &str); 4] = [
    ("≤ 2 GB", "2 x memory size"),
    ("> 2 GB – 8 GB", "equal to memory size"),
    ("> 8 GB – 64 GB", "at least 4 GB"),
    ("> 64 GB", "at least 4 GB"),
];

/// Reads QEMU's `-m` argument (`[size=]N[suffix]`, Linux `qemu-options.hx`): a number of MiB
/// by default, or with a suffix K, M, G or T (either case, optionally followed by B); the
/// other options of `-m` (`slots=`, `maxmem=`) are ignored. Returns bytes.
pub fn parse_qemu_m(arg: &str) -> Result<u64, String> {
    let first = arg.split(',').next().unwrap_or("").trim();
    let v = first.strip_prefix("size=").unwrap_or(first);
    if v.is_empty() {
        return Err("`-m` needs a size, like 2048 or 4G".into());
    }
    let digits = v.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &v[digits.len()..];
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{v}` is not a size: write a number of MiB, like 2048, or 4G"))?;
    let unit: u64 = match suffix.to_ascii_uppercase().trim_end_matches('B') {
        "" | "M" => 1 << 20,
        "K" => 1 << 10,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("`{suffix}` is not a size suffix: use K, M, G or T")),
    };
    n.checked_mul(unit)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("`{v}` is not a usable memory size"))
}

/// The host set-up of the seed for a VM of `vm_ram` bytes on hugetlbfs pages of `page` size,
/// as the commands to type: check the page size and the pool, mount hugetlbfs, size the
/// pool, start QEMU from it (with `-mem-prealloc` when `prealloc`).
pub fn hugetlb_setup(vm_ram: u64, page: PageSize, prealloc: bool) -> Vec<String> {
    let n = hugepages_needed(vm_ram, page);
    let mib = vm_ram.div_ceil(1 << 20);
    let pool = match page {
        PageSize::Size1G => {
            format!("echo {n} > /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages")
        }
        _ => format!("sysctl vm.nr_hugepages={n}"),
    };
    let mount = match page {
        PageSize::Size1G => "mount -t hugetlbfs -o pagesize=1G hugetlbfs /dev/hugepages1G",
        _ => "mount -t hugetlbfs hugetlbfs /dev/hugepages",
    };
    let path = match page {
        PageSize::Size1G => "/dev/hugepages1G",
        _ => "/dev/hugepages",
    };
    vec![
        "getconf PAGESIZE".to_owned(),
        "grep Huge /proc/meminfo".to_owned(),
        mount.to_owned(),
        pool,
        format!(
            "qemu-system-x86_64 -accel kvm -m {mib} -mem-path {path}{} -hda disk.img",
            if prealloc { " -mem-prealloc" } else { "" }
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_examples() {
        assert_eq!(ram_for_vms(32 * GIB), 30 * GIB, "not the post's 10");
        assert_eq!(ram_for_vms(256 * GIB), 252 * GIB);
        assert_eq!(ram_for_vms(64 * GIB), 62 * GIB);
        assert_eq!(ram_for_vms(GIB), 0);
        assert_eq!(hugepages_needed(2048 << 20, PageSize::Size2M), 1024);
        assert_eq!(hugepages_needed((2048 << 20) + 1, PageSize::Size2M), 1025);
        assert_eq!(hugepages_needed(4 * GIB, PageSize::Size1G), 4);
    }

    #[test]
    fn qemu_m_reads_as_qemu_does() {
        assert_eq!(parse_qemu_m("2048"), Ok(2048 << 20));
        assert_eq!(parse_qemu_m("4G"), Ok(4 * GIB));
        assert_eq!(parse_qemu_m("4g"), Ok(4 * GIB));
        assert_eq!(parse_qemu_m("size=1024M,slots=2,maxmem=8G"), Ok(GIB));
        assert_eq!(parse_qemu_m("512MB"), Ok(512 << 20));
        assert!(parse_qemu_m("").is_err());
        assert!(parse_qemu_m("lots").is_err());
        assert!(parse_qemu_m("4X").is_err());
        assert!(parse_qemu_m("0").is_err());
    }

    #[test]
    fn the_swap_table_and_the_set_up() {
        assert_eq!(recommended_swap(GIB).0, 2 * GIB);
        assert_eq!(recommended_swap(6 * GIB).0, 6 * GIB);
        assert_eq!(recommended_swap(32 * GIB).0, 4 * GIB);
        assert_eq!(recommended_swap(256 * GIB).0, 4 * GIB);
        let lines = hugetlb_setup(2048 << 20, PageSize::Size2M, true);
        assert!(lines.contains(&"sysctl vm.nr_hugepages=1024".to_owned()));
        assert!(lines
            .last()
            .is_some_and(|l| l.contains("-m 2048 -mem-path /dev/hugepages -mem-prealloc")));
        let lines = hugetlb_setup(4 * GIB, PageSize::Size1G, false);
        assert!(lines
            .iter()
            .any(|l| l.contains("hugepages-1048576kB/nr_hugepages") && l.starts_with("echo 4 ")));
    }
}
