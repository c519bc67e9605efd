//! Progress bars for multi-file work, shown only when stderr is a terminal and output is not JSON
//! or quiet, so that logs and pipes stay clean.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A bar over `len` items, hidden when not interactive.
pub fn bar(len: u64, show: bool) -> ProgressBar {
    if !show || !std::io::stderr().is_terminal() || len < 2 {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
    ) {
        pb.set_style(style);
    }
    pb
}

/// A bar over `len` bytes (a file being streamed), hidden when not interactive.
pub fn bytes_bar(len: u64, show: bool) -> ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}",
    ) {
        pb.set_style(style);
    }
    pb
}
