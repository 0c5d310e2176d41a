//! Matching views of lines, made in one call per document with the line matcher's scan.
//!
//! Rules are written against what a reader sees. A page can defeat every rule while looking the same: a
//! zero-width space inside "Advert\u{200b}isement", a fullwidth "Ａｄｖｅｒｔｉｓｅｍｅｎｔ", or a Cyrillic "а"
//! inside a Latin word. A line that no rule matches as it is gets matched on its view: invisible characters
//! removed, each other character past ASCII in its NFKC form, look-alike letters folded to Latin inside a
//! word that holds a Latin letter. The view must be exactly the one the Python engine defined
//! (`tests/view_oracle.py` keeps that definition; the differential tests compare the two over every code
//! point, the real texts and adversarial lines).
//!
//! Where Python's Unicode data and this crate's differ, Python's answer is handed in when a `Views` is
//! built (`cleaner/core/text.py`): which characters are letters (`str.isalpha`), which are spaces
//! (`str.isspace`), and which characters Python does not know (unassigned in its Unicode version, so inert
//! under normalisation) while this crate's normalisation tables do.
//!
//! Pure: no I/O and no global state; a `Views` is immutable once built, so threads may share it.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyTuple;
use unicode_normalization::char::{canonical_combining_class, decompose_canonical, decompose_compatible};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::{LineMatcher, Search};

const LAST_CODE_POINT: u32 = 0x10FFFF;
/// Planes 0 to 3 and 14 hold every character assigned up to Unicode 18 (planes 4 to 13 hold none; 15 and
/// 16 are private use): the only ones whose normalisation is asked (tests check every code point).
const ASSIGNED_PLANES: [std::ops::Range<u32>; 2] = [0..0x40000, 0xE0000..0xE1000];

/// A line's view: its text and, for each of its characters, the position (in characters) of the character of
/// the normalised line it came from.
type View = (String, Vec<u32>);

/// One line handed back by `scan`: its index, candidate probes, whether an exact line may match, and its
/// view when the view can match something: (text, origin, length of the normalised line, the view's
/// candidate probes, whether an exact line may match the view).
type Hit = (usize, Vec<u32>, bool, Option<(View, usize, Vec<u32>, bool)>);

#[pyclass(frozen, module = "cleaner._native")]
pub struct Views {
    /// What each code point is to the view, one byte of the flags below per code point (a table of 1.1 MB:
    /// a line's characters are each looked up several times).
    flags: Vec<u8>,
    /// Look-alike letters and the Latin letter each is folded to.
    confusable: HashMap<char, char>,
}

/// Prints nothing (tag characters included).
const INVISIBLE: u8 = 1;
/// A look-alike letter (`confusable` holds its Latin letter).
const CONFUSABLE: u8 = 2;
/// Python's `str.isalpha`.
const ALPHA: u8 = 4;
/// Python's `str.isspace`.
const SPACE: u8 = 8;
/// Known to this crate's normalisation and not to Python's: left as it is.
const INERT: u8 = 16;
/// Not passed alone by NFKC's quick check, or of a combining class other than 0 (and known to Python): a
/// text without such characters is normalised already (the quick check's "yes"), without asking the tables.
const NORMALISING: u8 = 32;

impl Views {
    fn has(&self, c: char, flag: u8) -> bool {
        self.flags[c as usize] & flag != 0
    }

    fn is_invisible(&self, c: char) -> bool {
        self.has(c, INVISIBLE)
    }

    fn is_confusable(&self, c: char) -> bool {
        self.has(c, CONFUSABLE)
    }

    fn is_alpha(&self, c: char) -> bool {
        self.has(c, ALPHA)
    }

    fn is_space(&self, c: char) -> bool {
        self.has(c, SPACE)
    }

    fn is_inert(&self, c: char) -> bool {
        self.has(c, INERT)
    }

    fn is_normalising(&self, c: char) -> bool {
        self.has(c, NORMALISING)
    }

    /// Python's `unicodedata.is_normalized("NFKC", text)`: the text cut at the characters Python does not
    /// know (inert starters there: nothing composes or reorders across them), each piece checked alone.
    fn is_nfkc(&self, text: &str) -> bool {
        text.split(|c: char| self.is_inert(c)).all(|piece| match is_nfkc_quick(piece.chars()) {
            IsNormalized::Yes => true,
            IsNormalized::No => false,
            IsNormalized::Maybe => piece.chars().nfkc().eq(piece.chars()),
        })
    }

    /// Python's `unicodedata.normalize("NFKC", c)` for one character, handed to `emit`.
    fn nfkc_char(&self, c: char, mut emit: impl FnMut(char)) {
        if !self.is_normalising(c) || is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes {
            emit(c);
        } else {
            std::iter::once(c).nfkc().for_each(emit);
        }
    }

    /// Whether the line is its own view: no invisible character, no look-alike letter beside an ASCII
    /// letter, and NFKC-normalised already (Python's `_plain`).
    fn plain(&self, normal: &str) -> bool {
        let mut previous: Option<char> = None;
        let mut normalising = false;
        for c in normal.chars() {
            if self.is_invisible(c) {
                return false;
            }
            normalising = normalising || self.is_normalising(c);
            if let Some(before) = previous {
                if (before.is_ascii_alphabetic() && self.is_confusable(c))
                    || (self.is_confusable(before) && c.is_ascii_alphabetic())
                {
                    return false;
                }
            }
            previous = Some(c);
        }
        !normalising || self.is_nfkc(normal)
    }

    /// The view of a normalised line, or None when it is the line itself.
    pub(crate) fn view(&self, normal: &str) -> Option<View> {
        if normal.is_ascii() || self.plain(normal) {
            return None;
        }
        let view = self.make(normal);
        if view.0 == normal {
            return None;
        }
        Some(view)
    }

    /// The view's text and origins, made character by character (Python's loop, whatever `plain` says).
    fn make(&self, normal: &str) -> View {
        let mut chars: Vec<char> = Vec::with_capacity(normal.len());
        let mut origin: Vec<u32> = Vec::with_capacity(normal.len());
        for (position, c) in normal.chars().enumerate() {
            let position = position as u32;
            if self.is_invisible(c) {
                continue;
            }
            if c.is_ascii() {
                if c == ' ' && chars.last().is_none_or(|last| *last == ' ') {
                    continue; // an invisible character dropped between two spaces leaves one
                }
                chars.push(c);
                origin.push(position);
                continue;
            }
            self.nfkc_char(c, |folded| {
                if self.is_space(folded) {
                    if chars.last().is_some_and(|last| *last != ' ') {
                        chars.push(' ');
                        origin.push(position);
                    }
                } else {
                    chars.push(folded);
                    origin.push(position);
                }
            });
        }
        while chars.last() == Some(&' ') {
            chars.pop();
            origin.pop();
        }
        self.fold_confusables(&mut chars);
        (chars.into_iter().collect(), origin)
    }

    /// Folds look-alike letters to Latin inside each word (a run of letters) that holds a Latin letter.
    fn fold_confusables(&self, chars: &mut [char]) {
        let size = chars.len();
        let mut start = 0;
        while start < size {
            if !self.is_alpha(chars[start]) {
                start += 1;
                continue;
            }
            let mut end = start;
            let mut latin = false;
            let mut mixed = false;
            while end < size && self.is_alpha(chars[end]) {
                latin = latin || chars[end].is_ascii();
                mixed = mixed || self.is_confusable(chars[end]);
                end += 1;
            }
            if latin && mixed {
                for c in &mut chars[start..end] {
                    if let Some(folded) = self.confusable.get(c) {
                        *c = *folded;
                    }
                }
            }
            start = end;
        }
    }
}

/// The probes whose translation matches `text` as a whole, among those tried on a line of `size`
/// characters (and the Python-only ones), ascending.
fn candidates(matcher: &LineMatcher, text: &str, size: usize, search: &mut Search) -> Vec<u32> {
    let mut found: Vec<u32> =
        matcher.always.iter().filter(|(_, bound)| size <= *bound).map(|(probe, _)| *probe).collect();
    // Most texts match no probe: the set's quick yes-or-no answer first (it stops early), which patterns
    // only for the few that match.
    if let (Some(set), Some((caches, matched))) = (matcher.set.as_ref(), search.as_mut()) {
        if set.is_match(text, caches) {
            set.matches(text, caches, matched);
            for index in matched.iter() {
                let (probe, bound) = matcher.slots[index.as_usize()];
                if size <= bound {
                    found.push(probe);
                }
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

#[pymethods]
impl Views {
    /// `invisible`: characters that print nothing besides the tag characters; `confusable`: look-alike
    /// letters and their Latin letters; `alpha`: every character `str.isalpha` holds for, in order;
    /// `spaces`: the characters past ASCII `str.isspace` holds for; `inert`: characters to leave as they are
    /// under normalisation (the relevant ones Python does not know); `relevant`: what
    /// `normalisation_relevant` gives.
    #[new]
    fn new(
        invisible: Vec<char>,
        confusable: Vec<(char, char)>,
        alpha: &str,
        spaces: Vec<char>,
        inert: Vec<char>,
        relevant: Vec<char>,
    ) -> Self {
        let mut flags = vec![0u8; LAST_CODE_POINT as usize + 1];
        let mut mark = |c: char, flag: u8| flags[c as usize] |= flag;
        invisible.into_iter().chain('\u{E0000}'..='\u{E007F}').for_each(|c| mark(c, INVISIBLE));
        confusable.iter().for_each(|(c, _)| mark(*c, CONFUSABLE));
        alpha.chars().for_each(|c| mark(c, ALPHA));
        // What Python's `str.isspace` holds for in ASCII (the separators \x1c-\x1f too), and past it.
        [' ', '\t', '\n', '\x0b', '\x0c', '\r', '\x1c', '\x1d', '\x1e', '\x1f'].into_iter().chain(spaces).for_each(|c| mark(c, SPACE));
        inert.into_iter().for_each(|c| mark(c, INERT));
        // Of the relevant characters, those NFKC's quick check does not pass alone (the others, ASCII letters
        // that are part of a decomposition for one, never make a text other than normalised).
        relevant
            .into_iter()
            .filter(|c| canonical_combining_class(*c) != 0 || is_nfkc_quick(std::iter::once(*c)) != IsNormalized::Yes)
            .for_each(|c| mark(c, NORMALISING));
        // A character Python does not know is left as it is, whatever the core's tables say of it.
        flags.iter_mut().filter(|flag| **flag & INERT != 0).for_each(|flag| *flag &= !NORMALISING);
        Views { flags, confusable: confusable.into_iter().collect() }
    }

    /// The characters this crate's normalisation does not leave alone or that take part in a composition:
    /// with a decomposition, a combining class, a quick-check answer other than yes, or a part of another
    /// character's canonical decomposition. Python names those it does not know (`inert`).
    #[staticmethod]
    fn normalisation_relevant() -> Vec<char> {
        let mut found = vec![false; LAST_CODE_POINT as usize + 1];
        for code in ASSIGNED_PLANES.iter().flat_map(|planes| planes.clone()) {
            let Some(c) = char::from_u32(code) else { continue };
            if canonical_combining_class(c) != 0 || is_nfkc_quick(std::iter::once(c)) != IsNormalized::Yes {
                found[code as usize] = true;
            }
            let mut parts = 0;
            let mut same = true;
            decompose_compatible(c, |d| {
                parts += 1;
                same = same && d == c;
            });
            if parts > 1 || !same {
                found[code as usize] = true;
                decompose_canonical(c, |d| found[d as u32 as usize] = true);
            }
        }
        found.iter().enumerate().filter(|(_, hit)| **hit).filter_map(|(code, _)| char::from_u32(code as u32)).collect()
    }

    /// Each normalised line's view: (text, origin of each character), or None when it is the line itself.
    /// With `always`, a view even where it is the line itself (the caller compares: `text.py` for a line
    /// holding lone surrogates, made with stand-ins).
    fn views(&self, normals: Vec<PyBackedStr>, always: bool) -> Vec<Option<View>> {
        normals
            .iter()
            .map(|normal| {
                if !always {
                    return self.view(normal);
                }
                if normal.is_ascii() || self.plain(normal) {
                    return Some((normal.to_string(), (0..normal.chars().count() as u32).collect()));
                }
                Some(self.make(normal))
            })
            .collect()
    }

    /// For tests: Python's `str.isalpha`, `unicodedata.normalize("NFKC", c)` and whether `text` is
    /// NFKC-normalised, as this object answers them.
    fn letters(&self, text: &str) -> String {
        text.chars().filter(|c| self.is_alpha(*c)).collect()
    }

    fn nfkc_each(&self, text: &str) -> Vec<String> {
        text.chars()
            .map(|c| {
                let mut out = String::new();
                self.nfkc_char(c, |folded| out.push(folded));
                out
            })
            .collect()
    }

    fn normalized(&self, texts: Vec<PyBackedStr>) -> Vec<bool> {
        texts.iter().map(|text| self.is_nfkc(text)).collect()
    }

    /// The matcher's scan (see `LineMatcher.scan`) with each line's view: the lines (stripped) that need the
    /// engine, each as (index, candidate probes, exact line possible, view). The view is None unless the
    /// line has one that some probe or exact line may match; then (text, origin, length of the normalised
    /// line, the view's candidate probes, exact line possible). A line past ASCII is listed only when the
    /// line or its view may match something.
    #[allow(clippy::type_complexity)]
    fn scan<'py>(
        &self,
        py: Python<'py>,
        matcher: &Bound<'py, LineMatcher>,
        lines: Vec<PyBackedStr>,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let matcher = matcher.get();
        let hits: Vec<Hit> = py.detach(|| {
            let mut normal = String::new();
            let mut scratch = String::new();
            let mut hits = Vec::new();
            let mut search = matcher.search();
            for (index, line) in lines.iter().enumerate() {
                let Some((found, exact)) = matcher.scan_line(line, &mut normal, &mut scratch, &mut search) else {
                    continue;
                };
                if line.is_ascii() {
                    hits.push((index, found, exact, None));
                    continue;
                }
                // scan_line normalised the line (it is not empty and within the longest bound).
                let view = self.view(&normal).filter(|(text, _)| !text.is_empty()).and_then(|view| {
                    let size = view.0.chars().count();
                    let probes = candidates(matcher, &view.0, size, &mut search);
                    let exact = size <= matcher.exact_longest && matcher.exact_possible(&view.0, &mut scratch);
                    if probes.is_empty() && !exact {
                        None
                    } else {
                        Some((view, normal.chars().count(), probes, exact))
                    }
                });
                if found.is_empty() && !exact && view.is_none() {
                    continue; // nothing can match the line, nor its view
                }
                hits.push((index, found, exact, view));
            }
            matcher.done(search);
            hits
        });
        hits.into_iter()
            .map(|(index, found, exact, view)| {
                let view = match view {
                    None => py.None().into_bound(py),
                    Some(((text, origin), size, probes, exact)) => PyTuple::new(
                        py,
                        [
                            text.into_pyobject(py)?.into_any(),
                            PyTuple::new(py, origin)?.into_any(),
                            size.into_pyobject(py)?.into_any(),
                            PyTuple::new(py, probes)?.into_any(),
                            pyo3::types::PyBool::new(py, exact).to_owned().into_any(),
                        ],
                    )?
                    .into_any(),
                };
                PyTuple::new(
                    py,
                    [
                        index.into_pyobject(py)?.into_any(),
                        PyTuple::new(py, found)?.into_any(),
                        pyo3::types::PyBool::new(py, exact).to_owned().into_any(),
                        view,
                    ],
                )
            })
            .collect()
    }
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Views>()
}
