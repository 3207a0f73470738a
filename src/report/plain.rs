//! Plain text in the tutorial's words: progress and failures on stderr, the
//! poems themselves on stdout.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use crate::engine::{Event, EventKind, seconds};
use crate::model::{Model, State};
use crate::text::sanitize;

/// `H:MM:SS.s`, the tutorial's way of giving the elapsed time.
pub fn clock(duration: Duration) -> String {
    let tenths = duration.as_millis() / 100;
    let (seconds, tenth) = (tenths / 10, tenths % 10);
    format!(
        "{}:{:02}:{:02}.{tenth}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

pub struct PlainReporter {
    quiet: bool,
    /// Poems written to a terminal are sanitised and get a heading; to a
    /// file or pipe their bytes pass unchanged.
    stdout_is_terminal: bool,
}

impl PlainReporter {
    pub fn new(quiet: bool) -> Self {
        PlainReporter {
            quiet,
            stdout_is_terminal: std::io::stdout().is_terminal(),
        }
    }

    fn note(&self, line: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
    }

    fn print_poem(&self, task: usize, model: &Model) {
        let Some(download) = model.get(task) else {
            return;
        };
        let mut stdout = std::io::stdout().lock();
        if self.stdout_is_terminal {
            let clean = sanitize(&String::from_utf8_lossy(&download.poem.contiguous()));
            let _ = writeln!(
                stdout,
                "── Task {}: {} ({} bytes) ──",
                task + 1,
                download.address,
                download.poem.len()
            );
            let _ = write!(stdout, "{}", clean.text);
            if !clean.text.ends_with('\n') {
                let _ = writeln!(stdout);
            }
            if clean.replaced > 0 {
                let _ = writeln!(
                    stdout,
                    "({} control characters from the server shown as ^X, M-^X or <U+XXXX>)",
                    clean.replaced
                );
            }
            let _ = writeln!(stdout);
        } else {
            let _ = download.poem.write_to(&mut stdout);
        }
        let _ = stdout.flush();
    }
}

/// How many downloads each group of the final summary lists by name.
const SUMMARY_LIST: usize = 20;

/// What completed and what failed and why: printed after the dashboard
/// closes, since the screen it was on is gone.
pub fn final_summary(model: &Model, interrupted: bool) -> String {
    let mut out = String::new();
    let mut group = |title: &str, wanted: &dyn Fn(State) -> bool| {
        let members: Vec<usize> = (0..model.downloads.len())
            .filter(|&t| wanted(model.downloads[t].state))
            .collect();
        if members.is_empty() {
            return;
        }
        out.push_str(&format!("{title} ({}):\n", members.len()));
        for &task in members.iter().take(SUMMARY_LIST) {
            let download = &model.downloads[task];
            let detail = match (&download.error, download.state) {
                (Some(error), State::Failed) => {
                    format!("{} (got {} bytes)", error.reason, error.received)
                }
                (_, State::Empty) => "empty poem".to_string(),
                (_, State::Cancelled) => format!("cancelled (got {} bytes)", download.received),
                _ => format!("{} bytes", download.received),
            };
            out.push_str(&format!(
                "  Task {}: {} — {detail}\n",
                task + 1,
                download.address
            ));
        }
        if members.len() > SUMMARY_LIST {
            out.push_str(&format!(
                "  ... and {} more\n",
                members.len() - SUMMARY_LIST
            ));
        }
    };
    group("Complete", &|s| matches!(s, State::Complete | State::Empty));
    group("Failed", &|s| s == State::Failed);
    group("Cancelled", &|s| s == State::Cancelled);
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
    if interrupted {
        extras.push("interrupted".to_string());
    }
    if !extras.is_empty() {
        line.push_str(&format!(" ({})", extras.join(", ")));
    }
    line
}

impl super::Reporter for PlainReporter {
    fn event(&mut self, event: &Event, model: &Model) {
        let task = event.task + 1;
        let Some(download) = model.get(event.task) else {
            return;
        };
        let address = &download.address;
        match &event.kind {
            EventKind::Progress { .. } if !self.quiet => {
                self.note(&format!(
                    "Task {task}: got {} bytes of poetry from {address}",
                    download.last_chunk
                ));
            }
            EventKind::Finished { .. } => {
                if download.state == State::Empty {
                    self.note(&format!("Task {task}: poem from {address} is empty"));
                }
                self.print_poem(event.task, model);
            }
            EventKind::Failed { error } => self.note(&format!("Task {task}: {error}")),
            EventKind::Cancelled { received } => {
                self.note(&format!(
                    "Task {task}: poem from {address} cancelled (got {received} bytes)"
                ));
            }
            EventKind::Retrying {
                attempt,
                of,
                after,
                error,
            } => self.note(&format!(
                "Task {task}: {error}; retrying in {} (attempt {attempt} of {of})",
                seconds(*after)
            )),
            _ => {}
        }
    }

    fn problem(&mut self, _about: Option<&Event>, _model: &Model, message: &str) {
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
    fn clock_reads_like_the_tutorial() {
        assert_eq!(clock(Duration::from_millis(10_240)), "0:00:10.2");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03.0");
    }
}
