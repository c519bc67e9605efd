//! Process-level set-up that must happen before any library is loaded.
//!
//! Debian's libtesseract is built with OpenMP, whose default threading makes OCR 5–8× slower on a
//! two-core machine; libgomp reads `OMP_THREAD_LIMIT` only when it is loaded, so setting it inside
//! `main` is too late. Docket therefore re-executes itself once with the variable set. It never
//! changes any other part of the environment.

use std::os::unix::process::CommandExt;

/// Re-executes the current binary with `OMP_THREAD_LIMIT=1` unless it is already set. Returns only
/// when no re-exec was needed or the re-exec failed (then Docket runs on, just slower OCR).
pub fn ensure_single_threaded_openmp() {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let err = std::process::Command::new(exe)
        .args(args)
        .env("OMP_THREAD_LIMIT", "1")
        .exec();
    eprintln!(
        "docket: warning: could not re-exec with OMP_THREAD_LIMIT=1 ({err}); OCR will be slower"
    );
}
