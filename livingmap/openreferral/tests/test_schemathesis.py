"""Property-based tests of the served API against the official ORUK OpenAPI document
(schemathesis, in-process through Django's WSGI app): no 5xx, and every response that the
document describes conforms to it. Bounded (few examples per operation) to run in seconds."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from livingmap.openreferral import schemas

APP = get_wsgi_application()


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Like Django's test client: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_dict(schemas.bundled_openapi("/openreferral"))
schema.app = APP
#: The HSDS 3.0 document (OpenAPI 3.1) has the paths and parameters the UK profile leaves out:
#: /organizations, organization_id, modified_after, minimal, full, full_service, format.
hsds_schema = schemathesis.openapi.from_dict(schemas.bundled_openapi("/openreferral", "hsds"))
hsds_schema.app = APP


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms(case):
    check(case)


@pytest.mark.django_db
@hsds_schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_hsds_document(case):
    check(case)


def check(case) -> None:
    # The WSGI test transport does not undo GZipMiddleware: ask for the plain body.
    response = case.call(headers={"Accept-Encoding": "identity"})
    assert response.status_code < 500, response.text[:500]
    if response.status_code == 200:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    elif case.method.upper() == "OPTIONS":
        assert response.status_code == 204  # CORS preflight
    elif case.method.upper() not in ("GET", "HEAD"):
        assert response.status_code == 405 and "GET" in header(response, "Allow")
    else:
        assert response.status_code in (400, 404), response.status_code
        assert response.json()["detail"]
    assert header(response, "Access-Control-Allow-Origin") == "*"


def header(response, name: str) -> str:
    for key, value in response.headers.items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else value
    raise AssertionError(f"no {name} header: {dict(response.headers)}")
