//! One download: connect, read until the server closes, obey the limits.
//!
//! [`get_poem`] is the tutorial's `get_poetry` in Rust: where Twisted returns a
//! Deferred that later fires its callback with the poem or its errback with a
//! failure, we return a future that resolves to `Ok(poem)` or a typed
//! [`FetchError`]. The runner drives the same code through [`fetch`] with an
//! observer that turns reads into progress events.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_util::sync::CancellationToken;

use super::error::{FailReason, FetchError};
use crate::address::Address;

/// The limits that end a download early. When one fires the connection is
/// dropped, which closes the socket at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Resolving the name and completing the TCP handshake.
    pub connect_timeout: Duration,
    /// The longest wait for the next byte.
    pub idle_timeout: Duration,
    /// The whole download, connect included (`--timeout`).
    pub deadline: Option<Duration>,
    /// The largest poem accepted; `None` means no limit.
    pub max_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            deadline: None,
            max_bytes: Some(8 * 1024 * 1024),
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

/// A complete poem: the server closed the connection cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poem {
    pub address: Address,
    pub bytes: Bytes,
    pub times: AttemptTimes,
}

/// Hears about an attempt as it happens. Reads land in a buffer the observer
/// may drain (`split` it) whenever it likes; whatever it leaves there is
/// returned with the poem or the error. [`fetch`] also returns the count of
/// all bytes received, drained or not.
pub(crate) trait Observer {
    fn connected(&mut self, _connect_time: Duration) {}
    /// Called after every read; `received` counts all bytes so far. An
    /// observer that holds bytes back returns when it wants them sent, and
    /// [`Observer::flush`] is called then if no read came first.
    fn data(&mut self, _buffer: &mut BytesMut, _received: u64) -> Option<Instant> {
        None
    }
    /// Send what is held back: when the time [`Observer::data`] asked for
    /// has come, and once before the attempt ends, whatever the outcome.
    fn flush(&mut self, _buffer: &mut BytesMut, _received: u64) {}
    /// The attempt goes on after being held still this long.
    fn resumed(&mut self, _paused_for: Duration) {}
}

/// Whether the person has paused this attempt's download (see
/// [`Command::Pause`](super::Command::Pause)), and a way to hear when that
/// changes.
pub(crate) struct Hold {
    pub(super) holds: std::sync::Arc<super::runner::Holds>,
    pub(super) changes: tokio::sync::watch::Receiver<()>,
    pub(super) task: super::TaskId,
}

impl Hold {
    fn is_paused(&self) -> bool {
        self.holds.is_paused(self.task)
    }
}

/// Whether a freeze holds the attempt, and the frozen time it has already
/// moved its clocks by.
fn frozen_state(hold: Option<&Hold>) -> (bool, Duration) {
    hold.map_or((false, Duration::ZERO), |hold| {
        (hold.holds.is_frozen(), hold.holds.frozen_total())
    })
}

/// Resolves when the pause board changes (never without one).
async fn hold_changed(hold: &mut Option<&mut Hold>) {
    let gone = match hold {
        Some(hold) => hold.changes.changed().await.is_err(),
        None => true,
    };
    if gone {
        std::future::pending::<()>().await;
    }
}

/// An observer that keeps everything in the buffer.
struct KeepAll;
impl Observer for KeepAll {}

/// How an attempt ended when it did not produce a poem.
#[derive(Debug)]
pub(crate) enum Stop {
    Failed(FetchError),
    Cancelled { received: u64 },
}

/// Downloads one poem. Resolves to the poem when the server closes the
/// connection cleanly, or to an error naming the server, the reason and the
/// bytes that arrived (kept in [`FetchError::partial`]).
pub async fn get_poem(address: &Address, limits: &Limits) -> Result<Poem, FetchError> {
    let never = CancellationToken::new();
    let deadline_at = limits.deadline.map(|d| Instant::now() + d);
    match fetch(address, limits, deadline_at, &never, None, &mut KeepAll).await {
        Ok((poem, _)) => Ok(poem),
        Err(Stop::Failed(err)) => Err(err),
        Err(Stop::Cancelled { .. }) => unreachable!("nothing can cancel this token"),
    }
}

/// The smallest read buffer; it grows while reads keep filling it.
const FIRST_READ: usize = 4 * 1024;
/// Far enough away to mean "not armed" for a timer.
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
const LARGEST_READ: usize = 2 * 1024 * 1024;

/// One attempt. `deadline` is when `limits.deadline` runs out for the whole
/// download (it counts from the first attempt, across retries). While
/// `hold` says the download is paused, nothing is read (TCP's flow control
/// holds the server back) and the idle and deadline clocks stop.
pub(crate) async fn fetch(
    address: &Address,
    limits: &Limits,
    deadline: Option<Instant>,
    cancel: &CancellationToken,
    mut hold: Option<&mut Hold>,
    observer: &mut impl Observer,
) -> Result<(Poem, u64), Stop> {
    let mut deadline = deadline;
    let started = Instant::now();
    let mut times = AttemptTimes::default();
    let fail = |reason, received, partial| {
        Stop::Failed(FetchError {
            address: address.clone(),
            reason,
            received,
            partial,
        })
    };

    if let (Some(limit), Some(at)) = (limits.deadline, deadline)
        && at <= started
    {
        return Err(fail(FailReason::Deadline(limit), 0, Bytes::new()));
    }
    let connect_by = earliest(started + limits.connect_timeout, deadline);
    let mut stream = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(Stop::Cancelled { received: 0 }),
        connected = timeout_at(connect_by, connect(address)) => match connected {
            Ok(Ok(stream)) => stream,
            Ok(Err(reason)) => return Err(fail(reason, 0, Bytes::new())),
            Err(_elapsed) => {
                let reason = match limits.deadline {
                    Some(limit) if Some(connect_by) == deadline => FailReason::Deadline(limit),
                    _ => FailReason::ConnectTimeout(limits.connect_timeout),
                };
                return Err(fail(reason, 0, Bytes::new()));
            }
        },
    };
    let connect_time = started.elapsed();
    times.connect = Some(connect_time);
    observer.connected(connect_time);

    let mut buffer = BytesMut::new();
    let mut read_size = FIRST_READ;
    let mut received: u64 = 0;
    let mut last_byte = Instant::now();
    // One timer serves both the idle timeout and the deadline. Reads never
    // touch it (that would be a timer-wheel update per read); when it fires
    // early because bytes came meanwhile, it is moved on, at most once per
    // idle period.
    let timer = tokio::time::sleep_until(earliest(last_byte + limits.idle_timeout, deadline));
    tokio::pin!(timer);
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    // Wakes the observer when bytes it held back are due, so that a burst
    // followed by silence is shown when it arrives, not at the next read.
    let held_back = tokio::time::sleep_until(started);
    tokio::pin!(held_back);
    let mut holding = false;
    // Since when the download has been paused, while it is.
    let mut paused_since = hold
        .as_deref()
        .filter(|hold| hold.is_paused())
        .map(|_| Instant::now());
    // Every download held while the process stops (Ctrl-Z): the time the
    // process was stopped moves this attempt's clocks, whether or not it
    // saw the freeze begin.
    let (mut frozen, mut frozen_seen) = frozen_state(hold.as_deref());
    loop {
        // Fill each buffer nearly to the end before starting another: a poem
        // is kept in the buffers it was read into, so half-used ones would
        // be memory held for nothing.
        if buffer.capacity() - buffer.len() < (read_size / 8).max(64) {
            buffer.reserve(read_size);
        }
        let spare = buffer.capacity() - buffer.len();
        let step = tokio::select! {
            biased;
            _ = &mut cancelled => {
                observer.flush(&mut buffer, received);
                return Err(Stop::Cancelled { received });
            }
            _ = hold_changed(&mut hold), if hold.is_some() => {
                let (now_frozen, frozen_total) = frozen_state(hold.as_deref());
                frozen = now_frozen;
                if frozen_total > frozen_seen {
                    let stopped = frozen_total - frozen_seen;
                    frozen_seen = frozen_total;
                    deadline = deadline.map(|at| at + stopped);
                    last_byte = Instant::now();
                    timer.as_mut().reset(earliest(last_byte + limits.idle_timeout, deadline));
                    observer.resumed(stopped);
                }
                let paused = hold.as_deref().is_some_and(Hold::is_paused);
                match (paused, paused_since) {
                    (true, None) => {
                        paused_since = Some(Instant::now());
                        // What came before the pause is shown now.
                        holding = false;
                        observer.flush(&mut buffer, received);
                    }
                    (false, Some(since)) => {
                        // The clocks go on from where they stopped.
                        let paused_for = since.elapsed();
                        deadline = deadline.map(|at| at + paused_for);
                        last_byte = Instant::now();
                        paused_since = None;
                        timer.as_mut().reset(earliest(last_byte + limits.idle_timeout, deadline));
                        observer.resumed(paused_for);
                    }
                    _ => {}
                }
                continue;
            }
            read = stream.read_buf(&mut buffer), if paused_since.is_none() && !frozen => Step::Read(read),
            _ = &mut held_back, if holding => {
                holding = false;
                observer.flush(&mut buffer, received);
                continue;
            }
            _ = &mut timer, if paused_since.is_none() && !frozen => {
                let now = Instant::now();
                match (limits.deadline, deadline) {
                    (Some(limit), Some(at)) if now >= at => Step::Limit(FailReason::Deadline(limit)),
                    _ if now >= last_byte + limits.idle_timeout => {
                        Step::Limit(FailReason::IdleTimeout(limits.idle_timeout))
                    }
                    _ => {
                        timer.as_mut().reset(earliest(last_byte + limits.idle_timeout, deadline));
                        continue;
                    }
                }
            }
        };
        let stop_reason = match step {
            Step::Read(Ok(0)) => {
                times.total = started.elapsed();
                observer.flush(&mut buffer, received);
                let poem = Poem {
                    address: address.clone(),
                    bytes: buffer.freeze(),
                    times,
                };
                return Ok((poem, received));
            }
            Step::Read(Ok(n)) => {
                received += n as u64;
                last_byte = Instant::now();
                times.first_byte.get_or_insert_with(|| started.elapsed());
                if n == spare {
                    read_size = (read_size * 2).min(LARGEST_READ);
                }
                match limits.max_bytes {
                    Some(limit) if received > limit => {
                        let excess = (received - limit) as usize;
                        buffer.truncate(buffer.len().saturating_sub(excess));
                        received = limit;
                        Some(FailReason::TooLarge { limit })
                    }
                    _ => {
                        match observer.data(&mut buffer, received) {
                            Some(due) if !holding => {
                                held_back.as_mut().reset(due);
                                holding = true;
                            }
                            None if holding => {
                                // This read sent what was held: the timer is
                                // moved out of the way rather than left to
                                // wake the loop for nothing (a wake costs a
                                // poll and a read that finds no data).
                                held_back.as_mut().reset(started + NEVER);
                                holding = false;
                            }
                            _ => {}
                        }
                        None
                    }
                }
            }
            Step::Read(Err(err)) => Some(FailReason::from_read_error(&err)),
            Step::Limit(reason) => Some(reason),
        };
        if let Some(reason) = stop_reason {
            // Close first: a limit that fired must not keep the peer waiting.
            drop(stream);
            observer.flush(&mut buffer, received);
            return Err(fail(reason, received, buffer.freeze()));
        }
    }
}

/// What woke the read loop.
enum Step {
    Read(std::io::Result<usize>),
    Limit(FailReason),
}

fn earliest(a: Instant, b: Option<Instant>) -> Instant {
    b.map_or(a, |b| a.min(b))
}

/// Resolves the host without blocking the runtime (names go to tokio's
/// resolver thread pool) and tries each address it resolves to in turn.
async fn connect(address: &Address) -> Result<TcpStream, FailReason> {
    let targets: Vec<SocketAddr> = match address.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, address.port)],
        Err(_) => tokio::net::lookup_host((address.host.as_str(), address.port))
            .await
            .map_err(|err| FailReason::NameNotResolved {
                source: Some(err.into()),
            })?
            .collect(),
    };
    let mut last = FailReason::NameNotResolved { source: None };
    for target in targets {
        match TcpStream::connect(target).await {
            Ok(stream) => return Ok(stream),
            Err(err) => last = FailReason::from_connect_error(&err),
        }
    }
    Err(last)
}
