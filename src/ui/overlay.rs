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

/// Draws the figures in the bottom-right corner of `pane` (the poem pane),
/// where they hide no title, no column and no key hint; a pane too small
/// for the box gets the two main figures on its bottom row instead.
/// Over the gallery (`on_border`), whose cards fill the pane to its edges,
/// the one-line form sits in the gallery's own bottom border instead, over
/// no card's text or hint.
pub fn draw(frame: &mut Frame, pane: Rect, stats: &Stats, theme: &Theme, on_border: bool) {
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let (width, height) = (26, 6);
    if on_border {
        let text = format!(
            " {} · {} f/s ",
            ms(stats.frame_time),
            stats.frames_per_second
        );
        let text_width = text.chars().count() as u16;
        if pane.height >= 1 && pane.width >= text_width + 4 {
            let row = Rect::new(
                pane.x + pane.width - text_width - 2,
                pane.y + pane.height - 1,
                text_width,
                1,
            );
            frame.render_widget(Paragraph::new(text).style(theme.title()), row);
        }
        return;
    }
    if pane.width < width + 2 || pane.height < height + 2 {
        let text = format!(
            " {} · {} f/s ",
            ms(stats.frame_time),
            stats.frames_per_second
        );
        let text_width = text.chars().count() as u16;
        if pane.height < 2 || pane.width < text_width + 2 {
            return;
        }
        let row = Rect::new(
            pane.x + pane.width - text_width - 1,
            pane.y + pane.height - 2,
            text_width,
            1,
        );
        frame.render_widget(Clear, row);
        frame.render_widget(Paragraph::new(text).style(theme.title()), row);
        return;
    }
    let popup = Rect::new(
        pane.x + pane.width - width - 1,
        pane.y + pane.height - height - 1,
        width,
        height,
    );
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
