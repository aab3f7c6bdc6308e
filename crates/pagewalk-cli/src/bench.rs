//! `pagewalk bench`: the benchmark cases of the core crate, timed here (the core has no
//! clock). Event recording is off: the sink is a `Counters` fold.

use anyhow::{Context, Result};
use pagewalk_core::presets::OneMapping;
use pagewalk_core::{Access, Counters, Gva, Mode};
use serde_json::json;
use std::hint::black_box;
use std::time::{Duration, Instant};

const GVA: u64 = 0x7fff_0000_1000;

fn rate(spec: OneMapping, seconds: f64) -> Result<f64> {
    let mut m = spec
        .build(Gva::new(GVA))
        .context("cannot build the benchmark machine")?;
    let mut counters = Counters::default();
    let budget = Duration::from_secs_f64(seconds.clamp(0.05, 60.0));
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        for i in 0..4096u64 {
            let gva = Gva::new(GVA + (i & 0xff) * 8);
            let out = m.access(black_box(gva), Access::USER_READ, &mut counters)?;
            // The translated address only: copying the whole `Outcome` through black_box
            // costs more than a TLB hit (docs/performance.md, "The harness").
            let Ok(hpa) = out.result else {
                anyhow::bail!("the benchmark mapping does not translate {gva}");
            };
            black_box(hpa);
        }
        n += 4096;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

pub fn bench(as_json: bool, seconds: f64) -> Result<u8> {
    let hits = rate(OneMapping::default(), seconds)?;
    let native = rate(
        OneMapping {
            tlb: false,
            pwc: false,
            ..OneMapping::default()
        },
        seconds,
    )?;
    let nested = rate(
        OneMapping {
            mode: Mode::Ept,
            tlb: false,
            pwc: false,
            ..OneMapping::default()
        },
        seconds,
    )?;
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "tlb_hits_per_s": hits.round() as u64,
                "native_walks_per_s": native.round() as u64,
                "nested_walks_per_s": nested.round() as u64,
            }))?
        );
    } else {
        println!("TLB hits:                 {:>8.1} M/s", hits / 1e6);
        println!("native 4-level walks:     {:>8.1} M/s", native / 1e6);
        println!("nested 4x4 EPT walks:     {:>8.1} M/s", nested / 1e6);
        println!("(event recording off; walks without TLB or paging-structure caches)");
    }
    Ok(0)
}
