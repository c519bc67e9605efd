//! Raw input events as the capture hands them to the coalescer: keys already resolved to
//! characters or named keys (with the modifiers held), buttons and motion in root coordinates,
//! each with the server's millisecond timestamp. The `Debug` form never shows a typed character:
//! these values travel through channels and could end up in a log while a secret is typed.

use docket_desktop::Point;

/// Modifiers held when a key or button went down.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Mods {
    /// Control.
    pub ctrl: bool,
    /// Shift.
    pub shift: bool,
    /// Alt (Mod1; not AltGr, which only selects characters).
    pub alt: bool,
    /// Super / Windows.
    pub super_: bool,
}

impl Mods {
    /// No modifier.
    pub const NONE: Mods = Mods {
        ctrl: false,
        shift: false,
        alt: false,
        super_: false,
    };
    /// Shift alone.
    pub const SHIFT: Mods = Mods {
        shift: true,
        ..Mods::NONE
    };
    /// Control alone.
    pub const CTRL: Mods = Mods {
        ctrl: true,
        ..Mods::NONE
    };

    /// Whether a modifier that turns a key into a command (ctrl, alt, super) is held.
    pub fn command(self) -> bool {
        self.ctrl || self.alt || self.super_
    }

    /// The `ctrl+alt+shift+super+` prefix of a key combo, in `KeyCombo::parse` spelling.
    pub fn prefix(self) -> String {
        let mut s = String::new();
        for (on, name) in [
            (self.ctrl, "ctrl+"),
            (self.alt, "alt+"),
            (self.shift, "shift+"),
            (self.super_, "super+"),
        ] {
            if on {
                s.push_str(name);
            }
        }
        s
    }
}

impl std::fmt::Debug for Mods {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.prefix();
        write!(f, "Mods({})", p.trim_end_matches('+'))
    }
}

/// Keys that are not characters, named as `docket_desktop::KeyCombo::parse` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedKey {
    /// Return / Enter (also keypad Enter).
    Return,
    /// Tab (also ISO_Left_Tab, which is shift+Tab).
    Tab,
    /// Escape.
    Escape,
    /// BackSpace.
    BackSpace,
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
    /// F1–F12.
    F(u8),
}

impl NamedKey {
    /// The name in a key step (`Tab`, `BackSpace`, `F4`).
    pub fn name(self) -> String {
        match self {
            NamedKey::Return => "Return".into(),
            NamedKey::Tab => "Tab".into(),
            NamedKey::Escape => "Escape".into(),
            NamedKey::BackSpace => "BackSpace".into(),
            NamedKey::Delete => "Delete".into(),
            NamedKey::Home => "Home".into(),
            NamedKey::End => "End".into(),
            NamedKey::PageUp => "PageUp".into(),
            NamedKey::PageDown => "PageDown".into(),
            NamedKey::Up => "Up".into(),
            NamedKey::Down => "Down".into(),
            NamedKey::Left => "Left".into(),
            NamedKey::Right => "Right".into(),
            NamedKey::F(n) => format!("F{n}"),
        }
    }
}

/// What a key press means.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A character: `text` is what the keyboard produced with the shift level held, `base` the
    /// unshifted character of the same key (for chords: `ctrl+shift+s`, not `ctrl+shift+S`).
    Char {
        /// The produced character.
        text: char,
        /// The key's unshifted character.
        base: char,
    },
    /// A named, non-character key.
    Named(NamedKey),
    /// A modifier key (Shift, Control, Alt, Super, AltGr, Caps Lock…): no step of its own.
    Modifier,
    /// A key a script cannot replay (Insert, Print, media keys): keysym number, for the notes.
    Other(u32),
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Never the character: it may be part of a secret.
            Key::Char { .. } => write!(f, "Char(…)"),
            Key::Named(n) => write!(f, "Named({n:?})"),
            Key::Modifier => write!(f, "Modifier"),
            Key::Other(k) => write!(f, "Other({k:#x})"),
        }
    }
}

/// One raw input event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    /// A key went down (auto-repeat gives several).
    KeyDown {
        /// The key.
        key: Key,
        /// Modifiers held at that moment (not counting this key).
        mods: Mods,
    },
    /// A key went up.
    KeyUp {
        /// The key.
        key: Key,
    },
    /// A mouse button went down (1 left, 2 middle, 3 right, 4/5 wheel up/down, 6/7 left/right).
    ButtonDown {
        /// X button number.
        button: u8,
        /// Pointer position (root coordinates).
        at: Point,
        /// Modifiers held.
        mods: Mods,
    },
    /// A mouse button went up.
    ButtonUp {
        /// X button number.
        button: u8,
        /// Pointer position.
        at: Point,
    },
    /// The pointer moved.
    Motion {
        /// Pointer position.
        at: Point,
    },
    /// The designer pressed the "next typing is a secret" hotkey.
    MarkSecret,
}

/// A raw event with the X server's timestamp in milliseconds (wraps after ~49 days; only
/// differences between neighbours are used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEvent {
    /// Server time, ms.
    pub t: u32,
    /// What happened.
    pub kind: RawKind,
}

impl RawEvent {
    /// Milliseconds from `earlier` to this event (wrapping-safe).
    pub fn since(&self, earlier: &RawEvent) -> u32 {
        self.t.wrapping_sub(earlier.t)
    }
}
