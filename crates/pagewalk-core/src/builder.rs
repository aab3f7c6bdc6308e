//! A deterministic page-table builder for IA-32e and EPT formats.
//!
//! Tables are taken in order from a pool of addresses, so the same mappings always give the
//! same image at the same addresses: the simulator and the KVM backend load the same bytes.

use crate::addr::{Level, Levels, PageSize};
use crate::entry::{address_field, EptFlags, PteFlags};
use crate::memory::{GuestRam, MemoryError, PhysMemory};
use crate::walk::{ept_is_leaf, ia32e_is_leaf};
use crate::{Gpa, Hpa};
use serde::{Deserialize, Serialize};

/// Errors building tables. Said from the catalogue ([`BuildError::text`]); `Display` is the
/// English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// Memory refused.
    Memory(MemoryError),
    /// The pool of table addresses ran out.
    PoolFull {
        /// Pool start.
        start: u64,
        /// Pool end.
        end: u64,
    },
    /// An address is not aligned to the page size it is mapped with.
    Unaligned {
        /// Which address (a message id: `build-what-virtual` or `build-what-physical`).
        what: &'static str,
        /// The address.
        addr: u64,
        /// The page size.
        size: PageSize,
    },
    /// The address is already mapped (by a page or a larger page).
    Overlap {
        /// The address.
        addr: u64,
        /// The level of the existing entry.
        level: u8,
    },
    /// A page size the format cannot use at this depth.
    BadSize {
        /// The page size.
        size: PageSize,
    },
}

impl BuildError {
    /// What went wrong, as a message of the catalogue.
    pub fn text(&self) -> pagewalk_text::Text {
        use pagewalk_text::Text;
        match self {
            BuildError::Memory(e) => e.text(),
            BuildError::PoolFull { start, end } => Text::new("build-pool-full")
                .arg("start", format!("{start:#x}"))
                .arg("end", format!("{end:#x}")),
            BuildError::Unaligned { what, addr, size } => Text::new("build-unaligned")
                .arg("what", Text::new(what))
                .arg("addr", format!("{addr:#x}"))
                .arg("size", size.to_string()),
            BuildError::Overlap { addr, level } => Text::new("build-overlap")
                .arg("addr", format!("{addr:#x}"))
                .arg("level", u64::from(*level)),
            BuildError::BadSize { size } => {
                Text::new("build-bad-size").arg("size", size.to_string())
            }
        }
    }
}

pagewalk_text::display_in_english!(BuildError);

impl std::error::Error for BuildError {}

impl From<MemoryError> for BuildError {
    fn from(e: MemoryError) -> Self {
        BuildError::Memory(e)
    }
}

/// The format of the tables being built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableFormat {
    /// IA-32e (guest tables, NPT, shadow tables).
    Ia32e,
    /// Intel EPT.
    Ept,
}

impl TableFormat {
    fn present(self, e: u64) -> bool {
        match self {
            TableFormat::Ia32e => e & PteFlags::PRESENT.bits() != 0,
            TableFormat::Ept => e & 0b111 != 0,
        }
    }

    fn is_leaf(self, e: u64, level: Level) -> bool {
        match self {
            TableFormat::Ia32e => ia32e_is_leaf(e, level),
            TableFormat::Ept => ept_is_leaf(e, level),
        }
    }

    fn huge_bit(self) -> u64 {
        match self {
            TableFormat::Ia32e => PteFlags::HUGE_PAGE.bits(),
            TableFormat::Ept => EptFlags::HUGE_PAGE.bits(),
        }
    }
}

/// Read access to stored tables.
pub trait TableRead {
    /// Reads the word at a table address.
    fn read(&self, addr: u64) -> Result<u64, BuildError>;
}

/// Where tables are stored: host-physical memory directly, or guest-physical memory reached
/// through the memslots (as the guest's own kernel would write them).
pub trait TableStore: TableRead {
    /// Writes the word at a table address.
    fn write(&mut self, addr: u64, value: u64) -> Result<(), BuildError>;
}

/// Tables at host-physical addresses (EPT, NPT, shadow tables, native tables).
pub struct HostStore<'a>(pub &'a mut PhysMemory);

impl TableRead for HostStore<'_> {
    fn read(&self, addr: u64) -> Result<u64, BuildError> {
        Ok(self.0.read_u64(Hpa::new(addr)))
    }
}

impl TableStore for HostStore<'_> {
    fn write(&mut self, addr: u64, value: u64) -> Result<(), BuildError> {
        Ok(self.0.write_u64(Hpa::new(addr), value)?)
    }
}

/// Tables at guest-physical addresses, reached through guest RAM's memslots.
pub struct GuestStore<'a> {
    /// Host memory.
    pub mem: &'a mut PhysMemory,
    /// Guest RAM layout.
    pub ram: &'a GuestRam,
}

impl TableRead for GuestStore<'_> {
    fn read(&self, addr: u64) -> Result<u64, BuildError> {
        read_guest(self.mem, self.ram, addr)
    }
}

/// Reads guest tables through the memslots without the right to write them.
pub struct GuestView<'a> {
    /// Host memory.
    pub mem: &'a PhysMemory,
    /// Guest RAM layout.
    pub ram: &'a GuestRam,
}

impl TableRead for GuestView<'_> {
    fn read(&self, addr: u64) -> Result<u64, BuildError> {
        read_guest(self.mem, self.ram, addr)
    }
}

/// Reads host tables without the right to write them.
pub struct HostView<'a>(pub &'a PhysMemory);

impl TableRead for HostView<'_> {
    fn read(&self, addr: u64) -> Result<u64, BuildError> {
        Ok(self.0.read_u64(Hpa::new(addr)))
    }
}

fn read_guest(mem: &PhysMemory, ram: &GuestRam, addr: u64) -> Result<u64, BuildError> {
    let hpa = ram
        .gpa_to_hpa(Gpa::new(addr))
        .ok_or(MemoryError::NoMemslot(Gpa::new(addr)))?;
    Ok(mem.read_u64(hpa))
}

impl TableStore for GuestStore<'_> {
    fn write(&mut self, addr: u64, value: u64) -> Result<(), BuildError> {
        let hpa = self
            .ram
            .gpa_to_hpa(Gpa::new(addr))
            .ok_or(MemoryError::NoMemslot(Gpa::new(addr)))?;
        Ok(self.mem.write_u64(hpa, value)?)
    }
}

/// A pool of 4 KiB table frames handed out in address order, with a free list for tables
/// that were dropped (shadow pages): deterministic, so the same build gives the same image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    start: u64,
    next: u64,
    end: u64,
    free: Vec<u64>,
    tables: Vec<u64>,
}

impl Pool {
    /// A pool over `start..end` (4 KiB aligned).
    pub fn new(start: u64, end: u64) -> Self {
        Self {
            start,
            next: start,
            end,
            free: Vec::new(),
            tables: Vec::new(),
        }
    }

    /// Takes a frame.
    pub fn alloc(&mut self) -> Result<u64, BuildError> {
        if let Some(t) = self.free.pop() {
            return Ok(t);
        }
        if self.next.saturating_add(4096) > self.end {
            return Err(BuildError::PoolFull {
                start: self.start,
                end: self.end,
            });
        }
        let t = self.next;
        self.next += 4096;
        self.tables.push(t);
        Ok(t)
    }

    /// Gives a frame back (its contents must already be zero).
    pub fn release(&mut self, frame: u64) {
        self.free.push(frame);
    }

    /// Every frame ever handed out, in order.
    pub fn tables(&self) -> &[u64] {
        &self.tables
    }

    /// Whether an address lies in a frame handed out by this pool.
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.start && addr < self.next
    }
}

/// Builds one tree of tables whose frames come from a [`Pool`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableBuilder {
    format: TableFormat,
    levels: Levels,
    maxphyaddr: u8,
    root: u64,
}

impl TableBuilder {
    /// A builder with a new root table from `pool`.
    pub fn new(
        format: TableFormat,
        levels: Levels,
        maxphyaddr: u8,
        pool: &mut Pool,
    ) -> Result<Self, BuildError> {
        Ok(Self {
            format,
            levels,
            maxphyaddr,
            root: pool.alloc()?,
        })
    }

    /// The root table's address (CR3, EPTP or shadow root).
    pub fn root(&self) -> u64 {
        self.root
    }

    /// The format.
    pub fn format(&self) -> TableFormat {
        self.format
    }

    /// Levels.
    pub fn levels(&self) -> Levels {
        self.levels
    }

    /// Maps one page of `size` at `va` to `pa`. `leaf` holds the leaf's flag bits (PS is
    /// added for large pages); `nonleaf` the bits of any table entry created on the way.
    #[allow(clippy::too_many_arguments)]
    pub fn map(
        &self,
        store: &mut dyn TableStore,
        pool: &mut Pool,
        va: u64,
        pa: u64,
        size: PageSize,
        leaf: u64,
        nonleaf: u64,
    ) -> Result<(), BuildError> {
        if va & (size.bytes() - 1) != 0 {
            return Err(BuildError::Unaligned {
                what: "build-what-virtual",
                addr: va,
                size,
            });
        }
        if pa & (size.bytes() - 1) != 0 {
            return Err(BuildError::Unaligned {
                what: "build-what-physical",
                addr: pa,
                size,
            });
        }
        let leaf_level = size.leaf_level();
        if leaf_level > self.levels.top() {
            return Err(BuildError::BadSize { size });
        }
        let mut table = self.root;
        let mut level = self.levels.top();
        while level > leaf_level {
            let at = table + 8 * level.index(va) as u64;
            let e = store.read(at)?;
            if self.format.present(e) {
                if self.format.is_leaf(e, level) {
                    return Err(BuildError::Overlap {
                        addr: va,
                        level: level.number(),
                    });
                }
                table = address_field(e, self.maxphyaddr);
            } else {
                let t = pool.alloc()?;
                store.write(at, t | nonleaf)?;
                table = t;
            }
            level = level.below().ok_or(BuildError::BadSize { size })?;
        }
        let at = table + 8 * level.index(va) as u64;
        if self.format.present(store.read(at)?) {
            return Err(BuildError::Overlap {
                addr: va,
                level: level.number(),
            });
        }
        let ps = if size == PageSize::Size4K {
            0
        } else {
            self.format.huge_bit()
        };
        store.write(at, pa | leaf | ps)
    }

    /// The address of the entry at `level` on the path to `va`, if the tables above it exist.
    pub fn entry_addr(&self, store: &dyn TableRead, va: u64, level: Level) -> Option<u64> {
        let mut table = self.root;
        let mut l = self.levels.top();
        loop {
            let at = table + 8 * l.index(va) as u64;
            if l == level {
                return Some(at);
            }
            let e = store.read(at).ok()?;
            if !self.format.present(e) || self.format.is_leaf(e, l) {
                return None;
            }
            table = address_field(e, self.maxphyaddr);
            l = l.below()?;
        }
    }

    /// Resolves `va` in software (no events): the physical address, page size and leaf entry.
    pub fn resolve(&self, store: &dyn TableRead, va: u64) -> Option<(u64, PageSize, u64)> {
        let mut table = self.root;
        let mut l = self.levels.top();
        loop {
            let e = store.read(table + 8 * l.index(va) as u64).ok()?;
            if !self.format.present(e) {
                return None;
            }
            if self.format.is_leaf(e, l) {
                let size = l.leaf_size()?;
                let base = address_field(e, self.maxphyaddr) & !(size.bytes() - 1);
                return Some((base | (va & (size.bytes() - 1)), size, e));
            }
            table = address_field(e, self.maxphyaddr);
            l = l.below()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_at_predictable_addresses() {
        let mut mem = PhysMemory::new(64);
        let mut pool = Pool::new(0x10_0000, 0x20_0000);
        let b = TableBuilder::new(TableFormat::Ia32e, Levels::Four, 46, &mut pool).unwrap();
        let flags = (PteFlags::PRESENT | PteFlags::WRITABLE | PteFlags::USER).bits();
        let mut st = HostStore(&mut mem);
        b.map(
            &mut st,
            &mut pool,
            0x7fff_0000_1000,
            0x5000,
            PageSize::Size4K,
            flags,
            flags,
        )
        .unwrap();
        assert_eq!(pool.tables(), &[0x10_0000, 0x10_1000, 0x10_2000, 0x10_3000]);
        assert_eq!(
            b.resolve(&st, 0x7fff_0000_1abc),
            Some((0x5abc, PageSize::Size4K, 0x5000 | flags))
        );
        assert_eq!(
            b.map(
                &mut st,
                &mut pool,
                0x7fff_0000_1000,
                0x6000,
                PageSize::Size4K,
                flags,
                flags
            ),
            Err(BuildError::Overlap {
                addr: 0x7fff_0000_1000,
                level: 1
            })
        );
        assert_eq!(
            b.map(
                &mut st,
                &mut pool,
                0x20_1000,
                0x20_0000,
                PageSize::Size2M,
                flags,
                flags
            ),
            Err(BuildError::Unaligned {
                what: "build-what-virtual",
                addr: 0x20_1000,
                size: PageSize::Size2M
            })
        );
        assert_eq!(
            b.entry_addr(&st, 0x7fff_0000_1000, Level::L1),
            Some(0x10_3000 + 8)
        );
    }

    #[test]
    fn pool_limit_is_an_error() {
        let mut mem = PhysMemory::new(64);
        let mut pool = Pool::new(0x1000, 0x3000);
        let b = TableBuilder::new(TableFormat::Ept, Levels::Four, 46, &mut pool).unwrap();
        let r = b.map(
            &mut HostStore(&mut mem),
            &mut pool,
            0,
            0,
            PageSize::Size4K,
            7,
            7,
        );
        assert_eq!(
            r,
            Err(BuildError::PoolFull {
                start: 0x1000,
                end: 0x3000
            })
        );
    }
}
