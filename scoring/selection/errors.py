"""The one refusal of the selection rules and data: :class:`SelectionRuleError`."""

from __future__ import annotations

__all__ = ["SelectionRuleError", "data_error"]


class SelectionRuleError(ValueError):
    """A selection rule or an input array breaks a documented constraint.

    Parameters
    ----------
    code : str
        Stable identifier (``"weights_do_not_sum_to_one"``, ...) for the web layer to translate.
    message : str
        Plain English sentence, shown as is when no translation exists.
    **params
        Values quoted in the message (names, numbers), for the translated sentence.
    """

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


def data_error(column: str, expected: str) -> SelectionRuleError:
    """The refusal of an input column that does not hold what it should."""
    return SelectionRuleError("applicant_data_invalid", f"The column {column} must hold {expected}.", column=column)
