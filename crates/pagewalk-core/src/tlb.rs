//! Translation lookaside buffers: set-associative arrays with LRU, tagged by VPID, PCID and
//! EPT root.
//!
//! Intel SDM vol. 3, "Translation Lookaside Buffers (TLBs)" and "Caching Translation
//! Information" (VMX): with EPT, the TLB holds *combined* mappings (linear -> host-physical,
//! tagged by VPID, PCID and EPTRTA); without EPT it holds *linear* mappings (tagged by VPID
//! and PCID). A global entry (G=1 with CR4.PGE) matches any PCID. An entry for a page larger
//! than 4 KiB covers the whole page; a combined entry's size is the smaller of the guest and
//! stage-2 page sizes.

use crate::access::Rights;
use crate::addr::{Gva, Hpa, PageSize};
use crate::event::TlbLevel;
use crate::walk::Translation;
use serde::{Deserialize, Serialize};

/// The geometry of one TLB array: `sets` x `ways` entries. Zero sets means "absent".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlbArrayConfig {
    /// Number of sets (the set index is the page number modulo this).
    pub sets: u16,
    /// Entries per set.
    pub ways: u8,
}

impl TlbArrayConfig {
    /// An array of `sets` x `ways`.
    pub const fn new(sets: u16, ways: u8) -> Self {
        Self { sets, ways }
    }

    /// Entries in the array.
    pub const fn entries(self) -> usize {
        self.sets as usize * self.ways as usize
    }
}

/// The TLB hierarchy. Defaults follow a recent Intel core (Skylake server): L1 DTLB 64 x 4 KiB
/// (4-way), 32 x 2 MiB (4-way), 4 x 1 GiB; L1 ITLB 128 x 4 KiB (8-way), 8 x 2 MiB; unified
/// STLB 1536 entries (12-way) for 4 KiB and 2 MiB, and 16 x 1 GiB (4-way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlbConfig {
    /// Use TLBs at all.
    pub enabled: bool,
    /// L1 data TLB for 4 KiB pages.
    pub l1d_4k: TlbArrayConfig,
    /// L1 data TLB for 2 MiB pages.
    pub l1d_2m: TlbArrayConfig,
    /// L1 data TLB for 1 GiB pages.
    pub l1d_1g: TlbArrayConfig,
    /// L1 instruction TLB for 4 KiB pages.
    pub l1i_4k: TlbArrayConfig,
    /// L1 instruction TLB for 2 MiB pages.
    pub l1i_2m: TlbArrayConfig,
    /// Unified L2 TLB for 4 KiB and 2 MiB pages.
    pub l2: TlbArrayConfig,
    /// Unified L2 TLB for 1 GiB pages.
    pub l2_1g: TlbArrayConfig,
}

impl TlbConfig {
    /// All slots of all arrays: what one invalidation looks at.
    pub const fn slots(&self) -> u64 {
        (self.l1d_4k.entries()
            + self.l1d_2m.entries()
            + self.l1d_1g.entries()
            + self.l1i_4k.entries()
            + self.l1i_2m.entries()
            + self.l2.entries()
            + self.l2_1g.entries()) as u64
    }
}

impl Default for TlbConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            l1d_4k: TlbArrayConfig::new(16, 4),
            l1d_2m: TlbArrayConfig::new(8, 4),
            l1d_1g: TlbArrayConfig::new(1, 4),
            l1i_4k: TlbArrayConfig::new(16, 8),
            l1i_2m: TlbArrayConfig::new(1, 8),
            l2: TlbArrayConfig::new(128, 12),
            l2_1g: TlbArrayConfig::new(4, 4),
        }
    }
}

/// The tag of a cached translation: VPID, PCID and EPT root, packed into 64 bits.
///
/// Bits 63:48 VPID, 47:36 PCID, 35:0 the EPT root's frame number (0 without EPT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tag(u64);

impl Tag {
    const PCID_MASK: u64 = 0xfff << 36;

    /// Packs a tag.
    pub const fn new(vpid: u16, pcid: u16, ept_root: Hpa) -> Tag {
        Tag((vpid as u64) << 48
            | ((pcid as u64) & 0xfff) << 36
            | (ept_root.raw() >> 12) & 0xf_ffff_ffff)
    }

    /// The VPID.
    pub const fn vpid(self) -> u16 {
        (self.0 >> 48) as u16
    }

    /// The PCID.
    pub const fn pcid(self) -> u16 {
        ((self.0 >> 36) & 0xfff) as u16
    }

    /// The EPT root's frame number bits (0 without EPT).
    pub const fn ept_root_frame(self) -> u64 {
        self.0 & 0xf_ffff_ffff
    }

    /// Whether an entry with this tag serves a lookup with `other`; global entries ignore the
    /// PCID (Intel SDM vol. 3, "Global Pages").
    #[inline]
    pub const fn matches(self, other: Tag, global: bool) -> bool {
        let diff = self.0 ^ other.0;
        if global {
            diff & !Self::PCID_MASK == 0
        } else {
            diff == 0
        }
    }
}

/// One cached translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlbEntry {
    /// The linear page number (address >> page shift).
    pub vpn: u64,
    /// Page size.
    pub size: PageSize,
    /// Tag.
    pub tag: Tag,
    /// Host-physical base of the page.
    pub hpa: Hpa,
    /// Guest (stage-1) rights, packed by [`Rights::pack`].
    pub rights: u8,
    /// Stage-2 rights (all set without stage 2).
    pub stage2: crate::Stage2Rights,
    /// The dirty flag was 1 in the leaf (both dimensions with EPT A/D).
    pub dirty: bool,
    /// G=1 with CR4.PGE.
    pub global: bool,
    stamp: u64,
}

impl TlbEntry {
    /// A new entry for the page holding `gva`, from a completed translation.
    pub fn new(gva: Gva, tag: Tag, t: &Translation) -> Self {
        Self {
            vpn: gva.raw() >> t.size.shift(),
            size: t.size,
            tag,
            hpa: t.hpa.align_down(t.size),
            rights: t.rights.pack(),
            stage2: t.stage2,
            dirty: t.dirty,
            global: t.global,
            stamp: 0,
        }
    }

    /// The linear base of the page.
    pub const fn gva(&self) -> Gva {
        Gva::new(self.vpn << self.size.shift())
    }

    /// The guest rights.
    pub const fn guest_rights(&self) -> Rights {
        Rights::unpack(self.rights)
    }
}

/// One set-associative array holding pages of one or two sizes.
#[derive(Clone, Debug)]
pub struct TlbArray {
    config: TlbArrayConfig,
    /// `sets - 1` when the number of sets is a power of two (a mask replaces the division).
    set_mask: Option<u64>,
    sizes: [Option<PageSize>; 2],
    slots: Vec<Option<TlbEntry>>,
    clock: u64,
    /// The slot the last hit came from and the tag it was looked up with: checked first,
    /// since consecutive accesses mostly touch the same page. Any insert forgets it
    /// (`usize::MAX`); removals cannot put an earlier match in front of it. So for the same
    /// page and tag the fast path returns exactly the entry the full search would.
    last: usize,
    last_tag: Tag,
}

impl TlbArray {
    fn new(config: TlbArrayConfig, sizes: [Option<PageSize>; 2]) -> Self {
        // An array with no ways holds nothing: the same as an absent one (a file validated
        // by the scenario reader never asks for it, but the core must not index into it).
        let config = if config.ways == 0 || config.sets == 0 {
            TlbArrayConfig::new(0, 0)
        } else {
            config
        };
        let sets = u64::from(config.sets);
        Self {
            config,
            set_mask: sets.is_power_of_two().then(|| sets - 1),
            sizes,
            slots: vec![None; config.entries()],
            clock: 0,
            last: usize::MAX,
            last_tag: Tag(0),
        }
    }

    fn holds(&self, size: PageSize) -> bool {
        self.config.sets > 0 && self.sizes.contains(&Some(size))
    }

    #[inline]
    fn set_range(&self, vpn: u64) -> std::ops::Range<usize> {
        let set = match self.set_mask {
            Some(mask) => (vpn & mask) as usize,
            None => (vpn % u64::from(self.config.sets)) as usize,
        };
        let ways = self.config.ways as usize;
        set * ways..set * ways + ways
    }

    #[inline(always)]
    fn lookup(&mut self, va: u64, tag: Tag) -> Option<TlbEntry> {
        if self.config.sets == 0 {
            return None;
        }
        if tag == self.last_tag {
            if let Some(Some(e)) = self.slots.get(self.last) {
                if va >> e.size.shift() == e.vpn {
                    return self.touch(self.last);
                }
            }
        }
        let i = self.search(va, tag)?;
        self.last = i;
        self.last_tag = tag;
        self.touch(i)
    }

    /// The first slot holding a translation of `va` for `tag`, sizes in order, ways in order.
    #[inline(always)]
    fn search(&self, va: u64, tag: Tag) -> Option<usize> {
        for size in self.sizes.into_iter().flatten() {
            let vpn = va >> size.shift();
            let range = self.set_range(vpn);
            let first = range.start;
            for (way, slot) in self.slots[range].iter().enumerate() {
                if let Some(e) = slot {
                    if e.vpn == vpn && e.size == size && e.tag.matches(tag, e.global) {
                        return Some(first + way);
                    }
                }
            }
        }
        None
    }

    /// Marks the entry in slot `i` most recently used and returns it.
    #[inline(always)]
    fn touch(&mut self, i: usize) -> Option<TlbEntry> {
        let e = self.slots.get_mut(i)?.as_mut()?;
        self.clock += 1;
        e.stamp = self.clock;
        Some(*e)
    }

    fn insert(&mut self, mut entry: TlbEntry) {
        if !self.holds(entry.size) {
            return;
        }
        self.last = usize::MAX;
        self.clock += 1;
        entry.stamp = self.clock;
        let range = self.set_range(entry.vpn);
        let set = &mut self.slots[range];
        // Replace a copy of the same translation, else a free way, else the least recent.
        let victim = set
            .iter()
            .position(|s| {
                s.is_some_and(|e| e.vpn == entry.vpn && e.size == entry.size && e.tag == entry.tag)
            })
            .or_else(|| set.iter().position(Option::is_none))
            .unwrap_or_else(|| {
                set.iter()
                    .enumerate()
                    .min_by_key(|(_, s)| s.map_or(0, |e| e.stamp))
                    .map_or(0, |(i, _)| i)
            });
        set[victim] = Some(entry);
    }

    fn retain(&mut self, mut remove: impl FnMut(&TlbEntry) -> bool) -> u32 {
        let mut n = 0;
        for slot in &mut self.slots {
            if slot.is_some_and(|e| remove(&e)) {
                *slot = None;
                n += 1;
            }
        }
        n
    }
}

/// Which array of the hierarchy an entry sits in, for views.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlbArrayId {
    /// L1 data, 4 KiB.
    L1d4k,
    /// L1 data, 2 MiB.
    L1d2m,
    /// L1 data, 1 GiB.
    L1d1g,
    /// L1 instruction, 4 KiB.
    L1i4k,
    /// L1 instruction, 2 MiB.
    L1i2m,
    /// L2 unified, 4 KiB and 2 MiB.
    L2,
    /// L2, 1 GiB.
    L21g,
}

impl TlbArrayId {
    /// The array's name as the scenario format's `[machine] tlb` table spells it.
    pub fn name(self) -> &'static str {
        match self {
            TlbArrayId::L1d4k => "l1d_4k",
            TlbArrayId::L1d2m => "l1d_2m",
            TlbArrayId::L1d1g => "l1d_1g",
            TlbArrayId::L1i4k => "l1i_4k",
            TlbArrayId::L1i2m => "l1i_2m",
            TlbArrayId::L2 => "l2",
            TlbArrayId::L21g => "l2_1g",
        }
    }
}

/// A TLB entry seen from outside: where it sits and what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlbSlot {
    /// The array.
    pub array: TlbArrayId,
    /// Set index.
    pub set: u16,
    /// Way within the set.
    pub way: u8,
    /// The entry.
    pub entry: TlbEntry,
}

/// The whole TLB hierarchy.
#[derive(Clone, Debug)]
pub struct Tlb {
    enabled: bool,
    l1d: [TlbArray; 3],
    l1i: [TlbArray; 2],
    l2: [TlbArray; 2],
    /// Slots looked at by invalidations so far: the work a flush costs grows with the TLB's
    /// size, whatever it removes (see `Machine::work`).
    visited: u64,
}

impl Tlb {
    /// An empty hierarchy of the given geometry.
    pub fn new(config: &TlbConfig) -> Self {
        use PageSize::*;
        Self {
            enabled: config.enabled,
            l1d: [
                TlbArray::new(config.l1d_4k, [Some(Size4K), None]),
                TlbArray::new(config.l1d_2m, [Some(Size2M), None]),
                TlbArray::new(config.l1d_1g, [Some(Size1G), None]),
            ],
            l1i: [
                TlbArray::new(config.l1i_4k, [Some(Size4K), None]),
                TlbArray::new(config.l1i_2m, [Some(Size2M), None]),
            ],
            l2: [
                TlbArray::new(config.l2, [Some(Size4K), Some(Size2M)]),
                TlbArray::new(config.l2_1g, [Some(Size1G), None]),
            ],
            visited: 0,
        }
    }

    /// Slots looked at by invalidations so far.
    pub fn slots_visited(&self) -> u64 {
        self.visited
    }

    /// Whether lookups happen at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Every array with its name, in the order views list them.
    fn arrays(&self) -> [(TlbArrayId, &TlbArray); 7] {
        use TlbArrayId::*;
        [
            (L1d4k, &self.l1d[0]),
            (L1d2m, &self.l1d[1]),
            (L1d1g, &self.l1d[2]),
            (L1i4k, &self.l1i[0]),
            (L1i2m, &self.l1i[1]),
            (L2, &self.l2[0]),
            (L21g, &self.l2[1]),
        ]
    }

    /// The slot a lookup of `gva` at `level` finds (the L1 of the access's kind, or the L2),
    /// searched as [`Tlb::lookup`] searches but touching nothing: for views, which mark the
    /// entry that served an access without repeating the lookup's rules.
    pub fn find(&self, gva: Gva, fetch: bool, tag: Tag, level: TlbLevel) -> Option<TlbSlot> {
        use TlbArrayId::*;
        let va = gva.raw();
        self.arrays()
            .into_iter()
            .filter(|(id, _)| match level {
                TlbLevel::L1 if fetch => matches!(id, L1i4k | L1i2m),
                TlbLevel::L1 => matches!(id, L1d4k | L1d2m | L1d1g),
                TlbLevel::L2 => matches!(id, L2 | L21g),
            })
            .filter(|(_, a)| a.config.sets > 0)
            .find_map(|(id, a)| {
                let i = a.search(va, tag)?;
                let ways = a.config.ways.max(1) as usize;
                Some(TlbSlot {
                    array: id,
                    set: (i / ways) as u16,
                    way: (i % ways) as u8,
                    entry: a.slots[i]?,
                })
            })
    }

    /// Looks up `gva` for an access; on an L2 hit the entry is copied into L1.
    #[inline(always)]
    pub fn lookup(&mut self, gva: Gva, fetch: bool, tag: Tag) -> Option<(TlbLevel, TlbEntry)> {
        let va = gva.raw();
        let l1: &mut [TlbArray] = if fetch { &mut self.l1i } else { &mut self.l1d };
        for array in l1.iter_mut() {
            if let Some(e) = array.lookup(va, tag) {
                return Some((TlbLevel::L1, e));
            }
        }
        for array in self.l2.iter_mut() {
            if let Some(e) = array.lookup(va, tag) {
                self.insert_l1(e, fetch);
                return Some((TlbLevel::L2, e));
            }
        }
        None
    }

    fn insert_l1(&mut self, e: TlbEntry, fetch: bool) {
        let l1: &mut [TlbArray] = if fetch { &mut self.l1i } else { &mut self.l1d };
        if let Some(a) = l1.iter_mut().find(|a| a.holds(e.size)) {
            a.insert(e);
        }
    }

    /// Stores a translation in L1 and L2 (in the arrays that hold its size).
    pub fn fill(&mut self, entry: TlbEntry, fetch: bool) {
        if !self.enabled {
            return;
        }
        self.insert_l1(entry, fetch);
        if let Some(a) = self.l2.iter_mut().find(|a| a.holds(entry.size)) {
            a.insert(entry);
        }
    }

    /// Removes every entry for which `remove` is true; returns how many went.
    pub fn invalidate(&mut self, mut remove: impl FnMut(&TlbEntry) -> bool) -> u32 {
        self.visited += self
            .l1d
            .iter()
            .chain(self.l1i.iter())
            .chain(self.l2.iter())
            .map(|a| a.slots.len() as u64)
            .sum::<u64>();
        self.l1d
            .iter_mut()
            .chain(self.l1i.iter_mut())
            .chain(self.l2.iter_mut())
            .map(|a| a.retain(&mut remove))
            .sum()
    }

    /// Every valid entry, with where it sits.
    pub fn slots(&self) -> Vec<TlbSlot> {
        let mut out = Vec::new();
        for (id, a) in self.arrays() {
            let ways = a.config.ways.max(1) as usize;
            for (i, s) in a.slots.iter().enumerate() {
                if let Some(entry) = s {
                    out.push(TlbSlot {
                        array: id,
                        set: (i / ways) as u16,
                        way: (i % ways) as u8,
                        entry: *entry,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(va: u64, tag: Tag, global: bool) -> TlbEntry {
        let t = Translation {
            gpa: crate::Gpa::new(0x5000),
            hpa: Hpa::new(0x5000),
            size: PageSize::Size4K,
            guest_size: PageSize::Size4K,
            rights: Rights::ALL,
            stage2: crate::Stage2Rights::all(),
            dirty: true,
            global,
        };
        TlbEntry::new(Gva::new(va), tag, &t)
    }

    #[test]
    fn tags_and_global() {
        let a = Tag::new(1, 5, Hpa::new(0x9000));
        let b = Tag::new(1, 6, Hpa::new(0x9000));
        let c = Tag::new(2, 5, Hpa::new(0x9000));
        assert!(a.matches(a, false));
        assert!(!a.matches(b, false));
        assert!(a.matches(b, true));
        assert!(!a.matches(c, true));
        assert_eq!((a.vpid(), a.pcid(), a.ept_root_frame()), (1, 5, 9));
    }

    #[test]
    fn lru_eviction_in_one_set() {
        let cfg = TlbConfig {
            l1d_4k: TlbArrayConfig::new(1, 2),
            l2: TlbArrayConfig::new(0, 0),
            ..TlbConfig::default()
        };
        let mut tlb = Tlb::new(&cfg);
        let t = Tag::new(0, 0, Hpa::new(0));
        tlb.fill(entry(0x1000, t, false), false);
        tlb.fill(entry(0x2000, t, false), false);
        assert!(tlb.lookup(Gva::new(0x1000), false, t).is_some()); // 0x2000 is now LRU
        tlb.fill(entry(0x3000, t, false), false);
        assert!(tlb.lookup(Gva::new(0x2000), false, t).is_none());
        assert!(tlb.lookup(Gva::new(0x1000), false, t).is_some());
        assert!(tlb.lookup(Gva::new(0x3fff), false, t).is_some());
    }

    proptest::proptest! {
        /// The last-hit fast path changes nothing: after any sequence of inserts, lookups
        /// and removals, each lookup returns the entry (and leaves the LRU stamps) a plain
        /// search would, with global and non-global entries of two sizes crowding one set.
        #[test]
        fn last_hit_fast_path_equals_the_full_search(
            ops in proptest::collection::vec((0u8..3, 0u64..4, 0u16..3, proptest::bool::ANY, proptest::bool::ANY), 1..200)
        ) {
            let mut fast = TlbArray::new(TlbArrayConfig::new(2, 3), [Some(PageSize::Size4K), Some(PageSize::Size2M)]);
            let mut plain = fast.clone();
            for (op, page, pcid, global, big) in ops {
                let tag = Tag::new(0, pcid, Hpa::new(0));
                let va = page * 0x1000 + if big { 0x20_0000 } else { 0 };
                match op {
                    0 => {
                        let mut e = entry(va, tag, global);
                        if big {
                            e.size = PageSize::Size2M;
                            e.vpn = va >> PageSize::Size2M.shift();
                        }
                        e.hpa = Hpa::new(page << 12 | u64::from(pcid) << 20);
                        fast.insert(e);
                        plain.insert(e);
                    }
                    1 => {
                        let want = plain.search(va, tag).and_then(|i| plain.touch(i));
                        proptest::prop_assert_eq!(fast.lookup(va, tag), want);
                    }
                    _ => {
                        let gone = |e: &TlbEntry| e.vpn & 1 == page & 1;
                        proptest::prop_assert_eq!(fast.retain(gone), plain.retain(gone));
                    }
                }
                proptest::prop_assert_eq!(&fast.slots, &plain.slots);
            }
        }
    }

    #[test]
    fn l2_hit_refills_l1() {
        let cfg = TlbConfig {
            l1d_4k: TlbArrayConfig::new(1, 1),
            ..TlbConfig::default()
        };
        let mut tlb = Tlb::new(&cfg);
        let t = Tag::new(0, 0, Hpa::new(0));
        tlb.fill(entry(0x1000, t, false), false);
        tlb.fill(entry(0x2000, t, false), false);
        assert_eq!(
            tlb.lookup(Gva::new(0x1000), false, t).unwrap().0,
            TlbLevel::L2
        );
        assert_eq!(
            tlb.lookup(Gva::new(0x1000), false, t).unwrap().0,
            TlbLevel::L1
        );
        assert_eq!(tlb.invalidate(|e| e.vpn == 1), 2);
    }
}
