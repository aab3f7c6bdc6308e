//! The seed's sizing arithmetic: RAM left for VMs, and huge pages a VM needs.

use crate::addr::PageSize;
use pagewalk_text::Text;

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
/// Guide, the table the seed quotes): (the least, in bytes; the row of [`SWAP_TABLE`] that
/// applies). It is general advice for any system, not a sizing rule for an overcommitted KVM
/// host.
pub const fn recommended_swap(ram: u64) -> (u64, usize) {
    if ram <= 2 * GIB {
        (2 * ram, 0)
    } else if ram <= 8 * GIB {
        (ram, 1)
    } else if ram <= 64 * GIB {
        (4 * GIB, 2)
    } else {
        (4 * GIB, 3)
    }
}

/// What a row of [`SWAP_TABLE`] recommends, worded in a language by [`SwapAdvice::text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapAdvice {
    /// Twice the system's RAM.
    TwiceRam,
    /// As much as the system's RAM.
    EqualToRam,
    /// At least 4 GB.
    AtLeast4G,
}

impl SwapAdvice {
    /// The advice as the seed prints it ("2 x memory size"), as a message of the catalogue.
    pub fn text(&self) -> Text {
        Text::new(match self {
            SwapAdvice::TwiceRam => "swap-twice-ram",
            SwapAdvice::EqualToRam => "swap-equal-to-ram",
            SwapAdvice::AtLeast4G => "swap-at-least-4g",
        })
    }
}

pagewalk_text::display_in_english!(SwapAdvice, QemuSizeError);

/// The rows of that table, as the seed prints them: (system RAM, recommended swap).
pub const SWAP_TABLE: [(&str, SwapAdvice); 4] = [
    ("≤ 2 GB", SwapAdvice::TwiceRam),
    ("> 2 GB – 8 GB", SwapAdvice::EqualToRam),
    ("> 8 GB – 64 GB", SwapAdvice::AtLeast4G),
    ("> 64 GB", SwapAdvice::AtLeast4G),
];

/// Why an argument of `-m` is not a size QEMU would take ([`parse_qemu_m`]); worded in a
/// language by [`QemuSizeError::text`], in English by `Display`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QemuSizeError {
    /// Nothing to read.
    Empty,
    /// A suffix QEMU does not take (the suffix).
    Suffix(String),
    /// Not a number with a suffix (what was read).
    NotASize(String),
    /// Zero, or too large for 64 bits (what was read).
    Unusable(String),
}

impl QemuSizeError {
    /// The reason, as a message of the catalogue.
    pub fn text(&self) -> Text {
        match self {
            QemuSizeError::Empty => Text::new("qemu-m-empty"),
            QemuSizeError::Suffix(s) => Text::new("qemu-m-suffix").arg("suffix", s.as_str()),
            QemuSizeError::NotASize(v) => Text::new("qemu-m-not-a-size").arg("text", v.as_str()),
            QemuSizeError::Unusable(v) => Text::new("qemu-m-unusable").arg("text", v.as_str()),
        }
    }
}

impl std::error::Error for QemuSizeError {}

/// Reads QEMU's `-m` argument as QEMU does (`[size=]N[suffix]`; `qemu_strtosz_MiB` in QEMU's
/// `util/cutils.c`, then `QEMU_ALIGN_UP(size, 8192)` in `system/vl.c`): a number, possibly
/// with a decimal fraction, in MiB by default, or with one suffix letter of either case: B
/// (bytes), K, M, G, T, P or E; the other options of `-m` (`slots=`, `maxmem=`) are ignored.
/// Returns bytes, rounded up to 8 KiB.
pub fn parse_qemu_m(arg: &str) -> Result<u64, QemuSizeError> {
    let first = arg.split(',').next().unwrap_or("").trim();
    let v = first.strip_prefix("size=").unwrap_or(first);
    if v.is_empty() {
        return Err(QemuSizeError::Empty);
    }
    let number = v.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &v[number.len()..];
    let unit: u64 = match suffix.to_ascii_uppercase().as_str() {
        "" | "M" => 1 << 20,
        "B" => 1,
        "K" => 1 << 10,
        "G" => 1 << 30,
        "T" => 1 << 40,
        "P" => 1 << 50,
        "E" => 1 << 60,
        _ => return Err(QemuSizeError::Suffix(suffix.to_owned())),
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let bad = || QemuSizeError::NotASize(v.to_owned());
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (unit == 1 && !frac.is_empty()) {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    // The fraction in units, truncated as QEMU does.
    let mut part = 0u64;
    let mut scale = unit;
    for d in frac.bytes().take(18) {
        scale /= 10;
        part += u64::from(d - b'0') * scale;
    }
    whole
        .checked_mul(unit)
        .and_then(|b| b.checked_add(part))
        .filter(|&b| b > 0)
        .and_then(|b| b.checked_next_multiple_of(8192))
        .ok_or_else(|| QemuSizeError::Unusable(v.to_owned()))
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
        assert!(
            parse_qemu_m("512MB").is_err(),
            "QEMU takes one suffix letter"
        );
        assert_eq!(
            parse_qemu_m("2048B"),
            Ok(8192),
            "B is bytes, rounded up to 8 KiB"
        );
        assert_eq!(parse_qemu_m("1.5G"), Ok(3 * GIB / 2));
        assert_eq!(parse_qemu_m("1P"), Ok(1 << 50));
        assert_eq!(parse_qemu_m("1001K"), Ok(1_032_192), "rounded up to 8 KiB");
        assert!(parse_qemu_m("1.5B").is_err());
        assert!(parse_qemu_m("").is_err());
        assert!(parse_qemu_m("lots").is_err());
        assert!(parse_qemu_m("4X").is_err());
        assert!(parse_qemu_m("0").is_err());
        // The reasons read as they did, in English, and have their Chinese.
        assert_eq!(
            parse_qemu_m("4X").unwrap_err().to_string(),
            "`X` is not a size suffix: QEMU takes one letter, B, K, M, G, T, P or E"
        );
        for e in [
            parse_qemu_m(""),
            parse_qemu_m("4X"),
            parse_qemu_m("lots"),
            parse_qemu_m("0"),
        ] {
            let e = e.unwrap_err();
            assert_ne!(
                e.text().say(crate::Lang::ZhTw),
                e.text().say(crate::Lang::En),
                "{e}"
            );
        }
    }

    #[test]
    fn the_swap_table_and_the_set_up() {
        assert_eq!(recommended_swap(GIB), (2 * GIB, 0));
        assert_eq!(recommended_swap(6 * GIB), (6 * GIB, 1));
        assert_eq!(recommended_swap(32 * GIB), (4 * GIB, 2));
        assert_eq!(recommended_swap(256 * GIB), (4 * GIB, 3));
        assert_eq!(SWAP_TABLE[1].1.to_string(), "equal to memory size");
        for (_, advice) in SWAP_TABLE {
            assert_ne!(
                advice.text().say(crate::Lang::ZhTw),
                advice.text().say(crate::Lang::En)
            );
        }
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
