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

use pyo3::ffi;
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

/// The length of the line break that starts at `text[at]` (0: none there): `str.splitlines`'s breaks, `\r\n`
/// one break.
fn line_break(text: &[u32], at: usize) -> usize {
    match text[at] {
        0x0a | 0x0b | 0x0c | 0x1c | 0x1d | 0x1e | 0x85 | 0x2028 | 0x2029 => 1,
        0x0d => 1 + usize::from(text.get(at + 1) == Some(&0x0a)),
        _ => 0,
    }
}

/// Whether a code point is stripped at a line's edge (a lone surrogate is no character: never).
fn edge_point(point: u32) -> bool {
    char::from_u32(point).is_some_and(edge)
}

/// The stripped lines of `text` (code points) as (start, end) code point positions, the start of a line
/// stripped to nothing being its raw line's start (Python's `raw.find("")` is 0).
fn spans(text: &[u32]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut line = 0;
    let mut at = 0;
    loop {
        // One raw line: up to its break (excluded) or the end of the text. Every break is below 0x2030, and
        // none is a printable ASCII character.
        let mut size = 0;
        while at < text.len() {
            let point = text[at];
            if (0x20..0x85).contains(&point) || point > 0x2029 || {
                size = line_break(text, at);
                size == 0
            } {
                at += 1;
                continue;
            }
            break;
        }
        let mut start = line;
        while start < at && edge_point(text[start]) {
            start += 1;
        }
        let mut end = at;
        while end > start && edge_point(text[end - 1]) {
            end -= 1;
        }
        found.push(if start == end { (line, line) } else { (start, end) });
        if size == 0 || at + size >= text.len() {
            // The end of the text, after a line break (no empty line after it) or without one.
            break;
        }
        at += size;
        line = at;
    }
    found
}

/// A document's lines as the engine reads them: `(lines, starts, states)`. `lines`: Python's
/// `text.splitlines(keepends=True)` (after a leading byte-order mark; `[""]` for an empty text), each line
/// stripped of whitespace and invisible marks at its edges; `starts`: where each stripped line starts in
/// `text` (code points; a line stripped to nothing: where its raw line starts); `states`: one byte a line,
/// 1 for a line with text and 0 for a blank one. The text is read as code points (a copy, in Python's own
/// UCS-4 form: no UTF-8 encoding, and a lone surrogate is a code point like another) and each line is a
/// slice of the text itself (no decoding).
#[pyfunction]
fn split_document<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
) -> PyResult<(Bound<'py, PyList>, Vec<usize>, Bound<'py, PyByteArray>)> {
    // SAFETY: `text` is a str (its type is checked by the extraction); the copy is freed below, on every path.
    let copy = unsafe { ffi::PyUnicode_AsUCS4Copy(text.as_ptr()) };
    if copy.is_null() {
        return Err(PyErr::fetch(py));
    }
    let length = text.len()?;
    // SAFETY: the copy holds the text's `length` code points (and a terminating zero).
    let points = unsafe { std::slice::from_raw_parts(copy as *const u32, length) };
    let offset = usize::from(points.first() == Some(&0xfeff));
    let mut found = spans(&points[offset..]);
    // SAFETY: allocated by PyUnicode_AsUCS4Copy with PyMem_Malloc; `points` is not read after this.
    unsafe { ffi::PyMem_Free(copy.cast()) };
    for span in found.iter_mut() {
        *span = (span.0 + offset, span.1 + offset);
    }
    let lines = PyList::empty(py);
    let mut starts = Vec::with_capacity(found.len());
    let mut states = Vec::with_capacity(found.len());
    for (start, end) in found {
        // SAFETY: a slice of a str within its length; a new reference, or NULL with an exception set.
        let line = unsafe {
            Bound::from_owned_ptr_or_err(py, ffi::PyUnicode_Substring(text.as_ptr(), start as _, end as _))?
        };
        lines.append(line)?;
        starts.push(start);
        states.push(u8::from(end > start));
    }
    Ok((lines, starts, PyByteArray::new(py, &states)))
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(split_document, module)?)
}
