"""Many inspectors syncing at once against `inspect-app serve --workers N`: figures for bigger
runs than the reliability tests make (tests/reliability/ has the same clients, with assertions).

Sets up a fresh database with `inspect-app db upgrade` and `inspect-app demo` (SQLite in a
temporary directory, or --database-url pointing at an empty PostgreSQL database), adds inspector
accounts, and lets each send its inspections (draft, photos, submit) through the idempotent API,
retrying like the phone's outbox; --kill-at kills the server's process group part-way and starts
it again. Prints wall time, requests, retries and inspections/s, then what the API shows and what
`inspect-app check` says.

    .venv/bin/python benchmarks/load_inspectors.py [--inspectors 50] [--inspections 10]
        [--photos 2] [--workers 4] [--kill-at 0.4] [--copies 1] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability.load import make_plan, read_back, run_inspectors, sign_in_all  # noqa: E402
from tests.reliability.stack import new_stack, run_with_kill  # noqa: E402

from inspect_app.demo import DEMO_PASSWORD  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--inspections", type=int, default=10, help="per inspector")
    parser.add_argument("--photos", type=int, default=2, help="per inspection")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill-at", type=float, help="kill -9 once this share is submitted")
    parser.add_argument("--down", type=float, default=1.0, help="seconds the server stays dead")
    parser.add_argument("--copies", type=int, default=1, help="copies of each request at once")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="inspect-load-") as tmp:
        var_dir = Path(tmp)
        url = args.database_url or f"sqlite:///{var_dir / 'inspect.db'}"
        engine = url.split(":", 1)[0].split("+", 1)[0]
        stack = new_stack(engine, url, var_dir, args.inspectors, args.workers)
        try:
            sign_in_all(stack.server.url, stack.inspectors, DEMO_PASSWORD)
            make_plan(stack.inspectors, args.inspections, args.photos)
            if args.kill_at is not None:
                print(run_with_kill(stack, kill_at=args.kill_at, down_s=args.down).line())
            else:
                figures = run_inspectors(stack.server.url, stack.inspectors, copies=args.copies)
                label = f"{engine}, {args.workers} workers, {args.copies} copies of each request"
                print(figures.line(label))
            problems = read_back(stack.server.url, stack.inspectors)
            print(f"read back through the API: {len(problems)} inspections not as sent")
            for uuid, found in sorted(problems.items())[:10]:
                print(f"  {uuid}: {'; '.join(found)}")
            check = stack.cli("check")
            print("inspect-app check:", " / ".join(check.stdout.splitlines()[-2:]))
            trouble = stack.server.trouble()
            print(f"server log: {len(trouble)} lines of 5xx answers, lock errors or tracebacks")
            return 0 if not problems and check.returncode == 0 and not trouble else 1
        finally:
            stack.server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
