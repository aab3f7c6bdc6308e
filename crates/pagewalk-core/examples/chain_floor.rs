//! How long one link of a walk's dependency chain takes: 100 M reads, each at an address
//! made from the entry read before it, through `PhysMemory::read_entry` (byte-addressed
//! extents, the walkers' read) and through a word-indexed store like the one it replaced. A nested 4x4 walk is 24 such links,
//! so this is the floor under its time.
//!
//! `cargo run --release --example chain_floor -p pagewalk-core`

use pagewalk_core::{Hpa, PhysMemory};
use std::hint::black_box;
use std::time::Instant;

const N: u64 = 100_000_000;
const MASK: u64 = 0x000f_ffff_ffff_f000;
const FIRST: u64 = 0x100;

/// The store `PhysMemory` used before: frames as words, indexed by word number.
struct WordExtent {
    first_word: u64,
    words: Vec<u64>,
}

#[inline(never)]
fn word_chain(extents: &[WordExtent], offset: u64) -> u64 {
    let mut e = FIRST << 12;
    for _ in 0..N {
        let word = ((e & MASK) + offset) >> 3;
        e = extents
            .iter()
            .find_map(|x| x.words.get(word.wrapping_sub(x.first_word) as usize))
            .copied()
            .unwrap_or(0);
    }
    e
}

#[inline(never)]
fn memory_chain(m: &PhysMemory, offset: u64) -> u64 {
    let mut e = FIRST << 12;
    for _ in 0..N {
        e = m.read_entry(e & MASK, offset);
    }
    e
}

fn per_read(f: impl FnOnce() -> u64) -> f64 {
    let t = Instant::now();
    black_box(f());
    t.elapsed().as_nanos() as f64 / N as f64
}

fn main() {
    // Eight tables whose entry 0 points at the next one, in a ring; a second extent far away.
    let mut m = PhysMemory::new(100);
    let mut words = vec![0u64; 8 * 512];
    for f in 0..8u64 {
        let next = ((FIRST + (f + 1) % 8) << 12) | 7;
        m.write_u64(Hpa::new((FIRST + f) << 12), next)
            .expect("within the frame limit");
        words[(f * 512) as usize] = next;
    }
    m.write_u64(Hpa::new(0x9_0000_0000), 1)
        .expect("within the frame limit");
    let extents = [
        WordExtent {
            first_word: FIRST << 9,
            words,
        },
        WordExtent {
            first_word: 0x9_0000_0000 >> 3,
            words: vec![0; 512],
        },
    ];
    let offset = black_box(0);
    println!(
        "PhysMemory (byte offsets): {:.2} ns per dependent read",
        per_read(|| memory_chain(&m, offset))
    );
    println!(
        "word-indexed store:        {:.2} ns per dependent read",
        per_read(|| word_chain(&extents, offset))
    );
}
