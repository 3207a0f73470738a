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
use tokio::time::Instant;

use super::clock::{AttemptClock, Change, Hold, sleep_until_some};
use super::error::{FailReason, FetchError};
use super::event::AttemptTimes;
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
    /// The largest poem accepted; `None` means no limit. A transform's
    /// reply is held to it too.
    pub max_bytes: Option<u64>,
    /// Each step of the transform chain: connect, request and reply
    /// (`--transform-timeout`).
    pub transform_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            deadline: None,
            max_bytes: Some(8 * 1024 * 1024),
            transform_timeout: Duration::from_secs(10),
        }
    }
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
    /// The attempt goes on after being paused this long (on the process
    /// clock: a Ctrl-Z during the pause is not in it).
    fn resumed(&mut self, _paused_for: Duration) {}
}

/// An observer that keeps everything in the buffer.
struct KeepAll;
impl Observer for KeepAll {}

/// How an attempt ended when it did not produce a poem.
#[derive(Debug)]
pub(crate) enum NoPoem {
    Failed(FetchError),
    Cancelled { received: u64 },
}

/// Downloads one poem. Resolves to the poem when the server closes the
/// connection cleanly, or to an error naming the server, the reason and the
/// bytes that arrived (kept in [`FetchError::partial`]).
pub async fn get_poem(address: &Address, limits: &Limits) -> Result<Poem, FetchError> {
    let deadline_at = limits.deadline.map(|d| Instant::now() + d);
    match fetch(address, limits, deadline_at, None, &mut KeepAll).await {
        Ok((poem, _)) => Ok(poem),
        Err(NoPoem::Failed(err)) => Err(err),
        Err(NoPoem::Cancelled { .. }) => unreachable!("without a hold, nothing cancels"),
    }
}

/// The smallest read buffer; it grows while reads keep filling it.
const FIRST_READ: usize = 4 * 1024;
/// Far enough away to mean "not armed" for a timer.
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
const LARGEST_READ: usize = 2 * 1024 * 1024;

/// One attempt. `deadline` is when `limits.deadline` runs out for the whole
/// download (it counts from the first attempt, across retries), on the
/// process clock (see [`super::clock`]). While `hold` says the download is
/// paused or the process frozen, no limit counts: connecting goes on but
/// its timeout stands still, nothing is read (TCP's flow control holds the
/// server back), and the idle and deadline clocks stop, to go on from where
/// they were; and the hold's link is how the supervisor cancels it.
pub(crate) async fn fetch(
    address: &Address,
    limits: &Limits,
    deadline: Option<Instant>,
    hold: Option<&mut Hold>,
    observer: &mut impl Observer,
) -> Result<(Poem, u64), NoPoem> {
    let mut clock = AttemptClock::new(hold);
    let result = attempt(address, limits, deadline, &mut clock, observer).await;
    // An attempt can end while paused (a connect refused, or cancelled):
    // the pause so far is credited now, and whoever goes on (the backoff,
    // the next attempt) holds the clocks from here.
    if let Some(paused_for) = clock.paused_so_far() {
        observer.resumed(paused_for);
    }
    result
}

async fn attempt(
    address: &Address,
    limits: &Limits,
    deadline: Option<Instant>,
    clock: &mut AttemptClock<'_>,
    observer: &mut impl Observer,
) -> Result<(Poem, u64), NoPoem> {
    let started = clock.now();
    let mut due = Due {
        deadline,
        connect_by: started + limits.connect_timeout,
        last_byte: None,
    };
    let mut times = AttemptTimes::default();
    let fail = |reason, received, partial| {
        NoPoem::Failed(FetchError {
            address: address.clone(),
            reason,
            received,
            partial,
        })
    };

    if let (Some(limit), Some(at)) = (limits.deadline, due.deadline)
        && at <= started
    {
        return Err(fail(FailReason::Deadline(limit), 0, Bytes::new()));
    }
    let connecting = connect(address);
    tokio::pin!(connecting);
    let mut stream = loop {
        let limit_at = earliest(due.connect_by, due.deadline);
        let timer_at = clock.timer_for(limit_at);
        tokio::select! {
            biased;
            _ = clock.changed() => {
                if clock.is_cancelled() {
                    return Err(NoPoem::Cancelled { received: 0 });
                }
                if let Change::Resumed(paused_for) = clock.update() {
                    due.hold_for(paused_for, clock.now());
                    observer.resumed(paused_for);
                }
            }
            connected = &mut connecting => match connected {
                Ok(stream) => break stream,
                Err(reason) => return Err(fail(reason, 0, Bytes::new())),
            },
            _ = sleep_until_some(timer_at) => {
                if clock.is_held() || clock.now() < limit_at {
                    continue; // the board changed under the timer
                }
                let reason = match limits.deadline {
                    Some(limit) if due.deadline.is_some_and(|at| at <= due.connect_by) => {
                        FailReason::Deadline(limit)
                    }
                    _ => FailReason::ConnectTimeout(limits.connect_timeout),
                };
                return Err(fail(reason, 0, Bytes::new()));
            }
        }
    };
    // The handshake went on while paused: this is how long it took.
    let connect_time = clock.now().saturating_duration_since(started);
    times.connect = Some(connect_time);
    observer.connected(connect_time);

    let mut buffer = BytesMut::new();
    let mut read_size = FIRST_READ;
    let mut received: u64 = 0;
    due.last_byte = Some(clock.now());
    // One timer serves both the idle timeout and the deadline. Reads never
    // touch it (that would be a timer-wheel update per read); when it fires
    // early because bytes came meanwhile, it is moved on, at most once per
    // idle period. It is disarmed (far away) while the download is held.
    let far = Instant::now() + NEVER;
    let arm = |clock: &AttemptClock, due: &Due| {
        let idle_at = due.last_byte.map_or(far, |at| at + limits.idle_timeout);
        clock
            .timer_for(earliest(idle_at, due.deadline))
            .unwrap_or(far)
    };
    let timer = tokio::time::sleep_until(arm(clock, &due));
    tokio::pin!(timer);
    // Wakes the observer when bytes it held back are due, so that a burst
    // followed by silence is shown when it arrives, not at the next read.
    let held_back = tokio::time::sleep_until(Instant::now());
    tokio::pin!(held_back);
    let mut holding = false;
    loop {
        // Fill each buffer nearly to the end before starting another: a poem
        // is kept in the buffers it was read into, so half-used ones would
        // be memory held for nothing.
        if buffer.capacity() - buffer.len() < (read_size / 8).max(64) {
            buffer.reserve(read_size);
        }
        let spare = buffer.capacity() - buffer.len();
        let held = clock.is_held();
        let step = tokio::select! {
            biased;
            _ = clock.changed() => {
                if clock.is_cancelled() {
                    observer.flush(&mut buffer, received);
                    return Err(NoPoem::Cancelled { received });
                }
                match clock.update() {
                    Change::Paused => {
                        // What came before the pause is shown now.
                        holding = false;
                        observer.flush(&mut buffer, received);
                    }
                    Change::Resumed(paused_for) => {
                        due.hold_for(paused_for, clock.now());
                        observer.resumed(paused_for);
                    }
                    Change::Other => {}
                }
                // The process clock may have stopped or gone on.
                timer.as_mut().reset(arm(clock, &due));
                continue;
            }
            read = stream.read_buf(&mut buffer), if !held => Wakeup::Read(read),
            _ = &mut held_back, if holding => {
                holding = false;
                observer.flush(&mut buffer, received);
                continue;
            }
            _ = &mut timer, if !held => {
                let now = clock.now();
                match (limits.deadline, due.deadline) {
                    (Some(limit), Some(at)) if now >= at => Wakeup::Limit(FailReason::Deadline(limit)),
                    _ if due.last_byte.is_some_and(|at| now >= at + limits.idle_timeout) => {
                        Wakeup::Limit(FailReason::IdleTimeout(limits.idle_timeout))
                    }
                    _ => {
                        timer.as_mut().reset(arm(clock, &due));
                        continue;
                    }
                }
            }
        };
        let stop_reason = match step {
            Wakeup::Read(Ok(0)) => {
                times.total = clock.now().saturating_duration_since(started);
                observer.flush(&mut buffer, received);
                let poem = Poem {
                    address: address.clone(),
                    bytes: buffer.freeze(),
                    times,
                };
                return Ok((poem, received));
            }
            Wakeup::Read(Ok(n)) => {
                received += n as u64;
                let now = clock.now();
                due.last_byte = Some(now);
                times
                    .first_byte
                    .get_or_insert_with(|| now.saturating_duration_since(started));
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
                                held_back.as_mut().reset(far);
                                holding = false;
                            }
                            _ => {}
                        }
                        None
                    }
                }
            }
            Wakeup::Read(Err(err)) => Some(FailReason::from_read_error(&err)),
            Wakeup::Limit(reason) => Some(reason),
        };
        if let Some(reason) = stop_reason {
            // Close first: a limit that fired must not keep the peer waiting.
            drop(stream);
            observer.flush(&mut buffer, received);
            return Err(fail(reason, received, buffer.freeze()));
        }
    }
}

/// When one attempt's limits run out, on the process clock: the instants a
/// pause moves, all in one place.
struct Due {
    /// `--timeout`, the whole download's (moved by this attempt's pauses).
    deadline: Option<Instant>,
    connect_by: Instant,
    /// The last byte's arrival (the connect's, before any byte); `None`
    /// while connecting, when no idle clock runs.
    last_byte: Option<Instant>,
}

impl Due {
    /// The download was held still this long: every clock goes on from
    /// where it stopped, none from zero. (A pause that began while
    /// connecting moves the idle clock only from the connect: it never
    /// runs ahead of now.)
    fn hold_for(&mut self, paused_for: Duration, now: Instant) {
        self.deadline = self.deadline.map(|at| at + paused_for);
        self.connect_by += paused_for;
        self.last_byte = self.last_byte.map(|at| (at + paused_for).min(now));
    }
}

/// What woke the read loop.
enum Wakeup {
    Read(std::io::Result<usize>),
    Limit(FailReason),
}

fn earliest(a: Instant, b: Option<Instant>) -> Instant {
    b.map_or(a, |b| a.min(b))
}

/// Resolves the host without blocking the runtime (names go to tokio's
/// resolver thread pool) and tries each address it resolves to in turn.
pub(super) async fn connect(address: &Address) -> Result<TcpStream, FailReason> {
    if let Ok(ip) = address.host.parse::<IpAddr>() {
        // An address as given: nothing to resolve, nor to keep a list of.
        return TcpStream::connect(SocketAddr::new(ip, address.port))
            .await
            .map_err(|err| FailReason::from_connect_error(&err));
    }
    let targets: Vec<SocketAddr> = tokio::net::lookup_host((address.host.as_str(), address.port))
        .await
        .map_err(|err| FailReason::NameNotResolved {
            source: Some(err.into()),
        })?
        .collect();
    let mut last = FailReason::NameNotResolved { source: None };
    for target in targets {
        match TcpStream::connect(target).await {
            Ok(stream) => return Ok(stream),
            Err(err) => last = FailReason::from_connect_error(&err),
        }
    }
    Err(last)
}
