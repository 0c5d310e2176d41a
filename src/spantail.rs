//! The span detector's lines outside the kept article, compiled (`Detectors._outside` in
//! `cleaner/core/structure.py`): which open lines lie outside the kept head, span and margins (a markdown link
//! definition, the document's opening title and a title the article's head repeats excepted), how many of them are
//! furniture-short, and the character mass of the article kept and of the long lines outside it (the span's
//! confidence tests). One call a document, in place of Python's passes over every line.
//!
//! Every threshold comes from the caller (the rule files' settings); every answer must equal Python's (the Python
//! definition stays in `tests/structure_oracle.py`, and a differential test compares them). Spaces are Python's
//! (`re`'s `\s`), handed to `SpanFeatures` by the running Python; lengths are in code points.
//!
//! Pure: no I/O, no global state.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::spanfeat::{LineFeatures, SpanFeatures};

/// A line's identity for counting copies: its UTF-8 bytes, or, for a line holding a lone surrogate (which UTF-8
/// cannot hold), its bytes with the surrogates written as UTF-8 would (never valid UTF-8, so no other line's).
fn line_key<'a>(line: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(text) = line.to_str() {
        return Ok(Cow::Borrowed(text.as_bytes()));
    }
    let encoded = line.call_method1("encode", ("utf-8", "surrogatepass"))?;
    Ok(Cow::Owned(encoded.extract::<Vec<u8>>()?))
}

/// Python's `re.fullmatch(r"\[[^\]]{1,40}\]:\s*\S+(?:\s+.*)?", line)` (`_LINK_DEFINITION`): "[3]: https://...".
fn link_definition(features: &SpanFeatures, line: &[char]) -> bool {
    if line.first() != Some(&'[') {
        return false;
    }
    // The label: 1 to 40 characters, none a "]", then "]:".
    let Some(close) = line.iter().skip(1).take(41).position(|&c| c == ']') else { return false };
    if close == 0 || line.get(close + 2) != Some(&':') {
        return false;
    }
    // Then spaces, a word (at least one character that is no space), and either the end or spaces followed by
    // anything but a line feed (`.`): the spaces after the word may take every space up to the next word.
    let rest = &line[close + 3..];
    let word = rest.iter().position(|&c| !features.is_space(c));
    let Some(word) = word else { return false };
    let Some(gap) = rest[word..].iter().position(|&c| features.is_space(c)) else { return true };
    let after = &rest[word + gap..];
    let tail = after.iter().position(|&c| !features.is_space(c)).unwrap_or(after.len());
    !after[tail..].contains(&'\n')
}

/// What [`outside_lines`] answers: the lines outside the kept article, how many of them are furniture-short, the
/// kept article's mass and that of the long lines outside.
type Outside = (Vec<usize>, usize, f64, f64);

/// The lines outside the kept article (`keep_from..=keep_to`) that the span may remove: open, not claimed, not
/// blank, no markdown link definition, not the document's first open line when it is title-shaped
/// (`opening_title`), and (`keep_repeated_titles`) no copy of a line of the kept article that is not prose and
/// stands two or three times among the lines with features. With them: how many have at most `furniture_words`
/// words (or twice as many characters of a dense script); the mass (characters, a dense script's counting
/// `dense_char_weight`) of the kept lines with features, and of the lines outside of at least `mass_chars`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn outside_lines(features: PyRef<'_, SpanFeatures>, lines: Vec<Bound<'_, PyString>>,
                 feats: Vec<Option<PyRef<'_, LineFeatures>>>, prose: Vec<bool>, open_lines: Vec<bool>,
                 claimed: Vec<bool>, keep_from: isize, keep_to: isize, opening: Option<usize>,
                 keep_repeated_titles: bool, dense_char_weight: f64, mass_chars: f64, furniture_words: usize)
                 -> PyResult<Outside> {
    let count = lines.len();
    if feats.len() != count || prose.len() != count || open_lines.len() != count || claimed.len() != count {
        return Err(PyValueError::new_err("lines, feats, prose, open and claimed lines differ in length"));
    }
    let kept = |i: usize| keep_from <= i as isize && i as isize <= keep_to;
    // The kept lines that are no prose and stand two or three times among the lines with features.
    let mut head: HashSet<Cow<'_, [u8]>> = HashSet::new();
    if keep_repeated_titles {
        let mut candidates: HashMap<Cow<'_, [u8]>, usize> = HashMap::new();
        for i in (0..count).filter(|&i| kept(i) && feats[i].is_some() && !prose[i]) {
            candidates.insert(line_key(&lines[i])?, 0);
        }
        if !candidates.is_empty() {
            for i in (0..count).filter(|&i| feats[i].is_some()) {
                if let Some(seen) = candidates.get_mut(&line_key(&lines[i])?) {
                    *seen += 1;
                }
            }
            head = candidates.into_iter().filter(|(_, seen)| (2..=3).contains(seen)).map(|(key, _)| key).collect();
        }
    }
    if keep_from <= keep_to && (keep_from < 0 || keep_to >= count as isize) {
        return Err(PyValueError::new_err("the kept lines end past the document"));
    }
    // Python's `len(line) + (dense_char_weight - 1) * dense`: code points (a lone surrogate is one).
    let mass = |i: usize| -> PyResult<f64> {
        let line = &lines[i];
        let length = match line.to_str() {
            Ok(text) if text.is_ascii() => text.len(),
            _ => line.len()?,
        };
        let dense = feats[i].as_ref().map_or(0, |f| f.dense);
        Ok(length as f64 + (dense_char_weight - 1.0) * dense as f64)
    };
    let mut outside = Vec::new();
    let (mut short, mut outside_mass) = (0usize, 0.0f64);
    for i in 0..count {
        if !open_lines[i] || claimed[i] || kept(i) || opening == Some(i) {
            continue;
        }
        let line = &lines[i];
        let text = crate::spanfeat::line_text(line)?;
        if text.is_empty() {
            continue;
        }
        if text.starts_with('[') {
            let letters: Vec<char> = text.chars().collect();
            if link_definition(&features, &letters) {
                continue;
            }
        }
        if !head.is_empty() && head.contains(&line_key(line)?) {
            continue;
        }
        outside.push(i);
        if let Some(f) = &feats[i] {
            short += usize::from(f.words.max(f.dense / 2) <= furniture_words);
        }
        let m = mass(i)?;
        if m >= mass_chars {
            outside_mass += m;
        }
    }
    let mut kept_mass = 0.0f64;
    for i in (keep_from.max(0) as usize..(keep_to + 1).max(0) as usize).filter(|&i| feats[i].is_some()) {
        kept_mass += mass(i)?;
    }
    Ok((outside, short, kept_mass, outside_mass))
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(outside_lines, module)?)
}
