//! The number of page-table references of a walk, for every combination of levels and page
//! sizes: g for a native walk, (g+1)(h+1)-1 for a nested one, where g and h are the levels
//! actually walked in each dimension (a 2 MiB leaf stops one level early, 1 GiB two).

use pagewalk_core::presets::OneMapping;
use pagewalk_core::*;

const GVA: u64 = 0x0000_7fff_4000_1234;

fn walked(levels: Levels, page: PageSize) -> u64 {
    u64::from(levels.count()) - (page.leaf_level().number() as u64 - 1)
}

fn refs(spec: OneMapping, gva: u64) -> (Counters, Outcome) {
    let mut m = spec.build(Gva::new(gva)).expect("machine builds");
    let mut c = Counters::default();
    let out = m.access(Gva::new(gva), Access::USER_READ, &mut c).unwrap();
    (c, out)
}

#[test]
fn nested_reference_count_is_g_plus_1_times_h_plus_1_minus_1() {
    let mut checked = 0;
    for mode in [Mode::Ept, Mode::Npt] {
        for gl in [Levels::Four, Levels::Five] {
            for hl in [Levels::Four, Levels::Five] {
                for gp in PageSize::ALL {
                    for hp in PageSize::ALL {
                        let spec = OneMapping {
                            mode,
                            guest_levels: gl,
                            stage2_levels: hl,
                            guest_page: gp,
                            host_page: hp,
                            tlb: false,
                            pwc: false,
                        };
                        let (c, out) = refs(spec, GVA);
                        let g = walked(gl, gp);
                        let h = walked(hl, hp);
                        let expected = (g + 1) * (h + 1) - 1;
                        assert!(out.result.is_ok(), "{spec:?}: {out:?}");
                        assert_eq!(c.memory_refs(), expected, "{spec:?}");
                        assert_eq!(c.guest_refs, g, "{spec:?}");
                        assert_eq!(c.host_refs, expected - g, "{spec:?}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 2 * 2 * 2 * 3 * 3);
}

#[test]
fn the_famous_numbers() {
    let four = OneMapping {
        mode: Mode::Ept,
        tlb: false,
        pwc: false,
        ..OneMapping::default()
    };
    assert_eq!(refs(four, GVA).0.memory_refs(), 24);
    let five = OneMapping {
        guest_levels: Levels::Five,
        stage2_levels: Levels::Five,
        ..four
    };
    assert_eq!(refs(five, GVA).0.memory_refs(), 35);
}

#[test]
fn native_walk_counts() {
    for gl in [Levels::Four, Levels::Five] {
        for gp in PageSize::ALL {
            let spec = OneMapping {
                guest_levels: gl,
                guest_page: gp,
                tlb: false,
                pwc: false,
                ..OneMapping::default()
            };
            let (c, out) = refs(spec, GVA);
            assert!(out.result.is_ok());
            assert_eq!(c.memory_refs(), walked(gl, gp), "{spec:?}");
            assert_eq!(c.host_refs, 0);
            assert_eq!(c.walks, 1);
        }
    }
}

#[test]
fn translation_lands_on_the_backing_page() {
    for mode in [Mode::Native, Mode::Ept, Mode::Npt, Mode::Shadow] {
        let spec = OneMapping {
            mode,
            ..OneMapping::default()
        };
        let (_, out) = refs(spec, GVA);
        let base = if mode == Mode::Native {
            0
        } else {
            Layout::default().host_ram_base
        };
        assert_eq!(
            out.result,
            Ok(Hpa::new(base + presets::DATA_GPA + 0x234)),
            "{mode:?}"
        );
    }
}

#[test]
fn the_order_of_a_nested_walk() {
    // Each guest entry is read right after the stage-2 walk of its own address.
    let spec = OneMapping {
        mode: Mode::Ept,
        tlb: false,
        pwc: false,
        ..OneMapping::default()
    };
    let mut m = spec.build(Gva::new(GVA)).unwrap();
    let mut rec = Recorder::new(CostModel::default());
    m.access(Gva::new(GVA), Access::USER_READ, &mut rec)
        .unwrap();
    let order: String = rec
        .events
        .iter()
        .filter_map(|e| match e {
            Event::TableRead { table, .. } => Some(if table.is_stage2() { 'h' } else { 'G' }),
            _ => None,
        })
        .collect();
    assert_eq!(order, "hhhhGhhhhGhhhhGhhhhGhhhh");
}

#[test]
fn paging_structure_caches_cut_references() {
    let spec = OneMapping {
        mode: Mode::Ept,
        tlb: false,
        pwc: true,
        ..OneMapping::default()
    };
    let mut m = spec.build(Gva::new(GVA)).unwrap();
    let mut first = Counters::default();
    m.access(Gva::new(GVA), Access::USER_READ, &mut first)
        .unwrap();
    let mut second = Recorder::default();
    m.access(Gva::new(GVA + 8), Access::USER_READ, &mut second)
        .unwrap();
    // The first walk already finds its own upper stage-2 entries cached (all guest tables sit
    // in one 2 MiB region). The second hits a combined mapping for the guest PDE: the PT is
    // read at its host-physical address with no stage-2 walk; then the data's guest-physical
    // address is walked from the cached EPT PDE (a guest-physical mapping): 2 references.
    assert!(first.memory_refs() < 24, "{}", first.memory_refs());
    let c = second.counters;
    assert_eq!((c.memory_refs(), c.guest_refs, c.host_refs), (2, 1, 1));
    let kinds: Vec<CachedMapping> = second
        .events
        .iter()
        .filter_map(|e| match e {
            Event::PwcHit { mapping, .. } => Some(*mapping),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [CachedMapping::Combined, CachedMapping::GuestPhysical]
    );
    let grid = view::walk_grid(
        &second.events,
        Levels::Four,
        Levels::Four,
        pagewalk_core::Lang::En,
    )
    .unwrap();
    assert_eq!(grid.rows, ["PT entry", "data page"]);
    assert_eq!(grid.combined_rows, [0]);
    assert_eq!(grid.pwc_rows, [1]);
    assert_eq!(grid.guest_cache, Some((CachedMapping::Combined, Level::L2)));
    // Natively the same cache holds linear mappings.
    let mut native = OneMapping {
        tlb: false,
        pwc: true,
        ..OneMapping::default()
    }
    .build(Gva::new(GVA))
    .unwrap();
    native
        .access(Gva::new(GVA), Access::USER_READ, &mut Counters::default())
        .unwrap();
    let mut r = Recorder::default();
    native
        .access(Gva::new(GVA + 8), Access::USER_READ, &mut r)
        .unwrap();
    assert!(r.events.iter().any(|e| matches!(
        e,
        Event::PwcHit {
            mapping: CachedMapping::Linear,
            ..
        }
    )));
    assert_eq!(r.counters.memory_refs(), 1);
}

/// INVEPT drops the combined mappings of its EPT root along with the guest-physical ones
/// (Intel SDM vol. 3, "INVEPT—Invalidate Translations Derived from EPT"): the next walk is cold in both dimensions again.
#[test]
fn invept_drops_combined_mappings() {
    let spec = OneMapping {
        mode: Mode::Ept,
        tlb: false,
        pwc: true,
        ..OneMapping::default()
    };
    let mut m = spec.build(Gva::new(GVA)).unwrap();
    let mut cold = Counters::default();
    m.access(Gva::new(GVA), Access::USER_READ, &mut cold)
        .unwrap();
    m.invept(1, &mut Counters::default()).unwrap();
    let mut again = Counters::default();
    m.access(Gva::new(GVA + 8), Access::USER_READ, &mut again)
        .unwrap();
    assert_eq!(
        again.memory_refs(),
        cold.memory_refs(),
        "as cold as the first walk"
    );
    assert_eq!(again.pwc_hits, cold.pwc_hits);
}
