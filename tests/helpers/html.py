"""Pages parsed into a small tree with the standard library's HTML parser, so tests pick out
elements, attributes and structure the way a browser sees them instead of matching markup
with regexes. `parse(html).select_one("#done").text` reads like the CSS it names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {
    *("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"),
    *("track", "wbr"),
}
# An open element of these is closed by the next sibling of the same kind (<li>, <option>...).
SELF_CLOSING_SIBLINGS = {"li", "option", "p", "td", "th", "tr", "dt", "dd"}


@dataclass(eq=False)
class Element:
    """One element (or the document, tag "#document"): its attributes, children and text."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = None

    def __repr__(self) -> str:
        attrs = "".join(f' {k}="{v}"' for k, v in self.attrs.items())
        return f"<{self.tag}{attrs}>"

    def get(self, name: str, default: str | None = None) -> str | None:
        """An attribute's value; a bare attribute (`autofocus`) has the value ""."""
        return self.attrs.get(name, default)

    @property
    def id(self) -> str | None:
        return self.attrs.get("id")

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    @property
    def text(self) -> str:
        """The words a person reads: entities decoded, each tag a space, spaces collapsed."""
        return " ".join(" ".join(self._strings()).split())

    @property
    def own_text(self) -> str:
        """The element's own words, without those of the elements inside it."""
        return " ".join(" ".join(c for c in self.children if isinstance(c, str)).split())

    def _strings(self):
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._strings()

    def descendants(self):
        """Every element below this one, in document order."""
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.descendants()

    def select(self, selector: str) -> list[Element]:
        """The elements below this one that match a CSS selector (see `Selector`)."""
        chains = [Selector(part) for part in selector.split(",")]
        return [e for e in self.descendants() if any(c.matches(e) for c in chains)]

    def select_one(self, selector: str) -> Element | None:
        found = self.select(selector)
        return found[0] if found else None

    @property
    def next_element(self) -> Element | None:
        """The element right after this one among its siblings (a heading's list)."""
        siblings = [c for c in self.parent.children if isinstance(c, Element)]
        after = siblings[siblings.index(self) + 1 :]
        return after[0] if after else None

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def index(self) -> int:
        """The element's position in the document, for asserting what comes first."""
        root = [self, *self.ancestors()][-1]
        return next(i for i, e in enumerate(root.descendants()) if e is self)

    def links(self) -> list[str]:
        """The href of every link below this one, in order."""
        return [a.attrs["href"] for a in self.select("a[href]")]

    def fields(self) -> dict[str, str]:
        """What a browser would submit from this form: named inputs (unticked boxes left out),
        each select's chosen option (else its first) and each textarea."""
        values: dict[str, str] = {}
        for control in self.select("input[name], select[name], textarea[name]"):
            name = control.attrs["name"]
            if control.tag == "select":
                options = control.select("option")
                chosen = [o for o in options if "selected" in o.attrs] or options[:1]
                values[name] = chosen[0].get("value", chosen[0].text) if chosen else ""
            elif control.tag == "textarea":
                values[name] = "".join(control._strings())
            elif control.get("type") not in ("checkbox", "radio"):
                values[name] = control.get("value", "")
            elif "checked" in control.attrs:
                values[name] = control.get("value", "on")
        return values


_COMPOUND = re.compile(r"\s*(>)?\s*([^\s>]+)")
_SIMPLE = re.compile(
    r"""(?P<tag>^[\w*-]+)|\#(?P<id>[\w-]+)|\.(?P<cls>[\w-]+)
    |\[(?P<attr>[\w:-]+)(?:(?P<op>[~^$*]?=)"(?P<value>[^"]*)")?\]""",
    re.X,
)


class Selector:
    """A CSS selector of the everyday kind: tags, #ids, .classes, [attr], [attr="v"] with
    =, ~=, ^=, $=, *= (values without spaces, commas or >), joined by descendant (space) or
    child (>) combinators; "a, b" selects either. Anything else is refused, not guessed."""

    def __init__(self, text: str) -> None:
        self.steps: list[tuple[str, list[re.Match]]] = []
        for combinator, compound in _COMPOUND.findall(text.strip()):
            parts = list(_SIMPLE.finditer(compound))
            if "".join(p.group(0) for p in parts) != compound:
                raise ValueError(f"unsupported selector: {text!r}")
            self.steps.append((combinator or " ", parts))

    def matches(self, element: Element, last: int | None = None) -> bool:
        last = len(self.steps) - 1 if last is None else last
        combinator, parts = self.steps[last]
        if not all(_simple_matches(element, p) for p in parts):
            return False
        if last == 0:
            return True
        if combinator == ">":
            parent = element.parent
            return parent is not None and self.matches(parent, last - 1)
        return any(self.matches(a, last - 1) for a in element.ancestors())


def _simple_matches(element: Element, part: re.Match) -> bool:
    if part["tag"]:
        return part["tag"] in ("*", element.tag)
    if part["id"]:
        return element.id == part["id"]
    if part["cls"]:
        return part["cls"] in element.classes
    value = element.attrs.get(part["attr"])
    if value is None or not part["op"]:
        return value is not None
    wanted = part["value"]
    return {
        "=": value == wanted,
        "~=": wanted in value.split(),
        "^=": value.startswith(wanted),
        "$=": value.endswith(wanted),
        "*=": wanted in value,
    }[part["op"]]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.open = [self.root]

    def handle_starttag(self, tag, attrs) -> None:
        if tag in SELF_CLOSING_SIBLINGS and self.open[-1].tag == tag:
            self.open.pop()
        element = Element(tag, {k: v or "" for k, v in attrs}, parent=self.open[-1])
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag) -> None:
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data) -> None:
        self.open[-1].children.append(data)


def parse(html: str) -> Element:
    """The parsed document (or fragment)."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def visible_text(html: str) -> str:
    """Page text without tags, for asserting what a person would read."""
    return parse(html).text


def form_fields(html: str) -> dict[str, str]:
    """What a browser would submit from the page's first POST form (in the page's main part,
    so not the language switch in the header)."""
    form = parse(html).select_one('main form[method="post"]')
    assert form is not None, "the page has no POST form"
    return form.fields()


def linked_ids(html: str, prefix: str) -> list[int]:
    """The ids of the links to `prefix` + a number ("/sites/" -> the sites linked), in order."""
    rests = [h.removeprefix(prefix) for h in parse(html).links() if h.startswith(prefix)]
    return [int(rest) for rest in rests if rest.isdigit()]
