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
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::fit::{Field, fit, keep};
use super::{Theme, format};
use crate::engine::TaskId;
use crate::model::view::{Filter, Focus, View};
use crate::model::{Download, Model, State};

/// Columns of recent throughput in the activity sparkline.
const SPARK_WIDTH: usize = 12;
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
            Column::Server | Column::State => 10,
            Column::Number => 9,
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

fn layout(area_width: u16, model: &Model, rows: &[TaskId]) -> Layout {
    let wide = area_width >= WIDE_NUMBERS;
    let number = model.downloads.len().max(1).to_string().len().max(2);
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
    let mut candidates = vec![
        (Column::Number, number),
        (Column::Server, longest_address),
        (Column::State, if wide { 15 } else { 12 }),
        (Column::Bytes, if wide { 11 } else { 7 }),
        (Column::Rate, if wide { 12 } else { 7 }),
        (Column::Activity, SPARK_WIDTH),
        (Column::Idle, format::DURATION_WIDTH + 2),
        (Column::Time, format::DURATION_WIDTH),
        (Column::Try, (attempts * 2 + 1).max(3)),
    ];
    if model.limits.deadline.is_some() {
        candidates.push((Column::Left, format::DURATION_WIDTH + 1));
    }
    // Borders take two columns; one column of space between columns.
    let room = usize::from(area_width).saturating_sub(2);
    let sizes: Vec<(usize, u8)> = candidates
        .iter()
        .map(|&(column, width)| (width.max(column.title().len()), column.priority()))
        .collect();
    let kept = keep(&sizes, 1, room);
    let mut columns: Vec<(Column, usize)> = candidates
        .into_iter()
        .zip(&sizes)
        .zip(&kept)
        .filter(|(_, k)| **k)
        .map(|(((column, _), (width, _)), _)| (column, *width))
        .collect();
    let used: usize =
        columns.iter().map(|(_, w)| w).sum::<usize>() + columns.len().saturating_sub(1);
    if used > room
        && let Some((_, width)) = columns.iter_mut().find(|(c, _)| *c == Column::Server)
    {
        // Only the columns that always stay are left, and still too wide:
        // the address gives way (keeping its port whole; see `keep_end`).
        *width = width.saturating_sub(used - room).max(SERVER_MIN);
    }
    Layout { columns, wide }
}

/// Draws the table and returns the area its rows occupy (for clicks).
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    view: &mut View,
    now: Instant,
    theme: &Theme,
) -> Rect {
    // Borders and the header row take three lines.
    view.table_height = area.height.saturating_sub(3) as usize;
    let rows = &view.rows(model, now);
    view.settle(rows);
    // Only the rows on screen are looked up.
    let shown = &rows.window(view.table_offset, view.table_height);
    let layout = layout(area.width, model, shown);
    let table_rows: Vec<Row> = shown
        .iter()
        .map(|&task| {
            let row = row(task, &model[task], model, now, theme, &layout);
            if view.selected == Some(task) {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();

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
            7,
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
        fields.push(Field::new(
            format!("({hidden_by_filter} hidden by {})", why.join(" ")),
            theme.dim(),
            6,
        ));
        fields.push(Field::new(
            format!("{hidden_by_filter} hidden"),
            theme.dim(),
            5,
        ));
    }
    let sort = format!(" sort:{} ", view.sort.label());
    // Borders, the sort label and a space either side.
    let room = usize::from(area.width).saturating_sub(sort.width() + 6);
    let mut title = fit(fields, " ", room);
    let short_hidden = title
        .spans
        .last()
        .is_some_and(|s| s.content.ends_with(" hidden"));
    let long_hidden = title.spans.iter().any(|s| s.content.starts_with('('));
    if short_hidden && long_hidden {
        // The long form of "hidden" made it: the short one is not needed.
        title.spans.truncate(title.spans.len() - 2);
    }
    title.spans.insert(0, Span::raw(" "));
    title.spans.push(Span::raw(" "));
    let block = Block::bordered()
        .title(title)
        .title_top(Line::from(sort).right_aligned())
        .border_style(theme.border(view.focus == Focus::Table));
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
    if rows.is_empty() && inner.height > 1 {
        let what = match view.filter {
            _ if !view.search.is_empty() => {
                "nothing matches the search — / changes it, Esc there clears it".to_string()
            }
            Filter::All => "no downloads yet — a adds servers".to_string(),
            filter => format!("no {} downloads — f changes the filter", filter.label()),
        };
        let message = Rect {
            y: inner.y + 1,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(Span::styled(what, theme.dim())), message);
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

/// `text` in at most `width` columns: whole, or its end after an ellipsis,
/// so an address keeps its port whole.
fn keep_end(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut kept = String::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        kept.insert(0, c);
    }
    format!("…{kept}")
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
        Column::Server => Cell::from(keep_end(&download.address.shown(), width)),
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
            let wait = if wait < 10.0 {
                // Tenths, rounded up: "0.4s" for a wait the log calls 0.323 s.
                format!("{:.1}s", (wait * 10.0).ceil() / 10.0)
            } else {
                format!("{:.0}s", wait.ceil())
            };
            if wide {
                format!("retry in {wait}")
            } else {
                format!("retry {wait}")
            }
        }
        _ => label.to_string(),
    };
    Cell::from(Span::styled(format!("{symbol} {label}"), style))
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
    // backoff between attempts.
    let counting = active || download.state == State::Retrying;
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
