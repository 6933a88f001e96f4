"""``google.api.http`` path templates: parsed once, matched against raw (percent-encoded) request paths.

Grammar (google/api/http.proto)::

    Template = "/" Segments [ Verb ] ;
    Segments = Segment { "/" Segment } ;
    Segment  = "*" | "**" | LITERAL | Variable ;
    Variable = "{" FieldPath [ "=" Segments ] "}" ;
    FieldPath = IDENT { "." IDENT } ;
    Verb     = ":" LITERAL ;

``*`` matches one segment, ``**`` one or more (only as the last segment). A variable without a pattern is
``{field=*}``. Values of variables are percent-decoded segment by segment, so ``%2F`` inside a one-segment
variable becomes "/" while a multi-segment variable keeps its "/" separators as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_LITERAL = re.compile(r"[^/{}*:=]+")


class TemplateError(ValueError):
    """A path template that does not follow the google.api.http grammar."""


@dataclass(frozen=True)
class Variable:
    field_path: str                     # "job_id" or "parent.name"
    segments: tuple[str, ...] = ("*",)  # the pattern the variable matches

    @property
    def single_segment(self) -> bool:
        return self.segments == ("*",)


def _segment_regex(segment: str, last: bool) -> str:
    if segment == "*":
        return "[^/]+"
    if segment == "**":
        if not last:
            raise TemplateError("'**' may only be the last segment")
        return "[^/]+(?:/[^/]+)*"
    if not _LITERAL.fullmatch(segment):
        raise TemplateError(f"bad literal segment {segment!r}")
    return re.escape(segment)


def _split_verb(text: str) -> tuple[str, str]:
    """(path part, verb): the verb follows the last ':' outside braces after the last '/'."""
    depth, cut = 0, -1
    for i, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and char == "/":
            cut = -1
        elif depth == 0 and char == ":":
            cut = i
        if depth < 0 or depth > 1:
            raise TemplateError(f"unbalanced braces in {text!r}")
    if depth:
        raise TemplateError(f"unbalanced braces in {text!r}")
    if cut < 0:
        return text, ""
    verb = text[cut + 1:]
    if not _LITERAL.fullmatch(verb):
        raise TemplateError(f"bad verb {verb!r}")
    return text[:cut], verb


def _split_segments(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "/" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _variable(text: str) -> Variable:
    inner = text[1:-1]
    name, _, pattern = inner.partition("=")
    if not _IDENT.fullmatch(name):
        raise TemplateError(f"bad field path {name!r}")
    segments = tuple(pattern.split("/")) if pattern else ("*",)
    for i, segment in enumerate(segments):
        _segment_regex(segment, i == len(segments) - 1)
    return Variable(name, segments)


@dataclass(frozen=True)
class PathTemplate:
    source: str
    segments: tuple[str | Variable, ...]
    verb: str
    _regex: re.Pattern = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> PathTemplate:
        if not text.startswith("/"):
            raise TemplateError(f"template {text!r} must start with '/'")
        path, verb = _split_verb(text[1:])
        segments: list[str | Variable] = []
        pieces: list[str] = []
        raw = _split_segments(path)
        for i, segment in enumerate(raw):
            last = i == len(raw) - 1
            if segment.startswith("{") and segment.endswith("}"):
                variable = _variable(segment)
                inner = "/".join(_segment_regex(s, last and j == len(variable.segments) - 1)
                                 for j, s in enumerate(variable.segments))
                pieces.append(f"(?P<v{sum(isinstance(s, Variable) for s in segments)}>{inner})")
                segments.append(variable)
            else:
                pieces.append(_segment_regex(segment, last))
                segments.append(segment)
        names = [s.field_path for s in segments if isinstance(s, Variable)]
        if len(names) != len(set(names)):
            raise TemplateError(f"a field is bound twice in {text!r}")
        suffix = re.escape(":" + verb) if verb else ""
        return cls(text, tuple(segments), verb, re.compile("/" + "/".join(pieces) + suffix))

    @property
    def variables(self) -> tuple[Variable, ...]:
        return tuple(s for s in self.segments if isinstance(s, Variable))

    @property
    def literal_count(self) -> int:
        return sum(1 for s in self.segments if isinstance(s, str) and s not in ("*", "**"))

    def match(self, raw_path: str) -> dict[str, str] | None:
        """Field path → decoded value when ``raw_path`` (still percent-encoded) fits, else None."""
        found = self._regex.fullmatch(raw_path)
        if found is None:
            return None
        values = {}
        for i, variable in enumerate(self.variables):
            text = found.group(f"v{i}")
            values[variable.field_path] = "/".join(unquote(part, errors="strict") for part in text.split("/"))
        return values

    def openapi_path(self) -> str:
        """The template in OpenAPI form: each variable becomes ``{field_path}``."""
        parts = [f"{{{s.field_path}}}" if isinstance(s, Variable) else s for s in self.segments]
        return "/" + "/".join(parts) + (f":{self.verb}" if self.verb else "")
