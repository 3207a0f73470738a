//! The poem pane: the selected download's text, growing as bytes arrive,
//! wrapped to the pane and scrolled; and the wrapping the gallery shares.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use unicode_width::UnicodeWidthChar;

use crate::text::display_line;

use super::{Theme, format};
use crate::model::view::{Focus, View};
use crate::model::{Download, Model};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, view: &mut View, theme: &Theme) {
    let block = Block::bordered().border_style(theme.border(view.focus == Focus::Poem));
    let Some(download) = view
        .selected
        .and_then(|task| model.get(task).map(|d| (task, d)))
    else {
        frame.render_widget(
            Paragraph::new("no download selected").block(block.title(" Poem ")),
            area,
        );
        return;
    };
    let (task, download) = download;
    let block = block.title(title(task, download, theme));
    let inner = block.inner(area);
    view.poem_height = inner.height as usize;
    let top = view.poem_scroll.unwrap_or_else(|| {
        // Follow the poem: its end while it grows, its start when it is done.
        if download.state.is_final() {
            0
        } else {
            download.line_count().saturating_sub(inner.height as usize)
        }
    });
    // A partial poem that will not grow keeps its last row for saying so.
    let ended_partial = download.is_partial() && download.state.is_final();
    let text_rows = (inner.height as usize).saturating_sub(usize::from(ended_partial));
    let mut lines: Vec<Line> = visible_rows(
        download
            .lines_from(top, screenful_bytes(inner.width, inner.height))
            .map(|line| display_line(&line, !download.state.is_final())),
        inner.width as usize,
        text_rows,
    )
    .into_iter()
    .map(Line::from)
    .collect();
    if ended_partial {
        let why = download
            .error
            .as_ref()
            .map_or("cancelled".to_string(), |e| e.reason.to_string());
        lines.push(Line::from(Span::styled(
            format!("— partial poem: {why} —"),
            theme.warning(),
        )));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn title<'a>(task: usize, download: &Download, theme: &Theme) -> Line<'a> {
    let (symbol, label, style) = theme.state(download);
    let mut spans = vec![
        Span::styled(" Poem ", theme.title()),
        Span::styled(format!("{symbol} {label} "), style),
    ];
    if download.is_partial() {
        spans.push(Span::styled("PARTIAL ", theme.warning()));
    }
    spans.push(Span::raw(format!(
        "· task {} · {} · {} ",
        task + 1,
        download.address,
        format::bytes(download.received)
    )));
    if download.control_chars() > 0 {
        spans.push(Span::styled(
            format!("· {} control chars shown as ^X ", download.control_chars()),
            theme.warning(),
        ));
    }
    Line::from(spans)
}

/// The most bytes a pane of this size can show: four per cell (the longest
/// UTF-8 character), plus room for escapes shown as `<U+XXXX>`.
pub fn screenful_bytes(width: u16, height: u16) -> usize {
    usize::from(width) * usize::from(height) * 4 + 64
}

/// The rows to show: `lines` wrapped to `width`, at most `height` of them.
/// Only the lines that can be seen are wrapped.
pub fn visible_rows(
    lines: impl Iterator<Item = impl AsRef<str>>,
    width: usize,
    height: usize,
) -> Vec<String> {
    let mut rows = Vec::with_capacity(height);
    for line in lines {
        if rows.len() >= height {
            break;
        }
        wrap(line.as_ref(), width, height - rows.len(), &mut rows);
    }
    rows
}

/// Appends `line` wrapped at spaces to `width` columns (breaking words longer
/// than that), stopping after `limit` rows.
pub fn wrap(line: &str, width: usize, limit: usize, rows: &mut Vec<String>) {
    let width = width.max(1);
    if line.is_empty() {
        rows.push(String::new());
        return;
    }
    let mut row = String::new();
    let mut row_width = 0;
    let mut added = 0;
    for word in line.split_inclusive(' ') {
        let word_width: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
        if row_width + word_width.saturating_sub(usize::from(word.ends_with(' '))) > width
            && row_width > 0
        {
            rows.push(std::mem::take(&mut row).trim_end().to_string());
            row_width = 0;
            added += 1;
            if added >= limit {
                return;
            }
        }
        for c in word.chars() {
            let w = c.width().unwrap_or(0);
            if row_width + w > width && c != ' ' {
                rows.push(std::mem::take(&mut row));
                row_width = 0;
                added += 1;
                if added >= limit {
                    return;
                }
            }
            row.push(c);
            row_width += w;
        }
    }
    rows.push(row.trim_end().to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_breaks_long_words() {
        let mut rows = Vec::new();
        wrap("Where, like a pillow on a bed,", 12, 10, &mut rows);
        assert_eq!(rows, ["Where, like", "a pillow on", "a bed,"]);
        rows.clear();
        wrap("abcdefghij", 4, 10, &mut rows);
        assert_eq!(rows, ["abcd", "efgh", "ij"]);
        rows.clear();
        wrap("床前明月光", 4, 10, &mut rows);
        assert_eq!(rows, ["床前", "明月", "光"]);
    }

    #[test]
    fn only_the_visible_rows() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(
            visible_rows(text.lines().skip(10), 20, 3),
            ["line 10", "line 11", "line 12"]
        );
    }
}
