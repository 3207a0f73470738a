//! From terminal input to [`Action`]s: the one place that knows which key
//! does what.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use crate::model::view::{Action, Focus};
use crate::ui::Areas;

/// What one terminal event asks of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Action(Action),
    /// Ctrl-C: quit at once, with the interrupted exit status.
    Interrupt,
    /// The screen must be drawn again (a resize, or Ctrl-L).
    Redraw,
}

/// Lines the mouse wheel scrolls per notch.
const WHEEL_LINES: i32 = 3;

pub fn input(event: &Event, areas: &Areas) -> Option<Input> {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Press => key_input(key),
        Event::Mouse(mouse) => {
            let at = Position::new(mouse.column, mouse.row);
            let pane = pane_at(areas, at);
            match mouse.kind {
                MouseEventKind::ScrollUp => {
                    Some(Input::Action(Action::Scroll(pane?, -WHEEL_LINES)))
                }
                MouseEventKind::ScrollDown => {
                    Some(Input::Action(Action::Scroll(pane?, WHEEL_LINES)))
                }
                MouseEventKind::Down(MouseButton::Left) if areas.table_rows.contains(at) => Some(
                    Input::Action(Action::ClickRow((at.y - areas.table_rows.y) as usize)),
                ),
                _ => None,
            }
        }
        Event::Resize(..) => Some(Input::Redraw),
        _ => None,
    }
}

fn pane_at(areas: &Areas, at: Position) -> Option<Focus> {
    let inside = |area: Rect| area.contains(at);
    if inside(areas.table) {
        Some(Focus::Table)
    } else if inside(areas.poem) {
        Some(Focus::Poem)
    } else if inside(areas.log) {
        Some(Focus::Log)
    } else {
        None
    }
}

fn key_input(key: &KeyEvent) -> Option<Input> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') => Some(Input::Interrupt),
            KeyCode::Char('l') => Some(Input::Redraw),
            _ => None,
        };
    }
    let action = match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Home | KeyCode::Char('g') => Action::First,
        KeyCode::End | KeyCode::Char('G') => Action::Last,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Tab => Action::FocusNext,
        KeyCode::Char('r') => Action::Retry,
        KeyCode::Char('R') => Action::RetryFailed,
        KeyCode::Char('c') => Action::Cancel,
        KeyCode::Char('C') => Action::CancelAll,
        KeyCode::Char('s') => Action::CycleSort,
        KeyCode::Char('f') => Action::CycleFilter,
        KeyCode::Char('v') => Action::ToggleGallery,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('p') => Action::ToggleOverlay,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    };
    Some(Input::Action(action))
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyEventState, MouseEvent};

    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        })
    }

    #[test]
    fn every_documented_key_does_something() {
        let areas = Areas::default();
        for c in "jkgGrRcCsfv?pq".chars() {
            assert!(
                input(&key(KeyCode::Char(c), KeyModifiers::NONE), &areas).is_some(),
                "{c}"
            );
        }
        assert_eq!(
            input(&key(KeyCode::Char('c'), KeyModifiers::CONTROL), &areas),
            Some(Input::Interrupt)
        );
        assert_eq!(
            input(&key(KeyCode::Esc, KeyModifiers::NONE), &areas),
            Some(Input::Action(Action::Back))
        );
        assert_eq!(
            input(&key(KeyCode::Char('x'), KeyModifiers::NONE), &areas),
            None
        );
    }

    /// The help popup's list and the key map agree both ways: every key
    /// the help names does something, and every key that does something is
    /// in the help.
    #[test]
    fn the_help_lists_exactly_the_keys_of_the_key_map() {
        let areas = Areas::default();
        let named = |name: &str| -> Option<Event> {
            let plain = |code| Some(key(code, KeyModifiers::NONE));
            match name {
                "↑" => plain(KeyCode::Up),
                "↓" => plain(KeyCode::Down),
                "Home" => plain(KeyCode::Home),
                "End" => plain(KeyCode::End),
                "PgUp" => plain(KeyCode::PageUp),
                "PgDn" => plain(KeyCode::PageDown),
                "Tab" => plain(KeyCode::Tab),
                "Esc" => plain(KeyCode::Esc),
                "mouse" | "wheel" | "click" => None,
                ctrl if ctrl.starts_with("Ctrl-") => {
                    let c = ctrl.chars().last()?.to_ascii_lowercase();
                    Some(key(KeyCode::Char(c), KeyModifiers::CONTROL))
                }
                one if one.chars().count() == 1 => plain(KeyCode::Char(one.chars().next()?)),
                other => panic!("the help names a key the test does not know: {other}"),
            }
        };
        let mut in_help = Vec::new();
        for (keys, _) in crate::ui::help::KEYS {
            for name in keys.split_whitespace() {
                if let Some(event) = named(name) {
                    assert!(
                        input(&event, &areas).is_some(),
                        "{name} is in the help but does nothing"
                    );
                    in_help.push(format!("{event:?}"));
                }
            }
        }
        let mut every_key: Vec<Event> = (' '..='~')
            .map(|c| key(KeyCode::Char(c), KeyModifiers::NONE))
            .chain(('a'..='z').map(|c| key(KeyCode::Char(c), KeyModifiers::CONTROL)))
            .collect();
        for code in [
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Enter,
            KeyCode::Backspace,
            KeyCode::Delete,
            KeyCode::Insert,
            KeyCode::Esc,
        ] {
            every_key.push(key(code, KeyModifiers::NONE));
        }
        for event in every_key {
            if input(&event, &areas).is_some() {
                assert!(
                    in_help.contains(&format!("{event:?}")),
                    "{event:?} does something but the help does not list it"
                );
            }
        }
    }

    #[test]
    fn clicks_and_the_wheel_land_on_the_pane_under_the_pointer() {
        let areas = Areas {
            table: Rect::new(0, 1, 80, 10),
            table_rows: Rect::new(1, 3, 78, 7),
            poem: Rect::new(0, 11, 40, 10),
            log: Rect::new(40, 11, 40, 10),
        };
        let mouse = |kind, column, row| {
            Event::Mouse(MouseEvent {
                kind,
                column,
                row,
                modifiers: KeyModifiers::NONE,
            })
        };
        assert_eq!(
            input(
                &mouse(MouseEventKind::Down(MouseButton::Left), 5, 5),
                &areas
            ),
            Some(Input::Action(Action::ClickRow(2)))
        );
        assert_eq!(
            input(&mouse(MouseEventKind::ScrollDown, 50, 15), &areas),
            Some(Input::Action(Action::Scroll(Focus::Log, 3)))
        );
        assert_eq!(input(&mouse(MouseEventKind::ScrollUp, 5, 30), &areas), None);
    }
}
