//! The dashboard's bookkeeping about itself: frame times, events per second,
//! event lag and key-press-to-redraw latencies, for the `p` overlay and
//! `--stats`.

use std::collections::VecDeque;
use std::time::Duration;

use crate::ui;

/// What the performance overlay shows, and what `--stats` prints.
#[derive(Debug, Default)]
pub struct Perf {
    /// When recent frames were drawn and how long each took.
    frames: VecDeque<(std::time::Instant, Duration)>,
    pub frame_count: u64,
    slowest_frame: Duration,
    /// The latest events' age when they were applied.
    lag: Duration,
    events: u64,
    /// Events counted in slices of [`Perf::SLICE`], the latest last: the
    /// rate over the last second without an instant kept per event (a busy
    /// run applies tens of thousands of events a second).
    event_slices: VecDeque<(std::time::Instant, u32)>,
    /// A key press waiting for its frame.
    key_at: Option<std::time::Instant>,
    key_latencies: Vec<Duration>,
}

impl Perf {
    const WINDOW: Duration = Duration::from_secs(1);
    const SLICE: Duration = Duration::from_millis(100);

    pub fn event(&mut self, lag: Duration) {
        self.lag = lag;
        self.events += 1;
        let now = std::time::Instant::now();
        match self.event_slices.back_mut() {
            Some((start, count)) if now.duration_since(*start) < Self::SLICE => *count += 1,
            _ => self.event_slices.push_back((now, 1)),
        }
        while self
            .event_slices
            .front()
            .is_some_and(|&(t, _)| now.duration_since(t) > Self::WINDOW)
        {
            self.event_slices.pop_front();
        }
    }

    pub fn key_pressed(&mut self) {
        self.key_at.get_or_insert_with(std::time::Instant::now);
    }

    pub fn frame(&mut self, at: std::time::Instant, took: Duration) {
        self.frame_count += 1;
        self.slowest_frame = self.slowest_frame.max(took);
        self.frames.push_back((at, took));
        while self
            .frames
            .front()
            .is_some_and(|&(t, _)| at.duration_since(t) > Self::WINDOW)
        {
            self.frames.pop_front();
        }
        if let Some(key_at) = self.key_at.take() {
            self.key_latencies.push(key_at.elapsed());
        }
    }

    pub fn stats(&self, now: std::time::Instant) -> ui::overlay::Stats {
        let recent = |t: &std::time::Instant| now.duration_since(*t) <= Self::WINDOW;
        ui::overlay::Stats {
            frame_time: self.frames.back().map_or(Duration::ZERO, |&(_, took)| took),
            frames_per_second: self.frames.iter().filter(|(t, _)| recent(t)).count(),
            event_lag: self.lag,
            events_per_second: self
                .event_slices
                .iter()
                .filter(|(t, _)| recent(t))
                .map(|&(_, count)| count as usize)
                .sum(),
        }
    }

    /// The `--stats` report: frames, and key press to redrawn screen.
    pub fn report(&self) -> String {
        let mut latencies = self.key_latencies.clone();
        latencies.sort_unstable();
        let percentile = |p: f64| -> String {
            if latencies.is_empty() {
                return "-".into();
            }
            let index =
                ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
            format!("{:.1} ms", latencies[index].as_secs_f64() * 1000.0)
        };
        format!(
            "stats: {} frames (slowest {:.2} ms), {} events; key press to redrawn screen over {} keys: p50 {}, p99 {}, max {}\n",
            self.frame_count,
            self.slowest_frame.as_secs_f64() * 1000.0,
            self.events,
            latencies.len(),
            percentile(0.5),
            percentile(0.99),
            percentile(1.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_per_second_counts_every_event_of_the_last_second() {
        let mut perf = Perf::default();
        for _ in 0..5000 {
            perf.event(Duration::ZERO);
        }
        let now = std::time::Instant::now();
        assert_eq!(perf.stats(now).events_per_second, 5000);
        assert!(
            perf.event_slices.len() <= 11,
            "a slice per tenth of a second at most"
        );
        let later = now + Perf::WINDOW + Perf::SLICE * 2;
        assert_eq!(perf.stats(later).events_per_second, 0);
    }
}
