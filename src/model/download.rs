use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use std::borrow::Cow;

use bytes::BytesMut;

use super::poem_bytes::{PoemBytes, ShortPoems};
use super::throughput::Throughput;
use std::sync::Arc;

use crate::address::Address;
use crate::engine::{
    AttemptTimes, Event, EventKind, FailReason, FetchError, StepPhase, TransformError,
};
use crate::text::ControlCounter;

/// Where a download is. `Failed` says why in [`Download::error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Queued,
    Connecting,
    Receiving,
    /// The poem is whole and goes through the transform chain.
    Transforming,
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
    /// Its place in the "by state" order, running first: receiving,
    /// transforming, connecting, retrying, queued, failed, cancelled,
    /// empty, complete.
    pub const fn rank(self) -> usize {
        match self {
            State::Receiving => 0,
            State::Transforming => 1,
            State::Connecting => 2,
            State::Retrying => 3,
            State::Queued => 4,
            State::Failed => 5,
            State::Cancelled => 6,
            State::Empty => 7,
            State::Complete => 8,
        }
    }

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

/// One download, as the model sees it. Small on purpose: a million queued
/// downloads are a million of these, so everything that only a started generation
/// has lives in [`Detail`], allocated at its first attempt.
#[derive(Debug, Clone)]
pub struct Download {
    /// Shared with the engine: one copy of each address.
    pub address: Arc<Address>,
    /// The bytes of the current attempt, exactly as they arrived, in the
    /// engine's own buffers: the only copy of the poem.
    pub poem: PoemBytes,
    /// The latest failure: the final one when `Failed`, the one being retried
    /// when `Retrying`.
    pub error: Option<Box<FetchError>>,
    detail: Option<Box<Detail>>,
    pub received: u64,
    /// Which run the fields describe (see [`Event::generation`]).
    pub generation: u32,
    pub attempt: u32,
    pub attempts: u32,
    /// Bytes in the latest progress event.
    pub last_chunk: u32,
    /// From the generation's first event to its end (the Time column), once
    /// ended (in the dashboard, which times downloads). Kept here, not in
    /// [`Detail`], so that an ended row with a short poem needs no detail.
    took: Option<Millis>,
    /// From its first attempt to its end (for the average rate), once ended.
    active: Option<Millis>,
    pub state: State,
    /// Held still by the person (see [`EventKind::Paused`]); its state is
    /// where it was held.
    pub paused: bool,
    /// A step of its transform chain failed: the poem is complete, but not
    /// all that was asked was done (kept here, not in the chain's detail,
    /// so that headless output counts it after letting the detail go).
    pub not_transformed: bool,
}

/// What a generation that has started keeps. While it runs: its clocks, times and
/// rate history ([`Live`]); once it has ended, only what the poem pane still
/// needs: the text index of a long poem, and the transform chain. An ended
/// row with a short poem and no chain keeps none (its lines are counted
/// again when it is shown, which costs less than keeping the count: a
/// hundred thousand ended rows in the dashboard would keep 96 bytes each).
#[derive(Debug, Clone, Default)]
struct Detail {
    live: Option<Box<Live>>,
    /// Lines and control characters, brought up to date only for the poem
    /// the dashboard shows ([`super::Model::index_poem`]).
    index: TextIndex,
    /// The transform chain, once the poem went into it.
    chain: Option<Box<Chain>>,
}

/// What a row shows of its transform chain (`--transform`).
#[derive(Debug, Clone)]
pub struct Chain {
    /// The step under way or the last one, 0-based, of `of`.
    pub step: u16,
    pub of: u16,
    pub phase: StepPhase,
    /// When the step under way started.
    pub step_started: Instant,
    /// Steps that transformed the poem, in order.
    pub held: Vec<u16>,
    /// Steps that failed, in order, each with why.
    pub failed: Vec<(u16, TransformError)>,
    /// The row as downloaded (its poem and that poem's index), once a step
    /// replaced the poem: what the poem pane's `o` shows.
    original: Option<Box<Download>>,
}

impl Chain {
    fn starting(step: u16, at: Instant) -> Box<Chain> {
        Box::new(Chain {
            step,
            of: step + 1,
            phase: StepPhase::Connecting,
            step_started: at,
            held: Vec::new(),
            failed: Vec::new(),
            original: None,
        })
    }

    /// Whether any step transformed the poem.
    pub fn transformed(&self) -> bool {
        !self.held.is_empty()
    }
}

/// A duration in whole milliseconds, in four bytes with its `Option` (an
/// `Option<Duration>` takes sixteen): what an ended row shows needs no more,
/// and every row keeps two. Holds the milliseconds plus one, so that `None`
/// costs nothing; saturates at about 49 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Millis(NonZeroU32);

impl Millis {
    fn of(duration: Duration) -> Millis {
        let millis = u32::try_from(duration.as_millis()).unwrap_or(u32::MAX);
        Millis(NonZeroU32::MIN.saturating_add(millis))
    }

    fn duration(self) -> Duration {
        Duration::from_millis(u64::from(self.0.get() - 1))
    }
}

/// What a generation keeps while it runs.
#[derive(Debug, Clone, Default)]
struct Live {
    /// When the current generation started (its first event).
    run_started: Option<Instant>,
    /// When the generation's first attempt started: `--timeout` counts from here,
    /// across retries.
    first_attempt_started: Option<Instant>,
    attempt_started: Option<Instant>,
    last_byte: Option<Instant>,
    /// When the idle clock started: the connect (the engine counts silence
    /// from there, not from the attempt's start).
    idle_from: Option<Instant>,
    /// When the next attempt starts, while `Retrying`, and when that was
    /// said (a stop moves a wait said before it).
    retry_at: Option<Instant>,
    retry_said: Option<Instant>,
    /// Since when it has been paused, while it is.
    paused_at: Option<Instant>,
    /// Time held still in this generation: the deadline moves by it.
    paused_total: Duration,
    times: AttemptTimes,
    /// Kept only in a dashboard model (the sparkline of an ended generation is not
    /// drawn).
    throughput: Throughput,
}

impl Live {
    /// The download was held still (paused, or the process stopped) for
    /// `held`: its idle clock, the wait for its next attempt and its
    /// deadline go on from where they stopped. Only instants before
    /// `before`, when given, move: what happened after a stop is already on
    /// the wall clock.
    fn move_clocks(&mut self, held: Duration, before: Option<Instant>) {
        let earlier = |at: Instant| before.is_none_or(|before| at < before);
        let later = |at: &mut Option<Instant>| {
            *at = at.map(|at| if earlier(at) { at + held } else { at });
        };
        later(&mut self.last_byte);
        later(&mut self.idle_from);
        later(&mut self.attempt_started);
        if self.retry_said.is_some_and(earlier) {
            self.retry_at = self.retry_at.map(|at| at + held);
        }
        if self.first_attempt_started.is_some_and(earlier) {
            self.paused_total += held;
        }
    }
}

/// What the dashboard needs to show any part of a poem without decoding or
/// scanning all of it.
#[derive(Debug, Clone, Default)]
struct TextIndex {
    /// Newlines in the bytes indexed so far (up to `scanned`).
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
                // The same block at once, while it is in the cache: a whole
                // piece (megabytes at full speed) would be read from memory
                // twice.
                self.controls.push(block);
                at += block.len();
                if start + at == boundary {
                    self.checkpoints.push((boundary, self.newlines));
                }
            }
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
    pub fn new(address: impl Into<Arc<Address>>) -> Self {
        Download {
            address: address.into(),
            poem: PoemBytes::default(),
            error: None,
            detail: None,
            received: 0,
            // The engine's first generation is 1: a queued download's first event
            // is not a restart, and allocates nothing.
            generation: 1,
            attempt: 0,
            attempts: 0,
            last_chunk: 0,
            took: None,
            active: None,
            state: State::Queued,
            paused: false,
            not_transformed: false,
        }
    }

    /// Its transform chain, once the poem went into one.
    pub fn chain(&self) -> Option<&Chain> {
        self.detail()?.chain.as_deref()
    }

    /// The row as it was before any transform: the poem as downloaded (for
    /// the poem pane's `o`); `None` when no step changed it.
    pub fn original(&self) -> Option<&Download> {
        self.chain()?.original.as_deref()
    }

    fn detail(&self) -> Option<&Detail> {
        self.detail.as_deref()
    }

    /// How many bytes of the poem its text index has seen (for tests).
    #[cfg(test)]
    pub(super) fn indexed_bytes(&self) -> usize {
        self.detail().map_or(0, |d| d.index.scanned)
    }

    /// Whether it keeps a [`Detail`] (for tests of what an ended row costs).
    #[cfg(test)]
    pub(super) fn keeps_detail(&self) -> bool {
        self.detail.is_some()
    }

    fn live(&self) -> Option<&Live> {
        self.detail()?.live.as_deref()
    }

    fn detail_mut(&mut self) -> &mut Detail {
        self.detail.get_or_insert_with(Box::default)
    }

    /// The running generation's clocks, if it has any (none before its first
    /// attempt or after its end).
    fn running_mut(&mut self) -> Option<&mut Live> {
        self.detail.as_deref_mut()?.live.as_deref_mut()
    }

    fn live_mut(&mut self) -> &mut Live {
        self.detail_mut().live.get_or_insert_with(Box::default)
    }

    /// The running generation's clocks where they are kept: a dashboard
    /// model shows them (time left, idle, rate, elapsed); headless output
    /// reads none of them, and a download there allocates nothing for them.
    fn clocks(&mut self, dashboard: bool) -> Option<&mut Live> {
        dashboard.then(|| self.live_mut())
    }

    /// How long the generation has taken: from its first event to its end, or to
    /// `now` while it goes on; `None` before it started.
    pub fn elapsed(&self, now: Instant) -> Option<Duration> {
        match self.live() {
            Some(live) => live
                .run_started
                .map(|start| now.saturating_duration_since(start)),
            None => self.took.map(Millis::duration),
        }
    }

    /// When the generation's first attempt started, while it runs: `--timeout`
    /// counts from here.
    pub fn first_attempt_started(&self) -> Option<Instant> {
        self.live().and_then(|live| live.first_attempt_started)
    }

    /// When the next attempt starts, while `Retrying`.
    pub fn retry_at(&self) -> Option<Instant> {
        self.live().and_then(|live| live.retry_at)
    }

    /// How long until the next attempt, while `Retrying`, as of `now`: the
    /// wait stands still while paused.
    pub fn retry_in(&self, now: Instant) -> Option<Duration> {
        let live = self.live()?;
        let now = live.paused_at.unwrap_or(now);
        live.retry_at.map(|at| at.saturating_duration_since(now))
    }

    /// The current attempt's times, while the generation goes on (an ended generation's
    /// are in its `Finished` event).
    pub fn times(&self) -> AttemptTimes {
        self.live().map(|live| live.times).unwrap_or_default()
    }

    /// When `--timeout` runs out for this generation, given `limit`: the first
    /// attempt's start plus the limit plus the time it was paused. While
    /// paused, what is left does not shrink: the answer is as of `now`.
    pub fn time_left(&self, limit: Duration, now: Instant) -> Option<Duration> {
        let live = self.live()?;
        let start = live.first_attempt_started?;
        let now = live.paused_at.unwrap_or(now);
        Some((start + limit + live.paused_total).saturating_duration_since(now))
    }

    /// Bytes over time (empty outside a dashboard model, and once the generation
    /// has ended).
    pub fn throughput(&self) -> Option<&Throughput> {
        self.live().map(|live| &live.throughput)
    }

    /// Notes when the generation ended, if it had started: one that never did (a
    /// queued download cancelled) has no times to keep, and gets no detail.
    /// What only a running download needs is let go of here.
    fn mark_ended(&mut self, at: Instant) {
        let Some(detail) = self.detail.as_deref_mut() else {
            return;
        };
        if let Some(live) = detail.live.take() {
            let since =
                |start: Option<Instant>| start.map(|s| Millis::of(at.saturating_duration_since(s)));
            self.took = since(live.run_started);
            self.active = since(live.first_attempt_started);
        }
    }

    /// The process was stopped for `by` (Ctrl-Z): the clocks of a generation that
    /// goes on move by it, as the engine's did (idle, time left, retry).
    pub(super) fn shift(&mut self, by: Duration, ended: Instant) {
        if self.state.is_final() {
            return;
        }
        if let Some(live) = self.running_mut() {
            // A paused download's clocks were standing still already: its
            // resume moves them by the whole pause, this stop included.
            if live.paused_at.is_none() {
                live.move_clocks(by, ended.checked_sub(by));
            }
        }
    }

    /// Lets go of everything but the outcome: the poem, times and rate
    /// history. Headless output does this once a download ended and was
    /// written out.
    pub(super) fn forget_detail(&mut self) {
        self.poem = PoemBytes::default();
        self.detail = None;
    }

    /// How many characters the display replaces with a visible form (see
    /// [`crate::text::sanitize`]): the index's count, and the bytes it has
    /// not seen counted now.
    pub fn control_chars(&self) -> usize {
        let (mut controls, scanned) = match self.detail() {
            Some(detail) => (detail.index.controls.clone(), detail.index.scanned),
            None => (ControlCounter::default(), 0),
        };
        // What the index has not seen yet (all of a short poem that ended,
        // which keeps no index), counted now.
        for (_, piece) in self.poem.segments_from(scanned) {
            controls.push(piece);
        }
        if self.state.is_final() {
            controls.finish();
        }
        controls.count()
    }

    /// Brings the text index up to the bytes received (see
    /// [`super::Model::index_poem`]).
    pub(super) fn index_text(&mut self) {
        let ended = self.state.is_final();
        let Some(detail) = self.detail.as_deref_mut() else {
            return;
        };
        detail.index.update(&self.poem);
        if ended {
            detail.index.controls.finish();
            // (A no-op once done: nothing more arrives.)
            detail.index.checkpoints.shrink_to_fit();
        }
        if let Some(original) = detail
            .chain
            .as_deref_mut()
            .and_then(|chain| chain.original.as_deref_mut())
        {
            original.index_text();
        }
    }

    /// The raw lines of the poem from line `top` (0-based) on, without their
    /// newlines, found through the index: the cost does not grow with `top`
    /// within the bytes indexed (past them, lines are found by scanning).
    /// No line is searched further than `budget` bytes for its end: a longer
    /// line is cut there, so one enormous line costs no more to show than a
    /// screenful.
    pub fn lines_from(&self, top: usize, budget: usize) -> impl Iterator<Item = Cow<'_, [u8]>> {
        let (start, newlines_before) = self.detail().map_or((0, 0), |d| d.index.before_line(top));
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
        let (indexed, scanned) = self
            .detail()
            .map_or((0, 0), |d| (d.index.newlines, d.index.scanned));
        // What the index has not seen yet, counted now.
        let newlines: usize = self
            .poem
            .segments_from(scanned)
            .map(|(_, piece)| memchr::memchr_iter(b'\n', piece).count())
            .sum();
        indexed + newlines + usize::from(self.poem.last().is_some_and(|b| b != b'\n'))
    }

    /// Bytes per second as of `now` (see [`Throughput::rate`]): 0 unless
    /// receiving, and at once while paused (nothing is read then).
    pub fn rate(&self, now: Instant) -> f64 {
        if self.state != State::Receiving || self.paused {
            return 0.0;
        }
        self.throughput().map_or(0.0, |t| t.rate(now))
    }

    /// Bytes per second over the whole run so far (to its end, once it has
    /// ended); `None` before its first attempt.
    pub fn average_rate(&self, now: Instant) -> Option<f64> {
        let took = match self.live() {
            Some(live) => now.saturating_duration_since(live.first_attempt_started?),
            None => self.active?.duration(),
        };
        Some(self.received as f64 / took.as_secs_f64().max(0.001))
    }

    /// True when the bytes kept are not a whole poem.
    pub fn is_partial(&self) -> bool {
        !self.state.is_complete() && !self.poem.is_empty()
    }

    pub fn fail_reason(&self) -> Option<&FailReason> {
        self.error.as_ref().map(|e| &e.reason)
    }

    /// Time since the last byte (or since the connect, before the first
    /// byte), as of `now`; none before the connect, as in the engine.
    pub fn idle(&self, now: Instant) -> Option<Duration> {
        let live = self.live()?;
        let since = live.last_byte.or(live.idle_from)?;
        // A pause is the person's choice, not the server's silence.
        let now = live.paused_at.unwrap_or(now);
        Some(now.saturating_duration_since(since))
    }

    /// Folds `event` in, taking the bytes of a progress event out of it.
    /// (A batch `Queued` event is applied to each of its downloads by the
    /// model.) `short_poems` is given by a dashboard model, which keeps its
    /// poems: a short one that ends moves there.
    pub(super) fn apply(
        &mut self,
        event: &mut Event,
        short_poems: Option<&mut ShortPoems>,
    ) -> bool {
        let dashboard = short_poems.is_some();
        if event.generation < self.generation {
            return false;
        }
        if event.generation > self.generation {
            // A restart: forget the old generation entirely.
            *self = Download::new(Arc::clone(&self.address));
            self.generation = event.generation;
            if !matches!(event.kind, EventKind::Queued { .. })
                && let Some(live) = self.clocks(dashboard)
            {
                live.run_started = Some(event.at);
            }
        }
        if self.state.is_final()
            && matches!(
                event.kind,
                EventKind::Paused { .. } | EventKind::Resumed { .. }
            )
        {
            // A generation that has ended holds nothing to pause (the engine starts
            // a new generation to go on).
            return true;
        }
        match &mut event.kind {
            EventKind::Queued { .. } => self.state = State::Queued,
            EventKind::Connecting { attempt, of } => {
                self.state = State::Connecting;
                self.not_transformed = false;
                if let Some(detail) = self.detail.as_deref_mut() {
                    detail.chain = None;
                    detail.index = TextIndex::default();
                }
                self.attempt = *attempt;
                self.attempts = *of;
                self.poem = PoemBytes::default();
                self.received = 0;
                self.last_chunk = 0;
                let paused = self.paused;
                if let Some(live) = self.clocks(dashboard) {
                    live.run_started.get_or_insert(event.at);
                    live.attempt_started = Some(event.at);
                    if *attempt == 1 {
                        live.first_attempt_started = Some(event.at);
                    }
                    if paused {
                        // Paused before this attempt's first event came.
                        live.paused_at.get_or_insert(event.at);
                    }
                    live.last_byte = None;
                    live.idle_from = None;
                    live.retry_at = None;
                    live.times = AttemptTimes::default();
                }
            }
            EventKind::Connected { connect_time } => {
                self.state = State::Receiving;
                if let Some(live) = self.clocks(dashboard) {
                    live.times.connect = Some(*connect_time);
                    live.idle_from = Some(event.at);
                }
            }
            EventKind::Progress { data, received } => {
                self.state = State::Receiving;
                let chunk: usize = data.iter().map(BytesMut::len).sum();
                self.last_chunk = u32::try_from(chunk).unwrap_or(u32::MAX);
                self.poem.extend(std::mem::take(data));
                self.received = *received;
                // (Where bytes and clocks are shown, they are indexed and
                // timed; headless output only counts them.)
                if dashboard {
                    let detail = self.detail.get_or_insert_with(Box::default);
                    let live = detail.live.get_or_insert_with(Box::default);
                    live.throughput.record(event.at, chunk as u64);
                    if live.times.first_byte.is_none() {
                        live.times.first_byte = live
                            .attempt_started
                            .map(|start| event.at.saturating_duration_since(start));
                    }
                    live.last_byte = Some(event.at);
                }
            }
            EventKind::Transforming { step, of, phase } => {
                self.state = State::Transforming;
                let at = event.at;
                let chain = self
                    .detail_mut()
                    .chain
                    .get_or_insert_with(|| Chain::starting(*step, at));
                if chain.step != *step {
                    chain.step_started = event.at;
                }
                chain.step = *step;
                chain.of = *of;
                chain.phase = *phase;
            }
            EventKind::Transformed { step, poem } => {
                let reply = std::mem::take(poem);
                let detail = self.detail.get_or_insert_with(Box::default);
                let chain = detail
                    .chain
                    .get_or_insert_with(|| Chain::starting(*step, event.at));
                chain.held.push(*step);
                let before = std::mem::take(&mut self.poem);
                let index = std::mem::take(&mut detail.index);
                // The first step's input is the poem as downloaded: kept as
                // a row of its own, ended, so the pane shows it as any poem.
                if chain.original.is_none() {
                    let mut original = Download::new(Arc::clone(&self.address));
                    original.received = self.received;
                    original.state = State::Complete;
                    original.poem = before;
                    original.detail = Some(Box::new(Detail {
                        index,
                        ..Detail::default()
                    }));
                    chain.original = Some(Box::new(original));
                }
                self.poem = PoemBytes::default();
                self.poem.push(
                    reply
                        .try_into_mut()
                        .unwrap_or_else(|shared| BytesMut::from(shared.as_ref())),
                );
            }
            EventKind::TransformFailed { step, error } => {
                self.not_transformed = true;
                let at = event.at;
                let chain = self
                    .detail_mut()
                    .chain
                    .get_or_insert_with(|| Chain::starting(*step, at));
                chain.failed.push((*step, error.clone()));
            }
            EventKind::Finished { received, .. } => {
                self.state = if *received == 0 {
                    State::Empty
                } else {
                    State::Complete
                };
                self.received = *received;
                self.error = None;
                self.mark_ended(event.at);
            }
            EventKind::Failed { error } => {
                self.state = State::Failed;
                self.received = error.received;
                self.error = Some(Box::new(error.clone()));
                self.mark_ended(event.at);
            }
            EventKind::Paused { .. } => {
                self.paused = true;
                if let Some(live) = self.running_mut() {
                    live.paused_at.get_or_insert(event.at);
                }
            }
            EventKind::Resumed { .. } => {
                self.paused = false;
                if let Some(live) = self.running_mut()
                    && let Some(at) = live.paused_at.take()
                {
                    // Every clock goes on from where it stopped, as the
                    // engine's do: none is reset.
                    let held = event.at.saturating_duration_since(at);
                    live.move_clocks(held, None);
                }
            }
            // (The model moves every download's clocks itself.)
            EventKind::CancelledWaiting { .. } => {
                // (The model hands each download of a batch a `Cancelled`.)
                self.state = State::Cancelled;
                self.mark_ended(event.at);
            }
            EventKind::Cancelled { received } => {
                self.state = State::Cancelled;
                self.received = *received;
                self.mark_ended(event.at);
            }
            EventKind::Retrying {
                attempt,
                of,
                after,
                error,
            } => {
                // `attempt` stays the one that ran: the next one is only a
                // plan until its `Connecting` (a deadline may end the generation
                // before it starts).
                let _ = attempt;
                self.state = State::Retrying;
                self.attempts = *of;
                self.error = Some(Box::new(error.clone()));
                if let Some(live) = self.clocks(dashboard) {
                    live.retry_at = Some(event.at + *after);
                    live.retry_said = Some(event.at);
                }
            }
        }
        if self.state.is_final() {
            self.paused = false;
            // The dashboard keeps its poems; headless output lets go of each
            // as soon as it is written, so a copy would be wasted there.
            if let Some(store) = short_poems {
                self.poem.keep_if_short(store);
            }
            if dashboard && let Some(detail) = self.detail.as_deref_mut() {
                if detail.chain.is_none() && self.poem.is_short() {
                    // Nothing left that a short poem cannot work out again.
                    self.detail = None;
                } else {
                    detail.index.checkpoints.shrink_to_fit();
                }
            }
        }
        true
    }
}
