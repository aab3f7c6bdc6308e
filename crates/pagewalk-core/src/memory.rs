//! Physical memory: sparse and page-granular, with a hard limit on frames.
//!
//! Only the 8-byte words of paging structures carry meaning in this model, so a frame is
//! 512 `u64`s. Unallocated memory reads as zero (a not-present entry), as freshly zeroed RAM
//! would. Guest-physical memory has no store of its own: it is a view of host memory through
//! the machine's memslots (see [`GuestRam`]), as in KVM.

use crate::addr::{Gfn, Gpa, Hfn, Hpa};
use serde::{Deserialize, Serialize};

/// Errors from memory allocation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoryError {
    /// The machine would need more frames than its limit allows.
    #[error(
        "the machine would need more than {limit} frames of 4 KiB; raise `max_frames` or map less"
    )]
    FrameLimit {
        /// The configured limit.
        limit: usize,
    },
    /// An 8-byte entry access was not 8-byte aligned.
    #[error("entry address {0} is not 8-byte aligned")]
    Unaligned(Hpa),
    /// A guest-physical address lies outside every memslot.
    #[error("guest-physical address {0} is outside guest RAM")]
    NoMemslot(Gpa),
}

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

/// A run of consecutive frames stored as one flat vector of words (512 per frame), so a
/// read is two dependent loads.
#[derive(Clone, Debug)]
struct Extent {
    start: u64,
    words: Vec<u64>,
}

impl Extent {
    #[inline(always)]
    fn frames(&self) -> u64 {
        (self.words.len() / 512) as u64
    }

    #[inline(always)]
    fn frame(&self, off: u64) -> &[u64; 512] {
        let i = off as usize * 512;
        self.words[i..i + 512].try_into().unwrap_or(&ZERO_FRAME)
    }

    #[inline(always)]
    fn frame_mut(&mut self, off: u64) -> Option<&mut [u64; 512]> {
        let i = off as usize * 512;
        self.words.get_mut(i..i + 512)?.try_into().ok()
    }
}

static ZERO_FRAME: [u64; 512] = [0; 512];

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

    #[inline]
    fn find(&self, frame: u64) -> Option<&[u64; 512]> {
        let i = self.extent_of(frame)?;
        let e = &self.extents[i];
        Some(e.frame(frame - e.start))
    }

    #[inline]
    fn find_mut(&mut self, frame: u64) -> Option<&mut [u64; 512]> {
        let i = self.extent_of(frame)?;
        let e = &mut self.extents[i];
        e.frame_mut(frame - e.start)
    }

    #[inline(always)]
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
        // Indexing by word keeps the dependent chain of a walk short: the entry just read
        // becomes the next address, and only a shift and a subtraction stand between it and
        // the next load (the extent's range test is a predicted branch beside the chain).
        let word = hpa.raw() >> 3;
        if self.extents.len() <= 8 {
            for e in &self.extents {
                if let Some(&v) = e.words.get(word.wrapping_sub(e.start << 9) as usize) {
                    return v;
                }
            }
            return 0;
        }
        self.find(hpa.raw() >> 12)
            .map_or(0, |f| f[(word & 511) as usize])
    }

    /// Writes the 8-byte word at `hpa`, allocating its frame on first write.
    pub fn write_u64(&mut self, hpa: Hpa, value: u64) -> Result<(), MemoryError> {
        if hpa.raw() & 7 != 0 {
            return Err(MemoryError::Unaligned(hpa));
        }
        let slot = self.frame_mut(hpa.frame())?;
        slot[((hpa.raw() >> 3) & 511) as usize] = value;
        Ok(())
    }

    /// Writes a word in a frame that already exists; returns false (and writes nothing) if
    /// the frame was never allocated. Used where a write must not allocate, like A/D updates
    /// of an entry that was just read as present.
    #[inline]
    pub fn update_existing(&mut self, hpa: Hpa, value: u64) -> bool {
        match self.find_mut(hpa.raw() >> 12) {
            Some(f) => {
                f[((hpa.raw() >> 3) & 511) as usize] = value;
                true
            }
            None => false,
        }
    }

    /// Zeroes a frame that exists (a freed table), keeping it allocated.
    pub fn zero_frame(&mut self, hfn: Hfn) {
        if let Some(f) = self.find_mut(hfn.raw()) {
            *f = [0; 512];
        }
    }

    /// Whether a frame holds data.
    pub fn is_allocated(&self, hfn: Hfn) -> bool {
        self.find(hfn.raw()).is_some()
    }

    fn frame_mut(&mut self, hfn: Hfn) -> Result<&mut [u64; 512], MemoryError> {
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
                    let words = &mut self.extents[i].words;
                    words.resize(words.len() + 512, 0);
                }
                _ => self.extents.insert(
                    at,
                    Extent {
                        start: frame,
                        words: vec![0; 512],
                    },
                ),
            }
        }
        let limit = self.max_frames;
        self.find_mut(frame)
            .ok_or(MemoryError::FrameLimit { limit })
    }

    /// The words of a frame, for views of a table.
    pub fn frame_words(&self, hfn: Hfn) -> Option<&[u64; 512]> {
        self.find(hfn.raw())
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
