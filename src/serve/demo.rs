//! `poetry-dash demo`: poetry servers on loopback that between them show
//! every state a download can be in, a transform server every poem goes
//! through (the tutorial's Part 12), and the limits that make the whole
//! story play out in under a minute.

use std::io;
use std::time::Duration;

use bytes::Bytes;

use super::transform::{TransformConfig, TransformFault, TransformServer};
use super::{Behaviour, Pacing, PoemSource, PortSpec, Server, poems};
use crate::address::Address;
use crate::engine::{Backoff, Command, Limits, RunConfig, TaskId, TransformStep};

/// The demo's servers (they stop when this is dropped) and what to fetch.
pub struct Demo {
    pub server: Server,
    pub transforms: TransformServer,
    pub addresses: Vec<Address>,
    pub config: RunConfig,
}

/// The demo's transform server: `cummingsify`, its reply slow enough to
/// watch, and a request limit that the longest poem ("The Ecstasy", 2.6 KiB)
/// passes, so that one row shows the fallback: closed without a reply, the
/// poem kept as it was.
pub fn transform_config() -> TransformConfig {
    TransformConfig {
        fault: TransformFault::Slow,
        pacing: paced(48, 40),
        max_request: 2048,
        ..TransformConfig::default()
    }
}

fn bundled(name: &str) -> PoemSource {
    let poem = poems::find(name).map_or("", |poem| poem.text);
    PoemSource::new(format!("{name}.txt"), Bytes::from_static(poem.as_bytes()))
}

fn paced(num_bytes: usize, delay_ms: u64) -> Pacing {
    Pacing {
        num_bytes,
        delay: Duration::from_millis(delay_ms),
    }
}

/// What each demo server does, in the order the dashboard lists them.
pub fn specs() -> Vec<PortSpec> {
    let spec = |poem, pacing, behaviour| PortSpec {
        poem,
        pacing,
        behaviour,
    };
    vec![
        // The tutorial's three, slow as in its classic set-up but quicker.
        spec(bundled("ecstasy"), paced(30, 200), Behaviour::Poem),
        spec(bundled("fascination"), paced(10, 100), Behaviour::Poem),
        spec(bundled("science"), paced(10, 100), Behaviour::Poem),
        spec(bundled("ozymandias"), Pacing::fast(), Behaviour::Poem),
        spec(bundled("tyger"), paced(6, 300), Behaviour::Poem),
        spec(bundled("nachtlied"), paced(1, 50), Behaviour::Trickle),
        spec(bundled("jingyesi"), paced(4, 250), Behaviour::Poem), // wide characters split across reads
        spec(bundled("sonnet18"), Pacing::fast(), Behaviour::Refuse),
        spec(bundled("sonnet18"), Pacing::fast(), Behaviour::Stall),
        spec(
            bundled("sonnet18"),
            paced(20, 150),
            Behaviour::ResetAfter(300),
        ),
        spec(bundled("jingyesi"), paced(1024, 100), Behaviour::Endless),
        spec(
            PoemSource::new("empty.txt", Bytes::new()),
            Pacing::fast(),
            Behaviour::Poem,
        ),
        // Escapes, controls and bidi overrides: shown, counted, never obeyed.
        spec(bundled("hostile"), paced(40, 150), Behaviour::Poem),
        // Encores: with at most CONCURRENCY at once, these wait queued.
        spec(bundled("science"), paced(20, 100), Behaviour::Poem),
        spec(bundled("ozymandias"), paced(20, 100), Behaviour::Poem),
    ]
}

/// Downloads at once in the demo: fewer than its servers, so some wait.
pub const CONCURRENCY: usize = 10;

/// The demo cancels this row (0-based: "The Tyger", slow) by itself after
/// [`CANCEL_AFTER`], as a person pressing `c` would.
pub const CANCELLED_ROW: TaskId = TaskId::at(4);
pub const CANCEL_AFTER: Duration = Duration::from_secs(8);

/// Limits that let every failure happen within the minute.
pub fn config() -> RunConfig {
    RunConfig {
        limits: Limits {
            connect_timeout: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(5),
            deadline: Some(Duration::from_secs(50)),
            max_bytes: Some(48 * 1024),
            ..Limits::default()
        },
        concurrency: CONCURRENCY,
        retries: 2,
        backoff: Backoff::default(),
        script: vec![(CANCEL_AFTER, Command::Cancel(CANCELLED_ROW))],
        transforms: Vec::new(),
        progress_at_end: false,
    }
}

/// Each demo server's name, in the order of [`specs`]: what it shows, so
/// the table tells the story without the README.
pub const NAMES: [&str; 15] = [
    "ecstasy",
    "fascination",
    "science",
    "ozymandias",
    "tyger-cancelled",
    "trickle",
    "jingyesi-wide",
    "refused",
    "stall",
    "reset",
    "endless",
    "empty",
    "hostile",
    "science-queued",
    "ozymandias-queued",
];

/// Starts the demo's servers on ephemeral loopback ports.
pub async fn start() -> io::Result<Demo> {
    let server = Server::start("127.0.0.1", 0, specs(), false).await?;
    let transforms = TransformServer::start("127.0.0.1", 0, transform_config(), false).await?;
    let mut config = config();
    config.transforms = vec![TransformStep {
        name: "cummingsify".into(),
        address: std::sync::Arc::new(Address::loopback(transforms.address.port())),
    }];
    let addresses = server
        .ports
        .iter()
        .zip(NAMES)
        .map(|(port, name)| Address::loopback(port.address.port()).named(name))
        .collect();
    Ok(Demo {
        server,
        transforms,
        addresses,
        config,
    })
}
