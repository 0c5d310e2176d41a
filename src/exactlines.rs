//! The exact-line rules' keys, as the line matcher's scan looks a line up among them.
//!
//! An exact-line rule matches a line whose normalised form, case-folded (Python's `str.casefold`), is its key.
//! ASCII lines fold by lowering their ASCII letters. A line past ASCII needs Unicode's full case folding, which
//! Rust's standard library lacks: when some key is past ASCII, the caller hands in Python's own folding of each
//! character it changes (`str.casefold` maps character by character, without context), and the scan folds the
//! line exactly and looks it up. Without that table (every key ASCII, as in the built-in rules), a line past
//! ASCII can only fold to a key when each of its other characters folds to ASCII: it is listed as possible
//! then, and Python looks it up. Before the table, a single key past ASCII made every line past ASCII
//! "possible", handing it to Python: with a user's rules in other languages, most lines of such a page.

use std::collections::HashMap;

use crate::{FastSet, FxHasher};

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

pub(crate) struct ExactLines {
    /// Every key (the lines normalised and case-folded).
    keys: FastSet<String>,
    /// Whether any key is past ASCII.
    non_ascii: bool,
    /// The non-ASCII characters whose full case folding is ASCII (used without `folds`).
    folds_to_ascii: FastSet<char>,
    /// Python's `str.casefold` of each character past ASCII it changes, when some key is past ASCII.
    folds: Option<FastMap<char, String>>,
}

impl ExactLines {
    pub(crate) fn new(keys: Vec<String>, folds_to_ascii: Vec<char>, folds: Option<Vec<(char, String)>>) -> Self {
        let non_ascii = keys.iter().any(|key| !key.is_ascii());
        ExactLines {
            keys: keys.into_iter().collect(),
            non_ascii,
            folds_to_ascii: folds_to_ascii.into_iter().collect(),
            folds: folds.filter(|_| non_ascii).map(|pairs| pairs.into_iter().collect()),
        }
    }

    /// Whether an exact-line rule may match the normalised line (exact for an ASCII line, and for any line
    /// when the folding table was given); `scratch` holds the folded line.
    pub(crate) fn possible(&self, normal: &str, scratch: &mut String) -> bool {
        scratch.clear();
        if normal.is_ascii() {
            scratch.extend(normal.chars().map(|c| c.to_ascii_lowercase()));
            return self.keys.contains(scratch.as_str());
        }
        match &self.folds {
            Some(folds) => {
                for c in normal.chars() {
                    if c.is_ascii() {
                        scratch.push(c.to_ascii_lowercase());
                    } else {
                        match folds.get(&c) {
                            Some(folded) => scratch.push_str(folded),
                            None => scratch.push(c),
                        }
                    }
                }
                self.keys.contains(scratch.as_str())
            }
            None => self.non_ascii || normal.chars().all(|c| c.is_ascii() || self.folds_to_ascii.contains(&c)),
        }
    }
}
