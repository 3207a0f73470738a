use std::time::{Duration, Instant};

use super::throughput::Throughput;
use crate::address::Address;
use crate::engine::{AttemptTimes, Event, EventKind, FailReason, FetchError};
use crate::text::{Sanitizer, Utf8Decoder};

/// Lines between entries of the line index.
const LINE_INDEX_STEP: usize = 256;

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
    /// The bytes of the current attempt, exactly as they arrived.
    pub poem: Vec<u8>,
    pub received: u64,
    /// When the current run started (its `Queued` event).
    pub run_started: Option<Instant>,
    pub attempt_started: Option<Instant>,
    pub last_byte: Option<Instant>,
    pub ended: Option<Instant>,
    pub times: AttemptTimes,
    /// The latest failure: the final one when `Failed`, the one being retried
    /// when `Retrying`.
    pub error: Option<FetchError>,
    /// When the next attempt starts, while `Retrying`.
    pub retry_at: Option<Instant>,
    /// The poem as text that is safe to show, kept only for the dashboard.
    pub text: String,
    /// How many characters of `text` had to be made visible.
    pub replaced: usize,
    /// Newlines in `text`, counted as it grows.
    text_lines: usize,
    /// Where every [`LINE_INDEX_STEP`]-th line of `text` starts, so the poem
    /// pane can jump to any line of a huge poem without scanning it.
    line_starts: Vec<usize>,
    decoder: Utf8Decoder,
    sanitizer: Sanitizer,
    pub throughput: Throughput,
}

impl Download {
    pub fn new(address: Address) -> Self {
        Download {
            address,
            run: 0,
            state: State::Queued,
            attempt: 0,
            attempts: 0,
            poem: Vec::new(),
            received: 0,
            run_started: None,
            attempt_started: None,
            last_byte: None,
            ended: None,
            times: AttemptTimes::default(),
            error: None,
            retry_at: None,
            text: String::new(),
            replaced: 0,
            text_lines: 0,
            line_starts: vec![0],
            decoder: Utf8Decoder::new(),
            sanitizer: Sanitizer::default(),
            throughput: Throughput::default(),
        }
    }

    /// Decodes and sanitises new bytes onto `text`, once, as they arrive.
    fn push_text(&mut self, data: &[u8]) {
        let mut decoded = String::new();
        self.decoder.push(data, &mut decoded);
        let start = self.text.len();
        self.sanitizer.push(&decoded, &mut self.text);
        self.after_text_grew(start);
    }

    fn finish_text(&mut self) {
        let mut decoded = String::new();
        self.decoder.finish(&mut decoded);
        let start = self.text.len();
        self.sanitizer.push(&decoded, &mut self.text);
        self.sanitizer.finish(&mut self.text);
        self.after_text_grew(start);
    }

    fn after_text_grew(&mut self, start: usize) {
        for (offset, _) in self.text[start..].match_indices('\n') {
            self.text_lines += 1;
            if self.text_lines.is_multiple_of(LINE_INDEX_STEP) {
                self.line_starts.push(start + offset + 1);
            }
        }
        self.replaced = self.sanitizer.replaced;
    }

    /// The lines of `text` from line `top` (0-based) on, found through the
    /// index: the cost does not grow with `top`. No line is searched further
    /// than `budget` bytes for its end: a line longer than that is cut there,
    /// so one enormous line costs no more to show than a screenful.
    pub fn lines_from(&self, top: usize, budget: usize) -> impl Iterator<Item = &str> {
        let step = (top / LINE_INDEX_STEP).min(self.line_starts.len() - 1);
        let mut rest = &self.text[self.line_starts[step]..];
        let mut skip = top - step * LINE_INDEX_STEP;
        std::iter::from_fn(move || {
            loop {
                if rest.is_empty() {
                    return None;
                }
                if skip > 0 {
                    // Lines above the view are passed over whole.
                    skip -= 1;
                    rest = rest.split_once('\n').map_or("", |(_, after)| after);
                    continue;
                }
                let window = &rest.as_bytes()[..rest.len().min(budget.max(1))];
                let line = match window.iter().position(|&b| b == b'\n') {
                    Some(end) => {
                        let line = &rest[..end];
                        rest = &rest[end + 1..];
                        line
                    }
                    None => {
                        // No newline within the budget: show what fits and
                        // stop, rather than search on.
                        let mut cut = window.len();
                        while !rest.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        let line = &rest[..cut];
                        rest = "";
                        line
                    }
                };
                return Some(line);
            }
        })
    }

    /// Lines in `text` (a last line without a newline counts).
    pub fn line_count(&self) -> usize {
        self.text_lines + usize::from(!self.text.is_empty() && !self.text.ends_with('\n'))
    }

    /// Bytes per second over the last second.
    pub fn rate(&self, now: Instant) -> f64 {
        if self.state.is_final() {
            return 0.0;
        }
        self.throughput.rate(now)
    }

    /// True when the bytes kept are not a whole poem.
    pub fn is_partial(&self) -> bool {
        !matches!(self.state, State::Complete | State::Empty) && !self.poem.is_empty()
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

    pub(super) fn apply(&mut self, event: &Event, keep_text: bool) -> bool {
        if event.run < self.run {
            return false;
        }
        if event.run > self.run {
            // A restart: forget the old run entirely.
            *self = Download::new(self.address.clone());
            self.run = event.run;
            self.run_started = Some(event.at);
        }
        match &event.kind {
            EventKind::Queued => self.state = State::Queued,
            EventKind::Connecting { attempt, of } => {
                self.state = State::Connecting;
                self.attempt = *attempt;
                self.attempts = *of;
                self.attempt_started = Some(event.at);
                self.poem.clear();
                self.text.clear();
                self.text_lines = 0;
                self.line_starts = vec![0];
                self.replaced = 0;
                self.decoder = Utf8Decoder::new();
                self.sanitizer = Sanitizer::default();
                self.received = 0;
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
                self.poem.extend_from_slice(data);
                if keep_text {
                    self.push_text(data);
                }
                self.throughput.record(event.at, data.len() as u64);
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
        if keep_text
            && matches!(
                event.kind,
                EventKind::Finished { .. } | EventKind::Failed { .. } | EventKind::Cancelled { .. }
            )
        {
            self.finish_text();
        }
        true
    }
}
