//! The Linux x86-64 side: /dev/kvm, guest memory, a 64-bit CPL-3 guest, KVM's statistics.
//! All `unsafe` of the project lives here and in this crate; each block says why it is sound.

use crate::stats::{self, Snapshot};
use crate::KvmError;
use kvm_bindings::{kvm_segment, kvm_userspace_memory_region};
use kvm_ioctls::{Kvm, VcpuExit, VcpuFd, VmFd};
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::FileExt;

/// `KVM_GET_STATS_FD`: `_IO(KVMIO, 0xce)`.
const KVM_GET_STATS_FD: libc::c_ulong = (0xae << 8) | 0xce;

/// Opens /dev/kvm, checks the API version and creates (and drops) a VM.
pub fn probe() -> Result<i32, String> {
    let kvm = Kvm::new().map_err(|e| {
        format!(
            "cannot open /dev/kvm ({e}): load the kvm module (modprobe kvm_intel or kvm_amd) and run as a user with access to /dev/kvm"
        )
    })?;
    let v = kvm.get_api_version();
    if v != 12 {
        return Err(format!("KVM API version {v}, expected 12"));
    }
    kvm.create_vm()
        .map_err(|e| format!("/dev/kvm opened but KVM_CREATE_VM failed ({e})"))?;
    Ok(v)
}

fn stats_file(fd: &impl AsRawFd) -> Result<File, KvmError> {
    // SAFETY: KVM_GET_STATS_FD takes no argument and returns a new file descriptor or -1;
    // `fd` is a live KVM VM or vCPU descriptor owned by the caller.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), KVM_GET_STATS_FD as _, 0) };
    if r < 0 {
        return Err(KvmError::Kvm(format!(
            "KVM_GET_STATS_FD failed: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: `r` is a fresh descriptor returned by the kernel that nothing else owns.
    Ok(unsafe { File::from_raw_fd(r) })
}

fn snapshot(f: &File) -> Result<Snapshot, KvmError> {
    stats::parse(|off, buf| f.read_exact_at(buf, off))
        .map_err(|e| KvmError::Kvm(format!("reading KVM statistics: {e}")))
}

/// How guest RAM is backed on the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    /// Anonymous 4 KiB pages (THP not requested).
    Anon,
    /// Anonymous, 2 MiB aligned, `MADV_HUGEPAGE`.
    Thp,
    /// `MAP_HUGETLB` with 2 MiB pages.
    Huge2M,
    /// `MAP_HUGETLB` with 1 GiB pages.
    Huge1G,
}

/// Guest RAM: an anonymous or hugetlb mapping, unmapped on drop.
pub struct GuestMem {
    hugetlb: bool,
    base: *mut u8,
    map: *mut libc::c_void,
    map_len: usize,
    len: usize,
}

impl GuestMem {
    /// Maps `len` bytes backed as asked, touching every page first if `prealloc`.
    pub fn new(len: usize, backing: Backing, prealloc: bool) -> Result<Self, KvmError> {
        let align = match backing {
            Backing::Anon => 4096,
            Backing::Thp | Backing::Huge2M => 2 << 20,
            Backing::Huge1G => 1 << 30,
        };
        let (flags, map_len) = match backing {
            Backing::Huge2M => (
                libc::MAP_PRIVATE
                    | libc::MAP_ANONYMOUS
                    | libc::MAP_HUGETLB
                    | (21 << libc::MAP_HUGE_SHIFT),
                len,
            ),
            Backing::Huge1G => (
                libc::MAP_PRIVATE
                    | libc::MAP_ANONYMOUS
                    | libc::MAP_HUGETLB
                    | (30 << libc::MAP_HUGE_SHIFT),
                len,
            ),
            // Room to align, and an inaccessible page on each side: guest RAM is a mapping of
            // its own, never merged with the process's other anonymous memory, so its
            // /proc/self/smaps entry counts guest RAM alone.
            _ => (
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                len + align + 2 * 4096,
            ),
        };
        let hugetlb = matches!(backing, Backing::Huge2M | Backing::Huge1G);
        // SAFETY: an anonymous mapping with no address hint; the kernel checks every argument
        // and the result is checked against MAP_FAILED before use.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                if hugetlb {
                    libc::PROT_READ | libc::PROT_WRITE
                } else {
                    libc::PROT_NONE
                },
                flags,
                -1,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            let e = std::io::Error::last_os_error();
            return Err(match backing {
                Backing::Huge2M | Backing::Huge1G => {
                    let (size, n) = if backing == Backing::Huge2M {
                        ("2048kB", len.div_ceil(2 << 20))
                    } else {
                        ("1048576kB", len.div_ceil(1 << 30))
                    };
                    // vm.nr_hugepages sizes the pool of the default huge page size (2 MiB on
                    // x86-64); the 1 GiB pool has its own file.
                    let fill = if backing == Backing::Huge1G {
                        format!("echo {n} > /sys/kernel/mm/hugepages/hugepages-{size}/nr_hugepages (as root; 1 GiB pages may need hugepagesz=1G hugepages={n} on the kernel command line when memory is fragmented)")
                    } else {
                        format!("sysctl vm.nr_hugepages={n} (as root)")
                    };
                    KvmError::HugePool(format!(
                        "the hugetlb pool cannot back {} MiB of guest RAM ({e}); fill it with: {fill}",
                        len >> 20
                    ))
                }
                _ => KvmError::Kvm(format!("cannot map {} MiB of guest RAM: {e}", len >> 20)),
            });
        }
        let addr = map as usize;
        let base = if hugetlb {
            ((addr + align - 1) & !(align - 1)) as *mut u8
        } else {
            ((addr + 4096 + align - 1) & !(align - 1)) as *mut u8
        };
        if !hugetlb {
            // SAFETY: `base..base+len` lies inside the mapping just made (it has 4 KiB and
            // `align` to spare before and 4 KiB after); mprotect only changes its access.
            let r = unsafe { libc::mprotect(base.cast(), len, libc::PROT_READ | libc::PROT_WRITE) };
            if r != 0 {
                let e = std::io::Error::last_os_error();
                // SAFETY: exactly the mapping made above, not used yet.
                unsafe { libc::munmap(map, map_len) };
                return Err(KvmError::Kvm(format!(
                    "cannot map {} MiB of guest RAM: {e}",
                    len >> 20
                )));
            }
        }
        if backing == Backing::Thp {
            // SAFETY: `base..base+len` lies inside the mapping just made (it was padded by
            // `align`), and madvise only changes the kernel's paging advice for it.
            let r = unsafe { libc::madvise(base.cast(), len, libc::MADV_HUGEPAGE) };
            if r != 0 {
                return Err(KvmError::Kvm(format!(
                    "madvise(MADV_HUGEPAGE) failed: {}",
                    std::io::Error::last_os_error()
                )));
            }
        }
        let mem = GuestMem {
            hugetlb,
            base,
            map,
            map_len,
            len,
        };
        if prealloc {
            for off in (0..len).step_by(4096) {
                mem.write_u8(off as u64, 0);
            }
        }
        Ok(mem)
    }

    /// Whether guest RAM is on hugetlbfs.
    pub fn is_hugetlb(&self) -> bool {
        self.hugetlb
    }

    /// Host address of guest-physical 0.
    pub fn host_addr(&self) -> u64 {
        self.base as u64
    }

    /// Bytes of guest RAM.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Writes bytes at a guest-physical address (bounds-checked).
    pub fn write(&self, gpa: u64, bytes: &[u8]) -> Result<(), KvmError> {
        let end = gpa as usize + bytes.len();
        if end > self.len {
            return Err(KvmError::Kvm(format!(
                "guest write at {gpa:#x}+{} is outside guest RAM",
                bytes.len()
            )));
        }
        // SAFETY: the range was checked to lie inside the mapping, which lives as long as
        // `self`; the guest is not running while the host writes (single-threaded runner).
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.add(gpa as usize), bytes.len());
        }
        Ok(())
    }

    /// `madvise(advice)` on guest RAM at `[gpa, gpa + len)` (bounds-checked).
    pub fn advise(&self, gpa: u64, len: u64, advice: libc::c_int) -> Result<(), KvmError> {
        if gpa.checked_add(len).is_none_or(|e| e > self.len as u64) {
            return Err(KvmError::Kvm(format!(
                "madvise of {gpa:#x}+{len:#x} is outside guest RAM"
            )));
        }
        // SAFETY: the range lies inside the mapping, which lives as long as `self`; madvise
        // changes the kernel's paging of it (discarding, paging out or marking pages), never
        // the validity of the mapping, and no reference into it is held across the call.
        let r = unsafe { libc::madvise(self.base.add(gpa as usize).cast(), len as usize, advice) };
        if r != 0 {
            return Err(KvmError::Kvm(format!(
                "madvise({advice}) of guest RAM {gpa:#x}+{len:#x}: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(())
    }

    /// The sum of a `/proc/self/smaps` field (in kB) over the mappings of guest RAM.
    pub fn smaps_kb(&self, field: &str) -> u64 {
        let (lo, hi) = (self.base as u64, self.base as u64 + self.len as u64);
        let text = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut inside = false;
        let mut sum = 0;
        for line in text.lines() {
            let head = line.split_whitespace().next().unwrap_or("");
            if let Some((a, b)) = head.split_once('-') {
                if let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) {
                    inside = a < hi && b > lo;
                    continue;
                }
            }
            if inside {
                if let Some(v) = line.strip_prefix(field).and_then(|r| r.strip_prefix(':')) {
                    sum += v
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .unwrap_or(0);
                }
            }
        }
        sum
    }

    fn write_u8(&self, gpa: u64, v: u8) {
        if (gpa as usize) < self.len {
            // SAFETY: in bounds (checked), mapping alive, guest not running.
            unsafe { self.base.add(gpa as usize).write_volatile(v) }
        }
    }
}

impl Drop for GuestMem {
    fn drop(&mut self) {
        // SAFETY: `map`/`map_len` are exactly what mmap returned; nothing refers to the memory
        // after drop (the VM that used it is dropped first by `Guest`'s field order).
        unsafe {
            libc::munmap(self.map, self.map_len);
        }
    }
}

/// A VM with one vCPU and its statistics files.
pub struct Guest {
    // Field order is drop order: the vCPU and VM go before the memory they map.
    vcpu: VcpuFd,
    vcpu_stats: File,
    vm_stats: File,
    _vm: VmFd,
    _kvm: Kvm,
    /// Guest RAM (kept alive for as long as the VM maps it).
    mem: GuestMem,
}

/// KVM's counters of the VM and its vCPU.
pub fn both(vm: &Snapshot, vcpu: &Snapshot) -> Snapshot {
    let mut s = vm.clone();
    s.0.extend(vcpu.0.clone());
    s
}

/// The CPU state a CPL-3 64-bit guest starts in.
#[derive(Clone, Copy, Debug)]
pub struct CpuSetup {
    /// CR3 (the guest page-table root).
    pub cr3: u64,
    /// CR4.LA57.
    pub la57: bool,
    /// CR4.SMEP / SMAP.
    pub smep: bool,
    /// CR4.SMAP.
    pub smap: bool,
    /// GDTR base (a linear address).
    pub gdt: u64,
    /// IDTR base.
    pub idt: u64,
    /// TR base.
    pub tss: u64,
    /// TSS limit.
    pub tss_limit: u32,
    /// First instruction.
    pub rip: u64,
    /// Stack top.
    pub rsp: u64,
}

fn seg(selector: u16, code: bool, dpl: u8) -> kvm_segment {
    kvm_segment {
        base: 0,
        limit: 0xffff_ffff,
        selector,
        type_: if code { 0xb } else { 0x3 },
        present: 1,
        dpl,
        db: u8::from(!code),
        s: 1,
        l: u8::from(code),
        g: 1,
        avl: 0,
        unusable: 0,
        padding: 0,
    }
}

impl Guest {
    /// A VM whose memslot 0 is `mem`.
    pub fn new(mem: GuestMem) -> Result<Self, KvmError> {
        let kvm =
            Kvm::new().map_err(|e| KvmError::Unavailable(format!("cannot open /dev/kvm: {e}")))?;
        let vm = kvm
            .create_vm()
            .map_err(|e| KvmError::Unavailable(format!("KVM_CREATE_VM failed: {e}")))?;
        let region = kvm_userspace_memory_region {
            slot: 0,
            flags: 0,
            guest_phys_addr: 0,
            memory_size: mem.len() as u64,
            userspace_addr: mem.host_addr(),
        };
        // SAFETY: the region describes `mem`, which outlives the VM (see `Guest`'s field order)
        // and is not unmapped while the VM exists.
        unsafe { vm.set_user_memory_region(region) }
            .map_err(|e| KvmError::Kvm(format!("KVM_SET_USER_MEMORY_REGION failed: {e}")))?;
        let vcpu = vm
            .create_vcpu(0)
            .map_err(|e| KvmError::Kvm(format!("KVM_CREATE_VCPU failed: {e}")))?;
        let cpuid = kvm
            .get_supported_cpuid(kvm_bindings::KVM_MAX_CPUID_ENTRIES)
            .map_err(|e| KvmError::Kvm(format!("KVM_GET_SUPPORTED_CPUID failed: {e}")))?;
        vcpu.set_cpuid2(&cpuid)
            .map_err(|e| KvmError::Kvm(format!("KVM_SET_CPUID2 failed: {e}")))?;
        let vm_stats = stats_file(&vm)?;
        let vcpu_stats = stats_file(&vcpu)?;
        Ok(Guest {
            vcpu,
            vcpu_stats,
            vm_stats,
            _vm: vm,
            _kvm: kvm,
            mem,
        })
    }

    /// Sets 64-bit mode at CPL 3 with paging on.
    pub fn setup(&self, c: &CpuSetup) -> Result<(), KvmError> {
        let k = |e: kvm_ioctls::Error| KvmError::Kvm(format!("setting registers: {e}"));
        let mut s = self.vcpu.get_sregs().map_err(k)?;
        s.cr0 = 0x8005_0033; // PG | WP | NE | ET | MP | PE
        s.cr4 = 0x20
            | if c.la57 { 1 << 12 } else { 0 }
            | if c.smep { 1 << 20 } else { 0 }
            | if c.smap { 1 << 21 } else { 0 };
        s.efer = 0xd00; // NXE | LMA | LME
        s.cr3 = c.cr3;
        s.cs = seg(0x1b, true, 3);
        let data = seg(0x23, false, 3);
        s.ds = data;
        s.es = data;
        s.fs = data;
        s.gs = data;
        s.ss = data;
        s.tr = kvm_segment {
            base: c.tss,
            limit: c.tss_limit,
            selector: 0x28,
            type_: 0xb,
            present: 1,
            dpl: 0,
            db: 0,
            s: 0,
            l: 0,
            g: 0,
            avl: 0,
            unusable: 0,
            padding: 0,
        };
        s.gdt.base = c.gdt;
        s.gdt.limit = 0x37;
        s.idt.base = c.idt;
        s.idt.limit = 0xfff;
        self.vcpu.set_sregs(&s).map_err(k)?;
        let mut r = self.vcpu.get_regs().map_err(k)?;
        r.rip = c.rip;
        r.rsp = c.rsp;
        r.rflags = 0x2;
        self.vcpu.set_regs(&r).map_err(k)
    }

    /// Loads a new CR3 from the host (KVM_SET_SREGS), as a CR3 switch step does.
    pub fn set_cr3(&self, cr3: u64) -> Result<(), KvmError> {
        let k = |e: kvm_ioctls::Error| KvmError::Kvm(format!("switching CR3: {e}"));
        let mut s = self.vcpu.get_sregs().map_err(k)?;
        s.cr3 = cr3;
        self.vcpu.set_sregs(&s).map_err(k)
    }

    /// KVM's counters now.
    pub fn snapshot(&self) -> Result<Snapshot, KvmError> {
        Ok(both(
            &snapshot(&self.vm_stats)?,
            &snapshot(&self.vcpu_stats)?,
        ))
    }

    /// Where the watchdog asks KVM_RUN to return: the `immediate_exit` byte of the vCPU's
    /// shared `kvm_run` page (Linux `Documentation/virt/kvm/api.rst`: set before a signal, it
    /// makes a KVM_RUN in progress or about to start return EINTR, so the request cannot be
    /// lost between two runs). Valid as long as this guest lives.
    pub fn immediate_exit(&mut self) -> ImmediateExit {
        ImmediateExit(&mut self.vcpu.get_kvm_run().immediate_exit as *mut u8)
    }

    /// Runs until the guest writes to an I/O port; returns (port, AL).
    pub fn run_to_out(&mut self) -> Result<(u16, u8), KvmError> {
        loop {
            match self.vcpu.run() {
                Ok(VcpuExit::IoOut(port, data)) => return Ok((port, data.first().copied().unwrap_or(0))),
                Ok(VcpuExit::Intr) => continue,
                Ok(VcpuExit::Shutdown) => {
                    return Err(KvmError::Guest(
                        "the guest shut down (a triple fault: an exception the runtime does not handle)".into(),
                    ))
                }
                Ok(VcpuExit::Hlt) => return Err(KvmError::Guest("the guest halted".into())),
                Ok(other) => {
                    return Err(KvmError::Guest(format!("unexpected VM exit: {other:?}")))
                }
                Err(e) if e.errno() == libc::EINTR => {
                    return Err(KvmError::Guest("the watchdog stopped a guest that ran too long".into()))
                }
                Err(e) => return Err(KvmError::Kvm(format!("KVM_RUN failed: {e}"))),
            }
        }
    }

    /// Guest RAM.
    pub fn mem(&self) -> &GuestMem {
        &self.mem
    }

    /// The vCPU's registers (for error messages).
    pub fn rip(&self) -> u64 {
        self.vcpu.get_regs().map(|r| r.rip).unwrap_or(0)
    }
}

/// The `immediate_exit` byte of a vCPU's `kvm_run` page, for the watchdog thread.
#[derive(Clone, Copy, Debug)]
pub struct ImmediateExit(*mut u8);

// SAFETY: the pointer is written only with a volatile byte store (the kernel reads the byte
// at every KVM_RUN), and the watchdog that holds it is joined before the guest, which owns
// the mapping, is dropped (`runner::run`).
unsafe impl Send for ImmediateExit {}

impl ImmediateExit {
    /// Asks KVM_RUN to return.
    pub fn set(self) {
        // SAFETY: the kvm_run page is mapped for as long as the guest lives, and the caller
        // (the watchdog, joined before the guest is dropped) never outlives it; a byte
        // store cannot tear.
        unsafe { std::ptr::write_volatile(self.0, 1) }
    }
}
