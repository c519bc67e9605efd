//! Keycode → key resolution through the X keyboard mapping, purely: the capture keeps the
//! core keymap (updated from every `ChangeKeyboardMapping` request it sees, in stream order, so
//! that the scratch keycodes xdotool and enigo remap for a moment resolve to what was typed) and
//! the modifier and lock state, and asks [`Keymap::resolve`] what a press means.
//!
//! Level choice follows the core protocol rules: index 0/1 for the unshifted/shifted level,
//! 4/5 with AltGr (ISO_Level3_Shift or Mode_switch) held, a lone alphabetic keysym stands for its
//! lower/upper case pair, Caps Lock upper-cases letters only, Num Lock swaps keypad levels.

use crate::event::{Key, Mods, NamedKey};

/// Modifier and lock state tracked from key presses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyState {
    /// Modifiers held.
    pub mods: Mods,
    /// AltGr / Mode_switch held.
    pub level3: bool,
    /// Caps Lock on.
    pub caps: bool,
    /// Num Lock on.
    pub num: bool,
}

/// The core keyboard mapping: keysyms per keycode from `min_keycode`.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    min: u8,
    per: usize,
    syms: Vec<u32>,
}

const NO_SYMBOL: u32 = 0;

impl Keymap {
    /// A keymap as `GetKeyboardMapping` returns it.
    pub fn new(min_keycode: u8, keysyms_per_keycode: u8, keysyms: Vec<u32>) -> Self {
        Keymap {
            min: min_keycode,
            per: usize::from(keysyms_per_keycode.max(1)),
            syms: keysyms,
        }
    }

    /// Applies a `ChangeKeyboardMapping` (which may use another keysyms-per-keycode count).
    pub fn change(&mut self, first: u8, per: u8, keysyms: &[u32]) {
        let per = usize::from(per.max(1));
        for (i, chunk) in keysyms.chunks(per).enumerate() {
            let Some(code) = usize::from(first).checked_add(i) else {
                break;
            };
            let Some(at) = code.checked_sub(usize::from(self.min)) else {
                continue;
            };
            let start = at * self.per;
            if start + self.per > self.syms.len() {
                self.syms.resize(start + self.per, NO_SYMBOL);
            }
            for j in 0..self.per {
                self.syms[start + j] = chunk.get(j).copied().unwrap_or(NO_SYMBOL);
            }
        }
    }

    /// The keysyms of a keycode.
    pub fn syms(&self, keycode: u8) -> &[u32] {
        let Some(at) = usize::from(keycode).checked_sub(usize::from(self.min)) else {
            return &[];
        };
        self.syms
            .get(at * self.per..(at + 1) * self.per)
            .unwrap_or(&[])
    }

    /// The first keysym of a keycode (what the key is called).
    pub fn base(&self, keycode: u8) -> u32 {
        self.syms(keycode).first().copied().unwrap_or(NO_SYMBOL)
    }

    /// What pressing `keycode` in state `st` means.
    pub fn resolve(&self, keycode: u8, st: KeyState) -> Key {
        resolve(self.syms(keycode), st)
    }
}

/// What a key with these keysyms means in state `st`.
pub fn resolve(syms: &[u32], st: KeyState) -> Key {
    let at = |i: usize| syms.get(i).copied().unwrap_or(NO_SYMBOL);
    let s0 = at(0);
    if is_modifier(s0) {
        return Key::Modifier;
    }
    let (mut lo, mut hi) = if st.level3 && at(4) != NO_SYMBOL {
        (at(4), at(5))
    } else {
        (s0, at(1))
    };
    if hi == NO_SYMBOL {
        let c = keysym_char(lo);
        match c.map(|c| (c, c.to_lowercase().next(), c.to_uppercase().next())) {
            Some((_, Some(l), Some(u))) if l != u => {
                lo = char_keysym(l);
                hi = char_keysym(u);
            }
            _ => hi = lo,
        }
    }
    let keypad = is_keypad(hi);
    let letter = keysym_char(lo).is_some_and(char::is_alphabetic)
        && keysym_char(hi).is_some_and(|u| Some(u) != keysym_char(lo));
    let mut shifted = st.mods.shift;
    // Num Lock swaps keypad levels; Caps Lock upper-cases letters only.
    if (keypad && st.num) || (!keypad && letter && st.caps) {
        shifted = !shifted;
    }
    let chosen = if shifted { hi } else { lo };
    if let Some(n) = named(chosen) {
        return Key::Named(n);
    }
    if let Some(text) = keysym_char(chosen) {
        let base = keysym_char(s0).unwrap_or(text);
        return Key::Char { text, base };
    }
    if is_modifier(chosen) {
        return Key::Modifier;
    }
    Key::Other(chosen)
}

/// Shift, Control, Caps/Shift Lock, Meta, Alt, Super, Hyper, AltGr, Mode_switch, Num Lock.
pub fn is_modifier(sym: u32) -> bool {
    matches!(sym, 0xffe1..=0xffee | 0xfe01..=0xfe0f | 0xfe11 | 0xff7e | 0xff7f)
}

fn is_keypad(sym: u32) -> bool {
    (0xff80..=0xffbd).contains(&sym)
}

fn named(sym: u32) -> Option<NamedKey> {
    Some(match sym {
        0xff08 => NamedKey::BackSpace,
        0xff09 | 0xfe20 => NamedKey::Tab,
        0xff0d | 0xff8d => NamedKey::Return,
        0xff1b => NamedKey::Escape,
        0xffff | 0xff9f => NamedKey::Delete,
        0xff50 | 0xff95 => NamedKey::Home,
        0xff57 | 0xff9c => NamedKey::End,
        0xff55 | 0xff9a => NamedKey::PageUp,
        0xff56 | 0xff9b => NamedKey::PageDown,
        0xff51 | 0xff96 => NamedKey::Left,
        0xff52 | 0xff97 => NamedKey::Up,
        0xff53 | 0xff98 => NamedKey::Right,
        0xff54 | 0xff99 => NamedKey::Down,
        0xffbe..=0xffc9 => NamedKey::F(u8::try_from(sym - 0xffbe + 1).unwrap_or(1)),
        _ => return None,
    })
}

/// The character a keysym types: Latin-1, Unicode keysyms (0x01000000 + code point), keypad
/// characters and the euro sign; `None` for function keys and legacy non-Latin-1 keysyms.
pub fn keysym_char(sym: u32) -> Option<char> {
    match sym {
        0x20..=0x7e | 0xa0..=0xff => char::from_u32(sym),
        0x0100_0100..=0x0110_ffff => char::from_u32(sym - 0x0100_0000),
        0xff80 => Some(' '),
        0xffaa => Some('*'),
        0xffab => Some('+'),
        0xffac => Some(','),
        0xffad => Some('-'),
        0xffae => Some('.'),
        0xffaf => Some('/'),
        0xffb0..=0xffb9 => char::from_u32(sym - 0xffb0 + u32::from('0')),
        0xffbd => Some('='),
        0x20ac => Some('€'),
        _ => None,
    }
}

/// The keysym of a character (Latin-1 directly, else the Unicode keysym).
pub fn char_keysym(c: char) -> u32 {
    let cp = u32::from(c);
    if (0x20..=0x7e).contains(&cp) || (0xa0..=0xff).contains(&cp) {
        cp
    } else {
        0x0100_0000 + cp
    }
}

/// Tracks modifiers and locks from presses and releases of modifier keys (RECORD's device
/// events carry no reliable state field).
pub fn track(st: &mut KeyState, base_sym: u32, down: bool) {
    match base_sym {
        0xffe1 | 0xffe2 => st.mods.shift = down,
        0xffe3 | 0xffe4 => st.mods.ctrl = down,
        0xffe7..=0xffea => st.mods.alt = down,
        0xffeb..=0xffee => st.mods.super_ = down,
        0xfe03 | 0xff7e => st.level3 = down,
        0xffe5 if down => st.caps = !st.caps,
        0xff7f if down => st.num = !st.num,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(k: Key) -> Option<(char, char)> {
        match k {
            Key::Char { text, base } => Some((text, base)),
            _ => None,
        }
    }

    #[test]
    fn shift_and_caps_choose_the_level() {
        let a = [0x61, 0x41, 0x61, 0x41];
        let one = [0x31, 0x21, 0x31, 0x21];
        let plain = KeyState::default();
        let shift = KeyState {
            mods: Mods::SHIFT,
            ..plain
        };
        let caps = KeyState {
            caps: true,
            ..plain
        };
        assert_eq!(text(resolve(&a, plain)), Some(('a', 'a')));
        assert_eq!(text(resolve(&a, shift)), Some(('A', 'a')));
        assert_eq!(text(resolve(&one, shift)), Some(('!', '1')));
        assert_eq!(text(resolve(&a, caps)), Some(('A', 'a')));
        assert_eq!(
            text(resolve(&one, caps)),
            Some(('1', '1')),
            "caps: letters only"
        );
        let caps_shift = KeyState {
            caps: true,
            ..shift
        };
        assert_eq!(text(resolve(&a, caps_shift)), Some(('a', 'a')));
    }

    #[test]
    fn a_lone_keysym_stands_for_its_case_pair_and_unicode_keysyms_type_unicode() {
        // What xdotool/enigo bind to a scratch keycode for 'Ü' or '支'.
        let shift = KeyState {
            mods: Mods::SHIFT,
            ..KeyState::default()
        };
        assert_eq!(text(resolve(&[0xfc], shift)), Some(('Ü', 'ü')));
        assert_eq!(
            text(resolve(&[0x0100_652f], KeyState::default())),
            Some(('支', '支'))
        );
        assert_eq!(
            text(resolve(&[0x20ac, 0x20ac], KeyState::default())),
            Some(('€', '€'))
        );
    }

    #[test]
    fn altgr_uses_the_third_level() {
        let e = [0x65, 0x45, 0x65, 0x45, 0x20ac, 0xa2];
        let st = KeyState {
            level3: true,
            ..KeyState::default()
        };
        assert_eq!(text(resolve(&e, st)), Some(('€', 'e')));
    }

    #[test]
    fn named_keys_modifiers_and_keypad() {
        let st = KeyState::default();
        assert_eq!(resolve(&[0xff09, 0xfe20], st), Key::Named(NamedKey::Tab));
        let shift = KeyState {
            mods: Mods::SHIFT,
            ..st
        };
        assert_eq!(resolve(&[0xff09, 0xfe20], shift), Key::Named(NamedKey::Tab));
        assert_eq!(resolve(&[0xffc1], st), Key::Named(NamedKey::F(4)));
        assert_eq!(resolve(&[0xffe1], st), Key::Modifier);
        assert_eq!(resolve(&[0xff63], st), Key::Other(0xff63));
        let kp1 = [0xff9c, 0xffb1];
        assert_eq!(resolve(&kp1, st), Key::Named(NamedKey::End));
        let num = KeyState { num: true, ..st };
        assert_eq!(
            text(resolve(&kp1, num)),
            Some(('1', '1')).map(|(t, _)| (t, t))
        );
    }

    #[test]
    fn mapping_changes_apply_in_order() {
        let mut m = Keymap::new(8, 2, vec![0; 2 * 248]);
        m.change(38, 2, &[0x61, 0x41]);
        assert_eq!(text(m.resolve(38, KeyState::default())), Some(('a', 'a')));
        m.change(38, 1, &[0x0100_00fc + 0x100]);
        assert_eq!(m.syms(38), &[0x0100_01fc, 0]);
        m.change(38, 2, &[0, 0]);
        assert_eq!(m.resolve(38, KeyState::default()), Key::Other(0));
        assert_eq!(m.syms(3), &[] as &[u32]);
    }

    #[test]
    fn tracking_modifiers_and_locks() {
        let mut st = KeyState::default();
        track(&mut st, 0xffe3, true);
        track(&mut st, 0xffe9, true);
        assert!(st.mods.ctrl && st.mods.alt);
        track(&mut st, 0xffe3, false);
        assert!(!st.mods.ctrl);
        track(&mut st, 0xffe5, true);
        track(&mut st, 0xffe5, false);
        assert!(st.caps);
        track(&mut st, 0xffe5, true);
        assert!(!st.caps);
    }
}
