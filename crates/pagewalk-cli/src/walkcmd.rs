//! `pagewalk walk`: one translation, reference by reference.

use anyhow::{Context, Result};
use console::style;
use pagewalk_core::presets::OneMapping;
use pagewalk_core::view::{address_fields, walk_grid, WalkGrid};
use pagewalk_core::{Access, CostModel, Event, Gva, Lang, Levels, Mode, PageSize, Recorder};
use serde_json::json;

fn levels(n: u8) -> Levels {
    if n == 5 {
        Levels::Five
    } else {
        Levels::Four
    }
}

pub fn walk(
    mode: Mode,
    guest_levels: u8,
    host_levels: u8,
    guest_page: PageSize,
    host_page: PageSize,
    gva: u64,
    as_json: bool,
) -> Result<u8> {
    let spec = OneMapping {
        mode,
        guest_levels: levels(guest_levels),
        stage2_levels: levels(host_levels),
        guest_page,
        host_page,
        tlb: false,
        pwc: false,
    };
    let gva = Gva::new(gva);
    if !gva.is_canonical(spec.guest_levels) {
        anyhow::bail!(
            "{gva} is not canonical for {guest_levels}-level paging: bits 63..{} must all equal bit {}",
            spec.guest_levels.address_bits(),
            spec.guest_levels.address_bits() - 1
        );
    }
    let mut m = spec
        .build(gva)
        .with_context(|| format!("cannot build a machine mapping {gva}"))?;
    let mut rec = Recorder::new(CostModel::default());
    let out = m.access(gva, Access::USER_READ, &mut rec)?;
    let c = rec.counters;
    let grid = walk_grid(&rec.events, spec.guest_levels, spec.stage2_levels, Lang::En);
    if as_json {
        let events: Vec<_> = rec
            .events
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("text".into(), json!(e.describe(Lang::En)));
                }
                v
            })
            .collect();
        let v = json!({
            "memory_refs": c.memory_refs(),
            "guest_refs": c.guest_refs,
            "host_refs": c.host_refs,
            "translation": out.result.map(|h| format!("{h}")).map_err(|f| f.to_string()),
            "events": events,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(0);
    }
    let mode_name = match mode {
        Mode::Native => "native paging".to_owned(),
        Mode::Ept => format!("{guest_levels}-level guest over {host_levels}-level EPT"),
        Mode::Npt => format!("{guest_levels}-level guest over {host_levels}-level NPT"),
        Mode::Shadow => format!("shadow paging ({guest_levels}-level guest tables)"),
    };
    println!(
        "{} {gva} under {mode_name}, {guest_page} guest pages{}",
        style("Translate").bold(),
        if mode == Mode::Native {
            String::new()
        } else {
            format!(", {host_page} host pages")
        }
    );
    println!();
    for f in address_fields(gva, spec.guest_levels, guest_page, Lang::En) {
        println!(
            "  bits {:>2}..{:<2}  {:<16} {:#x}",
            f.hi, f.lo, f.name, f.value
        );
    }
    println!();
    let mut n = 0;
    for e in &rec.events {
        let text = e.describe(Lang::En);
        match e {
            Event::TableRead { .. } => {
                n += 1;
                println!("  {:>3}. {text}", style(n).cyan().bold());
            }
            Event::Fault { .. } => println!("       {}", style(text).red()),
            Event::AccessBegin { .. } | Event::AccessEnd { .. } => {}
            _ => println!("       {}", style(text).dim()),
        }
    }
    println!();
    if let Some(g) = grid {
        print_grid(&g);
    }
    match out.result {
        Ok(h) => println!(
            "{gva} -> HPA {h}: {} page-table references ({} guest, {} host)",
            style(c.memory_refs()).bold(),
            c.guest_refs,
            c.host_refs
        ),
        Err(f) => println!("{}", style(f).red()),
    }
    Ok(0)
}

fn print_grid(g: &WalkGrid) {
    let w = 10;
    print!("  {:<14}", "");
    for c in &g.columns {
        print!("{c:>w$}");
    }
    println!("{:>w$}", "guest");
    for (r, name) in g.rows.iter().enumerate() {
        print!("  {name:<14}");
        for col in 0..g.columns.len() {
            let cell = g.cells.iter().find(|c| c.row == r && c.col == Some(col));
            match cell {
                Some(c) => print!("{:>w$}", c.number),
                None => print!("{:>w$}", "."),
            }
        }
        match g.cells.iter().find(|c| c.row == r && c.col.is_none()) {
            Some(c) => println!("{:>w$}", c.number),
            None => println!(),
        }
    }
    println!(
        "  rows: guest entries, then the data page; columns: the stage-2 walk of each. Full walk = (g+1)(h+1)-1 = {}",
        g.full_walk
    );
    println!();
}
