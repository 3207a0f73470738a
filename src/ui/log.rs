//! The log pane: notable events, newest at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{Theme, format};
use crate::model::Model;
use crate::model::view::{Focus, View};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, view: &mut View, theme: &Theme) {
    let mut title = vec![Span::styled(" Log ", theme.title())];
    if view.log_back > 0 {
        title.push(Span::styled(
            format!("(↓{} newer) ", view.log_back),
            theme.warning(),
        ));
    }
    let block = Block::bordered()
        .title(Line::from(title))
        .border_style(theme.border(view.focus == Focus::Log));
    let inner = block.inner(area);
    view.log_height = inner.height as usize;
    let height = inner.height as usize;
    let end = model.log.len().saturating_sub(view.log_back);
    let start = end.saturating_sub(height);
    let lines: Vec<Line> = model
        .log
        .range(start..end)
        .map(|entry| {
            let at = model
                .started
                .map(|s| entry.at.saturating_duration_since(s))
                .unwrap_or_default();
            Line::from(vec![
                Span::styled(format!("{:>6} ", format::duration(at)), theme.dim()),
                Span::styled(format!("#{} ", entry.task + 1), theme.dim()),
                Span::styled(entry.message.clone(), theme.log(entry.level)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
