//! The gallery: finished poems side by side, a page at a time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{Theme, poem};
use crate::engine::TaskId;
use crate::model::view::{Focus, View};
use crate::model::{Model, PaneSize, PoemPos, State, StateSet};

/// Narrowest pane worth showing a poem in.
const PANE_WIDTH: u16 = 36;

/// The states of a poem shown here.
fn finished_states() -> StateSet {
    StateSet::of(&[State::Complete, State::Empty])
}

/// The finished poems, the poems on a page, and the pages, at this size.
/// Complete poems are found through the state index: a page costs the
/// same among a million downloads as among ten.
fn pages(area: Rect, model: &Model) -> (usize, usize, usize) {
    let finished = model.states().count_in(finished_states());
    let columns = (area.width / PANE_WIDTH).clamp(1, 4) as usize;
    (finished, columns, finished.div_ceil(columns).max(1))
}

/// Before drawing: the page shown is one there is, and the view knows its
/// cards (which `draw` shows, and whose poems the run loop indexes).
pub fn measure(area: Rect, model: &Model, view: &mut View) {
    let (_, _, pages) = pages(area, model);
    view.gallery_page = view.gallery_page.min(pages - 1);
    view.gallery_cards = cards(area, model, view);
}

/// The downloads on the page shown, in order.
fn cards(area: Rect, model: &Model, view: &View) -> Vec<TaskId> {
    let (_, columns, _) = pages(area, model);
    (view.gallery_page * columns..)
        .take(columns)
        .map_while(|k| model.states().select(finished_states(), k).map(TaskId::at))
        .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, view: &View, theme: &Theme) {
    let (finished, columns, pages) = pages(area, model);
    let outer = Block::bordered()
        .title(Line::from(vec![
            Span::styled(" Gallery ", theme.title()),
            Span::raw(format!(
                "· {} finished poems · page {} of {} (PgUp/PgDn, v to leave) ",
                finished,
                view.gallery_page + 1,
                pages
            )),
        ]))
        .border_style(theme.border(view.focus == Focus::Poem));
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    if finished == 0 {
        frame.render_widget(Paragraph::new("No poem has finished yet."), inner);
        return;
    }
    let shown = &view.gallery_cards;
    let panes =
        Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(inner);
    for (&task, &pane) in shown.iter().zip(panes.iter()) {
        let download = &model[task];
        // The card's top border holds the title: the server is cut to fit
        // it, keeping its whole port (a cut port reads as another port).
        let number = format!(" {task} · ");
        let room = usize::from(pane.width)
            .saturating_sub(2 + number.chars().count() + 1)
            .max(super::fit::ADDRESS_MIN);
        let block = Block::bordered()
            .title(Span::styled(
                format!("{number}{} ", super::fit::address(&download.address, room)),
                theme.title(),
            ))
            .border_style(theme.dim());
        let text_area = block.inner(pane);
        let size = PaneSize {
            width: text_area.width as usize,
            height: text_area.height as usize,
        };
        let mut lines = poem::styled(
            download.pane_rows(PoemPos::default(), size),
            theme.warning(),
        );
        // A card cut at the bottom says so.
        if download.last_top(size) > PoemPos::default()
            && let Some(last) = lines.last_mut()
        {
            *last = Line::from(Span::styled(
                "↓ more: select it, Tab, scroll",
                theme.warning(),
            ));
        }
        frame.render_widget(Paragraph::new(lines).block(block), pane);
    }
}
