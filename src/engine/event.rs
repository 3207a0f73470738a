//! What the engine says (events) and what it obeys (commands).
//!
//! Twisted's callback and errback chains become plain data here: each step of
//! a download is an [`Event`] on a channel, and whoever listens (the
//! dashboard, the plain or NDJSON reporter) folds them into its model.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::error::{FetchError, TransformError};
use crate::address::Address;

/// A download: its position in the address list. Kept 0-based (an index),
/// shown 1-based (`Task 1` is the first address), so no caller adds 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u32);

impl TaskId {
    /// The download at `index` (0-based) in the address list. Four bytes,
    /// not eight: a million queued downloads keep several ids each.
    /// (Four billion downloads would need far more memory than ids.)
    pub const fn at(index: usize) -> TaskId {
        TaskId(if index > u32::MAX as usize {
            u32::MAX
        } else {
            index as u32
        })
    }

    /// Its 0-based position, for indexing.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// Every task of a list of `count` downloads, in order.
    pub fn all(count: usize) -> impl DoubleEndedIterator<Item = TaskId> + ExactSizeIterator {
        (0..count).map(TaskId::at)
    }

    /// `count` tasks from this one on.
    pub fn range(
        self,
        count: usize,
    ) -> impl DoubleEndedIterator<Item = TaskId> + ExactSizeIterator {
        (self.index()..self.index().saturating_add(count)).map(TaskId::at)
    }
}

/// 1-based, as people count: the first address is task 1.
impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", u64::from(self.0) + 1)
    }
}

/// 1-based in NDJSON too.
impl serde::Serialize for TaskId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::from(self.0) + 1)
    }
}

#[derive(Debug, Clone)]
pub struct Event {
    pub task: TaskId,
    /// Which *generation* of the download this is: 1 for the first, one
    /// more each time a command restarts it (a retry key, `Command::Retry`);
    /// the attempts that retry a failure are all within one generation.
    /// Events from an older generation can arrive after a newer one has
    /// started and are to be ignored. (NDJSON calls it `run`.)
    pub generation: u32,
    /// When the engine saw it happen. Models derive times and rates from
    /// this, never from the clock, so they stay pure.
    pub at: Instant,
    pub kind: EventKind,
}

#[derive(Debug, Clone)]
pub enum EventKind {
    /// `count` downloads, from this event's task on, wait for a concurrency
    /// slot (sent only with a concurrency limit). One event for a whole
    /// batch: a million addresses behind `-j 10` are one event, not a million.
    Queued {
        count: u32,
    },
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
    /// A command cancelled `count` downloads, from this event's task on,
    /// all waiting in line for their first attempt of this generation (so no byte
    /// had arrived): one event, so that cancelling a million queued
    /// downloads is not a million events.
    CancelledWaiting {
        count: u32,
    },
    /// `count` downloads, from this event's task on, were paused: a running
    /// one stops reading (the server is held back by TCP's flow control, so
    /// nothing is lost), a waiting one does not start; idle and deadline
    /// clocks stop until they are resumed.
    Paused {
        count: u32,
    },
    /// `count` downloads, from this event's task on, go on again.
    Resumed {
        count: u32,
    },
    /// A step of the poem's transform chain (`step`, 0-based, in the order
    /// of the run's `--transform`s, of `of`) is at `phase`. The poem itself is whole.
    Transforming {
        step: u16,
        /// Steps in the chain.
        of: u16,
        phase: StepPhase,
    },
    /// Step `step` transformed the poem: `poem` is its reply, which the next
    /// step takes (and the row keeps, once the chain ends).
    Transformed {
        step: u16,
        poem: Bytes,
    },
    /// Step `step` failed: the poem it was given goes on unchanged (the
    /// errback's fallback).
    TransformFailed {
        step: u16,
        error: TransformError,
    },
    /// An attempt failed and attempt `attempt` of `of` starts `after` this long.
    Retrying {
        attempt: u32,
        of: u32,
        after: Duration,
        error: FetchError,
    },
}

/// Where a step is, for the row that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepPhase {
    Connecting,
    /// The request is being written: `sent` of `of` bytes.
    Sending {
        sent: u64,
        of: u64,
    },
    /// All sent; no byte of the reply yet.
    Waiting,
    /// `received` bytes of the reply so far.
    Receiving {
        received: u64,
    },
}

/// What the engine can be asked to do while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// New downloads, numbered from `first` on (the next free ids: whoever
    /// adds them numbers them, so its model and the engine agree). They
    /// join the end of the line.
    Add {
        first: TaskId,
        addresses: Vec<Arc<Address>>,
    },
    Cancel(TaskId),
    CancelAll,
    /// Start the download again, whatever its state; a running one restarts.
    Retry(TaskId),
    /// Start again every download that failed or was cancelled.
    RetryFailed,
    /// Hold a download still (see [`EventKind::Paused`]); a queued one does
    /// not start until resumed.
    Pause(TaskId),
    Resume(TaskId),
    /// Every download that has not ended.
    PauseAll,
    ResumeAll,
}

/// The whole process was stopped (Ctrl-Z) for `by`, until `ended`. Not an
/// event about any one download, so not on the events channel: whoever
/// froze the engine gets it back from
/// [`RunHandle::freeze`](super::RunHandle::freeze) and moves its own
/// wall-clock times by it, as the engine's process clock did (see
/// [`super::clock`]). Times from after `ended` are already the wall's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    pub by: Duration,
    pub ended: Instant,
}

impl EventKind {
    /// A batch (consecutive downloads in one event, from its task on) as
    /// its count and the event each of those downloads would have had on
    /// its own; `None` for an event about one download. The one expansion
    /// that the model and the NDJSON record both use.
    pub fn batch(&self) -> Option<(u32, EventKind)> {
        match *self {
            EventKind::Queued { count } if count > 1 => {
                Some((count, EventKind::Queued { count: 1 }))
            }
            EventKind::Paused { count } if count > 1 => {
                Some((count, EventKind::Paused { count: 1 }))
            }
            EventKind::Resumed { count } if count > 1 => {
                Some((count, EventKind::Resumed { count: 1 }))
            }
            EventKind::CancelledWaiting { count } => {
                Some((count, EventKind::Cancelled { received: 0 }))
            }
            _ => None,
        }
    }
}

/// How long the phases of one attempt took, measured from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttemptTimes {
    pub connect: Option<Duration>,
    pub first_byte: Option<Duration>,
    pub total: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_counted_from_one_wherever_it_is_shown() {
        let first = TaskId::at(0);
        assert_eq!(first.index(), 0);
        assert_eq!(first.to_string(), "1");
        assert_eq!(serde_json::to_string(&TaskId::at(41)).unwrap(), "42");
        assert_eq!(
            TaskId::all(3).map(TaskId::index).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }
}
