"""Run every benchmark module in bench/ and print its figures."""
from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    logging.disable(logging.INFO)  # the figures, not the apps' and migrations' start-up logs
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    only = {arg if arg.startswith("bench_") else f"bench_{arg}" for arg in sys.argv[1:]}  # `python -m bench rush`
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        print(f"\n== {name}: {(module.__doc__ or '').strip().splitlines()[0]}")
        module.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
