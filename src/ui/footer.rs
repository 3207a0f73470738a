//! The bottom line: the keys that matter most here. `? help` and `q quit`
//! always stay; the other hints drop by priority as the terminal narrows.
//! While a prompt is open (`a`, `/`) the line is the prompt, and says the
//! keys that work there instead (`q` types a q).

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::fit::keep;
use crate::model::Model;
use crate::model::view::{Confirm, Focus, Prompt, PromptKind, View};
use unicode_width::UnicodeWidthStr;

/// The hints for what is on screen: (key, what, priority). Each says what
/// its key does now: in a popup, in a focused pane, on a paused row.
fn hints(view: &View, model: &Model) -> Vec<(&'static str, String, u8)> {
    if view.help {
        return vec![("↑↓", "scroll".into(), 5)];
    }
    if view.gallery {
        return vec![
            ("PgUp PgDn", "page".into(), 5),
            ("g G", "first/last".into(), 3),
            ("v Esc", "leave".into(), 4),
        ];
    }
    let arrows = match view.focus {
        Focus::Table => "select",
        Focus::Poem | Focus::Log => "scroll",
    };
    let paused = view
        .selected
        .and_then(|task| model.get(task))
        .is_some_and(|download| download.paused);
    let space = if paused { "resume" } else { "pause" };
    let mut hints = vec![
        ("↑↓", arrows.into(), 12),
        ("Tab", "pane".into(), 4),
        ("r", "retry".into(), 11),
        ("R", "all failed".into(), 2),
        ("c", "cancel".into(), 10),
        ("C", "all".into(), 1),
        ("space", space.into(), 8),
        ("a", "add".into(), 9),
        ("/", "find".into(), 7),
        ("s", format!("sort:{}", view.sort.label()), 6),
        ("f", format!("filter:{}", view.filter.label()), 5),
        ("v", "gallery".into(), 3),
    ];
    if view.focus != Focus::Table {
        // Back to the table is the way out of a pane.
        hints.push(("Esc", "table".into(), 13));
        if view.focus == Focus::Poem {
            hints.push(("End", "follow".into(), 5));
        }
    }
    hints
}

/// The question a key asked, in words: what would be thrown away, and how
/// to answer.
fn question(confirm: Confirm, room: usize) -> String {
    let (long, short) = match confirm {
        Confirm::Quit { going } => (
            format!("{going} not finished — q again to quit, any other key to stay"),
            format!("{going} going: q again quits"),
        ),
        Confirm::CancelAll { going } => (
            format!("cancel {going} not finished? C again (or y) to cancel, any other key to keep"),
            format!("C again cancels {going}"),
        ),
    };
    if long.width() <= room { long } else { short }
}

/// The open prompt: what it is for, the text around the cursor, the error
/// if Enter refused it, and its keys at the right. The error is the one
/// thing that must be read: it takes the width the text does not need, and
/// the keys give way to it.
/// Rows the footer takes: one, or two when the prompt's error does not fit
/// beside its text and keys (it then gets a line of its own, whole).
pub fn height(view: &View, width: u16) -> u16 {
    let Some(prompt) = &view.prompt else {
        return 1;
    };
    match &prompt.error {
        Some(error) if !error_fits_beside(prompt, error, width as usize) => 2,
        _ => 1,
    }
}

/// The widest of the prompts' keys ("Enter add  Esc cancel ").
const PROMPT_KEYS_WIDTH: usize = 22;

fn error_fits_beside(prompt: &Prompt, error: &str, width: usize) -> bool {
    1 + 6 + text_min(prompt) + 2 + error.width() + PROMPT_KEYS_WIDTH <= width
}

/// The columns the text keeps beside an error, to show where the cursor
/// is: up to twelve (only that much of the text is measured, however long
/// a paste).
fn text_min(prompt: &Prompt) -> usize {
    let start: usize = prompt
        .text
        .chars()
        .take(12)
        .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0))
        .sum();
    (start + 1).min(12)
}

fn draw_prompt(frame: &mut Frame, area: Rect, prompt: &Prompt, theme: &Theme) {
    if area.height >= 2
        && let Some(error) = &prompt.error
    {
        // The error on a line of its own, above the prompt.
        let [error_line, prompt_line] =
            ratatui::layout::Layout::vertical([Constraint::Length(1), Constraint::Length(1)])
                .areas(area);
        let shown = cut_end(&format!(" {error}"), area.width as usize);
        frame.render_widget(Paragraph::new(Span::styled(shown, theme.bad())), error_line);
        draw_prompt_line(frame, prompt_line, prompt, None, theme);
        return;
    }
    draw_prompt_line(frame, area, prompt, prompt.error.as_deref(), theme);
}

/// The prompt's one line, with `error` beside the text when given.
fn draw_prompt_line(
    frame: &mut Frame,
    area: Rect,
    prompt: &Prompt,
    error: Option<&str>,
    theme: &Theme,
) {
    let (label, enter, esc) = match prompt.kind {
        PromptKind::Add => ("add: ", "add", "cancel"),
        // Esc in the find prompt clears the search, whatever was kept.
        PromptKind::Find => ("find: ", "keep", "clear"),
    };
    let keys = Line::from(vec![
        Span::styled("Enter", theme.key()),
        Span::raw(format!(" {enter}  ")),
        Span::styled("Esc", theme.key()),
        Span::raw(format!(" {esc} ")),
    ]);
    let width = area.width as usize;
    let fixed = 1 + label.width();
    // The text keeps a little room to show where the cursor is.
    let text_min = text_min(prompt);
    let error = error.map(|e| format!("  {e}"));
    let error_width = error.as_deref().map_or(0, UnicodeWidthStr::width);
    let keys_width = super::fit::width(&keys);
    let show_keys = fixed + text_min + error_width + keys_width <= width || error.is_none();
    let keys_room = if show_keys { keys_width } else { 0 };
    let error_room = width.saturating_sub(fixed + text_min + keys_room);
    let error = error.map(|e| cut_end(&e, error_room));
    let shown_error = error.as_deref().map_or(0, UnicodeWidthStr::width);
    let room = width.saturating_sub(fixed + shown_error + keys_room).max(1);
    let mut spans = vec![Span::raw(" "), Span::styled(label, theme.title())];
    spans.extend(around_cursor(prompt, room, theme));
    if let Some(error) = error {
        spans.push(Span::styled(error, theme.bad()));
    }
    if show_keys {
        let used = super::fit::width(&Line::from(spans.clone()));
        spans.push(Span::raw(
            " ".repeat(width.saturating_sub(used + keys_width)),
        ));
        spans.extend(keys.spans);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The prompt's text in `room` columns around its cursor (shown reversed),
/// with `…` where it is cut. Only the part near the cursor is made safe to
/// show, so a long paste costs no more to draw than a short one.
fn around_cursor(prompt: &Prompt, room: usize, theme: &Theme) -> Vec<Span<'static>> {
    let near = room * 4 + 8;
    let before_start = floor_boundary(&prompt.text, prompt.cursor.saturating_sub(near));
    let after_end = floor_boundary(&prompt.text, prompt.cursor.saturating_add(near));
    let before = crate::text::sanitize(&prompt.text[before_start..prompt.cursor]).text;
    let after = crate::text::sanitize(&prompt.text[prompt.cursor..after_end]).text;
    let cut_before = before_start > 0;
    let cut_after = after_end < prompt.text.len();
    let mut after_chars = after.chars();
    let at_cursor = after_chars.next();
    let after: String = after_chars.collect();
    // What follows the cursor gets up to a third of the room when there is
    // more before it than fits.
    let room = room.saturating_sub(1);
    let after_room = if before.width() + after.width() <= room {
        after.width()
    } else {
        (room / 3).min(after.width())
    };
    let before_room = room - after_room;
    let before = keep_end(&before, before_room, cut_before);
    let after = cut_end_marked(&after, after_room, cut_after || after.width() > after_room);
    vec![
        Span::raw(before),
        Span::styled(
            at_cursor.map_or(" ".to_string(), String::from),
            theme.key().add_modifier(ratatui::style::Modifier::REVERSED),
        ),
        Span::raw(after),
    ]
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The end of `text` in `width` columns, `…` first when anything is left
/// out (or `cut` says something already was).
fn keep_end(text: &str, width: usize, cut: bool) -> String {
    if text.width() <= width && !cut {
        return text.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        kept.push(c);
    }
    if width == 0 {
        return String::new();
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// The start of `text` in `width` columns, `…` last when cut.
fn cut_end_marked(text: &str, width: usize, cut: bool) -> String {
    if !cut {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    format!("{}…", super::fit::start_of(text, width - 1))
}

fn cut_end(text: &str, width: usize) -> String {
    cut_end_marked(text, width, text.width() > width)
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    view: &View,
    model: &Model,
    now: Instant,
    theme: &Theme,
) {
    if let Some(prompt) = &view.prompt {
        draw_prompt(frame, area, prompt, theme);
        return;
    }
    // In a popup q closes it: the hint says so.
    let q = if view.help || view.gallery {
        " close "
    } else {
        " quit "
    };
    let fixed = Line::from(vec![
        Span::styled("?", theme.key()),
        Span::raw(" help  "),
        Span::styled("q", theme.key()),
        Span::raw(q),
    ]);
    // A space before the hints and two between them and the fixed part.
    let room = (area.width as usize).saturating_sub(super::fit::width(&fixed) + 3);
    let hints = hints(view, model);
    let sizes: Vec<(usize, u8)> = hints
        .iter()
        .map(|(key, what, priority)| (key.width() + 1 + what.width(), *priority))
        .collect();
    let kept = keep(&sizes, 2, room);
    let mut line = Line::default();
    if let Some(confirm) = view.confirm {
        // A question waits for its answer: nothing else on the line.
        let asked: String = question(confirm, room).chars().take(room).collect();
        line.spans.push(Span::styled(asked, theme.warning()));
    } else if let Some(status) = view.status(now) {
        // What the last key did (or why it did nothing), for a moment.
        let status: String = status.chars().take(room).collect();
        line.spans.push(Span::styled(status, theme.warning()));
    }
    let hints = if line.spans.is_empty() {
        hints
    } else {
        Vec::new()
    };
    for ((key, what, _), _) in hints.iter().zip(&kept).filter(|(_, k)| **k) {
        if !line.spans.is_empty() {
            line.spans.push(Span::raw("  "));
        }
        line.spans.push(Span::styled(*key, theme.key()));
        line.spans.push(Span::raw(format!(" {what}")));
    }
    let mut spans = vec![Span::raw(" ")];
    spans.extend(line.spans);
    if spans.len() > 1 {
        spans.push(Span::raw("  "));
    }
    spans.extend(fixed.spans);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::view::PromptKind;

    fn prompt(text: &str, error: &str) -> View {
        View {
            prompt: Some(Prompt {
                kind: PromptKind::Add,
                text: text.into(),
                cursor: text.len(),
                error: Some(error.into()),
            }),
            ..View::default()
        }
    }

    #[test]
    fn an_error_takes_a_line_of_its_own_only_when_it_does_not_fit_beside() {
        // The label and spaces (1 + 6), the text's first columns and one for
        // the cursor (3 + 1), two spaces, the error, the keys.
        let view = prompt("x:0", "bad port");
        let needed = 1 + 6 + 4 + 2 + "bad port".len() + PROMPT_KEYS_WIDTH;
        assert_eq!(height(&view, needed as u16), 1, "fits exactly");
        assert_eq!(height(&view, needed as u16 - 1), 2, "one column short");
        // The text's share is at most twelve columns, however long it is.
        let long = prompt(&"1".repeat(40), "bad port");
        let needed = 1 + 6 + 12 + 2 + "bad port".len() + PROMPT_KEYS_WIDTH;
        assert_eq!(height(&long, needed as u16), 1);
        assert_eq!(height(&long, needed as u16 - 1), 2);
        let no_prompt = View::default();
        assert_eq!(height(&no_prompt, 40), 1);
    }
}
