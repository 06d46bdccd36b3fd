#!/usr/bin/python3
# workload.py -- a Python program with threads and a subprocess, whose
# output does not depend on the allocator (run with and without the shim)
import hashlib
import json
import subprocess
import sys
import threading


def work(n, out):
    d = {}
    for i in range(20000):
        d["k%d-%d" % (n, i)] = [i] * (i % 7) + [str(i) * (i % 5)]
    blob = json.dumps(d, sort_keys=True).encode()
    out[n] = hashlib.sha256(blob).hexdigest()


results = {}
threads = [threading.Thread(target=work, args=(n, results)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for n in sorted(results):
    print("thread", n, results[n])

child = subprocess.run(
    [sys.executable, "-c",
     "import sys; data = sorted(str(i) * 3 for i in range(100000)); "
     "print(len(data), data[0], data[-1]); sys.stdout.flush()"],
    capture_output=True, text=True, check=True)
print("subprocess:", child.stdout.strip(), "status", child.returncode)

big = bytearray(50 * 1024 * 1024)
big[::4096] = b"x" * len(big[::4096])
print("bytearray", len(big), big.count(b"x"))
text = " ".join(str(i) for i in range(200000))
print("text", len(text), hashlib.md5(text.encode()).hexdigest())
