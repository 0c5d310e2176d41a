//! The span detector's per-document passes over its line features (`cleaner/core/structure.py`,
//! `cleaner/core/relatedrun.py`), compiled: what each line weighs in the article's span and the best span
//! (`Detectors._weights`, `Detectors._best_span`), and the runs of title-shaped lines after the article that may
//! become related records (`relatedrun.related_candidates` with the shapes `Detectors._related_runs` gives it).
//!
//! Every threshold comes from the caller (the rule files' settings); every answer must equal Python's (the Python
//! definitions stay: `tests/structure_oracle.py` for the weights and the span, `relatedrun.related_candidates` for
//! the runs, which the fast route still uses; differential tests compare them). Characters are classed with the
//! running Python's Unicode data handed to the constructor, as in `src/spanfeat.rs`.
//!
//! Pure: no I/O, no global state; an object is immutable once built, so threads may share it.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::spanfeat::{is_dense, line_text, CharSet, Fold, LineFeatures, SpanFeatures};

/// A note's brackets (a line wholly in them is no headline), what introduces what follows, and the characters of
/// code and markup (Python's `_NOTE`, `_INTRODUCES`, `_CODE_CHARS` in `cleaner/core/relatedrun.py`).
const NOTE: [(char, char); 4] = [('(', ')'), ('（', '）'), ('[', ']'), ('【', '】')];
const INTRODUCES: [char; 2] = [':', '：'];
const CODE_CHARS: &str = "<>{}[]=\\$`";
/// What a number word holds besides its digits (Python's `_NUMBER`).
const NUMBER_MARKS: &str = ".,:/%+-";
/// Punctuation read as space when a line's words are compared (Python's `_UNPUNCTUATE` in `structure.py`).
const UNPUNCTUATE: &str = "\"“”‘«»()[]{}.,;:!?¡¿…*/|";
/// The capital sigma: its lower case depends on the letters around it, so Python tells such a line's words.
const CAPITAL_SIGMA: char = '\u{03a3}';

/// What the related-run scan reads of one line (Python's `relatedrun.Shape`).
#[derive(Clone, Copy)]
struct Shape {
    words: usize,
    title: bool,
    prose: bool,
    meta: bool,
    code: bool,
}

/// A run as the scan found it, its header dropped: (title, its lines that are no label) items, the labels, each
/// title's words and the share of the lines past the article before its first title.
type Candidate = (Vec<(usize, Vec<usize>)>, Vec<usize>, Vec<usize>, f64);

#[pyclass(frozen, module = "cleaner._native")]
struct SpanRuns {
    space: CharSet,
    digit: CharSet,
    lowercase: CharSet,
    /// Each character that Python's case-insensitive match takes for a letter (as `SpanFeatures` has it).
    fold: Fold,
}

fn present(feats: &[Option<PyRef<'_, LineFeatures>>]) -> Vec<usize> {
    feats.iter().enumerate().filter(|(_, f)| f.is_some()).map(|(i, _)| i).collect()
}

impl SpanRuns {
    /// Python's `_headline`: no line ending with a colon, holding a copyright sign or wholly in brackets.
    fn headline(line: &str) -> bool {
        if line.ends_with(INTRODUCES) || line.contains('©') {
            return false;
        }
        !NOTE.iter().any(|&(open, close)| line.starts_with(open) && line.ends_with(close))
    }

    /// Python's `_number_share`: the share of the line's words (`str.split()`) that are numbers.
    fn number_share(&self, line: &str) -> f64 {
        let (mut words, mut numbers) = (0usize, 0usize);
        let (mut inside, mut only, mut digit) = (false, true, false);
        let mut close = |only: bool, digit: bool| {
            words += 1;
            numbers += usize::from(only && digit);
        };
        for c in line.chars() {
            if self.space.has(c) {
                if inside {
                    close(only, digit);
                }
                inside = false;
                continue;
            }
            if !inside {
                (inside, only, digit) = (true, true, false);
            }
            if self.digit.has(c) {
                digit = true;
            } else if !NUMBER_MARKS.contains(c) {
                only = false;
            }
        }
        if inside {
            close(only, digit);
        }
        if words == 0 { 0.0 } else { numbers as f64 / words as f64 }
    }

    /// Whether a line may hold a date or reading time (`_DATE`, `_READING_TIME`): each needs a decimal digit
    /// (`re`'s `\d`) or "ago" (folded as the case-insensitive match folds it).
    fn may_be_meta(&self, line: &str) -> bool {
        if line.chars().any(|c| self.digit.has(c)) {
            return true;
        }
        let folded: Vec<char> = line.chars().map(|c| self.fold.get(c)).collect();
        folded.windows(3).any(|w| w == ['a', 'g', 'o'])
    }
}

/// Python's `structure._name_tokens`: a line's words of three letters or more (lower-cased, punctuation as
/// space), cut to five characters; in a dense script, its pairs of such characters. A line holding a capital sigma
/// (or a lone surrogate) is handed to `python` (that function).
fn name_tokens(features: &SpanFeatures, line: &Bound<'_, PyString>, python: &Bound<'_, PyAny>)
               -> PyResult<HashSet<String>> {
    let text = line_text(line)?;
    if !text.is_ascii() {
        let dense: Vec<char> = text.chars().filter(|&c| is_dense(c)).collect();
        if dense.len() >= 2 {
            return Ok(dense.windows(2).map(|pair| pair.iter().collect()).collect());
        }
    }
    if text.contains(CAPITAL_SIGMA) || matches!(text, Cow::Owned(_)) {
        // (A lone surrogate, read as U+FFFF, would make two words alike that Python tells apart.)
        return python.call1((line,))?.extract();
    }
    let mut tokens = HashSet::new();
    let mut token: Vec<char> = Vec::new();
    let mut flush = |token: &mut Vec<char>| {
        if token.len() >= 3 && features.is_alpha(token[0]) {
            tokens.insert(token.iter().take(5).collect::<String>());
        }
        token.clear();
    };
    features.for_lower(&text, |c| {
        if UNPUNCTUATE.contains(c) || features.is_space(c) {
            flush(&mut token);
        } else {
            token.push(c);
        }
    });
    flush(&mut token);
    Ok(tokens)
}

#[pymethods]
impl SpanRuns {
    /// `spaces`, `digits`, `lowercase`, `fold`: as `SpanFeatures` takes them (the running Python's data).
    #[new]
    fn new(spaces: &str, digits: &str, lowercase: &str, fold: Vec<(char, char)>) -> Self {
        SpanRuns {
            space: CharSet::new(spaces),
            digit: CharSet::new(digits),
            lowercase: CharSet::new(lowercase),
            fold: Fold::new(fold),
        }
    }

    /// Each line's weight in a span (`Detectors._weights`): a prose line `prose_weight`, or `isolated_weight`
    /// between two lines that are no prose when at least `min_alternation` such lines alternate with one other
    /// line each (0: whenever isolated); every other line with features `-line_penalty`; the rest 0.
    #[allow(clippy::too_many_arguments)]
    fn weights(&self, feats: Vec<Option<PyRef<'_, LineFeatures>>>, prose: Vec<bool>, line_penalty: f64,
               prose_weight: f64, isolated_weight: f64, min_alternation: usize) -> PyResult<Vec<f64>> {
        if feats.len() != prose.len() {
            return Err(PyValueError::new_err("feats and prose differ in length"));
        }
        let present = present(&feats);
        let mut weights = vec![0.0; feats.len()];
        for (position, &index) in present.iter().enumerate() {
            if !prose[index] {
                weights[index] = -line_penalty;
                continue;
            }
            let before = position > 0 && prose[present[position - 1]];
            let after = position + 1 < present.len() && prose[present[position + 1]];
            weights[index] = if before || after { prose_weight } else { isolated_weight };
        }
        if min_alternation > 0 {
            let mut chain: Vec<(usize, usize)> = Vec::new();
            for position in 0..=present.len() {
                let index = present.get(position).copied();
                if index.is_some_and(|i| !prose[i]) {
                    continue;
                }
                let isolated = index.is_some_and(|i| weights[i] == isolated_weight && isolated_weight != prose_weight);
                if isolated && chain.last().is_none_or(|&(last, _)| last + 2 == position) {
                    chain.push((position, index.unwrap_or(0)));
                    continue;
                }
                if chain.len() < min_alternation {
                    for &(_, member) in &chain {
                        weights[member] = prose_weight;
                    }
                }
                chain.clear();
                if let (true, Some(i)) = (isolated, index) {
                    chain.push((position, i));
                }
            }
        }
        Ok(weights)
    }

    /// The maximum-sum segment of the lines' weights (`Detectors._best_span`): (start, end, weight), (-1, -1, 0)
    /// when none is worth anything; lines without features cost nothing.
    fn best_span(&self, feats: Vec<Option<PyRef<'_, LineFeatures>>>, weights: Vec<f64>) -> PyResult<(i64, i64, f64)> {
        if feats.len() != weights.len() {
            return Err(PyValueError::new_err("feats and weights differ in length"));
        }
        let (mut best, mut best_start, mut best_end) = (0.0, -1i64, -1i64);
        let (mut total, mut start) = (0.0, -1i64);
        for (index, f) in feats.iter().enumerate() {
            if f.is_none() {
                continue;
            }
            let gain = weights[index];
            if total <= 0.0 && gain <= 0.0 {
                continue;
            }
            if total <= 0.0 {
                (total, start) = (gain, index as i64);
            } else {
                total += gain;
            }
            if total > best {
                (best, best_start, best_end) = (total, start, index as i64);
            }
        }
        Ok((best_start, best_end, best))
    }

    /// The runs of title-shaped lines among `after` (open lines past the article, in order), as
    /// `relatedrun.related_candidates` finds them, with the shapes `Detectors._related_runs` gives each line: its
    /// words (a dense script's characters `dense_per_word` to a word), title shape, prose, code, and whether it is
    /// a date or reading-time line (of at most `meta_words` words; `meta`, Python's patterns, is asked only of
    /// lines holding a digit or "ago", which they need). The settings are `[detector.related_run]`'s.
    #[allow(clippy::too_many_arguments)]
    fn related_candidates<'py>(&self, lines: Bound<'py, PyAny>, after: Vec<usize>, feats: Bound<'_, PyAny>,
                          prose: Bound<'_, PyAny>, meta: Bound<'_, PyAny>, dense_per_word: f64, meta_words: usize, min_titles: usize,
                          min_words: usize, max_between: usize, teaser_words: usize, label_words: usize,
                          code_chars: usize, max_number_share: f64) -> PyResult<Vec<Candidate>> {
        // (The sequences are read at the lines past the article only.)
        let count = lines.len()?;
        if feats.len()? != count || prose.len()? != count {
            return Err(PyValueError::new_err("lines, feats and prose differ in length"));
        }
        if after.iter().any(|&i| i >= count) {
            return Err(PyValueError::new_err("a line past the document's end"));
        }
        let line_at = |i: usize| -> PyResult<Bound<'py, PyString>> { Ok(lines.get_item(i)?.cast_into::<PyString>()?) };
        let mut shapes: Vec<Option<Shape>> = vec![None; count];
        for &index in &after {
            let f = feats.get_item(index)?;
            if f.is_none() {
                continue;
            }
            let f = f.cast::<LineFeatures>()?.get();
            let words = f.words.max((f.dense as f64 / dense_per_word) as usize);
            let mut is_meta = false;
            if meta_words == 0 || words <= meta_words {
                let line = line_at(index)?;
                if self.may_be_meta(&line_text(&line)?) {
                    is_meta = meta.call1((line,))?.is_truthy()?;
                }
            }
            let prose = prose.get_item(index)?.is_truthy()?;
            shapes[index] = Some(Shape { words, title: f.title_shaped, prose, meta: is_meta, code: f.code });
        }
        let words = |index: usize| shapes[index].map_or(0, |s| s.words);
        let label = |index: usize| shapes[index].is_some_and(|s| !s.meta && !s.prose && s.words <= label_words);
        let mut found: Vec<Candidate> = Vec::new();
        let mut run: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut start = 0.0;
        let close = |run: &mut Vec<(usize, Vec<usize>)>, start: f64, found: &mut Vec<Candidate>| -> PyResult<()> {
            // A run's first line, shorter than every title after it and with nothing of its own, is its header.
            if run.len() > min_titles && run[0].1.is_empty() {
                let shortest = run[1..].iter().map(|(title, _)| words(*title)).min()
                    .ok_or_else(|| PyValueError::new_err("min() iterable argument is empty"))?;
                if words(run[0].0) < shortest {
                    run.remove(0);
                }
            }
            if run.len() >= min_titles {
                let mut items = Vec::with_capacity(run.len());
                let mut labels = Vec::new();
                for (title, rest) in run.iter() {
                    items.push((*title, rest.iter().copied().filter(|&i| !label(i)).collect()));
                    labels.extend(rest.iter().copied().filter(|&i| label(i)));
                }
                let sizes = run.iter().map(|(title, _)| words(*title)).collect();
                found.push((items, labels, sizes, start));
            }
            run.clear();
            Ok(())
        };
        let total = after.iter().filter(|&&i| shapes[i].is_some()).count();
        let mut seen = 0usize;
        let mut previous: Option<usize> = None;
        for (position, &index) in after.iter().enumerate() {
            let Some(shape) = shapes[index] else { continue };
            seen += 1;
            if let Some(previous) = previous {
                let mut blank = false;
                for between in previous + 1..index {
                    if lines.get_item(between)?.len()? == 0 {
                        blank = true;
                        break;
                    }
                }
                if blank {
                    close(&mut run, start, &mut found)?; // a blank line ends a block
                }
            }
            // A line the next one continues in lower case is a sentence the dump wrapped, not a title.
            let following = after.get(position + 1).copied().filter(|&f| f == index + 1);
            let wrapped = match following.and_then(|f| shapes[f].map(|s| (f, s))) {
                Some((f, next)) => {
                    line_text(&line_at(f)?)?.chars().next().is_some_and(|c| self.lowercase.has(c))
                        && (next.words >= min_words || next.prose)
                }
                None => false,
            };
            let titled = shape.title && !shape.meta && !shape.code && !wrapped && {
                let line = line_at(index)?;
                let text = line_text(&line)?;
                Self::headline(&text)
                    && (code_chars == 0 || text.chars().filter(|&c| CODE_CHARS.contains(c)).count() < code_chars)
                    && (max_number_share >= 1.0 || self.number_share(&text) <= max_number_share)
            };
            if titled {
                if run.is_empty() {
                    start = (seen - 1) as f64 / total as f64;
                }
                run.push((index, Vec::new()));
            } else if run.last().is_some_and(|(_, rest)| rest.len() < max_between)
                && (shape.meta || !shape.prose || shape.words <= teaser_words)
            {
                if let Some((_, rest)) = run.last_mut() {
                    rest.push(index);
                }
            } else {
                close(&mut run, start, &mut found)?;
            }
            previous = Some(index);
        }
        close(&mut run, start, &mut found)?;
        Ok(found)
    }

    /// The lines above the span that may be a table of contents (`Detectors._table_of_contents` up to its count
    /// of entries): among the `reach` lines with features before `start` (all of them when 0), the open lines,
    /// not themselves a heading, whose letter key (`structure._letters`; a line holding a capital sigma is handed
    /// to `python`) is a heading's key: a line of `keep_from..=keep_to` that is no prose, with prose after it,
    /// standing once there and once more on the page. Returns those lines and how many keys they hold. (The
    /// sequences are read only where needed: most pages have no heading, and then only the span is read.)
    #[allow(clippy::too_many_arguments)]
    fn toc_matches(&self, features: PyRef<'_, SpanFeatures>, lines: Bound<'_, PyAny>, feats: Bound<'_, PyAny>,
                   prose: Bound<'_, PyAny>, open_lines: Bound<'_, PyAny>, start: usize, keep_from: usize,
                   keep_to: usize, reach: usize, python: Bound<'_, PyAny>) -> PyResult<(Vec<usize>, usize)> {
        let count = lines.len()?;
        if feats.len()? != count || prose.len()? != count || open_lines.len()? != count || start > count
            || (keep_from <= keep_to && keep_to >= count) {
            return Err(PyValueError::new_err("lines, feats, prose and open lines differ in length"));
        }
        let present = |i: usize| -> PyResult<bool> { Ok(!feats.get_item(i)?.is_none()) };
        let is_prose = |i: usize| -> PyResult<bool> { prose.get_item(i)?.is_truthy() };
        let key_of = |i: usize, key: &mut String| -> PyResult<()> {
            let line = lines.get_item(i)?;
            let line = line.cast::<PyString>()?;
            let text = line_text(line)?;
            if text.contains(CAPITAL_SIGMA) {
                *key = python.call1((line,))?.extract()?;
            } else {
                features.letter_key(&text, key);
            }
            Ok(())
        };
        // The headings: the lines of the span that are no prose, with prose after them, whose key stands once there.
        let mut kept = Vec::new();
        if keep_from <= keep_to {
            for i in keep_from..=keep_to {
                if present(i)? {
                    kept.push(i);
                }
            }
        }
        let mut taken: HashSet<usize> = HashSet::new();
        let mut inside: HashMap<String, usize> = HashMap::new();
        let mut key = String::new();
        for pair in kept.windows(2) {
            if !is_prose(pair[0])? && is_prose(pair[1])? {
                taken.insert(pair[0]);
                key_of(pair[0], &mut key)?;
                *inside.entry(key.clone()).or_default() += 1;
            }
        }
        inside.retain(|key, n| !key.is_empty() && *n == 1);
        if inside.is_empty() {
            return Ok((Vec::new(), 0));
        }
        // ... and once more on the page (twice in all).
        let mut counts: HashMap<&str, usize> = inside.keys().map(|key| (key.as_str(), 0)).collect();
        for i in 0..count {
            if present(i)? {
                key_of(i, &mut key)?;
                if let Some(n) = counts.get_mut(key.as_str()) {
                    *n += 1;
                }
            }
        }
        counts.retain(|_, n| *n == 2);
        if counts.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let mut above = Vec::new();
        for i in (0..start).rev() {
            if reach > 0 && above.len() >= reach {
                break;
            }
            if present(i)? {
                above.push(i);
            }
        }
        above.reverse();
        let mut matches = Vec::new();
        let mut keys: HashSet<String> = HashSet::new();
        for i in above {
            if open_lines.get_item(i)?.is_truthy()? && !taken.contains(&i) {
                key_of(i, &mut key)?;
                if counts.contains_key(key.as_str()) {
                    matches.push(i);
                    keys.insert(key.clone());
                }
            }
        }
        Ok((matches, keys.len()))
    }

    /// `Detectors._named_headline`: the short line above the span (within `reach` lines with features) sharing the
    /// most words (`structure._name_tokens`, which `python` is, for a line holding a capital sigma) with the first
    /// `prose_lines` prose lines from `start`, at least `overlap` of its own; of two sharing as many, the nearer.
    /// -1 when none does. (The sequences are read only where needed.)
    #[allow(clippy::too_many_arguments)]
    fn named_headline(&self, features: PyRef<'_, SpanFeatures>, lines: Bound<'_, PyAny>, feats: Bound<'_, PyAny>,
                      prose: Bound<'_, PyAny>, open_lines: Bound<'_, PyAny>, start: usize, reach: usize,
                      prose_lines: usize, overlap: f64, max_words: usize, python: Bound<'_, PyAny>) -> PyResult<i64> {
        let count = lines.len()?;
        if feats.len()? != count || prose.len()? != count || open_lines.len()? != count || start > count {
            return Err(PyValueError::new_err("lines, feats, prose and open lines differ in length"));
        }
        let tokens = |i: usize| -> PyResult<HashSet<String>> {
            let line = lines.get_item(i)?;
            name_tokens(&features, line.cast::<PyString>()?, &python)
        };
        let mut opening: HashSet<String> = HashSet::new();
        let mut taken = 0;
        for index in start..count {
            if taken >= prose_lines {
                break;
            }
            if prose.get_item(index)?.is_truthy()? {
                opening.extend(tokens(index)?);
                taken += 1;
            }
        }
        if opening.is_empty() {
            return Ok(-1);
        }
        let (mut best, mut best_shared) = (-1i64, 0usize);
        let mut seen = 0;
        for index in (0..start).rev() {
            if seen >= reach {
                break;
            }
            let f = feats.get_item(index)?;
            if f.is_none() {
                continue;
            }
            let f = f.cast::<LineFeatures>()?.get();
            seen += 1;
            if open_lines.get_item(index)?.is_truthy()? && !prose.get_item(index)?.is_truthy()? && !f.sentence_end
                && f.words.max(f.dense / 2) <= max_words {
                let tokens = tokens(index)?;
                let shared = tokens.iter().filter(|token| opening.contains(*token)).count();
                if shared > best_shared && shared as f64 >= overlap * tokens.len() as f64 {
                    (best, best_shared) = (index as i64, shared);
                }
            }
        }
        Ok(best)
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<SpanRuns>()
}
