//! The bottom line: the keys that matter most, and the current sort and filter.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::model::view::View;

pub fn draw(frame: &mut Frame, area: Rect, view: &View, theme: &Theme) {
    let sort = format!("sort:{}", view.sort.label());
    let filter = format!("filter:{}", view.filter.label());
    let hints: [(&str, &str); 10] = [
        ("↑↓", "select"),
        ("Tab", "pane"),
        ("r", "retry"),
        ("R", "all failed"),
        ("c", "cancel"),
        ("C", "all"),
        ("s", &sort),
        ("f", &filter),
        ("v", "gallery"),
        ("?", "help"),
    ];
    let mut spans = Vec::new();
    for (key, what) in hints.iter().chain(&[("q", "quit")]) {
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
