//! The top line: totals, bytes, aggregate rate and elapsed time.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, format};
use crate::model::Model;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, now: Instant, theme: &Theme) {
    let totals = model.totals();
    let elapsed = match model.started {
        Some(start) if !model.all_ended() => now.saturating_duration_since(start),
        _ => model.elapsed(),
    };
    // Narrow terminals get the same counts without their words, so the
    // clock still fits.
    let wide = area.width >= super::COMPACT_WIDTH;
    let count = |symbol: &str, n: usize, word: &str| {
        if wide {
            format!("{symbol} {n} {word}")
        } else {
            format!("{symbol}{n}")
        }
    };
    let gap = if wide { "  " } else { " " };
    let mut spans = vec![
        Span::styled(" poetry-dash ", theme.title()),
        Span::styled(count("✓", totals.complete, "complete"), theme.good()),
        Span::raw(gap),
        Span::styled(count("✗", totals.failed, "failed"), theme.bad()),
        Span::raw(gap),
        Span::styled(count("▸", totals.active, "active"), theme.warning()),
        Span::raw(gap),
        Span::styled(count("·", totals.queued, "queued"), theme.dim()),
    ];
    if totals.cancelled > 0 {
        spans.push(Span::raw(gap));
        spans.push(Span::styled(
            count("⊘", totals.cancelled, "cancelled"),
            theme.dim(),
        ));
    }
    let detail = format!(
        "{gap} {}{gap}{}{gap}{}",
        format::bytes(totals.bytes),
        format::rate(if !model.all_ended() {
            model.throughput.rate(now)
        } else {
            0.0
        }),
        crate::report::clock(elapsed),
    );
    spans.push(Span::raw(detail));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
