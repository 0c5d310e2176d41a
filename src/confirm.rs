//! Native confirmation of a rule pattern on one line: the whole-line match, with what its named groups
//! captured, as Python `regex` would find it.
//!
//! `cleaner/core/translate.py` writes a pattern for it only when the translation is exact, capture spans
//! included (bounded repeats kept, laziness kept, named groups kept; lookarounds only where a check at the
//! line's start or end says the same). Two things it cannot prove for every line are checked here, per line:
//! a pattern with a word boundary is answered only on lines without a character the two engines' `\w` (and so
//! `\b`) disagree on; on the others the answer is "unknown" and Python `regex` confirms.
//!
//! Bounded: the regex crate's engines run in time linear in the line (no backtracking blow-up), and each
//! pattern's compiled size is capped, so a hostile pattern fails to build (and stays Python's, with its time
//! bound) instead of running long.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBool, PyDict, PyString, PyTuple};
use regex::{Regex, RegexBuilder};
use regex_automata::hybrid::dfa::{Cache as DfaCache, OverlappingState, DFA};
use regex_automata::meta::Regex as MetaRegex;
use regex_automata::nfa::thompson::backtrack::{BoundedBacktracker, Cache as TrackCache};
use regex_automata::nfa::thompson::pikevm::{Cache as VmCache, PikeVM};
use regex_automata::nfa::thompson::{self, NFA};
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input, MatchKind, PatternID};
use regex_syntax::hir::{Capture, Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Literal, Repetition};

/// A cap on one pattern's compiled program: far above any built-in pattern's (the largest, bounded repeats of
/// Unicode classes, are a few MB), far below what would make building a rule set slow.
const SIZE_LIMIT: usize = 64 << 20;
/// The lazy DFA's cache per pattern (its default): a line is short, and a search that fills it falls back to
/// the linear-time engines, so this bounds memory, not correctness.
const DFA_SIZE_LIMIT: usize = 2 << 20;

fn build(pattern: &str) -> PyResult<Regex> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .build()
        .map_err(|error| PyValueError::new_err(error.to_string()))
}

/// The most places an arm's walk keeps at once (see [`Arm`]): past it the line is Python's, so a pattern
/// whose parts can end almost anywhere costs no more than a few hundred anchored searches a step.
const MOST_PLACES: usize = 256;
/// The lazy DFA's cache of one part of an arm (or the least it can work with, when larger): parts are short
/// pieces of a pattern, met on few lines.
const PART_CACHE: usize = 2 << 20;

/// One step of an [`Arm`].
enum Step {
    /// A lookaround-free part of the pattern: every place a match of it started at a kept place may end.
    Part(Box<(DFA, Mutex<Option<DfaCache>>)>),
    /// A lookahead (or a word boundary moved out of a part): the places where it holds (positive) or not.
    Ahead { positive: bool, pattern: MetaRegex },
    /// A lookbehind the arm ends with: it stands at the line's end, where the pattern is searched as written
    /// (`(?:..)\z`).
    BehindEnd { positive: bool, pattern: Regex },
}

/// One way through a pattern with lookaheads inside it, as the places (byte offsets) reached after each step:
/// the line matches the arm when its end is among the places after the last one. Python's backtracking
/// finds a whole-line match whenever some way through the pattern has one, and a lookahead holds at a place
/// when its body matches there, whatever follows: so the set of places reached is the verdict, exactly (the
/// parts' own matches are the exact translation's; no named group is reported: only a verdict is given).
struct Arm {
    steps: Vec<Step>,
}

impl Arm {
    fn new(steps: &[(u8, String)]) -> PyResult<Self> {
        let error = |error: String| PyValueError::new_err(error);
        let steps = steps
            .iter()
            .map(|(kind, pattern)| match kind {
                0 => {
                    let dfa = DFA::builder()
                        .configure(DFA::config().match_kind(MatchKind::All).unicode_word_boundary(true)
                            .cache_capacity(PART_CACHE).skip_cache_capacity_check(true))
                        .thompson(thompson::Config::new().nfa_size_limit(Some(SIZE_LIMIT)))
                        .build(pattern)
                        .map_err(|e| error(e.to_string()))?;
                    let cache = Mutex::new(None); // made on first use
                    Ok(Step::Part(Box::new((dfa, cache))))
                }
                1 | 2 => Ok(Step::Ahead {
                    positive: *kind == 1,
                    pattern: MetaRegex::builder()
                        .configure(MetaRegex::config().nfa_size_limit(Some(SIZE_LIMIT)))
                        .build(pattern)
                        .map_err(|e| error(e.to_string()))?,
                }),
                3 | 4 => Ok(Step::BehindEnd { positive: *kind == 3, pattern: build(pattern)? }),
                _ => Err(error(format!("no step of kind {kind}"))),
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Arm { steps })
    }

    /// Whether the line matches the arm as a whole; None when the answer is Python's (a part's lazy DFA gave
    /// up on a word boundary past ASCII, or too many places).
    fn matches(&self, line: &str) -> Option<bool> {
        let mut places: Vec<usize> = vec![0];
        let mut next: Vec<usize> = Vec::new();
        for step in &self.steps {
            match step {
                Step::Part(part) => {
                    let (dfa, cache) = &**part;
                    // (One cache a part, held for the walk; a caller on another thread builds its own.)
                    let mut fresh = None;
                    let mut guard = cache.try_lock().ok();
                    let cache = match guard.as_deref_mut() {
                        Some(slot) => slot.get_or_insert_with(|| dfa.create_cache()),
                        None => fresh.insert(dfa.create_cache()),
                    };
                    next.clear();
                    for &place in &places {
                        let input = Input::new(line).range(place..).anchored(Anchored::Yes);
                        let mut state = OverlappingState::start();
                        loop {
                            dfa.try_search_overlapping_fwd(cache, &input, &mut state).ok()?;
                            match state.get_match() {
                                Some(found) => next.push(found.offset()),
                                None => break,
                            }
                        }
                    }
                    next.sort_unstable();
                    next.dedup();
                    if next.len() > MOST_PLACES {
                        return None;
                    }
                    std::mem::swap(&mut places, &mut next);
                }
                Step::Ahead { positive, pattern } => places.retain(|&place| {
                    pattern.is_match(Input::new(line).range(place..).anchored(Anchored::Yes)) == *positive
                }),
                Step::BehindEnd { positive, pattern } => {
                    places.retain(|&place| place == line.len());
                    if !places.is_empty() && pattern.is_match(line) != *positive {
                        places.clear();
                    }
                }
            }
            if places.is_empty() {
                return Some(false);
            }
        }
        Some(places.contains(&line.len()))
    }
}

/// A whole-line pattern (`\A(?:..)\z`): one forward NFA, read by a lazy DFA for the verdict and by a bounded
/// backtracker (a line short enough for its bounded memory) or a PikeVM for the captures (the PikeVM also for
/// the verdict where the DFA gives up: a Unicode word boundary past ASCII, or a cache that keeps filling).
/// The regex crate's `Regex` would also build the reverse NFA it finds a match's start with, two thirds of its
/// memory on these patterns (Unicode classes in bounded repeats, each count a copy); a whole-line match
/// starts at the line's start, so none is needed. The engines read the NFA leftmost-first, as that `Regex`
/// does with them.
struct Whole {
    dfa: DFA,
    vm: PikeVM,
    /// The captures of a line short enough for its bounded memory (as the regex crate does: far faster than
    /// the PikeVM on a short line).
    track: BoundedBacktracker,
    /// Caches made on first use (a pattern's cache grows with its NFA; most patterns meet few lines).
    dfa_cache: Mutex<Option<DfaCache>>,
    vm_cache: Mutex<Option<VmCache>>,
    track_cache: Mutex<Option<TrackCache>>,
}

impl Whole {
    fn new(pattern: &str) -> PyResult<Self> {
        let nfa = NFA::compiler()
            .configure(thompson::Config::new().nfa_size_limit(Some(SIZE_LIMIT)))
            .build(pattern)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Self::from_nfa(nfa)
    }

    /// The engines over an NFA (compiled from the pattern, or rebuilt from its compiled form).
    fn from_nfa(nfa: NFA) -> PyResult<Self> {
        let error = |error: String| PyValueError::new_err(error);
        // The regex crate's settings for its lazy DFA: it gives up (here: the PikeVM answers) rather than
        // rebuild its states over and over.
        let dfa = DFA::builder()
            .configure(DFA::config().unicode_word_boundary(true).cache_capacity(DFA_SIZE_LIMIT)
                .skip_cache_capacity_check(true).minimum_cache_clear_count(Some(3))
                .minimum_bytes_per_state(Some(10)))
            .build_from_nfa(nfa.clone())
            .map_err(|e| error(e.to_string()))?;
        let track = BoundedBacktracker::builder().build_from_nfa(nfa.clone()).map_err(|e| error(e.to_string()))?;
        let vm = PikeVM::builder().build_from_nfa(nfa).map_err(|e| error(e.to_string()))?;
        Ok(Whole { dfa, vm, track, dfa_cache: Mutex::new(None), vm_cache: Mutex::new(None),
                   track_cache: Mutex::new(None) })
    }

    fn is_match(&self, line: &str) -> bool {
        let input = Input::new(line).anchored(Anchored::Yes).earliest(true);
        let found = {
            let mut guard = self.dfa_cache.try_lock().ok();
            let mut spare = None;
            let cache = match guard.as_deref_mut() {
                Some(slot) => slot.get_or_insert_with(|| self.dfa.create_cache()),
                None => spare.insert(self.dfa.create_cache()),
            };
            self.dfa.try_search_fwd(cache, &input)
        };
        match found {
            Ok(found) => found.is_some(),
            Err(_) => {
                let mut guard = self.vm_cache.try_lock().ok();
                let mut spare = None;
                let cache = match guard.as_deref_mut() {
                    Some(slot) => slot.get_or_insert_with(|| self.vm.create_cache()),
                    None => spare.insert(self.vm.create_cache()),
                };
                self.vm.is_match(cache, input)
            }
        }
    }

    /// The whole-line match's groups (None: no match).
    fn captures(&self, line: &str) -> Option<Captures> {
        if !self.is_match(line) {
            return None;
        }
        let input = Input::new(line).anchored(Anchored::Yes);
        if line.len() <= self.track.max_haystack_len() {
            let mut guard = self.track_cache.try_lock().ok();
            let mut spare = None;
            let cache = match guard.as_deref_mut() {
                Some(slot) => slot.get_or_insert_with(|| self.track.create_cache()),
                None => spare.insert(self.track.create_cache()),
            };
            let mut found = self.track.create_captures();
            if self.track.try_captures(cache, input.clone(), &mut found).is_ok() {
                return found.is_match().then_some(found);
            }
        }
        let mut guard = self.vm_cache.try_lock().ok();
        let mut spare = None;
        let cache = match guard.as_deref_mut() {
            Some(slot) => slot.get_or_insert_with(|| self.vm.create_cache()),
            None => spare.insert(self.vm.create_cache()),
        };
        let mut found = self.vm.create_captures();
        self.vm.captures(cache, input, &mut found);
        found.is_match().then_some(found)
    }

    fn group_index(&self, name: &str) -> Option<usize> {
        self.vm.get_nfa().group_info().to_index(PatternID::ZERO, name)
    }
}

/// The characters of the cut ([`common_cut`]): ASCII, the Latin letters of Latin-1 and Latin Extended-A and
/// B, and the general punctuation (typographic quotes and dashes), which nearly every line of Latin-script
/// text is written in.
const CUT: [(char, char); 2] = [('\0', '\u{24F}'), ('\u{2000}', '\u{206F}')];

/// Whether every character of the line is of the cut.
fn in_cut(line: &str) -> bool {
    line.is_ascii() || line.chars().all(|c| CUT.iter().any(|&(low, high)| low <= c && c <= high))
}

/// The pattern with every class and literal cut to the characters of [`CUT`]: on a line of those characters
/// only, the same matches with the same captures (a class or literal only ever matches characters of the line,
/// and a literal with another character none; a word boundary is read from the line's own characters; the
/// groups keep their indices and names), and far smaller to compile: a Unicode class such as `\w` is hundreds
/// of UTF-8 states, each count of a bounded repeat a copy of them.
fn common_cut(hir: &Hir) -> Hir {
    match hir.kind() {
        // (A class of bytes, which the translation never writes, is kept whole: exact on any line.)
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(Class::Bytes(_)) => hir.clone(),
        HirKind::Literal(Literal(bytes)) => match std::str::from_utf8(bytes) {
            Ok(text) if in_cut(text) => hir.clone(),
            _ => Hir::fail(),
        },
        HirKind::Class(Class::Unicode(class)) => {
            let mut cut = class.clone();
            cut.intersect(&ClassUnicode::new(CUT.iter().map(|&(low, high)| ClassUnicodeRange::new(low, high))));
            Hir::class(Class::Unicode(cut))
        }
        HirKind::Repetition(repetition) => Hir::repetition(Repetition {
            sub: Box::new(common_cut(&repetition.sub)),
            ..repetition.clone()
        }),
        HirKind::Capture(capture) => Hir::capture(Capture { sub: Box::new(common_cut(&capture.sub)), ..capture.clone() }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(common_cut).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(common_cut).collect()),
    }
}

/// The whole-line match: on a line of the cut's characters (nearly every line of Latin-script text), the
/// pattern cut to them ([`common_cut`]); on another, the pattern itself, compiled the first time such a line
/// comes (None: past the size bound, the line is Python's).
struct Main {
    cut: Whole,
    full: OnceLock<Option<Whole>>,
    pattern: String,
}

impl Main {
    fn new(pattern: &str) -> PyResult<Self> {
        let error = |error: String| PyValueError::new_err(error);
        let hir = regex_automata::util::syntax::parse(pattern).map_err(|e| error(e.to_string()))?;
        let cut = NFA::compiler()
            .configure(thompson::Config::new().nfa_size_limit(Some(SIZE_LIMIT)))
            .build_from_hir(&common_cut(&hir))
            .map_err(|e| error(e.to_string()))
            .and_then(Whole::from_nfa);
        // The cut must hold the pattern's groups as they are (a smart constructor may have folded a group that
        // can never match away): else the pattern itself serves every line.
        let groups = |whole: &Whole| {
            let info = whole.vm.get_nfa().group_info();
            info.pattern_names(PatternID::ZERO).map(|name| name.map(str::to_owned)).collect::<Vec<_>>()
        };
        let expected: Vec<Option<String>> = {
            let mut names = vec![None];
            names.extend(hir_groups(&hir));
            names
        };
        match cut {
            Ok(cut) if groups(&cut) == expected => {
                Ok(Main { cut, full: OnceLock::new(), pattern: pattern.to_owned() })
            }
            _ => {
                let nfa = NFA::compiler()
                    .configure(thompson::Config::new().nfa_size_limit(Some(SIZE_LIMIT)))
                    .build_from_hir(&hir)
                    .map_err(|e| error(e.to_string()))?;
                let whole = Whole::from_nfa(nfa)?;
                let cut = Whole::from_nfa(whole.vm.get_nfa().clone())?;
                Ok(Main { cut, full: OnceLock::from(Some(whole)), pattern: pattern.to_owned() })
            }
        }
    }

    /// The engines for this line (None: the line is Python's).
    fn for_line(&self, line: &str) -> Option<&Whole> {
        if in_cut(line) {
            return Some(&self.cut);
        }
        self.full.get_or_init(|| Whole::new(&self.pattern).ok()).as_ref()
    }

    /// Whether the pattern itself compiles (compiling it now if not yet done).
    fn full_compiles(&self) -> bool {
        self.full.get_or_init(|| Whole::new(&self.pattern).ok()).is_some()
    }

    fn group_index(&self, name: &str) -> Option<usize> {
        self.cut.group_index(name)
    }
}

/// The names of a pattern's explicit groups, in index order (None: unnamed).
fn hir_groups(hir: &Hir) -> Vec<Option<String>> {
    fn walk(hir: &Hir, found: &mut Vec<(u32, Option<String>)>) {
        match hir.kind() {
            HirKind::Capture(capture) => {
                found.push((capture.index, capture.name.as_deref().map(str::to_owned)));
                walk(&capture.sub, found);
            }
            HirKind::Repetition(repetition) => walk(&repetition.sub, found),
            HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().for_each(|sub| walk(sub, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(hir, &mut found);
    found.sort_by_key(|(index, _)| *index);
    found.dedup_by_key(|(index, _)| *index);
    found.into_iter().map(|(_, name)| name).collect()
}

/// One condition at a fixed place of every match: a lookahead at the line's start or a lookbehind at its end.
struct Check {
    /// Whether the condition is that the pattern matches (a positive lookaround) or that it does not.
    positive: bool,
    /// The lookaround's body, anchored where it looks (`\A(?:..)` at the start, `(?:..)\z` at the end).
    pattern: Regex,
}

/// A pattern compiled: the whole-line match, its named groups' indices (in the caller's order), its checks.
struct Compiled {
    main: Main,
    groups: Vec<usize>,
    checks: Vec<Check>,
    /// The ways through the pattern that hold a lookahead (the others are `main`): a line matches when `main`
    /// or one of them does.
    arms: Vec<Arm>,
    /// Lookaheads inside the pattern at a place every whole-line match passes at the same offset (see
    /// [`Junction`]): `main` holds an empty group there instead.
    junctions: Vec<Junction>,
    /// For the one junction, when the part of the pattern before it may end at several places (see [`Places`]).
    places: Option<Places>,
}

/// A junction (the only one of its pattern) whose preceding part may end at several places of a line (REL110's
/// `\s*` before its lookahead), a part that captures nothing. `main`'s match is Python's when the lookahead
/// holds at its place; when it does not, Python goes on to the next way through the pattern in its order, and
/// the ones that succeed leave the part at a place where the lookahead holds and the rest of the pattern matches
/// up to the line's end. Those places are read here: every end of the part (its automaton, every match
/// reported), kept where the lookahead holds and the rest matches there. None: no match; one: the rest's match
/// from it (every named group is in the rest, and the rest's first match from a place does not depend on the
/// way the part took to it); more: which of them Python meets first is Python's to say.
struct Places {
    before: Box<(DFA, Mutex<Option<DfaCache>>)>,
    /// The pattern after the junction, anchored at a place, up to the line's end (`(?:..)\z`).
    rest: MetaRegex,
    /// The index in `rest` of each group of [`Compiled::groups`] (`usize::MAX`: never takes part).
    groups: Vec<usize>,
}

/// A whole-line match's groups and where to read each named group of [`Compiled::groups`] in them.
enum Resolved<'a> {
    No,
    /// Python's to say.
    Unsure,
    Yes(Captures, &'a [usize]),
}

/// A lookahead inside a pattern with named groups, where the part of the pattern before it can end at one
/// place of a line only (the translator proves it with [`prefix_free`]): every whole-line match of the
/// pattern passes that place, so the lookahead holds for all of them or for none. `main` then matches the
/// pattern without it (Python's first match among the ways through it is `main`'s) and holds an empty group
/// at its place; the line matches when `main` does and the lookahead holds at that group's offset.
struct Junction {
    positive: bool,
    /// The lookahead's body, searched anchored at the place.
    pattern: MetaRegex,
    /// The empty group's index in `main`.
    group: usize,
}

impl Compiled {
    fn new(main: Main, names: &[String], checks: &[(bool, String)], arms: &[Vec<(u8, String)>],
           junctions: &[(bool, String, String)], places: Option<&(String, String)>) -> PyResult<Self> {
        let mut groups = Vec::with_capacity(names.len());
        for name in names {
            if name.is_empty() {
                groups.push(usize::MAX); // a group that never takes part (inside a negative lookaround)
                continue;
            }
            let index = main
                .group_index(name)
                .ok_or_else(|| PyValueError::new_err(format!("no group named {name}")))?;
            groups.push(index);
        }
        let checks = checks
            .iter()
            .map(|(positive, pattern)| Ok(Check { positive: *positive, pattern: build(pattern)? }))
            .collect::<PyResult<Vec<_>>>()?;
        let arms = arms.iter().map(|steps| Arm::new(steps)).collect::<PyResult<Vec<_>>>()?;
        if !arms.is_empty() && !groups.is_empty() {
            return Err(PyValueError::new_err("arms give a verdict only: no named group"));
        }
        let junctions = junctions
            .iter()
            .map(|(positive, pattern, marker)| {
                let group = main
                    .group_index(marker)
                    .ok_or_else(|| PyValueError::new_err(format!("no group named {marker}")))?;
                let pattern = MetaRegex::builder()
                    .configure(MetaRegex::config().nfa_size_limit(Some(SIZE_LIMIT)))
                    .build(pattern)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                Ok(Junction { positive: *positive, pattern, group })
            })
            .collect::<PyResult<Vec<_>>>()?;
        if !arms.is_empty() && !junctions.is_empty() {
            return Err(PyValueError::new_err("arms and junctions do not go together"));
        }
        let places = match places {
            None => None,
            Some(_) if junctions.len() != 1 => {
                return Err(PyValueError::new_err("a junction at several places is its pattern's only one"));
            }
            Some((before, rest)) => {
                let error = |error: String| PyValueError::new_err(error);
                let dfa = DFA::builder()
                    .configure(DFA::config().match_kind(MatchKind::All).cache_capacity(PART_CACHE)
                        .skip_cache_capacity_check(true))
                    .thompson(thompson::Config::new().nfa_size_limit(Some(SIZE_LIMIT)))
                    .build(before)
                    .map_err(|e| error(e.to_string()))?;
                let rest = MetaRegex::builder()
                    .configure(MetaRegex::config().nfa_size_limit(Some(SIZE_LIMIT)))
                    .build(rest)
                    .map_err(|e| error(e.to_string()))?;
                let mut indices = Vec::with_capacity(names.len());
                for name in names {
                    if name.is_empty() {
                        indices.push(usize::MAX);
                        continue;
                    }
                    let index = rest
                        .group_info()
                        .to_index(PatternID::ZERO, name)
                        .ok_or_else(|| error(format!("no group named {name} after the junction")))?;
                    indices.push(index);
                }
                Some(Places { before: Box::new((dfa, Mutex::new(None))), rest, groups: indices })
            }
        };
        Ok(Compiled { main, groups, checks, arms, junctions, places })
    }

    /// `main`'s match (`found`) read with the junctions: Python's match and where its groups are.
    fn resolve(&self, line: &str, found: Captures) -> Resolved<'_> {
        match self.junctions_hold(line, &found) {
            Some(true) => Resolved::Yes(found, &self.groups),
            None => Resolved::Unsure,
            Some(false) => match &self.places {
                None => Resolved::No,
                Some(places) => self.elsewhere(places, line),
            },
        }
    }

    /// Where `main`'s match fails the junction's lookahead: the match at the other places (see [`Places`]).
    fn elsewhere<'a>(&self, places: &'a Places, line: &str) -> Resolved<'a> {
        let junction = &self.junctions[0];
        let (dfa, cache) = &*places.before;
        let mut fresh = None;
        let mut guard = cache.try_lock().ok();
        let cache = match guard.as_deref_mut() {
            Some(slot) => slot.get_or_insert_with(|| dfa.create_cache()),
            None => fresh.insert(dfa.create_cache()),
        };
        let input = Input::new(line).anchored(Anchored::Yes);
        let mut state = OverlappingState::start();
        let mut kept: Option<Captures> = None;
        loop {
            if dfa.try_search_overlapping_fwd(cache, &input, &mut state).is_err() {
                return Resolved::Unsure;
            }
            let Some(end) = state.get_match() else { break };
            let place = end.offset();
            let at = Input::new(line).range(place..).anchored(Anchored::Yes);
            if !line.is_char_boundary(place) || junction.pattern.is_match(at.clone()) != junction.positive {
                continue;
            }
            let mut found = places.rest.create_captures();
            places.rest.search_captures(&at, &mut found);
            if !found.is_match() {
                continue;
            }
            if kept.is_some() {
                return Resolved::Unsure; // two ways, which Python meets first is its to say
            }
            kept = Some(found);
        }
        match kept {
            None => Resolved::No,
            Some(found) => Resolved::Yes(found, &places.groups),
        }
    }

    /// Whether the lookaheads of the junctions hold where `main`'s match passes them (None: a junction's group
    /// took no part, which a group at the pattern's top cannot do: Python's to say all the same).
    fn junctions_hold(&self, line: &str, found: &Captures) -> Option<bool> {
        for junction in &self.junctions {
            let place = found.get_group(junction.group)?.start;
            let input = Input::new(line).range(place..).anchored(Anchored::Yes);
            if junction.pattern.is_match(input) != junction.positive {
                return Some(false);
            }
        }
        Some(true)
    }

    fn checks_hold(&self, line: &str) -> bool {
        self.checks.iter().all(|check| check.pattern.is_match(line) == check.positive)
    }

    /// Whether the line matches as a whole (None: Python's to say).
    fn verdict(&self, line: &str) -> Option<bool> {
        if !self.checks_hold(line) {
            return Some(false);
        }
        let main = self.main.for_line(line)?;
        if !self.junctions.is_empty() {
            return match main.captures(line) {
                Some(found) => match self.resolve(line, found) {
                    Resolved::Yes(..) => Some(true),
                    Resolved::No => Some(false),
                    Resolved::Unsure => None,
                },
                None => Some(false),
            };
        }
        if main.is_match(line) {
            return Some(true);
        }
        let mut unsure = false;
        for arm in &self.arms {
            match arm.matches(line) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => unsure = true,
            }
        }
        if unsure {
            None
        } else {
            Some(false)
        }
    }
}

#[pyclass(frozen, module = "cleaner._native")]
pub(crate) struct Confirmer {
    /// The pattern as a whole-line match (`\A(?:...)\z`), its named groups and its checks, as given.
    pattern: String,
    names: Vec<String>,
    checks: Vec<(bool, String)>,
    /// The arms (see [`Arm`]): each a list of (kind, pattern) steps: 0 a part, 1/2 a positive/negative
    /// lookahead, 3/4 a positive/negative lookbehind at the line's end.
    arms: Vec<Vec<(u8, String)>>,
    /// The junctions (see [`Junction`]): (positive, lookahead's body, the empty group's name in `pattern`).
    junctions: Vec<(bool, String, String)>,
    /// The junction's places, when they may be several (see [`Places`]): the part before it, the part after.
    places: Option<(String, String)>,
    /// The names Python knows the groups by (several groups may share one: the `regex` package allows a name
    /// twice), each once, in order; and for each group of `names`, its name's position there.
    fields: Vec<String>,
    field_of: Vec<usize>,
    /// Compiled on first use (a rule set's patterns take about a second to compile, most documents meet few
    /// of them): None when it would not compile within the size bound (Python then confirms every line).
    compiled: OnceLock<Option<Compiled>>,
    /// Characters on which the answer is Python's to give (empty: none).
    unsure: Option<Unsure>,
}

/// The characters on which a pattern's answer is Python's: asked of `source` (a callable giving them as a
/// string) the first time a line past ASCII meets the pattern, as most documents need them never.
struct Unsure {
    source: Py<PyAny>,
    chars: OnceLock<Option<HashSet<char>>>,
}

impl Confirmer {
    fn compile(&self) -> Option<Compiled> {
        let main = Main::new(&self.pattern).ok()?;
        Compiled::new(main, &self.names, &self.checks, &self.arms, &self.junctions, self.places.as_ref()).ok()
    }

    /// The compiled pattern, or None when the line is Python's to confirm (a character the engines may read
    /// differently, or a pattern past the size bound).
    fn ready(&self, py: Python<'_>, line: &str) -> Option<&Compiled> {
        if let Some(unsure) = &self.unsure {
            if !line.is_ascii() {
                let chars = unsure.chars.get_or_init(|| {
                    let text = unsure.source.call0(py).ok()?;
                    let text: String = text.extract(py).ok()?;
                    Some(text.chars().collect())
                });
                // (Not knowing them, every line past ASCII is Python's.)
                if chars.as_ref().is_none_or(|chars| line.chars().any(|c| chars.contains(&c))) {
                    return None;
                }
            }
        }
        self.compiled()
    }

    /// The compiled pattern (compiled now if not yet done).
    fn compiled(&self) -> Option<&Compiled> {
        self.compiled.get_or_init(|| self.compile()).as_ref()
    }
}

/// A native confirmation's answer to crate callers (`src/segment.rs`, `src/classify.rs`), as `fullmatch` gives
/// it to Python without the Python objects.
pub(crate) enum Confirmed {
    /// No whole-line match.
    No,
    /// The answer is Python's to give (`fullmatch` answers False).
    Unsure,
    /// A match: what each of [`Confirmer::fields`] captured (None: took no part), in that order.
    Yes(Vec<Option<String>>),
}

impl Confirmer {
    /// The names Python knows the groups by, each once, in `groupdict`'s order.
    pub(crate) fn fields(&self) -> &[String] {
        &self.fields
    }

    /// `fullmatch` for crate callers: the same answer, the captured texts without their spans (a line UTF-8
    /// can hold: the caller's `&str`).
    pub(crate) fn confirm(&self, py: Python<'_>, line: &str) -> Confirmed {
        let Some(compiled) = self.ready(py, line) else {
            return Confirmed::Unsure;
        };
        if compiled.groups.is_empty() {
            return match compiled.verdict(line) {
                Some(true) => Confirmed::Yes(Vec::new()),
                Some(false) => Confirmed::No,
                None => Confirmed::Unsure,
            };
        }
        let Some(main) = compiled.main.for_line(line) else {
            return Confirmed::Unsure;
        };
        let Some(found) = main.captures(line) else {
            return Confirmed::No;
        };
        if !compiled.checks_hold(line) {
            return Confirmed::No;
        }
        let (found, indices) = match compiled.resolve(line, found) {
            Resolved::Yes(found, indices) => (found, indices),
            Resolved::No => return Confirmed::No,
            Resolved::Unsure => return Confirmed::Unsure,
        };
        let mut groups: Vec<Option<String>> = vec![None; self.fields.len()];
        for (&index, &field) in indices.iter().zip(&self.field_of) {
            if let Some(group) = found.get_group(index).filter(|_| index != usize::MAX) {
                if groups[field].is_some() {
                    return Confirmed::Unsure; // two groups of one name took part: Python's to say
                }
                groups[field] = Some(line[group.range()].to_owned());
            }
        }
        Confirmed::Yes(groups)
    }
}

/// Character offset of a byte offset of `line` (the same on ASCII lines).
fn char_offset(line: &str, byte: usize, ascii: bool) -> isize {
    if ascii {
        byte as isize
    } else {
        line[..byte].chars().count() as isize
    }
}

#[pymethods]
impl Confirmer {
    /// `pattern`: the whole-line pattern in Rust syntax; `names`: its named groups ("" for a group that never
    /// takes part); `python_names`: the name
    /// Python gives each of them (the same one for groups written with one name); `checks`: (positive, pattern) conditions; `unsure`: a callable giving the characters to leave to
    /// Python (None: none); `arms`: the ways through the pattern that hold a lookahead (see [`Arm`]);
    /// `junctions`: (positive, lookahead, name of the empty group at its place) (see [`Junction`]).
    /// `places`: for a junction whose preceding part may end at several places, that part and the pattern's
    /// part after the junction (see [`Places`]).
    #[new]
    #[pyo3(signature = (pattern, names, python_names, checks, unsure, arms=Vec::new(), junctions=Vec::new(),
                        places=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(pattern: String, names: Vec<String>, python_names: Vec<String>, checks: Vec<(bool, String)>,
           unsure: Option<Py<PyAny>>, arms: Vec<Vec<(u8, String)>>, junctions: Vec<(bool, String, String)>,
           places: Option<(String, String)>) -> PyResult<Self> {
        if python_names.len() != names.len() {
            return Err(PyValueError::new_err("one Python name a group"));
        }
        let mut fields: Vec<String> = Vec::new();
        let mut field_of = Vec::with_capacity(names.len());
        for name in python_names {
            let position = fields.iter().position(|found| *found == name).unwrap_or_else(|| {
                fields.push(name);
                fields.len() - 1
            });
            field_of.push(position);
        }
        Ok(Confirmer {
            pattern,
            names,
            checks,
            arms,
            junctions,
            places,
            fields,
            field_of,
            compiled: OnceLock::new(),
            unsure: unsure.map(|source| Unsure { source, chars: OnceLock::new() }),
        })
    }

    /// The line's whole-line match: None when there is none; False when the answer is Python's to give (also
    /// for a line with a lone surrogate);
    /// else a [`Match`] (what the named groups captured, and where, in characters).
    fn fullmatch<'py>(slf: &Bound<'py, Self>, line: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        // A line UTF-8 cannot hold (a lone surrogate) is Python's.
        let Ok(line) = line.to_str() else {
            return Ok(PyBool::new(py, false).to_owned().into_any());
        };
        let Some(compiled) = this.ready(py, line) else {
            return Ok(PyBool::new(py, false).to_owned().into_any());
        };
        if compiled.groups.is_empty() {
            return match compiled.verdict(line) {
                Some(true) => {
                    let found = Match { confirmer: slf.clone().unbind(), groups: Vec::new() };
                    Ok(Bound::new(py, found)?.into_any())
                }
                Some(false) => Ok(py.None().into_bound(py)),
                None => Ok(PyBool::new(py, false).to_owned().into_any()),
            };
        }
        let Some(main) = compiled.main.for_line(line) else {
            return Ok(PyBool::new(py, false).to_owned().into_any());
        };
        let Some(found) = main.captures(line) else {
            return Ok(py.None().into_bound(py));
        };
        if !compiled.checks_hold(line) {
            return Ok(py.None().into_bound(py));
        }
        let (found, indices) = match compiled.resolve(line, found) {
            Resolved::Yes(found, indices) => (found, indices),
            Resolved::No => return Ok(py.None().into_bound(py)),
            Resolved::Unsure => return Ok(PyBool::new(py, false).to_owned().into_any()),
        };
        let ascii = line.is_ascii();
        let mut groups: Vec<Option<((isize, isize), String)>> = vec![None; this.fields.len()];
        for (&index, &field) in indices.iter().zip(&this.field_of) {
            if let Some(group) = found.get_group(index).filter(|_| index != usize::MAX) {
                if groups[field].is_some() {
                    // Two groups of one name took part: which one Python reports is left to Python.
                    return Ok(PyBool::new(py, false).to_owned().into_any());
                }
                let span = (char_offset(line, group.start, ascii), char_offset(line, group.end, ascii));
                groups[field] = Some((span, line[group.range()].to_owned()));
            }
        }
        Ok(Bound::new(py, Match { confirmer: slf.clone().unbind(), groups })?.into_any())
    }

    /// Whether the line matches as a whole (None: Python's to say), without the captures.
    fn is_match(&self, py: Python<'_>, line: &str) -> Option<bool> {
        self.ready(py, line)?.verdict(line)
    }

    /// Whether the pattern compiles within the size bound (compiling it now if not yet done).
    /// (For every line: the pattern itself, not only its cut.)
    fn compiles(&self) -> bool {
        self.compiled().is_some_and(|compiled| compiled.main.full_compiles())
    }

    /// Compiles now what a line of the cut's characters needs (the pattern cut to them, its checks, arms and
    /// junctions: see [`common_cut`]), which is otherwise compiled when the first line reaches the pattern;
    /// whether it compiled. Another line compiles the pattern itself when the first one comes.
    fn prepare(&self) -> bool {
        self.compiled().is_some()
    }
}

/// A match [`Confirmer::fullmatch`] found, read as the engine reads a Python `regex` match.
#[pyclass(frozen, module = "cleaner._native")]
struct Match {
    confirmer: Py<Confirmer>,
    /// Each name's group's character span and text, in the confirmer's order of names (None: took no part).
    groups: Vec<Option<((isize, isize), String)>>,
}

impl Match {
    fn group_of(&self, name: &str) -> PyResult<&Option<((isize, isize), String)>> {
        let names = &self.confirmer.get().fields;
        let index = names
            .iter()
            .position(|found| found == name)
            .ok_or_else(|| PyIndexError::new_err(format!("no such group: {name}")))?;
        Ok(&self.groups[index])
    }
}

#[pymethods]
impl Match {
    /// Each named group's text (None when it took no part), as `regex`'s `Match.groupdict`.
    fn groupdict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let found = PyDict::new(py);
        for (name, group) in self.confirmer.get().fields.iter().zip(&self.groups) {
            match group {
                Some((_, text)) => found.set_item(name, text)?,
                None => found.set_item(name, py.None())?,
            }
        }
        Ok(found)
    }

    /// The group's (start, end) in characters, (-1, -1) when it took no part.
    fn span(&self, name: &str) -> PyResult<(isize, isize)> {
        Ok(self.group_of(name)?.as_ref().map_or((-1, -1), |(span, _)| *span))
    }

    fn start(&self, name: &str) -> PyResult<isize> {
        Ok(self.span(name)?.0)
    }
}

/// Narrows the line matcher's candidates (a superset) to the probes that do match, where a probe's
/// confirmation is native: a scan's hit keeps only the candidates that match (or whose answer is Python's),
/// and a line left with nothing to try is left out. A line on which some native answer is Python's to give is
/// handed back with no candidate list (None), which makes the engine try it as it does without the matcher.
#[pyclass(frozen, module = "cleaner._native")]
struct Refiner {
    /// By probe position: its native confirmation (None: Python confirms, or the scan's verdict is exact).
    confirmers: Vec<Option<Py<Confirmer>>>,
    /// The characters other than ASCII that Python's `str.split()` splits on.
    spaces: HashSet<char>,
}

/// What a refinement did to a list of candidates.
enum Refined {
    Same,
    Narrowed(Vec<u32>),
    Unsure,
}

impl Refiner {
    fn normalise(&self, line: &str, out: &mut String) {
        crate::normalise_into(line, out, |c| self.spaces.contains(&c));
    }

    fn narrow(&self, py: Python<'_>, candidates: &[u32], text: &str) -> Refined {
        let mut kept = Vec::with_capacity(candidates.len());
        for &position in candidates {
            match self.confirmers.get(position as usize).and_then(Option::as_ref) {
                None => kept.push(position),
                Some(confirmer) => match confirmer.get().is_match(py, text) {
                    Some(true) => kept.push(position),
                    Some(false) => {}
                    None => return Refined::Unsure,
                },
            }
        }
        if kept.len() == candidates.len() {
            Refined::Same
        } else {
            Refined::Narrowed(kept)
        }
    }

    fn refinable(&self, candidates: &[u32]) -> bool {
        candidates.iter().any(|&p| matches!(self.confirmers.get(p as usize), Some(Some(_))))
    }
}

#[pymethods]
impl Refiner {
    #[new]
    fn new(confirmers: Vec<Option<Py<Confirmer>>>, spaces: Vec<char>) -> Self {
        Refiner { confirmers, spaces: spaces.into_iter().collect() }
    }

    /// The scan's hits for `lines` (see `Views.scan`), narrowed.
    fn refine<'py>(&self, py: Python<'py>, lines: Vec<PyBackedStr>, hits: Vec<Bound<'py, PyTuple>>)
                   -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let mut out = Vec::with_capacity(hits.len());
        let mut normal = String::new();
        for hit in hits {
            let index: usize = hit.get_item(0)?.extract()?;
            let candidates: Vec<u32> = hit.get_item(1)?.extract()?;
            let exact: bool = hit.get_item(2)?.extract()?;
            let view = hit.get_item(3)?;
            let mut line_refined = Refined::Same;
            if self.refinable(&candidates) {
                let line = lines.get(index).ok_or_else(|| PyIndexError::new_err("hit past the lines"))?;
                self.normalise(line, &mut normal);
                line_refined = self.narrow(py, &candidates, &normal);
            }
            let mut view_refined = Refined::Same;
            let mut view_candidates: Vec<u32> = Vec::new();
            let mut view_exact = false;
            if !view.is_none() {
                let view = view.cast::<PyTuple>()?;
                view_candidates = view.get_item(3)?.extract()?;
                view_exact = view.get_item(4)?.extract()?;
                if self.refinable(&view_candidates) {
                    let text: PyBackedStr = view.get_item(0)?.extract()?;
                    view_refined = self.narrow(py, &view_candidates, &text);
                }
            }
            if matches!(line_refined, Refined::Unsure) || matches!(view_refined, Refined::Unsure) {
                out.push(PyTuple::new(py, [index.into_pyobject(py)?.into_any(), py.None().into_bound(py),
                                           PyBool::new(py, true).to_owned().into_any(),
                                           py.None().into_bound(py)])?);
                continue;
            }
            if matches!(line_refined, Refined::Same) && matches!(view_refined, Refined::Same) {
                out.push(hit);
                continue;
            }
            let line_candidates = match line_refined {
                Refined::Narrowed(kept) => kept,
                _ => candidates,
            };
            let mut new_view = view.clone();
            let mut view_left = !view.is_none();
            if let Refined::Narrowed(kept) = view_refined {
                let old = view.cast::<PyTuple>()?;
                view_left = !kept.is_empty() || view_exact;
                new_view = PyTuple::new(py, [old.get_item(0)?, old.get_item(1)?, old.get_item(2)?,
                                             PyTuple::new(py, kept)?.into_any(), old.get_item(4)?])?.into_any();
            } else if view_left {
                view_left = !view_candidates.is_empty() || view_exact;
            }
            if line_candidates.is_empty() && !exact && !view_left {
                continue; // nothing left to try on the line or its view
            }
            out.push(PyTuple::new(py, [index.into_pyobject(py)?.into_any(),
                                       PyTuple::new(py, line_candidates)?.into_any(),
                                       PyBool::new(py, exact).to_owned().into_any(), new_view])?);
        }
        Ok(out)
    }
}

/// The most states [`prefix_free`] visits before it gives up (answers None).
const MOST_STATES: usize = 100_000;

/// Whether no line can hold two places where an anchored match of `pattern` (from the line's start) may end:
/// True when proven, False when there is such a line, None when not known (a DFA too large to explore).
/// Read from the pattern's lazy DFA, all matches reported (a match is seen one byte late, or at the end of
/// the input): a line with two such places walks from the start to a match state, then on through at least
/// one more byte to a match again (or to one at the end of the input).
#[pyfunction]
fn prefix_free(pattern: &str) -> Option<bool> {
    use regex_automata::hybrid::LazyStateID;
    use regex_automata::util::start;
    let dfa = DFA::builder()
        .configure(DFA::config().match_kind(MatchKind::All).cache_capacity(64 << 20)
            .skip_cache_capacity_check(true))
        .thompson(thompson::Config::new().nfa_size_limit(Some(SIZE_LIMIT)))
        .build(pattern)
        .ok()?;
    let mut cache = dfa.create_cache();
    let start = dfa.start_state(&mut cache, &start::Config::new().anchored(Anchored::Yes)).ok()?;
    let bytes: Vec<u8> = dfa.byte_classes().representatives(0..=255).filter_map(|unit| unit.as_u8()).collect();
    // Every state reachable from the start; then every state reachable from a match state among them.
    let mut seen: HashSet<LazyStateID> = HashSet::new();
    let mut after_match: HashSet<LazyStateID> = HashSet::new();
    let mut stack = vec![(start, false)];
    while let Some((state, matched)) = stack.pop() {
        let set = if matched { &mut after_match } else { &mut seen };
        if !set.insert(state) {
            continue;
        }
        if seen.len() + after_match.len() > MOST_STATES {
            return None;
        }
        if matched && dfa.next_eoi_state(&mut cache, state).ok()?.is_match() {
            return Some(false);
        }
        for &byte in &bytes {
            let next = dfa.next_state(&mut cache, state, byte).ok()?;
            if next.is_quit() {
                return None;
            }
            if next.is_dead() {
                continue;
            }
            if matched && next.is_match() {
                return Some(false);
            }
            stack.push((next, matched || next.is_match()));
        }
    }
    // (Ids stay valid only while the cache was never cleared.)
    (cache.clear_count() == 0).then_some(true)
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(prefix_free, module)?)?;
    module.add_class::<Confirmer>()?;
    module.add_class::<Match>()?;
    module.add_class::<Refiner>()
}
