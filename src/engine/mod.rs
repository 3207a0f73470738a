//! The download engine: no terminal code, just sockets, limits and events.
//!
//! - [`get_poem`] fetches one poem (the tutorial's Deferred, as a future).
//! - [`start`] runs many downloads, reports [`Event`]s and obeys [`Command`]s.

mod clock;
mod error;
mod event;
mod fd_limit;
mod fetch;
mod runner;
mod segments;
mod transform;

pub use error::{FailReason, FetchError, IoError, TransformError, TransformFailure, TransformStep};
pub use event::{AttemptTimes, Command, Event, EventKind, Shift, StepPhase, TaskId};
pub use fd_limit::{FdBudget, raise_fd_limit};
pub use fetch::{Limits, Poem, get_poem};
pub use runner::{Backoff, PROGRESS_INTERVAL, RunConfig, RunHandle, start};
pub use segments::{join, push_segment};
pub use transform::{StepLimits, transform_poem};
