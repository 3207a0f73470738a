//! Incremental UTF-8 decoding: a character split across two reads decodes
//! as if the reads had been one, and invalid bytes become U+FFFD exactly as
//! `String::from_utf8_lossy` would replace them in the whole stream.

/// Decodes a byte stream that arrives in arbitrary pieces.
#[derive(Debug, Default, Clone)]
pub struct Utf8Decoder {
    /// The start of a character whose remaining bytes have not arrived yet
    /// (at most 3 bytes).
    pending: Vec<u8>,
}

impl Utf8Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `input`, appending complete characters to `out`. Bytes that
    /// may begin a character completed by the next chunk are held back.
    pub fn push(&mut self, mut input: &[u8], out: &mut String) {
        while !self.pending.is_empty() && !input.is_empty() {
            self.pending.push(input[0]);
            input = &input[1..];
            match std::str::from_utf8(&self.pending) {
                Ok(text) => {
                    out.push_str(text);
                    self.pending.clear();
                }
                // Still a valid prefix: wait for more bytes.
                Err(err) if err.error_len().is_none() => {}
                Err(err) => {
                    // The held-back start was not a character after all. Replace
                    // the invalid part and decode what follows it afresh.
                    let invalid = err.error_len().unwrap_or(1);
                    let rest = self.pending.split_off(invalid);
                    self.pending.clear();
                    out.push(char::REPLACEMENT_CHARACTER);
                    self.push(&rest, out);
                }
            }
        }
        let mut chunks = input.utf8_chunks().peekable();
        while let Some(chunk) = chunks.next() {
            out.push_str(chunk.valid());
            let invalid = chunk.invalid();
            if invalid.is_empty() {
                continue;
            }
            let at_end = chunks.peek().is_none();
            let incomplete = std::str::from_utf8(invalid)
                .err()
                .is_some_and(|err| err.error_len().is_none());
            if at_end && incomplete {
                self.pending.extend_from_slice(invalid);
            } else {
                out.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }

    /// Ends the stream: a character cut off by the end becomes U+FFFD.
    pub fn finish(&mut self, out: &mut String) {
        if !self.pending.is_empty() {
            self.pending.clear();
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }

    /// Decodes a whole buffer at once (what `push` + `finish` give).
    pub fn decode_all(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(bytes: &[u8], cuts: &[usize]) -> String {
        let mut decoder = Utf8Decoder::new();
        let mut out = String::new();
        let mut start = 0;
        for &cut in cuts {
            decoder.push(&bytes[start..cut], &mut out);
            start = cut;
        }
        decoder.push(&bytes[start..], &mut out);
        decoder.finish(&mut out);
        out
    }

    const SAMPLES: &[&[u8]] = &[
        "Sonnet—To Science… 日本語 🌹 é".as_bytes(),
        b"abc\xe2\x82",           // cut off at the end
        b"\xe2\x82A\xf0\x9f\x8c", // invalid in the middle, cut at the end
        b"\xff\xfe\xc3\xa9\x80\x80z",
        b"\xed\xa0\x80 surrogate",
        b"\xf4\x90\x80\x80 too high",
    ];

    #[test]
    fn every_split_into_two_or_three_pieces_matches_lossy_decoding() {
        for bytes in SAMPLES {
            let expected = String::from_utf8_lossy(bytes);
            for a in 0..=bytes.len() {
                assert_eq!(
                    decode_in_pieces(bytes, &[a]),
                    expected,
                    "{bytes:?} cut at {a}"
                );
                for b in a..=bytes.len() {
                    assert_eq!(decode_in_pieces(bytes, &[a, b]), expected);
                }
            }
        }
    }

    #[test]
    fn byte_at_a_time() {
        for bytes in SAMPLES {
            let cuts: Vec<usize> = (1..bytes.len()).collect();
            assert_eq!(
                decode_in_pieces(bytes, &cuts),
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
