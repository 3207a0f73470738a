//! The performance overlay (`p`): what the dashboard itself costs, live.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

use super::Theme;

/// Figures the app loop measures about itself.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    /// How long the latest frame took to lay out and write.
    pub frame_time: Duration,
    pub frames_per_second: usize,
    /// How old the latest engine event was when the model got it.
    pub event_lag: Duration,
    pub events_per_second: usize,
}

pub fn draw(frame: &mut Frame, stats: &Stats, theme: &Theme) {
    let area = frame.area();
    let width = 26.min(area.width);
    let height = 6.min(area.height);
    let popup = Rect::new(
        area.width.saturating_sub(width + 1),
        1.min(area.height),
        width,
        height,
    );
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let lines = vec![
        Line::from(format!(" frame time  {:>10}", ms(stats.frame_time))),
        Line::from(format!(" frames/s    {:>10}", stats.frames_per_second)),
        Line::from(format!(" event lag   {:>10}", ms(stats.event_lag))),
        Line::from(format!(" events/s    {:>10}", stats.events_per_second)),
    ];
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Cost (p) ")
                .border_style(theme.border(true)),
        ),
        popup,
    );
}
