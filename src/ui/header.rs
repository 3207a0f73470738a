//! The top line: totals, bytes received, aggregate rate and elapsed time.
//! Fields drop by priority as the terminal narrows; the clock always stays.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

use super::fit::{Field, fit, width};
use super::{Theme, format};
use crate::model::Model;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, now: Instant, theme: &Theme) {
    let totals = model.totals();
    let elapsed = match model.started {
        Some(start) if !model.all_ended() => now.saturating_duration_since(start),
        _ => model.elapsed(),
    };
    let rate = if model.all_ended() {
        0.0
    } else {
        model.rate(now)
    };
    let fields = |wide: bool| {
        let count = |symbol: &str, n: usize, word: &str| {
            if wide {
                format!("{symbol} {n} {word}")
            } else {
                format!("{symbol}{n}")
            }
        };
        let mut fields = vec![
            Field::new("poetry-dash", theme.title(), 1),
            Field::new(count("✓", totals.complete, "complete"), theme.title(), 8),
            Field::new(count("✗", totals.failed, "failed"), theme.bad(), 8),
            Field::new(count("▸", totals.active, "active"), theme.warning(), 7),
            Field::new(count("·", totals.queued, "queued"), theme.plain(), 6),
        ];
        if totals.paused > 0 {
            // Paused ones are among the active and queued: said apart, since
            // they are not moving.
            fields.push(Field::new(
                count("‖", totals.paused, "paused"),
                theme.paused(),
                5,
            ));
        }
        if totals.cancelled > 0 {
            fields.push(Field::new(
                count("⊘", totals.cancelled, "cancelled"),
                theme.plain(),
                5,
            ));
        }
        // Every byte received, retries included: it never goes down.
        let (bytes, rate) = if wide {
            (format::bytes(model.received_total), format::rate(rate))
        } else {
            (
                format::bytes_short(model.received_total),
                format::rate_short(rate),
            )
        };
        fields.push(Field::new(bytes, theme.plain(), 4));
        fields.push(Field::new(rate, theme.plain(), 3));
        // Once everything has ended the clock stops: said so, so a frozen
        // clock is never mistaken for the time now.
        let clock = crate::units::clock(elapsed);
        let clock = match (model.started, model.all_ended(), wide) {
            (Some(_), true, true) => format!("done in {clock}"),
            (Some(_), true, false) => format!("done {clock}"),
            _ => clock,
        };
        fields.push(Field::new(clock, theme.plain(), 10));
        fields
    };
    let room = (area.width as usize).saturating_sub(2);
    let wide = fit(fields(true), "  ", usize::MAX);
    let line = if width(&wide) <= room {
        wide
    } else {
        fit(fields(false), " ", room)
    };
    let mut spans = vec![ratatui::text::Span::raw(" ")];
    spans.extend(line.spans);
    frame.render_widget(Paragraph::new(ratatui::text::Line::from(spans)), area);
}
