//! Reading a scenario file: TOML text to a validated [`Scenario`], or every problem at once.

use crate::diag::{did_you_mean, msg, Arg, Diagnostic, Diagnostics, Text};
use crate::model::*;
use crate::reader::{Obj, Reader};
use crate::units::{read_ept_flags as parse_ept_flags, read_pte_flags as parse_pte_flags};
use pagewalk_core::presets::stage2_flags;
use pagewalk_core::{
    AccessKind, CostModel, Counters, Gva, Levels, MachineConfig, Mode, PageSize, PteFlags,
    PwcConfig, TlbArrayConfig, TlbConfig, Vendor,
};
use toml::de::DeTable;

/// The schema version this crate reads.
pub const SCHEMA: u64 = 1;

/// The largest scenario file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 1 << 20;

const TOP_KEYS: &[&str] = &[
    "schema", "name", "lesson", "topic", "notes", "machine", "host", "space", "trace", "expect",
    "zh-TW",
];
const MACHINE_KEYS: &[&str] = &[
    "mode",
    "guest_levels",
    "stage2_levels",
    "vendor",
    "maxphyaddr",
    "gbpages",
    "wp",
    "smep",
    "smap",
    "nxe",
    "pge",
    "pcid",
    "vpid",
    "ept_ad",
    "unsync",
    "pwc",
    "tlb",
    "cost",
    "max_frames",
    "max_actions",
    "max_work",
    "guest_ram",
];
const PWC_KEYS: &[&str] = &["guest", "stage2", "entries"];
const TLB_KEYS: &[&str] = &[
    "enabled", "l1d_4k", "l1d_2m", "l1d_1g", "l1i_4k", "l1i_2m", "l2", "l2_1g",
];
const COST_KEYS: &[&str] = &[
    "l1_tlb_hit",
    "l2_tlb_hit",
    "pwc_hit",
    "memory_ref",
    "ad_update",
    "vm_exit",
    "hypervisor_ref",
    "emulation",
];
const HOST_KEYS: &[&str] = &[
    "backing",
    "prealloc",
    "stage2",
    "platform",
    "stage2_page",
    "auto_stage2",
    "stage2_flags",
    "map",
    "edit",
    "ram",
    "swap",
    "hugepages",
    "vms",
    "mergeable",
];
const HOST_MAP_KEYS: &[&str] = &["gpa", "hpa", "size", "page", "flags"];
const SPACE_KEYS: &[&str] = &["name", "pcid", "map", "edit"];
const MAP_KEYS: &[&str] = &["gva", "gpa", "size", "page", "flags", "accessed", "dirty"];
const EDIT_KEYS: &[&str] = &[
    "gva", "gpa", "level", "raw", "addr", "flags", "set", "clear",
];
const EXPECT_KEYS: &[&str] = &["counter", "equals", "min", "max", "after"];
const STEP_EXPECT_KEYS: &[&str] = &["tlb", "fault", "error_code", "qualification", "hpa"];

const OPS: &[&str] = &[
    "read",
    "write",
    "fetch",
    "sequential",
    "strided",
    "random",
    "working_set",
    "vm_exit",
    "cr3",
    "invlpg",
    "invpcid",
    "invvpid",
    "invept",
    "pte_write",
    "set_ac",
    "fill",
    "swap_out",
    "balloon_inflate",
    "balloon_deflate",
    "ksm_scan",
];

fn counter_keys() -> Vec<&'static str> {
    Counters::default()
        .entries()
        .iter()
        .map(|(k, _)| *k)
        .collect()
}

const PAGE_SIZES: &[(&str, PageSize)] = &[
    ("4K", PageSize::Size4K),
    ("2M", PageSize::Size2M),
    ("1G", PageSize::Size1G),
];

/// Reads a scenario from TOML text. `file` names it in diagnostics.
pub fn parse(file: &str, src: &str) -> Result<Scenario, Diagnostics> {
    let fail = |items| Diagnostics {
        file: file.to_owned(),
        items,
    };
    if src.len() > MAX_FILE_BYTES {
        return Err(fail(vec![Diagnostic::new(
            Default::default(),
            msg!(
                "diag-file-too-big",
                size = src.len() as u64,
                max = MAX_FILE_BYTES as u64
            ),
        )
        .hint(Text::new("diag-hint-patterns"))]));
    }
    let r = Reader::new(src);
    let (doc, errors) = DeTable::parse_recoverable(src);
    for e in &errors {
        let span = e.span().unwrap_or(0..0);
        r.error(
            &span,
            toml_message(e.message().trim()),
            Some(Text::new("diag-hint-toml")),
        );
    }
    if !errors.is_empty() {
        return Err(fail(r.into_diagnostics()));
    }
    let top = Obj::new(&r, doc.get_ref(), doc.span(), Text::new("diag-what-file"));
    let scenario = read_scenario(&top);
    top.finish(TOP_KEYS);
    match scenario {
        Some(s) if !r.failed() => Ok(s),
        _ => Err(fail(r.into_diagnostics())),
    }
}

fn read_scenario(top: &Obj<'_, '_, '_>) -> Option<Scenario> {
    match top.int("schema", 0, u64::from(u32::MAX)) {
        Some(SCHEMA) => {}
        Some(v) => top.reader().error_at(
            Diagnostic::new(top.pos(), msg!("diag-schema-unsupported", version = v))
                .hint(msg!("diag-hint-schema", schema = SCHEMA)),
        ),
        None if !top.has("schema") => top.missing("schema", Text::new("diag-hint-schema-missing")),
        None => {}
    }
    let name = top.str("name").map(|(s, _)| s.to_owned());
    if name.is_none() && !top.has("name") {
        top.missing("name", Text::new("diag-hint-name"));
    }
    let lesson = top.str("lesson").map(|(s, _)| s.to_owned());
    if lesson.is_none() && !top.has("lesson") {
        top.missing("lesson", Text::new("diag-hint-lesson"));
    }
    let topic = top
        .str("topic")
        .map_or_else(|| "general".to_owned(), |(s, _)| s.to_owned());
    let notes = top.str("notes").map(|(s, _)| s.to_owned());

    let (machine, limits) = match top.table("machine") {
        Some(m) => read_machine(&m),
        None => (MachineConfig::default(), Limits::default()),
    };
    let host = match top.table("host") {
        Some(h) => read_host(&h, &machine),
        None => default_host(&machine, Backing::Anon4K),
    };
    let mut spaces: Vec<Space> = top
        .tables_or_one("space")
        .iter()
        .enumerate()
        .map(|(i, s)| read_space(s, i, &machine))
        .collect();
    if spaces.is_empty() {
        spaces.push(Space {
            name: "main".into(),
            pcid: 0,
            maps: Vec::new(),
            edits: Vec::new(),
        });
    }
    // A set, not a scan per space: a file of many spaces must parse in time linear in its
    // size.
    let mut seen = std::collections::HashSet::new();
    for s in &spaces {
        if !seen.insert(s.name.as_str()) {
            top.reader().error_at(
                Diagnostic::new(
                    s.maps.first().map_or(top.pos(), |m| m.pos),
                    msg!("diag-space-twice", name = s.name.as_str()),
                )
                .hint(Text::new("diag-hint-space-twice")),
            );
        }
    }
    let pages: u64 = spaces
        .iter()
        .flat_map(|s| &s.maps)
        .map(|m| m.size / m.page.bytes())
        .sum();
    if pages > limits.max_mapped_pages {
        top.reader().error_at(
            Diagnostic::new(
                top.pos(),
                msg!(
                    "diag-too-many-pages",
                    pages = pages,
                    limit = limits.max_mapped_pages
                ),
            )
            .hint(Text::new("diag-hint-map-less")),
        );
    }
    let space_index: std::collections::HashMap<&str, usize> = spaces
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let trace: Vec<Step> = top
        .tables("trace")
        .iter()
        .filter_map(|t| read_step(t, &space_index, &machine, host.vms))
        .collect();
    // Counters, and the host's values where there is a host: /proc/meminfo's lines and
    // each VM's memory.
    let host_keys: Vec<String> = if machine.mode.is_virtualized() {
        pagewalk_core::MEMINFO_KEYS
            .iter()
            .map(|k| (*k).to_owned())
            .chain((1..=host.vms).flat_map(|v| {
                pagewalk_core::VM_KEYS
                    .iter()
                    .map(move |f| format!("vm{v}.{f}"))
            }))
            .collect()
    } else {
        Vec::new()
    };
    let mut keys = counter_keys();
    keys.extend(host_keys.iter().map(String::as_str));
    let expects: Vec<Expect> = top
        .tables("expect")
        .iter()
        .filter_map(|e| read_expect(e, &keys, trace.len()))
        .collect();
    let total = trace
        .iter()
        .fold(0u64, |n, s| n.saturating_add(s.op.actions()));
    if total > limits.max_actions {
        top.reader().error_at(
            Diagnostic::new(
                trace.first().map_or(top.pos(), |s| s.pos),
                msg!(
                    "diag-too-many-actions",
                    total = total,
                    limit = limits.max_actions
                ),
            )
            .hint(msg!(
                "diag-hint-max-actions",
                max = Limits::MAX_ACTIONS_CEILING
            )),
        );
    }
    let mut translations = std::collections::BTreeMap::new();
    for lang in crate::model::LANGUAGES {
        if let Some(t) = top.table(lang) {
            let text = |k: &str| t.str(k).map(|(s, _)| s.to_owned());
            let texts = crate::model::Texts {
                name: text("name"),
                lesson: text("lesson"),
                notes: text("notes"),
            };
            t.finish(&["name", "lesson", "notes"]);
            translations.insert(lang.to_owned(), texts);
        }
    }
    Some(Scenario {
        translations,
        name: name?,
        lesson: lesson?,
        topic,
        notes,
        machine,
        limits,
        host,
        spaces,
        trace,
        expects,
    })
}

fn levels(o: &Obj<'_, '_, '_>, key: &str) -> Option<Levels> {
    o.int(key, 4, 5)
        .map(|n| if n == 5 { Levels::Five } else { Levels::Four })
}

fn array_geometry(o: &Obj<'_, '_, '_>, key: &str) -> Option<TlbArrayConfig> {
    let (s, span) = o.str(key)?;
    let parsed = s.split_once(['x', 'X']).and_then(|(a, b)| {
        let sets: u16 = a.trim().parse().ok()?;
        let ways: u8 = b.trim().parse().ok()?;
        let absent = sets == 0 && ways == 0;
        let some = (1..=4096).contains(&sets) && (1..=32).contains(&ways);
        (absent || some).then_some(TlbArrayConfig::new(sets, ways))
    });
    if parsed.is_none() {
        o.reader().error(
            &span,
            msg!("diag-tlb-geometry", key = key),
            Some(Text::new("diag-hint-tlb-geometry")),
        );
    }
    parsed
}

fn read_machine(m: &Obj<'_, '_, '_>) -> (MachineConfig, Limits) {
    let mut c = MachineConfig::default();
    let mut limits = Limits::default();
    if let Some(mode) = m.choice(
        "mode",
        &[
            ("native", Mode::Native),
            ("ept", Mode::Ept),
            ("npt", Mode::Npt),
            ("shadow", Mode::Shadow),
        ],
    ) {
        c.mode = mode;
    }
    if c.mode == Mode::Npt {
        c.cpu.vendor = Vendor::Amd;
    }
    if let Some(l) = levels(m, "guest_levels") {
        c.guest_levels = l;
    }
    if let Some(l) = levels(m, "stage2_levels") {
        c.stage2_levels = l;
    }
    if let Some(v) = m.choice("vendor", &[("intel", Vendor::Intel), ("amd", Vendor::Amd)]) {
        c.cpu.vendor = v;
    }
    if let Some(v) = m.int("maxphyaddr", 36, 52) {
        c.cpu.maxphyaddr = v as u8;
    }
    for (key, slot) in [
        ("gbpages", &mut c.cpu.gbpages),
        ("wp", &mut c.cpu.wp),
        ("smep", &mut c.cpu.smep),
        ("smap", &mut c.cpu.smap),
        ("nxe", &mut c.cpu.nxe),
        ("pge", &mut c.cpu.pge),
        ("pcid", &mut c.cpu.pcide),
        ("vpid", &mut c.vpid),
        ("ept_ad", &mut c.ept_ad),
        ("unsync", &mut c.shadow.unsync),
    ] {
        if let Some(b) = m.bool(key) {
            *slot = b;
        }
    }
    if let Some(v) = m.raw("pwc") {
        match v.get_ref() {
            toml::de::DeValue::Boolean(b) => {
                c.pwc = PwcConfig {
                    guest: *b,
                    stage2: *b,
                    ..PwcConfig::default()
                }
            }
            _ => {
                if let Some(p) = m.table("pwc") {
                    if let Some(b) = p.bool("guest") {
                        c.pwc.guest = b;
                    }
                    if let Some(b) = p.bool("stage2") {
                        c.pwc.stage2 = b;
                    }
                    if let Some(n) = p.int("entries", 0, 4096) {
                        c.pwc.entries = n as u16;
                    }
                    p.finish(PWC_KEYS);
                }
            }
        }
    }
    if let Some(v) = m.raw("tlb") {
        match v.get_ref() {
            toml::de::DeValue::Boolean(b) => c.tlb.enabled = *b,
            _ => {
                if let Some(t) = m.table("tlb") {
                    let mut tlb = TlbConfig::default();
                    if let Some(b) = t.bool("enabled") {
                        tlb.enabled = b;
                    }
                    for (key, slot) in [
                        ("l1d_4k", &mut tlb.l1d_4k),
                        ("l1d_2m", &mut tlb.l1d_2m),
                        ("l1d_1g", &mut tlb.l1d_1g),
                        ("l1i_4k", &mut tlb.l1i_4k),
                        ("l1i_2m", &mut tlb.l1i_2m),
                        ("l2", &mut tlb.l2),
                        ("l2_1g", &mut tlb.l2_1g),
                    ] {
                        if let Some(g) = array_geometry(&t, key) {
                            *slot = g;
                        }
                    }
                    t.finish(TLB_KEYS);
                    c.tlb = tlb;
                }
            }
        }
    }
    if let Some(t) = m.table("cost") {
        let mut cost = CostModel::default();
        for (key, slot) in [
            ("l1_tlb_hit", &mut cost.l1_tlb_hit),
            ("l2_tlb_hit", &mut cost.l2_tlb_hit),
            ("pwc_hit", &mut cost.pwc_hit),
            ("memory_ref", &mut cost.memory_ref),
            ("ad_update", &mut cost.ad_update),
            ("vm_exit", &mut cost.vm_exit),
            ("hypervisor_ref", &mut cost.hypervisor_ref),
            ("emulation", &mut cost.emulation),
        ] {
            if let Some(v) = t.int(key, 0, 1_000_000_000) {
                *slot = v;
            }
        }
        t.finish(COST_KEYS);
        c.cost = cost;
    }
    c.max_frames = 1 << 16;
    if let Some(v) = m.int("max_frames", 16, Limits::MAX_FRAMES_CEILING) {
        c.max_frames = v as usize;
    }
    if let Some(v) = m.int("max_work", 1, Limits::MAX_WORK_CEILING) {
        limits.max_work = v;
    }
    if let Some(v) = m.int("max_actions", 1, Limits::MAX_ACTIONS_CEILING) {
        limits.max_actions = v;
    }
    if let Some(v) = m.size("guest_ram") {
        if !((64 << 20)..=(64 << 30)).contains(&v) || v % (2 << 20) != 0 {
            m.reader().error_at(
                Diagnostic::new(m.pos(), Text::new("diag-guest-ram"))
                    .hint(Text::new("diag-hint-guest-ram")),
            );
        } else {
            c.layout.guest_ram = v;
        }
    }
    m.finish(MACHINE_KEYS);
    (c, limits)
}

fn default_host(machine: &MachineConfig, backing: Backing) -> Host {
    Host {
        backing,
        prealloc: false,
        stage2: pagewalk_core::Stage2Fill::OnDemand,
        platform: pagewalk_core::Platform::Hardware,
        stage2_page: backing.page_size(),
        auto_stage2: true,
        stage2_flags: stage2_flags(machine.mode),
        maps: Vec::new(),
        edits: Vec::new(),
        spec: pagewalk_core::HostSpec::default(),
        vms: 1,
        mergeable: None,
    }
}

fn stage2_leaf_flags(o: &Obj<'_, '_, '_>, key: &str, mode: Mode) -> Option<u64> {
    let (s, span) = o.str(key)?;
    let r = if mode == Mode::Npt {
        parse_pte_flags(s).map(|f| f.bits())
    } else {
        parse_ept_flags(s).map(|f| f.bits())
    };
    r.map_err(|e| {
        let hint = if mode == Mode::Npt {
            "diag-hint-npt-flags"
        } else {
            "diag-hint-ept-flags"
        };
        o.reader().error(
            &span,
            msg!("diag-key-problem", key = key, problem = e),
            Some(Text::new(hint)),
        )
    })
    .ok()
}

fn read_host(h: &Obj<'_, '_, '_>, machine: &MachineConfig) -> Host {
    let backing = h
        .choice(
            "backing",
            &[
                ("4K", Backing::Anon4K),
                ("thp", Backing::Thp),
                ("hugetlb-2M", Backing::Hugetlb2M),
                ("hugetlb-1G", Backing::Hugetlb1G),
            ],
        )
        .unwrap_or(Backing::Anon4K);
    let mut host = default_host(machine, backing);
    if let Some(b) = h.bool("prealloc") {
        host.prealloc = b;
    }
    if let Some(f) = h.choice(
        "stage2",
        &[
            ("on-demand", pagewalk_core::Stage2Fill::OnDemand),
            ("prefilled", pagewalk_core::Stage2Fill::Prefilled),
        ],
    ) {
        host.stage2 = f;
    }
    if let Some(p) = h.choice(
        "platform",
        &[
            ("hardware", pagewalk_core::Platform::Hardware),
            ("pvm", pagewalk_core::Platform::Pvm),
        ],
    ) {
        host.platform = p;
    }
    if let Some(p) = h.choice("stage2_page", PAGE_SIZES) {
        host.stage2_page = p;
    }
    if let Some(b) = h.bool("auto_stage2") {
        host.auto_stage2 = b;
    }
    if let Some(f) = stage2_leaf_flags(h, "stage2_flags", machine.mode) {
        host.stage2_flags = f;
    }
    let nested = machine.mode.is_nested();
    for m in h.tables("map") {
        if !nested {
            m.reader().error_at(
                Diagnostic::new(m.pos(), msg!("diag-needs-nested", table = "host.map"))
                    .hint(Text::new("diag-hint-needs-nested")),
            );
        }
        let gpa = m.addr("gpa");
        if gpa.is_none() && !m.has("gpa") {
            m.missing("gpa", Text::new("diag-hint-host-map-gpa"));
        }
        let page = m.choice("page", PAGE_SIZES).unwrap_or(host.stage2_page);
        let size = m.size("size").unwrap_or(page.bytes());
        let hpa = m.addr("hpa");
        let flags = stage2_leaf_flags(&m, "flags", machine.mode).unwrap_or(host.stage2_flags);
        m.finish(HOST_MAP_KEYS);
        if let Some(gpa) = gpa {
            check_range(&m, "gpa", gpa, size, page);
            if let Some(h) = hpa {
                check_range(&m, "hpa", h, size, page);
            }
            host.maps.push(Stage2Mapping {
                gpa,
                hpa,
                size,
                page,
                flags,
                pos: m.pos(),
            });
        }
    }
    for e in h.tables("edit") {
        if !nested {
            e.reader().error_at(
                Diagnostic::new(e.pos(), msg!("diag-needs-nested", table = "host.edit"))
                    .hint(Text::new("diag-hint-needs-nested")),
            );
        }
        if let Some(edit) = read_edit(&e, "gpa", machine.mode == Mode::Npt || !nested) {
            host.edits.push(edit);
        }
    }
    if let Some(r) = h.size("ram") {
        host.spec.ram = r;
    }
    if let Some(r) = h.size("swap") {
        host.spec.swap = r;
    }
    if let Some(n) = h.int("hugepages", 0, 1 << 24) {
        host.spec.hugepages = Some(n);
    }
    if let Some(n) = h.int("vms", 1, MAX_VMS as u64) {
        host.vms = n as usize;
    }
    if let Some(m) = h.table("mergeable") {
        let gpa = req_addr(&m, "gpa", Text::new("diag-hint-mergeable-gpa"));
        let size = req_size(&m, "size", Text::new("diag-hint-bytes"));
        m.finish(&["gpa", "size"]);
        if let (Some(g), Some(sz)) = (gpa, size) {
            host.mergeable = Some((g, sz));
        }
    }
    let virtualized = machine.mode.is_virtualized();
    if !virtualized && (h.has("swap") || h.has("vms") || h.has("mergeable")) {
        h.reader().error_at(
            Diagnostic::new(h.pos(), Text::new("diag-native-no-host-side"))
                .hint(Text::new("diag-hint-use-virtual")),
        );
    }
    h.finish(HOST_KEYS);
    host
}

/// The most VMs a scenario may run (each is a whole simulated machine).
const MAX_VMS: usize = 8;

fn check_range(o: &Obj<'_, '_, '_>, what: &str, addr: u64, size: u64, page: PageSize) {
    if addr % page.bytes() != 0 {
        o.reader().error_at(
            Diagnostic::new(
                o.key_pos(what),
                msg!(
                    "diag-unaligned",
                    key = what,
                    addr = format!("{addr:#x}"),
                    page = page.to_string()
                ),
            )
            .hint(msg!(
                "diag-hint-multiple",
                size = format!("{:#x}", page.bytes())
            )),
        );
    }
    // A size of 0 asks for the alignment check alone (the size was checked with the other
    // address of the pair).
    if size % page.bytes() != 0 {
        o.reader().error_at(
            Diagnostic::new(
                o.key_pos("size"),
                msg!(
                    "diag-size-not-pages",
                    size = format!("{size:#x}"),
                    page = page.to_string()
                ),
            )
            .hint(msg!(
                "diag-hint-multiple",
                size = format!("{:#x}", page.bytes())
            )),
        );
    }
    if addr.checked_add(size).is_none() {
        o.reader().error_at(Diagnostic::new(
            o.pos(),
            msg!("diag-range-overflows", key = what),
        ));
    }
}

fn read_space(s: &Obj<'_, '_, '_>, i: usize, machine: &MachineConfig) -> Space {
    let name = s.str("name").map_or_else(
        || {
            if i == 0 {
                "main".to_owned()
            } else {
                format!("space{i}")
            }
        },
        |(n, _)| n.to_owned(),
    );
    let pcid = s.int("pcid", 0, 4095).unwrap_or(0) as u16;
    let mut maps = Vec::new();
    for m in s.tables("map") {
        let gva = m.addr("gva");
        if gva.is_none() && !m.has("gva") {
            m.missing("gva", Text::new("diag-hint-map-gva"));
        }
        let gpa = m.addr("gpa");
        if gpa.is_none() && !m.has("gpa") {
            m.missing("gpa", Text::new("diag-hint-map-gpa"));
        }
        let page = m.choice("page", PAGE_SIZES).unwrap_or(PageSize::Size4K);
        let size = m.size("size").unwrap_or(page.bytes());
        if size == 0 {
            m.reader()
                .error_at(Diagnostic::new(m.pos(), msg!("diag-zero", key = "size")));
        }
        let mut flags = match m.str("flags") {
            Some((f, span)) => match parse_pte_flags(f) {
                Ok(f) => f,
                Err(e) => {
                    m.reader().error(
                        &span,
                        msg!("diag-key-problem", key = "flags", problem = e),
                        None,
                    );
                    PteFlags::PRESENT
                }
            },
            None => PteFlags::PRESENT | PteFlags::WRITABLE | PteFlags::USER,
        };
        if m.bool("accessed").unwrap_or(true) {
            flags |= PteFlags::ACCESSED;
        }
        if m.bool("dirty").unwrap_or(true) {
            flags |= PteFlags::DIRTY;
        }
        m.finish(MAP_KEYS);
        if let Some(gva) = gva {
            check_range(&m, "gva", gva, size, page);
        }
        if let Some(gpa) = gpa {
            check_range(&m, "gpa", gpa, 0, page);
        }
        let (Some(gva), Some(gpa)) = (gva, gpa) else {
            continue;
        };
        let last = gva.wrapping_add(size.saturating_sub(1));
        if !Gva::new(gva).is_canonical(machine.guest_levels)
            || !Gva::new(last).is_canonical(machine.guest_levels)
        {
            m.reader().error_at(
                Diagnostic::new(
                    m.pos(),
                    msg!(
                        "diag-not-canonical",
                        from = format!("{gva:#x}"),
                        to = format!("{last:#x}"),
                        levels = machine.guest_levels.count().to_string()
                    ),
                )
                .hint(Text::new("diag-hint-canonical")),
            );
        }
        if gpa.saturating_add(size) > machine.layout.guest_ram {
            m.reader().error_at(
                Diagnostic::new(
                    m.pos(),
                    msg!(
                        "diag-beyond-ram",
                        from = format!("{gpa:#x}"),
                        to = format!("{:#x}", gpa.saturating_add(size)),
                        ram = format!("{:#x}", machine.layout.guest_ram)
                    ),
                )
                .hint(Text::new("diag-hint-beyond-ram")),
            );
        }
        maps.push(Mapping {
            gva,
            gpa,
            size,
            page,
            flags,
            pos: m.pos(),
        });
    }
    let edits = s
        .tables("edit")
        .iter()
        .filter_map(|e| read_edit(e, "gva", true))
        .collect();
    s.finish(SPACE_KEYS);
    Space {
        name,
        pcid,
        maps,
        edits,
    }
}

/// Reads a raw edit: `raw`, or `addr` + `flags`, or `set`/`clear`.
fn read_edit(e: &Obj<'_, '_, '_>, addr_key: &str, ia32e: bool) -> Option<Edit> {
    let addr = e.addr(addr_key);
    if addr.is_none() && !e.has(addr_key) {
        e.missing(addr_key, Text::new("diag-hint-edit-addr"));
    }
    let level = e.int("level", 1, 5);
    if level.is_none() && !e.has("level") {
        e.missing("level", Text::new("diag-hint-level"));
    }
    let flags = |key: &str| -> Option<u64> {
        let (s, span) = e.str(key)?;
        let r = if ia32e {
            parse_pte_flags(s).map(|f| f.bits())
        } else {
            parse_ept_flags(s).map(|f| f.bits())
        };
        r.map_err(|m| {
            e.reader().error(
                &span,
                msg!("diag-key-problem", key = key, problem = m),
                None,
            )
        })
        .ok()
    };
    let value = if e.has("raw") {
        e.addr("raw").map(|value| EntryValue::Raw { value })
    } else if e.has("addr") {
        let a = e.addr("addr");
        let f = flags("flags");
        Some(EntryValue::Entry {
            addr: a?,
            flags: f.unwrap_or(0),
        })
    } else if e.has("set") || e.has("clear") {
        Some(EntryValue::Modify {
            set: flags("set").unwrap_or(0),
            clear: flags("clear").unwrap_or(0),
        })
    } else {
        e.reader().error_at(
            Diagnostic::new(e.pos(), Text::new("diag-edit-needs-value"))
                .hint(Text::new("diag-hint-edit-value")),
        );
        None
    };
    e.finish(EDIT_KEYS);
    Some(Edit {
        addr: addr?,
        level: level? as u8,
        value: value?,
        pos: e.pos(),
    })
}

fn kind(o: &Obj<'_, '_, '_>) -> AccessKind {
    o.choice(
        "kind",
        &[
            ("read", AccessKind::Read),
            ("write", AccessKind::Write),
            ("fetch", AccessKind::Fetch),
        ],
    )
    .unwrap_or(AccessKind::Read)
}

fn space_ref(
    o: &Obj<'_, '_, '_>,
    spaces: &std::collections::HashMap<&str, usize>,
    required: bool,
) -> Option<usize> {
    let Some((name, span)) = o.str("space") else {
        if required && !o.has("space") {
            o.missing("space", Text::new("diag-hint-space-name"));
        }
        return if required { None } else { Some(0) };
    };
    match spaces.get(name) {
        Some(&i) => Some(i),
        None => {
            // A few names are a hint; thousands would be noise (and quadratic output).
            let mut names: Vec<&str> = spaces.keys().copied().collect();
            names.sort_unstable();
            let more = names.len().saturating_sub(8);
            names.truncate(8);
            o.reader().error(
                &span,
                msg!("diag-no-space", name = name),
                Some(if more > 0 {
                    msg!(
                        "diag-hint-spaces-more",
                        spaces = Arg::list(&names),
                        more = Arg::Num(more as u64)
                    )
                } else {
                    msg!("diag-hint-spaces", spaces = Arg::list(&names))
                }),
            );
            None
        }
    }
}

fn req_addr(o: &Obj<'_, '_, '_>, key: &str, hint: Text) -> Option<u64> {
    let v = o.addr(key);
    if v.is_none() && !o.has(key) {
        o.missing(key, hint);
    }
    v
}

fn req_int(o: &Obj<'_, '_, '_>, key: &str, min: u64, max: u64, hint: Text) -> Option<u64> {
    let v = o.int(key, min, max);
    if v.is_none() && !o.has(key) {
        o.missing(key, hint);
    }
    v
}

fn req_size(o: &Obj<'_, '_, '_>, key: &str, hint: Text) -> Option<u64> {
    let v = o.size(key);
    if v.is_none() && !o.has(key) {
        o.missing(key, hint);
    }
    v
}

fn read_step(
    t: &Obj<'_, '_, '_>,
    spaces: &std::collections::HashMap<&str, usize>,
    machine: &MachineConfig,
    vms: usize,
) -> Option<Step> {
    let Some((op, span)) = t.str("op") else {
        if !t.has("op") {
            t.missing("op", msg!("diag-hint-one-of", options = Arg::list(OPS)));
        }
        return None;
    };
    let label = t.str("label").map(|(s, _)| s.to_owned());
    let user = t.bool("user").unwrap_or(true);
    const MAX: u64 = Limits::MAX_ACTIONS_CEILING;
    let mut keys: Vec<&str> = vec!["op", "label", "expect", "vm", "zh-TW"];
    let mut labels = std::collections::BTreeMap::new();
    for lang in crate::model::LANGUAGES {
        if let Some(t) = t.table(lang) {
            if let Some((l, _)) = t.str("label") {
                labels.insert(lang.to_owned(), l.to_owned());
            }
            t.finish(&["label"]);
        }
    }
    let vm = t.int("vm", 1, vms as u64).map_or(0, |v| v as usize - 1);
    let host_op = |t: &Obj<'_, '_, '_>| {
        if !machine.mode.is_virtualized() {
            t.reader().error_at(
                Diagnostic::new(t.pos(), Text::new("diag-native-no-host"))
                    .hint(Text::new("diag-hint-use-virtual")),
            );
        }
    };
    let op = match op {
        "read" | "write" | "fetch" => {
            keys.extend(["gva", "user"]);
            let kind = match op {
                "read" => AccessKind::Read,
                "write" => AccessKind::Write,
                _ => AccessKind::Fetch,
            };
            req_addr(t, "gva", Text::new("diag-hint-access-gva")).map(|gva| Op::Access {
                gva,
                kind,
                user,
            })
        }
        "sequential" => {
            keys.extend(["start", "length", "kind", "user", "repeat"]);
            let start = req_addr(t, "start", Text::new("diag-hint-start"));
            let length = req_size(t, "length", Text::new("diag-hint-length"));
            let repeat = t.int("repeat", 1, MAX).unwrap_or(1);
            Some(Op::Sequential {
                start: start?,
                length: length?,
                kind: kind(t),
                user,
                repeat,
            })
        }
        "strided" => {
            keys.extend(["start", "stride", "count", "kind", "user", "repeat"]);
            let start = req_addr(t, "start", Text::new("diag-hint-start"));
            let stride = req_size(t, "stride", Text::new("diag-hint-stride"));
            let count = req_int(t, "count", 1, MAX, Text::new("diag-hint-count-pass"));
            let repeat = t.int("repeat", 1, MAX).unwrap_or(1);
            Some(Op::Strided {
                start: start?,
                stride: stride?,
                count: count?,
                kind: kind(t),
                user,
                repeat,
            })
        }
        "random" => {
            keys.extend(["start", "span", "count", "seed", "kind", "user"]);
            let start = req_addr(t, "start", Text::new("diag-hint-region-start"));
            let span_ = req_size(t, "span", Text::new("diag-hint-region-span"));
            let count = req_int(t, "count", 1, MAX, Text::new("diag-hint-count"));
            let seed = t.int("seed", 0, u64::MAX).unwrap_or(0);
            if span_ == Some(0) {
                t.reader()
                    .error_at(Diagnostic::new(t.pos(), msg!("diag-zero", key = "span")));
            }
            Some(Op::Random {
                start: start?,
                span: span_.filter(|&s| s > 0)?,
                count: count?,
                seed,
                kind: kind(t),
                user,
            })
        }
        "working_set" => {
            keys.extend(["start", "pages", "stride", "rounds", "kind", "user"]);
            let start = req_addr(t, "start", Text::new("diag-hint-start"));
            let pages = req_int(t, "pages", 1, MAX, Text::new("diag-hint-set-pages"));
            let stride = t.size("stride").unwrap_or(4096);
            let rounds = t.int("rounds", 1, MAX).unwrap_or(1);
            Some(Op::WorkingSet {
                start: start?,
                pages: pages?,
                stride,
                rounds,
                kind: kind(t),
                user,
            })
        }
        "vm_exit" => {
            keys.push("count");
            if !machine.mode.is_virtualized() {
                t.reader().error(
                    &span,
                    Text::new("diag-native-no-exits"),
                    Some(Text::new("diag-hint-use-virtual")),
                );
            }
            Some(Op::VmExit {
                count: t.int("count", 1, MAX).unwrap_or(1),
            })
        }
        "cr3" => {
            keys.extend(["space", "noflush", "via"]);
            let space = space_ref(t, spaces, true);
            let from_guest = t
                .choice("via", &[("host", false), ("guest", true)])
                .unwrap_or(true);
            Some(Op::Cr3 {
                space: space?,
                noflush: t.bool("noflush").unwrap_or(false),
                from_guest,
            })
        }
        "invlpg" => {
            keys.push("gva");
            req_addr(t, "gva", Text::new("diag-hint-invlpg")).map(|gva| Op::Invlpg { gva })
        }
        "invpcid" => {
            keys.extend(["type", "pcid", "gva"]);
            let kind = req_int(t, "type", 0, 3, Text::new("diag-hint-invpcid-type"));
            Some(Op::Invpcid {
                kind: kind? as u8,
                pcid: t.int("pcid", 0, 4095).unwrap_or(0) as u16,
                gva: t.addr("gva").unwrap_or(0),
            })
        }
        "invvpid" => {
            keys.extend(["type", "vpid", "gva"]);
            let kind = req_int(t, "type", 0, 3, Text::new("diag-hint-invvpid-type"));
            Some(Op::Invvpid {
                kind: kind? as u8,
                vpid: t.int("vpid", 0, 65535).unwrap_or(1) as u16,
                gva: t.addr("gva").unwrap_or(0),
            })
        }
        "invept" => {
            keys.push("type");
            if machine.mode != Mode::Ept {
                t.reader()
                    .error(&span, Text::new("diag-invept-needs-ept"), None);
            }
            let kind = req_int(t, "type", 1, 2, Text::new("diag-hint-invept-type"));
            kind.map(|k| Op::Invept { kind: k as u8 })
        }
        "pte_write" => {
            keys.extend([
                "space", "gva", "level", "raw", "addr", "flags", "set", "clear",
            ]);
            let space = space_ref(t, spaces, false);
            let edit = read_edit_inline(t);
            Some(Op::PteWrite {
                space: space?,
                gva: edit.0?,
                level: edit.1?,
                value: edit.2?,
            })
        }
        "set_ac" => {
            keys.push("value");
            let v = t.bool("value");
            if v.is_none() && !t.has("value") {
                t.missing("value", Text::new("diag-want-bool"));
            }
            v.map(|value| Op::SetAc { value })
        }
        "fill" => {
            keys.extend(["gva", "pages", "pattern"]);
            let gva = req_addr(t, "gva", Text::new("diag-hint-fill-gva"));
            let pages = t.int("pages", 1, MAX).unwrap_or(1);
            let is_text = t
                .raw("pattern")
                .is_some_and(|v| matches!(v.get_ref(), toml::de::DeValue::String(_)));
            let pattern = match t.raw("pattern") {
                None => {
                    t.missing("pattern", Text::new("diag-hint-fill-pattern"));
                    None
                }
                Some(_) if is_text && t.str("pattern").is_some_and(|(s, _)| s == "distinct") => {
                    Some(None)
                }
                Some(_) => t.int("pattern", 0, u64::MAX).map(Some),
            };
            if let Some(g) = gva {
                if g % 4096 != 0 {
                    t.reader().error_at(
                        Diagnostic::new(t.key_pos("gva"), Text::new("diag-fill-unaligned"))
                            .hint(Text::new("diag-hint-fill-unaligned")),
                    );
                }
            }
            Some(Op::Fill {
                gva: gva?,
                pages,
                pattern: pattern?,
            })
        }
        "swap_out" => {
            keys.extend(["gpa", "size"]);
            host_op(t);
            let gpa = req_addr(t, "gpa", Text::new("diag-hint-swap-gpa"));
            let size = req_size(t, "size", Text::new("diag-hint-bytes"));
            Some(Op::SwapOut {
                gpa: gpa?,
                size: size?,
            })
        }
        "balloon_inflate" => {
            keys.extend(["gpa", "pages"]);
            host_op(t);
            let gpa = req_addr(t, "gpa", Text::new("diag-hint-balloon-gpa"));
            let pages = req_int(t, "pages", 1, MAX, Text::new("diag-hint-pages"));
            Some(Op::BalloonInflate {
                gpa: gpa?,
                pages: pages?,
            })
        }
        "balloon_deflate" => {
            keys.push("pages");
            host_op(t);
            req_int(t, "pages", 1, MAX, Text::new("diag-hint-pages"))
                .map(|pages| Op::BalloonDeflate { pages })
        }
        "ksm_scan" => {
            keys.push("passes");
            host_op(t);
            Some(Op::KsmScan {
                passes: t.int("passes", 1, 100).unwrap_or(2),
            })
        }
        other => {
            let hint = match did_you_mean(other, OPS) {
                Some(m) => msg!("diag-did-you-mean-value", value = m),
                None => msg!("diag-hint-ops", ops = Arg::list(OPS)),
            };
            t.reader()
                .error(&span, msg!("diag-unknown-op", op = other), Some(hint));
            return None;
        }
    };
    let expect = t.table("expect").map(|e| read_step_expect(&e));
    t.finish(&keys);
    Some(Step {
        op: op?,
        label,
        labels,
        expect,
        vm,
        pos: t.pos(),
    })
}

fn read_edit_inline(t: &Obj<'_, '_, '_>) -> (Option<u64>, Option<u8>, Option<EntryValue>) {
    let gva = req_addr(t, "gva", Text::new("diag-hint-pte-write-gva"));
    let level = req_int(t, "level", 1, 5, Text::new("diag-hint-level"));
    let flags = |key: &str| -> Option<u64> {
        let (s, span) = t.str(key)?;
        parse_pte_flags(s)
            .map(|f| f.bits())
            .map_err(|m| {
                t.reader().error(
                    &span,
                    msg!("diag-key-problem", key = key, problem = m),
                    None,
                )
            })
            .ok()
    };
    let value = if t.has("raw") {
        t.addr("raw").map(|value| EntryValue::Raw { value })
    } else if t.has("addr") {
        t.addr("addr").map(|addr| EntryValue::Entry {
            addr,
            flags: flags("flags").unwrap_or(0),
        })
    } else if t.has("set") || t.has("clear") {
        Some(EntryValue::Modify {
            set: flags("set").unwrap_or(0),
            clear: flags("clear").unwrap_or(0),
        })
    } else {
        t.reader().error_at(
            Diagnostic::new(t.pos(), Text::new("diag-pte-write-needs-value"))
                .hint(Text::new("diag-hint-pte-write-value")),
        );
        None
    };
    (gva, level.map(|l| l as u8), value)
}

fn read_step_expect(e: &Obj<'_, '_, '_>) -> StepExpect {
    let mut x = StepExpect {
        tlb: e.choice(
            "tlb",
            &[
                ("hit", TlbExpect::Hit),
                ("l1", TlbExpect::L1),
                ("l2", TlbExpect::L2),
                ("miss", TlbExpect::Miss),
            ],
        ),
        fault: e.choice(
            "fault",
            &[
                ("none", FaultKind::None),
                ("page_fault", FaultKind::PageFault),
                ("ept_violation", FaultKind::EptViolation),
                ("ept_misconfig", FaultKind::EptMisconfig),
                ("nested_page_fault", FaultKind::NestedPageFault),
                ("general_protection", FaultKind::GeneralProtection),
            ],
        ),
        error_code: e.int("error_code", 0, 0xffff).map(|v| v as u32),
        qualification: e.int("qualification", 0, u64::MAX),
        hpa: e.addr("hpa"),
        counters: Vec::new(),
    };
    if x.error_code.is_some() && x.fault.is_none() {
        x.fault = Some(FaultKind::PageFault);
    }
    let keys = counter_keys();
    for k in &keys {
        if let Some(v) = e.int(k, 0, u64::MAX) {
            x.counters.push(((*k).to_owned(), v));
        }
    }
    let mut known: Vec<&str> = STEP_EXPECT_KEYS.to_vec();
    known.extend(keys);
    e.finish(&known);
    x
}

fn read_expect(e: &Obj<'_, '_, '_>, keys: &[&str], steps: usize) -> Option<Expect> {
    let counter = match e.str("counter") {
        Some((c, span)) => {
            if keys.contains(&c) {
                Some(c.to_owned())
            } else {
                let hint = match did_you_mean(c, keys) {
                    Some(m) => msg!("diag-did-you-mean-value", value = m),
                    None => msg!("diag-hint-counters", counters = Arg::list(keys)),
                };
                e.reader()
                    .error(&span, msg!("diag-no-counter", counter = c), Some(hint));
                None
            }
        }
        None => {
            if !e.has("counter") {
                e.missing("counter", Text::new("diag-hint-counter"));
            }
            None
        }
    };
    let equals = e.int("equals", 0, u64::MAX);
    let min = e.int("min", 0, u64::MAX);
    let max = e.int("max", 0, u64::MAX);
    let compare = match (equals, min, max) {
        (Some(v), None, None) => Some(Compare::Equals(v)),
        (None, Some(_), _) | (None, _, Some(_)) => {
            let (lo, hi) = (min.unwrap_or(0), max.unwrap_or(u64::MAX));
            if lo > hi {
                e.reader().error_at(Diagnostic::new(
                    e.pos(),
                    msg!("diag-min-above-max", min = lo, max = hi),
                ));
            }
            Some(Compare::Range { min: lo, max: hi })
        }
        (Some(_), _, _) => {
            e.reader().error_at(
                Diagnostic::new(e.pos(), Text::new("diag-equals-and-range"))
                    .hint(Text::new("diag-hint-equals-and-range")),
            );
            None
        }
        (None, None, None) => {
            if !e.has("equals") && !e.has("min") && !e.has("max") {
                e.reader().error_at(
                    Diagnostic::new(e.pos(), Text::new("diag-expect-needs-value"))
                        .hint(Text::new("diag-hint-expect-value")),
                );
            }
            None
        }
    };
    let after = e.int("after", 1, steps.max(1) as u64);
    e.finish(EXPECT_KEYS);
    Some(Expect {
        counter: counter?,
        compare: compare?,
        after: after.map(|a| a as usize),
        pos: e.pos(),
    })
}

/// The TOML parser's descriptions of a problem and of what it expected that the catalogue
/// has (its English message is the parser's own words); any other is shown as the parser
/// wrote it.
const TOML_WORDS: &[&str] = &[
    "diag-toml-duplicate-key",
    "diag-toml-invalid-basic-string",
    "diag-toml-invalid-binary-number",
    "diag-toml-invalid-boolean",
    "diag-toml-invalid-comment-character",
    "diag-toml-invalid-date-time",
    "diag-toml-invalid-exponent",
    "diag-toml-invalid-float",
    "diag-toml-invalid-fraction",
    "diag-toml-invalid-hexadecimal-number",
    "diag-toml-invalid-inline-table-element",
    "diag-toml-invalid-integer-number",
    "diag-toml-invalid-key",
    "diag-toml-invalid-key-value-pair",
    "diag-toml-invalid-literal-string",
    "diag-toml-invalid-mantissa",
    "diag-toml-invalid-multi-line-basic-string",
    "diag-toml-invalid-multi-line-literal-string",
    "diag-toml-invalid-octal-number",
    "diag-toml-invalid-string",
    "diag-toml-invalid-table",
    "diag-toml-invalid-unquoted-key",
    "diag-toml-invalid-value",
    "diag-toml-missing-array-opening",
    "diag-toml-missing-assignment",
    "diag-toml-missing-comma-array",
    "diag-toml-missing-comma-pairs",
    "diag-toml-missing-comment-start",
    "diag-toml-missing-escaped-value",
    "diag-toml-missing-inline-table-opening",
    "diag-toml-missing-inline-key",
    "diag-toml-missing-opening-quote",
    "diag-toml-missing-table-open",
    "diag-toml-missing-value-for-key",
    "diag-toml-missing-value",
    "diag-toml-unclosed-array-table",
    "diag-toml-unclosed-array",
    "diag-toml-unclosed-inline-table",
    "diag-toml-unclosed-table",
    "diag-toml-unexpected-equals-in-array",
    "diag-toml-unexpected-content-after-comment",
    "diag-toml-unexpected-content",
    "diag-toml-unexpected-key-or-value",
    "diag-toml-unexpected-leading-zero",
    "diag-toml-unexpected-sign",
    "diag-toml-key-with-no-value",
    "diag-toml-extra-equals",
    "diag-toml-extra-comma-array",
    "diag-toml-extra-comma-inline-table",
    "diag-toml-extra-assignment",
    "diag-toml-string-values-quoted",
    "diag-toml-underscore",
    "diag-toml-radix-signed",
    "diag-toml-radix-lowercase",
    "diag-toml-carriage-return",
    "diag-toml-empty-unquoted-key",
    "diag-toml-redundant-sign",
    "diag-toml-redundant-prefix",
    "diag-toml-too-few-unicode-digits",
    "diag-toml-recursion",
    "diag-toml-key",
    "diag-toml-value",
    "diag-toml-newline",
    "diag-toml-nothing",
    "diag-toml-literal-string",
    "diag-toml-basic-string",
    "diag-toml-multi-line-basic-string",
    "diag-toml-letters",
    "diag-toml-numbers",
    "diag-toml-digits",
    "diag-toml-characters",
    "diag-toml-printable-characters",
    "diag-toml-unicode-hex-value",
    "diag-toml-non-double-quote-visible",
    "diag-toml-non-single-quote-visible",
    "diag-toml-non-single-quote",
];

/// A TOML parser's message ("invalid basic string, expected `\"`") as a message of the
/// catalogue, where each of its words has one; as the parser wrote it otherwise.
fn toml_message(text: &str) -> Text {
    let word = |w: &str| -> Option<Arg> {
        TOML_WORDS
            .iter()
            .find(|id| pagewalk_text::t(pagewalk_text::Lang::En, id) == w)
            .map(|id| Arg::from(Text::new(id)))
    };
    // What it expected may be a character, shown in backticks as it is.
    let expected_word = |w: &str| -> Option<Arg> {
        if w.starts_with('`') || w.starts_with("'`") {
            Some(Arg::from(w))
        } else {
            word(w)
        }
    };
    let (problem, expected) = match text.split_once(", expected ") {
        Some((p, e)) => (p, Some(e)),
        None => (text, None),
    };
    let known = word(problem).and_then(|p| match expected {
        None => Some(msg!("diag-toml", problem = p)),
        Some(e) => e
            .split(", ")
            .map(expected_word)
            .collect::<Option<Vec<_>>>()
            .map(|items| {
                msg!(
                    "diag-toml-expected",
                    problem = p,
                    expected = Arg::List(items)
                )
            }),
    });
    known.unwrap_or_else(|| msg!("diag-toml", problem = text))
}
