//! The `?` popup: every key and mouse action, then what the symbols mean.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::Theme;
use crate::model::view::View;

/// Every key the dashboard understands, as the README lists them.
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "select a download (or scroll the focused pane)"),
    (
        "g G Home End",
        "first / last (in the poem pane End follows a poem as it grows)",
    ),
    ("PgUp PgDn", "scroll a page"),
    ("mouse wheel", "scroll the pane under the pointer"),
    ("click", "select a row"),
    ("Tab", "move focus: table → poem → log"),
    ("r", "retry the selected download (a running one restarts)"),
    ("R", "retry every failed or cancelled download"),
    ("c", "cancel the selected download"),
    ("C", "cancel all (asks first when more than one is going)"),
    (
        "space",
        "pause the selected download, or resume it (the server is held back; a queued one waits)",
    ),
    (
        "P",
        "pause every download that has not ended, or resume them all",
    ),
    (
        "a",
        "add servers while running: PORT, HOST:PORT or NAME=ADDRESS, several at once (Enter adds, Esc cancels)",
    ),
    (
        "/",
        "find rows whose name or address contains the text (Enter keeps it; Esc clears it, there or later in the table)",
    ),
    ("s", "cycle sort: given, state, rate, slowest first"),
    (
        "f",
        "cycle filter: all, active, complete, failed, cancelled",
    ),
    ("v", "gallery of finished poems (PgUp/PgDn pages)"),
    ("p", "performance overlay: frame time, frames/s, event lag"),
    ("?", "this help"),
    (
        "q",
        "quit (a popup closes first; with downloads going, press q again or y)",
    ),
    (
        "Esc",
        "back out: close a popup, clear a kept search, back to the table; never quits",
    ),
    ("y", "yes to the question in the footer (quit, cancel all)"),
    ("Ctrl-C", "quit at once, exit status 130"),
    ("Ctrl-L", "redraw the screen"),
    (
        "Ctrl-Z",
        "suspend to the shell (downloads are held); fg comes back",
    ),
];

/// What the symbols and marks mean: at 80 columns they are all the header
/// and the rows show.
pub const LEGEND: &[(&str, &str)] = &[
    ("·", "queued: waiting for a connection slot (-j)"),
    ("○", "connecting"),
    ("◌", "waiting: connected, no byte yet"),
    ("▸", "receiving (in the header: active downloads)"),
    ("‖", "paused: every clock of it stands still"),
    ("↻", "retrying: waiting out the backoff"),
    ("✓", "complete"),
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
    let legend = std::iter::once(("", "")).chain(LEGEND.iter().copied());
    for (i, (key, what)) in KEYS.iter().copied().chain(legend).enumerate() {
        if i == KEYS.len() + 1 {
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
