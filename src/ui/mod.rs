//! Drawing the dashboard: a pure function of the model, the view and the
//! time, one module per pane.

mod fit;
mod footer;
pub mod format;
mod gallery;
mod header;
pub mod help;
mod log;
pub mod overlay;
mod poem;
pub mod table;
pub mod theme;

pub use theme::Theme;

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use crate::model::Model;
use crate::model::view::{Focus, View};

/// Below this size nothing useful fits.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;
/// Below this size the compact layout is used: no log pane (the poem pane
/// takes the whole width). Columns are chosen by width on their own.
pub const COMPACT_WIDTH: u16 = 100;
pub const COMPACT_HEIGHT: u16 = 20;

/// Where the panes were drawn, for mapping mouse positions back to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Areas {
    pub table_rows: Rect,
    pub table: Rect,
    pub poem: Rect,
    pub log: Rect,
}

pub fn draw(
    frame: &mut Frame,
    model: &Model,
    view: &mut View,
    now: Instant,
    theme: &Theme,
) -> Areas {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        // Says what the keys do here: a prompt still takes them, and a
        // question still waits for its answer.
        let keys = if view.prompt.is_some() {
            "Keys type into the open prompt: Esc closes it."
        } else if view.confirm.is_some() {
            "Downloads are going: q again quits, any other key stays."
        } else {
            "Enlarge it, or press q to quit."
        };
        let message = format!(
            "Terminal too small: {}x{}, poetry-dash needs at least {MIN_WIDTH}x{MIN_HEIGHT}. {keys}",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), area);
        return Areas::default();
    }
    let compact = area.width < COMPACT_WIDTH || area.height < COMPACT_HEIGHT;
    let [header_area, body, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(footer::height(view, area.width)),
    ])
    .areas(area);
    header::draw(frame, header_area, model, now, theme);
    footer::draw(frame, footer_area, view, model, now, theme);

    let mut areas = Areas::default();
    view.log_shown = !compact && !view.gallery;
    if !view.log_shown && view.focus == Focus::Log {
        view.focus = Focus::Table;
    }
    if view.gallery {
        areas.poem = body;
        gallery::draw(frame, body, model, view, theme);
    } else if compact {
        let [table_area, poem_area] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        areas.table = table_area;
        areas.poem = poem_area;
        areas.table_rows = table::draw(frame, table_area, model, view, now, theme);
        poem::draw(frame, poem_area, model, view, theme);
    } else {
        let [table_area, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        let [poem_area, log_area] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(bottom);
        areas = Areas {
            table: table_area,
            poem: poem_area,
            log: log_area,
            ..areas
        };
        areas.table_rows = table::draw(frame, table_area, model, view, now, theme);
        poem::draw(frame, poem_area, model, view, theme);
        log::draw(frame, log_area, model, view, theme);
    }
    if view.help {
        help::draw(frame, area, view, theme);
    }
    areas
}

#[cfg(test)]
mod tests;
