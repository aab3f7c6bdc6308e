//! Address spaces as types.
//!
//! A virtualised machine has three address spaces, named as KVM names them: the guest's
//! linear addresses ([`Gva`]), guest-physical addresses ([`Gpa`]) and host-physical addresses
//! ([`Hpa`]). Each is its own newtype with no conversion between them, so a guest page-table
//! read in a nested walk cannot skip stage 2 by accident: memory is read only at an `Hpa`.
//! Arithmetic goes through named methods (`checked_add`, `align_down`, `page_offset`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The size of a page mapped by a leaf entry.
///
/// Intel SDM vol. 3, "4-Level Paging and 5-Level Paging": a PTE maps 4 KiB, a PDE with PS=1
/// maps 2 MiB, a PDPTE with PS=1 maps 1 GiB. The same sizes exist in EPT and NPT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PageSize {
    /// 4 KiB, mapped by a level-1 entry (PTE).
    #[serde(rename = "4K")]
    Size4K,
    /// 2 MiB, mapped by a level-2 entry (PDE) with PS=1.
    #[serde(rename = "2M")]
    Size2M,
    /// 1 GiB, mapped by a level-3 entry (PDPTE) with PS=1.
    #[serde(rename = "1G")]
    Size1G,
}

impl PageSize {
    /// All sizes, smallest first.
    pub const ALL: [PageSize; 3] = [PageSize::Size4K, PageSize::Size2M, PageSize::Size1G];

    /// log2 of the size in bytes.
    pub const fn shift(self) -> u32 {
        match self {
            PageSize::Size4K => 12,
            PageSize::Size2M => 21,
            PageSize::Size1G => 30,
        }
    }

    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        1 << self.shift()
    }

    /// The paging level whose entry maps a page of this size.
    pub const fn leaf_level(self) -> Level {
        match self {
            PageSize::Size4K => Level::L1,
            PageSize::Size2M => Level::L2,
            PageSize::Size1G => Level::L3,
        }
    }

    /// Short name: "4K", "2M" or "1G".
    pub const fn name(self) -> &'static str {
        match self {
            PageSize::Size4K => "4K",
            PageSize::Size2M => "2M",
            PageSize::Size1G => "1G",
        }
    }

    /// Parses "4K"/"4KiB", "2M"/"2MiB", "1G"/"1GiB" (case-insensitive).
    pub fn parse(s: &str) -> Option<PageSize> {
        match s.trim().to_ascii_uppercase().as_str() {
            "4K" | "4KB" | "4KIB" => Some(PageSize::Size4K),
            "2M" | "2MB" | "2MIB" => Some(PageSize::Size2M),
            "1G" | "1GB" | "1GIB" => Some(PageSize::Size1G),
            _ => None,
        }
    }
}

impl fmt::Display for PageSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PageSize::Size4K => "4 KiB",
            PageSize::Size2M => "2 MiB",
            PageSize::Size1G => "1 GiB",
        })
    }
}

/// A paging level, 5 (top of 5-level paging) down to 1 (the page table).
///
/// Intel SDM vol. 3, "Hierarchical Paging Structures: an Overview": each level translates
/// 9 bits of the address; level 1 starts at bit 12.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Page table (PT); entries are PTEs.
    L1 = 1,
    /// Page directory (PD); entries are PDEs.
    L2 = 2,
    /// Page-directory-pointer table (PDPT); entries are PDPTEs.
    L3 = 3,
    /// Page-map level 4 (PML4).
    L4 = 4,
    /// Page-map level 5 (PML5), only with 5-level paging (CR4.LA57).
    L5 = 5,
}

impl Level {
    /// Levels from 5 down to 1.
    pub const TOP_DOWN: [Level; 5] = [Level::L5, Level::L4, Level::L3, Level::L2, Level::L1];

    /// The level as a number 1..=5.
    pub const fn number(self) -> u8 {
        self as u8
    }

    /// The level for a number 1..=5.
    pub const fn from_number(n: u8) -> Option<Level> {
        match n {
            1 => Some(Level::L1),
            2 => Some(Level::L2),
            3 => Some(Level::L3),
            4 => Some(Level::L4),
            5 => Some(Level::L5),
            _ => None,
        }
    }

    /// The lowest address bit this level translates: 12, 21, 30, 39 or 48.
    pub const fn shift(self) -> u32 {
        12 + 9 * (self as u32 - 1)
    }

    /// The index (0..512) of the entry at this level for an address.
    pub const fn index(self, addr: u64) -> usize {
        ((addr >> self.shift()) & 0x1ff) as usize
    }

    /// The level below, or `None` for level 1.
    pub const fn below(self) -> Option<Level> {
        Level::from_number(self as u8 - 1)
    }

    /// The page size a leaf at this level maps, if a leaf may appear here at all.
    pub const fn leaf_size(self) -> Option<PageSize> {
        match self {
            Level::L1 => Some(PageSize::Size4K),
            Level::L2 => Some(PageSize::Size2M),
            Level::L3 => Some(PageSize::Size1G),
            _ => None,
        }
    }

    /// The SDM's name for the table at this level (IA-32e paging): PML5, PML4, PDPT, PD, PT.
    pub const fn table_name(self) -> &'static str {
        match self {
            Level::L5 => "PML5",
            Level::L4 => "PML4",
            Level::L3 => "PDPT",
            Level::L2 => "PD",
            Level::L1 => "PT",
        }
    }
}

/// How many levels a translation structure has: 4 (48-bit) or 5 (57-bit, LA57).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Levels {
    /// 4-level paging: 48-bit addresses.
    Four,
    /// 5-level paging: 57-bit addresses.
    Five,
}

impl Levels {
    /// The top level: L4 or L5.
    pub const fn top(self) -> Level {
        match self {
            Levels::Four => Level::L4,
            Levels::Five => Level::L5,
        }
    }

    /// 4 or 5.
    pub const fn count(self) -> u8 {
        self.top() as u8
    }

    /// Width of a linear address: 48 or 57 bits.
    pub const fn address_bits(self) -> u32 {
        self.top().shift() + 9
    }
}

impl TryFrom<u8> for Levels {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        match n {
            4 => Ok(Levels::Four),
            5 => Ok(Levels::Five),
            _ => Err(format!("paging levels must be 4 or 5, not {n}")),
        }
    }
}

impl From<Levels> for u8 {
    fn from(l: Levels) -> u8 {
        l.count()
    }
}

macro_rules! address_type {
    ($(#[$doc:meta])* $name:ident, $short:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a raw address.
            pub const fn new(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw address.
            pub const fn raw(self) -> u64 {
                self.0
            }

            /// `self + offset`, or `None` on overflow.
            pub const fn checked_add(self, offset: u64) -> Option<Self> {
                match self.0.checked_add(offset) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }

            /// The start of the page of `size` that holds this address.
            pub const fn align_down(self, size: PageSize) -> Self {
                Self(self.0 & !(size.bytes() - 1))
            }

            /// The offset of this address within its page of `size`.
            pub const fn page_offset(self, size: PageSize) -> u64 {
                self.0 & (size.bytes() - 1)
            }

            /// Whether the address is the start of a page of `size`.
            pub const fn is_aligned(self, size: PageSize) -> bool {
                self.page_offset(size) == 0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($short, "({:#x})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:#x}", self.0)
            }
        }

        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }
    };
}

address_type!(
    /// A guest virtual (linear) address: what guest software uses.
    Gva,
    "Gva"
);
address_type!(
    /// A guest-physical address: what the guest believes is physical memory.
    Gpa,
    "Gpa"
);
address_type!(
    /// A host-physical address: real memory. Memory is read and written only here.
    Hpa,
    "Hpa"
);

impl Gva {
    /// Whether the address is canonical for 48-bit (4-level) or 57-bit (5-level, LA57) linear
    /// addresses: bits 63 down to the top implemented bit are all equal.
    ///
    /// Intel SDM vol. 1, "Canonical Addressing"; a non-canonical access raises #GP, not #PF.
    pub const fn is_canonical(self, levels: Levels) -> bool {
        let bits = levels.address_bits();
        let shifted = (self.0 as i64) << (64 - bits) >> (64 - bits);
        shifted as u64 == self.0
    }
}

macro_rules! frame_type {
    ($(#[$doc:meta])* $name:ident, $addr:ident, $short:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a raw frame number.
            pub const fn new(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw frame number.
            pub const fn raw(self) -> u64 {
                self.0
            }

            /// The address of the frame's first byte.
            pub const fn base(self) -> $addr {
                $addr(self.0 << 12)
            }
        }

        impl $addr {
            /// The 4 KiB frame that holds this address.
            pub const fn frame(self) -> $name {
                $name(self.0 >> 12)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($short, "({:#x})"), self.0)
            }
        }
    };
}

frame_type!(
    /// A guest frame number: a guest-physical address shifted right by 12.
    Gfn,
    Gpa,
    "Gfn"
);
frame_type!(
    /// A host frame number: a host-physical address shifted right by 12.
    Hfn,
    Hpa,
    "Hfn"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_48_and_57() {
        assert!(Gva::new(0x0000_7fff_ffff_f000).is_canonical(Levels::Four));
        assert!(Gva::new(0xffff_8000_0000_0000).is_canonical(Levels::Four));
        assert!(!Gva::new(0x0000_8000_0000_0000).is_canonical(Levels::Four));
        assert!(Gva::new(0x0000_8000_0000_0000).is_canonical(Levels::Five));
        assert!(Gva::new(0x00ff_ffff_ffff_ffff).is_canonical(Levels::Five));
        assert!(!Gva::new(0x0100_0000_0000_0000).is_canonical(Levels::Five));
        assert!(Gva::new(0xff00_0000_0000_0000).is_canonical(Levels::Five));
    }

    #[test]
    fn level_indices() {
        let va = 0x0000_7fff_0000_1000u64;
        assert_eq!(Level::L4.index(va), 255);
        assert_eq!(Level::L3.index(va), 508);
        assert_eq!(Level::L2.index(va), 0);
        assert_eq!(Level::L1.index(va), 1);
        assert_eq!(Level::L5.shift(), 48);
    }

    #[test]
    fn alignment_and_debug() {
        let a = Gpa::new(0x20_1234);
        assert_eq!(a.align_down(PageSize::Size2M), Gpa::new(0x20_0000));
        assert_eq!(a.page_offset(PageSize::Size4K), 0x234);
        assert!(!a.is_aligned(PageSize::Size4K));
        assert_eq!(format!("{a:?}"), "Gpa(0x201234)");
        assert_eq!(a.frame(), Gfn::new(0x201));
        assert_eq!(Hfn::new(3).base(), Hpa::new(0x3000));
        assert_eq!(Gva::new(u64::MAX).checked_add(1), None);
    }

    #[test]
    fn page_size_parse() {
        assert_eq!(PageSize::parse("2m"), Some(PageSize::Size2M));
        assert_eq!(PageSize::parse("1GiB"), Some(PageSize::Size1G));
        assert_eq!(PageSize::parse("3K"), None);
    }
}
