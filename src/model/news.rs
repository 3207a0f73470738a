//! What each event says, in the one set of words that both the event log
//! pane and the plain output use. A sentence leaves out its subject, which
//! each puts its own way: the log writes `127.0.0.1:10000 cancelled (got 3
//! bytes)`, the plain output (whose words are public) `Task 1: poem from
//! 127.0.0.1:10000 cancelled (got 3 bytes)`.

use super::download::{Download, State};
use crate::engine::{Event, EventKind, TransformStep};
use crate::units::seconds;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Info,
    Good,
    Warning,
    Bad,
}

/// One event about one download, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct News {
    pub level: LogLevel,
    /// What happened to the download's poem: `complete, 608 bytes in
    /// 5.502 s`, `is empty`, `failed: connection refused (got 0 bytes)`.
    pub sentence: String,
}

impl News {
    /// The news in `event`, already applied to `download`; `None` for the
    /// events too frequent to be worth a line each (with thousands of
    /// servers they would push everything else out of sight) and for
    /// batches, which [`batch_sentence`] puts in words.
    pub fn of(event: &Event, download: &Download, transforms: &[TransformStep]) -> Option<News> {
        let (level, sentence) = match &event.kind {
            EventKind::Transformed { step, .. } => (
                LogLevel::Info,
                match transforms.get(usize::from(*step)) {
                    Some(by) => format!("transformed by {by}"),
                    None => format!("transformed by step {}", u32::from(*step) + 1),
                },
            ),
            EventKind::TransformFailed { error, .. } => (
                LogLevel::Warning,
                format!(
                    "not transformed by {} ({}): kept as it was",
                    error.step, error.failure
                ),
            ),
            EventKind::Transforming { .. }
            | EventKind::Queued { .. }
            | EventKind::CancelledWaiting { .. }
            | EventKind::Connecting { .. }
            | EventKind::Connected { .. }
            | EventKind::Progress { .. } => return None,
            EventKind::Paused { .. } => (LogLevel::Info, "paused".to_string()),
            EventKind::Resumed { .. } => (LogLevel::Info, "resumed".to_string()),
            EventKind::Finished { received, times } => match download.state {
                State::Empty => (LogLevel::Warning, "is empty".to_string()),
                _ => (
                    LogLevel::Good,
                    format!("complete, {received} bytes in {}", seconds(times.total)),
                ),
            },
            EventKind::Failed { error } => (
                LogLevel::Bad,
                format!("failed: {}", error.reason_and_bytes()),
            ),
            EventKind::Cancelled { received } => (
                LogLevel::Warning,
                format!("cancelled (got {received} bytes)"),
            ),
            EventKind::Retrying {
                attempt,
                of,
                after,
                error,
            } => (
                LogLevel::Warning,
                format!(
                    "failed: {}; retrying in {} (attempt {attempt} of {of})",
                    error.reason_and_bytes(),
                    seconds(*after)
                ),
            ),
        };
        Some(News { level, sentence })
    }
}

/// What happened to each download of a batch (`each`: the event each had,
/// from [`EventKind::batch`]).
pub fn batch_sentence(each: &EventKind) -> &'static str {
    match each {
        EventKind::Queued { .. } => "waiting for a connection slot",
        EventKind::Paused { .. } => "paused",
        EventKind::Resumed { .. } => "resumed",
        _ => "cancelled while waiting in line",
    }
}
