"""The one way a domain operation says no: :class:`Refusal`, with a code and parameters.

Services in every package (``itembank``, ``proctoring`` and the web layer's own services) raise it;
the web layer's one handler rolls the transaction back, looks the code up in its message registry
(``examserver.errors.refusal_message``) and answers with a flash and redirect for pages or JSON for
the API. It lives here, in the lowest layer, because ``proctoring`` and ``examserver`` both import
``itembank`` and neither domain package may import the web layer.
"""

from __future__ import annotations


class Refusal(ValueError):
    """A refused operation.

    Parameters
    ----------
    code : str
        ``<area>.<reason>``, e.g. ``"selection.period_closed"``: the key of its translated message.
        Positional only, so a message may interpolate a parameter named ``code`` (an item's code).
    status : int
        The HTTP status a JSON client gets (409 by default: the request conflicts with the state).
    **params
        Values the message interpolates, e.g. ``limit=512`` for ``%(limit)d``.
    """

    def __init__(self, code: str, /, status: int = 409, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.params = params
