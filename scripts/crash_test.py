#!/usr/bin/env python3
"""Crash safety: scans under load, SIGKILL mid-run, restart, then check that nothing answered was lost.

    scripts/crash_test.py [--binary target/debug/borderpass] [--seconds 3] [--threads 8] [--permits 200]

Checks, after the restart on the same SQLite database:
  - every scan that got a 200 answer is in the crossing log exactly once, with the decision answered;
  - PRAGMA integrity_check is ok;
  - each permit's presence agrees with its last admitted scan in the log;
  - the daily counts agree with the log;
  - a scan sent again after the restart replays its first answer.
Prints 'N passed, N failed' and exits non-zero on any failure.
"""
import argparse
import datetime
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from zoneinfo import ZoneInfo

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default="target/debug/borderpass")
parser.add_argument("--seconds", type=float, default=3.0)
parser.add_argument("--threads", type=int, default=8)
parser.add_argument("--permits", type=int, default=200)
args = parser.parse_args()

work = tempfile.mkdtemp(prefix="borderpass-crash-")
data_dir = os.path.join(work, "data")
db_path = os.path.join(data_dir, "borderpass.db")
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
base = f"http://127.0.0.1:{port}"
env = dict(os.environ, BORDERPASS_DATA_DIR=data_dir, BORDERPASS_BIND=f"127.0.0.1:{port}", RUST_LOG="warn",
           BORDERPASS_ARGON2_MEMORY_KIB="1024", BORDERPASS_ARGON2_ITERATIONS="1",
           # Every permit comes from this one address: the per-client limit would refuse most.
           BORDERPASS_APPLY_LIMIT_PER_MINUTE="0")
env.pop("DATABASE_URL", None)


def start():
    server = subprocess.Popen([args.binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "server.log"), "a"))
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=1) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    sys.exit("the service did not become ready")


def call(path, body, bearer=None, timeout=10):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if bearer:
        request.add_header("Authorization", "Bearer " + bearer)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.load(response)


server = start()
password = "crash test password " + uuid.uuid4().hex
subprocess.run([args.binary, "user", "add", "--username", "crash", "--role", "admin"], input=password + "\n",
               text=True, env=env, check=True, stdout=subprocess.DEVNULL)
bearer = call("/api/v1/auth/login", {"username": "crash", "password": password})[1]["access_token"]
today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
visit = {"from": today.isoformat(), "until": (today + datetime.timedelta(days=5)).isoformat()}
tokens = []
for i in range(args.permits):
    document = {"type": "passport", "issuing_country": "KAZ", "number": f"C{i:08d}", "nationality": "KAZ",
                "surname": "CRASH", "given_names": "TEST", "birth_date": "1990-01-31", "sex": "F", "expiry_date": "2035-01-01"}
    tokens.append(call("/api/v1/permits", {"document": document, "visit": visit})[1]["token"])

answered = {}  # nonce -> (request body, answer)
lock = threading.Lock()
stop = threading.Event()


def load(worker):
    rng = random.Random(worker)
    mine = tokens[worker::args.threads]
    turn = {}
    while not stop.is_set():
        index = rng.randrange(len(mine))
        direction = "entry" if turn.get(index, 0) % 2 == 0 else "exit"
        turn[index] = turn.get(index, 0) + 1
        body = {"token": mine[index], "gate_id": "CN-1" if index % 2 == 0 else "KZ-1",
                "direction": direction, "nonce": str(uuid.uuid4())}
        try:
            status, answer = call("/api/v1/scans", body, bearer, timeout=5)
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            continue  # the kill: no answer, so no promise
        if status == 200:
            with lock:
                answered[body["nonce"]] = (body, answer)


threads = [threading.Thread(target=load, args=(w,)) for w in range(args.threads)]
for t in threads:
    t.start()
time.sleep(args.seconds)
server.send_signal(signal.SIGKILL)
server.wait()
stop.set()
for t in threads:
    t.join()

server = start()
passed, failed = 0, 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAILED:", what)


db = sqlite3.connect(db_path)
check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "PRAGMA integrity_check")
logged = {row[0]: (row[1], row[2]) for row in db.execute("SELECT nonce, decision, COUNT(*) OVER (PARTITION BY nonce) FROM scans")}
lost = [n for n in answered if n not in logged]
check(not lost, f"{len(lost)} answered scans missing from the log")
doubled = [n for n, (_, count) in logged.items() if count != 1]
check(not doubled, f"{len(doubled)} nonces logged more than once")
wrong = [n for n, (_, a) in answered.items() if n in logged and logged[n][0] != a["decision"]]
check(not wrong, f"{len(wrong)} logged decisions differ from the answers")

mismatched = 0
for permit_id, inside, side in db.execute("SELECT permit_id, inside, side FROM presence"):
    last = db.execute("SELECT direction, side FROM scans WHERE permit_id = ? AND decision = 'admit' "
                      "ORDER BY recorded_at DESC, id DESC LIMIT 1", (permit_id,)).fetchone()
    expected_inside = bool(last) and last[0] == "entry"
    if bool(inside) != expected_inside or (expected_inside and side != last[1]):
        mismatched += 1
check(mismatched == 0, f"{mismatched} presence rows disagree with the log")

for zone in [row[0] for row in db.execute("SELECT time_zone FROM stats_zones")]:
    kept = db.execute("SELECT COALESCE(SUM(entries),0), COALESCE(SUM(exits),0), COALESCE(SUM(denied),0) "
                      "FROM daily_gate_counts WHERE time_zone = ?", (zone,)).fetchone()
    log = db.execute("SELECT SUM(decision='admit' AND direction='entry'), SUM(decision='admit' AND direction='exit'), "
                     "SUM(decision='deny') FROM scans").fetchone()
    check(tuple(kept) == tuple(v or 0 for v in log), f"daily counts in {zone} {kept} disagree with the log {log}")

sample = random.Random(7).sample(sorted(answered), min(20, len(answered)))
for nonce in sample:
    body, first = answered[nonce]
    status, again = call("/api/v1/scans", body, bearer)
    check(status == 200 and again["replayed"] and again["scan_id"] == first["scan_id"]
          and again["decision"] == first["decision"], f"replay of {nonce}")

server.send_signal(signal.SIGTERM)
check(server.wait(timeout=60) == 0, "the restarted server exits 0 on SIGTERM")
print(f"crash test: {len(answered)} scans answered before SIGKILL, {len(logged)} in the log")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not answered else 0)
