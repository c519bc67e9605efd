//! Log set-up: tracing to stderr, level from `-v/-q` or `RUST_LOG`. Log lines carry paths, codes
//! and hashes, never passwords or document contents.
//!
//! Only what a user can act on reaches the default level: the input library's own warnings
//! (enigo's `modifier_no: 5 is unmapped` and `fast text entry is not possible on X11`, about a
//! dozen per replay, which describe how X11 works, not a problem) are shown from `-vv` (debug).

use crate::cli::Global;
use tracing_subscriber::EnvFilter;

/// Libraries whose warnings are not actionable, silenced unless the level is debug or finer.
const QUIET_BELOW_DEBUG: &str = "enigo=error";

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
    let directives = if g.verbose >= 2 {
        level.to_owned()
    } else {
        format!("{level},{QUIET_BELOW_DEBUG}")
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
