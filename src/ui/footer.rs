//! The bottom line: the keys that matter most here. `? help` and `q quit`
//! always stay; the other hints drop by priority as the terminal narrows.
//! While a prompt is open (`a`, `/`) the line is the prompt, and says the
//! keys that work there instead (`q` types a q).

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::fit::keep;
use crate::model::view::{Prompt, PromptKind, View};
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
        ("↑↓", "select".into(), 12),
        ("Tab", "pane".into(), 4),
        ("r", "retry".into(), 11),
        ("R", "all failed".into(), 2),
        ("c", "cancel".into(), 10),
        ("C", "all".into(), 1),
        ("space", "pause".into(), 8),
        ("a", "add".into(), 9),
        ("/", "find".into(), 7),
        ("s", format!("sort:{}", view.sort.label()), 6),
        ("f", format!("filter:{}", view.filter.label()), 5),
        ("v", "gallery".into(), 3),
    ]
}

/// The open prompt: what it is for, the text (its end, when long), a
/// cursor, the error if Enter refused it, and its keys at the right.
fn draw_prompt(frame: &mut Frame, area: Rect, prompt: &Prompt, theme: &Theme) {
    let (label, enter) = match prompt.kind {
        PromptKind::Add => ("add: ", "add"),
        PromptKind::Find => ("find: ", "keep"),
    };
    let keys = Line::from(vec![
        Span::styled("Enter", theme.key()),
        Span::raw(format!(" {enter}  ")),
        Span::styled("Esc", theme.key()),
        Span::raw(" cancel "),
    ]);
    let error = prompt.error.as_deref().map(|e| format!("  {e}"));
    let room = (area.width as usize)
        .saturating_sub(super::fit::width(&keys) + label.width() + 3)
        .saturating_sub(
            error
                .as_ref()
                .map_or(0, |e| e.width().min(area.width as usize / 2)),
        );
    // The end of the text is where typing happens: a long paste shows its
    // last characters, marked as cut.
    let clean = crate::text::sanitize(&prompt.text).text;
    let mut shown: Vec<char> = clean.chars().rev().take(room).collect();
    if shown.len() < clean.chars().count() && !shown.is_empty() {
        shown.pop();
        shown.push('…');
    }
    let shown: String = shown.into_iter().rev().collect();
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(label, theme.title()),
        Span::raw(shown),
        Span::styled("█", theme.key()),
    ];
    if let Some(error) = error {
        let room = (area.width as usize / 2).max(1);
        let error: String = error.chars().take(room).collect();
        spans.push(Span::styled(error, theme.bad()));
    }
    let used = super::fit::width(&Line::from(spans.clone()));
    let gap = (area.width as usize).saturating_sub(used + super::fit::width(&keys));
    spans.push(Span::raw(" ".repeat(gap)));
    spans.extend(keys.spans);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn draw(frame: &mut Frame, area: Rect, view: &View, now: Instant, theme: &Theme) {
    if let Some(prompt) = &view.prompt {
        draw_prompt(frame, area, prompt, theme);
        return;
    }
    let fixed = Line::from(vec![
        Span::styled("?", theme.key()),
        Span::raw(" help  "),
        Span::styled("q", theme.key()),
        Span::raw(" quit "),
    ]);
    // A space before the hints and two between them and the fixed part.
    let room = (area.width as usize).saturating_sub(super::fit::width(&fixed) + 3);
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
