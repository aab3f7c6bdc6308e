//! Guest code for a scenario's trace: x86-64 machine code that runs at CPL 3 and makes the
//! trace's accesses, with `out` instructions where the host must act (a VM exit, a CR3
//! switch, the end of a phase). Pure: bytes in, bytes out, tested natively.

use pagewalk_core::AccessKind;

/// I/O ports the guest uses to talk to the host.
pub mod port {
    /// A plain VM exit (the trace's `vm_exit`).
    pub const EXIT: u8 = 0x10;
    /// The host works on guest memory: AL holds the index of the host operation.
    pub const HOST: u8 = 0x14;
    /// This VM's part of the trace pauses: the next VM's part runs.
    pub const YIELD: u8 = 0x15;
    /// Switch CR3: AL holds the address-space index.
    pub const CR3: u8 = 0x11;
    /// The measured phase starts.
    pub const PHASE: u8 = 0x12;
    /// The run is over.
    pub const DONE: u8 = 0x13;
}

/// An x86-64 code buffer with the few instructions the runtime needs.
#[derive(Clone, Debug, Default)]
pub struct Code {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// What a write stores is its address XOR this: 0 in the first VM, another value in each
    /// other, so that no two VMs' pages written the same way hold the same data (KSM).
    pub salt: u64,
}

/// A general register by its encoding number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    /// RAX.
    Rax = 0,
    /// RCX.
    Rcx = 1,
    /// RDX.
    Rdx = 2,
    /// RSI.
    Rsi = 6,
    /// RDI.
    Rdi = 7,
    /// R8.
    R8 = 8,
    /// R9.
    R9 = 9,
}

impl Code {
    fn rex(w: bool, reg: u8, rm: u8) -> u8 {
        0x40 | (u8::from(w) << 3) | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1)
    }

    /// `movabs reg, imm64`.
    pub fn mov_imm(&mut self, r: Reg, imm: u64) {
        let r = r as u8;
        self.bytes.push(Self::rex(true, 0, r));
        self.bytes.push(0xb8 + (r & 7));
        self.bytes.extend_from_slice(&imm.to_le_bytes());
    }

    /// `mov dst, [src]` (a read).
    pub fn load(&mut self, dst: Reg, src: Reg) {
        self.modrm_mem(0x8b, dst as u8, src as u8);
    }

    /// `mov [dst], src` (a write).
    pub fn store(&mut self, dst: Reg, src: Reg) {
        self.modrm_mem(0x89, src as u8, dst as u8);
    }

    fn modrm_mem(&mut self, op: u8, reg: u8, base: u8) {
        self.bytes.push(Self::rex(true, reg, base));
        self.bytes.push(op);
        // mod=00 with base RSP/R12 needs a SIB, RBP/R13 means RIP-relative: avoided by the
        // registers this module uses (RAX, RCX, RDX, RSI, R8, R9).
        self.bytes.push(((reg & 7) << 3) | (base & 7));
    }

    /// `call reg` (a fetch at the address, which must hold `ret`).
    pub fn call(&mut self, r: Reg) {
        let r = r as u8;
        if r >= 8 {
            self.bytes.push(0x41);
        }
        self.bytes.extend_from_slice(&[0xff, 0xd0 | (r & 7)]);
    }

    /// `add dst, src`.
    pub fn add(&mut self, dst: Reg, src: Reg) {
        let (d, s) = (dst as u8, src as u8);
        self.bytes.push(Self::rex(true, s, d));
        self.bytes.push(0x01);
        self.bytes.push(0xc0 | ((s & 7) << 3) | (d & 7));
    }

    /// `or dst, src`.
    pub fn or(&mut self, dst: Reg, src: Reg) {
        self.alu(0x09, dst, src);
    }

    /// `and dst, src`.
    pub fn and(&mut self, dst: Reg, src: Reg) {
        self.alu(0x21, dst, src);
    }

    /// `xor dst, src`.
    pub fn xor(&mut self, dst: Reg, src: Reg) {
        self.alu(0x31, dst, src);
    }

    fn alu(&mut self, op: u8, dst: Reg, src: Reg) {
        let (d, s) = (dst as u8, src as u8);
        self.bytes.push(Self::rex(true, s, d));
        self.bytes.push(op);
        self.bytes.push(0xc0 | ((s & 7) << 3) | (d & 7));
    }

    /// `dec reg`.
    pub fn dec(&mut self, r: Reg) {
        let r = r as u8;
        self.bytes.push(Self::rex(true, 0, r));
        self.bytes.extend_from_slice(&[0xff, 0xc8 | (r & 7)]);
    }

    /// `jnz` back to `target` (an offset in this buffer).
    pub fn jnz_back(&mut self, target: usize) {
        let here = self.bytes.len() + 6;
        let rel = target as i64 - here as i64;
        self.bytes.extend_from_slice(&[0x0f, 0x85]);
        self.bytes.extend_from_slice(&(rel as i32).to_le_bytes());
    }

    /// `mov al, imm8; out imm8, al`.
    pub fn out(&mut self, port: u8, al: u8) {
        self.bytes.extend_from_slice(&[0xb0, al, 0xe6, port]);
    }

    /// `mov ebx, cmd; ud2`: enter the CPL-0 trampoline (the #UD handler) with a command;
    /// RAX holds its argument.
    pub fn trampoline(&mut self, cmd: u32) {
        self.bytes.push(0xbb);
        self.bytes.extend_from_slice(&cmd.to_le_bytes());
        self.bytes.extend_from_slice(&[0x0f, 0x0b]);
    }

    /// Fills the 4 KiB page at `page` with `value` in every 8-byte word: `rep stosq`.
    pub fn fill_page(&mut self, page: u64, value: u64) {
        self.mov_imm(Reg::Rdi, page);
        self.mov_imm(Reg::Rcx, 512);
        self.mov_imm(Reg::Rax, value);
        self.bytes.extend_from_slice(&[0xf3, 0x48, 0xab]);
    }

    /// One access of `kind` at the address in RAX. A write stores the address itself (XOR
    /// the VM's salt), so that no two pages written this way hold the same data (what KSM
    /// compares).
    pub fn access_at_rax(&mut self, kind: AccessKind) {
        match kind {
            AccessKind::Read => self.load(Reg::R8, Reg::Rax),
            AccessKind::Write if self.salt == 0 => self.store(Reg::Rax, Reg::Rax),
            AccessKind::Write => {
                self.mov_imm(Reg::R8, self.salt);
                self.xor(Reg::R8, Reg::Rax);
                self.store(Reg::Rax, Reg::R8);
            }
            AccessKind::Fetch => self.call(Reg::Rax),
        }
    }

    /// `count` accesses `stride` apart from `start`, `repeat` times (a counted loop).
    pub fn strided(&mut self, start: u64, stride: u64, count: u64, repeat: u64, kind: AccessKind) {
        self.mov_imm(Reg::R9, repeat);
        let outer = self.bytes.len();
        self.mov_imm(Reg::Rax, start);
        self.mov_imm(Reg::Rdx, stride);
        self.mov_imm(Reg::Rcx, count);
        let inner = self.bytes.len();
        self.access_at_rax(kind);
        self.add(Reg::Rax, Reg::Rdx);
        self.dec(Reg::Rcx);
        self.jnz_back(inner);
        self.dec(Reg::R9);
        self.jnz_back(outer);
    }

    /// `count` accesses at the addresses of a table at `table` (one u64 each).
    pub fn from_table(&mut self, table: u64, count: u64, kind: AccessKind) {
        self.mov_imm(Reg::Rsi, table);
        self.mov_imm(Reg::Rdx, 8);
        self.mov_imm(Reg::Rcx, count);
        let l = self.bytes.len();
        self.load(Reg::Rax, Reg::Rsi);
        self.access_at_rax(kind);
        self.add(Reg::Rsi, Reg::Rdx);
        self.dec(Reg::Rcx);
        self.jnz_back(l);
    }
}

/// Trampoline commands (in EBX at the `ud2`).
pub mod cmd {
    /// Do nothing (warm-up).
    pub const NOP: u32 = 0;
    /// `invlpg [rax]`.
    pub const INVLPG: u32 = 1;
    /// `mov cr3, rax`.
    pub const MOV_CR3: u32 = 2;
}

/// The CPL-0 handlers: #UD at offset 0 runs a command and skips the `ud2`; #PF at
/// [`PF_HANDLER`] drops the error code and skips the 3-byte access that faulted.
pub fn handlers() -> Vec<u8> {
    let mut h = vec![
        0x83, 0xfb, 0x01, // cmp ebx, 1
        0x75, 0x03, // jne +3
        0x0f, 0x01, 0x38, // invlpg [rax]
        0x83, 0xfb, 0x02, // cmp ebx, 2
        0x75, 0x03, // jne +3
        0x0f, 0x22, 0xd8, // mov cr3, rax
        0x48, 0x83, 0x04, 0x24, 0x02, // add qword [rsp], 2
        0x48, 0xcf, // iretq
    ];
    h.resize(PF_HANDLER, 0xcc);
    h.extend_from_slice(&[
        0x48, 0x83, 0xc4, 0x08, // add rsp, 8 (the error code)
        0x48, 0x83, 0x04, 0x24, 0x03, // add qword [rsp], 3
        0x48, 0xcf, // iretq
    ]);
    h
}

/// Offset of the #PF handler in [`handlers`].
pub const PF_HANDLER: usize = 0x40;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let mut c = Code::default();
        c.mov_imm(Reg::Rax, 0x1122_3344_5566_7788);
        assert_eq!(&c.bytes[..2], &[0x48, 0xb8]);
        let mut c = Code::default();
        c.load(Reg::R8, Reg::Rax);
        assert_eq!(c.bytes, [0x4c, 0x8b, 0x00]); // mov r8, [rax]
        let mut c = Code::default();
        c.store(Reg::Rax, Reg::R8);
        assert_eq!(c.bytes, [0x4c, 0x89, 0x00]); // mov [rax], r8
        let mut c = Code::default();
        c.add(Reg::Rax, Reg::Rdx);
        assert_eq!(c.bytes, [0x48, 0x01, 0xd0]); // add rax, rdx
        let mut c = Code::default();
        c.or(Reg::R8, Reg::Rdx);
        assert_eq!(c.bytes, [0x49, 0x09, 0xd0]); // or r8, rdx
        let mut c = Code::default();
        c.and(Reg::R8, Reg::Rdx);
        assert_eq!(c.bytes, [0x49, 0x21, 0xd0]); // and r8, rdx
        let mut c = Code::default();
        c.dec(Reg::Rcx);
        assert_eq!(c.bytes, [0x48, 0xff, 0xc9]); // dec rcx
        let mut c = Code::default();
        c.dec(Reg::R9);
        assert_eq!(c.bytes, [0x49, 0xff, 0xc9]); // dec r9
        let mut c = Code::default();
        c.call(Reg::Rax);
        assert_eq!(c.bytes, [0xff, 0xd0]);
        let mut c = Code::default();
        c.load(Reg::Rax, Reg::Rsi);
        assert_eq!(c.bytes, [0x48, 0x8b, 0x06]); // mov rax, [rsi]
        let mut c = Code::default();
        c.bytes.extend_from_slice(&[0x90; 4]);
        c.jnz_back(0);
        assert_eq!(&c.bytes[4..], &[0x0f, 0x85, 0xf6, 0xff, 0xff, 0xff]); // -10
    }
}
