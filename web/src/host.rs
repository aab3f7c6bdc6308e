//! The host page (`#page=host`): what its calculators show, worked out by the core's sizing
//! arithmetic (`pagewalk_core::sizing`) from what the learner typed, and how sizes are written
//! on it and in the player's host panel. Pure and tested natively; the component in
//! [`crate::components::host`] only renders it. Nothing here computes a size the core does not:
//! the formulas, `-m`'s syntax, the huge pages a VM needs and the swap table are the core's.

use crate::i18n::{t, ta, Lang};
use pagewalk_core::sizing::{
    hugepages_needed, hugetlb_setup, parse_qemu_m, ram_for_vms, recommended_swap, QemuSizeError,
};
use pagewalk_core::PageSize;

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// What the learner typed on the host page; kept in the app's state so it survives a visit to
/// a lesson and back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inputs {
    /// Host RAM for the RAM-for-VMs calculator, in GiB as typed.
    pub ram_gib: String,
    /// What would follow QEMU's `-m`, for the reader.
    pub qemu_m: String,
    /// The VM's `-m` for the huge-page planner.
    pub vm_m: String,
    /// The planner uses 1 GiB pages (else 2 MiB).
    pub page_1g: bool,
    /// The planner's QEMU command line has `-mem-prealloc`.
    pub prealloc: bool,
    /// Host RAM for the swap table, in GiB as typed.
    pub swap_ram_gib: String,
}

impl Default for Inputs {
    /// The post's own examples: a 32 GB host, `-m 4G`, a 2048 MiB VM on 2 MiB pages.
    fn default() -> Self {
        Inputs {
            ram_gib: "32".into(),
            qemu_m: "4G".into(),
            vm_m: "2048".into(),
            page_1g: false,
            prealloc: false,
            swap_ram_gib: "32".into(),
        }
    }
}

/// One change to the inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Host RAM (GiB) for RAM for VMs.
    Ram(String),
    /// The `-m` reader's text.
    QemuM(String),
    /// The planner's VM size.
    VmSize(String),
    /// The planner's page size: 1 GiB (true) or 2 MiB.
    Page1G(bool),
    /// The planner's `-mem-prealloc`.
    Prealloc(bool),
    /// Host RAM (GiB) for the swap table.
    SwapRam(String),
}

impl Inputs {
    /// Applies one change.
    pub fn apply(&mut self, i: Input) {
        match i {
            Input::Ram(t) => self.ram_gib = t,
            Input::QemuM(t) => self.qemu_m = t,
            Input::VmSize(t) => self.vm_m = t,
            Input::Page1G(b) => self.page_1g = b,
            Input::Prealloc(b) => self.prealloc = b,
            Input::SwapRam(t) => self.swap_ram_gib = t,
        }
    }
}

/// Why what the learner typed is not a size; worded in a language by [`Invalid::text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// No RAM size typed.
    NoGib,
    /// Not a number (what was typed).
    NotGib(String),
    /// A number, but no RAM size (what was typed).
    NotRam(String),
    /// Not something QEMU's `-m` takes (the core's reason).
    QemuM(QemuSizeError),
}

impl Invalid {
    /// The reason, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Invalid::NoGib => t(lang, "host-gib-empty"),
            Invalid::NotGib(v) => ta(lang, "host-gib-not-number", &[("text", v.as_str().into())]),
            Invalid::NotRam(v) => ta(lang, "host-gib-not-ram", &[("text", v.as_str().into())]),
            Invalid::QemuM(e) => e.text().say(lang),
        }
    }
}

impl From<QemuSizeError> for Invalid {
    fn from(e: QemuSizeError) -> Self {
        Invalid::QemuM(e)
    }
}

/// Reads a RAM size typed in GiB (`32`, `0.5`, `1.5`): bytes, or why it is not one.
pub fn parse_gib(text: &str) -> Result<u64, Invalid> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Invalid::NoGib);
    }
    let v: f64 = t.parse().map_err(|_| Invalid::NotGib(t.to_owned()))?;
    // Up to an exbibyte: more is no machine's RAM, and a u64 holds it.
    if !v.is_finite() || v <= 0.0 || v > (1u64 << 30) as f64 {
        return Err(Invalid::NotRam(t.to_owned()));
    }
    Ok((v * GIB as f64).round() as u64)
}

/// What the RAM-for-VMs calculator shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RamForVms {
    /// The host's RAM, bytes.
    pub host: u64,
    /// RAM left for VMs by the post's formulas (`sizing::ram_for_vms`), bytes.
    pub for_vms: u64,
    /// What the formula keeps for the host, bytes.
    pub reserved: u64,
    /// The second formula applied (the host has more than 64 GB): the core kept more than the
    /// first formula's flat 2 GiB.
    pub large: bool,
}

/// The RAM-for-VMs calculator for host RAM typed in GiB.
pub fn ram_for_vms_of(text: &str) -> Result<RamForVms, Invalid> {
    let host = parse_gib(text)?;
    let for_vms = ram_for_vms(host);
    let reserved = host - for_vms;
    Ok(RamForVms {
        host,
        for_vms,
        reserved,
        large: reserved > 2 * GIB,
    })
}

/// The post's first worked example: what the formula gives for its 32 GB host (it wrote 10).
pub fn post_first_example() -> u64 {
    ram_for_vms(32 * GIB)
}

/// What the huge-page planner shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The VM's memory, bytes (its `-m`).
    pub vm: u64,
    /// The huge page size.
    pub page: PageSize,
    /// `vm.nr_hugepages` (or the 1 GiB pool's `nr_hugepages`) it needs.
    pub pages: u64,
    /// What that pool sets aside, bytes (the pages times their size).
    pub pool: u64,
    /// The commands of the post's recipe, for this VM.
    pub commands: Vec<String>,
}

/// The planner for a VM of `-m vm_m`.
pub fn plan(vm_m: &str, page_1g: bool, prealloc: bool) -> Result<Plan, Invalid> {
    let vm = parse_qemu_m(vm_m.trim())?;
    let page = if page_1g {
        PageSize::Size1G
    } else {
        PageSize::Size2M
    };
    let pages = hugepages_needed(vm, page);
    Ok(Plan {
        vm,
        page,
        pages,
        pool: pages.saturating_mul(page.bytes()),
        commands: hugetlb_setup(vm, page, prealloc),
    })
}

/// What the swap table shows for a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Swap {
    /// The host's RAM, bytes.
    pub ram: u64,
    /// The least swap the row recommends, bytes.
    pub least: u64,
    /// Which row of `SWAP_TABLE` applies (`sizing::recommended_swap`).
    pub row: usize,
}

/// The swap recommendation for host RAM typed in GiB.
pub fn swap_of(text: &str) -> Result<Swap, Invalid> {
    let ram = parse_gib(text)?;
    let (least, row) = recommended_swap(ram);
    Ok(Swap { ram, least, row })
}

/// A size in the largest unit that writes it exactly (`4096 MiB`, `65676 KiB`, `12 bytes`),
/// as `pagewalk run` and `/proc/meminfo` let the learner check it; 0 is `0 MiB`.
pub fn size(bytes: u64) -> String {
    if bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Sizes that are read side by side (a row of the VM table), all in one unit: the largest
/// that writes every one of them exactly.
pub fn sizes_alike(values: &[u64]) -> Vec<String> {
    let unit = if values.iter().all(|v| v % MIB == 0) {
        (MIB, "MiB")
    } else if values.iter().all(|v| v % KIB == 0) {
        (KIB, "KiB")
    } else {
        (1, "bytes")
    };
    values
        .iter()
        .map(|v| format!("{} {}", v / unit.0, unit.1))
        .collect()
}

/// A size in GiB: exact when it is whole or has at most two decimals, else rounded to two
/// with "≈".
pub fn gib(bytes: u64) -> String {
    let v = bytes as f64 / GIB as f64;
    if bytes % GIB == 0 {
        return format!("{} GiB", bytes / GIB);
    }
    let hundredths = (v * 100.0).round();
    let shown = trim(format!("{:.2}", hundredths / 100.0));
    if (hundredths / 100.0 * GIB as f64).round() as u64 == bytes {
        format!("{shown} GiB")
    } else {
        format!("≈ {shown} GiB")
    }
}

/// A size in MiB, with decimals when it is not whole (`4096 MiB`, `1.5 MiB`).
pub fn mib(bytes: u64) -> String {
    if bytes % MIB == 0 {
        return format!("{} MiB", bytes / MIB);
    }
    let v = bytes as f64 / MIB as f64;
    let shown = trim(format!("{v:.6}"));
    if (v * 1e6).fract() == 0.0 {
        format!("{shown} MiB")
    } else {
        format!("≈ {shown} MiB")
    }
}

/// A size in MiB to one decimal (`8095.5 MiB`), with "≈" when that rounds it: a reading
/// aid beside a `/proc/meminfo` line in kB.
pub fn mib_short(bytes: u64) -> String {
    let tenths = (bytes as f64 / MIB as f64 * 10.0).round();
    let shown = trim(format!("{:.1}", tenths / 10.0));
    if (tenths / 10.0 * MIB as f64).round() as u64 == bytes {
        format!("{shown} MiB")
    } else {
        format!("≈ {shown} MiB")
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// The key of a `/proc/meminfo` line (`HugePages_Free` of `HugePages_Free:  738`).
pub fn meminfo_key(line: &str) -> &str {
    line.split(':').next().unwrap_or(line).trim()
}

/// The host-side lessons the page opens, with the message that says what to watch in each.
pub const LESSONS: [(&str, &str); 10] = [
    ("hugetlbfs-738-free", "host-watch-hugetlbfs-738-free"),
    (
        "hugetlbfs-738-free-prealloc",
        "host-watch-hugetlbfs-738-free-prealloc",
    ),
    ("overcommit-three-vms", "host-watch-overcommit-three-vms"),
    ("swap-out-and-back", "host-watch-swap-out-and-back"),
    (
        "balloon-inflate-and-touch",
        "host-watch-balloon-inflate-and-touch",
    ),
    ("ksm-identical-pages", "host-watch-ksm-identical-pages"),
    ("ksm-two-vms", "host-watch-ksm-two-vms"),
    ("thp-split-by-balloon", "host-watch-thp-split-by-balloon"),
    (
        "thp-swap-keeps-only-written-pages",
        "host-watch-thp-swap-keeps-only-written-pages",
    ),
    ("hugetlbfs-cannot-swap", "host-watch-hugetlbfs-cannot-swap"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_for_vms_uses_the_cores_formula_and_says_which() {
        let r = ram_for_vms_of("32").unwrap();
        assert_eq!((r.for_vms, r.large), (30 * GIB, false));
        assert_eq!(gib(r.for_vms), "30 GiB");
        assert_eq!(post_first_example(), 30 * GIB, "not the post's 10");
        let r = ram_for_vms_of("256").unwrap();
        assert_eq!((gib(r.for_vms), r.large), ("252 GiB".into(), true));
        let r = ram_for_vms_of("64").unwrap();
        assert_eq!((gib(r.for_vms), r.large), ("62 GiB".into(), false));
        // Just above 64 GiB the second formula applies, and a small host keeps nothing.
        assert!(ram_for_vms_of("64.5").unwrap().large);
        let r = ram_for_vms_of("1").unwrap();
        assert_eq!((r.for_vms, r.large), (0, false));
        assert_eq!(gib(ram_for_vms_of("100").unwrap().for_vms), "≈ 97.22 GiB");
        for bad in ["", "lots", "-4", "0", "inf", "NaN"] {
            let e = ram_for_vms_of(bad).unwrap_err();
            assert_ne!(e.text(Lang::ZhTw), e.text(Lang::En), "{bad}");
        }
        assert_eq!(
            ram_for_vms_of("lots").unwrap_err().text(Lang::En),
            "\"lots\" is not a number of GiB: type one like 32 or 0.5"
        );
    }

    #[test]
    fn the_planner_and_the_reader_are_the_cores() {
        let p = plan("2048", false, true).unwrap();
        assert_eq!((p.pages, p.pool), (1024, 2048 * MIB));
        assert!(p
            .commands
            .iter()
            .any(|c| c == "sysctl vm.nr_hugepages=1024"));
        assert!(p
            .commands
            .last()
            .unwrap()
            .ends_with("-mem-prealloc -hda disk.img"));
        let p = plan("2048", false, false).unwrap();
        assert!(!p.commands.iter().any(|c| c.contains("-mem-prealloc")));
        let p = plan("1500", true, false).unwrap();
        assert_eq!(
            (p.pages, size(p.pool)),
            (2, "2048 MiB".into()),
            "rounded up"
        );
        assert!(plan("lots", false, false).is_err());
        assert_eq!(parse_qemu_m("4G").map(mib), Ok("4096 MiB".into()));
        assert_eq!(parse_qemu_m("1536K").map(mib), Ok("1.5 MiB".into()));
    }

    #[test]
    fn every_swap_rule_names_one_row_of_the_table() {
        for (ram, row) in [
            ("1", 0),
            ("2", 0),
            ("6", 1),
            ("8", 1),
            ("32", 2),
            ("256", 3),
        ] {
            let s = swap_of(ram).unwrap();
            assert_eq!(s.row, row, "{ram} GiB");
        }
        let s = swap_of("6").unwrap();
        assert_eq!(size(s.least), "6144 MiB");
        assert_eq!(gib(s.least), "6 GiB");
    }

    #[test]
    fn sizes_carry_units_and_stay_exact() {
        assert_eq!(size(4096 * MIB), "4096 MiB");
        assert_eq!(size(65676 * KIB), "65676 KiB");
        assert_eq!(size(0), "0 MiB");
        assert_eq!(size(12), "12 bytes");
        assert_eq!(gib(GIB / 2), "0.5 GiB");
        assert_eq!(
            sizes_alike(&[65676 * KIB, 32 * MIB, 0]),
            ["65676 KiB", "32768 KiB", "0 KiB"]
        );
        assert_eq!(sizes_alike(&[16 * MIB, 0]), ["16 MiB", "0 MiB"]);
        assert_eq!(meminfo_key("HugePages_Free:      738"), "HugePages_Free");
        assert_eq!(mib_short(8_289_820 << 10), "≈ 8095.5 MiB");
        assert_eq!(mib_short(2048 << 20), "2048 MiB");
    }

    #[test]
    fn the_lessons_exist_and_have_a_host_side() {
        for (name, watch) in LESSONS {
            assert!(pagewalk_text::has(watch), "{watch}");
            let text = crate::state::bundled(name).unwrap_or_else(|| panic!("{name}"));
            let p = crate::state::Player::load(name, text).unwrap();
            assert!(p.has_host(), "{name}");
        }
        // What the list says to watch in the two hugetlbfs lessons, at step 0 and at the end.
        let free = |name: &str, end: bool| {
            let mut p =
                crate::state::Player::load(name, crate::state::bundled(name).unwrap()).unwrap();
            if end {
                p.run_to_end();
            }
            let m = p.host_report().unwrap().meminfo;
            (m.huge_pages_free, m.huge_pages_rsvd)
        };
        let (f, r) = free("hugetlbfs-738-free", false);
        assert!(f > 738 && r == f, "{f} {r}");
        assert_eq!(free("hugetlbfs-738-free", true), (738, 738));
        assert_eq!(free("hugetlbfs-738-free-prealloc", false), (0, 0));
    }
}
