//! Line classification (`_decide` in `cleaner/core/engine.py`), natively: for each line the line matcher's scan
//! hands the engine, what the rules make of it, in one call per document.
//!
//! The engine tries a line's candidate probes in rule order: layout headers first (every one that matches, with
//! what its header captured), then the exact-line rules, then line rules and block starts (a strong line rule or
//! a block start ends the walk; a weak rule and one that counts only in runs are kept, the first of each). This
//! walk is done here wherever every answer it needs is native: a probe the scan's verdict decides alone
//! (`confirmed`), a pattern the crate confirms (`src/confirm.rs`), an exact line of an ASCII line. Where it would
//! need Python (a probe without a native confirmation, a confirmation that leaves the line to Python, a rule
//! scoped to some domains, a required-word gate or an exact-line key on a line past ASCII) the line's answer is
//! None and the engine decides it as before, in Python. The verdict is built as `_decide` builds it, with the
//! engine's own rule objects, so the engine applies it unchanged.
//!
//! `tests/classify_oracle.py` keeps the Python walk as the definition; `tests/test_classify_native.py` compares
//! the two on every corpus the project holds and on adversarial lines.
//!
//! Pure: no I/O, no global state; a `Classifier` is immutable, so threads may share it.

use std::collections::{HashMap, HashSet};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::confirm::{Confirmed, Confirmer};
use crate::segment::RECORD_FIELDS;

/// A probe's role (`_HEADER`, `_LINE`, `_BLOCK` in `cleaner/core/engine.py`).
const HEADER: u8 = 0;
const LINE: u8 = 1;
/// A line's state once marked (`_STRONG`, `_WEAK`).
const STRONG: u8 = 2;
const WEAK: u8 = 3;

/// One probe of the engine, in its rule order.
struct Probe {
    role: u8,
    max_chars: usize,
    /// A rule that applies to some domains only: its scope is Python's to test.
    scoped: bool,
    /// Lower-cased words one of which a match must hold (a pattern that can start with any word).
    required: Option<Vec<String>>,
    /// The scan's candidacy is the match, and the pattern captures nothing.
    confirmed: bool,
    /// The pattern's native confirmation (None: only Python confirms it).
    confirmer: Option<Py<Confirmer>>,
    /// A line rule of strength "weak"; one that counts only in runs (`min_run > 1`).
    weak: bool,
    in_runs: bool,
    /// The engine's rule object (a `LineRule`, `BlockRule` or `Layout`).
    rule: Py<PyAny>,
}

/// An exact-line rule.
struct Exact {
    rule: Py<PyAny>,
    weak: bool,
    in_runs: bool,
    scoped: bool,
}

/// A line rule that matched: its probe (or exact rule) and what its match captured (None: no match object).
type Marked<'a> = (&'a Py<PyAny>, Option<Captured>);
/// What a native match captured, by the confirmer's names.
type Captured = (Py<Confirmer>, Vec<Option<String>>);

#[pyclass(frozen, module = "cleaner._native")]
pub struct Classifier {
    probes: Vec<Probe>,
    /// Exact-line rules by their key (the line normalised and case-folded).
    exact: HashMap<String, Exact>,
    exact_longest: usize,
    /// The characters past ASCII that Python's `str.split()` splits on.
    spaces: HashSet<char>,
}

/// Why a line's verdict is Python's to give.
struct ToPython;

impl Classifier {
    fn normalise(&self, text: &str, out: &mut String) {
        crate::normalise_into(text, out, |c| self.spaces.contains(&c));
    }

    /// Whether the probe is tried on the line: within its length bound (`size`, in characters), not scoped to
    /// some domains (Python decides those), and through its required-word gate (`lower`: the normalised line
    /// lower-cased, made on first use; only for an ASCII line, whose lower case is the ASCII one).
    fn admits(probe: &Probe, size: usize, normal: &str, lower: &mut Option<String>) -> Result<bool, ToPython> {
        if size > probe.max_chars {
            return Ok(false);
        }
        if probe.scoped {
            return Err(ToPython);
        }
        Self::passes(probe, normal, lower)
    }

    /// Whether the probe's required-word gate lets the line through.
    fn passes(probe: &Probe, normal: &str, lower: &mut Option<String>) -> Result<bool, ToPython> {
        let Some(required) = &probe.required else { return Ok(true) };
        if !normal.is_ascii() {
            return Err(ToPython);
        }
        let lower = lower.get_or_insert_with(|| normal.to_ascii_lowercase());
        Ok(required.iter().any(|word| lower.contains(word.as_str())))
    }

    /// The probe's whole-line match of `normal`: Ok(None) no match, Ok(Some(captured)) a match (captured None
    /// when no match object is needed: a confirmed probe).
    fn matches(py: Python<'_>, probe: &Probe, normal: &str) -> Result<Option<Option<Captured>>, ToPython> {
        if probe.confirmed {
            return Ok(Some(None));
        }
        let Some(confirmer) = &probe.confirmer else { return Err(ToPython) };
        match confirmer.get().confirm(py, normal) {
            Confirmed::No => Ok(None),
            Confirmed::Unsure => Err(ToPython),
            Confirmed::Yes(groups) => Ok(Some(Some((confirmer.clone_ref(py), groups)))),
        }
    }

    /// `captures_of`: the record fields a header's match captured, normalised, empty ones left out.
    fn header_fields<'py>(&self, py: Python<'py>, captured: &Option<Captured>) -> PyResult<Bound<'py, PyDict>> {
        let fields = PyDict::new(py);
        if let Some((confirmer, groups)) = captured {
            let mut normal = String::new();
            for (name, value) in confirmer.get().fields().iter().zip(groups) {
                let Some(value) = value else { continue };
                if !RECORD_FIELDS.contains(&name.as_str()) {
                    continue;
                }
                self.normalise(value, &mut normal);
                if !normal.is_empty() {
                    fields.set_item(name, &normal)?;
                }
            }
        }
        Ok(fields)
    }

    /// `_captured`: the non-empty groups a line rule's match captured, or None.
    fn line_fields<'py>(py: Python<'py>, captured: &Option<Captured>) -> PyResult<Bound<'py, PyAny>> {
        if let Some((confirmer, groups)) = captured {
            let fields = PyDict::new(py);
            for (name, value) in confirmer.get().fields().iter().zip(groups) {
                if let Some(value) = value.as_ref().filter(|value| !value.is_empty()) {
                    fields.set_item(name, value)?;
                }
            }
            if !fields.is_empty() {
                return Ok(fields.into_any());
            }
        }
        Ok(py.None().into_bound(py))
    }

    fn marked<'py>(py: Python<'py>, rule: &Py<PyAny>, state: u8, captured: &Option<Captured>,
                   fallback: Option<&Py<PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let fallback = fallback.map_or_else(|| py.None().into_bound(py), |rule| rule.bind(py).clone());
        Ok(PyTuple::new(py, [rule.bind(py).clone(), state.into_pyobject(py)?.into_any(),
                             Self::line_fields(py, captured)?, fallback])?.into_any())
    }

    /// The verdict on one line (`_decide`), or Err when it is Python's to give.
    fn decide_line<'py>(&self, py: Python<'py>, line: &str, candidates: &[u32], exact_possible: bool, normal: &mut String)
                   -> PyResult<Result<Bound<'py, PyTuple>, ToPython>> {
        let size = if line.is_ascii() { line.len() } else { line.chars().count() };
        self.normalise(line, normal);
        let normal = normal.as_str();
        let mut lower: Option<String> = None;
        let none = || py.None().into_bound(py);
        let mut headers: Vec<Bound<'py, PyAny>> = Vec::new();
        let mut rest = candidates;
        while let Some((&position, after)) = rest.split_first() {
            let Some(probe) = self.probes.get(position as usize) else { return Ok(Err(ToPython)) };
            if probe.role != HEADER {
                break;
            }
            rest = after;
            match Self::admits(probe, size, normal, &mut lower) {
                Err(why) => return Ok(Err(why)),
                Ok(false) => continue,
                Ok(true) => {}
            }
            match Self::matches(py, probe, normal) {
                Err(why) => return Ok(Err(why)),
                Ok(None) => {}
                Ok(Some(captured)) => {
                    let fields = self.header_fields(py, &captured)?;
                    headers.push(PyTuple::new(py, [probe.rule.bind(py).clone(), fields.into_any()])?.into_any());
                }
            }
        }
        let found = PyTuple::new(py, headers)?;
        let verdict = |marked: Bound<'py, PyAny>, block: Bound<'py, PyAny>| {
            PyTuple::new(py, [found.clone().into_any(), marked, block])
        };
        let mut weak: Option<Marked<'_>> = None;
        let mut in_runs: Option<Marked<'_>> = None;
        if size <= self.exact_longest && exact_possible {
            // (The scan found no key the line may be: none is.)
            if !normal.is_ascii() {
                return Ok(Err(ToPython));
            }
            if let Some(exact) = self.exact.get(&normal.to_ascii_lowercase()) {
                if exact.scoped {
                    return Ok(Err(ToPython));
                }
                if exact.weak {
                    weak = Some((&exact.rule, None));
                } else if exact.in_runs {
                    in_runs = Some((&exact.rule, None));
                } else {
                    return Ok(Ok(verdict(Self::marked(py, &exact.rule, STRONG, &None, None)?, none())?));
                }
            }
        }
        for &position in rest {
            let Some(probe) = self.probes.get(position as usize) else { return Ok(Err(ToPython)) };
            if probe.role == HEADER {
                return Ok(Err(ToPython)); // (headers come first in rule order; the engine says so when not)
            }
            match Self::admits(probe, size, normal, &mut lower) {
                Err(why) => return Ok(Err(why)),
                Ok(false) => continue,
                Ok(true) => {}
            }
            if probe.role != LINE && (weak.is_some() || in_runs.is_some()) {
                continue; // a line rule already explains the line
            }
            let captured = match Self::matches(py, probe, normal) {
                Err(why) => return Ok(Err(why)),
                Ok(None) => continue,
                Ok(Some(captured)) => captured,
            };
            if probe.role == LINE {
                if probe.weak {
                    weak = weak.or(Some((&probe.rule, captured)));
                    continue;
                }
                if probe.in_runs {
                    in_runs = in_runs.or(Some((&probe.rule, captured)));
                    continue;
                }
                return Ok(Ok(verdict(Self::marked(py, &probe.rule, STRONG, &captured, None)?, none())?));
            }
            return Ok(Ok(verdict(none(), probe.rule.bind(py).clone())?));
        }
        if let Some((rule, captured)) = &in_runs {
            let fallback = weak.as_ref().map(|(rule, _)| *rule);
            return Ok(Ok(verdict(Self::marked(py, rule, STRONG, captured, fallback)?, none())?));
        }
        if let Some((rule, captured)) = &weak {
            return Ok(Ok(verdict(Self::marked(py, rule, WEAK, captured, None)?, none())?));
        }
        Ok(Ok(verdict(none(), none())?))
    }
}

/// (role, longest line, scoped, required words, confirmed, confirmation, weak, in runs, rule): one probe.
type ProbeSpec = (u8, usize, bool, Option<Vec<String>>, bool, Option<Py<Confirmer>>, bool, bool, Py<PyAny>);

#[pymethods]
impl Classifier {
    /// `probes`: the engine's probes in rule order, as [`ProbeSpec`] says; `exact`: (key, rule, weak, in runs,
    /// scoped) of each exact-line rule; `exact_longest`: the longest key; `spaces`: the characters past ASCII
    /// that `str.split()` splits on.
    #[new]
    fn new(probes: Vec<ProbeSpec>, exact: Vec<(String, Py<PyAny>, bool, bool, bool)>, exact_longest: usize,
           spaces: Vec<char>) -> Self {
        let probes = probes
            .into_iter()
            .map(|(role, max_chars, scoped, required, confirmed, confirmer, weak, in_runs, rule)| Probe {
                role, max_chars, scoped, required, confirmed, confirmer, weak, in_runs, rule,
            })
            .collect();
        let exact = exact
            .into_iter()
            .map(|(key, rule, weak, in_runs, scoped)| (key, Exact { rule, weak, in_runs, scoped }))
            .collect();
        Classifier { probes, exact, exact_longest, spaces: spaces.into_iter().collect() }
    }

    /// For each of the scan's hits (`(index, candidates, exact possible, view)`, see `LineMatcher.scan`): the
    /// verdict on the line itself, as `_decide` makes it (`(headers, marked, block)`), or None where it is
    /// Python's to give (a hit without candidates among them).
    fn decide<'py>(&self, py: Python<'py>, lines: &Bound<'py, PyList>, hits: &Bound<'py, PyList>)
                   -> PyResult<Vec<Bound<'py, PyAny>>> {
        let mut out = Vec::with_capacity(hits.len());
        let mut normal = String::new();
        let mut candidates: Vec<u32> = Vec::new();
        // A line met again with the same candidates gets the same verdict object, as the engine's own memo of
        // verdicts gives it: a page of thousands of one repeated line ("Comments") then makes one verdict, not
        // thousands of tuples that the cycle collector walks again and again (which made such a page superlinear).
        let mut seen: HashMap<(String, Vec<u32>, bool), Bound<'py, PyAny>> = HashMap::new();
        for hit in hits.iter() {
            let hit = hit.cast_into::<PyTuple>()?;
            let listed = hit.get_item(1)?;
            if listed.is_none() {
                out.push(py.None().into_bound(py));
                continue;
            }
            let index: usize = hit.get_item(0)?.extract()?;
            let exact: bool = hit.get_item(2)?.extract()?;
            candidates.clear();
            for candidate in listed.cast_into::<PyTuple>()?.iter() {
                candidates.push(candidate.extract()?);
            }
            let line = lines.get_item(index)?;
            let line = line.cast::<PyString>()?;
            let Ok(line) = line.to_str() else {
                out.push(py.None().into_bound(py)); // a lone surrogate: Python's
                continue;
            };
            let key = (line.to_owned(), candidates.clone(), exact);
            if let Some(verdict) = seen.get(&key) {
                out.push(verdict.clone());
                continue;
            }
            let verdict = match self.decide_line(py, line, &candidates, exact, &mut normal)? {
                Ok(verdict) => verdict.into_any(),
                Err(ToPython) => py.None().into_bound(py),
            };
            seen.insert(key, verdict.clone());
            out.push(verdict);
        }
        Ok(out)
    }
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Classifier>()
}
