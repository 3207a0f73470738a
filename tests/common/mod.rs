//! Shared by the integration tests: our own poetry server on 127.0.0.1,
//! port 0, and ways to wait for the engine without sleeping.
#![allow(dead_code)] // each test binary uses a different part of this

use std::time::Duration;

use bytes::Bytes;
use poetry_dash::address::Address;
use poetry_dash::engine::{Event, RunConfig, RunHandle};
use poetry_dash::model::Model;
use poetry_dash::serve::{Behaviour, Pacing, PoemSource, PortSpec, Server};
use tokio::sync::mpsc::UnboundedReceiver;

pub const ECSTASY: &str = include_str!("../../assets/poems/ecstasy.txt");
pub const SHORT_POEM: &str = "A short poem,\nin two lines.\n";

/// Generous bound for anything that should take milliseconds: a test that
/// hits it has failed, it never passes by waiting.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A runtime for the servers of a test that runs the binary, which must keep
/// serving while the test blocks on the child process.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("test runtime")
}

pub fn spec(poem: impl Into<Bytes>, pacing: Pacing, behaviour: Behaviour) -> PortSpec {
    PortSpec {
        poem: PoemSource::new("test poem", poem),
        pacing,
        behaviour,
    }
}

pub fn paced(num_bytes: usize, delay_ms: u64) -> Pacing {
    Pacing {
        num_bytes,
        delay: Duration::from_millis(delay_ms),
    }
}

/// Starts one port per spec on 127.0.0.1 with system-chosen ports.
pub async fn serve(specs: Vec<PortSpec>) -> Server {
    Server::start("127.0.0.1", 0, specs, false)
        .await
        .expect("test server starts")
}

pub async fn serve_one(
    poem: impl Into<Bytes>,
    pacing: Pacing,
    behaviour: Behaviour,
) -> (Server, Address) {
    let server = serve(vec![spec(poem, pacing, behaviour)]).await;
    let address = address_of(&server, 0);
    (server, address)
}

pub fn address_of(server: &Server, index: usize) -> Address {
    Address::loopback(server.ports[index].address.port())
}

/// A run of the engine with its model kept up to date.
pub struct Run {
    pub model: Model,
    pub handle: RunHandle,
    pub events: UnboundedReceiver<Event>,
    pub log: Vec<Event>,
}

impl Run {
    pub fn start(addresses: Vec<Address>, config: RunConfig) -> Run {
        let model = Model::new(addresses.clone());
        let (handle, events) = poetry_dash::engine::start(addresses, config);
        Run {
            model,
            handle,
            events,
            log: Vec::new(),
        }
    }

    /// Applies events until `done` holds for the model and the latest event,
    /// failing the test after [`PATIENCE`].
    pub async fn until(&mut self, mut done: impl FnMut(&Model, &Event) -> bool) {
        let waited = tokio::time::timeout(PATIENCE, async {
            while let Some(mut event) = self.events.recv().await {
                // The log keeps the bytes; the model takes them out.
                self.log.push(event.clone());
                let applied = self.model.apply(&mut event);
                if applied && done(&self.model, &event) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(
            waited,
            Ok(true),
            "condition not reached; events: {:#?}",
            self.log
                .iter()
                .map(|e| (&e.task, &e.generation, &e.kind))
                .collect::<Vec<_>>()
        );
    }

    /// Adds downloads while the run goes on, as the dashboard's `a` does.
    pub fn add(&mut self, addresses: Vec<Address>) {
        let (first, addresses) = self.model.add(addresses);
        self.handle
            .send(poetry_dash::engine::Command::Add { first, addresses });
    }

    pub async fn until_all_ended(&mut self) {
        self.until(|model, _| model.all_ended()).await;
    }
}
