//! Plain data about every download, changed only by [`Model::apply`].
//!
//! The model is pure: no sockets, no terminal, no clock. Times come from the
//! events themselves, so the same events always give the same model, and the
//! tests can feed it events by hand.

mod download;
mod log;
mod news;
mod poem_bytes;
mod poem_rows;
mod state_index;
mod throughput;
pub mod view;

pub use download::{Download, State};
pub use log::{LogEntry, LogLevel};
pub use news::{News, batch_sentence};
pub use poem_bytes::{PoemBytes, ShortPoems};
pub use poem_rows::{PaneRow, PaneSize, PoemPos};
pub use state_index::{StateIndex, StateSet};
pub use throughput::Throughput;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::address::Address;
use crate::engine::{Event, EventKind, Limits, Shift, TaskId, TransformStep};

/// The log keeps this many entries; older ones are dropped.
pub const LOG_CAPACITY: usize = 1000;

#[derive(Debug, Clone)]
pub struct Model {
    pub downloads: Vec<Download>,
    /// The first event's time: "elapsed" is measured from here.
    pub started: Option<Instant>,
    /// The latest event's time.
    pub latest: Option<Instant>,
    /// The limits the engine runs with, for countdowns and warnings.
    pub limits: Limits,
    /// The transform chain every poem goes through (`--transform`).
    transforms: std::sync::Arc<[TransformStep]>,
    /// What it keeps beyond each download's outcome: chosen when the model
    /// is made ([`Model::new`], [`Model::for_dashboard`]), never changed.
    keeps: Keeps,
    /// Notable events, newest last (kept only in a dashboard model).
    pub log: VecDeque<LogEntry>,
    /// Every byte received since the start, by every attempt and run (a
    /// retry does not take back what arrived before it): never decreases.
    pub received_total: u64,
    /// Poems (whole or partial) that could not be saved with `--save`
    /// ([`Model::count_unsaved`]).
    unsaved: usize,
    /// Every download's state, counted and indexed as `apply` changes it:
    /// the header, the filters and the table's rows read it instead of
    /// looking at every download.
    states: StateIndex,
    /// The bytes of every download's current attempt, kept as `apply`
    /// changes them.
    current_bytes: u64,
    /// Counts every change, so that a view can tell whether what it worked
    /// out from the model is still current.
    version: u64,
    /// Downloads paused (none of them ended: an end lifts a pause).
    paused: usize,
    /// Downloads whose transform chain had a step fail.
    not_transformed: usize,
    /// Whether more downloads may still be added (addresses still being
    /// read): until they are all in, the run has not ended.
    more_coming: bool,
    /// Every distinct address added so far, shared by all the downloads of
    /// it: a list that names a thousand servers a hundred times each holds
    /// a thousand addresses, not a hundred thousand.
    addresses: HashSet<Arc<Address>>,
    /// Where a dashboard model keeps the short poems that have ended.
    short_poems: ShortPoems,
    /// The download whose poem is indexed as it arrives ([`Model::follow_poem`]).
    in_view: Option<TaskId>,
}

/// What a model keeps beyond each download's outcome (state, bytes, error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keeps {
    /// Only outcomes, once an ended download has been shown and written
    /// (headless output, which prints each poem once): no line index,
    /// control count, throughput or log, and an ended poem is let go.
    Outcomes,
    /// Everything the dashboard shows: every poem, its line index and
    /// control count, throughput for rates and sparklines, the log.
    Everything,
}

/// States from which a download still goes on by itself.
const ACTIVE: StateSet = StateSet::NOT_FINAL;

/// How many downloads are in each kind of state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub complete: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub active: usize,
    pub queued: usize,
    /// Of the active and queued ones, how many are paused.
    pub paused: usize,
    pub bytes: u64,
}

impl Default for Model {
    /// No downloads yet: they come with [`Model::add`].
    fn default() -> Self {
        Model::new([])
    }
}

impl Model {
    pub fn new(addresses: impl IntoIterator<Item = Address>) -> Self {
        let mut model = Model {
            downloads: Vec::new(),
            started: None,
            latest: None,
            limits: Limits::default(),
            keeps: Keeps::Outcomes,
            log: VecDeque::new(),
            received_total: 0,
            unsaved: 0,
            states: StateIndex::default(),
            current_bytes: 0,
            version: 0,
            paused: 0,
            not_transformed: 0,
            more_coming: false,
            transforms: std::sync::Arc::from(Vec::new()),
            addresses: HashSet::new(),
            short_poems: ShortPoems::default(),
            in_view: None,
        };
        model.add(addresses.into_iter().collect());
        model
    }

    /// The model of a run whose poems go through `transforms`, in order.
    pub fn with_transforms(mut self, transforms: &[TransformStep]) -> Self {
        self.transforms = std::sync::Arc::from(transforms);
        self
    }

    /// The transform chain every poem goes through, in order.
    pub fn transforms(&self) -> &[TransformStep] {
        &self.transforms
    }

    /// Complete poems that a step of the transform chain did not transform.
    pub fn not_transformed(&self) -> usize {
        self.not_transformed
    }

    /// New downloads at the end of the list, queued. Returns the first new
    /// id and the addresses to hand to the engine (shared, not copied), in
    /// a [`Command::Add`](crate::engine::Command::Add) with that id: whoever
    /// adds rows numbers them, so the model and the engine agree.
    pub fn add(&mut self, addresses: Vec<Address>) -> (TaskId, Vec<Arc<Address>>) {
        let first = TaskId::at(self.downloads.len());
        self.downloads.reserve_exact(addresses.len());
        self.states.reserve(addresses.len());
        let shared: Vec<Arc<Address>> = addresses
            .into_iter()
            .map(|address| match self.addresses.get(&address) {
                Some(known) => Arc::clone(known),
                None => {
                    let address = Arc::new(address);
                    self.addresses.insert(Arc::clone(&address));
                    address
                }
            })
            .collect();
        for address in &shared {
            self.downloads.push(Download::new(Arc::clone(address)));
            self.states.push(State::Queued);
        }
        self.version += 1;
        (first, shared)
    }

    /// A model for the dashboard: it keeps every poem, indexes the text of
    /// those it is told are shown ([`Model::index_poem`]), and knows the
    /// limits so it can show how close each download is to them.
    pub fn for_dashboard(addresses: impl IntoIterator<Item = Address>, limits: Limits) -> Self {
        Model {
            limits,
            keeps: Keeps::Everything,
            ..Model::new(addresses)
        }
    }

    /// The process was stopped (Ctrl-Z): every download's clocks from
    /// before the stop move by it, as the engine's did. Events from after
    /// it, which may have been applied first, keep their times.
    pub fn shift(&mut self, shift: Shift) {
        for download in &mut self.downloads {
            download.shift(shift.by, shift.ended);
        }
        self.version += 1;
    }

    /// Brings the text index of `task`'s poem (and of the poem as downloaded,
    /// where a transform replaced it) up to the bytes received. The
    /// dashboard indexes only the poems it shows (it says which before each
    /// frame): indexing every byte of every download competed with reading
    /// them, on one thread, and most poems are never looked at. A poem not
    /// indexed, or not yet all of it, still reads right: what the index
    /// lacks is scanned when asked for.
    pub fn index_poem(&mut self, task: TaskId) {
        if let Some(download) = self.downloads.get_mut(task.index()) {
            download.index_text();
        }
    }

    /// [`Model::index_poem`] for the poem the dashboard follows (the
    /// selected one), which is then indexed as its bytes arrive, while they
    /// are still in the cache: indexing them at the next frame instead read
    /// them back from memory, at four times the cost. `None`: no poem is.
    pub fn follow_poem(&mut self, task: Option<TaskId>) {
        self.in_view = task;
        if let Some(task) = task {
            self.index_poem(task);
        }
    }

    /// Folds one event in, taking the bytes of a progress event out of it
    /// (the poem is kept once, here). Returns false when the event was
    /// ignored because it belongs to an older run of its download (a restart
    /// overtook it) or names no download.
    pub fn apply(&mut self, event: &mut Event) -> bool {
        let batch = event.kind.batch();
        if let Some((count, each)) = batch {
            // A batch: each of its downloads as if it had its own event,
            // and one line in the log for all of them.
            let mut any = 0;
            for task in event.task.range(count as usize) {
                let mut one = Event {
                    task,
                    kind: each.clone(),
                    ..*event
                };
                any += usize::from(self.apply_one(&mut one, false));
            }
            if any > 0 && self.keeps == Keeps::Everything {
                let what = batch_sentence(&each);
                let last = TaskId::at(event.task.index() + count as usize - 1);
                self.note(
                    event.at,
                    Some(event.task),
                    LogLevel::Info,
                    format!("tasks {} to {last} ({any}): {what}", event.task),
                );
            }
            return any > 0;
        }
        self.apply_one(event, true)
    }

    /// Folds in an event about one download; `log` says whether it may
    /// add a line to the log.
    fn apply_one(&mut self, event: &mut Event, log: bool) -> bool {
        let Some(download) = self.downloads.get_mut(event.task.index()) else {
            return false;
        };
        let bytes_before = download.received;
        let paused_before = download.paused;
        let untransformed_before = download.not_transformed;
        let chunk = match &event.kind {
            EventKind::Progress { data, .. } => data.iter().map(|d| d.len() as u64).sum(),
            _ => 0,
        };
        let short_poems = (self.keeps == Keeps::Everything).then_some(&mut self.short_poems);
        if !download.apply(event, short_poems) {
            return false;
        }
        if self.in_view == Some(event.task) {
            download.index_text();
        }
        self.current_bytes = self.current_bytes - bytes_before + download.received;
        self.paused = self.paused + usize::from(download.paused) - usize::from(paused_before);
        self.not_transformed = self.not_transformed + usize::from(download.not_transformed)
            - usize::from(untransformed_before);
        self.states.set(event.task.index(), download.state);
        self.version += 1;
        self.started.get_or_insert(event.at);
        self.latest = Some(event.at);
        self.received_total += chunk;
        // Only the dashboard shows the log: headless output says the same
        // things its own way, and need not format a line per download.
        if log
            && self.keeps == Keeps::Everything
            && let Some(entry) =
                LogEntry::describe(event, &self.downloads[event.task.index()], &self.transforms)
        {
            self.note(entry.at, entry.task, entry.level, entry.message);
        }
        true
    }

    /// Adds a line of our own to the log (a file that could not be saved).
    pub fn note(&mut self, at: Instant, task: Option<TaskId>, level: LogLevel, message: String) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry {
            at,
            task,
            level,
            message,
        });
    }

    pub fn get(&self, task: TaskId) -> Option<&Download> {
        self.downloads.get(task.index())
    }

    /// Lets go of a download that ended and has been written out, all but
    /// its outcome (state, byte count, error): headless output does not
    /// show it again, so its memory need not grow with the total of every
    /// poem's bytes. (The dashboard keeps its poems: it shows them.)
    pub fn forget_ended(&mut self, task: TaskId) {
        if let Some(download) = self.downloads.get_mut(task.index())
            && download.state.is_final()
        {
            download.forget_detail();
        }
    }

    /// What this model keeps beyond outcomes.
    pub fn keeps(&self) -> Keeps {
        self.keeps
    }

    /// A poem (whole or partial) could not be saved.
    pub fn count_unsaved(&mut self) {
        self.unsaved += 1;
    }

    /// Poems that could not be saved.
    pub fn unsaved(&self) -> usize {
        self.unsaved
    }

    /// Whether more downloads may still come (the run's intake knows).
    pub fn set_more_coming(&mut self, more_coming: bool) {
        self.more_coming = more_coming;
    }

    /// The event about `task` has been shown and written out: a model that
    /// keeps only outcomes (headless) lets go of the rest of a download that
    /// ended ([`Model::forget_ended`]); the dashboard's keeps it to show.
    pub fn shown(&mut self, task: TaskId) {
        if self.keeps == Keeps::Outcomes {
            self.forget_ended(task);
        }
    }

    /// Every download's state, counted and indexed.
    pub fn states(&self) -> &StateIndex {
        &self.states
    }

    /// Goes up with every change to the downloads.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Every download's id, in the given order.
    pub fn tasks(&self) -> impl DoubleEndedIterator<Item = TaskId> + ExactSizeIterator + use<> {
        TaskId::all(self.downloads.len())
    }

    /// True once no download is running, queued or waiting to retry, and
    /// no more are coming.
    pub fn all_ended(&self) -> bool {
        !self.more_coming && self.states.count_in(ACTIVE) == 0
    }

    /// From the counters `apply` keeps: the same at a million downloads as
    /// at ten.
    pub fn totals(&self) -> Totals {
        let count = |set: &[State]| self.states.count_in(StateSet::of(set));
        Totals {
            complete: count(&[State::Complete, State::Empty]),
            failed: count(&[State::Failed]),
            cancelled: count(&[State::Cancelled]),
            active: count(&[
                State::Connecting,
                State::Receiving,
                State::Transforming,
                State::Retrying,
            ]),
            queued: count(&[State::Queued]),
            paused: self.paused,
            bytes: self.current_bytes,
        }
    }

    /// From the first event to the latest.
    /// Bytes per second of every download together: the sum of the rates
    /// the rows show, so the header and the table always agree. Only the
    /// downloads receiving are looked at.
    pub fn rate(&self, now: Instant) -> f64 {
        let receiving = StateSet::only(State::Receiving);
        (0..self.states.count_in(receiving))
            .filter_map(|k| self.states.select(receiving, k))
            .map(|index| self.downloads[index].rate(now))
            .sum()
    }

    pub fn elapsed(&self) -> Duration {
        match (self.started, self.latest) {
            (Some(start), Some(latest)) => latest.saturating_duration_since(start),
            _ => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests;

/// `model[task]`: a download by its id (ids come from this model's list).
impl std::ops::Index<TaskId> for Model {
    type Output = Download;

    fn index(&self, task: TaskId) -> &Download {
        &self.downloads[task.index()]
    }
}
