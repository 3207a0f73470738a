//! Many downloads at once. A supervisor owns every download's place in line
//! and obeys commands; one tokio task runs each *attempt* that holds a
//! connection slot. Downloads waiting for a slot, or waiting out a backoff,
//! are plain data in the supervisor: no task, no timer of their own.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::clock::{AttemptLink, Hold, PauseBoard, sleep_until_some};
use super::error::{FailReason, FetchError, TransformError, TransformFailure, TransformStep};
use super::event::{Command, Event, EventKind, Shift, StepPhase, TaskId};
use super::fetch::{Limits, NoPoem, Observer, fetch};
use super::segments::push_segment;
use super::transform::{StepLimits, StepObserver, run_step};
use crate::address::Address;

/// Progress events for one download are at most this frequent, so ten
/// thousand fast servers cannot flood the channel. Bytes held back are sent
/// when the interval has passed, whether or not more bytes come.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// How retries wait: `first`, doubling each time, never more than `max`,
/// each wait jittered to between half and all of that so that many failed
/// downloads do not come back in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        let ceiling = self.first.saturating_mul(1 << doublings).min(self.max);
        ceiling.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

#[derive(Debug, Clone, Default)]
pub struct RunConfig {
    pub limits: Limits,
    /// Connections allowed at once; 0 means all of them.
    pub concurrency: usize,
    /// Extra attempts after a retryable failure.
    pub retries: u32,
    pub backoff: Backoff,
    /// The transform chain every poem goes through once downloaded, in
    /// order (`--transform`); empty: none.
    pub transforms: Vec<TransformStep>,
    /// Commands the run gives itself, each this long after the start (the
    /// demo cancels a download this way, as a person pressing `c` would).
    pub script: Vec<(Duration, Command)>,
    /// Each attempt's bytes go to the listener once, when it ends (or is
    /// held still), instead of every [`PROGRESS_INTERVAL`] as they arrive:
    /// for output that shows no progress (quiet headless), where the
    /// events, wakeups and timers of coalescing would buy nothing.
    pub progress_at_end: bool,
}

/// Sends commands to a running set of downloads. Dropping it lets the
/// downloads run to their end; nothing can be retried after that.
#[derive(Debug, Clone)]
pub struct RunHandle {
    commands: mpsc::UnboundedSender<Command>,
    board: Arc<PauseBoard>,
}

impl RunHandle {
    pub fn send(&self, command: Command) {
        // The supervisor only stops once every handle is gone.
        let _ = self.commands.send(command);
    }

    /// Stops the engine's process clock, at once (not through the command
    /// queue), or lets it go on: for the whole process being stopped
    /// (Ctrl-Z), so that no download fails for the time it was stopped and
    /// every clock goes on from where it was (see [`super::clock`]).
    /// Downloads paused one by one stay paused. Letting go returns how long
    /// the stop lasted, for the caller's own clocks, which are the wall's.
    pub fn freeze(&self, frozen: bool) -> Option<Shift> {
        self.board.freeze(frozen).map(|by| Shift {
            by,
            ended: std::time::Instant::now(),
        })
    }
}

/// Starts the downloads, first-in first-out within the concurrency limit,
/// and returns the handle for commands and the channel of events. Must be
/// called within a tokio runtime. More downloads can be added while it runs
/// ([`Command::Add`]).
pub fn start<A: Into<Arc<Address>>>(
    addresses: Vec<A>,
    config: RunConfig,
) -> (RunHandle, mpsc::UnboundedReceiver<Event>) {
    let (events, events_rx) = mpsc::unbounded_channel();
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let mut config = config;
    let script = std::mem::take(&mut config.script);
    if !script.is_empty() {
        let commands = commands.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            for (after, command) in script {
                tokio::time::sleep_until(started + after).await;
                if commands.send(command).is_err() {
                    break;
                }
            }
        });
    }
    let limit = match config.concurrency {
        0 => usize::MAX,
        n => n,
    };
    let mut supervisor = Supervisor::new(config, limit, events);
    supervisor.add(
        TaskId::at(0),
        addresses.into_iter().map(Into::into).collect(),
    );
    supervisor.start_waiting();
    let board = Arc::clone(&supervisor.board);
    tokio::spawn(supervisor.run(commands_rx));
    (RunHandle { commands, board }, events_rx)
}

impl Supervisor {
    fn new(config: RunConfig, limit: usize, events: mpsc::UnboundedSender<Event>) -> Supervisor {
        Supervisor {
            slots: Vec::new(),
            queue: VecDeque::new(),
            backoffs: BinaryHeap::new(),
            limit,
            config: Arc::new(config),
            events,
            attempts: JoinSet::new(),
            running_ids: HashMap::new(),
            board: Arc::new(PauseBoard::default()),
            paused_since: HashMap::new(),
        }
    }

    /// New downloads at the end of the line. Those that will not get a slot
    /// at once are announced as queued in one event.
    fn add(&mut self, first: TaskId, addresses: Vec<Arc<Address>>) {
        if first.index() != self.slots.len() {
            // Ids are handed out in order by whoever adds; anything else is
            // a bug of ours, and a row must never get another's events.
            debug_assert!(false, "downloads added out of order");
            return;
        }
        let free = self.limit.saturating_sub(self.running() + self.queue.len());
        let count = addresses.len();
        self.slots.reserve_exact(count);
        self.queue.reserve(count);
        for (task, address) in first.range(count).zip(addresses) {
            self.slots.push(Slot {
                address,
                generation: 1,
                attempt: 0,
                paused: false,
                in_line: true,
                deadline_at: None,
                phase: Phase::Queued { received: 0 },
            });
            self.queue.push_back((task, 1));
        }
        if count > free {
            let waiting = TaskId::at(first.index() + free);
            self.emit(
                waiting,
                EventKind::Queued {
                    count: u32::try_from(count - free).unwrap_or(u32::MAX),
                },
            );
        }
    }
}

/// How a generation of a download ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Complete,
    Failed,
    Cancelled,
}

/// Where a download's current generation is, as the supervisor sees it.
#[derive(Debug)]
enum Phase {
    /// In line for a connection slot; `received`: what the generation's last
    /// attempt got (0 before any), which the row keeps showing.
    Queued {
        received: u64,
    },
    /// An attempt holds a slot; its link cancels it and nudges it.
    Connecting(Arc<AttemptLink>),
    /// Waiting out the backoff before the next attempt; holds no slot.
    /// (Boxed: a million waiting downloads do not pay for its instant.)
    Backoff(Box<Wait>),
    Ended(Ended),
}

#[derive(Debug)]
struct Wait {
    received: u64,
    /// When it goes back in line (process clock). A heap entry that
    /// disagrees is stale (a pause moved it).
    until: Instant,
}

struct Slot {
    address: Arc<Address>,
    generation: u32,
    /// The attempt of this generation that started last (1-based; 0 before any).
    attempt: u32,
    /// Held still by the person: a running attempt stops reading, a queued
    /// one does not start.
    paused: bool,
    /// Whether `queue` holds an entry for the current generation (a paused one is
    /// dropped from the line when its turn comes, and put back on resume).
    in_line: bool,
    /// `--timeout` counts from the first attempt of the generation, across retries.
    deadline_at: Option<Instant>,
    phase: Phase,
}

impl Slot {
    /// Held still for `held` between attempts (paused while in line or in
    /// its backoff): its clocks go on from where they stopped. Returns
    /// when its backoff now ends, if it is in one.
    fn hold_for(&mut self, held: Duration) -> Option<Instant> {
        self.deadline_at = self.deadline_at.map(|at| at + held);
        match &mut self.phase {
            Phase::Backoff(wait) => {
                wait.until += held;
                Some(wait.until)
            }
            _ => None,
        }
    }
}

/// What an attempt's task reports when it ends.
enum Outcome {
    Ended(Ended),
    /// Failed, and may be tried again after this wait. `deadline_at`: the
    /// generation's deadline, moved by the time the attempt was held still.
    RetryAfter {
        after: Duration,
        received: u64,
        deadline_at: Option<Instant>,
    },
}

struct Supervisor {
    slots: Vec<Slot>,
    /// Downloads waiting for a slot, with the generation they were queued for (a
    /// cancelled or restarted generation leaves a stale entry that is skipped).
    /// Eight bytes each: this, the slot and the shared address are all a
    /// waiting download costs the engine.
    queue: VecDeque<(TaskId, u32)>,
    /// Downloads waiting out a backoff: when, which, and for which generation.
    backoffs: BinaryHeap<Reverse<(Instant, TaskId, u32)>>,
    limit: usize,
    config: Arc<RunConfig>,
    events: mpsc::UnboundedSender<Event>,
    attempts: JoinSet<Outcome>,
    /// Which download and generation each running attempt is for, so that one
    /// that panics still ends its row.
    running_ids: HashMap<tokio::task::Id, (TaskId, u32)>,
    board: Arc<PauseBoard>,
    /// Since when (process clock) each paused download between attempts
    /// (queued again, or waiting out a backoff) has been paused, when it has
    /// a clock to stop: its deadline and its backoff move by the pause on
    /// resume. (A running attempt moves its own; one that never started has
    /// no deadline yet.)
    paused_since: HashMap<TaskId, Instant>,
}

impl Supervisor {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut commands_open = true;
        // A freeze stops the process clock: backoffs are not due during one,
        // and their timers are armed again when it ends; every running
        // attempt is nudged to look (see `PauseBoard`).
        let mut clock_changes = self.board.subscribe();
        loop {
            let next_backoff = self.backoffs.peek().map(|Reverse((at, _, _))| *at);
            let timer_at = next_backoff.and_then(|at| self.board.process_time().wall(at));
            tokio::select! {
                command = commands.recv(), if commands_open => match command {
                    Some(command) => self.obey(command),
                    None => commands_open = false,
                },
                Some(joined) = self.attempts.join_next_with_id() => {
                    self.attempt_ended(joined);
                    // Every other attempt that ended meanwhile, in the same
                    // wake-up: with many short downloads, one wake-up per
                    // end would cost more than the ends.
                    while let Some(joined) = self.attempts.try_join_next_with_id() {
                        self.attempt_ended(joined);
                    }
                }
                _ = sleep_until_some(timer_at), if timer_at.is_some() => {
                    self.backoffs_due();
                }
                changed = clock_changes.changed() => {
                    if changed.is_err() {
                        break; // (the board lives as long as we do)
                    }
                    self.nudge_running();
                }
                else => break,
            }
            self.start_waiting();
            if !commands_open && self.attempts.is_empty() && self.backoffs.is_empty() {
                break;
            }
        }
    }

    /// Every running attempt looks at the board again (the process froze
    /// or thawed).
    fn nudge_running(&self) {
        for (task, _) in self.running_ids.values() {
            if let Phase::Connecting(link) = &self.slots[task.index()].phase {
                link.nudge();
            }
        }
    }

    /// Now, on the process clock every deadline and backoff is measured on.
    fn now(&self) -> Instant {
        self.board.process_time().now()
    }

    /// Attempts holding a slot: every attempt task not yet joined (a
    /// cancelled one holds its slot until it has closed its connection).
    fn running(&self) -> usize {
        self.attempts.len()
    }

    fn emit(&self, task: TaskId, kind: EventKind) {
        let _ = self.events.send(Event {
            task,
            generation: self.slots[task.index()].generation,
            at: std::time::Instant::now(),
            kind,
        });
    }

    fn attempt_ended(
        &mut self,
        joined: Result<(tokio::task::Id, Outcome), tokio::task::JoinError>,
    ) {
        let id = match &joined {
            Ok((id, _)) => *id,
            Err(err) => err.id(),
        };
        let Some((task, generation)) = self.running_ids.remove(&id) else {
            return;
        };
        let outcome = match joined {
            Ok((_, outcome)) => outcome,
            Err(err) => {
                // A bug of ours, not the server's: the row ends as failed,
                // saying so, instead of running for ever.
                if self.slots[task.index()].generation == generation {
                    let address = Address::clone(&self.slots[task.index()].address);
                    self.emit(
                        task,
                        EventKind::Failed {
                            error: FetchError {
                                address,
                                reason: FailReason::Io {
                                    source: std::io::Error::other(format!(
                                        "internal error: the attempt stopped ({err})"
                                    ))
                                    .into(),
                                },
                                received: 0,
                                partial: Default::default(),
                            },
                        },
                    );
                }
                Outcome::Ended(Ended::Failed)
            }
        };
        let slot = &mut self.slots[task.index()];
        if slot.generation != generation {
            return; // a restart overtook it
        }
        if slot.paused {
            // (Only a paused attempt is on the board: the lock is not taken
            // for every download that ends.)
            self.board.set_paused(task, false);
        }
        // A cancel that came after the attempt had failed, but before it was
        // joined: the person's cancel wins over the retry it had planned.
        let cancelled_late =
            matches!(&slot.phase, Phase::Connecting(link) if link.token().is_cancelled());
        if let (true, Outcome::RetryAfter { received, .. }) = (cancelled_late, &outcome) {
            let received = *received;
            slot.phase = Phase::Ended(Ended::Cancelled);
            slot.paused = false;
            self.paused_since.remove(&task);
            self.emit(task, EventKind::Cancelled { received });
            return;
        }
        slot.phase = match outcome {
            Outcome::Ended(ended) => Phase::Ended(ended),
            Outcome::RetryAfter {
                after,
                received,
                deadline_at,
            } => {
                slot.deadline_at = deadline_at;
                let now = self.board.process_time().now();
                if slot.paused {
                    // Still paused: the wait stands still from here on.
                    self.paused_since.insert(task, now);
                }
                let until = now + after;
                self.backoffs.push(Reverse((until, task, generation)));
                Phase::Backoff(Box::new(Wait { received, until }))
            }
        };
    }

    /// Backoffs that are over go back in line for a slot. (While the
    /// process is frozen its clock stands still, so none is over.) A paused
    /// download's wait stands still: its entry goes, and resuming it puts
    /// back what was left.
    fn backoffs_due(&mut self) {
        let now = self.now();
        while let Some(&Reverse((at, task, generation))) = self.backoffs.peek() {
            if at > now {
                break;
            }
            self.backoffs.pop();
            let slot = &self.slots[task.index()];
            let current = slot.generation == generation
                && matches!(&slot.phase, Phase::Backoff(wait) if wait.until == at);
            if current && !slot.paused {
                self.enqueue(task);
            }
        }
    }

    /// Puts the current generation of `task` in line; says so when it must wait.
    fn enqueue(&mut self, task: TaskId) {
        let must_wait = self.running() + self.queue.len() >= self.limit;
        let slot = &mut self.slots[task.index()];
        let received = match &slot.phase {
            Phase::Backoff(wait) => wait.received,
            _ => 0,
        };
        slot.phase = Phase::Queued { received };
        slot.in_line = true;
        self.queue.push_back((task, slot.generation));
        if must_wait {
            self.emit(task, EventKind::Queued { count: 1 });
        }
    }

    /// Starts attempts, first in line first, while slots are free.
    fn start_waiting(&mut self) {
        while self.running() < self.limit {
            let Some((task, generation)) = self.queue.pop_front() else {
                break;
            };
            let slot = &mut self.slots[task.index()];
            if slot.generation != generation || !matches!(slot.phase, Phase::Queued { .. }) {
                continue; // a stale entry: cancelled, restarted or started
            }
            slot.in_line = false;
            // A paused download leaves the line; resuming puts it back first.
            if !slot.paused {
                self.start_attempt(task);
            }
        }
    }

    fn start_attempt(&mut self, task: TaskId) {
        let now = self.now();
        let slot = &mut self.slots[task.index()];
        if let (Some(limit), Some(at)) = (self.config.limits.deadline, slot.deadline_at)
            && at <= now
        {
            // Its deadline passed while it waited in line: it fails here,
            // and no attempt is claimed that the server never saw.
            let received = match slot.phase {
                Phase::Queued { received } => received,
                _ => 0,
            };
            slot.phase = Phase::Ended(Ended::Failed);
            let address = Address::clone(&slot.address);
            self.emit(
                task,
                EventKind::Failed {
                    error: FetchError {
                        address,
                        reason: FailReason::Deadline(limit),
                        received,
                        partial: Default::default(),
                    },
                },
            );
            return;
        }
        slot.attempt += 1;
        if slot.attempt == 1 {
            slot.deadline_at = self.config.limits.deadline.map(|d| now + d);
        }
        let link = Arc::new(AttemptLink::default());
        let cancel = link.token().clone();
        slot.phase = Phase::Connecting(Arc::clone(&link));
        let attempt = Attempt {
            task,
            generation: slot.generation,
            attempt: slot.attempt,
            of: self.config.retries.saturating_add(1),
            deadline_at: slot.deadline_at,
            address: Arc::clone(&slot.address),
            config: Arc::clone(&self.config),
            cancel,
            events: self.events.clone(),
        };
        let (task, generation) = (attempt.task, attempt.generation);
        // Boxed: the task then holds a pointer, not the attempt's whole
        // state, which tokio would otherwise copy at each stage of every
        // short download.
        let handle = self
            .attempts
            .spawn(Box::pin(attempt.run(self.board.hold(task, link))));
        self.running_ids.insert(handle.id(), (task, generation));
    }

    fn obey(&mut self, command: Command) {
        match command {
            Command::Add { first, addresses } => self.add(first, addresses),
            Command::Cancel(task) if task.index() < self.slots.len() => self.cancel(task),
            Command::CancelAll => self.cancel_all(),
            Command::Retry(task) if task.index() < self.slots.len() => self.restart(task),
            Command::RetryFailed => {
                // Attempts that already ended are collected first, so a
                // failure the person has seen is retried even if its task
                // was not reaped yet.
                while let Some(joined) = self.attempts.try_join_next_with_id() {
                    self.attempt_ended(joined);
                }
                for task in TaskId::all(self.slots.len()) {
                    let slot = &self.slots[task.index()];
                    let retry = match &slot.phase {
                        Phase::Ended(ended) => *ended != Ended::Complete,
                        // Cancelled by a command and not yet ended: what
                        // the person sees is a cancelled download.
                        Phase::Connecting(link) => link.token().is_cancelled(),
                        Phase::Queued { .. } | Phase::Backoff(_) => false,
                    };
                    if retry {
                        self.restart(task);
                    }
                }
            }
            Command::Pause(task) if task.index() < self.slots.len() => {
                self.set_paused(std::iter::once(task), true)
            }
            Command::Resume(task) if task.index() < self.slots.len() => {
                self.set_paused(std::iter::once(task), false)
            }
            Command::PauseAll => self.set_paused(TaskId::all(self.slots.len()), true),
            Command::ResumeAll => self.set_paused(TaskId::all(self.slots.len()), false),
            Command::Cancel(_) | Command::Retry(_) | Command::Pause(_) | Command::Resume(_) => {}
        }
    }

    /// Pauses or resumes the downloads among `tasks` that have not ended
    /// and are not already so; says so in batches of consecutive ids.
    fn set_paused(&mut self, tasks: impl Iterator<Item = TaskId>, paused: bool) {
        let mut batches = Batches::default();
        // Resumed downloads that had left the line, in list order.
        let mut back_in_line = Vec::new();
        let now = self.now();
        for task in tasks {
            let slot = &mut self.slots[task.index()];
            if slot.paused == paused || matches!(slot.phase, Phase::Ended(_)) {
                continue;
            }
            slot.paused = paused;
            let generation = slot.generation;
            match slot.phase {
                Phase::Connecting(ref link) => {
                    self.board.set_paused(task, paused);
                    link.nudge();
                }
                _ if paused => {
                    if slot.deadline_at.is_some() || matches!(slot.phase, Phase::Backoff(_)) {
                        self.paused_since.insert(task, now);
                    }
                }
                _ => {
                    if let Some(since) = self.paused_since.remove(&task)
                        && let Some(until) = slot.hold_for(now.saturating_duration_since(since))
                    {
                        self.backoffs.push(Reverse((until, task, generation)));
                    }
                    if matches!(slot.phase, Phase::Queued { .. }) && !slot.in_line {
                        slot.in_line = true;
                        back_in_line.push((task, generation));
                    }
                }
            }
            if let Some((first, count)) = batches.push(task, generation) {
                self.emit_batch(first, count, paused);
            }
        }
        if let Some((first, count)) = batches.finish() {
            self.emit_batch(first, count, paused);
        }
        // At the head of the line, in their own order: they were next, or
        // had waited longer than what came after them.
        for entry in back_in_line.into_iter().rev() {
            self.queue.push_front(entry);
        }
    }

    fn emit_batch(&self, first: TaskId, count: u32, paused: bool) {
        let kind = if paused {
            EventKind::Paused { count }
        } else {
            EventKind::Resumed { count }
        };
        self.emit(first, kind);
    }

    /// Cancels everything. Downloads waiting in line are told about in
    /// batches of consecutive ids (one event each), and the line empties.
    fn cancel_all(&mut self) {
        let mut batches = Batches::default();
        for task in TaskId::all(self.slots.len()) {
            let slot = &mut self.slots[task.index()];
            // Only downloads that never started this generation go in a batch: one
            // queued again after an attempt may hold a partial poem, and is
            // told about on its own, with its bytes.
            if matches!(slot.phase, Phase::Queued { .. }) && slot.attempt == 0 {
                slot.phase = Phase::Ended(Ended::Cancelled);
                slot.in_line = false;
                slot.paused = false;
                if let Some((first, count)) = batches.push(task, slot.generation) {
                    self.emit_cancelled_waiting(first, count);
                }
            } else {
                self.cancel(task);
            }
        }
        if let Some((first, count)) = batches.finish() {
            self.emit_cancelled_waiting(first, count);
        }
        self.queue.clear();
        self.paused_since.clear();
    }

    fn emit_cancelled_waiting(&self, first: TaskId, count: u32) {
        let kind = match count {
            1 => EventKind::Cancelled { received: 0 },
            count => EventKind::CancelledWaiting { count },
        };
        self.emit(first, kind);
    }

    /// Ends the current generation now; a running attempt reports its own end.
    fn cancel(&mut self, task: TaskId) {
        let slot = &mut self.slots[task.index()];
        let received = match &slot.phase {
            Phase::Connecting(link) => {
                link.cancel();
                return;
            }
            Phase::Ended(_) => return,
            Phase::Queued { received } => *received,
            Phase::Backoff(wait) => wait.received,
        };
        slot.phase = Phase::Ended(Ended::Cancelled);
        slot.paused = false;
        self.paused_since.remove(&task);
        self.emit(task, EventKind::Cancelled { received });
    }

    /// A new generation of `task`, whatever the state of the old one (a queued one
    /// keeps its place in line).
    fn restart(&mut self, task: TaskId) {
        let slot = &mut self.slots[task.index()];
        match &slot.phase {
            Phase::Queued { .. } => return,
            Phase::Connecting(link) => link.cancel(),
            Phase::Backoff(_) | Phase::Ended(_) => {}
        }
        slot.generation += 1;
        slot.attempt = 0;
        slot.deadline_at = None;
        // A retry is a wish to fetch: it is not held.
        slot.paused = false;
        self.board.set_paused(task, false);
        self.paused_since.remove(&task);
        self.enqueue(task);
    }
}

/// Consecutive ids of one generation, gathered into one event.
#[derive(Default)]
struct Batches {
    current: Option<(TaskId, u32, u32)>,
}

impl Batches {
    /// Adds `task`; returns the batch it ended, if it did not fit.
    fn push(&mut self, task: TaskId, generation: u32) -> Option<(TaskId, u32)> {
        match &mut self.current {
            Some((first, batch_generation, count))
                if *batch_generation == generation
                    && first.index() + *count as usize == task.index() =>
            {
                *count += 1;
                None
            }
            _ => self
                .current
                .replace((task, generation, 1))
                .map(|(first, _, count)| (first, count)),
        }
    }

    fn finish(self) -> Option<(TaskId, u32)> {
        self.current.map(|(first, _, count)| (first, count))
    }
}

/// One attempt of one download, in its own task while it holds a slot.
struct Attempt {
    task: TaskId,
    generation: u32,
    attempt: u32,
    of: u32,
    deadline_at: Option<Instant>,
    address: Arc<Address>,
    config: Arc<RunConfig>,
    cancel: CancellationToken,
    events: mpsc::UnboundedSender<Event>,
}

impl Attempt {
    fn emit(&self, kind: EventKind) {
        let _ = self.events.send(Event {
            task: self.task,
            generation: self.generation,
            at: std::time::Instant::now(),
            kind,
        });
    }

    async fn run(self, mut hold: Hold) -> Outcome {
        self.emit(EventKind::Connecting {
            attempt: self.attempt,
            of: self.of,
        });
        let mut reporter = ProgressReporter {
            attempt: &self,
            last_sent: None,
            pending: Vec::new(),
            paused: Duration::ZERO,
            whole: (!self.config.transforms.is_empty()).then(BytesMut::new),
        };
        let result = fetch(
            &self.address,
            &self.config.limits,
            self.deadline_at,
            Some(&mut hold),
            &mut reporter,
        )
        .await;
        let paused = reporter.paused;
        let whole = reporter.whole.take();
        match result {
            Ok((poem, received)) => {
                // An empty poem has nothing to transform.
                if let Some(whole) = whole.filter(|whole| !whole.is_empty()) {
                    // Boxed: the chain is rare, and its state would make
                    // every attempt's task bigger.
                    Box::pin(self.transform(whole.freeze(), &mut hold)).await;
                }
                self.emit(EventKind::Finished {
                    received,
                    times: poem.times,
                });
                Outcome::Ended(Ended::Complete)
            }
            Err(NoPoem::Cancelled { received }) => {
                self.emit(EventKind::Cancelled { received });
                Outcome::Ended(Ended::Cancelled)
            }
            Err(NoPoem::Failed(error)) if self.cancel.is_cancelled() => {
                // Cancelled as the attempt failed: the person's cancel wins,
                // never a retry they did not ask for.
                self.emit(EventKind::Cancelled {
                    received: error.received,
                });
                Outcome::Ended(Ended::Cancelled)
            }
            Err(NoPoem::Failed(error)) => {
                // The deadline moved by the time this attempt was paused.
                let deadline_at = self.deadline_at.map(|at| at + paused);
                let now = hold.process_now();
                let out_of_time = deadline_at.is_some_and(|at| at <= now);
                if self.attempt >= self.of || !error.reason.is_retryable() || out_of_time {
                    self.emit(EventKind::Failed { error });
                    return Outcome::Ended(Ended::Failed);
                }
                let mut after = self.config.backoff.delay(self.attempt);
                if let Some(deadline_at) = deadline_at {
                    // The deadline is the whole download's: no wait runs
                    // past it (the next attempt then fails at once).
                    after = after.min(deadline_at.saturating_duration_since(now));
                }
                let received = error.received;
                self.emit(EventKind::Retrying {
                    attempt: self.attempt + 1,
                    of: self.of,
                    after,
                    error,
                });
                Outcome::RetryAfter {
                    after,
                    received,
                    deadline_at,
                }
            }
        }
    }
}

impl Attempt {
    /// Sends the poem through each step of the chain in turn, like
    /// callbacks added to a Deferred; a step that fails passes on what it
    /// was given, as the errback returning the original poem does. A cancel
    /// ends the chain: the poem as it stands is the row's.
    async fn transform(&self, mut poem: Bytes, hold: &mut Hold) {
        let limits = StepLimits::of(&self.config.limits);
        for (index, step) in self.config.transforms.iter().enumerate() {
            let index = u16::try_from(index).unwrap_or(u16::MAX);
            let mut reporter = StepReporter {
                attempt: self,
                step: index,
                of: u16::try_from(self.config.transforms.len()).unwrap_or(u16::MAX),
            };
            match run_step(
                step,
                &poem,
                &limits,
                &self.cancel,
                Some(hold),
                &mut reporter,
            )
            .await
            {
                Ok(reply) => {
                    self.emit(EventKind::Transformed {
                        step: index,
                        poem: reply.clone(),
                    });
                    poem = reply;
                }
                Err(failure) => {
                    let cancelled = failure == TransformFailure::Cancelled;
                    self.emit(EventKind::TransformFailed {
                        step: index,
                        error: TransformError {
                            step: step.clone(),
                            failure,
                        },
                    });
                    if cancelled {
                        break;
                    }
                }
            }
        }
    }
}

/// Turns a step's phases into events.
struct StepReporter<'a> {
    attempt: &'a Attempt,
    step: u16,
    of: u16,
}

impl StepObserver for StepReporter<'_> {
    fn phase(&mut self, phase: StepPhase) {
        self.attempt.emit(EventKind::Transforming {
            step: self.step,
            of: self.of,
            phase,
        });
    }
}

/// Turns reads into coalesced `Progress` events. Every read is split off the
/// read buffer at once, so the buffer is empty whenever it needs more room and
/// growing it never copies; the pieces wait here until an event is due.
struct ProgressReporter<'a> {
    attempt: &'a Attempt,
    last_sent: Option<Instant>,
    pending: Vec<BytesMut>,
    /// How long the attempt was held still.
    paused: Duration,
    /// A copy of the whole poem, for a run with a transform chain (the
    /// pieces themselves go to the listener).
    whole: Option<BytesMut>,
}

impl ProgressReporter<'_> {
    fn send(&mut self, received: u64) {
        let data = std::mem::take(&mut self.pending);
        if let Some(whole) = &mut self.whole {
            for piece in &data {
                whole.extend_from_slice(piece);
            }
        }
        self.last_sent = Some(Instant::now());
        self.attempt.emit(EventKind::Progress { data, received });
    }
}

impl Observer for ProgressReporter<'_> {
    fn connected(&mut self, connect_time: Duration) {
        self.attempt.emit(EventKind::Connected { connect_time });
    }

    fn data(&mut self, buffer: &mut BytesMut, received: u64) -> Option<Instant> {
        push_segment(&mut self.pending, buffer.split());
        if self.attempt.config.progress_at_end {
            return None;
        }
        match self.last_sent {
            Some(sent) if sent.elapsed() < PROGRESS_INTERVAL => Some(sent + PROGRESS_INTERVAL),
            _ => {
                self.send(received);
                None
            }
        }
    }

    fn flush(&mut self, buffer: &mut BytesMut, received: u64) {
        push_segment(&mut self.pending, buffer.split());
        if !self.pending.is_empty() {
            self.send(received);
        }
    }

    fn resumed(&mut self, paused_for: Duration) {
        self.paused += paused_for;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backoff_doubles_is_jittered_to_half_of_it_and_is_capped() {
        let backoff = Backoff {
            first: Duration::from_millis(100),
            max: Duration::from_millis(1500),
        };
        for attempt in 1..=40u32 {
            let ceiling = Duration::from_millis(100)
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(backoff.max);
            let mut seen_low = false;
            let mut seen_high = false;
            for _ in 0..200 {
                let delay = backoff.delay(attempt);
                assert!(
                    delay <= ceiling,
                    "attempt {attempt}: {delay:?} > {ceiling:?}"
                );
                assert!(delay >= ceiling / 2, "attempt {attempt}: {delay:?} < half");
                seen_low |= delay < ceiling * 3 / 4;
                seen_high |= delay > ceiling * 3 / 4;
            }
            assert!(
                seen_low && seen_high,
                "attempt {attempt}: jittered over the range"
            );
        }
        // Doubling, then the cap: 100, 200, 400, 800, then 1500 for ever.
        let most = |attempt| {
            (0..500)
                .map(|_| backoff.delay(attempt))
                .max()
                .unwrap_or_default()
        };
        assert!(most(2) > Duration::from_millis(150));
        assert!(most(4) > Duration::from_millis(700) && most(4) <= Duration::from_millis(800));
        assert!(most(30) <= backoff.max && most(30) > Duration::from_millis(1400));
    }

    #[tokio::test]
    async fn an_attempt_that_panics_ends_its_row_as_failed() {
        let (events, mut events_rx) = mpsc::unbounded_channel();
        let mut supervisor = Supervisor::new(RunConfig::default(), 1, events);
        supervisor.add(TaskId::at(0), vec![Arc::new(Address::loopback(1))]);
        // As if its attempt had started, with a task that panics.
        supervisor.queue.clear();
        supervisor.slots[0].phase = Phase::Connecting(Arc::default());
        let handle = supervisor
            .attempts
            .spawn(async { panic!("a bug in an attempt") });
        supervisor
            .running_ids
            .insert(handle.id(), (TaskId::at(0), 1));
        let joined = supervisor
            .attempts
            .join_next_with_id()
            .await
            .expect("joined");
        supervisor.attempt_ended(joined);
        let event = events_rx.try_recv().expect("an event");
        let EventKind::Failed { error } = event.kind else {
            panic!("not failed: {event:?}");
        };
        assert!(error.to_string().contains("internal error"), "{error}");
        assert!(matches!(
            supervisor.slots[0].phase,
            Phase::Ended(Ended::Failed)
        ));
        assert_eq!(supervisor.running(), 0);
    }
}
