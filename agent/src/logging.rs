//! Log set-up: tracing to stderr, level from `-v/-q` or `RUST_LOG`. Log lines carry paths, codes
//! and hashes, never passwords or document contents.

use crate::cli::Global;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once.
pub fn init(g: &Global) {
    let level = if g.quiet {
        "error"
    } else {
        match g.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
