#!/usr/bin/env python3
"""Benchmarks of gates that work offline, run by scripts/bench against a running service.

  bench_offline.py upload BASE_URL BEARER SCANS BATCH
      issues SCANS/2 permits, then uploads SCANS offline scans (each permit entering, then
      leaving) in batches of BATCH: BENCH_UPLOADERS (2) gate devices at once, each with its own
      gate's queue, one upload at a time; prints a WRK_JSON line: requests = scans, duration =
      the uploads' wall time, p50/p99 per upload.

  bench_offline.py bundle BASE_URL BEARER INSIDE REVOKED
      brings INSIDE holders inside (offline uploads) and revokes REVOKED other permits, then
      times GET /api/v1/gates/CN-1/bundle (whole, with HTTP compression) and the delta of a busy
      minute (200 crossings, 5 revocations); prints one line of JSON figures.
"""
import datetime
import os
import gzip
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

mode, base, bearer = sys.argv[1], sys.argv[2], sys.argv[3]
url = urllib.parse.urlsplit(base)
local = threading.local()


def connection():
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    return local.conn


def request(method, path, body=None, auth=True, headers=None):
    all_headers = {"Content-Type": "application/json"}
    if auth:
        all_headers["Authorization"] = "Bearer " + bearer
    all_headers.update(headers or {})
    payload = None if body is None else json.dumps(body)
    for attempt in (1, 2):
        conn = connection()
        try:
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
            break
        except (http.client.RemoteDisconnected, ConnectionError):
            # The service closed a keep-alive connection this thread left idle: open another.
            conn.close()
            del local.conn
            if attempt == 2:
                raise
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
    return response, data


today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
visit = {"from": today.isoformat(), "until": (today + datetime.timedelta(days=9)).isoformat()}


def permit(i):
    document = {
        "type": "passport", "issuing_country": "KAZ", "number": f"{mode[0].upper()}{i:08d}",
        "nationality": "KAZ", "surname": "OFFLINE", "given_names": "BENCH", "birth_date": "1990-01-31",
        "sex": "F", "expiry_date": "2035-01-01",
    }
    _, data = request("POST", "/api/v1/permits", {"document": document, "visit": visit}, auth=False)
    body = json.loads(data)
    return body["permit_id"], body["token"]


def issue(count):
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(permit, range(count)))


def stamp(at):
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def items(tokens, direction, start, gate="CN-1"):
    return [{
        "nonce": str(uuid.uuid4()), "token": token, "gate_id": gate, "direction": direction,
        "scanned_at": stamp(start + datetime.timedelta(milliseconds=i)), "device_decision": "admit",
    } for i, token in enumerate(tokens)]


def upload(scans, batch):
    """Uploads `scans` in batches, one at a time; (seconds of each upload, results)."""
    took, results = [], []
    for i in range(0, len(scans), batch):
        body = {"scans": scans[i:i + batch]}
        started = time.perf_counter()
        _, data = request("POST", "/api/v1/scans/batch", body)
        took.append(time.perf_counter() - started)
        results.extend(json.loads(data)["results"])
    return took, results


now = datetime.datetime.now(datetime.timezone.utc)
if mode == "upload":
    count, batch = int(sys.argv[4]), int(sys.argv[5])
    uploaders = int(os.environ.get("BENCH_UPLOADERS", "2"))
    permits = issue(count // 2)
    tokens = [t for _, t in permits]
    # Each uploader is one gate's device with its own holders' scans (CN-1, KZ-1, ...): each
    # permit enters, then leaves, at that gate.
    gates = ["CN-1", "KZ-1"]
    queues = []
    for u in range(uploaders):
        mine = tokens[u::uploaders]
        gate = gates[u % len(gates)]
        queues.append(items(mine, "entry", now - datetime.timedelta(minutes=20), gate)
                      + items(mine, "exit", now - datetime.timedelta(minutes=10), gate))
    if os.environ.get("BENCH_MARK"):
        open(os.environ["BENCH_MARK"], "w").close()
    started = time.perf_counter()
    with ThreadPoolExecutor(uploaders) as pool:
        done = list(pool.map(lambda q: upload(q, batch), queues))
    wall = time.perf_counter() - started
    took = sorted(t for d in done for t in d[0])
    results = [r for d in done for r in d[1]]
    statuses = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    conflicts = sum(1 for r in results if "conflict_id" in r)
    print("WRK_JSON " + json.dumps({
        "requests": len(results), "duration_us": int(wall * 1e6), "socket_errors": 0,
        "p50_us": int(statistics.median(took) * 1e6), "p99_us": int(took[min(len(took) - 1, int(len(took) * 0.99))] * 1e6),
        "denied": 0, "statuses": {f"{k} scans": v for k, v in statuses.items()} | {"uploads": len(took), "uploaders": uploaders, "conflicts": conflicts},
    }))
elif mode == "bundle":
    inside, revoked = int(sys.argv[4]), int(sys.argv[5])
    seeded = time.perf_counter()
    permits = issue(inside + revoked + 400)
    entering, to_revoke, busy = permits[:inside], permits[inside:inside + revoked], permits[inside + revoked:]
    upload(items([t for _, t in entering], "entry", now - datetime.timedelta(hours=1)), 500)

    def revoke(p):
        request("POST", f"/api/v1/permits/{p[0]}/revoke", {"reason": "benchmark"})
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(revoke, to_revoke))
    seeded = time.perf_counter() - seeded

    def fetch(path):
        started = time.perf_counter()
        response, data = request("GET", path, headers={"Accept-Encoding": "gzip"})
        took = time.perf_counter() - started
        raw = gzip.decompress(data) if response.getheader("Content-Encoding") == "gzip" else data
        return took, len(data), len(raw), int(response.getheader("X-Bundle-Version")), response.getheader("X-Bundle-Kind")

    runs = [fetch("/api/v1/gates/CN-1/bundle") for _ in range(5)]
    whole = sorted(runs)[len(runs) // 2]
    version = whole[3]
    # A busy minute: 200 crossings (100 entries of new holders, 100 exits) and 5 revocations.
    later = datetime.datetime.now(datetime.timezone.utc)
    upload(items([t for _, t in busy[:100]], "entry", later - datetime.timedelta(seconds=50))
           + items([t for _, t in entering[:100]], "exit", later - datetime.timedelta(seconds=30)), 500)
    for p in busy[100:105]:
        revoke(p)
    delta = fetch(f"/api/v1/gates/CN-1/bundle?since={version}")
    print(json.dumps({
        "inside": inside, "revoked": revoked, "seed_seconds": round(seeded, 1),
        "whole_ms_median_of_5": round(whole[0] * 1000, 1),
        "whole_ms_all": [round(r[0] * 1000, 1) for r in runs],
        "whole_bytes_gzip": whole[1], "whole_bytes": whole[2],
        "delta_kind": delta[4], "delta_ms": round(delta[0] * 1000, 1),
        "delta_bytes_gzip": delta[1], "delta_bytes": delta[2],
    }))
else:
    raise SystemExit(f"unknown mode {mode}")
