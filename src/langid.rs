//! Language identification in one call: py3langid's naive Bayes (langid.py's model) over a text's UTF-8 bytes.
//!
//! The library walks a byte automaton over the text to count its features, scores each language as
//! `log1p(counts) @ weights[features] + priors` with numpy, scales the scores by `1 / sqrt(bytes)`, turns them
//! into probabilities (a softmax) and takes the most probable language. Each numpy step is a call with its
//! own fixed cost: on a short text (a tiny document, a detector's 160-character sample) they were most of
//! identification's time. Here the walk, the sparse score, the scaling, the softmax and the choice are one
//! call; the model's arrays are borrowed from the numpy arrays the shell holds (mapped from its cache), not
//! copied, and no Python object is made per feature.
//!
//! The score has one fixed order, which is its definition (numpy's float32 `@` goes through the BLAS's
//! `sgemv`, whose summation order depends on the CPU's kernel, so its last bits were never a stable
//! property): the features in ascending index, each language's sum accumulated in f64 (every product of the
//! float32 `log1p(count)` and a float32 weight is exact in f64, so the sum is within an f64 rounding of the
//! exact one); that sum rounded once to float32, the float32 prior added and the float32 scale applied in
//! float32, as the library's float32 arrays do (so near-ties fall as the library's fall); the softmax and its
//! sum in f64, the languages in model order. Vector instructions run across languages, never across a
//! language's terms, so every CPU gives the same sums. py3langid's script aliases (two columns of one label,
//! e.g. `srl` -> `sr`) are folded as the library folds them: the second column's probability added to the
//! first's, the second set to zero; the choice is the first column of the highest probability.
//!
//! Against the library the probabilities differ by what numpy's float32 accumulation loses (up to a few
//! tens of float32 ulps of a score on a long text); the tests compare both (tests/test_native_language.py).
//!
//! Pure: no I/O and no global state; a scorer is immutable once built, so threads may share it.

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// Counts below this have their `log1p` in a table (nearly every count of a short text is 1 or 2).
const TABULATED: usize = 256;

#[pyclass(frozen, module = "cleaner._native")]
pub struct LanguageScorer {
    /// The automaton's transitions (py3langid's `tk_nextmove`), by row base + byte.
    next: PyBuffer<u32>,
    /// Each state's row base (`tk_row[state] << 8`) and the feature it outputs (-1: none).
    rows: Vec<u32>,
    output: Vec<i32>,
    /// float32 (features, languages), C order: one feature's weights for every language, side by side.
    weights: PyBuffer<f32>,
    features: usize,
    priors: Vec<f32>,
    labels: Vec<Py<PyString>>,
    /// (first, duplicate) columns of a label the model holds twice, in column order.
    aliases: Vec<(usize, usize)>,
    /// `log1p(count)` rounded to float32 (the library's counts and logarithms are float32), by count.
    log1p: Vec<f32>,
}

fn log1p(count: usize) -> f32 {
    // The f64 logarithm rounded once to f32: the float32 nearest to log1p(count).
    (count as f64).ln_1p() as f32
}

fn invalid(message: &str) -> PyErr {
    PyValueError::new_err(message.to_string())
}

impl LanguageScorer {
    fn transitions(&self) -> PyResult<&[u32]> {
        let pointer = self.next.as_slice_ptr().ok_or_else(|| invalid("the transition table is not readable"))?;
        // SAFETY: the buffer is held for this object's life (an exported array cannot be resized or freed),
        // it is C-contiguous u32 (checked when built), and callers hold the GIL and call no Python code
        // while they read it, so no Python code can write the array meanwhile.
        Ok(unsafe { pointer.as_ref() })
    }

    fn table(&self) -> PyResult<&[f32]> {
        let pointer = self.weights.as_slice_ptr().ok_or_else(|| invalid("the weights are not readable"))?;
        // SAFETY: as for the transitions (C-contiguous float32, checked when built).
        Ok(unsafe { pointer.as_ref() })
    }

    /// The features the automaton outputs over `text`, in the order met (repeats included).
    fn walk(&self, text: &[u8], found: &mut Vec<u32>) -> PyResult<()> {
        let next = self.transitions()?;
        let mut state = 0usize;
        for byte in text {
            let at = self.rows[state] as usize + *byte as usize;
            state = *next.get(at).ok_or_else(|| invalid("the automaton left its table"))? as usize;
            let feature = *self.output.get(state).ok_or_else(|| invalid("the automaton left its states"))?;
            if feature >= 0 {
                found.push(feature as u32);
            }
        }
        Ok(())
    }

    /// Each language's probability (aliases folded) for `text`, the library's encoded bytes.
    fn probabilities(&self, text: &[u8]) -> PyResult<Vec<f64>> {
        let languages = self.priors.len();
        let mut found = Vec::with_capacity(text.len());
        self.walk(text, &mut found)?;
        let mut sums = vec![0.0f64; languages];
        // The library's temperature: sqrt(bytes) keeps the softmax calibrated across lengths (a float32, as
        // numpy multiplies a float32 array by a Python float).
        let scale = (1.0 / (text.len().max(1) as f64).sqrt()) as f32;
        // No feature: every score 0 (the library's choice under normalised probabilities), so every language
        // equally likely.
        let mut scores = vec![0.0f64; languages];
        if !found.is_empty() {
            found.sort_unstable();
            let table = self.table()?;
            let mut start = 0;
            while start < found.len() {
                let feature = found[start];
                let mut end = start + 1;
                while end < found.len() && found[end] == feature {
                    end += 1;
                }
                let count = end - start;
                let weight = f64::from(if count < TABULATED { self.log1p[count] } else { log1p(count) });
                let row = feature as usize * languages;
                // The outputs were checked against the weights' rows when built.
                accumulate(&mut sums, weight, &table[row..row + languages]);
                start = end;
            }
            // The library's scores are float32: the sum rounded once, the prior added and the scale applied
            // in float32 (so that near-ties fall as the library's fall), then the softmax in f64.
            for ((score, sum), prior) in scores.iter_mut().zip(&sums).zip(&self.priors) {
                *score = f64::from((*sum as f32 + prior) * scale);
            }
        }
        let top = scores.iter().fold(f64::NEG_INFINITY, |top, score| top.max(*score));
        let mut total = 0.0;
        for score in scores.iter_mut() {
            *score = (*score - top).exp();
            total += *score;
        }
        for score in scores.iter_mut() {
            *score /= total;
        }
        for &(first, duplicate) in &self.aliases {
            scores[first] += scores[duplicate];
            scores[duplicate] = 0.0;
        }
        Ok(scores)
    }
}

/// `scores += weight * row`, each language on its own (its terms summed in the callers' order).
#[inline(always)]
fn accumulate_plain(scores: &mut [f64], weight: f64, row: &[f32]) {
    for (score, w) in scores.iter_mut().zip(row) {
        *score += weight * f64::from(*w);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn accumulate_avx2(scores: &mut [f64], weight: f64, row: &[f32]) {
    // The same loop, compiled for four f64 lanes (no fused multiply-add: Rust never contracts one, and the
    // product is exact in f64 anyway), so the sums are the same bits as the plain loop's.
    accumulate_plain(scores, weight, row)
}

fn accumulate(scores: &mut [f64], weight: f64, row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (detected just above; the answer is cached by std).
            return unsafe { accumulate_avx2(scores, weight, row) };
        }
    }
    accumulate_plain(scores, weight, row)
}

#[pymethods]
impl LanguageScorer {
    /// `transitions`: py3langid's `tk_nextmove` (a flat u32 buffer, borrowed); `rows`: each state's row
    /// (`tk_row`); `outputs`: each state's feature (-1: none); `weights`: float32 (features, languages) in C
    /// order (borrowed); `priors`: one per language; `labels`: each language's code, in column order.
    #[new]
    fn new(
        transitions: &Bound<'_, PyAny>,
        rows: Vec<u32>,
        outputs: Vec<i32>,
        weights: &Bound<'_, PyAny>,
        priors: Vec<f32>,
        labels: Vec<String>,
    ) -> PyResult<Self> {
        let py = transitions.py();
        let next = PyBuffer::<u32>::get(transitions)?;
        if !next.is_c_contiguous() || next.dimensions() != 1 {
            return Err(invalid("the transition table must be a flat array"));
        }
        let weights = PyBuffer::<f32>::get(weights)?;
        if !weights.is_c_contiguous() || weights.dimensions() != 2 {
            return Err(invalid("the weights must be a float32 (features, languages) array in C order"));
        }
        let (features, languages) = (weights.shape()[0], weights.shape()[1]);
        if languages == 0 || priors.len() != languages || labels.len() != languages {
            return Err(invalid("one prior and one label per column of the weights"));
        }
        if rows.len() != outputs.len() || rows.is_empty() {
            return Err(invalid("one row base and one output per state"));
        }
        if outputs.iter().any(|&feature| feature >= 0 && feature as usize >= features) {
            return Err(invalid("a state outputs a feature the weights do not hold"));
        }
        let mut aliases = Vec::new();
        for (column, label) in labels.iter().enumerate() {
            if let Some(first) = labels[..column].iter().position(|earlier| earlier == label) {
                aliases.push((first, column));
            }
        }
        Ok(LanguageScorer {
            next,
            rows: rows.into_iter().map(|row| row << 8).collect(),
            output: outputs,
            weights,
            features,
            priors,
            labels: labels.iter().map(|label| PyString::intern(py, label).unbind()).collect(),
            aliases,
            log1p: (0..TABULATED).map(log1p).collect(),
        })
    }

    /// py3langid's `classify` over `text`, the library's encoded bytes (`LanguageIdentifier._encode`): the
    /// most probable language's code and its probability (probabilities normalised; no minimum).
    fn classify(&self, py: Python<'_>, text: &[u8]) -> PyResult<(Py<PyString>, f64)> {
        let probabilities = self.probabilities(text)?;
        let mut best = 0;
        for (column, probability) in probabilities.iter().enumerate() {
            // The first column of the highest probability, as numpy's argmax (a NaN, which finite weights
            // cannot give, would be chosen as numpy chooses it).
            if *probability > probabilities[best] || (probability.is_nan() && !probabilities[best].is_nan()) {
                best = column;
            }
        }
        Ok((self.labels[best].clone_ref(py), probabilities[best]))
    }

    /// Every language's probability over `text` (encoded bytes), in column order, aliases folded.
    #[pyo3(name = "probabilities")]
    fn py_probabilities(&self, text: &[u8]) -> PyResult<Vec<f64>> {
        self.probabilities(text)
    }

    /// For tests: py3langid's `visit_counts` over `text` (bytes): each feature's count, in the order the
    /// features are first met (a dict, as its Counter), or None when there is none.
    fn counts<'py>(&self, py: Python<'py>, text: &[u8]) -> PyResult<Option<Bound<'py, PyDict>>> {
        let mut found = Vec::new();
        self.walk(text, &mut found)?;
        if found.is_empty() {
            return Ok(None);
        }
        let counts = PyDict::new(py);
        for feature in found {
            let seen: usize = match counts.get_item(feature)? {
                Some(count) => count.extract()?,
                None => 0,
            };
            counts.set_item(feature, seen + 1)?;
        }
        Ok(Some(counts))
    }

    /// The number of features and of language columns of the model.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.features, self.priors.len())
    }
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<LanguageScorer>()
}
