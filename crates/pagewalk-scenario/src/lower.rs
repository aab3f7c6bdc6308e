//! Lowering a scenario to a machine: the same tables at the same addresses every time.

use crate::diag::Diagnostic;
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
        MachineError::Build(pagewalk_core::BuildError::Memory(_)) => {
            "raise `machine.max_frames`, or map less"
        }
        MachineError::Build(pagewalk_core::BuildError::Overlap { .. }) => {
            "two mappings cover the same address; move or shrink one"
        }
        MachineError::Build(pagewalk_core::BuildError::PoolFull { .. }) => {
            "the guest page-table area (GPA 1-16 MiB) is full: map less"
        }
        MachineError::NoEntry { .. } => {
            "map the address first, so the tables above the entry exist"
        }
        _ => "check the addresses of this item",
    };
    Diagnostic::new(pos, e.to_string()).hint(hint)
}

fn level(edit: &Edit) -> Level {
    Level::from_number(edit.level).unwrap_or(Level::L1)
}

/// Builds the machine of a scenario.
pub fn build(sc: &Scenario) -> Result<Built, Diagnostic> {
    let mut cfg = sc.machine.clone();
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
    let first = sc.spaces.first().map_or(Default::default(), |s| {
        s.maps.first().map_or(Default::default(), |m| m.pos)
    });
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
    Ok(Built { machine: m, spaces })
}
