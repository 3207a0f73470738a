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
    /// The screen must be drawn again (resize, focus regained).
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
        Event::Resize(..) | Event::FocusGained => Some(Input::Redraw),
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
