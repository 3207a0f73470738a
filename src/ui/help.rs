//! The `?` popup: every key and mouse action.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::Theme;

/// Every key the dashboard understands, as the README lists them.
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "select a download (or scroll the focused pane)"),
    ("g  G", "first / last"),
    ("PgUp PgDn", "scroll a page"),
    ("mouse wheel", "scroll the pane under the pointer"),
    ("click", "select a row"),
    ("Tab", "move focus: table → poem → log"),
    ("r", "retry the selected download (a running one restarts)"),
    ("R", "retry every failed or cancelled download"),
    ("c", "cancel the selected download"),
    ("C", "cancel all"),
    ("s", "cycle sort: given, state, rate, slowest first"),
    ("f", "cycle filter: all, active, complete, failed"),
    ("v", "gallery of finished poems (PgUp/PgDn pages)"),
    ("p", "performance overlay: frame time, frames/s, event lag"),
    ("?", "this help"),
    ("q  Esc", "quit (Esc closes a popup first)"),
    ("Ctrl-C", "quit at once, exit status 130"),
];

pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme) {
    let width = 70.min(area.width);
    let height = (KEYS.len() as u16 + 2).min(area.height);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup);
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!(" {key:<12}"), theme.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(" Keys ", theme.title()))
                .title_bottom(" ? or Esc to close ")
                .border_style(theme.border(true)),
        ),
        popup,
    );
}
