"""The summary as a PDF a manager can hand to a ministry: tables and charts.

matplotlib is imported here only, when a PDF is made (the CLI, ``refnet report --pdf``), with
the Agg backend; no gateway or service process ever imports it (the network's memory budget).
Returns a manifest of what the file holds (pages, tables, charts).
"""

import textwrap

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


def write_pdf(summary: dict, path: str) -> dict:
    """Write the report to ``path``; returns {"pages", "tables", "charts"}."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    period, audience = summary["period"], summary["audience"]
    tables = {t["name"]: t for t in summary["tables"]}
    manifest = {"pages": 0, "tables": [], "charts": []}
    with PdfPages(path) as pdf:
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
        people = {k: summary["headline"].get(k) for k in ("women", "men", "girls", "boys")}
        _bars(axes[0][0], "People served, by sex and age band", people)
        nat = tables["people_served_by_nationality"]
        _bars(axes[0][1], "People served, by nationality", dict(zip(nat["columns"], nat["cells"][0])))
        ex = tables["people_served_by_exploitation"]
        _bars(axes[1][0], "People served, by form of exploitation",
              dict(zip([c.replace("_", " ") for c in ex["columns"]], ex["cells"][0])))
        src = tables["referrals_by_source"]
        _bars(axes[1][1], "Referral outcomes (all sources)", dict(zip(src["columns"], src["column_totals"])))
        fig.suptitle(f"{period['from']} to {period['to']} ({audience}; x: suppressed)", fontsize=9)
        fig.tight_layout()
        pdf.savefig(fig)
        plt.close(fig)
        manifest["pages"] += 1
        manifest["charts"] += ["people_by_sex_and_age", "people_by_nationality",
                               "people_by_exploitation", "referral_outcomes"]
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
