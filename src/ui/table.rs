//! The downloads table: one row per download, only the visible rows built.
//!
//! Columns are chosen by the width there is, by priority: the number, server
//! and state always; then bytes, rate, idle time, attempts, time left, time
//! and the activity sparkline. A column is shown whole or not at all, and
//! narrow tables use short forms (`450B`, `10.5K/s`) rather than cut numbers.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use unicode_width::UnicodeWidthStr;

use super::fit::{Field, drop_by_priority, fit};
use super::{Theme, format};
use crate::engine::TaskId;
use crate::model::view::{Filter, Focus, KeptWidths, View};
use crate::model::{Download, Model, State};

/// Columns of recent throughput in the activity sparkline.
const SPARK_WIDTH: usize = 12;
/// Title priorities: the short "N hidden" outlasts the row range and the
/// sort label; the long form goes first.
const SHORT_HIDDEN: u8 = 7;
const LONG_HIDDEN: u8 = 5;

/// The Server column never takes more than this: spare width stays spare
/// rather than opening a gap after the address.
const SERVER_MAX: usize = 40;
const SERVER_MIN: usize = 12;
/// Below this width, numbers take their short forms.
const WIDE_NUMBERS: u16 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Number,
    Server,
    State,
    Bytes,
    Rate,
    Activity,
    Idle,
    Time,
    Try,
    Left,
}

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Number => "#",
            Column::Server => "Server",
            Column::State => "State",
            Column::Bytes => "Bytes",
            Column::Rate => "Rate",
            Column::Activity => "Activity",
            Column::Idle => "Idle",
            Column::Time => "Time",
            Column::Try => "Try",
            Column::Left => "Left",
        }
    }

    /// Higher stays longer as the table narrows.
    fn priority(self) -> u8 {
        match self {
            Column::Number | Column::Server | Column::State => 10,
            Column::Bytes => 8,
            Column::Rate => 7,
            Column::Idle => 6,
            Column::Try => 5,
            Column::Left => 4,
            Column::Time => 3,
            Column::Activity => 2,
        }
    }

    fn right_aligned(self) -> bool {
        matches!(self, Column::Number | Column::Bytes | Column::Rate)
    }
}

/// The table's shape for this frame.
struct Layout {
    columns: Vec<(Column, usize)>,
    wide: bool,
}

/// Widens the column widths the table keeps to what the rows on screen
/// need (before drawing; a new terminal width starts afresh).
fn keep_widths(area_width: u16, model: &Model, rows: &[TaskId], kept: &mut KeptWidths) {
    if kept.area_width != area_width {
        *kept = KeptWidths {
            area_width,
            ..KeptWidths::default()
        };
    }
    let longest_address = rows
        .iter()
        .map(|&task| model[task].address.shown().width())
        .max()
        .unwrap_or(0)
        .clamp(SERVER_MIN, SERVER_MAX);
    let attempts = rows
        .iter()
        .map(|&task| model[task].attempts.max(1).to_string().len())
        .max()
        .unwrap_or(1);
    kept.server = kept.server.max(longest_address);
    kept.attempts = kept.attempts.max(attempts);
}

/// The State column's width: its longest label never cut.
fn state_width(wide: bool, transforms: bool) -> usize {
    match (wide, transforms) {
        (true, false) => 16,
        (false, false) => 12,
        (true, true) => 18,
        (false, true) => 14,
    }
}

fn layout(area_width: u16, model: &Model, kept: &KeptWidths) -> Layout {
    let wide = area_width >= WIDE_NUMBERS;
    let number = model.downloads.len().max(1).to_string().len().max(2);
    let (longest_address, attempts) = (kept.server, kept.attempts);
    // The number and state always show; the server as much as there is
    // room for (it gives way before the columns that tell a row's health).
    let essential = vec![
        (Column::Number, number),
        (Column::Server, SERVER_MIN.min(longest_address)),
        // Wide enough for the longest state: "↻ retry in 9.9 s", or in
        // short "○ connecting"; with a transform chain, "✓ transformed 2/3"
        // or "✓ transformed".
        (
            Column::State,
            state_width(wide, !model.transforms().is_empty()),
        ),
    ];
    // What tells a row's health: how much came, how fast, how long the
    // silence (no idle time or time left passes its limit: the limit's own
    // width, and the marks, is the most either needs), which attempt, and
    // how long until the deadline ends it.
    let mut health = vec![
        (Column::Bytes, if wide { 11 } else { 7 }),
        (Column::Rate, if wide { 12 } else { 7 }),
        (Column::Idle, 2 + widest_below(model.limits.idle_timeout)),
        (Column::Try, (attempts * 2 + 1).max(3)),
    ];
    if let Some(limit) = model.limits.deadline {
        health.push((Column::Left, 1 + widest_below(limit)));
    }
    let extras = vec![
        (Column::Activity, SPARK_WIDTH),
        (Column::Time, format::DURATION_WIDTH),
    ];
    // Borders take two columns; one column of space between columns.
    let room = usize::from(area_width).saturating_sub(2);
    let used = |columns: &[(Column, usize)]| {
        columns.iter().map(|(_, w)| w).sum::<usize>() + columns.len().saturating_sub(1)
    };
    let choose = |columns: Vec<(Column, usize)>, room: usize| -> Vec<(Column, usize)> {
        let sizes: Vec<(usize, u8)> = columns
            .iter()
            .map(|&(column, width)| (width.max(column.title().len()), column.priority()))
            .collect();
        let kept = drop_by_priority(&sizes, 1, room);
        columns
            .into_iter()
            .zip(&sizes)
            .zip(&kept)
            .filter(|(_, k)| **k)
            .map(|(((column, _), (width, _)), _)| (column, *width))
            .collect()
    };
    let mut columns = choose(essential.into_iter().chain(health).collect(), room);
    // Then the server grows towards its whole width, and what is left goes
    // to the extras.
    let spare = room.saturating_sub(used(&columns));
    if let Some((_, width)) = columns.iter_mut().find(|(c, _)| *c == Column::Server) {
        let grow = longest_address.saturating_sub(*width).min(spare);
        *width += grow;
    }
    let spare = room.saturating_sub(used(&columns));
    for extra in choose(extras, spare.saturating_sub(1)) {
        columns.push(extra);
    }
    let order = |column: Column| match column {
        Column::Number => 0,
        Column::Server => 1,
        Column::State => 2,
        Column::Bytes => 3,
        Column::Rate => 4,
        Column::Activity => 5,
        Column::Idle => 6,
        Column::Time => 7,
        Column::Try => 8,
        Column::Left => 9,
    };
    columns.sort_by_key(|&(column, _)| order(column));
    let used = used(&columns);
    if used > room
        && let Some((_, width)) = columns.iter_mut().find(|(c, _)| *c == Column::Server)
    {
        // A terminal too narrow even for the essentials: the server gives
        // way, keeping its port whole (see `fit::address`).
        *width = width
            .saturating_sub(used - room)
            .max(super::fit::ADDRESS_MIN);
    }
    Layout { columns, wide }
}

/// The widest [`format::duration`] of any time up to `limit`: six columns
/// below an hour (`59.9 s`), else the most any takes.
fn widest_below(limit: std::time::Duration) -> usize {
    if limit < std::time::Duration::from_secs(3600) {
        6
    } else {
        format::DURATION_WIDTH
    }
}

/// Before drawing: the rows that fit, the selection settled among them
/// (it follows its download as rows change), the column widths kept.
pub fn measure(area: Rect, model: &Model, view: &mut View, now: Instant) {
    // Borders and the header row take three lines.
    view.table_height = area.height.saturating_sub(3) as usize;
    let rows = view.rows(model, now);
    view.settle(&rows);
    // Only the rows on screen are looked up.
    let shown = rows.window(view.table_offset, view.table_height);
    keep_widths(area.width, model, &shown, &mut view.table_widths);
}

/// Draws the table as measured and returns the area its rows occupy (for
/// clicks).
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    view: &View,
    now: Instant,
    theme: &Theme,
) -> Rect {
    let rows = &view.rows_as_measured(model);
    let shown = &rows.window(view.table_offset, view.table_height);
    let layout = layout(area.width, model, &view.table_widths);
    let table_rows: Vec<Row> = shown
        .iter()
        .map(|&task| row(task, &model[task], model, now, theme, &layout))
        .collect();
    let selected_row = view
        .selected
        .and_then(|task| shown.iter().position(|&shown| shown == task));

    let hidden_by_filter = model.downloads.len().saturating_sub(rows.len());
    let below = rows.len().saturating_sub(view.table_offset + shown.len());
    let mut fields = vec![Field::new("Downloads", theme.title(), 10)];
    if !rows.is_empty() {
        fields.push(Field::new(
            format!(
                "{}–{} of {}",
                view.table_offset + 1,
                view.table_offset + shown.len(),
                rows.len()
            ),
            theme.plain(),
            6,
        ));
    }
    if view.table_offset > 0 {
        fields.push(Field::new(
            format!("↑{} more", view.table_offset),
            theme.warning(),
            8,
        ));
    }
    if below > 0 {
        fields.push(Field::new(format!("↓{below} more"), theme.warning(), 9));
    }
    if hidden_by_filter > 0 {
        // Why they are hidden: the state filter, the search, or both.
        let mut why = Vec::new();
        if view.filter != Filter::All {
            why.push(format!("filter:{}", view.filter.label()));
        }
        if !view.search.is_empty() {
            let search: String = crate::text::sanitize(&view.search)
                .text
                .chars()
                .take(20)
                .collect();
            why.push(format!("search:\"{search}\""));
        }
        // The long form where it fits; else the short one, which outlasts
        // the row range and the sort label: hidden rows are never unsaid.
        fields.push(Field::new(
            format!("({hidden_by_filter} hidden by {})", why.join(" ")),
            theme.plain(),
            LONG_HIDDEN,
        ));
        let keys: Vec<&str> = [
            (view.filter != Filter::All).then_some("f"),
            (!view.search.is_empty()).then_some("/"),
        ]
        .into_iter()
        .flatten()
        .collect();
        fields.push(Field::new(
            format!("{hidden_by_filter} hidden ({})", keys.join(" ")),
            theme.plain(),
            SHORT_HIDDEN,
        ));
    }
    let sort = format!(" sort:{} ", view.sort.label());
    // Borders and a space either side; the sort label only when it leaves
    // room for everything that must be said.
    let room = usize::from(area.width).saturating_sub(4);
    let must_say = |kept: &[bool]| {
        fields
            .iter()
            .zip(kept)
            .all(|(field, kept)| *kept || field.priority < SHORT_HIDDEN)
    };
    let sizes: Vec<(usize, u8)> = fields
        .iter()
        .map(|f| (f.text.width(), f.priority))
        .collect();
    let with_sort = room.saturating_sub(sort.width() + 2);
    let (room, sort) = if must_say(&super::fit::drop_by_priority(&sizes, 1, with_sort)) {
        (with_sort, Some(sort))
    } else {
        (room, None)
    };
    let mut title = fit(fields, " ", room);
    let short_hidden = title
        .spans
        .last()
        .is_some_and(|s| s.content.contains(" hidden ("));
    let long_hidden = title.spans.iter().any(|s| s.content.starts_with('('));
    if short_hidden && long_hidden {
        // The long form of "hidden" made it: the short one is not needed.
        title.spans.truncate(title.spans.len() - 2);
    }
    title.spans.insert(0, Span::raw(" "));
    title.spans.push(Span::raw(" "));
    let mut block = Block::bordered()
        .title(title)
        .border_style(theme.border(view.focus == Focus::Table));
    if let Some(sort) = sort {
        block = block.title_top(Line::from(sort).right_aligned());
    }
    let inner = block.inner(area);
    let widths: Vec<Constraint> = layout
        .columns
        .iter()
        .map(|&(_, width)| Constraint::Length(width as u16))
        .collect();
    let header: Vec<Cell> = layout
        .columns
        .iter()
        .map(|&(column, width)| Cell::from(align(column.title().to_string(), column, width)))
        .collect();
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(theme.title()))
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
    if let Some(index) = selected_row {
        // Over every cell of the row, their own colours included (a row's
        // style would sit under them): one fixed foreground on one fixed
        // background.
        let line = Rect {
            y: inner.y + 1 + index as u16,
            height: 1,
            ..inner
        };
        frame
            .buffer_mut()
            .set_style(line.intersection(inner), theme.selected());
    }
    if rows.is_empty() && inner.height > 1 {
        // Say which hid them: the filter alone, or the search among what the
        // filter lets through.
        let through_filter = model.states().count_in(view.filter.states());
        let what = match view.filter {
            Filter::All if model.downloads.is_empty() => {
                "no downloads yet — a adds servers".to_string()
            }
            filter if through_filter == 0 && filter != Filter::All => {
                format!("no {} downloads — f changes the filter", filter.label())
            }
            Filter::All => "nothing matches the search — / changes it, Esc clears it".to_string(),
            filter => format!(
                "{through_filter} {} but none matches the search — / changes it, Esc clears it",
                filter.label()
            ),
        };
        let message = Rect {
            y: inner.y + 1,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(Span::styled(what, theme.plain())), message);
    }
    Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    }
}

fn align(text: String, column: Column, width: usize) -> String {
    if column.right_aligned() {
        format!("{text:>width$}")
    } else {
        text
    }
}

fn row<'a>(
    task: TaskId,
    download: &'a Download,
    model: &Model,
    now: Instant,
    theme: &Theme,
    layout: &Layout,
) -> Row<'a> {
    let active = matches!(download.state, State::Connecting | State::Receiving);
    let cells = layout.columns.iter().map(|&(column, width)| match column {
        Column::Number => Cell::from(align(task.to_string(), column, width)),
        Column::Server => Cell::from(super::fit::address(&download.address, width)),
        Column::State => state_cell(download, now, theme, layout.wide),
        Column::Bytes => {
            let partial = if download.is_partial() && download.state.is_final() {
                "*"
            } else {
                ""
            };
            let bytes = if layout.wide {
                format::bytes(download.received)
            } else {
                format::bytes_short(download.received)
            };
            Cell::from(align(format!("{bytes}{partial}"), column, width))
        }
        Column::Rate => {
            let rate = if !active {
                String::new()
            } else if layout.wide {
                format::rate(download.rate(now))
            } else {
                format::rate_short(download.rate(now))
            };
            Cell::from(align(rate, column, width))
        }
        Column::Activity => {
            // Only while it runs: the screen of an ended run is not redrawn
            // while nothing happens, and a frozen live sparkline would lie.
            let spark = if active {
                download
                    .throughput()
                    .map(|t| format::sparkline(&t.recent(now, SPARK_WIDTH)))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            Cell::from(Span::styled(spark, theme.good()))
        }
        Column::Idle => idle_cell(download, model, now, theme, active),
        Column::Time => {
            let elapsed = download.elapsed(now);
            Cell::from(elapsed.map(format::duration).unwrap_or_default())
        }
        Column::Try => Cell::from(if download.attempts > 0 {
            format!("{}/{}", download.attempt, download.attempts)
        } else {
            String::new()
        }),
        Column::Left => deadline_cell(download, model, now, theme, active),
    });
    Row::new(cells.collect::<Vec<_>>())
}

fn state_cell<'a>(download: &Download, now: Instant, theme: &Theme, wide: bool) -> Cell<'a> {
    let (symbol, label, style) = theme.state(download);
    let label = match (download.state, download.retry_in(now)) {
        (State::Retrying, Some(wait)) if !download.paused => {
            let wait = wait.as_secs_f64();
            // Rounded up ("0.4 s" for a wait the log calls 0.323 s): tenths
            // under ten seconds, as every other duration, then seconds.
            let wait = if wait < 10.0 {
                format!("{:.1} s", (wait * 10.0).ceil() / 10.0)
            } else if wait < 60.0 {
                format!("{:.0} s", wait.ceil())
            } else {
                format::duration(std::time::Duration::from_secs_f64(wait.ceil()))
            };
            if wide {
                format!("retry in {wait}")
            } else {
                // ↻ says retry (see the help's symbols).
                format!("in {wait}")
            }
        }
        // Which step, when there is more than one ("sending 2/3").
        (State::Transforming, _) if wide => match download.chain() {
            Some(chain) if chain.of > 1 => format!("{label} {}/{}", chain.step + 1, chain.of),
            _ => label.to_string(),
        },
        // Some steps held, some did not: how many held ("transformed 1/2").
        (State::Complete, _) if download.not_transformed => match download.chain() {
            Some(chain) if chain.transformed() => {
                let held = format!("{}/{}", chain.held.len(), chain.of);
                if wide {
                    format!("transformed {held}")
                } else {
                    format!("{held} steps")
                }
            }
            // (The poem pane's title says which text it shows.)
            _ if !wide => "original".to_string(),
            _ => label.to_string(),
        },
        _ => label.to_string(),
    };
    // The symbol carries the colour; the words are in the terminal's own
    // foreground (bold where the style is), readable on any background.
    let words = Style::new().add_modifier(style.add_modifier);
    Cell::from(Line::from(vec![
        Span::styled(symbol, style),
        Span::styled(format!(" {label}"), words),
    ]))
}

/// Time since the last byte, marked `!` (yellow) past half the idle timeout
/// and `!!` (red) past four fifths, so a slow server shows before it fails,
/// with or without colour.
fn idle_cell<'a>(
    download: &Download,
    model: &Model,
    now: Instant,
    theme: &Theme,
    active: bool,
) -> Cell<'a> {
    let Some(idle) = download.idle(now).filter(|_| active) else {
        return Cell::from("");
    };
    let limit = model.limits.idle_timeout.as_secs_f64();
    let fraction = idle.as_secs_f64() / limit;
    let (mark, style) = if fraction >= 0.8 {
        ("!!", theme.bad())
    } else if fraction >= 0.5 {
        ("!", theme.warning())
    } else {
        ("", Style::new())
    };
    Cell::from(Span::styled(
        format!("{mark}{}", format::duration(idle)),
        style,
    ))
}

/// Time left before `--timeout` ends the download.
fn deadline_cell<'a>(
    download: &Download,
    model: &Model,
    now: Instant,
    theme: &Theme,
    active: bool,
) -> Cell<'a> {
    // The deadline is the whole download's: it keeps counting through the
    // backoff between attempts and the wait in line for the next one.
    let counting = active || !download.state.is_final();
    let (Some(limit), true) = (model.limits.deadline, counting) else {
        return Cell::from("");
    };
    // Time paused does not count.
    let Some(left) = download.time_left(limit, now) else {
        return Cell::from("");
    };
    let (mark, style) = if left.as_secs_f64() < limit.as_secs_f64() * 0.2 {
        ("!", theme.bad())
    } else {
        ("", Style::new())
    };
    Cell::from(Span::styled(
        format!("{mark}{}", format::duration(left)),
        style,
    ))
}
