//! Fitting a line of fields into a width: fields carry a priority, the least
//! important go first, and what stays is whole (never a number cut in two).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// One field of a line: its text, style and priority (higher stays longer).
pub struct Field {
    pub text: String,
    pub style: Style,
    pub priority: u8,
}

impl Field {
    pub fn new(text: impl Into<String>, style: Style, priority: u8) -> Field {
        Field {
            text: text.into(),
            style,
            priority,
        }
    }
}

/// Which of fields of these widths fit in `width` columns with `gap`
/// columns between them, dropping the lowest priority first (the later of
/// equals first), then putting back any dropped field that fits in the room
/// a wider one left (for a line of words; the table's columns keep their
/// order of leaving, see [`drop_by_priority`]). The answer keeps the
/// fields' order.
pub fn keep(widths_and_priorities: &[(usize, u8)], gap: usize, width: usize) -> Vec<bool> {
    let (mut kept, dropped) = dropping(widths_and_priorities, gap, width);
    for &i in dropped.iter().rev() {
        kept[i] = true;
        if total(widths_and_priorities, &kept, gap) > width {
            kept[i] = false;
        }
    }
    kept
}

/// As [`keep`] without putting anything back: a column leaves strictly by
/// priority, so a wider terminal never shows fewer of the important ones.
pub fn drop_by_priority(
    widths_and_priorities: &[(usize, u8)],
    gap: usize,
    width: usize,
) -> Vec<bool> {
    dropping(widths_and_priorities, gap, width).0
}

fn total(widths_and_priorities: &[(usize, u8)], kept: &[bool], gap: usize) -> usize {
    let shown: Vec<usize> = widths_and_priorities
        .iter()
        .zip(kept)
        .filter(|(_, k)| **k)
        .map(|((w, _), _)| *w)
        .collect();
    shown.iter().sum::<usize>() + gap * shown.len().saturating_sub(1)
}

/// The fields kept after dropping by priority, and those dropped in order.
fn dropping(
    widths_and_priorities: &[(usize, u8)],
    gap: usize,
    width: usize,
) -> (Vec<bool>, Vec<usize>) {
    let mut kept = vec![true; widths_and_priorities.len()];
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by_key(|&i| (widths_and_priorities[i].1, std::cmp::Reverse(i)));
    let mut dropped = Vec::new();
    for i in order {
        if total(widths_and_priorities, &kept, gap) <= width {
            break;
        }
        kept[i] = false;
        dropped.push(i);
    }
    (kept, dropped)
}

/// The fields that fit in `width` columns with `gap` between them, in their
/// own order (see [`keep`]).
pub fn fit(fields: Vec<Field>, gap: &str, width: usize) -> Line<'static> {
    let sizes: Vec<(usize, u8)> = fields
        .iter()
        .map(|f| (f.text.width(), f.priority))
        .collect();
    let kept = keep(&sizes, gap.width(), width);
    let mut spans = Vec::new();
    for (field, _) in fields.into_iter().zip(&kept).filter(|(_, k)| **k) {
        if !spans.is_empty() {
            spans.push(Span::raw(gap.to_string()));
        }
        spans.push(Span::styled(field.text, field.style));
    }
    Line::from(spans)
}

/// The width of a line as drawn.
pub fn width(line: &Line) -> usize {
    line.spans.iter().map(|s| s.content.width()).sum()
}

/// The narrowest a server's text is cut to: an ellipsis and the largest
/// port (`…:65535`).
pub const ADDRESS_MIN: usize = 7;

/// A server as `name host:port` in at most `width` columns, cut where it
/// loses least: the whole port always stays (a cut port is another valid
/// port); the host is cut in its middle (`127.…0.1:40104`), keeping the
/// name whole; when even that does not fit, the name's start stays
/// (`srv-abcdefgh…:40104`). Below [`ADDRESS_MIN`] only the port is left,
/// as much of it as fits.
pub fn address(address: &crate::address::Address, width: usize) -> String {
    let whole = address.shown();
    if whole.width() <= width {
        return whole;
    }
    let text = address.to_string();
    // `:PORT`, or `]:PORT` for a bracketed IPv6 host: never cut.
    let port = format!(":{}", address.port);
    let host = text.strip_suffix(&port).unwrap_or(&text);
    let name = address.label().map(|label| format!("{label} "));
    let room = width.saturating_sub(port.width());
    let name_width = name.as_deref().map_or(0, UnicodeWidthStr::width);
    // The host cut in its middle needs at least a character either side of
    // its ellipsis to say anything.
    if room >= name_width + 3 {
        let host = middle_cut(host, room - name_width);
        return format!("{}{host}{port}", name.unwrap_or_default());
    }
    match address.label() {
        Some(label) if room >= 2 => format!("{}…{port}", start_of(label, room - 1)),
        _ if room >= 1 => format!("…{port}"),
        _ => port.chars().take(width).collect(),
    }
}

/// `text` in `width` columns with its middle replaced by an ellipsis.
fn middle_cut(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let start = start_of(text, head);
    let chars: Vec<char> = text.chars().collect();
    let mut end = String::new();
    let mut used = 0;
    for c in chars.iter().rev() {
        let w = unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
        if used + w > tail {
            break;
        }
        used += w;
        end.insert(0, *c);
    }
    format!("{start}…{end}")
}

/// As much of the start of `text` as fits in `width` columns.
pub(super) fn start_of(text: &str, width: usize) -> String {
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
            used <= width
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;

    #[test]
    fn a_narrow_field_dropped_first_comes_back_when_a_wide_one_leaves_room() {
        // Widths 4, 9 (priority 5) and 2 (priority 5) with gaps of 3 in 12:
        // the last is dropped first, then the wide one, which leaves room
        // for the last again.
        assert_eq!(
            keep(&[(4, 9), (9, 5), (2, 5)], 3, 12),
            vec![true, false, true]
        );
        // Nothing comes back that does not fit.
        assert_eq!(
            keep(&[(4, 9), (9, 5), (6, 5)], 3, 12),
            vec![true, false, false]
        );
        // Everything that fits stays.
        assert_eq!(keep(&[(4, 9), (2, 1)], 3, 9), vec![true, true]);
    }

    #[test]
    fn an_address_keeps_its_whole_port_and_its_name_start() {
        let plain = Address::loopback(40104);
        assert_eq!(address(&plain, 40), "127.0.0.1:40104");
        assert_eq!(address(&plain, 12), "127….1:40104");
        assert_eq!(address(&plain, 7), "…:40104");
        let named = Address::loopback(40104).named("abcdefghijklmnopqrstuvwxyz012345");
        assert_eq!(
            address(&named, 60),
            "abcdefghijklmnopqrstuvwxyz012345 127.0.0.1:40104"
        );
        assert_eq!(address(&named, 20), "abcdefghijklm…:40104");
        let v6 = Address::new("2001:db8::1234:5678", 35703).named("v6");
        assert_eq!(address(&v6, 30), "v6 [2001:db8::1234:5678]:35703");
        assert_eq!(address(&v6, 20), "v6 [2001…5678]:35703");
        for width in ADDRESS_MIN..60 {
            for a in [&plain, &named, &v6] {
                let shown = address(a, width);
                assert!(shown.width() <= width, "{width}: {shown}");
                assert!(shown.ends_with(&format!(":{}", a.port)), "{width}: {shown}");
            }
        }
    }
}
