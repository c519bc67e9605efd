//! The X11 backend: XTEST input through `enigo` (x11rb backend), capture with `x11rb` `GetImage`.

use enigo::{Button, Coordinate, Direction, Enigo, Key, Keyboard, Mouse, Settings};
use image::RgbaImage;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, Window};
use x11rb::rust_connection::RustConnection;

use crate::desktop::{Desktop, KeyCombo, KeyName, Modifier, MouseButton, Point};
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
        self.enigo.text(text).map_err(|_| {
            DesktopError::Input(format!("typing {} characters failed", text.chars().count()))
        })
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
}
