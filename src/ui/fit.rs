//! Fitting a line of fields into a width: fields carry a priority, the least
//! important go first, and what stays is whole (never a number cut in two).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// One field of a line: its text, style and priority (higher stays longer).
pub struct Field {
    pub text: String,
    pub style: Style,
    pub priority: u8,
}

impl Field {
    pub fn new(text: impl Into<String>, style: Style, priority: u8) -> Field {
        Field {
            text: text.into(),
            style,
            priority,
        }
    }
}

/// Which of fields of these widths fit in `width` columns with `gap`
/// columns between them, dropping the lowest priority first (the later of
/// equals first). The answer keeps the fields' order.
pub fn keep(widths_and_priorities: &[(usize, u8)], gap: usize, width: usize) -> Vec<bool> {
    let mut kept = vec![true; widths_and_priorities.len()];
    let total = |kept: &[bool]| -> usize {
        let shown: Vec<usize> = widths_and_priorities
            .iter()
            .zip(kept)
            .filter(|(_, k)| **k)
            .map(|((w, _), _)| *w)
            .collect();
        shown.iter().sum::<usize>() + gap * shown.len().saturating_sub(1)
    };
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by_key(|&i| (widths_and_priorities[i].1, std::cmp::Reverse(i)));
    for i in order {
        if total(&kept) <= width {
            break;
        }
        kept[i] = false;
    }
    kept
}

/// The fields that fit in `width` columns with `gap` between them, in their
/// own order (see [`keep`]).
pub fn fit(fields: Vec<Field>, gap: &str, width: usize) -> Line<'static> {
    let sizes: Vec<(usize, u8)> = fields
        .iter()
        .map(|f| (f.text.width(), f.priority))
        .collect();
    let kept = keep(&sizes, gap.width(), width);
    let mut spans = Vec::new();
    for (field, _) in fields.into_iter().zip(&kept).filter(|(_, k)| **k) {
        if !spans.is_empty() {
            spans.push(Span::raw(gap.to_string()));
        }
        spans.push(Span::styled(field.text, field.style));
    }
    Line::from(spans)
}

/// The width of a line as drawn.
pub fn width(line: &Line) -> usize {
    line.spans.iter().map(|s| s.content.width()).sum()
}
