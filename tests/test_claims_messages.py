"""The ``claims`` message catalogues: same keys and fields in English and Spanish, every
template renders, and every sentence the dispute tracker produces exists in both languages."""

from __future__ import annotations

import re
import string

import pytest

from audit.checks.dispute import audit_dispute
from audit.checks.result import Message
from audit.messages import catalogue, render, template_fields


def claims_messages(lang: str) -> dict[str, str]:
    return {k: v for k, v in catalogue(lang).items() if k.startswith("claims.")}


def test_same_keys_and_fields() -> None:
    en, es = claims_messages("en"), claims_messages("es")
    assert set(en) == set(es)
    for key in en:
        assert template_fields(en[key]) == template_fields(es[key]), key


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_template_renders(lang: str) -> None:
    for key, template in claims_messages(lang).items():
        params = {}
        for _, name, spec, _ in string.Formatter().parse(template):
            if name:
                params[name] = 1234.5 if spec else "x"
        text = render(key, params, lang)
        assert "{" not in text, key


def test_spanish_is_spanish() -> None:
    es = claims_messages("es")
    english = re.compile(r"\b(the|cannot|votes|would|unless|sheets)\b")
    words = {k: re.sub(r"\{[^}]*\}", "", v) for k, v in es.items()}
    assert [k for k, v in words.items() if english.search(v)] == []


def test_every_sentence_of_a_dispute_exists_in_both_languages() -> None:
    result = audit_dispute("venezuela-2024")
    messages = [r.message for r in result.results]
    messages += result.findings()
    for row in result.compatibility.table.to_dict("records"):
        messages.append(Message(row["reason_id"], row["reason_params"]))
        if row["condition"]:
            messages.append(Message(row["condition"], row["condition_params"]))
    for m in messages:
        assert m.render("en")
        assert m.render("es") != m.render("en")
