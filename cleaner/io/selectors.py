"""CSS selectors checked and compiled for a page: a leaf module shared by the HTML rules, the page types and the
rule loader, so that none of them imports another for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
#: "tag", name), or None when that cannot be told. Pages are summarised once into the same pairs, and an
#: alternative whose need is absent is not evaluated: most pages hold few of the words the rules name,
#: and evaluating every alternative's XPath on every element cost more than extraction itself.
Need = tuple[str, str] | None


@dataclass(frozen=True)
class Alternatives:
    """A selector's alternatives, each compiled with what it needs on the page."""

    compiled: tuple[tuple[Need, Any], ...]

    def __call__(self, tree: Any, page: frozenset[tuple[str, str]], order: PageOrder) -> list[Any]:
        found: list[Any] = []
        runs = 0
        for need, xpath in self.compiled:
            if need is None or need in page:
                found.extend(xpath(tree))
                runs += 1
        if runs > 1:  # several alternatives: back to page order, each element once
            found = sorted(set(found), key=lambda e: order.get(e, 0))
        return found



def selector_need(node: Any) -> Need:
    """What a parsed selector (cssselect's tree) needs on the page: the element it selects must carry an
    id, a class, an attribute or be of a tag; for ``:has(X)``, X's need."""
    from cssselect.parser import Attrib, Class, CombinedSelector, Element, Function, Hash, Pseudo, Relation

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
        return ("attr", node.attrib) if node.namespace is None else None
    if isinstance(node, Function | Pseudo):
        return selector_need(node.selector)
    if isinstance(node, Element):
        return ("tag", node.element) if node.element and node.element != "*" else None
    return None


def page_summary(tree: Any) -> tuple[frozenset[tuple[str, str]], PageOrder]:
    """The ids, classes, attribute names and tags a page holds (see :data:`Need`), and the elements' page
    order (counted only if asked for)."""
    found: set[tuple[str, str]] = set()
    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        found.add(("tag", tag))
        for name, value in element.attrib.items():
            found.add(("attr", name))
            if name == "class":
                found.update(("class", word) for word in value.split())
            elif name == "id":
                found.add(("id", value))
    return frozenset(found), PageOrder(tree)


class PageOrder:
    """Each element's position in page order, counted on first use: only a selector whose several
    alternatives all matched needs it."""

    def __init__(self, tree: Any) -> None:
        self._tree: Any = tree
        self._positions: dict[Any, int] | None = None

    def get(self, element: Any, default: int = 0) -> int:
        if self._positions is None:
            self._positions = {found: n for n, found in enumerate(self._tree.iter())}
        return self._positions.get(element, default)
