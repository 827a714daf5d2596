"""Summarise a file of Singer messages: records per stream, a sample record per product, the state."""

import json
import sys
from collections import Counter
from pathlib import Path


def shorten(value: object) -> object:
    return value[:60] + "…" if isinstance(value, str) and len(value) > 60 else value


def main(path: str) -> None:
    counts: Counter[str] = Counter()
    samples: dict[str, tuple[str, dict]] = {}  # product (crm, bigin, creator) → (stream, record)
    state = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            counts[message["stream"]] += 1
            samples.setdefault(message["stream"].split("_", 1)[0], (message["stream"], message["record"]))
        elif message["type"] == "STATE":
            state = message["value"]
    width = max((len(name) for name in counts), default=0)
    print(f"{sum(counts.values())} records in {len(counts)} streams:")
    for stream, count in sorted(counts.items()):
        print(f"  {stream:<{width}} {count:>7}")
    for stream, record in samples.values():
        shown = {key: shorten(value) for key, value in record.items()}
        print(f"\nA record of {stream}:\n{json.dumps(shown, indent=2, ensure_ascii=False)}")
    print("\nFinal state (bookmark per stream):")
    for stream, bookmark in sorted(((state or {}).get("bookmarks") or {}).items()):
        key, value = bookmark.get("replication_key"), bookmark.get("replication_key_value")
        print(f"  {stream:<{width}} {key} < {value}")


if __name__ == "__main__":
    main(sys.argv[1])
