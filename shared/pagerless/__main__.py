"""``python -m pagerless ...``: the ``pagerless`` command (`pagerless.cli`)."""

from pagerless.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
