//! The compiled core of `cleaner`, imported as `cleaner._native`.
//!
//! This stage holds one thing: the line matcher. The engine builds it once from its line rules, block
//! starts and layout headers (their patterns translated from Python `regex` syntax by
//! `cleaner/core/translate.py`), and hands it a document's stripped lines in one call. It answers, for the
//! few lines that need it, which rules could match the whole line: a superset of the rules Python `regex`
//! finds, which the engine then confirms. Lines that no rule can match cost the engine nothing more.
//!
//! Pure: no I/O and no global state; a matcher is immutable once built, so threads may share it.

use std::collections::HashSet;

mod rulecache;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyTuple};
use rulecache::LineSet;

/// Python's `" ".join(line.split())`, written into `out`. ASCII whitespace is `str.split()`'s own set
/// (the ASCII separators 0x1c-0x1f included); `other_space` tells the non-ASCII characters it splits on.
pub(crate) fn normalise_into(line: &str, out: &mut String, other_space: impl Fn(char) -> bool) {
    out.clear();
    let mut gap = false;
    for c in line.chars() {
        let space = if c.is_ascii() {
            matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f')
        } else {
            other_space(c)
        };
        if space {
            gap = !out.is_empty();
        } else {
            if gap {
                out.push(' ');
                gap = false;
            }
            out.push(c);
        }
    }
}

mod views;

mod html_scan;

mod langid;

mod minhash;

mod confirm;
// JSON lines of the common shape decoded natively (the batch reader).
mod jsonl;

mod exactlines;

mod spanfeat;
// The span detector's passes over its line features (weights, best span, related runs).
mod spanrun;
// The span's lines outside the kept article and its confidence sums, one call a document.
mod spantail;
mod engine;
// The batch shell's per-record steps (a record's content hash, any text).
mod batch;
mod segment;
// Line classification (the engine's `_decide`) over the scan's hits, one call per document.
mod classify;
// The HTML path's page index in one read-only walk of lxml's tree.
mod tree;

/// Compiled size limits: the built-in rules hold long alternations of phrases under Unicode case
/// folding, well past the regex crate's defaults (10 MB and 2 MB), which are guards against hostile
/// patterns, not a cost we pay per line.
const SIZE_LIMIT: usize = 1 << 30;
const DFA_SIZE_LIMIT: usize = 256 << 20;

/// One document line's answer: its index, the candidate probes (positions in the engine's rule order,
/// ascending) and whether an exact-line rule could match it.
type Hit = (usize, Vec<u32>, bool);

#[pyclass(frozen, module = "cleaner._native")]
struct LineMatcher {
    /// Every translated pattern, anchored at both ends (a whole-line match), in one multi-pattern set.
    set: Option<LineSet>,
    /// Whether the set was rebuilt from a compiled form handed to the constructor (false: compiled here).
    from_compiled: bool,
    /// For each pattern of the set: the probe it stands for and the longest line it is tried on.
    slots: Vec<(u32, usize)>,
    /// Probes no translation covers (Python-only): candidates on every line they may be tried on.
    always: Vec<(u32, usize)>,
    /// Lines longer than this (in characters) meet no rule at all.
    longest: usize,
    /// Exact-line rules: the longest key, and the keys as the scan looks lines up among them.
    exact_longest: usize,
    exact: exactlines::ExactLines,
    /// The characters Python's `str.split()` splits on (its `str.isspace`), so that a line is
    /// normalised exactly as `" ".join(line.split())` does.
    spaces: FastSet<char>,
}

/// Whether an ASCII line is its own `" ".join(line.split())`: no space at either end, none doubled, and no other
/// whitespace (tabs, the ASCII separators Python splits on).
pub(crate) fn normalised_ascii(line: &[u8]) -> bool {
    let mut after_space = true; // a space first is one to drop
    for &byte in line {
        if byte == b' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if matches!(byte, b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | b'\x1c'..=b'\x1f') {
            return false;
        } else {
            after_space = false;
        }
    }
    !after_space
}

/// A fast hash for the short keys the scan looks up on every line (exact-line keys, characters): the
/// standard library's SipHash, made to resist hostile keys, cost more than the lookup's other work. The keys
/// are the rule files' own, not the page's, so there is nothing to resist here.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.0 = (self.0.rotate_left(5) ^ byte as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, value: u32) {
        self.0 = (self.0.rotate_left(5) ^ value as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastSet<T> = HashSet<T, std::hash::BuildHasherDefault<FxHasher>>;

/// One call's search state: the set's caches and the patterns found on the current line.
type Search = Option<((rulecache::DfaCache, rulecache::VmCache), regex_automata::PatternSet)>;

impl LineMatcher {
    fn search(&self) -> Search {
        self.set.as_ref().map(|set| (set.caches(), set.pattern_set()))
    }

    fn done(&self, search: Search) {
        if let (Some(set), Some((caches, _))) = (&self.set, search) {
            set.release(caches);
        }
    }


    /// `" ".join(line.split())`, written into `out`.
    fn normalise(&self, line: &str, out: &mut String) {
        normalise_into(line, out, |c| self.spaces.contains(&c));
    }

    fn exact_possible(&self, normal: &str, scratch: &mut String) -> bool {
        self.exact.possible(normal, scratch)
    }

    fn scan_line(&self, line: &str, normal: &mut String, scratch: &mut String, search: &mut Search)
                 -> Option<(Vec<u32>, bool)> {
        if line.is_empty() {
            return None;
        }
        let ascii = line.is_ascii();
        let size = if ascii { line.len() } else { line.chars().count() };
        if size > self.longest {
            return None;
        }
        // Most lines are ASCII with single spaces between words: their normalised form is the line itself, and
        // copying it character by character cost more than matching it. (A line past ASCII is always
        // normalised into `normal`: the caller makes its view from there.)
        let normal: &str = if ascii && normalised_ascii(line.as_bytes()) {
            line
        } else {
            self.normalise(line, normal);
            normal
        };
        let mut found: Vec<u32> = self
            .always
            .iter()
            .filter(|(_, bound)| size <= *bound)
            .map(|(probe, _)| *probe)
            .collect();
        // Most lines match no probe: the set's quick yes-or-no answer first (it stops at the first match),
        // which patterns only for the few that match. (Clearing the set of patterns found and reading it each
        // take a step per pattern of the set: with a user's thousands of rules, more than the search itself,
        // so a line that matched nothing does neither.)
        if let (Some(set), Some((caches, matched))) = (&self.set, search.as_mut()) {
            if set.is_match(normal, caches) {
                set.matches(normal, caches, matched);
                for index in matched.iter() {
                    let (probe, bound) = self.slots[index.as_usize()];
                    if size <= bound {
                        found.push(probe);
                    }
                }
            }
        }
        let exact = size <= self.exact_longest && self.exact_possible(normal, scratch);
        if found.is_empty() && !exact && ascii {
            // A line with other characters is listed all the same: the engine matches its view (invisible
            // characters removed, look-alike letters folded) when the line itself matched nothing.
            return None;
        }
        found.sort_unstable();
        found.dedup();
        Some((found, exact))
    }
}

#[pymethods]
impl LineMatcher {
    /// `patterns`: (probe position, Rust pattern or None for a Python-only probe, longest line it is tried
    /// on). The other arguments describe the exact-line rules and the whitespace of `str.split()`.
    #[new]
    /// `compiled`: the set's compiled form from an earlier build of the same patterns (see `compiled_form`),
    /// used when it is one; otherwise the set is compiled. `folds`: Python's `str.casefold` of each character
    /// past ASCII that it changes, for exact-line keys past ASCII (see `exactlines`).
    #[pyo3(signature = (patterns, longest, exact_keys, exact_longest, folds_to_ascii, spaces, compiled=None,
                        folds=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        patterns: Vec<(u32, Option<String>, usize)>,
        longest: usize,
        exact_keys: Vec<String>,
        exact_longest: usize,
        folds_to_ascii: Vec<char>,
        spaces: Vec<char>,
        compiled: Option<&[u8]>,
        folds: Option<Vec<(char, String)>>,
    ) -> PyResult<Self> {
        let mut slots = Vec::new();
        let mut anchored = Vec::new();
        let mut always = Vec::new();
        for (probe, pattern, bound) in patterns {
            match pattern {
                Some(pattern) => {
                    anchored.push(format!(r"\A(?:{pattern})\z"));
                    slots.push((probe, bound));
                }
                None => always.push((probe, bound)),
            }
        }
        let mut from_compiled = false;
        let set = if anchored.is_empty() {
            None
        } else {
            // Without the GIL: other threads run while the set compiles.
            let rebuilt = compiled.and_then(|data| LineSet::from_bytes(data, &anchored, SIZE_LIMIT, DFA_SIZE_LIMIT).ok());
            from_compiled = rebuilt.is_some();
            Some(match rebuilt {
                Some(set) => set,
                None => py
                    .detach(|| LineSet::new(&anchored, SIZE_LIMIT, DFA_SIZE_LIMIT))
                    .map_err(PyValueError::new_err)?,
            })
        };
        Ok(LineMatcher {
            set,
            from_compiled,
            slots,
            always,
            longest,
            exact_longest,
            exact: exactlines::ExactLines::new(exact_keys, folds_to_ascii, folds),
            spaces: spaces.into_iter().collect(),
        })
    }

    /// The lines (stripped, as the engine holds them) that need the engine's attention: for each, its index,
    /// a tuple of candidate probes in rule order, and whether an exact-line rule may match it. Lines not
    /// listed are empty, longer than every bound, or ASCII lines that match no rule and no exact line.
    fn scan<'py>(&self, py: Python<'py>, lines: Vec<PyBackedStr>) -> PyResult<Vec<(usize, Bound<'py, PyTuple>, bool)>> {
        let hits: Vec<Hit> = py.detach(|| {
            let mut normal = String::new();
            let mut scratch = String::new();
            let mut search = self.search();
            let hits = lines
                .iter()
                .enumerate()
                .filter_map(|(index, line)| {
                    self.scan_line(line, &mut normal, &mut scratch, &mut search)
                        .map(|(found, exact)| (index, found, exact))
                })
                .collect();
            self.done(search);
            hits
        });
        hits.into_iter()
            .map(|(index, found, exact)| Ok((index, PyTuple::new(py, found)?, exact)))
            .collect()
    }

    /// For tests: which of the set's patterns match each text as a whole (no length bounds, no
    /// normalisation), as lists of probe positions.
    fn matching(&self, texts: Vec<PyBackedStr>) -> Vec<Vec<u32>> {
        let mut search = self.search();
        let found = texts
            .iter()
            .map(|text| match (&self.set, search.as_mut()) {
                (Some(set), Some((caches, matched))) => {
                    set.matches(text, caches, matched);
                    matched.iter().map(|index| self.slots[index.as_usize()].0).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        self.done(search);
        found
    }

    /// The set's compiled form, for a shell to store and hand to a later build of the same patterns (None
    /// when there is no set, or it has no such form).
    fn compiled_form<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        let data = self.set.as_ref()?.to_bytes()?;
        Some(PyBytes::new(py, &data))
    }

    /// Waits until the set rebuilt from a compiled form (on a thread of its own) is ready; at once otherwise.
    fn wait(&self, py: Python<'_>) {
        if let Some(set) = &self.set {
            py.detach(|| set.wait());
        }
    }

    /// Whether the set was rebuilt from the compiled form given (false: compiled from the patterns).
    #[getter(from_compiled)]
    fn was_from_compiled(&self) -> bool {
        self.from_compiled
    }

    /// For tests: the normalised form of each line, as `scan` matches it.
    fn normalised(&self, lines: Vec<PyBackedStr>) -> Vec<String> {
        let mut out = String::new();
        lines
            .iter()
            .map(|line| {
                self.normalise(line, &mut out);
                out.clone()
            })
            .collect()
    }
}

/// `text` with every non-overlapping match of `pattern` removed. The translation asks it which characters
/// of Python's classes Rust's lack; tests compare one class of Rust's with Python's over every code point
/// at once (Python's `regex.sub(pattern, "", text)` must leave the same characters).
#[pyfunction]
fn remove_all(pattern: &str, text: &str) -> PyResult<String> {
    let compiled = regex::RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|error| PyValueError::new_err(error.to_string()))?;
    Ok(compiled.replace_all(text, "").into_owned())
}

/// Whether a pattern compiles in Rust's syntax, and the error if not.
#[pyfunction]
fn check_pattern(pattern: &str) -> Option<String> {
    regex::RegexBuilder::new(pattern).size_limit(SIZE_LIMIT).build().err().map(|error| error.to_string())
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<LineMatcher>()?;
    module.add_function(wrap_pyfunction!(remove_all, module)?)?;
    module.add_function(wrap_pyfunction!(check_pattern, module)?)?;
    views::register(module)?;
    html_scan::register(module)?;
    langid::register(module)?;
    minhash::register(module)?;
    confirm::register(module)?;
    jsonl::register(module)?;
    spanfeat::register(module)?;
    spanrun::register(module)?;
    spantail::register(module)?;
    engine::register(module)?;
    batch::register(module)?;
    segment::register(module)?;
    tree::register(module)?;
    classify::register(module)?;
    Ok(())
}
