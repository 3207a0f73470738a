//! The engine's clocks under pause, Ctrl-Z (a freeze of the whole process)
//! and backoff, against our own servers on loopback: every clock stops
//! while its download is held, none is reset, and a stop inside a pause is
//! counted once. `RunHandle::freeze` is what the dashboard calls around
//! SIGTSTP; here the process goes on running while frozen, which is the
//! harder case (in a stopped process no timer can fire early).
//!
//! Each test compares the engine's own event times with what the limits
//! allow, within [`SLACK`]; each bug they stand for moves an event by 1.5 s
//! or more, so a loaded machine's lateness is never mistaken for one.

mod common;

use std::time::{Duration, Instant};

use common::*;
use poetry_dash::engine::{
    Backoff, Command, Event, EventKind, FailReason, Limits, RunConfig, TaskId,
};
use poetry_dash::serve::{Behaviour, Pacing};

/// How far an event may come after the instant the limits give for it:
/// scheduling on a loaded two-core machine, well under any bug's effect.
const SLACK: Duration = Duration::from_millis(700);

fn limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        deadline: None,
        max_bytes: Some(1 << 20),
        transform_timeout: Duration::from_secs(10),
    }
}

/// Attempts retried `retries` times after a fixed wait of `wait_ms`
/// (jittered down to half of it), within a deadline of `deadline_ms` if one
/// is given.
fn retrying(retries: u32, wait_ms: u64, deadline_ms: Option<u64>) -> RunConfig {
    RunConfig {
        limits: Limits {
            deadline: deadline_ms.map(Duration::from_millis),
            ..limits()
        },
        retries,
        backoff: Backoff {
            first: Duration::from_millis(wait_ms),
            max: Duration::from_millis(wait_ms),
        },
        ..RunConfig::default()
    }
}

/// Waits for the first event of task 1 that `wanted` picks, applying every
/// event on the way.
async fn next_event(run: &mut Run, mut wanted: impl FnMut(&EventKind) -> bool) -> Event {
    let mut found = None;
    run.until(|_, event| {
        let hit = event.task == TaskId::at(0) && wanted(&event.kind);
        if hit {
            found = Some(event.clone());
        }
        hit
    })
    .await;
    found.expect("found")
}

/// The next `Retrying` of task 1, and the wait it announced.
async fn next_retry(run: &mut Run) -> (Event, Duration) {
    let retrying = next_event(run, |kind| matches!(kind, EventKind::Retrying { .. })).await;
    let EventKind::Retrying { after, .. } = retrying.kind else {
        unreachable!("picked for being a retry")
    };
    (retrying, after)
}

fn is_failed(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Failed { .. })
}

fn reason(event: &Event) -> &FailReason {
    match &event.kind {
        EventKind::Failed { error } => &error.reason,
        other => panic!("not a failure: {other:?}"),
    }
}

/// Holds the whole engine still for `how_long`, as Ctrl-Z then `fg` does.
async fn freeze_for(run: &Run, how_long: Duration) -> Duration {
    let started = Instant::now();
    assert_eq!(
        run.handle.freeze(true),
        None,
        "a stop begun says nothing yet"
    );
    tokio::time::sleep(how_long).await;
    let shift = run
        .handle
        .freeze(false)
        .expect("the stop's length, at its end");
    let stopped = started.elapsed();
    // For the listener's own clocks: as long as the stop, ending now.
    assert!(shift.by >= how_long && shift.by <= stopped, "{shift:?}");
    assert!(shift.ended.elapsed() < Duration::from_secs(1), "{shift:?}");
    stopped
}

fn assert_between(what: &str, at: Instant, earliest: Instant) {
    assert!(
        at + Duration::from_millis(5) >= earliest,
        "{what} came {:?} early",
        earliest - at
    );
    assert!(
        at <= earliest + SLACK,
        "{what} came {:?} late",
        at - earliest
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_during_a_backoff_moves_its_wait_and_the_deadline() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    let config = retrying(100, 800, Some(1500));
    let mut run = Run::start(vec![address], config);
    let first = next_event(&mut run, |kind| {
        matches!(kind, EventKind::Connecting { .. })
    })
    .await;
    let (retrying, after) = next_retry(&mut run).await;
    let stopped = freeze_for(&run, Duration::from_millis(2000)).await;
    let second = next_event(&mut run, |kind| {
        matches!(kind, EventKind::Connecting { attempt: 2, .. })
    })
    .await;
    // The wait goes on after the stop with what was left of it.
    assert_between(
        "the second attempt",
        second.at,
        retrying.at + after + stopped,
    );
    let failed = next_event(&mut run, is_failed).await;
    assert_eq!(
        reason(&failed),
        &FailReason::Deadline(Duration::from_millis(1500))
    );
    assert!(
        failed.at + Duration::from_millis(5) >= first.at + Duration::from_millis(1500) + stopped,
        "the deadline did not move by the stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_while_connecting_moves_the_connect_timeout() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Full).await;
    let config = RunConfig {
        limits: Limits {
            connect_timeout: Duration::from_millis(800),
            ..limits()
        },
        ..RunConfig::default()
    };
    let mut run = Run::start(vec![address], config);
    let connecting = next_event(&mut run, |kind| {
        matches!(kind, EventKind::Connecting { .. })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = freeze_for(&run, Duration::from_millis(2000)).await;
    let failed = next_event(&mut run, is_failed).await;
    assert_eq!(
        reason(&failed),
        &FailReason::ConnectTimeout(Duration::from_millis(800))
    );
    assert_between(
        "the connect timeout",
        failed.at,
        connecting.at + Duration::from_millis(800) + stopped,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_paused_while_connecting_holds_its_connect_timeout() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Full).await;
    let config = RunConfig {
        limits: Limits {
            connect_timeout: Duration::from_millis(800),
            ..limits()
        },
        ..RunConfig::default()
    };
    let mut run = Run::start(vec![address], config);
    let connecting = next_event(&mut run, |kind| {
        matches!(kind, EventKind::Connecting { .. })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    run.handle.send(Command::Pause(TaskId::at(0)));
    let paused = next_event(&mut run, |kind| matches!(kind, EventKind::Paused { .. })).await;
    // Held for twice the connect timeout: it must not fire.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    run.handle.send(Command::Resume(TaskId::at(0)));
    let resumed = next_event(&mut run, |kind| matches!(kind, EventKind::Resumed { .. })).await;
    let failed = next_event(&mut run, is_failed).await;
    assert_eq!(
        reason(&failed),
        &FailReason::ConnectTimeout(Duration::from_millis(800))
    );
    assert!(
        failed.at > resumed.at,
        "failed while paused, {:?} after the pause",
        failed.at - paused.at
    );
    // What was left of the 800 ms when it was paused, after the resume.
    let left = Duration::from_millis(800) - (paused.at - connecting.at);
    assert_between("the connect timeout", failed.at, resumed.at + left);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_goes_on_with_the_idle_clock_where_it_stopped() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Stall).await;
    let config = RunConfig {
        limits: Limits {
            idle_timeout: Duration::from_millis(2500),
            ..limits()
        },
        ..RunConfig::default()
    };
    let mut run = Run::start(vec![address], config);
    let connected = next_event(&mut run, |kind| matches!(kind, EventKind::Connected { .. })).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    run.handle.send(Command::Pause(TaskId::at(0)));
    let paused = next_event(&mut run, |kind| matches!(kind, EventKind::Paused { .. })).await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    run.handle.send(Command::Resume(TaskId::at(0)));
    let resumed = next_event(&mut run, |kind| matches!(kind, EventKind::Resumed { .. })).await;
    let failed = next_event(&mut run, is_failed).await;
    assert_eq!(
        reason(&failed),
        &FailReason::IdleTimeout(Duration::from_millis(2500))
    );
    // 2.5 s of silence in all, the pause left out: what was left of it when
    // paused runs out after the resume (not a whole new 2.5 s).
    let silent_before = paused.at - connected.at;
    assert_between(
        "the idle timeout",
        failed.at,
        resumed.at + (Duration::from_millis(2500) - silent_before),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_inside_a_pause_moves_the_deadline_once() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Stall).await;
    let config = RunConfig {
        limits: Limits {
            deadline: Some(Duration::from_millis(1500)),
            ..limits()
        },
        ..RunConfig::default()
    };
    let mut run = Run::start(vec![address], config);
    let connecting = next_event(&mut run, |kind| {
        matches!(kind, EventKind::Connecting { .. })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    run.handle.send(Command::Pause(TaskId::at(0)));
    let paused = next_event(&mut run, |kind| matches!(kind, EventKind::Paused { .. })).await;
    freeze_for(&run, Duration::from_millis(2000)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    run.handle.send(Command::Resume(TaskId::at(0)));
    let resumed = next_event(&mut run, |kind| matches!(kind, EventKind::Resumed { .. })).await;
    let failed = next_event(&mut run, is_failed).await;
    assert_eq!(
        reason(&failed),
        &FailReason::Deadline(Duration::from_millis(1500))
    );
    // 1.5 s of unpaused time in all: what was left when paused, after the
    // resume. (Counting the stop twice would add its two seconds.)
    let left = Duration::from_millis(1500) - (paused.at - connecting.at);
    assert_between("the deadline", failed.at, resumed.at + left);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_whose_deadline_passed_in_line_fails_without_an_attempt() {
    // One slot. The first download is refused and waits out a short
    // backoff; meanwhile the second takes the slot and stalls past the
    // first one's deadline, so the first gets the slot back too late.
    let server = serve(vec![
        spec(ECSTASY, Pacing::fast(), Behaviour::ResetAfter(100)),
        spec(ECSTASY, Pacing::fast(), Behaviour::Stall),
    ])
    .await;
    let config = RunConfig {
        concurrency: 1,
        ..retrying(5, 50, Some(600))
    };
    let mut run = Run::start(vec![address_of(&server, 0), address_of(&server, 1)], config);
    let failed = next_event(&mut run, is_failed).await;
    assert_eq!(
        reason(&failed),
        &FailReason::Deadline(Duration::from_millis(600))
    );
    let EventKind::Failed { error } = &failed.kind else {
        unreachable!()
    };
    // The bytes its last attempt got, as the row shows them: 100 (a reset
    // can discard some that were not yet read, on a loaded machine, so the
    // figure is the one that attempt's retry reported).
    let last_attempt = run
        .log
        .iter()
        .rev()
        .find_map(|event| match &event.kind {
            EventKind::Retrying { error, .. } if event.task == TaskId::at(0) => {
                Some(error.received)
            }
            _ => None,
        })
        .expect("the first download retried");
    assert_eq!(
        error.received, last_attempt,
        "the bytes its attempt got, as the row shows"
    );
    let attempts: Vec<u32> = run
        .log
        .iter()
        .filter(|event| event.task == TaskId::at(0))
        .filter_map(|event| match event.kind {
            EventKind::Connecting { attempt, .. } => Some(attempt),
            _ => None,
        })
        .collect();
    assert_eq!(
        attempts,
        [1],
        "only the attempt the server saw is claimed: {:#?}",
        run.log
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_during_a_backoff_holds_its_wait_and_the_rest_runs_after_the_resume() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    let config = retrying(2, 1600, None);
    let mut run = Run::start(vec![address], config);
    let (retrying, after) = next_retry(&mut run).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    run.handle.send(Command::Pause(TaskId::at(0)));
    let paused = next_event(&mut run, |kind| matches!(kind, EventKind::Paused { .. })).await;
    // Held past the whole wait: no attempt may start meanwhile.
    let held_until = tokio::time::Instant::now() + after + Duration::from_millis(1500);
    while let Ok(Some(mut event)) = tokio::time::timeout_at(held_until, run.events.recv()).await {
        assert!(
            !matches!(event.kind, EventKind::Connecting { .. }),
            "an attempt started while paused: {event:?}"
        );
        run.model.apply(&mut event);
    }
    run.handle.send(Command::Resume(TaskId::at(0)));
    let resumed = next_event(&mut run, |kind| matches!(kind, EventKind::Resumed { .. })).await;
    let second = next_event(&mut run, |kind| {
        matches!(kind, EventKind::Connecting { attempt: 2, .. })
    })
    .await;
    // What was left of the wait when it was paused, after the resume.
    let left = (retrying.at + after).saturating_duration_since(paused.at);
    assert_between("the second attempt", second.at, resumed.at + left);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_resumed_within_a_backoff_moves_its_end_by_the_pause() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    // Jittered to 1.5-3 s: a 1.2 s pause from 0.2 s ends inside it.
    let config = retrying(2, 3000, None);
    let mut run = Run::start(vec![address], config);
    let (retrying, after) = next_retry(&mut run).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    run.handle.send(Command::Pause(TaskId::at(0)));
    let paused = next_event(&mut run, |kind| matches!(kind, EventKind::Paused { .. })).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    run.handle.send(Command::Resume(TaskId::at(0)));
    let resumed = next_event(&mut run, |kind| matches!(kind, EventKind::Resumed { .. })).await;
    let second = next_event(&mut run, |kind| {
        matches!(kind, EventKind::Connecting { attempt: 2, .. })
    })
    .await;
    // The wait's end moved by the pause (the first end, now stale, starts
    // nothing).
    assert_between(
        "the second attempt",
        second.at,
        retrying.at + after + (resumed.at - paused.at),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cancelled_in_its_backoff_never_starts_again() {
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    // Retries enough that a slow test thread cannot see it fail for good
    // before the cancel lands (each attempt fails at once; the waits are
    // 0.4 s).
    let config = retrying(100, 400, None);
    let mut run = Run::start(vec![address], config);
    let (_, after) = next_retry(&mut run).await;
    run.handle.send(Command::Cancel(TaskId::at(0)));
    next_event(&mut run, |kind| matches!(kind, EventKind::Cancelled { .. })).await;
    // Past the backoff's end, and more: nothing starts.
    let until = tokio::time::Instant::now() + after + Duration::from_millis(600);
    while let Ok(Some(event)) = tokio::time::timeout_at(until, run.events.recv()).await {
        assert!(
            !matches!(event.kind, EventKind::Connecting { .. }),
            "a cancelled download started again: {event:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_inside_an_attempt_that_is_then_retried_moves_the_deadline() {
    // Each attempt gets 150 bytes over about 0.3 s, then a reset; retries
    // come 0.1 s apart, until the 2 s deadline. The first attempt is paused
    // for 1.5 s: the deadline moves by it.
    let (_server, address) = serve_one(ECSTASY, paced(50, 100), Behaviour::ResetAfter(150)).await;
    let config = retrying(1000, 100, Some(2000));
    let mut run = Run::start(vec![address], config);
    let first = next_event(&mut run, |kind| {
        matches!(kind, EventKind::Connecting { .. })
    })
    .await;
    next_event(&mut run, |kind| matches!(kind, EventKind::Progress { .. })).await;
    run.handle.send(Command::Pause(TaskId::at(0)));
    let paused = next_event(&mut run, |kind| matches!(kind, EventKind::Paused { .. })).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    run.handle.send(Command::Resume(TaskId::at(0)));
    let resumed = next_event(&mut run, |kind| matches!(kind, EventKind::Resumed { .. })).await;
    let failed = next_event(&mut run, is_failed).await;
    assert_eq!(
        reason(&failed),
        &FailReason::Deadline(Duration::from_millis(2000))
    );
    assert_between(
        "the deadline",
        failed.at,
        first.at + Duration::from_millis(2000) + (resumed.at - paused.at),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_during_a_backoff_moves_the_deadline_by_the_pause() {
    // Attempts that fail at once, 0.2-0.4 s apart, until a 2 s deadline; a
    // pause of 1.5 s in the first backoff moves the deadline by its length
    // (moved back instead, it would have passed at the resume).
    let (_server, address) = serve_one(ECSTASY, Pacing::fast(), Behaviour::Refuse).await;
    let config = retrying(1000, 400, Some(2000));
    let mut run = Run::start(vec![address], config);
    let connecting = next_event(&mut run, |kind| {
        matches!(kind, EventKind::Connecting { attempt: 1, .. })
    })
    .await;
    next_retry(&mut run).await;
    run.handle.send(Command::Pause(TaskId::at(0)));
    let paused = next_event(&mut run, |kind| matches!(kind, EventKind::Paused { .. })).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    run.handle.send(Command::Resume(TaskId::at(0)));
    let resumed = next_event(&mut run, |kind| matches!(kind, EventKind::Resumed { .. })).await;
    let failed = next_event(&mut run, is_failed).await;
    assert_eq!(
        reason(&failed),
        &FailReason::Deadline(Duration::from_millis(2000))
    );
    assert_between(
        "the deadline",
        failed.at,
        connecting.at + Duration::from_millis(2000) + (resumed.at - paused.at),
    );
}
