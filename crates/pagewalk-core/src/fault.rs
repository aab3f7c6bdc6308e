//! Architectural faults: data in a translation's result, not Rust errors.

use crate::addr::{Gpa, Gva, Level};
use crate::entry::{EptViolationQual, PfErrorCode};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A fault raised by a translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// #PF delivered to the guest (or native) OS. Intel SDM vol. 3, "Page-Fault Exceptions".
    PageFault {
        /// The faulting linear address (CR2).
        gva: Gva,
        /// The error code.
        code: PfErrorCode,
        /// The level whose entry caused it (the leaf for a rights violation).
        level: Level,
    },
    /// An EPT violation: a VM exit. Intel SDM vol. 3, "EPT Violations".
    EptViolation {
        /// The guest-physical address that could not be accessed.
        gpa: Gpa,
        /// The guest linear address, when the qualification says it is valid.
        gva: Gva,
        /// The exit qualification.
        qual: EptViolationQual,
        /// The EPT level whose entry caused it.
        level: Level,
    },
    /// An EPT misconfiguration: an EPT entry with an illegal combination of bits; a VM exit.
    /// Intel SDM vol. 3, "EPT Misconfigurations".
    EptMisconfig {
        /// The guest-physical address being translated.
        gpa: Gpa,
        /// The EPT level of the bad entry.
        level: Level,
    },
    /// A nested page fault (#VMEXIT(NPF)) under AMD NPT. AMD APM vol. 2, "Nested Page Fault
    /// Exit": EXITINFO1 holds a #PF-style error code, with bit 32 set for a fault on the
    /// final guest-physical address and bit 33 for one on a guest page-table access.
    NestedPageFault {
        /// The guest-physical address (EXITINFO2).
        gpa: Gpa,
        /// The low bits of EXITINFO1.
        code: PfErrorCode,
        /// EXITINFO1 bit 32 (true) or bit 33 (false).
        final_translation: bool,
        /// The NPT level of the faulting entry.
        level: Level,
    },
    /// A non-canonical linear address: #GP, not #PF. Intel SDM vol. 1, "Canonical Addressing".
    NonCanonical {
        /// The address.
        gva: Gva,
    },
    /// MOV to CR3 with bit 63 set while CR4.PCIDE = 0: bit 63 is reserved then, and the
    /// instruction raises #GP(0) (Intel SDM vol. 3, "Use of CR3 with 4-Level Paging and
    /// 5-Level Paging and CR4.PCIDE = 0"; vol. 2, "MOV—Move to/from Control Registers").
    Cr3Reserved {
        /// The value the guest tried to load.
        cr3: u64,
    },
}

impl Fault {
    /// Whether the fault ends in a VM exit (it is a stage-2 fault).
    pub const fn is_stage2(&self) -> bool {
        matches!(
            self,
            Fault::EptViolation { .. } | Fault::EptMisconfig { .. } | Fault::NestedPageFault { .. }
        )
    }
}

/// Names the set bits of a #PF error code, e.g. "P|W|U".
pub fn describe_error_code(code: PfErrorCode) -> String {
    let mut parts = Vec::new();
    for (bit, name) in [
        (PfErrorCode::PRESENT, "P"),
        (PfErrorCode::WRITE, "W"),
        (PfErrorCode::USER, "U"),
        (PfErrorCode::RESERVED, "RSVD"),
        (PfErrorCode::INSTRUCTION, "I/D"),
    ] {
        if code.contains(bit) {
            parts.push(name);
        }
    }
    if parts.is_empty() {
        "0".to_owned()
    } else {
        parts.join("|")
    }
}

impl Fault {
    /// The fault in `lang`: what, where, and the code the CPU reports.
    pub fn describe(&self, lang: crate::Lang) -> String {
        use crate::words::{hex, say, text};
        match *self {
            Fault::PageFault { gva, code, level } => say(
                lang,
                "fault-pf",
                &[
                    ("gva", text(gva)),
                    ("code", hex(u64::from(code.bits()))),
                    ("bits", text(describe_error_code(code))),
                    ("table", text(level.table_name())),
                ],
            ),
            Fault::EptViolation {
                gpa, qual, level, ..
            } => say(
                lang,
                if qual.contains(EptViolationQual::FINAL_TRANSLATION) {
                    "fault-ept-violation-final"
                } else {
                    "fault-ept-violation-table"
                },
                &[
                    ("gpa", text(gpa)),
                    ("qual", hex(qual.bits())),
                    ("level", text(level.table_name())),
                ],
            ),
            Fault::EptMisconfig { gpa, level } => say(
                lang,
                "fault-ept-misconfig",
                &[("gpa", text(gpa)), ("level", text(level.table_name()))],
            ),
            Fault::NestedPageFault {
                gpa,
                code,
                final_translation,
                level,
            } => say(
                lang,
                if final_translation {
                    "fault-npf-final"
                } else {
                    "fault-npf-table"
                },
                &[
                    ("gpa", text(gpa)),
                    (
                        "info",
                        hex(u64::from(code.bits())
                            | if final_translation { 1 << 32 } else { 1 << 33 }),
                    ),
                    ("bits", text(describe_error_code(code))),
                    ("level", text(level.table_name())),
                ],
            ),
            Fault::NonCanonical { gva } => say(lang, "fault-non-canonical", &[("gva", text(gva))]),
            Fault::Cr3Reserved { cr3 } => say(lang, "fault-cr3-reserved", &[("cr3", hex(cr3))]),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(crate::Lang::En))
    }
}
