//! The log pane: notable events, newest at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::Theme;
use crate::model::Model;
use crate::model::view::{Focus, View};
use crate::text;

/// The rows of log entry `index` at `width`: wrapped so that a failure's
/// reason is never cut off, the rows after the first hanging under the
/// message, past the time, so the times stay a column of their own.
fn rows_of(model: &Model, index: usize, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let entry = &model.log[index];
    let at = model
        .started
        .map(|s| entry.at.saturating_duration_since(s))
        .unwrap_or_default();
    let message = glue_units(&entry.message);
    let time = format!("{:>6} ", crate::units::since_start(at));
    let prefix = match entry.task {
        Some(task) => format!("{time}#{task} "),
        None => time.clone(),
    };
    // Wrapped rows hang under the message, past the time, so the times
    // stay a column of their own.
    let indent = time.len().min(width / 2);
    let mut rows = Vec::new();
    text::wrap(&format!("{prefix}{message}"), width, 1, &mut rows);
    // The glue has done its work: the terminal gets plain spaces.
    let plain = |row: &str| row.replace('\u{a0}', " ");
    let mut lines: Vec<Line<'static>> = Vec::new();
    if let Some(row) = rows.first().map(|row| plain(row)) {
        let rest = row.strip_prefix(prefix.trim_end()).unwrap_or(&row);
        lines.push(Line::from(vec![
            Span::styled(prefix.trim_end().to_string(), theme.plain()),
            Span::styled(rest.to_string(), theme.log(entry.level)),
        ]));
    }
    // The rest of the message, wrapped again to the width after the
    // indent.
    let first_len = rows.first().map_or(0, String::len);
    let whole = format!("{prefix}{message}");
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
                Span::styled(plain(&row), theme.log(entry.level)),
            ])
        }));
    }
    lines
}

/// The rows the pane shows, newest at the bottom, for `back` entries
/// scrolled back from the newest; and how far back that is (scrolled back
/// to the oldest, the pane fills with the entries after it: never blank
/// space, so `back` may come out less).
fn visible(
    model: &Model,
    width: usize,
    height: usize,
    back: usize,
    theme: &Theme,
) -> (Vec<Line<'static>>, usize) {
    let rows_of = |index: usize| rows_of(model, index, width, theme);
    let len = model.log.len();
    let mut end = len.saturating_sub(back);
    // The newest entries that fit, ending at `end`, newest at the bottom.
    let mut lines: Vec<Line> = Vec::new();
    let mut index = end;
    while index > 0 && lines.len() < height {
        index -= 1;
        let mut rows = rows_of(index);
        rows.append(&mut lines);
        lines = rows;
    }
    if index == 0 && back > 0 {
        while lines.len() < height && end < len {
            lines.extend(rows_of(end));
            end += 1;
        }
        lines.truncate(height);
        (lines, len - end)
    } else {
        let extra = lines.len().saturating_sub(height);
        (lines.split_off(extra), back)
    }
}

/// Before drawing: the pane's height (keys page by it) and how far back it
/// is scrolled, kept to what fills it.
pub fn measure(area: Rect, model: &Model, view: &mut View) {
    let inner = Block::bordered().inner(area);
    view.log_height = inner.height as usize;
    if view.log_back == 0 {
        // The newest entries: nothing to keep in range (and no wrapping to
        // do twice a frame).
        return;
    }
    let (_, back) = visible(
        model,
        inner.width as usize,
        inner.height as usize,
        view.log_back,
        &Theme::new(false),
    );
    view.log_back = back;
}

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, view: &View, theme: &Theme) {
    let inner = Block::bordered().inner(area);
    let (lines, _) = visible(
        model,
        inner.width as usize,
        inner.height as usize,
        view.log_back,
        theme,
    );
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

/// A number and the word after it (`0.385 s`, `300 bytes`) joined by a
/// no-break space, so wrapping never puts a unit on a row of its own.
fn glue_units(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let after_digit = i > 0 && chars[i - 1].is_ascii_digit();
            let before_word = chars.get(i + 1).is_some_and(|next| next.is_alphabetic());
            if c == ' ' && after_digit && before_word {
                '\u{a0}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_number_keeps_its_unit() {
        assert_eq!(
            super::glue_units("retrying in 0.385 s (got 300 bytes), attempt 2"),
            "retrying in 0.385\u{a0}s (got 300\u{a0}bytes), attempt 2"
        );
    }
}
