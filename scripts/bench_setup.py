#!/usr/bin/env python3
"""Prepares a benchmark run: an administrator and N permits (tokens written one a line).

Usage: bench_setup.py BASE_URL ADMIN_USER ADMIN_PASSWORD COUNT TOKENS_FILE
Prints the administrator's access token.
"""
import datetime
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

base, user, password, count, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]


def post(path, body, bearer=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if bearer:
        request.add_header("Authorization", "Bearer " + bearer)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
visit = {"from": today.isoformat(), "until": (today + datetime.timedelta(days=9)).isoformat()}


def permit(i):
    document = {
        "type": "passport", "issuing_country": "KAZ", "number": f"S{i:08d}", "nationality": "KAZ",
        "surname": "BENCH", "given_names": "SCAN", "birth_date": "1990-01-31", "sex": "F",
        "expiry_date": "2035-01-01",
    }
    return post("/api/v1/permits", {"document": document, "visit": visit})["token"]


with ThreadPoolExecutor(16) as pool:
    tokens = list(pool.map(permit, range(count)))
with open(out, "w") as f:
    f.write("\n".join(tokens) + "\n")
print(post("/api/v1/auth/login", {"username": user, "password": password})["access_token"])
