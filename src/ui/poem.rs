//! The poem pane: the selected download's text, growing as bytes arrive,
//! wrapped to the pane and scrolled; and the wrapping the gallery shares.

use super::{Theme, format};
use crate::model::view::{Focus, View};
use crate::model::{Download, Model, PaneSize};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

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
    view.poem_pane = PaneSize {
        width: inner.width as usize,
        height: inner.height as usize,
    };
    view.follow_new_runs(model);
    let top = view.poem_top(download);
    let lines: Vec<Line> = download
        .pane_rows(top, view.poem_pane)
        .into_iter()
        .map(|row| {
            if row.note {
                Line::from(Span::styled(row.text, theme.warning()))
            } else {
                Line::from(row.text)
            }
        })
        .collect();
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
