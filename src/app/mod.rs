//! The dashboard's loop: a thin `tokio::select!` over terminal input, engine
//! events and a frame timer. Events are drained in one go and mark the
//! screen dirty; the timer draws only when something changed (or, while
//! downloads run, when the clocks on screen would have moved).

mod keys;
pub mod terminal;

use std::time::Duration;

use crossterm::event::EventStream;
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::address::Address;
use crate::engine::{self, Command, Event, RunConfig, RunHandle};
use crate::model::view::View;
use crate::model::{LogLevel, Model};
use crate::report::{self, Saver, exit};
use crate::ui::{self, Areas, Theme};
use keys::Input;

/// How often the clocks on screen move while downloads run.
const CLOCK_TICK: Duration = Duration::from_millis(100);
/// How long quitting waits for cancelled downloads to report, so their
/// partial poems are saved.
const CANCEL_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct DashboardOptions {
    pub fps: u32,
    pub theme: Theme,
}

/// Runs the dashboard until the user quits (or a signal arrives), then
/// restores the terminal, prints the plain summary and returns the exit status.
pub async fn run(
    addresses: Vec<Address>,
    config: RunConfig,
    options: DashboardOptions,
    saver: Option<&Saver>,
) -> color_eyre::Result<i32> {
    let mut model = Model::for_dashboard(addresses.clone(), config.limits);
    let signals = Signals::install();
    let mut tui = terminal::enter()?;
    let restore = terminal::Restore;
    let (engine, mut events) = engine::start(addresses, config);
    let mut app = App {
        model: &mut model,
        view: View::default(),
        areas: Areas::default(),
        saver,
        options,
    };
    let status = app
        .event_loop(&mut tui, &engine, &mut events, signals)
        .await;
    drop(restore);
    let status = status?;

    // Downloads still running are cancelled; give them a moment to report
    // so what arrived is counted and saved.
    engine.send(Command::CancelAll);
    let _ = tokio::time::timeout(CANCEL_GRACE, async {
        while !app.model.all_ended() {
            match events.recv().await {
                Some(event) => app.apply(event),
                None => break,
            }
        }
    })
    .await;
    eprint!("{}", report::final_summary(app.model, status.is_some()));
    Ok(status.unwrap_or_else(|| report::exit_status(app.model, None, false)))
}

struct App<'a> {
    model: &'a mut Model,
    view: View,
    areas: Areas,
    saver: Option<&'a Saver>,
    options: DashboardOptions,
}

impl App<'_> {
    fn apply(&mut self, mut event: Event) {
        if !self.model.apply(&mut event) {
            return;
        }
        if let Some(saver) = self.saver
            && let Err(err) = report::save_on_end(saver, &event, self.model)
        {
            self.model.note(
                event.at,
                event.task,
                LogLevel::Bad,
                format!("cannot save: {err}"),
            );
        }
    }

    /// Returns `Some(status)` when a signal or Ctrl-C ended it, `None` on a
    /// plain quit.
    async fn event_loop(
        &mut self,
        tui: &mut terminal::Tui,
        engine: &RunHandle,
        events: &mut UnboundedReceiver<Event>,
        mut signals: Signals,
    ) -> color_eyre::Result<Option<i32>> {
        let frame = Duration::from_secs_f64(1.0 / f64::from(self.options.fps.clamp(1, 240)));
        let mut input = EventStream::new();
        let mut dirty = true;
        let mut events_open = true;
        let mut last_draw = Instant::now() - frame;
        loop {
            let next_draw = if dirty {
                Some(last_draw + frame)
            } else if self.model.any_active() {
                Some(last_draw + CLOCK_TICK)
            } else {
                None // nothing can change on screen: sleep until something happens
            };
            tokio::select! {
                biased;
                terminal_event = input.next() => match terminal_event {
                    Some(Ok(terminal_event)) => match keys::input(&terminal_event, &self.areas) {
                        Some(Input::Action(action)) => {
                            let now = std::time::Instant::now();
                            if let Some(command) = self.view.handle(action, self.model, now) {
                                engine.send(command);
                            }
                            if self.view.quit {
                                return Ok(None);
                            }
                            dirty = true;
                        }
                        Some(Input::Redraw) => {
                            tui.clear()?;
                            dirty = true;
                        }
                        Some(Input::Interrupt) => return Ok(Some(exit::INTERRUPTED)),
                        None => {}
                    },
                    Some(Err(err)) => return Err(err.into()),
                    None => return Ok(None),
                },
                status = signals.next() => return Ok(Some(status)),
                _ = tokio::time::sleep_until(next_draw.unwrap_or(last_draw)), if next_draw.is_some() => {
                    let now = std::time::Instant::now();
                    tui.draw(|frame| {
                        self.areas = ui::draw(frame, self.model, &mut self.view, now, &self.options.theme);
                    })?;
                    last_draw = Instant::now();
                    dirty = false;
                }
                event = events.recv(), if events_open => {
                    let Some(event) = event else {
                        events_open = false;
                        continue;
                    };
                    self.apply(event);
                    while let Ok(event) = events.try_recv() {
                        self.apply(event);
                    }
                    dirty = true;
                }
            }
        }
    }
}

/// SIGTERM, SIGHUP and SIGINT (a Ctrl-C from outside the terminal, since
/// raw mode turns the key into input), each ending the dashboard with its
/// conventional status.
struct Signals {
    streams: Vec<(tokio::signal::unix::Signal, i32)>,
}

impl Signals {
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        let wanted = [
            (SignalKind::terminate(), exit::TERMINATED),
            (SignalKind::hangup(), exit::HANGUP),
            (SignalKind::interrupt(), exit::INTERRUPTED),
        ];
        let streams = wanted
            .into_iter()
            .filter_map(|(kind, status)| signal(kind).ok().map(|stream| (stream, status)))
            .collect();
        Signals { streams }
    }

    async fn next(&mut self) -> i32 {
        if self.streams.is_empty() {
            return std::future::pending().await;
        }
        let waits = self.streams.iter_mut().map(|(stream, status)| {
            let status = *status;
            Box::pin(async move {
                stream.recv().await;
                status
            })
        });
        futures_util::future::select_all(waits).await.0
    }
}
