//! Property tests against an independent oracle: a GVA is resolved from the list of mappings
//! (no tables, no walk) and the rights rules are restated here in their simplest form. Every
//! mode, TLB and cache setting must agree with it, access after access. Plus determinism.

use pagewalk_core::presets::stage2_flags;
use pagewalk_core::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Mapping {
    gva: u64,
    gpa: u64,
    size: PageSize,
    flags: PteFlags,
}

/// Non-overlapping mappings: each 1 GiB region holds pages of one size.
fn mappings() -> impl Strategy<Value = Vec<Mapping>> {
    let region = (
        0usize..3,
        proptest::collection::vec((0u64..512, any::<[bool; 5]>()), 1..6),
    );
    proptest::collection::vec(region, 1..6).prop_map(|regions| {
        let mut out = Vec::new();
        let (mut next4k, mut next2m, mut next1g) = (0x1000_0000u64, 0x2000_0000u64, 1u64 << 30);
        for (r, (kind, slots)) in regions.into_iter().enumerate() {
            let base = if r % 2 == 0 {
                0x0000_1000_0000_0000 + ((r as u64) << 30)
            } else {
                0xffff_8000_0000_0000 + ((r as u64) << 30)
            };
            let size = [PageSize::Size4K, PageSize::Size2M, PageSize::Size1G][kind];
            let mut used = std::collections::BTreeSet::new();
            for (slot, bits) in slots {
                let slot = if size == PageSize::Size1G { 0 } else { slot };
                if !used.insert(slot) || (size == PageSize::Size1G && next1g >= 4 << 30) {
                    continue;
                }
                let gpa = match size {
                    PageSize::Size4K => {
                        next4k += 0x1000;
                        next4k
                    }
                    PageSize::Size2M => {
                        next2m += 0x20_0000;
                        next2m
                    }
                    PageSize::Size1G => {
                        let g = next1g;
                        next1g += 1 << 30;
                        g
                    }
                };
                let mut flags = PteFlags::PRESENT;
                for (on, f) in bits.iter().zip([
                    PteFlags::WRITABLE,
                    PteFlags::USER,
                    PteFlags::NO_EXECUTE,
                    PteFlags::ACCESSED,
                    PteFlags::DIRTY,
                ]) {
                    if *on {
                        flags |= f;
                    }
                }
                out.push(Mapping {
                    gva: base + slot * size.bytes(),
                    gpa,
                    size,
                    flags,
                });
            }
        }
        out
    })
}

fn access_strategy() -> impl Strategy<Value = Access> {
    (0usize..3, any::<bool>()).prop_map(|(k, user)| {
        Access::new(
            [AccessKind::Read, AccessKind::Write, AccessKind::Fetch][k],
            if user {
                Privilege::User
            } else {
                Privilege::Supervisor
            },
        )
    })
}

/// The oracle: resolve from the list, check rights as the SDM states them for CR0.WP=1,
/// EFER.NXE=1, no SMEP/SMAP.
fn oracle(maps: &[Mapping], gva: u64, a: Access, host_base: u64) -> Result<Hpa, PfErrorCode> {
    let mut code = PfErrorCode::empty();
    if a.is_write() {
        code |= PfErrorCode::WRITE;
    }
    if a.is_user() {
        code |= PfErrorCode::USER;
    }
    if a.is_fetch() {
        code |= PfErrorCode::INSTRUCTION;
    }
    let Some(m) = maps
        .iter()
        .find(|m| gva >= m.gva && gva - m.gva < m.size.bytes())
    else {
        return Err(code);
    };
    let f = m.flags;
    let denied = (a.is_user() && !f.contains(PteFlags::USER))
        || (a.is_write() && !f.contains(PteFlags::WRITABLE))
        || (a.is_fetch() && f.contains(PteFlags::NO_EXECUTE));
    if denied {
        return Err(code | PfErrorCode::PRESENT);
    }
    Ok(Hpa::new(host_base + m.gpa + (gva - m.gva)))
}

fn build(
    maps: &[Mapping],
    mode: Mode,
    host: PageSize,
    tlb: bool,
    pwc: bool,
    lazy: bool,
) -> Machine {
    let mut cfg = presets::OneMapping {
        mode,
        host_page: host,
        tlb,
        pwc,
        ..Default::default()
    }
    .config();
    if lazy {
        // Host pages allocated on first touch (zero pages, copy on write) and stage 2 filled
        // on demand by the TDP MMU: the final translations must be the same.
        cfg.host.prealloc = false;
        cfg.host.stage2 = Stage2Fill::OnDemand;
    }
    let mut m = Machine::new(cfg).unwrap();
    let s = m.current_space();
    for map in maps {
        m.map(s, Gva::new(map.gva), Gpa::new(map.gpa), map.size, map.flags)
            .unwrap();
    }
    if mode.is_nested() && !lazy {
        m.back_stage2(host, stage2_flags(mode)).unwrap();
    }
    m
}

fn probes(maps: &[Mapping], picks: &[(usize, u64, bool)]) -> Vec<u64> {
    picks
        .iter()
        .map(|&(i, off, inside)| {
            let m = &maps[i % maps.len()];
            if inside {
                m.gva + off % m.size.bytes()
            } else {
                // Next to a mapping: often unmapped.
                m.gva.wrapping_add(m.size.bytes() + off % 0x4000) & !7
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_mode_agrees_with_the_oracle(
        maps in mappings(),
        picks in proptest::collection::vec((any::<usize>(), any::<u64>(), any::<bool>()), 1..40),
        accesses in proptest::collection::vec(access_strategy(), 40),
        mode in prop_oneof![Just(Mode::Native), Just(Mode::Ept), Just(Mode::Npt), Just(Mode::Shadow)],
        host in prop_oneof![Just(PageSize::Size4K), Just(PageSize::Size2M), Just(PageSize::Size1G)],
        tlb in any::<bool>(),
        pwc in any::<bool>(),
        lazy in any::<bool>(),
    ) {
        prop_assume!(!maps.is_empty());
        let mut m = build(&maps, mode, host, tlb, pwc, lazy);
        let base = if mode == Mode::Native { 0 } else { Layout::default().host_ram_base };
        // Two rounds: the second one runs with warm TLBs, caches and shadow tables.
        for round in 0..2 {
            for (gva, a) in probes(&maps, &picks).into_iter().zip(accesses.iter().copied()) {
                let mut c = Counters::default();
                let got = m.access(Gva::new(gva), a, &mut c).unwrap().result;
                // Every walk follows a TLB lookup that missed, the first one and each one the
                // guest makes again after an exit (shadow fault or stage-2 fault) alike.
                if tlb {
                    prop_assert_eq!(c.tlb_misses, c.walks, "round {} {:#x} {:?}", round, gva, a);
                }
                let want = oracle(&maps, gva, a, base);
                match (got, want) {
                    (Ok(h), Ok(w)) => prop_assert_eq!(h, w, "round {} {:#x} {:?}", round, gva, a),
                    (Err(Fault::PageFault { code, gva: g, .. }), Err(w)) => {
                        prop_assert_eq!(code, w, "round {} {:#x} {:?}", round, gva, a);
                        prop_assert_eq!(g.raw(), gva);
                    }
                    (g, w) => prop_assert!(false, "round {round} {gva:#x} {a:?}: got {g:?}, want {w:?}"),
                }
            }
        }
    }

    #[test]
    fn same_inputs_same_events(
        maps in mappings(),
        picks in proptest::collection::vec((any::<usize>(), any::<u64>(), any::<bool>()), 1..20),
        accesses in proptest::collection::vec(access_strategy(), 20),
        mode in prop_oneof![Just(Mode::Native), Just(Mode::Ept), Just(Mode::Npt), Just(Mode::Shadow)],
    ) {
        prop_assume!(!maps.is_empty());
        let run = || {
            let mut m = build(&maps, mode, PageSize::Size4K, true, true, true);
            let mut rec = Recorder::new(CostModel::default());
            for (gva, a) in probes(&maps, &picks).into_iter().zip(accesses.iter().copied()) {
                m.access(Gva::new(gva), a, &mut rec).unwrap();
            }
            rec
        };
        let (a, b) = (run(), run());
        prop_assert_eq!(&a.events, &b.events);
        prop_assert_eq!(a.counters, b.counters);
    }

    #[test]
    fn counters_equal_a_fold_over_recorded_events(
        maps in mappings(),
        picks in proptest::collection::vec((any::<usize>(), any::<u64>(), any::<bool>()), 1..20),
        accesses in proptest::collection::vec(access_strategy(), 20),
        mode in prop_oneof![Just(Mode::Native), Just(Mode::Ept), Just(Mode::Shadow)],
    ) {
        prop_assume!(!maps.is_empty());
        let mut m1 = build(&maps, mode, PageSize::Size4K, true, true, true);
        let mut m2 = build(&maps, mode, PageSize::Size4K, true, true, true);
        let mut rec = Recorder::new(CostModel::default());
        let mut direct = Counters::new(CostModel::default());
        for (gva, a) in probes(&maps, &picks).into_iter().zip(accesses.iter().copied()) {
            m1.access(Gva::new(gva), a, &mut rec).unwrap();
            m2.access(Gva::new(gva), a, &mut direct).unwrap();
        }
        let mut refold = Counters::new(CostModel::default());
        for e in &rec.events {
            refold.event(e);
        }
        prop_assert_eq!(rec.counters, direct);
        prop_assert_eq!(refold, direct);
        let reads = rec.events.iter().filter(|e| matches!(e, Event::TableRead { .. })).count();
        prop_assert_eq!(direct.memory_refs(), reads as u64);
    }
}
