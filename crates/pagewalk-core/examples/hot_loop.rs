//! A fixed number of translations of one kind, for instruction-count profiling:
//! `valgrind --tool=callgrind target/release/examples/hot_loop nested 100000`.

use pagewalk_core::presets::OneMapping;
use pagewalk_core::{Access, Counters, Gva, Mode};

fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "native".into());
    let n: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let spec = match kind.as_str() {
        "hit" => OneMapping::default(),
        "native" => OneMapping {
            tlb: false,
            pwc: false,
            ..OneMapping::default()
        },
        _ => OneMapping {
            mode: Mode::Ept,
            tlb: false,
            pwc: false,
            ..OneMapping::default()
        },
    };
    let base = 0x7fff_0000_1000;
    let Ok(mut m) = spec.build(Gva::new(base)) else {
        eprintln!("cannot build the machine");
        std::process::exit(1);
    };
    let mut c = Counters::default();
    for i in 0..n {
        let gva = Gva::new(base + (i & 0xff) * 8);
        if m.access(std::hint::black_box(gva), Access::USER_READ, &mut c)
            .is_err()
        {
            std::process::exit(1);
        }
    }
    println!("{} accesses, {} references", c.accesses, c.memory_refs());
}
