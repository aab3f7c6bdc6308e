//! Shadow paging: shadow faults and VM exits on first touch, 4-reference walks afterwards,
//! write protection of guest tables, trapped and emulated PTE writes, unsync and resync,
//! write flooding, CR3 switches, and large guest pages on small host pages.

mod common;

use pagewalk_core::presets::{DATA_GPA, GUEST_FLAGS};
use pagewalk_core::*;

const VA: u64 = 0x0000_7fff_0000_0000;

fn shadow(cfg: ShadowConfig) -> Machine {
    let mut m = Machine::new(MachineConfig {
        mode: Mode::Shadow,
        shadow: cfg,
        ..Default::default()
    })
    .unwrap();
    let s = m.current_space();
    for i in 0..16 {
        m.map(
            s,
            Gva::new(VA + i * 0x1000),
            Gpa::new(DATA_GPA + i * 0x1000),
            PageSize::Size4K,
            GUEST_FLAGS,
        )
        .unwrap();
    }
    m
}

fn go(m: &mut Machine, va: u64, access: Access) -> (Outcome, Counters) {
    let mut c = Counters::default();
    let o = m.access(Gva::new(va), access, &mut c).unwrap();
    (o, c)
}

/// INVPCID under shadow paging is refused with a reason, not simulated wrongly: KVM intercepts
/// it, and no real-KVM run here could check a model of that.
#[test]
fn invpcid_under_shadow_paging_is_refused_with_a_reason() {
    let mut m = shadow(ShadowConfig::default());
    let e = m
        .invpcid(2, 0, Gva::new(0), &mut Counters::default())
        .unwrap_err();
    assert!(e.to_string().contains("not modelled"), "{e}");
}

#[test]
fn first_touch_builds_the_shadow_path() {
    let mut m = shadow(ShadowConfig::default());
    let (o, c) = go(&mut m, VA, Access::USER_READ);
    assert_eq!(
        o.result,
        Ok(Hpa::new(Layout::default().host_ram_base + DATA_GPA))
    );
    assert_eq!(c.shadow_faults, 1);
    assert_eq!(c.vm_exits, 1);
    assert_eq!(c.shadow_pages, 4, "root, PDPT, PD and PT shadows");
    assert_eq!(
        c.hypervisor_refs, 4,
        "the hypervisor walks the guest's 4 levels"
    );
    assert_eq!(c.walks, 2, "the faulting walk and the retry");
    assert_eq!(
        c.memory_refs(),
        1 + 4,
        "the root entry was empty; then a full walk"
    );
    assert_eq!(c.host_refs, 0, "no second dimension");

    // A neighbour in the same guest table: one fault, no new shadow page.
    let (_, c) = go(&mut m, VA + 0x1000, Access::USER_READ);
    assert_eq!((c.shadow_faults, c.shadow_pages), (1, 0));
    // Afterwards: TLB hits, or 4-reference walks after a flush.
    assert_eq!(
        go(&mut m, VA, Access::USER_READ).0.tlb_hit,
        Some(TlbLevel::L1)
    );
    // INVLPG exits (KVM intercepts it without EPT) and drops the TLB entry; the synced
    // shadow entry stays, so the next access is a 4-reference walk with no exit.
    let mut c = Counters::default();
    m.invlpg(Gva::new(VA), &mut c).unwrap();
    assert_eq!(c.vm_exits, 1);
    let (_, c) = go(&mut m, VA, Access::USER_READ);
    assert_eq!((c.memory_refs(), c.vm_exits), (4, 0));
    // The shadow path mirrors the guest path, level by level.
    let shadow = m.shadow_path(Gva::new(VA));
    let guest = m.guest_path(Gva::new(VA));
    assert_eq!(shadow.len(), 4);
    assert_eq!(guest.len(), 4);
    assert_eq!(
        shadow[3].2 & !0xfff & 0x000f_ffff_ffff_f000,
        Layout::default().host_ram_base + DATA_GPA
    );
    // Guest tables are write-protected.
    for &t in m.guest_table_frames().to_vec().iter() {
        assert!(m.is_write_protected(Gpa::new(t).frame()));
    }
}

#[test]
fn a_clean_page_is_mapped_read_only_until_written() {
    let mut m = common::mapped(
        MachineConfig {
            mode: Mode::Shadow,
            // Host pages exist (-mem-prealloc): only the guest's D flag makes the read map
            // read-only, not the host's zero page.
            host: HostConfig {
                prealloc: true,
                ..HostConfig::default()
            },
            ..Default::default()
        },
        VA,
        GUEST_FLAGS - PteFlags::DIRTY,
    );
    let s = m.current_space();
    go(&mut m, VA, Access::USER_READ);
    let (o, c) = go(&mut m, VA, Access::USER_WRITE);
    assert!(o.result.is_ok());
    assert_eq!(
        c.shadow_faults, 1,
        "the write faults on the read-only shadow entry"
    );
    let pte = m
        .read_guest(m.guest_entry_gpa(s, Gva::new(VA), Level::L1).unwrap())
        .unwrap();
    assert_ne!(
        pte & PteFlags::DIRTY.bits(),
        0,
        "the hypervisor set the guest's D flag"
    );
    let (_, c) = go(&mut m, VA, Access::USER_WRITE);
    assert_eq!(c.shadow_faults, 0);
}

/// Anonymous memory never written: the read maps the host's zero page read-only; the write
/// copies it (the MMU notifier zaps the entry, KVM retries), then maps the new page: three
/// shadow faults, as real KVM counts them (`scenarios/kvm-read-then-write.toml`).
#[test]
fn a_read_of_untouched_memory_maps_the_zero_page_and_a_write_copies_it() {
    let mut m = shadow(ShadowConfig::default());
    let (_, c) = go(&mut m, VA, Access::USER_READ);
    assert_eq!((c.pf_taken, c.pf_fixed, c.host_zero_page_maps), (1, 1, 1));
    assert_eq!(
        m.host_page(Gpa::new(DATA_GPA)),
        HostPageState::ZeroPage,
        "the read got the zero page"
    );
    let (o, c) = go(&mut m, VA, Access::USER_WRITE);
    assert!(o.result.is_ok());
    assert_eq!(
        (c.pf_taken, c.pf_fixed, c.host_cow_breaks, c.tlb_flush),
        (2, 1, 1, 1),
        "copy on write: a retried fault, a flush, then the fixed one"
    );
    assert_eq!(m.host_page(Gpa::new(DATA_GPA)), HostPageState::Allocated);
    let (_, c) = go(&mut m, VA, Access::USER_WRITE);
    assert_eq!(c.pf_taken, 0);
}

/// CR0.WP = 0 under shadow paging (the case of issue "One KVM in the core", measured on
/// real KVM): a user read of a writable page whose D flag is clear maps it read-only; KVM
/// keeps the real CR0.WP set while it shadows, so the supervisor write still faults, and KVM
/// sets D in the guest's PTE. Walking the shadow tables with the guest's WP = 0 would let
/// the write through the read-only entry and leave D clear.
#[test]
fn with_cr0_wp_clear_a_supervisor_write_still_exits_and_sets_the_guest_d_flag() {
    let mut cfg = MachineConfig {
        mode: Mode::Shadow,
        host: HostConfig {
            prealloc: true,
            ..HostConfig::default()
        },
        ..Default::default()
    };
    cfg.cpu.wp = false;
    let mut m = common::mapped(cfg, VA, GUEST_FLAGS - PteFlags::DIRTY);
    let s = m.current_space();
    let (o, c) = go(&mut m, VA, Access::USER_READ);
    assert!(o.result.is_ok());
    assert_eq!(c.pf_fixed, 1);
    let write = Access::new(AccessKind::Write, Privilege::Supervisor);
    let (o, c) = go(&mut m, VA, write);
    assert!(o.result.is_ok(), "WP = 0 lets the supervisor write: {o:?}");
    assert_eq!((c.vm_exits, c.pf_fixed), (1, 1), "the write exits to KVM");
    let pte = m
        .read_guest(m.guest_entry_gpa(s, Gva::new(VA), Level::L1).unwrap())
        .unwrap();
    assert_ne!(
        pte & PteFlags::DIRTY.bits(),
        0,
        "KVM set the guest's D flag"
    );
}

/// With CR0.WP = 0 a supervisor write to a page the guest maps read-only is allowed; KVM
/// makes a writable supervisor-only shadow entry for it (`FNAME(page_fault)`), so a later
/// user read of that page faults again.
#[test]
fn with_cr0_wp_clear_a_supervisor_write_to_a_read_only_page_gets_a_supervisor_entry() {
    let mut cfg = MachineConfig {
        mode: Mode::Shadow,
        host: HostConfig {
            prealloc: true,
            ..HostConfig::default()
        },
        ..Default::default()
    };
    cfg.cpu.wp = false;
    let mut m = common::mapped(cfg, VA, GUEST_FLAGS - PteFlags::WRITABLE);
    let write = Access::new(AccessKind::Write, Privilege::Supervisor);
    let (o, _) = go(&mut m, VA, write);
    assert!(o.result.is_ok());
    let leaf = m.shadow_path(Gva::new(VA)).last().copied().unwrap().2;
    assert_ne!(leaf & PteFlags::WRITABLE.bits(), 0);
    assert_eq!(leaf & PteFlags::USER.bits(), 0);
    let (o, c) = go(&mut m, VA, Access::USER_READ);
    assert!(o.result.is_ok());
    assert_eq!(
        c.pf_taken, 1,
        "the user read finds a supervisor entry and exits"
    );
}

#[test]
fn guest_page_fault_is_injected() {
    let mut m = shadow(ShadowConfig::default());
    let (o, c) = go(&mut m, VA + 0x10_0000, Access::USER_WRITE);
    assert_eq!(
        o.result,
        Err(Fault::PageFault {
            gva: Gva::new(VA + 0x10_0000),
            code: PfErrorCode::WRITE | PfErrorCode::USER,
            level: Level::L1
        })
    );
    assert_eq!((c.shadow_faults, c.vm_exits, c.page_faults), (1, 1, 1));
}

#[test]
fn pte_write_is_emulated_without_unsync() {
    let mut m = shadow(ShadowConfig { unsync: false });
    let s = m.current_space();
    go(&mut m, VA, Access::USER_READ);
    let new = (DATA_GPA + 0x40_0000) | GUEST_FLAGS.bits();
    let mut c = Counters::default();
    m.write_guest_pte(s, Gva::new(VA), Level::L1, new, &mut c)
        .unwrap();
    assert_eq!((c.vm_exits, c.emulated_writes), (1, 1));
    // The emulation zapped the shadow entry and flushed: the next access sees the new frame.
    let (o, _) = go(&mut m, VA, Access::USER_READ);
    assert_eq!(
        o.result,
        Ok(Hpa::new(
            Layout::default().host_ram_base + DATA_GPA + 0x40_0000
        ))
    );
}

#[test]
fn unsync_leaf_table_is_stale_until_invlpg() {
    let mut m = shadow(ShadowConfig::default());
    let s = m.current_space();
    go(&mut m, VA, Access::USER_READ);
    let new = (DATA_GPA + 0x40_0000) | GUEST_FLAGS.bits();
    let mut c = Counters::default();
    m.write_guest_pte(s, Gva::new(VA), Level::L1, new, &mut c)
        .unwrap();
    assert_eq!(
        (c.vm_exits, c.emulated_writes),
        (1, 0),
        "one exit to unsync"
    );
    let mut c = Counters::default();
    m.write_guest_pte(s, Gva::new(VA + 0x1000), Level::L1, new, &mut c)
        .unwrap();
    assert_eq!(c.vm_exits, 0, "an unsync table takes writes without exits");
    // Without INVLPG the old translation stays: in the TLB, and in the shadow entry the
    // hardware would walk if the TLB let the entry go.
    let old = Hpa::new(Layout::default().host_ram_base + DATA_GPA);
    assert_eq!(go(&mut m, VA, Access::USER_READ).0.result, Ok(old));
    let leaf = m.shadow_path(Gva::new(VA)).last().map(|(_, _, v)| *v);
    assert_eq!(leaf.map(|v| v & 0x000f_ffff_ffff_f000), Some(old.raw()));
    let mut c = Counters::default();
    m.invlpg(Gva::new(VA), &mut c).unwrap();
    assert_eq!(c.vm_exits, 1, "INVLPG exits under shadow paging");
    let (o, c) = go(&mut m, VA, Access::USER_READ);
    assert_eq!(c.shadow_faults, 1);
    assert_eq!(o.result, Ok(Hpa::new(old.raw() + 0x40_0000)));
}

#[test]
fn cr3_load_resyncs_unsync_pages() {
    let mut m = shadow(ShadowConfig::default());
    let s = m.current_space();
    go(&mut m, VA, Access::USER_READ);
    let new = (DATA_GPA + 0x40_0000) | GUEST_FLAGS.bits();
    m.write_guest_pte(s, Gva::new(VA), Level::L1, new, &mut Counters::default())
        .unwrap();
    let mut rec = Recorder::new(CostModel::default());
    m.mov_cr3(s, false, &mut rec).unwrap();
    assert!(rec
        .events
        .iter()
        .any(|e| matches!(e, Event::Resync { changed: 1, .. })));
    assert_eq!(rec.counters.vm_exits, 1);
    let (o, _) = go(&mut m, VA, Access::USER_READ);
    assert_eq!(
        o.result,
        Ok(Hpa::new(
            Layout::default().host_ram_base + DATA_GPA + 0x40_0000
        ))
    );
    assert!(m.shadow_pages().iter().all(|p| !p.unsync));
}

#[test]
fn repeated_writes_to_an_upper_table_flood_it() {
    let mut m = shadow(ShadowConfig::default());
    let s = m.current_space();
    go(&mut m, VA, Access::USER_READ);
    let pde = m.guest_entry_gpa(s, Gva::new(VA), Level::L2).unwrap();
    let value = m.read_guest(pde).unwrap();
    let mut rec = Recorder::new(CostModel::default());
    for _ in 0..3 {
        m.write_guest_pte(s, Gva::new(VA), Level::L2, value, &mut rec)
            .unwrap();
    }
    assert_eq!(
        rec.counters.emulated_writes, 3,
        "upper tables never go unsync"
    );
    let zaps: Vec<_> = rec
        .events
        .iter()
        .filter(|e| matches!(e, Event::ShadowZap { flooded: true, .. }))
        .collect();
    assert_eq!(zaps.len(), 1, "the third write zaps the PD's shadow page");
    // The guest still works: the shadow path is rebuilt.
    let (o, c) = go(&mut m, VA, Access::USER_READ);
    assert!(o.result.is_ok());
    assert_eq!(c.shadow_pages, 1);
}

#[test]
fn cr3_switch_builds_a_second_root_and_shares_nothing_by_accident() {
    let mut m = shadow(ShadowConfig::default());
    let a = m.current_space();
    go(&mut m, VA, Access::USER_READ);
    let b = m.add_address_space(0).unwrap();
    m.map(
        b,
        Gva::new(VA),
        Gpa::new(DATA_GPA + 0x8000),
        PageSize::Size4K,
        GUEST_FLAGS,
    )
    .unwrap();
    let mut c = Counters::default();
    m.mov_cr3(b, false, &mut c).unwrap();
    assert_eq!((c.vm_exits, c.shadow_pages), (1, 1));
    let (o, _) = go(&mut m, VA, Access::USER_READ);
    assert_eq!(
        o.result,
        Ok(Hpa::new(
            Layout::default().host_ram_base + DATA_GPA + 0x8000
        ))
    );
    let mut c = Counters::default();
    m.mov_cr3(a, false, &mut c).unwrap();
    assert_eq!(
        c.shadow_pages, 0,
        "A's shadow root is kept across the switch"
    );
    let (_, c) = go(&mut m, VA, Access::USER_READ);
    assert_eq!(c.shadow_faults, 0, "and its shadow entries too");
}

#[test]
fn guest_large_page_on_small_host_pages_uses_a_direct_shadow_page() {
    for (host, leaf_size, direct) in [
        (Backing::Anon4K, PageSize::Size4K, true),
        (Backing::Hugetlb2M, PageSize::Size2M, false),
    ] {
        let mut m = Machine::new(MachineConfig {
            mode: Mode::Shadow,
            host: HostConfig {
                backing: host,
                prealloc: true,
                ..HostConfig::default()
            },
            ..Default::default()
        })
        .unwrap();
        let s = m.current_space();
        m.map(
            s,
            Gva::new(0x4000_0000),
            Gpa::new(DATA_GPA),
            PageSize::Size2M,
            GUEST_FLAGS,
        )
        .unwrap();
        let (o, _) = go(&mut m, 0x4000_1234, Access::USER_READ);
        assert_eq!(
            o.result,
            Ok(Hpa::new(
                Layout::default().host_ram_base + DATA_GPA + 0x1234
            ))
        );
        assert_eq!(m.tlb_slots()[0].entry.size, leaf_size);
        assert_eq!(m.shadow_pages().iter().any(|p| p.key.direct), direct);
    }
}

#[test]
fn writing_a_page_table_through_a_data_mapping_is_emulated() {
    let mut m = shadow(ShadowConfig { unsync: false });
    let s = m.current_space();
    go(&mut m, VA, Access::USER_READ);
    // Map the guest's own PT page at another address, writable.
    let pt = m
        .guest_entry_gpa(s, Gva::new(VA), Level::L1)
        .unwrap()
        .align_down(PageSize::Size4K);
    let alias = 0x0000_7000_0000_0000;
    m.map(s, Gva::new(alias), pt, PageSize::Size4K, GUEST_FLAGS)
        .unwrap();
    let (o, c) = go(&mut m, alias + 8, Access::USER_WRITE);
    assert!(o.result.is_ok());
    assert_eq!(c.emulated_writes, 1);
    let (_, c) = go(&mut m, alias + 8, Access::USER_READ);
    assert_eq!(
        c.emulated_writes, 0,
        "reads of a write-protected page run natively"
    );
}
