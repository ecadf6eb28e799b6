"""e-conomic's error answers.

Two shapes (reference §2): the generic error (``message``, ``errorCode``, ``developerHint``,
``logId``, ``httpStatusCode``, ``logTime``) and the 400 validation body, whose ``errors`` mirror the
request document, with ``arrayIndex`` on array elements. ``logId``/``logTime`` are stamped by the
app when the answer leaves, so handlers only describe the problem.
"""

from __future__ import annotations

from typing import Any

from connectors.economic.sandbox.links import API

#: [?] The reference has no exact errorCode for 401/403/404/405/415 and non-validation 400s;
#: these codes are the sandbox's own, stable so tests can assert them.
GENERIC_CODES = {
    400: "E00400",
    401: "E00401",
    403: "E00403",
    404: "E00404",
    405: "E00405",
    409: "E00409",
    415: "E00415",
    500: "E00500",
}

_MISSING = object()
Path = tuple[str | int, ...]


class ApiError(Exception):
    """An answer other than success. ``body`` lacks logId/logTime (traceId/traceTimeUtc for the
    OpenAPI services' ProblemDetails); the app stamps them."""

    def __init__(self, status: int, body: dict[str, Any], problem: bool = False) -> None:
        super().__init__(body.get("message") or body.get("detail", ""))
        self.status = status
        self.body = body
        self.problem = problem


def problem(status: int, title: str, detail: str, error_code: str, errors: list[dict[str, Any]] | None = None) -> ApiError:
    """An RFC-7807 ProblemDetails answer, the error model of the OpenAPI services (journalsapi)."""
    body: dict[str, Any] = {"type": f"https://httpstatuses.io/{status}", "title": title, "status": status,
                            "detail": detail, "errorCode": error_code}
    if errors:
        body["errors"] = errors
    return ApiError(status, body, problem=True)


def error(status: int, message: str, hint: str = "", code: str | None = None, **extra: Any) -> ApiError:
    """A generic e-conomic error answer."""
    body: dict[str, Any] = {
        "message": message,
        "errorCode": code or GENERIC_CODES.get(status, f"E00{status}"),
        "developerHint": hint or message,
        "httpStatusCode": status,
    }
    body.update(extra)
    return ApiError(status, body)


def not_found(what: str) -> ApiError:
    return error(404, f"{what} not found.", "The resource does not exist; use the links the API gives you.")


def method_not_allowed(method: str, path: str) -> ApiError:
    return error(405, f"The HTTP method {method} is not allowed on {path}.", "See GET / for the endpoints and their verbs.")


class ValidationErrors:
    """Collects field errors and renders them in the shape of the request payload."""

    def __init__(self) -> None:
        self._items: list[tuple[Path, dict[str, Any]]] = []

    def __bool__(self) -> bool:
        return bool(self._items)

    def add(self, path: Path, code: str, message: str, value: Any = _MISSING, hint: str = "") -> None:
        item: dict[str, Any] = {"errorCode": code, "message": message}
        if value is not _MISSING and value is not None and not isinstance(value, (dict, list)):
            item["value"] = value
        item["developerHint"] = hint or "Please check your request data."
        self._items.append((path, item))

    def tree(self) -> dict[str, Any] | list[Any]:
        root: dict[str, Any] = {}
        for path, item in self._items:
            node: Any = root
            for index, part in enumerate(path):
                last = index == len(path) - 1
                if isinstance(part, int):
                    node = _array_slot(node, part)
                    if last:  # the element itself is wrong (not an object)
                        node.setdefault("errors", []).append(item)
                    continue
                nxt = path[index + 1] if not last else None
                if last:
                    node.setdefault(part, {"errors": []})["errors"].append(item)
                elif isinstance(nxt, int):
                    node = node.setdefault(part, [])
                else:
                    node = node.setdefault(part, {})
        if "" in root:  # errors of several documents posted at once: a top-level array
            return root[""]
        return root

    def raise_if_any(self) -> None:
        if self._items:
            raise ApiError(400, {
                "message": "Validation error.",
                "errorCode": "E00000",
                "developerHint": "Inspect validation errors and correct your request.",
                "httpStatusCode": 400,
                "errors": self.tree(),
            })


def _array_slot(node: list[dict[str, Any]], index: int) -> dict[str, Any]:
    for slot in node:
        if slot.get("arrayIndex") == index:
            return slot
    slot = {"arrayIndex": index}
    node.append(slot)
    node.sort(key=lambda s: s["arrayIndex"])
    return slot


def list_hint(resource: str) -> str:
    """The developerHint e-conomic gives for a reference that does not exist."""
    return f"Find a list of {resource} at {API}/{resource}."
