"""No N+1 on any list endpoint of /api/v1/: the number of queries does not grow with the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.api.lists import ROW_MAKERS, api_list_routes


def _queries(client, url) -> tuple[int, int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    rows = len(body) if isinstance(body, list) else len(body["results"])
    return len(captured.captured_queries), rows, [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("name", api_list_routes())
def test_queries_of_a_list_do_not_grow_with_its_rows(name, actors, materials):
    assert name in ROW_MAKERS, f"{name}: a new list endpoint; add a row maker in tests/api/lists.py"
    user, url = ROW_MAKERS[name](actors, materials, 3)
    client = APIClient()
    client.force_authenticate(user)
    client.get(url)  # warm per-process caches (content types, ...) before counting
    few, few_rows, _ = _queries(client, url)
    user, url = ROW_MAKERS[name](actors, materials, 30)
    client.force_authenticate(user)
    many, many_rows, sql = _queries(client, url)
    assert many_rows > few_rows >= 3
    assert many <= few, "\n".join(sql)
