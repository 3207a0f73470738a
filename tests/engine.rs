//! The real engine against our real poetry server on 127.0.0.1.

mod common;

use std::time::Duration;

use common::*;
use poetry_dash::address::Address;
use poetry_dash::engine::{
    Backoff, Command, EventKind, FailReason, Limits, RunConfig, TaskId, get_poem,
};
use poetry_dash::model::State;
use poetry_dash::serve::{Behaviour, Pacing, Server};
use poetry_dash::text::display_line;

fn limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        deadline: None,
        max_bytes: Some(1 << 20),
        transform_timeout: Duration::from_secs(10),
    }
}

/// The default limits, one download at a time: the rest wait in line.
fn one_at_a_time() -> RunConfig {
    RunConfig {
        limits: limits(),
        concurrency: 1,
        ..Default::default()
    }
}

fn quick_retries(retries: u32) -> RunConfig {
    RunConfig {
        limits: limits(),
        retries,
        backoff: Backoff {
            first: Duration::from_millis(100),
            max: Duration::from_millis(400),
        },
        ..RunConfig::default()
    }
}

#[tokio::test]
async fn a_complete_poem_equals_the_file_byte_for_byte() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Poem).await;
    let poem = get_poem(&address, &limits()).await.expect("poem arrives");
    assert_eq!(poem.bytes, ECSTASY.as_bytes());
    assert_eq!(poem.address, address);
    assert!(poem.times.connect.is_some() && poem.times.first_byte.is_some());
}

#[tokio::test]
async fn a_slow_paced_poem_arrives_whole_in_many_progress_events() {
    let poem = &ECSTASY.as_bytes()[..600];
    let (_server, address) = serve_one(poem.to_vec(), paced(40, 60), Behaviour::Poem).await;
    let mut run = Run::start(
        vec![address],
        RunConfig {
            limits: limits(),
            ..Default::default()
        },
    );
    run.until_all_ended().await;
    let download = &run.model.downloads[0];
    assert_eq!(download.state, State::Complete);
    assert_eq!(download.poem.to_vec(), poem);
    let progress = run
        .log
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Progress { .. }))
        .count();
    assert!(
        progress >= 10,
        "15 writes 60 ms apart give one progress event each, got {progress}"
    );
    // The finished event carries the attempt's times.
    let times = run
        .log
        .iter()
        .find_map(|e| match e.kind {
            EventKind::Finished { times, .. } => Some(times),
            _ => None,
        })
        .expect("a finished event");
    assert!(
        times.total >= Duration::from_millis(14 * 60),
        "pacing is honoured: {times:?}"
    );
}

#[tokio::test]
async fn progress_at_end_hands_the_whole_poem_over_once() {
    // Quiet headless output shows no progress: the same paced poem comes
    // in one progress event, at the end, whole.
    let poem = &ECSTASY.as_bytes()[..300];
    let (_server, address) = serve_one(poem.to_vec(), paced(40, 30), Behaviour::Poem).await;
    let mut run = Run::start(
        vec![address],
        RunConfig {
            limits: limits(),
            progress_at_end: true,
            ..Default::default()
        },
    );
    run.until_all_ended().await;
    let download = &run.model.downloads[0];
    assert_eq!(download.state, State::Complete);
    assert_eq!(download.poem.to_vec(), poem);
    assert_eq!(run.model.received_total, poem.len() as u64);
    let kinds: Vec<&str> = run
        .log
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Progress { .. } => Some("progress"),
            EventKind::Finished { .. } => Some("finished"),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["progress", "finished"]);
}

#[tokio::test]
async fn an_empty_poem_is_complete_and_empty() {
    let (_server, address) = serve_one(Vec::new(), Pacing::fast(), Behaviour::Poem).await;
    let poem = get_poem(&address, &limits())
        .await
        .expect("empty is not an error");
    assert!(poem.bytes.is_empty());
}

#[tokio::test]
async fn refused_names_the_server() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    let err = get_poem(&address, &limits()).await.unwrap_err();
    assert_eq!(err.reason, FailReason::Refused);
    assert_eq!(err.address, address);
    assert!(err.to_string().contains(&address.to_string()));
}

#[tokio::test]
async fn an_unresolvable_name_fails_without_leaving_the_machine() {
    // A 64-character label can never be encoded in a DNS query, so the
    // system resolver rejects it locally: no packet leaves the host.
    let host = format!("{}.example", "a".repeat(64));
    let err = get_poem(&Address::new(host, 80), &limits())
        .await
        .unwrap_err();
    assert!(
        matches!(err.reason, FailReason::NameNotResolved { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn localhost_resolves_offline() {
    let (_server, address) = serve_one("hi\n", Pacing::fast(), Behaviour::Poem).await;
    let by_name = Address::new("localhost", address.port);
    assert_eq!(
        get_poem(&by_name, &limits())
            .await
            .expect("localhost works")
            .bytes,
        "hi\n"
    );
}

#[tokio::test]
async fn a_full_accept_queue_is_a_connect_timeout() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Full).await;
    let limits = Limits {
        connect_timeout: Duration::from_millis(300),
        ..limits()
    };
    let err = get_poem(&address, &limits).await.unwrap_err();
    assert_eq!(
        err.reason,
        FailReason::ConnectTimeout(Duration::from_millis(300))
    );
}

#[tokio::test]
async fn a_stalled_server_is_an_idle_timeout() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Stall).await;
    let limits = Limits {
        idle_timeout: Duration::from_millis(200),
        ..limits()
    };
    let err = get_poem(&address, &limits).await.unwrap_err();
    assert_eq!(
        err.reason,
        FailReason::IdleTimeout(Duration::from_millis(200))
    );
    assert_eq!(err.received, 0);
    assert_eq!(
        err.to_string(),
        format!("poem from {address} failed: idle timeout after 0.2 s (got 0 bytes)")
    );
}

#[tokio::test]
async fn a_trickle_inside_the_idle_timeout_still_meets_the_deadline() {
    let (_server, address) = serve_one(ECSTASY, paced(1, 20), Behaviour::Trickle).await;
    let limits = Limits {
        idle_timeout: Duration::from_millis(500),
        deadline: Some(Duration::from_millis(400)),
        ..limits()
    };
    let err = get_poem(&address, &limits).await.unwrap_err();
    assert_eq!(err.reason, FailReason::Deadline(Duration::from_millis(400)));
    assert!(err.received > 0 && err.received < ECSTASY.len() as u64);
    assert_eq!(err.partial, ECSTASY.as_bytes()[..err.received as usize]);
}

#[tokio::test]
async fn a_reset_after_n_bytes_is_truncated_with_those_bytes() {
    let (_server, address) = serve_one(ECSTASY, paced(25, 10), Behaviour::ResetAfter(100)).await;
    let err = get_poem(&address, &limits()).await.unwrap_err();
    assert_eq!(err.reason, FailReason::Reset);
    assert_eq!(err.received, 100);
    assert_eq!(err.partial, ECSTASY.as_bytes()[..100]);
}

#[tokio::test]
async fn an_endless_stream_stops_at_max_bytes_and_keeps_them() {
    let (_server, address) = serve_one(ECSTASY, paced(4096, 1), Behaviour::Endless).await;
    let limits = Limits {
        max_bytes: Some(10_000),
        transform_timeout: Duration::from_secs(10),
        ..limits()
    };
    let err = get_poem(&address, &limits).await.unwrap_err();
    assert_eq!(err.reason, FailReason::TooLarge { limit: 10_000 });
    assert_eq!(err.received, 10_000);
    assert_eq!(err.partial.len(), 10_000);
    assert_eq!(err.partial[..ECSTASY.len()], *ECSTASY.as_bytes());
}

#[tokio::test]
async fn a_retry_succeeds_after_a_failure() {
    // The port refuses until, seeing the first failure, we start a server on it.
    let mut refusing = serve(vec![spec(ECSTASY, Pacing::fast(), Behaviour::Refuse)]).await;
    let port = refusing.ports[0].address.port();
    let mut run = Run::start(vec![Address::loopback(port)], quick_retries(3));
    run.until(|_, event| matches!(event.kind, EventKind::Retrying { .. }))
        .await;
    // A refusing port is held until its server stops.
    refusing.stop();
    refusing.stopped().await;
    let _server = Server::start(
        "127.0.0.1",
        port,
        vec![spec(ECSTASY, Pacing::fast(), Behaviour::Poem)],
        false,
    )
    .await
    .expect("the refused port is free");
    run.until_all_ended().await;
    let download = &run.model.downloads[0];
    assert_eq!(download.state, State::Complete);
    assert_eq!(download.poem.to_vec(), ECSTASY.as_bytes());
    assert!(download.attempt >= 2);
    let retrying = run.log.iter().find_map(|e| match &e.kind {
        EventKind::Retrying {
            attempt,
            of,
            after,
            error,
        } => Some((*attempt, *of, *after, error.reason.clone())),
        _ => None,
    });
    let (attempt, of, after, reason) = retrying.expect("a retrying event");
    assert_eq!((attempt, of, reason), (2, 4, FailReason::Refused));
    assert!(
        after >= Duration::from_millis(50) && after <= Duration::from_millis(100),
        "first wait is jittered 0.5-1 x 100 ms: {after:?}"
    );
}

#[tokio::test]
async fn retries_give_up_after_the_last_attempt() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    let mut run = Run::start(vec![address], quick_retries(2));
    run.until_all_ended().await;
    let retries = run
        .log
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Retrying { .. }))
        .count();
    assert_eq!(retries, 2);
    assert_eq!(run.model.downloads[0].state, State::Failed);
    assert_eq!(run.model.downloads[0].attempt, 3);
}

/// Waits until `counter` reaches `at_least`, failing after [`PATIENCE`].
async fn until_counted(counter: &std::sync::atomic::AtomicU64, at_least: u64, what: &str) {
    let started = std::time::Instant::now();
    while counter.load(std::sync::atomic::Ordering::SeqCst) < at_least {
        assert!(started.elapsed() < PATIENCE, "{what} never happened");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn cancel_closes_at_once_and_retry_restarts() {
    // About three seconds of poem: any close the server sees well before
    // that is the cancel's.
    let (server, address) = serve_one(ECSTASY, paced(100, 120), Behaviour::Poem).await;
    let mut run = Run::start(
        vec![address.clone(), address],
        RunConfig {
            limits: limits(),
            ..Default::default()
        },
    );
    run.until(|model, _| model.downloads[0].received > 0 && model.downloads[1].received > 0)
        .await;
    let cancelled_at = std::time::Instant::now();
    run.handle.send(Command::Cancel(TaskId::at(0)));
    run.until(|model, _| model.downloads[0].state == State::Cancelled)
        .await;
    // The server sees the connection closed at once (at its next write,
    // 120 ms on), while the other download goes on.
    until_counted(
        &server.counters.left_early,
        1,
        "the cancelled connection's close",
    )
    .await;
    assert!(
        cancelled_at.elapsed() < Duration::from_millis(1000),
        "closed after {:?}",
        cancelled_at.elapsed()
    );
    assert_eq!(
        server
            .counters
            .left_early
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    let kept = run.model.downloads[0].poem.clone();
    assert!(
        !kept.is_empty() && ECSTASY.as_bytes().starts_with(&kept.to_vec()),
        "the partial poem is kept"
    );
    assert_eq!(
        run.model.downloads[1].state,
        State::Receiving,
        "only the one was cancelled"
    );

    run.handle.send(Command::CancelAll);
    run.until_all_ended().await;
    assert_eq!(run.model.downloads[1].state, State::Cancelled);

    run.handle.send(Command::Retry(TaskId::at(0)));
    run.until(|model, _| model.downloads[0].state == State::Receiving)
        .await;
    run.handle.send(Command::Retry(TaskId::at(0))); // a running download restarts
    run.until(|model, _| {
        model.downloads[0].generation == 3 && model.downloads[0].state == State::Complete
    })
    .await;
    assert_eq!(run.model.downloads[0].poem.to_vec(), ECSTASY.as_bytes());
    assert_eq!(
        run.model.downloads[1].state,
        State::Cancelled,
        "retry one leaves the other"
    );

    run.handle.send(Command::RetryFailed);
    run.until(|model, _| model.downloads[1].state == State::Complete)
        .await;
    assert_eq!(run.model.downloads[1].poem.to_vec(), ECSTASY.as_bytes());
}

#[tokio::test]
async fn cancelling_a_queued_download_never_connects_it() {
    let (server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Stall).await;
    let config = one_at_a_time();
    let mut run = Run::start(vec![address.clone(), address], config);
    run.until(|model, _| model.downloads[0].state == State::Receiving)
        .await;
    run.handle.send(Command::Cancel(TaskId::at(1)));
    run.until(|model, _| model.downloads[1].state == State::Cancelled)
        .await;
    run.handle.send(Command::Cancel(TaskId::at(0)));
    run.until_all_ended().await;
    // Quiet first: the first download's close has reached the server, and
    // the engine has shut down (every handle dropped, every attempt
    // joined), so an attempt started by mistake would have connected by now.
    until_counted(&server.counters.left_early, 1, "the first download's close").await;
    let Run {
        handle, mut events, ..
    } = run;
    drop(handle);
    while events.recv().await.is_some() {}
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        server
            .counters
            .accepted
            .load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the cancelled queued download never connected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_limit_is_honoured() {
    let (_server, address) =
        serve_one(&ECSTASY.as_bytes()[..200], paced(50, 20), Behaviour::Poem).await;
    let config = RunConfig {
        limits: limits(),
        concurrency: 3,
        ..Default::default()
    };
    let mut run = Run::start(vec![address; 10], config);
    let mut most = 0;
    run.until(|model, _| {
        let active = model
            .downloads
            .iter()
            .filter(|d| matches!(d.state, State::Connecting | State::Receiving))
            .count();
        most = most.max(active);
        model.all_ended()
    })
    .await;
    assert_eq!(most, 3, "never more than 3 at once, and 3 were reached");
    assert!(
        run.model
            .downloads
            .iter()
            .all(|d| d.state == State::Complete)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_added_while_running_join_the_line_within_the_limit() {
    let (_server, address) =
        serve_one(&ECSTASY.as_bytes()[..200], paced(50, 20), Behaviour::Poem).await;
    let config = RunConfig {
        limits: limits(),
        concurrency: 2,
        ..Default::default()
    };
    let mut run = Run::start(vec![address.clone(); 2], config);
    run.until(|model, _| model.downloads[0].state == State::Receiving)
        .await;
    // Added while the first two hold both slots: they wait their turn.
    run.add(vec![address.clone(); 3]);
    assert_eq!(run.model.downloads.len(), 5);
    let mut most = 0;
    run.until(|model, _| {
        most = most.max(model.totals().active);
        model.all_ended()
    })
    .await;
    assert_eq!(most, 2, "the added downloads honour -j too");
    assert!(
        run.model
            .downloads
            .iter()
            .all(|d| d.state == State::Complete && d.poem == ECSTASY.as_bytes()[..200]),
        "every added download got its whole poem"
    );
    let queued_batch = run
        .log
        .iter()
        .find(|e| e.task == TaskId::at(2) && matches!(e.kind, EventKind::Queued { count: 3 }));
    assert!(
        queued_batch.is_some(),
        "one queued event for the added batch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_download_retried_keeps_its_place_and_runs_once() {
    let (server, address) = serve_one(SHORT_POEM, paced(5, 20), Behaviour::Poem).await;
    let config = one_at_a_time();
    let mut run = Run::start(vec![address.clone(), address.clone(), address], config);
    run.until(|model, _| model.downloads[0].state == State::Receiving)
        .await;
    // Retry of a waiting download: nothing to restart, it stays in line.
    run.handle.send(Command::Retry(TaskId::at(2)));
    // Cancel of a waiting download: it ends at once, never connecting.
    run.handle.send(Command::Cancel(TaskId::at(1)));
    run.until_all_ended().await;
    let states: Vec<State> = run.model.downloads.iter().map(|d| d.state).collect();
    assert_eq!(states, [State::Complete, State::Cancelled, State::Complete]);
    let connects = |task: usize| {
        run.log
            .iter()
            .filter(|e| {
                e.task == TaskId::at(task) && matches!(e.kind, EventKind::Connecting { .. })
            })
            .count()
    };
    assert_eq!(
        (connects(0), connects(1), connects(2)),
        (1, 0, 1),
        "the cancelled one never connected; the retried one connected once"
    );
    assert_eq!(
        server
            .counters
            .accepted
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[tokio::test]
async fn a_character_split_across_reads_decodes_correctly() {
    let poem = "床前明月光，疑是地上霜。";
    // Five bytes per write, 60 ms apart: every progress event holds one
    // write, and most writes end inside a three-byte character.
    let (_server, address) = serve_one(poem, paced(5, 60), Behaviour::Poem).await;
    let mut run = Run::start(
        vec![address],
        RunConfig {
            limits: limits(),
            ..Default::default()
        },
    );
    let mut shown = Vec::new();
    run.until(|model, _| {
        // What the dashboard would show of the growing line at each step.
        let download = &model.downloads[0];
        let growing = !download.state.is_final();
        shown.push(display_line(&download.poem.contiguous(), growing));
        model.all_ended()
    })
    .await;
    let split_chunks = run
        .log
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Progress { data, .. } if data.iter().any(|d| std::str::from_utf8(d).is_err())))
        .count();
    assert!(split_chunks > 0, "the test must really split characters");
    assert!(
        shown.iter().all(|line| poem.starts_with(line.as_str())),
        "never a broken character: {shown:?}"
    );
    assert_eq!(shown.last().map(String::as_str), Some(poem));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_downloads() {
    poetry_dash::engine::raise_fd_limit();
    let poem = &ECSTASY.as_bytes()[..1024];
    let server = serve(vec![
        spec(poem.to_vec(), paced(256, 10), Behaviour::Poem);
        10
    ])
    .await;
    let addresses: Vec<Address> = (0..1000).map(|i| address_of(&server, i % 10)).collect();
    let mut run = Run::start(
        addresses,
        RunConfig {
            limits: limits(),
            ..Default::default()
        },
    );
    run.until_all_ended().await;
    let complete = run
        .model
        .downloads
        .iter()
        .filter(|d| d.state == State::Complete && d.poem == *poem)
        .count();
    assert_eq!(complete, 1000);
}

#[tokio::test]
async fn bytes_held_back_by_coalescing_are_sent_when_the_interval_passes() {
    // Two lines 10 ms apart, then silence: the second line must not wait
    // for a read that never comes (it used to wait for the idle timeout).
    let poem = "first line\nsecond line\nnever sent\n";
    let (_server, address) = serve_one(poem, paced(11, 10), Behaviour::StallAfter(22)).await;
    let started = std::time::Instant::now();
    let mut run = Run::start(
        vec![address],
        RunConfig {
            limits: limits(),
            ..Default::default()
        },
    );
    run.until(|model, _| model.downloads[0].received == 22)
        .await;
    let waited = started.elapsed();
    assert_eq!(run.model.downloads[0].state, State::Receiving);
    assert_eq!(
        run.model.downloads[0].poem.to_vec(),
        b"first line\nsecond line"
    );
    assert!(
        waited < Duration::from_secs(2),
        "the held-back line came {waited:?} after the start, not within the coalescing interval"
    );
}

#[tokio::test]
async fn retry_failed_right_after_cancel_all_restarts_every_download() {
    let (_server, address) = serve_one(ECSTASY, paced(10, 100), Behaviour::Poem).await;
    let config = one_at_a_time();
    let mut run = Run::start(vec![address; 3], config);
    run.until(|model, _| model.downloads[0].state == State::Receiving)
        .await;
    // Both keys at once, before the engine has seen any download end.
    run.handle.send(Command::CancelAll);
    run.handle.send(Command::RetryFailed);
    run.until(|model, _| model.downloads.iter().all(|d| d.generation == 2))
        .await;
    run.handle.send(Command::CancelAll);
    run.until_all_ended().await;
}

#[tokio::test]
async fn a_download_waiting_out_its_backoff_leaves_its_slot() {
    let (_refusing, refused) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    let (_server, good) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Poem).await;
    let config = RunConfig {
        concurrency: 1,
        backoff: Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(1),
        },
        ..quick_retries(3)
    };
    let mut run = Run::start(vec![refused, good], config);
    run.until(|model, _| model.downloads[1].state == State::Complete)
        .await;
    let first = &run.model.downloads[0];
    assert!(
        !first.state.is_final() && first.attempt <= 2,
        "the good server ran while the refused one waited to retry: {:?} attempt {}",
        first.state,
        first.attempt
    );
    run.until_all_ended().await;
    assert_eq!(run.model.downloads[0].attempt, 4);
    assert_eq!(run.model.downloads[0].state, State::Failed);
}

/// The downloads, by index, in the order their attempts started.
fn connecting_order(run: &Run) -> Vec<usize> {
    run.log
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Connecting { .. }))
        .map(|e| e.task.index())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_downloads_start_first_in_first_out() {
    let (_server, address) = serve_one(SHORT_POEM, Pacing::fast(), Behaviour::Poem).await;
    let config = one_at_a_time();
    let mut run = Run::start(vec![address; 8], config);
    run.until_all_ended().await;
    let order = connecting_order(&run);
    assert_eq!(order, (0..8).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_paused_and_resumed_in_line_keeps_its_place() {
    // One slot, held by a stalled download; three wait behind it. The last
    // is paused and resumed while still in line: it stays last.
    let server = serve(vec![
        spec(ECSTASY, Pacing::fast(), Behaviour::Stall),
        spec(SHORT_POEM, Pacing::fast(), Behaviour::Poem),
    ])
    .await;
    let (stalled, quick) = (address_of(&server, 0), address_of(&server, 1));
    let mut run = Run::start(
        vec![stalled, quick.clone(), quick.clone(), quick],
        one_at_a_time(),
    );
    run.until(|_, event| {
        event.task == TaskId::at(0) && matches!(event.kind, EventKind::Connected { .. })
    })
    .await;
    run.handle.send(Command::Pause(TaskId::at(3)));
    run.until(|_, event| {
        event.task == TaskId::at(3) && matches!(event.kind, EventKind::Paused { .. })
    })
    .await;
    run.handle.send(Command::Resume(TaskId::at(3)));
    run.until(|_, event| {
        event.task == TaskId::at(3) && matches!(event.kind, EventKind::Resumed { .. })
    })
    .await;
    run.handle.send(Command::Cancel(TaskId::at(0)));
    run.until_all_ended().await;
    let order = connecting_order(&run);
    assert_eq!(
        order,
        [0, 1, 2, 3],
        "first in, first out, the resumed one last"
    );
}

#[tokio::test]
async fn the_deadline_is_for_the_whole_download_not_each_attempt() {
    // Attempts that fail at once, with a short wait between: a deadline per
    // attempt would never fire, and the retries would run to the last.
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    let mut config = quick_retries(1000);
    config.backoff = Backoff {
        first: Duration::from_millis(100),
        max: Duration::from_millis(100),
    };
    config.limits.deadline = Some(Duration::from_millis(800));
    let mut run = Run::start(vec![address], config);
    run.until_all_ended().await;
    let download = &run.model.downloads[0];
    assert_eq!(download.state, State::Failed);
    assert_eq!(
        download.fail_reason(),
        Some(&FailReason::Deadline(Duration::from_millis(800)))
    );
    assert!(
        (2..=20).contains(&download.attempt),
        "several attempts, then the deadline: {}",
        download.attempt
    );
    // From the first attempt to the failure, on the engine's own clock (a
    // loaded test thread reads its events late, not the engine): the
    // retries alone would take 100 s.
    let at = |wanted: fn(&EventKind) -> bool| {
        run.log
            .iter()
            .find(|e| wanted(&e.kind))
            .map(|e| e.at)
            .expect("the event")
    };
    let took = at(|k| matches!(k, EventKind::Failed { .. }))
        - at(|k| matches!(k, EventKind::Connecting { .. }));
    assert!(
        took >= Duration::from_millis(790) && took < Duration::from_millis(1600),
        "ended after {took:?}"
    );
}

#[tokio::test]
async fn an_idle_timeout_waits_the_whole_limit_of_silence() {
    // Silent for 0.7 of the limit between writes: it completes.
    let (_server, address) = serve_one(&ECSTASY[..300], paced(100, 700), Behaviour::Poem).await;
    let patient = Limits {
        idle_timeout: Duration::from_millis(1000),
        ..limits()
    };
    let poem = get_poem(&address, &patient)
        .await
        .expect("a gap under the limit is no timeout");
    assert_eq!(poem.bytes.len(), 300);
    // Silent for good: it fails, no earlier than the limit.
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Stall).await;
    let short = Limits {
        idle_timeout: Duration::from_millis(600),
        ..limits()
    };
    let started = std::time::Instant::now();
    let err = get_poem(&address, &short).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(
        err.reason,
        FailReason::IdleTimeout(Duration::from_millis(600))
    );
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_millis(1500),
        "fired after {took:?}"
    );
}

#[tokio::test]
async fn retries_stop_at_the_deadline() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    let mut config = quick_retries(50);
    config.backoff = Backoff {
        first: Duration::from_millis(300),
        max: Duration::from_millis(300),
    };
    config.limits.deadline = Some(Duration::from_secs(1));
    let started = std::time::Instant::now();
    let mut run = Run::start(vec![address], config);
    run.until_all_ended().await;
    let took = started.elapsed();
    assert_eq!(run.model.downloads[0].state, State::Failed);
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(1800),
        "the retries ran out with the deadline, after {took:?}"
    );
    assert!(run.model.downloads[0].attempt < 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_is_a_reset_even_before_the_first_read() {
    // Sent at once and reset at once: some clients see the reset while
    // connecting, before any byte is read. Every one must say "reset".
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::ResetAfter(300)).await;
    let mut run = Run::start(
        vec![address; 200],
        RunConfig {
            limits: limits(),
            ..Default::default()
        },
    );
    run.until_all_ended().await;
    for download in &run.model.downloads {
        assert_eq!(download.state, State::Failed);
        assert_eq!(
            download.fail_reason(),
            Some(&FailReason::Reset),
            "{:?}",
            download.error
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_server_sent_at_full_speed_writes_bounded_chunks() {
    // --fault endless --fast: each write used to be built for usize::MAX
    // bytes, so the server grew by gigabytes and never sent a byte.
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Endless).await;
    let mut limits = limits();
    limits.max_bytes = Some(4 << 20);
    let started = std::time::Instant::now();
    let err = get_poem(&address, &limits).await.expect_err("too large");
    assert_eq!(err.reason, FailReason::TooLarge { limit: 4 << 20 });
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Applies events for `how_long`, whatever they are.
async fn run_for(run: &mut Run, how_long: Duration) {
    let until = tokio::time::Instant::now() + how_long;
    while let Ok(Some(mut event)) = tokio::time::timeout_at(until, run.events.recv()).await {
        run.log.push(event.clone());
        run.model.apply(&mut event);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_download_holds_still_outlives_its_timeouts_and_resumes_byte_exact() {
    let poem = &ECSTASY.as_bytes()[..600];
    let (_server, address) = serve_one(poem, paced(10, 10), Behaviour::Poem).await;
    // Limits much shorter than the pause: they must not fire while paused.
    let config = RunConfig {
        limits: Limits {
            idle_timeout: Duration::from_millis(300),
            deadline: Some(Duration::from_millis(1500)),
            ..limits()
        },
        ..RunConfig::default()
    };
    let mut run = Run::start(vec![address], config);
    run.until(|model, _| model.downloads[0].received >= 100)
        .await;
    run.handle.send(Command::Pause(TaskId::at(0)));
    run.until(|model, _| model.downloads[0].paused).await;
    // What was read before the pause may still be on its way: let it come.
    run_for(&mut run, Duration::from_millis(100)).await;
    let held_at = run.model.downloads[0].received;
    run_for(&mut run, Duration::from_millis(1600)).await;
    let download = &run.model.downloads[0];
    assert_eq!(download.received, held_at, "no byte read while paused");
    assert!(held_at < poem.len() as u64, "paused part way: {held_at}");
    assert_eq!(
        download.state,
        State::Receiving,
        "neither the idle timeout nor the deadline fired while paused"
    );
    run.handle.send(Command::Resume(TaskId::at(0)));
    run.until(|model, _| model.downloads[0].state.is_final())
        .await;
    let download = &run.model.downloads[0];
    assert_eq!(download.state, State::Complete, "{:?}", download.error);
    assert!(download.poem == *poem, "byte for byte");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_queued_download_waits_until_resumed() {
    let (_server, address) = serve_one(SHORT_POEM, paced(5, 20), Behaviour::Poem).await;
    let config = one_at_a_time();
    let mut run = Run::start(vec![address.clone(), address.clone(), address], config);
    run.handle.send(Command::Pause(TaskId::at(1)));
    // The third overtakes the paused second.
    run.until(|model, _| model.downloads[2].state == State::Complete)
        .await;
    assert_eq!(run.model.downloads[1].state, State::Queued);
    assert!(run.model.downloads[1].paused);
    run.handle.send(Command::Resume(TaskId::at(1)));
    run.until_all_ended().await;
    assert!(
        run.model
            .downloads
            .iter()
            .all(|d| d.state == State::Complete && !d.paused)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_and_resuming_everything_keeps_the_line_in_order() {
    let (_server, address) = serve_one(SHORT_POEM, paced(5, 20), Behaviour::Poem).await;
    let config = one_at_a_time();
    let mut run = Run::start(vec![address; 5], config);
    run.until(|model, _| model.downloads[0].state == State::Receiving)
        .await;
    run.handle.send(Command::PauseAll);
    run.until(|model, _| model.downloads.iter().all(|d| d.paused))
        .await;
    run.handle.send(Command::ResumeAll);
    run.until_all_ended().await;
    let order = connecting_order(&run);
    assert_eq!(order, [0, 1, 2, 3, 4], "first in, first out, once each");
    assert!(
        run.model
            .downloads
            .iter()
            .all(|d| d.state == State::Complete && d.poem == *SHORT_POEM.as_bytes())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_retry_work_on_paused_downloads() {
    let poem = &ECSTASY.as_bytes()[..400];
    let (_server, address) = serve_one(poem, paced(10, 10), Behaviour::Poem).await;
    let mut run = Run::start(
        vec![address.clone(), address],
        RunConfig {
            limits: limits(),
            ..Default::default()
        },
    );
    run.until(|model, _| model.downloads.iter().all(|d| d.received >= 50))
        .await;
    run.handle.send(Command::PauseAll);
    run.until(|model, _| model.downloads.iter().all(|d| d.paused))
        .await;
    // Cancel a paused one: it ends at once, keeping what came.
    run.handle.send(Command::Cancel(TaskId::at(0)));
    run.until(|model, _| model.downloads[0].state == State::Cancelled)
        .await;
    assert!(run.model.downloads[0].received >= 50);
    assert!(!run.model.downloads[0].paused, "an end lifts the pause");
    // Retry a paused one: a new run, not held, to the end.
    run.handle.send(Command::Retry(TaskId::at(1)));
    run.until(|model, _| model.downloads[1].state == State::Complete)
        .await;
    assert!(run.model.downloads[1].poem == *poem);
    assert_eq!(run.model.downloads[1].generation, 2);
}
