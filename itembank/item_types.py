"""The item types, as a registry of small classes (the CTFd ``CHALLENGE_CLASSES`` idea).

Options are identified by letters in authoring order (A = first). Each type validates its
options and key, scores a response, and says how a response maps to an IRT score category.
Keys never leave the server: ``public_options`` is all a candidate's browser gets.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from itembank.content import MAX_OPTION_CHARS, MAX_STEM_CHARS, plain_text, sanitise

LETTERS = string.ascii_uppercase
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")

#: An item's key as stored in JSON: ``{"correct": "B"}``, ``{"weights": {"A": 5, ...}}``, ...
Answer = dict[str, Any]


class ItemValidationError(ValueError):
    """Item content or key is invalid; ``code`` names the reason, ``field`` where it is."""

    def __init__(self, code: str, field: str = "", **params: Any):
        super().__init__(f"{field}: {code}" if field else code)
        self.code = code
        self.field = field
        self.params = params


@dataclass(frozen=True)
class CleanContent:
    """Validated, sanitised content of one item version."""

    stem: str
    options: list[str]
    answer: Answer


def letters(count: int) -> list[str]:
    """Option letters for ``count`` options: A, B, C, ..."""
    return list(LETTERS[:count])


def format_number(value: float) -> str:
    """``value`` in positional notation, no exponent and no needless digits (``12.5``, ``3``,
    ``0.0001``), so that ``parse_number`` reads it back exactly."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def parse_number(text: str | float | int) -> float:
    """Parse a number typed by a person: ``12,5`` and ``12.5`` are the same; raises ValueError."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        raw = str(text).strip().replace(" ", "")
        if not _NUMBER.match(raw):
            raise ValueError(f"not a number: {text!r}")
        value = float(raw.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


class ItemType:
    """Base class: subclasses set the class attributes and override the key handling."""

    key: ClassVar[str]
    min_options: ClassVar[int] = 2
    max_options: ClassVar[int] = 6
    #: Whether IRT treats the item as dichotomous (0/1) or polytomous (0..K-1).
    polytomous: ClassVar[bool] = False
    #: Whether options may be shown in a different order to each candidate.
    shufflable: ClassVar[bool] = True

    def clean(self, stem: str, options: list[str], answer: Answer) -> CleanContent:
        """Validate and sanitise; raises ItemValidationError."""
        stem = sanitise(stem)
        if not plain_text(stem):
            raise ItemValidationError("stem_empty", "stem")
        if len(stem) > MAX_STEM_CHARS:
            raise ItemValidationError("stem_too_long", "stem")
        options = [sanitise(option) for option in options if option is not None]
        while options and not plain_text(options[-1]):
            options.pop()  # trailing empty option fields of a form
        if not self.min_options <= len(options) <= self.max_options:
            raise ItemValidationError("option_count", "options", min=self.min_options, max=self.max_options)
        for index, option in enumerate(options):
            if not plain_text(option):
                raise ItemValidationError("option_empty", f"option_{LETTERS[index]}")
            if len(option) > MAX_OPTION_CHARS:
                raise ItemValidationError("option_too_long", f"option_{LETTERS[index]}")
        if len({plain_text(o).lower() for o in options}) != len(options):
            raise ItemValidationError("option_duplicate", "options")
        return CleanContent(stem, options, self.clean_answer(answer or {}, len(options)))

    def clean_answer(self, answer: Answer, option_count: int) -> Answer:
        raise NotImplementedError

    def check_response(self, answer: Answer, option_count: int, response: Any) -> Any:
        """Normalise a candidate's response, or raise ValueError if it is not a possible answer."""
        if not isinstance(response, str) or response not in letters(option_count):
            raise ValueError("response must be one option letter")
        return response

    def score(self, answer: Answer, response: Any) -> float:
        """Points for ``response`` (None = unanswered) under the item's own scoring."""
        raise NotImplementedError

    def max_points(self, answer: Answer) -> float:
        return 1.0

    def category(self, answer: Answer, response: Any) -> int:
        """The IRT score category of ``response`` (0/1 for dichotomous items)."""
        return int(self.score(answer, response) > 0)

    def category_count(self, answer: Answer) -> int:
        return 2

    def category_points(self, answer: Answer) -> list[float]:
        """Points of each IRT score category, in category order (for expected scores)."""
        return [0.0, self.max_points(answer)]

    def describe_answer(self, answer: Answer) -> str:
        """A short text of the key for staff pages and CSV (``B``, ``A:5;B:3``, ...)."""
        raise NotImplementedError

    def parse_answer_text(self, text: str, option_count: int) -> Answer:
        """Inverse of ``describe_answer``, for CSV import; raises ItemValidationError."""
        raise NotImplementedError


def _letter(value: Any, option_count: int, field: str = "answer") -> str:
    letter = str(value or "").strip().upper()
    if letter not in letters(option_count):
        raise ItemValidationError("answer_not_an_option", field)
    return letter


class SingleChoice(ItemType):
    """One correct option among 2 to 6."""

    key = "single_choice"

    def clean_answer(self, answer: Answer, option_count: int) -> Answer:
        return {"correct": _letter(answer.get("correct"), option_count)}

    def score(self, answer: Answer, response: Any) -> float:
        return 1.0 if response is not None and response == answer["correct"] else 0.0

    def describe_answer(self, answer: Answer) -> str:
        return str(answer["correct"])

    def parse_answer_text(self, text: str, option_count: int) -> Answer:
        return self.clean_answer({"correct": text}, option_count)


class TrueFalse(SingleChoice):
    """A statement judged true (A, "Benar") or false (B, "Salah")."""

    key = "true_false"
    min_options = max_options = 2
    shufflable = False


class WeightedOptions(ItemType):
    """Every option carries points (0 to 5), as in personal-characteristic (TKP) items."""

    key = "weighted_options"
    polytomous = True
    max_weight = 5

    def clean_answer(self, answer: Answer, option_count: int) -> Answer:
        weights = answer.get("weights")
        if not isinstance(weights, dict) or set(weights) != set(letters(option_count)):
            raise ItemValidationError("weights_missing", "answer")
        cleaned: dict[str, int] = {}
        for letter in letters(option_count):
            value = weights[letter]
            if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
                raise ItemValidationError("weight_not_integer", f"weight_{letter}")
            if not 0 <= value <= self.max_weight:
                raise ItemValidationError("weight_range", f"weight_{letter}", max=self.max_weight)
            cleaned[letter] = int(value)
        if len(set(cleaned.values())) < 2:
            raise ItemValidationError("weights_all_equal", "answer")
        return {"weights": cleaned}

    def score(self, answer: Answer, response: Any) -> float:
        return float(answer["weights"].get(response, 0)) if response is not None else 0.0

    def max_points(self, answer: Answer) -> float:
        return float(max(answer["weights"].values()))

    def _levels(self, answer: Answer) -> list[int]:
        return sorted(set(answer["weights"].values()))

    def category(self, answer: Answer, response: Any) -> int:
        if response is None:
            return 0
        return self._levels(answer).index(answer["weights"][response])

    def category_count(self, answer: Answer) -> int:
        return len(self._levels(answer))

    def category_points(self, answer: Answer) -> list[float]:
        return [float(level) for level in self._levels(answer)]

    def describe_answer(self, answer: Answer) -> str:
        return ";".join(f"{letter}:{weight}" for letter, weight in sorted(answer["weights"].items()))

    def parse_answer_text(self, text: str, option_count: int) -> Answer:
        weights: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in str(text).split(";"))):
            letter, _, value = part.partition(":")
            try:
                weights[letter.strip().upper()] = int(value)
            except ValueError as error:
                raise ItemValidationError("weight_not_integer", "answer") from error
        return self.clean_answer({"weights": weights}, option_count)


class MultipleResponse(ItemType):
    """Several correct options; all-or-nothing scoring (every correct and no wrong option)."""

    key = "multiple_response"
    max_options = 8

    def clean_answer(self, answer: Answer, option_count: int) -> Answer:
        correct = answer.get("correct")
        if not isinstance(correct, list | tuple) or not correct:
            raise ItemValidationError("answer_missing", "answer")
        cleaned = sorted({_letter(letter, option_count) for letter in correct})
        if len(cleaned) == option_count:
            raise ItemValidationError("answer_all_options", "answer")
        return {"correct": cleaned}

    def check_response(self, answer: Answer, option_count: int, response: Any) -> Any:
        if not isinstance(response, list | tuple) or not all(isinstance(r, str) for r in response):
            raise ValueError("response must be a list of option letters")
        chosen = sorted(set(response))
        if not set(chosen) <= set(letters(option_count)):
            raise ValueError("unknown option")
        return chosen

    def score(self, answer: Answer, response: Any) -> float:
        return 1.0 if response is not None and sorted(set(response)) == answer["correct"] else 0.0

    def describe_answer(self, answer: Answer) -> str:
        return ",".join(answer["correct"])

    def parse_answer_text(self, text: str, option_count: int) -> Answer:
        return self.clean_answer({"correct": [p for p in str(text).split(",") if p.strip()]}, option_count)


class NumericAnswer(ItemType):
    """A number typed by the candidate, right within an absolute tolerance."""

    key = "numeric"
    min_options = max_options = 0
    shufflable = False

    def clean_answer(self, answer: Answer, option_count: int) -> Answer:
        raw_value = answer.get("value")
        try:
            if raw_value is None:
                raise ValueError("no value")
            value = parse_number(raw_value)
            tolerance = parse_number(answer.get("tolerance", 0) or 0)
        except (TypeError, ValueError) as error:
            raise ItemValidationError("answer_not_a_number", "answer") from error
        if tolerance < 0:
            raise ItemValidationError("tolerance_negative", "answer")
        return {"value": value, "tolerance": tolerance}

    def check_response(self, answer: Answer, option_count: int, response: Any) -> Any:
        if response is None or len(str(response)) > 40:
            raise ValueError("not a number")
        return parse_number(response)

    def score(self, answer: Answer, response: Any) -> float:
        if response is None:
            return 0.0
        # A small relative epsilon so 0.1 + 0.2 style decimals are not judged wrong.
        slack = answer["tolerance"] + 1e-9 * max(1.0, abs(answer["value"]))
        return 1.0 if abs(float(response) - answer["value"]) <= slack else 0.0

    def describe_answer(self, answer: Answer) -> str:
        value = format_number(answer["value"])
        return value if not answer["tolerance"] else f"{value}±{format_number(answer['tolerance'])}"

    def parse_answer_text(self, text: str, option_count: int) -> Answer:
        value, _, tolerance = str(text).replace("+/-", "±").partition("±")
        return self.clean_answer({"value": value.strip(), "tolerance": tolerance.strip() or 0}, option_count)


ITEM_TYPES: dict[str, ItemType] = {
    cls.key: cls() for cls in (SingleChoice, WeightedOptions, MultipleResponse, TrueFalse, NumericAnswer)
}


def item_type(key: str) -> ItemType:
    """The registered item type ``key``; raises ItemValidationError for an unknown type."""
    try:
        return ITEM_TYPES[key]
    except KeyError:
        raise ItemValidationError("type_unknown", "item_type") from None
