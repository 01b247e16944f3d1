"""`python -m ddj_desktop` is the same as `ddj-desktop`."""

from ddj_desktop.cli import main

raise SystemExit(main())
