//! TLB behaviour: hits, stale entries, INVLPG, CR3 writes with and without PCID and global
//! pages, INVPCID, VM exits with and without VPID, INVVPID, INVEPT, and the dirty re-walk.

mod common;

use pagewalk_core::presets::{stage2_flags, DATA_GPA, GUEST_FLAGS};
use pagewalk_core::*;

const VA: u64 = 0x0000_7fff_0000_1000;

fn build(cfg: MachineConfig, flags: PteFlags) -> Machine {
    let mut m = Machine::new(cfg).unwrap();
    let s = m.current_space();
    m.map(s, Gva::new(VA), Gpa::new(DATA_GPA), PageSize::Size4K, flags)
        .unwrap();
    m.map(
        s,
        Gva::new(VA + 0x1000),
        Gpa::new(DATA_GPA + 0x1000),
        PageSize::Size4K,
        flags,
    )
    .unwrap();
    if m.config().mode.is_nested() {
        let f = stage2_flags(m.config().mode);
        m.back_stage2(PageSize::Size4K, f).unwrap();
    }
    m
}

fn access(m: &mut Machine, va: u64) -> (Outcome, Counters) {
    let mut c = Counters::default();
    let o = m.access(Gva::new(va), Access::USER_READ, &mut c).unwrap();
    (o, c)
}

fn hit(m: &mut Machine, va: u64) -> bool {
    access(m, va).0.tlb_hit.is_some()
}

/// Views ask the core which slot served a hit: the L1 data array for a data access, the L2
/// when the level is L2, nothing for a page the TLB does not hold.
#[test]
fn the_slot_that_served_a_hit_is_found_where_the_lookup_found_it() {
    let mut m = build(MachineConfig::default(), GUEST_FLAGS);
    access(&mut m, VA);
    let (o, _) = access(&mut m, VA + 0x10);
    assert_eq!(o.tlb_hit, Some(TlbLevel::L1));
    let l1 = m
        .tlb_hit_slot(Gva::new(VA + 0x10), false, TlbLevel::L1)
        .expect("the L1 entry");
    assert_eq!(l1.array, TlbArrayId::L1d4k);
    assert_eq!(l1.entry.gva(), Gva::new(VA));
    assert!(m.tlb_slots().contains(&l1), "a slot the TLB lists");
    let l2 = m
        .tlb_hit_slot(Gva::new(VA), false, TlbLevel::L2)
        .expect("the L2 copy");
    assert_eq!(l2.array, TlbArrayId::L2);
    assert_eq!(
        m.tlb_hit_slot(Gva::new(VA), true, TlbLevel::L1),
        None,
        "no fetch yet"
    );
    assert_eq!(
        m.tlb_hit_slot(Gva::new(VA + 0x1000), false, TlbLevel::L1),
        None
    );
}

#[test]
fn second_access_hits() {
    let mut m = build(MachineConfig::default(), GUEST_FLAGS);
    let (o, c) = access(&mut m, VA);
    assert_eq!((o.tlb_hit, c.tlb_misses, c.walks), (None, 1, 1));
    let (o, c) = access(&mut m, VA + 0x10);
    assert_eq!(
        (o.tlb_hit, c.tlb_hits, c.memory_refs()),
        (Some(TlbLevel::L1), 1, 0)
    );
    assert_eq!(o.result, Ok(Hpa::new(DATA_GPA + 0x10)));
}

#[test]
fn stale_entry_until_invlpg() {
    let mut m = build(MachineConfig::default(), GUEST_FLAGS);
    let s = m.current_space();
    access(&mut m, VA);
    // The guest remaps VA to another frame without INVLPG...
    let new = (DATA_GPA + 0x5000) | GUEST_FLAGS.bits();
    m.write_guest_pte(s, Gva::new(VA), Level::L1, new, &mut Counters::default())
        .unwrap();
    let slot = m.tlb_slots()[0];
    assert!(m.is_stale(&slot.entry));
    assert_eq!(m.resolve(Gva::new(VA)), Some(Hpa::new(DATA_GPA + 0x5000)));
    assert_ne!(
        m.resolve(Gva::new(VA)),
        Some(slot.entry.hpa),
        "the cached page is stale"
    );
    let path = m.guest_path(Gva::new(VA));
    assert_eq!(path.len(), 4);
    assert_eq!(path[3].2, new);
    // ...and the CPU still uses the old translation, as hardware does.
    assert_eq!(access(&mut m, VA).0.result, Ok(Hpa::new(DATA_GPA)));
    let mut c = Counters::default();
    m.invlpg(Gva::new(VA), &mut c).unwrap();
    assert_eq!((c.tlb_flushes, c.tlb_entries_flushed), (1, 2)); // L1 and L2 copies
    assert_eq!(access(&mut m, VA).0.result, Ok(Hpa::new(DATA_GPA + 0x5000)));
}

#[test]
fn cr3_write_without_pcid_flushes_all_but_global() {
    let mut m = build(MachineConfig::default(), GUEST_FLAGS);
    let s = m.current_space();
    let g = Gva::new(0xffff_8000_0000_0000);
    m.map(
        s,
        g,
        Gpa::new(DATA_GPA + 0x9000),
        PageSize::Size4K,
        GUEST_FLAGS | PteFlags::GLOBAL,
    )
    .unwrap();
    access(&mut m, VA);
    access(&mut m, g.raw());
    m.mov_cr3(s, false, &mut Counters::default()).unwrap();
    assert!(!hit(&mut m, VA));
    assert!(
        hit(&mut m, g.raw()),
        "global pages survive CR3 writes with CR4.PGE"
    );
}

#[test]
fn pcid_keeps_other_processes_entries() {
    for pcide in [false, true] {
        let cpu = CpuConfig {
            pcide,
            ..CpuConfig::default()
        };
        let mut m = build(
            MachineConfig {
                cpu,
                ..Default::default()
            },
            GUEST_FLAGS,
        );
        let a = m.current_space();
        let b = m.add_address_space(2).unwrap();
        m.map(
            b,
            Gva::new(VA),
            Gpa::new(DATA_GPA + 0x7000),
            PageSize::Size4K,
            GUEST_FLAGS,
        )
        .unwrap();
        access(&mut m, VA);
        m.mov_cr3(b, false, &mut Counters::default()).unwrap();
        assert_eq!(
            access(&mut m, VA).0.result,
            Ok(Hpa::new(DATA_GPA + 0x7000)),
            "the other process sees its own page"
        );
        // Back to A with the no-flush bit: with PCID its entry is still there; without PCID
        // bit 63 is reserved, the MOV raises #GP(0) and loads nothing.
        let gp = m.mov_cr3(a, true, &mut Counters::default()).unwrap();
        assert_eq!(gp.is_some(), !pcide, "pcide={pcide}: {gp:?}");
        if !pcide {
            m.mov_cr3(a, false, &mut Counters::default()).unwrap();
        }
        let (o, _) = access(&mut m, VA);
        assert_eq!(o.tlb_hit.is_some(), pcide, "pcide={pcide}");
        assert_eq!(o.result, Ok(Hpa::new(DATA_GPA)));
    }
}

#[test]
fn invpcid_types() {
    let cpu = CpuConfig {
        pcide: true,
        ..CpuConfig::default()
    };
    let cfg = MachineConfig {
        cpu,
        ..Default::default()
    };
    let global = GUEST_FLAGS | PteFlags::GLOBAL;
    // type 0: one address, not globals
    let mut m = build(cfg.clone(), GUEST_FLAGS);
    access(&mut m, VA);
    access(&mut m, VA + 0x1000);
    m.invpcid(0, 0, Gva::new(VA), &mut Counters::default())
        .unwrap();
    assert!(!hit(&mut m, VA));
    assert!(hit(&mut m, VA + 0x1000));
    // type 1: the whole PCID, not globals
    let mut m = build(cfg.clone(), global);
    access(&mut m, VA);
    m.invpcid(1, 0, Gva::new(0), &mut Counters::default())
        .unwrap();
    assert!(hit(&mut m, VA));
    // type 2: everything, globals too
    m.invpcid(2, 0, Gva::new(0), &mut Counters::default())
        .unwrap();
    assert!(!hit(&mut m, VA));
    // type 3: everything but globals
    m.invpcid(3, 0, Gva::new(0), &mut Counters::default())
        .unwrap();
    assert!(hit(&mut m, VA));
    assert!(m
        .invpcid(4, 0, Gva::new(0), &mut Counters::default())
        .is_err());
}

#[test]
fn vpid_decides_whether_vm_exits_flush() {
    for mode in [Mode::Ept, Mode::Npt, Mode::Shadow] {
        for vpid in [false, true] {
            let mut m = build(
                MachineConfig {
                    mode,
                    vpid,
                    ..Default::default()
                },
                GUEST_FLAGS,
            );
            access(&mut m, VA);
            access(&mut m, VA);
            let mut c = Counters::default();
            m.vm_exit_and_entry(&mut c).unwrap();
            assert_eq!(c.vm_exits, 1);
            assert_eq!(hit(&mut m, VA), vpid, "{mode:?} vpid={vpid}");
            assert_eq!(c.tlb_flushes, if vpid { 0 } else { 2 });
        }
    }
    let mut native = build(MachineConfig::default(), GUEST_FLAGS);
    assert!(native.vm_exit_and_entry(&mut Counters::default()).is_err());
}

#[test]
fn invvpid_and_invept() {
    let mut m = build(
        MachineConfig {
            mode: Mode::Ept,
            ..Default::default()
        },
        GUEST_FLAGS,
    );
    let (_, cold) = access(&mut m, VA);
    m.invvpid(1, 2, Gva::new(0), &mut Counters::default())
        .unwrap();
    assert!(hit(&mut m, VA), "another VPID's flush leaves ours");
    m.invvpid(0, 1, Gva::new(VA), &mut Counters::default())
        .unwrap();
    assert!(!hit(&mut m, VA));
    access(&mut m, VA);
    m.invept(1, &mut Counters::default()).unwrap();
    let (o, c) = access(&mut m, VA);
    assert!(o.tlb_hit.is_none());
    assert_eq!(
        (c.memory_refs(), c.pwc_hits),
        (cold.memory_refs(), cold.pwc_hits),
        "INVEPT drops the stage-2 and combined caches too: the walk is as cold as the first"
    );
    assert!(m.invept(3, &mut Counters::default()).is_err());
}

#[test]
fn page_fault_invalidates_the_address() {
    // A read-only page cached in the TLB; a write faults and drops the entry.
    let ro = GUEST_FLAGS - PteFlags::WRITABLE;
    let mut m = build(MachineConfig::default(), ro);
    access(&mut m, VA);
    let mut c = Counters::default();
    let o = m.access(Gva::new(VA), Access::USER_WRITE, &mut c).unwrap();
    assert!(matches!(o.result, Err(Fault::PageFault { .. })));
    assert_eq!(
        o.tlb_hit,
        Some(TlbLevel::L1),
        "the fault came from the TLB entry"
    );
    assert_eq!(c.tlb_flushes, 1);
    assert!(!hit(&mut m, VA));
}

#[test]
fn clean_entry_write_walks_again_to_set_dirty() {
    let clean = GUEST_FLAGS - PteFlags::DIRTY;
    let mut m = build(MachineConfig::default(), clean);
    access(&mut m, VA);
    let mut c = Counters::default();
    m.access(Gva::new(VA), Access::USER_WRITE, &mut c).unwrap();
    assert_eq!((c.tlb_hits, c.walks, c.ad_updates), (0, 1, 1));
    let s = m.current_space();
    let pte = m
        .read_guest(m.guest_entry_gpa(s, Gva::new(VA), Level::L1).unwrap())
        .unwrap();
    assert_ne!(pte & PteFlags::DIRTY.bits(), 0);
    let mut c = Counters::default();
    m.access(Gva::new(VA), Access::USER_WRITE, &mut c).unwrap();
    assert_eq!((c.tlb_hits, c.walks), (1, 0));
}

#[test]
fn accessed_flags_are_set_once_per_level() {
    let fresh = GUEST_FLAGS - PteFlags::ACCESSED - PteFlags::DIRTY;
    let mut m = build(MachineConfig::default(), fresh);
    let (_, c) = access(&mut m, VA);
    assert_eq!(c.ad_updates, 4, "A in PML4E, PDPTE, PDE and PTE");
    let (_, c) = access(&mut m, VA + 0x1000);
    assert_eq!(c.ad_updates, 1, "only the new PTE");
}

#[test]
fn ept_accessed_dirty_flags() {
    let mut m = common::mapped(
        MachineConfig {
            mode: Mode::Ept,
            ept_ad: true,
            tlb: TlbConfig {
                enabled: false,
                ..TlbConfig::default()
            },
            pwc: PwcConfig {
                guest: false,
                stage2: false,
                ..PwcConfig::default()
            },
            ..Default::default()
        },
        VA,
        GUEST_FLAGS,
    );
    let rwx = (EptFlags::READ | EptFlags::WRITE | EptFlags::EXECUTE).bits() | (6 << 3);
    m.back_stage2(PageSize::Size4K, rwx).unwrap();
    let (_, c) = access(&mut m, VA);
    // Five stage-2 walks; their entries get A (and the leaves of the guest-table pages D,
    // since guest table reads are writes with EPT A/D on). Shared upper entries are set once.
    assert!(c.ad_updates > 0);
    let at = m.stage2_entry_hpa(Gpa::new(DATA_GPA), Level::L1).unwrap();
    let leaf = m.memory().read_u64(at);
    assert_ne!(leaf & EptFlags::ACCESSED.bits(), 0);
    assert_eq!(
        leaf & EptFlags::DIRTY.bits(),
        0,
        "a read does not dirty the data page"
    );
    let (_, c2) = access(&mut m, VA);
    assert_eq!(c2.ad_updates, 0);
}
