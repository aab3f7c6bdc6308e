//! Turning a scenario into a running KVM guest.

use crate::codegen::{port, Code};
use crate::sys::{Backing, CpuSetup, Guest, GuestMem};
use crate::Outcome;
use crate::{at_step, runnable, KvmError, RealCounters, MAX_TABLE_ADDRESSES};
use pagewalk_core::{
    Access, Content, Counters, Gpa, Gva, Host, Machine, MachineError, Mode, PageSize, Platform,
    PteFlags, SpaceId, Stage2Fill,
};
use pagewalk_scenario::lower::build;
use pagewalk_scenario::model::{Backing as ScBacking, EntryValue, Op};
use pagewalk_scenario::{Action, Scenario, Session};
use pagewalk_text::Text;
use std::sync::mpsc;
use std::time::Duration;

/// The runtime lives at this linear address (PML4 slot 511) plus its guest-physical address.
const RT_GVA: u64 = 0xffff_ff80_0000_0000;
const GDT: u64 = 0x1000;
const IDT: u64 = 0x2000;
const TSS: u64 = 0x3000;
const TSS_LIMIT: u32 = 0x68 + 0x2000;
const KSTACK: u64 = 0x6000;
const USTACK: u64 = 0x8000;
const CODE: u64 = 0x1_0000;
const CODE_END: u64 = 0x4_0000;
const HANDLER: u64 = 0x4_0000;
const TABLE: u64 = 0x4_1000;
/// Guest page tables that a trace writes are mapped user-writable at RT_GVA + ALIAS + their GPA.
const ALIAS: u64 = 0x1000_0000;
/// An address the runtime never maps: the warm-up faults on it once.
const UNMAPPED: u64 = 0xf_f000;

fn gdt_bytes() -> Vec<u8> {
    let tss_base = RT_GVA + TSS;
    let limit = u64::from(TSS_LIMIT);
    let tss_low = (limit & 0xffff)
        | ((tss_base & 0xff_ffff) << 16)
        | (0x89u64 << 40)
        | (((limit >> 16) & 0xf) << 48)
        | (((tss_base >> 24) & 0xff) << 56);
    let tss_high = tss_base >> 32;
    [
        0u64,
        0x00af_9a00_0000_ffff, // 0x08 kernel code, 64-bit
        0x00cf_9200_0000_ffff, // 0x10 kernel data
        0x00af_fa00_0000_ffff, // 0x18 user code, 64-bit, DPL 3
        0x00cf_f200_0000_ffff, // 0x20 user data, DPL 3
        tss_low,               // 0x28 TSS (16 bytes)
        tss_high,
    ]
    .iter()
    .flat_map(|w| w.to_le_bytes())
    .collect()
}

fn gate(handler: u64) -> [u8; 16] {
    let lo = (handler & 0xffff) | (0x08 << 16) | (0x8e << 40) | (((handler >> 16) & 0xffff) << 48);
    let hi = handler >> 32;
    let mut g = [0u8; 16];
    g[..8].copy_from_slice(&lo.to_le_bytes());
    g[8..].copy_from_slice(&hi.to_le_bytes());
    g
}

/// Interrupt gates for #UD (6) and #PF (14) to the CPL-0 handlers.
fn idt_bytes() -> Vec<u8> {
    let mut idt = vec![0u8; 16 * 15];
    idt[16 * 6..16 * 7].copy_from_slice(&gate(RT_GVA + HANDLER));
    idt[16 * 14..16 * 15]
        .copy_from_slice(&gate(RT_GVA + HANDLER + crate::codegen::PF_HANDLER as u64));
    idt
}

fn tss_bytes() -> Vec<u8> {
    let mut t = vec![0u8; 0x68];
    t[4..12].copy_from_slice(&(RT_GVA + KSTACK + 0x1000).to_le_bytes()); // RSP0
    t[0x66..0x68].copy_from_slice(&0x68u16.to_le_bytes()); // I/O map base: right after
    t
}

/// How long the model's two replays of a guest program may take together.
const MODEL_LIMIT: Duration = Duration::from_secs(20);

/// One memory-relevant action of the guest program, as the code generator emits it: what
/// the prediction replays on the core's machine (so the two cannot disagree). No rule of KVM
/// lives here: each action is a call into `pagewalk_core::Machine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GuestOp {
    /// A data read, or the fetch of a code page (the same for the MMU).
    Read(u64),
    /// A data write.
    Write(u64),
    /// An `out` to the host.
    Out,
    /// The guest fills the page at this address with a word (`rep stosq`).
    Fill(u64, u64),
    /// An `out` after which the host does host operation N to guest memory.
    Host(u8),
    /// An `out` at which this VM stops until the runner resumes it (the phase starts, another
    /// VM's part of the trace runs, or the run is over): an exit now, the entry later.
    Stop,
    /// An `out` after which the host loads this address space's CR3 (KVM_SET_SREGS).
    Cr3(usize),
    /// A round trip through the CPL-0 trampoline that does nothing.
    Trap,
    /// The guest loads this address space's CR3 itself, through the trampoline.
    GuestCr3(usize),
    /// INVLPG through the trampoline.
    Invlpg(u64),
    /// The guest writes one of its page-table entries through a writable alias mapping at
    /// `alias`: with `modify` it reads the entry first and stores `(old | set) & !clear`,
    /// otherwise it stores `set`.
    PteWrite {
        /// Linear address of the entry in the alias mapping.
        alias: u64,
        /// Guest-physical address of the entry.
        entry: u64,
        /// Read-modify-write (true) or a plain store of `set` (false).
        modify: bool,
        /// Bits to set (or the whole value).
        set: u64,
        /// Bits to clear.
        clear: u64,
    },
}

/// What the host does to guest memory at one of the guest's `out`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HostOp {
    /// `MADV_PAGEOUT`.
    SwapOut { gpa: u64, size: u64 },
    /// `MADV_DONTNEED` of pages the balloon took.
    BalloonInflate { gpa: u64, pages: u64 },
    /// The balloon gives pages back: nothing on the host.
    BalloonDeflate { pages: u64 },
    /// `ksmd` makes full scans.
    KsmScan { passes: u64 },
}

/// The model's side of the host: its [`Host`] and the host operations of the program.
struct HostModel {
    host: Host,
    /// Each VM's host operations, by the index its `out` names.
    ops: Vec<Vec<HostOp>>,
}

/// Replays one action of VM `vm`'s guest program on its machine (the others are there for
/// KSM, which scans every VM).
fn replay<K: pagewalk_core::EventSink>(
    vms: &mut [Machine],
    vm: usize,
    spaces: &[SpaceId],
    op: GuestOp,
    host: &mut HostModel,
    c: &mut K,
) -> Result<(), MachineError> {
    let space = |s: usize| spaces[s.min(spaces.len() - 1)];
    if let GuestOp::Host(i) = op {
        let Some(&hop) = host.ops.get(vm).and_then(|o| o.get(usize::from(i))) else {
            return Ok(());
        };
        let h = &mut host.host;
        vms[vm].stop(c)?;
        let r = match hop {
            HostOp::SwapOut { gpa, size } => h.page_out(vms, vm, Gpa::new(gpa), size, c).map(drop),
            HostOp::BalloonInflate { gpa, pages } => h
                .balloon_inflate(vm, &mut vms[vm], Gpa::new(gpa), pages, c)
                .map(drop),
            HostOp::BalloonDeflate { pages } => {
                h.balloon_deflate(vm, pages, c);
                Ok(())
            }
            HostOp::KsmScan { passes } => h.ksm_scan(vms, passes, c),
        };
        vms[vm].resume(c);
        return r;
    }
    let m = &mut vms[vm];
    match op {
        GuestOp::Fill(page, value) => m.fill(Gva::new(page), Content::Pattern(value), c).map(drop),
        GuestOp::Stop => m.stop(c),
        // Done above.
        GuestOp::Host(_) => Ok(()),
        GuestOp::Read(a) => m.access(Gva::new(a), Access::USER_READ, c).map(drop),
        GuestOp::Write(a) => m.access(Gva::new(a), Access::USER_WRITE, c).map(drop),
        GuestOp::Out => m.vm_exit_and_entry(c),
        GuestOp::Cr3(s) => m.host_load_cr3(space(s), c),
        GuestOp::Trap => {
            m.kernel_round_trip(c);
            Ok(())
        }
        GuestOp::GuestCr3(s) => m.mov_cr3(space(s), false, c).map(drop),
        GuestOp::Invlpg(gva) => m.invlpg(Gva::new(gva), c),
        GuestOp::PteWrite {
            alias,
            entry,
            modify,
            set,
            clear,
        } => {
            let value = if modify {
                m.access(Gva::new(alias), Access::USER_READ, c)?;
                (m.read_guest(Gpa::new(entry))? | set) & !clear
            } else {
                set
            };
            m.store(Gva::new(alias), value, true, c).map(drop)
        }
    }
}

/// KVM's counters over the measured phase as the core's machines predict them, one machine
/// per VM: each VM's warm-up, a snapshot, the VMs' parts of the trace in the order the runner
/// runs them (`order`: a VM is resumed, runs to its next stop), the rest of each VM's program,
/// and the difference (gauges as their level, summed over the VMs as KVM's are).
fn predict(
    mut vms: Vec<Machine>,
    spaces: &[SpaceId],
    progs: &[Program],
    order: &[usize],
    sc: &Scenario,
    deadline: std::time::Instant,
) -> Result<RealCounters, KvmError> {
    let mut c = Counters::default();
    let mut host = HostModel {
        host: Host::new(sc.host.spec, vms.len()),
        ops: progs.iter().map(|p| p.host_ops.clone()).collect(),
    };
    if let Some((gpa, size)) = sc.host.mergeable {
        for v in 0..vms.len() {
            host.host.mark_mergeable(v, Gpa::new(gpa), size);
        }
    }
    let fail =
        |e: MachineError| KvmError::Kvm(format!("the model could not replay the guest: {e}"));
    for (v, prog) in progs.iter().enumerate() {
        for &op in &prog.warm {
            replay(&mut vms, v, spaces, op, &mut host, &mut c).map_err(fail)?;
        }
        // The warm-up's trip through the CPL-0 handler wrote its exception frame on the
        // kernel stack (KVM emulates that entry on this host): that host page exists now.
        vms[v].vmm_write(Gpa::new(KSTACK));
    }
    let before = c;
    let mut next = vec![0usize; progs.len()];
    let mut done = 0u64;
    let mut late = false;
    let rest: Vec<usize> = (0..progs.len()).collect();
    for &v in order.iter().chain(&rest) {
        if next[v] >= progs[v].measured.len() {
            continue;
        }
        vms[v].resume(&mut c);
        let mut err = None;
        let mut stopped = false;
        while !stopped && next[v] < progs[v].measured.len() {
            let block = &progs[v].measured[next[v]];
            next[v] += 1;
            block.for_each(|op| {
                if err.is_none() && !late {
                    stopped |= op == GuestOp::Stop;
                    err = replay(&mut vms, v, spaces, op, &mut host, &mut c).err();
                    done += 1;
                    if done % (1 << 16) == 0 && std::time::Instant::now() > deadline {
                        late = true;
                    }
                }
            });
        }
        if late {
            return Err(KvmError::NotRunnable(
                Text::new("kvm-model-slow").arg("seconds", MODEL_LIMIT.as_secs()),
            ));
        }
        if let Some(e) = err {
            return Err(fail(e));
        }
    }
    let mut p = crate::predicted(&c.since(&before));
    let meminfo = host.host.meminfo(&vms);
    let swap: u64 = vms.iter().map(|m| m.host_usage().swap >> 12).sum();
    let rss: u64 = vms.iter().map(|m| m.host_usage().rss >> 12).sum();
    crate::add_host_predictions(&mut p, &c.since(&before), swap, rss, &meminfo);
    Ok(p)
}

/// Whether this host's KVM is PVM (guest CPL 0 emulated): read from the loaded modules.
fn platform_here() -> Platform {
    if std::path::Path::new("/sys/module/kvm_pvm").exists() {
        Platform::Pvm
    } else {
        Platform::Hardware
    }
}

/// The scenario's machine in `mode`, with the runtime mapped into every address space and
/// the pages the VMM writes before the run marked as present.
fn machine_for(
    sc: &Scenario,
    mode: Mode,
    platform: Platform,
    prog: &Program,
) -> Result<(Machine, Vec<SpaceId>), KvmError> {
    let mut sc = sc.clone();
    // Guest RAM as large as the real memslot: what the host reserves and allocates follows it.
    sc.machine.layout.guest_ram = ram_size(&sc);
    sc.machine.mode = mode;
    sc.host.platform = platform;
    sc.host.stage2 = Stage2Fill::OnDemand;
    sc.host.auto_stage2 = true;
    let built = build(&sc).map_err(|d| KvmError::Kvm(d.to_string()))?;
    let mut m = built.machine;
    for s in 0..m.space_count() {
        for &(off, gpa, flags) in &prog.pages {
            m.map(
                SpaceId(s),
                Gva::new(RT_GVA + off),
                Gpa::new(gpa),
                PageSize::Size4K,
                flags,
            )
            .map_err(|e| KvmError::Kvm(format!("mapping the runtime: {e}")))?;
        }
    }
    m.activate(built.spaces[0])
        .map_err(|e| KvmError::Kvm(e.to_string()))?;
    for gpa in [GDT, TSS, IDT, HANDLER] {
        m.vmm_write(Gpa::new(gpa));
    }
    for p in 0..(prog.code.len() as u64).div_ceil(4096) {
        m.vmm_write(Gpa::new(CODE + p * 4096));
    }
    for p in 0..(prog.table_bytes.len() as u64).div_ceil(4096) {
        m.vmm_write(Gpa::new(TABLE + p * 4096));
    }
    Ok((m, built.spaces))
}

/// [`machine_for`] for each VM of the scenario, with its program.
fn machines_for(
    sc: &Scenario,
    mode: Mode,
    platform: Platform,
    progs: &[Program],
) -> Result<(Vec<Machine>, Vec<SpaceId>), KvmError> {
    let mut machines = Vec::with_capacity(progs.len());
    let mut spaces = Vec::new();
    for (v, prog) in progs.iter().enumerate() {
        let (mut m, s) = machine_for(sc, mode, platform, prog)?;
        m.set_vm_number(v as u64);
        machines.push(m);
        spaces = s;
    }
    Ok((machines, spaces))
}

fn backing(b: ScBacking) -> Backing {
    match b {
        ScBacking::Anon4K => Backing::Anon,
        ScBacking::Thp => Backing::Thp,
        ScBacking::Hugetlb2M => Backing::Huge2M,
        ScBacking::Hugetlb1G => Backing::Huge1G,
    }
}

/// The counters of /proc/vmstat that say the host changed process memory behind KVM's back.
fn vmstat() -> Vec<(String, u64)> {
    const WATCHED: [&str; 8] = [
        "compact_",
        "thp_",
        "pswp",
        "ksm",
        "cow_ksm",
        "pgmigrate_",
        "numa_pages_migrated",
        "swap_ra",
    ];
    std::fs::read_to_string("/proc/vmstat")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            WATCHED
                .iter()
                .any(|w| k.starts_with(w))
                .then(|| Some((k.to_owned(), v.trim().parse().ok()?)))?
        })
        .collect()
}

fn vmstat_delta(before: &[(String, u64)], after: &[(String, u64)]) -> Vec<(String, u64)> {
    after
        .iter()
        .filter_map(|(k, a)| {
            let b = before.iter().find(|(n, _)| n == k).map_or(0, |(_, v)| *v);
            (a > &b).then(|| (k.clone(), a - b))
        })
        .collect()
}

/// The 2 MiB hugetlb pool: (HugePages_Total, HugePages_Free, HugePages_Rsvd).
fn huge_pool() -> (u64, u64, u64) {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (
        get("HugePages_Total:"),
        get("HugePages_Free:"),
        get("HugePages_Rsvd:"),
    )
}

/// MemAvailable from /proc/meminfo, in bytes.
fn mem_available() -> Option<u64> {
    std::fs::read_to_string("/proc/meminfo")
        .ok()?
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))?
        .split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()
        .map(|kib| kib << 10)
}

/// Guest RAM for KVM: enough for the runtime, the guest tables and every mapping, rounded up
/// to the backing's page.
fn ram_size(sc: &Scenario) -> u64 {
    let top = sc
        .spaces
        .iter()
        .flat_map(|s| &s.maps)
        .map(|m| m.gpa + m.size)
        .max()
        .unwrap_or(0)
        .max(sc.machine.layout.guest_tables.1)
        .max(32 << 20)
        .max(
            // Pages a guest PTE write points to must be RAM too.
            sc.trace
                .iter()
                .filter_map(|s| match s.op {
                    Op::PteWrite {
                        value: EntryValue::Entry { addr, .. },
                        ..
                    } => Some((addr & !0xfff) + 0x20_0000),
                    Op::PteWrite {
                        value: EntryValue::Raw { value },
                        ..
                    } => Some((value & 0x000f_ffff_ffff_f000) + 0x20_0000),
                    _ => None,
                })
                .max()
                .unwrap_or(0),
        );
    let page = backing(sc.host.backing);
    let align = match page {
        Backing::Huge1G => 1 << 30,
        Backing::Anon => 4096,
        _ => 2 << 20,
    };
    top.div_ceil(align) * align
}

/// The addresses a scenario's random steps touch, in order, exactly as the simulator makes
/// them (the simulator's own session generates them).
fn random_addresses(sc: &Scenario) -> Result<Vec<Vec<u64>>, KvmError> {
    let mut out: Vec<Vec<u64>> = vec![Vec::new(); sc.trace.len()];
    if !sc.trace.iter().any(|s| matches!(s.op, Op::Random { .. })) {
        return Ok(out);
    }
    let mut session = Session::new(sc.clone()).map_err(|d| KvmError::Kvm(d.to_string()))?;
    let mut sink = Counters::default();
    while let Some(a) = session
        .next(&mut sink)
        .map_err(|d| KvmError::Kvm(d.to_string()))?
    {
        if let Action::Access { step, gva, .. } = a {
            if matches!(sc.trace[step].op, Op::Random { .. }) {
                out[step].push(gva.raw());
            }
        }
    }
    Ok(out)
}

/// A run of the guest program's memory actions, kept compact: loops are not expanded.
#[derive(Clone, Copy, Debug)]
enum Block {
    /// One action.
    One(GuestOp),
    /// `count` accesses `stride` apart from `start`, `repeat` times.
    Loop {
        start: u64,
        stride: u64,
        count: u64,
        repeat: u64,
        write: bool,
    },
}

impl Block {
    fn for_each(&self, mut f: impl FnMut(GuestOp)) {
        match *self {
            Block::One(op) => f(op),
            Block::Loop {
                start,
                stride,
                count,
                repeat,
                write,
            } => {
                for _ in 0..repeat {
                    for k in 0..count {
                        let a = start.wrapping_add(k.wrapping_mul(stride));
                        f(if write {
                            GuestOp::Write(a)
                        } else {
                            GuestOp::Read(a)
                        });
                    }
                }
            }
        }
    }
}

/// The guest program: its code, the runtime pages it needs, and the memory-relevant actions
/// it makes (for the model), built together so they cannot disagree.
struct Program {
    code: Vec<u8>,
    table_bytes: Vec<u8>,
    /// Runtime mappings: (offset from RT_GVA, guest-physical address, flags).
    pages: Vec<(u64, u64, PteFlags)>,
    warm: Vec<GuestOp>,
    measured: Vec<Block>,
    /// What the host does at each `out` to [`port::HOST`], by the index in AL.
    host_ops: Vec<HostOp>,
}

/// A host operation in the program: an `out` to [`port::HOST`] with its index.
fn host_step(
    hop: HostOp,
    step: &pagewalk_scenario::model::Step,
    host_ops: &mut Vec<HostOp>,
    body: &mut Code,
    measured: &mut Vec<(usize, Block)>,
) -> Result<(), KvmError> {
    let Ok(n) = u8::try_from(host_ops.len()) else {
        return Err(KvmError::NotRunnable(at_step(
            step,
            Text::new("kvm-host-ops"),
        )));
    };
    host_ops.push(hop);
    measured.push((body.bytes.len(), Block::One(GuestOp::Host(n))));
    body.out(port::HOST, n);
    Ok(())
}

/// VM `vm`'s guest program: its steps of the trace, a stop (`out` to [`port::YIELD`]) where the
/// trace goes on in another VM, and the end.
fn program(
    sc: &Scenario,
    m: &pagewalk_core::Machine,
    spaces: &[pagewalk_core::SpaceId],
    vm: usize,
) -> Result<Program, KvmError> {
    use crate::codegen::Reg;
    let sup = PteFlags::PRESENT
        | PteFlags::WRITABLE
        | PteFlags::ACCESSED
        | PteFlags::DIRTY
        | PteFlags::NO_EXECUTE;
    let user_data = sup | PteFlags::USER;
    let user_code = PteFlags::PRESENT | PteFlags::USER | PteFlags::ACCESSED;
    let mut pages: Vec<(u64, u64, PteFlags)> = vec![
        (GDT, GDT, sup),
        (IDT, IDT, sup),
        (TSS, TSS, sup),
        (TSS + 0x1000, TSS + 0x1000, sup),
        (TSS + 0x2000, TSS + 0x2000, sup),
        (KSTACK, KSTACK, sup),
        (USTACK, USTACK, user_data),
        (HANDLER, HANDLER, PteFlags::PRESENT | PteFlags::ACCESSED),
    ];
    let randoms = random_addresses(sc)?;
    let table_len: u64 = randoms.iter().map(|v| v.len() as u64).sum();
    if table_len > MAX_TABLE_ADDRESSES {
        return Err(KvmError::NotRunnable(Text::new("kvm-random-table")));
    }
    let table_pages = (table_len * 8).div_ceil(4096);
    for p in 0..table_pages {
        pages.push((TABLE + p * 4096, TABLE + p * 4096, user_data));
    }
    // The measured body first, to know the code size; the warm-up goes in front of it.
    let mut body = Code {
        salt: (vm as u64) << 52,
        ..Code::default()
    };
    // (offset in body, op) pairs: where each action's code starts.
    let mut measured: Vec<(usize, Block)> = Vec::new();
    let mut table_at = RT_GVA + TABLE;
    let mut table_bytes: Vec<u8> = Vec::new();
    let mut alias_frames: Vec<u64> = Vec::new();
    let mut host_ops: Vec<HostOp> = Vec::new();
    let access_op = |kind: pagewalk_core::AccessKind, gva: u64| match kind {
        pagewalk_core::AccessKind::Write => GuestOp::Write(gva),
        _ => GuestOp::Read(gva),
    };
    let last_own = sc.trace.iter().rposition(|s| s.vm == vm);
    for (i, step) in sc.trace.iter().enumerate() {
        if step.vm != vm {
            continue;
        }
        // Where the trace goes on in another VM, this one stops until it is resumed.
        let yields = Some(i) != last_own && sc.trace.get(i + 1).is_some_and(|n| n.vm != vm);
        let at = body.bytes.len();
        match step.op {
            Op::Access { gva, kind, .. } => {
                body.mov_imm(Reg::Rax, gva);
                body.access_at_rax(kind);
                measured.push((at, Block::One(access_op(kind, gva))));
            }
            Op::Sequential {
                start,
                length,
                kind,
                repeat,
                ..
            } => {
                let count = length.div_ceil(8);
                body.strided(start, 8, count, repeat, kind);
                measured.push((
                    at,
                    Block::Loop {
                        start,
                        stride: 8,
                        count,
                        repeat,
                        write: kind == pagewalk_core::AccessKind::Write,
                    },
                ));
            }
            Op::Strided {
                start,
                stride,
                count,
                kind,
                repeat,
                ..
            } => {
                body.strided(start, stride, count, repeat, kind);
                measured.push((
                    at,
                    Block::Loop {
                        start,
                        stride,
                        count,
                        repeat,
                        write: kind == pagewalk_core::AccessKind::Write,
                    },
                ));
            }
            Op::WorkingSet {
                start,
                pages: n,
                stride,
                rounds,
                kind,
                ..
            } => {
                body.strided(start, stride, n, rounds, kind);
                measured.push((
                    at,
                    Block::Loop {
                        start,
                        stride,
                        count: n,
                        repeat: rounds,
                        write: kind == pagewalk_core::AccessKind::Write,
                    },
                ));
            }
            Op::Random { kind, .. } => {
                let addrs = &randoms[i];
                body.from_table(table_at, addrs.len() as u64, kind);
                for (k, a) in addrs.iter().enumerate() {
                    table_bytes.extend_from_slice(&a.to_le_bytes());
                    measured.push((at, Block::One(GuestOp::Read(table_at + 8 * k as u64))));
                    measured.push((at, Block::One(access_op(kind, *a))));
                }
                table_at += addrs.len() as u64 * 8;
            }
            Op::VmExit { count } => {
                // Each exit is one `out` in the code: refuse before generating more code than
                // the runtime has room for, not after.
                let room = (CODE_END - CODE) as usize;
                if count > 100_000 || body.bytes.len() + 2 * count as usize > room {
                    return Err(KvmError::NotRunnable(at_step(
                        step,
                        Text::new("kvm-exits-room")
                            .arg("count", count)
                            .arg("kib", (room >> 10) as u64),
                    )));
                }
                for _ in 0..count {
                    measured.push((body.bytes.len(), Block::One(GuestOp::Out)));
                    body.out(port::EXIT, 0);
                }
            }
            Op::PteWrite {
                space,
                gva,
                level,
                value,
            } => {
                let id = spaces[space.min(spaces.len() - 1)];
                let lvl =
                    pagewalk_core::Level::from_number(level).unwrap_or(pagewalk_core::Level::L1);
                let entry = m
                    .guest_entry_gpa(id, Gva::new(gva), lvl)
                    .map_err(|e| {
                        KvmError::NotRunnable(at_step(
                            step,
                            Text::new("kvm-guest-entry").arg("why", e.to_string()),
                        ))
                    })?
                    .raw();
                let frame = entry & !0xfff;
                if !alias_frames.contains(&frame) {
                    alias_frames.push(frame);
                }
                let alias = RT_GVA + ALIAS + entry;
                let (modify, set, clear) = match value {
                    EntryValue::Raw { value } => (false, value, 0),
                    EntryValue::Entry { addr, flags } => (false, addr | flags, 0),
                    EntryValue::Modify { set, clear } => (true, set, clear),
                };
                body.mov_imm(Reg::Rax, alias);
                if modify {
                    body.load(Reg::R8, Reg::Rax);
                    body.mov_imm(Reg::Rdx, set);
                    body.or(Reg::R8, Reg::Rdx);
                    body.mov_imm(Reg::Rdx, !clear);
                    body.and(Reg::R8, Reg::Rdx);
                } else {
                    body.mov_imm(Reg::R8, set);
                }
                body.store(Reg::Rax, Reg::R8);
                measured.push((
                    at,
                    Block::One(GuestOp::PteWrite {
                        alias,
                        entry,
                        modify,
                        set,
                        clear,
                    }),
                ));
            }
            Op::Invlpg { gva } => {
                body.mov_imm(Reg::Rax, gva);
                body.trampoline(crate::codegen::cmd::INVLPG);
                measured.push((at, Block::One(GuestOp::Invlpg(gva))));
            }
            Op::Cr3 {
                space,
                from_guest: false,
                ..
            } => {
                body.out(port::CR3, space as u8);
                measured.push((at, Block::One(GuestOp::Cr3(space))));
            }
            Op::Cr3 {
                space,
                from_guest: true,
                ..
            } => {
                let root = m
                    .cr3_of(spaces[space.min(spaces.len() - 1)])
                    .map_err(|e| KvmError::Kvm(e.to_string()))?
                    .raw();
                body.mov_imm(Reg::Rax, root);
                body.trampoline(crate::codegen::cmd::MOV_CR3);
                measured.push((at, Block::One(GuestOp::GuestCr3(space))));
            }
            Op::Fill {
                gva,
                pages,
                pattern,
            } => {
                for p in 0..pages {
                    let page = gva + p * 4096;
                    let value = pattern.unwrap_or(page);
                    let at = body.bytes.len();
                    body.fill_page(page, value);
                    measured.push((at, Block::One(GuestOp::Fill(page, value))));
                }
            }
            Op::SwapOut { gpa, size } => {
                let hop = HostOp::SwapOut { gpa, size };
                host_step(hop, step, &mut host_ops, &mut body, &mut measured)?;
            }
            Op::BalloonInflate { gpa, pages } => {
                let hop = HostOp::BalloonInflate { gpa, pages };
                host_step(hop, step, &mut host_ops, &mut body, &mut measured)?;
            }
            Op::BalloonDeflate { pages } => {
                let hop = HostOp::BalloonDeflate { pages };
                host_step(hop, step, &mut host_ops, &mut body, &mut measured)?;
            }
            Op::KsmScan { passes } => {
                let hop = HostOp::KsmScan { passes };
                host_step(hop, step, &mut host_ops, &mut body, &mut measured)?;
            }
            // `runnable` rejects these first, with the reason.
            Op::Invpcid { .. } | Op::Invvpid { .. } | Op::Invept { .. } | Op::SetAc { .. } => {
                return Err(KvmError::NotRunnable(at_step(
                    step,
                    Text::new("kvm-cannot-run"),
                )))
            }
        }
        if yields {
            measured.push((body.bytes.len(), Block::One(GuestOp::Stop)));
            body.out(port::YIELD, 0);
        }
        if body.bytes.len() as u64 > CODE_END - CODE {
            return Err(KvmError::NotRunnable(at_step(
                step,
                Text::new("kvm-code-room"),
            )));
        }
    }
    let done_at = body.bytes.len();
    body.out(port::DONE, 0);
    measured.push((done_at, Block::One(GuestOp::Stop)));
    // Warm-up: touch the table pages, the stack and every code page, then start the phase.
    let warm_len = 13 * (table_pages as usize + alias_frames.len() + 1) + 13 * 64 + 40;
    let code_pages = ((warm_len + body.bytes.len()) as u64).div_ceil(4096);
    if CODE + code_pages * 4096 > CODE_END {
        return Err(KvmError::NotRunnable(Text::new("kvm-code-room")));
    }
    let mut code = Code::default();
    let mut warm = vec![GuestOp::Read(RT_GVA + CODE)];
    for p in 0..table_pages {
        code.mov_imm(Reg::Rax, RT_GVA + TABLE + p * 4096);
        code.load(Reg::R8, Reg::Rax);
        warm.push(GuestOp::Read(RT_GVA + TABLE + p * 4096));
    }
    code.mov_imm(Reg::Rax, RT_GVA + USTACK);
    code.store(Reg::Rax, Reg::R8);
    warm.push(GuestOp::Write(RT_GVA + USTACK));
    for &f in &alias_frames {
        code.mov_imm(Reg::Rax, RT_GVA + ALIAS + f);
        code.load(Reg::R8, Reg::Rax);
        warm.push(GuestOp::Read(RT_GVA + ALIAS + f));
    }
    for p in 0..code_pages {
        code.mov_imm(Reg::Rax, RT_GVA + CODE + p * 4096);
        code.load(Reg::R8, Reg::Rax);
        warm.push(GuestOp::Read(RT_GVA + CODE + p * 4096));
    }
    // One trip through each CPL-0 handler, so their pages are mapped before the phase.
    code.trampoline(crate::codegen::cmd::NOP);
    warm.push(GuestOp::Trap);
    code.mov_imm(Reg::Rax, RT_GVA + UNMAPPED);
    code.load(Reg::R8, Reg::Rax);
    warm.push(GuestOp::Read(RT_GVA + UNMAPPED));
    code.out(port::PHASE, 0);
    warm.push(GuestOp::Stop);
    if code.bytes.len() > 4000 {
        return Err(KvmError::NotRunnable(Text::new("kvm-warmup-room")));
    }
    let body_base = code.bytes.len() as u64;
    code.bytes.extend_from_slice(&body.bytes);
    for p in 0..code_pages {
        pages.push((CODE + p * 4096, CODE + p * 4096, user_code));
    }
    for &f in &alias_frames {
        pages.push((ALIAS + f, f, user_data));
    }
    // Each action is preceded by the fetch of the code that makes it.
    let mut ops = Vec::with_capacity(measured.len() * 2);
    let mut last_page = u64::MAX;
    let mut last_space = usize::MAX;
    let mut space = 0usize;
    for (at, block) in measured {
        let page = RT_GVA + CODE + ((body_base + at as u64) & !0xfff);
        if page != last_page || space != last_space {
            ops.push(Block::One(GuestOp::Read(page)));
            last_page = page;
            last_space = space;
        }
        if let Block::One(GuestOp::Cr3(s) | GuestOp::GuestCr3(s)) = block {
            space = s;
        }
        ops.push(block);
    }
    Ok(Program {
        host_ops,
        code: code.bytes,
        table_bytes,
        pages,
        warm,
        measured: ops,
    })
}

/// The VMs' parts of the trace in the order they run: the VM of each run of consecutive
/// steps (a VM's program stops where the trace goes on in another).
fn run_order(sc: &Scenario) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::new();
    for step in &sc.trace {
        if order.last() != Some(&step.vm) {
            order.push(step.vm);
        }
    }
    order
}

/// Real and predicted KVM counters of one scenario.
pub fn run(sc: &Scenario, watchdog: Duration) -> Result<Outcome, KvmError> {
    runnable(sc)?;
    let built = build(sc).map_err(|d| KvmError::Kvm(d.to_string()))?;
    let m0 = built.machine;
    let n = sc.host.vms.max(1);
    let progs: Vec<Program> = (0..n)
        .map(|v| program(sc, &m0, &built.spaces, v))
        .collect::<Result<_, _>>()?;
    let order = run_order(sc);
    let (machines, spaces) = machines_for(sc, Mode::Shadow, platform_here(), &progs)?;
    let m = &machines[0];
    let roots: Vec<u64> = spaces
        .iter()
        .map(|&s| m.cr3_of(s).map(|g| g.raw()))
        .collect::<Result<_, _>>()
        .map_err(|e| KvmError::Kvm(e.to_string()))?;
    // The guest's tables, byte for byte as the simulator built them (every VM boots the same
    // image).
    let mut tables: Vec<(u64, [u64; 512])> = Vec::new();
    for &frame in m.guest_table_frames() {
        let hpa = m
            .guest_ram()
            .gpa_to_hpa(Gpa::new(frame))
            .ok_or_else(|| KvmError::Kvm(format!("guest table {frame:#x} outside guest RAM")))?;
        if let Some(words) = m.memory().frame_words(hpa.frame()) {
            tables.push((frame >> 12, words));
        }
    }
    // Guest RAM: within the scenario's `guest_ram`, and, when every page will be touched
    // first (-mem-prealloc), within what the host has free.
    let ram = ram_size(sc);
    if ram > sc.machine.layout.guest_ram {
        return Err(KvmError::NotRunnable(
            Text::new("kvm-guest-ram")
                .arg("need", ram >> 20)
                .arg("have", sc.machine.layout.guest_ram >> 20),
        ));
    }
    if sc.host.prealloc {
        if let Some(avail) = mem_available() {
            if ram * n as u64 > avail / 2 {
                return Err(KvmError::Unavailable(format!(
                    "pre-allocating {} MiB of guest RAM would take more than half of the {} MiB this host has available; lower `guest_ram` or turn `prealloc` off",
                    (ram * n as u64) >> 20,
                    avail >> 20
                )));
            }
        }
    }
    // The host side: Ctrl-C caught while host settings are changed, a swap file for
    // swap-out steps, KSM's settings for KSM steps; all put back when these guards drop.
    let has = |f: fn(&HostOp) -> bool| progs.iter().flat_map(|p| &p.host_ops).any(f);
    let host_side = progs.iter().any(|p| !p.host_ops.is_empty());
    let _signals = host_side.then(crate::hostops::SignalGuard::install);
    let swaps_out = has(|o| matches!(o, HostOp::SwapOut { .. }));
    if swaps_out {
        crate::hostops::no_other_swap()?;
    }
    let _swap = if swaps_out && sc.host.spec.swap > 0 {
        Some(crate::hostops::SwapFile::create(sc.host.spec.swap)?)
    } else {
        None
    };
    let mut ksm = if has(|o| matches!(o, HostOp::KsmScan { .. })) {
        Some(crate::hostops::KsmSession::start()?)
    } else {
        None
    };
    // The real run: one VM per machine, in one process.
    let pool_before = huge_pool();
    let mut guests = Vec::with_capacity(n);
    for prog in &progs {
        let mem = GuestMem::new(ram as usize, backing(sc.host.backing), sc.host.prealloc)?;
        if ksm.is_some() {
            if let Some((gpa, size)) = sc.host.mergeable {
                // Before the guest runs: marking part of a mapping splits it, and the split
                // drops KVM's entries in the 2 MiB around each new edge
                // (`vma_adjust_trans_huge`).
                mem.advise(gpa, size.min(ram.saturating_sub(gpa)), libc::MADV_MERGEABLE)?;
            }
        }
        for (gfn, words) in &tables {
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            mem.write(gfn << 12, &bytes)?;
        }
        mem.write(GDT, &gdt_bytes())?;
        mem.write(TSS, &tss_bytes())?;
        mem.write(IDT, &idt_bytes())?;
        mem.write(HANDLER, &crate::codegen::handlers())?;
        mem.write(CODE, &prog.code)?;
        mem.write(TABLE, &prog.table_bytes)?;
        let guest = Guest::new(mem)?;
        guest.setup(&CpuSetup {
            cr3: roots[0],
            la57: false,
            smep: sc.machine.cpu.smep,
            smap: sc.machine.cpu.smap,
            gdt: RT_GVA + GDT,
            idt: RT_GVA + IDT,
            tss: RT_GVA + TSS,
            tss_limit: TSS_LIMIT,
            rip: RT_GVA + CODE,
            rsp: RT_GVA + USTACK + 0x1000,
        })?;
        guests.push(guest);
    }
    let vmstat_before = vmstat();
    let exits = guests.iter_mut().map(Guest::immediate_exit).collect();
    let watchdog = Watchdog::start(watchdog, exits);
    let result = drive(&mut guests, &roots, &progs, &order, ksm.as_mut());
    drop(watchdog);
    let swap_pages: u64 = guests.iter().map(|g| g.mem().smaps_kb("Swap") / 4).sum();
    let rss_pages: u64 = guests.iter().map(|g| g.mem().smaps_kb("Rss") / 4).sum();
    let pool_after = huge_pool();
    drop(guests);
    if crate::hostops::interrupted() {
        return Err(KvmError::Guest("interrupted".into()));
    }
    let mut real = result?;
    let vmstat_after = vmstat();
    let host_activity = vmstat_delta(&vmstat_before, &vmstat_after);
    if host_side {
        let delta = |k: &str| {
            host_activity
                .iter()
                .find(|(n, _)| n == k)
                .map_or(0, |(_, v)| *v)
        };
        real.0.insert("pswpout".into(), delta("pswpout"));
        real.0.insert("cow_ksm".into(), delta("cow_ksm"));
        let k = crate::hostops::KsmCounters::now();
        if ksm.is_some() {
            real.0.insert("ksm pages_shared".into(), k.shared);
            real.0.insert("ksm pages_sharing".into(), k.sharing);
            real.0.insert("ksm pages_unshared".into(), k.unshared);
        }
        real.0.insert("smaps Swap (pages)".into(), swap_pages);
        real.0.insert("smaps Rss (pages)".into(), rss_pages);
    }
    if sc.host.backing == ScBacking::Hugetlb2M {
        // The pool is the host's: what this run changed of it.
        let used = |(t, f, _): (u64, u64, u64)| t.saturating_sub(f);
        real.0.insert(
            "HugePages in use".into(),
            used(pool_after).saturating_sub(used(pool_before)),
        );
        real.0.insert(
            "HugePages_Rsvd".into(),
            pool_after.2.saturating_sub(pool_before.2),
        );
    }
    drop(ksm);
    // The predictions: the core's machines replay the same programs, both within one bound
    // on wall time.
    let deadline = std::time::Instant::now() + MODEL_LIMIT;
    let predicted = predict(machines, &spaces, &progs, &order, sc, deadline)?;
    let (tdp, tdp_spaces) = machines_for(sc, Mode::Ept, Platform::Hardware, &progs)?;
    let tdp_predicted = predict(tdp, &tdp_spaces, &progs, &order, sc, deadline)?;
    Ok(Outcome {
        host_activity,
        real,
        shadow: predicted,
        tdp_unverified: tdp_predicted,
    })
}

/// Runs the VMs: each to the start of its measured phase, then their parts of the trace in
/// `order`, then each to its end; KVM's counters of the measured phase, summed over the VMs.
fn drive(
    guests: &mut [Guest],
    roots: &[u64],
    progs: &[Program],
    order: &[usize],
    mut ksm: Option<&mut crate::hostops::KsmSession>,
) -> Result<RealCounters, KvmError> {
    for g in guests.iter_mut() {
        run_to_stop(g, roots, &[], None, port::PHASE)?;
    }
    let before: Vec<_> = guests
        .iter()
        .map(Guest::snapshot)
        .collect::<Result<_, _>>()?;
    let mut finished = vec![false; guests.len()];
    let rest: Vec<usize> = (0..guests.len()).collect();
    for &v in order.iter().chain(&rest) {
        if finished[v] {
            continue;
        }
        let stop = run_to_stop(
            &mut guests[v],
            roots,
            &progs[v].host_ops,
            ksm.as_deref_mut(),
            port::YIELD,
        )?;
        finished[v] = stop == port::DONE;
    }
    let mut total = RealCounters::default();
    for (g, b) in guests.iter().zip(&before) {
        for (k, v) in g.snapshot()?.since(b) {
            *total.0.entry(k).or_default() += v;
        }
    }
    Ok(total)
}

/// Runs a guest until it stops at port `until` or at its end ([`port::DONE`]), doing the host
/// operations and CR3 loads it asks for on the way; returns the port it stopped at.
fn run_to_stop(
    guest: &mut Guest,
    roots: &[u64],
    host_ops: &[HostOp],
    mut ksm: Option<&mut crate::hostops::KsmSession>,
    until: u8,
) -> Result<u8, KvmError> {
    loop {
        let (p, al) = guest.run_to_out()?;
        match p as u8 {
            p if p == until || p == port::DONE => return Ok(p),
            port::EXIT => {}
            port::HOST => match host_ops.get(usize::from(al)) {
                Some(&HostOp::SwapOut { gpa, size }) => {
                    // hugetlbfs cannot be paged out: the kernel refuses (EINVAL), which is
                    // the lesson, and the model does nothing either.
                    match guest.mem().advise(gpa, size, libc::MADV_PAGEOUT) {
                        Ok(()) => {}
                        Err(_) if guest.mem().is_hugetlb() => {}
                        Err(e) => return Err(e),
                    }
                }
                Some(&HostOp::BalloonInflate { gpa, pages }) => {
                    // What QEMU does with the pages the balloon took
                    // (`ram_block_discard_range`); on hugetlbfs it discards whole huge pages
                    // only, and the kernel refuses part of one (EINVAL).
                    match guest.mem().advise(gpa, pages << 12, libc::MADV_DONTNEED) {
                        Ok(()) => {}
                        Err(_) if guest.mem().is_hugetlb() => {}
                        Err(e) => return Err(e),
                    }
                }
                Some(&HostOp::BalloonDeflate { .. }) => {}
                Some(&HostOp::KsmScan { passes }) => match ksm.as_deref_mut() {
                    Some(k) => k.scan(passes)?,
                    None => return Err(KvmError::Kvm("a KSM step without KSM set up".into())),
                },
                None => {
                    return Err(KvmError::Guest(format!(
                        "the guest asked for host operation {al}, which its program does not have"
                    )))
                }
            },
            port::CR3 => guest.set_cr3(roots[usize::from(al).min(roots.len() - 1)])?,
            other => {
                return Err(KvmError::Guest(format!(
                    "the guest wrote to port {other:#x} at RIP {:#x}",
                    guest.rip()
                )))
            }
        }
    }
}

/// Stops a runaway guest: after its time it signals the vCPU thread, which makes KVM_RUN
/// return EINTR.
struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

extern "C" fn on_signal(_: libc::c_int) {}

impl Watchdog {
    fn start(after: Duration, exits: Vec<crate::sys::ImmediateExit>) -> Self {
        // SAFETY: installs a handler that does nothing (async-signal-safe) for SIGUSR1,
        // without SA_RESTART so a blocking KVM_RUN returns EINTR.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
        }
        // SAFETY: pthread_self has no preconditions.
        let target = unsafe { libc::pthread_self() };
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if rx.recv_timeout(after).is_err() {
                // immediate_exit first: a signal that lands outside KVM_RUN is not lost, the
                // next KVM_RUN returns at once.
                for exit in &exits {
                    exit.set();
                }
                // SAFETY: `target` is the runner's thread, alive until it joins this one
                // (Watchdog::drop), so the thread id is valid.
                unsafe {
                    libc::pthread_kill(target, libc::SIGUSR1);
                }
            }
        });
        Watchdog {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
