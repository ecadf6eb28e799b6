"""WooCommerce REST v3 over the shared HTTP client: collection paging and error bodies.

Paging asks for ``page=1..X-WP-TotalPages``; when a server leaves that header out, the ``page`` of
the ``Link: rel="next"`` URL is used, but the URL itself is never followed (WordPress builds it
from its site URL, which may differ from the configured shop URL, and credentials go only to the
configured host). Offset paging is unstable while the shop changes: when ``X-WP-Total`` differs
between the first and the last page, the whole collection is read again (up to three times).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from engine.errors import ConfigError, DataError, IexError, IexSystemError

JSON = dict[str, Any]
LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^",;]+)"?')
ATTEMPTS = 3


def woo_error(resp: Any) -> IexError | None:
    """A WordPress error body (``{"code", "message", "data": {"status", "params"}}``) as an iex
    error. Invalid query parameters of a read come from stream options: a configuration problem."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "code" not in body:
        if resp.status == 404:
            return ConfigError(f"WooCommerce REST API not found at {resp.url.split('?')[0]} (HTTP 404, not a "
                               "WordPress answer): check the connection settings url and api_path")
        return None
    code, message = str(body.get("code")), str(body.get("message", ""))
    params = (body.get("data") or {}).get("params") or {}
    detail = "; ".join(f"{name}: {reason}" for name, reason in params.items())
    text = f"WooCommerce refused {resp.method} {urlsplit(resp.url).path} (HTTP {resp.status} {code}): {message}"
    text += f" ({detail})" if detail else ""
    if code == "rest_no_route":
        return ConfigError(text + ". Check the connection settings url and api_path, and that WooCommerce is active")
    if resp.method == "GET" and code == "rest_invalid_param":
        return ConfigError(text, details={"status": resp.status, "code": code})
    return DataError(text, details={"status": resp.status, "code": code})


def next_page(link_header: str | None) -> int | None:
    """The ``page`` number of the ``rel="next"`` link, if any."""
    for url, rel in LINK.findall(link_header or ""):
        if rel == "next":
            pages = parse_qs(urlsplit(url).query).get("page")
            return int(pages[0]) if pages and pages[0].isdigit() else None
    return None


class WooClient:
    def __init__(self, http: Any, per_page: int) -> None:
        self.http = http
        self.per_page = per_page

    def get(self, path: str, params: JSON | None = None) -> Any:
        return self.http.get(path, params=params).json()

    def put(self, path: str, body: JSON) -> JSON:
        return self.http.put(path, json=body).json()

    def count(self, path: str, params: JSON | None = None) -> int:
        """How many items a collection holds (``X-WP-Total``), for one small request."""
        resp = self.http.get(path, params={**(params or {}), "per_page": 1, "page": 1})
        total = resp.headers.get("x-wp-total", "")
        return int(total) if total.isdigit() else len(_items(resp, path))

    def collect(self, path: str, params: JSON | None = None) -> list[JSON]:
        """Every item of a collection, read consistently (see the module docstring)."""
        for _attempt in range(ATTEMPTS):
            items, totals = self._read(path, params or {})
            if len(set(totals)) <= 1:
                return items
        return items

    def pages(self, path: str, params: JSON | None = None) -> Iterator[list[JSON]]:
        """The collection page by page (for long lists that need not be read as a whole)."""
        page: int | None = 1
        while page is not None:
            resp = self.http.get(path, params={**(params or {}), "per_page": self.per_page, "page": page})
            yield _items(resp, path)
            page = _following(resp, page)

    def _read(self, path: str, params: JSON) -> tuple[list[JSON], list[str]]:
        items: list[JSON] = []
        totals: list[str] = []
        page: int | None = 1
        while page is not None:
            resp = self.http.get(path, params={**params, "per_page": self.per_page, "page": page})
            items.extend(_items(resp, path))
            totals.append(resp.headers.get("x-wp-total", ""))
            page = _following(resp, page)
        return items, totals


def _items(resp: Any, path: str) -> list[JSON]:
    data = resp.json()
    if not isinstance(data, list):
        raise IexSystemError(f"WooCommerce answered GET {path} with {type(data).__name__}, expected a JSON list")
    return data


def _following(resp: Any, page: int) -> int | None:
    total_pages = resp.headers.get("x-wp-totalpages")
    if total_pages is not None and total_pages.isdigit():
        return page + 1 if page < int(total_pages) else None
    found = next_page(resp.headers.get("link"))
    return found if found is not None and found > page else None
