//! Ready-made machines: one mapping of one address, in any mode, levels and page sizes.
//! Used by `pagewalk walk`, the benchmarks and the tests, so all three build the same thing.

use crate::addr::{Gpa, Gva, Levels, PageSize};
use crate::config::{Backing, HostConfig, MachineConfig, Mode, Stage2Fill};
use crate::entry::{EptFlags, PteFlags};
use crate::machine::{Machine, MachineError};
use crate::pwc::PwcConfig;
use crate::tlb::TlbConfig;

/// Guest leaf flags of a preset mapping: present, writable, user, accessed, dirty.
pub const GUEST_FLAGS: PteFlags = PteFlags::PRESENT
    .union(PteFlags::WRITABLE)
    .union(PteFlags::USER)
    .union(PteFlags::ACCESSED)
    .union(PteFlags::DIRTY);

/// EPT leaf flags of a preset mapping: read, write, execute, write-back memory type (6),
/// accessed, dirty.
pub const EPT_FLAGS: u64 = EptFlags::READ.bits()
    | EptFlags::WRITE.bits()
    | EptFlags::EXECUTE.bits()
    | EptFlags::MEMTYPE1.bits()
    | EptFlags::MEMTYPE2.bits()
    | EptFlags::ACCESSED.bits()
    | EptFlags::DIRTY.bits();

/// The guest-physical base preset mappings point to: 1 GiB aligned, so every page size fits.
pub const DATA_GPA: u64 = 0x4000_0000;

/// What to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneMapping {
    /// Translation mode.
    pub mode: Mode,
    /// Guest levels.
    pub guest_levels: Levels,
    /// Stage-2 levels.
    pub stage2_levels: Levels,
    /// Guest page size.
    pub guest_page: PageSize,
    /// Stage-2 page size (and host backing under shadow paging).
    pub host_page: PageSize,
    /// TLBs on.
    pub tlb: bool,
    /// Paging-structure caches on.
    pub pwc: bool,
}

impl Default for OneMapping {
    fn default() -> Self {
        Self {
            mode: Mode::Native,
            guest_levels: Levels::Four,
            stage2_levels: Levels::Four,
            guest_page: PageSize::Size4K,
            host_page: PageSize::Size4K,
            tlb: true,
            pwc: true,
        }
    }
}

/// The stage-2 leaf flags for a mode: EPT bits, or IA-32e bits under NPT.
pub fn stage2_flags(mode: Mode) -> u64 {
    match mode {
        Mode::Npt => GUEST_FLAGS.bits(),
        _ => EPT_FLAGS,
    }
}

impl OneMapping {
    /// The machine's configuration.
    pub fn config(&self) -> MachineConfig {
        let mut cfg = MachineConfig {
            mode: self.mode,
            guest_levels: self.guest_levels,
            stage2_levels: self.stage2_levels,
            ..MachineConfig::default()
        };
        // A pure two-dimensional walk: every host page exists and stage 2 is filled before
        // the guest runs, so no fault exit comes between the learner and the walk.
        cfg.host = HostConfig {
            backing: match self.host_page {
                PageSize::Size4K => Backing::Anon4K,
                PageSize::Size2M => Backing::Hugetlb2M,
                PageSize::Size1G => Backing::Hugetlb1G,
            },
            prealloc: true,
            stage2: Stage2Fill::Prefilled,
            ..HostConfig::default()
        };
        if !self.tlb {
            cfg.tlb = TlbConfig {
                enabled: false,
                ..TlbConfig::default()
            };
        }
        if !self.pwc {
            cfg.pwc = PwcConfig {
                guest: false,
                stage2: false,
                ..PwcConfig::default()
            };
        }
        cfg
    }

    /// Builds a machine mapping the page of `gva` to [`DATA_GPA`] (plus the offset within the
    /// page), with stage 2 backing every guest-physical page used.
    pub fn build(&self, gva: Gva) -> Result<Machine, MachineError> {
        let mut m = Machine::new(self.config())?;
        let space = m.current_space();
        let page = gva.align_down(self.guest_page);
        m.map(
            space,
            page,
            Gpa::new(DATA_GPA),
            self.guest_page,
            GUEST_FLAGS,
        )?;
        if self.mode.is_nested() {
            m.back_stage2(self.host_page, stage2_flags(self.mode))?;
        }
        Ok(m)
    }
}
