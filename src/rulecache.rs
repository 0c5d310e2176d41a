//! The line matcher's multi-pattern set, built for what the matcher asks and nothing more.
//!
//! The matcher only asks which anchored patterns (`\A(?:..)\z`) match a whole line. `regex::RegexSet`
//! answers that, but builds a reverse automaton beside the forward one (for finding where matches start,
//! which a set never reports) and a meta engine around them: about a third of the cost of building the
//! built-in rules' set. Here: one forward Thompson NFA, a lazy DFA over it (the engine `RegexSet` itself
//! uses for this question), and a PikeVM over the same NFA for the rare search the lazy DFA gives up on.
//! Same syntax, same limits, same answers (tests/test_native_matcher.py compares them with Python `regex`).
//!
//! Building the NFA (parsing the patterns, folding their Unicode classes under case insensitivity, compiling
//! them to UTF-8 automata) is nearly all of the cost; the lazy DFA costs nothing until it searches. So the NFA
//! has a compiled form: its states as bytes (`to_bytes`), which a shell stores beside its cache of compiled
//! rules and hands back (`from_bytes`), rebuilt through regex-automata's own NFA builder, state for state.
//! Rebuilding a large set still costs some 25 ms, so it runs on a thread of its own while the caller goes on
//! with the rest of its build (a fresh process's engine builds its word index meanwhile); the form is checked
//! before, so that a form the rebuild would refuse is refused at once, and the set's first use waits for it.

use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use regex_automata::hybrid::dfa::{Cache as HybridCache, DFA};
use regex_automata::nfa::thompson::pikevm::{Cache as PikeCache, PikeVM};
use regex_automata::nfa::thompson::{self, BuildError, Builder, State, Transition, WhichCaptures, NFA};
use regex_automata::util::look::{Look, LookMatcher};
use regex_automata::util::primitives::StateID;
use regex_automata::{Anchored, Input, MatchKind, PatternID, PatternSet};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Anchored patterns, each matched against whole lines.
pub struct LineSet {
    /// The engines, once built (at once when compiled here; from a compiled form, on a thread of its own,
    /// waited for by the first use).
    engines: OnceLock<Engines>,
    /// The rebuild from a compiled form under way, and how to compile the set should it fail.
    pending: Mutex<Option<Pending>>,
    patterns: usize,
    /// Search caches for the threads that scan at once (a cache is per search, reused).
    caches: Mutex<Vec<(DfaCache, VmCache)>>,
}

/// The lazy DFAs' caches of one search, a shard each, with each shard's patterns found on the current line.
pub struct DfaCache(Vec<(HybridCache, PatternSet)>);
/// The PikeVMs' caches of one search, a shard each.
pub struct VmCache(Vec<PikeCache>);

/// The set in shards (see [`lasting`]): a lazy DFA's state is a set of NFA states, so one automaton over
/// patterns that stay alive along a whole line (a leading `(?:\w+ )*`) and patterns that die after a line's
/// first words builds a state for each combination of the two kinds' progress, a new one on nearly every new
/// line (a fresh process's first pass over a user's many rules cost several times its later ones). Apart,
/// each automaton's states are its own kind's only; a line is matched by each (the short-lived shard stops
/// where its patterns die), and the answers are the union, the same as one set's.
struct Engines {
    shards: Vec<Shard>,
}

struct Shard {
    dfa: DFA,
    pikevm: PikeVM,
    /// The position in the whole set of each of this shard's patterns (ascending).
    ids: Vec<u32>,
}

struct Pending {
    rebuild: JoinHandle<Result<Engines, String>>,
    patterns: Vec<String>,
    size_limit: usize,
    cache_capacity: usize,
}

impl LineSet {
    /// `size_limit`: the compiled NFA's limit; `cache_capacity`: the lazy DFA's (the limits `RegexSetBuilder`
    /// took as `size_limit` and `dfa_size_limit`).
    pub fn new(patterns: &[String], size_limit: usize, cache_capacity: usize) -> Result<Self, String> {
        let engines = compile(patterns, size_limit, cache_capacity)?;
        Ok(Self::with(OnceLock::from(engines), None, patterns.len()))
    }

    /// The set of `patterns` whose shards' NFAs `to_bytes` gave; an error when the bytes are not such a form
    /// (damaged, written by another version of this module, or for another number of patterns). The form is
    /// checked here and rebuilt on a thread of its own, so that the caller's own work (the rest of an engine's
    /// build) goes on beside it; the first use waits for it. Should the rebuild fail all the same, the set is
    /// compiled from `patterns` (`size_limit` as for [`LineSet::new`]): the answers are the same either way.
    pub fn from_bytes(data: &[u8], patterns: &[String], size_limit: usize, cache_capacity: usize)
                      -> Result<Self, String> {
        let parts = split_form(data, patterns.len())?;
        for shard in &parts {
            check_form(shard.form, shard.ids.len())?;
        }
        let parts: Vec<(Vec<u32>, Vec<u8>)> = parts.into_iter().map(|shard| (shard.ids, shard.form.to_vec())).collect();
        let rebuild = std::thread::Builder::new()
            .name("cleaner-matcher".into())
            .spawn(move || {
                let shards = parts
                    .into_iter()
                    .map(|(ids, form)| from_nfa(nfa_from_bytes(&form)?, cache_capacity, ids))
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(Engines { shards })
            })
            .map_err(|error| error.to_string())?;
        let pending = Pending { rebuild, patterns: patterns.to_vec(), size_limit, cache_capacity };
        Ok(Self::with(OnceLock::new(), Some(pending), patterns.len()))
    }

    fn with(engines: OnceLock<Engines>, pending: Option<Pending>, patterns: usize) -> Self {
        LineSet { engines, pending: Mutex::new(pending), patterns, caches: Mutex::new(Vec::new()) }
    }

    /// The engines, waiting for their rebuild when it is under way.
    fn engines(&self) -> &Engines {
        self.engines.get_or_init(|| {
            let pending = self.pending.lock().ok().and_then(|mut pending| pending.take());
            let Some(pending) = pending else { unreachable!("a set has its engines or their rebuild") };
            match pending.rebuild.join() {
                Ok(Ok(engines)) => engines,
                // The form was checked: a failure here is a defect, and the set compiled from its patterns
                // answers the same.
                _ => compile(&pending.patterns, pending.size_limit, pending.cache_capacity)
                    .expect("patterns that compiled before compile again"),
            }
        })
    }

    /// Waits for the set's engines (rebuilt on a thread of their own from a compiled form).
    pub fn wait(&self) {
        self.engines();
    }

    /// The shards' NFAs' compiled form (None for an NFA with states the form does not hold, such as captures).
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        let shards = &self.engines().shards;
        let mut out = Vec::new();
        out.extend_from_slice(SHARDS_MAGIC);
        put(&mut out, shards.len() as u32);
        for shard in shards {
            let form = nfa_to_bytes(shard.pikevm.get_nfa())?;
            put(&mut out, shard.ids.len() as u32);
            for &id in &shard.ids {
                put(&mut out, id);
            }
            put(&mut out, form.len() as u32);
            out.extend_from_slice(&form);
        }
        Some(out)
    }

    /// Search caches for one call (a scan of a document's lines); hand them back with [`LineSet::release`].
    pub fn caches(&self) -> (DfaCache, VmCache) {
        let reused = self.caches.lock().map(|mut pool| pool.pop()).unwrap_or(None);
        reused.unwrap_or_else(|| {
            let shards = &self.engines().shards;
            (DfaCache(shards.iter().map(|s| (s.dfa.create_cache(), PatternSet::new(s.ids.len()))).collect()),
             VmCache(shards.iter().map(|s| s.pikevm.create_cache()).collect()))
        })
    }

    pub fn release(&self, caches: (DfaCache, VmCache)) {
        if let Ok(mut pool) = self.caches.lock() {
            pool.push(caches);
        }
    }

    /// Whether any pattern matches `text` (a search that stops at the first match found).
    pub fn is_match(&self, text: &str, caches: &mut (DfaCache, VmCache)) -> bool {
        let input = Input::new(text).anchored(Anchored::Yes).earliest(true);
        let (dfas, vms) = caches;
        self.engines().shards.iter().zip(dfas.0.iter_mut().zip(vms.0.iter_mut())).any(|(shard, (dfa, vm))| {
            match shard.dfa.try_search_fwd(&mut dfa.0, &input) {
                Ok(found) => found.is_some(),
                Err(_) => shard.pikevm.is_match(vm, input.clone()),
            }
        })
    }

    /// The patterns that match `text` (positions in the order given), into `found` (cleared first).
    pub fn matches(&self, text: &str, caches: &mut (DfaCache, VmCache), found: &mut PatternSet) {
        found.clear();
        let input = Input::new(text).anchored(Anchored::Yes);
        let (dfas, vms) = caches;
        for (shard, (dfa, vm)) in self.engines().shards.iter().zip(dfas.0.iter_mut().zip(vms.0.iter_mut())) {
            let (cache, local) = dfa;
            local.clear();
            if shard.dfa.try_which_overlapping_matches(cache, &input, local).is_err() {
                local.clear();
                shard.pikevm.which_overlapping_matches(vm, &input, local);
            }
            for pid in local.iter() {
                found.insert(PatternID::new_unchecked(shard.ids[pid.as_usize()] as usize));
            }
        }
    }

    pub fn pattern_set(&self) -> PatternSet {
        PatternSet::new(self.patterns)
    }
}

/// Whether a pattern may stay alive along a whole line: a repeat without an upper bound of what may match a
/// space and a letter (words, such as a user's leading free words `(?:[\w'.-]+ )*`, or any text) where a
/// match may start (after parts that may match nothing). A repeat of digits, of one word's letters or of
/// spaces dies with the first other character. Only a choice of shard: any answer gives the same matches.
fn lasting(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Repetition(repetition) => {
            let sub = &repetition.sub;
            (repetition.max.is_none() && reaches(sub, &|c| c == ' ') && reaches(sub, &|c| c.is_ascii_alphabetic()))
                || lasting(sub)
        }
        HirKind::Capture(capture) => lasting(&capture.sub),
        HirKind::Alternation(subs) => subs.iter().any(lasting),
        HirKind::Concat(subs) => {
            for sub in subs {
                if lasting(sub) {
                    return true;
                }
                if sub.properties().minimum_len() != Some(0) {
                    return false;
                }
            }
            false
        }
        _ => false,
    }
}

/// Whether some character the pattern may match is one of `wanted`'s (ASCII characters only are asked).
fn reaches(hir: &Hir, wanted: &dyn Fn(char) -> bool) -> bool {
    match hir.kind() {
        HirKind::Literal(literal) => literal.0.iter().any(|&byte| byte.is_ascii() && wanted(byte as char)),
        HirKind::Class(Class::Unicode(class)) => class.ranges().iter().any(|range| {
            (range.start()..=range.end().min('\x7f')).any(wanted)
        }),
        HirKind::Class(Class::Bytes(class)) => class.ranges().iter().any(|range| {
            (range.start()..=range.end().min(0x7f)).any(|byte| wanted(byte as char))
        }),
        HirKind::Repetition(repetition) => reaches(&repetition.sub, wanted),
        HirKind::Capture(capture) => reaches(&capture.sub, wanted),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(|sub| reaches(sub, wanted)),
        HirKind::Empty | HirKind::Look(_) => false,
    }
}

fn compile(patterns: &[String], size_limit: usize, cache_capacity: usize) -> Result<Engines, String> {
    let hirs = patterns
        .iter()
        .map(|pattern| regex_automata::util::syntax::parse(pattern).map_err(|error| error.to_string()))
        .collect::<Result<Vec<Hir>, String>>()?;
    let (mut long, mut short) = (Vec::new(), Vec::new());
    for (id, hir) in hirs.iter().enumerate() {
        if lasting(hir) { long.push(id as u32) } else { short.push(id as u32) }
    }
    let mut shards = Vec::new();
    // `size_limit` bounds the whole set, as it bounded the one NFA before the set was sharded: a shard may use
    // what the shards before it left.
    let mut remaining = size_limit;
    for ids in [short, long] {
        if ids.is_empty() {
            continue;
        }
        let members: Vec<&Hir> = ids.iter().map(|&id| &hirs[id as usize]).collect();
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().nfa_size_limit(Some(remaining)).which_captures(WhichCaptures::None))
            .build_many_from_hir(&members)
            .map_err(|error| error.to_string())?;
        remaining = remaining.saturating_sub(nfa.memory_usage());
        shards.push(from_nfa(nfa, cache_capacity, ids)?);
    }
    Ok(Engines { shards })
}

fn from_nfa(nfa: NFA, cache_capacity: usize, ids: Vec<u32>) -> Result<Shard, String> {
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
    Ok(Shard { dfa, pikevm, ids })
}

/// The sharded form: a tag, the number of shards, then each shard's pattern positions and its NFA's form.
const SHARDS_MAGIC: &[u8; 8] = b"CLSHARD\x01";

/// One shard of a stored form: its pattern positions in the whole set and its NFA's form.
struct StoredShard<'a> {
    ids: Vec<u32>,
    form: &'a [u8],
}

/// The shards of a compiled form: each one's pattern positions (every position below `patterns` in exactly
/// one shard) and its NFA's form (checked by the caller).
fn split_form(data: &[u8], patterns: usize) -> Result<Vec<StoredShard<'_>>, String> {
    if data.len() < SHARDS_MAGIC.len() || &data[..SHARDS_MAGIC.len()] != SHARDS_MAGIC {
        return Err("not a compiled matcher of this version".into());
    }
    let mut r = Reader { data, at: SHARDS_MAGIC.len() };
    let count = r.u32()? as usize;
    let mut seen = vec![false; patterns];
    let mut parts = Vec::new();
    for _ in 0..count {
        let n = r.u32()? as usize;
        if n > patterns { return Err("shard larger than the set".into()); }
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let id = r.u32()?;
            match seen.get_mut(id as usize) {
                Some(slot) if !*slot => *slot = true,
                _ => return Err("pattern position out of range or twice".into()),
            }
            ids.push(id);
        }
        let size = r.u32()? as usize;
        let form = data.get(r.at..r.at.checked_add(size).ok_or("truncated")?).ok_or("truncated")?;
        r.at += size;
        parts.push(StoredShard { ids, form });
    }
    if r.at != data.len() { return Err("trailing bytes".into()); }
    if seen.iter().any(|found| !found) { return Err("a pattern in no shard".into()); }
    Ok(parts)
}

// --- the NFA's compiled form -------------------------------------------------------------------------------
// A version tag, the NFA's settings and starts, then each state in order: a tag byte and its fields (u32 little
// endian). The builder numbers states in the order they are added and keeps every state of these kinds as one
// state, so the rebuilt NFA is the same, state for state (tests compare them); every state id is checked.


const MAGIC: &[u8; 8] = b"CLNFA\x00\x00\x01";

fn put(out: &mut Vec<u8>, v: u32) { out.extend_from_slice(&v.to_le_bytes()); }

fn nfa_to_bytes(nfa: &NFA) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(nfa.states().len() * 12);
    out.extend_from_slice(MAGIC);
    out.push(nfa.is_utf8() as u8);
    out.push(nfa.is_reverse() as u8);
    out.push(nfa.look_matcher().get_line_terminator());
    put(&mut out, nfa.pattern_len() as u32);
    put(&mut out, nfa.start_anchored().as_u32());
    put(&mut out, nfa.start_unanchored().as_u32());
    for pid in nfa.patterns() { put(&mut out, nfa.start_pattern(pid)?.as_u32()); }
    put(&mut out, nfa.states().len() as u32);
    for state in nfa.states() {
        match state {
            State::ByteRange { trans } => { out.push(0); out.push(trans.start); out.push(trans.end); put(&mut out, trans.next.as_u32()); }
            State::Sparse(sparse) => { out.push(1); put(&mut out, sparse.transitions.len() as u32);
                for t in sparse.transitions.iter() { out.push(t.start); out.push(t.end); put(&mut out, t.next.as_u32()); } }
            State::Look { look, next } => { out.push(2); put(&mut out, look.as_repr()); put(&mut out, next.as_u32()); }
            State::Union { alternates } => { out.push(3); put(&mut out, alternates.len() as u32); for a in alternates.iter() { put(&mut out, a.as_u32()); } }
            State::BinaryUnion { alt1, alt2 } => { out.push(4); put(&mut out, alt1.as_u32()); put(&mut out, alt2.as_u32()); }
            State::Fail => out.push(5),
            State::Match { pattern_id } => { out.push(6); put(&mut out, pattern_id.as_u32()); }
            _ => return None,
        }
    }
    Some(out)
}

struct Reader<'a> { data: &'a [u8], at: usize }
impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, String> { let b = *self.data.get(self.at).ok_or("truncated")?; self.at += 1; Ok(b) }
    fn u32(&mut self) -> Result<u32, String> { let s = self.data.get(self.at..self.at + 4).ok_or("truncated")?; self.at += 4; Ok(u32::from_le_bytes(s.try_into().unwrap())) }
}

fn e(err: BuildError) -> String { err.to_string() }

/// Checks a compiled form as [`nfa_from_bytes`] reads it (every field, state id and the order of match
/// states), without building anything: what may refuse a form is found here, before its rebuild is started.
fn check_form(data: &[u8], patterns: usize) -> Result<(), String> {
    if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC { return Err("not a compiled matcher of this version".into()); }
    let mut r = Reader { data, at: MAGIC.len() };
    r.byte()?; r.byte()?; r.byte()?;
    let count_patterns = r.u32()? as usize;
    if count_patterns != patterns { return Err(format!("compiled form holds {count_patterns} patterns, not {patterns}")); }
    let starts_at = r.at;
    r.at = r.at.checked_add(8 + 4 * patterns).ok_or("truncated")?;
    let count = r.u32()? as usize;
    let mut ids = Reader { data, at: starts_at };
    for _ in 0..patterns + 2 { if ids.u32()? as usize >= count { return Err("start state out of range".into()); } }
    let sid = |v: u32| -> Result<(), String> { if (v as usize) < count { Ok(()) } else { Err(format!("state {v} out of range")) } };
    let mut next_pattern = 0usize; let mut open: Option<usize> = None;
    for _ in 0..count {
        match r.byte()? {
            0 => { r.byte()?; r.byte()?; sid(r.u32()?)?; }
            1 => { let n = r.u32()? as usize; for _ in 0..n { r.byte()?; r.byte()?; sid(r.u32()?)?; } }
            2 => { Look::from_repr(r.u32()?).ok_or("unknown look")?; sid(r.u32()?)?; }
            3 => { let n = r.u32()? as usize; for _ in 0..n { sid(r.u32()?)?; } }
            4 => { sid(r.u32()?)?; sid(r.u32()?)?; }
            5 => {}
            6 => {
                let pid = r.u32()? as usize;
                if pid >= patterns || next_pattern > pid && open != Some(pid) { return Err("match states out of order".into()); }
                if open != Some(pid) { open = Some(pid); next_pattern = pid + 1; }
            }
            _ => return Err("unknown state".into()),
        }
    }
    if r.at != data.len() { return Err("trailing bytes".into()); }
    Ok(())
}

fn nfa_from_bytes(data: &[u8]) -> Result<NFA, String> {
    if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC { return Err("not a compiled matcher of this version".into()); }
    let mut r = Reader { data, at: MAGIC.len() };
    let utf8 = r.byte()? != 0; let reverse = r.byte()? != 0; let terminator = r.byte()?;
    let patterns = r.u32()? as usize;
    let start_anchored = r.u32()?; let start_unanchored = r.u32()?;
    let mut starts = Vec::with_capacity(patterns.min(1 << 20));
    for _ in 0..patterns { starts.push(r.u32()?); }
    let count = r.u32()? as usize;
    let sid = |v: u32| -> Result<StateID, String> { if (v as usize) < count { StateID::new(v as usize).map_err(|x| x.to_string()) } else { Err(format!("state {v} out of range")) } };
    let mut b = Builder::new();
    b.set_utf8(utf8); b.set_reverse(reverse);
    let mut lm = LookMatcher::new(); lm.set_line_terminator(terminator); b.set_look_matcher(lm);
    b.set_size_limit(None).map_err(e)?;
    let mut next_pattern = 0usize; let mut open: Option<usize> = None;
    for _ in 0..count {
        match r.byte()? {
            0 => { let start = r.byte()?; let end = r.byte()?; let next = sid(r.u32()?)?; b.add_range(Transition { start, end, next }).map_err(e)?; }
            1 => { let n = r.u32()? as usize; let mut ts = Vec::with_capacity(n.min(256));
                   for _ in 0..n { let start = r.byte()?; let end = r.byte()?; let next = sid(r.u32()?)?; ts.push(Transition { start, end, next }); }
                   b.add_sparse(ts).map_err(e)?; }
            2 => { let look = Look::from_repr(r.u32()?).ok_or("unknown look")?; let next = sid(r.u32()?)?; b.add_look(next, look).map_err(e)?; }
            3 => { let n = r.u32()? as usize; let mut alts = Vec::with_capacity(n.min(1 << 16)); for _ in 0..n { alts.push(sid(r.u32()?)?); } b.add_union(alts).map_err(e)?; }
            4 => { let a = sid(r.u32()?)?; let c = sid(r.u32()?)?; b.add_union(vec![a, c]).map_err(e)?; }
            5 => { b.add_fail().map_err(e)?; }
            6 => {
                let pid = r.u32()? as usize;
                if pid >= patterns || next_pattern > pid && open != Some(pid) { return Err("match states out of order".into()); }
                if open != Some(pid) {
                    if let Some(current) = open { b.finish_pattern(sid(starts[current])?).map_err(e)?; }
                    while next_pattern < pid { b.start_pattern().map_err(e)?; b.finish_pattern(sid(starts[next_pattern])?).map_err(e)?; next_pattern += 1; }
                    b.start_pattern().map_err(e)?; open = Some(pid); next_pattern += 1;
                }
                b.add_match().map_err(e)?;
            }
            _ => return Err("unknown state".into()),
        }
    }
    if r.at != data.len() { return Err("trailing bytes".into()); }
    if let Some(current) = open { b.finish_pattern(sid(starts[current])?).map_err(e)?; }
    while next_pattern < patterns { b.start_pattern().map_err(e)?; b.finish_pattern(sid(starts[next_pattern])?).map_err(e)?; next_pattern += 1; }
    b.build(sid(start_anchored)?, sid(start_unanchored)?).map_err(e)
}
