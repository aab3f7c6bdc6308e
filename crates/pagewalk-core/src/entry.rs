//! Page-table entry formats: IA-32e (guest tables, NPT, shadow tables) and EPT.
//!
//! Each bit is a `bitflags` constant with its hardware meaning, so logic never uses magic hex.

use bitflags::bitflags;
use serde::{Deserialize, Serialize};

bitflags! {
    /// Bits of an IA-32e paging-structure entry (PML5E, PML4E, PDPTE, PDE, PTE).
    ///
    /// Intel SDM vol. 3, "4-Level Paging and 5-Level Paging" (tables "Format of a 4-Level
    /// PML4 Entry" through "Format of a Page-Table Entry that Maps a 4-KByte Page"). AMD NPT
    /// uses the same format for stage 2 (AMD APM vol. 2, "Nested Paging").
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub struct PteFlags: u64 {
        /// Bit 0, P: the entry is present; clear means "not present" and every other bit is ignored.
        const PRESENT = 1;
        /// Bit 1, R/W: writes allowed through this entry (subject to CR0.WP for supervisor writes).
        const WRITABLE = 1 << 1;
        /// Bit 2, U/S: user-mode (CPL 3) accesses allowed through this entry.
        const USER = 1 << 2;
        /// Bit 3, PWT: page-level write-through.
        const WRITE_THROUGH = 1 << 3;
        /// Bit 4, PCD: page-level cache disable.
        const CACHE_DISABLE = 1 << 4;
        /// Bit 5, A: accessed; set by the processor when the entry is used in a translation.
        const ACCESSED = 1 << 5;
        /// Bit 6, D: dirty; set by the processor on a write through a leaf entry.
        const DIRTY = 1 << 6;
        /// Bit 7, PS: in a PDPTE or PDE, the entry maps a 1 GiB or 2 MiB page (a leaf).
        const HUGE_PAGE = 1 << 7;
        /// Bit 8, G: global translation (with CR4.PGE), not flushed by a CR3 write.
        const GLOBAL = 1 << 8;
        /// Bit 63, XD/NX: instruction fetches not allowed (with IA32_EFER.NXE; reserved otherwise).
        const NO_EXECUTE = 1 << 63;
    }
}

bitflags! {
    /// Bits of an EPT paging-structure entry.
    ///
    /// Intel SDM vol. 3, "EPT Translation Mechanism" (tables "Format of an EPT PML4 Entry"
    /// through "Format of an EPT Page-Table Entry").
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub struct EptFlags: u64 {
        /// Bit 0: reads allowed. An entry with bits 2:0 all clear is not present.
        const READ = 1;
        /// Bit 1: writes allowed.
        const WRITE = 1 << 1;
        /// Bit 2: instruction fetches allowed (supervisor fetches with mode-based control).
        const EXECUTE = 1 << 2;
        /// Bit 3: EPT memory type, bit 0 (leaf entries only).
        const MEMTYPE0 = 1 << 3;
        /// Bit 4: EPT memory type, bit 1 (leaf entries only).
        const MEMTYPE1 = 1 << 4;
        /// Bit 5: EPT memory type, bit 2 (leaf entries only).
        const MEMTYPE2 = 1 << 5;
        /// Bit 6: ignore PAT memory type (leaf entries only).
        const IGNORE_PAT = 1 << 6;
        /// Bit 7: the entry maps a 1 GiB or 2 MiB page.
        const HUGE_PAGE = 1 << 7;
        /// Bit 8: accessed (only when EPTP bit 6 enables EPT A/D flags).
        const ACCESSED = 1 << 8;
        /// Bit 9: dirty (leaf entries, only with EPT A/D flags enabled).
        const DIRTY = 1 << 9;
        /// Bit 10: user-mode execute (only with mode-based execute control).
        const USER_EXECUTE = 1 << 10;
    }
}

bitflags! {
    /// The page-fault (#PF) error code pushed by the processor.
    ///
    /// Intel SDM vol. 3, "Interrupt 14—Page-Fault Exception (#PF)", figure "Page-Fault Error
    /// Code".
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub struct PfErrorCode: u32 {
        /// Bit 0, P: 0 = non-present page; 1 = protection violation (or reserved bit).
        const PRESENT = 1;
        /// Bit 1, W/R: the access was a write.
        const WRITE = 1 << 1;
        /// Bit 2, U/S: the access was a user-mode access.
        const USER = 1 << 2;
        /// Bit 3, RSVD: a reserved bit was set in some paging-structure entry.
        const RESERVED = 1 << 3;
        /// Bit 4, I/D: the access was an instruction fetch (reported with NXE or SMEP on).
        const INSTRUCTION = 1 << 4;
    }
}

bitflags! {
    /// The exit qualification of an EPT violation (the bits pagewalk models).
    ///
    /// Intel SDM vol. 3, "Exit Qualification for EPT Violations".
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub struct EptViolationQual: u64 {
        /// Bit 0: the access was a data read.
        const READ = 1;
        /// Bit 1: the access was a data write.
        const WRITE = 1 << 1;
        /// Bit 2: the access was an instruction fetch.
        const FETCH = 1 << 2;
        /// Bit 3: the logical AND of bit 0 (read) of the EPT entries used: the GPA was readable.
        const READABLE = 1 << 3;
        /// Bit 4: the AND of bit 1: the GPA was writable.
        const WRITABLE = 1 << 4;
        /// Bit 5: the AND of bit 2: the GPA was executable.
        const EXECUTABLE = 1 << 5;
        /// Bit 7: the guest linear-address field is valid.
        const GLA_VALID = 1 << 7;
        /// Bit 8 (when bit 7 is set): 1 = the access was to the final translated address;
        /// 0 = it was to a guest paging-structure entry.
        const FINAL_TRANSLATION = 1 << 8;
    }
}

bitflags! {
    /// The rights a translation's stage 2 grants, combined over the stage-2 walks of its final
    /// address: EPT's bits 2:0 as they are (Intel SDM vol. 3, "EPT Translation Mechanism"),
    /// NPT's rights mapped onto them (AMD APM vol. 2, "Nested Paging": a user entry is readable,
    /// R/W makes it writable, NX takes execute away). All set without stage 2.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub struct Stage2Rights: u8 {
        /// Reads allowed.
        const READ = 1;
        /// Writes allowed.
        const WRITE = 1 << 1;
        /// Instruction fetches allowed.
        const EXECUTE = 1 << 2;
    }
}

/// Bits 51:12 of an entry: the physical address of a 4 KiB table or page.
pub const ADDR_MASK_4K: u64 = 0x000f_ffff_ffff_f000;

/// The address field of an entry with bits above `maxphyaddr` cut off.
pub const fn address_field(entry: u64, maxphyaddr: u8) -> u64 {
    entry & ADDR_MASK_4K & physical_mask(maxphyaddr)
}

/// A mask of the bits below MAXPHYADDR.
pub const fn physical_mask(maxphyaddr: u8) -> u64 {
    (1u64 << maxphyaddr) - 1
}

/// Bits MAXPHYADDR..=51, reserved in every entry format.
///
/// Intel SDM vol. 3, "4-Level Paging and 5-Level Paging": "Reserved (must be 0)" above
/// M = MAXPHYADDR; AMD APM vol. 2, "Long-Mode Page Translation" names the same rule.
pub const fn high_reserved_bits(maxphyaddr: u8) -> u64 {
    ADDR_MASK_4K & !physical_mask(maxphyaddr)
}

/// The offset-in-page bits of a large-page entry that must be zero (bit 12 is PAT).
///
/// 2 MiB page: bits 20:13; 1 GiB page: bits 29:13 (SDM tables "Format of a Page-Directory
/// Entry that Maps a 2-MByte Page" and "... PDPTE that Maps a 1-GByte Page").
pub const fn large_page_reserved_bits(size: crate::PageSize) -> u64 {
    match size {
        crate::PageSize::Size4K => 0,
        crate::PageSize::Size2M => 0x001f_e000,
        crate::PageSize::Size1G => 0x3fff_e000,
    }
}

/// Names the set bits of an IA-32e entry the way `bitflags` prints them, for descriptions.
/// The flag names are the SDM's and stay as they are; only "empty" is a word.
pub fn describe_pte(entry: u64, lang: crate::Lang) -> String {
    let flags = PteFlags::from_bits_truncate(entry);
    if flags.is_empty() {
        pagewalk_text::t(lang, "entry-empty")
    } else {
        format!("{flags:?}")
            .trim_start_matches("PteFlags(")
            .trim_end_matches(')')
            .to_owned()
    }
}

/// Names the set bits of an EPT entry.
pub fn describe_ept(entry: u64, lang: crate::Lang) -> String {
    let flags = EptFlags::from_bits_truncate(entry);
    if flags.is_empty() {
        return pagewalk_text::t(lang, "entry-empty");
    }
    let mut parts: Vec<String> = Vec::new();
    for (bit, name) in [
        (EptFlags::READ, "READ"),
        (EptFlags::WRITE, "WRITE"),
        (EptFlags::EXECUTE, "EXECUTE"),
    ] {
        if flags.contains(bit) {
            parts.push(name.to_owned());
        }
    }
    // Bits 5:3 of a leaf are one field, the memory type (Intel SDM vol. 3, "EPT Translation
    // Mechanism"): shown by its name and value, not as three bit names.
    let is_leaf = flags.contains(EptFlags::HUGE_PAGE) || entry & 0x38 != 0;
    if is_leaf {
        let mt = (entry >> 3) & 7;
        let name = match mt {
            0 => "UC",
            1 => "WC",
            4 => "WT",
            5 => "WP",
            6 => "WB",
            _ => "reserved",
        };
        parts.push(pagewalk_text::ta(
            lang,
            "entry-memory-type",
            &[("name", name.into()), ("value", mt.into())],
        ));
    }
    for (bit, name) in [
        (EptFlags::IGNORE_PAT, "IGNORE_PAT"),
        (EptFlags::HUGE_PAGE, "HUGE_PAGE"),
        (EptFlags::ACCESSED, "ACCESSED"),
        (EptFlags::DIRTY, "DIRTY"),
        (EptFlags::USER_EXECUTE, "USER_EXECUTE"),
    ] {
        if flags.contains(bit) {
            parts.push(name.to_owned());
        }
    }
    parts.join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(high_reserved_bits(52), 0);
        assert_eq!(high_reserved_bits(48), 0x000f_0000_0000_0000);
        assert_eq!(address_field(0x8000_0001_2345_6067, 48), 0x0001_2345_6000);
        assert_eq!(
            describe_pte(0x67, crate::Lang::En),
            "PRESENT | WRITABLE | USER | ACCESSED | DIRTY"
        );
        assert_eq!(describe_ept(0x7, crate::Lang::En), "READ | WRITE | EXECUTE");
        assert_eq!(
            describe_ept(0x337, crate::Lang::En),
            "READ | WRITE | EXECUTE | memory type WB (6) | ACCESSED | DIRTY"
        );
    }
}
