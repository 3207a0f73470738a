//! The tutorial's later parts, against our own servers on 127.0.0.1: the
//! transform service (Part 12) and a download's chain of transform steps
//! with its fallback, and the caching proxy (Parts 13, 14 and 19).

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use poetry_dash::address::Address;
use poetry_dash::engine::{
    Command, EventKind, Limits, RunConfig, StepLimits, StepPhase, TransformFailure, TransformStep,
    transform_poem,
};
use poetry_dash::model::State;
use poetry_dash::netstring::NetstringError;
use poetry_dash::serve::proxy::ProxyServer;
use poetry_dash::serve::transform::{TransformConfig, TransformFault, TransformServer};
use poetry_dash::serve::{Behaviour, Pacing};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn transform_server(fault: TransformFault) -> TransformServer {
    let config = TransformConfig {
        fault,
        pacing: paced(8, 30),
        request_timeout: Duration::from_secs(5),
        ..TransformConfig::default()
    };
    TransformServer::start("127.0.0.1", 0, config, false)
        .await
        .expect("transform server starts")
}

fn step(name: &str, server: &TransformServer) -> TransformStep {
    TransformStep {
        name: name.to_string(),
        address: Arc::new(Address::loopback(server.address.port())),
    }
}

/// What a raw client gets for `request`: the tutorial's client sends its
/// netstring and reads to the close.
async fn exchange(port: u16, request: &[u8]) -> Vec<u8> {
    let mut socket = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    socket.write_all(request).await.expect("send");
    let mut reply = Vec::new();
    let read = tokio::time::timeout(PATIENCE, socket.read_to_end(&mut reply)).await;
    assert!(
        matches!(read, Ok(Ok(_))),
        "the server closed the connection: {read:?}"
    );
    reply
}

#[tokio::test]
async fn the_transform_server_answers_as_the_tutorials_does() {
    let server = transform_server(TransformFault::None).await;
    let port = server.address.port();
    // The tutorial's own example, byte for byte.
    assert_eq!(
        exchange(port, b"27:cummingsify.HERE IS MY POEM,").await,
        b"15:here is my poem,"
    );
    // Closed without a reply: no '.', an unknown transform, a poem that is
    // not text, a request over the 99,999-byte limit, a malformed netstring.
    for refused in [
        &b"9:nodothere,"[..],
        b"20:gibberish.HERE IS MY,",
        b"14:cummingsify.\xff\xfe,",
        b"100000:",
        b"3x:abc,",
    ] {
        assert_eq!(exchange(port, refused).await, b"", "{refused:?}");
    }
}

#[tokio::test]
async fn a_step_names_every_way_it_can_fail() {
    let limits = StepLimits {
        timeout: Duration::from_millis(700),
        max_bytes: Some(1 << 20),
    };
    let poem = SHORT_POEM.as_bytes();
    let good = transform_server(TransformFault::None).await;
    let fixed = transform_poem(&step("shout", &good), poem, &limits).await;
    assert_eq!(fixed.as_deref(), Ok(SHORT_POEM.to_uppercase().as_bytes()));

    let failure = |result: Result<bytes::Bytes, poetry_dash::engine::TransformError>| {
        result.expect_err("a failure").failure
    };
    let unknown = transform_poem(&step("gibberish", &good), poem, &limits).await;
    assert_eq!(failure(unknown), TransformFailure::NoReply);

    let closes = transform_server(TransformFault::Close).await;
    let closed = transform_poem(&step("cummingsify", &closes), poem, &limits).await;
    assert_eq!(failure(closed), TransformFailure::NoReply);

    let malformed = transform_server(TransformFault::Malformed).await;
    let bad = transform_poem(&step("cummingsify", &malformed), poem, &limits).await;
    assert_eq!(
        failure(bad),
        TransformFailure::Malformed(NetstringError::Unterminated)
    );

    let stalls = transform_server(TransformFault::Stall).await;
    let started = std::time::Instant::now();
    let stalled = transform_poem(&step("cummingsify", &stalls), poem, &limits).await;
    assert_eq!(failure(stalled), TransformFailure::TimedOut(limits.timeout));
    assert!(
        started.elapsed() >= limits.timeout,
        "{:?}",
        started.elapsed()
    );

    // Past the server's request limit (99,999 bytes) the tutorial's server
    // closes with the request unread; that is no reply, however the close
    // reaches the client (a reset, most often).
    let long_poem = "a line of a very long poem\n".repeat(5_000);
    let too_long = transform_poem(&step("cummingsify", &good), long_poem.as_bytes(), &limits).await;
    assert_eq!(failure(too_long), TransformFailure::NoReply);

    let small = StepLimits {
        max_bytes: Some(10),
        ..limits
    };
    let large = transform_poem(&step("cummingsify", &good), poem, &small).await;
    assert_eq!(failure(large), TransformFailure::TooLarge { limit: 10 });

    let (_refusing, refusing) = serve_one(SHORT_POEM, Pacing::fast(), Behaviour::Refuse).await;
    let nowhere = TransformStep {
        name: "cummingsify".into(),
        address: Arc::new(refusing),
    };
    let refused = transform_poem(&nowhere, poem, &limits)
        .await
        .expect_err("refused");
    assert_eq!(refused.failure.code(), "refused");
    assert!(
        refused.to_string().contains(&nowhere.address.to_string()),
        "the error names the transform server: {refused}"
    );
}

fn with_transforms(transforms: Vec<TransformStep>) -> RunConfig {
    RunConfig {
        limits: Limits {
            transform_timeout: Duration::from_secs(5),
            ..Limits::default()
        },
        transforms,
        ..RunConfig::default()
    }
}

#[tokio::test]
async fn a_failed_step_passes_its_poem_on_and_the_chain_goes_on() {
    let (_poems, address) = serve_one(SHORT_POEM, Pacing::fast(), Behaviour::Poem).await;
    let closes = transform_server(TransformFault::Close).await;
    let good = transform_server(TransformFault::None).await;
    let chain = vec![
        step("cummingsify", &closes),
        step("shout", &good),
        step("reverse", &good),
    ];
    let mut run = Run::start(vec![address], with_transforms(chain));
    run.until_all_ended().await;
    let download = &run.model.downloads[0];
    assert_eq!(download.state, State::Complete);
    assert!(download.not_transformed, "a step failed");
    assert_eq!(run.model.not_transformed(), 1);
    // Shouted, then reversed: the failed first step passed the original on.
    assert_eq!(download.poem.to_vec(), b"IN TWO LINES.\nA SHORT POEM,\n");
    let original = download.original().expect("the poem as downloaded");
    assert_eq!(original.poem.to_vec(), SHORT_POEM.as_bytes());
    let chain = download.chain().expect("a chain");
    assert_eq!(chain.held, [1, 2]);
    assert_eq!(chain.failed.len(), 1);
    assert_eq!(chain.failed[0].1.failure, TransformFailure::NoReply);
    // Every phase of every step, in order, before the row ends.
    let kinds: Vec<&EventKind> = run.log.iter().map(|e| &e.kind).collect();
    let finished = kinds
        .iter()
        .position(|k| matches!(k, EventKind::Finished { .. }))
        .expect("finished");
    let phases: Vec<(u16, StepPhase)> = kinds[..finished]
        .iter()
        .filter_map(|k| match k {
            EventKind::Transforming { step, phase, of } => {
                assert_eq!(*of, 3);
                Some((*step, *phase))
            }
            _ => None,
        })
        .collect();
    for step in 0..3 {
        let of_step: Vec<StepPhase> = phases
            .iter()
            .filter(|(s, _)| *s == step)
            .map(|(_, p)| *p)
            .collect();
        assert_eq!(of_step.first(), Some(&StepPhase::Connecting), "{of_step:?}");
        assert!(of_step.contains(&StepPhase::Waiting), "{of_step:?}");
    }
}

#[tokio::test]
async fn a_paused_step_does_not_time_out_and_a_cancel_keeps_the_poem() {
    let (_poems, address) = serve_one(SHORT_POEM, Pacing::fast(), Behaviour::Poem).await;
    // A reply of 8 bytes every 30 ms: about a quarter of a second.
    let slow = transform_server(TransformFault::Slow).await;
    let mut config = with_transforms(vec![step("shout", &slow)]);
    config.limits.transform_timeout = Duration::from_millis(600);
    let mut run = Run::start(vec![address.clone()], config);
    run.until(|_, event| matches!(event.kind, EventKind::Transforming { .. }))
        .await;
    let task = poetry_dash::engine::TaskId::at(0);
    run.handle.send(Command::Pause(task));
    run.until(|_, event| matches!(event.kind, EventKind::Paused { .. }))
        .await;
    // Held: nothing of the reply is read while paused, so the step neither
    // ends nor times out, however long the pause.
    let paused = tokio::time::timeout(
        Duration::from_millis(900),
        run.until(|_, event| {
            matches!(
                event.kind,
                EventKind::Transformed { .. } | EventKind::TransformFailed { .. }
            )
        }),
    )
    .await;
    assert!(paused.is_err(), "the step went on while paused");
    run.handle.send(Command::Resume(task));
    run.until_all_ended().await;
    let download = &run.model.downloads[0];
    assert!(
        !download.not_transformed,
        "paused longer than its timeout, and still transformed: {:?}",
        download.chain().map(|c| &c.failed)
    );
    assert_eq!(download.poem.to_vec(), SHORT_POEM.to_uppercase().as_bytes());

    // Cancelled while its transform stalls: the poem that arrived is the
    // row's, whole, and the step says it was cancelled.
    let stalls = transform_server(TransformFault::Stall).await;
    let mut run = Run::start(vec![address], with_transforms(vec![step("shout", &stalls)]));
    run.until(|_, event| {
        matches!(
            event.kind,
            EventKind::Transforming {
                phase: StepPhase::Waiting,
                ..
            }
        )
    })
    .await;
    run.handle.send(Command::Cancel(task));
    run.until_all_ended().await;
    let download = &run.model.downloads[0];
    assert_eq!(download.state, State::Complete);
    assert_eq!(download.poem.to_vec(), SHORT_POEM.as_bytes());
    let failed = &download.chain().expect("a chain").failed;
    assert_eq!(failed[0].1.failure, TransformFailure::Cancelled);
}

async fn proxy(upstream: &Address) -> ProxyServer {
    ProxyServer::start(
        "127.0.0.1",
        0,
        vec![upstream.clone()],
        Limits::default(),
        false,
    )
    .await
    .expect("proxy starts")
}

async fn fetch_from(port: u16) -> Vec<u8> {
    exchange(port, b"").await
}

#[tokio::test]
async fn clients_during_a_fetch_share_it_and_later_ones_get_the_cache() {
    // About half a second of poem: the clients all come while it runs.
    let (upstream, address) = serve_one(SHORT_POEM, paced(4, 60), Behaviour::Poem).await;
    let proxy = proxy(&address).await;
    let port = proxy.ports[0].0.port();
    let clients: Vec<_> = (0..3).map(|_| tokio::spawn(fetch_from(port))).collect();
    for client in clients {
        assert_eq!(client.await.expect("a client"), SHORT_POEM.as_bytes());
    }
    assert_eq!(fetch_from(port).await, SHORT_POEM.as_bytes(), "cached");
    assert_eq!(
        upstream.counters.accepted.load(Ordering::Relaxed),
        1,
        "one upstream connection for four clients"
    );
}

/// Waits until `done` holds, failing the test after [`PATIENCE`].
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_fetch_is_cancelled_only_when_its_last_client_hangs_up() {
    let (upstream, address) = serve_one(SHORT_POEM, paced(1, 200), Behaviour::Poem).await;
    let proxy = proxy(&address).await;
    let port = proxy.ports[0].0.port();
    let counters = Arc::clone(&upstream.counters);
    let first = TcpStream::connect(("127.0.0.1", port)).await.expect("a");
    let second = TcpStream::connect(("127.0.0.1", port)).await.expect("b");
    eventually("both clients waiting on one fetch", || {
        proxy.waiting(0) == 2 && counters.accepted.load(Ordering::Relaxed) == 1
    })
    .await;
    drop(first);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        counters.left_early.load(Ordering::Relaxed),
        0,
        "a client still waits: the fetch goes on"
    );
    drop(second);
    eventually("the upstream connection closed", || {
        counters.left_early.load(Ordering::Relaxed) == 1
    })
    .await;
    // Nothing was cached: the next client starts a fetch of its own.
    let third = tokio::spawn(fetch_from(port));
    eventually("a new fetch", || {
        counters.accepted.load(Ordering::Relaxed) == 2
    })
    .await;
    third.abort();
}

#[tokio::test]
async fn a_failed_fetch_sends_nothing_and_caches_nothing() {
    let (upstream, address) = serve_one(SHORT_POEM, paced(10, 5), Behaviour::ResetAfter(10)).await;
    let proxy = proxy(&address).await;
    let port = proxy.ports[0].0.port();
    assert_eq!(fetch_from(port).await, b"", "closed with nothing sent");
    assert_eq!(fetch_from(port).await, b"", "tried again, failed again");
    assert_eq!(upstream.counters.accepted.load(Ordering::Relaxed), 2);
}
