//! Turning a scenario into a running KVM guest.

use crate::codegen::{port, Code};
use crate::model::{GuestOp, Image, Model};
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

/// The guest program: its code, the runtime pages it needs, and the memory-relevant actions
/// it makes (for the model), built together so they cannot disagree.
struct Program {
    code: Vec<u8>,
    table_bytes: Vec<u8>,
    pages: Vec<(u64, PteFlags)>,
    warm: Vec<GuestOp>,
    measured: Vec<GuestOp>,
}

fn program(sc: &Scenario) -> Result<Program, KvmError> {
    use crate::codegen::Reg;
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
    // The measured body first, to know the code size; the warm-up goes in front of it.
    let mut body = Code::default();
    // (offset in body, op) pairs: where each action's code starts.
    let mut measured: Vec<(usize, GuestOp)> = Vec::new();
    let mut table_at = RT_GVA + TABLE;
    let mut table_bytes: Vec<u8> = Vec::new();
    let access_op = |kind: pagewalk_core::AccessKind, gva: u64| match kind {
        pagewalk_core::AccessKind::Write => GuestOp::Write(gva),
        _ => GuestOp::Read(gva),
    };
    for (i, step) in sc.trace.iter().enumerate() {
        let at = body.bytes.len();
        match step.op {
            Op::Access { gva, kind, .. } => {
                body.mov_imm(Reg::Rax, gva);
                body.access_at_rax(kind);
                measured.push((at, access_op(kind, gva)));
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
                for _ in 0..repeat {
                    for k in 0..count {
                        measured.push((at, access_op(kind, start.wrapping_add(k * 8))));
                    }
                }
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
                for _ in 0..repeat {
                    for k in 0..count {
                        measured.push((
                            at,
                            access_op(kind, start.wrapping_add(k.wrapping_mul(stride))),
                        ));
                    }
                }
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
                for _ in 0..rounds {
                    for k in 0..n {
                        measured.push((
                            at,
                            access_op(kind, start.wrapping_add(k.wrapping_mul(stride))),
                        ));
                    }
                }
            }
            Op::Random { kind, .. } => {
                let addrs = &randoms[i];
                body.from_table(table_at, addrs.len() as u64, kind);
                for (k, a) in addrs.iter().enumerate() {
                    table_bytes.extend_from_slice(&a.to_le_bytes());
                    measured.push((at, GuestOp::Read(table_at + 8 * k as u64)));
                    measured.push((at, access_op(kind, *a)));
                }
                table_at += addrs.len() as u64 * 8;
            }
            Op::VmExit { count } => {
                if count > 100_000 {
                    return Err(KvmError::NotRunnable(
                        "more than 100000 VM exits in one step".into(),
                    ));
                }
                for _ in 0..count {
                    measured.push((body.bytes.len(), GuestOp::Out));
                    body.out(port::EXIT, 0);
                }
            }
            Op::Cr3 { space, .. } => {
                body.out(port::CR3, space as u8);
                measured.push((at, GuestOp::Out));
                measured.push((at, GuestOp::Cr3(space)));
            }
            _ => {
                return Err(KvmError::NotRunnable(format!(
                    "trace entry {} cannot run on the KVM runtime",
                    i + 1
                )))
            }
        }
    }
    let done_at = body.bytes.len();
    body.out(port::DONE, 0);
    measured.push((done_at, GuestOp::Out));
    // Warm-up: touch the table pages, the stack and every code page, then start the phase.
    let warm_len = 13 * (table_pages as usize + 1) + 13 * 64 + 4;
    let code_pages = ((warm_len + body.bytes.len()) as u64).div_ceil(4096);
    if CODE + code_pages * 4096 > CODE_END {
        return Err(KvmError::NotRunnable(
            "the trace makes more guest code than the runtime has room for".into(),
        ));
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
    for p in 0..code_pages {
        code.mov_imm(Reg::Rax, RT_GVA + CODE + p * 4096);
        code.load(Reg::R8, Reg::Rax);
        warm.push(GuestOp::Read(RT_GVA + CODE + p * 4096));
    }
    code.out(port::PHASE, 0);
    warm.push(GuestOp::Out);
    if code.bytes.len() > 4000 {
        return Err(KvmError::NotRunnable(
            "the warm-up code does not fit in one page".into(),
        ));
    }
    let body_base = code.bytes.len() as u64;
    code.bytes.extend_from_slice(&body.bytes);
    for p in 0..code_pages {
        pages.push((CODE + p * 4096, user_code));
    }
    // Each action is preceded by the fetch of the code that makes it.
    let mut ops = Vec::with_capacity(measured.len() * 2);
    let mut last_page = u64::MAX;
    let mut last_space = usize::MAX;
    let mut space = 0usize;
    for (at, op) in measured {
        let page = RT_GVA + CODE + ((body_base + at as u64) & !0xfff);
        if page != last_page || space != last_space {
            ops.push(GuestOp::Read(page));
            last_page = page;
            last_space = space;
        }
        if let GuestOp::Cr3(s) = op {
            space = s;
        }
        ops.push(op);
    }
    Ok(Program {
        code: code.bytes,
        table_bytes,
        pages,
        warm,
        measured: ops,
    })
}

/// Real and predicted KVM counters of one scenario.
pub fn run(sc: &Scenario) -> Result<(RealCounters, RealCounters), KvmError> {
    runnable(sc)?;
    let built = build(sc).map_err(|d| KvmError::Kvm(d.to_string()))?;
    let mut m = built.machine;
    let prog = program(sc)?;
    for s in 0..m.space_count() {
        for &(gpa, flags) in &prog.pages {
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
    let roots: Vec<u64> = (0..m.space_count())
        .map(|s| m.cr3_of(pagewalk_core::SpaceId(s)).map(|g| g.raw()))
        .collect::<Result<_, _>>()
        .map_err(|e| KvmError::Kvm(e.to_string()))?;
    // The image: guest tables, and what the host writes before the run.
    let mut image = Image {
        roots: roots.clone(),
        prealloc: sc.host.prealloc,
        maxphyaddr: sc.machine.cpu.maxphyaddr,
        host_page: sc.host.backing.page_size(),
        zero_page: matches!(sc.host.backing, ScBacking::Anon4k | ScBacking::Thp),
        ..Image::default()
    };
    for &frame in m.guest_table_frames() {
        let hpa = m
            .guest_ram()
            .gpa_to_hpa(Gpa::new(frame))
            .ok_or_else(|| KvmError::Kvm(format!("guest table {frame:#x} outside guest RAM")))?;
        if let Some(words) = m.memory().frame_words(hpa.frame()) {
            image.tables.insert(frame >> 12, Box::new(*words));
        }
    }
    image.host_written.push(GDT >> 12);
    image.host_written.push(TSS >> 12);
    for p in 0..(prog.code.len() as u64).div_ceil(4096) {
        image.host_written.push((CODE >> 12) + p);
    }
    for p in 0..(prog.table_bytes.len() as u64).div_ceil(4096) {
        image.host_written.push((TABLE >> 12) + p);
    }
    // The prediction.
    let mut model = Model::new(image.clone());
    for &op in &prog.warm {
        model.step(op);
    }
    let before = model.counters.clone();
    for &op in &prog.measured {
        model.step(op);
    }
    let predicted = RealCounters(crate::model::measured(&before, &model.counters));
    // The real run.
    let mem = GuestMem::new(
        ram_size(sc) as usize,
        backing(sc.host.backing),
        sc.host.prealloc,
    )?;
    for (gfn, words) in &image.tables {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        mem.write(gfn << 12, &bytes)?;
    }
    mem.write(GDT, &gdt_bytes())?;
    mem.write(TSS, &tss_bytes())?;
    mem.write(CODE, &prog.code)?;
    mem.write(TABLE, &prog.table_bytes)?;
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
    Ok((result?, predicted))
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
