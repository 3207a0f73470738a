//! The caching proxy of the tutorial's Parts 13, 14 and 19: a poetry server
//! whose poem comes from another (the upstream). The first client's fetch is
//! cached; a failed fetch closes the client's connection with nothing sent.
//!
//! Beyond the tutorial's proxy: clients that arrive while a fetch is under
//! way wait on that same fetch (one upstream connection, not one each); the
//! fetch is cancelled, its connection closed, only when the last client
//! waiting on it has hung up (Part 19's cancel); a failed or cancelled fetch
//! caches nothing, so the next client tries again.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{accept_each, listen_on_all, resolve_iface, say};
use crate::address::Address;
use crate::engine::{Limits, get_poem};

/// One upstream poetry server and what the proxy knows of its poem.
struct Upstream {
    address: Address,
    limits: Limits,
    log: bool,
    poem: Mutex<Cached>,
}

enum Cached {
    Nothing,
    /// A fetch under way, and how many clients wait on it.
    Fetching(Arc<Fetch>, usize),
    Poem(Bytes),
}

/// A fetch under way: its result, once there, and how to cancel it.
struct Fetch {
    done: watch::Sender<Option<Result<Bytes, String>>>,
    cancel: CancellationToken,
}

/// A running proxy. Dropping it stops it.
pub struct ProxyServer {
    /// Each port and the upstream it serves, in the order given.
    pub ports: Vec<(SocketAddr, Address)>,
    upstreams: Vec<Arc<Upstream>>,
    stop: CancellationToken,
    tasks: JoinSet<()>,
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyServer")
            .field("ports", &self.ports)
            .finish()
    }
}

impl ProxyServer {
    /// One port per upstream on `iface`, consecutive from `first_port` (0:
    /// any free ports). With `log`, a line for each thing it does.
    pub async fn start(
        iface: &str,
        first_port: u16,
        upstreams: Vec<Address>,
        limits: Limits,
        log: bool,
    ) -> io::Result<ProxyServer> {
        let ips = resolve_iface(iface).await?;
        let stop = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let mut ports = Vec::with_capacity(upstreams.len());
        let mut served = Vec::with_capacity(upstreams.len());
        for (index, address) in upstreams.into_iter().enumerate() {
            let port = match first_port {
                0 => 0,
                first => u16::try_from(usize::from(first) + index).map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidInput, "ports go past 65535")
                })?,
            };
            let (local, listeners) = listen_on_all(SocketAddr::new(ips[0], port), &ips[1..])?;
            ports.push((local, address.clone()));
            let upstream = Arc::new(Upstream {
                address,
                limits,
                log,
                poem: Mutex::new(Cached::Nothing),
            });
            served.push(Arc::clone(&upstream));
            for listener in listeners {
                let upstream = Arc::clone(&upstream);
                tasks.spawn(accept_each(listener, stop.clone(), move |socket, _| {
                    let upstream = Arc::clone(&upstream);
                    async move { serve_client(socket, &upstream).await }
                }));
            }
        }
        Ok(ProxyServer {
            ports,
            upstreams: served,
            stop,
            tasks,
        })
    }

    /// How many clients wait on the fetch under way from the upstream at
    /// `index` (0 when none is under way).
    pub fn waiting(&self, index: usize) -> usize {
        self.upstreams
            .get(index)
            .map_or(0, |upstream| match &*lock(&upstream.poem) {
                Cached::Fetching(_, waiting) => *waiting,
                Cached::Nothing | Cached::Poem(_) => 0,
            })
    }

    /// Stops accepting and drops every connection, then waits for that.
    pub async fn stop(&mut self) {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

fn lock(poem: &Mutex<Cached>) -> std::sync::MutexGuard<'_, Cached> {
    poem.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Upstream {
    fn say(&self, line: fmt::Arguments<'_>) {
        if self.log {
            say(line);
        }
    }

    /// The cached poem, or the fetch to wait on (joined, or started now).
    fn poem_or_fetch(self: &Arc<Self>) -> Result<Bytes, Arc<Fetch>> {
        let mut cached = lock(&self.poem);
        match &mut *cached {
            Cached::Poem(poem) => {
                self.say(format_args!("Using the cached poem of {}.", self.address));
                Ok(poem.clone())
            }
            Cached::Fetching(fetch, waiting) => {
                *waiting += 1;
                self.say(format_args!(
                    "Waiting on the fetch from {} under way ({waiting} clients).",
                    self.address
                ));
                Err(Arc::clone(fetch))
            }
            Cached::Nothing => {
                let fetch = Arc::new(Fetch {
                    done: watch::channel(None).0,
                    cancel: CancellationToken::new(),
                });
                *cached = Cached::Fetching(Arc::clone(&fetch), 1);
                self.say(format_args!("Fetching the poem from {}.", self.address));
                tokio::spawn(Arc::clone(self).fetch(Arc::clone(&fetch)));
                Err(fetch)
            }
        }
    }

    /// Fetches the poem for every client waiting on `fetch`; cancelling
    /// drops the download, which closes its connection.
    async fn fetch(self: Arc<Self>, fetch: Arc<Fetch>) {
        let result = tokio::select! {
            _ = fetch.cancel.cancelled() => None,
            poem = get_poem(&self.address, &self.limits) => Some(poem),
        };
        let mut cached = lock(&self.poem);
        // Only while this fetch is still the current one: a cancelled fetch
        // that wakes late must not overwrite the next one's state.
        let current = matches!(&*cached, Cached::Fetching(now, _) if Arc::ptr_eq(now, &fetch));
        let outcome = match result {
            Some(Ok(poem)) => {
                if current {
                    *cached = Cached::Poem(poem.bytes.clone());
                }
                Ok(poem.bytes)
            }
            Some(Err(err)) => {
                if current {
                    *cached = Cached::Nothing;
                }
                self.say(format_args!(
                    "The fetch from {} failed: {}.",
                    self.address,
                    err.reason_and_bytes()
                ));
                Err(err.reason_and_bytes())
            }
            // (Said by the last client to leave, who cancelled it and
            // cleared the state.)
            None => Err("cancelled".to_string()),
        };
        drop(cached);
        fetch.done.send_replace(Some(outcome));
    }

    /// A client waiting on `fetch` hung up; the last one cancels it.
    fn left(&self, fetch: &Arc<Fetch>) {
        let mut cached = lock(&self.poem);
        if let Cached::Fetching(current, waiting) = &mut *cached
            && Arc::ptr_eq(current, fetch)
        {
            *waiting -= 1;
            if *waiting == 0 {
                self.say(format_args!(
                    "Cancelling the fetch from {}: every client hung up.",
                    self.address
                ));
                fetch.cancel.cancel();
                *cached = Cached::Nothing;
            }
        }
    }
}

/// A client waiting on a fetch. However its wait ends before the poem came
/// (it hung up, or the proxy stopped and dropped it), it leaves the fetch to
/// the others, and the last to leave cancels it.
struct Waiting<'a> {
    upstream: &'a Upstream,
    fetch: Arc<Fetch>,
    served: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.served {
            self.upstream.left(&self.fetch);
        }
    }
}

async fn serve_client(mut socket: TcpStream, upstream: &Arc<Upstream>) {
    let fetch = match upstream.poem_or_fetch() {
        Ok(poem) => return send(socket, &poem).await,
        Err(fetch) => fetch,
    };
    let mut done = fetch.done.subscribe();
    let mut waiting = Waiting {
        upstream,
        fetch,
        served: false,
    };
    let mut scratch = [0u8; 256];
    let outcome = loop {
        tokio::select! {
            result = done.wait_for(Option::is_some) => {
                break result.ok().and_then(|result| result.clone());
            }
            read = socket.read(&mut scratch) => match read {
                // The tutorial's clients send nothing: what does come is
                // ignored; only a hang-up matters.
                Ok(n) if n > 0 => {}
                _ => return,
            },
        }
    };
    waiting.served = true;
    drop(waiting);
    match outcome {
        Some(Ok(poem)) => send(socket, &poem).await,
        // A failed fetch: the connection closes with nothing sent.
        _ => drop(socket),
    }
}

async fn send(mut socket: TcpStream, poem: &Bytes) {
    if socket.write_all(poem).await.is_ok() {
        let _ = socket.shutdown().await;
    }
}
