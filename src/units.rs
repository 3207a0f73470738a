//! Bytes, rates, durations and clocks as people read them: the one place
//! every layer formats them, so that the table, the log, errors and the
//! summary agree (`1.25 s` everywhere, never `1.25s` beside it). It imports
//! nothing of ours, so the engine may use it too.

use std::time::Duration;

/// `812 B`, `12.3 KiB`, `4.0 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `812B`, `12.3K`, `4.0M`: at most six columns, for narrow tables.
pub fn bytes_short(n: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 999.95 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 99.95 {
        format!("{value:.0}{}", UNITS[unit])
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

/// `150B/s`, `10.5K/s`.
pub fn rate_short(bytes_per_second: f64) -> String {
    format!("{}/s", bytes_short(bytes_per_second.round() as u64))
}

/// `0 B/s`, `1.2 KiB/s`.
pub fn rate(bytes_per_second: f64) -> String {
    format!("{}/s", bytes(bytes_per_second.round() as u64))
}

/// `0.4 s`, `12.3 s`, `2:05`, `1:02:03`: tenths, for table cells and clocks
/// that move.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else if secs < 3600 {
        format!("{}:{:02}", secs / 60, secs % 60)
    } else {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    }
}

/// `30 s`, `0.5 s`, `1.25 s`: exact to the millisecond, as short as the
/// value allows (for messages: the log, errors, the summary).
pub fn seconds(duration: Duration) -> String {
    let text = format!("{:.3}", duration.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} s")
}

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

/// Seconds with millisecond precision, for NDJSON.
pub fn secs(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_and_seconds() {
        assert_eq!(clock(Duration::from_millis(10_240)), "0:00:10.2");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03.0");
        assert_eq!(seconds(Duration::from_millis(500)), "0.5 s");
        assert_eq!(seconds(Duration::from_millis(1250)), "1.25 s");
        assert_eq!(secs(Duration::from_micros(1_234_567)), 1.235);
    }

    #[test]
    fn short_forms() {
        assert_eq!(bytes(812), "812 B");
        assert_eq!(bytes(12_595), "12.3 KiB");
        assert_eq!(rate(1228.8), "1.2 KiB/s");
        assert_eq!(duration(Duration::from_millis(12_340)), "12.3 s");
        assert_eq!(duration(Duration::from_secs(125)), "2:05");
        assert_eq!(bytes_short(450), "450B");
        assert_eq!(bytes_short(10_752), "10.5K");
        assert_eq!(bytes_short(500_000), "488K");
        assert_eq!(bytes_short(1_048_000), "1.0M");
        assert_eq!(rate_short(150.0), "150B/s");
        for n in [0, 1023, 1024, 99_999, 1 << 20, u64::MAX] {
            assert!(
                bytes_short(n).chars().count() <= 6,
                "{n}: {}",
                bytes_short(n)
            );
        }
    }
}
