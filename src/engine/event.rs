//! What the engine says (events) and what it obeys (commands).
//!
//! Twisted's callback and errback chains become plain data here: each step of
//! a download is an [`Event`] on a channel, and whoever listens (the
//! dashboard, the plain or NDJSON reporter) folds them into its model.

use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::error::FetchError;
use super::fetch::AttemptTimes;

/// A download's position in the address list (0-based; shown 1-based).
pub type TaskId = usize;

#[derive(Debug, Clone)]
pub struct Event {
    pub task: TaskId,
    /// Which run of the task this is: 1 for the first, one more for each
    /// retry asked for by a command. Events from an older run can arrive
    /// after a newer run has started and are to be ignored.
    pub run: u32,
    /// When the engine saw it happen. Models derive times and rates from
    /// this, never from the clock, so they stay pure.
    pub at: Instant,
    pub kind: EventKind,
}

#[derive(Debug, Clone)]
pub enum EventKind {
    /// Waiting for a concurrency slot (sent only with a concurrency limit).
    Queued,
    /// An attempt starts (1-based; `of` counts all attempts allowed).
    Connecting {
        attempt: u32,
        of: u32,
    },
    Connected {
        connect_time: Duration,
    },
    /// New bytes. Coalesced: at most one per download every
    /// [`PROGRESS_INTERVAL`](super::PROGRESS_INTERVAL), and always one with
    /// the last bytes before the attempt ends. `received` counts all bytes of
    /// this attempt. The bytes are handed over in the buffers they were read
    /// into, never copied (pieces of one buffer come already joined).
    Progress {
        data: Vec<BytesMut>,
        received: u64,
    },
    /// The server closed the connection: the poem is complete (or empty).
    Finished {
        received: u64,
        times: AttemptTimes,
    },
    /// The download failed for good: no attempts left, or not retryable.
    Failed {
        error: FetchError,
    },
    /// A command cancelled it; `received` bytes had arrived.
    Cancelled {
        received: u64,
    },
    /// An attempt failed and attempt `attempt` of `of` starts `after` this long.
    Retrying {
        attempt: u32,
        of: u32,
        after: Duration,
        error: FetchError,
    },
}

/// What the engine can be asked to do while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Cancel(TaskId),
    CancelAll,
    /// Start the download again, whatever its state; a running one restarts.
    Retry(TaskId),
    /// Start again every download that failed or was cancelled.
    RetryFailed,
}
