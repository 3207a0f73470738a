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
        Some(start) if model.any_active() => now.saturating_duration_since(start),
        _ => model.elapsed(),
    };
    let mut spans = vec![
        Span::styled(" poetry-dash ", theme.title()),
        Span::styled(format!("✓ {} complete", totals.complete), theme.good()),
        Span::raw("  "),
        Span::styled(format!("✗ {} failed", totals.failed), theme.bad()),
        Span::raw("  "),
        Span::styled(format!("▸ {} active", totals.active), theme.warning()),
        Span::raw("  "),
        Span::styled(format!("· {} queued", totals.queued), theme.dim()),
    ];
    if totals.cancelled > 0 {
        spans.push(Span::styled(
            format!("  ⊘ {} cancelled", totals.cancelled),
            theme.dim(),
        ));
    }
    let detail = format!(
        "   {}  {}  {}",
        format::bytes(totals.bytes),
        format::rate(if model.any_active() {
            model.throughput.rate(now)
        } else {
            0.0
        }),
        crate::report::clock(elapsed),
    );
    spans.push(Span::raw(detail));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
