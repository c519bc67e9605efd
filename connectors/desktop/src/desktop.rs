//! The platform-neutral desktop surface.

use image::RgbaImage;

use crate::error::DesktopError;

/// A point in screen pixels (origin top left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Horizontal pixel.
    pub x: i32,
    /// Vertical pixel.
    pub y: i32,
}

/// A mouse button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseButton {
    /// Primary button.
    Left,
    /// Secondary button.
    Right,
    /// Middle button.
    Middle,
}

/// A modifier held during a key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    /// Control.
    Ctrl,
    /// Shift.
    Shift,
    /// Alt.
    Alt,
    /// Super / Windows / Meta.
    Super,
}

/// A non-modifier key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyName {
    /// Return / Enter.
    Return,
    /// Tab.
    Tab,
    /// Escape.
    Escape,
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// Home.
    Home,
    /// End.
    End,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Space bar.
    Space,
    /// Function key F1–F12.
    F(u8),
    /// A character key (e.g. the `s` of `ctrl+s`).
    Char(char),
}

/// A key with the modifiers held while it is pressed, e.g. `ctrl+shift+s`, `Return`, `alt+F4`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCombo {
    /// Modifiers, pressed in order and released in reverse.
    pub modifiers: Vec<Modifier>,
    /// The key.
    pub key: KeyName,
}

impl KeyCombo {
    /// Parses `mod+mod+key` (case-insensitive names; a single character is a character key).
    pub fn parse(text: &str) -> Result<Self, DesktopError> {
        let err = |message: &str| DesktopError::KeyCombo {
            combo: text.to_string(),
            message: message.to_string(),
        };
        let parts: Vec<&str> = text.split('+').map(str::trim).collect();
        let Some((last, mods)) = parts.split_last() else {
            return Err(err("empty"));
        };
        let mut modifiers = Vec::new();
        for m in mods {
            modifiers.push(match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => Modifier::Ctrl,
                "shift" => Modifier::Shift,
                "alt" => Modifier::Alt,
                "super" | "win" | "meta" | "cmd" => Modifier::Super,
                "" => return Err(err("empty modifier")),
                _ => return Err(err(&format!("unknown modifier {m:?}"))),
            });
        }
        let lower = last.to_ascii_lowercase();
        let key = match lower.as_str() {
            "" => return Err(err("missing key")),
            "return" | "enter" => KeyName::Return,
            "tab" => KeyName::Tab,
            "escape" | "esc" => KeyName::Escape,
            "backspace" => KeyName::Backspace,
            "delete" | "del" => KeyName::Delete,
            "home" => KeyName::Home,
            "end" => KeyName::End,
            "pageup" | "page_up" | "prior" => KeyName::PageUp,
            "pagedown" | "page_down" | "next" => KeyName::PageDown,
            "up" => KeyName::Up,
            "down" => KeyName::Down,
            "left" => KeyName::Left,
            "right" => KeyName::Right,
            "space" => KeyName::Space,
            _ => {
                let mut chars = last.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyName::Char(c),
                    _ => match lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                        Some(n @ 1..=12) => KeyName::F(n),
                        _ => return Err(err(&format!("unknown key {last:?}"))),
                    },
                }
            }
        };
        Ok(KeyCombo { modifiers, key })
    }
}

/// A top-level window as the desktop reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowInfo {
    /// The platform's window handle (an X11 window id).
    pub id: u64,
    /// The title (`_NET_WM_NAME`, else `WM_NAME`).
    pub title: String,
    /// The class (`WM_CLASS` instance and class, joined by a dot).
    pub class: String,
    /// Left edge of the window's content on the screen.
    pub x: i32,
    /// Top edge of the window's content on the screen.
    pub y: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl WindowInfo {
    /// Whether `title` (case-insensitive substring) and `class` (exact, case-insensitive, either
    /// part of WM_CLASS) both match where given.
    pub fn matches(&self, title: Option<&str>, class: Option<&str>) -> bool {
        let t_ok = title.is_none_or(|t| self.title.to_lowercase().contains(&t.to_lowercase()));
        let c_ok = class.is_none_or(|c| {
            self.class
                .split('.')
                .any(|part| part.eq_ignore_ascii_case(c))
        });
        t_ok && c_ok && (title.is_some() || class.is_some())
    }
}

/// What replay needs from a desktop. Implementations own their display connection.
pub trait Desktop {
    /// Width and height of the (first) screen in pixels.
    fn screen_size(&mut self) -> Result<(u32, u32), DesktopError>;
    /// Captures the whole screen.
    fn capture(&mut self) -> Result<RgbaImage, DesktopError>;
    /// Moves the pointer.
    fn move_to(&mut self, at: Point) -> Result<(), DesktopError>;
    /// Moves the pointer and clicks once.
    fn click(&mut self, at: Point, button: MouseButton) -> Result<(), DesktopError>;
    /// Moves the pointer and double-clicks the left button.
    fn double_click(&mut self, at: Point) -> Result<(), DesktopError>;
    /// Types text (any Unicode) into the focused window.
    fn type_text(&mut self, text: &str) -> Result<(), DesktopError>;
    /// Presses a key combination.
    fn key(&mut self, combo: &KeyCombo) -> Result<(), DesktopError>;
    /// Presses the left button at `from`, moves to `to` in steps and releases it there.
    fn drag(&mut self, from: Point, to: Point) -> Result<(), DesktopError>;
    /// Turns the wheel by notches at the pointer (positive `dy` scrolls down, `dx` right).
    fn scroll(&mut self, dx: i32, dy: i32) -> Result<(), DesktopError>;
    /// The visible top-level windows, bottom to top.
    fn windows(&mut self) -> Result<Vec<WindowInfo>, DesktopError>;
    /// Raises a window and gives it the keyboard focus.
    fn focus_window(&mut self, id: u64) -> Result<(), DesktopError>;
    /// The window that has the keyboard focus (or, where the keyboard follows the pointer, the
    /// top-level window under the pointer), if any.
    fn active_window(&mut self) -> Result<Option<WindowInfo>, DesktopError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn matches_windows_by_title_and_class() {
        let w = WindowInfo {
            id: 1,
            title: "Payments entry".into(),
            class: "form_app.Tk".into(),
            x: 0,
            y: 0,
            width: 10,
            height: 10,
        };
        assert!(w.matches(Some("payments"), None));
        assert!(w.matches(None, Some("tk")));
        assert!(w.matches(Some("Entry"), Some("form_app")));
        assert!(!w.matches(Some("Ledger"), None));
        assert!(!w.matches(Some("Payments"), Some("Zenity")));
        assert!(!w.matches(None, None));
    }

    #[test]
    fn parses_combos() {
        let c = KeyCombo::parse("ctrl+s").unwrap();
        assert_eq!(c.modifiers, vec![Modifier::Ctrl]);
        assert_eq!(c.key, KeyName::Char('s'));
        assert_eq!(KeyCombo::parse("Return").unwrap().key, KeyName::Return);
        assert_eq!(KeyCombo::parse("Tab").unwrap().modifiers, vec![]);
        let c = KeyCombo::parse("Ctrl+Shift+F4").unwrap();
        assert_eq!(c.modifiers, vec![Modifier::Ctrl, Modifier::Shift]);
        assert_eq!(c.key, KeyName::F(4));
        assert!(KeyCombo::parse("ctrl+").is_err());
        assert!(KeyCombo::parse("hyper+x").is_err());
        assert!(KeyCombo::parse("F13").is_err());
    }
}
