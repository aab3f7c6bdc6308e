//! The hypervisor: KVM's MMU (its shadow MMU and its TDP MMU for EPT/NPT) and the host's
//! memory behind guest RAM. One model, in the core, reporting events like the CPU does: KVM's
//! statistics are a fold over them ([`crate::Counters`]), and `pagewalk kvm run` compares that
//! fold with the real statistics of `/dev/kvm`.

pub mod host_memory;
pub(crate) mod shadow;
pub(crate) mod tdp;

pub use host_memory::{Content, HostMemory, HostPageState, HostUsage};
pub use shadow::{ShadowPageInfo, SpKey};
