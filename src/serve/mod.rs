//! The poetry server: the tutorial's `slowpoetry.py`, serving many clients at
//! once, many poems on many ports, and misbehaving on purpose for tests and
//! the demo.

pub mod demo;
pub mod poems;
pub mod proxy;
pub mod transform;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// A poem to serve and the name to print for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoemSource {
    pub name: String,
    pub bytes: Bytes,
}

impl PoemSource {
    pub fn new(name: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        PoemSource {
            name: name.into(),
            bytes: bytes.into(),
        }
    }

    /// A file, or else the name of a bundled poem. A file wins so that a
    /// poem of one's own called `science.txt` is served as written.
    pub fn load(name: &str) -> Result<Self, String> {
        let path = Path::new(name);
        if path.is_file() {
            return std::fs::read(path)
                .map(|bytes| PoemSource::new(name, bytes))
                .map_err(|err| format!("cannot read poem {name:?}: {err}"));
        }
        match poems::find(name) {
            Some(poem) => Ok(PoemSource::new(
                format!("{}.txt", poem.name),
                Bytes::from_static(poem.text.as_bytes()),
            )),
            None => Err(format!(
                "no poem {name:?}: not a file, nor a bundled poem (see `poetry-dash serve --list`)"
            )),
        }
    }
}

/// How a port misbehaves, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// The tutorial's slow server: `num_bytes` every `delay`, then close.
    #[default]
    Poem,
    /// Nothing listens: connections are refused.
    Refuse,
    /// Accepts, then sends nothing and holds the connection open.
    Stall,
    /// Sends this many bytes of the poem (paced), then resets the connection.
    ResetAfter(usize),
    /// Sends this many bytes of the poem (paced), then goes silent and holds
    /// the connection open.
    StallAfter(usize),
    /// Sends the poem again and again, never closing.
    Endless,
    /// Sends the poem one byte per `delay`.
    Trickle,
    /// Listens but never accepts, with its accept queue already full: the
    /// TCP handshake of a new client never completes, so connecting hangs.
    Full,
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Behaviour::Poem => write!(f, "poem"),
            Behaviour::Refuse => write!(f, "refuse"),
            Behaviour::Stall => write!(f, "stall"),
            Behaviour::ResetAfter(n) => write!(f, "reset after {n} bytes"),
            Behaviour::StallAfter(n) => write!(f, "stall after {n} bytes"),
            Behaviour::Endless => write!(f, "endless"),
            Behaviour::Trickle => write!(f, "trickle"),
            Behaviour::Full => write!(f, "accept queue full"),
        }
    }
}

/// How one listening port serves its poem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Bytes per write (`--num-bytes`); with `delay` zero, the poem goes at once.
    pub num_bytes: usize,
    /// Pause after each write (`--delay`).
    pub delay: Duration,
}

impl Pacing {
    /// The whole poem in one write (`--fast`).
    pub fn fast() -> Self {
        Pacing {
            num_bytes: usize::MAX,
            delay: Duration::ZERO,
        }
    }
}

/// What to serve on one port.
#[derive(Debug, Clone)]
pub struct PortSpec {
    pub poem: PoemSource,
    pub pacing: Pacing,
    pub behaviour: Behaviour,
}

/// A port being served.
#[derive(Debug, Clone)]
pub struct ServedPort {
    pub address: SocketAddr,
    pub poem_name: String,
    pub behaviour: Behaviour,
}

/// What a client's connection came to, for the log line.
#[derive(Debug, Default)]
pub struct Counters {
    pub accepted: AtomicU64,
    pub bytes_sent: AtomicU64,
    /// Clients that hung up before the poem's end (the server saw the
    /// close): how a test sees that a cancel closed its connection.
    pub left_early: AtomicU64,
}

/// Running servers. Dropping this (or calling [`Server::stop`]) stops them.
#[derive(Debug)]
pub struct Server {
    pub ports: Vec<ServedPort>,
    pub counters: Arc<Counters>,
    stop: CancellationToken,
    tasks: JoinSet<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Server {
    /// Binds one port per spec on `iface` and starts serving. With `first_port`
    /// 0 every port is chosen by the system; otherwise the ports are
    /// consecutive from `first_port`. With `log`, a line per client goes to
    /// stdout.
    pub async fn start(
        iface: &str,
        first_port: u16,
        specs: Vec<PortSpec>,
        log: bool,
    ) -> io::Result<Server> {
        let ips = resolve_iface(iface).await?;
        let ip = ips[0];
        // Further addresses of the interface (::1 beside 127.0.0.1 for
        // localhost) are served on the same ports when they can be.
        let also = &ips[1..];
        if first_port != 0 && usize::from(first_port) + specs.len() > usize::from(u16::MAX) + 1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} ports from {first_port} go past 65535", specs.len()),
            ));
        }
        let stop = CancellationToken::new();
        let counters = Arc::new(Counters::default());
        let mut tasks = JoinSet::new();
        let mut ports = Vec::with_capacity(specs.len());
        for (index, spec) in specs.into_iter().enumerate() {
            let port = if first_port == 0 {
                0
            } else {
                first_port + index as u16
            };
            let wanted = SocketAddr::new(ip, port);
            let cannot_listen = |err| cannot_listen(wanted, err);
            // The ports that never serve: a socket of ours holds each
            // until stop. Full: a listener whose only queue slot our own
            // connection takes. Refuse: bound but not listening, so that
            // connecting is refused and no other server (another test's,
            // say) can be given the port meanwhile.
            let held = match spec.behaviour {
                Behaviour::Full => {
                    let (address, clogged) =
                        clogged_listener(wanted).await.map_err(cannot_listen)?;
                    Some((address, Box::new(clogged) as Box<dyn Send>))
                }
                Behaviour::Refuse => {
                    let (address, bound) = bound_only(wanted).map_err(cannot_listen)?;
                    Some((address, Box::new(bound) as Box<dyn Send>))
                }
                _ => None,
            };
            if let Some((address, socket)) = held {
                ports.push(ServedPort {
                    address,
                    poem_name: spec.poem.name.clone(),
                    behaviour: spec.behaviour,
                });
                let stop = stop.clone();
                tasks.spawn(async move {
                    stop.cancelled().await;
                    drop(socket);
                });
                continue;
            }
            let (address, listeners) = listen_on_all(wanted, also)?;
            ports.push(ServedPort {
                address,
                poem_name: spec.poem.name.clone(),
                behaviour: spec.behaviour,
            });
            let spec = Arc::new(spec);
            for listener in listeners {
                let (spec, counters) = (Arc::clone(&spec), Arc::clone(&counters));
                tasks.spawn(accept_each(listener, stop.clone(), move |socket, peer| {
                    serve_poem(socket, peer, Arc::clone(&spec), Arc::clone(&counters), log)
                }));
            }
        }
        Ok(Server {
            ports,
            counters,
            stop,
            tasks,
        })
    }

    /// Stops accepting and drops every connection.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Waits until the servers have stopped.
    pub async fn stopped(&mut self) {
        self.stop.cancelled().await;
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Listens on `address`. SO_REUSEADDR lets a restarted server take its port
/// back while connections it closed a moment ago linger in TIME_WAIT.
fn listen(address: SocketAddr) -> io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(1024)
}

/// A socket bound to `wanted` that never listens: connections to it are
/// refused. Without SO_REUSEADDR, so that no other socket can bind the port
/// meanwhile (unless a port given by number is only held by TIME_WAIT).
fn bound_only(wanted: SocketAddr) -> io::Result<(SocketAddr, socket2::Socket)> {
    let new_socket = || {
        socket2::Socket::new(
            socket2::Domain::for_address(wanted),
            socket2::Type::STREAM,
            None,
        )
    };
    let mut socket = new_socket()?;
    if let Err(err) = socket.bind(&wanted.into()) {
        if err.kind() != io::ErrorKind::AddrInUse || wanted.port() == 0 {
            return Err(err);
        }
        socket = new_socket()?;
        socket.set_reuse_address(true)?;
        socket.bind(&wanted.into())?;
    }
    let address = socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("socket has no IP address"))?;
    Ok((address, socket))
}

/// A listener with a backlog of zero whose only queue slot is taken by a
/// connection of our own: the kernel then drops new clients' handshakes.
async fn clogged_listener(
    wanted: SocketAddr,
) -> io::Result<(SocketAddr, (socket2::Socket, TcpStream))> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(wanted),
        socket2::Type::STREAM,
        None,
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&wanted.into())?;
    socket.listen(0)?;
    let address = socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("listener has no IP address"))?;
    let filler = TcpStream::connect(address).await?;
    Ok((address, (socket, filler)))
}

/// The addresses to listen on for `--iface`, the one to report first.
async fn resolve_iface(iface: &str) -> io::Result<Vec<IpAddr>> {
    if let Ok(ip) = iface.parse() {
        return Ok(vec![ip]);
    }
    let found: Vec<IpAddr> = tokio::net::lookup_host((iface, 0))
        .await
        .map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot resolve --iface {iface:?}: {err}"),
            )
        })?
        .map(|address| address.ip())
        .collect();
    let chosen = choose_iface_addresses(iface, &found);
    if chosen.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("--iface {iface:?} has no address"),
        ));
    }
    Ok(chosen)
}

/// Like the tutorial's server, `localhost` means 127.0.0.1 (so that a
/// client's bare `PORT` reaches it) whatever order the resolver gives, and
/// ::1 too where the name has it. Any other name: its first IPv4 address,
/// else its first address.
fn choose_iface_addresses(iface: &str, resolved: &[IpAddr]) -> Vec<IpAddr> {
    if iface.eq_ignore_ascii_case("localhost") {
        let mut chosen = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
        if resolved.contains(&IpAddr::V6(Ipv6Addr::LOCALHOST)) {
            chosen.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
        }
        return chosen;
    }
    let first = resolved.iter().find(|ip| ip.is_ipv4()).or(resolved.first());
    first.copied().into_iter().collect()
}

/// Accepts clients on `listener` until `stop`, each served by `serve` in
/// a task of its own, which `stop` ends too. Finished clients are reaped as
/// they go, so a long-lived port does not pile them up.
pub(crate) async fn accept_each<F, Fut>(listener: TcpListener, stop: CancellationToken, serve: F)
where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut clients = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
            Some(_) = clients.join_next(), if !clients.is_empty() => continue,
        };
        let (socket, peer) = match accepted {
            Ok(accepted) => accepted,
            // Out of descriptors, or a client that left before accept:
            // pause briefly rather than spin, and go on serving.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let client = serve(socket, peer);
        let stop = stop.clone();
        clients.spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                () = client => {}
            }
        });
    }
}

/// Listens on `wanted`, and on the same port of each of the interface's
/// other addresses where it can (::1 beside 127.0.0.1 for localhost).
/// Returns the address of the first, which names the port.
pub(crate) fn listen_on_all(
    wanted: SocketAddr,
    also: &[IpAddr],
) -> io::Result<(SocketAddr, Vec<TcpListener>)> {
    let listener = listen(wanted).map_err(|err| cannot_listen(wanted, err))?;
    let address = listener.local_addr()?;
    let mut listeners = vec![listener];
    listeners.extend(
        also.iter()
            .filter_map(|&other| listen(SocketAddr::new(other, address.port())).ok()),
    );
    Ok((address, listeners))
}

/// A failed listen, naming the address.
fn cannot_listen(wanted: SocketAddr, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("cannot listen on {wanted}: {err}"))
}

/// One client of a poem port.
async fn serve_poem(
    socket: TcpStream,
    peer: SocketAddr,
    spec: Arc<PortSpec>,
    counters: Arc<Counters>,
    log: bool,
) {
    counters.accepted.fetch_add(1, Ordering::Relaxed);
    if log {
        say(format_args!("Sending {} to {peer}.", spec.poem.name));
    }
    let outcome = serve_client(socket, &spec, &counters).await;
    if matches!(outcome, ClientOutcome::Left(_)) {
        counters.left_early.fetch_add(1, Ordering::Relaxed);
    }
    if log {
        say(format_args!("{peer}: {outcome}."));
    }
}

/// A line on stdout for whoever watches the server. A closed or full stdout
/// must never change what a client receives, so a failed write is ignored.
pub fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// The largest write of an endless poem.
const ENDLESS_CHUNK: usize = 64 * 1024;

/// How serving one client ended.
enum ClientOutcome {
    Sent(u64),
    Left(u64),
    Reset(u64),
}

impl fmt::Display for ClientOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientOutcome::Sent(n) => write!(f, "sent {n} bytes, done"),
            ClientOutcome::Left(n) => write!(f, "client left after {n} bytes"),
            ClientOutcome::Reset(n) => write!(f, "reset the connection after {n} bytes"),
        }
    }
}

async fn serve_client(
    mut socket: TcpStream,
    spec: &PortSpec,
    counters: &Counters,
) -> ClientOutcome {
    let poem = &spec.poem.bytes;
    let mut sent: u64 = 0;
    let (chunk, limit, repeat) = match spec.behaviour {
        Behaviour::Stall => return hold_until_the_client_leaves(socket, 0).await,
        Behaviour::Poem | Behaviour::Refuse | Behaviour::Full => {
            (spec.pacing.num_bytes, poem.len(), false)
        }
        Behaviour::ResetAfter(n) | Behaviour::StallAfter(n) => {
            (spec.pacing.num_bytes, n.min(poem.len()), false)
        }
        // Each write is built afresh for an endless poem: cap it, so that
        // `--fast` or a huge `--num-bytes` cannot make one client's chunk
        // gigabytes long.
        Behaviour::Endless => (spec.pacing.num_bytes.min(ENDLESS_CHUNK), usize::MAX, true),
        Behaviour::Trickle => (1, poem.len(), false),
    };
    let chunk = chunk.max(1);
    let mut position = 0usize;
    let mut piece = Vec::new();
    while (sent as usize) < limit && !poem.is_empty() {
        // One write of up to `chunk` bytes; an endless poem wraps around
        // within a write, so its pace does not depend on the poem's length.
        let want = chunk.min(limit - sent as usize);
        let written = if repeat {
            piece.clear();
            while piece.len() < want {
                let end = (position + want - piece.len()).min(poem.len());
                piece.extend_from_slice(&poem[position..end]);
                position = if end == poem.len() { 0 } else { end };
            }
            socket.write_all(&piece).await.map(|()| piece.len())
        } else {
            // Straight from the poem: a big poem sent at once is not copied.
            let end = (position + want).min(poem.len());
            let result = socket.write_all(&poem[position..end]).await;
            let written = end - position;
            position = end;
            result.map(|()| written)
        };
        let Ok(written) = written else {
            return ClientOutcome::Left(sent);
        };
        sent += written as u64;
        counters
            .bytes_sent
            .fetch_add(written as u64, Ordering::Relaxed);
        if !spec.pacing.delay.is_zero() {
            tokio::time::sleep(spec.pacing.delay).await;
        }
    }
    if let Behaviour::ResetAfter(_) = spec.behaviour {
        // SO_LINGER 0 makes close send RST instead of FIN.
        let _ = socket2::SockRef::from(&socket).set_linger(Some(Duration::ZERO));
        drop(socket);
        return ClientOutcome::Reset(sent);
    }
    if let Behaviour::StallAfter(_) = spec.behaviour {
        return hold_until_the_client_leaves(socket, sent).await;
    }
    let _ = socket.shutdown().await;
    ClientOutcome::Sent(sent)
}

/// Sends nothing more and keeps the connection open until the client gives up.
async fn hold_until_the_client_leaves(mut socket: TcpStream, sent: u64) -> ClientOutcome {
    let mut scratch = [0u8; 64];
    while matches!(socket.read(&mut scratch).await, Ok(n) if n > 0) {}
    ClientOutcome::Left(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn port_ranges_are_checked_without_arithmetic_that_can_wrap() {
        let empty = Server::start("127.0.0.1", 65535, Vec::new(), false).await;
        assert!(empty.is_ok_and(|server| server.ports.is_empty()));
        let spec = PortSpec {
            poem: PoemSource::new("p", "poem"),
            pacing: Pacing::fast(),
            behaviour: Behaviour::Refuse,
        };
        let past_the_end = Server::start("127.0.0.1", 65535, vec![spec.clone(), spec], false).await;
        let err = past_the_end.expect_err("65535 and 65536");
        assert!(err.to_string().contains("go past 65535"), "{err}");
    }

    #[test]
    fn localhost_serves_127_0_0_1_first_whatever_the_resolver_says() {
        let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(choose_iface_addresses("localhost", &[v6, v4]), [v4, v6]);
        assert_eq!(choose_iface_addresses("localhost", &[v4]), [v4]);
        assert_eq!(choose_iface_addresses("LOCALHOST", &[]), [v4]);
        let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(choose_iface_addresses("box", &[v6, other]), [other]);
        assert_eq!(choose_iface_addresses("box", &[v6]), [v6]);
    }
}
