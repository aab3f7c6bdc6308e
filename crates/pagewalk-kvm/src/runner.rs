//! Turning a scenario into a running KVM guest.

use crate::codegen::{port, Code};
use crate::sys::{Backing, CpuSetup, Guest, GuestMem};
use crate::{runnable, KvmError, RealCounters, MAX_TABLE_ADDRESSES};
use pagewalk_core::{Counters, Gpa, Gva, PageSize, PteFlags};
use pagewalk_scenario::lower::build;
use pagewalk_scenario::model::{Backing as ScBacking, Op};
use pagewalk_scenario::{Action, Scenario, Session};
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
const TABLE: u64 = 0x4_1000;

/// How long a guest may run before the watchdog stops it.
const WATCHDOG: Duration = Duration::from_secs(20);

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

fn tss_bytes() -> Vec<u8> {
    let mut t = vec![0u8; 0x68];
    t[4..12].copy_from_slice(&(RT_GVA + KSTACK + 0x1000).to_le_bytes()); // RSP0
    t[0x66..0x68].copy_from_slice(&0x68u16.to_le_bytes()); // I/O map base: right after
    t
}

fn backing(b: ScBacking) -> Backing {
    match b {
        ScBacking::Anon4k => Backing::Anon,
        ScBacking::Thp => Backing::Thp,
        ScBacking::Hugetlb2m => Backing::Huge2M,
        ScBacking::Hugetlb1g => Backing::Huge1G,
    }
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
        .max(32 << 20);
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

pub fn run(sc: &Scenario) -> Result<RealCounters, KvmError> {
    runnable(sc)?;
    let built = build(sc).map_err(|d| KvmError::Kvm(d.to_string()))?;
    let mut m = built.machine;
    // The runtime, mapped the same way in every address space.
    let sup = PteFlags::PRESENT
        | PteFlags::WRITABLE
        | PteFlags::ACCESSED
        | PteFlags::DIRTY
        | PteFlags::NO_EXECUTE;
    let user_data = sup | PteFlags::USER;
    let user_code = PteFlags::PRESENT | PteFlags::USER | PteFlags::ACCESSED;
    let mut pages: Vec<(u64, PteFlags)> = vec![
        (GDT, sup),
        (IDT, sup),
        (TSS, sup),
        (TSS + 0x1000, sup),
        (TSS + 0x2000, sup),
        (KSTACK, sup),
        (USTACK, user_data),
    ];
    let randoms = random_addresses(sc)?;
    let table_len: u64 = randoms.iter().map(|v| v.len() as u64).sum();
    if table_len > MAX_TABLE_ADDRESSES {
        return Err(KvmError::NotRunnable(
            "more random addresses than the runtime's address table holds".into(),
        ));
    }
    let table_pages = (table_len * 8).div_ceil(4096);
    for p in 0..table_pages {
        pages.push((TABLE + p * 4096, user_data));
    }
    // Guest code.
    let mut code = Code::default();
    // Warm-up: touch every runtime page the measured phase uses, so its faults come first.
    let code_pages_guess = (CODE_END - CODE) / 4096;
    for p in 0..table_pages {
        code.mov_imm(crate::codegen::Reg::Rax, RT_GVA + TABLE + p * 4096);
        code.load(crate::codegen::Reg::R8, crate::codegen::Reg::Rax);
    }
    code.mov_imm(crate::codegen::Reg::Rax, RT_GVA + USTACK);
    code.store(crate::codegen::Reg::Rax, crate::codegen::Reg::R8);
    let warm_code_at = code.bytes.len();
    // (code page reads are added below once the code size is known)
    let mut body = Code::default();
    let mut table_at = RT_GVA + TABLE;
    let mut table_bytes: Vec<u8> = Vec::new();
    for (i, step) in sc.trace.iter().enumerate() {
        match step.op {
            Op::Access { gva, kind, .. } => {
                body.mov_imm(crate::codegen::Reg::Rax, gva);
                body.access_at_rax(kind);
            }
            Op::Sequential {
                start,
                length,
                kind,
                repeat,
                ..
            } => {
                body.strided(start, 8, length.div_ceil(8), repeat, kind);
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
            }
            Op::WorkingSet {
                start,
                pages,
                stride,
                rounds,
                kind,
                ..
            } => {
                body.strided(start, stride, pages, rounds, kind);
            }
            Op::Random { kind, .. } => {
                let addrs = &randoms[i];
                body.from_table(table_at, addrs.len() as u64, kind);
                for a in addrs {
                    table_bytes.extend_from_slice(&a.to_le_bytes());
                }
                table_at += addrs.len() as u64 * 8;
            }
            Op::VmExit { count } => {
                for _ in 0..count.min(100_000) {
                    body.out(port::EXIT, 0);
                }
            }
            Op::Cr3 { space, .. } => body.out(port::CR3, space as u8),
            _ => {
                return Err(KvmError::NotRunnable(format!(
                    "trace entry {} cannot run on the KVM runtime",
                    i + 1
                )))
            }
        }
    }
    body.out(port::DONE, 0);
    // Code pages: warm-up reads of each, then the PHASE exit, then the body.
    let code_pages =
        ((code.bytes.len() + 200 + (code_pages_guess as usize) * 13 + body.bytes.len()) as u64)
            .div_ceil(4096);
    if CODE + code_pages * 4096 > CODE_END {
        return Err(KvmError::NotRunnable(
            "the trace makes more guest code than the runtime has room for".into(),
        ));
    }
    let mut warm = Code::default();
    for p in 0..code_pages {
        warm.mov_imm(crate::codegen::Reg::Rax, RT_GVA + CODE + p * 4096);
        warm.load(crate::codegen::Reg::R8, crate::codegen::Reg::Rax);
    }
    code.bytes.splice(warm_code_at..warm_code_at, warm.bytes);
    code.out(port::PHASE, 0);
    code.bytes.extend_from_slice(&body.bytes);
    for p in 0..code_pages {
        pages.push((CODE + p * 4096, user_code));
    }
    for s in 0..m.space_count() {
        for &(gpa, flags) in &pages {
            m.map(
                pagewalk_core::SpaceId(s),
                Gva::new(RT_GVA + gpa),
                Gpa::new(gpa),
                PageSize::Size4K,
                flags,
            )
            .map_err(|e| KvmError::Kvm(format!("mapping the runtime: {e}")))?;
        }
    }
    // Guest memory: the simulator's guest tables at their guest-physical addresses.
    let mem = GuestMem::new(
        ram_size(sc) as usize,
        backing(sc.host.backing),
        sc.host.prealloc,
    )?;
    for &frame in m.guest_table_frames() {
        let hpa = m
            .guest_ram()
            .gpa_to_hpa(Gpa::new(frame))
            .ok_or_else(|| KvmError::Kvm(format!("guest table {frame:#x} outside guest RAM")))?;
        if let Some(words) = m.memory().frame_words(hpa.frame()) {
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            mem.write(frame, &bytes)?;
        }
    }
    mem.write(GDT, &gdt_bytes())?;
    mem.write(TSS, &tss_bytes())?;
    mem.write(CODE, &code.bytes)?;
    mem.write(TABLE, &table_bytes)?;
    let roots: Vec<u64> = (0..m.space_count())
        .map(|s| m.cr3_of(pagewalk_core::SpaceId(s)).map(|g| g.raw()))
        .collect::<Result<_, _>>()
        .map_err(|e| KvmError::Kvm(e.to_string()))?;
    let mut guest = Guest::new(mem)?;
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
    let watchdog = Watchdog::start();
    let result = drive(&mut guest, &roots);
    drop(watchdog);
    result
}

fn drive(guest: &mut Guest, roots: &[u64]) -> Result<RealCounters, KvmError> {
    let mut before = None;
    loop {
        let (p, al) = guest.run_to_out()?;
        match p as u8 {
            port::PHASE => before = Some(guest.snapshot()?),
            port::EXIT => {}
            port::CR3 => guest.set_cr3(roots[usize::from(al).min(roots.len() - 1)])?,
            port::DONE => {
                let after = guest.snapshot()?;
                let before = before.ok_or_else(|| {
                    KvmError::Guest("the guest finished without starting its measured phase".into())
                })?;
                return Ok(RealCounters(after.since(&before)));
            }
            other => {
                return Err(KvmError::Guest(format!(
                    "the guest wrote to port {other:#x} at RIP {:#x}",
                    guest.rip()
                )))
            }
        }
    }
}

/// Stops a runaway guest: after [`WATCHDOG`] it signals the vCPU thread, which makes KVM_RUN
/// return EINTR.
struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

extern "C" fn on_signal(_: libc::c_int) {}

impl Watchdog {
    fn start() -> Self {
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
            if rx.recv_timeout(WATCHDOG).is_err() {
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
