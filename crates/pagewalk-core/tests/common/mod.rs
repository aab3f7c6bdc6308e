//! Set-up shared by the core's integration tests.

use pagewalk_core::presets::DATA_GPA;
use pagewalk_core::{Gpa, Gva, Machine, MachineConfig, PageSize, PteFlags};

/// A machine of `cfg` with `va` mapped to `DATA_GPA` by one 4 KiB guest page with `flags`.
pub fn mapped(cfg: MachineConfig, va: u64, flags: PteFlags) -> Machine {
    let mut m = Machine::new(cfg).expect("the test machine builds");
    let s = m.current_space();
    m.map(s, Gva::new(va), Gpa::new(DATA_GPA), PageSize::Size4K, flags)
        .expect("the test mapping fits");
    m
}
