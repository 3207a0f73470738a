//! Short forms for table cells (from [`crate::units`]) and the sparkline.

pub use crate::units::{DURATION_WIDTH, bytes, bytes_short, duration, rate, rate_short};

/// Eight levels of block, scaled to the largest value.
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| match v {
            0 => ' ',
            v => BARS[((v * 7) / max.max(1)) as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_largest() {
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
    }
}
