//! The batch shell's native steps: JSON lines of the common shape decoded (`cleaner/io/readers.py`,
//! `_json_document`), and a record's content hash (`cleaner/io/writers.py`, `record_values`).
//!
//! A batch run reads millions of lines such as `{"id": "d1", "text": "...", "url": "..."}`. Python's JSON
//! scanner builds a dict of them that the reader then takes apart again; here a line of exactly that shape
//! gives its three strings straight away. Any other line gives None and is decoded by Python as before, with
//! every error message and repair it has, so that this only ever returns what Python's `json` decodes:
//!
//! - the line starts with `{` and is valid UTF-8 (Python decodes with `surrogatepass`, which accepts more;
//!   those lines go to Python);
//! - an object whose members are all strings, the id and text fields among them, each name at most once (a
//!   value of another type, a duplicate key: Python); members under names other than the id, text and URL
//!   fields are handed back in their order when the caller asks for them (src/batch.rs, `JsonLineFields`),
//!   and leave the line to Python otherwise;
//! - strict JSON strings: no raw control character, only JSON's escapes, `\u` with four hex digits;
//! - nothing after the object but JSON's white space (space, tab, line feed, carriage return);
//! - no escape the reader would call suspect (`\u000X`, `\u001X` control characters, `\uD800`-`\uDFFF`
//!   surrogates: the same test on the raw bytes as its pattern `\\u(?:00[01]|[dD][89a-fA-F])`), since those
//!   are scrubbed and noted in Python;
//! - the id is not empty (an empty one takes a name from the file, in Python).
//!
//! Pure: no I/O, no global state.

use pyo3::prelude::*;

/// Where a parse stands in a line's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// JSON's white space: space, tab, line feed, carriage return (as Python's scanner skips it).
    #[inline]
    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The string whose opening quote was just consumed, decoded; None if it is not strict JSON or holds
    /// an escape this module leaves to Python.
    fn string(&mut self, out: &mut String) -> Option<()> {
        out.clear();
        let bytes = self.bytes;
        loop {
            // A run without a quote, a backslash or a control character is copied at once.
            let start = self.at;
            while let Some(&byte) = bytes.get(self.at) {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // The line is valid UTF-8 and the run stops at an ASCII byte (or the end): a whole-character slice.
            out.push_str(std::str::from_utf8(&bytes[start..self.at]).ok()?);
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    let escape = *bytes.get(self.at + 1)?;
                    self.at += 2;
                    out.push(match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let digits = bytes.get(self.at..self.at + 4)?;
                            let text = std::str::from_utf8(digits).ok()?;
                            if !digits.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.at += 4;
                            // Surrogates (halves of a pair, or lone) and control characters: Python's.
                            char::from_u32(u32::from_str_radix(text, 16).ok()?).filter(|c| *c >= ' ')?
                        }
                        _ => return None,
                    });
                }
                _ => return None, // a raw control character: strict JSON refuses it
            }
        }
    }
}

/// Whether the raw line holds what the reader's `_ESCAPED_SUSPECT` pattern finds: `\u00` followed by `0`
/// or `1`, or `\u` followed by `d`/`D` and one of `89abcdefABCDEF`.
fn suspect(line: &[u8]) -> bool {
    line.windows(5).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && ((w[2] == b'0' && w[3] == b'0' && (w[4] == b'0' || w[4] == b'1'))
                || ((w[2] == b'd' || w[2] == b'D') && matches!(w[3], b'8' | b'9' | b'a'..=b'f' | b'A'..=b'F')))
    })
}

/// The id, text and URL (`names`, in that order) of a line of the common shape (see the module's notes); None
/// for any other line. With `others`, a member under another name whose value is a string is no reason to
/// leave the line to Python: it is added there (name, value), in the line's order (src/batch.rs).
pub(crate) fn common_shape(
    line: &[u8],
    names: [&str; 3],
    mut others: Option<&mut Vec<(String, String)>>,
) -> Option<(String, String, Option<String>)> {
    if line.first() != Some(&b'{') || std::str::from_utf8(line).is_err() || suspect(line) {
        return None;
    }
    let mut cursor = Cursor { bytes: line, at: 1 };
    let (mut id, mut text, mut url): (Option<String>, Option<String>, Option<String>) = (None, None, None);
    let mut key = String::new();
    cursor.skip_space();
    loop {
        if cursor.peek() != Some(b'"') {
            return None; // an empty object, a trailing comma, a key that is not a string
        }
        cursor.at += 1;
        cursor.string(&mut key)?;
        cursor.skip_space();
        if cursor.peek() != Some(b':') {
            return None;
        }
        cursor.at += 1;
        cursor.skip_space();
        if cursor.peek() != Some(b'"') {
            return None; // a value that is not a string
        }
        cursor.at += 1;
        let mut value = String::new();
        cursor.string(&mut value)?;
        let slot = if key == names[0] {
            Some(&mut id)
        } else if key == names[1] {
            Some(&mut text)
        } else if key == names[2] {
            Some(&mut url)
        } else {
            None
        };
        match slot {
            Some(slot) => {
                if slot.replace(value).is_some() {
                    return None; // a duplicate key: Python keeps the last, and this stays out of it
                }
            }
            None => {
                let others = others.as_deref_mut()?; // a field Python passes through
                if others.iter().any(|(name, _)| *name == key) {
                    return None; // a duplicate key, as above
                }
                others.push((key.clone(), value));
            }
        }
        cursor.skip_space();
        match cursor.peek() {
            Some(b',') => {
                cursor.at += 1;
                cursor.skip_space();
            }
            Some(b'}') => {
                cursor.at += 1;
                break;
            }
            _ => return None,
        }
    }
    cursor.skip_space();
    if cursor.at != line.len() {
        return None; // anything after the object: Python's "Extra data"
    }
    let (Some(id), Some(text)) = (id, text) else { return None };
    if id.is_empty() {
        return None;
    }
    Some((id, text, url))
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(ascii_content_hash, module)?)
}

// --- the records' content hash ------------------------------------------------------------------------
//
// `cleaner.core.corpus.content_hash`: BLAKE2b with an 8-byte digest (RFC 7693; Python's
// `hashlib.blake2b(data, digest_size=8)`) of a text's key: its words (split on white space) joined by one
// space, case-folded. Here for an ASCII text only, where Python's white space is the ten characters below
// and case folding is ASCII lower-casing; any other text is hashed by Python. A test compares both ways.

const BLAKE2B_IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

const BLAKE2B_SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

#[inline]
#[allow(clippy::many_single_char_names)]
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

fn compress(h: &mut [u64; 8], block: &[u8; 128], counter: u128, last: bool) {
    let mut m = [0u64; 16];
    for (word, bytes) in m.iter_mut().zip(block.chunks_exact(8)) {
        *word = u64::from_le_bytes(bytes.try_into().expect("eight bytes"));
    }
    let mut v = [0u64; 16];
    v[..8].copy_from_slice(h);
    v[8..].copy_from_slice(&BLAKE2B_IV);
    v[12] ^= counter as u64;
    v[13] ^= (counter >> 64) as u64;
    if last {
        v[14] = !v[14];
    }
    for round in 0..12 {
        let s = &BLAKE2B_SIGMA[round % 10];
        mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for i in 0..8 {
        h[i] ^= v[i] ^ v[i + 8];
    }
}

/// BLAKE2b of `data` with an 8-byte digest, no key: the digest as a number (its bytes little-endian).
fn blake2b_64(data: &[u8]) -> u64 {
    let mut h = BLAKE2B_IV;
    h[0] ^= 0x0101_0000 ^ 8; // parameter block: digest length 8, key length 0, fanout 1, depth 1
    let mut block = [0u8; 128];
    let mut done = 0usize;
    // Every block but the last is a whole one that is not final; the last (or an empty message's one zero
    // block) is padded with zeros and final.
    while data.len() - done > 128 {
        block.copy_from_slice(&data[done..done + 128]);
        done += 128;
        compress(&mut h, &block, done as u128, false);
    }
    block = [0u8; 128];
    block[..data.len() - done].copy_from_slice(&data[done..]);
    compress(&mut h, &block, data.len() as u128, true);
    h[0]
}

/// Python's white space among ASCII characters (`str.split()` splits on these).
#[inline]
pub(crate) fn python_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | b'\x1c' | b'\x1d' | b'\x1e' | b'\x1f')
}

/// The content-hash key of an ASCII text, appended to `key`: its words (split as `str.split()` splits) joined
/// by one space, lower-cased (`str.casefold` of ASCII).
pub(crate) fn ascii_key_into(text: &[u8], key: &mut Vec<u8>) {
    for word in text.split(|&byte| python_space(byte)).filter(|word| !word.is_empty()) {
        if !key.is_empty() {
            key.push(b' ');
        }
        key.extend(word.iter().map(u8::to_ascii_lowercase));
    }
}

/// `content_hash`'s digest of a key: BLAKE2b with an 8-byte digest, as 16 hex digits.
pub(crate) fn hex_digest(key: &[u8]) -> String {
    let digest = blake2b_64(key).to_le_bytes();
    let mut hex = String::with_capacity(16);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    hex
}

/// `content_hash(text)` of an ASCII text (16 hex digits); None for another text (Python hashes it).
#[pyfunction]
fn ascii_content_hash(text: &str) -> Option<String> {
    if !text.is_ascii() {
        return None;
    }
    let mut key = Vec::with_capacity(text.len());
    ascii_key_into(text.as_bytes(), &mut key);
    Some(hex_digest(&key))
}
