//! Embeds the bundled scenarios (../scenarios/*.toml) in the app.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    println!("cargo:rerun-if-changed={}", dir.display());
    // A missing or empty directory fails the build: an app without its lessons would build
    // and show an empty gallery.
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(d) => d.flatten().map(|e| e.path()).collect(),
        Err(e) => panic!(
            "cannot read the bundled scenarios in {}: {e}",
            dir.display()
        ),
    };
    files.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    assert!(!files.is_empty(), "no scenario files in {}", dir.display());
    files.sort();
    let mut out = String::from("/// The bundled scenarios: (file stem, TOML text).\npub const BUNDLED: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({stem:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("bundled.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
