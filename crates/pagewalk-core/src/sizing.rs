//! The seed's sizing arithmetic: RAM left for VMs, and huge pages a VM needs.

use crate::addr::PageSize;

const GIB: u64 = 1 << 30;

/// RAM available to VMs on a host with `host_ram` bytes, by the rule of thumb the seed quotes
/// (Red Hat's): up to 64 GiB, `RAM - 2 GiB`; above, `RAM - (2 GiB + 0.5 * RAM / 64)`.
///
/// The seed's first worked example says a 32 GB host leaves `32 - 2 = 10` GB; the formula
/// gives 30 (an arithmetic slip in the post), and so does this function.
pub const fn ram_for_vms(host_ram: u64) -> u64 {
    let reserve = if host_ram <= 64 * GIB {
        2 * GIB
    } else {
        2 * GIB + host_ram / 128
    };
    host_ram.saturating_sub(reserve)
}

/// The `vm.nr_hugepages` a VM of `vm_ram` bytes needs with huge pages of `page` size, as in
/// the seed's `2048 * 1024 / 2048 = 1024` for a 2048 MiB VM and 2 MiB pages (rounded up).
pub const fn hugepages_needed(vm_ram: u64, page: PageSize) -> u64 {
    vm_ram.div_ceil(page.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_examples() {
        assert_eq!(ram_for_vms(32 * GIB), 30 * GIB, "not the post's 10");
        assert_eq!(ram_for_vms(256 * GIB), 252 * GIB);
        assert_eq!(ram_for_vms(64 * GIB), 62 * GIB);
        assert_eq!(ram_for_vms(GIB), 0);
        assert_eq!(hugepages_needed(2048 << 20, PageSize::Size2M), 1024);
        assert_eq!(hugepages_needed((2048 << 20) + 1, PageSize::Size2M), 1025);
        assert_eq!(hugepages_needed(4 * GIB, PageSize::Size1G), 4);
    }
}
