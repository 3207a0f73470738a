//! Bytes, rates, durations and clocks as people read them: the one place
//! every layer formats them, so that the table, the log, errors and the
//! summary agree (`1.25 s` everywhere, never `1.25s` beside it). It imports
//! nothing of ours, so the engine may use it too.

use std::time::Duration;

/// `n` bytes divided by 1024 at least once and then while the value is at
/// least `below` and units remain: the value and the index of its unit.
fn scaled(n: u64, below: f64, units: usize) -> (f64, usize) {
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= below && unit < units - 1 {
        value /= 1024.0;
        unit += 1;
    }
    (value, unit)
}

/// `812 B`, `12.3 KiB`, `4.0 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let (value, unit) = scaled(n, 1024.0, UNITS.len());
    format!("{value:.1} {}", UNITS[unit])
}

/// `812B`, `12.3K`, `4.0M`: at most six columns, for narrow tables.
pub fn bytes_short(n: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if n < 1024 {
        return format!("{n}B");
    }
    // Below 999.5 so that rounding to whole units never shows four digits
    // ("1000K" for 999.6 K).
    let (value, unit) = scaled(n, 999.5, UNITS.len());
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

/// The most columns [`duration`] ever takes: table cells are this wide.
pub const DURATION_WIDTH: usize = 7;

/// `0.4 s`, `12.3 s`, `2:05`, `1:02:03`, then `12h 05m`, `3d 04h`,
/// `11574d`: tenths, for table cells and clocks that move. Never more than
/// [`DURATION_WIDTH`] columns, so a long `--timeout` is shown whole, in a
/// coarser unit, and never cut.
pub fn duration(d: Duration) -> String {
    const HOUR: u64 = 3600;
    const DAY: u64 = 24 * HOUR;
    let exact = d.as_secs_f64();
    if exact < 59.95 {
        return format!("{exact:.1} s");
    }
    // Whole seconds from here on, rounded as the tenths were.
    let secs = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    if secs < HOUR {
        format!("{}:{:02}", secs / 60, secs % 60)
    } else if secs < 10 * HOUR {
        format!("{}:{:02}:{:02}", secs / HOUR, secs / 60 % 60, secs % 60)
    } else if secs < 100 * HOUR {
        format!("{}h {:02}m", secs / HOUR, secs / 60 % 60)
    } else if secs < 100 * DAY {
        format!("{}d {:02}h", secs / DAY, secs / HOUR % 24)
    } else if secs / DAY < 1_000_000 {
        format!("{}d", secs / DAY)
    } else {
        ">999kd".to_string()
    }
}

/// `48 KiB`, `8 MiB`, `1000 bytes`: exact, in the largest unit that divides
/// (for limits, which people set in round units).
pub fn exact_size(bytes: u64) -> String {
    for (unit, scale) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= scale && bytes.is_multiple_of(scale) {
            return format!("{} {unit}", bytes / scale);
        }
    }
    format!("{bytes} bytes")
}

/// `30 s`, `0.5 s`, `1.25 s`: exact to the millisecond, as short as the
/// value allows (for messages: the log, errors, the summary). Under half a
/// millisecond, but not nothing: `<0.001 s`, never `0 s` beside `0.001 s`.
pub fn seconds(duration: Duration) -> String {
    if !duration.is_zero() && duration < Duration::from_micros(500) {
        return "<0.001 s".to_string();
    }
    let text = format!("{:.3}", duration.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} s")
}

/// `0:46.8`, `1:02.0`, `1:02:03`: a time since the start in one form from
/// the first second to the last (the log's times), tenths while under an
/// hour.
pub fn since_start(duration: Duration) -> String {
    let tenths = duration.as_millis() / 100;
    let (secs, tenth) = (tenths / 10, tenths % 10);
    if secs < 3600 {
        format!("{}:{:02}.{tenth}", secs / 60, secs % 60)
    } else {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    }
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
        assert_eq!(seconds(Duration::from_micros(300)), "<0.001 s");
        assert_eq!(seconds(Duration::ZERO), "0 s");
        assert_eq!(since_start(Duration::from_millis(46_800)), "0:46.8");
        assert_eq!(since_start(Duration::from_millis(62_000)), "1:02.0");
        assert_eq!(since_start(Duration::from_secs(3723)), "1:02:03");
        assert_eq!(secs(Duration::from_micros(1_234_567)), 1.235);
        assert_eq!(exact_size(48 << 10), "48 KiB");
        assert_eq!(exact_size(8 << 20), "8 MiB");
        assert_eq!(exact_size(1000), "1000 bytes");
        assert_eq!(exact_size(1 << 30), "1 GiB");
        assert_eq!(exact_size(1500), "1500 bytes", "not a whole KiB");
        assert_eq!(exact_size(0), "0 bytes");
        assert_eq!(seconds(Duration::from_micros(500)), "0.001 s");
        assert_eq!(since_start(Duration::from_secs(3599)), "59:59.0");
        assert_eq!(since_start(Duration::from_secs(3600)), "1:00:00");
    }

    #[test]
    fn short_forms() {
        assert_eq!(bytes(812), "812 B");
        assert_eq!(bytes(12_595), "12.3 KiB");
        assert_eq!(rate(1228.8), "1.2 KiB/s");
        assert_eq!(duration(Duration::from_millis(12_340)), "12.3 s");
        assert_eq!(duration(Duration::from_secs(125)), "2:05");
        assert_eq!(duration(Duration::from_millis(59_940)), "59.9 s");
        assert_eq!(duration(Duration::from_millis(59_960)), "1:00");
        assert_eq!(duration(Duration::from_secs(3723)), "1:02:03");
        assert_eq!(duration(Duration::from_secs(12 * 3600 + 300)), "12h 05m");
        assert_eq!(duration(Duration::from_secs(100 * 3600)), "4d 04h");
        // `-t 1e9`: whole, in days, where the clock form would not fit.
        assert_eq!(duration(Duration::from_secs(1_000_000_000)), "11574d");
        for secs in [
            0,
            59,
            60,
            3599,
            3600,
            35_999,
            36_000,
            359_999,
            360_000,
            8_639_999,
            8_640_000,
            u64::MAX,
        ] {
            let shown = duration(Duration::from_secs(secs));
            assert!(shown.chars().count() <= DURATION_WIDTH, "{secs}: {shown}");
        }
        assert_eq!(bytes_short(450), "450B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes_short(1023), "1023B");
        assert_eq!(bytes_short(1024), "1.0K");
        assert_eq!(duration(Duration::from_millis(59_950)), "1:00");
        assert_eq!(duration(Duration::from_secs(3599)), "59:59");
        assert_eq!(duration(Duration::from_secs(3600)), "1:00:00");
        assert_eq!(duration(Duration::from_secs(999_999 * 86_400)), "999999d");
        assert_eq!(duration(Duration::from_secs(1_000_000 * 86_400)), ">999kd");
        assert_eq!(bytes_short(10_752), "10.5K");
        assert_eq!(bytes_short(500_000), "488K");
        assert_eq!(bytes_short(1_048_000), "1.0M");
        assert_eq!(rate_short(150.0), "150B/s");
        // The rounding edges: tenths up to 99.9, then whole units up to
        // 999, then the next unit; never more than five columns (the Bytes
        // column's seven with a `*`, the Rate column's seven with `/s`).
        assert_eq!(bytes_short(102_348), "99.9K"); // 99.949 K
        assert_eq!(bytes_short(102_349), "100K"); // 99.950 K
        assert_eq!(bytes_short(1_023_487), "999K"); // 999.49 K
        assert_eq!(bytes_short(1_023_488), "1.0M"); // 999.50 K
        assert_eq!(rate_short(102_349.0), "100K/s");
        let mut edges = vec![0, u64::MAX];
        for unit in 0..6u32 {
            let scale = 1024f64.powi(unit as i32 + 1);
            for value in [1.0, 9.95, 99.95, 999.5, 1024.0] {
                let at = (value * scale) as u64;
                edges.extend(at.saturating_sub(3)..at.saturating_add(3));
            }
        }
        edges.extend(1000..1030);
        for n in edges {
            let short = bytes_short(n);
            assert!(short.chars().count() <= 5, "{n}: {short}");
            assert!(rate_short(n as f64).chars().count() <= 7, "{n}");
            assert!(
                short.ends_with('B') || !short.starts_with("1000"),
                "{n}: {short}"
            );
        }
    }
}
