//! The event log pane's lines: one for each notable event, with the server's
//! address and, for failures, the reason.

use std::time::Instant;

use super::download::{Download, State};
use crate::engine::{Event, EventKind, TaskId};
use crate::units::seconds;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Good,
    Warning,
    Bad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub at: Instant,
    /// The download it is about, if any (a bad line of a streamed list is
    /// about none).
    pub task: Option<TaskId>,
    pub level: LogLevel,
    pub message: String,
}

impl LogEntry {
    /// The line for `event`, already applied to `download`; `None` for the
    /// events too frequent to log.
    pub(super) fn describe(event: &Event, download: &Download) -> Option<LogEntry> {
        // Too frequent to be worth a line each: with thousands of servers
        // they would push everything else out of sight. (Batches of queued
        // or cancelled downloads get one line from the model.)
        if matches!(
            event.kind,
            EventKind::Queued { .. }
                | EventKind::CancelledWaiting { .. }
                | EventKind::Shifted { .. }
                | EventKind::Connecting { .. }
                | EventKind::Connected { .. }
                | EventKind::Progress { .. }
        ) {
            return None;
        }
        let address = download.address.shown();
        let (level, message) = match &event.kind {
            EventKind::Queued { .. }
            | EventKind::CancelledWaiting { .. }
            | EventKind::Shifted { .. }
            | EventKind::Connecting { .. }
            | EventKind::Connected { .. }
            | EventKind::Progress { .. } => return None,
            EventKind::Paused { .. } => (LogLevel::Info, format!("{address}: paused")),
            EventKind::Resumed { .. } => (LogLevel::Info, format!("{address}: resumed")),
            EventKind::Finished { received, times } => match download.state {
                State::Empty => (LogLevel::Warning, format!("{address}: empty poem")),
                _ => (
                    LogLevel::Good,
                    format!(
                        "{address}: complete, {received} bytes in {}",
                        seconds(times.total)
                    ),
                ),
            },
            EventKind::Failed { error } => (
                LogLevel::Bad,
                format!("{address}: {}", error.reason_and_bytes()),
            ),
            EventKind::Cancelled { received } => (
                LogLevel::Warning,
                format!("{address}: cancelled (got {received} bytes)"),
            ),
            EventKind::Retrying {
                attempt,
                of,
                after,
                error,
            } => (
                LogLevel::Warning,
                format!(
                    "{address}: {}; retrying in {} (attempt {attempt} of {of})",
                    error.reason,
                    seconds(*after)
                ),
            ),
        };
        Some(LogEntry {
            at: event.at,
            task: Some(event.task),
            level,
            message,
        })
    }
}
