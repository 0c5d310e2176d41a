//! The batch shell's per-record steps natively (`cleaner/io/writers.py`, `record_values`).
//!
//! A record's content hash is `cleaner.core.corpus.content_hash`: BLAKE2b with an 8-byte digest of the text's
//! key, its words (split as `str.split()` splits) joined by one space and case-folded (`str.casefold`),
//! encoded as UTF-8. `ascii_content_hash` (src/jsonl.rs) does it for an ASCII text only; a text past ASCII
//! (about four records in ten on the throughput corpus, several kilobytes each) went to Python, whose split,
//! join, casefold and encode cost more than the rest of the record's row. Here any text is hashed, in one
//! pass that splits, folds and writes the key's bytes:
//!
//! - white space is Python's: Unicode's White_Space (Rust's `char::is_whitespace`, the same set as
//!   `str.isspace` past ASCII) and the ASCII separators 0x1c-0x1f, which Python counts too;
//! - folding is Python's own: the caller hands in `str.casefold` of each character past ASCII that it changes
//!   (`cleaner.core.matcher.case_folds`; Python folds character by character, without context), and ASCII
//!   letters are lowered;
//! - a text with a lone surrogate (from a JSON `\ud800` escape) is no Rust string: None, Python hashes it.
//!
//! A JSON line's decoding (`cleaner/io/readers.py`, `line_decoder`) is `jsonl.rs`'s decoder of the common
//! shape, with one more shape taken natively: members under other names whose values are strings (a dump's
//! `"fetched_at"`, `"lang"`, `"source"`), handed back as the dict of the document's other fields that Python
//! makes of them (in the line's order), where the decoder of `jsonl.rs` left the whole line to Python's `json`.
//! A value of another type, a duplicate name, anything suspect: still Python's, as there.
//!
//! Pure: no I/O, no global state; a hasher and a decoder are immutable once built.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::FxHasher;

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// Python's `str.isspace` for one character (see the module's notes).
#[inline]
fn python_space(c: char) -> bool {
    if c.is_ascii() {
        crate::jsonl::python_space(c as u8)
    } else {
        c.is_whitespace()
    }
}

/// Content hashes of record texts, with Python's case folding of the characters past ASCII.
#[pyclass(frozen, module = "cleaner._native")]
struct ContentHasher {
    folds: FastMap<char, String>,
}

impl ContentHasher {
    /// The key of `text` (see the module's notes), written into `key`.
    fn key_into(&self, text: &str, key: &mut Vec<u8>) {
        key.clear();
        if text.is_ascii() {
            crate::jsonl::ascii_key_into(text.as_bytes(), key);
            return;
        }
        let mut gap = false;
        let mut buffer = [0u8; 4];
        for c in text.chars() {
            if python_space(c) {
                gap = !key.is_empty();
                continue;
            }
            if gap {
                key.push(b' ');
                gap = false;
            }
            if c.is_ascii() {
                key.push((c as u8).to_ascii_lowercase());
            } else if let Some(folded) = self.folds.get(&c) {
                key.extend_from_slice(folded.as_bytes());
            } else {
                key.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }

    fn hash_of(&self, text: &str, key: &mut Vec<u8>) -> String {
        self.key_into(text, key);
        crate::jsonl::hex_digest(key)
    }
}

#[pymethods]
impl ContentHasher {
    /// `folds`: each character past ASCII that `str.casefold` changes, with its folding.
    #[new]
    fn new(folds: Vec<(char, String)>) -> Self {
        ContentHasher { folds: folds.into_iter().collect() }
    }

    /// `content_hash(text)` (16 hex digits); None for a text holding a lone surrogate (Python hashes it).
    fn hash(&self, text: &Bound<'_, PyString>) -> Option<String> {
        let text = text.to_str().ok()?;
        Some(self.hash_of(text, &mut Vec::with_capacity(text.len())))
    }

    /// For tests: the key `hash` hashes, as text.
    fn key(&self, text: &str) -> String {
        let mut key = Vec::new();
        self.key_into(text, &mut key);
        String::from_utf8(key).expect("a key is UTF-8")
    }
}

/// Decodes JSON lines of the common shape, other string members included (see the module's notes).
#[pyclass(frozen, module = "cleaner._native")]
struct JsonLineFields {
    names: [String; 3],
}

#[pymethods]
impl JsonLineFields {
    #[new]
    fn new(id_field: String, text_field: String, url_field: String) -> Self {
        JsonLineFields { names: [id_field, text_field, url_field] }
    }

    /// `(id, text, url or None, other fields or None)` of a line of that shape; None for any other line.
    fn decode<'py>(&self, py: Python<'py>, line: &[u8]) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let mut others = Vec::new();
        let names = [self.names[0].as_str(), self.names[1].as_str(), self.names[2].as_str()];
        let Some((id, text, url)) = crate::jsonl::common_shape(line, names, Some(&mut others)) else {
            return Ok(None);
        };
        let url: Bound<'py, PyAny> = match url {
            Some(url) => PyString::new(py, &url).into_any(),
            None => py.None().into_bound(py),
        };
        let fields: Bound<'py, PyAny> = if others.is_empty() {
            py.None().into_bound(py)
        } else {
            let fields = PyDict::new(py);
            for (name, value) in others {
                fields.set_item(name, value)?;
            }
            fields.into_any()
        };
        Ok(Some(PyTuple::new(
            py,
            [PyString::new(py, &id).into_any(), PyString::new(py, &text).into_any(), url, fields],
        )?))
    }
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<ContentHasher>()?;
    module.add_class::<JsonLineFields>()
}
