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

/// Where each pane goes on a terminal of `area`; `None` when it is too
/// small for any.
struct Panes {
    header: Rect,
    footer: Rect,
    /// The gallery, when it is open, takes the body.
    gallery: Option<Rect>,
    table: Rect,
    poem: Rect,
    /// Not in the compact layout (nor with the gallery open).
    log: Option<Rect>,
}

fn panes(area: Rect, view: &View) -> Option<Panes> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let compact = area.width < COMPACT_WIDTH || area.height < COMPACT_HEIGHT;
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(footer::height(view, area.width)),
    ])
    .areas(area);
    let empty = Rect::default();
    if view.gallery {
        return Some(Panes {
            header,
            footer,
            gallery: Some(body),
            table: empty,
            poem: empty,
            log: None,
        });
    }
    if compact {
        let [table, poem] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        return Some(Panes {
            header,
            footer,
            gallery: None,
            table,
            poem,
            log: None,
        });
    }
    let [table, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    let [poem, log] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(bottom);
    Some(Panes {
        header,
        footer,
        gallery: None,
        table,
        poem,
        log: Some(log),
    })
}

/// Works out, for a terminal of `area`, what the view keeps between frames
/// and keys read (the panes' sizes, the table's rows and the selection
/// among them, scroll positions kept in range), before anything is drawn:
/// drawing then only reads.
pub fn measure(area: Rect, model: &Model, view: &mut View, now: Instant) {
    let Some(panes) = panes(area, view) else {
        return;
    };
    view.log_shown = panes.log.is_some();
    if !view.log_shown && view.focus == Focus::Log {
        view.focus = Focus::Table;
    }
    if let Some(gallery) = panes.gallery {
        gallery::measure(gallery, model, view);
    } else {
        table::measure(panes.table, model, view, now);
        poem::measure(panes.poem, model, view);
        if let Some(log) = panes.log {
            log::measure(log, model, view);
        }
    }
    if view.help {
        help::measure(area, view);
    }
}

/// A frame: the view measured at the frame's size, then drawn.
pub fn show(
    frame: &mut Frame,
    model: &Model,
    view: &mut View,
    now: Instant,
    theme: &Theme,
) -> Areas {
    measure(frame.area(), model, view, now);
    draw(frame, model, view, now, theme)
}

/// Draws the dashboard from the model and the view as [`measure`] left it.
pub fn draw(frame: &mut Frame, model: &Model, view: &View, now: Instant, theme: &Theme) -> Areas {
    let area = frame.area();
    let Some(panes) = panes(area, view) else {
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
    };
    header::draw(frame, panes.header, model, now, theme);
    footer::draw(frame, panes.footer, view, model, now, theme);
    let mut areas = Areas::default();
    if let Some(gallery) = panes.gallery {
        areas.poem = gallery;
        gallery::draw(frame, gallery, model, view, theme);
    } else {
        areas.table = panes.table;
        areas.poem = panes.poem;
        areas.table_rows = table::draw(frame, panes.table, model, view, now, theme);
        poem::draw(frame, panes.poem, model, view, theme);
        if let Some(log) = panes.log {
            areas.log = log;
            log::draw(frame, log, model, view, theme);
        }
    }
    if view.help {
        help::draw(frame, area, view, theme);
    }
    areas
}

#[cfg(test)]
mod tests;
