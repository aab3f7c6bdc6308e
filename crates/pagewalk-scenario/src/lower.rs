//! Lowering a scenario to a machine: the same tables at the same addresses every time.

use crate::diag::{msg, Diagnostic, Text};
use crate::model::{Edit, Scenario};
use pagewalk_core::{Gpa, Gva, Hpa, Level, Machine, MachineError, SpaceId};

/// A machine built from a scenario, with its address spaces in file order.
pub struct Built {
    /// The machine, first address space loaded.
    pub machine: Machine,
    /// The address spaces, in the order of `[[space]]`.
    pub spaces: Vec<SpaceId>,
}

fn at(pos: crate::diag::Pos, e: MachineError) -> Diagnostic {
    let hint = match &e {
        MachineError::Build(pagewalk_core::BuildError::Memory(_)) => "diag-hint-max-frames",
        MachineError::Build(pagewalk_core::BuildError::Overlap { .. }) => "diag-hint-overlap",
        MachineError::Build(pagewalk_core::BuildError::PoolFull { .. }) => "diag-hint-pool-full",
        MachineError::NoEntry { .. } => "diag-hint-no-entry",
        _ => "diag-hint-check-addresses",
    };
    // The machine's own words (pagewalk-core's errors are English).
    Diagnostic::new(pos, msg!("diag-machine-error", error = e.text())).hint(Text::new(hint))
}

fn level(edit: &Edit) -> Level {
    Level::from_number(edit.level).unwrap_or(Level::L1)
}

/// The work a run will do at least, known before it runs: every action's walk and cache
/// lookups, and the TLB flushes the trace asks for (each looks at every slot). A file over
/// its budget is refused here, so `check` says so too; what only the run can tell (the
/// hypervisor's own flushes) is bounded while it runs (`Session::next`).
fn check_work(sc: &Scenario, m: &Machine) -> Result<(), Diagnostic> {
    use crate::model::Op;
    let slots = sc.machine.tlb.slots();
    let virtualized = sc.machine.mode.is_virtualized();
    let mut work = sc.total_actions().saturating_mul(m.work_per_access());
    let mut worst = None;
    for step in &sc.trace {
        let flushes = match step.op {
            Op::VmExit { count } if virtualized && !sc.machine.vpid => count.saturating_mul(2),
            Op::Cr3 { .. }
            | Op::Invlpg { .. }
            | Op::Invpcid { .. }
            | Op::Invvpid { .. }
            | Op::Invept { .. } => 1,
            _ => 0,
        };
        work = work.saturating_add(flushes.saturating_mul(slots));
        if worst.is_none() && work > sc.limits.max_work {
            worst = Some(step.pos);
        }
    }
    if work > sc.limits.max_work {
        let pos = worst.unwrap_or(crate::diag::Pos { line: 1, col: 1 });
        return Err(Diagnostic::new(
            pos,
            msg!(
                "diag-too-much-work",
                work = work,
                limit = sc.limits.max_work
            ),
        )
        .hint(msg!(
            "diag-hint-too-much-work",
            per_access = m.work_per_access(),
            slots = slots,
            max = crate::model::Limits::MAX_WORK_CEILING
        )));
    }
    Ok(())
}

/// Builds the machine of a scenario.
pub fn build(sc: &Scenario) -> Result<Built, Diagnostic> {
    build_vm(sc, 0)
}

/// The machine of VM `vm` (0-based) of a scenario: every VM boots the same guest image; each
/// has its guest RAM at its own host-physical addresses.
pub fn build_vm(sc: &Scenario, vm: usize) -> Result<Built, Diagnostic> {
    let mut cfg = sc.machine.clone();
    let stride = cfg.layout.guest_ram.next_multiple_of(1 << 30);
    cfg.layout.host_ram_base += stride * vm as u64;
    cfg.host = pagewalk_core::HostConfig {
        backing: sc.host.backing,
        prealloc: sc.host.prealloc,
        stage2: if sc.host.auto_stage2 {
            sc.host.stage2
        } else {
            pagewalk_core::Stage2Fill::Prefilled
        },
        platform: sc.host.platform,
    };
    // Where a problem of the machine as a whole is reported: the first mapping, or the top of
    // the file.
    let top = crate::diag::Pos { line: 1, col: 1 };
    let first = sc
        .spaces
        .first()
        .and_then(|s| s.maps.first())
        .map_or(top, |m| m.pos);
    let mut m = Machine::new(cfg).map_err(|e| at(first, e))?;
    let mut spaces = vec![m.current_space()];
    for (i, s) in sc.spaces.iter().enumerate() {
        let id = if i == 0 {
            m.set_space_pcid(spaces[0], s.pcid)
                .map_err(|e| at(first, e))?;
            spaces[0]
        } else {
            let id = m.add_address_space(s.pcid).map_err(|e| at(first, e))?;
            spaces.push(id);
            id
        };
        for map in &s.maps {
            let pages = map.size / map.page.bytes();
            for p in 0..pages {
                let off = p * map.page.bytes();
                m.map(
                    id,
                    Gva::new(map.gva + off),
                    Gpa::new(map.gpa + off),
                    map.page,
                    map.flags,
                )
                .map_err(|e| at(map.pos, e))?;
            }
        }
        for edit in &s.edits {
            let gpa = m
                .guest_entry_gpa(id, Gva::new(edit.addr), level(edit))
                .map_err(|e| at(edit.pos, e))?;
            let old = m.read_guest(gpa).map_err(|e| at(edit.pos, e))?;
            m.poke_guest(gpa, edit.value.apply(old, 0))
                .map_err(|e| at(edit.pos, e))?;
        }
    }
    for map in &sc.host.maps {
        let pages = map.size / map.page.bytes();
        for p in 0..pages {
            let off = p * map.page.bytes();
            let gpa = Gpa::new(map.gpa + off);
            let hpa = match map.hpa {
                Some(h) => Hpa::new(h + off),
                None => m
                    .guest_ram()
                    .gpa_to_hpa(gpa)
                    .ok_or(MachineError::NotRam(gpa))
                    .map_err(|e| at(map.pos, e))?,
            };
            m.map_stage2(gpa, hpa, map.page, map.flags)
                .map_err(|e| at(map.pos, e))?;
        }
    }
    // Stage 2: filled now (a scenario about the pure 2D walk asks for it), or left to KVM's
    // TDP MMU to fill on demand, as real KVM does; `auto_stage2 = false` leaves only the
    // explicit mappings.
    if sc.machine.mode.is_nested() && sc.host.auto_stage2 {
        match sc.host.stage2 {
            pagewalk_core::Stage2Fill::Prefilled => m
                .back_stage2(sc.host.stage2_page, sc.host.stage2_flags)
                .map_err(|e| at(first, e))?,
            pagewalk_core::Stage2Fill::OnDemand => m.set_stage2_flags(sc.host.stage2_flags),
        }
    }
    for edit in &sc.host.edits {
        let hpa = m
            .stage2_entry_hpa(Gpa::new(edit.addr), level(edit))
            .map_err(|e| at(edit.pos, e))?;
        let old = m.memory().read_u64(hpa);
        m.poke_host(hpa, edit.value.apply(old, 0))
            .map_err(|e| at(edit.pos, e))?;
    }
    m.activate(spaces[0]).map_err(|e| at(first, e))?;
    // KSM compares contents, and a THP split by the host turns its zero-filled subpages
    // into the zero page: keep contents only where the host does such things (they cost a
    // lookup per write).
    if sc
        .trace
        .iter()
        .any(|s| s.op.is_host() || matches!(s.op, crate::model::Op::Fill { .. }))
    {
        m.track_contents();
    }
    check_work(sc, &m)?;
    Ok(Built { machine: m, spaces })
}
