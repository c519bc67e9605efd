//! The coalescer: turns a raw event stream into script actions, purely (no X, no clock).
//!
//! - characters typed without ctrl/alt/super are merged into one `type` run; BackSpace inside a
//!   run removes the run's last character instead of becoming a step;
//! - chords (`ctrl+s`, `alt+F4`, `shift+Tab`) and named keys (Tab, Return, Escape, arrows…) are
//!   `key` steps; modifiers alone are nothing;
//! - a left press and release more than [`DRAG_PX`] apart is a `drag`; two left clicks within
//!   [`DOUBLE_MS`] and [`DOUBLE_PX`] are a `double_click`; a click repeating a double click or a
//!   right click within [`BOUNCE_MS`] at the same place is dropped as a bounce; button 3 is a
//!   `right_click`; the middle button has no step and is dropped with a note;
//! - wheel notches (buttons 4/5/6/7) in a row are one `scroll`; motion without a button is dropped;
//! - typing into a secret field (decided by the caller per clicked field, or by the
//!   [`RawKind::MarkSecret`] hotkey) becomes one [`Action::Secret`] carrying no character; editing
//!   keys inside that field (BackSpace, Delete, arrows, Home, End) are absorbed until the focus
//!   leaves (click, Tab, Return, Escape, alt/super chord).
//!
//! It must never put a typed character of a secret field into an action or a note.

use docket_desktop::Point;

use crate::event::{Key, Mods, NamedKey, RawEvent, RawKind};

/// A press and release farther apart than this (in px, either axis) is a drag.
pub const DRAG_PX: i32 = 5;
/// Two left clicks whose presses are at most this far apart in time are a double click.
pub const DOUBLE_MS: u32 = 400;
/// ... and at most this far apart in space (px, either axis).
pub const DOUBLE_PX: i32 = 4;
/// A click repeating a double click or a right click this soon at the same place is a bounce.
pub const BOUNCE_MS: u32 = 150;
/// Wheel notches closer than this in time (and [`SCROLL_PX`] in space) are one scroll.
pub const SCROLL_MS: u32 = 1000;
/// See [`SCROLL_MS`].
pub const SCROLL_PX: i32 = 20;

/// Which button a click step uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickButton {
    /// Left (button 1).
    Left,
    /// Right (button 3).
    Right,
}

/// One step of the recording, before anchors are attached. `press`/`release` are indices into
/// the event stream: the caller keeps what it captured at those events (screen, windows).
#[derive(Clone, PartialEq, Eq)]
pub enum Action {
    /// A click (`double` for a double click) at the press position.
    Click {
        /// Which button.
        button: ClickButton,
        /// Whether two clicks made it a double click.
        double: bool,
        /// Event index of the (first) press.
        press: usize,
        /// Where.
        at: Point,
    },
    /// Left button pressed at `from`, released at `to`.
    Drag {
        /// Event index of the press.
        press: usize,
        /// Event index of the release.
        release: usize,
        /// Press position.
        from: Point,
        /// Release position.
        to: Point,
    },
    /// Wheel notches (down and right positive).
    Scroll {
        /// Event index of the first notch.
        press: usize,
        /// Pointer position at the first notch.
        at: Point,
        /// Horizontal notches.
        dx: i32,
        /// Vertical notches.
        dy: i32,
    },
    /// Literal typed text.
    Type(String),
    /// Typing into a secret field: no characters kept. `field` is the press that focused it.
    Secret {
        /// Event index of the click on the field, when it was entered by a click.
        field: Option<usize>,
    },
    /// A key combination in `KeyCombo::parse` spelling.
    Key(String),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Click {
                button,
                double,
                press,
                at,
            } => write!(
                f,
                "Click({button:?}{}, #{press}, {},{})",
                if *double { " double" } else { "" },
                at.x,
                at.y
            ),
            Action::Drag { from, to, .. } => {
                write!(f, "Drag({},{} -> {},{})", from.x, from.y, to.x, to.y)
            }
            Action::Scroll { dx, dy, .. } => write!(f, "Scroll(dx {dx}, dy {dy})"),
            // Literal text is shown: it is not a secret (secrets never become Type).
            Action::Type(t) => write!(f, "Type({t:?})"),
            Action::Secret { field } => write!(f, "Secret(field {field:?})"),
            Action::Key(k) => write!(f, "Key({k})"),
        }
    }
}

/// The coalescer's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coalesced {
    /// The actions, in order.
    pub actions: Vec<Action>,
    /// What was dropped and why (never a typed character).
    pub notes: Vec<String>,
}

struct PendingPress {
    index: usize,
    t: u32,
    at: Point,
}

/// The last click, for double-click and bounce detection.
struct LastClick {
    action: usize,
    t: u32,
    at: Point,
}

struct State<'a> {
    out: Coalesced,
    run: Option<String>,
    /// The click that gave the focus to the current field, while no focus-moving key followed.
    field: Option<usize>,
    /// The designer marked the current field as secret.
    marked: bool,
    /// A secret action was emitted for the current field: edits are absorbed.
    in_secret: bool,
    absorbed: usize,
    pending: Option<PendingPress>,
    last_click: Option<LastClick>,
    last_wheel: Option<(usize, u32, Point)>,
    is_secret_field: &'a dyn Fn(usize) -> bool,
}

fn near(a: Point, b: Point, px: i32) -> bool {
    (a.x - b.x).abs() <= px && (a.y - b.y).abs() <= px
}

impl State<'_> {
    fn flush(&mut self) {
        if let Some(text) = self.run.take()
            && !text.is_empty()
        {
            self.out.actions.push(Action::Type(text));
        }
    }

    fn push(&mut self, a: Action) {
        self.flush();
        self.out.actions.push(a);
    }

    fn focus_left(&mut self) {
        self.field = None;
        self.marked = false;
        self.in_secret = false;
    }

    fn secret_here(&self) -> bool {
        self.marked || self.field.is_some_and(|f| (self.is_secret_field)(f))
    }

    fn key(&mut self, key: Key, mods: Mods) {
        match key {
            Key::Modifier => {}
            Key::Other(sym) => {
                self.flush();
                self.out.notes.push(format!(
                    "a key with keysym {sym:#x} has no name a script can replay: dropped"
                ));
            }
            Key::Char { text, base } if !mods.command() => {
                let _ = base;
                if self.secret_here() {
                    if !self.in_secret {
                        self.push(Action::Secret { field: self.field });
                        self.in_secret = true;
                    }
                } else {
                    self.run.get_or_insert_with(String::new).push(text);
                }
            }
            Key::Char { base, .. } => {
                let name = match base {
                    ' ' => "space".to_string(),
                    '+' => {
                        self.flush();
                        self.out.notes.push(format!(
                            "{}plus cannot be written as a key step: dropped",
                            mods.prefix()
                        ));
                        return;
                    }
                    c => c.to_lowercase().to_string(),
                };
                self.push(Action::Key(format!("{}{name}", mods.prefix())));
                if mods.alt || mods.super_ {
                    self.focus_left();
                }
            }
            Key::Named(n) => {
                let editing = matches!(
                    n,
                    NamedKey::BackSpace
                        | NamedKey::Delete
                        | NamedKey::Left
                        | NamedKey::Right
                        | NamedKey::Home
                        | NamedKey::End
                );
                if self.in_secret && editing && !mods.command() {
                    self.absorbed += 1;
                    return;
                }
                if n == NamedKey::BackSpace
                    && !mods.command()
                    && let Some(run) = &mut self.run
                    && run.pop().is_some()
                {
                    return;
                }
                let mods = if n == NamedKey::BackSpace && !mods.command() {
                    Mods::NONE // shift+BackSpace edits like BackSpace
                } else {
                    mods
                };
                self.push(Action::Key(format!("{}{}", mods.prefix(), n.name())));
                if matches!(n, NamedKey::Tab | NamedKey::Return | NamedKey::Escape)
                    || mods.alt
                    || mods.super_
                {
                    self.focus_left();
                }
            }
        }
    }

    fn left_release(&mut self, index: usize, at: Point) {
        let Some(p) = self.pending.take() else {
            return; // pressed before the recording started
        };
        self.focus_left();
        self.field = Some(p.index);
        if !near(p.at, at, DRAG_PX) {
            self.push(Action::Drag {
                press: p.index,
                release: index,
                from: p.at,
                to: at,
            });
            self.last_click = None;
            return;
        }
        let last_is_click = self
            .last_click
            .as_ref()
            .filter(|l| l.action + 1 == self.out.actions.len() && self.run.is_none())
            .filter(|l| near(l.at, p.at, DOUBLE_PX));
        if let Some(l) = last_is_click {
            let dt = p.t.wrapping_sub(l.t);
            let li = l.action;
            if let Some(Action::Click {
                button: ClickButton::Left,
                double,
                press,
                ..
            }) = self.out.actions.get_mut(li)
            {
                if !*double && dt <= DOUBLE_MS {
                    *double = true;
                    self.field = Some(*press);
                    self.last_click = Some(LastClick {
                        action: li,
                        t: p.t,
                        at: p.at,
                    });
                    return;
                }
                if *double && dt <= BOUNCE_MS {
                    self.field = Some(*press);
                    self.out
                        .notes
                        .push("a click repeating a double click at once: dropped".into());
                    return;
                }
            }
        }
        self.push(Action::Click {
            button: ClickButton::Left,
            double: false,
            press: p.index,
            at: p.at,
        });
        self.last_click = Some(LastClick {
            action: self.out.actions.len() - 1,
            t: p.t,
            at: p.at,
        });
    }

    fn right_press(&mut self, index: usize, t: u32, at: Point) {
        self.flush();
        if let Some(l) = &self.last_click
            && l.action + 1 == self.out.actions.len()
            && matches!(
                self.out.actions[l.action],
                Action::Click {
                    button: ClickButton::Right,
                    ..
                }
            )
            && near(l.at, at, DOUBLE_PX)
            && t.wrapping_sub(l.t) <= BOUNCE_MS
        {
            self.out
                .notes
                .push("a right click repeated at once: dropped".into());
            return;
        }
        self.focus_left();
        self.push(Action::Click {
            button: ClickButton::Right,
            double: false,
            press: index,
            at,
        });
        self.last_click = Some(LastClick {
            action: self.out.actions.len() - 1,
            t,
            at,
        });
    }

    fn wheel(&mut self, index: usize, t: u32, button: u8, at: Point) {
        self.flush();
        let (ddx, ddy) = match button {
            4 => (0, -1),
            5 => (0, 1),
            6 => (-1, 0),
            _ => (1, 0),
        };
        if let Some((ai, lt, lat)) = self.last_wheel
            && ai + 1 == self.out.actions.len()
            && t.wrapping_sub(lt) <= SCROLL_MS
            && near(lat, at, SCROLL_PX)
            && let Some(Action::Scroll { dx, dy, .. }) = self.out.actions.get_mut(ai)
        {
            *dx += ddx;
            *dy += ddy;
            self.last_wheel = Some((ai, t, at));
            return;
        }
        self.push(Action::Scroll {
            press: index,
            at,
            dx: ddx,
            dy: ddy,
        });
        self.last_wheel = Some((self.out.actions.len() - 1, t, at));
    }
}

/// Coalesces `events` into actions. `is_secret_field(press)` says whether the field clicked at
/// event index `press` takes a secret (its label says password/PIN, or the designer named it).
pub fn coalesce(events: &[RawEvent], is_secret_field: &dyn Fn(usize) -> bool) -> Coalesced {
    let mut s = State {
        out: Coalesced::default(),
        run: None,
        field: None,
        marked: false,
        in_secret: false,
        absorbed: 0,
        pending: None,
        last_click: None,
        last_wheel: None,
        is_secret_field,
    };
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            RawKind::Motion { .. } | RawKind::KeyUp { .. } => {}
            RawKind::KeyDown { key, mods } => s.key(key, mods),
            RawKind::MarkSecret => {
                s.flush();
                s.marked = true;
                s.in_secret = false;
            }
            RawKind::ButtonDown { button, at, .. } => match button {
                1 => {
                    s.flush();
                    s.pending = Some(PendingPress {
                        index: i,
                        t: e.t,
                        at,
                    });
                }
                3 => s.right_press(i, e.t, at),
                4..=7 => s.wheel(i, e.t, button, at),
                2 => {
                    s.flush();
                    s.out
                        .notes
                        .push("a middle click has no script step: dropped".into());
                }
                b => s
                    .out
                    .notes
                    .push(format!("mouse button {b} has no script step: dropped")),
            },
            RawKind::ButtonUp { button: 1, at } => s.left_release(i, at),
            RawKind::ButtonUp { .. } => {}
        }
    }
    s.flush();
    if let Some(p) = s.pending.take() {
        // Stopped with the button held: keep it as a click.
        s.out.actions.push(Action::Click {
            button: ClickButton::Left,
            double: false,
            press: p.index,
            at: p.at,
        });
    }
    if s.absorbed > 0 {
        s.out.notes.push(format!(
            "{} editing key(s) inside secret fields were absorbed into their secret steps",
            s.absorbed
        ));
    }
    s.out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::Mods;

    /// A synthetic event stream with a clock.
    struct Ev {
        t: u32,
        events: Vec<RawEvent>,
    }

    fn p(x: i32, y: i32) -> Point {
        Point { x, y }
    }

    fn ch(c: char) -> Key {
        let base = match c {
            '!' => '1',
            '@' => '2',
            c => c.to_ascii_lowercase(),
        };
        Key::Char { text: c, base }
    }

    impl Ev {
        fn new() -> Self {
            Ev {
                t: 1000,
                events: Vec::new(),
            }
        }
        fn at(mut self, dt: u32, kind: RawKind) -> Self {
            self.t += dt;
            self.events.push(RawEvent { t: self.t, kind });
            self
        }
        fn down(self, dt: u32, button: u8, x: i32, y: i32) -> Self {
            self.at(
                dt,
                RawKind::ButtonDown {
                    button,
                    at: p(x, y),
                    mods: Mods::NONE,
                },
            )
        }
        fn up(self, dt: u32, button: u8, x: i32, y: i32) -> Self {
            self.at(
                dt,
                RawKind::ButtonUp {
                    button,
                    at: p(x, y),
                },
            )
        }
        fn mv(self, dt: u32, x: i32, y: i32) -> Self {
            self.at(dt, RawKind::Motion { at: p(x, y) })
        }
        fn click(self, x: i32, y: i32) -> Self {
            self.mv(200, x, y).down(50, 1, x, y).up(60, 1, x, y)
        }
        fn key_with(self, key: Key, mods: Mods) -> Self {
            self.at(40, RawKind::KeyDown { key, mods })
                .at(30, RawKind::KeyUp { key })
        }
        fn named(self, n: NamedKey) -> Self {
            self.key_with(Key::Named(n), Mods::NONE)
        }
        /// Types like xdotool: shift pressed around upper-case and shifted characters.
        fn typ(mut self, text: &str) -> Self {
            for c in text.chars() {
                let shifted = c.is_ascii_uppercase() || "!@".contains(c);
                if shifted {
                    self = self.at(
                        20,
                        RawKind::KeyDown {
                            key: Key::Modifier,
                            mods: Mods::NONE,
                        },
                    );
                }
                self = self.key_with(ch(c), if shifted { Mods::SHIFT } else { Mods::NONE });
                if shifted {
                    self = self.at(10, RawKind::KeyUp { key: Key::Modifier });
                }
            }
            self
        }
        fn chord(self, mods: Mods, c: char) -> Self {
            self.at(
                30,
                RawKind::KeyDown {
                    key: Key::Modifier,
                    mods: Mods::NONE,
                },
            )
            .key_with(ch(c), mods)
            .at(10, RawKind::KeyUp { key: Key::Modifier })
        }
        fn run(&self) -> Coalesced {
            coalesce(&self.events, &|_| false)
        }
        fn run_secret(&self, secret_press: usize) -> Coalesced {
            coalesce(&self.events, &|i| i == secret_press)
        }
    }

    fn click_at(a: &Action) -> Option<(ClickButton, bool, i32, i32)> {
        match a {
            Action::Click {
                button, double, at, ..
            } => Some((*button, *double, at.x, at.y)),
            _ => None,
        }
    }

    fn ty(s: &str) -> Action {
        Action::Type(s.to_string())
    }
    fn key(s: &str) -> Action {
        Action::Key(s.to_string())
    }

    #[test]
    fn typed_runs_merge_and_keys_split_them() {
        let c = Ev::new()
            .click(100, 50)
            .typ("2026-03-01")
            .named(NamedKey::Tab)
            .typ("Hello World!")
            .named(NamedKey::Return)
            .run();
        assert_eq!(c.actions.len(), 5, "{:?}", c.actions);
        assert_eq!(
            click_at(&c.actions[0]),
            Some((ClickButton::Left, false, 100, 50))
        );
        assert_eq!(
            c.actions[1..],
            [
                ty("2026-03-01"),
                key("Tab"),
                ty("Hello World!"),
                key("Return")
            ]
        );
        assert!(c.notes.is_empty());
    }

    #[test]
    fn unicode_text_is_kept_whole() {
        let c = Ev::new()
            .key_with(ch('M'), Mods::SHIFT)
            .key_with(
                Key::Char {
                    text: 'ü',
                    base: 'ü',
                },
                Mods::NONE,
            )
            .key_with(ch('l'), Mods::NONE)
            .key_with(
                Key::Char {
                    text: '€',
                    base: 'e',
                },
                Mods::NONE,
            )
            .key_with(
                Key::Char {
                    text: '支',
                    base: '支',
                },
                Mods::NONE,
            )
            .run();
        assert_eq!(c.actions, [ty("Mül€支")]);
    }

    #[test]
    fn backspace_edits_the_run_and_is_a_key_outside_one() {
        let c = Ev::new()
            .typ("1200.0")
            .named(NamedKey::BackSpace)
            .named(NamedKey::BackSpace)
            .typ("50")
            .run();
        assert_eq!(c.actions, [ty("120050")]);
        // Erasing the whole run and more: the extra BackSpace is a key step; the empty run vanishes.
        let c = Ev::new()
            .typ("ab")
            .named(NamedKey::BackSpace)
            .named(NamedKey::BackSpace)
            .named(NamedKey::BackSpace)
            .typ("c")
            .run();
        assert_eq!(c.actions, [key("BackSpace"), ty("c")]);
        // shift+BackSpace edits like BackSpace.
        let c = Ev::new()
            .typ("ab")
            .key_with(Key::Named(NamedKey::BackSpace), Mods::SHIFT)
            .run();
        assert_eq!(c.actions, [ty("a")]);
    }

    #[test]
    fn chords_and_special_keys_become_key_steps() {
        let c = Ev::new()
            .typ("x")
            .chord(Mods::CTRL, 's')
            .chord(
                Mods {
                    ctrl: true,
                    shift: true,
                    ..Mods::NONE
                },
                'S',
            )
            .key_with(Key::Named(NamedKey::Tab), Mods::SHIFT)
            .key_with(
                Key::Named(NamedKey::F(4)),
                Mods {
                    alt: true,
                    ..Mods::NONE
                },
            )
            .named(NamedKey::Escape)
            .named(NamedKey::Left)
            .named(NamedKey::Up)
            .named(NamedKey::PageDown)
            .named(NamedKey::Delete)
            .chord(Mods::CTRL, ' ')
            .run();
        assert_eq!(
            c.actions,
            [
                ty("x"),
                key("ctrl+s"),
                key("ctrl+shift+s"),
                key("shift+Tab"),
                key("alt+F4"),
                key("Escape"),
                key("Left"),
                key("Up"),
                key("PageDown"),
                key("Delete"),
                key("ctrl+space"),
            ]
        );
        for a in &c.actions[1..] {
            let Action::Key(k) = a else { unreachable!() };
            docket_desktop::KeyCombo::parse(k).unwrap();
        }
    }

    #[test]
    fn modifiers_alone_and_unknown_keys_make_no_step() {
        let c = Ev::new()
            .key_with(Key::Modifier, Mods::NONE)
            .key_with(Key::Other(0xff63), Mods::NONE)
            .chord(Mods::CTRL, '+')
            .run();
        assert!(c.actions.is_empty(), "{:?}", c.actions);
        assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
        assert!(c.notes[0].contains("0xff63"));
    }

    #[test]
    fn a_press_moved_over_five_pixels_is_a_drag() {
        let c = Ev::new()
            .mv(100, 10, 10)
            .down(50, 1, 10, 10)
            .mv(20, 12, 11)
            .mv(20, 40, 30)
            .mv(20, 80, 90)
            .up(20, 1, 80, 90)
            .run();
        assert_eq!(c.actions.len(), 1);
        let Action::Drag {
            press,
            release,
            from,
            to,
        } = &c.actions[0]
        else {
            panic!("{:?}", c.actions)
        };
        assert_eq!((*press, *release), (1, 5));
        assert_eq!((from.x, from.y, to.x, to.y), (10, 10, 80, 90));
        // Five pixels is still a click (hand jitter).
        let c = Ev::new().down(50, 1, 10, 10).up(20, 1, 15, 14).run();
        assert_eq!(
            click_at(&c.actions[0]),
            Some((ClickButton::Left, false, 10, 10))
        );
    }

    #[test]
    fn two_quick_close_clicks_are_a_double_click() {
        let c = Ev::new()
            .down(100, 1, 50, 50)
            .up(60, 1, 50, 50)
            .down(120, 1, 52, 49)
            .up(60, 1, 52, 49)
            .run();
        assert_eq!(c.actions.len(), 1, "{:?}", c.actions);
        assert_eq!(
            click_at(&c.actions[0]),
            Some((ClickButton::Left, true, 50, 50))
        );
        // Too slow (press to press 450 ms): two clicks.
        let c = Ev::new()
            .down(100, 1, 50, 50)
            .up(60, 1, 50, 50)
            .down(390, 1, 50, 50)
            .up(60, 1, 50, 50)
            .run();
        assert_eq!(c.actions.len(), 2);
        // Too far (5 px): two clicks.
        let c = Ev::new()
            .down(100, 1, 50, 50)
            .up(60, 1, 50, 50)
            .down(100, 1, 55, 50)
            .up(60, 1, 55, 50)
            .run();
        assert_eq!(c.actions.len(), 2);
        // Typing in between: two clicks.
        let c = Ev::new()
            .down(100, 1, 50, 50)
            .up(10, 1, 50, 50)
            .key_with(ch('a'), Mods::NONE)
            .down(10, 1, 50, 50)
            .up(10, 1, 50, 50)
            .run();
        assert_eq!(c.actions.len(), 3, "{:?}", c.actions);
    }

    #[test]
    fn bounces_are_dropped() {
        // A third click right after a double click.
        let c = Ev::new()
            .down(100, 1, 50, 50)
            .up(40, 1, 50, 50)
            .down(60, 1, 50, 50)
            .up(40, 1, 50, 50)
            .down(60, 1, 50, 50)
            .up(40, 1, 50, 50)
            .run();
        assert_eq!(c.actions.len(), 1);
        assert_eq!(
            click_at(&c.actions[0]),
            Some((ClickButton::Left, true, 50, 50))
        );
        assert_eq!(c.notes.len(), 1);
        // A right click repeated within 150 ms.
        let c = Ev::new()
            .down(100, 3, 70, 70)
            .up(30, 3, 70, 70)
            .down(60, 3, 71, 70)
            .up(30, 3, 71, 70)
            .run();
        assert_eq!(c.actions.len(), 1);
        assert_eq!(
            click_at(&c.actions[0]),
            Some((ClickButton::Right, false, 70, 70))
        );
        // ... but not after 300 ms.
        let c = Ev::new()
            .down(100, 3, 70, 70)
            .up(30, 3, 70, 70)
            .down(300, 3, 70, 70)
            .up(30, 3, 70, 70)
            .run();
        assert_eq!(c.actions.len(), 2);
    }

    #[test]
    fn wheel_notches_merge_into_one_scroll() {
        let c = Ev::new()
            .mv(10, 300, 300)
            .down(100, 5, 300, 300)
            .up(5, 5, 300, 300)
            .down(80, 5, 301, 300)
            .up(5, 5, 301, 300)
            .down(80, 5, 302, 301)
            .up(5, 5, 302, 301)
            .down(80, 4, 302, 301)
            .up(5, 4, 302, 301)
            .down(80, 7, 302, 301)
            .up(5, 7, 302, 301)
            .run();
        assert_eq!(c.actions.len(), 1, "{:?}", c.actions);
        let Action::Scroll {
            press, at, dx, dy, ..
        } = c.actions[0]
        else {
            panic!()
        };
        assert_eq!((press, at.x, at.y, dx, dy), (1, 300, 300, 1, 2));
        // A pause of more than a second starts a new scroll; so does a click.
        let c = Ev::new()
            .down(10, 5, 0, 0)
            .down(1200, 5, 0, 0)
            .click(0, 0)
            .down(10, 6, 0, 0)
            .run();
        let kinds: Vec<String> = c
            .actions
            .iter()
            .map(|a| format!("{a:?}").chars().take(5).collect())
            .collect();
        assert_eq!(kinds, ["Scrol", "Scrol", "Click", "Scrol"]);
    }

    #[test]
    fn stray_motion_and_middle_clicks_make_no_step() {
        let c = Ev::new()
            .mv(10, 1, 1)
            .mv(10, 500, 400)
            .mv(10, 20, 30)
            .down(10, 2, 20, 30)
            .up(10, 2, 20, 30)
            .run();
        assert!(c.actions.is_empty());
        assert_eq!(c.notes.len(), 1);
        assert!(c.notes[0].contains("middle"));
    }

    #[test]
    fn a_release_without_its_press_is_ignored_and_a_held_button_is_a_click() {
        let c = Ev::new().up(10, 1, 5, 5).down(10, 1, 9, 9).run();
        assert_eq!(c.actions.len(), 1);
        assert_eq!(
            click_at(&c.actions[0]),
            Some((ClickButton::Left, false, 9, 9))
        );
    }

    #[test]
    fn typing_into_a_secret_field_keeps_no_character() {
        // Events: click on Date (press index 2), type, click on PIN (press at index p), type, save.
        let e = Ev::new().click(100, 50).typ("2026-03-01").mv(200, 100, 120);
        let pin_press = e.events.len() + 1; // after the motion of `click`
        let e = e
            .click(100, 120)
            .typ("4711")
            .named(NamedKey::BackSpace)
            .typ("2")
            .named(NamedKey::Left)
            .click(200, 160);
        let c = e.run_secret(pin_press);
        assert_eq!(c.actions.len(), 5, "{:?}", c.actions);
        assert_eq!(c.actions[1], ty("2026-03-01"));
        assert_eq!(
            c.actions[3],
            Action::Secret {
                field: Some(pin_press)
            }
        );
        assert!(matches!(c.actions[4], Action::Click { .. }));
        let all = format!("{:?} {:?}", c.actions, c.notes);
        assert!(!all.contains("4711") && !all.contains("471"), "{all}");
        assert!(c.notes.iter().any(|n| n.contains("2 editing key")));
        // Without the secret flag, the same stream is literal typing.
        let c = e.run();
        assert_eq!(c.actions[3], ty("4712"));
        assert_eq!(c.actions[4], key("Left"));
    }

    #[test]
    fn tab_leaves_the_secret_field_and_typing_after_it_is_literal() {
        let e = Ev::new().mv(10, 5, 5);
        let press = e.events.len() + 1;
        let c = e
            .click(5, 5)
            .typ("s3cr3t!")
            .named(NamedKey::Tab)
            .typ("ACME Ltd")
            .named(NamedKey::Return)
            .run_secret(press);
        assert_eq!(
            c.actions[1..],
            [
                Action::Secret { field: Some(press) },
                key("Tab"),
                ty("ACME Ltd"),
                key("Return")
            ]
        );
    }

    #[test]
    fn the_mark_secret_hotkey_makes_the_next_field_secret() {
        let c = Ev::new()
            .named(NamedKey::Tab)
            .at(20, RawKind::MarkSecret)
            .typ("hunter2")
            .named(NamedKey::Return)
            .typ("visible")
            .run();
        assert_eq!(
            c.actions,
            [
                key("Tab"),
                Action::Secret { field: None },
                key("Return"),
                ty("visible")
            ]
        );
    }

    #[test]
    fn ctrl_chords_inside_a_secret_field_stay_steps_but_the_secret_is_typed_once() {
        let e = Ev::new().mv(10, 5, 5);
        let press = e.events.len() + 1;
        let c = e
            .click(5, 5)
            .chord(Mods::CTRL, 'a')
            .typ("pw")
            .chord(Mods::CTRL, 'a')
            .typ("pw2")
            .run_secret(press);
        assert_eq!(
            c.actions[1..],
            [
                key("ctrl+a"),
                Action::Secret { field: Some(press) },
                key("ctrl+a"),
            ]
        );
    }

    #[test]
    fn debug_output_never_shows_raw_characters() {
        let e = Ev::new().typ("zq");
        let dbg = format!("{:?}", e.events);
        assert!(!dbg.contains('z') && !dbg.contains('q'), "{dbg}");
    }
}
