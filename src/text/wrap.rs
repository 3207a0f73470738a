//! Wrapping display text to a pane's width: the poem pane, the gallery and
//! the poem pane's scrolling all count rows the same way.

use unicode_width::UnicodeWidthChar;

/// The most bytes a pane of this size can show: four per cell (the longest
/// UTF-8 character), plus room for escapes shown as `<U+XXXX>`.
pub fn screenful_bytes(width: u16, height: u16) -> usize {
    usize::from(width) * usize::from(height) * 4 + 64
}

/// The rows to show: `lines` wrapped to `width`, at most `height` of them.
/// Only the lines that can be seen are wrapped.
pub fn visible_rows(
    lines: impl Iterator<Item = impl AsRef<str>>,
    width: usize,
    height: usize,
) -> Vec<String> {
    let mut rows = Vec::with_capacity(height);
    for line in lines {
        if rows.len() >= height {
            break;
        }
        wrap(line.as_ref(), width, height - rows.len(), &mut rows);
    }
    rows
}

/// Appends `line` wrapped at spaces to `width` columns (breaking words longer
/// than that), stopping after `limit` rows.
pub fn wrap(line: &str, width: usize, limit: usize, rows: &mut Vec<String>) {
    let width = width.max(1);
    if line.is_empty() {
        rows.push(String::new());
        return;
    }
    let mut row = String::new();
    let mut row_width = 0;
    let mut added = 0;
    for word in line.split_inclusive(' ') {
        let word_width: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
        if row_width + word_width.saturating_sub(usize::from(word.ends_with(' '))) > width
            && row_width > 0
        {
            rows.push(std::mem::take(&mut row).trim_end().to_string());
            row_width = 0;
            added += 1;
            if added >= limit {
                return;
            }
        }
        for c in word.chars() {
            let w = c.width().unwrap_or(0);
            if row_width + w > width && c != ' ' {
                rows.push(std::mem::take(&mut row));
                row_width = 0;
                added += 1;
                if added >= limit {
                    return;
                }
            }
            row.push(c);
            row_width += w;
        }
    }
    rows.push(row.trim_end().to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_breaks_long_words() {
        let mut rows = Vec::new();
        wrap("Where, like a pillow on a bed,", 12, 10, &mut rows);
        assert_eq!(rows, ["Where, like", "a pillow on", "a bed,"]);
        rows.clear();
        wrap("abcdefghij", 4, 10, &mut rows);
        assert_eq!(rows, ["abcd", "efgh", "ij"]);
        rows.clear();
        wrap("床前明月光", 4, 10, &mut rows);
        assert_eq!(rows, ["床前", "明月", "光"]);
    }

    #[test]
    fn only_the_visible_rows() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(
            visible_rows(text.lines().skip(10), 20, 3),
            ["line 10", "line 11", "line 12"]
        );
    }
}
