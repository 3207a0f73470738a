//! Bytes over time, in fixed buckets: enough for a current rate and a
//! sparkline, in constant memory however long a download runs.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The width of one bucket.
pub const BUCKET: Duration = Duration::from_millis(500);
/// Buckets kept: 30 seconds of history.
pub const HISTORY: usize = 60;
/// The current rate averages over this many buckets (one second).
const RATE_WINDOW: u64 = 2;

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

    /// Bytes per second over the last second before `now`.
    pub fn rate(&self, now: Instant) -> f64 {
        if self.origin.is_none() {
            return 0.0;
        }
        let newest = self.index(now);
        let total: u64 = (newest.saturating_sub(RATE_WINDOW - 1)..=newest)
            .map(|i| self.bucket(i))
            .sum();
        total as f64 / (RATE_WINDOW as f64 * BUCKET.as_secs_f64())
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
        let now = t0 + BUCKET * 7;
        assert_eq!(throughput.rate(now), 200.0);
        assert_eq!(throughput.recent(now, 3), vec![100, 100, 100]);
        // Four seconds of silence: the rate falls to zero, the history shifts.
        let later = now + Duration::from_secs(4);
        assert_eq!(throughput.rate(later), 0.0);
        assert_eq!(throughput.recent(later, 10)[..2], [100, 100]);
        assert_eq!(throughput.recent(later, 10)[2..], [0; 8]);
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
