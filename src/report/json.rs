//! NDJSON: one JSON object per line on stdout for each event, and a summary
//! object last. The schema is in the README ("NDJSON output").

use std::io::Write;

use serde_json::{Value, json};

use super::Subject;
use crate::engine::{Event, EventKind, StepPhase};
use crate::model::{Model, State};
use crate::units::secs;

pub struct JsonReporter {
    /// `-q`: leave out queued, connecting, connected and progress events.
    quiet: bool,
    /// The first error writing to stdout (a closed pipe): the run stops.
    stdout_broken: Option<std::io::Error>,
}

impl JsonReporter {
    pub fn new(quiet: bool) -> Self {
        JsonReporter {
            quiet,
            stdout_broken: None,
        }
    }

    fn write(&mut self, value: &Value) {
        self.write_all(std::iter::once(value.clone()));
    }

    /// Lines in one write to stdout, flushed once (a batch of a million
    /// queued downloads is not a million system calls).
    fn write_all(&mut self, values: impl Iterator<Item = Value>) {
        if self.stdout_broken.is_some() {
            return;
        }
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        let mut written = Ok(());
        for value in values {
            written = write_line(&mut stdout, &value);
            if written.is_err() {
                break;
            }
        }
        if let Err(err) = written.and_then(|()| stdout.flush()) {
            self.stdout_broken = Some(err);
        }
    }
}

/// The poem as a JSON string (invalid UTF-8 becomes U+FFFD) and whether any
/// byte had to be replaced.
fn text_of(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}

/// The objects of a batch or of one event.
pub type Lines<'a> = Box<dyn Iterator<Item = Value> + 'a>;

/// The NDJSON objects for one event, already applied to `model` (a batch
/// event gives one per download, made one at a time as they are written:
/// a batch of a million is never a million objects at once); `quiet`
/// leaves out the frequent kinds.
pub fn lines<'a>(event: &'a Event, model: &'a Model, quiet: bool) -> Lines<'a> {
    match event.kind.batch() {
        // As if each download had its own event.
        Some((count, each)) => Box::new(event.task.range(count as usize).filter_map(move |task| {
            let one = Event {
                task,
                kind: each.clone(),
                ..*event
            };
            line(&one, model, quiet)
        })),
        None => Box::new(line(event, model, quiet).into_iter()),
    }
}

/// A transform step as NDJSON gives it: 1-based, with its name and server.
fn step_fields(step: u16, model: &Model) -> (u32, Option<&str>, Option<String>) {
    let of = model.transforms().get(usize::from(step));
    (
        u32::from(step) + 1,
        of.map(|s| s.name.as_str()),
        of.map(|s| s.address.to_string()),
    )
}

/// The NDJSON object for an event about one download, if it has one.
fn line(event: &Event, model: &Model, quiet: bool) -> Option<Value> {
    let download = model.get(event.task)?;
    let fields = match &event.kind {
        EventKind::Queued { .. } if !quiet => json!({"type": "queued"}),
        EventKind::Connecting { attempt, of } if !quiet => {
            json!({"type": "connecting", "attempt": attempt, "attempts": of})
        }
        EventKind::Connected { connect_time } if !quiet => {
            json!({"type": "connected", "connect_s": secs(*connect_time)})
        }
        EventKind::Progress { received, .. } if !quiet => {
            json!({"type": "progress", "chunk": download.last_chunk, "bytes": received})
        }
        EventKind::Finished { received, times } => {
            let (text, lossy) = text_of(&download.poem.contiguous());
            json!({
                "type": "finished",
                "bytes": received,
                "empty": download.state == State::Empty,
                "connect_s": times.connect.map(secs),
                "first_byte_s": times.first_byte.map(secs),
                "total_s": secs(times.total),
                "text": text,
                "text_lossy": lossy,
            })
        }
        EventKind::Failed { error } => {
            let (text, lossy) = text_of(&download.poem.contiguous());
            json!({
                "type": "failed",
                "reason": error.reason.code(),
                "message": error.to_string(),
                "bytes": error.received,
                "partial": !download.poem.is_empty(),
                "text": text,
                "text_lossy": lossy,
            })
        }
        EventKind::Cancelled { received } => {
            let (text, lossy) = text_of(&download.poem.contiguous());
            json!({
                "type": "cancelled",
                "bytes": received,
                "partial": !download.poem.is_empty(),
                "text": text,
                "text_lossy": lossy,
            })
        }
        EventKind::Retrying {
            attempt,
            of,
            after,
            error,
        } => json!({
            "type": "retrying",
            "attempt": attempt,
            "attempts": of,
            "after_s": secs(*after),
            "reason": error.reason.code(),
            "message": error.to_string(),
            "bytes": error.received,
        }),
        EventKind::Transforming { step, phase, .. } if !quiet => {
            let (phase, bytes) = match phase {
                StepPhase::Connecting => ("connecting", None),
                StepPhase::Sending { sent, .. } => ("sending", Some(*sent)),
                StepPhase::Waiting => ("waiting", None),
                StepPhase::Receiving { received } => ("receiving", Some(*received)),
            };
            let (step, transform, server) = step_fields(*step, model);
            json!({
                "type": "transforming",
                "step": step,
                "transform": transform,
                "server": server,
                "phase": phase,
                "bytes": bytes,
            })
        }
        EventKind::Transformed { step, .. } => {
            let (text, lossy) = text_of(&download.poem.contiguous());
            let (step, transform, server) = step_fields(*step, model);
            json!({
                "type": "transformed",
                "step": step,
                "transform": transform,
                "server": server,
                "bytes": download.poem.len(),
                "text": text,
                "text_lossy": lossy,
            })
        }
        EventKind::TransformFailed { step, error } => json!({
            "type": "transform_failed",
            "step": u32::from(*step) + 1,
            "transform": error.step.name,
            "server": error.step.address.to_string(),
            "reason": error.failure.code(),
            "message": error.to_string(),
        }),
        EventKind::Paused { .. } if !quiet => json!({"type": "paused"}),
        EventKind::Resumed { .. } if !quiet => json!({"type": "resumed"}),
        _ => return None,
    };
    Some(with_common_fields(
        fields,
        Some(Subject::from(event)),
        model,
    ))
}

impl super::Reporter for JsonReporter {
    fn event(&mut self, event: &Event, model: &Model) {
        self.write_all(lines(event, model, self.quiet));
    }

    fn stdout_broken(&self) -> Option<&std::io::Error> {
        self.stdout_broken.as_ref()
    }

    fn problem(&mut self, about: Option<Subject>, model: &Model, message: &str) {
        self.write(&problem(about, model, message));
    }

    fn summary(&mut self, model: &Model, interrupted: bool) {
        self.write(&summary(model, interrupted));
    }
}

/// One NDJSON line: the object and its newline.
pub fn write_line(out: &mut impl Write, value: &Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// A problem of our own, about a download or none.
pub fn problem(about: Option<Subject>, model: &Model, message: &str) -> Value {
    let fields = json!({"type": "problem", "message": message});
    with_common_fields(fields, about, model)
}

/// The last NDJSON object of a run.
pub fn summary(model: &Model, interrupted: bool) -> Value {
    let totals = model.totals();
    json!({
        "type": "summary",
        "downloads": model.downloads.len(),
        "complete": totals.complete,
        "failed": totals.failed,
        "cancelled": totals.cancelled,
        "not_transformed": model.not_transformed(),
        "unsaved": model.unsaved(),
        // What was kept (each download's last attempt) and everything that
        // came (every attempt: the dashboard header's figure) differ as
        // soon as a download is retried.
        "bytes": totals.bytes,
        "bytes_received": model.received_total,
        "elapsed_s": secs(model.elapsed()),
        "interrupted": interrupted,
    })
}

/// `fields` with what every event object has, in the documented order: the
/// type first, then `task`, `address`, `label`, `t` and `run`. A problem that
/// is about no download has null `task`, `address`, `label` and `run`, and `t`
/// of now.
fn with_common_fields(fields: Value, about: Option<Subject>, model: &Model) -> Value {
    let Value::Object(mut fields) = fields else {
        return fields;
    };
    let download = about.and_then(|about| model.get(about.task).map(|d| (about, d)));
    let at = about.map_or_else(std::time::Instant::now, |about| about.at);
    let t = model
        .started
        .map_or(0.0, |start| secs(at.saturating_duration_since(start)));
    let mut object = serde_json::Map::new();
    object.extend(
        fields
            .shift_remove("type")
            .map(|kind| ("type".to_string(), kind)),
    );
    object.insert("task".into(), json!(download.map(|(about, _)| about.task)));
    object.insert(
        "address".into(),
        json!(download.map(|(_, d)| d.address.to_string())),
    );
    object.insert(
        "label".into(),
        json!(download.and_then(|(_, d)| d.address.label())),
    );
    object.insert("t".into(), json!(t));
    object.insert(
        "run".into(),
        json!(download.map(|(about, _)| about.generation)),
    );
    object.extend(fields);
    Value::Object(object)
}
