//! The event log pane's lines: one for each notable event, with the server's
//! address, in the words of [`super::news`].

use std::time::Instant;

use super::download::Download;
pub use super::news::LogLevel;
use super::news::News;
use crate::engine::{Event, TaskId, TransformStep};

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
    /// events that have no news.
    pub(super) fn describe(
        event: &Event,
        download: &Download,
        transforms: &[TransformStep],
    ) -> Option<LogEntry> {
        let news = News::of(event, download, transforms)?;
        Some(LogEntry {
            at: event.at,
            task: Some(event.task),
            level: news.level,
            message: format!("{} {}", download.address.shown(), news.sentence),
        })
    }
}
