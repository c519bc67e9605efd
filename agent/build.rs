//! Embeds the demo flow and the bundled sample statements (installer/demo) into the binary, so
//! that `docket demo` works from an installed binary without the source tree.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let demo = Path::new(&manifest).join("../installer/demo");
    println!("cargo:rerun-if-changed={}", demo.display());
    println!("cargo:rerun-if-changed={}", demo.join("inbox").display());
    let mut out = String::from(
        "/// Files of the demo: (relative path, bytes).\npub const DEMO_FILES: &[(&str, &[u8])] = &[\n",
    );
    let mut files = Vec::new();
    if let Ok(rd) = std::fs::read_dir(demo.join("inbox")) {
        for e in rd.flatten() {
            if e.path().is_file() {
                files.push(format!("inbox/{}", e.file_name().to_string_lossy()));
            }
        }
    }
    files.sort();
    files.insert(0, "flow.yaml".into());
    for f in files {
        let abs = demo.join(&f);
        let abs = abs.canonicalize().unwrap_or(abs);
        let _ = writeln!(
            out,
            "    ({f:?}, include_bytes!({:?})),",
            abs.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("demo_files.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}
