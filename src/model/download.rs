use std::time::{Duration, Instant};

use std::borrow::Cow;

use bytes::BytesMut;

use super::poem_bytes::PoemBytes;
use super::throughput::Throughput;
use crate::address::Address;
use crate::engine::{AttemptTimes, Event, EventKind, FailReason, FetchError};
use crate::text::ControlCounter;

/// Where a download is. `Failed` says why in [`Download::error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Queued,
    Connecting,
    Receiving,
    /// Ended with a clean close and at least one byte.
    Complete,
    /// Ended with a clean close and no bytes at all.
    Empty,
    Failed,
    Cancelled,
    /// Waiting for the backoff before the next attempt.
    Retrying,
}

impl State {
    /// Ended with the whole poem (an empty poem is whole).
    pub fn is_complete(self) -> bool {
        matches!(self, State::Complete | State::Empty)
    }

    /// No further events will come unless a command restarts it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Complete | State::Empty | State::Failed | State::Cancelled
        )
    }
}

#[derive(Debug, Clone)]
pub struct Download {
    pub address: Address,
    /// Which run the fields describe (see [`Event::run`]).
    pub run: u32,
    pub state: State,
    pub attempt: u32,
    pub attempts: u32,
    /// The bytes of the current attempt, exactly as they arrived, in the
    /// engine's own buffers: the only copy of the poem.
    pub poem: PoemBytes,
    pub received: u64,
    /// Bytes in the latest progress event.
    pub last_chunk: usize,
    /// When the current run started (its first event).
    pub run_started: Option<Instant>,
    /// When the run's first attempt started: `--timeout` counts from here,
    /// across retries.
    pub first_attempt_started: Option<Instant>,
    pub attempt_started: Option<Instant>,
    pub last_byte: Option<Instant>,
    pub ended: Option<Instant>,
    pub times: AttemptTimes,
    /// The latest failure: the final one when `Failed`, the one being retried
    /// when `Retrying`.
    pub error: Option<FetchError>,
    /// When the next attempt starts, while `Retrying`.
    pub retry_at: Option<Instant>,
    /// Kept only in a dashboard model.
    pub throughput: Throughput,
    /// Lines and control characters, kept only when the model indexes text
    /// (for the dashboard).
    index: TextIndex,
}

/// What the dashboard needs to show any part of a poem without decoding or
/// scanning all of it.
#[derive(Debug, Clone, Default)]
struct TextIndex {
    /// Newlines in the poem so far.
    newlines: usize,
    /// Every [`CHECKPOINT`] bytes: the offset, and how many newlines come
    /// before it. Lines are counted a block at a time (a vectorised count),
    /// and any line is found from the checkpoint before it.
    checkpoints: Vec<(usize, usize)>,
    /// Where indexing resumes.
    scanned: usize,
    controls: ControlCounter,
}

/// Bytes between checkpoints of the line index.
const CHECKPOINT: usize = 64 * 1024;

impl TextIndex {
    /// Indexes the bytes that arrived since the last call.
    fn update(&mut self, poem: &PoemBytes) {
        for (start, piece) in poem.segments_from(self.scanned) {
            let mut at = 0;
            while at < piece.len() {
                // Up to the next checkpoint boundary.
                let offset = start + at;
                let boundary = (offset / CHECKPOINT + 1) * CHECKPOINT;
                let block = &piece[at..piece.len().min(at + boundary - offset)];
                self.newlines += memchr::memchr_iter(b'\n', block).count();
                at += block.len();
                if start + at == boundary {
                    self.checkpoints.push((boundary, self.newlines));
                }
            }
            self.controls.push(piece);
        }
        self.scanned = poem.len();
    }

    /// A place to start looking for line `line`: an offset at or before its
    /// start, and how many newlines come before that offset.
    fn before_line(&self, line: usize) -> (usize, usize) {
        let after = self
            .checkpoints
            .partition_point(|&(_, newlines)| newlines < line);
        after.checked_sub(1).map_or((0, 0), |i| self.checkpoints[i])
    }
}

impl Download {
    pub fn new(address: Address) -> Self {
        Download {
            address,
            run: 0,
            state: State::Queued,
            attempt: 0,
            attempts: 0,
            poem: PoemBytes::default(),
            received: 0,
            last_chunk: 0,
            run_started: None,
            first_attempt_started: None,
            attempt_started: None,
            last_byte: None,
            ended: None,
            times: AttemptTimes::default(),
            error: None,
            retry_at: None,
            throughput: Throughput::default(),
            index: TextIndex::default(),
        }
    }

    /// How many characters the display replaces with a visible form (see
    /// [`crate::text::sanitize`]); counted only when the model indexes text.
    pub fn control_chars(&self) -> usize {
        self.index.controls.count()
    }

    /// The raw lines of the poem from line `top` (0-based) on, without their
    /// newlines, found through the index: the cost does not grow with `top`.
    /// No line is searched further than `budget` bytes for its end: a longer
    /// line is cut there, so one enormous line costs no more to show than a
    /// screenful. Needs a model that indexes text.
    pub fn lines_from(&self, top: usize, budget: usize) -> impl Iterator<Item = Cow<'_, [u8]>> {
        let (start, newlines_before) = self.index.before_line(top);
        let poem = &self.poem;
        let end = poem.len();
        let mut at = start.min(end);
        let mut skip = top - newlines_before;
        std::iter::from_fn(move || {
            while skip > 0 && at < end {
                // Lines above the view are passed over whole.
                skip -= 1;
                at = poem.find(b'\n', at, end).map_or(end, |newline| newline + 1);
            }
            if at >= end {
                return None;
            }
            let window_end = end.min(at.saturating_add(budget.max(1)));
            let line = match poem.find(b'\n', at, window_end) {
                Some(newline) => {
                    let line = poem.slice(at, newline);
                    at = newline + 1;
                    line
                }
                None => {
                    // No newline within the budget: show what fits and stop.
                    let line = poem.slice(at, window_end);
                    at = end;
                    line
                }
            };
            Some(line)
        })
    }

    /// Lines in the poem (a last line without a newline counts).
    pub fn line_count(&self) -> usize {
        self.index.newlines + usize::from(self.poem.last().is_some_and(|b| b != b'\n'))
    }

    /// Bytes per second over the last second.
    pub fn rate(&self, now: Instant) -> f64 {
        if self.state.is_final() {
            return 0.0;
        }
        self.throughput.rate(now)
    }

    /// Bytes per second over the whole run so far (to its end, once it has
    /// ended); `None` before its first attempt.
    pub fn average_rate(&self, now: Instant) -> Option<f64> {
        let start = self.first_attempt_started?;
        let took = self.ended.unwrap_or(now).saturating_duration_since(start);
        Some(self.received as f64 / took.as_secs_f64().max(0.001))
    }

    /// True when the bytes kept are not a whole poem.
    pub fn is_partial(&self) -> bool {
        !self.state.is_complete() && !self.poem.is_empty()
    }

    pub fn fail_reason(&self) -> Option<&FailReason> {
        self.error.as_ref().map(|e| &e.reason)
    }

    /// Time since the last byte (or since the attempt began, before the
    /// first byte), as of `now`.
    pub fn idle(&self, now: Instant) -> Option<Duration> {
        let since = self.last_byte.or(self.attempt_started)?;
        Some(now.saturating_duration_since(since))
    }

    /// Folds `event` in, taking the bytes of a progress event out of it.
    pub(super) fn apply(&mut self, event: &mut Event, dashboard: bool) -> bool {
        if event.run < self.run {
            return false;
        }
        if event.run > self.run {
            // A restart: forget the old run entirely.
            *self = Download::new(self.address.clone());
            self.run = event.run;
            self.run_started = Some(event.at);
        }
        match &mut event.kind {
            EventKind::Queued => self.state = State::Queued,
            EventKind::Connecting { attempt, of } => {
                self.state = State::Connecting;
                self.attempt = *attempt;
                self.attempts = *of;
                self.attempt_started = Some(event.at);
                if *attempt == 1 {
                    self.first_attempt_started = Some(event.at);
                }
                self.poem = PoemBytes::default();
                self.index = TextIndex::default();
                self.received = 0;
                self.last_chunk = 0;
                self.last_byte = None;
                self.retry_at = None;
                self.times = AttemptTimes::default();
            }
            EventKind::Connected { connect_time } => {
                self.state = State::Receiving;
                self.times.connect = Some(*connect_time);
            }
            EventKind::Progress { data, received } => {
                self.state = State::Receiving;
                self.last_chunk = data.iter().map(BytesMut::len).sum();
                if dashboard {
                    self.throughput.record(event.at, self.last_chunk as u64);
                }
                for piece in std::mem::take(data) {
                    self.poem.push(piece);
                }
                if dashboard {
                    self.index.update(&self.poem);
                }
                self.received = *received;
                if self.times.first_byte.is_none() {
                    self.times.first_byte = self
                        .attempt_started
                        .map(|start| event.at.saturating_duration_since(start));
                }
                self.last_byte = Some(event.at);
            }
            EventKind::Finished { received, times } => {
                self.state = if *received == 0 {
                    State::Empty
                } else {
                    State::Complete
                };
                self.received = *received;
                self.times = *times;
                self.error = None;
                self.ended = Some(event.at);
            }
            EventKind::Failed { error } => {
                self.state = State::Failed;
                self.received = error.received;
                self.error = Some(error.clone());
                self.ended = Some(event.at);
            }
            EventKind::Cancelled { received } => {
                self.state = State::Cancelled;
                self.received = *received;
                self.ended = Some(event.at);
            }
            EventKind::Retrying {
                attempt,
                of,
                after,
                error,
            } => {
                self.state = State::Retrying;
                self.attempt = *attempt;
                self.attempts = *of;
                self.error = Some(error.clone());
                self.retry_at = Some(event.at + *after);
            }
        }
        if self.state.is_final() {
            self.poem.shrink_if_short();
            if dashboard {
                self.index.update(&self.poem);
                self.index.controls.finish();
            }
        }
        true
    }
}
