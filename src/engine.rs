//! The engine's per-document opening in one call: a document's text split into its stripped lines.
//!
//! `cleaner/core/engine.py` did it as `text.splitlines(keepends=True)`, `str.strip` on each line, a search of
//! the whole text for the invisible marks it also strips at a line's edges, and, on the first removal, each
//! line's start from the running sum of the raw lines' lengths and a `find` of the stripped line in its raw
//! line: a Python string per raw line and per stripped line, and several passes over the text. Here one pass
//! makes the stripped lines only, each stripped line's start in the text (in code points, as Python indexes
//! a string) and the lines' first states (blank or not).
//!
//! Pure: no I/O and no global state.

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyList, PyString};

/// The characters that print nothing, stripped at a line's edges like whitespace (the engine's `_INVISIBLE`):
/// zero-width spaces and joiners, word joiner, byte-order mark, and the direction marks, embeddings and
/// isolates.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{200e}' | '\u{200f}'
        | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Python's `str.isspace` for one character: Unicode's White_Space (Rust's `is_whitespace`) and the ASCII
/// separators 0x1c-0x1f, which Python counts as whitespace too.
fn python_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\x1c'..='\x1f')
}

/// What a line's edges lose: whitespace and the invisible marks (the engine's `_EDGES`).
fn edge(c: char) -> bool {
    python_space(c) || invisible(c)
}

/// Whether `c` ends a line for `str.splitlines` (`\r\n` is one break, its `\r` told by the caller).
fn line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// The stripped lines of `text` and where each starts, as (start byte, end byte, start in code points) of
/// the stripped line; `offset` code points (a byte-order mark) come before `text`.
fn spans(text: &str, offset: usize) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    let mut chars = text.char_indices().peekable();
    // The raw line being read: its first byte and code point.
    let mut line_byte = 0;
    let mut line_char = offset;
    let mut position = offset;
    loop {
        // One raw line: up to its break (excluded) or the end of the text.
        let mut end_byte = text.len();
        let mut next = None;
        while let Some((at, c)) = chars.next() {
            position += 1;
            if line_break(c) {
                end_byte = at;
                if c == '\r' {
                    if let Some(&(_, '\n')) = chars.peek() {
                        chars.next();
                        position += 1;
                    }
                }
                next = Some(chars.peek().map_or(text.len(), |&(after, _)| after));
                break;
            }
        }
        let content = &text[line_byte..end_byte];
        let stripped_front = content.trim_start_matches(edge);
        let stripped = stripped_front.trim_end_matches(edge);
        let start_byte = line_byte + (content.len() - stripped_front.len());
        // A line stripped to nothing starts where its raw line does (Python's `raw.find("")` is 0).
        let start_char = if stripped.is_empty() {
            line_char
        } else {
            line_char + content[..content.len() - stripped_front.len()].chars().count()
        };
        found.push((start_byte, start_byte + stripped.len(), start_char));
        match next {
            Some(after) if after < text.len() => {
                line_byte = after;
                line_char = position;
            }
            // The text ends with a line break (no empty line after it), or without one.
            _ => break,
        }
    }
    found
}

/// A document's lines as the engine reads them: `(lines, starts, states)`, or None for a text that is not
/// valid UTF-8 (a lone surrogate: the caller splits it itself). `lines`: Python's
/// `text.splitlines(keepends=True)` (after a leading byte-order mark; `[""]` for an empty text), each line
/// stripped of whitespace and invisible marks at its edges; `starts`: where each stripped line starts in
/// `text` (code points; a line stripped to nothing: where its raw line starts); `states`: one byte a line,
/// 1 for a line with text and 0 for a blank one.
#[pyfunction]
fn split_document<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
) -> PyResult<Option<(Bound<'py, PyList>, Vec<usize>, Bound<'py, PyByteArray>)>> {
    let Ok(text) = text.to_str() else {
        return Ok(None);
    };
    let (body, offset) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 1),
        None => (text, 0),
    };
    let found = spans(body, offset);
    let lines = PyList::empty(py);
    let mut starts = Vec::with_capacity(found.len());
    let mut states = Vec::with_capacity(found.len());
    for (start, end, at) in found {
        lines.append(PyString::new(py, &body[start..end]))?;
        starts.push(at);
        states.push(u8::from(end > start));
    }
    Ok(Some((lines, starts, PyByteArray::new(py, &states))))
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(split_document, module)?)
}
