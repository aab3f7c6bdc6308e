//! Memory accesses and the access-rights rules of IA-32e paging.
//!
//! Intel SDM vol. 3, "Access Rights" (with "Determination of Access Rights" for CR0.WP,
//! CR4.SMEP, CR4.SMAP and EFER.NXE) and "Page-Fault Exceptions" for the error code.

use crate::entry::{PfErrorCode, PteFlags};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What an access does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessKind {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// An instruction fetch.
    Fetch,
}

/// The privilege of an access: user mode is CPL 3, supervisor mode CPL 0-2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Privilege {
    /// CPL 3.
    User,
    /// CPL 0, 1 or 2.
    Supervisor,
}

/// One memory access by guest (or native) software.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Access {
    /// Read, write or fetch.
    pub kind: AccessKind,
    /// User or supervisor.
    pub privilege: Privilege,
}

impl Access {
    /// A user-mode read.
    pub const USER_READ: Access = Access::new(AccessKind::Read, Privilege::User);
    /// A user-mode write.
    pub const USER_WRITE: Access = Access::new(AccessKind::Write, Privilege::User);
    /// A user-mode fetch.
    pub const USER_FETCH: Access = Access::new(AccessKind::Fetch, Privilege::User);

    /// An access of `kind` at `privilege`.
    pub const fn new(kind: AccessKind, privilege: Privilege) -> Self {
        Self { kind, privilege }
    }

    /// Whether this is a write.
    pub const fn is_write(self) -> bool {
        matches!(self.kind, AccessKind::Write)
    }

    /// Whether this is an instruction fetch.
    pub const fn is_fetch(self) -> bool {
        matches!(self.kind, AccessKind::Fetch)
    }

    /// Whether this is a user-mode access.
    pub const fn is_user(self) -> bool {
        matches!(self.privilege, Privilege::User)
    }
}

impl Access {
    /// "user read", "supervisor write", ... in `lang`.
    pub fn name(self, lang: crate::Lang) -> String {
        let id = match (self.is_user(), self.kind) {
            (true, AccessKind::Read) => "access-user-read",
            (true, AccessKind::Write) => "access-user-write",
            (true, AccessKind::Fetch) => "access-user-fetch",
            (false, AccessKind::Read) => "access-supervisor-read",
            (false, AccessKind::Write) => "access-supervisor-write",
            (false, AccessKind::Fetch) => "access-supervisor-fetch",
        };
        pagewalk_text::t(lang, id)
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name(crate::Lang::En))
    }
}

/// The control-register bits that change the access-rights rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RightsControl {
    /// CR0.WP: supervisor writes honour R/W.
    pub wp: bool,
    /// CR4.SMEP: supervisor fetches from user pages fault.
    pub smep: bool,
    /// CR4.SMAP: supervisor data accesses to user pages fault unless RFLAGS.AC=1.
    pub smap: bool,
    /// IA32_EFER.NXE: bit 63 of entries is XD; without it that bit is reserved.
    pub nxe: bool,
    /// RFLAGS.AC at the time of the access (only matters with SMAP).
    pub ac: bool,
}

impl Default for RightsControl {
    fn default() -> Self {
        Self {
            wp: true,
            smep: false,
            smap: false,
            nxe: true,
            ac: false,
        }
    }
}

/// The rights a translation grants, combined over every level of the walk.
///
/// Intel SDM vol. 3, "Access Rights": a page is writable only if R/W=1 at every level, a
/// user page only if U/S=1 at every level, and not executable if XD=1 at any level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rights {
    /// R/W was 1 in every entry.
    pub writable: bool,
    /// U/S was 1 in every entry.
    pub user: bool,
    /// XD was 1 in some entry (and NXE is on).
    pub no_execute: bool,
}

impl Rights {
    /// The rights before any entry is seen: everything allowed.
    pub const ALL: Rights = Rights {
        writable: true,
        user: true,
        no_execute: false,
    };

    /// Combines the rights so far with one more entry.
    #[inline]
    pub const fn and_entry(self, entry: u64, nxe: bool) -> Rights {
        Rights {
            writable: self.writable && entry & PteFlags::WRITABLE.bits() != 0,
            user: self.user && entry & PteFlags::USER.bits() != 0,
            no_execute: self.no_execute || (nxe && entry & PteFlags::NO_EXECUTE.bits() != 0),
        }
    }

    /// Packs into 3 bits (for caches).
    pub const fn pack(self) -> u8 {
        self.writable as u8 | (self.user as u8) << 1 | (self.no_execute as u8) << 2
    }

    /// Unpacks from [`Rights::pack`].
    pub const fn unpack(bits: u8) -> Rights {
        Rights {
            writable: bits & 1 != 0,
            user: bits & 2 != 0,
            no_execute: bits & 4 != 0,
        }
    }
}

/// Rights being combined during a walk, kept as raw entry bits so each level costs two
/// instructions: the AND of every entry (for R/W and U/S) and the OR (for XD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RightsAcc {
    and: u64,
    or: u64,
}

impl RightsAcc {
    /// Nothing seen yet: everything allowed.
    pub const ALL: RightsAcc = RightsAcc {
        and: PteFlags::WRITABLE.bits() | PteFlags::USER.bits(),
        or: 0,
    };

    /// Starts from rights already combined (a paging-structure-cache hit).
    pub const fn from_rights(r: Rights) -> Self {
        RightsAcc {
            and: (r.writable as u64) << 1 | (r.user as u64) << 2,
            or: (r.no_execute as u64) << 63,
        }
    }

    /// Adds one entry.
    #[inline(always)]
    pub fn add(&mut self, entry: u64) {
        self.and &= entry;
        self.or |= entry;
    }

    /// The combined rights; XD counts only with EFER.NXE.
    #[inline(always)]
    pub const fn rights(self, nxe: bool) -> Rights {
        Rights {
            writable: self.and & PteFlags::WRITABLE.bits() != 0,
            user: self.and & PteFlags::USER.bits() != 0,
            no_execute: nxe && self.or & PteFlags::NO_EXECUTE.bits() != 0,
        }
    }
}

/// Checks an access against the combined rights of its translation and returns the #PF
/// error code if it is not allowed.
///
/// Intel SDM vol. 3, "Determination of Access Rights":
/// - user-mode accesses need U/S=1, writes need R/W=1, fetches need XD=0;
/// - supervisor-mode writes need R/W=1 only when CR0.WP=1; to a user page they also fault
///   under SMAP unless RFLAGS.AC=1;
/// - supervisor-mode reads of a user page fault under SMAP unless RFLAGS.AC=1;
/// - supervisor-mode fetches fault from a user page under SMEP and from an XD page.
#[inline]
pub fn check_rights(rights: Rights, access: Access, ctl: RightsControl) -> Option<PfErrorCode> {
    let allowed = match (access.privilege, access.kind) {
        (Privilege::User, AccessKind::Read) => rights.user,
        (Privilege::User, AccessKind::Write) => rights.user && rights.writable,
        (Privilege::User, AccessKind::Fetch) => rights.user && !rights.no_execute,
        (Privilege::Supervisor, AccessKind::Read) => !(rights.user && ctl.smap && !ctl.ac),
        (Privilege::Supervisor, AccessKind::Write) => {
            !(rights.user && ctl.smap && !ctl.ac) && (rights.writable || !ctl.wp)
        }
        (Privilege::Supervisor, AccessKind::Fetch) => {
            !(rights.no_execute || rights.user && ctl.smep)
        }
    };
    if allowed {
        None
    } else {
        Some(PfErrorCode::PRESENT | error_code_bits(access, ctl))
    }
}

/// The W/R, U/S and I/D bits of a #PF error code for an access.
///
/// Intel SDM vol. 3, "Interrupt 14—Page-Fault Exception (#PF)": I/D is set for an instruction
/// fetch only when IA32_EFER.NXE or CR4.SMEP is 1; P and RSVD are added by the caller.
pub const fn error_code_bits(access: Access, ctl: RightsControl) -> PfErrorCode {
    let mut bits = 0;
    if access.is_write() {
        bits |= PfErrorCode::WRITE.bits();
    }
    if access.is_user() {
        bits |= PfErrorCode::USER.bits();
    }
    if access.is_fetch() && (ctl.nxe || ctl.smep) {
        bits |= PfErrorCode::INSTRUCTION.bits();
    }
    PfErrorCode::from_bits_truncate(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RW_USER: Rights = Rights::ALL;
    const RO_USER: Rights = Rights {
        writable: false,
        user: true,
        no_execute: false,
    };
    const RW_SUP: Rights = Rights {
        writable: true,
        user: false,
        no_execute: false,
    };

    fn sup(kind: AccessKind) -> Access {
        Access::new(kind, Privilege::Supervisor)
    }

    #[test]
    fn user_rules() {
        let c = RightsControl::default();
        assert_eq!(check_rights(RW_USER, Access::USER_WRITE, c), None);
        assert_eq!(
            check_rights(RO_USER, Access::USER_WRITE, c),
            Some(PfErrorCode::PRESENT | PfErrorCode::WRITE | PfErrorCode::USER)
        );
        assert_eq!(
            check_rights(RW_SUP, Access::USER_READ, c),
            Some(PfErrorCode::PRESENT | PfErrorCode::USER)
        );
        let nx = Rights {
            no_execute: true,
            ..RW_USER
        };
        assert_eq!(
            check_rights(nx, Access::USER_FETCH, c),
            Some(PfErrorCode::PRESENT | PfErrorCode::USER | PfErrorCode::INSTRUCTION)
        );
    }

    #[test]
    fn cr0_wp_governs_supervisor_writes() {
        let wp = RightsControl::default();
        let no_wp = RightsControl { wp: false, ..wp };
        assert!(check_rights(RO_USER, sup(AccessKind::Write), wp).is_some());
        assert_eq!(check_rights(RO_USER, sup(AccessKind::Write), no_wp), None);
    }

    #[test]
    fn smep_and_smap() {
        let c = RightsControl {
            smep: true,
            smap: true,
            ..RightsControl::default()
        };
        assert_eq!(
            check_rights(RW_USER, sup(AccessKind::Fetch), c),
            Some(PfErrorCode::PRESENT | PfErrorCode::INSTRUCTION)
        );
        assert_eq!(
            check_rights(RW_USER, sup(AccessKind::Read), c),
            Some(PfErrorCode::PRESENT)
        );
        let ac = RightsControl { ac: true, ..c };
        assert_eq!(check_rights(RW_USER, sup(AccessKind::Read), ac), None);
        assert_eq!(check_rights(RW_SUP, sup(AccessKind::Fetch), c), None);
    }

    #[test]
    fn id_bit_needs_nxe_or_smep() {
        let off = RightsControl {
            nxe: false,
            smep: false,
            ..RightsControl::default()
        };
        assert_eq!(error_code_bits(Access::USER_FETCH, off), PfErrorCode::USER);
    }

    #[test]
    fn rights_pack_roundtrip() {
        for bits in 0..8 {
            assert_eq!(Rights::unpack(bits).pack(), bits);
        }
    }
}
