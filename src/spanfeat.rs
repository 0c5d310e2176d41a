//! The structural detectors' per-line features (`cleaner/core/structure.py`), computed in one call per document.
//!
//! For each line that is not blank and not claimed by a record: its words (tokens opening with a letter,
//! punctuation counting as space; a line of more than 200 characters counts its spaces instead), its
//! characters of a dense script (CJK, kana, Hangul, Thai, Lao, Khmer, Myanmar), whether it ends like a
//! sentence, whether it is title-shaped, whether it is attached to the text next to it (a list item, quote,
//! code or table line) and whether it is code or a table row. Beside them, what the prose test can tell
//! without the document's stop words (the language is identified from these features first): prose, not
//! prose, or to be decided by its share of stop words (Python's, on those few lines).
//!
//! Every answer must equal Python's (tests/structure_oracle.py holds the Python definitions, and a
//! differential test compares them): lengths are in code points, and which characters are letters
//! (`str.isalpha`), spaces (`str.isspace`, what `str.split()` splits on) and decimal digits (`re`'s `\d`)
//! comes from the running Python's Unicode data, handed to the constructor, not from Rust's own tables.
//!
//! Pure: no I/O, no global state; an object is immutable once built, so threads may share it.

use std::borrow::Cow;

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

/// A set of code points as a bitmap over all of Unicode.
pub(crate) struct CharSet(Vec<u64>);

impl CharSet {
    pub(crate) fn new(chars: &str) -> Self {
        let mut bits = vec![0u64; (0x11_0000 / 64) + 1];
        for c in chars.chars() {
            let code = c as usize;
            bits[code / 64] |= 1 << (code % 64);
        }
        CharSet(bits)
    }

    #[inline]
    pub(crate) fn has(&self, c: char) -> bool {
        let code = c as usize;
        self.0[code / 64] & (1 << (code % 64)) != 0
    }
}

/// Each character that Python's case-insensitive match takes for one of a few characters, with that character
/// (U+FFFF for any other): an ASCII character looked up in a table, any other in a map (a line's characters are
/// mostly ASCII, and a map's lookup costs more than a table's).
pub(crate) struct Fold {
    ascii: [char; 128],
    other: HashMap<char, char>,
}

impl Fold {
    pub(crate) fn new(pairs: Vec<(char, char)>) -> Self {
        let mut ascii = ['\u{ffff}'; 128];
        let mut other = HashMap::new();
        for (c, folded) in pairs {
            if c.is_ascii() {
                ascii[c as usize] = folded;
            } else {
                other.insert(c, folded);
            }
        }
        Fold { ascii, other }
    }

    #[inline]
    pub(crate) fn get(&self, c: char) -> char {
        if c.is_ascii() { self.ascii[c as usize] } else { self.other.get(&c).copied().unwrap_or('\u{ffff}') }
    }
}

/// What one line is, for the detectors (`LineFeatures` in Python).
#[pyclass(frozen, eq, module = "cleaner._native")]
#[derive(PartialEq)]
pub struct LineFeatures {
    #[pyo3(get)]
    pub(crate) words: usize,
    #[pyo3(get)]
    pub(crate) dense: usize,
    #[pyo3(get)]
    pub(crate) sentence_end: bool,
    #[pyo3(get)]
    pub(crate) title_shaped: bool,
    /// A list item, table row, code line or quoted line: part of the text next to it.
    #[pyo3(get)]
    pub(crate) attached: bool,
    /// A line of code or a table row.
    #[pyo3(get)]
    pub(crate) code: bool,
}

#[pymethods]
impl LineFeatures {
    #[new]
    fn new(words: usize, dense: usize, sentence_end: bool, title_shaped: bool, attached: bool, code: bool) -> Self {
        LineFeatures { words, dense, sentence_end, title_shaped, attached, code }
    }

    fn __repr__(&self) -> String {
        format!(
            "LineFeatures(words={}, dense={}, sentence_end={}, title_shaped={}, attached={}, code={})",
            self.words, self.dense, py_bool(self.sentence_end), py_bool(self.title_shaped), py_bool(self.attached),
            py_bool(self.code)
        )
    }
}

fn py_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// The Python `_UNPUNCTUATE` set: punctuation read as space when words are counted.
const UNPUNCTUATE: &str = "\"“”‘«»()[]{}.,;:!?¡¿…*/|";
/// What ends a sentence, and the closing quotes and brackets that may follow it.
const SENTENCE_MARKS: &str = ".!?…。！？؟۔।॥։;；";
const CLOSERS: &str = "\"'”’»)]）」』】›";
/// What a list item opens with (before a space), and what a quoted line opens with.
const BULLETS: &str = "-*•·▪◦‣–";
const QUOTES: &str = "\"“„«‘'—–>「『";
const CODE_START: [&str; 17] = ["```", "~~~", "def ", "class ", "import ", "from ", "return ", "function ",
                                 "var ", "let ", "const ", "public ", "private ", "#include", "SELECT ", "$ ",
                                 ">>> "];
const CODE_END: [&str; 6] = ["{", "}", ";", "},", ");", ","];
/// Vulgar fractions that open an amount ("½ cup").
const FRACTIONS: &str = "½¼¾⅓⅔⅛";
/// What a forum's or Q&A site's post-frame line (Python's `_THREAD`) opens with, or ends with (before an optional
/// ":") when it holds no digit: "Reply", "Re: ...", "Joined ...", "Posted by ...", "... wrote:". Compared with the
/// line's characters folded as Python's case-insensitive match folds them (`fold`).
const THREAD_STARTS: [&str; 14] = ["quote", "reply", "report", "permalink", "share", "joined", "re:", "aw:", "sv:",
                                   "asked", "answered", "edited", "modified", "posted"];
const THREAD_ENDS: [&str; 6] = [" wrote", " said", " писал", " a écrit", " schrieb", " escribió"];
/// What Python's `_PRICE` needs besides a digit (it matches case-sensitively).
const PRICE_MARKS: [&str; 21] = ["$", "€", "£", "¥", "₹", "₽", "₩", "USD", "EUR", "GBP", "CHF", "JPY", "RMB", "CNY", "INR",
                                 "Rs", "kr", "zł", "円", "元", "руб"];
/// What Python's `_DATE` needs besides a digit (or a digit, a separator and a digit, or "年"), and `_COUNT`: words
/// compared with the line folded.
const DATE_WORDS: [&str; 13] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "ago"];
const COUNT_WORDS: [&str; 15] = ["view", "repl", "post", "comment", "answer", "vote", "review", "rating", "topic",
                                 "member", "item", "result", "job", "download", "like"];
/// A question's last character.
const QUESTION_MARKS: &str = "?？؟";

/// Scripts written without spaces between words, and Hangul (Python's `_DENSE`).
#[inline]
pub(crate) fn is_dense(c: char) -> bool {
    matches!(c, '\u{0e00}'..='\u{0eff}' | '\u{1000}'..='\u{109f}' | '\u{1780}'..='\u{17ff}' | '\u{3040}'..='\u{30ff}'
        | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ac00}'..='\u{d7af}')
}

/// The features of every line of a document, and what the prose test can tell from them alone.
#[pyclass(frozen, module = "cleaner._native")]
pub(crate) struct SpanFeatures {
    alpha: CharSet,
    space: CharSet,
    digit: CharSet,
    /// Where words part (spaces and the punctuation read as space), and what makes a line numeric (a digit or a
    /// vulgar fraction): looked up once a character.
    separator: CharSet,
    numeric: CharSet,
    /// Python's `re` word characters but the underscore (what `str.isalnum` holds), and each character that
    /// Python's `str.lower` changes, with what it makes of it.
    alnum: CharSet,
    lower: HashMap<char, String>,
    /// The characters `lower` holds that are not ASCII (an ASCII character's lower case is ASCII's).
    lowered: CharSet,
    /// Python's `str.islower` of one character.
    lowercase: CharSet,
    /// Each character that Python's case-insensitive match takes for a character of `THREAD_STARTS` or
    /// `THREAD_ENDS`, with that character.
    fold: Fold,
    /// The prose test's thresholds: words or dense characters for a long enough line, words for one told by its
    /// stop words.
    min_words: usize,
    min_dense_chars: usize,
    min_stop_words: usize,
    /// A title has between these many words (2.5 times as many characters of a dense script).
    title_min_words: f64,
    title_max_words: f64,
}

/// One document's answer: each line's features (None for a blank or claimed line); whether each line is prose
/// without asking its stop words; the lines whose stop words decide; the lines long enough that end like a
/// sentence; whether each line holds a decimal digit or a vulgar fraction; how many lines end with a question
/// mark; how many are code or table lines; the lines that may be a forum's post-frame lines; the lines where a
/// price may be found, and those where a date or count may.
type Answer<'py> = (Bound<'py, PyList>, Vec<bool>, Vec<usize>, Vec<usize>, Vec<bool>, usize, usize, Vec<usize>,
                    Vec<bool>, Vec<bool>);

impl SpanFeatures {
    /// Python's `len(line)`, and its `line.translate(_UNPUNCTUATE).split()` tokens that open with a letter.
    fn words(&self, line: &[char]) -> usize {
        if line.len() > 200 {
            return line.iter().filter(|&&c| c == ' ').count() + 1;
        }
        let mut words = 0;
        let mut inside = false;
        for &c in line {
            if self.separator.has(c) {
                inside = false;
            } else if !inside {
                inside = true;
                if self.alpha.has(c) {
                    words += 1;
                }
            }
        }
        words
    }

    /// `re.match(r"(?:[-*•·▪◦‣–]\s|\d{1,3}[.)]\s|[a-z][.)]\s|\(\d{1,3}\)\s|\[\d{1,3}\]:?\s)", line)`.
    fn list_item(&self, line: &[char]) -> bool {
        let at = |i: usize| line.get(i).copied();
        let space = |i: usize| at(i).is_some_and(|c| self.space.has(c));
        let digits = |from: usize| line[from.min(line.len())..].iter().take_while(|&&c| self.digit.has(c)).count();
        let Some(first) = at(0) else { return false };
        if BULLETS.contains(first) && space(1) {
            return true;
        }
        if first.is_ascii_lowercase() && matches!(at(1), Some('.' | ')')) && space(2) {
            return true;
        }
        let count = digits(0);
        if (1..=3).contains(&count) && matches!(at(count), Some('.' | ')')) && space(count + 1) {
            return true;
        }
        if first == '(' {
            let count = digits(1);
            return (1..=3).contains(&count) && at(count + 1) == Some(')') && space(count + 2);
        }
        if first == '[' {
            let count = digits(1);
            if (1..=3).contains(&count) && at(count + 1) == Some(']') {
                let next = count + 2;
                return space(next) || (at(next) == Some(':') && space(next + 1));
            }
        }
        false
    }

    /// Whether the line may be a post-frame line: it holds a digit (`numeric`), or opens or ends with one of their
    /// words. Every line Python's `_THREAD` matches is one (a test checks it); the others need no regex.
    fn thread_candidate(&self, line: &[char], numeric: bool) -> bool {
        if numeric {
            return true;
        }
        let fold = |c: &char| self.fold.get(*c);
        let head: String = line.iter().take(9).map(fold).collect();
        if THREAD_STARTS.iter().any(|start| head.starts_with(start)) {
            return true;
        }
        let end = if line.last() == Some(&':') { line.len() - 1 } else { line.len() };
        let tail: String = line[end.saturating_sub(9)..end].iter().map(fold).collect();
        THREAD_ENDS.iter().any(|word| tail.ends_with(word))
    }

    /// Whether Python's `_PRICE` may find something in the line, and whether `_DATE` or `_COUNT` may: each needs a
    /// digit and more (a currency, a month, "ago", a counted word, or digits around a separator).
    fn intent_candidates(&self, text: &str, line: &[char], numeric: bool) -> (bool, bool) {
        if !numeric {
            return (false, false);
        }
        let price = PRICE_MARKS.iter().any(|mark| text.contains(mark));
        let separated = line.windows(3).any(|w| self.digit.has(w[0]) && matches!(w[1], '-' | '/' | '.')
                                            && self.digit.has(w[2]));
        if separated || text.contains('年') {
            return (price, true);
        }
        let folded: String = line.iter().map(|&c| self.fold.get(c)).collect();
        let dated = DATE_WORDS.iter().chain(COUNT_WORDS.iter()).any(|word| folded.contains(word));
        (price, dated)
    }

    fn features(&self, text: &str, line: &[char]) -> LineFeatures {
        let words = self.words(line);
        let dense = if text.is_ascii() { 0 } else { line.iter().filter(|&&c| is_dense(c)).count() };
        let tail = text.trim_end_matches(|c| CLOSERS.contains(c));
        let sentence_end = tail.chars().next_back().is_some_and(|c| SENTENCE_MARKS.contains(c))
            && !tail.ends_with("...")
            && !tail.ends_with('…');
        let title_shaped = if dense >= 2 * words.max(1) {
            self.title_min_words * 2.5 <= dense as f64 && dense as f64 <= self.title_max_words * 2.5 && !sentence_end
        } else {
            self.title_min_words <= words as f64 && words as f64 <= self.title_max_words && !sentence_end
        };
        let code = CODE_START.iter().any(|start| text.starts_with(start))
            || CODE_END.iter().any(|end| text.ends_with(end))
            || text.contains("={")
            || text.matches('|').nth(1).is_some()
            || text.matches('\t').nth(1).is_some();
        let attached = code || self.list_item(line) || line.first().is_some_and(|&c| QUOTES.contains(c));
        LineFeatures { words, dense, sentence_end, title_shaped, attached, code }
    }
}

impl SpanFeatures {
    /// Whether Python's `str.isalpha` and `str.isspace` hold for a character.
    pub(crate) fn is_alpha(&self, c: char) -> bool {
        self.alpha.has(c)
    }

    pub(crate) fn is_space(&self, c: char) -> bool {
        self.space.has(c)
    }

    /// Each character of Python's `text.lower()`, for a text without a capital sigma (whose lower case depends on
    /// the letters around it).
    pub(crate) fn for_lower(&self, text: &str, mut out: impl FnMut(char)) {
        for c in text.chars() {
            if c.is_ascii() {
                out(c.to_ascii_lowercase());
            } else if self.lowered.has(c) {
                self.lower[&c].chars().for_each(&mut out);
            } else {
                out(c);
            }
        }
    }

    /// Python's `" ".join(re.sub(r"[^\w\s]|_", "", text.lower()).split())` (`structure._letters`), for a text
    /// without a capital sigma, written into `key`.
    pub(crate) fn letter_key(&self, text: &str, key: &mut String) {
        key.clear();
        let mut gap = false;
        self.for_lower(text, |c| {
            if self.alnum.has(c) {
                if gap && !key.is_empty() {
                    key.push(' ');
                }
                gap = false;
                key.push(c);
            } else if self.space.has(c) {
                gap = true;
            }
        });
    }
}

/// A line's text, with each lone surrogate (which UTF-8 cannot hold) as U+FFFF: like a surrogate, no letter,
/// space, digit nor mark of any kind, so every feature is the same.
pub(crate) fn line_text<'a>(line: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, str>> {
    if let Ok(text) = line.to_str() {
        return Ok(Cow::Borrowed(text));
    }
    let encoded = line.call_method1("encode", ("utf-32-le", "surrogatepass"))?;
    let bytes: &[u8] = encoded.extract()?;
    Ok(Cow::Owned(
        bytes
            .chunks_exact(4)
            .map(|unit| char::from_u32(u32::from_le_bytes([unit[0], unit[1], unit[2], unit[3]])).unwrap_or('\u{ffff}'))
            .collect(),
    ))
}

#[pymethods]
impl SpanFeatures {
    /// `alpha`, `spaces`, `digits`: every character Python's `str.isalpha`, `str.isspace` and `re`'s `\d` hold
    /// for. The rest are the settings named as in `[detector.main_span]` and `[detector.related_run]`.
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(alpha: &str, spaces: &str, digits: &str, alnum: &str, lower: Vec<(char, String)>, lowercase: &str,
           fold: Vec<(char, char)>, min_words: usize, min_dense_chars: usize, min_stop_words: usize,
           title_min_words: f64, title_max_words: f64) -> Self {
        SpanFeatures {
            alpha: CharSet::new(alpha),
            space: CharSet::new(spaces),
            digit: CharSet::new(digits),
            separator: CharSet::new(&format!("{spaces}{UNPUNCTUATE}")),
            numeric: CharSet::new(&format!("{digits}{FRACTIONS}")),
            alnum: CharSet::new(alnum),
            lowered: CharSet::new(&lower.iter().map(|(c, _)| *c).filter(|c| !c.is_ascii()).collect::<String>()),
            lower: lower.into_iter().collect(),
            lowercase: CharSet::new(lowercase),
            fold: Fold::new(fold),
            min_words,
            min_dense_chars,
            min_stop_words,
            title_min_words,
            title_max_words,
        }
    }

    /// Every line's features and the rest of [`Answer`], for the lines of one document (stripped);
    /// `claimed[i]`: another record holds line `i` (it has no features).
    fn lines<'py>(&self, py: Python<'py>, lines: Vec<Bound<'py, PyString>>, claimed: Vec<bool>) -> PyResult<Answer<'py>> {
        if claimed.len() != lines.len() {
            return Err(pyo3::exceptions::PyValueError::new_err("lines and claimed differ in length"));
        }
        let count = lines.len();
        let feats = PyList::empty(py);
        let mut prose = vec![false; count];
        let mut unsure = Vec::new();
        let mut sentences = Vec::new();
        let mut numeric = vec![false; count];
        let (mut questions, mut code) = (0, 0);
        let mut thread = Vec::new();
        let mut priced = vec![false; count];
        let mut dated = vec![false; count];
        let mut chars: Vec<char> = Vec::new();
        for (index, (line, &taken)) in lines.iter().zip(&claimed).enumerate() {
            let text = line_text(line)?;
            if text.is_empty() || taken {
                feats.append(py.None())?;
                continue;
            }
            chars.clear();
            chars.extend(text.chars());
            let f = self.features(&text, &chars);
            let long = f.words >= self.min_words || f.dense >= self.min_dense_chars;
            if long && f.sentence_end {
                prose[index] = true;
                sentences.push(index);
            } else if long && f.words >= self.min_stop_words {
                unsure.push(index);
            }
            numeric[index] = chars.iter().any(|&c| self.numeric.has(c));
            if self.thread_candidate(&chars, numeric[index]) {
                thread.push(index);
            }
            (priced[index], dated[index]) = self.intent_candidates(&text, &chars, numeric[index]);
            questions += usize::from(text.ends_with(|c| QUESTION_MARKS.contains(c)));
            code += usize::from(f.code);
            feats.append(Bound::new(py, f)?)?;
        }
        Ok((feats, prose, unsure, sentences, numeric, questions, code, thread, priced, dated))
    }

    /// The lines of paragraphs a dump broke at the page source's line ends (`Detectors._wrapped` says how they
    /// are found): a line opening in lower case (past opening quotes and brackets) after a line that ends no
    /// sentence nor clause continues it, when the paragraph's first line has more than `furniture_words` words;
    /// such a run of at least two lines and `min_words` words, its last line ending like a sentence or with
    /// ":", is prose. `feats`: [`SpanFeatures::lines`]' features (None: a line not looked at).
    fn wrapped(&self, lines: Vec<Bound<'_, PyString>>, feats: Vec<Option<PyRef<'_, LineFeatures>>>, min_words: usize,
               furniture_words: usize) -> PyResult<Vec<usize>> {
        if feats.len() != lines.len() {
            return Err(pyo3::exceptions::PyValueError::new_err("lines and feats differ in length"));
        }
        let mut found = Vec::new();
        let mut group: Vec<usize> = Vec::new();
        let (mut words, mut opening) = (0, 0);
        let mut last_end = true; // the line before ends a sentence or clause (or there is none)
        let close = |group: &[usize], words: usize, found: &mut Vec<usize>| -> PyResult<()> {
            if group.len() >= 2 && words >= min_words {
                let last = line_text(&lines[group[group.len() - 1]])?;
                let tail = last.trim_end_matches(|c| CLOSERS.contains(c));
                if tail.chars().next_back().is_some_and(|c| SENTENCE_MARKS.contains(c) || c == ':') {
                    found.extend_from_slice(group);
                }
            }
            Ok(())
        };
        for (index, f) in feats.iter().enumerate() {
            let Some(f) = f else { continue };
            let line = line_text(&lines[index])?;
            let head = line.trim_start_matches(|c| "(\"'“‘«".contains(c));
            let lower = head.chars().next().is_some_and(|c| self.lowercase.has(c));
            if !last_end && !group.is_empty() && lower && opening > furniture_words {
                group.push(index);
                words += f.words;
            } else {
                close(&group, words, &mut found)?;
                group.clear();
                group.push(index);
                words = f.words;
                opening = f.words; // (a menu's item followed by a line in lower case opens no paragraph)
            }
            last_end = f.sentence_end || line.ends_with(':');
        }
        close(&group, words, &mut found)?;
        Ok(found)
    }

    /// Python's `" ".join(re.sub(r"[^\w\s]|_", "", line.lower()).split())` of each line that is not blank nor
    /// claimed (None for those): its letters and digits, lower-cased, one space between words. A line holding a
    /// capital sigma, whose lower case depends on the letters around it, is handed to `python` (that function).
    fn letters<'py>(&self, py: Python<'py>, lines: Vec<Bound<'py, PyString>>, claimed: Vec<bool>,
                    python: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        if claimed.len() != lines.len() {
            return Err(pyo3::exceptions::PyValueError::new_err("lines and claimed differ in length"));
        }
        let out = PyList::empty(py);
        let mut key = String::new();
        for (line, &taken) in lines.iter().zip(&claimed) {
            let text = line_text(line)?;
            if text.is_empty() || taken {
                out.append(py.None())?;
                continue;
            }
            if text.contains('\u{03a3}') {
                out.append(python.call1((line,))?)?;
                continue;
            }
            self.letter_key(&text, &mut key);
            out.append(PyString::new(py, &key))?;
        }
        Ok(out)
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<LineFeatures>()?;
    module.add_class::<SpanFeatures>()
}
