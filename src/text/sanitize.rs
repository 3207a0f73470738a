//! Makes server text harmless for a terminal while keeping it readable.
//!
//! A poetry server is untrusted: its bytes could clear the screen, move the
//! cursor, set the window title, write the clipboard (OSC 52) or reorder
//! text with bidi overrides. Every such character is shown visibly instead,
//! the way `cat -v` and git's sideband output do, and counted so the user
//! can be told. Tabs become spaces so columns stay where the layout put them.

use unicode_width::UnicodeWidthChar;

/// Where tabs stop, in columns.
const TAB_WIDTH: usize = 8;

/// Text that is safe to write to a terminal, and how many characters had to
/// be made visible to get it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sanitized {
    pub text: String,
    pub replaced: usize,
}

/// Sanitises `input`. Newlines are kept (a CR before a newline is dropped);
/// everything else that a terminal would act on is replaced.
pub fn sanitize(input: &str) -> Sanitized {
    let mut out = Sanitized {
        text: String::with_capacity(input.len()),
        replaced: 0,
    };
    out.replaced = sanitize_into(input, &mut out.text);
    out
}

/// Appends the sanitised form of `input` to `out`; returns how many
/// characters were replaced. Tab stops are counted from the last newline in
/// `input`.
pub fn sanitize_into(input: &str, out: &mut String) -> usize {
    let mut replaced = 0;
    let mut column = 0;
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                out.push('\n');
                column = 0;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\t' => {
                let spaces = TAB_WIDTH - column % TAB_WIDTH;
                out.extend(std::iter::repeat_n(' ', spaces));
                column += spaces;
            }
            c if needs_escape(c) => {
                let before = out.len();
                push_visible(c, out);
                column += out.len() - before; // the escapes are ASCII
                replaced += 1;
            }
            c => {
                out.push(c);
                column += c.width().unwrap_or(0);
            }
        }
    }
    replaced
}

/// True for characters a terminal interprets rather than prints, and for
/// those that change the order or direction in which text is shown.
fn needs_escape(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c,
            '\u{061C}'                 // Arabic letter mark
            | '\u{200E}' | '\u{200F}'  // left-to-right and right-to-left marks
            | '\u{202A}'..='\u{202E}'  // bidi embeddings and overrides
            | '\u{2066}'..='\u{2069}'  // bidi isolates
            | '\u{2028}' | '\u{2029}'  // line and paragraph separators
        )
}

/// Caret notation for C0 and DEL (`^[`, `^?`), `M-^x` for C1 as `cat -v`
/// writes it, and `<U+XXXX>` for the invisible formatting characters.
fn push_visible(c: char, out: &mut String) {
    let code = c as u32;
    match code {
        0x00..=0x1F => {
            out.push('^');
            out.push(char::from(b'@' + code as u8));
        }
        0x7F => out.push_str("^?"),
        0x80..=0x9F => {
            out.push_str("M-^");
            out.push(char::from(b'@' + (code - 0x80) as u8));
        }
        _ => out.push_str(&format!("<U+{code:04X}>")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_poetry_passes_through() {
        let poem = "Where, like a pillow on a bed,\nA pregnant bank swell'd up — 日本 🌹\n";
        assert_eq!(
            sanitize(poem),
            Sanitized {
                text: poem.into(),
                replaced: 0
            }
        );
    }

    #[test]
    fn escapes_are_made_visible_and_counted() {
        let hostile = "a\u{1b}[2Jb\u{1b}]52;c;ZXZpbA==\u{7}c\u{9b}31md\u{202e}e\0\u{8}\rf\r\n";
        let clean = sanitize(hostile);
        assert_eq!(
            clean.text,
            "a^[[2Jb^[]52;c;ZXZpbA==^GcM-^[31md<U+202E>e^@^H^Mf\n"
        );
        assert_eq!(clean.replaced, 8);
        assert!(!clean.text.chars().any(|c| c.is_control() && c != '\n'));
    }

    #[test]
    fn every_c0_and_c1_byte_and_del_has_its_visible_form() {
        for code in 0u32..=0x9F {
            let c = char::from_u32(code).unwrap();
            if !c.is_control() || matches!(c, '\n' | '\t' | '\r') {
                continue;
            }
            let expected = match code {
                0x00..=0x1F => format!("^{}", char::from(b'@' + code as u8)),
                0x7F => "^?".to_string(),
                _ => format!("M-^{}", char::from(b'@' + (code - 0x80) as u8)),
            };
            let shown = sanitize(&c.to_string());
            assert_eq!(shown.text, expected, "U+{code:04X}");
            assert_eq!(shown.replaced, 1, "U+{code:04X}");
        }
        assert_eq!(sanitize("\u{7f}").text, "^?", "DEL as cat -v writes it");
        assert_eq!(sanitize("\u{1b}").text, "^[");
        assert_eq!(sanitize("\u{9b}").text, "M-^[");
        for c in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}',
            '\u{2028}', '\u{2029}',
        ] {
            assert_eq!(
                sanitize(&c.to_string()).text,
                format!("<U+{:04X}>", c as u32)
            );
        }
    }

    #[test]
    fn a_lone_cr_at_the_end_is_shown() {
        // Found by the property tests, when a streaming sanitiser held a
        // final CR back as a possible CRLF and forgot it.
        assert_eq!(
            sanitize("\r"),
            Sanitized {
                text: "^M".into(),
                replaced: 1
            }
        );
        assert_eq!(sanitize("a\r\n").text, "a\n");
    }

    #[test]
    fn tab_stops_count_every_column_before_them() {
        // Two tabs on a line, and a tab after an escape shown as `^[`.
        assert_eq!(sanitize("a\tb\tc").text, "a       b       c");
        assert_eq!(sanitize("\u{1b}\tx").text, "^[      x");
        assert_eq!(sanitize("ab\u{7f}\tx").text, "ab^?    x");
    }

    #[test]
    fn tabs_expand_to_the_next_stop_counting_wide_characters() {
        assert_eq!(sanitize("ab\tc").text, "ab      c");
        assert_eq!(sanitize("日本\tx").text, "日本    x");
        assert_eq!(sanitize("x\n\ty").text, "x\n        y");
    }
}
