"""e-conomic's annotated 400 bodies become DataErrors with the field path a customer can fix."""

from __future__ import annotations

import json
from dataclasses import dataclass

from engine.errors import DataError, ErrorClass

from connectors.economic.errors import NotFoundError, flatten, parse_error

DOC_EXAMPLE = {
    "message": "Validation error.",
    "developerHint": "Inspect validation errors and correct your request.",
    "logId": "c7ca5bc2", "httpStatusCode": 400, "logTime": "2015-03-12T16:44:56",
    "errors": {
        "currency": {"errors": [{"errorCode": "E06000", "message": "currency does not exist.", "value": "ZUL"}]},
        "lines": [
            {"arrayIndex": 0, "unitNetPrice": {"errors": [{"errorCode": "E04740",
             "message": "unitNetPrice scale cannot be greater then two decimal places.", "value": 10.12345}]}},
            {"arrayIndex": 2, "product": {"errors": [{"errorCode": "E04500", "message": "No identifiers present on product."}]}},
        ],
    },
}


@dataclass
class FakeResponse:
    status: int
    text: str
    url: str = "https://restapi.e-conomic.com/invoices/drafts?x=1"
    method: str = "POST"


def test_nested_errors_flatten_to_field_paths_with_array_indexes() -> None:
    paths = [leaf["path"] for leaf in flatten(DOC_EXAMPLE["errors"])]
    assert paths == ["currency", "lines[0].unitNetPrice", "lines[2].product"]


def test_a_400_body_becomes_a_data_error_naming_field_code_and_value() -> None:
    error = parse_error(FakeResponse(400, json.dumps(DOC_EXAMPLE)))
    assert isinstance(error, DataError) and error.error_class == ErrorClass.DATA
    assert error.field_path == "currency"
    text = str(error)
    assert "POST /invoices/drafts (HTTP 400)" in text
    assert "lines[0].unitNetPrice: unitNetPrice scale cannot be greater then two decimal places. (E04740)" in text
    assert "lines[2].product" in text and "[value ZUL]" in text
    assert "x=1" not in text  # query strings stay out of messages


def test_a_400_without_field_errors_keeps_the_message_and_hint() -> None:
    body = {"message": "Filtering on property 'foo' is not allowed.", "developerHint": "See the schema.", "httpStatusCode": 400}
    error = parse_error(FakeResponse(400, json.dumps(body), method="GET"))
    assert "Filtering on property 'foo' is not allowed. (See the schema.)" in str(error)
    assert error.field_path is None


def test_404_is_a_not_found_data_error_and_non_json_bodies_do_not_crash() -> None:
    assert isinstance(parse_error(FakeResponse(404, "", method="GET")), NotFoundError)
    error = parse_error(FakeResponse(409, "<html>conflict</html>"))
    assert isinstance(error, DataError) and "HTTP 409" in str(error)
