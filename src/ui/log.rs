//! The log pane: notable events, newest at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::Theme;
use crate::model::Model;
use crate::model::view::{Focus, View};
use crate::text;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, view: &mut View, theme: &Theme) {
    let block = Block::bordered();
    let inner = block.inner(area);
    view.log_height = inner.height as usize;
    let height = inner.height as usize;
    let width = inner.width as usize;
    // Each entry wrapped to the pane's width (a failure's reason is never
    // cut off), newest at the bottom.
    let rows_of = |index: usize| -> Vec<Line<'static>> {
        let entry = &model.log[index];
        let at = model
            .started
            .map(|s| entry.at.saturating_duration_since(s))
            .unwrap_or_default();
        let time = format!("{:>6} ", crate::units::since_start(at));
        let prefix = match entry.task {
            Some(task) => format!("{time}#{task} "),
            None => time.clone(),
        };
        // Wrapped rows hang under the message, past the time, so the times
        // stay a column of their own.
        let indent = time.len().min(width / 2);
        let mut rows = Vec::new();
        text::wrap(&format!("{prefix}{}", entry.message), width, 1, &mut rows);
        let mut lines: Vec<Line<'static>> = Vec::new();
        if let Some(row) = rows.first() {
            let rest = row.strip_prefix(prefix.trim_end()).unwrap_or(row);
            lines.push(Line::from(vec![
                Span::styled(prefix.trim_end().to_string(), theme.dim()),
                Span::styled(rest.to_string(), theme.log(entry.level)),
            ]));
        }
        // The rest of the message, wrapped again to the width after the
        // indent.
        let first_len = rows.first().map_or(0, String::len);
        let whole = format!("{prefix}{}", entry.message);
        let rest = whole.get(first_len..).unwrap_or("").trim_start();
        if !rest.is_empty() {
            let mut more = Vec::new();
            text::wrap(
                rest,
                width.saturating_sub(indent).max(1),
                usize::MAX,
                &mut more,
            );
            lines.extend(more.into_iter().map(|row| {
                Line::from(vec![
                    Span::raw(" ".repeat(indent)),
                    Span::styled(row, theme.log(entry.level)),
                ])
            }));
        }
        lines
    };
    let len = model.log.len();
    let mut end = len.saturating_sub(view.log_back);
    // The newest entries that fit, ending at `end`, newest at the bottom.
    let mut lines: Vec<Line> = Vec::new();
    let mut index = end;
    while index > 0 && lines.len() < height {
        index -= 1;
        let mut rows = rows_of(index);
        rows.append(&mut lines);
        lines = rows;
    }
    let lines = if index == 0 && view.log_back > 0 {
        // Scrolled back to the oldest: it shows from its first row, and the
        // pane fills with the entries after it (never blank space).
        while lines.len() < height && end < len {
            lines.extend(rows_of(end));
            end += 1;
        }
        view.log_back = len - end;
        lines.truncate(height);
        lines
    } else {
        let extra = lines.len().saturating_sub(height);
        lines.split_off(extra)
    };
    let mut title = vec![Span::styled(" Log ", theme.title())];
    if view.log_back > 0 {
        title.push(Span::styled(
            format!("↓{} more ", view.log_back),
            theme.warning(),
        ));
    }
    let block = Block::bordered()
        .title(Line::from(title))
        .border_style(theme.border(view.focus == Focus::Log));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
