//! The display a desktop command works on (`docket replay`, `docket record`): `--headless` starts
//! and owns an Xvfb for the job, else `--display` or `$DISPLAY`; `--app` starts the application
//! on it (through `sh -c`) and stops it when the session ends, before the Xvfb goes.

use anyhow::{Context, Result};
use docket_core::ErrorCode;
use docket_desktop::Xvfb;
use std::process::{Child, Command, Stdio};

use crate::failure::Failure;

/// Parses `--screen WIDTHxHEIGHT`.
pub fn parse_screen(text: &str) -> Result<(u32, u32)> {
    text.split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or_else(|| {
            Failure::new(
                ErrorCode::BadUsage,
                format!("--screen '{text}': write WIDTHxHEIGHT, e.g. 1920x1080"),
            )
            .into()
        })
}

struct AppGuard(Option<Child>);

impl Drop for AppGuard {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// An open display with the application started on it. Fields drop in order: the app first.
pub struct DesktopSession {
    _app: AppGuard,
    xvfb: Option<Xvfb>,
    /// The display name, e.g. `:94`.
    pub display: String,
}

impl DesktopSession {
    /// Whether Docket started (and owns) the display.
    pub fn headless(&self) -> bool {
        self.xvfb.is_some()
    }
}

/// Chooses or starts the display and starts `app` on it.
pub fn open(
    headless: bool,
    (w, h): (u32, u32),
    display: Option<&str>,
    app: Option<&str>,
) -> Result<DesktopSession> {
    let xvfb = if headless {
        Some(Xvfb::start(w, h).map_err(|e| {
            Failure::new(
                ErrorCode::DisplayUnavailable,
                format!("cannot start Xvfb: {e}"),
            )
        })?)
    } else {
        None
    };
    let display = match (&xvfb, display) {
        (Some(x), _) => x.display().to_owned(),
        (None, Some(d)) => d.to_owned(),
        (None, None) => std::env::var("DISPLAY").map_err(|_| {
            Failure::new(
                ErrorCode::DisplayUnavailable,
                "no display: set DISPLAY, pass --display :N, or use --headless",
            )
        })?,
    };
    let app = AppGuard(match app {
        Some(cmd) => Some(
            Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .env("DISPLAY", &display)
                .env_remove("WAYLAND_DISPLAY")
                .env_remove("XDG_SESSION_TYPE")
                .stdin(Stdio::null())
                .spawn()
                .with_context(|| "cannot start --app".to_string())?,
        ),
        None => None,
    });
    Ok(DesktopSession {
        _app: app,
        xvfb,
        display,
    })
}
