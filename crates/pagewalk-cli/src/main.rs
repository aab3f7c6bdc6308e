//! `pagewalk`: run scenario files headlessly, explain a walk step by step, benchmark the
//! engine. Thin: it parses arguments, calls the libraries and prints.

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

mod bench;
mod explain;
mod hostcmd;
mod kvmcmd;
mod runcmd;
mod serve;
mod walkcmd;

/// An x86-64 paging simulator: native, nested (EPT/NPT) and shadow page walks, TLBs with
/// PCID/VPID tags, and the counters that explain what memory virtualisation costs.
///
/// Start with `pagewalk walk --mode ept 0x7fff00001234` to watch the 24 references of a
/// nested walk, then `pagewalk run scenarios/*.toml` to run the bundled lessons.
#[derive(Parser)]
#[command(name = "pagewalk", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Translation modes for `walk`.
#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    /// No virtualisation: one set of tables.
    Native,
    /// Intel EPT: guest tables, each reference translated through EPT.
    Ept,
    /// AMD NPT: as EPT with IA-32e-format nested tables.
    Npt,
    /// Shadow paging: the hypervisor's GVA->HPA tables.
    Shadow,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenario files and check their expectations.
    ///
    /// Exit status: 0 when every expectation holds, 1 when one fails, 2 when a file is
    /// invalid (every problem is printed as FILE:LINE:COLUMN: message).
    Run {
        /// Print one JSON array with an object per file instead of tables.
        #[arg(long)]
        json: bool,
        /// Print each lesson's title, lesson and notes in this language too (zh-TW); the
        /// rest of the output stays English.
        #[arg(long, value_parser = ["zh-TW", "en"])]
        lang: Option<String>,
        /// Scenario files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Validate scenario files without running them (exit 2 if one is invalid).
    Check {
        /// Scenario files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Build a mapping of GVA and explain its translation reference by reference.
    ///
    /// Nested modes print the 2D grid: guest levels down, stage-2 levels across, every
    /// reference numbered in the order the hardware makes it. Caches and TLBs are off, so
    /// this is the full cost of a miss: (g+1)(h+1)-1 references for g guest and h stage-2
    /// levels.
    Walk {
        /// Translation mode.
        #[arg(long, value_enum, default_value = "native")]
        mode: ModeArg,
        /// Guest paging levels (4, or 5 for LA57).
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(4..=5))]
        guest_levels: u8,
        /// Stage-2 levels (4 or 5).
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(4..=5))]
        host_levels: u8,
        /// Guest page size: 4K, 2M or 1G.
        #[arg(long, default_value = "4K", value_parser = page_size)]
        guest_page: pagewalk_core::PageSize,
        /// Stage-2 (or shadow host) page size: 4K, 2M or 1G.
        #[arg(long, default_value = "4K", value_parser = page_size)]
        host_page: pagewalk_core::PageSize,
        /// Print JSON: memory_refs, guest_refs, host_refs, translation, events.
        #[arg(long)]
        json: bool,
        /// The guest virtual address, e.g. 0x7fff00001234.
        #[arg(value_parser = address)]
        gva: u64,
    },
    /// Translations per second of the engine with event recording off: TLB hits, native
    /// 4-level walks, nested 4x4 walks (no TLB, no paging-structure caches).
    Bench {
        /// Print JSON: tlb_hits_per_s, native_walks_per_s, nested_walks_per_s.
        #[arg(long)]
        json: bool,
        /// Seconds to measure each case (0.05 to 60).
        #[arg(long, default_value_t = 1.0, value_parser = seconds_arg)]
        seconds: f64,
    },
    /// Run scenarios on real /dev/kvm and show KVM's own counters beside the simulation.
    ///
    /// Exit status: 0 when every compared counter matches, 1 on a mismatch, 2 for an invalid
    /// file, 3 when KVM is unavailable (with the reason and what to do), 4 when a guest
    /// crashed or the watchdog stopped it. With --json the output is JSON whatever the exit
    /// status.
    Kvm {
        #[command(subcommand)]
        command: KvmCommand,
    },
    /// What this host offers for memory virtualisation: KVM, shadow paging or EPT/NPT, VPID,
    /// THP, hugetlb pools, and the RAM left for VMs by the seed's formula.
    Host {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Plan huge pages for a VM of this size, e.g. 2048M or 4G.
        #[arg(long, value_parser = size)]
        vm_mem: Option<u64>,
    },
    /// Serve the web app on 127.0.0.1 and let it run the scenario on screen on this machine's
    /// real /dev/kvm.
    ///
    /// Prints the URL to open, with a random token that every API call needs; opens nothing
    /// by itself. The app is read from the Trunk build's folder (`trunk build --release`
    /// makes `dist/`). Requests that do not name this address as their Host, come from another
    /// origin, lack the token, are over 1 MiB or come while another KVM run is going are
    /// refused before any KVM work.
    Serve {
        /// Port to listen on (0: any free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on; only loopback addresses unless --allow-remote.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Allow a non-loopback --bind (anyone who reaches it with the token runs guest code).
        #[arg(long)]
        allow_remote: bool,
        /// The built web app.
        #[arg(long, default_value = "dist")]
        dir: PathBuf,
    },
    /// Print the glossary: every term, its meaning and where it is defined, in English or
    /// Traditional Chinese (with the English term beside it).
    Glossary {
        /// The language (zh-TW or en).
        #[arg(long, value_parser = ["zh-TW", "en"], default_value = "en")]
        lang: String,
        /// Print docs/glossary.md (both languages, Markdown) instead.
        #[arg(long)]
        markdown: bool,
    },
    /// Show the bit fields of an address for 4- and 5-level paging.
    Explain {
        /// The address, e.g. 0x7fff00001234.
        #[arg(value_parser = address)]
        gva: u64,
    },
}

#[derive(Subcommand)]
enum KvmCommand {
    /// Run scenario files on KVM.
    Run {
        /// Print one JSON array with an object per file.
        #[arg(long)]
        json: bool,
        /// Scenario files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn size(s: &str) -> Result<u64, String> {
    pagewalk_scenario::units::parse_size(s)
}

fn page_size(s: &str) -> Result<pagewalk_core::PageSize, String> {
    pagewalk_core::PageSize::parse(s).ok_or_else(|| format!("`{s}` is not 4K, 2M or 1G"))
}

fn address(s: &str) -> Result<u64, String> {
    pagewalk_scenario::units::parse_u64(s)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve { .. }) {
        pagewalk_kvm::quiet_on_closed_pipe();
    }
    let json = match &cli.command {
        Command::Run { json, .. }
        | Command::Walk { json, .. }
        | Command::Bench { json, .. }
        | Command::Host { json, .. } => *json,
        Command::Kvm {
            command: KvmCommand::Run { json, .. },
        } => *json,
        Command::Check { .. }
        | Command::Explain { .. }
        | Command::Serve { .. }
        | Command::Glossary { .. } => false,
    };
    let result: Result<u8> = match cli.command {
        Command::Run { json, files, lang } => {
            runcmd::run(&files, json, lang.as_deref().filter(|l| *l != "en"))
        }
        Command::Check { files } => runcmd::check(&files),
        Command::Walk {
            mode,
            guest_levels,
            host_levels,
            guest_page,
            host_page,
            json,
            gva,
        } => walkcmd::walk(
            match mode {
                ModeArg::Native => pagewalk_core::Mode::Native,
                ModeArg::Ept => pagewalk_core::Mode::Ept,
                ModeArg::Npt => pagewalk_core::Mode::Npt,
                ModeArg::Shadow => pagewalk_core::Mode::Shadow,
            },
            guest_levels,
            host_levels,
            guest_page,
            host_page,
            gva,
            json,
        ),
        Command::Bench { json, seconds } => bench::bench(json, seconds),
        Command::Explain { gva } => explain::explain(gva),
        Command::Glossary { lang, markdown } => explain::glossary(&lang, markdown),
        Command::Kvm {
            command: KvmCommand::Run { json, files },
        } => kvmcmd::run(&files, json),
        Command::Host { json, vm_mem } => hostcmd::host(json, vm_mem),
        Command::Serve {
            port,
            bind,
            allow_remote,
            dir,
        } => serve::serve(serve::Options {
            bind,
            port,
            allow_remote,
            dir,
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("pagewalk: {e:#}");
            if json {
                println!("{}", serde_json::json!({ "error": format!("{e:#}") }));
            }
            ExitCode::from(2)
        }
    }
}

/// A measuring time: a finite number of seconds from 0.05 to 60 (NaN and infinities are
/// refused here rather than reaching `Duration`).
fn seconds_arg(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if v.is_finite() && (0.05..=60.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("`{s}`: give a number of seconds from 0.05 to 60"))
    }
}
