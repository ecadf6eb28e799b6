"""Request handling shared by every route: tokens, Content-Type, JSON body, the lock, and error
answers stamped with ``logId``/``logTime``.

A handler is a plain function ``handler(ctx) -> Reply | dict | Response`` that runs under the
store's lock, so numbering and booking are atomic even with many concurrent clients.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.economic.sandbox.errors import ApiError, ValidationErrors, error, method_not_allowed, not_found
from connectors.economic.sandbox.jsonio import JsonResponse, loads
from connectors.economic.sandbox.links import Links
from connectors.economic.sandbox.options import DEMO_TOKEN
from connectors.economic.sandbox.store import Store
from connectors.economic.sandbox.validation import add

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
JOURNALS_API = "/journalsapi/"
log = logging.getLogger("iex.sandbox.economic")
_LOG_NAMESPACE = uuid.UUID("8f1a6b2e-6a43-4d2b-9c55-3f1f0a6d2e11")


@dataclass
class Reply:
    """A JSON answer with a status other than 200 and optional headers (``Location``)."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    """What a handler sees of one request."""

    request: Request
    store: Store
    links: Links
    body: Any = None

    @property
    def params(self) -> Any:
        return self.request.query_params

    def arg(self, name: str) -> Any:
        return self.request.path_params[name]


Handler = Callable[[Ctx], Any]


def body_object(ctx: Ctx, what: str) -> dict[str, Any]:
    """The request body, which must be one JSON object: a list or a scalar is a 400."""
    if not isinstance(ctx.body, dict):
        raise error(400, "The request body must be a JSON object.", f"Send one {what} document.")
    return ctx.body


def check_number(errs: ValidationErrors, field: str, number: Any, number_in_path: Any, taken: Container[Any]) -> None:
    """The identity rule of a numbered document: a POST's number must be free (E04330), a PUT's
    must be the one in the URL (E04395)."""
    if number_in_path is None and number in taken:
        add(errs, (field,), "E04330", number)
    elif number_in_path is not None and number != number_in_path:
        add(errs, (field,), "E04395", number, message=f"{field} must match the number in the URL.")


def created(document: dict[str, Any]) -> Reply:
    """201 Created with the new document and its ``self`` link as ``Location``."""
    return Reply(document, 201, {"Location": document["self"]})


def resource(path: str, public: bool = False, **handlers: Handler) -> Route:
    """One path with a handler per HTTP verb (``get=``, ``post=``, ``put=``, ``delete=``);
    other verbs answer 405 with e-conomic's error body. ``public`` skips the token check."""
    verbs = {name.upper(): fn for name, fn in handlers.items()}

    async def endpoint(request: Request) -> Response:
        store: Store = request.app.state.store
        problem_style = request.url.path.startswith(JOURNALS_API)
        try:
            links = _links(request)
            if not public:
                _authorise(request, store, links)
            method = "GET" if request.method == "HEAD" else request.method
            handler = verbs.get(method)
            if handler is None:
                raise method_not_allowed(request.method, request.url.path)
            body = await _body(request) if method in ("POST", "PUT", "PATCH") else None
            ctx = Ctx(request, store, links, body)
            key = request.headers.get("idempotency-key") if problem_style and method != "GET" else None
            with store.lock:
                cached = store.idempotent.get((method, request.url.path, key)) if key else None
                if cached is not None:
                    return _replay(cached)
                response = _respond(handler(ctx))
                if key and 200 <= response.status_code < 300:
                    store.idempotent[(method, request.url.path, key)] = response
            return response
        except ApiError as exc:
            return error_response(store, exc, problem_style, request.url.path)
        except ClientDisconnect:
            raise  # the client went away mid-body: engine.sandbox drops the request quietly
        except Exception as exc:  # noqa: BLE001 - a sandbox bug answers like e-conomic's 500, with the cause
            log.exception("economic sandbox: %s %s failed", request.method, request.url.path)
            crash = error(500, f"An unexpected error occurred in the sandbox: {type(exc).__name__}: {exc}",
                          "This is a sandbox bug; please report it with the request.")
            return error_response(store, crash, problem_style, request.url.path)

    return Route(path, endpoint, methods=METHODS)


def _replay(original: Response) -> Response:
    """The OpenAPI services answer a repeated Idempotency-Key with the cached original response
    (reference §8.3). [?] Only successes are cached, so a corrected retry is not stuck on an error."""
    headers = {k: v for k, v in original.headers.items() if k.lower() != "content-length"}
    headers["X-ResultFromCache"] = "true"
    return Response(original.body, status_code=original.status_code, headers=headers)


def _links(request: Request) -> Links:
    demo_query = request.query_params.get("demo", "").lower() == "true"
    return Links(str(request.base_url), demo_query)


def _authorise(request: Request, store: Store, links: Links) -> None:
    options = store.options
    app_token = request.headers.get("x-appsecrettoken")
    grant = request.headers.get("x-agreementgranttoken")
    demo = links.demo_query or (app_token == DEMO_TOKEN and grant == DEMO_TOKEN)
    if demo:
        if request.method in WRITE_METHODS:
            raise error(options.demo_write_status, "The demo agreement is read-only; only GET is allowed.",
                        "Use your own X-AppSecretToken and X-AgreementGrantToken to write.")
        return
    if app_token == options.app_secret_token and grant == options.agreement_grant_token:
        return
    missing = [name for name, value in (("X-AppSecretToken", app_token), ("X-AgreementGrantToken", grant)) if not value]
    reason = f"Missing header(s): {', '.join(missing)}." if missing else "The X-AppSecretToken or X-AgreementGrantToken is not valid."
    demo_link = Links(links.base, True).url(request.url.path)
    # Every 401 carries a demo link to the same resource (reference §1).
    raise error(401, f"Not authorized. {reason}", f"Try the demo agreement: {demo_link}", demoLink=demo_link)


async def _body(request: Request) -> Any:
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if not raw.strip():
        return None
    if not content_type.split(";")[0].strip().lower() == "application/json":
        raise error(415, f"Unsupported media type '{content_type or 'none'}'. This is a JSON API.",
                    "Send the header Content-Type: application/json.")
    try:
        return loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(400, f"The request body is not valid JSON: {exc}.", "Send a valid JSON document.") from None


def _respond(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, Reply):
        if result.status == 204:
            return Response(status_code=204, headers=result.headers)
        return JsonResponse(result.body, status_code=result.status, headers=result.headers)
    return JsonResponse(result)


def error_response(store: Store, exc: ApiError, problem_style: bool, path: str) -> Response:
    """Stamp the log id and time e-conomic puts on every error and answer."""
    with store.lock:
        store.log_counter += 1
        log_id = str(uuid.uuid5(_LOG_NAMESPACE, str(store.log_counter)))
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None).isoformat()
    body = dict(exc.body)
    if problem_style and not exc.problem:
        body = {"type": f"https://httpstatuses.io/{exc.status}", "title": body.get("message", ""), "status": exc.status,
                "detail": body.get("developerHint", ""), "errorCode": body.get("errorCode", "")}
    if problem_style or exc.problem:
        body.update({"instance": path, "traceId": log_id, "traceTimeUtc": now + "Z"})
        return JsonResponse(body, status_code=exc.status, media_type="application/problem+json; charset=utf-8")
    body["logId"] = log_id
    body["logTime"] = now
    return JsonResponse(body, status_code=exc.status)


async def not_found_handler(request: Request, exc: Exception) -> Response:
    """Unknown paths: e-conomic's 404 body (no route matched)."""
    store: Store = request.app.state.store
    return error_response(store, not_found(f"The path {request.url.path}"), request.url.path.startswith(JOURNALS_API), request.url.path)
