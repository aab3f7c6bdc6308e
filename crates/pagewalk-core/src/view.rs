//! View models shared by the CLI and the web app: the bit fields of an address, and the
//! two-dimensional grid of a nested walk built from its events.

use crate::addr::{Gva, Level, Levels, PageSize};
use crate::event::{CachedMapping, Event, NestedPurpose, TableKind};
use crate::words::{num, say, text, Lang};
use pagewalk_text::FluentValue;
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
pub fn address_fields(gva: Gva, levels: Levels, page: PageSize, lang: Lang) -> Vec<AddressField> {
    let va = gva.raw();
    let top_bit = levels.address_bits() as u8;
    let mut out = vec![AddressField {
        name: say(lang, "field-sign", &[]),
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
            name: say(lang, "field-index", &[("table", text(level.table_name()))]),
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
        name: say(lang, "field-offset", &[]),
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
    /// (g+1)(h+1)-1 for the levels this walk's page sizes need (a 2 MiB guest page ends the
    /// guest walk at the PD, a 2 MiB stage-2 page each stage-2 walk at the EPT PD): the cost
    /// of the same walk with no cache at all.
    pub full_walk: u32,
}

/// Lays out the references of one nested access as a grid, or `None` if the events hold no
/// stage-2 reference. `guest_levels`/`stage2_levels` give the full-walk figure.
pub fn walk_grid(
    events: &[Event],
    guest_levels: Levels,
    stage2_levels: Levels,
    lang: Lang,
) -> Option<WalkGrid> {
    let stage2 = events.iter().find_map(|e| match e {
        Event::TableRead { table, .. } if table.is_stage2() => Some(*table),
        _ => None,
    })?;
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
    // The leaf levels of the last walk: the guest's, and stage 2's for the final address.
    let mut guest_leaf = Level::L1;
    let mut stage2_leaf = Level::L1;
    let mut final_row = false;
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
                final_row = purpose == NestedPurpose::FinalAddress;
                rows.push(match purpose {
                    NestedPurpose::GuestTable { level } => say(
                        lang,
                        "grid-row-entry",
                        &[("table", text(level.table_name()))],
                    ),
                    NestedPurpose::FinalAddress => say(lang, "grid-row-data", &[]),
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
                rows.push(say(
                    lang,
                    "grid-row-entry",
                    &[("table", text(level.table_name()))],
                ));
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
                if table.is_stage2() && final_row {
                    stage2_leaf = level;
                } else if !table.is_stage2() {
                    guest_leaf = level;
                }
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
    let g = u32::from(guest_levels.count()) + 1 - u32::from(guest_leaf.number());
    let h = u32::from(stage2_levels.count()) + 1 - u32::from(stage2_leaf.number());
    // Stage-2 levels this walk never reached (below a large stage-2 leaf) get no column.
    let used = |l: &Level| {
        *l >= stage2_leaf
            || cells.iter().any(|c| {
                c.col
                    .is_some_and(|i| columns.get(i).is_some_and(|cl| cl == l))
            })
    };
    let keep: Vec<Level> = columns.iter().copied().filter(used).collect();
    for c in &mut cells {
        c.col = c
            .col
            .and_then(|i| columns.get(i))
            .and_then(|l| keep.iter().position(|k| k == l));
    }
    let columns = keep;
    Some(WalkGrid {
        rows,
        columns: columns
            .iter()
            .map(|l| stage2.table_name(*l, lang))
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

/// One paragraph that says what an action did, generated from its events, in `lang`: for an
/// access, the TLB, the references by kind, what the caches skipped, the faults and exits and
/// what the hypervisor did; for any other action, its flushes and exits; and what the host
/// did. The CLI and the web app show the same paragraph.
pub fn narrate(events: &[Event], lang: Lang) -> String {
    use crate::event::{ExitReason, FaultOutcome, FlushCause};
    let s = |id: &str, args: &[(&str, FluentValue<'_>)]| say(lang, id, args);
    let mut guest = 0u32;
    let mut shadow = 0u32;
    let mut stage2 = 0u32;
    let mut stage2_kind = "EPT";
    let mut walks = 0u32;
    let mut tlb_hit = None;
    let mut pwc: Vec<String> = Vec::new();
    let mut exits: Vec<ExitReason> = Vec::new();
    let mut outcomes: Vec<FaultOutcome> = Vec::new();
    let mut flushes = 0u32;
    let mut flushed = 0u32;
    let mut flush_cause = None;
    let mut fault = None;
    let mut ad = 0u32;
    let mut prefetched = 0u32;
    let mut stage2_filled = 0u32;
    let mut new_shadow_pages = 0u32;
    let mut access = false;
    // A walk of the OS's own tables (no VM): its references are neither guest nor host.
    let mut native = false;
    // The host's side: pages changed, entries KVM dropped for them, KSM, the balloon.
    let mut host_parts: Vec<String> = Vec::new();
    let mut swapped_out = 0u64;
    let mut swapped_in = 0u64;
    let mut unmapped: Vec<(crate::event::HostChange, u64, u64)> = Vec::new();
    for e in events {
        match *e {
            Event::AccessBegin { .. } => access = true,
            Event::TlbHit { level, size, .. } => tlb_hit = Some((level, size)),
            Event::WalkBegin { root, .. } => {
                walks += 1;
                native |= matches!(root, crate::event::WalkRoot::Physical(_));
            }
            Event::TableRead { table, .. } => match table {
                TableKind::Guest => guest += 1,
                TableKind::Shadow => shadow += 1,
                TableKind::Ept => stage2 += 1,
                TableKind::Npt => {
                    stage2 += 1;
                    stage2_kind = "NPT";
                }
            },
            Event::PwcHit {
                table,
                level,
                mapping,
                ..
            } => pwc.push(s(
                match mapping {
                    CachedMapping::Linear => "narr-pwc-linear",
                    CachedMapping::GuestPhysical => "narr-pwc-guest-physical",
                    CachedMapping::Combined => "narr-pwc-combined",
                },
                &[("table", text(table.table_name(level, lang)))],
            )),
            Event::AdUpdate { .. } => ad += 1,
            Event::VmExit { reason } => exits.push(reason),
            Event::FaultHandled { outcome } => outcomes.push(outcome),
            Event::Flush { cause, removed } => {
                flushes += 1;
                flushed += removed;
                if flush_cause.is_none()
                    && !matches!(cause, FlushCause::PageFault | FlushCause::Stage2Fault)
                {
                    flush_cause = Some(cause);
                }
            }
            Event::Fault { fault: f } => fault = Some(f),
            // A fault the hypervisor fixed does not end the access.
            Event::AccessEnd { hpa: Some(_) } => fault = None,
            Event::ShadowFill { prefetch: true, .. } => prefetched += 1,
            Event::Stage2Fill { .. } => stage2_filled += 1,
            Event::ShadowPageAlloc { .. } => new_shadow_pages += 1,
            Event::HostPage { from, to, size, .. } => {
                use crate::HostPageState as S;
                if to == S::Swapped {
                    swapped_out += size.bytes() >> 12;
                } else if from == S::Swapped {
                    swapped_in += size.bytes() >> 12;
                }
            }
            Event::HostUnmap {
                frames,
                zapped,
                cause,
                ..
            } => match unmapped.iter_mut().find(|(c, _, _)| *c == cause) {
                Some((_, f, z)) => {
                    *f += frames;
                    *z += zapped;
                }
                None => unmapped.push((cause, frames, zapped)),
            },
            Event::HostSplit { .. } => host_parts.push(s("narr-host-split", &[])),
            Event::HostRefused { why } => {
                host_parts.push(s("narr-host-refused", &[("why", text(why.describe(lang)))]))
            }
            Event::KsmScan {
                shared,
                sharing,
                unshared,
                volatile,
            } => host_parts.push(s(
                "narr-ksm-scan",
                &[
                    ("shared", num(shared)),
                    ("sharing", num(sharing)),
                    ("unshared", num(unshared)),
                    ("volatile", num(volatile)),
                ],
            )),
            Event::Balloon { pages } => {
                host_parts.push(s("narr-balloon", &[("pages", num(pages))]))
            }
            _ => {}
        }
    }
    if swapped_out > 0 {
        host_parts.insert(0, s("narr-swapped-out", &[("pages", num(swapped_out))]));
    }
    for (cause, frames, zapped) in unmapped {
        host_parts.push(s(
            "narr-unmapped",
            &[
                ("frames", num(frames)),
                ("cause", text(cause.describe(lang))),
                ("zapped", num(zapped)),
            ],
        ));
    }
    if swapped_in > 0 {
        host_parts.push(s("narr-swapped-in", &[("pages", num(swapped_in))]));
    }
    let mut parts: Vec<String> = Vec::new();
    if access {
        if let Some((level, size)) = tlb_hit.filter(|_| walks == 0) {
            parts.push(s(
                "narr-tlb-hit",
                &[("level", text(format!("{level:?}"))), ("size", text(size))],
            ));
        } else {
            let refs = guest + shadow + stage2;
            let mut by_kind = Vec::new();
            if guest > 0 && !native {
                by_kind.push(s("narr-kind-guest", &[("count", num(guest))]));
            }
            if shadow > 0 {
                by_kind.push(s("narr-kind-shadow", &[("count", num(shadow))]));
            }
            if stage2 > 0 {
                by_kind.push(s(
                    "narr-kind-stage2",
                    &[("count", num(stage2)), ("table", text(stage2_kind))],
                ));
            }
            parts.push(if refs == 0 {
                s("narr-tlb-miss", &[])
            } else if by_kind.is_empty() {
                // Natively there is one kind of table: the count says it all.
                s(
                    if walks > 1 {
                        "narr-tlb-miss-native-walks"
                    } else {
                        "narr-tlb-miss-native"
                    },
                    &[("refs", num(refs)), ("walks", num(walks))],
                )
            } else {
                s(
                    if walks > 1 {
                        "narr-tlb-miss-refs-walks"
                    } else {
                        "narr-tlb-miss-refs"
                    },
                    &[
                        ("refs", num(refs)),
                        ("walks", num(walks)),
                        ("kinds", text(pagewalk_text::list(lang, &by_kind))),
                    ],
                )
            });
            if !pwc.is_empty() {
                pwc.dedup();
                parts.push(s(
                    if walks > 1 {
                        "narr-pwc-walks"
                    } else {
                        "narr-pwc"
                    },
                    &[("hits", text(pagewalk_text::list(lang, &pwc)))],
                ));
            }
        }
    }
    if !exits.is_empty() {
        let fixed = outcomes
            .iter()
            .filter(|o| **o == FaultOutcome::Fixed)
            .count() as u64;
        let mut what = Vec::new();
        if stage2_filled > 0 {
            what.push(s("narr-did-stage2", &[("count", num(stage2_filled))]));
        }
        if new_shadow_pages > 0 {
            what.push(s("narr-did-shadow", &[("count", num(new_shadow_pages))]));
        }
        if prefetched > 0 {
            what.push(s("narr-did-prefetch", &[("count", num(prefetched))]));
        }
        for o in &outcomes {
            if *o != FaultOutcome::Fixed {
                what.push(o.describe(lang));
            }
        }
        if fixed > 0 && stage2_filled == 0 && new_shadow_pages == 0 {
            what.push(s("narr-did-fixed", &[("count", num(fixed))]));
        }
        // "2 x shadow page fault", not "a shadow page fault, a shadow page fault".
        let mut grouped: Vec<(ExitReason, u64)> = Vec::new();
        for r in &exits {
            match grouped.iter_mut().find(|(n, _)| n == r) {
                Some((_, c)) => *c += 1,
                None => grouped.push((*r, 1)),
            }
        }
        let reasons: Vec<String> = grouped
            .iter()
            .map(|(r, c)| {
                let id = match r {
                    ExitReason::External => "narr-exit-external",
                    ExitReason::Stage2Fault => "narr-exit-stage2",
                    ExitReason::EptMisconfig => "narr-exit-misconfig",
                    ExitReason::PageFault => "narr-exit-page-fault",
                    ExitReason::Cr3Write => "narr-exit-cr3",
                    ExitReason::Invlpg => "narr-exit-invlpg",
                    ExitReason::HostCr3 => "narr-exit-host-cr3",
                    ExitReason::KernelEntry => "narr-exit-kernel-entry",
                    ExitReason::KernelReturn => "narr-exit-kernel-return",
                    ExitReason::RootLoad => "narr-exit-root-load",
                };
                s(id, &[("count", num(*c))])
            })
            .collect();
        let count = num(exits.len() as u64);
        let reasons = text(pagewalk_text::list(lang, &reasons));
        parts.push(if what.is_empty() {
            s("narr-exits", &[("count", count), ("reasons", reasons)])
        } else {
            s(
                "narr-exits-did",
                &[
                    ("count", count),
                    ("reasons", reasons),
                    ("did", text(pagewalk_text::clauses(lang, &what))),
                ],
            )
        });
    }
    if flushes > 0 && (!access || flush_cause.is_some()) {
        parts.push(s(
            "narr-flushes",
            &[("flushes", num(flushes)), ("removed", num(flushed))],
        ));
    }
    if ad > 0 {
        parts.push(s("narr-ad", &[("count", num(ad))]));
    }
    parts.extend(host_parts);
    if let Some(f) = fault {
        // Where the model's hypervisor leaves stage 2 alone (prefilled or edited by the
        // scenario), say what KVM does with the exit: `handle_ept_violation` ->
        // `kvm_mmu_page_fault` maps guest RAM and retries; outside every memslot, or a
        // write to a read-only one, it is MMIO for user space (Linux
        // Documentation/virt/kvm/api.rst, KVM_MEM_READONLY and KVM_EXIT_MMIO).
        parts.push(s(
            if f.is_stage2() {
                "narr-fault-stage2"
            } else {
                "narr-fault"
            },
            &[("fault", text(f.describe(lang)))],
        ));
    }
    if parts.is_empty() {
        // A page-table write, STAC/CLAC, a CR3 load that keeps its PCID: true of all of them.
        parts.push(s("narr-nothing", &[]));
    }
    pagewalk_text::paragraph(lang, &parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_a_4k_address() {
        let f = address_fields(
            Gva::new(0x7fff_0000_1234),
            Levels::Four,
            PageSize::Size4K,
            Lang::En,
        );
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
        let f = address_fields(
            Gva::new(0x7fff_0000_1234),
            Levels::Five,
            PageSize::Size2M,
            Lang::En,
        );
        assert_eq!(f[1].name, "PML5 index");
        assert_eq!(f.last().map(|f| (f.hi, f.value)), Some((20, 0x1234)));
    }

    #[test]
    fn narration_counts_references_by_kind_and_names_the_hypervisor_work() {
        use crate::presets::OneMapping;
        use crate::{Access, Gva, Mode, Recorder};
        let spec = OneMapping {
            mode: Mode::Ept,
            tlb: true,
            pwc: false,
            ..OneMapping::default()
        };
        let mut m = spec.build(Gva::new(0x7fff_0000_1234)).unwrap();
        let mut r = Recorder::default();
        m.access(Gva::new(0x7fff_0000_1234), Access::USER_READ, &mut r)
            .unwrap();
        // The preset's entries have A/D set already: no flag to set.
        assert_eq!(
            narrate(&r.events, Lang::En),
            "A TLB miss: 24 page-table references (4 guest, 20 EPT)."
        );
        let mut r = Recorder::default();
        m.access(Gva::new(0x7fff_0000_1234), Access::USER_READ, &mut r)
            .unwrap();
        assert!(
            narrate(&r.events, Lang::En).starts_with("A TLB hit in the L1"),
            "{}",
            narrate(&r.events, Lang::En)
        );
        // Under shadow paging a first touch exits and the hypervisor builds shadow pages.
        let mut m = OneMapping {
            mode: Mode::Shadow,
            ..OneMapping::default()
        }
        .build(Gva::new(0x7fff_0000_1234))
        .unwrap();
        let mut r = Recorder::default();
        m.access(Gva::new(0x7fff_0000_1234), Access::USER_READ, &mut r)
            .unwrap();
        let n = narrate(&r.events, Lang::En);
        assert!(
            n.contains("1 VM exit (a shadow page fault): the hypervisor made 4 shadow pages"),
            "{n}"
        );
        assert!(
            !n.contains("fault:"),
            "the fixed fault does not end the access: {n}"
        );
    }

    /// The formula under the grid counts the levels this walk's page sizes need, and a
    /// stage-2 level never reached gets no column (issue "The web app teaches").
    #[test]
    fn the_grid_formula_follows_the_page_sizes_walked() {
        use crate::presets::OneMapping;
        use crate::{Access, Gva, Mode, Recorder};
        for (guest_page, host_page, want, columns) in [
            (PageSize::Size4K, PageSize::Size4K, 24, 4),
            (PageSize::Size2M, PageSize::Size4K, 19, 4),
            (PageSize::Size4K, PageSize::Size2M, 19, 3),
            (PageSize::Size2M, PageSize::Size2M, 15, 3),
        ] {
            let spec = OneMapping {
                mode: Mode::Ept,
                guest_page,
                host_page,
                tlb: false,
                pwc: false,
                ..OneMapping::default()
            };
            let gva = Gva::new(0x7fff_4000_1234);
            let mut m = spec.build(gva).unwrap();
            let mut r = Recorder::default();
            m.access(gva, Access::USER_READ, &mut r).unwrap();
            let g = walk_grid(&r.events, Levels::Four, Levels::Four, Lang::En).unwrap();
            assert_eq!(g.full_walk, want, "{guest_page:?} over {host_page:?}");
            assert_eq!(g.cells.len() as u32, want);
            assert_eq!(
                g.columns.len(),
                columns,
                "{guest_page:?} over {host_page:?}"
            );
        }
    }
}
