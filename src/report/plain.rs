//! Plain text in the tutorial's words: progress and failures on stderr, the
//! poems themselves on stdout.

use std::io::{IsTerminal, Write};

use crate::engine::{Event, EventKind, TaskId};
use crate::model::{LogLevel, Model, News, State, batch_sentence};
use crate::text::sanitize;
use crate::units::clock;

pub struct PlainReporter {
    quiet: bool,
    /// The first error writing a poem to stdout (a closed pipe): the run
    /// stops, since the poems have nowhere to go.
    stdout_broken: Option<std::io::Error>,
    /// Poems written to a terminal are sanitised and get a heading; to a
    /// file or pipe their bytes pass unchanged.
    stdout_is_terminal: bool,
    /// Poems for a file or pipe, written together at the end of each batch
    /// of events ([`Reporter::flush`]): one write for many short poems, not
    /// two each.
    unwritten: Vec<u8>,
}

/// Poems held back for one write are written at once past this size.
const WRITE_AT: usize = 256 * 1024;

impl PlainReporter {
    pub fn new(quiet: bool) -> Self {
        PlainReporter {
            quiet,
            stdout_broken: None,
            stdout_is_terminal: std::io::stdout().is_terminal(),
            unwritten: Vec::new(),
        }
    }

    /// Writes the poems held back for one write.
    fn flush_to(&mut self, stdout: &mut impl Write) {
        if self.unwritten.is_empty() || self.stdout_broken.is_some() {
            return;
        }
        if let Err(err) = stdout
            .write_all(&self.unwritten)
            .and_then(|()| stdout.flush())
        {
            self.stdout_broken = Some(err);
        }
        self.unwritten.clear();
        if self.unwritten.capacity() > WRITE_AT * 2 {
            self.unwritten.shrink_to(WRITE_AT);
        }
    }

    fn note(&self, line: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
    }

    fn print_poem(&mut self, task: TaskId, model: &Model) {
        self.print_poem_to(task, model, &mut std::io::stdout().lock());
    }

    fn print_poem_to(&mut self, task: TaskId, model: &Model, stdout: &mut impl Write) {
        let Some(download) = model.get(task) else {
            return;
        };
        if self.stdout_broken.is_some() {
            return;
        }
        let written = (|| -> std::io::Result<()> {
            if self.stdout_is_terminal {
                let clean = sanitize(&String::from_utf8_lossy(&download.poem.contiguous()));
                writeln!(
                    stdout,
                    "── Task {}: {} ({} bytes) ──",
                    task,
                    download.address,
                    download.poem.len()
                )?;
                write!(stdout, "{}", clean.text)?;
                if !clean.text.ends_with('\n') {
                    writeln!(stdout)?;
                }
                if clean.replaced > 0 {
                    writeln!(
                        stdout,
                        "({} control characters from the server shown as ^X, M-^X or <U+XXXX>)",
                        clean.replaced
                    )?;
                }
                writeln!(stdout)?;
            } else {
                // A short poem joins the batch; a big one goes out from the
                // buffers it was read into, after the batch waiting before
                // it (copied into the batch, its every byte would be moved
                // once more: a tenth of W2's CPU).
                let big = download.poem.len() >= WRITE_AT;
                if !big {
                    download.poem.write_to(&mut self.unwritten)?;
                    if self.unwritten.len() < WRITE_AT {
                        return Ok(());
                    }
                }
                stdout.write_all(&self.unwritten)?;
                self.unwritten.clear();
                if big {
                    download.poem.write_to(stdout)?;
                }
            }
            stdout.flush()
        })();
        if let Err(err) = written {
            self.stdout_broken = Some(err);
        }
    }
}

/// Up to this many downloads, each group of the final summary lists every
/// one; beyond it, failures are counted by reason (with the first of each)
/// and the other groups list the first ones and count the rest.
const SUMMARY_LIST: usize = 20;

/// What completed and what failed and why: printed after the dashboard
/// closes, since the screen it was on is gone.
pub fn final_summary(model: &Model, interrupted: bool) -> String {
    let mut out = String::new();
    let members = |wanted: &dyn Fn(State) -> bool| -> Vec<TaskId> {
        model.tasks().filter(|&t| wanted(model[t].state)).collect()
    };
    let line = |task: TaskId, detail: String| {
        format!(
            "  Task {task}: {} — {detail}\n",
            model[task].address.shown()
        )
    };
    let complete = members(&State::is_complete);
    let failed = members(&|s| s == State::Failed);
    let cancelled = members(&|s| s == State::Cancelled);
    let listed =
        |out: &mut String, title: &str, tasks: &[TaskId], detail: &dyn Fn(TaskId) -> String| {
            if tasks.is_empty() {
                return;
            }
            out.push_str(&format!("{title} ({}):\n", tasks.len()));
            for &task in tasks.iter().take(SUMMARY_LIST) {
                out.push_str(&line(task, detail(task)));
            }
            if tasks.len() > SUMMARY_LIST {
                out.push_str(&format!("  ... and {} more\n", tasks.len() - SUMMARY_LIST));
            }
        };
    listed(&mut out, "Complete", &complete, &|task| {
        let download = &model[task];
        let mut detail = match download.state {
            State::Empty => "empty poem".to_string(),
            _ => format!("{} bytes", download.received),
        };
        // Every step that did not transform it, and why.
        for (_, error) in download.chain().map_or(&[][..], |c| &c.failed[..]) {
            detail.push_str(&format!(
                "; not transformed by {}: {}",
                error.step, error.failure
            ));
        }
        detail
    });
    let reason = |task: TaskId| {
        model[task]
            .error
            .as_ref()
            .map_or("failed".to_string(), |e| e.reason_and_bytes())
    };
    if failed.len() <= SUMMARY_LIST {
        listed(&mut out, "Failed", &failed, &reason);
    } else {
        // Every reason is named, with how many failed for it.
        out.push_str(&format!("Failed ({}), by reason:\n", failed.len()));
        let mut by_reason: Vec<(String, Vec<TaskId>)> = Vec::new();
        for &task in &failed {
            let why = model[task]
                .error
                .as_ref()
                .map_or("failed".to_string(), |e| e.reason.to_string());
            match by_reason.iter_mut().find(|(r, _)| *r == why) {
                Some((_, tasks)) => tasks.push(task),
                None => by_reason.push((why, vec![task])),
            }
        }
        for (why, tasks) in by_reason {
            let first = tasks[0];
            out.push_str(&format!(
                "  {why}: {} (the first: Task {first}, {})\n",
                tasks.len(),
                model[first].address.shown()
            ));
        }
    }
    listed(&mut out, "Cancelled", &cancelled, &|task| {
        format!("got {} bytes", model[task].received)
    });
    out.push_str(&got_line(model, interrupted));
    out.push('\n');
    out
}

/// `Got N poems in H:MM:SS.s`, with failures and cancellations counted.
fn got_line(model: &Model, interrupted: bool) -> String {
    let totals = model.totals();
    let mut line = format!(
        "Got {} poems in {}",
        totals.complete,
        clock(model.elapsed())
    );
    let mut extras = Vec::new();
    if totals.failed > 0 {
        extras.push(format!("{} failed", totals.failed));
    }
    if totals.cancelled > 0 {
        extras.push(format!("{} cancelled", totals.cancelled));
    }
    if model.not_transformed() > 0 {
        extras.push(format!("{} not transformed", model.not_transformed()));
    }
    if model.unsaved() > 0 {
        extras.push(format!("{} could not be saved", model.unsaved()));
    }
    if interrupted {
        extras.push("interrupted".to_string());
    }
    if !extras.is_empty() {
        line.push_str(&format!(" ({})", extras.join(", ")));
    }
    line
}

/// "1" in the tutorial's words, "1 (ecstasy)" when named: written only
/// when a line is, so the events no line is written for cost nothing here.
struct TaskName<'a>(TaskId, Option<&'a str>);

impl std::fmt::Display for TaskName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(label) => write!(f, "{} ({label})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl super::Reporter for PlainReporter {
    fn event(&mut self, event: &Event, model: &Model) {
        let Some(download) = model.get(event.task) else {
            return;
        };
        let address = &download.address;
        let task = TaskName(event.task, address.label());
        match &event.kind {
            // The tutorial's own line, too frequent for the log.
            EventKind::Progress { .. } if !self.quiet => {
                self.note(&format!(
                    "Task {task}: got {} bytes of poetry from {address}",
                    download.last_chunk
                ));
            }
            EventKind::CancelledWaiting { count } => {
                let last = TaskId::at(event.task.index() + *count as usize - 1);
                let first = event.task;
                let what = batch_sentence(&EventKind::Cancelled { received: 0 });
                self.note(&format!(
                    "Tasks {first} to {last}: {what} ({count} downloads, no bytes)"
                ));
            }
            // A complete poem speaks for itself on stdout: its sentence is
            // not even made (one per download adds up at a million).
            EventKind::Finished { .. } if download.state != State::Empty => {}
            _ => {
                // Warnings and failures.
                if let Some(news) = News::of(event, download, model.transforms())
                    && news.level >= LogLevel::Warning
                {
                    self.note(&format!(
                        "Task {task}: poem from {address} {}",
                        news.sentence
                    ));
                }
            }
        }
        if matches!(event.kind, EventKind::Finished { .. }) {
            self.print_poem(event.task, model);
        }
    }

    fn flush(&mut self) {
        self.flush_to(&mut std::io::stdout().lock());
    }

    fn stdout_broken(&self) -> Option<&std::io::Error> {
        self.stdout_broken.as_ref()
    }

    fn problem(&mut self, _about: Option<super::Subject>, _model: &Model, message: &str) {
        self.note(message);
    }

    fn summary(&mut self, model: &Model, interrupted: bool) {
        self.note(&got_line(model, interrupted));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poems_go_out_in_the_order_they_ended_however_big() {
        // A small poem waits in the batch; a big one after it is written
        // from its own buffers, but only after the small one; the batch
        // goes out when it ends.
        use crate::address::Address;
        use crate::engine::AttemptTimes;
        use bytes::BytesMut;
        let small = b"a short poem\n".to_vec();
        let big = vec![b'x'; WRITE_AT + 1];
        let mut model = Model::new([
            Address::loopback(1),
            Address::loopback(2),
            Address::loopback(3),
        ]);
        for (task, poem) in [(0, &small), (1, &big), (2, &small)] {
            for kind in [
                EventKind::Connecting { attempt: 1, of: 1 },
                EventKind::Progress {
                    data: vec![BytesMut::from(&poem[..])],
                    received: poem.len() as u64,
                },
                EventKind::Finished {
                    received: poem.len() as u64,
                    times: AttemptTimes::default(),
                },
            ] {
                model.apply(&mut Event {
                    task: TaskId::at(task),
                    generation: 1,
                    at: std::time::Instant::now(),
                    kind,
                });
            }
        }
        let mut reporter = PlainReporter {
            stdout_is_terminal: false,
            ..PlainReporter::new(true)
        };
        let mut stdout = Vec::new();
        reporter.print_poem_to(TaskId::at(0), &model, &mut stdout);
        assert!(stdout.is_empty(), "a short poem waits for the batch");
        reporter.print_poem_to(TaskId::at(1), &model, &mut stdout);
        assert_eq!(stdout, [&small[..], &big[..]].concat());
        // The next short one waits for the end of its batch.
        reporter.print_poem_to(TaskId::at(2), &model, &mut stdout);
        assert_eq!(stdout.len(), small.len() + big.len());
        reporter.flush_to(&mut stdout);
        assert_eq!(stdout, [&small[..], &big[..], &small[..]].concat());
    }

    #[test]
    fn many_failures_are_counted_by_reason() {
        use crate::address::Address;
        use crate::engine::{Event, EventKind, FailReason, FetchError};
        let mut model = Model::new((1..=30).map(Address::loopback));
        for task in 0..30 {
            let reason = if task % 3 == 0 {
                FailReason::Reset
            } else {
                FailReason::Refused
            };
            model.apply(&mut Event {
                task: crate::engine::TaskId::at(task),
                generation: 1,
                at: std::time::Instant::now(),
                kind: EventKind::Failed {
                    error: FetchError {
                        address: Address::loopback(task as u16 + 1),
                        reason,
                        received: 0,
                        partial: Default::default(),
                    },
                },
            });
        }
        let summary = final_summary(&model, false);
        assert!(summary.contains("Failed (30), by reason:"), "{summary}");
        assert!(
            summary.contains("  connection refused: 20 (the first: Task 2, 127.0.0.1:2)"),
            "{summary}"
        );
        assert!(
            summary.contains("  connection reset, poem truncated: 10 (the first: Task 1,"),
            "{summary}"
        );
        assert!(!summary.contains("more"), "no reason hidden: {summary}");
    }
}
