//! Every #PF error code, EPT violations with their qualification, EPT misconfigurations,
//! NPT nested page faults and #GP for non-canonical addresses.

mod common;

use pagewalk_core::presets::{stage2_flags, OneMapping, DATA_GPA, EPT_FLAGS, GUEST_FLAGS};
use pagewalk_core::*;

const VA: u64 = 0x0000_7fff_0000_1000;
const P: PfErrorCode = PfErrorCode::PRESENT;
const W: PfErrorCode = PfErrorCode::WRITE;
const U: PfErrorCode = PfErrorCode::USER;
const RSVD: PfErrorCode = PfErrorCode::RESERVED;
const ID: PfErrorCode = PfErrorCode::INSTRUCTION;

fn machine(cfg: MachineConfig, flags: PteFlags) -> Machine {
    let mut m = Machine::new(cfg).unwrap();
    let s = m.current_space();
    m.map(s, Gva::new(VA), Gpa::new(DATA_GPA), PageSize::Size4K, flags)
        .unwrap();
    if m.config().mode.is_nested() {
        let f = stage2_flags(m.config().mode);
        m.back_stage2(PageSize::Size4K, f).unwrap();
    }
    m
}

fn run(m: &mut Machine, va: u64, access: Access) -> Result<Hpa, Fault> {
    m.access(Gva::new(va), access, &mut Counters::default())
        .unwrap()
        .result
}

fn pf_code(r: Result<Hpa, Fault>) -> PfErrorCode {
    match r {
        Err(Fault::PageFault { code, .. }) => code,
        other => panic!("expected #PF, got {other:?}"),
    }
}

fn sup(kind: AccessKind) -> Access {
    Access::new(kind, Privilege::Supervisor)
}

/// Each case runs natively, under EPT, NPT and shadow paging: the guest sees the same #PF.
fn all_modes(cpu: CpuConfig, flags: PteFlags, va: u64, access: Access, ac: bool) -> PfErrorCode {
    let mut codes = Vec::new();
    for mode in [Mode::Native, Mode::Ept, Mode::Npt, Mode::Shadow] {
        let mut m = machine(
            MachineConfig {
                mode,
                cpu,
                ..Default::default()
            },
            flags,
        );
        m.set_ac(ac);
        codes.push(pf_code(run(&mut m, va, access)));
    }
    assert!(codes.windows(2).all(|w| w[0] == w[1]), "{codes:?}");
    codes[0]
}

#[test]
fn not_present() {
    let c = all_modes(
        CpuConfig::default(),
        GUEST_FLAGS,
        VA + 0x1000,
        Access::USER_READ,
        false,
    );
    assert_eq!(c, U);
    let c = all_modes(
        CpuConfig::default(),
        GUEST_FLAGS,
        VA + 0x1000,
        Access::USER_WRITE,
        false,
    );
    assert_eq!(c, W | U);
}

#[test]
fn write_to_read_only() {
    let ro = GUEST_FLAGS - PteFlags::WRITABLE;
    assert_eq!(
        all_modes(CpuConfig::default(), ro, VA, Access::USER_WRITE, false),
        P | W | U
    );
    // CR0.WP=1: the supervisor cannot write either...
    assert_eq!(
        all_modes(CpuConfig::default(), ro, VA, sup(AccessKind::Write), false),
        P | W
    );
    // ...but with CR0.WP=0 it can.
    let mut m = machine(
        MachineConfig {
            cpu: CpuConfig {
                wp: false,
                ..CpuConfig::default()
            },
            ..Default::default()
        },
        ro,
    );
    assert!(run(&mut m, VA, sup(AccessKind::Write)).is_ok());
}

#[test]
fn user_to_supervisor_page() {
    let supervisor = GUEST_FLAGS - PteFlags::USER;
    assert_eq!(
        all_modes(
            CpuConfig::default(),
            supervisor,
            VA,
            Access::USER_READ,
            false
        ),
        P | U
    );
}

#[test]
fn nx_fetch() {
    let nx = GUEST_FLAGS | PteFlags::NO_EXECUTE;
    assert_eq!(
        all_modes(CpuConfig::default(), nx, VA, Access::USER_FETCH, false),
        P | U | ID
    );
}

#[test]
fn smep_and_smap() {
    let cpu = CpuConfig {
        smep: true,
        smap: true,
        ..CpuConfig::default()
    };
    assert_eq!(
        all_modes(cpu, GUEST_FLAGS, VA, sup(AccessKind::Fetch), false),
        P | ID
    );
    assert_eq!(
        all_modes(cpu, GUEST_FLAGS, VA, sup(AccessKind::Read), false),
        P
    );
    assert_eq!(
        all_modes(cpu, GUEST_FLAGS, VA, sup(AccessKind::Write), false),
        P | W
    );
    // RFLAGS.AC=1 lets the supervisor read user pages under SMAP.
    let mut m = machine(
        MachineConfig {
            cpu,
            ..Default::default()
        },
        GUEST_FLAGS,
    );
    m.set_ac(true);
    assert!(run(&mut m, VA, sup(AccessKind::Read)).is_ok());
}

fn with_poked_entry(cfg: MachineConfig, level: Level, set: u64) -> (Machine, u64) {
    let mut m = machine(cfg, GUEST_FLAGS);
    let s = m.current_space();
    let gpa = m.guest_entry_gpa(s, Gva::new(VA), level).unwrap();
    let old = m.read_guest(gpa).unwrap();
    m.poke_guest(gpa, old | set).unwrap();
    (m, old)
}

#[test]
fn reserved_bits() {
    for mode in [Mode::Native, Mode::Ept, Mode::Npt, Mode::Shadow] {
        let cfg = MachineConfig {
            mode,
            ..Default::default()
        };
        // A physical-address bit at or above MAXPHYADDR (46), in the PTE.
        let (mut m, _) = with_poked_entry(cfg.clone(), Level::L1, 1 << 47);
        let r = run(&mut m, VA, Access::USER_READ);
        assert_eq!(pf_code(r), P | U | RSVD, "{mode:?}");
        assert!(
            matches!(
                r,
                Err(Fault::PageFault {
                    level: Level::L1,
                    ..
                })
            ),
            "{r:?}"
        );
        // PS=1 in a PML4E is reserved.
        let (mut m, _) = with_poked_entry(cfg.clone(), Level::L4, PteFlags::HUGE_PAGE.bits());
        assert_eq!(
            pf_code(run(&mut m, VA, Access::USER_WRITE)),
            P | W | U | RSVD
        );
        // XD without EFER.NXE is reserved.
        let no_nxe = MachineConfig {
            cpu: CpuConfig {
                nxe: false,
                ..CpuConfig::default()
            },
            ..cfg.clone()
        };
        let (mut m, _) = with_poked_entry(no_nxe, Level::L2, PteFlags::NO_EXECUTE.bits());
        assert_eq!(pf_code(run(&mut m, VA, Access::USER_READ)), P | U | RSVD);
        // On AMD, bit 8 of a PML4E is reserved; on Intel it is ignored.
        let amd = MachineConfig {
            cpu: CpuConfig {
                vendor: Vendor::Amd,
                ..CpuConfig::default()
            },
            ..cfg.clone()
        };
        let (mut m, _) = with_poked_entry(amd, Level::L4, PteFlags::GLOBAL.bits());
        assert_eq!(pf_code(run(&mut m, VA, Access::USER_READ)), P | U | RSVD);
        let (mut m, _) = with_poked_entry(cfg.clone(), Level::L4, PteFlags::GLOBAL.bits());
        assert!(run(&mut m, VA, Access::USER_READ).is_ok());
    }
}

#[test]
fn one_gib_page_without_gbpages_is_a_reserved_bit_fault() {
    let spec = OneMapping {
        guest_page: PageSize::Size1G,
        ..OneMapping::default()
    };
    let mut cfg = spec.config();
    cfg.cpu.gbpages = false;
    let mut m = Machine::new(cfg).unwrap();
    let s = m.current_space();
    m.map(
        s,
        Gva::new(0x4000_0000),
        Gpa::new(DATA_GPA),
        PageSize::Size1G,
        GUEST_FLAGS,
    )
    .unwrap();
    let r = run(&mut m, 0x4000_0000, Access::USER_READ);
    assert_eq!(pf_code(r), P | U | RSVD);
    assert!(matches!(
        r,
        Err(Fault::PageFault {
            level: Level::L3,
            ..
        })
    ));
}

#[test]
fn non_canonical_is_gp_not_pf() {
    let mut m = machine(MachineConfig::default(), GUEST_FLAGS);
    assert_eq!(
        run(&mut m, 0x0000_8000_0000_0000, Access::USER_READ),
        Err(Fault::NonCanonical {
            gva: Gva::new(0x0000_8000_0000_0000)
        })
    );
}

fn ept_machine(cfg_ad: bool) -> Machine {
    common::mapped(
        MachineConfig {
            mode: Mode::Ept,
            ept_ad: cfg_ad,
            // The test builds stage 2 itself: no TDP MMU to fix the violations.
            host: HostConfig {
                stage2: Stage2Fill::Prefilled,
                ..HostConfig::default()
            },
            ..Default::default()
        },
        VA,
        GUEST_FLAGS,
    )
}

#[test]
fn ept_violation_on_the_final_address() {
    let mut m = ept_machine(false);
    // Back only the guest tables: the data page has no EPT entry.
    for &t in m.guest_table_frames().to_vec().iter() {
        let hpa = m.guest_ram().gpa_to_hpa(Gpa::new(t)).unwrap();
        m.map_stage2(Gpa::new(t), hpa, PageSize::Size4K, EPT_FLAGS)
            .unwrap();
    }
    let mut c = Counters::default();
    let r = m
        .access(Gva::new(VA + 8), Access::USER_WRITE, &mut c)
        .unwrap()
        .result;
    let Err(Fault::EptViolation { gpa, gva, qual, .. }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(gpa, Gpa::new(DATA_GPA + 8));
    assert_eq!(gva, Gva::new(VA + 8));
    assert_eq!(
        qual,
        EptViolationQual::WRITE | EptViolationQual::GLA_VALID | EptViolationQual::FINAL_TRANSLATION
    );
    assert_eq!((c.ept_violations, c.vm_exits, c.page_faults), (1, 1, 0));

    // A read-only EPT mapping: the qualification says the GPA was readable and executable.
    let hpa = m.guest_ram().gpa_to_hpa(Gpa::new(DATA_GPA)).unwrap();
    m.map_stage2(
        Gpa::new(DATA_GPA),
        hpa,
        PageSize::Size4K,
        EPT_FLAGS & !EptFlags::WRITE.bits(),
    )
    .unwrap();
    let r = run(&mut m, VA, Access::USER_WRITE);
    let Err(Fault::EptViolation { qual, .. }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        qual,
        EptViolationQual::WRITE
            | EptViolationQual::READABLE
            | EptViolationQual::EXECUTABLE
            | EptViolationQual::GLA_VALID
            | EptViolationQual::FINAL_TRANSLATION
    );
    assert!(run(&mut m, VA, Access::USER_READ).is_ok());
}

#[test]
fn ept_violation_on_a_guest_table_access() {
    let mut m = ept_machine(false);
    // Back the data page but not the guest tables.
    let hpa = m.guest_ram().gpa_to_hpa(Gpa::new(DATA_GPA)).unwrap();
    m.map_stage2(Gpa::new(DATA_GPA), hpa, PageSize::Size4K, EPT_FLAGS)
        .unwrap();
    let r = run(&mut m, VA, Access::USER_READ);
    let Err(Fault::EptViolation { gpa, qual, .. }) = r else {
        panic!("{r:?}")
    };
    // The first guest-table reference: the PML4 entry.
    let pml4 = m.cr3_of(m.current_space()).unwrap();
    assert_eq!(gpa, Gpa::new(pml4.raw() + 8 * Level::L4.index(VA) as u64));
    assert_eq!(qual, EptViolationQual::READ | EptViolationQual::GLA_VALID);
}

#[test]
fn ept_ad_makes_guest_table_reads_writes() {
    let mut m = ept_machine(true);
    m.back_stage2(PageSize::Size4K, EPT_FLAGS & !EptFlags::WRITE.bits())
        .unwrap();
    let r = run(&mut m, VA, Access::USER_READ);
    let Err(Fault::EptViolation { qual, .. }) = r else {
        panic!("{r:?}")
    };
    assert!(qual.contains(EptViolationQual::WRITE));
    assert!(!qual.contains(EptViolationQual::FINAL_TRANSLATION));
}

#[test]
fn ept_misconfigurations() {
    for (bits, what) in [
        (0b010u64, "write without read"),
        (0b110, "write+execute without read"),
        (0b111 | (2 << 3), "memory type 2"),
        (0b111 | (7 << 3), "memory type 7"),
        (EPT_FLAGS | (1 << 47), "bit above MAXPHYADDR"),
    ] {
        let mut m = ept_machine(false);
        m.back_stage2(PageSize::Size4K, EPT_FLAGS).unwrap();
        let at = m.stage2_entry_hpa(Gpa::new(DATA_GPA), Level::L1).unwrap();
        let hpa = m.guest_ram().gpa_to_hpa(Gpa::new(DATA_GPA)).unwrap();
        m.poke_host(at, hpa.raw() | bits).unwrap();
        let mut c = Counters::default();
        let r = m.access(Gva::new(VA), Access::USER_READ, &mut c).unwrap();
        assert_eq!(
            r.result,
            Err(Fault::EptMisconfig {
                gpa: Gpa::new(DATA_GPA),
                level: Level::L1
            }),
            "{what}"
        );
        assert_eq!((c.vm_exits, c.ept_violations), (1, 0), "{what}");
    }
}

/// The EPT walk is unrolled by level, so each level's checks are tested on their own: a
/// reserved bit 3 in a non-leaf entry is a misconfiguration and a cleared entry (bits 2:0)
/// a violation, both reported at that level, for 4- and 5-level EPT and for the leaves of
/// 2 MiB and 1 GiB stage-2 pages (where the offset bits are reserved).
#[test]
fn ept_faults_at_every_level() {
    for (levels, size) in [
        (Levels::Four, PageSize::Size4K),
        (Levels::Five, PageSize::Size4K),
        (Levels::Four, PageSize::Size2M),
        (Levels::Four, PageSize::Size1G),
    ] {
        let top = levels.top().number();
        let leaf = size.leaf_level().number();
        for n in leaf..=top {
            let level = Level::from_number(n).unwrap();
            for misconfig in [true, false] {
                let mut m = common::mapped(
                    MachineConfig {
                        mode: Mode::Ept,
                        stage2_levels: levels,
                        host: HostConfig {
                            stage2: Stage2Fill::Prefilled,
                            ..HostConfig::default()
                        },
                        ..Default::default()
                    },
                    VA,
                    GUEST_FLAGS,
                );
                m.back_stage2(size, EPT_FLAGS).unwrap();
                let at = m.stage2_entry_hpa(Gpa::new(DATA_GPA), level).unwrap();
                let old = m.memory().read_u64(at);
                let new = match (misconfig, n) {
                    // A PTE: memory type 2 is reserved.
                    (true, 1) => old & !(7 << 3) | 2 << 3,
                    // A large leaf: bit 12 is an offset bit, reserved.
                    (true, _) if n == leaf => old | 1 << 12,
                    // A non-leaf entry: bit 3 is reserved.
                    (true, _) => old | 1 << 3,
                    (false, _) => old & !0b111,
                };
                m.poke_host(at, new).unwrap();
                let mut c = Counters::default();
                let r = m.access(Gva::new(VA), Access::USER_READ, &mut c).unwrap();
                let what =
                    format!("{levels:?} EPT, {size:?} pages, level {n}, misconfig {misconfig}");
                match r.result {
                    Err(Fault::EptMisconfig { level: l, .. }) if misconfig => {
                        assert_eq!(l, level, "{what}")
                    }
                    Err(Fault::EptViolation { level: l, .. }) if !misconfig => {
                        assert_eq!(l, level, "{what}")
                    }
                    other => panic!("{what}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn npt_nested_page_fault() {
    let mut m = common::mapped(
        MachineConfig {
            mode: Mode::Npt,
            ..Default::default()
        },
        VA,
        GUEST_FLAGS,
    );
    m.back_stage2(PageSize::Size4K, GUEST_FLAGS.bits()).unwrap();
    // A supervisor-only NPT leaf: every nested access is a user access, so even a guest
    // supervisor read faults.
    let at = m.stage2_entry_hpa(Gpa::new(DATA_GPA), Level::L1).unwrap();
    let old = m.memory().read_u64(at);
    m.poke_host(at, old & !PteFlags::USER.bits()).unwrap();
    let r = run(&mut m, VA, sup(AccessKind::Read));
    assert_eq!(
        r,
        Err(Fault::NestedPageFault {
            gpa: Gpa::new(DATA_GPA),
            code: P | U,
            final_translation: true,
            level: Level::L1
        })
    );
}

#[test]
fn fault_descriptions_name_the_bits() {
    let f = Fault::PageFault {
        gva: Gva::new(0x1000),
        code: P | W | U,
        level: Level::L1,
    };
    assert_eq!(
        f.to_string(),
        "#PF at 0x1000 error code 0x7 (P|W|U) from the PT entry"
    );
}
