"""What every emulated product shares: HTTP routing, error replies, faults, throttles, CSV/ZIP
rendering, Java date patterns, expiring handles and the awkward values records are made of."""
