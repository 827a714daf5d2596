"""Summarise a file of Singer messages: records per stream, a sample record, the final state."""

import json
import sys
from collections import Counter
from pathlib import Path


def main(path: str) -> None:
    counts: Counter[str] = Counter()
    samples: dict[str, dict] = {}
    state = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            counts[message["stream"]] += 1
            samples.setdefault(message["stream"], message["record"])
        elif message["type"] == "STATE":
            state = message["value"]
    print(f"{sum(counts.values())} records in {len(counts)} streams:")
    for stream, count in sorted(counts.items()):
        print(f"  {stream:<28} {count:>7}")
    if samples:
        stream = sorted(samples)[0]
        record = {k: (v[:60] + "…" if isinstance(v, str) and len(v) > 60 else v)
                  for k, v in samples[stream].items()}
        print(f"\nA record of {stream}:\n{json.dumps(record, indent=2, ensure_ascii=False)}")
    print(f"\nFinal state:\n{json.dumps(state, indent=2)}")


if __name__ == "__main__":
    main(sys.argv[1])
