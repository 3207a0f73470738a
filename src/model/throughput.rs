//! Bytes over time: fixed buckets for the sparkline, and the latest
//! arrivals for the current rate, in constant memory however long a
//! download runs.
//!
//! The rate is the bytes that arrived over the time they actually spanned:
//! from the first arrival in the last three seconds to the last one. Counting
//! bytes in fixed buckets instead beats against a server's own cadence (a
//! write every 0.7 s lands four or five times in a 3 s window, so a steady
//! 14.3 B/s read 13 and 17 in turn).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The width of one bucket.
pub const BUCKET: Duration = Duration::from_millis(500);
/// Buckets kept: 30 seconds of history.
pub const HISTORY: usize = 60;
/// The rate looks at the arrivals of the last three seconds.
const RATE_WINDOW: Duration = Duration::from_secs(3);
/// Arrivals kept for the rate: progress comes at most every 50 ms, so this
/// covers at least 1.6 s of the fastest download, and the whole window of
/// any slower one.
const ARRIVALS: usize = 32;

#[derive(Debug, Clone, Default)]
pub struct Throughput {
    origin: Option<Instant>,
    /// The bucket number of `buckets[0]`, counted from `origin`.
    first: u64,
    buckets: VecDeque<u64>,
    /// The latest arrivals, oldest first: milliseconds since `origin`, and
    /// bytes (saturating).
    arrivals: VecDeque<(u64, u32)>,
}

impl Throughput {
    fn index(&self, at: Instant) -> u64 {
        let since = self
            .origin
            .map_or(Duration::ZERO, |o| at.saturating_duration_since(o));
        (since.as_nanos() / BUCKET.as_nanos()) as u64
    }

    pub fn record(&mut self, at: Instant, bytes: u64) {
        let origin = *self.origin.get_or_insert(at);
        let ms =
            u64::try_from(at.saturating_duration_since(origin).as_millis()).unwrap_or(u64::MAX);
        let bytes32 = u32::try_from(bytes).unwrap_or(u32::MAX);
        match self.arrivals.back_mut() {
            // Two events in the same millisecond are one arrival.
            Some((last, sum)) if *last == ms => *sum = sum.saturating_add(bytes32),
            // Out of order (the equal case is the arm above): only the
            // buckets take it.
            Some((last, _)) if *last > ms => {}
            _ => {
                if self.arrivals.len() == ARRIVALS {
                    self.arrivals.pop_front();
                }
                self.arrivals.push_back((ms, bytes32));
            }
        }
        let index = self.index(at);
        let end = self.first + self.buckets.len() as u64;
        if self.buckets.is_empty() || index >= end + HISTORY as u64 {
            // Nothing kept, or all of it too old to matter: start afresh.
            self.buckets.clear();
            self.first = index;
            self.buckets.push_back(0);
        } else if index >= end {
            self.buckets
                .extend(std::iter::repeat_n(0, (index - end + 1) as usize));
        }
        while self.buckets.len() > HISTORY {
            self.buckets.pop_front();
            self.first += 1;
        }
        // An event from before the kept history (out of order) is dropped.
        if let Some(slot) = index
            .checked_sub(self.first)
            .and_then(|i| self.buckets.get_mut(i as usize))
        {
            *slot += bytes;
        }
    }

    fn bucket(&self, index: u64) -> u64 {
        index
            .checked_sub(self.first)
            .and_then(|i| self.buckets.get(i as usize))
            .copied()
            .unwrap_or(0)
    }

    /// Bytes per second as of `now`: the bytes of the arrivals in the last
    /// three seconds after the first of them, over the time from the first
    /// to the last. Exact for a steady server whatever its cadence (up to
    /// 1.5 s) and whatever the moment it is read. Once the silence since the
    /// last arrival is longer than the usual gap between arrivals, the span
    /// runs on to now, so a server that slows or stops reads lower at once,
    /// smoothly, and 0 when nothing came for three seconds. With a single
    /// arrival to go on, its bytes over the time since the one before it (or
    /// over at least a second, for a download's very first bytes).
    pub fn rate(&self, now: Instant) -> f64 {
        let Some(origin) = self.origin else {
            return 0.0;
        };
        let now_ms = now.saturating_duration_since(origin).as_secs_f64() * 1000.0;
        let window_start = now_ms - RATE_WINDOW.as_secs_f64() * 1000.0;
        let inside = self
            .arrivals
            .partition_point(|&(ms, _)| (ms as f64) < window_start);
        // One pass, no allocation: this runs for every receiving row, every
        // frame.
        let (mut first, mut last, mut count, mut after_first) = (0.0, 0.0, 0usize, 0.0);
        for &(ms, bytes) in self.arrivals.range(inside..) {
            if count == 0 {
                first = ms as f64;
            } else {
                after_first += f64::from(bytes);
            }
            last = ms as f64;
            count += 1;
        }
        let rate_ms = match count {
            0 => return 0.0,
            1 => {
                let bytes = f64::from(self.arrivals[inside].1);
                let before = inside.checked_sub(1).map(|i| self.arrivals[i].0 as f64);
                let since = match before {
                    Some(before) => (first - before).max(now_ms - first),
                    // The download's very first arrival: the origin, 0 ms.
                    None => now_ms.max(1000.0),
                };
                bytes / since.max(1.0)
            }
            _ => {
                let gap = (last - first) / (count - 1) as f64;
                let span = (last - first).max(now_ms - first - gap);
                after_first / span.max(1.0)
            }
        };
        rate_ms * 1000.0
    }

    /// Bytes in each of the last `width` buckets up to `now`, oldest first.
    pub fn recent(&self, now: Instant, width: usize) -> Vec<u64> {
        if self.origin.is_none() {
            return vec![0; width];
        }
        let newest = self.index(now);
        (0..width as u64)
            .rev()
            .map(|back| newest.checked_sub(back).map_or(0, |i| self.bucket(i)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_history_follow_the_clock() {
        let t0 = Instant::now();
        let mut throughput = Throughput::default();
        for i in 0..8 {
            throughput.record(t0 + BUCKET * i, 100);
        }
        let now = t0 + BUCKET * 7 + BUCKET / 2;
        assert_eq!(throughput.rate(now), 200.0);
        let now = t0 + BUCKET * 7;
        assert_eq!(throughput.recent(now, 3), vec![100, 100, 100]);
        // Four seconds of silence: the rate falls to zero, the history shifts.
        let later = now + Duration::from_secs(4);
        assert_eq!(throughput.rate(later), 0.0);
        assert_eq!(throughput.recent(later, 10)[..2], [100, 100]);
        assert_eq!(throughput.recent(later, 10)[2..], [0; 8]);
    }

    /// A server that writes `bytes` every `every` ms, with the writes'
    /// arrival jittered by up to `jitter` ms, read at many moments after its
    /// first two seconds: the rate is within 10% of the truth every time.
    fn steady(bytes: u64, every: u64, jitter: u64) {
        let t0 = Instant::now();
        let truth = bytes as f64 * 1000.0 / every as f64;
        let mut throughput = Throughput::default();
        let mut rng = fastrand::Rng::with_seed(7);
        let writes = 30_000 / every;
        let arrivals: Vec<Instant> = (0..writes)
            .map(|i| t0 + Duration::from_millis(i * every + rng.u64(0..=jitter)))
            .collect();
        for &at in &arrivals {
            throughput.record(at, bytes);
        }
        let mut read_at = t0 + Duration::from_secs(2);
        while read_at < t0 + Duration::from_secs(29) {
            let rate = throughput.rate(read_at);
            assert!(
                (rate - truth).abs() <= truth * 0.1,
                "{bytes} B every {every} ms: {rate:.1} B/s at {:?}, truth {truth}",
                read_at - t0
            );
            read_at += Duration::from_millis(37);
        }
        // A real silence reads 0 once the window has passed.
        let after = *arrivals.last().unwrap() + Duration::from_secs(4);
        assert_eq!(throughput.rate(after), 0.0);
    }

    #[test]
    fn a_steady_server_reads_steady() {
        steady(10, 100, 20); // serve --num-bytes 10 --delay 0.1: 100 B/s
        steady(30, 200, 20); // the demo's first row: 150 B/s
        steady(1024, 50, 10);
        // The cadences the issue names, with jitter: the tutorial's own
        // 0.7 s (which used to read 13 and 17 B/s in turn), 0.3 s and 1 s.
        steady(10, 700, 30);
        steady(10, 300, 20);
        steady(10, 1000, 40);
        steady(30, 700, 30); // ecstasy --num-bytes 30
    }

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn arrivals_in_one_millisecond_are_one_and_late_ones_only_fill_buckets() {
        let t0 = Instant::now();
        let mut throughput = Throughput::default();
        throughput.record(t0, 10);
        throughput.record(t0, 10);
        throughput.record(at(t0, 100), 10);
        // Two arrivals: the bytes after the first over 100 ms.
        assert_eq!(throughput.rate(at(t0, 100)), 100.0);
        let mut throughput = Throughput::default();
        throughput.record(at(t0, 0), 1);
        throughput.record(at(t0, 200), 10);
        throughput.record(at(t0, 100), 10); // late
        throughput.record(at(t0, 300), 10);
        assert_eq!(throughput.rate(at(t0, 300)), 20.0 / 0.3);
    }

    #[test]
    fn the_rate_spans_the_window_s_arrivals_and_a_lone_one_its_gap() {
        let t0 = Instant::now();
        let mut throughput = Throughput::default();
        for (ms, bytes) in [(0, 10), (1500, 20), (3000, 40)] {
            throughput.record(at(t0, ms), bytes);
        }
        // At 3 s the arrival at 0 is still in the window.
        assert_eq!(throughput.rate(at(t0, 3000)), 60.0 / 3.0);
        // One arrival in the window: its bytes over the gap before it...
        let mut throughput = Throughput::default();
        throughput.record(at(t0, 0), 1);
        throughput.record(at(t0, 1000), 10);
        throughput.record(at(t0, 5000), 10);
        assert_eq!(throughput.rate(at(t0, 5500)), 10.0 / 4.0);
        // ...or over the silence since, once that is longer.
        let mut throughput = Throughput::default();
        throughput.record(at(t0, 0), 10);
        throughput.record(at(t0, 2000), 10);
        assert!((throughput.rate(at(t0, 4900)) - 10.0 / 2.9).abs() < 1e-9);
        // The very first: over at least a second.
        let mut throughput = Throughput::default();
        throughput.record(t0, 100);
        assert_eq!(throughput.rate(at(t0, 500)), 100.0);
        assert_eq!(throughput.rate(at(t0, 2000)), 50.0);
        // A silence past the usual gap stretches the span to now, less one
        // gap: five arrivals 100 ms apart, read 200 ms after the last.
        let mut throughput = Throughput::default();
        for ms in [0, 100, 200, 300, 400] {
            throughput.record(at(t0, ms), 10);
        }
        assert_eq!(throughput.rate(at(t0, 600)), 40.0 / 0.5);
    }

    #[test]
    fn a_server_that_stops_reads_lower_at_once_and_zero_after_the_window() {
        let t0 = Instant::now();
        let mut throughput = Throughput::default();
        for i in 0..20 {
            throughput.record(t0 + Duration::from_millis(i * 100), 10);
        }
        let last = t0 + Duration::from_millis(1900);
        assert_eq!(throughput.rate(last + Duration::from_millis(50)), 100.0);
        // Half a second of silence, five gaps: it has slowed, and says so.
        let slowed = throughput.rate(last + Duration::from_millis(500));
        assert!(slowed < 90.0, "{slowed}");
        assert_eq!(throughput.rate(last + Duration::from_millis(3001)), 0.0);
    }

    #[test]
    fn memory_stays_bounded() {
        let t0 = Instant::now();
        let mut throughput = Throughput::default();
        for i in 0..1000 {
            throughput.record(t0 + BUCKET * i, 1);
        }
        assert_eq!(throughput.buckets.len(), HISTORY);
    }
}
