//! The HTML path's attribute guard (`cleaner/io/html.py`, `_crowded_attributes`): the attributes in a
//! page's tags counted before the page is parsed, in one pass over its characters.
//!
//! It reads the page exactly as the guard's regular expressions (`_TAG`, `_ATTRIBUTE`, Python `re` with
//! IGNORECASE) do: comments and the content of scripts and styles passed over whole, quoted values (which
//! may hold `>`) skipped, positions in characters (counted from its UTF-8 bytes, which it walks). Where that reading depends on Unicode data this module
//! does not hold (whether a non-ASCII character after `<script` is a word character, for `\b`), it says so
//! and the caller runs the regular expressions instead. Pure: no state, no I/O.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// The page is within the limits.
const FINE: u8 = 0;
/// One element holds more attributes than allowed (count: its attributes).
const ELEMENT: u8 = 1;
/// The elements of more than `crowded_over` attributes hold more than allowed together.
const PAGE: u8 = 2;
/// A character this scan cannot classify as `re` does: use the regular expressions.
const UNSURE: u8 = 3;

/// Python's `\s` on `str` (its `str.isspace()`), checked against every code point by the tests.
fn is_space(c: char) -> bool {
    matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' ' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}'
        | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}')
}

/// Whether `c` matches the ASCII letter `letter` under `re.IGNORECASE` (which also pairs s with U+017F
/// and i with U+0130 and U+0131).
fn letter_is(c: char, letter: char) -> bool {
    c.to_ascii_lowercase() == letter
        || (letter == 's' && c == '\u{17f}')
        || (letter == 'i' && (c == '\u{130}' || c == '\u{131}'))
}

/// `[A-Za-z]` under `re.IGNORECASE`: the ASCII letters and four others.
fn is_tag_start(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '\u{130}' | '\u{131}' | '\u{17f}' | '\u{212a}')
}

/// The character that starts at byte `at` of `page` (a character boundary) and its length in bytes.
fn char_at(page: &str, at: usize) -> Option<(char, usize)> {
    let byte = *page.as_bytes().get(at)?;
    if byte.is_ascii() {
        return Some((char::from(byte), 1));
    }
    page[at..].chars().next().map(|c| (c, c.len_utf8()))
}

/// Where `word` (ASCII letters, matched as `re.IGNORECASE` does) ends if it is spelt at byte `at`.
fn word_at(page: &str, mut at: usize, word: &str) -> Option<usize> {
    for letter in word.chars() {
        let (c, length) = char_at(page, at)?;
        if !letter_is(c, letter) {
            return None;
        }
        at += length;
    }
    Some(at)
}

/// The characters in `bytes` (valid UTF-8): every byte but the continuation bytes starts one.
fn characters(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&byte| byte & 0xC0 != 0x80).count()
}

/// A tag's attributes stop at white space and at these (ASCII) characters.
fn is_name_end(c: char) -> bool {
    is_space(c) || matches!(c, '>' | '"' | '\'' | '=' | '/')
}

/// The scan walks the page's UTF-8 bytes: every character it tests for is ASCII save the white space past
/// ASCII, which `char_at` decodes where a byte past ASCII starts a character; so text between tags, comments
/// and the content of scripts and styles are passed over by `memchr`, a few bytes a cycle. Positions are
/// bytes, turned into characters only for the answer.
struct Scan<'a> {
    page: &'a str,
    /// Per quote character (", '): a position from which no such quote follows, once a search found none.
    unclosed: [Option<usize>; 2],
}

impl Scan<'_> {
    /// The position of the next `quote` at or after `from`, if any.
    fn closing(&mut self, quote: u8, from: usize) -> Option<usize> {
        let slot = usize::from(quote == b'\'');
        if self.unclosed[slot].is_some_and(|none_from| from >= none_from) {
            return None;
        }
        let found = memchr::memchr(quote, &self.page.as_bytes()[from..]).map(|offset| from + offset);
        if found.is_none() {
            self.unclosed[slot] = Some(from);
        }
        found
    }

    /// The end of the run of white space (Python's `\s`) from `at`.
    fn spaces(&self, mut at: usize) -> usize {
        while let Some((c, length)) = char_at(self.page, at) {
            if !is_space(c) {
                break;
            }
            at += length;
        }
        at
    }

    /// `_ATTRIBUTES` from `at`: where it ends and how many attributes (names, with or without a value) it
    /// holds, which is what `_ATTRIBUTE.findall` counts in it.
    fn attributes(&mut self, mut at: usize) -> (usize, usize) {
        let page = self.page;
        let bytes = page.as_bytes();
        let mut count = 0;
        while let Some((c, length)) = char_at(page, at) {
            if c == '>' {
                break;
            }
            if is_name_end(c) {
                at += length;
                continue;
            }
            count += 1;
            while let Some((c, length)) = char_at(page, at) {
                if is_name_end(c) {
                    break;
                }
                at += length;
            }
            let equals = self.spaces(at);
            if bytes.get(equals) == Some(&b'=') {
                let mut value = self.spaces(equals + 1);
                if let Some(&quote @ (b'"' | b'\'')) = bytes.get(value) {
                    if let Some(close) = self.closing(quote, value + 1) {
                        at = close + 1;
                        continue;
                    }
                }
                while let Some((c, length)) = char_at(page, value) {
                    if is_space(c) || c == '>' {
                        break;
                    }
                    value += length;
                }
                at = value;
            }
        }
        (at, count)
    }

    /// Where the content of a script or style element that starts at `at` ends: at the `<` of the first
    /// `</name` followed by white space or `>`, or at the page's end.
    fn raw_text_end(&self, mut at: usize, name: &str) -> usize {
        let page = self.page;
        let bytes = page.as_bytes();
        while let Some(offset) = memchr::memchr(b'<', &bytes[at..]) {
            at += offset;
            if bytes.get(at + 1) == Some(&b'/') {
                if let Some(after) = word_at(page, at + 2, name) {
                    if char_at(page, after).is_some_and(|(next, _)| is_space(next) || next == '>') {
                        return at;
                    }
                }
            }
            at += 1;
        }
        bytes.len()
    }
}

/// The attribute guard over `html`, a text or its UTF-8 bytes (which the caller has when the page came as
/// UTF-8: read as they are, the text need not be encoded again): `(verdict, count, position)`, the verdict
/// one of FINE, ELEMENT (one element of `count` attributes, past `max_element`), PAGE (more than
/// `max_crowded` on elements of more than `crowded_over` each) or UNSURE (also for bytes that are no
/// UTF-8); `position`: the character where the deciding tag starts.
#[pyfunction]
pub fn crowded_attributes(html: &Bound<'_, PyAny>, max_element: usize, max_crowded: usize, crowded_over: usize)
    -> PyResult<(u8, usize, usize)> {
    let raw = html.cast::<PyBytes>().ok();
    let page = match &raw {
        Some(raw) => match std::str::from_utf8(raw.as_bytes()) {
            Ok(page) => page,
            Err(_) => return Ok((UNSURE, 0, 0)),
        },
        // A lone surrogate has no UTF-8: UnicodeEncodeError, and the caller runs the regular expressions.
        None => html.cast::<PyString>()?.to_str()?,
    };
    Ok(scan(page, max_element, max_crowded, crowded_over))
}

fn scan(html: &str, max_element: usize, max_crowded: usize, crowded_over: usize) -> (u8, usize, usize) {
    let mut scan = Scan { page: html, unclosed: [None, None] };
    let bytes = html.as_bytes();
    let end = bytes.len();
    let mut crowded = 0;
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[at..]) {
        let start = at + offset;
        if bytes[start + 1..].starts_with(b"!--") {
            // A comment, to the first "-->" (not taken in) or the page's end.
            at = memchr::memmem::find(&bytes[start + 4..], b"-->").map_or(end, |offset| start + 4 + offset);
            continue;
        }
        let mut body = None;
        for name in ["script", "style"] {
            let Some(after) = word_at(html, start + 1, name) else { continue };
            // `\b` after the name: the next character is no word character (or there is none).
            match bytes.get(after) {
                Some(&c) if !c.is_ascii() => return (UNSURE, 0, 0),
                Some(&c) if c.is_ascii_alphanumeric() || c == b'_' => continue,
                _ => {}
            }
            let (attributes_end, count) = scan.attributes(after);
            let content = if bytes.get(attributes_end) == Some(&b'>') { attributes_end + 1 } else { attributes_end };
            body = Some((after, attributes_end, count));
            at = scan.raw_text_end(content, name);
            break;
        }
        if body.is_none() {
            if !char_at(html, start + 1).is_some_and(|(c, _)| is_tag_start(c)) {
                at = start + 1;
                continue;
            }
            // The name's first character is a letter; it runs to white space, `/` or `>`.
            let mut name_end = start + 1 + char_at(html, start + 1).map_or(1, |(_, length)| length);
            while let Some((c, length)) = char_at(html, name_end) {
                if is_space(c) || matches!(c, '/' | '>') {
                    break;
                }
                name_end += length;
            }
            let (attributes_end, count) = scan.attributes(name_end);
            body = Some((name_end, attributes_end, count));
            at = attributes_end;
        }
        let (from, to, count) = body.unwrap_or_default();
        // The regular expressions' bound is in characters: a body of no more bytes holds no more of them.
        if to - from <= 2 * crowded_over || characters(&bytes[from..to]) <= 2 * crowded_over {
            continue;
        }
        if count > max_element {
            return (ELEMENT, count, characters(&bytes[..start]));
        }
        if count > crowded_over {
            crowded += count;
            if crowded > max_crowded {
                return (PAGE, crowded, characters(&bytes[..start]));
            }
        }
    }
    (FINE, 0, 0)
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(crowded_attributes, module)?)?;
    Ok(())
}
