//! Translations per second with event recording off (counters only): TLB hits, native
//! 4-level walks without TLB, and nested 4x4 EPT walks without TLB or paging-structure caches.
//! Run with `cargo bench -p pagewalk-core`; figures go in docs/performance.md.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pagewalk_core::presets::OneMapping;
use pagewalk_core::{Access, Counters, Gva, Mode};
use std::hint::black_box;

const GVA: u64 = 0x7fff_0000_1000;
const BATCH: u64 = 1024;

fn bench(c: &mut Criterion, name: &str, spec: OneMapping) {
    let mut m = spec.build(Gva::new(GVA)).expect("preset machine builds");
    let mut counters = Counters::default();
    let mut g = c.benchmark_group("translate");
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function(name, |b| {
        b.iter(|| {
            for i in 0..BATCH {
                let gva = Gva::new(GVA + (i & 0xff) * 8);
                let out = m
                    .access(black_box(gva), Access::USER_READ, &mut counters)
                    .expect("no limit is hit");
                // The translated address is what a translation produces. (Passing the whole
                // `Outcome` to black_box, or `expect` on its result, which keeps the fault for
                // the panic message, made LLVM copy it through the stack in overlapping 4-byte
                // pieces whose reloads missed store-to-load forwarding every iteration: more
                // than half the TLB-hit bench's time, in the harness; docs/performance.md.)
                let Ok(hpa) = out.result else {
                    panic!("the preset's mapping translates");
                };
                black_box(hpa);
            }
        })
    });
    g.finish();
}

fn translations(c: &mut Criterion) {
    bench(c, "tlb_hit", OneMapping::default());
    bench(
        c,
        "native_walk_4level",
        OneMapping {
            tlb: false,
            pwc: false,
            ..OneMapping::default()
        },
    );
    bench(
        c,
        "nested_walk_4x4",
        OneMapping {
            mode: Mode::Ept,
            tlb: false,
            pwc: false,
            ..OneMapping::default()
        },
    );
}

criterion_group!(benches, translations);
criterion_main!(benches);
