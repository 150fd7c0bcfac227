"""The summary as a PDF a manager can hand to a ministry: tables and charts.

matplotlib is imported here only, when a PDF is made, with the Agg backend: by the command
line (``refnet report --pdf``), or by a short-lived child process the gateway starts for
``format=pdf`` (``in_child``: ``python -m gateway.reports.pdf``, the summary's JSON in, the PDF
out), so no long-running gateway or service process ever imports it (the network's memory
budget, docs/decisions/0024). The file carries no creation date: the same summary gives the
same bytes, from the command line or the API. ``write_pdf`` returns a manifest of what the
file holds (pages, tables, charts).
"""

import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from .charts import charts

NO_MATPLOTLIB = 3   # the child's exit status when matplotlib is not installed

SUPPRESSED = "x"


def _fmt(value) -> str:
    return SUPPRESSED if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _table_rows(t: dict) -> tuple[list[str], list[list[str]]]:
    header = [t["row_label"] or ""] + list(t["columns"]) + ["total"]
    rows = []
    labels = t["rows"] if t["column_totals"] is not None else ["all"]
    for i, label in enumerate(labels):
        total = t["row_totals"][i] if t["row_totals"] is not None else t["total"]
        rows.append([label] + [_fmt(v) for v in t["cells"][i]] + [_fmt(total)])
    if t["column_totals"] is not None:
        rows.append(["total"] + [_fmt(v) for v in t["column_totals"]] + [_fmt(t["total"])])
    return header, rows


def write_pdf(summary: dict, path) -> dict:
    """Write the report to ``path`` (a file name or a binary file); returns {"pages",
    "tables", "charts"}."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    period, audience = summary["period"], summary["audience"]
    tables = {t["name"]: t for t in summary["tables"]}
    manifest = {"pages": 0, "tables": [], "charts": []}
    with PdfPages(path, metadata={"CreationDate": None}) as pdf:
        # page 1: the headline, the measures and the rule
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.08, 0.95, "refnet: the year in figures", fontsize=18, weight="bold")
        fig.text(0.08, 0.92, f"Period {period['from']} to {period['to']}   audience: {audience}",
                 fontsize=10)
        lines = [f"{k.replace('_', ' ')}: {_fmt(v)}" for k, v in summary["headline"].items()]
        lines.append("")
        for m in summary["measures"]:
            extra = ""
            if m.get("median") is not None:
                extra = f" (quartiles {_fmt(m.get('q1'))} / {_fmt(m.get('median'))} / {_fmt(m.get('q3'))})"
            base = f"; n = {m['n']}" if m["n"] is not None else ""
            lines.append(f"{m['title']}: {_fmt(m['value'])} {m['unit']}{extra}{base}")
        lines += ["", "Suppression: " + summary["suppression"]["rule"],
                  "x: suppressed (a count from 1 to 10, or a value that would reveal one)."
                  if summary["suppression"]["applied"] else ""]
        y = 0.87
        for line in lines:
            for chunk in textwrap.wrap(line, 95) or [""]:
                fig.text(0.08, y, chunk, fontsize=9)
                y -= 0.022
        pdf.savefig(fig)
        plt.close(fig)
        manifest["pages"] += 1

        # the tables, two per page
        names = list(tables)
        for start in range(0, len(names), 2):
            fig, axes = plt.subplots(2, 1, figsize=(8.27, 11.69))
            for ax, name in zip(axes, names[start:start + 2]):
                t = tables[name]
                header, rows = _table_rows(t)
                ax.axis("off")
                ax.set_title(t["title"], fontsize=10, loc="left")
                shown = ax.table(cellText=rows, colLabels=header, loc="upper center",
                                 cellLoc="center")
                shown.auto_set_font_size(False)
                shown.set_fontsize(7)
                manifest["tables"].append(name)
            for ax in axes[len(names[start:start + 2]):]:
                ax.axis("off")
            pdf.savefig(fig)
            plt.close(fig)
            manifest["pages"] += 1

        # charts: people served by sex and age band, by nationality, by form of exploitation;
        # referral outcomes
        fig, axes = plt.subplots(2, 2, figsize=(11.69, 8.27))
        drawn = charts(summary)
        for ax, chart in zip([a for row in axes for a in row], drawn):
            _bars(ax, chart["title"], {str(code).replace("_", " "): v for code, v in chart["values"]})
        fig.suptitle(f"{period['from']} to {period['to']} ({audience}; x: suppressed)", fontsize=9)
        fig.tight_layout()
        pdf.savefig(fig)
        plt.close(fig)
        manifest["pages"] += 1
        manifest["charts"] += [chart["name"] for chart in drawn]
    return manifest


def _bars(ax, title: str, values: dict) -> None:
    """A bar per category; a suppressed value is drawn as no bar, labelled x."""
    labels = list(values)
    heights = [v or 0 for v in values.values()]
    ax.set_ylim(0, max(heights + [1]) * 1.15)
    bars = ax.bar(labels, heights, color="#3b6ea5")
    for bar, v in zip(bars, values.values()):
        ax.annotate(_fmt(v), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    ax.tick_params(axis="x", labelsize=8)


def pdf_bytes(summary: dict) -> bytes:
    """The report's PDF in memory (the bytes ``write_pdf`` writes to a file)."""
    out = io.BytesIO()
    write_pdf(summary, out)
    return out.getvalue()


class Unavailable(RuntimeError):
    """No PDF could be made here: matplotlib is not installed, or the child failed."""


def in_child(summary_json: str, timeout: float = 25.0) -> bytes:
    """The PDF of a summary (its JSON as the API answers it), made by a child process that
    imports matplotlib and ends: the caller's memory never holds matplotlib. The child gets
    no secret: only the path to this code, PATH and a scratch directory for matplotlib."""
    root = str(Path(__file__).resolve().parents[2])
    scratch = os.path.join(tempfile.gettempdir(), "refnet-matplotlib")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": root, "MPLCONFIGDIR": scratch,
           "PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8"}
    try:
        done = subprocess.run([sys.executable, "-W", "ignore", "-m", "gateway.reports.pdf"],
                              input=summary_json.encode(), capture_output=True, env=env,
                              timeout=timeout, cwd=root)
    except (OSError, subprocess.SubprocessError) as exc:
        raise Unavailable(f"the PDF child did not run ({type(exc).__name__})") from None
    if done.returncode == NO_MATPLOTLIB:
        raise Unavailable("matplotlib is not installed")
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        raise Unavailable(f"the PDF child failed (exit status {done.returncode})")
    return done.stdout


def main() -> int:
    """``python -m gateway.reports.pdf``: a summary's JSON on standard input, its PDF on
    standard output."""
    summary = json.loads(sys.stdin.buffer.read())
    try:
        data = pdf_bytes(summary)
    except ImportError:
        return NO_MATPLOTLIB
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
