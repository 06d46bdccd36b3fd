# alloc.py -- an allocation-heavy Python program for scripts/bench
#
# Builds and drops many small objects: dicts of strings and ints, lists,
# tuples, a JSON round trip, and string joins, the way web and data
# scripts do.  Prints a checksum.
import json
import sys

scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1
total = 0
for rnd in range(4 * scale):
    rows = []
    for i in range(60000):
        rows.append({"id": i, "name": "user%d" % i, "tags": [str(i % 7), "x" * (i % 13)],
                     "score": i * 0.5})
    index = {r["name"]: r for r in rows}
    text = json.dumps(rows[:20000])
    back = json.loads(text)
    total += len(index) + len(back) + len(text)
    words = [r["name"][::-1] for r in rows if r["id"] % 3]
    total += len(",".join(sorted(words)))
    del rows, index, back, words, text
print(total)
