"""Language-dependent rendering of report values: messages, numbers, dates, names.

Every string a renderer prints goes through here, so a report in Spanish never shows an
English word of chrome, and every number is formatted by :func:`audit.messages.format_number`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date

from audit.checks.result import Evidence, Message
from audit.messages import _LOCALES, catalogue, format_number, render


def _params(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Message):
            out[key] = text(value, lang)
        elif isinstance(value, tuple) and value and all(isinstance(v, Message) for v in value):
            out[key] = "; ".join(text(v, lang) for v in value)  # a legend, a list of items
        elif isinstance(value, Evidence):
            out[key] = evidence_label(value, lang)
        elif isinstance(value, dt.date):
            out[key] = format_date(value, lang)
        else:
            out[key] = value
    return out


def text(message: Message, lang: str) -> str:
    """A message in ``lang``; parameters that are messages, evidence levels or dates are
    rendered in ``lang`` first."""
    return render(message.id, _params(message.params, lang), lang)


def has_message(message_id: str, lang: str = "en") -> bool:
    return message_id in catalogue(lang)


def evidence_label(level: Evidence, lang: str) -> str:
    """The short name of an evidence level ("strong evidence", "evidencia fuerte" ...)."""
    return render(f"report.evidence.{level.value}", None, lang)


def format_date(value: dt.date, lang: str, format: str = "long") -> str:
    """A date in the language: ``long`` (28 de julio de 2024; July 28, 2024) or ``medium``
    (28 jul 2024; Jul 28, 2024)."""
    return babel_format_date(value, format=format, locale=_LOCALES[lang])


def _user_assigned(code: str) -> bool:
    """ISO 3166-1 codes reserved for private use (AA, QM–QZ, XA–XZ, ZZ): no real country."""
    return code == "AA" or code == "ZZ" or (len(code) == 2 and (
        (code[0] == "Q" and "M" <= code[1] <= "Z") or code[0] == "X"))


def country_name(code: str, lang: str) -> str:
    """The name of an ISO 3166 country code in ``lang`` (the code itself when unknown; a
    private-use code such as ZZ, used by simulated cases, is said to be no real country)."""
    if not code:
        return ""
    if _user_assigned(code.upper()):
        return render("report.country_unassigned", {"code": code.upper()}, lang)
    territories = Locale.parse(_LOCALES[lang]).territories
    return str(territories.get(code.upper(), code))


def level_name(level: str, lang: str) -> str:
    """A region level (state, municipality ...) in ``lang``; unknown levels are shown as is."""
    key = f"report.level.{level}"
    return render(key, None, lang) if has_message(key, lang) else level.replace("_", " ")


def join_list(items: list[str] | tuple[str, ...], lang: str) -> str:
    """Items joined as the language joins a list ("a, b and c"; "a, b y c")."""
    from babel.lists import format_list

    return format_list(list(items), locale=_LOCALES[lang]) if items else ""


def capitalize(value: str) -> str:
    """First letter upper case, the rest unchanged (``str.capitalize`` lowers the rest)."""
    return value[:1].upper() + value[1:]


def column_name(column: str, lang: str) -> str:
    """A canonical column (registered, voters ...) in words of ``lang``."""
    key = f"report.column.{column}"
    return render(key, None, lang) if has_message(key, lang) else column


def cell(value: Any, kind: str, lang: str) -> str:
    """One table cell as text, per column kind (see ``audit.report.model.ColumnKind``)."""
    if value is None:
        return "—"
    if isinstance(value, Message):
        return text(value, lang)
    if isinstance(value, Evidence) or kind == "evidence":
        return evidence_label(Evidence(value), lang)
    if kind in ("text", "code", "link"):
        return str(value)
    if isinstance(value, float) and value != value:
        return "—"
    if kind == "num":
        return format_number(value, _significant(float(value)), lang)
    return format_number(value, kind, lang)


def link_host(url: str) -> str:
    """What a link shows: the host name of ``url`` without ``www.`` ("washingtonpost.com")."""
    from urllib.parse import urlsplit

    host = urlsplit(url).netloc or url
    return host.removeprefix("www.")


def _significant(value: float, digits: int = 4) -> str:
    """The number format giving ``value`` about ``digits`` significant digits (at most 4
    decimals; whole numbers from ``10**(digits - 1)`` up)."""
    import math

    if value == 0 or not math.isfinite(value):
        return "f1"
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    return "int" if decimals <= 0 else f"f{min(decimals, 4)}"
