//! A downloaded poem through the tutorial's transform service (client 6.0):
//! send the netstring `NAME.POEM`, read one netstring back. Each step of a
//! chain is a callback added to the Deferred; a step that fails hands its
//! input on unchanged, as client 6.0's errback returns the original poem.
//!
//! [`transform_poem`] is one step as a future that resolves to the new poem
//! or a [`TransformError`]; the runner drives the same code through
//! [`run_step`], which reports each phase as it happens.

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::clock::{AttemptClock, Change, Hold, sleep_until_some};
use super::error::{IoError, TransformError, TransformFailure, TransformStep};
use super::event::StepPhase;
use super::fetch::{Limits, connect};
use crate::netstring::{self, NetstringError, NetstringReader};

/// What bounds a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepLimits {
    /// The whole step: connect, request and reply (`--transform-timeout`).
    pub timeout: Duration,
    /// The largest reply accepted (`--max-bytes`); `None`: no limit of ours
    /// (the netstring's length still bounds what is kept).
    pub max_bytes: Option<u64>,
}

impl StepLimits {
    /// A step's limits are a download's: `--transform-timeout`, and the
    /// reply held to `--max-bytes` as a poem is.
    pub fn of(limits: &Limits) -> StepLimits {
        StepLimits {
            timeout: limits.transform_timeout,
            max_bytes: limits.max_bytes,
        }
    }
}

impl Default for StepLimits {
    fn default() -> Self {
        StepLimits::of(&Limits::default())
    }
}

/// Hears about a step as it happens.
pub(crate) trait StepObserver {
    fn phase(&mut self, _phase: StepPhase) {}
}

struct Silent;
impl StepObserver for Silent {}

/// Sends `poem` through one transform. Resolves to the transformed poem, or
/// to an error naming the step and the reason.
pub async fn transform_poem(
    step: &TransformStep,
    poem: &[u8],
    limits: &StepLimits,
) -> Result<Bytes, TransformError> {
    let never = CancellationToken::new();
    run_step(step, poem, limits, &never, None, &mut Silent)
        .await
        .map_err(|failure| TransformError {
            step: step.clone(),
            failure,
        })
}

/// Progress events for a reply are at most this frequent.
const PHASE_INTERVAL: Duration = Duration::from_millis(50);

/// One step. While `hold` says the download is paused or the process
/// frozen, nothing is written or read and the timeout stands still.
pub(crate) async fn run_step(
    step: &TransformStep,
    poem: &[u8],
    limits: &StepLimits,
    cancel: &CancellationToken,
    hold: Option<&mut Hold>,
    observer: &mut impl StepObserver,
) -> Result<Bytes, TransformFailure> {
    let mut clock = AttemptClock::new(hold);
    let mut give_up_at = clock.now() + limits.timeout;
    let timed_out = TransformFailure::TimedOut(limits.timeout);

    let mut request = Vec::with_capacity(step.name.len() + 1 + poem.len());
    request.extend_from_slice(step.name.as_bytes());
    request.push(b'.');
    request.extend_from_slice(poem);
    let request = netstring::encode(&request);
    // The reply of a transform is about as long as the poem; the limit
    // is ours, whatever length the server announces.
    let mut reader = NetstringReader::new(limits.max_bytes.unwrap_or(u64::MAX));

    observer.phase(StepPhase::Connecting);
    let connecting = connect(&step.address);
    tokio::pin!(connecting);
    let mut stream = loop {
        let timer_at = clock.timer_for(give_up_at);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(TransformFailure::Cancelled),
            _ = clock.changed() => {
                if let Change::Resumed(paused_for) = clock.update() {
                    give_up_at += paused_for;
                }
            }
            connected = &mut connecting => match connected {
                Ok(stream) => break stream,
                Err(reason) => return Err(TransformFailure::Connect(reason)),
            },
            _ = sleep_until_some(timer_at) => {
                if !clock.is_held() && clock.now() >= give_up_at {
                    return Err(timed_out);
                }
            }
        }
    };

    let of = request.len() as u64;
    let mut sent = 0usize;
    let mut buffer = vec![0u8; 16 * 1024];
    let mut last_said: Option<Instant> = None;
    observer.phase(StepPhase::Sending { sent: 0, of });
    let (mut from_server, mut to_server) = stream.split();
    loop {
        let held = clock.is_held();
        let timer_at = clock.timer_for(give_up_at);
        let sending = sent < request.len();
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(TransformFailure::Cancelled),
            _ = clock.changed() => {
                if let Change::Resumed(paused_for) = clock.update() {
                    give_up_at += paused_for;
                }
            }
            written = to_server.write(&request[sent..]), if sending && !held => match written {
                Ok(0) => return Err(TransformFailure::NoReply),
                Ok(n) => {
                    sent += n;
                    // No half-close after the request: the tutorial's
                    // Twisted server would take it for a hang-up.
                    if sent == request.len() {
                        observer.phase(StepPhase::Waiting);
                    } else {
                        let now = Instant::now();
                        if last_said.is_none_or(|at| now >= at + PHASE_INTERVAL) {
                            last_said = Some(now);
                            observer.phase(StepPhase::Sending { sent: sent as u64, of });
                        }
                    }
                }
                // The server closed before taking the whole request, as the
                // tutorial's does past its request limit.
                Err(err) if matches!(
                    err.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ) => return Err(TransformFailure::NoReply),
                Err(err) => return Err(TransformFailure::Io(IoError::from(&err))),
            },
            read = from_server.read(&mut buffer), if !held => match read {
                // Closed before a byte of a reply: the tutorial server's
                // refusal. Closed inside one: a malformed reply.
                Ok(0) => return Err(match reader.closed() {
                    NetstringError::Nothing => TransformFailure::NoReply,
                    cut => TransformFailure::Malformed(cut),
                }),
                Ok(n) => match reader.push(&buffer[..n]) {
                    Ok(Some(reply)) => return Ok(reply),
                    Ok(None) => {
                        let now = Instant::now();
                        if last_said.is_none_or(|at| now >= at + PHASE_INTERVAL) {
                            last_said = Some(now);
                            observer.phase(StepPhase::Receiving { received: reader.received() });
                        }
                    }
                    Err(NetstringError::TooLong { limit, .. }) if limits.max_bytes == Some(limit) => {
                        return Err(TransformFailure::TooLarge { limit });
                    }
                    Err(err) => return Err(TransformFailure::Malformed(err)),
                },
                // A server that closes with some of the request unread
                // resets the connection: before any reply, that too is
                // closing without one (the tutorial's server past its limit).
                Err(err) if reader.closed() == NetstringError::Nothing && matches!(
                    err.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                ) => return Err(TransformFailure::NoReply),
                Err(err) => return Err(TransformFailure::Io(IoError::from(&err))),
            },
            _ = sleep_until_some(timer_at) => {
                if !clock.is_held() && clock.now() >= give_up_at {
                    return Err(timed_out);
                }
            }
        }
    }
}
