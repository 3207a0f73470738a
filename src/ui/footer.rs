//! The bottom line: the keys that matter most here. `? help` and `q quit`
//! always stay; the other hints drop by priority as the terminal narrows.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::fit::keep;
use crate::model::view::View;
use unicode_width::UnicodeWidthStr;

/// The hints for what is on screen: (key, what, priority).
fn hints(view: &View) -> Vec<(&'static str, String, u8)> {
    if view.help {
        return vec![("↑↓", "scroll".into(), 5)];
    }
    if view.gallery {
        return vec![
            ("PgUp PgDn", "page".into(), 5),
            ("g G", "first/last".into(), 3),
            ("v Esc", "leave".into(), 4),
        ];
    }
    vec![
        ("↑↓", "select".into(), 9),
        ("Tab", "pane".into(), 4),
        ("r", "retry".into(), 8),
        ("R", "all failed".into(), 2),
        ("c", "cancel".into(), 7),
        ("C", "all".into(), 1),
        ("s", format!("sort:{}", view.sort.label()), 6),
        ("f", format!("filter:{}", view.filter.label()), 5),
        ("v", "gallery".into(), 3),
    ]
}

pub fn draw(frame: &mut Frame, area: Rect, view: &View, now: Instant, theme: &Theme) {
    let fixed = Line::from(vec![
        Span::styled("?", theme.key()),
        Span::raw(" help  "),
        Span::styled("q", theme.key()),
        Span::raw(" quit "),
    ]);
    let room = (area.width as usize).saturating_sub(super::fit::width(&fixed) + 1);
    let hints = hints(view);
    let sizes: Vec<(usize, u8)> = hints
        .iter()
        .map(|(key, what, priority)| (key.width() + 1 + what.width(), *priority))
        .collect();
    let kept = keep(&sizes, 2, room);
    let mut line = Line::default();
    if let Some(status) = view.status(now) {
        // What the last key did (or why it did nothing), for a moment.
        let status: String = status.chars().take(room).collect();
        line.spans.push(Span::styled(status, theme.warning()));
    }
    let hints = if line.spans.is_empty() {
        hints
    } else {
        Vec::new()
    };
    for ((key, what, _), _) in hints.iter().zip(&kept).filter(|(_, k)| **k) {
        if !line.spans.is_empty() {
            line.spans.push(Span::raw("  "));
        }
        line.spans.push(Span::styled(*key, theme.key()));
        line.spans.push(Span::raw(format!(" {what}")));
    }
    let mut spans = vec![Span::raw(" ")];
    spans.extend(line.spans);
    if spans.len() > 1 {
        spans.push(Span::raw("  "));
    }
    spans.extend(fixed.spans);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
