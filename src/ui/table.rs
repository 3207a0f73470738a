//! The downloads table: one row per download, only the visible rows built.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use super::{Theme, format};
use crate::engine::TaskId;
use crate::model::view::{Focus, View};
use crate::model::{Download, Model, State};

/// Columns of recent throughput in the activity sparkline.
const SPARK_WIDTH: usize = 12;

/// Draws the table and returns the area its rows occupy (for clicks).
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    view: &mut View,
    now: Instant,
    theme: &Theme,
    compact: bool,
) -> Rect {
    let deadline = model.limits.deadline.is_some();
    let mut header = vec!["#", "Server", "State", "Bytes", "Rate"];
    let mut widths = vec![
        Constraint::Length(5),
        Constraint::Min(15),
        Constraint::Length(15),
        Constraint::Length(10),
        Constraint::Length(11),
    ];
    let idle_and_try = !compact || area.width >= 72;
    if compact && idle_and_try {
        header.extend(["Idle", "Try"]);
        widths.extend([Constraint::Length(6), Constraint::Length(5)]);
    }
    if !compact {
        header.extend(["Activity", "Idle", "Time", "Try"]);
        widths.extend([
            Constraint::Length(SPARK_WIDTH as u16),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(5),
        ]);
        if deadline {
            header.push("Left");
            widths.push(Constraint::Length(6));
        }
    }

    // Borders and the header row take three lines.
    view.table_height = area.height.saturating_sub(3) as usize;
    let rows = &view.rows(model, now);
    view.settle(rows);
    let shown = &rows[view.table_offset.min(rows.len())..];
    let shown = &shown[..shown.len().min(view.table_height)];
    let table_rows: Vec<Row> = shown
        .iter()
        .map(|&task| {
            let columns = Columns {
                compact,
                idle_and_try,
                deadline,
            };
            let row = row(task, &model.downloads[task], model, now, theme, columns);
            if view.selected == Some(task) {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();

    let hidden_by_filter = model.downloads.len() - rows.len();
    let mut title = vec![Span::styled(" Downloads ", theme.title())];
    if !rows.is_empty() {
        title.push(Span::raw(format!(
            "{}–{} of {} ",
            view.table_offset + 1,
            view.table_offset + shown.len(),
            rows.len()
        )));
    }
    let below = rows.len().saturating_sub(view.table_offset + shown.len());
    if view.table_offset > 0 {
        title.push(Span::styled(
            format!("↑{} ", view.table_offset),
            theme.warning(),
        ));
    }
    if below > 0 {
        title.push(Span::styled(format!("↓{below} more "), theme.warning()));
    }
    if hidden_by_filter > 0 {
        title.push(Span::styled(
            format!(
                "({hidden_by_filter} hidden by filter:{}) ",
                view.filter.label()
            ),
            theme.dim(),
        ));
    }
    let block = Block::bordered()
        .title(Line::from(title))
        .title_top(Line::from(format!(" sort:{} ", view.sort.label())).right_aligned())
        .border_style(theme.border(view.focus == Focus::Table));
    let inner = block.inner(area);
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(theme.title()))
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
    Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    }
}

/// Which of the optional columns are shown.
#[derive(Clone, Copy)]
struct Columns {
    compact: bool,
    idle_and_try: bool,
    deadline: bool,
}

fn row<'a>(
    task: TaskId,
    download: &'a Download,
    model: &Model,
    now: Instant,
    theme: &Theme,
    columns: Columns,
) -> Row<'a> {
    let active = matches!(download.state, State::Connecting | State::Receiving);
    let (symbol, label, style) = theme.state(download);
    let label = match (download.state, download.retry_at) {
        (State::Retrying, Some(at)) => {
            let wait = at.saturating_duration_since(now).as_secs_f64();
            if wait < 10.0 {
                // Tenths, rounded up: "0.4s" for a wait the log calls 0.323 s.
                format!("retry in {:.1}s", (wait * 10.0).ceil() / 10.0)
            } else {
                format!("retry in {:.0}s", wait.ceil())
            }
        }
        _ => label.to_string(),
    };
    let partial = if download.is_partial() && download.state.is_final() {
        "*"
    } else {
        ""
    };
    let mut cells = vec![
        Cell::from(format!("{:>4}", task + 1)),
        Cell::from(download.address.to_string()),
        Cell::from(Span::styled(format!("{symbol} {label}"), style)),
        Cell::from(format!(
            "{:>9}",
            format!("{}{partial}", format::bytes(download.received))
        )),
        Cell::from(format!(
            "{:>10}",
            if active {
                format::rate(download.rate(now))
            } else {
                String::new()
            }
        )),
    ];
    let attempt = if download.attempts > 0 {
        format!("{}/{}", download.attempt, download.attempts)
    } else {
        String::new()
    };
    if columns.compact && columns.idle_and_try {
        cells.push(idle_cell(download, model, now, theme, active));
        cells.push(Cell::from(attempt));
    } else if !columns.compact {
        let spark = if download.throughput.rate(now) > 0.0 || active {
            format::sparkline(&download.throughput.recent(now, SPARK_WIDTH))
        } else {
            String::new()
        };
        cells.push(Cell::from(Span::styled(spark, theme.good())));
        cells.push(idle_cell(download, model, now, theme, active));
        let elapsed = download.run_started.map(|start| {
            download
                .ended
                .unwrap_or(now)
                .saturating_duration_since(start)
        });
        cells.push(Cell::from(
            elapsed.map(format::duration).unwrap_or_default(),
        ));
        cells.push(Cell::from(attempt));
        if columns.deadline {
            cells.push(deadline_cell(download, model, now, theme, active));
        }
    }
    Row::new(cells)
}

/// Time since the last byte, yellow past half the idle timeout and red past
/// four fifths, so a slow server shows before it fails.
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
    let style = if fraction >= 0.8 {
        theme.bad()
    } else if fraction >= 0.5 {
        theme.warning()
    } else {
        Style::new()
    };
    Cell::from(Span::styled(format::duration(idle), style))
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
    let (Some(limit), Some(start), true) = (
        model.limits.deadline,
        download.first_attempt_started,
        counting,
    ) else {
        return Cell::from("");
    };
    let left = (start + limit).saturating_duration_since(now);
    let style = if left.as_secs_f64() < limit.as_secs_f64() * 0.2 {
        theme.bad()
    } else {
        Style::new()
    };
    Cell::from(Span::styled(format::duration(left), style))
}
