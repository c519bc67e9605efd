//! An owned Xvfb server on a free display number, killed on drop.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::error::DesktopError;

/// A running `Xvfb :N -screen 0 WxHx24 -nolisten tcp -noreset`, owned by this value.
#[derive(Debug)]
pub struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts Xvfb on a free display number in :100–:899 and waits (up to 15 s) until it accepts
    /// X connections. Numbers are tried from an offset derived from the process id, and each
    /// number is tried once per process, so parallel tests and processes rarely collide; a
    /// collision makes the second Xvfb exit and the next number is tried.
    pub fn start(width: u32, height: u32) -> Result<Self, DesktopError> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let base = std::process::id() % 400;
        let mut last = String::from("no display number free in :100–:899");
        for _ in 0..100 {
            let n = 100 + (base + 2 * NEXT.fetch_add(1, Ordering::Relaxed)) % 800;
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || Path::new(&format!("/tmp/.X{n}-lock")).exists()
            {
                continue;
            }
            match Self::try_start(n, width, height) {
                Ok(x) => return Ok(x),
                Err(e) => last = e,
            }
        }
        Err(DesktopError::Xvfb(last))
    }

    fn try_start(n: u32, width: u32, height: u32) -> Result<Self, String> {
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .arg(&display)
            .args(["-screen", "0", &format!("{width}x{height}x24")])
            .args(["-nolisten", "tcp"])
            // Without -noreset the server regenerates when its last client (our readiness probe)
            // disconnects, and connections during the reset are refused.
            .arg("-noreset")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run Xvfb: {e}"))?;
        let mut me = Xvfb { child, display };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            std::thread::sleep(Duration::from_millis(50));
            if let Ok(Some(status)) = me.child.try_wait() {
                return Err(format!("Xvfb {} exited: {status}", me.display));
            }
            // Connected, and our server is still the one running (a duplicate exits at once).
            if x11rb::connect(Some(&me.display)).is_ok() && matches!(me.child.try_wait(), Ok(None))
            {
                return Ok(me);
            }
            if Instant::now() > deadline {
                return Err(format!("Xvfb {} did not answer within 15 s", me.display));
            }
        }
    }

    /// The server's process id (to find a server an aborted owner left running).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The display name, e.g. `:90`, for `DISPLAY` and [`crate::X11Desktop::open`].
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
