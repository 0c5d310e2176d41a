//! JSON lines of the common shape decoded natively (`cleaner/io/readers.py`, `_json_document`).
//!
//! A batch run reads millions of lines such as `{"id": "d1", "text": "...", "url": "..."}`. Python's JSON
//! scanner builds a dict of them that the reader then takes apart again; here a line of exactly that shape
//! gives its three strings straight away. Any other line gives None and is decoded by Python as before, with
//! every error message and repair it has, so that this only ever returns what Python's `json` decodes:
//!
//! - the line starts with `{` and is valid UTF-8 (Python decodes with `surrogatepass`, which accepts more;
//!   those lines go to Python);
//! - an object whose members are all strings, under the id, text and URL fields only, each at most once
//!   (another field, a value of another type, a duplicate key: Python);
//! - strict JSON strings: no raw control character, only JSON's escapes, `\u` with four hex digits;
//! - nothing after the object but JSON's white space (space, tab, line feed, carriage return);
//! - no escape the reader would call suspect (`\u000X`, `\u001X` control characters, `\uD800`-`\uDFFF`
//!   surrogates: the same test on the raw bytes as its pattern `\\u(?:00[01]|[dD][89a-fA-F])`), since those
//!   are scrubbed and noted in Python;
//! - the id is not empty (an empty one takes a name from the file, in Python).
//!
//! Pure: no I/O, no global state.

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

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

/// Decodes JSON lines of the common shape (see the module's notes) for one set of field names.
#[pyclass(frozen, module = "cleaner._native")]
struct JsonLineDecoder {
    id_field: String,
    text_field: String,
    url_field: String,
}

#[pymethods]
impl JsonLineDecoder {
    #[new]
    fn new(id_field: String, text_field: String, url_field: String) -> Self {
        JsonLineDecoder { id_field, text_field, url_field }
    }

    /// `(id, text, url or None)` of a line of the common shape; None for any other line.
    fn decode<'py>(&self, py: Python<'py>, line: &[u8]) -> PyResult<Option<Bound<'py, PyTuple>>> {
        if line.first() != Some(&b'{') || std::str::from_utf8(line).is_err() || suspect(line) {
            return Ok(None);
        }
        let mut cursor = Cursor { bytes: line, at: 1 };
        let (mut id, mut text, mut url): (Option<String>, Option<String>, Option<String>) = (None, None, None);
        let mut key = String::new();
        cursor.skip_space();
        loop {
            if cursor.peek() != Some(b'"') {
                return Ok(None); // an empty object, a trailing comma, a key that is not a string
            }
            cursor.at += 1;
            if cursor.string(&mut key).is_none() {
                return Ok(None);
            }
            cursor.skip_space();
            if cursor.peek() != Some(b':') {
                return Ok(None);
            }
            cursor.at += 1;
            cursor.skip_space();
            if cursor.peek() != Some(b'"') {
                return Ok(None); // a value that is not a string
            }
            cursor.at += 1;
            let mut value = String::new();
            if cursor.string(&mut value).is_none() {
                return Ok(None);
            }
            let slot = if key == self.id_field {
                &mut id
            } else if key == self.text_field {
                &mut text
            } else if key == self.url_field {
                &mut url
            } else {
                return Ok(None); // a field Python passes through
            };
            if slot.replace(value).is_some() {
                return Ok(None); // a duplicate key: Python keeps the last, and this stays out of it
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
                _ => return Ok(None),
            }
        }
        cursor.skip_space();
        if cursor.at != line.len() {
            return Ok(None); // anything after the object: Python's "Extra data"
        }
        let (Some(id), Some(text)) = (id, text) else { return Ok(None) };
        if id.is_empty() {
            return Ok(None);
        }
        let url: Bound<'py, PyAny> = match url {
            Some(url) => PyString::new(py, &url).into_any(),
            None => py.None().into_bound(py),
        };
        Ok(Some(PyTuple::new(py, [PyString::new(py, &id).into_any(), PyString::new(py, &text).into_any(), url])?))
    }
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<JsonLineDecoder>()
}
