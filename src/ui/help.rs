//! The `?` popup: every key and mouse action, then what the symbols mean.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use ratatui::crossterm::event::KeyCode;

use super::Theme;
use crate::model::view::{Action, View};

/// What a binding does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Does {
    /// An action of the view.
    Act(Action),
    /// Ctrl-C: quit at once.
    Interrupt,
    /// Ctrl-Z: step out to the shell.
    Suspend,
    /// Ctrl-L: draw the screen again.
    Redraw,
    /// The mouse: the key map reads it from where it points (help only).
    Pointer,
}

/// A key (or the mouse), what it does, and how the help says it.
pub struct Binding {
    /// How the help and the README name the keys.
    pub shown: &'static str,
    /// The keys (with Control when `control`); none for the mouse.
    pub keys: &'static [KeyCode],
    pub control: bool,
    pub does: Does,
    pub help: &'static str,
}

const fn key(
    shown: &'static str,
    keys: &'static [KeyCode],
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        shown,
        keys,
        control: false,
        does: Does::Act(action),
        help,
    }
}

const fn control(
    shown: &'static str,
    key: &'static [KeyCode],
    does: Does,
    help: &'static str,
) -> Binding {
    Binding {
        shown,
        keys: key,
        control: true,
        does,
        help,
    }
}

const fn pointer(shown: &'static str, help: &'static str) -> Binding {
    Binding {
        shown,
        keys: &[],
        control: false,
        does: Does::Pointer,
        help,
    }
}

use KeyCode::Char;

/// Every key the dashboard understands: the one table the key map
/// ([`crate::app`]'s) and this popup both read (and the README lists).
pub const KEYS: &[Binding] = &[
    key(
        "↑ ↓  j k",
        &[KeyCode::Up, Char('k')],
        Action::Up,
        "select a download (or scroll the focused pane)",
    ),
    key("", &[KeyCode::Down, Char('j')], Action::Down, ""),
    key(
        "g G Home End",
        &[KeyCode::Home, Char('g')],
        Action::First,
        "first / last (in the poem pane End follows a poem as it grows)",
    ),
    key("", &[KeyCode::End, Char('G')], Action::Last, ""),
    key(
        "PgUp PgDn",
        &[KeyCode::PageUp],
        Action::PageUp,
        "scroll a page",
    ),
    key("", &[KeyCode::PageDown], Action::PageDown, ""),
    pointer("mouse wheel", "scroll the pane under the pointer"),
    pointer("click", "select a row"),
    key(
        "Tab",
        &[KeyCode::Tab],
        Action::FocusNext,
        "move focus: table → poem → log",
    ),
    key(
        "r",
        &[Char('r')],
        Action::Retry,
        "retry the selected download (a running one restarts)",
    ),
    key(
        "R",
        &[Char('R')],
        Action::RetryFailed,
        "retry every failed or cancelled download",
    ),
    key(
        "c",
        &[Char('c')],
        Action::Cancel,
        "cancel the selected download",
    ),
    key(
        "C",
        &[Char('C')],
        Action::CancelAll,
        "cancel all (asks first when more than one is going)",
    ),
    key(
        "space",
        &[Char(' ')],
        Action::TogglePause,
        "pause the selected download, or resume it (the server is held back; a queued one waits)",
    ),
    key(
        "P",
        &[Char('P')],
        Action::TogglePauseAll,
        "pause every download that has not ended, or resume them all",
    ),
    key(
        "a",
        &[Char('a')],
        Action::OpenAdd,
        "add servers while running: PORT, HOST:PORT or NAME=ADDRESS, several at once (Enter adds, Esc cancels)",
    ),
    key(
        "/",
        &[Char('/')],
        Action::OpenFind,
        "find rows whose name or address contains the text (Enter keeps it; Esc clears it, there or later in the table)",
    ),
    key(
        "s",
        &[Char('s')],
        Action::CycleSort,
        "cycle sort: given, state, rate, slowest first",
    ),
    key(
        "f",
        &[Char('f')],
        Action::CycleFilter,
        "cycle filter: all, active, complete, failed, cancelled",
    ),
    key(
        "v",
        &[Char('v')],
        Action::ToggleGallery,
        "gallery of finished poems (PgUp/PgDn pages)",
    ),
    key(
        "o",
        &[Char('o')],
        Action::ToggleOriginal,
        "poem pane: the poem as downloaded, or as --transform changed it",
    ),
    key(
        "p",
        &[Char('p')],
        Action::ToggleOverlay,
        "performance overlay: frame time, frames/s, event lag",
    ),
    key("?", &[Char('?')], Action::ToggleHelp, "this help"),
    key(
        "q",
        &[Char('q')],
        Action::Quit,
        "quit (a popup closes first; with downloads going, press q again or y)",
    ),
    key(
        "Esc",
        &[KeyCode::Esc],
        Action::Back,
        "back out: close a popup, clear a kept search, back to the table; never quits",
    ),
    key(
        "y",
        &[Char('y')],
        Action::Confirm,
        "yes to the question in the footer (quit, cancel all)",
    ),
    control(
        "Ctrl-C",
        &[Char('c')],
        Does::Interrupt,
        "quit at once, exit status 130",
    ),
    control("Ctrl-L", &[Char('l')], Does::Redraw, "redraw the screen"),
    control(
        "Ctrl-Z",
        &[Char('z')],
        Does::Suspend,
        "suspend to the shell (downloads are held); fg comes back",
    ),
];

/// What `code` (with Control when `control`) does, from [`KEYS`].
pub fn binding(code: KeyCode, control: bool) -> Option<Does> {
    KEYS.iter()
        .find(|b| b.control == control && b.keys.contains(&code))
        .map(|b| b.does)
}

/// What the symbols and marks mean: at 80 columns they are all the header
/// and the rows show.
pub const LEGEND: &[(&str, &str)] = &[
    ("·", "queued: waiting for a connection slot (-j)"),
    ("○", "connecting"),
    ("◌", "waiting: connected, no byte yet"),
    ("▸", "receiving (in the header: active downloads)"),
    ("‖", "paused: every clock of it stands still"),
    ("↻", "retrying: waiting out the backoff"),
    ("⇄", "transforming: the poem is at a --transform server"),
    ("✓", "complete (untransformed: a --transform step failed)"),
    ("∅", "empty: the server closed without a byte"),
    ("✗", "failed (refused, or another error)"),
    ("◷", "timed out: connect, idle or --timeout"),
    ("✂", "truncated: the connection was reset"),
    ("▲", "too large: past --max-bytes"),
    ("?", "no such host"),
    ("⊘", "cancelled"),
    (
        "*",
        "after bytes: a partial poem (kept, and saved as .partial)",
    ),
    ("! !!", "a clock past half, or four fifths, of its limit"),
    ("^X", "a control character the server sent, shown visibly"),
];

/// One row of the popup: a heading, a blank, or a key's lead (its name, or
/// the indent under it) and words.
enum HelpRow {
    Heading(&'static str),
    Blank,
    Key(String, String),
}

/// Every key, its words wrapped under it where the popup is narrow (never
/// cut), then the symbols: the popup's rows for a popup `width` wide.
fn help_rows(width: u16) -> Vec<HelpRow> {
    let text_width = usize::from(width.saturating_sub(2));
    let mut rows = Vec::new();
    let keys: Vec<(&str, &str)> = KEYS
        .iter()
        .filter(|b| !b.shown.is_empty())
        .map(|b| (b.shown, b.help))
        .collect();
    let legend = std::iter::once(("", "")).chain(LEGEND.iter().copied());
    for (i, (key, what)) in keys.iter().copied().chain(legend).enumerate() {
        if i == keys.len() + 1 {
            rows.push(HelpRow::Heading(" Symbols"));
        }
        if key.is_empty() {
            rows.push(HelpRow::Blank);
            continue;
        }
        let key = format!(" {key:<13}");
        let indent = key.chars().count();
        let mut wrapped = Vec::new();
        crate::text::wrap(
            what,
            text_width.saturating_sub(indent).max(8),
            usize::MAX,
            &mut wrapped,
        );
        for (i, part) in wrapped.into_iter().enumerate() {
            let lead = if i == 0 {
                key.clone()
            } else {
                " ".repeat(indent)
            };
            rows.push(HelpRow::Key(lead, part));
        }
    }
    rows
}

/// Where the popup goes over `area`, and the rows of it that show.
fn popup(area: Rect, rows: usize) -> (Rect, usize) {
    let width = 70.min(area.width);
    let height = (rows as u16 + 2).min(area.height);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup);
    (popup, usize::from(height.saturating_sub(2)))
}

/// Before drawing: the rows on screen (keys page by them), and the scroll
/// kept within the popup's rows.
pub fn measure(area: Rect, view: &mut View) {
    let rows = help_rows(70.min(area.width)).len();
    let (_, shown) = popup(area, rows);
    view.help_height = shown;
    view.help_scroll = view.help_scroll.min(rows.saturating_sub(shown));
}

/// The popup over `area`, scrolled to `view.help_scroll` as measured.
pub fn draw(frame: &mut Frame, area: Rect, view: &View, theme: &Theme) {
    let rows: Vec<Line> = help_rows(70.min(area.width))
        .into_iter()
        .map(|row| match row {
            HelpRow::Heading(text) => Line::from(Span::styled(text, theme.title())),
            HelpRow::Blank => Line::default(),
            HelpRow::Key(lead, words) => {
                Line::from(vec![Span::styled(lead, theme.key()), Span::raw(words)])
            }
        })
        .collect();
    let (popup, shown) = popup(area, rows.len());
    let above = view.help_scroll;
    let below = rows.len().saturating_sub(view.help_scroll + shown);
    let lines: Vec<Line> = rows.into_iter().skip(above).take(shown).collect();
    let mut title = vec![Span::styled(" Keys ", theme.title())];
    if above > 0 {
        title.push(Span::styled(format!("↑{above} more "), theme.warning()));
    }
    if below > 0 {
        title.push(Span::styled(format!("↓{below} more "), theme.warning()));
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Line::from(title))
                .title_bottom(" ↑↓ scroll · ? q Esc close ")
                .border_style(theme.border(true)),
        ),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_symbols_follow_the_keys_after_a_blank_row() {
        let rows = help_rows(70);
        let heading = rows
            .iter()
            .position(|row| matches!(row, HelpRow::Heading(" Symbols")))
            .expect("the symbols' heading");
        assert!(matches!(rows[heading - 1], HelpRow::Blank));
        assert!(
            matches!(rows[heading - 2], HelpRow::Key(..)),
            "the keys end"
        );
        assert!(
            rows[..heading - 1]
                .iter()
                .all(|row| matches!(row, HelpRow::Key(..))),
            "nothing else among the keys"
        );
    }

    #[test]
    fn the_popup_is_its_rows_and_borders_when_they_fit() {
        let big = Rect::new(0, 0, 200, 60);
        let (area, shown) = popup(big, 10);
        assert_eq!((area.width, area.height, shown), (70, 12, 10));
        let small = Rect::new(0, 0, 50, 8);
        let (area, shown) = popup(small, 10);
        assert_eq!((area.width, area.height, shown), (50, 8, 6));
    }
}
