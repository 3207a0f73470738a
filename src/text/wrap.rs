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
        for token in tokens(word) {
            let w: usize = token.chars().map(|c| c.width().unwrap_or(0)).sum();
            if row_width + w > width && token != " " && row_width > 0 {
                rows.push(std::mem::take(&mut row));
                row_width = 0;
                added += 1;
                if added >= limit {
                    return;
                }
            }
            row.push_str(token);
            row_width += w;
        }
    }
    rows.push(row.trim_end().to_string());
}

/// The pieces a long word may be broken between: characters, except that
/// the visible forms of controls (`^[`, `M-^[`, `<U+202E>`) stay whole.
fn tokens(word: &str) -> impl Iterator<Item = &str> {
    let mut rest = word;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let caret_len = |s: &str| {
            let mut chars = s.chars();
            chars.next()?;
            chars.next().map(|c| 1 + c.len_utf8())
        };
        let len = if let Some(after) = rest.strip_prefix("M-^") {
            after.chars().next().map_or(3, |c| 3 + c.len_utf8())
        } else if first == '^' {
            caret_len(rest).unwrap_or(1)
        } else if rest.starts_with("<U+") {
            rest.find('>')
                .filter(|&end| end <= 10)
                .map_or(1, |end| end + 1)
        } else {
            first.len_utf8()
        };
        let (token, tail) = rest.split_at(len);
        rest = tail;
        Some(token)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(line: &str, width: usize, limit: usize) -> Vec<String> {
        let mut rows = Vec::new();
        wrap(line, width, limit, &mut rows);
        rows
    }

    #[test]
    fn long_words_break_by_width_and_limits_hold() {
        assert_eq!(wrapped("abcdefghij", 4, usize::MAX), ["abcd", "efgh", "ij"]);
        assert_eq!(
            wrapped("abcdefghij", 4, 2),
            ["abcd", "efgh"],
            "at most the limit"
        );
        assert_eq!(wrapped("one two three four", 8, 1), ["one two"]);
        // A character wider than the pane gets a row of its own, no empty
        // row before it.
        assert_eq!(wrapped("日本", 1, usize::MAX), ["日", "本"]);
        // The visible form of a control is never split.
        assert_eq!(
            wrapped("M-^[M-^[M-^[", 5, usize::MAX),
            ["M-^[", "M-^[", "M-^["]
        );
        assert_eq!(wrapped("^[^[^[", 3, usize::MAX), ["^[", "^[", "^["]);
        assert_eq!(
            visible_rows(["x".repeat(100)].iter(), 10, 3).len(),
            3,
            "no more rows than the pane's height"
        );
        assert_eq!(screenful_bytes(80, 24), 80 * 24 * 4 + 64);
    }

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
    fn the_visible_form_of_a_control_is_never_split() {
        let mut rows = Vec::new();
        wrap("abc^[[2Jxyz", 4, 10, &mut rows);
        assert_eq!(rows, ["abc", "^[[2", "Jxyz"]);
        rows.clear();
        wrap("ab<U+202E>cd", 6, 10, &mut rows);
        assert_eq!(rows, ["ab", "<U+202E>", "cd"]);
        rows.clear();
        wrap("abcM-^[d", 5, 10, &mut rows);
        assert_eq!(rows, ["abc", "M-^[d"]);
        rows.clear();
        wrap("abM-^[", 5, 10, &mut rows);
        assert_eq!(rows, ["ab", "M-^["], "M-^ stays with its letter");
    }

    #[test]
    fn only_the_visible_rows() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(
            visible_rows(text.lines().skip(10), 20, 3),
            ["line 10", "line 11", "line 12"]
        );
        // A long line after a short one gets only the rows that are left.
        let long = "x".repeat(100);
        assert_eq!(
            visible_rows(["a", long.as_str()].iter(), 10, 3),
            ["a", "xxxxxxxxxx", "xxxxxxxxxx"]
        );
    }
}
