"""The guards every request passes, through the real app on each store: body limits (413), writes from
other sites refused (415, 403), and unexpected errors as a logged JSON 500 on a connection that stays usable."""

from __future__ import annotations

import gc
import http.client
import json
import logging
import select
import socket
import time

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.api.guards import INTERNAL_ERROR
from graph_service.settings import Settings
from tests.api.conftest import JSON_LIMIT, UPLOAD_LIMIT, served
from tests.conftest import sign_in

FAIR = "/api/v1/fairs/f1"
MB = 1 << 20


def _participants_csv(rows: int) -> bytes:
    return ("id,name,kind,available\n" + "".join(f"P{i},参会者{i},enterprise,2026-12-01\n"
                                                  for i in range(rows))).encode()


def _with_fair(client: TestClient) -> dict[str, str]:
    auth = sign_in(client)
    r = client.post("/api/v1/fairs", json={"id": "f1", "start": "2026-12-01", "days": 1, "sessions": 2,
                                           "expected_participants": 20, "expected_projects": 4}, headers=auth)
    assert r.status_code == 201, r.text
    return auth


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length, read off a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of the body"
        body += chunk
    return int(lines[0].split()[1]), headers, body


# --- 1. body limits ------------------------------------------------------------------------------
def test_a_json_body_over_the_limit_is_refused_with_413_and_nothing_is_written(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        auth = sign_in(client)
        big = {"id": "R1", "name": "x", "expertise": "y" * JSON_LIMIT}
        r = client.post("/api/v1/entities/researchers", json=big, headers=auth)
        assert r.status_code == 413 and r.json() == {"detail": "请求体过大：上限 4 KiB"}
        assert r.headers["connection"] == "close"  # the rest of the body is not read
        assert client.get("/api/v1/entities/R1", headers=auth).status_code == 404
        r = client.post("/api/v1/entities/researchers", json={"id": "R1", "name": "x"}, headers=auth)
        assert r.status_code == 201, r.text  # under the limit: as before


def test_csv_imports_sent_as_text_csv_get_the_upload_limit(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        auth = _with_fair(client)
        body = _participants_csv(200)
        assert JSON_LIMIT < len(body) < UPLOAD_LIMIT
        # without text/csv the body counts as a JSON one
        r = client.post(f"{FAIR}/import/participants", content=body, headers=auth)
        assert r.status_code == 413 and r.json()["detail"] == "请求体过大：上限 4 KiB"
        csv = auth | {"Content-Type": "text/csv; charset=utf-8"}
        r = client.post(f"{FAIR}/import/participants", content=body, headers=csv)
        assert r.status_code == 200 and r.json()["participants"] == 200, r.text
        r = client.post(f"{FAIR}/import/participants", content=_participants_csv(600), headers=csv)
        assert r.status_code == 413 and r.json()["detail"] == "请求体过大：上限 16 KiB"
        # text/csv elsewhere gets no more room than JSON
        r = client.post("/api/v1/entities/researchers", content=body, headers=csv)
        assert r.status_code == 413
        assert client.get(FAIR, headers=auth).json()["participants"] == 200


def test_a_100_mb_body_is_answered_413_before_it_is_sent(settings: Settings) -> None:
    """Content-Length says 100 MB: the answer comes after the first 64 KiB, without waiting for the rest."""
    with served(create_app(settings)) as port, socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        start = time.monotonic()
        head = (f"POST /api/v1/entities/researchers HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {100 * MB}\r\n\r\n")
        sock.sendall(head.encode() + b'{"id": "R1", "name": "' + b"x" * 65536)
        status, headers, body = _read_response(sock)
        assert status == 413 and json.loads(body) == {"detail": "请求体过大：上限 4 KiB"}
        assert headers["connection"] == "close" and time.monotonic() - start < 5


def test_a_chunked_body_is_counted_as_it_arrives(settings: Settings) -> None:
    """No Content-Length: the 413 comes once the bytes received pass the limit, long before 100 MB."""
    with served(create_app(settings)) as port, socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = (f"POST /api/v1/entities/researchers HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        sock.sendall(head.encode())
        piece, sent = b"x" * 16384, 0
        while sent < 100 * MB and not select.select([sock], [], [], 0)[0]:  # until the answer is there
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            except OSError:  # the server closed after answering
                break
            sent += len(piece)
        status, _, body = _read_response(sock)
        assert status == 413 and json.loads(body) == {"detail": "请求体过大：上限 4 KiB"}
        assert sent < 16 * MB, sent  # what the socket buffers held, not the 100 MB


# --- 3. the catch-all ----------------------------------------------------------------------------
def _boom() -> None:
    raise RuntimeError("a bug for the test")


def test_an_unexpected_error_is_a_logged_500_json_to_programs_a_page_to_people(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings)
    app.add_api_route("/api/v1/test/boom", _boom)  # test-only routes: one of the API, one of a page
    app.add_api_route("/test/boom", _boom)
    with TestClient(app) as client, caplog.at_level(logging.ERROR, logger="graph_service.api.guards"):
        r = client.get("/api/v1/test/boom")  # the test client would raise an error that reached the server
        assert r.status_code == 500 and r.json() == {"detail": INTERNAL_ERROR}
        page = client.get("/test/boom")  # a person on a page is told on a page
        assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
        assert INTERNAL_ERROR in page.text and "出错了" in page.text and "a bug" not in page.text
        assert client.get("/health").status_code == 200
    logged = [rec for rec in caplog.records if rec.name == "graph_service.api.guards"]
    assert [rec.getMessage().split()[-1] for rec in logged] == ["/api/v1/test/boom", "/test/boom"]
    assert logged[0].exc_info is not None and isinstance(logged[0].exc_info[1], RuntimeError)


def test_after_a_500_the_connection_stays_usable(settings: Settings) -> None:
    app = create_app(settings)
    app.add_api_route("/api/v1/test/boom", _boom)
    with served(app) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/api/v1/test/boom")
            r = conn.getresponse()
            assert r.status == 500 and json.loads(r.read()) == {"detail": INTERNAL_ERROR}
            assert r.getheader("connection") != "close"
            sock = conn.sock
            conn.request("GET", "/health")  # on the same connection: it was not closed under the client
            r = conn.getresponse()
            assert r.status == 200 and json.loads(r.read())["status"] == "ok"
            assert conn.sock is sock
        finally:
            conn.close()


# --- 4. cross-site writes ------------------------------------------------------------------------
def test_writes_a_page_of_another_site_could_send_are_refused(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        auth = _with_fair(client)
        body = _participants_csv(3)
        url = f"{FAIR}/import/participants"
        r = client.post(url, content=body, headers=auth | {"Content-Type": "text/plain"})
        assert r.status_code == 415 and "text/plain" in r.json()["detail"]
        csv = auth | {"Content-Type": "text/csv"}
        r = client.post(url, content=body, headers=csv | {"Origin": "https://evil.example"})
        assert r.status_code == 403 and r.json() == {"detail": "拒绝来自其他网站的写请求：Origin 与本站不符"}
        r = client.post(url, content=body, headers=csv | {"Origin": "null"})
        assert r.status_code == 403
        r = client.post(url, content=body, headers=csv | {"Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 403 and r.json() == {"detail": "拒绝来自其他网站的写请求"}
        r = client.post("/api/v1/entities/researchers", data={"id": "R1", "name": "x"}, headers=auth)  # a form
        assert r.status_code == 415
        r = client.post("/api/v1/entities/researchers", files={"f": b"x"}, data={"id": "R1"}, headers=auth)
        assert r.status_code == 415
        assert client.get(FAIR, headers=auth).json()["participants"] == 0  # nothing written
        assert client.get("/api/v1/entities/R1", headers=auth).status_code == 404


def test_same_site_writes_still_work(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        auth = _with_fair(client)  # sign-in is a form post to the token endpoint
        url = f"{FAIR}/import/participants"
        same = {"Content-Type": "text/csv", "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        r = client.post(url, content=_participants_csv(3), headers=auth | same)
        assert r.status_code == 200 and r.json()["participants"] == 3, r.text
        behind_proxy = {"Content-Type": "text/csv", "Origin": "https://techmatch.example",
                        "X-Forwarded-Host": "techmatch.example"}
        r = client.post(url, content=_participants_csv(4), headers=auth | behind_proxy)
        assert r.status_code == 200, r.text
        r = client.post("/api/v1/graph/projection/rebuild", headers=auth)  # no body, no Content-Type
        assert r.status_code == 200, r.text
        r = client.post("/api/v1/auth/token", data={"username": "staff1", "password": "wrong-password-1"},
                        headers={"Origin": "https://evil.example"})
        assert r.status_code == 403  # a form to the token endpoint, but from another site


# --- 4. what start-up loaded stays out of the collector's full passes --------------------------------
def test_start_up_freezes_what_it_loaded(settings: Settings) -> None:
    gc.unfreeze()
    with TestClient(create_app(settings)) as client:
        service = client.app.state.service
        assert gc.get_freeze_count() > 0
        frozen_before = gc.get_freeze_count()
        assert not gc.is_tracked(service) or all(service is not o for o in gc.get_objects(2))
        gc.collect()  # a full pass leaves the frozen heap alone
        assert gc.get_freeze_count() == frozen_before
