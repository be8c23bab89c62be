"""The Open Referral API does what the OpenAPI documents it serves say: schemathesis, in-process
over WSGI, with every one of its checks, against the ORUK document (as served, with its schema
files bundled in) and the HSDS 3.0 one. As livingmap/core/tests/test_openapi_conformance.py
does for /api/openapi.json (see there and docs/api.md): each failure of each operation listed.

The standard's documents list only each operation's 200; this server declares its 400 and 404
(`schemas._describe_this_server`) and the bounds and formats its parameters really have."""

from __future__ import annotations

import pytest
import schemathesis

from livingmap.core.tests.test_openapi_conformance import (  # noqa: F401 (autouse fixtures)
    CONFIG,
    SETTINGS,
    _api_unthrottled_in_one_transaction,
    _report,
    _run_for,
    application,
    call,
    widened,
)
from livingmap.openreferral import schemas

#: The one widened check, as for the Living Map API: a list may still refuse with 400 and its
#: reason a request the document allows, for rules the document cannot write down: a postcode
#: must be one we hold, proximity needs a postcode, a day must be a day of the week, ids are
#: UUIDs and modified_after a date (the standard types them as any text).
OPEN_REFERRAL_CONFIG = CONFIG + widened(
    "^/(services|service_at_locations|organizations|taxonomies|taxonomy_terms)$"
)


def load(standard: str):
    config = schemathesis.Config.from_str(OPEN_REFERRAL_CONFIG)
    schema = schemathesis.openapi.from_dict(
        schemas.bundled_openapi("/openreferral", standard), config=config
    )
    schema.app = application
    return schema


ORUK = load("oruk")
HSDS = load("hsds")


@pytest.mark.django_db
@ORUK.parametrize()
@SETTINGS
def test_conforms_to_the_oruk_document(case, request):
    call(case, _run_for(request))


@pytest.mark.django_db
@HSDS.parametrize()
@SETTINGS
def test_conforms_to_the_hsds_document(case, request):
    call(case, _run_for(request))


def test_every_check_is_on():
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    for schema in (ORUK, HSDS):
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 9
        for operation in operations:
            config = schema.config.checks_config_for(operation=operation)
            for name in CHECKS.get_all_names():
                assert getattr(config, name).enabled, (operation.label, name)
