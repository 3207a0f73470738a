//! Many downloads at once: one tokio task per download, a supervisor that
//! owns their cancellation tokens and obeys commands, and events for everything
//! that happens.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::event::{Command, Event, EventKind, TaskId};
use super::fetch::{Limits, Observer, Stop, fetch};
use crate::address::Address;
use crate::model::push_segment;

/// Progress events for one download are at most this frequent, so ten
/// thousand fast servers cannot flood the channel.
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
    /// Downloads allowed at once; 0 means all of them.
    pub concurrency: usize,
    /// Extra attempts after a retryable failure.
    pub retries: u32,
    pub backoff: Backoff,
}

/// Sends commands to a running set of downloads. Dropping it lets the
/// downloads run to their end; nothing can be retried after that.
#[derive(Debug, Clone)]
pub struct RunHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl RunHandle {
    pub fn send(&self, command: Command) {
        // The supervisor only stops once every handle is gone.
        let _ = self.commands.send(command);
    }
}

/// Starts one task per address and returns the handle for commands and the
/// channel of events. Must be called within a tokio runtime.
pub fn start(
    addresses: Vec<Address>,
    config: RunConfig,
) -> (RunHandle, mpsc::UnboundedReceiver<Event>) {
    let (events, events_rx) = mpsc::unbounded_channel();
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let permits = (config.concurrency > 0).then(|| Arc::new(Semaphore::new(config.concurrency)));
    let mut supervisor = Supervisor {
        slots: addresses
            .into_iter()
            .map(|address| Slot {
                address,
                run: 0,
                cancel: CancellationToken::new(),
                ended: None,
            })
            .collect(),
        config: Arc::new(config),
        permits,
        events,
        tasks: JoinSet::new(),
    };
    for task in 0..supervisor.slots.len() {
        supervisor.launch(task);
    }
    tokio::spawn(supervisor.run(commands_rx));
    (RunHandle { commands }, events_rx)
}

/// How a run of a download ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Complete,
    Failed,
    Cancelled,
}

struct Slot {
    address: Address,
    run: u32,
    cancel: CancellationToken,
    /// `None` while the current run is going.
    ended: Option<Ended>,
}

struct Supervisor {
    slots: Vec<Slot>,
    config: Arc<RunConfig>,
    permits: Option<Arc<Semaphore>>,
    events: mpsc::UnboundedSender<Event>,
    tasks: JoinSet<(TaskId, u32, Ended)>,
}

impl Supervisor {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut commands_open = true;
        loop {
            tokio::select! {
                command = commands.recv(), if commands_open => match command {
                    Some(command) => self.obey(command),
                    None => commands_open = false,
                },
                Some(joined) = self.tasks.join_next() => {
                    if let Ok((task, run, ended)) = joined {
                        let slot = &mut self.slots[task];
                        if slot.run == run {
                            slot.ended = Some(ended);
                        }
                    }
                }
                else => break,
            }
        }
    }

    fn obey(&mut self, command: Command) {
        match command {
            Command::Cancel(task) => {
                if let Some(slot) = self.slots.get(task) {
                    slot.cancel.cancel();
                }
            }
            Command::CancelAll => self.slots.iter().for_each(|slot| slot.cancel.cancel()),
            Command::Retry(task) if task < self.slots.len() => {
                // A running download restarts: its old run is cancelled and
                // its late events are told apart by their run number.
                self.slots[task].cancel.cancel();
                self.launch(task);
            }
            Command::Retry(_) => {}
            Command::RetryFailed => {
                for task in 0..self.slots.len() {
                    if matches!(
                        self.slots[task].ended,
                        Some(Ended::Failed | Ended::Cancelled)
                    ) {
                        self.launch(task);
                    }
                }
            }
        }
    }

    fn launch(&mut self, task: TaskId) {
        let slot = &mut self.slots[task];
        slot.run += 1;
        slot.cancel = CancellationToken::new();
        slot.ended = None;
        let download = Download {
            task,
            run: slot.run,
            address: slot.address.clone(),
            config: Arc::clone(&self.config),
            cancel: slot.cancel.clone(),
            events: self.events.clone(),
        };
        let permits = self.permits.clone();
        self.tasks.spawn(async move {
            let run = download.run;
            (task, run, download.run(permits).await)
        });
    }
}

/// One run of one download: queue, attempts with backoff between them.
struct Download {
    task: TaskId,
    run: u32,
    address: Address,
    config: Arc<RunConfig>,
    cancel: CancellationToken,
    events: mpsc::UnboundedSender<Event>,
}

impl Download {
    fn emit(&self, kind: EventKind) {
        let _ = self.events.send(Event {
            task: self.task,
            run: self.run,
            at: Instant::now(),
            kind,
        });
    }

    async fn run(self, permits: Option<Arc<Semaphore>>) -> Ended {
        // Only a concurrency limit makes a download wait; without one it
        // goes straight to connecting (the model starts every download
        // queued, so nothing is lost).
        if permits.is_some() {
            self.emit(EventKind::Queued);
        }
        let _permit = match permits {
            None => None,
            Some(permits) => tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    self.emit(EventKind::Cancelled { received: 0 });
                    return Ended::Cancelled;
                }
                permit = permits.acquire_owned() => permit.ok(),
            },
        };
        let attempts = self.config.retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            self.emit(EventKind::Connecting {
                attempt,
                of: attempts,
            });
            let mut reporter = ProgressReporter {
                download: &self,
                last_sent: None,
                pending: Vec::new(),
            };
            match fetch(
                &self.address,
                &self.config.limits,
                &self.cancel,
                &mut reporter,
            )
            .await
            {
                Ok((poem, received)) => {
                    self.emit(EventKind::Finished {
                        received,
                        times: poem.times,
                    });
                    return Ended::Complete;
                }
                Err(Stop::Cancelled { received }) => {
                    self.emit(EventKind::Cancelled { received });
                    return Ended::Cancelled;
                }
                Err(Stop::Failed(error)) => {
                    if attempt >= attempts || !error.reason.is_retryable() {
                        self.emit(EventKind::Failed { error });
                        return Ended::Failed;
                    }
                    let after = self.config.backoff.delay(attempt);
                    let received = error.received;
                    attempt += 1;
                    self.emit(EventKind::Retrying {
                        attempt,
                        of: attempts,
                        after,
                        error,
                    });
                    tokio::select! {
                        biased;
                        _ = self.cancel.cancelled() => {
                            self.emit(EventKind::Cancelled { received });
                            return Ended::Cancelled;
                        }
                        _ = tokio::time::sleep(after) => {}
                    }
                }
            }
        }
    }
}

/// Turns reads into coalesced `Progress` events. Every read is split off the
/// read buffer at once, so the buffer is empty whenever it needs more room and
/// growing it never copies; the pieces wait here until an event is due.
struct ProgressReporter<'a> {
    download: &'a Download,
    last_sent: Option<Instant>,
    pending: Vec<BytesMut>,
}

impl ProgressReporter<'_> {
    fn send(&mut self, received: u64) {
        let data = std::mem::take(&mut self.pending);
        self.last_sent = Some(Instant::now());
        self.download.emit(EventKind::Progress { data, received });
    }
}

impl Observer for ProgressReporter<'_> {
    fn connected(&mut self, connect_time: Duration) {
        self.download.emit(EventKind::Connected { connect_time });
    }

    fn data(&mut self, buffer: &mut BytesMut, received: u64) {
        push_segment(&mut self.pending, buffer.split());
        let due = self
            .last_sent
            .is_none_or(|sent| sent.elapsed() >= PROGRESS_INTERVAL);
        if due {
            self.send(received);
        }
    }

    fn flush(&mut self, buffer: &mut BytesMut, received: u64) {
        push_segment(&mut self.pending, buffer.split());
        if !self.pending.is_empty() {
            self.send(received);
        }
    }
}
