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

/// Reads and validates a scenario file from disk.
pub fn load(path: &std::path::Path) -> Result<Scenario, Diagnostics> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path);
    if let Ok(m) = &meta {
        if m.len() > parse::MAX_FILE_BYTES as u64 {
            return Err(Diagnostics {
                file,
                items: vec![Diagnostic::new(
                    Pos { line: 1, col: 1 },
                    format!(
                        "the file is {} bytes; the limit is {}",
                        m.len(),
                        parse::MAX_FILE_BYTES
                    ),
                )],
            });
        }
    }
    let src = std::fs::read(path).map_err(|e| Diagnostics {
        file: file.clone(),
        items: vec![Diagnostic::new(
            Pos { line: 1, col: 1 },
            format!("cannot read the file: {e}"),
        )
        .hint("check the path")],
    })?;
    let src = String::from_utf8(src).map_err(|e| Diagnostics {
        file: file.clone(),
        items: vec![Diagnostic::new(
            Pos { line: 1, col: 1 },
            format!(
                "the file is not UTF-8 text (bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
        .hint("scenario files are TOML text")],
    })?;
    parse(&file, &src)
}
