//! The signals that end a run: SIGTERM, SIGHUP and SIGINT, each with its
//! conventional exit status.

use super::exit;

/// SIGTERM, SIGHUP and SIGINT (a Ctrl-C from outside the terminal, since
/// raw mode turns the key into input), each ending the dashboard with its
/// conventional status.
pub struct Signals {
    streams: Vec<(tokio::signal::unix::Signal, i32)>,
}

impl Signals {
    pub fn install() -> Self {
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

    pub async fn next(&mut self) -> i32 {
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
