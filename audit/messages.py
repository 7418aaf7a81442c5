"""Message catalogues: every sentence a result or report shows, in English and Spanish.

Catalogues are TOML files ``reports/messages/<lang>/<family>.toml``; a message id is
``<family>.<key>`` (nested tables add dots). Templates use ``str.format`` fields with a
*type* after the colon that formats numbers for the language:

=========  ==========================================  ==============  ==============
type       meaning                                     English         Spanish
=========  ==========================================  ==============  ==============
``int``    whole number with grouping                  5,150,092       5.150.092
``pct``    a percentage value (51.2 -> "51.20 %")      51.20%          51,20 %
``pct1``   same with one decimal                       51.2%           51,2 %
``f1..f4`` decimal number with 1..4 decimals           0.0123          0,0123
``p``      probability (scientific below 0.001)        9.9 × 10⁻⁹      9,9 × 10⁻⁹
``odds``   probability as "1 in N"                     1 in 101,000,000
``signed`` whole number with explicit sign             +352            +352
=========  ==========================================  ==============  ==============

A field without a type is inserted as text.
"""

from __future__ import annotations

import math
import re
import string
import sys
from collections.abc import Mapping
from functools import cache
from typing import Any

from babel.numbers import format_decimal

from audit.resources import reports_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LANGUAGES = ("en", "es")
_LOCALES = {"en": "en_US", "es": "es_ES"}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _flatten(prefix: str, table: Mapping[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            _flatten(name, value, out)
        else:
            out[name] = str(value)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, keyed by message id."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    messages: dict[str, str] = {}
    for path in sorted((reports_dir() / "messages" / lang).glob("*.toml")):
        _flatten(path.stem, tomllib.loads(path.read_text(encoding="utf-8")), messages)
    return messages


def format_number(value: float, kind: str, lang: str) -> str:
    """Format one number for ``lang`` (see the module docstring for ``kind``)."""
    locale = _LOCALES[lang]
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind == "int":
        return format_decimal(round(value), locale=locale, format="#,##0")
    if kind == "signed":  # the sign of what is shown: -0.4 is "±0", never "−0"
        whole = round(value)
        text = format_decimal(abs(whole), locale=locale, format="#,##0")
        return ("+" if whole > 0 else "−" if whole < 0 else "±") + text
    if kind.startswith("pct"):
        digits = int(kind[3:] or 2)
        number = format_decimal(value, locale=locale, format="#,##0." + "0" * digits)
        return f"{number}\u00a0%" if lang == "es" else f"{number}%"
    if kind.startswith("f") and kind[1:].isdigit():
        digits = int(kind[1:])
        if round(value, digits) == 0:  # never "-0.0"
            value = 0.0
        return format_decimal(value, locale=locale, format="#,##0." + "0" * digits)
    if kind == "p":
        if value < 1e-300:  # underflow of an asymptotic p-value: say so, never "0"
            head = format_decimal(1.0, locale=locale, format="0.0")
            return f"< {head} × 10{'-300'.translate(_SUPERSCRIPT)}"
        if value >= 0.001:
            return format_decimal(value, locale=locale, format="0.000")
        exponent = math.floor(math.log10(value)) if value > 0 else 0
        mantissa = value / 10**exponent if value > 0 else 0.0
        head = format_decimal(mantissa, locale=locale, format="0.0")
        return f"{head} × 10{str(exponent).translate(_SUPERSCRIPT)}"
    if kind == "odds":
        if value <= 0:
            return "0"
        one_in = format_decimal(_round_significant(1 / value, 3), locale=locale, format="#,##0")
        return f"1 in {one_in}" if lang == "en" else f"1 entre {one_in}"
    raise ValueError(f"unknown number format {kind!r}")


def _round_significant(x: float, digits: int) -> float:
    if x == 0:
        return 0.0
    return round(x, -math.floor(math.log10(abs(x))) + digits - 1)


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if not format_spec:
            return str(value)
        return format_number(value, format_spec, self.lang)


def render(message_id: str, params: Mapping[str, Any] | None = None, lang: str = "en") -> str:
    """The sentence of ``message_id`` in ``lang`` with ``params`` filled in."""
    try:
        template = catalogue(lang)[message_id]
    except KeyError:
        raise KeyError(f"message {message_id!r} is missing from the {lang!r} catalogue") from None
    text = _Formatter(lang).vformat(template, (), dict(params or {}))
    if lang == "es":
        text = _contract_articles(text)
    # An underflowed p-value renders as "< 1.0 × 10⁻³⁰⁰": "p = < x" reads as "p < x".
    return text.replace("= <", "<")


_ES_CONTRACTION = re.compile(r"\b([Dd]e|[Aa]) el\b")


def _contract_articles(text: str) -> str:
    """Spanish contracts "de el" and "a el" to "del" and "al" ("las actas de el CNE" reads
    "las actas del CNE"); a capital "El" starts a proper name ("de El Salvador") and stays."""
    return _ES_CONTRACTION.sub(r"\1l", text)


def template_fields(template: str) -> set[str]:
    """The field names used in a template (to check catalogues agree across languages)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
