//! Why a download failed. Every failure names its server and says how many
//! bytes had arrived, so a message can stand on its own in a log.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::address::Address;
use crate::netstring::NetstringError;
use crate::units::{exact_size, seconds};

/// An I/O error kept whole, with its kind, shareable between events (an
/// `io::Error` is not `Clone`). Two are equal when kind and message are.
#[derive(Debug, Clone)]
pub struct IoError(std::sync::Arc<io::Error>);

impl From<&io::Error> for IoError {
    fn from(err: &io::Error) -> Self {
        // The kind and the OS code survive; so does the message.
        let copy = match err.raw_os_error() {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(err.kind(), err.to_string()),
        };
        IoError(std::sync::Arc::new(copy))
    }
}

impl From<io::Error> for IoError {
    fn from(err: io::Error) -> Self {
        IoError(std::sync::Arc::new(err))
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoError {}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// The ways a download can fail. A clean EOF is never one of these: it ends
/// a complete poem, even an empty one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailReason {
    /// Nothing listens on the port.
    Refused,
    /// The host name did not resolve to any address (the resolver's error,
    /// when it gave one).
    NameNotResolved { source: Option<IoError> },
    /// The TCP handshake did not finish within `--connect-timeout`.
    ConnectTimeout(Duration),
    /// No byte arrived for `--idle-timeout`.
    IdleTimeout(Duration),
    /// The whole download took longer than `--timeout`.
    Deadline(Duration),
    /// The connection was reset or aborted mid-poem: what arrived is
    /// truncated, never complete.
    Reset,
    /// The poem grew past `--max-bytes`; the first `limit` bytes are kept.
    TooLarge { limit: u64 },
    /// Any other I/O error, kept whole (its kind and message).
    Io { source: IoError },
}

impl FailReason {
    /// A short, stable name for machine-readable output (NDJSON `reason`).
    pub fn code(&self) -> &'static str {
        match self {
            FailReason::Refused => "refused",
            FailReason::NameNotResolved { .. } => "name_not_resolved",
            FailReason::ConnectTimeout(_) => "connect_timeout",
            FailReason::IdleTimeout(_) => "idle_timeout",
            FailReason::Deadline(_) => "deadline",
            FailReason::Reset => "reset",
            FailReason::TooLarge { .. } => "too_large",
            FailReason::Io { .. } => "io",
        }
    }

    /// Whether trying again could change the outcome. A poem that is too
    /// large will be too large next time as well.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, FailReason::TooLarge { .. })
    }

    /// Classifies an error from connecting.
    pub(crate) fn from_connect_error(err: &io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::ConnectionRefused => FailReason::Refused,
            // A server that accepts and resets at once can do so before the
            // handshake is seen complete: a reset is a reset whenever it comes.
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => FailReason::Reset,
            _ => FailReason::Io {
                source: IoError::from(err),
            },
        }
    }

    /// Classifies an error from reading an open connection.
    pub(crate) fn from_read_error(err: &io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => FailReason::Reset,
            _ => FailReason::Io {
                source: IoError::from(err),
            },
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailReason::Refused => write!(f, "connection refused"),
            FailReason::NameNotResolved { source: Some(err) } => {
                write!(f, "name not resolved ({err})")
            }
            FailReason::NameNotResolved { source: None } => {
                write!(f, "name not resolved (no addresses)")
            }
            FailReason::ConnectTimeout(after) => {
                write!(f, "connect timeout after {}", seconds(*after))
            }
            FailReason::IdleTimeout(after) => {
                write!(f, "idle timeout after {}", seconds(*after))
            }
            FailReason::Deadline(after) => write!(f, "deadline of {} passed", seconds(*after)),
            FailReason::Reset => write!(f, "connection reset, poem truncated"),
            FailReason::TooLarge { limit } => {
                write!(f, "too large: stopped at the {} limit", exact_size(*limit))
            }
            FailReason::Io { source } => write!(f, "{source}"),
        }
    }
}

impl FetchError {
    /// The reason, and the bytes received when the reason does not already
    /// say (a poem that is too large stopped exactly at the limit).
    pub fn reason_and_bytes(&self) -> String {
        match self.reason {
            FailReason::TooLarge { .. } => self.reason.to_string(),
            _ => format!("{} (got {} bytes)", self.reason, self.received),
        }
    }
}

/// A failed download: which server, why, and what had arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("poem from {address} failed: {}", self.reason_and_bytes())]
pub struct FetchError {
    pub address: Address,
    pub reason: FailReason,
    /// How many bytes arrived before the failure.
    pub received: u64,
    /// The bytes that arrived and were not already handed to a progress
    /// observer. `get_poem` keeps all of them here; the runner streams them in
    /// `Progress` events instead, so its errors carry none.
    pub partial: Bytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_is_a_reset_whenever_it_comes() {
        for kind in [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionAborted,
        ] {
            let err = io::Error::from(kind);
            assert_eq!(FailReason::from_connect_error(&err), FailReason::Reset);
            assert_eq!(FailReason::from_read_error(&err), FailReason::Reset);
        }
        let other = io::Error::from_raw_os_error(24); // EMFILE
        assert!(matches!(
            FailReason::from_connect_error(&other),
            FailReason::Io { source } if source.to_string().contains("Too many open files")
        ));
        assert_eq!(FailReason::from_read_error(&other).code(), "io");
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            FailReason::from_connect_error(&refused),
            FailReason::Refused
        );
    }

    #[test]
    fn messages_read_like_the_issue_examples() {
        let err = FetchError {
            address: Address::loopback(10001),
            reason: FailReason::IdleTimeout(Duration::from_secs(30)),
            received: 120,
            partial: Bytes::new(),
        };
        assert_eq!(
            err.to_string(),
            "poem from 127.0.0.1:10001 failed: idle timeout after 30 s (got 120 bytes)"
        );
        assert_eq!(seconds(Duration::from_millis(500)), "0.5 s");
        let too_large = FetchError {
            reason: FailReason::TooLarge { limit: 48 * 1024 },
            received: 48 * 1024,
            ..err
        };
        assert_eq!(
            too_large.to_string(),
            "poem from 127.0.0.1:10001 failed: too large: stopped at the 48 KiB limit"
        );
        assert_eq!(seconds(Duration::from_millis(1250)), "1.25 s");
    }
}

/// One step of a chain: which transform, and the server that does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformStep {
    pub name: String,
    pub address: Arc<Address>,
}

impl fmt::Display for TransformStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.name, self.address)
    }
}

/// Why a step did not transform the poem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransformFailure {
    /// Connecting failed (refused, no such host, the connect timed out).
    Connect(FailReason),
    /// The server closed the connection without a reply: the tutorial's
    /// answer to an unknown transform or one that failed.
    NoReply,
    /// The reply is not one well-formed netstring.
    Malformed(NetstringError),
    /// The reply announced more than `--max-bytes`.
    TooLarge { limit: u64 },
    /// `--transform-timeout` passed before the whole reply came.
    TimedOut(Duration),
    /// The connection broke.
    Io(IoError),
    /// A command cancelled the download while this step ran.
    Cancelled,
}

impl TransformFailure {
    /// A short, stable name for NDJSON (`reason`).
    pub fn code(&self) -> &'static str {
        match self {
            TransformFailure::Connect(reason) => reason.code(),
            TransformFailure::NoReply => "no_reply",
            TransformFailure::Malformed(_) => "malformed",
            TransformFailure::TooLarge { .. } => "too_large",
            TransformFailure::TimedOut(_) => "timeout",
            TransformFailure::Io(_) => "io",
            TransformFailure::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for TransformFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransformFailure::Connect(reason) => write!(f, "{reason}"),
            TransformFailure::NoReply => write!(f, "closed without a reply"),
            TransformFailure::Malformed(err) => write!(f, "malformed reply: {err}"),
            TransformFailure::TooLarge { limit } => write!(
                f,
                "the reply is too large: over the {} limit",
                exact_size(*limit)
            ),
            TransformFailure::TimedOut(limit) => {
                write!(f, "timed out after {}", seconds(*limit))
            }
            TransformFailure::Io(err) => write!(f, "{err}"),
            TransformFailure::Cancelled => write!(f, "cancelled"),
        }
    }
}

/// A step that failed: which, and why. The poem it was given goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transform {step} failed: {failure}")]
pub struct TransformError {
    pub step: TransformStep,
    pub failure: TransformFailure,
}
