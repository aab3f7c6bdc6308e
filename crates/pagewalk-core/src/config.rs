//! The machine's configuration: what a scenario file chooses.

use crate::access::RightsControl;
use crate::addr::{Levels, PageSize};
use crate::counters::CostModel;
use crate::pwc::PwcConfig;
use crate::tlb::TlbConfig;
use serde::{Deserialize, Serialize};

/// How guest linear addresses become host-physical addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// No virtualisation: one set of tables, physical = host-physical.
    Native,
    /// Intel EPT: hardware walks guest tables and EPT tables (the 2D walk).
    Ept,
    /// AMD NPT: as EPT, with IA-32e-format nested tables.
    Npt,
    /// Shadow paging: the hypervisor keeps GVA->HPA tables; hardware walks only those.
    Shadow,
}

impl Mode {
    /// Whether hardware does a two-dimensional walk.
    pub const fn is_nested(self) -> bool {
        matches!(self, Mode::Ept | Mode::Npt)
    }

    /// Whether a guest runs under a hypervisor.
    pub const fn is_virtualized(self) -> bool {
        !matches!(self, Mode::Native)
    }
}

/// The CPU vendor, which decides a few reserved bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// Intel.
    Intel,
    /// AMD: bit 8 of PML5E/PML4E is reserved (AMD APM vol. 2, "Long-Mode Page Translation";
    /// KVM's `reset_guest_rsvds_bits_mask` has the same rule).
    Amd,
}

/// The guest CPU's paging controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CpuConfig {
    /// Vendor (reserved bits differ).
    pub vendor: Vendor,
    /// MAXPHYADDR: address bits at and above it are reserved in entries.
    pub maxphyaddr: u8,
    /// 1 GiB pages supported (CPUID GBPAGES); without it PS in a PDPTE is reserved.
    pub gbpages: bool,
    /// CR0.WP.
    pub wp: bool,
    /// CR4.SMEP.
    pub smep: bool,
    /// CR4.SMAP.
    pub smap: bool,
    /// CR4.PGE: global pages survive CR3 writes.
    pub pge: bool,
    /// CR4.PCIDE: TLB entries tagged by PCID.
    pub pcide: bool,
    /// IA32_EFER.NXE.
    pub nxe: bool,
}

impl Default for CpuConfig {
    fn default() -> Self {
        Self {
            vendor: Vendor::Intel,
            maxphyaddr: 46,
            gbpages: true,
            wp: true,
            smep: false,
            smap: false,
            pge: true,
            pcide: false,
            nxe: true,
        }
    }
}

impl CpuConfig {
    /// The rights-check controls, with RFLAGS.AC given.
    pub const fn rights_control(&self, ac: bool) -> RightsControl {
        RightsControl {
            wp: self.wp,
            smep: self.smep,
            smap: self.smap,
            nxe: self.nxe,
            ac,
        }
    }
}

/// Settings of the shadow-paging hypervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShadowConfig {
    /// Let leaf guest page tables go unsync (writable, resynced at INVLPG or CR3 load) instead
    /// of trapping every write, as KVM does for level-1 tables.
    pub unsync: bool,
}

impl Default for ShadowConfig {
    fn default() -> Self {
        Self { unsync: true }
    }
}

/// How the host backs guest RAM (the memslot's memory in the VMM's address space).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backing {
    /// Anonymous memory in 4 KiB pages; a read of a page never written maps the host's
    /// shared zero page (Linux `mm/memory.c`, `do_anonymous_page`).
    #[default]
    #[serde(rename = "4K")]
    Anon4K,
    /// Anonymous memory with transparent huge pages (`madvise(MADV_HUGEPAGE)`): 2 MiB pages
    /// when the kernel can find them; a read fault maps the huge zero page
    /// (`mm/huge_memory.c`, `do_huge_pmd_anonymous_page`).
    Thp,
    /// hugetlbfs with 2 MiB pages (`-mem-path` on a hugetlbfs mount): taken from the reserved
    /// pool, never the zero page, never swapped.
    #[serde(rename = "hugetlb-2M")]
    Hugetlb2M,
    /// hugetlbfs with 1 GiB pages.
    #[serde(rename = "hugetlb-1G")]
    Hugetlb1G,
}

impl Backing {
    /// The host page size behind guest RAM: no shadow or stage-2 leaf is larger
    /// (Linux `arch/x86/kvm/mmu/mmu.c`, `kvm_mmu_max_mapping_level` reads the host mapping).
    pub const fn page_size(self) -> PageSize {
        match self {
            Backing::Anon4K => PageSize::Size4K,
            Backing::Thp | Backing::Hugetlb2M => PageSize::Size2M,
            Backing::Hugetlb1G => PageSize::Size1G,
        }
    }

    /// Whether a read of a page never written maps a shared zero page (anonymous memory and
    /// THP do; hugetlbfs allocates a real page on every first touch).
    pub const fn has_zero_page(self) -> bool {
        matches!(self, Backing::Anon4K | Backing::Thp)
    }

    /// The name used in scenario files.
    pub const fn name(self) -> &'static str {
        match self {
            Backing::Anon4K => "4K",
            Backing::Thp => "thp",
            Backing::Hugetlb2M => "hugetlb-2M",
            Backing::Hugetlb1G => "hugetlb-1G",
        }
    }

    /// Whether pages come from the hugetlb pool.
    pub const fn is_hugetlb(self) -> bool {
        matches!(self, Backing::Hugetlb2M | Backing::Hugetlb1G)
    }
}

/// When stage-2 (EPT/NPT) entries are made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage2Fill {
    /// As KVM's TDP MMU does: the first guest access to a guest-physical page not yet mapped
    /// (its own page tables included) is an EPT violation / NPF exit, and the hypervisor maps
    /// the page then (Linux `arch/x86/kvm/mmu/tdp_mmu.c`, `kvm_tdp_mmu_map`).
    #[default]
    OnDemand,
    /// Every guest-physical page the guest uses is mapped before it runs (a teaching device
    /// for the pure two-dimensional walk; KVM's `KVM_PRE_FAULT_MEMORY` comes close).
    Prefilled,
}

/// How the guest's kernel (CPL 0) runs, which decides what a guest INVLPG, MOV CR3 or the
/// return from an injected exception costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// Hardware virtualization (VMX/SVM): guest CPL 0 runs natively; under shadow paging
    /// INVLPG and MOV CR3 exit once each.
    #[default]
    Hardware,
    /// PVM (the KVM of this project's machines): guest CPL 0 is emulated by the hypervisor.
    /// Entering the guest kernel through an exception and returning costs two exits and one
    /// emulated stack write; returning from an injected #PF one exit and one emulated write
    /// (measured on this host, docs/kvm-backend.md).
    Pvm,
}

/// The host side of the virtual machine: RAM backing, pre-allocation, stage-2 filling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostConfig {
    /// How host memory backs guest RAM.
    pub backing: Backing,
    /// QEMU's `-mem-prealloc`: every host page is allocated before the guest runs.
    pub prealloc: bool,
    /// When stage-2 entries are made (EPT/NPT only).
    pub stage2: Stage2Fill,
    /// How the guest kernel runs.
    pub platform: Platform,
}

/// Where things live in guest-physical and host-physical memory. Fixed addresses make the
/// memory image the same run after run, for the simulator and the KVM backend alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Layout {
    /// Size of guest RAM in bytes (one memslot from GPA 0).
    pub guest_ram: u64,
    /// Host-physical address backing GPA 0 (1 GiB aligned so large pages can line up).
    pub host_ram_base: u64,
    /// Guest-physical range the guest's page tables are taken from.
    pub guest_tables: (u64, u64),
    /// Host-physical range for stage-2 (EPT/NPT) tables and native tables.
    pub host_tables: (u64, u64),
    /// Host-physical range for the hypervisor's shadow tables.
    pub shadow_tables: (u64, u64),
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            guest_ram: 4 << 30,
            host_ram_base: 4 << 30,
            guest_tables: (0x0010_0000, 0x0100_0000),
            host_tables: (0x0010_0000, 0x1000_0000),
            shadow_tables: (0x1000_0000, 0x4000_0000),
        }
    }
}

/// Everything that defines a machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MachineConfig {
    /// Translation mode.
    pub mode: Mode,
    /// Guest paging levels (CR4.LA57 for 5).
    pub guest_levels: Levels,
    /// Stage-2 levels (EPTP page-walk length or NPT levels).
    pub stage2_levels: Levels,
    /// Guest CPU controls.
    pub cpu: CpuConfig,
    /// VPID enabled: guest TLB entries survive VM exits and entries.
    pub vpid: bool,
    /// EPT accessed/dirty flags enabled (EPTP bit 6).
    pub ept_ad: bool,
    /// TLB geometry.
    pub tlb: TlbConfig,
    /// Paging-structure caches.
    pub pwc: PwcConfig,
    /// Cycle costs.
    pub cost: CostModel,
    /// Shadow-paging hypervisor settings.
    pub shadow: ShadowConfig,
    /// The host: RAM backing, pre-allocation, stage-2 filling, platform.
    pub host: HostConfig,
    /// Memory layout.
    pub layout: Layout,
    /// At most this many 4 KiB frames of host memory may hold tables.
    pub max_frames: usize,
}

impl Default for MachineConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Native,
            guest_levels: Levels::Four,
            stage2_levels: Levels::Four,
            cpu: CpuConfig::default(),
            vpid: true,
            ept_ad: false,
            tlb: TlbConfig::default(),
            pwc: PwcConfig::default(),
            cost: CostModel::default(),
            shadow: ShadowConfig::default(),
            host: HostConfig::default(),
            layout: Layout::default(),
            max_frames: 1 << 18,
        }
    }
}
