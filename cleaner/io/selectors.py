"""CSS selectors checked and compiled for a page: a leaf module shared by the HTML rules, the page types and the
rule loader, so that none of them imports another for it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cleaner._native import tree_index, tree_select


def check_selector(css: str) -> str | None:
    """Why a CSS selector cannot be used, or None: given to the rule parser, which stays free of cssselect."""
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(css)
    except SelectorError as exc:
        return str(exc)
    except Exception as exc:  # cssselect raises plain errors on some inputs (a lone quote)
        return f"{type(exc).__name__}: {exc}"
    return None


#: What an alternative of a selector needs on the page to match anything: ("class" | "id" | "attr" |
#: "tag", name); ("value", attribute, operator, value) for an attribute selector with a value (``[a*=v]``:
#: some element's attribute ``a`` holds ``v``); or None when that cannot be told. Pages are summarised once
#: (:class:`PageIndex`), and an alternative whose need is absent is not evaluated: most pages hold few of the
#: words the rules name, and evaluating every alternative's XPath on every element cost more than extraction
#: itself. A value need is what the XPath cssselect writes for the operator tests, so it is met whenever the
#: alternative can match (``[class*=footer]`` is evaluated only on pages where a class holds "footer", not on
#: every page with a class).
Need = tuple[str, ...] | None
#: The whitespace XPath's normalize-space() splits a class attribute on (not Python's wider str.split()),
#: and the separator of the values in :attr:`PageIndex._values` (no attribute value holds it).
_XML_SPACE = str.maketrans("\t\n\r\x00", "    ")
_SEPARATOR = "\x00"
#: The attribute operators whose test a value need makes, as cssselect translates them to XPath (an empty
#: value makes cssselect's XPath match nothing; such selectors keep the plain attribute need). Each looks
#: for the value in all of the page's values of the attribute at once: ``values`` is them joined, with the
#: separator before and after each; ``words`` the same with white space made the separator (" a b ").
_VALUE_TESTS: dict[str, Callable[[str, str, str], bool]] = {
    "=": lambda values, words, wanted: f"{_SEPARATOR}{wanted}{_SEPARATOR}" in values,
    "~=": lambda values, words, wanted: f" {wanted} " in words,
    "|=": lambda values, words, wanted: f"{_SEPARATOR}{wanted}{_SEPARATOR}" in values
    or f"{_SEPARATOR}{wanted}-" in values,
    "^=": lambda values, words, wanted: f"{_SEPARATOR}{wanted}" in values,
    "$=": lambda values, words, wanted: f"{wanted}{_SEPARATOR}" in values,
    "*=": lambda values, words, wanted: wanted in values,
}


@cache
def _attribute_values(name: str) -> Any:
    """An XPath reading every value of the attribute ``name`` on the page, as strings."""
    from lxml import etree

    return etree.XPath(f"descendant-or-self::*/@{name}", smart_strings=False)


class PageIndex:
    """Which needs a page meets. Class words and ids are read in one pass of compiled XPath that returns
    strings only (no Python object per element: walking the tree from Python cost more than the rules);
    a tag or an attribute name is looked up when first asked for."""

    def __init__(self, tree: Any, names: Iterable[str] = (), natives: Sequence[NativeSpec] = ()) -> None:
        self._tree = tree
        #: The simple alternatives the compiled walk evaluates (:func:`native_spec`), all at once when the
        #: first of them is asked for; then what each selects (positions in page order) and the elements.
        self._natives = natives
        self._native: tuple[dict[NativeSpec, list[int]], dict[int, Any]] | None = None
        self._native_read = False
        #: Per attribute name, its values on the page joined (see _VALUE_TESTS), read when first asked for
        #: (class and id at once; with the compiled walk, ``names`` too, the names the rules ask about).
        self._values: dict[str, str] = {}
        #: The page's tag names, when the compiled walk read them (else each is looked up when asked for).
        self._tags: frozenset[str] | None = None
        wanted = ("id", "class", *sorted({n for n in names if _PLAIN_NAME.fullmatch(n)} - {"id", "class"}))
        walked = _walked(tree, wanted)
        if walked is not None:
            joined, tags = walked
            self._values.update(zip(wanted, joined, strict=True))
            self._tags = frozenset(tags)
            ids = self._values["id"][1:-1].split(_SEPARATOR) if self._values["id"] else []
        else:
            ids = _attribute_values("id")(tree)
            self._values["id"] = self._joined(ids)
            self._values["class"] = self._joined(_attribute_values("class")(tree))
        #: The class words and ids the page holds (a class or id need is met when its name is one).
        self._read = {"class": set(self._values["class"].translate(_XML_SPACE).split(" ")) - {""}, "id": set(ids)}
        self._known: dict[tuple[str, ...], bool] = {}
        self._selected: dict[int, tuple[Alternatives, list[Any]]] = {}

    @staticmethod
    def _joined(values: list[str]) -> str:
        return f"{_SEPARATOR}{_SEPARATOR.join(values)}{_SEPARATOR}" if values else ""

    def attribute_values(self, name: str) -> str:
        """Every value of the attribute ``name`` on the page, joined (each with the separator before and after
        it; "" when no element has one), read once."""
        values = self._values.get(name)
        if values is None:
            values = self._values[name] = self._joined(_attribute_values(name)(self._tree))
        return values

    def select(self, alternatives: Alternatives) -> list[Any]:
        """What ``alternatives`` select on this page, evaluated once per page (several steps ask for the same
        selectors). The list is shared: callers must not change it."""
        held = self._selected.get(id(alternatives))
        if held is None or held[0] is not alternatives:
            held = (alternatives, alternatives(self._tree, self))
            self._selected[id(alternatives)] = held
        return held[1]

    def native_selected(self, specs: Sequence[NativeSpec]) -> list[Any] | None:
        """What the alternatives ``specs`` select together (in page order, each element once, as XPath's union
        gives them), from the compiled walk; None when the walk did not read them (then XPath evaluates them)."""
        if not self._native_read:
            self._native_read = True
            self._native = _selected_natively(self._tree, self._natives)
        if self._native is None:
            return None
        found, elements = self._native
        if any(spec not in found for spec in specs):
            return None
        positions = found[specs[0]] if len(specs) == 1 else sorted(set().union(*(found[spec] for spec in specs)))
        return [elements[position] for position in positions]

    def __contains__(self, need: object) -> bool:
        if not isinstance(need, tuple):
            return False
        read = self._read.get(need[0])
        if read is not None:
            return need[1] in read
        known = self._known.get(need)
        if known is not None:
            return known
        present = self._has_value(*need[1:]) if need[0] == "value" else self._holds(need[0], need[1])
        self._known[need] = present
        return present

    def _has_value(self, name: str, operator: str, wanted: str) -> bool:
        """Whether some element's attribute ``name`` passes the operator's test with ``wanted``."""
        from lxml import etree

        values = self._values.get(name)
        if values is None:
            try:
                values = self._joined(_attribute_values(name)(self._tree))
            except etree.XPathError:  # a name XPath cannot spell: evaluate the alternative itself
                return True
            self._values[name] = values
        if _SEPARATOR in wanted:
            return True
        words = values.translate(_XML_SPACE) if operator == "~=" else ""
        return _VALUE_TESTS[operator](values, f" {words} ", wanted)

    def _holds(self, kind: str, name: str) -> bool:
        from lxml import etree

        if _PLAIN_NAME.fullmatch(name):  # what the walk read answers as the XPath would
            if kind == "attr" and name in self._values:
                return bool(self._values[name])
            if kind == "tag" and self._tags is not None:
                return name in self._tags
        try:
            return bool(_presence(kind, name)(self._tree))
        except etree.XPathError:  # a name XPath cannot spell: evaluate the alternative itself
            return True


#: Names the compiled walk reads and answers for: an XPath name test spells them as they are (no prefix).
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _walked(tree: Any, names: tuple[str, ...]) -> tuple[list[str], list[str]] | None:
    """Per name, the values of that attribute on ``tree`` and below it, joined as :meth:`PageIndex._joined`
    joins XPath's ``descendant-or-self::*/@name``, and the page's tag names: read in one walk of the libxml2
    tree by the compiled core (src/tree.rs, docs/native.md), or None where it cannot read this tree (then
    XPath reads it, one walk per name)."""
    if not walk_layout_known():
        return None
    from lxml import etree

    if not isinstance(tree, etree._Element):
        return None
    tag = tree.tag
    if not isinstance(tag, str) or tag.startswith("{"):
        return None
    return tree_index(tree, tag, list(names))


@cache
def walk_layout_known() -> bool:
    """Whether the compiled walk may read lxml's element structs: the lxml and libxml2 majors it was checked
    with, on a CPython whose objects start with the usual header (not a free-threaded build)."""
    import sysconfig

    from lxml import etree

    return etree.LXML_VERSION[0] in (5, 6) and etree.LIBXML_VERSION[0] == 2 and \
        not sysconfig.get_config_var("Py_GIL_DISABLED")


@cache
def _presence(kind: str, name: str) -> Any:
    """An XPath telling whether the page holds an attribute (``kind`` "attr") or an element of that name."""
    from lxml import etree

    # An element is asked for as the first of its name ([1]): XPath stops at it, where a plain step walks the
    # whole page (a tag the rules name, such as <nav> or <header>, mostly stands near the top of the page).
    # An attribute is not: [@name][1] costs more than the plain step on pages without it, the most.
    test = f"descendant-or-self::*/@{name}" if kind == "attr" else f"descendant-or-self::{name}[1]"
    return etree.XPath(f"boolean({test})")


@dataclass(frozen=True)
class Alternatives:
    """A selector's alternatives, each compiled with what it needs on the page."""

    compiled: tuple[tuple[Need, Any], ...]
    #: Per alternative, its form for the compiled walk (:func:`native_spec`), or None where it has none.
    natives: tuple[NativeSpec | None, ...] = ()
    #: The union of each set of alternatives that a page needed together, compiled when first needed:
    #: XPath returns a union in page order, each element once, as the rules expect.
    _unions: dict[tuple[int, ...], Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __call__(self, tree: Any, page: PageIndex) -> list[Any]:
        """The elements of ``tree`` the selector selects; ``page`` indexes that same tree."""
        chosen = tuple(n for n, (need, _xpath) in enumerate(self.compiled) if need is None or need in page)
        if not chosen:
            return []
        specs = [self.natives[n] for n in chosen] if self.natives else []
        if specs and all(specs):
            selected = page.native_selected(specs)  # type: ignore[arg-type]
            if selected is not None:
                return selected
        if len(chosen) == 1:
            return list(self.compiled[chosen[0]][1](tree))
        union = self._unions.get(chosen)
        if union is None:
            from lxml import etree

            union = etree.XPath(" | ".join(self.compiled[n][1].path for n in chosen))
            self._unions[chosen] = union
        return list(union(tree))


def attribute_names(selectors: Iterable[Alternatives | None]) -> frozenset[str]:
    """The attribute names whose presence or values the selectors' needs ask about (what a :class:`PageIndex`
    built for them reads at once)."""
    return frozenset(need[1] for alternatives in selectors if alternatives is not None
                     for need, _xpath in alternatives.compiled if need is not None and need[0] in ("value", "attr"))


def compile_selector(css: str) -> Alternatives:
    """A CSS selector's alternatives, compiled to XPath from the tree's root (``descendant-or-self::``)."""
    from cssselect import GenericTranslator, parse
    from lxml import etree

    translator = GenericTranslator()
    compiled = tuple((selector_need(s.parsed_tree),
                      etree.XPath(translator.selector_to_xpath(s, prefix="descendant-or-self::")))
                     for s in parse(css))
    return Alternatives(compiled, natives=tuple(native_spec(xpath.path) for _need, xpath in compiled))


#: A simple alternative as the compiled walk (src/tree.rs ``tree_select``) evaluates it: the element's name
#: ("" for any) and a test: none (0), the class attribute holds a word (1), an attribute holds a text (2) or
#: equals it (3), with the attribute's name and the word or text; or the element is a child of an element of
#: the name given in the attribute name's place (4: ``body > header``).
NativeSpec = tuple[str, int, str, str]
_NAME = r"(\*|[A-Za-z][A-Za-z0-9]*)"
_ATTRIBUTE_NAME = r"([A-Za-z_][A-Za-z0-9_-]*)"
#: The XPath cssselect writes for the simple forms (``.word``, ``[a*=v]``, ``[a=v]``, ``tag``, ``a > b``),
#: from the root.
_CLASS_WORD_XPATH = re.compile(rf"descendant-or-self::{_NAME}\[@class and contains\(@class, '([^'\s]+)'\) and "
                               r"contains\(concat\(' ', normalize-space\(@class\), ' '\), ' ([^'\s]+) '\)\]")
_HOLDS_XPATH = re.compile(rf"descendant-or-self::{_NAME}\[@{_ATTRIBUTE_NAME} and contains\(@\2, '([^']*)'\)\]")
_EQUALS_XPATH = re.compile(rf"descendant-or-self::{_NAME}\[@{_ATTRIBUTE_NAME} = '([^']*)'\]")
_TAG_XPATH = re.compile(r"descendant-or-self::([A-Za-z][A-Za-z0-9]*)")
_CHILD_XPATH = re.compile(r"descendant-or-self::([A-Za-z][A-Za-z0-9]*)/([A-Za-z][A-Za-z0-9]*)")


def native_spec(path: str) -> NativeSpec | None:
    """The alternative's form for the compiled walk, when its XPath is one of the simple forms; else None."""
    if found := _CLASS_WORD_XPATH.fullmatch(path):
        name, word, again = found.groups()
        return (name if name != "*" else "", 1, "class", word) if word == again else None
    if found := _HOLDS_XPATH.fullmatch(path):
        name, attribute, text = found.groups()
        return (name if name != "*" else "", 2, attribute, text)
    if found := _EQUALS_XPATH.fullmatch(path):
        name, attribute, text = found.groups()
        return (name if name != "*" else "", 3, attribute, text)
    if found := _TAG_XPATH.fullmatch(path):
        return (found.group(1), 0, "", "")
    if found := _CHILD_XPATH.fullmatch(path):
        parent, child = found.groups()
        return (child, 4, parent, "")
    return None


def _selected_natively(tree: Any, specs: Sequence[NativeSpec]
                       ) -> tuple[dict[NativeSpec, list[int]], dict[int, Any]] | None:
    """What each of ``specs`` selects in ``tree`` (positions in page order) and the selected elements by position,
    read in one compiled walk; None where the walk cannot read the tree (then XPath evaluates each)."""
    if not specs or not walk_layout_known():
        return None
    from lxml import etree

    if not isinstance(tree, etree._Element) or not isinstance(tree.tag, str) or tree.tag.startswith("{"):
        return None
    read = tree_select(tree, tree.tag, list(specs))
    if read is None:
        return None
    found, positions, elements = read
    return dict(zip(specs, found, strict=True)), dict(zip(positions, elements, strict=True))


def selector_need(node: Any) -> Need:
    """What a parsed selector (cssselect's tree) needs on the page: the element it selects must carry an
    id, a class, an attribute (with a value that passes its operator's test) or be of a tag; for ``:has(X)``,
    X's need."""
    from cssselect.parser import Attrib, Class, CombinedSelector, Element, Function, Hash, Pseudo, Relation
    from cssselect.xpath import is_non_whitespace, is_safe_name

    if isinstance(node, CombinedSelector):
        return selector_need(node.subselector)
    if isinstance(node, Relation):
        # each argument is (combinator, selector) or a selector
        selectors = [a[-1] if isinstance(a, tuple) else a for a in node.arguments]
        inner = [selector_need(selector.parsed_tree) for selector in selectors if hasattr(selector, "parsed_tree")]
        return inner[0] if len(inner) == 1 and inner[0] else selector_need(node.selector)
    if isinstance(node, Hash):
        return ("id", node.id)
    if isinstance(node, Class):
        return ("class", node.class_name)
    if isinstance(node, Attrib):
        if node.namespace is not None:
            return None
        token: Any = node.value  # a token (cssselect 1.2 on), None for [name]
        wanted = token.value if token is not None else None
        # Only where cssselect writes the operator's test on ``@name`` (an empty value, or one with white space
        # for ~=, matches nothing; an unusual name is written another way).
        if node.operator in _VALUE_TESTS and isinstance(wanted, str) and wanted and is_safe_name(node.attrib) and (
                node.operator != "~=" or is_non_whitespace(wanted)):
            return ("value", node.attrib, node.operator, wanted)
        return ("attr", node.attrib)
    if isinstance(node, Function | Pseudo):
        return selector_need(node.selector)
    if isinstance(node, Element):
        return ("tag", node.element) if node.element and node.element != "*" else None
    return None
