"""Header labels to contract names: one tolerant matcher for the spellings students use.

Every spelling seen in 36 real hand-made workbooks maps to the workbook contract's name
(:mod:`xlbackprop.core.network`), so the rest of ``check`` speaks one language::

    quantity("out_h1 = σ(h1)") == "a_h1"        quantity("𝟃E/𝟃w3") == "∂E/∂w3"
    quantity("E_tot") == "E_total"              quantity("EdW1") == "∂E/∂w1"
    quantity("a_O2") == "a_o2"                  quantity("L.R") == "eta"

A label holding a formula as text (``h1 = w1*i1 + w2*i2``) is read by its left-hand side, one
with a remark in parentheses (``t1 ( output of out_o1)``) by what comes before it. A label
tagged with a number (``E_0.1``: E_total at η = 0.1, pasted beside the table) is no quantity.
xlbackprop's own names for any dense network (``h2_1``, ``a_h2_1``, ``s2.a_o1``, ``δ_o1``)
are taken as they are. Anything else is ``None``.
"""

from __future__ import annotations

import re
import unicodedata

ETA = "eta"

# Learning-rate labels seen: η, eta, LR, L.R, LR (η), Learning Rate, learningRate, n, α, ɳ, ͷ,
# and h (η typed in the Symbol font). "n" and "h" only count beside a number, never in a header.
_ETA_WORDS = {"η", "eta", "lr", "learningrate", "alpha", "α", "ɳ", "ͷ", "lrη", "lr(η)", "rate"}
_ETA_SYMBOL_FONT = {"n", "h"}

_CONTRACT = re.compile(r"(?:s\d+\.)?(?:(?:a_|δ_)?(?:h\d+_\d+|h\d+|o\d+|i\d+)|E\d+)|E_total|w\d+|b\d+|t\d+"
                       r"|∂E/∂[wb]\d+|iteration")
_GRADIENT = re.compile(r"(?P<pre>grad|[∂δd]?(?:e(?:total|tot|t)?)?/?[∂δd]?)(?P<kind>[wb])(?P<n>\d+)")
_SIMPLE = re.compile(r"(?P<kind>[wbith]|o)(?P<n>\d+)")
_WORDS = re.compile(r"(?P<kind>target|input|x)(?P<n>\d+)")
_ANNOTATED = re.compile(r"\s*(?P<kind>[wWbB])(?P<n>\d+)\s*[:(\[].*")  # w1 (i1→h1), w1: i1->h1
_ACTIVATION = re.compile(r"(?:a|out|act)(?P<kind>[ho0])(?P<n>\d+)")  # a_01: o typed as zero
_LOSS = re.compile(r"e(?P<n>\d+)")
_REMARK = re.compile(r"(?P<base>[^()=]+?)\s+\((?P<remark>[^=]*)\)")  # t1 ( output of out_o1)
_DECIMAL = re.compile(r"\d\.\d")  # E_0.1, E (η 0.5): a value's tag, not a quantity's number
_TOTAL = {"e", "et", "etot", "etotal", "eto", "e(total)", "etotalerror", "totalerror", "error", "loss", "totalloss"}
_ITERATION = {"iteration", "iter", "epoch", "epochs", "sno", "step", "#", "no", "it", "row", "iterations"}


def _lhs(label: str) -> str:
    """The label a cell means: NFKC-folded (𝟃 → ∂, 𝐸 → E), and the left side of ``x = ...``."""
    text = unicodedata.normalize("NFKC", label).strip()
    if "=" in text:
        left = text.split("=", 1)[0].strip()
        if left:
            return left
        text = text.lstrip("=").strip()
    return text


def _squash(text: str) -> str:
    return re.sub(r"[\s_(){}\[\]:.]", "", text.lower())


def quantity(label: object) -> str | None:
    """The contract name a header label stands for, or None: ``quantity("∂E_t/∂W1") == "∂E/∂w1"``."""
    if not isinstance(label, str) or not label.strip():
        return None
    name = _name(_lhs(label))
    if name is None and (m := _REMARK.fullmatch(unicodedata.normalize("NFKC", label).strip())) \
            and not _DECIMAL.search(m["remark"]):
        name = _name(m["base"])  # t1 ( output of out_o1): only when the whole label means nothing
    return name


def _name(text: str) -> str | None:
    """The contract name of a label's text (already folded and cut to its left-hand side), or None."""
    if _CONTRACT.fullmatch(text):
        return text
    m = _ANNOTATED.fullmatch(text)
    if m:
        return f"{m['kind'].lower()}{int(m['n'])}"
    if _DECIMAL.search(text):
        return None
    s = _squash(text)
    if s in _ETA_WORDS:
        return ETA
    if s in _ITERATION:
        return "iteration"
    if s in _TOTAL:
        return "E_total"
    for pattern, name in _PATTERNS:
        if m := pattern.fullmatch(s):
            return name(m)
    return None


def _gradient(m: re.Match) -> str | None:
    """``dw1``, ``EdW1``, ``∂E_t/∂W1``: a w or b after some sign of a derivative (not plain ``w1``)."""
    pre = m["pre"]
    return f"∂E/∂{m['kind']}{int(m['n'])}" if pre and (set(pre) & set("∂δd") or pre.startswith("e")) else None


# squashed label -> contract name, the first pattern that matches decides
_PATTERNS = (
    (_ACTIVATION, lambda m: f"a_{m['kind'].replace('0', 'o')}{int(m['n'])}"),
    (_WORDS, lambda m: f"{'t' if m['kind'] == 'target' else 'i'}{int(m['n'])}"),
    (_LOSS, lambda m: f"E{int(m['n'])}"),
    (_SIMPLE, lambda m: f"{m['kind']}{int(m['n'])}"),
    (_GRADIENT, _gradient),
)


def is_eta_label(label: object) -> bool:
    """Whether a cell beside a number names the learning rate: ``η =``, ``LR``, ``α = ``, ``h`` ..."""
    if not isinstance(label, str) or not label.strip():
        return False
    s = _squash(_lhs(label))
    return s in _ETA_WORDS or s in _ETA_SYMBOL_FONT or s.startswith("learningrate") or s.startswith("lr")
