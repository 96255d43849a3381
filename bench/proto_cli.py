"""``inclusive-check`` with the set-based findings prototype installed (``bench/market.py --proto``)."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import proto_sql_findings

    proto_sql_findings.install()
    from inclusive_check.cli import main

    sys.argv[0] = "inclusive-check"
    main()
