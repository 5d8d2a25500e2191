"""YAML for parameter files, read strictly: YAML 1.2's numbers, no key given twice, and a size and a depth that a few
hundred bytes cannot multiply (an alias repeated inside an alias) or nest past what Python's stack takes.

PyYAML reads YAML 1.1, where `010` is 8, `1:30` is 90 and `no` is False; YAML 1.2, and every other reader of these
files (the command line's `--param epochs=010` is 10), read them as 10, the text "1:30" and the text "no". So the
plain values here are resolved by YAML 1.2's core schema, on PyYAML's parser: one dependency, which papermill needs
anyway, instead of a second YAML library for a few regular expressions.
"""
from __future__ import annotations

import contextlib
import re

import yaml

from hnn.config import excerpt

MAX_SIZE = 1_000_000  # characters, aliases written out: 1000 runs of every parameter take some 300 000
MAX_DEPTH = 20  # levels of nesting: a file of runs needs 3 (a list of mappings of values), a grid 2


class TooLarge(ValueError):
    """The file is larger or deeper than a parameter file can be."""


class Loader(yaml.SafeLoader):
    """YAML's safe loader with YAML 1.2's core schema, stricter where a silent choice would surprise: a key given twice
    is an error (plain YAML keeps the last value), and so is a whole number too long for Python to read (its 4300-digit
    limit); and bounded, so that reading takes memory and time in proportion to the file."""

    yaml_implicit_resolvers = {}  # PyYAML's YAML 1.1 rules, replaced below
    depth = 0  # of the node being composed

    def compose_node(self, parent, index):
        # PyYAML composes a nested value by recursion: stop before Python's stack does, where it happens.
        if self.depth == MAX_DEPTH:
            raise _too_deep(self.peek_event().start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_document(self):
        # Every alias still shares its node here; written out it may be millions of times the file (a "billion laughs").
        node = super().compose_document()
        size, _ = _written_out(node, {})
        if size > MAX_SIZE:
            raise TooLarge(f"is {size} characters long with its aliases written out; a parameter file may be at most {MAX_SIZE}")
        return node

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<:` merges are meant to be overridden
                continue
            key = self.construct_object(key_node, deep=True)
            with contextlib.suppress(TypeError):  # an unhashable key: the base class says so
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"{excerpt(key)} is given twice", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node):
        """A whole number as YAML 1.2 reads it: decimal unless written 0o (octal) or 0x (hexadecimal)."""
        text = self.construct_scalar(node)
        base = {"0o": 8, "0x": 16}.get(text[:2], 10)
        try:
            return int(text[2:] if base != 10 else text, base)
        except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion", or `!!int` on other text
            problem = (f"a whole number of {len(text)} digits is longer than the 4300 Python reads" if text.isdigit()
                       else f"{excerpt(text)} is not a whole number")
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


def _written_out(node: yaml.Node, seen: dict, level: int = 1) -> tuple[int, int]:
    """The characters node's values take and how many levels they nest, with every alias written out. Each node is
    weighed once, however often aliases repeat it, and no deeper than MAX_DEPTH: this takes time in proportion to the
    file, and little of Python's stack."""
    if id(node) not in seen:
        if level > MAX_DEPTH:
            raise _too_deep(node.start_mark)
        seen[id(node)] = None  # under way: an alias inside the very value it names meets it again
        if isinstance(node, yaml.ScalarNode):
            children = []
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else [part for pair in node.value for part in pair]
        weighed = [_written_out(child, seen, level + 1) for child in children]
        length = len(node.value) if isinstance(node, yaml.ScalarNode) else 0
        seen[id(node)] = (1 + length + sum(size for size, _ in weighed), 1 + max((depth for _, depth in weighed), default=0))
    if seen[id(node)] is None:
        raise TooLarge(f"holds a value that contains itself (line {node.start_mark.line + 1}); write it out instead")
    size, depth = seen[id(node)]
    if level - 1 + depth > MAX_DEPTH:  # met again, through an alias, deeper than where it was weighed
        raise _too_deep(node.start_mark)
    return size, depth


def _too_deep(mark) -> TooLarge:
    return TooLarge(f"nests values deeper than {MAX_DEPTH} levels (line {mark.line + 1}, column {mark.column + 1})")


# YAML 1.2's core schema (yaml.org/spec/1.2.2, 10.3.2), and `<<` merges, which PyYAML's safe loader reads: each tag with
# the characters its plain scalars can start with.
for tag, pattern, first in [
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    ("float", r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)", "-+.0123456789"),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("merge", r"<<", "<"),
]:
    Loader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(rf"^(?:{pattern})$"), list(first))
Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)


def load(text: str):
    """The one YAML document in text, as Python values; yaml.YAMLError or TooLarge say what is wrong with it."""
    return yaml.load(text, Loader=Loader)
