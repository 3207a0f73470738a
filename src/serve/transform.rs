//! The transform service of the tutorial's Part 12 (`transformedpoetry.py`):
//! a client sends one netstring `NAME.POEM`, the server answers with one
//! netstring holding the transformed poem and closes. A request with no `.`,
//! an unknown transform, or a transform that fails is answered by closing
//! the connection without a reply, as the tutorial's server does.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{Counters, Pacing, accept_each, listen_on_all, resolve_iface, say};
use crate::netstring::{self, NetstringReader};

/// The transforms a server offers, by the name a request gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// The tutorial's: the poem in lower case, as e. e. cummings wrote.
    Cummingsify,
    /// In upper case.
    Shout,
    /// The lines in reverse order, last first.
    Reverse,
    /// Each letter moved 13 places (twice gives the poem back).
    Rot13,
}

/// Every transform, with the words `--help` and `--list` use.
pub const TRANSFORMS: [(Transform, &str, &str); 4] = [
    (
        Transform::Cummingsify,
        "cummingsify",
        "lower case (the tutorial's)",
    ),
    (Transform::Shout, "shout", "upper case"),
    (Transform::Reverse, "reverse", "the lines in reverse order"),
    (Transform::Rot13, "rot13", "each letter 13 places on"),
];

impl Transform {
    /// The transform called `name`, with its name as the list spells it.
    pub fn named(name: &str) -> Option<(Transform, &'static str)> {
        TRANSFORMS
            .iter()
            .find(|(_, known, _)| *known == name)
            .map(|(transform, known, _)| (*transform, *known))
    }

    pub fn apply(self, poem: &str) -> String {
        match self {
            Transform::Cummingsify => poem.to_lowercase(),
            Transform::Shout => poem.to_uppercase(),
            Transform::Reverse => {
                let mut lines: Vec<&str> = poem.split_inclusive('\n').collect();
                lines.reverse();
                let mut out = String::with_capacity(poem.len() + 1);
                for line in lines {
                    out.push_str(line.strip_suffix('\n').unwrap_or(line));
                    out.push('\n');
                }
                if !poem.ends_with('\n') {
                    out.pop();
                }
                out
            }
            Transform::Rot13 => poem
                .chars()
                .map(|c| match c {
                    'a'..='z' => char::from(b'a' + (c as u8 - b'a' + 13) % 26),
                    'A'..='Z' => char::from(b'A' + (c as u8 - b'A' + 13) % 26),
                    other => other,
                })
                .collect(),
        }
    }
}

/// How a transform server misbehaves, if it does (for tests and the demo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransformFault {
    #[default]
    None,
    /// The reply goes out paced like a slow poem (`--num-bytes` every `--delay`).
    Slow,
    /// Reads the request, then never replies and holds the connection.
    Stall,
    /// Reads the request, then closes without a reply.
    Close,
    /// Replies with a netstring whose length is wrong.
    Malformed,
}

impl TransformFault {
    pub fn parse(text: &str) -> Result<TransformFault, String> {
        match text {
            "slow" => Ok(TransformFault::Slow),
            "stall" => Ok(TransformFault::Stall),
            "close" => Ok(TransformFault::Close),
            "malformed" => Ok(TransformFault::Malformed),
            _ => Err(format!(
                "{text:?} is not a fault mode of a transform server: use slow, stall, close or malformed"
            )),
        }
    }
}

impl fmt::Display for TransformFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransformFault::None => "none",
            TransformFault::Slow => "slow",
            TransformFault::Stall => "stall",
            TransformFault::Close => "close without a reply",
            TransformFault::Malformed => "malformed reply",
        })
    }
}

/// What a transform server is told.
#[derive(Debug, Clone, Copy)]
pub struct TransformConfig {
    pub fault: TransformFault,
    /// Pacing of a `slow` reply.
    pub pacing: Pacing,
    /// The longest request: the tutorial's server closes on more than 99,999 bytes.
    pub max_request: u64,
    /// A client that has not sent its whole request by then is closed.
    pub request_timeout: Duration,
}

impl Default for TransformConfig {
    fn default() -> Self {
        TransformConfig {
            fault: TransformFault::None,
            pacing: Pacing::fast(),
            max_request: 99_999,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A running transform server. Dropping it stops it.
#[derive(Debug)]
pub struct TransformServer {
    pub address: SocketAddr,
    pub counters: Arc<Counters>,
    stop: CancellationToken,
    tasks: JoinSet<()>,
}

impl Drop for TransformServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl TransformServer {
    /// Listens on `iface`:`port` (0: any free port) and serves transforms.
    /// With `log`, a line per client goes to stdout.
    pub async fn start(
        iface: &str,
        port: u16,
        config: TransformConfig,
        log: bool,
    ) -> io::Result<TransformServer> {
        let ips = resolve_iface(iface).await?;
        let (address, listeners) = listen_on_all(SocketAddr::new(ips[0], port), &ips[1..])?;
        let stop = CancellationToken::new();
        let counters = Arc::new(Counters::default());
        let mut tasks = JoinSet::new();
        for listener in listeners {
            let counters = Arc::clone(&counters);
            tasks.spawn(accept_each(listener, stop.clone(), move |socket, peer| {
                let counters = Arc::clone(&counters);
                async move {
                    counters
                        .accepted
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let answered = answer(socket, &config, &counters).await;
                    if log {
                        say(format_args!("{peer}: {answered}."));
                    }
                }
            }));
        }
        Ok(TransformServer {
            address,
            counters,
            stop,
            tasks,
        })
    }

    /// Stops accepting and drops every connection, then waits for that.
    pub async fn stop(&mut self) {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// What became of one request, for the log line.
enum Answered {
    Sent { transform: &'static str, bytes: u64 },
    Refused(String),
    Left,
    Fault(TransformFault),
}

impl fmt::Display for Answered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answered::Sent { transform, bytes } => {
                write!(f, "{transform}: sent {bytes} bytes, done")
            }
            Answered::Refused(why) => write!(f, "closed without a reply: {why}"),
            Answered::Left => write!(f, "the client left"),
            Answered::Fault(fault) => write!(f, "fault: {fault}"),
        }
    }
}

/// Reads one request and answers it, or closes without a reply.
async fn answer(mut socket: TcpStream, config: &TransformConfig, counters: &Counters) -> Answered {
    let request = match tokio::time::timeout(
        config.request_timeout,
        read_request(&mut socket, config.max_request),
    )
    .await
    {
        Ok(Ok(request)) => request,
        Ok(Err(refused)) => return refused,
        Err(_) => {
            return Answered::Refused(format!(
                "no whole request within {} s",
                config.request_timeout.as_secs_f64()
            ));
        }
    };
    let Some(dot) = memchr::memchr(b'.', &request) else {
        return Answered::Refused("no '.' between the transform's name and the poem".into());
    };
    let (name, poem) = (&request[..dot], &request[dot + 1..]);
    let name = String::from_utf8_lossy(name);
    let Some((transform, known)) = Transform::named(&name) else {
        return Answered::Refused(format!(
            "no transform {:?}",
            crate::text::sanitize(&name).text
        ));
    };
    let Ok(poem) = std::str::from_utf8(poem) else {
        // The transform fails on what is not text: the tutorial's
        // server closes then too.
        return Answered::Refused(format!("{known} failed: the poem is not UTF-8"));
    };
    let reply = netstring::encode(transform.apply(poem).as_bytes());
    // A client that never reads its reply is given up on as one that never
    // finishes its request is: no connection is held for ever.
    let limit = config.request_timeout;
    match config.fault {
        TransformFault::None => {}
        TransformFault::Stall => {
            let mut scratch = [0u8; 64];
            while matches!(socket.read(&mut scratch).await, Ok(n) if n > 0) {}
            return Answered::Left;
        }
        TransformFault::Close => return Answered::Fault(TransformFault::Close),
        TransformFault::Malformed => {
            // A length one more than the data: the client never sees its ','.
            let data = &reply[reply.iter().position(|&b| b == b':').map_or(0, |i| i + 1)..];
            let wrong = format!("{}:", data.len());
            let _ = within(limit, socket.write_all(wrong.as_bytes())).await
                && within(limit, socket.write_all(data)).await;
            let _ = socket.shutdown().await;
            return Answered::Fault(TransformFault::Malformed);
        }
        TransformFault::Slow => {
            let mut sent = 0u64;
            for piece in reply.chunks(config.pacing.num_bytes.max(1)) {
                if !within(limit, socket.write_all(piece)).await {
                    return Answered::Left;
                }
                sent += piece.len() as u64;
                counters
                    .bytes_sent
                    .fetch_add(piece.len() as u64, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(config.pacing.delay).await;
            }
            let _ = socket.shutdown().await;
            return Answered::Sent {
                transform: known,
                bytes: sent,
            };
        }
    }
    if !within(limit, socket.write_all(&reply)).await {
        return Answered::Left;
    }
    counters
        .bytes_sent
        .fetch_add(reply.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let _ = socket.shutdown().await;
    Answered::Sent {
        transform: known,
        bytes: reply.len() as u64,
    }
}

/// Whether `write` finished, and well, within `limit`.
async fn within(limit: Duration, write: impl std::future::Future<Output = io::Result<()>>) -> bool {
    matches!(tokio::time::timeout(limit, write).await, Ok(Ok(())))
}

/// One netstring from the client, at most `limit` bytes of data; a bad one
/// is named and answered by closing.
async fn read_request(socket: &mut TcpStream, limit: u64) -> Result<bytes::Bytes, Answered> {
    let mut reader = NetstringReader::new(limit);
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match socket.read(&mut buffer).await {
            Ok(0) => return Err(Answered::Refused(reader.closed().to_string())),
            Ok(n) => n,
            Err(_) => return Err(Answered::Left),
        };
        // One netstring per connection, as the tutorial's client sends:
        // anything after its ',' is refused with it.
        match reader.push(&buffer[..n]) {
            Ok(Some(request)) => return Ok(request),
            Ok(None) => {}
            Err(err) => return Err(Answered::Refused(err.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transforms_do_what_their_names_say() {
        assert_eq!(
            Transform::Cummingsify.apply("HERE IS MY POEM"),
            "here is my poem"
        );
        assert_eq!(Transform::Shout.apply("quiet, Please"), "QUIET, PLEASE");
        assert_eq!(
            Transform::Reverse.apply("one\ntwo\nthree\n"),
            "three\ntwo\none\n"
        );
        assert_eq!(Transform::Reverse.apply("one\ntwo"), "two\none");
        assert_eq!(Transform::Rot13.apply("Poe, 1845!"), "Cbr, 1845!");
        assert_eq!(
            Transform::Rot13.apply(&Transform::Rot13.apply("Yeats")),
            "Yeats"
        );
        for (transform, name, _) in TRANSFORMS {
            assert_eq!(Transform::named(name), Some((transform, name)));
        }
        assert_eq!(Transform::named("gibberish"), None);
    }
}
