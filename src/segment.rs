//! Layout segmentation (`cleaner/core/segment.py`): the state machine that reads the lines under a layout's header
//! into items (secondary articles or comments), for every layout whose header a line is, and picks the layout
//! that explains the most lines.
//!
//! The layouts stay data: `cleaner/core/segment.py` hands each layout's slots to a [`Segmenter`] once, when an
//! engine is built. Per document, the engine opens a [`SegmentDoc`] at its first header line (the lines, what the
//! engine knows of each: plain, junk or header) and asks it, header by header, for the chosen layout and its
//! items. What depends on Python's own data stays Python's, asked through the document's callables and
//! remembered here per document: a slot's pattern (Python `regex`, or the engine's native confirmation), a
//! line's word count (`re`'s `\w` and `\d`), a title's words (the `regex` package's scripts), a template's
//! expected line (`str.format_map`, compared by `line_key`). `tests/segment_python.py` keeps the Python state
//! machine as the definition; `tests/test_segment_native.py` compares the two.
//!
//! Pure: no I/O, no global state; a [`Segmenter`] is immutable, a [`SegmentDoc`] belongs to one document.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::intern;
use pyo3::types::{PyBool, PyDict, PyList, PyString};

use crate::confirm::{Confirmed, Confirmer};

/// A slot pattern's native confirmation: the crate's own `Confirmer`, asked by a Rust call (no Python call, no
/// match object, no `groupdict` dictionary per match), or another object with a `fullmatch` method, asked
/// through Python.
enum Native {
    Crate(Py<Confirmer>),
    Object(Py<PyAny>),
}

/// What the engine knows of a line (as in `cleaner/core/segment.py`).
const PLAIN: u8 = 0;
const JUNK: u8 = 1;
const HEADER: u8 = 2;
/// At most this many control lines between a header and its first item belong to the block.
const LEAD_LINES: usize = 2;
/// After at least this many items without a teaser, items with one end the block.
const BARE_ITEMS: usize = 2;
/// Lines this long are body paragraphs: their words are counted only as far as a shape's bounds need.
const COUNTED: usize = 400;
/// A shape's sentence endings, and the endings that are no sentence end (`cleaner/core/rules.py`).
const SENTENCE_END: [char; 4] = ['.', ',', ';', ':'];

/// Python's `str.isspace` (what `str.split()` splits on), as `src/engine.rs` reads it.
fn python_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\x1c'..='\x1f')
}

/// `" ".join(text.split())`: inner whitespace one space, none at the edges.
pub(crate) fn normalize(text: &str) -> String {
    if text.is_ascii() && crate::normalised_ascii(text.as_bytes()) {
        // Most lines: ASCII with single spaces between words, their own normal form (a segmented block's body
        // lines are long, and the split below walked them character by character).
        return text.to_owned();
    }
    let mut normal = String::with_capacity(text.len());
    for word in text.split(python_space).filter(|word| !word.is_empty()) {
        if !normal.is_empty() {
            normal.push(' ');
        }
        normal.push_str(word);
    }
    normal
}

/// An ASCII text's words as `count_words` (`cleaner/core/rules.py`, `[^\W\d_]\S*` in `re`) counts them: the
/// whitespace-separated tokens holding a letter (a match starts at a token's first letter and takes the rest of
/// it). `re`'s whitespace in ASCII is `python_space`'s.
fn ascii_words(text: &str) -> usize {
    text.split(|c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f'))
        .filter(|token| token.bytes().any(|byte| byte.is_ascii_alphabetic()))
        .count()
}

/// The fields a record has (`RECORD_FIELDS` in `cleaner/core/rules.py`): the only groups a match captures.
pub(crate) const RECORD_FIELDS: [&str; 4] = ["source", "published", "title", "text"];

/// What a native match's groups captured (`names` and `groups` in the confirmer's order), as `captures_of` takes
/// it: record fields only, not empty, each normalised.
pub(crate) fn record_fields(py: Python<'_>, names: &[String], groups: Vec<Option<String>>) -> Fields {
    let mut fields = Vec::new();
    for (name, value) in names.iter().zip(groups) {
        let Some(value) = value else { continue };
        if !RECORD_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let normal = normalize(&value);
        if normal.is_empty() {
            continue;
        }
        fields.push((name.clone(), PyString::new(py, &normal).unbind()));
    }
    fields
}

/// Bounds on a line's length and words (`Shape` in `cleaner/core/rules.py`).
#[derive(Clone, Copy)]
struct Shape {
    min_chars: usize,
    max_chars: usize,
    min_words: usize,
    max_words: usize,
    sentence_end: bool,
}

/// A slot as the parser walks it (`Step` in Python).
struct Step {
    /// Equal for slots that make the same of a line alone: their answers are shared.
    key: usize,
    field: Option<String>,
    /// Index of the slot's pattern among the engine's segmentation patterns.
    pattern: Option<usize>,
    /// Index of the slot's template (checked by Python's `str.format_map`).
    template: Option<usize>,
    optional: bool,
    repeat: bool,
    shape: Shape,
    max_lines: usize,
}

/// A layout's slots and settings as the parser walks them (`Grammar` in Python).
struct Grammar {
    inline: bool,
    min_items: usize,
    max_items: usize,
    skip_blanks: bool,
    controls: Option<usize>,
    menu_words: usize,
    bare_words: usize,
    bare_share: f64,
    name_list: Option<usize>,
    head: Vec<Step>,
    rest: Option<Step>,
    tail: Vec<Step>,
    /// The head's steps up to its first required one when none is a template (None: no such bound).
    opening: Option<usize>,
    /// The head's steps up to its last required one.
    probe: usize,
}

/// (key, field, pattern, template, rest, optional, repeat, (min_chars, max_chars, min_words, max_words,
/// sentence_end), max_lines): one slot as `cleaner/core/segment.py` hands it.
type SlotSpec = (usize, Option<String>, Option<usize>, Option<usize>, bool, bool, bool, (usize, usize, usize, usize, bool), usize);
/// (inline, min_items, max_items, skip blank lines, controls, menu_words, bare_words, bare_share, name_list,
/// slots): one layout.
type LayoutSpec = (bool, usize, usize, bool, Option<usize>, usize, usize, f64, Option<usize>, Vec<SlotSpec>);

/// Every layout of an engine, in the engine's order, as the parser walks them. Immutable; threads may share it.
#[pyclass(frozen, module = "cleaner._native")]
struct Segmenter {
    grammars: Arc<Vec<Grammar>>,
    /// By pattern: the engine's native confirmation of it (a `Confirmer`), asked before Python is.
    confirmers: Arc<Vec<Option<Native>>>,
}

#[pymethods]
impl Segmenter {
    /// `layouts`: each layout as [`LayoutSpec`] says (made by `cleaner/core/segment.py`); `confirmers`: by
    /// pattern, the engine's native confirmation of it (`Confirmer.fullmatch`: a match, None, or False when the
    /// answer is Python's), or None.
    #[new]
    fn new(layouts: Vec<LayoutSpec>, confirmers: Vec<Option<Bound<'_, PyAny>>>) -> PyResult<Self> {
        let confirmers: Vec<Option<Native>> = confirmers
            .into_iter()
            .map(|found| {
                found.map(|found| match found.cast_into::<Confirmer>() {
                    Ok(confirmer) => Native::Crate(confirmer.unbind()),
                    Err(error) => Native::Object(error.into_inner().unbind()),
                })
            })
            .collect();
        let mut grammars = Vec::with_capacity(layouts.len());
        for (inline, min_items, max_items, skip_blanks, controls, menu_words, bare_words, bare_share, name_list, slots)
            in layouts
        {
            let mut steps: Vec<(bool, Step)> = Vec::with_capacity(slots.len());
            for (key, field, pattern, template, rest, optional, repeat, shape, max_lines) in slots {
                let (min_chars, max_chars, min_words, max_words, sentence_end) = shape;
                if template.is_some() && pattern.is_some() {
                    return Err(PyValueError::new_err("a slot has a template or a pattern, not both"));
                }
                steps.push((rest, Step {
                    key,
                    field,
                    pattern,
                    template,
                    optional,
                    repeat,
                    shape: Shape { min_chars, max_chars, min_words, max_words, sentence_end },
                    max_lines,
                }));
            }
            let at = steps.iter().position(|(rest, _)| *rest).unwrap_or(steps.len());
            let mut tail: Vec<Step> = steps.drain(at..).map(|(_, step)| step).collect();
            let rest = if tail.is_empty() { None } else { Some(tail.remove(0)) };
            let head: Vec<Step> = steps.into_iter().map(|(_, step)| step).collect();
            let required = head.iter().position(|step| !step.optional);
            let opening = required.filter(|&r| head[..=r].iter().all(|step| step.template.is_none())).map(|r| r + 1);
            let probe = head.iter().rposition(|step| !step.optional).map_or(0, |last| last + 1);
            grammars.push(Grammar {
                inline,
                min_items,
                max_items,
                skip_blanks,
                controls,
                menu_words,
                bare_words,
                bare_share,
                name_list,
                head,
                rest,
                tail,
                opening,
                probe,
            });
        }
        Ok(Segmenter { grammars: Arc::new(grammars), confirmers: Arc::new(confirmers) })
    }

    /// The segmentation of one document. `lines`: its stripped lines; `roles`: what the engine knows of each
    /// (0 plain, 1 junk, 2 header). The callables: `fullmatch(pattern, text)`, the named groups a pattern's
    /// whole-line match captured (record fields only, as `captures_of` gives them) or None; `count_words(line,
    /// enough)`, a line's words as a shape counts them (up to `enough` on a long line); `title_words(title)`,
    /// a title's words as `menu_words` and `bare_words` count them; `template(template, fields, line)`,
    /// whether the line is the template filled with the fields; `normalize(line)`, a line's normal form
    /// (asked only of a line UTF-8 cannot hold).
    #[allow(clippy::too_many_arguments)]
    fn document(&self, lines: Bound<'_, PyList>, roles: Vec<u8>, fullmatch: Py<PyAny>, count_words: Py<PyAny>,
                title_words: Py<PyAny>, template: Py<PyAny>, normalize: Py<PyAny>) -> PyResult<SegmentDoc> {
        let count = lines.len();
        if roles.len() != count {
            return Err(PyValueError::new_err("lines and roles differ in length"));
        }
        let mut blank = Vec::with_capacity(count);
        for line in lines.iter() {
            blank.push(line.cast::<PyString>()?.len()? == 0);
        }
        Ok(SegmentDoc {
            grammars: Arc::clone(&self.grammars),
            confirmers: Arc::clone(&self.confirmers),
            lines: lines.unbind(),
            blank,
            roles,
            fullmatch,
            count_words,
            title_words,
            template,
            normalize,
            normals: (0..count).map(|_| None).collect(),
            matched: HashMap::new(),
            fits: HashMap::new(),
            counts: HashMap::new(),
            titles: HashMap::new(),
        })
    }
}

/// A line's normal form (inner whitespace one space), in both languages' strings.
struct Normal {
    py: Py<PyString>,
    /// The normal form, when UTF-8 can hold it (a line with a lone surrogate cannot).
    text: Option<String>,
    chars: usize,
}

/// Captured fields, in the order they were first captured (a dictionary's order).
pub(crate) type Fields = Vec<(String, Py<PyString>)>;

fn get<'a>(fields: &'a Fields, name: &str) -> Option<&'a Py<PyString>> {
    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

/// Adds what a slot found to what an item captured (`_matches` in Python): a field not captured yet is taken, a
/// repeated slot's text is appended. Whether a field was filled.
fn merge(py: Python<'_>, captured: &mut Fields, found: &Fields, repeat: bool) -> PyResult<bool> {
    let mut added = false;
    for (name, value) in found {
        if let Some(slot) = captured.iter_mut().find(|(key, _)| key == name) {
            if name == "text" && repeat {
                let joined = slot.1.bind(py).add("\n")?.add(value.bind(py))?;
                slot.1 = joined.cast_into::<PyString>()?.unbind();
                added = true;
            }
        } else {
            captured.push((name.clone(), value.clone_ref(py)));
            added = true;
        }
    }
    Ok(added)
}

/// One secondary article (`Item` in Python), as the parse builds it.
struct Building {
    fields: Fields,
    last: usize,
    text_lines: Vec<usize>,
    structure_lines: Vec<usize>,
    lines: Vec<usize>,
    head_last: usize,
    head_fields: Fields,
    overflow: bool,
    folded: usize,
}

impl Building {
    fn new(fields: Fields, last: usize) -> Self {
        Building { fields, last, text_lines: Vec::new(), structure_lines: Vec::new(), lines: Vec::new(), head_last: 0,
                   head_fields: Vec::new(), overflow: false, folded: 0 }
    }
}

/// One secondary article or comment a layout found: the fields it captured, its last line, and the lines it
/// claims (every one, those of its body, those that are only structure).
#[pyclass(frozen, module = "cleaner._native")]
pub struct SegmentItem {
    #[pyo3(get)]
    fields: Py<PyDict>,
    #[pyo3(get)]
    last: usize,
    #[pyo3(get)]
    text_lines: Vec<usize>,
    #[pyo3(get)]
    structure_lines: Vec<usize>,
    #[pyo3(get)]
    lines: Vec<usize>,
    /// Items folded into this one (no articles): counted when layouts are compared.
    #[pyo3(get)]
    folded: usize,
}

/// What one parse (one layout under one header) remembers: whether an item starts at a line, and where a
/// repeated slot's run ends.
struct Parse<'g> {
    grammar: &'g Grammar,
    defaults: &'g Fields,
    starts: HashMap<usize, bool>,
    runs: HashMap<(usize, usize), usize>,
}

/// The segmentation of one document: its lines, their roles, and what was learned of each line, shared by its
/// headers and layouts.
#[pyclass(unsendable, module = "cleaner._native")]
pub struct SegmentDoc {
    grammars: Arc<Vec<Grammar>>,
    confirmers: Arc<Vec<Option<Native>>>,
    lines: Py<PyList>,
    blank: Vec<bool>,
    roles: Vec<u8>,
    fullmatch: Py<PyAny>,
    count_words: Py<PyAny>,
    title_words: Py<PyAny>,
    template: Py<PyAny>,
    normalize: Py<PyAny>,
    normals: Vec<Option<Normal>>,
    /// By (slot key, line): what the slot makes of the line alone (None: it does not fit).
    matched: HashMap<(usize, usize), Option<Fields>>,
    fits: HashMap<(usize, usize), bool>,
    counts: HashMap<usize, usize>,
    titles: HashMap<String, usize>,
}

#[pymethods]
impl SegmentDoc {
    /// The layout (its index), of those whose header line `header` is (each with what the header captured),
    /// that explains the most lines, with its items; None when none finds enough items.
    fn choose(&mut self, py: Python<'_>, header: usize, layouts: Vec<(usize, Bound<'_, PyDict>)>)
              -> PyResult<Option<(usize, Vec<SegmentItem>)>> {
        let grammars = Arc::clone(&self.grammars);
        let mut best: Option<(usize, Vec<Building>)> = None;
        for (index, captured) in layouts {
            let grammar = grammars.get(index).ok_or_else(|| PyValueError::new_err("no such layout"))?;
            let mut defaults: Fields = Vec::new();
            for (name, value) in captured.iter() {
                defaults.push((name.extract::<String>()?, value.cast_into::<PyString>()?.unbind()));
            }
            let found = self.items_under(py, grammar, header, &defaults)?;
            if found.len() < grammar.min_items || found.is_empty() {
                continue;
            }
            let better = match &best {
                None => true,
                Some((_, items)) => {
                    let ours = (found[found.len() - 1].last, -(parsed(&found) as isize));
                    let theirs = (items[items.len() - 1].last, -(parsed(items) as isize));
                    ours > theirs
                }
            };
            if better {
                best = Some((index, found));
            }
        }
        let Some((index, items)) = best else { return Ok(None) };
        let mut made = Vec::with_capacity(items.len());
        for item in items {
            let fields = PyDict::new(py);
            for (name, value) in &item.fields {
                fields.set_item(name, value.bind(py))?;
            }
            made.push(SegmentItem { fields: fields.unbind(), last: item.last, text_lines: item.text_lines,
                                    structure_lines: item.structure_lines, lines: item.lines, folded: item.folded });
        }
        Ok(Some((index, made)))
    }

    /// Marks lines as junk to the segmenter (lines a chosen layout's items took): later headers step over them.
    fn claim(&mut self, lines: Vec<usize>) -> PyResult<()> {
        for index in lines {
            *self.roles.get_mut(index).ok_or_else(|| PyValueError::new_err("no such line"))? = JUNK;
        }
        Ok(())
    }
}

fn parsed(items: &[Building]) -> usize {
    items.len() + items.iter().map(|item| item.folded).sum::<usize>()
}

impl SegmentDoc {
    fn end(&self) -> usize {
        self.blank.len()
    }

    fn normal(&mut self, py: Python<'_>, index: usize) -> PyResult<&Normal> {
        if self.normals[index].is_none() {
            let line = self.lines.bind(py).get_item(index)?.cast_into::<PyString>()?;
            let made = match line.to_str() {
                Ok(text) => {
                    let normal = normalize(text);
                    let py_text = if normal.len() == text.len() { line.unbind() } else { PyString::new(py, &normal).unbind() };
                    Normal { py: py_text, chars: normal.chars().count(), text: Some(normal) }
                }
                Err(_) => {
                    let normal = self.normalize.bind(py).call1((line,))?.cast_into::<PyString>()?;
                    Normal { chars: normal.len()?, py: normal.unbind(), text: None }
                }
            };
            self.normals[index] = Some(made);
        }
        Ok(self.normals[index].as_ref().expect("made above"))
    }

    /// Whether the line ends like a sentence (and not with an ellipsis).
    fn ends_sentence(&mut self, py: Python<'_>, index: usize) -> PyResult<bool> {
        let normal = self.normal(py, index)?;
        match &normal.text {
            Some(text) => Ok(text.ends_with(SENTENCE_END) && !text.ends_with("...") && !text.ends_with('…')),
            None => {
                let line = normal.py.bind(py);
                let ends = line.call_method1("endswith", ((".", ",", ";", ":"),))?.extract::<bool>()?;
                let ellipsis = line.call_method1("endswith", (("...", "…"),))?.extract::<bool>()?;
                Ok(ends && !ellipsis)
            }
        }
    }

    /// Whether the line fits the shape (`Lines.fit` and `Shape.fits` in Python).
    fn fit(&mut self, py: Python<'_>, shape: &Shape, index: usize) -> PyResult<bool> {
        let size = self.normal(py, index)?.chars;
        if size < shape.min_chars || (shape.max_chars != 0 && size > shape.max_chars) {
            return Ok(false);
        }
        if shape.min_words != 0 || shape.max_words != 0 {
            let ascii = self.normal(py, index)?.text.as_deref().filter(|text| text.is_ascii()).map(ascii_words);
            let words = if let Some(all) = ascii {
                // An ASCII line's words, counted here as `count_words` counts them (`re`'s `\w`, `\d` and `\s` in
                // ASCII); a long line's count up to `enough`, as `_count_words` stops there.
                if size >= COUNTED {
                    all.min(if shape.max_words != 0 { shape.max_words + 1 } else { shape.min_words })
                } else {
                    all
                }
            } else if size >= COUNTED {
                let enough = if shape.max_words != 0 { shape.max_words + 1 } else { shape.min_words };
                let line = self.normal(py, index)?.py.clone_ref(py);
                self.count_words.bind(py).call1((line, enough))?.extract::<usize>()?
            } else if let Some(&known) = self.counts.get(&index) {
                known
            } else {
                let line = self.normal(py, index)?.py.clone_ref(py);
                let counted = self.count_words.bind(py).call1((line, py.None()))?.extract::<usize>()?;
                self.counts.insert(index, counted);
                counted
            };
            if words < shape.min_words || (shape.max_words != 0 && words > shape.max_words) {
                return Ok(false);
            }
        }
        Ok(shape.sentence_end || !self.ends_sentence(py, index)?)
    }

    fn fit_memo(&mut self, py: Python<'_>, step: &Step, index: usize) -> PyResult<bool> {
        if let Some(&known) = self.fits.get(&(step.key, index)) {
            return Ok(known);
        }
        let fit = self.fit(py, &step.shape, index)?;
        self.fits.insert((step.key, index), fit);
        Ok(fit)
    }

    /// The pattern's whole-line match of ``text``: what it captured (record fields, as `captures_of` takes them),
    /// or None. Asked of the native confirmation first; Python's `fullmatch` when it has none or leaves the line
    /// to Python.
    fn pattern(&self, py: Python<'_>, pattern: usize, text: &Bound<'_, PyString>) -> PyResult<Option<Fields>> {
        if let Some(Some(Native::Crate(confirmer))) = self.confirmers.get(pattern) {
            // (A line UTF-8 cannot hold, a lone surrogate, is Python's, as `fullmatch` answers it.)
            if let Ok(line) = text.to_str() {
                match confirmer.get().confirm(py, line) {
                    Confirmed::No => return Ok(None),
                    Confirmed::Yes(groups) => return Ok(Some(record_fields(py, confirmer.get().fields(), groups))),
                    Confirmed::Unsure => {}
                }
            }
        } else if let Some(Some(Native::Object(confirmer))) = self.confirmers.get(pattern) {
            let found = confirmer.bind(py).call_method1(intern!(py, "fullmatch"), (text,))?;
            if found.is_none() {
                return Ok(None);
            }
            if !found.is_instance_of::<PyBool>() {
                if let Some(fields) = self.captures(py, &found)? {
                    return Ok(Some(fields));
                }
            }
        }
        let found = self.fullmatch.bind(py).call1((pattern, text))?;
        if found.is_none() {
            return Ok(None);
        }
        let mut fields = Vec::new();
        for (name, value) in found.cast_into::<PyDict>()?.iter() {
            fields.push((name.extract::<String>()?, value.cast_into::<PyString>()?.unbind()));
        }
        Ok(Some(fields))
    }

    /// What a native match's named groups captured, as `captures_of` takes it: record fields only, not empty, each
    /// normalised. None when a value is one UTF-8 cannot hold (Python then reads the match).
    fn captures(&self, py: Python<'_>, found: &Bound<'_, PyAny>) -> PyResult<Option<Fields>> {
        let groups = found.call_method0(intern!(py, "groupdict"))?.cast_into::<PyDict>()?;
        let mut fields = Vec::new();
        for (name, value) in groups.iter() {
            if value.is_none() {
                continue;
            }
            let name = name.extract::<String>()?;
            if !RECORD_FIELDS.contains(&name.as_str()) {
                continue;
            }
            let value = value.cast_into::<PyString>()?;
            let Ok(text) = value.to_str() else { return Ok(None) };
            let normal = normalize(text);
            if normal.is_empty() {
                continue;
            }
            let made = if normal.len() == text.len() { value.unbind() } else { PyString::new(py, &normal).unbind() };
            fields.push((name, made));
        }
        Ok(Some(fields))
    }

    /// What a step without a template makes of line `at` alone (`_read` in Python), remembered.
    fn read_at(&mut self, py: Python<'_>, step: &Step, at: usize) -> PyResult<Option<Fields>> {
        if let Some(found) = self.matched.get(&(step.key, at)) {
            return Ok(found.as_ref().map(|fields| fields.iter().map(|(k, v)| (k.clone(), v.clone_ref(py))).collect()));
        }
        let found = if !self.fit(py, &step.shape, at)? {
            None
        } else {
            let line = self.normal(py, at)?.py.clone_ref(py);
            let mut found = match step.pattern {
                Some(pattern) => self.pattern(py, pattern, line.bind(py))?,
                None => Some(Vec::new()),
            };
            if let (Some(fields), Some(field)) = (found.as_mut(), &step.field) {
                if get(fields, field).is_none() {
                    fields.push((field.clone(), line));
                }
            }
            found
        };
        let answer = found.as_ref().map(|fields| fields.iter().map(|(k, v)| (k.clone(), v.clone_ref(py))).collect());
        self.matched.insert((step.key, at), found);
        Ok(answer)
    }

    fn controls(&mut self, py: Python<'_>, grammar: &Grammar, at: usize) -> PyResult<bool> {
        match grammar.controls {
            None => Ok(false),
            Some(pattern) => {
                let line = self.normal(py, at)?.py.clone_ref(py);
                Ok(self.pattern(py, pattern, line.bind(py))?.is_some())
            }
        }
    }

    /// Where the next item may start: past blank lines and junk; None at a header or the end.
    fn next_start(&self, mut position: usize) -> Option<usize> {
        while position < self.end() {
            if !self.blank[position] {
                match self.roles[position] {
                    HEADER => return None,
                    PLAIN => return Some(position),
                    _ => {}
                }
            }
            position += 1;
        }
        None
    }

    /// The next line an item can use: junk is stepped over, and blank lines too when they are skipped.
    fn next_line(&self, grammar: &Grammar, mut position: usize) -> Option<usize> {
        while position < self.end() {
            if !self.blank[position] {
                if self.roles[position] != JUNK {
                    return Some(position);
                }
            } else if !grammar.skip_blanks {
                return None;
            }
            position += 1;
        }
        None
    }

    fn items_under(&mut self, py: Python<'_>, grammar: &Grammar, header: usize, defaults: &Fields)
                   -> PyResult<Vec<Building>> {
        if let Some(opening) = grammar.opening {
            if !self.opens(py, grammar, &grammar.head[..opening], header)? {
                return Ok(Vec::new());
            }
        }
        self.parse_items(py, grammar, header, defaults)
    }

    /// False when no item can start under the header, as its first lines alone show (`_opens` in Python).
    fn opens(&mut self, py: Python<'_>, grammar: &Grammar, opening: &[Step], header: usize) -> PyResult<bool> {
        let mut position = header + 1;
        for lead in 0..=LEAD_LINES {
            let Some(at) = self.next_start(position) else { return Ok(false) };
            for step in opening {
                if self.read_at(py, step, at)?.is_some() {
                    return Ok(true);
                }
            }
            if lead == LEAD_LINES || !self.controls(py, grammar, at)? {
                return Ok(false);
            }
            position = at + 1;
        }
        Ok(false)
    }

    fn parse_items(&mut self, py: Python<'_>, grammar: &Grammar, header: usize, defaults: &Fields)
                   -> PyResult<Vec<Building>> {
        if grammar.inline {
            return Ok(if get(defaults, "title").is_some() {
                vec![Building::new(defaults.iter().map(|(k, v)| (k.clone(), v.clone_ref(py))).collect(), header)]
            } else {
                Vec::new()
            });
        }
        let mut parse = Parse { grammar, defaults, starts: HashMap::new(), runs: HashMap::new() };
        let mut items: Vec<Building> = Vec::new();
        let mut position = header + 1;
        let mut skipped: Vec<usize> = Vec::new();
        let mut dense = false;
        while grammar.max_items == 0 || items.len() < grammar.max_items {
            let after = position;
            let Some(at) = self.next_start(position) else { break };
            position = at;
            if !items.is_empty() {
                let gap = self.blank[after..position].iter().any(|&blank| blank);
                if items.len() == 1 {
                    dense = !gap;
                } else if dense && gap {
                    break;
                }
            }
            match self.item(py, &mut parse, position)? {
                None => {
                    if !items.is_empty() || skipped.len() >= LEAD_LINES || !self.controls(py, grammar, position)? {
                        break;
                    }
                    skipped.push(position);
                    position += 1;
                }
                Some(item) => {
                    position = item.last + 1;
                    items.push(item);
                }
            }
        }
        if !items.is_empty() && !skipped.is_empty() {
            items[0].structure_lines.splice(0..0, skipped.iter().copied());
            items[0].lines.splice(0..0, skipped.iter().copied());
        }
        if grammar.menu_words != 0 && !items.is_empty() {
            let mut sizes = Vec::with_capacity(items.len());
            for item in &items {
                let title = self.title_of(py, item);
                sizes.push(self.words_of_title(py, &title)?);
            }
            sizes.sort_unstable();
            if sizes[sizes.len() / 2] < grammar.menu_words {
                return Ok(Vec::new());
            }
        }
        if let (Some(names), false) = (grammar.name_list, items.is_empty()) {
            let mut all = true;
            for item in &items {
                let title = self.title_of(py, item);
                if self.pattern(py, names, title.bind(py))?.is_none() {
                    all = false;
                    break;
                }
            }
            if all {
                return Ok(Vec::new());
            }
        }
        if let Some(rest) = &grammar.rest {
            if rest.optional {
                let first = items.iter().position(|item| !item.text_lines.is_empty()).unwrap_or(items.len());
                if BARE_ITEMS <= first && first < items.len() && items[items.len() - 1].overflow {
                    items.truncate(first);
                }
                let count = items.len();
                if count > 0 && !items[count - 1].text_lines.is_empty()
                    && (items[count - 1].overflow
                        || (count > 1 && !items[..count - 1].iter().any(|item| !item.text_lines.is_empty())))
                {
                    let last = &mut items[count - 1];
                    last.text_lines.clear();
                    last.last = last.head_last;
                    let bound = last.last;
                    last.structure_lines.retain(|&i| i <= bound);
                    last.lines.retain(|&i| i <= bound);
                    last.fields = last.head_fields.iter().map(|(k, v)| (k.clone(), v.clone_ref(py))).collect();
                }
            }
        }
        self.fold_bare_items(py, grammar, items, skipped.len())
    }

    fn title_of(&self, py: Python<'_>, item: &Building) -> Py<PyString> {
        get(&item.fields, "title").map_or_else(|| PyString::new(py, "").unbind(), |title| title.clone_ref(py))
    }

    fn words_of_title(&mut self, py: Python<'_>, title: &Py<PyString>) -> PyResult<usize> {
        let key = title.bind(py).to_str().ok().map(str::to_owned);
        if let Some(known) = key.as_ref().and_then(|key| self.titles.get(key)) {
            return Ok(*known);
        }
        let size = self.title_words.bind(py).call1((title.bind(py),))?.extract::<usize>()?;
        if let Some(key) = key {
            self.titles.insert(key, size);
        }
        Ok(size)
    }

    /// The items without those that are a short title alone (`fold_bare_items` in Python).
    fn fold_bare_items(&mut self, py: Python<'_>, grammar: &Grammar, items: Vec<Building>, lead: usize)
                       -> PyResult<Vec<Building>> {
        if grammar.bare_words == 0 || items.is_empty() {
            return Ok(items);
        }
        let titles: Vec<Py<PyString>> = items.iter().map(|item| self.title_of(py, item)).collect();
        let mut sizes = Vec::with_capacity(titles.len());
        let mut long = Vec::new();
        for title in &titles {
            let size = self.words_of_title(py, title)?;
            let chars = title.bind(py).len()?;
            sizes.push((size, chars));
            if size >= grammar.bare_words {
                long.push(chars);
            }
        }
        if long.is_empty() {
            return Ok(items);
        }
        long.sort_unstable();
        let bound = grammar.bare_share * long[long.len() / 2] as f64;
        let end = items[items.len() - 1].last;
        let mut kept: Vec<Building> = Vec::new();
        let mut loose: Vec<usize> = Vec::new();
        for (number, mut item) in items.into_iter().enumerate() {
            let own: &[usize] = if number == 0 { item.lines.get(lead..).unwrap_or(&[]) } else { &item.lines };
            let (size, chars) = sizes[number];
            if own.len() == 1 && item.text_lines.is_empty() && (chars as f64) < bound && size < grammar.bare_words {
                let only = own[0];
                let line = self.normal(py, only)?.py.clone_ref(py);
                let left = line.bind(py).call_method1("removesuffix", (titles[number].bind(py),))?
                    .call_method1("strip", (" -–—•*·▪►›»",))?.cast_into::<PyString>()?.len()?;
                if left == 0 {
                    if let Some(previous) = kept.last_mut() {
                        previous.lines.extend_from_slice(&item.lines);
                        previous.structure_lines.extend_from_slice(&item.lines);
                        previous.folded += 1;
                    } else {
                        loose.extend_from_slice(&item.lines);
                    }
                    continue;
                }
            }
            if !loose.is_empty() {
                item.lines.splice(0..0, loose.iter().copied());
                item.structure_lines.splice(0..0, loose.iter().copied());
                item.folded += number;
                loose.clear();
            }
            kept.push(item);
        }
        if let Some(last) = kept.last_mut() {
            last.last = last.last.max(end);
        }
        Ok(kept)
    }

    fn item(&mut self, py: Python<'_>, parse: &mut Parse<'_>, start: usize) -> PyResult<Option<Building>> {
        let grammar = parse.grammar;
        let mut captured: Fields = Vec::new();
        let mut item = Building::new(Vec::new(), start);
        let Some(mut position) = self.slots(py, parse, &grammar.head, start, &mut captured, Some(&mut item))? else {
            return Ok(None);
        };
        item.head_last = item.last;
        let mut head_fields: Fields = parse.defaults.iter().map(|(k, v)| (k.clone(), v.clone_ref(py))).collect();
        for (name, value) in &captured {
            match head_fields.iter_mut().find(|(key, _)| key == name) {
                Some(slot) => slot.1 = value.clone_ref(py),
                None => head_fields.push((name.clone(), value.clone_ref(py))),
            }
        }
        item.head_fields = head_fields;
        if let Some(rest) = &grammar.rest {
            let Some(after) = self.rest(py, parse, rest, position, &mut item, &captured)? else { return Ok(None) };
            let Some(after) = self.slots(py, parse, &grammar.tail, after, &mut captured, Some(&mut item))? else {
                return Ok(None);
            };
            position = after;
        }
        let _ = position;
        for (name, value) in parse.defaults {
            if get(&captured, name).is_none() {
                captured.push((name.clone(), value.clone_ref(py)));
            }
        }
        item.fields = captured;
        Ok(Some(item))
    }

    /// Matches `steps` from `position`: the position after them, or None when a required one fails.
    fn slots(&mut self, py: Python<'_>, parse: &mut Parse<'_>, steps: &[Step], mut position: usize,
             captured: &mut Fields, mut item: Option<&mut Building>) -> PyResult<Option<usize>> {
        let grammar = parse.grammar;
        for step in steps {
            let mut count = 0;
            if step.repeat && item.is_none() {
                if let Some(at) = self.next_line(grammar, position) {
                    if self.roles[at] != HEADER && self.matches(py, parse, step, at, captured)?.is_some() {
                        count = 1;
                        position = self.run_end(py, parse, step, at)? + 1;
                    }
                }
                if count == 0 && !step.optional {
                    return Ok(None);
                }
                continue;
            }
            loop {
                let at = if position < self.end() && !self.blank[position] && self.roles[position] == PLAIN {
                    position
                } else {
                    match self.next_line(grammar, position) {
                        Some(at) if self.roles[at] != HEADER => at,
                        _ => break,
                    }
                };
                let added = if step.template.is_none() {
                    let Some(found) = self.read_at(py, step, at)? else { break };
                    merge(py, captured, &found, step.repeat)?
                } else {
                    match self.matches(py, parse, step, at, captured)? {
                        None => break,
                        Some(added) => added,
                    }
                };
                count += 1;
                position = at + 1;
                if let Some(item) = item.as_deref_mut() {
                    item.last = at;
                    item.lines.push(at);
                    if !added {
                        item.structure_lines.push(at);
                    }
                }
                if !step.repeat {
                    break;
                }
            }
            if count == 0 && !step.optional {
                return Ok(None);
            }
        }
        Ok(Some(position))
    }

    /// The last line of the run of lines the step's slot matches from `start` (which it matches).
    fn run_end(&mut self, py: Python<'_>, parse: &mut Parse<'_>, step: &Step, start: usize) -> PyResult<usize> {
        if let Some(&end) = parse.runs.get(&(step.key, start)) {
            return Ok(end);
        }
        let mut visited = vec![start];
        while let Some(at) = self.next_line(parse.grammar, visited[visited.len() - 1] + 1) {
            if self.roles[at] == HEADER || self.matches(py, parse, step, at, &mut Vec::new())?.is_none() {
                break;
            }
            visited.push(at);
        }
        let end = visited[visited.len() - 1];
        for line in visited {
            parse.runs.insert((step.key, line), end);
        }
        Ok(end)
    }

    /// Takes body lines up to a blank line (unless skipped), a bound, the next slot's line or a new item.
    fn rest(&mut self, py: Python<'_>, parse: &mut Parse<'_>, rest: &Step, mut position: usize,
            item: &mut Building, captured: &Fields) -> PyResult<Option<usize>> {
        let grammar = parse.grammar;
        let stop = grammar.tail.first();
        let mut body: Vec<usize> = Vec::new();
        while let Some(at) = self.next_line(grammar, position) {
            if self.roles[at] == HEADER {
                break;
            }
            if rest.max_lines != 0 && body.len() >= rest.max_lines {
                let fit = self.fit_memo(py, rest, at)?;
                item.overflow = fit && !self.starts_item(py, parse, at)?;
                break;
            }
            if rest.optional && self.roles[position..at].contains(&JUNK) {
                break;
            }
            if !self.fit_memo(py, rest, at)? {
                break;
            }
            if let Some(stop) = stop {
                let stops = if stop.template.is_some() {
                    let mut fields: Fields = captured.iter().map(|(k, v)| (k.clone(), v.clone_ref(py))).collect();
                    self.matches(py, parse, stop, at, &mut fields)?.is_some()
                } else {
                    self.read_at(py, stop, at)?.is_some()
                };
                if stops {
                    break;
                }
            }
            if (!body.is_empty() || rest.optional) && self.starts_item(py, parse, at)? {
                break;
            }
            body.push(at);
            position = at + 1;
        }
        item.lines.extend_from_slice(&body);
        if let Some(&last) = body.last() {
            item.last = last;
        }
        let found = !body.is_empty();
        item.text_lines = body;
        Ok(if found || rest.optional { Some(position) } else { None })
    }

    fn starts_item(&mut self, py: Python<'_>, parse: &mut Parse<'_>, position: usize) -> PyResult<bool> {
        if let Some(&known) = parse.starts.get(&position) {
            return Ok(known);
        }
        let probe = &parse.grammar.head[..parse.grammar.probe];
        let found = self.slots(py, parse, probe, position, &mut Vec::new(), None)?.is_some();
        parse.starts.insert(position, found);
        Ok(found)
    }

    /// None when line `at` does not fit the slot; else whether it filled a field not filled before.
    fn matches(&mut self, py: Python<'_>, parse: &Parse<'_>, step: &Step, at: usize, captured: &mut Fields)
               -> PyResult<Option<bool>> {
        if let Some(template) = step.template {
            let fields = PyDict::new(py);
            for (name, value) in parse.defaults.iter().chain(captured.iter()) {
                fields.set_item(name, value.bind(py))?;
            }
            let line = self.normal(py, at)?.py.clone_ref(py);
            let same = self.template.bind(py).call1((template, fields, line))?.extract::<bool>()?;
            return Ok(if same { Some(false) } else { None });
        }
        let Some(found) = self.read_at(py, step, at)? else { return Ok(None) };
        Ok(Some(merge(py, captured, &found, step.repeat)?))
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Segmenter>()?;
    module.add_class::<SegmentDoc>()?;
    module.add_class::<SegmentItem>()?;
    Ok(())
}
