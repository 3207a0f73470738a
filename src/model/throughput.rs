//! Bytes over time, in fixed buckets: enough for a current rate and a
//! sparkline, in constant memory however long a download runs.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The width of one bucket.
pub const BUCKET: Duration = Duration::from_millis(500);
/// Buckets kept: 30 seconds of history.
pub const HISTORY: usize = 60;
/// The current rate averages over this many complete buckets (three
/// seconds): the bucket still filling is left out, so a steady server reads
/// steady whatever the phase of its writes against the buckets' edges (a
/// window of W seconds is off by at most one write in W seconds of them).
const RATE_WINDOW: u64 = 6;

#[derive(Debug, Clone, Default)]
pub struct Throughput {
    origin: Option<Instant>,
    /// The bucket number of `buckets[0]`, counted from `origin`.
    first: u64,
    buckets: VecDeque<u64>,
}

impl Throughput {
    fn index(&self, at: Instant) -> u64 {
        let since = self
            .origin
            .map_or(Duration::ZERO, |o| at.saturating_duration_since(o));
        (since.as_nanos() / BUCKET.as_nanos()) as u64
    }

    pub fn record(&mut self, at: Instant, bytes: u64) {
        self.origin.get_or_insert(at);
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

    /// Bytes per second over the complete buckets of the last three seconds
    /// before `now` (fewer when the first byte came later). Until one bucket
    /// is complete, the bytes so far over the time so far.
    pub fn rate(&self, now: Instant) -> f64 {
        let Some(origin) = self.origin else {
            return 0.0;
        };
        let current = self.index(now);
        if current == 0 {
            let so_far = now.saturating_duration_since(origin).as_secs_f64();
            return if so_far > 0.0 {
                self.bucket(0) as f64 / so_far.max(0.1)
            } else {
                0.0
            };
        }
        let first = current.saturating_sub(RATE_WINDOW);
        let total: u64 = (first..current).map(|i| self.bucket(i)).sum();
        total as f64 / ((current - first) as f64 * BUCKET.as_secs_f64())
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
        let now = t0 + BUCKET * 8;
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
