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
use pyo3::types::{PyBytes, PyDict, PyString};

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
    /// The automaton compacted (None: the table is not one this compacts, and is walked as it is).
    compact: Option<Compact>,
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
        if let Some(compact) = &self.compact {
            let mut state = 0u32;
            for &byte in text {
                state = compact.step(state, byte);
                let feature = compact.states[state as usize].output;
                if feature >= 0 {
                    found.push(feature as u32);
                }
            }
            return Ok(());
        }
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
            // The terms (a feature's row and its log1p(count)), in ascending feature order.
            let mut terms = Vec::with_capacity(found.len());
            let mut start = 0;
            while start < found.len() {
                let feature = found[start];
                let mut end = start + 1;
                while end < found.len() && found[end] == feature {
                    end += 1;
                }
                let count = end - start;
                let weight = f64::from(if count < TABULATED { self.log1p[count] } else { log1p(count) });
                // The outputs were checked against the weights' rows when built.
                terms.push((feature as usize * languages, weight));
                start = end;
            }
            add_terms(&mut sums, table, &terms);
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

/// The byte automaton, compacted: py3langid's table is a full DFA (one 256-wide row of u32 next states per
/// row, 39 MB), and walking a text through it costs a cache miss a byte, one after the other (each step's
/// address is the last step's answer). The model's automaton is an Aho-Corasick automaton: each state's row
/// equals its failure state's row but for the state's own children in the trie (104,582 edges for 104,583
/// states). Those edges alone are kept, packed into one array by row displacement (a state's children at
/// `base + byte`, each slot naming the state it belongs to), with each state's failure state; a byte with no
/// edge from a state is looked up again from its failure state, down to the root's full row. About 2 MB in
/// all, which stays in the CPU's caches. Built from the table only when every transition is checked to be
/// what the failure states give (so the walk is the table's, state for state); any other table is walked
/// as it is.
struct Compact {
    /// Per state: its first slot, its failure state and its feature (-1: none), side by side.
    states: Vec<StateInfo>,
    /// (owner state, next state) by base + byte; an unused slot's owner is `u32::MAX`.
    slots: Vec<[u32; 2]>,
    /// The root's full row.
    root: [u32; 256],
}

#[derive(Clone, Copy)]
#[repr(C)]
struct StateInfo {
    base: u32,
    fail: u32,
    output: i32,
}

const FREE: u32 = u32::MAX;

/// The lowest free slot from `at` (`free[i]`: a slot at or after `i` that may be free; past the end, all are).
fn lowest_free(free: &mut [u32], at: usize) -> usize {
    let mut slot = at;
    while slot < free.len() && free[slot] as usize != slot {
        slot = free[slot] as usize;
    }
    let mut on = at; // every slot passed now points at the free one found
    while on < free.len() && free[on] as usize != on {
        let next = free[on] as usize;
        free[on] = slot as u32;
        on = next;
    }
    slot
}

impl Compact {
    /// The compact automaton of the table (`next`, each state's row base `rows[state]` (already << 8)), or
    /// None when the table is not an Aho-Corasick automaton rooted at state 0 whose rows are all in bounds.
    fn build(next: &[u32], rows: &[u32], output: &[i32]) -> Option<Compact> {
        let states = rows.len();
        if states == 0 || states >= FREE as usize {
            return None;
        }
        if rows.iter().any(|&row| row as usize + 256 > next.len()) || next.iter().any(|&t| t as usize >= states) {
            return None;
        }
        let row = |state: usize| &next[rows[state] as usize..rows[state] as usize + 256];
        // Breadth first from the root: a state first reached from a state of depth d has depth d + 1 (the
        // length of the string it stands for); the edge that reached it is its edge in the trie.
        const UNSEEN: u32 = u32::MAX;
        let mut depth = vec![UNSEEN; states];
        let mut parent = vec![(0u32, 0u8); states];
        let mut order = Vec::with_capacity(states);
        depth[0] = 0;
        order.push(0u32);
        let mut children = vec![0u32; states];
        let mut at = 0;
        while at < order.len() {
            let state = order[at] as usize;
            at += 1;
            for (byte, &target) in row(state).iter().enumerate() {
                let target = target as usize;
                if depth[target] == UNSEEN {
                    depth[target] = depth[state] + 1;
                    parent[target] = (state as u32, byte as u8);
                    children[state] += 1;
                    order.push(target as u32);
                } else if depth[target] == depth[state] + 1 {
                    return None; // two parents: not a trie
                }
            }
        }
        if order.len() != states {
            return None; // a state the root never reaches
        }
        // Failure states, parents first: a child of the root fails to the root; any other child `c` of `p`
        // by byte `b` fails to where the table leads from `p`'s failure state by `b`.
        let mut fail = vec![0u32; states];
        for &state in &order[1..] {
            let state = state as usize;
            let (from, byte) = parent[state];
            if depth[state] > 1 {
                fail[state] = row(fail[from as usize] as usize)[byte as usize];
            }
        }
        // The check that makes the compact walk the table's: every byte that is not one of a state's own
        // edges leads where its failure state's row leads (by induction on depth, every lookup then agrees).
        for state in 1..states {
            let failed = fail[state] as usize;
            if rows[state] == rows[failed] {
                continue; // the same row (and then no edge of its own: a child would be deeper than the row's)
            }
            let depth_of_child = depth[state] + 1;
            for ((&mine, &theirs), byte) in row(state).iter().zip(row(failed)).zip(0u32..) {
                let own = depth[mine as usize] == depth_of_child && parent[mine as usize] == (state as u32, byte as u8);
                if !own && mine != theirs {
                    return None;
                }
            }
        }
        // The children of each state, by byte, from the parents.
        let mut first = vec![0u32; states + 1];
        for state in 0..states {
            first[state + 1] = first[state] + children[state];
        }
        let mut edges = vec![(0u8, 0u32); first[states] as usize];
        let mut filled = first.clone();
        for &state in &order[1..] {
            let (from, byte) = parent[state as usize];
            edges[filled[from as usize] as usize] = (byte, state);
            filled[from as usize] += 1;
        }
        // Row displacement, first fit, the states with most children first (the root's row is kept whole).
        // `free` finds the lowest free slot from a place (a union-find over the slots, so that the search
        // skips the slots taken; the slots past the end are free).
        let mut packing: Vec<u32> = (1..states as u32).filter(|&s| children[s as usize] > 0).collect();
        packing.sort_by_key(|&s| (std::cmp::Reverse(children[s as usize]), s));
        let mut slots: Vec<[u32; 2]> = Vec::new();
        let mut free: Vec<u32> = Vec::new();
        let mut bases = vec![0u32; states];
        // Where the last state of each number of children went: the next one's search starts there (the slots
        // before it are mostly taken, and trying each hole for a state of several children cost seconds).
        let mut hint = [0usize; 257];
        for &state in &packing {
            let mine = &mut edges[first[state as usize] as usize..first[state as usize + 1] as usize];
            mine.sort_unstable();
            let lead = mine[0].0 as usize;
            let mut slot = lowest_free(&mut free, lead.max(hint[mine.len()]));
            let base = loop {
                let base = slot - lead;
                if mine.iter().all(|&(byte, _)| slots.get(base + byte as usize).is_none_or(|s| s[0] == FREE)) {
                    break base;
                }
                slot = lowest_free(&mut free, slot + 1);
            };
            if slots.len() < base + 256 {
                slots.resize(base + 256, [FREE, 0]);
                let known = free.len() as u32;
                free.extend(known..slots.len() as u32);
            }
            for &(byte, child) in mine.iter() {
                slots[base + byte as usize] = [state, child];
                free[base + byte as usize] = (base + byte as usize + 1) as u32;
            }
            bases[state as usize] = base as u32;
            hint[mine.len()] = base + lead;
        }
        if slots.len() < 256 {
            slots.resize(256, [FREE, 0]); // every base + byte is inside (a state without children has base 0)
        }
        Compact::assemble(&bases, &fail, slots, output, row(0))
    }

    /// The compact automaton of its parts (as `build` makes them, or as a cache stored them), or None when
    /// they do not fit together: every slot a state's base and a byte reach is inside, every state named is
    /// one, and every chain of failure states ends at the root (so a walk never leaves the arrays nor loops).
    fn assemble(bases: &[u32], fails: &[u32], slots: Vec<[u32; 2]>, output: &[i32], root: &[u32]) -> Option<Compact> {
        let states = bases.len();
        let sizes = fails.len() == states && output.len() == states && root.len() == 256;
        if states == 0 || states >= FREE as usize || !sizes {
            return None;
        }
        let named = |state: u32| (state as usize) < states;
        if bases.iter().any(|&base| base as usize + 256 > slots.len())
            || !fails.iter().all(|&state| named(state))
            || !root.iter().all(|&state| named(state))
            || !slots.iter().all(|&[owner, next]| owner == FREE || (named(owner) && named(next)))
        {
            return None;
        }
        // 0: not known yet, 1: on the chain being followed, 2: its chain ends at the root.
        let mut ends = vec![0u8; states];
        ends[0] = 2;
        let mut chain = Vec::new();
        for start in 1..states {
            let mut state = start;
            while ends[state] == 0 {
                ends[state] = 1;
                chain.push(state);
                state = fails[state] as usize;
            }
            if ends[state] == 1 {
                return None; // a loop of failure states
            }
            for &on in &chain {
                ends[on] = 2;
            }
            chain.clear();
        }
        let info = (0..states).map(|s| StateInfo { base: bases[s], fail: fails[s], output: output[s] }).collect();
        let mut first = [0u32; 256];
        first.copy_from_slice(root);
        Some(Compact { states: info, slots, root: first })
    }

    /// The state after `byte` from `state` (the table's answer).
    #[inline(always)]
    fn step(&self, mut state: u32, byte: u8) -> u32 {
        loop {
            if state == 0 {
                return self.root[byte as usize];
            }
            let info = self.states[state as usize];
            let slot = self.slots[info.base as usize + byte as usize];
            if slot[0] == state {
                return slot[1];
            }
            state = info.fail;
        }
    }
}

/// Terms summed a block at a time: a block's rows (16 x 568 bytes) stay in the first-level cache while each
/// group of languages is summed over them, and the next block's rows are fetched meanwhile.
const BLOCK: usize = 16;
/// Languages summed together: their sums stay in registers over a block's terms (8 vectors of 4 f64).
const LANES: usize = 32;

/// `sums[j] += weight * table[row + j]` for every term `(row, weight)` and language `j`, each language's terms
/// added in the order given (blocks and lanes change which languages are summed together, never the order of
/// one language's terms: the sums are the same bits as one term at a time).
#[inline(always)]
fn add_terms_plain(sums: &mut [f64], table: &[f32], terms: &[(usize, f64)]) {
    let languages = sums.len();
    let blocks: Vec<&[(usize, f64)]> = terms.chunks(BLOCK).collect();
    for (number, block) in blocks.iter().enumerate() {
        if let Some(next) = blocks.get(number + 1) {
            prefetch(table, next, languages);
        }
        let mut start = 0;
        while start + LANES <= languages {
            let mut lanes = [0.0f64; LANES];
            lanes.copy_from_slice(&sums[start..start + LANES]);
            for &(row, weight) in block.iter() {
                let weights: &[f32; LANES] = table[row + start..row + start + LANES].try_into().expect("LANES weights");
                for (sum, w) in lanes.iter_mut().zip(weights) {
                    *sum += weight * f64::from(*w);
                }
            }
            sums[start..start + LANES].copy_from_slice(&lanes);
            start += LANES;
        }
        for &(row, weight) in block.iter() {
            for (sum, w) in sums[start..].iter_mut().zip(&table[row + start..row + languages]) {
                *sum += weight * f64::from(*w);
            }
        }
    }
}

/// Asks for the rows of `terms` to be brought into the cache (a hint: no effect on any result).
#[inline(always)]
fn prefetch(table: &[f32], terms: &[(usize, f64)], languages: usize) {
    #[cfg(target_arch = "x86_64")]
    for &(row, _) in terms {
        let weights = &table[row..row + languages];
        for line in weights.chunks(16) {
            // SAFETY: a prefetch reads nothing the program sees and cannot fault; the address is inside the table.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line.as_ptr().cast());
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (table, terms, languages);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_terms_avx2(sums: &mut [f64], table: &[f32], terms: &[(usize, f64)]) {
    // The same loops, compiled for four f64 lanes (no fused multiply-add: Rust never contracts one, and the
    // product is exact in f64 anyway), so the sums are the same bits as the plain loops'.
    add_terms_plain(sums, table, terms)
}

fn add_terms(sums: &mut [f64], table: &[f32], terms: &[(usize, f64)]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (detected just above; the answer is cached by std).
            return unsafe { add_terms_avx2(sums, table, terms) };
        }
    }
    add_terms_plain(sums, table, terms)
}

#[pymethods]
impl LanguageScorer {
    /// `transitions`: py3langid's `tk_nextmove` (a flat u32 buffer, borrowed); `rows`: each state's row
    /// (`tk_row`); `outputs`: each state's feature (-1: none); `weights`: float32 (features, languages) in C
    /// order (borrowed); `priors`: one per language; `labels`: each language's code, in column order.
    /// The meaning of the compacted automaton's arrays (`automaton`): a cache keys its copies by it, so this
    /// number changes with any change of what a base, a failure state or a slot means, or of their order.
    #[classattr]
    const AUTOMATON_LAYOUT: u32 = 1;

    /// `automaton`: the compacted automaton as `automaton` gave it (each state's base and failure state, and
    /// the slots as (owner, next) pairs, flat; u32 buffers), from a cache; without it, it is built from the
    /// table (about half a second).
    #[new]
    #[pyo3(signature = (transitions, rows, outputs, weights, priors, labels, automaton=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        transitions: &Bound<'_, PyAny>,
        rows: Vec<u32>,
        outputs: Vec<i32>,
        weights: &Bound<'_, PyAny>,
        priors: Vec<f32>,
        labels: Vec<String>,
        automaton: Option<(Bound<'_, PyAny>, Bound<'_, PyAny>, Bound<'_, PyAny>)>,
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
        let rows: Vec<u32> = rows.into_iter().map(|row| row << 8).collect();
        let pointer = next.as_slice_ptr().ok_or_else(|| invalid("the transition table is not readable"))?;
        // SAFETY: as in `transitions` (the buffer is held, C-contiguous u32, and no Python code runs meanwhile).
        let table = unsafe { pointer.as_ref() };
        let compact = match automaton {
            None => Compact::build(table, &rows, &outputs),
            Some((bases, fails, slots)) => {
                let read = |array: &Bound<'_, PyAny>| PyBuffer::<u32>::get(array).and_then(|b| b.to_vec(py));
                let (bases, fails, slots) = (read(&bases)?, read(&fails)?, read(&slots)?);
                let root = table.get(rows[0] as usize..rows[0] as usize + 256);
                let built = match (slots.len() % 2, root) {
                    (0, Some(root)) => {
                        let pairs = slots.chunks_exact(2).map(|pair| [pair[0], pair[1]]).collect();
                        Compact::assemble(&bases, &fails, pairs, &outputs, root)
                    }
                    _ => None,
                };
                Some(built.ok_or_else(|| invalid("the compacted automaton does not fit the model"))?)
            }
        };
        Ok(LanguageScorer {
            next,
            rows,
            output: outputs,
            weights,
            features,
            priors,
            labels: labels.iter().map(|label| PyString::intern(py, label).unbind()).collect(),
            aliases,
            compact,
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

    /// The compacted automaton (each state's base, its failure state, the slots as (owner, next) pairs, flat;
    /// u32 in native byte order), for a cache to give back to a new scorer; None when the table was walked as
    /// it is.
    #[getter]
    #[allow(clippy::type_complexity)]
    fn automaton<'py>(&self, py: Python<'py>) -> Option<(Bound<'py, PyBytes>, Bound<'py, PyBytes>, Bound<'py, PyBytes>)>
    {
        let compact = self.compact.as_ref()?;
        let bytes = |values: &mut dyn Iterator<Item = u32>| {
            let data: Vec<u8> = values.flat_map(u32::to_ne_bytes).collect();
            PyBytes::new(py, &data)
        };
        Some((
            bytes(&mut compact.states.iter().map(|info| info.base)),
            bytes(&mut compact.states.iter().map(|info| info.fail)),
            bytes(&mut compact.slots.iter().flatten().copied()),
        ))
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
