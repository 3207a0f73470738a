//! From terminal input to [`Action`]s: the one place that knows which key
//! does what.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use crate::model::view::{Action, Focus, PromptInput};
use crate::ui::Areas;
use crate::ui::help::{Does, binding};

/// What one terminal event asks of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Action(Action),
    /// Typed into the open prompt.
    Prompt(PromptInput),
    /// Ctrl-C: quit at once, with the interrupted exit status.
    Interrupt,
    /// Ctrl-Z: step out to the shell until `fg`.
    Suspend,
    /// The screen must be drawn again (a resize, or Ctrl-L).
    Redraw,
}

/// Lines the mouse wheel scrolls per notch.
const WHEEL_LINES: i32 = 3;

/// `prompt_open`: a prompt takes the keys (a `q` typed there is a `q`).
pub fn input(event: &Event, areas: &Areas, prompt_open: bool) -> Option<Input> {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Press && prompt_open => prompt_key(key),
        Event::Paste(text) if prompt_open => Some(Input::Prompt(PromptInput::Text(text.clone()))),
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
                // A click on a pane focuses it, as Tab would.
                MouseEventKind::Down(MouseButton::Left) => {
                    Some(Input::Action(Action::Focus(pane?)))
                }
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

fn prompt_key(key: &KeyEvent) -> Option<Input> {
    let typed = if key.modifiers.contains(KeyModifiers::CONTROL) {
        match key.code {
            KeyCode::Char('c') => return Some(Input::Interrupt),
            KeyCode::Char('z') => return Some(Input::Suspend),
            KeyCode::Char('l') => return Some(Input::Redraw),
            KeyCode::Char('u') => PromptInput::Clear,
            KeyCode::Char('w') => PromptInput::DeleteWord,
            KeyCode::Char('a') => PromptInput::Home,
            KeyCode::Char('e') => PromptInput::End,
            _ => return None,
        }
    } else {
        match key.code {
            KeyCode::Char(c) => PromptInput::Text(c.to_string()),
            KeyCode::Backspace => PromptInput::Backspace,
            KeyCode::Delete => PromptInput::Delete,
            KeyCode::Left => PromptInput::Left,
            KeyCode::Right => PromptInput::Right,
            KeyCode::Home => PromptInput::Home,
            KeyCode::End => PromptInput::End,
            KeyCode::Enter => PromptInput::Enter,
            KeyCode::Esc => PromptInput::Esc,
            _ => return None,
        }
    };
    Some(Input::Prompt(typed))
}

fn key_input(key: &KeyEvent) -> Option<Input> {
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    let Some(does) = binding(key.code, control) else {
        return Some(Input::Action(Action::Other));
    };
    Some(match does {
        Does::Act(action) => Input::Action(action),
        Does::Interrupt => Input::Interrupt,
        Does::Suspend => Input::Suspend,
        Does::Redraw => Input::Redraw,
        Does::Pointer => return None,
    })
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
    fn a_key_bound_to_nothing_still_reaches_the_view() {
        // It answers no to the footer's question, as the footer promises.
        let areas = Areas::default();
        let pressed = |code| input(&key(code, KeyModifiers::NONE), &areas, false);
        assert_eq!(
            pressed(KeyCode::Char('x')),
            Some(Input::Action(Action::Other))
        );
        assert_eq!(pressed(KeyCode::F(7)), Some(Input::Action(Action::Other)));
    }

    #[test]
    fn an_open_prompt_takes_every_key() {
        let areas = Areas::default();
        let typed = |code| input(&key(code, KeyModifiers::NONE), &areas, true);
        // `q` types a q: it does not quit.
        assert_eq!(
            typed(KeyCode::Char('q')),
            Some(Input::Prompt(PromptInput::Text("q".into())))
        );
        assert_eq!(
            typed(KeyCode::Enter),
            Some(Input::Prompt(PromptInput::Enter))
        );
        assert_eq!(typed(KeyCode::Esc), Some(Input::Prompt(PromptInput::Esc)));
        assert_eq!(
            typed(KeyCode::Backspace),
            Some(Input::Prompt(PromptInput::Backspace))
        );
        let paste = Event::Paste("10000\n10001".into());
        assert_eq!(
            input(&paste, &areas, true),
            Some(Input::Prompt(PromptInput::Text("10000\n10001".into())))
        );
        // Ctrl-C still interrupts.
        assert_eq!(
            input(
                &key(KeyCode::Char('c'), KeyModifiers::CONTROL),
                &areas,
                true
            ),
            Some(Input::Interrupt)
        );
    }

    #[test]
    fn every_documented_key_does_something() {
        let areas = Areas::default();
        for c in "jkgGrRcCsfv?pqPa/ ".chars() {
            assert!(
                input(&key(KeyCode::Char(c), KeyModifiers::NONE), &areas, false).is_some(),
                "{c}"
            );
        }
        assert_eq!(
            input(
                &key(KeyCode::Char('c'), KeyModifiers::CONTROL),
                &areas,
                false
            ),
            Some(Input::Interrupt)
        );
        assert_eq!(
            input(&key(KeyCode::Esc, KeyModifiers::NONE), &areas, false),
            Some(Input::Action(Action::Back))
        );
        assert_eq!(
            input(&key(KeyCode::Char('x'), KeyModifiers::NONE), &areas, false),
            Some(Input::Action(Action::Other))
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
                "space" => plain(KeyCode::Char(' ')),
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
        for binding in crate::ui::help::KEYS {
            for name in binding.shown.split_whitespace() {
                if let Some(event) = named(name) {
                    assert!(
                        input(&event, &areas, false).is_some(),
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
            let does = input(&event, &areas, false);
            if !matches!(does, None | Some(Input::Action(Action::Other))) {
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
                &areas,
                false
            ),
            Some(Input::Action(Action::ClickRow(2)))
        );
        assert_eq!(
            input(&mouse(MouseEventKind::ScrollDown, 50, 15), &areas, false),
            Some(Input::Action(Action::Scroll(Focus::Log, 3)))
        );
        assert_eq!(
            input(&mouse(MouseEventKind::ScrollUp, 5, 30), &areas, false),
            None
        );
        // A click on the poem or the log focuses it.
        let click = |column, row| mouse(MouseEventKind::Down(MouseButton::Left), column, row);
        assert_eq!(
            input(&click(10, 15), &areas, false),
            Some(Input::Action(Action::Focus(Focus::Poem)))
        );
        assert_eq!(
            input(&click(50, 15), &areas, false),
            Some(Input::Action(Action::Focus(Focus::Log)))
        );
        assert_eq!(input(&click(5, 30), &areas, false), None);
    }
}
