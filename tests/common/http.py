"""Plain HTTP against a live server, and many requests at once."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request


def send_json(url, token, body, method="POST") -> tuple[int, dict]:
    """One SCIM request with a bearer token: (status, JSON body), errors included."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get_json(url, token) -> dict:
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}), timeout=60) as response:
        assert response.status == 200, response.status
        return json.loads(response.read())


def parallel(count, work) -> list:
    """``work(i)`` for i in range(count), each in a thread of its own, all at once; the results in order."""
    results = [None] * count
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, work(i))) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
