//! What the dashboard costs per frame and per event, on ratatui's
//! `TestBackend` (no terminal): `cargo bench`.
//!
//! - `draw/10k rows, 1 MiB poem`: one whole frame at 200x50 with ten thousand
//!   downloads in the table and a 1 MiB poem selected and in view, scrolled
//!   to its middle (target: at most 2 ms).
//! - `draw/one enormous line`: the same with a 1 MiB poem that has no newline.
//! - `model/apply progress`: folding one progress event into the model.
//! - `model/index 1 MiB`: the dashboard's per-byte work on received text.

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
        run: 1,
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
                        black_box(ui::draw(frame, &model, &mut view, now, &theme));
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
                run: 1,
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

/// Receiving 1 MiB of text in the dashboard's model: the line index and
/// the control-character count see every byte once.
fn index(c: &mut Criterion) {
    let poem = megabyte_of_poetry();
    let t0 = Instant::now();
    let mut group = c.benchmark_group("model");
    group.throughput(criterion::Throughput::Bytes(poem.len() as u64));
    group.bench_function("index 1 MiB received in 64 KiB reads", |b| {
        b.iter(|| {
            let mut model = Model::for_dashboard([Address::loopback(1)], Limits::default());
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

criterion_group!(benches, draw, apply, index);
criterion_main!(benches);
