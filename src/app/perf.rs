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
        self.count_event(std::time::Instant::now());
    }

    /// Counts an event in the slice of `now`, letting go of the slices that
    /// began more than a window before it.
    fn count_event(&mut self, now: std::time::Instant) {
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
        let t0 = std::time::Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut perf = Perf::default();
        // Three events in the first slice (the last exactly a slice after
        // its start opens a new one), then one every 50 ms for two seconds.
        for at in [0, 40, 99] {
            perf.count_event(ms(at));
        }
        perf.count_event(ms(100));
        assert_eq!(perf.event_slices.len(), 2, "a slice is a tenth of a second");
        assert_eq!(perf.stats(ms(100)).events_per_second, 4);
        for at in (150..=2100).step_by(50) {
            perf.count_event(ms(at));
        }
        // Slices that began within the last second, at 1100 ms to 2100 ms.
        assert_eq!(perf.stats(ms(2100)).events_per_second, 21);
        assert!(perf.event_slices.len() <= 11, "older slices are let go");
        // A slice that began exactly a window ago is kept until it is older.
        let first = perf.event_slices.front().map(|&(t, _)| t).unwrap();
        assert_eq!(first, ms(1100));
        assert_eq!(perf.stats(ms(3101)).events_per_second, 0);
        // What `event` adds: the count of all events and the latest lag.
        let mut perf = Perf::default();
        perf.event(Duration::from_millis(3));
        perf.event(Duration::from_millis(7));
        assert_eq!(perf.events, 2);
        let now = std::time::Instant::now();
        assert_eq!(perf.stats(now).event_lag, Duration::from_millis(7));
        assert_eq!(perf.stats(now).events_per_second, 2);
    }
}
