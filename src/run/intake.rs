//! Where a run's downloads come from: the list known at the start, and the
//! lines of a streamed list (stdin, a FIFO) as they arrive. The one place
//! that knows whether more may still come.

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::mpsc::error::TryRecvError;

use crate::address::{Address, Streamed};

/// The downloads to run: a list known at the start, and lines still
/// arriving (stdin or a FIFO), if any.
pub struct Sources {
    pub addresses: Vec<Address>,
    pub stream: Option<UnboundedReceiver<Streamed>>,
}

/// What arrived on the stream since the last look.
#[derive(Debug, Default)]
pub struct Arrived {
    pub addresses: Vec<Address>,
    /// Lines that were not addresses, each message naming its line.
    pub bad: Vec<String>,
}

/// The streamed list, while it lasts.
pub struct Intake {
    stream: Option<UnboundedReceiver<Streamed>>,
}

impl Intake {
    pub fn new(stream: Option<UnboundedReceiver<Streamed>>) -> Intake {
        Intake { stream }
    }

    /// Whether more addresses may still arrive.
    pub fn more_coming(&self) -> bool {
        self.stream.is_some()
    }

    /// Reads no more: the run is ending.
    pub fn stop(&mut self) {
        self.stream = None;
    }

    /// Waits for the next line, then takes every other one already waiting.
    /// Pending forever once the stream has ended (or when there is none);
    /// cancel-safe, as a `select!` branch must be.
    pub async fn next(&mut self) -> Arrived {
        let Some(stream) = &mut self.stream else {
            return std::future::pending().await;
        };
        let mut arrived = Arrived::default();
        match stream.recv().await {
            Some(line) => arrived.take(line),
            None => {
                self.stream = None;
                return arrived;
            }
        }
        loop {
            match stream.try_recv() {
                Ok(line) => arrived.take(line),
                Err(TryRecvError::Empty) => return arrived,
                Err(TryRecvError::Disconnected) => {
                    self.stream = None;
                    return arrived;
                }
            }
        }
    }
}

impl Arrived {
    fn take(&mut self, line: Streamed) {
        match line {
            Streamed::Address(address) => self.addresses.push(address),
            Streamed::Bad(message) => self.bad.push(message),
        }
    }
}
