//! MinHash signatures of a text's word shingles, for the duplicate checks (`cleaner/run/dedup.py`).
//!
//! The values are those of rensa's `RMinHash` (its algorithm version 2), which wrote every signature part
//! before: signatures are output, compared across runs and versions, so they must not change. That
//! algorithm, as its own reference states it: each token is hashed (rustc-hash's `FxHasher` over its UTF-8
//! bytes); a coordinate's value is the least, over the tokens, of
//! - three bucket rounds: round `r` mixes the token's hash (SplitMix64's finaliser) into one coordinate
//!   (Lemire's multiply-shift, with rejection) and a rank, stored as `r << 30 | rank`;
//! - a fallback, for coordinates no round reaches: `3 << 30 | (a * h' + b) >> 34`, with the coordinate's
//!   permutation pair `(a, b)` and the token's hash mixed once more (`h'`).
//!
//! The permutation pairs come from xoshiro256++ seeded through SplitMix64, as rand_xoshiro seeds it. Rensa
//! takes faster paths (vector kernels, early exits, a filter for huge token sets) that all give this least
//! value; here the rounds run first and the fallback only for the coordinates they left empty, which gives
//! it too (every round's value is below every fallback's). A differential test compares with rensa.
//!
//! Shingles: `size` consecutive words joined by one space (all the words when there are no more than
//! that, the empty string when there are none), as `cleaner.core.corpus.shingles` makes them. An ASCII
//! text's words are found here; for another text the caller hands the words (Python's case folding and
//! Unicode word characters, which Rust's tables do not match for every code point).
//!
//! Pure: no I/O, no global state; a hasher is immutable once built.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyBytes;

/// SplitMix64's increment (the golden ratio), also the first step of its finaliser below.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
/// rustc-hash's multiplier and its two seeds for byte strings, and the constant that keeps a zero block
/// from collapsing its state.
const FX_K: u64 = 0xf135_7aea_2e62_a9c5;
const FX_SEED1: u64 = 0x243f_6a88_85a3_08d3;
const FX_SEED2: u64 = 0x1319_8a2e_0370_7344;
const FX_ZERO_GUARD: u64 = 0xa409_3822_299f_31d0;
/// Domain constants of the bucket rounds and of the fallback (rensa's, from the SHA-2 initial values).
const BUCKET_DOMAIN: u64 = 0x6a09_e667_f3bc_c909;
const ROUND_DOMAIN: u64 = 0x3c6e_f372_fe94_f82b;
const FALLBACK_DOMAIN: u64 = 0xbb67_ae85_84ca_a73b;
/// Bits of a stored value that say which round (0, 1, 2) or the fallback (3) set it.
const RANK_BITS: u32 = 2;
const ROUNDS: u32 = (1 << RANK_BITS) - 1;
const FALLBACK: u32 = ROUNDS << (32 - RANK_BITS);

/// SplitMix64's output function applied to `value` plus its increment: one step of its stream, and the
/// mixer of the bucket rounds.
#[inline]
fn splitmix(value: u64) -> u64 {
    let mut z = value.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The (a, b) pair of each permutation: xoshiro256++ whose state is the first four outputs of SplitMix64
/// started at `seed`; `a` made odd.
fn permutations(count: usize, seed: u64) -> Vec<(u64, u64)> {
    let mut state = [0u64; 4];
    for (step, word) in state.iter_mut().enumerate() {
        *word = splitmix(seed.wrapping_add(GOLDEN.wrapping_mul(step as u64)));
    }
    // (SplitMix64 never gives four zero words in a row, the one state xoshiro cannot start from.)
    let mut next = || {
        let result = state[0].wrapping_add(state[3]).rotate_left(23).wrapping_add(state[0]);
        let shifted = state[1] << 17;
        state[2] ^= state[0];
        state[3] ^= state[1];
        state[1] ^= state[2];
        state[0] ^= state[3];
        state[2] ^= shifted;
        state[3] = state[3].rotate_left(45);
        result
    };
    (0..count)
        .map(|_| {
            let a = next() | 1;
            (a, next())
        })
        .collect()
}

#[inline]
fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

#[inline]
fn read_u32(bytes: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes")))
}

/// The high and low halves of a full 64-bit product, folded together.
#[inline]
fn fold_product(x: u64, y: u64) -> u64 {
    let product = u128::from(x) * u128::from(y);
    (product as u64) ^ ((product >> 64) as u64)
}

/// A token's hash: rustc-hash 2's `FxHasher` after `write(bytes)`, then `finish()`.
fn token_hash(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let (mut s0, mut s1) = (FX_SEED1, FX_SEED2);
    if len <= 16 {
        if len >= 8 {
            s0 ^= read_u64(bytes, 0);
            s1 ^= read_u64(bytes, len - 8);
        } else if len >= 4 {
            s0 ^= read_u32(bytes, 0);
            s1 ^= read_u32(bytes, len - 4);
        } else if len > 0 {
            s0 ^= u64::from(bytes[0]);
            s1 ^= (u64::from(bytes[len - 1]) << 8) | u64::from(bytes[len / 2]);
        }
    } else {
        let mut at = 0;
        while at < len - 16 {
            let mixed = fold_product(s0 ^ read_u64(bytes, at), FX_ZERO_GUARD ^ read_u64(bytes, at + 8));
            s0 = s1;
            s1 = mixed;
            at += 16;
        }
        s0 ^= read_u64(bytes, len - 16);
        s1 ^= read_u64(bytes, len - 8);
    }
    let compressed = fold_product(s0, s1) ^ len as u64;
    compressed.wrapping_mul(FX_K).rotate_left(26)
}

/// The coordinate a round's mixed hash lands on among `count` (Lemire's multiply-shift; a product in the
/// short incomplete interval is mixed again, so every coordinate is equally likely).
#[inline]
fn coordinate(mut mixed: u64, count: u32) -> usize {
    let threshold = count.wrapping_neg() % count;
    loop {
        let product = u64::from(mixed as u32) * u64::from(count);
        if product as u32 >= threshold {
            return (product >> 32) as usize;
        }
        mixed = splitmix(mixed);
    }
}

/// Words joined by one space, and where each word starts and ends in that text.
#[derive(Default)]
struct Joined {
    text: Vec<u8>,
    bounds: Vec<(usize, usize)>,
}

impl Joined {
    fn clear(&mut self) {
        self.text.clear();
        self.bounds.clear();
    }

    fn push_word(&mut self, word: &[u8]) {
        if !self.bounds.is_empty() {
            self.text.push(b' ');
        }
        let start = self.text.len();
        self.text.extend_from_slice(word);
        self.bounds.push((start, self.text.len()));
    }

    /// An ASCII text's words (runs of ASCII letters, digits and `_`), lower-cased.
    fn ascii_words(&mut self, text: &[u8]) {
        self.clear();
        let mut inside = false;
        for &byte in text {
            if byte.is_ascii_alphanumeric() || byte == b'_' {
                if !inside {
                    if !self.bounds.is_empty() {
                        self.text.push(b' ');
                    }
                    self.bounds.push((self.text.len(), 0));
                    inside = true;
                }
                self.text.push(byte.to_ascii_lowercase());
            } else if inside {
                self.close_word();
                inside = false;
            }
        }
        if inside {
            self.close_word();
        }
    }

    fn close_word(&mut self) {
        let end = self.text.len();
        if let Some(last) = self.bounds.last_mut() {
            last.1 = end;
        }
    }

    /// The hash of each shingle of `size` words.
    fn shingle_hashes(&self, size: usize, hashes: &mut Vec<u64>) {
        hashes.clear();
        let words = self.bounds.len();
        if words <= size {
            // All the words as one shingle; none: the empty string (what signed an empty text before).
            hashes.push(token_hash(&self.text));
            return;
        }
        hashes.extend((0..=words - size).map(|first| {
            token_hash(&self.text[self.bounds[first].0..self.bounds[first + size - 1].1])
        }));
    }
}

/// Each coordinate's least `a * h' + b` over the tokens (`h'`: a token's hash mixed for the fallback), lowered
/// into `least`: the short text's fallback loop, token by token over every coordinate at once.
#[inline(always)]
fn fallback_least_plain(least: &mut [u64], multipliers: &[u64], offsets: &[u64], hashes: &[u64], a0: u64) {
    for &hash in hashes {
        let mixed = splitmix(hash ^ a0 ^ FALLBACK_DOMAIN);
        for ((low, &a), &b) in least.iter_mut().zip(multipliers).zip(offsets) {
            *low = (*low).min(a.wrapping_mul(mixed).wrapping_add(b));
        }
    }
}

/// [`fallback_least_plain`] compiled for AVX2 (four coordinates a step): the same integer arithmetic, so the
/// same values; a tiny record's signature spends most of its time in this loop.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fallback_least_avx2(least: &mut [u64], multipliers: &[u64], offsets: &[u64], hashes: &[u64], a0: u64) {
    fallback_least_plain(least, multipliers, offsets, hashes, a0);
}

fn fallback_least(least: &mut [u64], multipliers: &[u64], offsets: &[u64], hashes: &[u64], a0: u64) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { fallback_least_avx2(least, multipliers, offsets, hashes, a0) };
        }
    }
    fallback_least_plain(least, multipliers, offsets, hashes, a0);
}

/// Signs word shingles: a MinHash of `num_perm` values with a seed, as rensa's `RMinHash(num_perm, seed)`.
#[pyclass(frozen, module = "cleaner._native")]
struct MinHasher {
    permutations: Vec<(u64, u64)>,
    /// The permutations' `a` and `b` apart, for the fallback's loop over every coordinate at once.
    multipliers: Vec<u64>,
    offsets: Vec<u64>,
    /// Words a shingle holds.
    shingle_words: usize,
}

impl MinHasher {
    /// The signature of a set of token hashes (each coordinate's least value, see the module's notes).
    fn sign(&self, hashes: &[u64], values: &mut [u32]) {
        values.fill(u32::MAX);
        let (a0, b0) = self.permutations[0];
        let count = self.permutations.len() as u32;
        for &hash in hashes {
            for round in 0..ROUNDS {
                let mixed = splitmix(hash ^ b0 ^ BUCKET_DOMAIN ^ u64::from(round).wrapping_mul(ROUND_DOMAIN));
                let rank = (round << (32 - RANK_BITS)) | (mixed >> (32 + RANK_BITS)) as u32;
                let value = &mut values[coordinate(mixed, count)];
                *value = (*value).min(rank);
            }
        }
        // Only the coordinates no round reached take the fallback: a round's value is always below it.
        if !values.contains(&u32::MAX) || hashes.is_empty() {
            return;
        }
        let unreached = values.iter().filter(|&&value| value == u32::MAX).count();
        if unreached * 5 < values.len() * 2 {
            // Most coordinates reached (a longer text): the tokens' least value for each of the others (below
            // about 40% left, a loop over those few is faster than the loop over every coordinate below).
            let mixed: Vec<u64> = hashes.iter().map(|&hash| splitmix(hash ^ a0 ^ FALLBACK_DOMAIN)).collect();
            for (value, &(a, b)) in values.iter_mut().zip(&self.permutations) {
                if *value == u32::MAX {
                    let least = mixed.iter().map(|&h| a.wrapping_mul(h).wrapping_add(b)).min().unwrap_or(u64::MAX);
                    *value = FALLBACK | (least >> (32 + RANK_BITS)) as u32;
                }
            }
            return;
        }
        // Fewer reached (a short or middling text): each coordinate's least `a * h' + b` over the tokens,
        // every coordinate at once (a branch-free loop over the coordinates, token by token, four lanes a
        // step with AVX2), kept where no round reached; the same least values, faster than a token loop per
        // coordinate unless most were reached (8 words 1.07 -> 0.71 us, 30 words 3.3 -> 2.3 us a signature).
        let mut least = vec![u64::MAX; values.len()];
        fallback_least(&mut least, &self.multipliers, &self.offsets, hashes, a0);
        for (value, &low) in values.iter_mut().zip(&least) {
            if *value == u32::MAX {
                *value = FALLBACK | (low >> (32 + RANK_BITS)) as u32;
            }
        }
    }

    fn signature_bytes<'py>(&self, py: Python<'py>, hashes: &[u64]) -> Bound<'py, PyBytes> {
        let mut values = vec![0u32; self.permutations.len()];
        self.sign(hashes, &mut values);
        let mut bytes = Vec::with_capacity(values.len() * 4);
        for value in &values {
            bytes.extend_from_slice(&value.to_ne_bytes());
        }
        PyBytes::new(py, &bytes)
    }
}

#[pymethods]
impl MinHasher {
    #[new]
    fn new(num_perm: usize, seed: u64, shingle_words: usize) -> PyResult<Self> {
        if num_perm == 0 || u32::try_from(num_perm).is_err() {
            return Err(PyValueError::new_err(format!("num_perm must be in 1..2**32, got {num_perm}")));
        }
        if shingle_words == 0 {
            return Err(PyValueError::new_err("shingle_words must be at least 1"));
        }
        let permutations = permutations(num_perm, seed);
        let multipliers = permutations.iter().map(|&(a, _)| a).collect();
        let offsets = permutations.iter().map(|&(_, b)| b).collect();
        Ok(MinHasher { permutations, multipliers, offsets, shingle_words })
    }

    /// The signature of an ASCII text's shingles, as `num_perm` unsigned 32-bit integers in the machine's
    /// byte order; None when the text is not ASCII (then its words go to `signature_of_words`).
    fn signature<'py>(&self, py: Python<'py>, text: &str) -> Option<Bound<'py, PyBytes>> {
        if !text.is_ascii() {
            return None;
        }
        let mut joined = Joined::default();
        joined.ascii_words(text.as_bytes());
        let mut hashes = Vec::new();
        joined.shingle_hashes(self.shingle_words, &mut hashes);
        Some(self.signature_bytes(py, &hashes))
    }

    /// `signature` of each text, in one call (a chunk of records at a time): a list of the signatures, None
    /// for each text that is not ASCII.
    fn signatures<'py>(&self, py: Python<'py>, texts: Vec<PyBackedStr>) -> Vec<Option<Bound<'py, PyBytes>>> {
        let mut joined = Joined::default();
        let mut hashes = Vec::new();
        texts
            .iter()
            .map(|text| {
                if !text.is_ascii() {
                    return None;
                }
                joined.ascii_words(text.as_bytes());
                joined.shingle_hashes(self.shingle_words, &mut hashes);
                Some(self.signature_bytes(py, &hashes))
            })
            .collect()
    }

    /// The signature of the shingles of these words (a text's words as the caller found them).
    fn signature_of_words<'py>(&self, py: Python<'py>, words: Vec<PyBackedStr>) -> Bound<'py, PyBytes> {
        let mut joined = Joined::default();
        for word in &words {
            joined.push_word(word.as_bytes());
        }
        let mut hashes = Vec::new();
        joined.shingle_hashes(self.shingle_words, &mut hashes);
        self.signature_bytes(py, &hashes)
    }

    /// The signature of a set of tokens as they are (no shingles), as rensa's `RMinHash.update(tokens)`
    /// gives it: what the tests compare with rensa.
    fn signature_of_tokens<'py>(&self, py: Python<'py>, tokens: Vec<PyBackedStr>) -> Bound<'py, PyBytes> {
        let hashes: Vec<u64> = tokens.iter().map(|token| token_hash(token.as_bytes())).collect();
        self.signature_bytes(py, &hashes)
    }
}

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<MinHasher>()
}
