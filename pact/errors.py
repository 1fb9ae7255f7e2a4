"""PACT error responses: a code from the spec's table, its HTTP status and an English message."""

from django.http import JsonResponse

# Error response code -> (HTTP status, the spec's example message).
ERRORS = {
    "AccessDenied": (403, "Access denied"),
    "BadRequest": (400, "Bad Request"),
    "NoSuchFootprint": (404, "The specified footprint does not exist."),
    "NotImplemented": (
        400,
        "The specified Action or header you provided implies functionality that is not implemented",
    ),
    "TokenExpired": (401, "The specified access token has expired"),
    "InternalError": (500, "An internal or unexpected error has occurred"),
}


class PactError(Exception):
    """A request the host answers with a PACT error response; `body()` is also a Rejected event's `error`."""

    def __init__(self, code: str, message: str | None = None):
        if code not in ERRORS:
            raise ValueError(f"unknown PACT error code {code!r}")
        self.code = code
        self.status = ERRORS[code][0]
        self.message = message or ERRORS[code][1]
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict:
        return {"code": self.code, "message": self.message}

    def response(self) -> JsonResponse:
        return JsonResponse(self.body(), status=self.status)
