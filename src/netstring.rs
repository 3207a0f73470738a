//! Netstrings (`LEN:DATA,`), the framing of the tutorial's transform
//! protocol (Twisted's `NetstringReceiver`): LEN is the decimal byte length
//! of DATA. Used by both ends: our transform server reads a request with it,
//! and a download's transform step reads the reply.
//!
//! The reader is strict, because the bytes come from a server we do not
//! trust: the length is digits only, at most `limit`, and checked before a
//! byte of DATA is kept; the `,` must follow DATA exactly. It never keeps
//! more than the length it was told (and never more than `limit`).

use bytes::{Bytes, BytesMut};

/// `data` framed as one netstring.
pub fn encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 12);
    out.extend_from_slice(data.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(data);
    out.push(b',');
    out
}

/// Why bytes are not a netstring.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetstringError {
    #[error("the length has a byte that is not a digit ({0:#04x})")]
    NotADigit(u8),
    #[error("the length starts with a 0 that is not the whole length")]
    LeadingZero,
    #[error("the connection closed inside the length")]
    LengthCut,
    #[error("no length before the ':'")]
    NoLength,
    #[error("a length of {length} bytes is over the limit of {limit}")]
    TooLong { length: u64, limit: u64 },
    #[error("no ',' after the data (found {0:#04x})")]
    NoComma(u8),
    #[error("more bytes after the netstring's ','")]
    TrailingBytes,
    #[error("the connection closed inside the netstring (after {got} of {of} bytes)")]
    Truncated { got: u64, of: u64 },
    #[error("the connection closed before the netstring began")]
    Nothing,
    #[error("the connection closed before the ',' that ends the netstring")]
    Unterminated,
}

/// Where the reader is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Digits so far (the value).
    Length {
        digits: usize,
        value: u64,
    },
    Data {
        length: u64,
    },
    Comma,
    /// The `,` came and the data was handed out: anything more is trailing.
    Done,
}

/// Reads one netstring from bytes that arrive in pieces.
#[derive(Debug, Clone)]
pub struct NetstringReader {
    limit: u64,
    part: Part,
    data: BytesMut,
}

/// The most room taken before the data has come: the rest grows as it does.
const FIRST_ROOM: u64 = 64 * 1024;

impl NetstringReader {
    /// A reader for one netstring whose data is at most `limit` bytes.
    pub fn new(limit: u64) -> Self {
        NetstringReader {
            limit,
            part: Part::Length {
                digits: 0,
                value: 0,
            },
            data: BytesMut::new(),
        }
    }

    /// Bytes of data kept so far (for progress; 0 once handed out).
    pub fn received(&self) -> u64 {
        self.data.len() as u64
    }

    /// The length the netstring announced, once its `:` has come.
    pub fn announced(&self) -> Option<u64> {
        match self.part {
            Part::Length { .. } => None,
            Part::Data { length } => Some(length),
            Part::Comma => Some(self.data.len() as u64),
            Part::Done => Some(0),
        }
    }

    /// Takes the next bytes. Returns the data once the `,` has come; bytes
    /// after it are an error (one netstring per connection).
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<Option<Bytes>, NetstringError> {
        while let Some((&first, rest)) = bytes.split_first() {
            match &mut self.part {
                Part::Length { digits, value } => {
                    bytes = rest;
                    match first {
                        // A length is `0` or starts with 1-9, as Twisted's
                        // reader and the netstring spec have it.
                        b'0'..=b'9' if *digits == 1 && *value == 0 => {
                            return Err(NetstringError::LeadingZero);
                        }
                        b'0'..=b'9' => {
                            *digits += 1;
                            let next = value
                                .checked_mul(10)
                                .and_then(|v| v.checked_add(u64::from(first - b'0')));
                            // Past a u64 is past any limit.
                            *value = next.unwrap_or(u64::MAX);
                            // (With no leading zero, a length of more digits
                            // than a u64 has has already overflowed.)
                            if next.is_none() || *value > self.limit {
                                return Err(NetstringError::TooLong {
                                    length: *value,
                                    limit: self.limit,
                                });
                            }
                        }
                        b':' if *digits == 0 => return Err(NetstringError::NoLength),
                        b':' => {
                            let length = *value;
                            // Room for what is announced, but never more than
                            // a piece at a time: a length is only a claim,
                            // and the limit may be large (or none).
                            self.data
                                .reserve(usize::try_from(length.min(FIRST_ROOM)).unwrap_or(0));
                            self.part = if length == 0 {
                                Part::Comma
                            } else {
                                Part::Data { length }
                            };
                        }
                        other => return Err(NetstringError::NotADigit(other)),
                    }
                }
                Part::Data { length } => {
                    let missing =
                        usize::try_from(*length - self.data.len() as u64).unwrap_or(usize::MAX);
                    let take = missing.min(bytes.len());
                    self.data.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if self.data.len() as u64 == *length {
                        self.part = Part::Comma;
                    }
                }
                Part::Comma => {
                    if first != b',' {
                        return Err(NetstringError::NoComma(first));
                    }
                    self.part = Part::Done;
                    if !rest.is_empty() {
                        return Err(NetstringError::TrailingBytes);
                    }
                    return Ok(Some(std::mem::take(&mut self.data).freeze()));
                }
                Part::Done => return Err(NetstringError::TrailingBytes),
            }
        }
        Ok(None)
    }

    /// The connection closed: what that means where the reader is.
    pub fn closed(&self) -> NetstringError {
        match self.part {
            Part::Length { digits: 0, .. } => NetstringError::Nothing,
            Part::Length { .. } => NetstringError::LengthCut,
            Part::Data { length } => NetstringError::Truncated {
                got: self.data.len() as u64,
                of: length,
            },
            Part::Comma | Part::Done => NetstringError::Unterminated,
        }
    }

    /// Whether the netstring is complete (its `,` came).
    pub fn is_done(&self) -> bool {
        self.part == Part::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], limit: u64) -> Result<Option<Bytes>, NetstringError> {
        NetstringReader::new(limit).push(bytes)
    }

    #[test]
    fn the_tutorials_example_in_both_directions() {
        assert_eq!(
            encode(b"cummingsify.HERE IS MY POEM"),
            b"27:cummingsify.HERE IS MY POEM,"
        );
        assert_eq!(encode(b"here is my poem"), b"15:here is my poem,");
        assert_eq!(encode(b""), b"0:,");
        assert_eq!(
            read_all(b"15:here is my poem,", 99_999),
            Ok(Some(Bytes::from_static(b"here is my poem")))
        );
        assert_eq!(read_all(b"0:,", 10), Ok(Some(Bytes::new())));
    }

    #[test]
    fn a_netstring_in_pieces_of_every_size_reads_the_same() {
        let whole = encode("naïve, with a comma, and a: colon".as_bytes());
        for size in 1..whole.len() {
            let mut reader = NetstringReader::new(1000);
            let mut got = None;
            for piece in whole.chunks(size) {
                assert!(got.is_none(), "nothing after the comma");
                got = reader.push(piece).expect("valid");
            }
            assert_eq!(
                got.as_deref(),
                Some("naïve, with a comma, and a: colon".as_bytes())
            );
        }
    }

    #[test]
    fn every_malformed_netstring_is_named() {
        assert_eq!(read_all(b"1x:", 99), Err(NetstringError::NotADigit(b'x')));
        assert_eq!(read_all(b"-1:", 99), Err(NetstringError::NotADigit(b'-')));
        assert_eq!(
            read_all(b" 3:abc,", 99),
            Err(NetstringError::NotADigit(b' '))
        );
        assert_eq!(read_all(b":abc,", 99), Err(NetstringError::NoLength));
        assert_eq!(read_all(b"3:abcd", 99), Err(NetstringError::NoComma(b'd')));
        assert_eq!(read_all(b"3:abc,x", 99), Err(NetstringError::TrailingBytes));
        assert_eq!(
            read_all(b"100000:", 99_999),
            Err(NetstringError::TooLong {
                length: 100_000,
                limit: 99_999
            })
        );
        // Refused as soon as the digits pass the limit: no room is taken.
        assert_eq!(
            read_all(b"99999999999999999999999", 99_999),
            Err(NetstringError::TooLong {
                length: 999_999,
                limit: 99_999
            })
        );
        assert_eq!(
            read_all(&[b'0'; 30], u64::MAX),
            Err(NetstringError::LeadingZero)
        );
        assert_eq!(
            read_all(b"007:abcdefg,", 99),
            Err(NetstringError::LeadingZero)
        );
        assert_eq!(read_all(b"00:,", 99), Err(NetstringError::LeadingZero));
        assert!(matches!(
            read_all(&[b'9'; 30], u64::MAX),
            Err(NetstringError::TooLong { .. })
        ));
        // No limit, a huge claim: refused or waited for, never reserved.
        let mut reader = NetstringReader::new(u64::MAX);
        assert_eq!(reader.push(b"99999999999999999:ab"), Ok(None));
        assert!(reader.data.capacity() <= FIRST_ROOM as usize);
        assert_eq!(
            read_all(b"99999999999999999999:", u64::MAX),
            Err(NetstringError::TooLong {
                length: u64::MAX,
                limit: u64::MAX
            })
        );
    }

    #[test]
    fn a_close_says_where_it_cut_the_netstring() {
        let mut reader = NetstringReader::new(99);
        assert_eq!(reader.closed(), NetstringError::Nothing);
        assert_eq!(reader.push(b"5:ab"), Ok(None));
        assert_eq!(reader.received(), 2);
        assert_eq!(reader.announced(), Some(5));
        assert_eq!(reader.closed(), NetstringError::Truncated { got: 2, of: 5 });
        assert_eq!(reader.push(b"cde"), Ok(None));
        assert_eq!(reader.closed(), NetstringError::Unterminated);
        assert!(!reader.is_done());
        assert_eq!(reader.push(b","), Ok(Some(Bytes::from_static(b"abcde"))));
        assert!(reader.is_done());
    }
}
