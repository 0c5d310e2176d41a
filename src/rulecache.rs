//! The line matcher's multi-pattern set, built for what the matcher asks and nothing more.
//!
//! The matcher only asks which anchored patterns (`\A(?:..)\z`) match a whole line. `regex::RegexSet`
//! answers that, but builds a reverse automaton beside the forward one (for finding where matches start,
//! which a set never reports) and a meta engine around them: about a third of the cost of building the
//! built-in rules' set. Here: one forward Thompson NFA, a lazy DFA over it (the engine `RegexSet` itself
//! uses for this question), and a PikeVM over the same NFA for the rare search the lazy DFA gives up on.
//! Same syntax, same limits, same answers (tests/test_native_matcher.py compares them with Python `regex`).

use std::sync::Mutex;

pub use regex_automata::hybrid::dfa::Cache as DfaCache;
use regex_automata::hybrid::dfa::DFA;
pub use regex_automata::nfa::thompson::pikevm::Cache as VmCache;
use regex_automata::nfa::thompson::pikevm::PikeVM;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::{Anchored, Input, MatchKind, PatternSet};

/// Anchored patterns, each matched against whole lines.
pub struct LineSet {
    dfa: DFA,
    pikevm: PikeVM,
    /// Search caches for the threads that scan at once (a cache is per search, reused).
    caches: Mutex<Vec<(DfaCache, VmCache)>>,
}

impl LineSet {
    /// `size_limit`: the compiled NFA's limit; `cache_capacity`: the lazy DFA's (the limits `RegexSetBuilder`
    /// took as `size_limit` and `dfa_size_limit`).
    pub fn new(patterns: &[String], size_limit: usize, cache_capacity: usize) -> Result<Self, String> {
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().nfa_size_limit(Some(size_limit)).which_captures(WhichCaptures::None))
            .build_many(patterns)
            .map_err(|error| error.to_string())?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(cache_capacity)
                    // A Unicode word boundary (translations drop them) makes the DFA quit on text past
                    // ASCII; the PikeVM answers then.
                    .unicode_word_boundary(true),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|error| error.to_string())?;
        let pikevm = PikeVM::builder()
            .configure(PikeVM::config().match_kind(MatchKind::All))
            .build_from_nfa(nfa)
            .map_err(|error| error.to_string())?;
        Ok(LineSet { dfa, pikevm, caches: Mutex::new(Vec::new()) })
    }

    /// Search caches for one call (a scan of a document's lines); hand them back with [`LineSet::release`].
    pub fn caches(&self) -> (DfaCache, VmCache) {
        let reused = self.caches.lock().map(|mut pool| pool.pop()).unwrap_or(None);
        reused.unwrap_or_else(|| (self.dfa.create_cache(), self.pikevm.create_cache()))
    }

    pub fn release(&self, caches: (DfaCache, VmCache)) {
        if let Ok(mut pool) = self.caches.lock() {
            pool.push(caches);
        }
    }

    /// Whether any pattern matches `text` (a search that stops at the first match found).
    pub fn is_match(&self, text: &str, caches: &mut (DfaCache, VmCache)) -> bool {
        let input = Input::new(text).anchored(Anchored::Yes).earliest(true);
        match self.dfa.try_search_fwd(&mut caches.0, &input) {
            Ok(found) => found.is_some(),
            Err(_) => self.pikevm.is_match(&mut caches.1, input),
        }
    }

    /// The patterns that match `text` (positions in the order given), into `found` (cleared first).
    pub fn matches(&self, text: &str, caches: &mut (DfaCache, VmCache), found: &mut PatternSet) {
        found.clear();
        let input = Input::new(text).anchored(Anchored::Yes);
        if self.dfa.try_which_overlapping_matches(&mut caches.0, &input, found).is_err() {
            found.clear();
            self.pikevm.which_overlapping_matches(&mut caches.1, &input, found);
        }
    }

    pub fn pattern_set(&self) -> PatternSet {
        PatternSet::new(self.dfa.pattern_len())
    }
}
