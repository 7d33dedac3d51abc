"""Screenshots of the demo's report for the docs: `docs/report/<section>.png`, one per main section.

Runs the demo (`python -m pipelines.run --demo`, its default seeded world, which writes the
report beside the DuckDB file) in a temporary folder, opens the report in Debian's headless
Chromium (`tests.report.browser`) and saves each section from its heading down, at most
`MAX_HEIGHT` pixels, reduced to a 256-colour palette so that each PNG stays small. The demo's
world is deterministic, so regenerating changes the pictures only when the report changes.

    scripts/report-screenshots   # in .venv-report, which has playwright and pillow
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

from pipelines import report
from tests.pipelines.conftest import REPO_ROOT, pipeline_env, run_cli
from tests.report.browser import open_report

OUTPUT = REPO_ROOT / "docs" / "report"
MAX_HEIGHT = 1200
# file name -> the heading of the section it shows
SECTIONS = {
    "accounts": "Your accounts",
    "network": "The network",
    "samples": "Tags, locations and feeds (samples)",
    "competitors": "Competitors and conversations",
    "freshness": "Freshness",
}
DEMO_TIMEOUT_SECONDS = 900


def small_png(png: bytes) -> bytes:
    palette = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="report_screenshots_") as folder:
        env = pipeline_env(Path(folder))
        result = run_cli(Path(folder), env, "--demo", timeout=DEMO_TIMEOUT_SECONDS)
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            print(f"error: the demo exited with {result.returncode}", file=sys.stderr)
            return 1
        OUTPUT.mkdir(parents=True, exist_ok=True)
        with open_report(report.report_path_for(Path(env["DESTINATION__DUCKDB__CREDENTIALS"]))) as opened:
            page = opened.page
            for name, heading in SECTIONS.items():
                section = page.locator(f"section:has(> h2:text-is('{heading}'))")
                top, height = section.evaluate(
                    "s => [s.getBoundingClientRect().top + window.scrollY, s.getBoundingClientRect().height]"
                )
                clip = {"x": 0, "y": top, "width": page.viewport_size["width"], "height": min(height, MAX_HEIGHT)}
                path = OUTPUT / f"{name}.png"
                path.write_bytes(small_png(page.screenshot(clip=clip, full_page=True)))
                print(f"{path.relative_to(REPO_ROOT)}: {path.stat().st_size // 1024} KB")
        if opened.console_errors:
            print(f"error: the report logged errors in Chromium: {opened.console_errors}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
