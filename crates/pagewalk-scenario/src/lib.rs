//! # pagewalk-scenario
//!
//! Scenario files: a machine, its mappings and a trace of accesses and events, with
//! expectations, written in TOML (documented key by key in `docs/scenario-format.md`).
//!
//! - [`parse()`] reads a file and reports *every* problem at once, each at its line and column,
//!   with a hint; nothing panics on any input, and limits keep a file from exhausting memory
//!   or time.
//! - [`lower::build`] turns a scenario into a [`pagewalk_core::Machine`].
//! - [`Session`] runs it one action at a time (what the web app drives); [`run()`] runs it to
//!   the end and checks the expectations.
//!
//! ```
//! let src = r#"
//! schema = 1
//! name = "a native walk"
//! lesson = "a TLB miss costs four references; the next access hits"
//! [[space.map]]
//! gva = "0x7fff_0000_0000"
//! gpa = "0x4000_0000"
//! [[trace]]
//! op = "read"
//! gva = "0x7fff_0000_0010"
//! expect = { tlb = "miss", memory_refs = 4 }
//! [[trace]]
//! op = "read"
//! gva = "0x7fff_0000_0018"
//! expect = { tlb = "hit" }
//! "#;
//! let scenario = pagewalk_scenario::parse("example.toml", src).unwrap();
//! let report = pagewalk_scenario::run("example.toml", scenario).unwrap();
//! assert!(report.failures.is_empty());
//! assert_eq!(report.passed, 3);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod diag;
pub mod lower;
pub mod model;
pub mod parse;
pub mod reader;
pub mod run;
pub mod units;

pub use diag::{Diagnostic, Diagnostics, Pos};
pub use model::Scenario;
pub use parse::parse;
pub use run::{run, run_with_progress, Action, Failure, Report, Session, StepReport};

/// Reads and validates a scenario file from disk. At most [`parse::MAX_FILE_BYTES`] are
/// read, whatever the file is (a FIFO, `/dev/zero` or a process substitution has no size to
/// check first).
pub fn load(path: &std::path::Path) -> Result<Scenario, Diagnostics> {
    use std::io::Read;
    let file = path.display().to_string();
    use diag::{msg, Text};
    let fail = |message: Text, hint: &'static str| Diagnostics {
        file: file.clone(),
        items: vec![Diagnostic::new(Pos { line: 1, col: 1 }, message).hint(Text::new(hint))],
    };
    if path.is_dir() {
        return Err(fail(Text::new("diag-directory"), "diag-hint-directory"));
    }
    let mut src = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(parse::MAX_FILE_BYTES as u64 + 1)
                .read_to_end(&mut src)
        })
        .map_err(|e| {
            // The system's own words.
            fail(
                msg!("diag-cannot-read", error = e.to_string()),
                "diag-hint-cannot-read",
            )
        })?;
    if src.len() > parse::MAX_FILE_BYTES {
        return Err(fail(
            msg!("diag-file-over-limit", limit = parse::MAX_FILE_BYTES as u64),
            "diag-hint-file-over-limit",
        ));
    }
    let src = String::from_utf8(src).map_err(|e| {
        fail(
            msg!(
                "diag-not-utf8",
                offset = e.utf8_error().valid_up_to() as u64
            ),
            "diag-hint-not-utf8",
        )
    })?;
    parse(&file, &src)
}

/// What `pagewalk check` does: [`load`], then build the machine exactly as a run does
/// ([`lower::build`]), so that every error a run can report before its first step is
/// reported here too, from the same code.
pub fn check(path: &std::path::Path) -> Result<Scenario, Diagnostics> {
    let sc = load(path)?;
    lower::build(&sc).map_err(|d| Diagnostics {
        file: path.display().to_string(),
        items: vec![d],
    })?;
    Ok(sc)
}
