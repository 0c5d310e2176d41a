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

use std::collections::BTreeSet;
use std::ffi::{c_char, c_int, c_void, CStr};

use pyo3::prelude::*;

const ELEMENT_NODE: c_int = 1;
const TEXT_NODE: c_int = 3;

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
            // Up to the next node in page order, never past the root.
            let mut at = node;
            loop {
                if at == root {
                    let tags = tags.into_iter().map(str::to_owned).collect();
                    return Some((joined, tags));
                }
                let here = &*at;
                if !here.next.is_null() {
                    node = here.next;
                    break;
                }
                at = here.parent;
                if at.is_null() {
                    return None;
                }
            }
        }
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(tree_index, module)?)?;
    Ok(())
}
