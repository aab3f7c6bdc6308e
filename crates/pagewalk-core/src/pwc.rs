//! Paging-structure caches: upper-level entries remembered so a walk can start lower.
//!
//! Intel SDM vol. 3, "Paging-Structure Caches": a PML5E/PML4E/PDPTE/PDE cache entry is keyed
//! by the linear-address bits that select it and holds the physical address of the next table
//! and the rights combined so far. A hit on the PDE cache leaves a single reference (the PTE).
//! With EPT, the guest caches are tagged by VPID, PCID and EPT root; the stage-2 caches by EPT
//! root, keyed by guest-physical address bits.

use crate::addr::{Level, Levels};
use crate::tlb::Tag;
use serde::{Deserialize, Serialize};

/// Paging-structure-cache settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PwcConfig {
    /// Caches for the guest (linear) dimension.
    pub guest: bool,
    /// Caches for stage 2 (EPT/NPT upper levels).
    pub stage2: bool,
    /// Entries per level (fully associative, LRU).
    pub entries: u16,
}

impl Default for PwcConfig {
    fn default() -> Self {
        Self {
            guest: true,
            stage2: true,
            entries: 32,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct PwcEntry {
    prefix: u64,
    tag: Tag,
    next: u64,
    next_gpa: u64,
    rights: u8,
    stage2: u8,
    stamp: u64,
}

/// A hit: the level whose entry was cached, the next table, and the rights so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PwcHit {
    /// Level of the cached entry (the walk continues one below).
    pub level: Level,
    /// Address of the next table where the walk reads it: host-physical (a combined
    /// mapping under EPT/NPT; the table itself natively and for shadow tables) or, in the
    /// stage-2 cache, the next EPT/NPT table.
    pub next: u64,
    /// The next table's guest-physical address (the same as `next` but in a combined
    /// mapping).
    pub next_gpa: u64,
    /// Rights combined down to and including the cached entry.
    pub rights: u8,
    /// Stage-2 rights of the next table's page (a combined mapping; all set otherwise).
    pub stage2: u8,
}

/// The caches of one dimension: one fully-associative array per cacheable level (2..=5).
#[derive(Clone, Debug)]
pub struct Pwc {
    enabled: bool,
    capacity: usize,
    // index 0 = level 2 (PDE cache) ... 3 = level 5
    levels: [Vec<PwcEntry>; 4],
    clock: u64,
}

impl Pwc {
    /// Empty caches.
    pub fn new(enabled: bool, capacity: u16) -> Self {
        Self {
            enabled: enabled && capacity > 0,
            capacity: capacity as usize,
            levels: Default::default(),
            clock: 0,
        }
    }

    /// Whether the caches are used.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn prefix(level: Level, addr: u64) -> u64 {
        addr >> level.shift()
    }

    /// Finds the lowest cached entry for `addr`, among levels below the root's.
    #[inline]
    pub fn lookup(&mut self, levels: Levels, addr: u64, tag: Tag) -> Option<PwcHit> {
        if !self.enabled {
            return None;
        }
        for n in 2..=levels.count() {
            let level = Level::from_number(n)?;
            let prefix = Self::prefix(level, addr);
            let arr = &mut self.levels[n as usize - 2];
            if let Some(e) = arr.iter_mut().find(|e| e.prefix == prefix && e.tag == tag) {
                self.clock += 1;
                e.stamp = self.clock;
                return Some(PwcHit {
                    level,
                    next: e.next,
                    next_gpa: e.next_gpa,
                    rights: e.rights,
                    stage2: e.stage2,
                });
            }
        }
        None
    }

    /// Remembers a non-leaf entry at `level` for `addr`: a linear mapping (natively), or a
    /// guest-physical one (in the stage-2 cache): the next table's address and the rights.
    pub fn insert(&mut self, level: Level, addr: u64, tag: Tag, next: u64, rights: u8) {
        self.insert_combined(level, addr, tag, next, next, rights, 0b111);
    }

    /// Remembers a combined mapping (Intel SDM vol. 3, "Information That May Be Cached"):
    /// linear-address bits to the host-physical address of the next guest table, with its
    /// guest-physical address and the stage-2 rights of its page, tagged VPID, PCID and EPT
    /// root, so that a hit reads that table with no stage-2 walk.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_combined(
        &mut self,
        level: Level,
        addr: u64,
        tag: Tag,
        next: u64,
        next_gpa: u64,
        rights: u8,
        stage2: u8,
    ) {
        if !self.enabled || level.number() < 2 {
            return;
        }
        self.clock += 1;
        let entry = PwcEntry {
            prefix: Self::prefix(level, addr),
            tag,
            next,
            next_gpa,
            rights,
            stage2,
            stamp: self.clock,
        };
        let arr = &mut self.levels[level.number() as usize - 2];
        if let Some(e) = arr
            .iter_mut()
            .find(|e| e.prefix == entry.prefix && e.tag == tag)
        {
            *e = entry;
        } else if arr.len() < self.capacity {
            arr.push(entry);
        } else if let Some(lru) = arr.iter_mut().min_by_key(|e| e.stamp) {
            *lru = entry;
        }
    }

    /// Drops every entry whose tag satisfies `remove`; returns how many went.
    pub fn invalidate(&mut self, mut remove: impl FnMut(Tag) -> bool) -> u32 {
        let mut n = 0;
        for arr in &mut self.levels {
            let before = arr.len();
            arr.retain(|e| !remove(e.tag));
            n += (before - arr.len()) as u32;
        }
        n
    }

    /// Drops the entries that would be used for `addr` and whose tag satisfies `remove`
    /// (what an EPT violation invalidates); returns how many went.
    pub fn invalidate_addr(&mut self, addr: u64, mut remove: impl FnMut(Tag) -> bool) -> u32 {
        let mut n = 0;
        for (i, arr) in self.levels.iter_mut().enumerate() {
            let Some(level) = Level::from_number(i as u8 + 2) else {
                continue;
            };
            let prefix = Self::prefix(level, addr);
            let before = arr.len();
            arr.retain(|e| !(e.prefix == prefix && remove(e.tag)));
            n += (before - arr.len()) as u32;
        }
        n
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Hpa;

    #[test]
    fn lowest_level_wins_and_tags_separate() {
        let mut p = Pwc::new(true, 2);
        let t = Tag::new(0, 1, Hpa::new(0));
        let va = 0x7fff_0000_1000;
        p.insert(Level::L4, va, t, 0x1000, 7);
        p.insert(Level::L2, va, t, 0x3000, 7);
        assert_eq!(p.lookup(Levels::Four, va, t).unwrap().level, Level::L2);
        assert_eq!(
            p.lookup(Levels::Four, va + 0x20_0000, t).unwrap().level,
            Level::L4
        );
        assert!(p
            .lookup(Levels::Four, va, Tag::new(0, 2, Hpa::new(0)))
            .is_none());
        assert_eq!(p.invalidate(|tag| tag.pcid() == 1), 2);
        assert!(p.is_empty());
    }
}
