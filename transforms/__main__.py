"""`python -m transforms`: build the analytics tables (see `pipelines/analytics.py`).

The command lives with the other entry points in `pipelines/`, which run the recipe; the
`transforms` package itself imports nothing from `pipelines`.
"""

import sys

from pipelines.analytics import main

if __name__ == "__main__":
    sys.exit(main())
