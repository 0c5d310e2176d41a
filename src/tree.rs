//! The HTML path's page index read in one walk (`cleaner/io/selectors.py`, `PageIndex`): the values of the
//! attributes the rules ask about and the tag names of a page, read straight from the libxml2 tree that lxml
//! already holds, instead of one whole-page XPath walk per attribute name and per tag.
//!
//! Read only: the walk follows the pointers of libxml2's `xmlNode` and `xmlAttr` (their layouts are stable
//! and public, declared below with the fields read) from the node an lxml element proxy points to (lxml's
//! public C API: `struct LxmlElement { PyObject_HEAD; LxmlDocument* _doc; xmlNode* _c_node; PyObject* _tag; }`).
//! It never calls libxml2, allocates in it, frees or changes anything. The caller holds the element (so its
//! document) alive for the call, and holds the GIL: no thread changes the tree meanwhile.
//!
//! Guarded: the node must point back to the proxy (`_private`, which lxml sets), be an element, and carry the
//! tag the caller read through lxml; any node the walk cannot read as XPath would (a namespaced attribute
//! value holding other than text, a non-element node with children, bytes that are not UTF-8) makes it answer
//! None, and the caller reads the page by XPath as before.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::{c_char, c_int, c_void, CStr};

use pyo3::prelude::*;

const ELEMENT_NODE: c_int = 1;
const TEXT_NODE: c_int = 3;
const CDATA_SECTION_NODE: c_int = 4;
const PI_NODE: c_int = 7;
const COMMENT_NODE: c_int = 8;

/// libxml2's `struct _xmlNode`, up to the fields read (the layout of every libxml2 2.x).
#[repr(C)]
struct XmlNode {
    private: *mut c_void,
    kind: c_int,
    name: *const c_char,
    children: *mut XmlNode,
    last: *mut XmlNode,
    parent: *mut XmlNode,
    next: *mut XmlNode,
    prev: *mut XmlNode,
    doc: *mut c_void,
    ns: *mut c_void,
    content: *const c_char,
    properties: *mut XmlAttr,
}

/// libxml2's `struct _xmlAttr`, up to the fields read.
#[repr(C)]
struct XmlAttr {
    private: *mut c_void,
    kind: c_int,
    name: *const c_char,
    children: *mut XmlNode,
    last: *mut XmlNode,
    parent: *mut XmlNode,
    next: *mut XmlAttr,
    prev: *mut XmlAttr,
    doc: *mut c_void,
    ns: *mut c_void,
}

/// lxml's `struct LxmlElement` (lxml/includes/etree_api.h, lxml.etree.h).
#[repr(C)]
struct LxmlElement {
    ob_refcnt: isize,
    ob_type: *mut c_void,
    doc: *mut c_void,
    c_node: *mut XmlNode,
}

fn utf8<'a>(text: *const c_char) -> Option<&'a str> {
    if text.is_null() {
        return Some("");
    }
    // SAFETY: libxml2 strings are NUL-terminated and live as long as the tree the caller holds.
    unsafe { CStr::from_ptr(text) }.to_str().ok()
}

/// An attribute's string value as XPath reads it: its text children joined; None for any other child.
unsafe fn attribute_value(attr: &XmlAttr, out: &mut String) -> Option<()> {
    let mut child = attr.children;
    while !child.is_null() {
        let node = &*child;
        if node.kind != TEXT_NODE {
            return None;
        }
        out.push_str(utf8(node.content)?);
        child = node.next;
    }
    Some(())
}

/// Per name of `names`, the values of that attribute (no namespace) on `element` and every element below it in
/// page order, each with a NUL before and after it ("" where none has it: what `PageIndex._joined` makes of
/// XPath's `descendant-or-self::*/@name`); and the names of the elements there (no namespace), sorted.
/// None when the element's layout is not the one declared here or a node cannot be read as XPath reads it.
#[pyfunction]
pub fn tree_index(element: &Bound<'_, PyAny>, tag: &str, names: Vec<String>) -> PyResult<Option<(Vec<String>, Vec<String>)>> {
    let lxml_element = element.py().import("lxml.etree")?.getattr("_Element")?;
    if !element.is_instance(&lxml_element)? {
        return Ok(None);
    }
    Ok(walk(element, tag, &names))
}

fn walk(element: &Bound<'_, PyAny>, tag: &str, names: &[String]) -> Option<(Vec<String>, Vec<String>)> {
    let proxy = element.as_ptr();
    // SAFETY: an lxml element (checked above), whose struct starts as declared.
    let root = unsafe { (*(proxy as *const LxmlElement)).c_node };
    if root.is_null() {
        return None;
    }
    // SAFETY: the guard: a node lxml made points back at its proxy; read only once that holds.
    let root_node = unsafe { &*root };
    if root_node.private != proxy as *mut c_void || root_node.kind != ELEMENT_NODE || !root_node.ns.is_null()
        || utf8(root_node.name)? != tag {
        return None;
    }
    let mut joined: Vec<String> = vec![String::new(); names.len()];
    let mut tags: BTreeSet<&str> = BTreeSet::new();
    let mut node = root;
    // SAFETY: pointers of a tree held alive and unchanged by the caller, followed within the root's subtree.
    unsafe {
        loop {
            let current = &*node;
            if current.kind == ELEMENT_NODE {
                if current.ns.is_null() {
                    tags.insert(utf8(current.name)?);
                }
                let mut attr = current.properties;
                while !attr.is_null() {
                    let property = &*attr;
                    if property.ns.is_null() {
                        let name = utf8(property.name)?;
                        for (at, wanted) in names.iter().enumerate() {
                            if wanted != name {
                                continue;
                            }
                            let out = &mut joined[at];
                            if out.is_empty() {
                                out.push('\0');
                            }
                            attribute_value(property, out)?;
                            out.push('\0');
                        }
                    }
                    attr = property.next;
                }
            } else if !current.children.is_null() {
                return None;
            }
            if current.kind == ELEMENT_NODE && !current.children.is_null() {
                node = current.children;
                continue;
            }
            match after_subtree(node, root)? {
                Some(next) => node = next,
                None => {
                    let tags = tags.into_iter().map(str::to_owned).collect();
                    return Some((joined, tags));
                }
            }
        }
    }
}

/// The element node an lxml element proxy points to, once the guard holds (the node points back at its proxy,
/// is an element without a namespace); None otherwise.
fn element_node(element: &Bound<'_, PyAny>) -> Option<*mut XmlNode> {
    let proxy = element.as_ptr();
    // SAFETY: the caller checked that `element` is an lxml element, whose struct starts as declared.
    let node = unsafe { (*(proxy as *const LxmlElement)).c_node };
    if node.is_null() {
        return None;
    }
    // SAFETY: read only once the node is known to be lxml's (it points back at its proxy).
    let read = unsafe { &*node };
    (read.private == proxy as *mut c_void && read.kind == ELEMENT_NODE && read.ns.is_null()).then_some(node)
}

/// Appends to `out` the text of the run of text and CDATA nodes starting at `node`, as lxml's `.text` (from an
/// element's first child) and `.tail` (from its next sibling) read it; a piece is added (a space before it when
/// `out` holds one already) only when the run holds text. None on a node lxml would skip inside a run
/// (XInclude markers) or text that is not UTF-8.
unsafe fn append_run(mut node: *mut XmlNode, out: &mut String) -> Option<()> {
    let mut started = false;
    while !node.is_null() {
        let current = &*node;
        match current.kind {
            TEXT_NODE | CDATA_SECTION_NODE => {
                let text = utf8(current.content)?;
                if !text.is_empty() {
                    if !started && !out.is_empty() {
                        out.push(' ');
                    }
                    started = true;
                    out.push_str(text);
                }
            }
            19 | 20 => return None,
            _ => break,
        }
        node = current.next;
    }
    Some(())
}

/// Where a walk of the nodes below `root` in page order goes once `node` and all below it are read: the next
/// node (Some(Some)), the walk's end, back at `root` (Some(None)), or None where a node has no parent before
/// `root` (a tree the walk cannot read).
///
/// # Safety
/// `node` is `root` or a node below it, in a tree held alive and unchanged while this runs.
unsafe fn after_subtree(node: *mut XmlNode, root: *mut XmlNode) -> Option<Option<*mut XmlNode>> {
    let mut at = node;
    loop {
        if at == root {
            return Some(None);
        }
        let here = &*at;
        if !here.next.is_null() {
            return Some(Some(here.next));
        }
        at = here.parent;
        if at.is_null() {
            return None;
        }
    }
}

/// The first node from `node` on (it and its next siblings) that lxml's `iterwalk` gives start and end events
/// for: an element (text, comments and processing instructions get none, so a comment's tail is not read):
/// Some(None) when there is none, None on a node this walk does not read (an entity reference, XInclude
/// markers...).
unsafe fn next_event(mut node: *mut XmlNode) -> Option<Option<*mut XmlNode>> {
    while !node.is_null() {
        let current = &*node;
        match current.kind {
            ELEMENT_NODE => return Some(Some(node)),
            TEXT_NODE | CDATA_SECTION_NODE | COMMENT_NODE | PI_NODE => node = current.next,
            _ => return None,
        }
    }
    Some(None)
}

/// The text units of `cleaner.io.html_blocks._unit_texts`, read in one walk.
struct UnitWalk<'a> {
    root: *mut XmlNode,
    removed: &'a HashSet<*mut XmlNode>,
    unseen: &'a HashSet<String>,
    breaks: &'a HashSet<String>,
    units: Vec<String>,
    inside: Vec<bool>,
    current: String,
    depth: usize,
}

impl UnitWalk<'_> {
    fn flush(&mut self) {
        self.units.push(std::mem::take(&mut self.current));
        self.inside.push(self.depth > 0);
    }

    /// The start event of an element: whether to walk into its children.
    unsafe fn start(&mut self, node: *mut XmlNode) -> Option<bool> {
        let current = &*node;
        if !current.ns.is_null() {
            return None;
        }
        let tag = utf8(current.name)?;
        if self.unseen.contains(tag) {
            return Some(false); // never shown: skipped, its tail read at its end
        }
        let edge = self.removed.contains(&node);
        if !self.current.is_empty() && (edge || self.breaks.contains(tag)) {
            self.flush();
        }
        if edge {
            self.depth += 1;
        }
        append_run(current.children, &mut self.current)?;
        Some(!current.children.is_null())
    }

    unsafe fn end(&mut self, node: *mut XmlNode) -> Option<()> {
        let current = &*node;
        let tag = utf8(current.name)?;
        if self.unseen.contains(tag) {
            return append_run(current.next, &mut self.current);
        }
        let edge = self.removed.contains(&node);
        if !self.current.is_empty() && (edge || self.breaks.contains(tag)) {
            self.flush();
        }
        if edge {
            self.depth = self.depth.checked_sub(1)?;
        }
        if node != self.root {
            append_run(current.next, &mut self.current)?;
        }
        Some(())
    }

    unsafe fn run(mut self) -> Option<(Vec<String>, Vec<bool>)> {
        let mut node = self.root;
        loop {
            if self.start(node)? {
                if let Some(child) = next_event((*node).children)? {
                    node = child;
                    continue;
                }
            }
            // The node's end, then up to the next node in page order, never past the root.
            let mut at = node;
            loop {
                self.end(at)?;
                if at == self.root {
                    if !self.current.is_empty() {
                        self.flush();
                    }
                    return Some((self.units, self.inside));
                }
                if let Some(next) = next_event((*at).next)? {
                    node = next;
                    break;
                }
                at = (*at).parent;
                if at.is_null() {
                    return None;
                }
            }
        }
    }
}

/// The page's text units below `element` in page order, and whether each lies inside one of `removed`: what
/// `cleaner.io.html_blocks._unit_texts` reads with `etree.iterwalk` (a unit is the text between two
/// boundaries: an element of `breaks`, the start or end of a removed element; the elements of `unseen` are
/// passed over but for their tails). None when an element is not as the guard wants it (see the module's
/// comment) or a node is one this walk does not read: the caller then walks the page in Python.
#[pyfunction]
pub fn tree_units(element: &Bound<'_, PyAny>, tag: &str, removed: Vec<Bound<'_, PyAny>>, unseen: HashSet<String>,
                  breaks: HashSet<String>) -> PyResult<Option<(Vec<String>, Vec<bool>)>> {
    let lxml_element = element.py().import("lxml.etree")?.getattr("_Element")?;
    let mut removed_nodes = HashSet::with_capacity(removed.len());
    for block in &removed {
        if !block.is_instance(&lxml_element)? {
            return Ok(None);
        }
        match element_node(block) {
            Some(node) => removed_nodes.insert(node),
            None => return Ok(None),
        };
    }
    if !element.is_instance(&lxml_element)? {
        return Ok(None);
    }
    let Some(root) = element_node(element) else { return Ok(None) };
    // SAFETY: an element node of the guarded tree.
    if utf8(unsafe { (*root).name }) != Some(tag) {
        return Ok(None);
    }
    let walk = UnitWalk { root, removed: &removed_nodes, unseen: &unseen, breaks: &breaks, units: Vec::new(),
                          inside: Vec::new(), current: String::new(), depth: 0 };
    // SAFETY: pointers of a tree the caller holds alive and unchanged (it holds the GIL), read only.
    Ok(unsafe { walk.run() })
}

/// Python's `str.isspace` for the characters this walk trims: Unicode White_Space and the ASCII separators
/// U+001C..U+001F, which Python also strips. A superset of Python's white space, so a length counted after
/// trimming with it is never more than Python's.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The first attribute named `name` without a namespace (what lxml's `.get` reads): its value, "" when absent;
/// borrowed from the tree when it is one text node. None when its value holds other than text.
unsafe fn attribute<'a>(node: &'a XmlNode, name: &str) -> Option<Cow<'a, str>> {
    let mut attr = node.properties;
    while !attr.is_null() {
        let property = &*attr;
        if property.ns.is_null() && utf8(property.name)? == name {
            let child = property.children;
            if !child.is_null() && (*child).kind == TEXT_NODE && (*child).next.is_null() {
                return Some(Cow::Borrowed(utf8((*child).content)?));
            }
            let mut value = String::new();
            attribute_value(property, &mut value)?;
            return Some(Cow::Owned(value));
        }
        attr = property.next;
    }
    Some(Cow::Borrowed(""))
}

/// Whether `text` may hold one of `words` (plain lower-case ASCII words) as a case-insensitive regular
/// expression finds them: an ASCII text is tested exactly; any other may (the caller tests it in Python).
fn may_hold(text: &str, words: &[String]) -> bool {
    if !text.is_ascii() {
        return true;
    }
    let bytes = text.as_bytes();
    words.iter().any(|word| {
        let wanted = word.as_bytes();
        !wanted.is_empty() && bytes.windows(wanted.len()).any(|window| window.eq_ignore_ascii_case(wanted))
    })
}

/// What the signal walk finds: the count of elements of its tags, the positions of those that may signal, and
/// the text nodes that may be a byline's date with their parent elements.
type WalkedSignals = (usize, Vec<usize>, Vec<(String, *mut XmlNode)>);

/// What `cleaner.io.html_blocks._signal_candidates` asks for (see there).
struct SignalWalk<'a> {
    tags: &'a HashSet<String>,
    reply_names: bool,
    avatar_names: bool,
    avatar_words: &'a [String],
    reply_class_words: &'a [String],
    labels: &'a HashSet<String>,
    words: &'a HashSet<String>,
    reply_chars: usize,
    word_chars: usize,
    date_longest: usize,
    date_chars: usize,
}

impl SignalWalk<'_> {
    /// Whether `_is_reply_or_avatar` may hold for the element: false only where it is false.
    unsafe fn may_signal(&self, node: &XmlNode, tag: &str) -> Option<bool> {
        if self.reply_names || self.avatar_names {
            // Python joins class and id with a space, which no word spans: each is tested on its own.
            for name in ["class", "id"] {
                let value = attribute(node, name)?;
                if tag == "img" && self.avatar_names && may_hold(&value, self.avatar_words) {
                    return Some(true);
                }
                if self.reply_names && may_hold(&value, self.reply_class_words) {
                    return Some(true);
                }
            }
        }
        if tag == "img" && may_hold(&attribute(node, "src")?, self.avatar_words) {
            return Some(true);
        }
        for name in ["title", "aria-label", "alt"] {
            let label = attribute(node, name)?;
            if label.is_empty() {
                continue;
            }
            if !label.is_ascii() {
                return Some(true);
            }
            let first = label.split(py_space).find(|part| !part.is_empty()).unwrap_or("");
            if self.labels.contains(&first.to_ascii_lowercase().trim_matches(['.', ':', '!']).to_string()) {
                return Some(true);
            }
            break;
        }
        // The element's own text (the run of text nodes lxml's `.text` reads), stripped.
        let mut own = String::new();
        let mut child = node.children;
        while !child.is_null() {
            let current = &*child;
            match current.kind {
                TEXT_NODE | CDATA_SECTION_NODE => own.push_str(utf8(current.content)?),
                19 | 20 => return Some(true),
                _ => break,
            }
            child = current.next;
        }
        if own.trim_matches(py_space).chars().count() > self.reply_chars {
            return Some(false);
        }
        // Its whole text, read only as far as it can still be one of the words.
        let mut text = String::new();
        let mut solid = 0usize;
        let root = node as *const XmlNode as *mut XmlNode;
        let mut at = node.children;
        while !at.is_null() {
            let current = &*at;
            if current.kind == TEXT_NODE || current.kind == CDATA_SECTION_NODE {
                let piece = utf8(current.content)?;
                solid += piece.chars().filter(|c| !py_space(*c) && !matches!(c, '↓' | '(' | ')')).count();
                if solid > self.word_chars {
                    return Some(false); // longer than any word, whatever casefolding makes of it
                }
                text.push_str(piece);
            }
            if current.kind == ELEMENT_NODE && !current.children.is_null() {
                at = current.children;
                continue;
            }
            at = after_subtree(at, root)?.unwrap_or(std::ptr::null_mut());
        }
        if !text.is_ascii() {
            return Some(true);
        }
        let joined = text.split(py_space).filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ");
        Some(self.words.contains(joined.to_ascii_lowercase().trim_matches([' ', '(', ')'])))
    }

    /// Whether `_may_be_dated` may pass the text node: false only where its length tests fail or it holds no
    /// ASCII digit.
    fn may_be_dated(&self, text: &str) -> bool {
        // A character takes one to four bytes: most texts are told by their byte length alone.
        if text.len() <= 2 || text.len() > 4 * self.date_longest || !text.bytes().any(|b| b.is_ascii_digit()) {
            return false;
        }
        let length = text.chars().count();
        2 < length && length <= self.date_longest && text.trim_matches(py_space).chars().count() <= self.date_chars
    }

    unsafe fn run(&self, root: *mut XmlNode) -> Option<WalkedSignals> {
        let mut count = 0usize;
        let mut candidates = Vec::new();
        let mut dated = Vec::new();
        let mut node = root;
        loop {
            let current = &*node;
            match current.kind {
                ELEMENT_NODE => {
                    if !current.ns.is_null() {
                        return None;
                    }
                    let tag = utf8(current.name)?;
                    if node != root && self.tags.contains(tag) {
                        if self.may_signal(current, tag)? {
                            candidates.push(count);
                        }
                        count += 1;
                    }
                }
                TEXT_NODE | CDATA_SECTION_NODE => {
                    let text = utf8(current.content)?;
                    if self.may_be_dated(text) {
                        dated.push((text.to_owned(), current.parent));
                    }
                }
                _ if !current.children.is_null() => return None,
                _ => {}
            }
            if current.kind == ELEMENT_NODE && !current.children.is_null() {
                node = current.children;
                continue;
            }
            match after_subtree(node, root)? {
                Some(next) => node = next,
                None => return Some((count, candidates, dated)),
            }
        }
    }
}

/// lxml's `elementFactory` (its public C API, `lxml.etree.__pyx_capi__`): the proxy of a node of a document.
type ElementFactory = unsafe extern "C" fn(*mut c_void, *mut XmlNode) -> *mut pyo3::ffi::PyObject;

fn element_factory(py: Python<'_>) -> PyResult<Option<ElementFactory>> {
    let api = py.import("lxml.etree")?.getattr("__pyx_capi__")?;
    let Ok(capsule) = api.get_item("elementFactory") else { return Ok(None) };
    // SAFETY: a capsule of lxml's C API, read by its own name; lxml stays imported while the interpreter runs.
    unsafe {
        let name = pyo3::ffi::PyCapsule_GetName(capsule.as_ptr());
        if name.is_null() {
            return Err(PyErr::fetch(py));
        }
        if CStr::from_ptr(name).to_bytes() != b"struct LxmlElement *(struct LxmlDocument *, xmlNode *)" {
            return Ok(None);
        }
        let pointer = pyo3::ffi::PyCapsule_GetPointer(capsule.as_ptr(), name);
        if pointer.is_null() {
            return Err(PyErr::fetch(py));
        }
        Ok(Some(std::mem::transmute::<*mut c_void, ElementFactory>(pointer)))
    }
}

/// What the walks below need of `element`: lxml's element factory and the element's node, when it is an lxml
/// element of tag `tag` and lxml's C API is the one read here (None: the walk declines, the caller asks Python).
fn walked_root(element: &Bound<'_, PyAny>, tag: &str) -> PyResult<Option<(ElementFactory, *mut XmlNode)>> {
    let py = element.py();
    let lxml_element = py.import("lxml.etree")?.getattr("_Element")?;
    if !element.is_instance(&lxml_element)? {
        return Ok(None);
    }
    let Some(factory) = element_factory(py)? else { return Ok(None) };
    let Some(root) = element_node(element) else { return Ok(None) };
    // SAFETY: an element node of the guarded tree.
    if utf8(unsafe { (*root).name }) != Some(tag) {
        return Ok(None);
    }
    Ok(Some((factory, root)))
}

/// What one walk of a page's body finds for `tree_signals`: the count of elements of `tags`, the positions of
/// those that may signal, and each text node that may be a byline's date with its parent element.
type Signals = (usize, Vec<usize>, Vec<(String, Py<PyAny>)>);

/// In one walk of `element` (a page's body, tag `tag`): how many elements below it are of `tags`, the positions
/// among them (page order) of those that may be a reply control or an avatar, and the text nodes that may be a
/// byline's date, each with the element holding it (lxml's proxy, made by its `elementFactory`): supersets of
/// what `cleaner.io.html_blocks._signalled` finds, which then tests only these in Python. None where the walk
/// cannot read the tree as lxml does (the caller tests every element).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn tree_signals(element: &Bound<'_, PyAny>, tag: &str, tags: HashSet<String>, reply_names: bool,
                    avatar_names: bool, avatar_words: Vec<String>, reply_class_words: Vec<String>,
                    labels: HashSet<String>, words: HashSet<String>, reply_chars: usize, word_chars: usize,
                    date_longest: usize, date_chars: usize) -> PyResult<Option<Signals>> {
    let py = element.py();
    let Some((factory, root)) = walked_root(element, tag)? else { return Ok(None) };
    let walk = SignalWalk { tags: &tags, reply_names, avatar_names, avatar_words: &avatar_words,
                            reply_class_words: &reply_class_words, labels: &labels, words: &words, reply_chars,
                            word_chars, date_longest, date_chars };
    // SAFETY: pointers of a tree the caller holds alive and unchanged (it holds the GIL), read only.
    let Some((count, positions, dated)) = (unsafe { walk.run(root) }) else { return Ok(None) };
    // SAFETY: the element is an lxml element (checked above): its document is the one its nodes belong to.
    let document = unsafe { (*(element.as_ptr() as *const LxmlElement)).doc };
    let mut texts = Vec::with_capacity(dated.len());
    for (text, parent) in dated {
        // SAFETY: `parent` is an element node of that document (the walk descends through elements only); the
        // factory returns a new reference to its proxy, or NULL with an exception set.
        let proxy = unsafe { Bound::from_owned_ptr_or_err(py, factory(document, parent))? };
        texts.push((text, proxy.unbind()));
    }
    Ok(Some((count, positions, texts)))
}

/// One simple selector alternative `tree_select` evaluates: an element name ("" for any) and a test of its
/// attributes: none (0), the class attribute holds the word `value` (1), the attribute `name` holds `value` (2),
/// or equals it (3); or an element of that name that is a child of an element named `name` (4: cssselect's
/// `descendant-or-self::body/header` for `body > header`).
type SelectSpec = (String, u8, String, String);

/// Per spec, the positions it selects; the selected elements' positions and their proxies.
type Selected = (Vec<Vec<usize>>, Vec<usize>, Vec<Py<PyAny>>);

/// Per spec, the positions (page order, among `element` and the elements below it) of the elements it selects,
/// as cssselect's XPath for it does; and the selected elements' positions with their proxies (lxml's, made by
/// its `elementFactory`). None where the walk cannot read the tree as XPath does (a namespaced element, an
/// attribute named twice, a value that is not text): the caller evaluates the XPath.
#[pyfunction]
pub fn tree_select(element: &Bound<'_, PyAny>, tag: &str, specs: Vec<SelectSpec>)
                   -> PyResult<Option<Selected>> {
    let py = element.py();
    let Some((factory, root)) = walked_root(element, tag)? else { return Ok(None) };
    let mut by_tag: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_word: HashMap<&str, Vec<usize>> = HashMap::new();
    // By attribute name first: most attributes (href, src, style...) are named by no spec, and are not hashed.
    let mut by_value: HashMap<&str, HashMap<&str, Vec<usize>>> = HashMap::new();
    let mut holding: HashMap<&str, Vec<usize>> = HashMap::new();
    // Kind 4, by the child's name: the parent's name is compared where an element of that name stands.
    let mut by_child: HashMap<&str, Vec<usize>> = HashMap::new();
    for (at, (_, kind, name, value)) in specs.iter().enumerate() {
        match kind {
            0 => by_tag.entry(specs[at].0.as_str()).or_default().push(at),
            4 if !specs[at].0.is_empty() && !name.is_empty() => by_child.entry(specs[at].0.as_str()).or_default().push(at),
            1 => by_word.entry(value.as_str()).or_default().push(at),
            2 => holding.entry(name.as_str()).or_default().push(at),
            3 => by_value.entry(name.as_str()).or_default().entry(value.as_str()).or_default().push(at),
            _ => return Ok(None),
        }
    }
    let mut found: Vec<Vec<usize>> = vec![Vec::new(); specs.len()];
    let mut selected: Vec<(usize, *mut XmlNode)> = Vec::new();
    let mut matched: Vec<usize> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut position = 0usize;
    let mut node = root;
    // SAFETY: pointers of a tree the caller holds alive and unchanged (it holds the GIL), read only.
    unsafe {
        loop {
            let current = &*node;
            if current.kind == ELEMENT_NODE {
                if !current.ns.is_null() {
                    return Ok(None);
                }
                let name = match utf8(current.name) { Some(name) => name, None => return Ok(None) };
                matched.clear();
                names.clear();
                if let Some(ids) = by_tag.get(name) {
                    matched.extend(ids);
                }
                // The root's parent is outside the walked tree: XPath's step from the root never reaches it.
                if let (Some(ids), false) = (by_child.get(name), node == root) {
                    let parent = current.parent;
                    if !parent.is_null() && (*parent).kind == ELEMENT_NODE && (*parent).ns.is_null() {
                        let Some(parent_name) = utf8((*parent).name) else { return Ok(None) };
                        matched.extend(ids.iter().filter(|&&at| specs[at].2 == parent_name));
                    }
                }
                let mut attr = current.properties;
                while !attr.is_null() {
                    let property = &*attr;
                    attr = property.next;
                    if !property.ns.is_null() {
                        continue; // XPath's @name selects no namespaced attribute
                    }
                    let Some(attribute) = utf8(property.name) else { return Ok(None) };
                    if names.contains(&attribute) {
                        return Ok(None);
                    }
                    names.push(attribute);
                    let equal = by_value.get(attribute);
                    let held = holding.get(attribute);
                    if attribute != "class" && equal.is_none() && held.is_none() {
                        continue;
                    }
                    let child = property.children;
                    let value: Cow<'_, str> = if !child.is_null() && (*child).kind == TEXT_NODE && (*child).next.is_null() {
                        match utf8((*child).content) { Some(text) => Cow::Borrowed(text), None => return Ok(None) }
                    } else {
                        let mut owned = String::new();
                        if attribute_value(property, &mut owned).is_none() {
                            return Ok(None);
                        }
                        Cow::Owned(owned)
                    };
                    if attribute == "class" {
                        // normalize-space's white space: space, tab, carriage return, line feed.
                        for word in value.split([' ', '\t', '\r', '\n']).filter(|w| !w.is_empty()) {
                            if let Some(ids) = by_word.get(word) {
                                matched.extend(ids);
                            }
                        }
                    }
                    if let Some(ids) = equal.and_then(|values| values.get(value.as_ref())) {
                        matched.extend(ids);
                    }
                    for &at in held.into_iter().flatten() {
                        if value.contains(specs[at].3.as_str()) {
                            matched.push(at);
                        }
                    }
                }
                let mut any = false;
                for &at in &matched {
                    let wanted = &specs[at].0;
                    if (wanted.is_empty() || wanted == name) && found[at].last() != Some(&position) {
                        found[at].push(position);
                        any = true;
                    }
                }
                if any {
                    selected.push((position, node));
                }
                position += 1;
            } else if !current.children.is_null() {
                return Ok(None);
            }
            if current.kind == ELEMENT_NODE && !current.children.is_null() {
                node = current.children;
                continue;
            }
            match after_subtree(node, root) {
                Some(Some(next)) => node = next,
                Some(None) => break,
                None => return Ok(None),
            }
        }
    }
    // SAFETY: the element is an lxml element (checked above): its document is the one its nodes belong to.
    let document = unsafe { (*(element.as_ptr() as *const LxmlElement)).doc };
    let mut positions = Vec::with_capacity(selected.len());
    let mut proxies = Vec::with_capacity(selected.len());
    for (position, node) in selected {
        // SAFETY: an element node of that document; the factory returns a new reference or NULL with an error.
        let proxy = unsafe { Bound::from_owned_ptr_or_err(py, factory(document, node))? };
        positions.push(position);
        proxies.push(proxy.unbind());
    }
    Ok(Some((found, positions, proxies)))
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(tree_index, module)?)?;
    module.add_function(wrap_pyfunction!(tree_units, module)?)?;
    module.add_function(wrap_pyfunction!(tree_signals, module)?)?;
    module.add_function(wrap_pyfunction!(tree_select, module)?)?;
    Ok(())
}
