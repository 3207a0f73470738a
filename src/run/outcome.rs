//! How a run ended, and the one place that turns that into an exit status.

use crate::model::Model;

/// Exit statuses, as documented in the README.
pub mod exit {
    pub const ALL_COMPLETE: i32 = 0;
    pub const SOME_FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const HANGUP: i32 = 129;
    pub const INTERRUPTED: i32 = 130;
    pub const TERMINATED: i32 = 143;
}

/// What went wrong in a run besides the downloads themselves (the model has
/// those), gathered as it happened.
#[derive(Debug, Default)]
pub struct Outcome {
    /// A signal or Ctrl-C ended it: that signal's conventional status.
    pub interrupted: Option<i32>,
    /// Stdout could not be written (a closed pipe): the run stopped.
    pub stdout_broken: Option<std::io::Error>,
    /// Input lines that were not addresses (each message names the line):
    /// they were skipped.
    pub bad_lines: Vec<String>,
    /// Poems that could not be saved, a line each (`Task 3: cannot save: ...`).
    pub unsaved: Vec<String>,
    /// The `--events` file could not be written (said once).
    pub record_failed: Option<String>,
    /// What failed while finishing: the `--events` file's last write or
    /// `--save-failed`.
    pub finish_problems: Vec<String>,
    /// The face itself failed (the terminal could not be drawn on).
    pub face_failed: Option<color_eyre::Report>,
}

impl Outcome {
    /// The run did not go on to its end: a signal, Ctrl-C or a broken stdout.
    pub fn stopped_early(&self) -> bool {
        self.interrupted.is_some() || self.stdout_broken.is_some()
    }

    /// The exit status, in order of what matters most: a face that failed,
    /// a signal, a broken stdout, bad input lines (every good line still
    /// ran), then whether every poem arrived, went through every transform
    /// asked for, and was kept.
    pub fn exit_status(&self, model: &Model) -> i32 {
        if self.face_failed.is_some() {
            return exit::SOME_FAILED;
        }
        if let Some(status) = self.interrupted {
            return status;
        }
        if self.stdout_broken.is_some() {
            return exit::SOME_FAILED;
        }
        if !self.bad_lines.is_empty() {
            return exit::USAGE;
        }
        // A poem a transform step failed on was delivered as it was, but
        // what was asked for was not done.
        let all_complete =
            model.downloads.iter().all(|d| d.state.is_complete()) && model.not_transformed() == 0;
        let kept_all =
            model.unsaved() == 0 && self.record_failed.is_none() && self.finish_problems.is_empty();
        if all_complete && kept_all {
            exit::ALL_COMPLETE
        } else {
            exit::SOME_FAILED
        }
    }

    /// `error: N input line(s) were not addresses and were skipped`, when
    /// there were and they decide the exit status (nothing weightier
    /// happened: a signal, a broken stdout, a face that failed).
    pub fn bad_lines_line(&self) -> Option<String> {
        let decisive = self.interrupted.is_none()
            && self.stdout_broken.is_none()
            && self.face_failed.is_none();
        (!self.bad_lines.is_empty() && decisive).then(|| {
            format!(
                "error: {} input line(s) were not addresses and were skipped",
                self.bad_lines.len()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;

    #[test]
    fn each_problem_gives_its_status_the_weightier_first() {
        // No downloads: every one of them (none) is complete.
        let nothing = Model::default();
        let clean = Outcome::default();
        assert_eq!(clean.exit_status(&nothing), exit::ALL_COMPLETE);
        assert!(!clean.stopped_early());

        let one_left = Model::new([Address::loopback(1)]);
        assert_eq!(clean.exit_status(&one_left), exit::SOME_FAILED);

        let mut unsaved = Model::default();
        unsaved.count_unsaved();
        assert_eq!(clean.exit_status(&unsaved), exit::SOME_FAILED);

        let record = Outcome {
            record_failed: Some("cannot write --events x".into()),
            ..Outcome::default()
        };
        assert_eq!(record.exit_status(&nothing), exit::SOME_FAILED);
        let finishing = Outcome {
            finish_problems: vec!["cannot write --save-failed x".into()],
            ..Outcome::default()
        };
        assert_eq!(finishing.exit_status(&nothing), exit::SOME_FAILED);

        let mut outcome = Outcome {
            bad_lines: vec!["bad address".into()],
            ..Outcome::default()
        };
        assert_eq!(outcome.exit_status(&one_left), exit::USAGE);
        assert!(
            outcome
                .bad_lines_line()
                .unwrap()
                .contains("1 input line(s)")
        );
        // Each weightier problem alone keeps the bad-lines line out.
        let face_failed = Outcome {
            bad_lines: vec!["bad address".into()],
            face_failed: Some(color_eyre::eyre::eyre!("no terminal")),
            ..Outcome::default()
        };
        assert_eq!(face_failed.bad_lines_line(), None, "a failed face decides");
        outcome.stdout_broken = Some(std::io::ErrorKind::BrokenPipe.into());
        assert_eq!(outcome.exit_status(&nothing), exit::SOME_FAILED);
        assert!(outcome.stopped_early());
        assert_eq!(outcome.bad_lines_line(), None, "a broken stdout decides");
        outcome.interrupted = Some(exit::TERMINATED);
        assert_eq!(outcome.exit_status(&nothing), exit::TERMINATED);
        assert_eq!(
            outcome.bad_lines_line(),
            None,
            "interrupted: not every line ran"
        );
        outcome.face_failed = Some(color_eyre::eyre::eyre!("no terminal"));
        assert_eq!(outcome.exit_status(&nothing), exit::SOME_FAILED);
    }
}
