//! What the dashboard costs per frame and per event, on ratatui's
//! `TestBackend` (no terminal): `cargo bench`.
//!
//! - `draw/10k rows, 1 MiB poem`: one whole frame at 200x50 with ten thousand
//!   downloads in the table and a 1 MiB poem selected and in view, scrolled
//!   to its middle (target: at most 2 ms).
//! - `draw/one enormous line`: the same with a 1 MiB poem that has no newline.
//! - `model/apply progress`: folding one progress event into the model.
//! - `model/index 1 MiB`: the dashboard's per-byte work on received text.
//! - `key at 1M rows/...`: one key press and the frame that shows it, with a
//!   million downloads (100,000 complete, 10 receiving, the rest queued):
//!   moving the selection, changing the filter, and changing the sort (given
//!   to state, answered from the state index; state to rate, which sorts).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use criterion::{Criterion, criterion_group, criterion_main};
use poetry_dash::address::Address;
use poetry_dash::engine::{Event, EventKind, Limits, TaskId};
use poetry_dash::model::Model;
use poetry_dash::model::view::{Action, Focus, View};
use poetry_dash::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ECSTASY: &str = include_str!("../assets/poems/ecstasy.txt");

fn feed(model: &mut Model, at: Instant, task: usize, kind: EventKind) {
    model.apply(&mut Event {
        task: TaskId::at(task),
        generation: 1,
        at,
        kind,
    });
}

/// Ten thousand downloads part way through, the first with `poem` received
/// in 4 KiB reads.
fn scene(poem: &[u8]) -> (Model, Instant) {
    let t0 = Instant::now();
    let addresses = (0..10_000).map(|i| Address::loopback(20_000 + i as u16));
    let mut model = Model::for_dashboard(addresses, Limits::default());
    for task in 0..10_000 {
        feed(
            &mut model,
            t0,
            task,
            EventKind::Connecting { attempt: 1, of: 1 },
        );
        let piece = &ECSTASY.as_bytes()[..task % 1000 + 1];
        let data = vec![BytesMut::from(piece)];
        feed(
            &mut model,
            t0,
            task,
            EventKind::Progress {
                data,
                received: piece.len() as u64,
            },
        );
    }
    feed(
        &mut model,
        t0,
        0,
        EventKind::Connecting { attempt: 1, of: 1 },
    );
    let mut received = 0;
    for piece in poem.chunks(4096) {
        received += piece.len() as u64;
        let data = vec![BytesMut::from(piece)];
        feed(&mut model, t0, 0, EventKind::Progress { data, received });
    }
    // As the run loop does for the poem in view before each frame.
    model.index_poem(TaskId::at(0));
    (model, t0 + Duration::from_secs(1))
}

fn megabyte_of_poetry() -> Vec<u8> {
    ECSTASY
        .as_bytes()
        .iter()
        .copied()
        .cycle()
        .take(1 << 20)
        .collect()
}

fn draw(c: &mut Criterion) {
    let theme = Theme::new(true);
    let mut group = c.benchmark_group("draw");
    for (name, poem) in [
        ("10k rows, 1 MiB poem", megabyte_of_poetry()),
        ("one enormous line", vec![b'x'; 1 << 20]),
    ] {
        let (model, now) = scene(&poem);
        let mut view = View::default();
        // Scroll the poem to its middle, as far from both ends as it gets.
        view.handle(Action::FocusNext, &model, now);
        let middle = model.downloads[0].line_count() / 2;
        view.handle(Action::Scroll(Focus::Poem, middle as i32), &model, now);
        let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
        group.bench_function(name, |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| {
                        black_box(ui::show(frame, &model, &mut view, now, &theme));
                    })
                    .expect("draws");
            })
        });
    }
    group.finish();
}

fn apply(c: &mut Criterion) {
    let t0 = Instant::now();
    let mut model = Model::for_dashboard(
        (0..1000).map(|i| Address::loopback(20_000 + i)),
        Limits::default(),
    );
    for task in 0..1000 {
        feed(
            &mut model,
            t0,
            task,
            EventKind::Connecting { attempt: 1, of: 1 },
        );
    }
    let piece = &ECSTASY.as_bytes()[..256];
    let mut task = 0;
    c.bench_function("model/apply progress", |b| {
        b.iter(|| {
            task = (task + 1) % 1000;
            let data = vec![BytesMut::from(piece)];
            let mut event = Event {
                task: TaskId::at(task),
                generation: 1,
                at: t0,
                kind: EventKind::Progress {
                    data,
                    received: 256,
                },
            };
            black_box(model.apply(&mut event));
        })
    });
}

/// Receiving 1 MiB of text in the dashboard's model, the poem in view: the
/// line index and the control-character count see every byte once, as it
/// arrives.
fn index(c: &mut Criterion) {
    let poem = megabyte_of_poetry();
    let t0 = Instant::now();
    let mut group = c.benchmark_group("model");
    group.throughput(criterion::Throughput::Bytes(poem.len() as u64));
    group.bench_function("index 1 MiB received in 64 KiB reads", |b| {
        b.iter(|| {
            let mut model = Model::for_dashboard([Address::loopback(1)], Limits::default());
            model.follow_poem(Some(TaskId::at(0)));
            feed(
                &mut model,
                t0,
                0,
                EventKind::Connecting { attempt: 1, of: 1 },
            );
            for piece in poem.chunks(64 << 10) {
                let data = vec![BytesMut::from(piece)];
                feed(&mut model, t0, 0, EventKind::Progress { data, received: 0 });
            }
            black_box(model.downloads[0].line_count())
        })
    });
    group.finish();
}

/// A million downloads: 100,000 complete, ten receiving, the rest queued.
fn million() -> (Model, Instant) {
    const ROWS: usize = 1_000_000;
    let t0 = Instant::now();
    let addresses = (0..ROWS).map(|i| Address::loopback(20_000 + (i % 10) as u16));
    let mut model = Model::for_dashboard(addresses, Limits::default());
    let piece = &ECSTASY.as_bytes()[..256];
    for task in 0..100_010 {
        feed(
            &mut model,
            t0,
            task,
            EventKind::Connecting { attempt: 1, of: 1 },
        );
        let data = vec![BytesMut::from(piece)];
        feed(
            &mut model,
            t0,
            task,
            EventKind::Progress {
                data,
                received: 256,
            },
        );
        if task < 100_000 {
            let times = Default::default();
            feed(
                &mut model,
                t0,
                task,
                EventKind::Finished {
                    received: 256,
                    times,
                },
            );
        }
    }
    (model, t0)
}

fn key_at_a_million_rows(c: &mut Criterion) {
    let (model, t0) = million();
    let now = t0 + Duration::from_secs(1);
    let theme = Theme::from_env(true);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test terminal");
    let mut group = c.benchmark_group("key at 1M rows");
    let mut press = |name: &str, keys: &[Action], view: &mut View| {
        group.bench_function(name, |b| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                black_box(view.handle(keys[i % keys.len()], &model, now));
                terminal
                    .draw(|frame| {
                        black_box(ui::show(frame, &model, view, now, &theme));
                    })
                    .expect("draws");
            })
        });
    };
    // Near the end of the list, among the queued rows.
    let mut view = View::default();
    view.handle(Action::Last, &model, now);
    for _ in 0..5 {
        view.handle(Action::PageUp, &model, now);
    }
    press(
        "selection down/up",
        &[Action::Down, Action::Up],
        &mut view.clone(),
    );
    // All, active, complete, failed, all...: the index answers each.
    press("filter change", &[Action::CycleFilter], &mut view.clone());
    // One press of `s` from a given view: given -> state (the index answers
    // it); and from state: state -> rate (a sort of every row, made once per
    // change and kept while nothing changes).
    use poetry_dash::model::view::SortOrder;
    for (name, from) in [
        ("sort change given to state", SortOrder::Given),
        ("sort change state to rate (sorts)", SortOrder::State),
    ] {
        let mut before = view.clone();
        before.sort = from;
        if from == SortOrder::State {
            group.sample_size(10);
        }
        group.bench_function(name, |b| {
            b.iter_batched(
                || before.clone(),
                |mut view| {
                    black_box(view.handle(Action::CycleSort, &model, now));
                    terminal
                        .draw(|frame| {
                            black_box(ui::show(frame, &model, &mut view, now, &theme));
                        })
                        .expect("draws");
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, draw, apply, index, key_at_a_million_rows);
criterion_main!(benches);
