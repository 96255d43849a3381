"""Work per input stays bounded (issue 25): one 100,000-product submission validated and ingested, and 10,000
dispensations imported, through the CLI in child processes (wall time and each child's peak RSS). One JSON line.

    python bench/inputs.py [--products 100000] [--dispensations 10000] [--workdir /tmp/bench-inputs] [--db URL]

Targets (issue 25): the document validates and ingests within 10 s and 1 GiB; the dispensations load in under
5 s. Measured here, never in a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from market import Child, Market, _tool, _write  # the same generator and timing as the market bench


def _dispensations(count: int, insurer: str) -> str:
    """``count`` dispensations of IC12-FEE-RATE (a principle rule) for one insurer, as YAML."""
    lines = ["dispensations:"]
    for i in range(count):
        lines += [
            f"  - id: D-{i:06d}",
            "    rule: IC12-FEE-RATE",
            f"    insurer: {insurer}",
            f"    subject: /products/{i}",
            "    period: '2025'",
            "    reason: 渠道费率经监管函同意暂按原协议执行 (bench)",
            "    approved_by: bench supervisor",
            f"    reference: BENCH-{i:06d}",
            "    expires: '2026-12-31'",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--dispensations", type=int, default=10_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bench-inputs"))
    ap.add_argument("--db", help="database URL (default: a new SQLite file in --workdir)")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    doc = Market(7).submission(0, args.products)
    # the generator scales the regional figures with the products: at 100,000 they pass the contract's bounds
    # (10^10 insured persons in a region); the regions are optional and not what this bench measures
    doc.pop("regions", None)
    document = args.workdir / f"submission-{args.products}.json"
    _write(document, doc)
    letters = args.workdir / f"dispensations-{args.dispensations}.yaml"
    letters.write_text(_dispensations(args.dispensations, doc["insurer"]["code"]), "utf-8")
    db = args.workdir / "inputs.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = args.db or f"sqlite:///{db}"
    cli = [_tool("inclusive-check")]
    validate = Child([*cli, "validate", str(document)]).expect(0)
    ingest = Child([*cli, "--db", url, "ingest", str(document)]).expect(0)
    imported = Child([*cli, "--db", url, "dispensations", "import", str(letters)]).expect(0)
    again = Child([*cli, "--db", url, "dispensations", "import", str(letters)]).expect(0)
    out = {
        "bench": "inputs",
        "products": args.products,
        "document_mib": round(document.stat().st_size / 2**20, 1),
        "validate_s": round(validate.seconds, 2),
        "validate_rss_mib": round(validate.rss_mib, 1),
        "ingest_s": round(ingest.seconds, 2),
        "ingest_rss_mib": round(ingest.rss_mib, 1),
        "dispensations": args.dispensations,
        "dispensations_mib": round(letters.stat().st_size / 2**20, 1),
        "dispensations_import_s": round(imported.seconds, 2),
        "dispensations_again_s": round(again.seconds, 2),
        "dispensations_rss_mib": round(imported.rss_mib, 1),
        "backend": url.split(":", 1)[0],
        "load_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
