//! The poem pane: the selected download's text, growing as bytes arrive,
//! wrapped to the pane and scrolled; and the wrapping the gallery shares.

use super::fit::{Field, fit};
use super::{Theme, format};
use crate::engine::TaskId;
use crate::model::view::{Focus, View};
use crate::model::{Download, Model, PaneRow, PaneSize};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Before drawing: the pane's size (keys scroll by it), and a fresh start
/// when the selected download has started over.
pub fn measure(area: Rect, model: &Model, view: &mut View) {
    let inner = Block::bordered().inner(area);
    view.poem_pane = PaneSize {
        width: inner.width as usize,
        height: inner.height as usize,
    };
    view.follow_new_runs(model);
}

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, view: &View, theme: &Theme) {
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
    let (task, row) = download;
    // `o`: the poem as downloaded, where a transform changed it.
    let shown_original = view.show_original.then(|| row.original()).flatten();
    let download = shown_original.unwrap_or(row);
    let top = view.poem_top(download);
    // Where the pane is, as the log says it: lines below it, or following
    // the tail of a poem still arriving.
    let last_top = download.last_top(view.poem_pane);
    let place = if top < last_top {
        // (Lines, not rows: the top may be part-way into a wrapped line.)
        Some(format!("↓{} more", (last_top.line - top.line).max(1)))
    } else if !download.state.is_final() && download.received > 0 && view.follows_poem() {
        Some("following".to_string())
    } else {
        None
    };
    let version = match (shown_original, row.chain()) {
        (Some(_), _) => Some("as downloaded"),
        (None, Some(chain)) if chain.transformed() => Some("as transformed"),
        _ => None,
    };
    let block = block.title(title(
        task,
        row,
        place,
        version,
        theme,
        area.width.saturating_sub(2) as usize,
    ));
    let lines = styled(download.pane_rows(top, view.poem_pane), theme.warning());
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The pane's rows as lines: the server's text plain, our notes in `notes`.
pub(super) fn styled(rows: Vec<PaneRow>, notes: Style) -> Vec<Line<'static>> {
    rows.into_iter()
        .map(|row| {
            if row.note {
                Line::from(Span::styled(row.text, notes))
            } else {
                Line::from(row.text)
            }
        })
        .collect()
}

/// The pane's title, its fields dropped by priority to fit `width`: the
/// state, PARTIAL and the count of control characters shown stay longest,
/// then the bytes, the task number and the address.
fn title<'a>(
    task: TaskId,
    download: &Download,
    place: Option<String>,
    version: Option<&str>,
    theme: &Theme,
    width: usize,
) -> Line<'a> {
    let (symbol, label, style) = theme.state(download);
    let mut fields = vec![
        Field::new("Poem", theme.title(), 10),
        Field::new(format!("{symbol} {label}"), style, 9),
    ];
    if let Some(version) = version {
        // Which text this is matters as much as its state.
        fields.push(Field::new(format!("{version} (o)"), theme.warning(), 9));
    }
    if let Some(place) = place {
        // More below is worth saying long; that it follows outlasts the
        // address, which the table shows anyway.
        let priority = if place.starts_with('↓') { 7 } else { 5 };
        fields.push(Field::new(place, theme.warning(), priority));
    }
    if download.is_partial() && download.state.is_final() {
        fields.push(Field::new("PARTIAL", theme.warning(), 9));
    }
    fields.push(Field::new(format!("#{task}"), theme.plain(), 5));
    fields.push(Field::new(download.address.shown(), theme.plain(), 4));
    fields.push(Field::new(
        format::bytes(download.received),
        theme.plain(),
        6,
    ));
    let controls = download.control_chars();
    if controls > 0 {
        // The long form of the count when everything fits with it, else the
        // short one, which outlasts the address.
        let mut long = fields_clone(&fields);
        long.push(Field::new(
            format!("{controls} control chars shown as ^X"),
            theme.warning(),
            8,
        ));
        if super::fit::width(&fit(fields_clone(&long), " · ", usize::MAX)) + 2 <= width {
            fields = long;
        } else {
            fields.push(Field::new(format!("{controls} ^X"), theme.warning(), 8));
        }
    }
    let mut line = fit(fields, " · ", width.saturating_sub(2));
    line.spans.insert(0, Span::raw(" "));
    line.spans.push(Span::raw(" "));
    line
}

fn fields_clone(fields: &[Field]) -> Vec<Field> {
    fields
        .iter()
        .map(|f| Field::new(f.text.clone(), f.style, f.priority))
        .collect()
}
