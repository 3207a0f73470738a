//! The dashboard's loop: a thin `tokio::select!` over terminal input, engine
//! events and a frame timer. Events are drained in one go and mark the
//! screen dirty; the timer draws only when something changed (or, while
//! downloads run, when the clocks on screen would have moved).

mod keys;
mod perf;
pub mod terminal;

use std::io::IsTerminal;
use std::time::Duration;

use crossterm::event::EventStream;
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::address::{Address, Streamed};
use crate::engine::{self, Command, Event, RunConfig, RunHandle};
use crate::model::Model;
use crate::model::view::{Filter, PromptDone, PromptInput, STATUS_FOR, SortOrder, View};
use crate::report::{self, exit};
use crate::session::{Keep, Session, Sources, Written};
use crate::signals::Signals;
use crate::ui::{self, Areas, Theme};
use keys::Input;
use perf::Perf;

/// How often the clocks on screen move while downloads run.
const CLOCK_TICK: Duration = Duration::from_millis(100);
/// How long quitting waits for cancelled downloads to report, so their
/// partial poems are saved.
const CANCEL_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct DashboardOptions {
    pub fps: u32,
    pub theme: Theme,
    /// Close the dashboard once every download has ended.
    pub exit_when_done: bool,
    /// Print frame and key-latency statistics after closing.
    pub stats: bool,
    /// The view at start (`--sort`, `--filter`, `--search`).
    pub sort: SortOrder,
    pub filter: Filter,
    pub search: String,
}

/// Runs the dashboard until the user quits (or a signal arrives), then
/// restores the terminal, prints the plain summary and returns the exit status.
pub async fn run(
    input: Sources,
    config: RunConfig,
    options: DashboardOptions,
    mut keep: Keep,
) -> color_eyre::Result<i32> {
    let model = Model::for_dashboard([], config.limits);
    let signals = Signals::install();
    let mut tui = terminal::enter()?;
    let restore = terminal::Restore;
    let (engine, mut events) = engine::start(Vec::<Address>::new(), config);
    let mut app = App {
        // With the dashboard on /dev/tty, stdout gets each poem as it
        // completes, byte for byte, as headless would write it.
        session: Session::new(
            model,
            keep.saver,
            keep.events,
            !std::io::stdout().is_terminal(),
        ),
        view: View {
            sort: options.sort,
            filter: options.filter,
            search: options.search.clone(),
            ..View::default()
        },
        stream: input.stream,
        bad_lines: Vec::new(),
        record_failed: false,
        areas: Areas::default(),
        options,
        perf: Perf::default(),
        save_failures: Vec::new(),
        stdout_broken: None,
    };
    app.session.model.more_coming = app.stream.is_some();
    if !input.addresses.is_empty() {
        engine.send(app.session.add(input.addresses));
    }
    let status = app
        .event_loop(&mut tui, &engine, &mut events, signals)
        .await;
    drop(restore);
    // Even when drawing or the terminal failed, downloads still running are
    // cancelled, what arrived is saved and the summary is printed; the error
    // is reported after that.
    let (status, failure) = match status {
        Ok(status) => (status, None),
        Err(err) => (None, Some(err)),
    };

    // Downloads still running are cancelled; give them a moment to report
    // so what arrived is counted and saved. Nothing more is read.
    app.stream = None;
    app.session.model.more_coming = false;
    engine.send(Command::CancelAll);
    let _ = tokio::time::timeout(CANCEL_GRACE, async {
        while !app.session.model.all_ended() {
            match events.recv().await {
                Some(event) => app.apply(event),
                None => break,
            }
        }
    })
    .await;
    // Poems still being written are waited for: the summary counts them.
    for report in app.session.all_written().await {
        app.note_written(report);
    }
    if let Some(err) = &app.stdout_broken {
        eprintln!("error: cannot write to stdout ({err}); stopped");
    }
    eprint!(
        "{}",
        report::final_summary(&app.session.model, status.is_some())
    );
    // The log pane that showed them is gone with the screen.
    for failure in app.save_failures.iter().chain(&app.bad_lines) {
        eprintln!("{failure}");
    }
    let finished = report::finish(&mut app.session, &mut keep.save_failed, status.is_some());
    for problem in &finished {
        eprintln!("error: {problem}");
    }
    if app.options.stats {
        eprint!("{}", app.perf.report());
    }
    if let Some(err) = failure {
        return Err(err);
    }
    if !app.bad_lines.is_empty() && status.is_none() {
        eprintln!(
            "error: {} input line(s) were not addresses and were skipped",
            app.bad_lines.len()
        );
        return Ok(exit::USAGE);
    }
    let problems = app.stdout_broken.is_some() || app.record_failed || !finished.is_empty();
    Ok(status.unwrap_or_else(|| report::exit_status(&app.session.model, None, problems)))
}

struct App {
    session: Session,
    view: View,
    areas: Areas,
    options: DashboardOptions,
    perf: Perf,
    /// Poems that could not be saved: they make the exit status 1, as
    /// headless.
    save_failures: Vec<String>,
    /// Stdout (a file or pipe under a dashboard on /dev/tty) could not be
    /// written: the run stops and says so.
    stdout_broken: Option<std::io::Error>,
    /// The `--events` file could not be written: the exit status is 1.
    record_failed: bool,
    /// Addresses still arriving (`-i -`, a FIFO): a row per line.
    stream: Option<UnboundedReceiver<Streamed>>,
    /// Lines of the stream that were not addresses, named: skipped, shown
    /// in the log, printed again at the end, and the exit status is 2.
    bad_lines: Vec<String>,
}

/// The next line of a streamed list; `None` once it has ended (pending
/// forever when there is none).
async fn next_line(stream: &mut Option<UnboundedReceiver<Streamed>>) -> Option<Streamed> {
    match stream {
        Some(stream) => stream.recv().await,
        None => std::future::pending().await,
    }
}

impl App {
    fn apply(&mut self, mut event: Event) {
        let lag = event.at.elapsed();
        if !self.session.apply(&mut event) {
            return;
        }
        self.perf.event(lag);
    }

    /// Saves that failed since the last look: already in the model's log;
    /// kept to print after the screen is gone.
    fn collect_saves(&mut self) -> bool {
        let reports = self.session.written();
        let mut any = false;
        for report in reports {
            any |= self.note_written(report);
        }
        any
    }

    /// Keeps what the writer reported; true when the screen should show it.
    fn note_written(&mut self, report: Written) -> bool {
        match report {
            Written::Done => false,
            Written::SaveFailed(failure) => {
                self.save_failures.push(failure.line());
                true
            }
            Written::StdoutBroken(err) => {
                self.stdout_broken.get_or_insert(err);
                true
            }
            Written::RecordFailed(message) => {
                let now = std::time::Instant::now();
                let line = format!("error: {message}");
                self.session
                    .model
                    .note(now, None, crate::model::LogLevel::Bad, message);
                self.save_failures.push(line);
                self.record_failed = true;
                true
            }
        }
    }

    /// A key typed into the open prompt; Enter in the add prompt adds the
    /// servers typed (all of them, or none and the error says why).
    fn prompt_input(&mut self, typed: PromptInput, engine: &RunHandle) {
        let PromptDone::Add(text) = self.view.prompt_input(typed) else {
            return;
        };
        match crate::address::parse_many(&text) {
            Ok(addresses) if addresses.is_empty() => self.view.prompt_failed(
                "type one or more addresses: PORT, HOST:PORT or NAME=ADDRESS".into(),
            ),
            Ok(addresses) => {
                let count = addresses.len();
                let first = self.session.model.downloads.len() + 1;
                engine.send(self.session.add(addresses));
                let message = match count {
                    1 => format!("added task {first}"),
                    n => format!("added tasks {first} to {}", first + n - 1),
                };
                self.view.prompt_done(std::time::Instant::now(), message);
            }
            Err(err) => self.view.prompt_failed(err.to_string()),
        }
    }

    /// A line of the streamed list, and every other one waiting: new rows,
    /// or a bad line named in the log.
    fn take_lines(&mut self, first: Option<Streamed>, engine: &RunHandle) {
        let Some(stream) = &mut self.stream else {
            return;
        };
        let (mut addresses, mut bad, mut ended) = report::take_streamed(stream);
        match first {
            Some(Streamed::Address(address)) => addresses.insert(0, address),
            Some(Streamed::Bad(message)) => bad.insert(0, message),
            None => ended = true,
        }
        let now = std::time::Instant::now();
        for message in bad {
            self.session.record_problem(None, &message);
            self.session
                .model
                .note(now, None, crate::model::LogLevel::Bad, message.clone());
            self.bad_lines.push(format!("error: {message} (skipped)"));
        }
        if !addresses.is_empty() {
            engine.send(self.session.add(addresses));
        }
        if ended {
            self.stream = None;
            self.session.model.more_coming = false;
        }
    }

    /// Applies every event waiting; returns whether there were any.
    fn drain(&mut self, events: &mut UnboundedReceiver<Event>) -> bool {
        let mut any = self.collect_saves();
        while let Ok(event) = events.try_recv() {
            self.apply(event);
            any = true;
        }
        any
    }

    fn draw(&mut self, tui: &mut terminal::Tui) -> color_eyre::Result<()> {
        let started = std::time::Instant::now();
        // The overlay stays out of the way of the help popup.
        let stats = (self.view.overlay && !self.view.help).then(|| self.perf.stats(started));
        tui.draw(|frame| {
            self.areas = ui::draw(
                frame,
                &self.session.model,
                &mut self.view,
                started,
                &self.options.theme,
            );
            if let Some(stats) = &stats {
                ui::overlay::draw(
                    frame,
                    self.areas.poem,
                    stats,
                    &self.options.theme,
                    self.view.gallery,
                );
            }
        })?;
        self.perf.frame(started, started.elapsed());
        // Debug builds only: lets the end-to-end tests prove that a panic
        // mid-dashboard still restores the terminal and prints its report.
        #[cfg(debug_assertions)]
        if self.perf.frame_count == 3 && std::env::var_os("POETRY_DASH_TEST_PANIC").is_some() {
            panic!("test panic requested by POETRY_DASH_TEST_PANIC");
        }
        // Likewise for a terminal that fails mid-run (debug builds only).
        #[cfg(debug_assertions)]
        if self.perf.frame_count == 10 && std::env::var_os("POETRY_DASH_TEST_DRAW_ERROR").is_some()
        {
            return Err(color_eyre::eyre::eyre!(
                "test drawing error requested by POETRY_DASH_TEST_DRAW_ERROR"
            ));
        }
        Ok(())
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
        let mut tick_at = Instant::now();
        loop {
            // While downloads run, events are collected once per frame
            // rather than waking the loop one by one; once everything has
            // ended the loop sleeps until a key, a signal or an event (a
            // retry) arrives, and draws nothing.
            let active = !self.session.model.all_ended();
            // A status message is on screen: draw again once it has faded.
            let fading = self
                .view
                .status
                .as_ref()
                .is_some_and(|(_, at)| at.elapsed() < STATUS_FOR + frame * 2);
            let next_tick = (active || dirty || fading).then_some(tick_at);
            let mut draw_now = false;
            tokio::select! {
                biased;
                terminal_event = input.next() => match terminal_event {
                    Some(Ok(terminal_event)) => match keys::input(
                        &terminal_event,
                        &self.areas,
                        self.view.prompt.is_some(),
                    ) {
                        Some(Input::Action(action)) => {
                            self.perf.key_pressed();
                            let now = std::time::Instant::now();
                            if let Some(command) = self.view.handle(action, &self.session.model, now) {
                                engine.send(command);
                            }
                            if self.view.quit {
                                return Ok(None);
                            }
                            draw_now = true;
                        }
                        Some(Input::Prompt(typed)) => {
                            self.perf.key_pressed();
                            self.prompt_input(typed, engine);
                            draw_now = true;
                        }
                        Some(Input::Suspend) => {
                            // No download fails for the time the process is
                            // stopped: every one is held until `fg`.
                            engine.freeze(true);
                            let suspended = terminal::suspend(tui);
                            // Let go even when coming back failed.
                            engine.freeze(false);
                            suspended?;
                            draw_now = true;
                        }
                        Some(Input::Redraw) => {
                            tui.clear()?;
                            draw_now = true;
                        }
                        Some(Input::Interrupt) => return Ok(Some(exit::INTERRUPTED)),
                        None => {}
                    },
                    Some(Err(err)) => return Err(err.into()),
                    None => return Ok(None),
                },
                status = signals.next() => return Ok(Some(status)),
                _ = tokio::time::sleep_until(tick_at), if next_tick.is_some() => {
                    tick_at = Instant::now() + frame;
                    dirty |= self.drain(events);
                    // Clocks and rates on screen move even without events.
                    let clocks_moved = active && last_draw.elapsed() >= CLOCK_TICK;
                    let faded = fading && last_draw.elapsed() >= CLOCK_TICK;
                    draw_now = dirty || clocks_moved || faded || (active && self.view.overlay);
                }
                event = events.recv(), if events_open && !active => match event {
                    Some(event) => {
                        self.apply(event);
                        self.drain(events);
                        dirty = true;
                        tick_at = Instant::now();
                    }
                    None => events_open = false,
                },
                line = next_line(&mut self.stream), if self.stream.is_some() => {
                    self.take_lines(line, engine);
                    dirty = true;
                    tick_at = Instant::now();
                }
                // A write that ends while nothing else happens (every
                // download over) is shown at once.
                report = self.session.next_written(), if !active => {
                    dirty |= self.note_written(report);
                    tick_at = Instant::now();
                }
            }
            if self.stdout_broken.is_some() {
                // The poems have nowhere to go: stop, as headless does.
                return Ok(Some(exit::SOME_FAILED));
            }
            if draw_now {
                self.draw(tui)?;
                last_draw = Instant::now();
                dirty = false;
            }
            if self.options.exit_when_done && self.session.model.all_ended() {
                self.drain(events);
                self.draw(tui)?;
                return Ok(None);
            }
        }
    }
}
