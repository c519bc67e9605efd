//! `docket version`: version and the versions of the native parts it links.

use crate::cli::Global;

/// Runs `docket version`.
pub fn run(g: &Global) -> anyhow::Result<i32> {
    let tesseract =
        crate::commands::doctor::tesseract_version().unwrap_or_else(|| "not found".into());
    if g.json {
        println!(
            "{}",
            serde_json::json!({"docket": env!("CARGO_PKG_VERSION"), "tesseract": tesseract, "sqlite": rusqlite::version()})
        );
    } else {
        println!("docket {}", env!("CARGO_PKG_VERSION"));
        println!("tesseract {tesseract}");
        println!("sqlite {}", rusqlite::version());
    }
    Ok(0)
}
