#!/usr/bin/env python3
"""Memory under a flood of parallel logins (issue 16): starts the release binary with production
argon2 cost (19 MiB, 2 passes), fires N wrong-password logins at once for distinct usernames, and
prints the server's peak resident memory (VmHWM) and the statuses, for two hash bounds.

    python3 scripts/login_flood.py [--binary target/release/borderpass] [--logins 60]
"""
import argparse, collections, json, os, socket, subprocess, tempfile, threading, time, urllib.request, urllib.error

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default="target/release/borderpass")
parser.add_argument("--logins", type=int, default=60)
parser.add_argument("--bounds", default="0,1000", help="max_concurrent_hashes values (0: two per core)")
args = parser.parse_args()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run(bound):
    work = tempfile.mkdtemp(prefix="borderpass-flood-")
    port = free_port()
    env = dict(os.environ, BORDERPASS_DATA_DIR=os.path.join(work, "data"), BORDERPASS_BIND=f"127.0.0.1:{port}",
               RUST_LOG="warn", BORDERPASS_MAX_CONCURRENT_HASHES=str(bound), BORDERPASS_LOGIN_MAX_FAILURES="1000")
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([args.binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).status == 200:
                    break
            except Exception:
                time.sleep(0.1)
        idle = rss_kib(server.pid, "VmRSS")
        statuses = collections.Counter()
        barrier = threading.Barrier(args.logins)

        def login(i):
            body = json.dumps({"username": f"nobody{i}", "password": "a wrong password"}).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/login", data=body,
                                         headers={"Content-Type": "application/json"})
            barrier.wait()
            try:
                statuses[urllib.request.urlopen(req, timeout=60).status] += 1
            except urllib.error.HTTPError as e:
                statuses[e.code] += 1

        threads = [threading.Thread(target=login, args=(i,)) for i in range(args.logins)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = rss_kib(server.pid, "VmHWM")
        label = "two per core" if bound == 0 else str(bound)
        print(f"max_concurrent_hashes={label:<12} idle RSS {idle/1024:6.1f} MiB  peak RSS {peak/1024:6.1f} MiB  "
              f"answers {dict(sorted(statuses.items()))}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(["rm", "-rf", work])


for bound in [int(b) for b in args.bounds.split(",")]:
    run(bound)
