//! View models shared by the CLI and the web app: the bit fields of an address, and the
//! two-dimensional grid of a nested walk built from its events.

use crate::addr::{Gva, Level, Levels, PageSize};
use crate::event::{CachedMapping, Event, NestedPurpose, TableKind};
use serde::Serialize;

/// One bit field of a linear address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AddressField {
    /// What selects it: "sign extension", "PML4 index", ..., "page offset".
    pub name: String,
    /// Highest bit.
    pub hi: u8,
    /// Lowest bit.
    pub lo: u8,
    /// The field's value.
    pub value: u64,
    /// The paging level it indexes, if it is an index.
    pub level: Option<Level>,
}

/// The fields of `gva` for paging with `levels` and a leaf of `page` size (Intel SDM vol. 3,
/// "Linear-Address Translation to a 4-KByte Page using 4-Level Paging" and its 2 MiB, 1 GiB
/// and 5-level variants).
pub fn address_fields(gva: Gva, levels: Levels, page: PageSize) -> Vec<AddressField> {
    let va = gva.raw();
    let top_bit = levels.address_bits() as u8;
    let mut out = vec![AddressField {
        name: "sign extension".into(),
        hi: 63,
        lo: top_bit,
        value: va >> top_bit,
        level: None,
    }];
    let leaf = page.leaf_level();
    for level in Level::TOP_DOWN {
        if level > levels.top() || level < leaf {
            continue;
        }
        let lo = level.shift() as u8;
        out.push(AddressField {
            name: format!("{} index", level.table_name()),
            hi: lo + 8,
            lo,
            value: level.index(va) as u64,
            level: Some(level),
        });
    }
    let shift = if leaf == Level::L1 {
        12
    } else {
        leaf.shift() as u8
    };
    out.push(AddressField {
        name: "page offset".into(),
        hi: shift - 1,
        lo: 0,
        value: va & ((1 << shift) - 1),
        level: None,
    });
    out
}

/// One memory reference placed in the grid of a nested walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct GridCell {
    /// Row: index into [`WalkGrid::rows`].
    pub row: usize,
    /// Column: index into [`WalkGrid::columns`], or `None` for the guest entry itself.
    pub col: Option<usize>,
    /// The reference's number, from 1, in the order the hardware makes them.
    pub number: u32,
    /// Index of its event in the list given to [`walk_grid`].
    pub event: usize,
}

/// The two-dimensional walk of one access: rows are the guest entries read (and the final
/// data address), columns the stage-2 levels walked for each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WalkGrid {
    /// Row names: "PML4 entry", ..., "data page".
    pub rows: Vec<String>,
    /// Column names: "EPT PML4", ..., "EPT PT".
    pub columns: Vec<String>,
    /// Every reference.
    pub cells: Vec<GridCell>,
    /// Rows whose stage-2 walk started below the top thanks to a guest-physical mapping in
    /// the stage-2 paging-structure cache.
    pub pwc_rows: Vec<usize>,
    /// Rows whose guest table was reached through a combined mapping: read at its
    /// host-physical address with no stage-2 walk at all.
    pub combined_rows: Vec<usize>,
    /// The guest-dimension cache hit that let the walk skip the guest levels above its first
    /// row, if any: what kind of mapping served it, and the level of the cached entry.
    pub guest_cache: Option<(CachedMapping, Level)>,
    /// Rows whose stage-2 walk ended in an EPT violation / NPF: a VM exit, after which the
    /// hypervisor (KVM's TDP MMU) may have mapped the page and the walk starts again.
    pub violation_rows: Vec<usize>,
    /// Rows that begin a walk made again after a VM exit.
    pub retry_rows: Vec<usize>,
    /// Hardware walks in the access (more than one when stage-2 faults were fixed).
    pub walks: u32,
    /// (g+1)(h+1)-1 for the configured levels: the cost of a walk with no cache at all.
    pub full_walk: u32,
}

/// Lays out the references of one nested access as a grid, or `None` if the events hold no
/// stage-2 reference. `guest_levels`/`stage2_levels` give the full-walk figure.
pub fn walk_grid(
    events: &[Event],
    guest_levels: Levels,
    stage2_levels: Levels,
) -> Option<WalkGrid> {
    let stage2 = events.iter().find_map(|e| match e {
        Event::TableRead { table, .. } if table.is_stage2() => Some(*table),
        _ => None,
    })?;
    let prefix = if stage2 == TableKind::Npt {
        "NPT"
    } else {
        "EPT"
    };
    let columns: Vec<Level> = Level::TOP_DOWN
        .into_iter()
        .filter(|l| *l <= stage2_levels.top())
        .collect();
    let mut rows: Vec<String> = Vec::new();
    let mut cells = Vec::new();
    let mut pwc_rows = Vec::new();
    let mut combined_rows = Vec::new();
    let mut guest_cache = None;
    let mut combined_next = false;
    let mut violation_rows = Vec::new();
    let mut retry_rows = Vec::new();
    let mut walks = 0u32;
    let mut retry_next = false;
    let mut row: Option<usize> = None;
    let mut number = 0u32;
    for (i, e) in events.iter().enumerate() {
        match *e {
            Event::WalkBegin { .. } => {
                walks += 1;
                retry_next = walks > 1;
            }
            Event::Fault {
                fault: crate::Fault::EptViolation { .. } | crate::Fault::NestedPageFault { .. },
            } => {
                if let Some(r) = row {
                    violation_rows.push(r);
                }
            }
            Event::NestedBegin { purpose, .. } => {
                rows.push(match purpose {
                    NestedPurpose::GuestTable { level } => format!("{} entry", level.table_name()),
                    NestedPurpose::FinalAddress => "data page".into(),
                });
                row = Some(rows.len() - 1);
                if std::mem::take(&mut retry_next) {
                    retry_rows.push(rows.len() - 1);
                }
            }
            Event::PwcHit { table, .. } if table.is_stage2() => {
                if let Some(r) = row {
                    pwc_rows.push(r);
                }
            }
            Event::PwcHit { mapping, level, .. } => {
                guest_cache = Some((mapping, level));
                combined_next = mapping == CachedMapping::Combined;
            }
            Event::TableRead { table, level, .. } if !table.is_stage2() && combined_next => {
                combined_next = false;
                number += 1;
                rows.push(format!("{} entry", level.table_name()));
                let r = rows.len() - 1;
                if std::mem::take(&mut retry_next) {
                    retry_rows.push(r);
                }
                combined_rows.push(r);
                row = Some(r);
                cells.push(GridCell {
                    row: r,
                    col: None,
                    number,
                    event: i,
                });
            }
            Event::TableRead { table, level, .. } => {
                number += 1;
                let Some(r) = row else { continue };
                let col = if table.is_stage2() {
                    columns.iter().position(|l| *l == level)
                } else {
                    None
                };
                cells.push(GridCell {
                    row: r,
                    col,
                    number,
                    event: i,
                });
            }
            _ => {}
        }
    }
    let g = u32::from(guest_levels.count());
    let h = u32::from(stage2_levels.count());
    Some(WalkGrid {
        rows,
        columns: columns
            .iter()
            .map(|l| format!("{prefix} {}", l.table_name()))
            .collect(),
        cells,
        pwc_rows,
        combined_rows,
        guest_cache,
        violation_rows,
        retry_rows,
        walks,
        full_walk: (g + 1) * (h + 1) - 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_a_4k_address() {
        let f = address_fields(Gva::new(0x7fff_0000_1234), Levels::Four, PageSize::Size4K);
        let names: Vec<_> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "sign extension",
                "PML4 index",
                "PDPT index",
                "PD index",
                "PT index",
                "page offset"
            ]
        );
        assert_eq!(f[1].value, 255);
        assert_eq!((f[5].hi, f[5].value), (11, 0x234));
        let f = address_fields(Gva::new(0x7fff_0000_1234), Levels::Five, PageSize::Size2M);
        assert_eq!(f[1].name, "PML5 index");
        assert_eq!(f.last().map(|f| (f.hi, f.value)), Some((20, 0x1234)));
    }
}
