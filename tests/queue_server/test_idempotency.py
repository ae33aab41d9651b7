"""A retried device request (same Idempotency-Key) is answered again, never applied twice."""

from tests.conftest import auth

API = "/api/v1"


def test_retried_call_next_is_applied_once(client, token):
    kiosk, agent = token("kiosk"), token("agent")
    for _ in range(3):
        assert (
            client.post(f"{API}/tickets", json={"service": "HT"}, headers=auth(kiosk)).status_code
            == 201
        )
    headers = {**auth(agent), "Idempotency-Key": "kp-3-000017"}
    first = client.post(f"{API}/counters/1/call-next", headers=headers)
    again = client.post(f"{API}/counters/1/call-next", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replay") == "true"
    assert "Idempotent-Replay" not in first.headers
    # only one ticket left the queue
    assert client.get(f"{API}/queue").get_json()["waiting"]["HT"] == 2
    # a new key is a new press
    other = client.post(
        f"{API}/counters/1/call-next", headers={**auth(agent), "Idempotency-Key": "kp-3-000018"}
    )
    assert other.get_json()["ticket"]["number"] != first.get_json()["ticket"]["number"]
    assert client.get(f"{API}/queue").get_json()["waiting"]["HT"] == 1


def test_errors_are_replayed_too_and_keys_are_per_token(client, token):
    agent, other_agent = token("agent"), token("agent")
    headers = {**auth(agent), "Idempotency-Key": "kp-1"}
    first = client.post(f"{API}/counters/1/complete", headers=headers)
    assert first.status_code == 409
    assert client.post(f"{API}/counters/1/complete", headers=headers).get_json() == first.get_json()
    # the same key from another device is its own request
    res = client.post(
        f"{API}/counters/1/recall", headers={**auth(other_agent), "Idempotency-Key": "kp-1"}
    )
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "no_current_ticket"


def test_key_reused_for_another_request_and_bad_keys(client, token):
    agent = token("agent")
    client.post(f"{API}/counters/1/pause", headers={**auth(agent), "Idempotency-Key": "k1"})
    res = client.post(f"{API}/counters/1/resume", headers={**auth(agent), "Idempotency-Key": "k1"})
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "idempotency_key_reused"
    for bad in ("", "x" * 65, "khóa có dấu", "a b"):
        res = client.post(
            f"{API}/counters/1/resume", headers={**auth(agent), "Idempotency-Key": bad}
        )
        assert res.status_code == 400, bad
        assert res.get_json()["error"]["code"] == "invalid_idempotency_key"


def test_agent_health_is_visible_to_staff(client, token):
    agent, clerk, kiosk = token("agent"), token("clerk", counter=1), token("kiosk")
    report = {
        "name": "Máy quầy 1-4",
        "devices": [
            {"id": "keypad-3", "kind": "keypad", "state": "ok", "counter": 3,
             "port": "/dev/ttyUSB0", "counts": {"frames": 12, "garbage": 2}},
            {"id": "led-3", "kind": "led", "state": "disconnected", "detail": "port vanished"},
        ],
    }  # fmt: skip
    assert client.post(f"{API}/agent/health", json=report, headers=auth(agent)).status_code == 200
    seen = client.get(f"{API}/devices", headers=auth(clerk)).get_json()["agents"]
    assert seen[0]["name"] == "Máy quầy 1-4"
    assert [d["state"] for d in seen[0]["devices"]] == ["ok", "disconnected"]
    assert client.get(f"{API}/devices", headers=auth(kiosk)).status_code == 403
    assert client.post(f"{API}/agent/health", json=report, headers=auth(clerk)).status_code == 403
    for bad in (
        {"devices": [{"id": "x", "state": "burning"}]},
        {"devices": [{"id": 5, "state": "ok"}]},
        {"devices": ["x"]},
        {"devices": [{"id": "x", "state": "ok", "secret": 1}]},
    ):
        res = client.post(f"{API}/agent/health", json=bad, headers=auth(agent))
        assert res.status_code == 400, bad


def test_rating_goes_to_the_ticket_just_served(client, token, app):
    kiosk, agent = token("kiosk"), token("agent")
    assert (
        client.post(f"{API}/counters/1/rating", json={"score": 3}, headers=auth(agent)).status_code
        == 409
    )
    issued = client.post(f"{API}/tickets", json={"service": "HT"}, headers=auth(kiosk)).get_json()
    client.post(f"{API}/counters/1/call-next", headers=auth(agent))
    client.post(f"{API}/counters/1/complete", headers=auth(agent))
    headers = {**auth(agent), "Idempotency-Key": "rt01-abc"}
    res = client.post(f"{API}/counters/1/rating", json={"score": 4, "scale": 5}, headers=headers)
    assert res.status_code == 200
    assert res.get_json()["ticket"]["id"] == issued["ticket"]["id"]
    client.post(f"{API}/counters/1/rating", json={"score": 4, "scale": 5}, headers=headers)  # retry
    log = client.get(f"{API}/tickets/{issued['ticket']['id']}/events").get_json()["events"]
    rated = [e for e in log if e["kind"] == "rated"]
    assert [(e["detail"], e["counter"]) for e in rated] == [("4/5", 1)]  # once, not twice
    for bad in ({"score": 0}, {"score": 4}, {"score": 2, "scale": 4}, {"score": "3"}):
        res = client.post(f"{API}/counters/1/rating", json=bad, headers=auth(agent))
        assert res.status_code == 400, bad
