//! The X11 backend: XTEST input through `enigo` (x11rb backend), capture with `x11rb` `GetImage`.

use enigo::{Axis, Button, Coordinate, Direction, Enigo, Key, Keyboard, Mouse, Settings};
use image::RgbaImage;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ClientMessageEvent, ConfigureWindowAux, ConnectionExt as _, EventMask,
    ImageFormat, InputFocus, MapState, StackMode, Window,
};
use x11rb::rust_connection::RustConnection;

use crate::desktop::{Desktop, KeyCombo, KeyName, Modifier, MouseButton, Point, WindowInfo};
use crate::error::DesktopError;

/// A desktop on an X11 display (a session or an [`crate::Xvfb`]).
pub struct X11Desktop {
    display: String,
    enigo: Enigo,
    conn: RustConnection,
    root: Window,
    width: u16,
    height: u16,
    bits_per_pixel: u8,
}

impl std::fmt::Debug for X11Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Desktop")
            .field("display", &self.display)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

fn input_err(e: impl std::fmt::Display) -> DesktopError {
    DesktopError::Input(e.to_string())
}

impl X11Desktop {
    /// Opens the named display (e.g. `:94`), both for input and for capture.
    pub fn open(display: &str) -> Result<Self, DesktopError> {
        let derr = |message: String| DesktopError::Display {
            display: display.to_string(),
            message,
        };
        let (conn, screen_num) = x11rb::connect(Some(display)).map_err(|e| derr(e.to_string()))?;
        let setup = conn.setup();
        let screen = setup
            .roots
            .get(screen_num)
            .ok_or_else(|| derr(format!("no screen {screen_num}")))?;
        let (root, width, height, depth) = (
            screen.root,
            screen.width_in_pixels,
            screen.height_in_pixels,
            screen.root_depth,
        );
        let bits_per_pixel = setup
            .pixmap_formats
            .iter()
            .find(|f| f.depth == depth)
            .map(|f| f.bits_per_pixel)
            .ok_or_else(|| derr(format!("no pixmap format for depth {depth}")))?;
        if bits_per_pixel != 32 || depth < 24 {
            return Err(derr(format!(
                "unsupported root depth {depth} / {bits_per_pixel} bits per pixel (need 24 or 32 / 32)"
            )));
        }
        let settings = Settings {
            x11_display: Some(display.to_string()),
            ..Settings::default()
        };
        let enigo = Enigo::new(&settings).map_err(|e| derr(format!("input: {e}")))?;
        Ok(X11Desktop {
            display: display.to_string(),
            enigo,
            conn,
            root,
            width,
            height,
            bits_per_pixel,
        })
    }

    /// The display name this desktop talks to.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// Waits until the server has processed everything sent so far, then 15 ms for clients.
    fn settle(&mut self) {
        if let Ok(cookie) = self.conn.get_input_focus() {
            let _ = cookie.reply();
        }
        std::thread::sleep(std::time::Duration::from_millis(15));
    }

    fn hold(&mut self, modifiers: &[Modifier], direction: Direction) -> Result<(), DesktopError> {
        for m in modifiers {
            let key = match m {
                Modifier::Ctrl => Key::Control,
                Modifier::Shift => Key::Shift,
                Modifier::Alt => Key::Alt,
                Modifier::Super => Key::Meta,
            };
            self.enigo.key(key, direction).map_err(input_err)?;
        }
        Ok(())
    }
}

/// The focus "window" value PointerRoot (X11 protocol constant 1).
const POINTER_ROOT_FOCUS: Window = 1;

fn x_err(e: impl std::fmt::Display) -> DesktopError {
    DesktopError::Window(e.to_string())
}

impl X11Desktop {
    fn atom(&self, name: &str) -> Result<Atom, DesktopError> {
        Ok(self
            .conn
            .intern_atom(false, name.as_bytes())
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?
            .atom)
    }

    fn prop_bytes(&self, win: Window, prop: Atom, ty: Atom) -> Result<Vec<u8>, DesktopError> {
        let reply = self
            .conn
            .get_property(false, win, prop, ty, 0, 4096)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        Ok(reply.value)
    }

    /// The window manager's client list (bottom to top), or `None` without an EWMH manager.
    fn client_list(&self) -> Result<Option<Vec<Window>>, DesktopError> {
        let prop = self.atom("_NET_CLIENT_LIST_STACKING")?;
        let reply = self
            .conn
            .get_property(false, self.root, prop, AtomEnum::WINDOW, 0, 4096)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        Ok(reply
            .value32()
            .map(|v| v.collect::<Vec<_>>())
            .filter(|v| !v.is_empty()))
    }

    fn describe(&self, win: Window) -> Result<Option<WindowInfo>, DesktopError> {
        let Ok(attrs) = self.conn.get_window_attributes(win).map_err(x_err)?.reply() else {
            return Ok(None); // destroyed meanwhile
        };
        if attrs.map_state != MapState::VIEWABLE || attrs.override_redirect {
            return Ok(None);
        }
        let utf8 = self.atom("UTF8_STRING")?;
        let net_name = self.atom("_NET_WM_NAME")?;
        let mut title =
            String::from_utf8_lossy(&self.prop_bytes(win, net_name, utf8)?).into_owned();
        if title.is_empty() {
            title = String::from_utf8_lossy(&self.prop_bytes(
                win,
                AtomEnum::WM_NAME.into(),
                AtomEnum::STRING.into(),
            )?)
            .into_owned();
        }
        let class_raw = self.prop_bytes(win, AtomEnum::WM_CLASS.into(), AtomEnum::STRING.into())?;
        if title.is_empty() && class_raw.is_empty() {
            return Ok(None);
        }
        let class = class_raw
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect::<Vec<_>>()
            .join(".");
        let Ok(geo) = self.conn.get_geometry(win).map_err(x_err)?.reply() else {
            return Ok(None);
        };
        let Ok(pos) = self
            .conn
            .translate_coordinates(win, self.root, 0, 0)
            .map_err(x_err)?
            .reply()
        else {
            return Ok(None);
        };
        Ok(Some(WindowInfo {
            id: u64::from(win),
            title,
            class,
            x: i32::from(pos.dst_x),
            y: i32::from(pos.dst_y),
            width: u32::from(geo.width),
            height: u32::from(geo.height),
        }))
    }
}

fn enigo_key(key: KeyName) -> Key {
    match key {
        KeyName::Return => Key::Return,
        KeyName::Tab => Key::Tab,
        KeyName::Escape => Key::Escape,
        KeyName::Backspace => Key::Backspace,
        KeyName::Delete => Key::Delete,
        KeyName::Home => Key::Home,
        KeyName::End => Key::End,
        KeyName::PageUp => Key::PageUp,
        KeyName::PageDown => Key::PageDown,
        KeyName::Up => Key::UpArrow,
        KeyName::Down => Key::DownArrow,
        KeyName::Left => Key::LeftArrow,
        KeyName::Right => Key::RightArrow,
        KeyName::Space => Key::Space,
        KeyName::F(n) => match n {
            1 => Key::F1,
            2 => Key::F2,
            3 => Key::F3,
            4 => Key::F4,
            5 => Key::F5,
            6 => Key::F6,
            7 => Key::F7,
            8 => Key::F8,
            9 => Key::F9,
            10 => Key::F10,
            11 => Key::F11,
            _ => Key::F12,
        },
        KeyName::Char(c) => Key::Unicode(c),
    }
}

impl Desktop for X11Desktop {
    fn screen_size(&mut self) -> Result<(u32, u32), DesktopError> {
        Ok((u32::from(self.width), u32::from(self.height)))
    }

    fn capture(&mut self) -> Result<RgbaImage, DesktopError> {
        let cerr = |e: &dyn std::fmt::Display| DesktopError::Capture(e.to_string());
        let reply = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                0,
                0,
                self.width,
                self.height,
                u32::MAX,
            )
            .map_err(|e| cerr(&e))?
            .reply()
            .map_err(|e| cerr(&e))?;
        debug_assert_eq!(self.bits_per_pixel, 32);
        let (w, h) = (u32::from(self.width), u32::from(self.height));
        let need = w as usize * h as usize * 4;
        if reply.data.len() < need {
            return Err(cerr(&format!(
                "short image: {} bytes for {w}x{h}",
                reply.data.len()
            )));
        }
        // Z_PIXMAP at 32 bpp on a little-endian server: B, G, R, pad.
        let mut rgba = Vec::with_capacity(need);
        for px in reply.data[..need].chunks_exact(4) {
            rgba.extend_from_slice(&[px[2], px[1], px[0], 255]);
        }
        RgbaImage::from_raw(w, h, rgba).ok_or_else(|| cerr(&"image buffer size"))
    }

    fn move_to(&mut self, at: Point) -> Result<(), DesktopError> {
        self.enigo
            .move_mouse(at.x, at.y, Coordinate::Abs)
            .map_err(input_err)
    }

    fn click(&mut self, at: Point, button: MouseButton) -> Result<(), DesktopError> {
        self.move_to(at)?;
        let b = match button {
            MouseButton::Left => Button::Left,
            MouseButton::Right => Button::Right,
            MouseButton::Middle => Button::Middle,
        };
        self.enigo.button(b, Direction::Click).map_err(input_err)
    }

    fn double_click(&mut self, at: Point) -> Result<(), DesktopError> {
        self.move_to(at)?;
        self.enigo
            .button(Button::Left, Direction::Click)
            .map_err(input_err)?;
        self.enigo
            .button(Button::Left, Direction::Click)
            .map_err(input_err)
    }

    fn type_text(&mut self, text: &str) -> Result<(), DesktopError> {
        if text.is_empty() {
            return Ok(());
        }
        // The error never carries the text: it may be a secret.
        let fail =
            |_| DesktopError::Input(format!("typing {} characters failed", text.chars().count()));
        // Characters outside letters, digits and space may be typed through a keycode enigo
        // remaps for them; an application that reads the new mapping late drops or mistypes
        // them (seen with '&' under Tk). Each such character goes alone, after a round trip and
        // a short pause, so the mapping change is processed before its key press.
        let mut run = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() || c == ' ' {
                run.push(c);
                continue;
            }
            if !run.is_empty() {
                self.enigo.text(&run).map_err(fail)?;
                run.clear();
            }
            self.settle();
            self.enigo.text(c.encode_utf8(&mut [0; 4])).map_err(fail)?;
            self.settle();
        }
        if !run.is_empty() {
            self.enigo.text(&run).map_err(fail)?;
        }
        Ok(())
    }

    fn key(&mut self, combo: &KeyCombo) -> Result<(), DesktopError> {
        self.hold(&combo.modifiers, Direction::Press)?;
        let res = self
            .enigo
            .key(enigo_key(combo.key), Direction::Click)
            .map_err(input_err);
        let mods: Vec<Modifier> = combo.modifiers.iter().rev().copied().collect();
        let release = self.hold(&mods, Direction::Release);
        res.and(release)
    }

    fn drag(&mut self, from: Point, to: Point) -> Result<(), DesktopError> {
        self.move_to(from)?;
        self.enigo
            .button(Button::Left, Direction::Press)
            .map_err(input_err)?;
        // Intermediate motion, so that toolkits see a drag and not a jump.
        let steps = 12;
        let mut res = Ok(());
        for i in 1..=steps {
            let p = Point {
                x: from.x + (to.x - from.x) * i / steps,
                y: from.y + (to.y - from.y) * i / steps,
            };
            res = self.move_to(p);
            if res.is_err() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(8));
        }
        let release = self
            .enigo
            .button(Button::Left, Direction::Release)
            .map_err(input_err);
        res.and(release)
    }

    fn scroll(&mut self, dx: i32, dy: i32) -> Result<(), DesktopError> {
        if dy != 0 {
            self.enigo.scroll(dy, Axis::Vertical).map_err(input_err)?;
        }
        if dx != 0 {
            self.enigo.scroll(dx, Axis::Horizontal).map_err(input_err)?;
        }
        Ok(())
    }

    fn windows(&mut self) -> Result<Vec<WindowInfo>, DesktopError> {
        let wins = match self.client_list()? {
            Some(list) => list,
            None => {
                // No window manager: the top-level windows are the root's children.
                self.conn
                    .query_tree(self.root)
                    .map_err(x_err)?
                    .reply()
                    .map_err(x_err)?
                    .children
            }
        };
        let mut out = Vec::new();
        for w in wins {
            if let Some(info) = self.describe(w)? {
                out.push(info);
            }
        }
        Ok(out)
    }

    fn focus_window(&mut self, id: u64) -> Result<(), DesktopError> {
        let win = Window::try_from(id).map_err(|_| x_err(format!("no X11 window {id:#x}")))?;
        if self.client_list()?.is_some() {
            // An EWMH window manager decides: ask it (source 2 = a pager/automation tool).
            let active = self.atom("_NET_ACTIVE_WINDOW")?;
            let event = ClientMessageEvent::new(32, win, active, [2, 0, 0, 0, 0]);
            self.conn
                .send_event(
                    false,
                    self.root,
                    EventMask::SUBSTRUCTURE_REDIRECT | EventMask::SUBSTRUCTURE_NOTIFY,
                    event,
                )
                .map_err(x_err)?;
        } else {
            // No window manager: the keyboard follows the pointer (PointerRoot), as it does for
            // clicks. Raise the window and put the pointer in it; setting the X focus on a
            // toplevel directly made Tk drop the first keystrokes typed after the next click.
            self.conn
                .configure_window(win, &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE))
                .map_err(x_err)?;
            self.conn
                .set_input_focus(
                    InputFocus::POINTER_ROOT,
                    POINTER_ROOT_FOCUS,
                    x11rb::CURRENT_TIME,
                )
                .map_err(x_err)?;
            if let Some(w) = self.describe(win)? {
                self.conn.flush().map_err(x_err)?;
                self.move_to(Point {
                    x: w.x + (w.width / 2) as i32,
                    y: w.y + (w.height / 2) as i32,
                })?;
            }
        }
        self.conn.flush().map_err(x_err)?;
        // Round trip so the request is processed before the next input event.
        self.conn
            .get_input_focus()
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        Ok(())
    }

    fn active_window(&mut self) -> Result<Option<WindowInfo>, DesktopError> {
        let wins = self.windows()?;
        if self.client_list()?.is_some() {
            let prop = self.atom("_NET_ACTIVE_WINDOW")?;
            let reply = self
                .conn
                .get_property(false, self.root, prop, AtomEnum::WINDOW, 0, 1)
                .map_err(x_err)?
                .reply()
                .map_err(x_err)?;
            let active = reply.value32().and_then(|mut v| v.next());
            return Ok(active.and_then(|a| wins.into_iter().find(|w| w.id == u64::from(a))));
        }
        let focus = self
            .conn
            .get_input_focus()
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?
            .focus;
        if focus > POINTER_ROOT_FOCUS {
            // The focus may be on a child: the top-level window that contains it.
            let mut w = focus;
            loop {
                if let Some(top) = wins.iter().find(|t| t.id == u64::from(w)) {
                    return Ok(Some(top.clone()));
                }
                let tree = self
                    .conn
                    .query_tree(w)
                    .map_err(x_err)?
                    .reply()
                    .map_err(x_err)?;
                if tree.parent == self.root || tree.parent == x11rb::NONE {
                    return Ok(None);
                }
                w = tree.parent;
            }
        }
        // PointerRoot: the keyboard goes to the top-level window under the pointer.
        let p = self
            .conn
            .query_pointer(self.root)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        let (px, py) = (i32::from(p.root_x), i32::from(p.root_y));
        Ok(wins.into_iter().rev().find(|w| {
            (w.x..w.x + w.width as i32).contains(&px) && (w.y..w.y + w.height as i32).contains(&py)
        }))
    }
}
