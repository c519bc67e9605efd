//! Global mouse and keyboard capture on X11 through the RECORD extension (x11rb).
//!
//! Two connections, as the RECORD specification recommends: the control connection creates a
//! context for the device events KeyPress…MotionNotify of all clients plus the core request
//! ChangeKeyboardMapping (so that keycodes remapped for a moment by xdotool or enigo resolve to
//! what was typed, in stream order), and a thread reads the data connection, resolves keys
//! through the keymap with the tracked modifier and lock state, and sends [`RawEvent`]s into a
//! channel. [`Capture::stop`] disables the context, which ends the data stream.
//!
//! It must never log a key's character: nothing here traces key events.

use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;

use docket_desktop::Point;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::record::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{self, ConnectionExt as _};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;
use x11rb::x11_utils::TryParse;

use crate::event::{RawEvent, RawKind};
use crate::keymap::{KeyState, Keymap, track};

/// Capture failures.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The display cannot be opened.
    #[error("cannot open X display {display}: {message}")]
    Display {
        /// The display name.
        display: String,
        /// Why.
        message: String,
    },
    /// The server lacks the RECORD extension.
    #[error(
        "X display {0} has no RECORD extension: start Xvfb/Xorg with it (it is on by default; \
         check `xdpyinfo -queryExtensions | grep RECORD`)"
    )]
    NoRecord(String),
    /// A protocol error.
    #[error("RECORD on {display}: {message}")]
    Protocol {
        /// The display name.
        display: String,
        /// Why.
        message: String,
    },
}

const START_OF_DATA: u8 = 4;
const FROM_SERVER: u8 = 0;
const FROM_CLIENT: u8 = 1;
const CHANGE_KEYBOARD_MAPPING: u8 = 100;

/// A running capture.
pub struct Capture {
    display: String,
    ctrl: RustConnection,
    context: u32,
    thread: Option<JoinHandle<Result<(), CaptureError>>>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("display", &self.display)
            .finish_non_exhaustive()
    }
}

impl Capture {
    /// Starts capturing on `display`; returns once the server has started sending data, so that
    /// every input after this call is captured.
    pub fn start(display: &str, tx: Sender<RawEvent>) -> Result<Self, CaptureError> {
        let perr = |e: &dyn std::fmt::Display| CaptureError::Protocol {
            display: display.to_string(),
            message: e.to_string(),
        };
        let derr = |e: &dyn std::fmt::Display| CaptureError::Display {
            display: display.to_string(),
            message: e.to_string(),
        };
        let (ctrl, screen) = x11rb::connect(Some(display)).map_err(|e| derr(&e))?;
        let (data, _) = x11rb::connect(Some(display)).map_err(|e| derr(&e))?;
        if ctrl
            .extension_information(record::X11_EXTENSION_NAME)
            .map_err(|e| perr(&e))?
            .is_none()
        {
            return Err(CaptureError::NoRecord(display.to_string()));
        }
        ctrl.record_query_version(1, 13)
            .map_err(|e| perr(&e))?
            .reply()
            .map_err(|e| perr(&e))?;

        let setup = ctrl.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let km = ctrl
            .get_keyboard_mapping(min, max - min + 1)
            .map_err(|e| perr(&e))?
            .reply()
            .map_err(|e| perr(&e))?;
        let keymap = Keymap::new(min, km.keysyms_per_keycode, km.keysyms);
        let root = setup.roots.get(screen).map(|s| s.root).unwrap_or_default();
        // Lock state at the start (Lock = bit 1; Num Lock is Mod2 on every common layout).
        let mask = ctrl
            .query_pointer(root)
            .map_err(|e| perr(&e))?
            .reply()
            .map(|r| u16::from(r.mask))
            .unwrap_or(0);
        let state = KeyState {
            caps: mask & 0x02 != 0,
            num: mask & 0x10 != 0,
            ..KeyState::default()
        };

        let context = ctrl.generate_id().map_err(|e| perr(&e))?;
        let empty = record::Range8 { first: 0, last: 0 };
        let empty_ext = record::ExtRange {
            major: empty,
            minor: record::Range16 { first: 0, last: 0 },
        };
        let range = record::Range {
            core_requests: record::Range8 {
                first: CHANGE_KEYBOARD_MAPPING,
                last: CHANGE_KEYBOARD_MAPPING,
            },
            core_replies: empty,
            ext_requests: empty_ext,
            ext_replies: empty_ext,
            delivered_events: empty,
            device_events: record::Range8 {
                first: xproto::KEY_PRESS_EVENT,
                last: xproto::MOTION_NOTIFY_EVENT,
            },
            errors: empty,
            client_started: false,
            client_died: false,
        };
        ctrl.record_create_context(context, 0, &[record::CS::ALL_CLIENTS.into()], &[range])
            .map_err(|e| perr(&e))?
            .check()
            .map_err(|e| perr(&e))?;

        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let name = display.to_string();
        let thread = std::thread::Builder::new()
            .name("record-capture".into())
            .spawn(move || read_stream(&name, &data, context, keymap, state, &tx, &ready_tx))
            .map_err(|e| perr(&e))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Capture {
                display: display.to_string(),
                ctrl,
                context,
                thread: Some(thread),
            }),
            Ok(Err(m)) => Err(perr(&m)),
            Err(_) => match thread.join() {
                Ok(Err(e)) => Err(e),
                _ => Err(perr(&"the capture thread ended before recording started")),
            },
        }
    }

    /// Stops capturing and waits for the reader thread.
    pub fn stop(mut self) -> Result<(), CaptureError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), CaptureError> {
        let perr = |e: &dyn std::fmt::Display| CaptureError::Protocol {
            display: self.display.clone(),
            message: e.to_string(),
        };
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        self.ctrl
            .record_disable_context(self.context)
            .map_err(|e| perr(&e))?;
        self.ctrl.sync().map_err(|e| perr(&e))?;
        let res = thread
            .join()
            .unwrap_or_else(|_| Err(perr(&"the capture thread panicked")));
        let _ = self.ctrl.record_free_context(self.context);
        let _ = self.ctrl.flush();
        res
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn read_stream(
    display: &str,
    data: &RustConnection,
    context: u32,
    mut keymap: Keymap,
    mut state: KeyState,
    tx: &Sender<RawEvent>,
    ready: &Sender<Result<(), String>>,
) -> Result<(), CaptureError> {
    let perr = |e: &dyn std::fmt::Display| CaptureError::Protocol {
        display: display.to_string(),
        message: e.to_string(),
    };
    let replies = match data.record_enable_context(context) {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return Err(perr(&e));
        }
    };
    for reply in replies {
        let reply = reply.map_err(|e| perr(&e))?;
        if reply.client_swapped {
            continue; // a client of the other byte order: its requests cannot be read here
        }
        match reply.category {
            START_OF_DATA => {
                let _ = ready.send(Ok(()));
            }
            FROM_SERVER => {
                let mut rest = &reply.data[..];
                while rest.len() >= 32 {
                    if let Some(e) = parse_device_event(&rest[..32], &keymap, &mut state) {
                        // The receiver gone means the recording is over.
                        if tx.send(e).is_err() {
                            return Ok(());
                        }
                    }
                    rest = &rest[32..];
                }
            }
            FROM_CLIENT => {
                let mut rest = &reply.data[..];
                while rest.len() >= 4 {
                    let len = usize::from(u16::from_ne_bytes([rest[2], rest[3]])) * 4;
                    if len < 4 || len > rest.len() {
                        break;
                    }
                    if rest[0] == CHANGE_KEYBOARD_MAPPING && len >= 8 {
                        let (count, first, per) = (rest[1], rest[4], rest[5]);
                        let syms: Vec<u32> = rest[8..len]
                            .chunks_exact(4)
                            .take(usize::from(count) * usize::from(per))
                            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                            .collect();
                        keymap.change(first, per, &syms);
                    }
                    rest = &rest[len..];
                }
            }
            _ => {} // end of data and client lifecycle categories
        }
    }
    Ok(())
}

fn parse_device_event(b: &[u8], keymap: &Keymap, state: &mut KeyState) -> Option<RawEvent> {
    let p = |x: i16, y: i16| Point {
        x: i32::from(x),
        y: i32::from(y),
    };
    match b[0] & 0x7f {
        xproto::KEY_PRESS_EVENT => {
            let (e, _) = xproto::KeyPressEvent::try_parse(b).ok()?;
            let key = keymap.resolve(e.detail, *state);
            let mods = state.mods;
            track(state, keymap.base(e.detail), true);
            Some(RawEvent {
                t: e.time,
                kind: RawKind::KeyDown { key, mods },
            })
        }
        xproto::KEY_RELEASE_EVENT => {
            let (e, _) = xproto::KeyReleaseEvent::try_parse(b).ok()?;
            track(state, keymap.base(e.detail), false);
            let key = keymap.resolve(e.detail, *state);
            Some(RawEvent {
                t: e.time,
                kind: RawKind::KeyUp { key },
            })
        }
        xproto::BUTTON_PRESS_EVENT => {
            let (e, _) = xproto::ButtonPressEvent::try_parse(b).ok()?;
            Some(RawEvent {
                t: e.time,
                kind: RawKind::ButtonDown {
                    button: e.detail,
                    at: p(e.root_x, e.root_y),
                    mods: state.mods,
                },
            })
        }
        xproto::BUTTON_RELEASE_EVENT => {
            let (e, _) = xproto::ButtonReleaseEvent::try_parse(b).ok()?;
            Some(RawEvent {
                t: e.time,
                kind: RawKind::ButtonUp {
                    button: e.detail,
                    at: p(e.root_x, e.root_y),
                },
            })
        }
        xproto::MOTION_NOTIFY_EVENT => {
            let (e, _) = xproto::MotionNotifyEvent::try_parse(b).ok()?;
            Some(RawEvent {
                t: e.time,
                kind: RawKind::Motion {
                    at: p(e.root_x, e.root_y),
                },
            })
        }
        _ => None,
    }
}
