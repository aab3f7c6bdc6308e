//! Physical memory: sparse and page-granular, with a hard limit on frames.
//!
//! Only the 8-byte words of paging structures carry meaning in this model, so a frame is
//! 512 `u64`s. Unallocated memory reads as zero (a not-present entry), as freshly zeroed RAM
//! would. Guest-physical memory has no store of its own: it is a view of host memory through
//! the machine's memslots (see [`GuestRam`]), as in KVM.

use crate::addr::{Gfn, Gpa, Hfn, Hpa};
use serde::{Deserialize, Serialize};

/// Errors from memory allocation. Said from the catalogue ([`MemoryError::text`]); `Display` is
/// the English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryError {
    /// The machine would need more frames than its limit allows.
    FrameLimit {
        /// The configured limit.
        limit: usize,
    },
    /// An 8-byte entry access was not 8-byte aligned.
    Unaligned(Hpa),
    /// A guest-physical address lies outside every memslot.
    NoMemslot(Gpa),
}

impl MemoryError {
    /// What went wrong, as a message of the catalogue.
    pub fn text(&self) -> pagewalk_text::Text {
        use pagewalk_text::Text;
        match self {
            MemoryError::FrameLimit { limit } => {
                Text::new("memory-frame-limit").arg("limit", *limit as u64)
            }
            MemoryError::Unaligned(a) => Text::new("memory-unaligned").arg("addr", a.to_string()),
            MemoryError::NoMemslot(g) => Text::new("memory-no-memslot").arg("gpa", g.to_string()),
        }
    }
}

pagewalk_text::display_in_english!(MemoryError);

impl std::error::Error for MemoryError {}

/// Sparse host-physical memory holding 4 KiB frames of 512 entries.
///
/// Frames are kept in *extents*, runs of consecutive frames, because tables come from pools
/// handed out in address order: a machine has a handful of extents, and finding a frame is a
/// short scan instead of a hash lookup (the walk's hot path is one frame lookup per reference).
#[derive(Clone, Debug)]
pub struct PhysMemory {
    extents: Vec<Extent>,
    count: usize,
    max_frames: usize,
}

/// A run of consecutive frames stored as one flat vector of bytes, little-endian as on x86.
///
/// Bytes rather than words because a walk is a chain of reads, each address made from the
/// entry read before it: with a byte offset the next load is `entry & mask - bias`, two ALU
/// steps and an unscaled load (measured: 1.40 ns per dependent read against 2.12 ns with a word
/// index, `cargo run --release --example chain_floor -p pagewalk-core`).
#[derive(Clone, Debug)]
struct Extent {
    /// First frame.
    start: u64,
    /// Host-physical address of the first byte (`start << 12`).
    base: u64,
    bytes: Vec<u8>,
}

impl Extent {
    fn frames(&self) -> u64 {
        (self.bytes.len() >> 12) as u64
    }

    /// The 8 bytes at byte offset `off` into the extent, if inside it.
    #[inline(always)]
    fn word_at(&self, off: u64) -> Option<u64> {
        let off = usize::try_from(off).ok()?;
        let b = self.bytes.get(off..off.checked_add(8)?)?;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    }

    /// The bytes of the frame `off` frames into the extent.
    fn frame_bytes_mut(&mut self, off: u64) -> Option<&mut [u8]> {
        let i = usize::try_from(off).ok()? << 12;
        self.bytes.get_mut(i..i + 4096)
    }
}

impl PhysMemory {
    /// Empty memory that may hold at most `max_frames` frames.
    pub fn new(max_frames: usize) -> Self {
        Self {
            extents: Vec::new(),
            count: 0,
            max_frames,
        }
    }

    /// How many frames hold data.
    pub fn frames_allocated(&self) -> usize {
        self.count
    }

    fn find_mut(&mut self, frame: u64) -> Option<&mut [u8]> {
        let i = self.extent_of(frame)?;
        let e = &mut self.extents[i];
        e.frame_bytes_mut(frame - e.start)
    }

    fn extent_of(&self, frame: u64) -> Option<usize> {
        if self.extents.len() <= 8 {
            return self
                .extents
                .iter()
                .position(|e| frame.wrapping_sub(e.start) < e.frames());
        }
        let i = self
            .extents
            .partition_point(|e| e.start <= frame)
            .checked_sub(1)?;
        let e = &self.extents[i];
        (frame - e.start < e.frames()).then_some(i)
    }

    /// Reads the 8-byte word at `hpa` (rounded down to 8 bytes); unallocated memory reads 0.
    #[inline(always)]
    pub fn read_u64(&self, hpa: Hpa) -> u64 {
        self.read_entry(hpa.raw() & !7, 0)
    }

    /// Reads the entry at byte `offset` (8-aligned, below 4096) of the table at `table`
    /// (4 KiB-aligned): a walk's read. The offset is folded into each extent's bias before
    /// the table address is used, so the entry just read reaches the next load through one
    /// AND (its address field) and one subtraction.
    #[inline(always)]
    pub fn read_entry(&self, table: u64, offset: u64) -> u64 {
        if self.extents.len() <= 8 {
            for e in &self.extents {
                let off = table.wrapping_sub(e.base.wrapping_sub(offset));
                if let Some(v) = e.word_at(off) {
                    return v;
                }
            }
            return 0;
        }
        let hpa = table.wrapping_add(offset);
        match self.extent_of(hpa >> 12) {
            Some(i) => {
                let e = &self.extents[i];
                e.word_at(hpa - e.base).unwrap_or(0)
            }
            None => 0,
        }
    }

    /// Writes the 8-byte word at `hpa`, allocating its frame on first write.
    pub fn write_u64(&mut self, hpa: Hpa, value: u64) -> Result<(), MemoryError> {
        if hpa.raw() & 7 != 0 {
            return Err(MemoryError::Unaligned(hpa));
        }
        let frame = self.frame_mut(hpa.frame())?;
        let at = (hpa.raw() & 0xff8) as usize;
        frame[at..at + 8].copy_from_slice(&value.to_le_bytes());
        Ok(())
    }

    /// Writes a word in a frame that already exists; returns false (and writes nothing) if
    /// the frame was never allocated. Used where a write must not allocate, like A/D updates
    /// of an entry that was just read as present.
    #[inline]
    pub fn update_existing(&mut self, hpa: Hpa, value: u64) -> bool {
        match self.find_mut(hpa.raw() >> 12) {
            Some(f) => {
                let at = (hpa.raw() & 0xff8) as usize;
                f[at..at + 8].copy_from_slice(&value.to_le_bytes());
                true
            }
            None => false,
        }
    }

    /// Zeroes a frame that exists (a freed table), keeping it allocated.
    pub fn zero_frame(&mut self, hfn: Hfn) {
        if let Some(f) = self.find_mut(hfn.raw()) {
            f.fill(0);
        }
    }

    /// Whether a frame holds data.
    pub fn is_allocated(&self, hfn: Hfn) -> bool {
        self.extent_of(hfn.raw()).is_some()
    }

    fn frame_mut(&mut self, hfn: Hfn) -> Result<&mut [u8], MemoryError> {
        let frame = hfn.raw();
        if self.extent_of(frame).is_none() {
            if self.count >= self.max_frames {
                return Err(MemoryError::FrameLimit {
                    limit: self.max_frames,
                });
            }
            self.count += 1;
            let at = self.extents.partition_point(|e| e.start <= frame);
            match at.checked_sub(1) {
                Some(i) if self.extents[i].start + self.extents[i].frames() == frame => {
                    let bytes = &mut self.extents[i].bytes;
                    bytes.resize(bytes.len() + 4096, 0);
                }
                _ => self.extents.insert(
                    at,
                    Extent {
                        start: frame,
                        base: frame << 12,
                        bytes: vec![0; 4096],
                    },
                ),
            }
        }
        let limit = self.max_frames;
        self.find_mut(frame)
            .ok_or(MemoryError::FrameLimit { limit })
    }

    /// The 512 words of a frame, for views of a table.
    pub fn frame_words(&self, hfn: Hfn) -> Option<[u64; 512]> {
        let i = self.extent_of(hfn.raw())?;
        let e = &self.extents[i];
        let base = (hfn.raw() - e.start) << 12;
        let mut words = [0u64; 512];
        for (i, w) in words.iter_mut().enumerate() {
            *w = e.word_at(base + 8 * i as u64)?;
        }
        Some(words)
    }
}

/// One contiguous range of guest-physical memory backed by contiguous host-physical memory:
/// KVM's memslot (`KVM_SET_USER_MEMORY_REGION`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memslot {
    /// First guest frame of the slot.
    pub gfn: Gfn,
    /// Number of 4 KiB frames.
    pub frames: u64,
    /// The host frame that backs `gfn`.
    pub hfn: Hfn,
}

/// Guest RAM as the hypervisor knows it: a list of memslots mapping GPA to HPA in software.
///
/// The hypervisor (and the table builder) use this to reach guest memory without a hardware
/// walk; the hardware reaches it only through stage-2 tables (EPT/NPT) or shadow tables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestRam {
    slots: Vec<Memslot>,
}

impl GuestRam {
    /// Guest RAM made of the given slots.
    pub fn new(slots: Vec<Memslot>) -> Self {
        Self { slots }
    }

    /// The slots.
    pub fn slots(&self) -> &[Memslot] {
        &self.slots
    }

    /// The host address backing a guest-physical address, if it is in a slot.
    #[inline]
    pub fn gpa_to_hpa(&self, gpa: Gpa) -> Option<Hpa> {
        let gfn = gpa.raw() >> 12;
        self.slots.iter().find_map(|s| {
            (gfn >= s.gfn.raw() && gfn - s.gfn.raw() < s.frames)
                .then(|| Hpa::new(((s.hfn.raw() + gfn - s.gfn.raw()) << 12) | (gpa.raw() & 0xfff)))
        })
    }

    /// The slot holding a guest frame.
    pub fn slot_of(&self, gfn: Gfn) -> Option<&Memslot> {
        self.slots
            .iter()
            .find(|s| gfn.raw() >= s.gfn.raw() && gfn.raw() - s.gfn.raw() < s.frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_reads_zero_and_writes_allocate() {
        let mut m = PhysMemory::new(2);
        assert_eq!(m.read_u64(Hpa::new(0x1234_5000)), 0);
        m.write_u64(Hpa::new(0x1000_0008), 7).unwrap();
        assert_eq!(m.read_u64(Hpa::new(0x1000_0008)), 7);
        m.write_u64(Hpa::new(0x2000_0000), 1).unwrap();
        assert_eq!(
            m.write_u64(Hpa::new(0x3000_0000), 1),
            Err(MemoryError::FrameLimit { limit: 2 })
        );
        assert_eq!(
            m.write_u64(Hpa::new(0x1000_0001), 1),
            Err(MemoryError::Unaligned(Hpa::new(0x1000_0001)))
        );
        assert_eq!(m.frames_allocated(), 2);
    }

    #[test]
    fn extents_keep_frames_apart() {
        let mut m = PhysMemory::new(100);
        // Out of order and adjacent: frames 5, 3, 4, 6, 20, then many scattered ones.
        for f in [5u64, 3, 4, 6, 20] {
            m.write_u64(Hpa::new(f << 12), f).unwrap();
        }
        for f in 0..40u64 {
            m.write_u64(Hpa::new((1000 + 3 * f) << 12), 1000 + f)
                .unwrap();
        }
        for f in [5u64, 3, 4, 6, 20] {
            assert_eq!(m.read_u64(Hpa::new(f << 12)), f);
        }
        for f in 0..40u64 {
            assert_eq!(m.read_u64(Hpa::new((1000 + 3 * f) << 12)), 1000 + f);
        }
        assert_eq!(m.read_u64(Hpa::new(7 << 12)), 0);
        assert_eq!(m.frames_allocated(), 45);
        assert!(m.update_existing(Hpa::new(4 << 12), 9));
        assert!(!m.update_existing(Hpa::new(8 << 12), 9));
        assert_eq!(m.read_u64(Hpa::new(4 << 12)), 9);
    }

    proptest::proptest! {
        /// Memory agrees with a map of words, however the frames fall into extents (more or
        /// fewer than the eight the scan handles), and a walk's read equals a plain read.
        #[test]
        fn memory_is_a_map_of_words(
            writes in proptest::collection::vec((0u64..64, 0u64..512, proptest::num::u64::ANY), 1..200),
            spread in 1u64..40,
        ) {
            let mut m = PhysMemory::new(1000);
            let mut model = std::collections::HashMap::new();
            for &(frame, word, value) in &writes {
                let hpa = Hpa::new((frame * spread) << 12 | word << 3);
                m.write_u64(hpa, value).unwrap();
                model.insert(hpa.raw(), value);
            }
            for &(frame, word, _) in &writes {
                for f in [frame * spread, frame * spread + 1] {
                    let table = f << 12;
                    let off = word << 3;
                    let want = model.get(&(table + off)).copied().unwrap_or(0);
                    proptest::prop_assert_eq!(m.read_u64(Hpa::new(table + off)), want);
                    proptest::prop_assert_eq!(m.read_entry(table, off), want);
                    if let Some(words) = m.frame_words(Hfn::new(f)) {
                        proptest::prop_assert_eq!(words[word as usize], want);
                    }
                }
            }
        }
    }

    #[test]
    fn memslot_translation() {
        let ram = GuestRam::new(vec![Memslot {
            gfn: Gfn::new(0x100),
            frames: 16,
            hfn: Hfn::new(0x9000),
        }]);
        assert_eq!(
            ram.gpa_to_hpa(Gpa::new(0x10_0123)),
            Some(Hpa::new(0x900_0123))
        );
        assert_eq!(ram.gpa_to_hpa(Gpa::new(0x11_0000)), None);
        assert_eq!(ram.gpa_to_hpa(Gpa::new(0xff000)), None);
    }
}
