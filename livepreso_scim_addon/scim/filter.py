"""SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2): parse, check, evaluate.

A hand-written tokenizer and recursive-descent parser turn the text into a small
tree of frozen dataclasses. ``models/filtering.py`` compiles that tree to SQL; the
PATCH engine evaluates value-path filters in memory with :func:`matches`.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import leniency
from .errors import ScimError, invalid_filter, invalid_path
from .schemas import Attribute, ResourceType, Schema, common_attribute
from .text import has_lone_surrogate

MAX_FILTER_LENGTH = 4096
MAX_DEPTH = 50

COMPARISON_OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")
ORDERING_OPERATORS = ("gt", "ge", "lt", "le")
SUBSTRING_OPERATORS = ("co", "sw", "ew")


# --- the tree ---------------------------------------------------------------------


@dataclass(frozen=True)
class AttrPath:
    """``[URN ":"] attr ["." sub]`` (RFC 7644 §3.10), names as written."""

    urn: str | None
    attr: str
    sub: str | None


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str
    value: str | bool | int | float | None


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    expr: Node


@dataclass(frozen=True)
class ValuePath:
    """``emails[type eq "work"]``: paths inside ``filter`` are relative to ``path``."""

    path: AttrPath
    filter: Node


Node = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path`` (RFC 7644 §3.5.2).

    ``name.givenName`` is ``PatchPath(AttrPath(None, "name", "givenName"), None, None)``;
    ``emails[type eq "work"].value`` is ``PatchPath(AttrPath(None, "emails", None), <filter>, "value")``.
    """

    attr: AttrPath
    filter: Node | None
    sub: str | None


# --- tokens -----------------------------------------------------------------------

# A name token is greedy over URN characters, so "urn:...:2.0:User:name.givenName"
# is one token, split into URN, attribute and sub-attribute afterwards.
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)(?![A-Za-z0-9_.$:-])
  | (?P<name>[A-Za-z$][A-Za-z0-9_\-:.$]*)
  | (?P<punct>[()\[\].])
    """,
    re.VERBOSE,
)
_ATTRNAME = re.compile(r"\$ref|[A-Za-z][A-Za-z0-9_-]*", re.IGNORECASE)
_LITERALS = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "number", "name", "end", or the punctuation itself: ( ) [ ] .
    text: str
    position: int  # 1-based, as people count characters

    @property
    def word(self) -> str:
        """The lower-cased name: keywords and operators are case-insensitive."""
        return self.text.lower() if self.kind == "name" else ""

    def describe(self) -> str:
        return "the end" if self.kind == "end" else repr(self.text)


def _tokenize(text: str, error: Callable[[str], ScimError], what: str) -> list[_Token]:
    tokens, index = [], 0
    while index < len(text):
        match = _TOKEN.match(text, index)
        if match is None:
            raise error(f"Invalid {what}: {_untokenizable(text, index)} at position {index + 1}.")
        kind = match.lastgroup
        if kind == "punct":
            kind = match.group()
        if kind != "space":
            tokens.append(_Token(kind, match.group(), index + 1))
        index = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


def _untokenizable(text: str, index: int) -> str:
    if text[index] == '"':
        return "unterminated string starting"
    if text[index] in "-0123456789":
        return "invalid number"
    return f"unexpected character {text[index]!r}"


# --- the parser -------------------------------------------------------------------


def _balanced(kind: type, terms: list) -> Node:
    # A long "a or b or c ..." chain becomes a balanced tree rather than a chain
    # hundreds deep, so whatever walks the tree (SQL compilation too) stays far
    # from Python's recursion limit. And/or are associative: the meaning is the same.
    if len(terms) == 1:
        return terms[0]
    middle = (len(terms) + 1) // 2
    return kind(_balanced(kind, terms[:middle]), _balanced(kind, terms[middle:]))


class _Parser:
    """Recursive descent over the RFC 7644 §3.4.2.2 grammar; precedence not > and > or."""

    def __init__(self, text: str, error: Callable[[str], ScimError], what: str):
        self.error = error
        self.what = what  # "filter" or "path", for messages
        self.tokens = _tokenize(text, error, what)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message: str, token: _Token | None = None) -> ScimError:
        token = token or self.current
        return self.error(f"Invalid {self.what}: {message} at position {token.position}.")

    def expect(self, kind: str) -> _Token:
        if self.current.kind != kind:
            raise self.fail(f"expected '{kind}', found {self.current.describe()}")
        return self.advance()

    def expect_end(self) -> None:
        if self.current.kind != "end":
            raise self.fail(f"unexpected {self.current.describe()}")

    # filter grammar

    def whole_filter(self) -> Node:
        node = self.or_expression(relative=False, depth=0)
        self.expect_end()
        return node

    def or_expression(self, relative: bool, depth: int) -> Node:
        terms = [self.and_expression(relative, depth)]
        while self.current.word == "or":
            self.advance()
            terms.append(self.and_expression(relative, depth))
        return _balanced(Or, terms)

    def and_expression(self, relative: bool, depth: int) -> Node:
        terms = [self.unary(relative, depth)]
        while self.current.word == "and":
            self.advance()
            terms.append(self.unary(relative, depth))
        return _balanced(And, terms)

    def unary(self, relative: bool, depth: int) -> Node:
        if depth >= MAX_DEPTH:
            raise self.fail(f"more than {MAX_DEPTH} levels of nesting")
        if self.current.word == "not":
            # RFC 7644 §3.4.2.2: "not" "(" valFilter ")"; no IdP sends it otherwise.
            self.advance()
            if self.current.kind != "(":
                raise self.fail("'not' takes a filter in parentheses: not (...)")
            return Not(self.unary(relative, depth + 1))
        if self.current.kind == "(":
            self.advance()
            node = self.or_expression(relative, depth + 1)
            self.expect(")")
            return node
        return self.attribute_expression(relative, depth)

    def attribute_expression(self, relative: bool, depth: int) -> Node:
        path = self.attribute_path(relative)
        if self.current.kind != "[":
            return self.comparison(path)
        if relative:
            raise self.fail("value filters cannot be nested")
        inner = self.value_filter(path, depth)
        if self.current.kind != "." or not leniency.SUB_ATTRIBUTE_AFTER_VALUE_FILTER:
            return ValuePath(path, inner)
        # emails[type eq "work"].value eq "x" (Entra): the comparison applies to the
        # same element as the bracketed filter.
        sub = self.dot_sub_attribute()
        return ValuePath(path, And(inner, self.comparison(AttrPath(None, sub, None))))

    def attribute_path(self, relative: bool) -> AttrPath:
        token = self.current
        if token.kind != "name":
            raise self.fail(f"expected an attribute name, found {token.describe()}")
        self.advance()
        urn, colon, rest = token.text.rpartition(":")
        # The URN may contain dots ("...:2.0:User"): the attribute follows the last colon.
        attr, dot, sub = rest.partition(".")
        if not _ATTRNAME.fullmatch(attr) or (dot and not _ATTRNAME.fullmatch(sub)):
            raise self.fail(f"{token.text!r} is not an attribute path", token)
        if relative and (colon or dot):
            raise self.fail(
                f"inside brackets, name a sub-attribute of the attribute, not {token.text!r}", token
            )
        return AttrPath(urn if colon else None, attr, sub if dot else None)

    def value_filter(self, path: AttrPath, depth: int) -> Node:
        if path.sub is not None:
            raise self.fail("a value filter follows a multi-valued attribute, not a sub-attribute")
        self.expect("[")
        node = self.or_expression(relative=True, depth=depth + 1)
        self.expect("]")
        return node

    def dot_sub_attribute(self) -> str:
        self.expect(".")
        token = self.current
        if token.kind != "name" or not _ATTRNAME.fullmatch(token.text):
            raise self.fail(f"expected a sub-attribute name after '.', found {token.describe()}")
        return self.advance().text

    def comparison(self, path: AttrPath) -> Node:
        token = self.current
        if token.word == "pr":
            self.advance()
            if self.current.kind in ("string", "number") or self.current.word in _LITERALS:
                raise self.fail("'pr' takes no value")
            return Present(path)
        if token.word not in COMPARISON_OPERATORS:
            if token.kind != "name":
                raise self.fail(f"expected an operator after {_written(path)!r}, found {token.describe()}")
            raise self.fail(f"unknown operator {token.text!r}")
        self.advance()
        return Compare(path, token.word, self.comparison_value(token.word))

    def comparison_value(self, op: str) -> str | bool | int | float | None:
        token = self.current
        if token.kind in ("string", "number"):
            try:
                value = json.loads(token.text)
            except ValueError as exc:
                raise self.fail(f"invalid string ({exc.msg})", token) from None
            if isinstance(value, str) and has_lone_surrogate(value):
                raise self.fail("invalid string (an unpaired \\uD800-\\uDFFF escape)", token)
        elif token.word in _LITERALS:
            value = _LITERALS[token.word]
        else:
            raise self.fail(f"expected a value after '{op}', found {token.describe()}")
        if op in ORDERING_OPERATORS and (value is None or isinstance(value, bool)):
            raise self.fail(f"'{op}' cannot compare with {token.text}", token)
        if op in SUBSTRING_OPERATORS and not isinstance(value, str):
            raise self.fail(f"'{op}' needs a string value, not {token.text}", token)
        self.advance()
        return value

    # PATCH path grammar

    def patch_path(self) -> PatchPath:
        path = self.attribute_path(relative=False)
        inner = sub = None
        if self.current.kind == "[":
            inner = self.value_filter(path, depth=0)
            if self.current.kind == ".":
                sub = self.dot_sub_attribute()
        self.expect_end()
        return PatchPath(path, inner, sub)


def _written(path: AttrPath) -> str:
    text = f"{path.urn}:{path.attr}" if path.urn else path.attr
    return f"{text}.{path.sub}" if path.sub else text


def parse_filter(text: str) -> Node:
    """Parse a ``filter`` query parameter (RFC 7644 §3.4.2.2) into a tree."""
    if not isinstance(text, str):
        raise invalid_filter("The filter must be a string.")
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter(f"The filter is longer than {MAX_FILTER_LENGTH} characters.")
    if not text.strip():
        raise invalid_filter("The filter is empty.")
    return _Parser(text, invalid_filter, "filter").whole_filter()


def parse_path(text: str) -> PatchPath:
    """Parse a PATCH operation's ``path`` (RFC 7644 §3.5.2)."""
    if not isinstance(text, str):
        raise invalid_path("The path must be a string.")
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_path(f"The path is longer than {MAX_FILTER_LENGTH} characters.")
    if not text.strip():
        raise invalid_path("The path is empty.")
    return _Parser(text, invalid_path, "path").patch_path()


# --- attribute resolution and checks ----------------------------------------------


def resolve(resource_type: ResourceType, path: AttrPath) -> tuple[Attribute, Attribute | None, Schema | None]:
    """The attribute, sub-attribute and schema a path names (RFC 7644 §3.10).

    The schema is None for ``id``, ``externalId`` and ``meta`` (RFC 7643 §3.1).
    """
    schema = resource_type.schema_for(path.urn)
    if schema is None:
        if path.sub is None and resource_type.extension(f"{path.urn}:{path.attr}"):
            raise invalid_filter(f"'{path.urn}:{path.attr}' is a schema, not an attribute.")
        raise invalid_filter(f"Unknown schema '{path.urn}' in '{_written(path)}'.")
    common = common_attribute(path.attr) if schema is resource_type.schema else None
    top = common or schema.attribute(path.attr)
    if top is None:
        raise invalid_filter(f"Unknown attribute '{_written(path)}'.")
    sub = _sub_attribute(top, path.sub) if path.sub is not None else None
    return top, sub, None if common else schema


def _sub_attribute(top: Attribute, name: str) -> Attribute:
    if top.type != "complex":
        raise invalid_filter(f"'{top.name}' has no sub-attributes, so '{top.name}.{name}' is unknown.")
    sub = top.sub(name)
    if sub is None:
        raise invalid_filter(f"Unknown sub-attribute '{top.name}.{name}'.")
    return sub


def resolve_filter_attribute(
    resource_type: ResourceType, path: AttrPath
) -> tuple[Attribute, Attribute | None, Schema | None]:
    """Like :func:`resolve`, but a compared complex attribute means its ``value`` (RFC 7644 §3.4.2.2)."""
    top, sub, schema = resolve(resource_type, path)
    if sub is None and top.type == "complex":
        sub = top.sub("value")
        if sub is None:
            example = f"{top.name}.{top.sub_attributes[0].name}" if top.sub_attributes else top.name
            raise invalid_filter(
                f"'{top.name}' is complex: compare one of its sub-attributes, such as '{example}'."
            )
    return top, sub, schema


def validate_filter(resource_type: ResourceType, node: Node) -> None:
    """Check every attribute and value type in a filter (RFC 7644 §3.4.2.2)."""
    _validate(resource_type, node, parent=None)


def validate_value_filter(parent: Attribute, node: Node) -> None:
    """Check a bracketed filter against the sub-attributes of ``parent`` (RFC 7644 §3.4.2.2)."""
    _validate(None, node, parent=parent)


def _validate(resource_type: ResourceType | None, node: Node, parent: Attribute | None) -> None:
    if isinstance(node, (And, Or)):
        _validate(resource_type, node.left, parent)
        _validate(resource_type, node.right, parent)
    elif isinstance(node, Not):
        _validate(resource_type, node.expr, parent)
    elif isinstance(node, Present):
        _target(resource_type, node.path, parent, compared=False)
    elif isinstance(node, Compare):
        attribute, label = _target(resource_type, node.path, parent, compared=True)
        _check_comparison(node, attribute, label)
    elif isinstance(node, ValuePath):
        if parent is not None:
            raise invalid_filter("Value filters cannot be nested.")
        _validate(resource_type, node.filter, value_path_attribute(resource_type, node.path))
    else:
        raise invalid_filter(f"Not a filter expression: {node!r}.")


def value_path_attribute(resource_type: ResourceType, path: AttrPath) -> Attribute:
    """The attribute in front of ``[...]``: it needs sub-attributes to filter on (RFC 7644 §3.4.2.2)."""
    top, sub, _ = resolve(resource_type, path)
    if sub is not None or top.type != "complex":
        raise invalid_filter(f"'{_written(path)}' has no sub-attributes to filter on with '[...]'.")
    return top


def _target(resource_type, path: AttrPath, parent: Attribute | None, compared: bool) -> tuple[Attribute, str]:
    if parent is not None:
        if path.urn is not None or path.sub is not None:
            raise invalid_filter(
                f"Inside '{parent.name}[...]', name one sub-attribute, not '{_written(path)}'."
            )
        return _sub_attribute(parent, path.attr), f"{parent.name}.{path.attr}"
    top, sub, _ = (resolve_filter_attribute if compared else resolve)(resource_type, path)
    return (sub, f"{top.name}.{sub.name}") if sub else (top, top.name)


def _check_comparison(node: Compare, attribute: Attribute, label: str) -> None:
    value, shown = node.value, json.dumps(node.value)
    if value is None and node.op in ("eq", "ne"):
        return  # "title eq null" asks whether it is absent (RFC 7643 §2.5)
    if attribute.type == "boolean":
        if node.op in ORDERING_OPERATORS:
            raise invalid_filter(f"'{node.op}' cannot be used with the boolean '{label}'.")
        if not isinstance(value, bool):
            raise invalid_filter(f"'{label}' is a boolean: compare it with true or false, not {shown}.")
    elif attribute.type in ("integer", "decimal"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid_filter(f"'{label}' is a number: compare it with a number, not {shown}.")
    elif not isinstance(value, str):
        raise invalid_filter(f"'{label}' is a string: compare it with a quoted string, not {shown}.")
    elif attribute.type == "dateTime" and node.op not in SUBSTRING_OPERATORS and not _is_datetime(value):
        raise invalid_filter(f"'{label}' is a dateTime: {shown} is not an RFC 3339 timestamp.")


def _is_datetime(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


# --- in-memory evaluation for PATCH -----------------------------------------------


def matches(node: Node, element: dict, parent: Attribute) -> bool:
    """Whether one value of ``parent`` satisfies a bracketed filter (RFC 7644 §3.5.2)."""
    if isinstance(node, And):
        return matches(node.left, element, parent) and matches(node.right, element, parent)
    if isinstance(node, Or):
        return matches(node.left, element, parent) or matches(node.right, element, parent)
    if isinstance(node, Not):
        return not matches(node.expr, element, parent)
    if isinstance(node, Present):
        return not _is_empty(_element_value(element, node.path.attr))
    if isinstance(node, Compare):
        return _compare(
            node.op, _element_value(element, node.path.attr), node.value, parent.sub(node.path.attr)
        )
    raise invalid_filter("Value filters cannot be nested.")


def _element_value(element, name: str):
    if not isinstance(element, dict):
        return None
    wanted = name.lower()
    return next((v for k, v in element.items() if isinstance(k, str) and k.lower() == wanted), None)


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def _compare(op: str, actual, expected, attribute: Attribute | None) -> bool:
    if actual is None or expected is None:
        # null means unassigned (RFC 7643 §2.5): only "eq null" and "ne <value>" hold.
        same = actual is None and expected is None
        return same if op == "eq" else (not same if op == "ne" else False)
    actual, expected = _comparable(actual, expected, attribute)
    if actual is None:
        return op == "ne"  # values of different types are never equal
    if op in SUBSTRING_OPERATORS and not isinstance(actual, str):
        return False
    return _OPERATORS[op](actual, expected)


_OPERATORS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "co": lambda actual, expected: expected in actual,
    "sw": str.startswith,
    "ew": str.endswith,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _comparable(actual, expected, attribute: Attribute | None) -> tuple:
    """Both values in one comparable type, or (None, None) when they cannot be compared."""
    if isinstance(expected, bool):
        actual = leniency.boolean(actual)  # Entra's "True", not yet validated within a PATCH
        return (actual, expected) if actual is not None else (None, None)
    if isinstance(expected, (int, float)):
        if isinstance(actual, (int, float)) and not isinstance(actual, bool):
            return actual, expected
        return None, None
    if not isinstance(actual, str):
        return None, None
    if attribute is not None and attribute.case_exact:
        return actual, expected
    return actual.casefold(), expected.casefold()

