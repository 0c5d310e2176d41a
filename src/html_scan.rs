//! The HTML path's attribute guard (`cleaner/io/html.py`, `_crowded_attributes`): the attributes in a
//! page's tags counted before the page is parsed, in one pass over its characters.
//!
//! It reads the page exactly as the guard's regular expressions (`_TAG`, `_ATTRIBUTE`, Python `re` with
//! IGNORECASE) do: comments and the content of scripts and styles passed over whole, quoted values (which
//! may hold `>`) skipped, positions in characters. Where that reading depends on Unicode data this module
//! does not hold (whether a non-ASCII character after `<script` is a word character, for `\b`), it says so
//! and the caller runs the regular expressions instead. Pure: no state, no I/O.

use pyo3::prelude::*;

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

fn word_at(page: &[char], at: usize, word: &str) -> bool {
    word.chars().enumerate().all(|(k, letter)| page.get(at + k).is_some_and(|&c| letter_is(c, letter)))
}

struct Scan<'a> {
    page: &'a [char],
    /// Per quote character (", '): a position from which no such quote follows, once a search found none.
    unclosed: [Option<usize>; 2],
}

impl Scan<'_> {
    /// The position of the next `quote` at or after `from`, if any.
    fn closing(&mut self, quote: char, from: usize) -> Option<usize> {
        let slot = usize::from(quote == '\'');
        if self.unclosed[slot].is_some_and(|none_from| from >= none_from) {
            return None;
        }
        let found = self.page[from..].iter().position(|&c| c == quote).map(|offset| from + offset);
        if found.is_none() {
            self.unclosed[slot] = Some(from);
        }
        found
    }

    /// `_ATTRIBUTES` from `at`: where it ends and how many attributes (names, with or without a value) it
    /// holds, which is what `_ATTRIBUTE.findall` counts in it.
    fn attributes(&mut self, mut at: usize) -> (usize, usize) {
        let page = self.page;
        let end = page.len();
        let mut count = 0;
        while at < end {
            let c = page[at];
            if c == '>' {
                break;
            }
            if is_space(c) || matches!(c, '"' | '\'' | '=' | '/') {
                at += 1;
                continue;
            }
            count += 1;
            while at < end && !is_space(page[at]) && !matches!(page[at], '>' | '"' | '\'' | '=' | '/') {
                at += 1;
            }
            let mut equals = at;
            while equals < end && is_space(page[equals]) {
                equals += 1;
            }
            if equals < end && page[equals] == '=' {
                let mut value = equals + 1;
                while value < end && is_space(page[value]) {
                    value += 1;
                }
                if value < end && matches!(page[value], '"' | '\'') {
                    if let Some(close) = self.closing(page[value], value + 1) {
                        at = close + 1;
                        continue;
                    }
                }
                while value < end && !is_space(page[value]) && page[value] != '>' {
                    value += 1;
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
        let length = name.chars().count();
        while at < page.len() {
            if page[at] == '<' && page.get(at + 1) == Some(&'/') && word_at(page, at + 2, name) {
                if let Some(&next) = page.get(at + 2 + length) {
                    if is_space(next) || next == '>' {
                        return at;
                    }
                }
            }
            at += 1;
        }
        at
    }
}

/// The attribute guard over `html`: `(verdict, count, position)`, the verdict one of FINE, ELEMENT (one
/// element of `count` attributes, past `max_element`), PAGE (more than `max_crowded` on elements of more
/// than `crowded_over` each) or UNSURE; `position`: the character where the deciding tag starts.
#[pyfunction]
pub fn crowded_attributes(html: &str, max_element: usize, max_crowded: usize, crowded_over: usize) -> (u8, usize, usize) {
    let page: Vec<char> = html.chars().collect();
    let mut scan = Scan { page: &page, unclosed: [None, None] };
    let end = page.len();
    let mut crowded = 0;
    let mut at = 0;
    while at < end {
        if page[at] != '<' {
            at += 1;
            continue;
        }
        let start = at;
        if page[at + 1..].starts_with(&['!', '-', '-']) {
            // A comment, to the first "-->" (not taken in) or the page's end.
            at += 4;
            while at < end && !page[at..].starts_with(&['-', '-', '>']) {
                at += 1;
            }
            continue;
        }
        let mut body = None;
        for name in ["script", "style"] {
            let after = start + 1 + name.len();
            if !word_at(&page, start + 1, name) {
                continue;
            }
            // `\b` after the name: the next character is no word character (or there is none).
            match page.get(after) {
                Some(&c) if !c.is_ascii() => return (UNSURE, 0, 0),
                Some(&c) if c.is_ascii_alphanumeric() || c == '_' => continue,
                _ => {}
            }
            let (attributes_end, count) = scan.attributes(after);
            let content = if page.get(attributes_end) == Some(&'>') { attributes_end + 1 } else { attributes_end };
            body = Some((after, attributes_end, count));
            at = scan.raw_text_end(content, name);
            break;
        }
        if body.is_none() {
            if !page.get(start + 1).is_some_and(|&c| is_tag_start(c)) {
                at = start + 1;
                continue;
            }
            let mut name_end = start + 2;
            while name_end < end && !is_space(page[name_end]) && !matches!(page[name_end], '/' | '>') {
                name_end += 1;
            }
            let (attributes_end, count) = scan.attributes(name_end);
            body = Some((name_end, attributes_end, count));
            at = attributes_end;
        }
        let (from, to, count) = body.unwrap_or_default();
        if to - from <= 2 * crowded_over {
            continue;
        }
        if count > max_element {
            return (ELEMENT, count, start);
        }
        if count > crowded_over {
            crowded += count;
            if crowded > max_crowded {
                return (PAGE, crowded, start);
            }
        }
    }
    (FINE, 0, 0)
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(crowded_attributes, module)?)?;
    Ok(())
}
