"""Plot the results page's wide tables (ASA and BR per n) as ASA-vs-n, BR-vs-n and ASA-vs-BR.

The tables in ``doc/_static/results/val_*.csv`` other than ``val_summary.csv``
are made from several ``evaluate`` runs (see the command above each table on
the results page); this script draws them with the same plotting code as
``python -m sealseg evaluate``, so all figures on the page look alike.

usage: python doc/plot_result_tables.py doc/_static/results/val_fig4.csv ...
writes val_fig4_asa.png, val_fig4_br.png and val_fig4_asa_br.png beside each table.
"""
import csv
import re
import sys
from pathlib import Path

from sealseg.evaluation import plot_summary

COLUMN = re.compile(r"(ASA|BR) n=(\d+)")


def summary_rows(table):
    """Rows of a wide table as ``evaluate`` summary rows (one per variant and n)."""
    rows = []
    with open(table, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        for record in reader:
            name, values = record[0], {}
            for column, value in zip(header[1:], record[1:]):
                match = COLUMN.fullmatch(column)
                if match is None:
                    raise ValueError(f"{table}: column {column!r} is not 'ASA n=N' or 'BR n=N'")
                if value:
                    key, n = match.group(1).lower(), int(match.group(2))
                    values.setdefault(n, {})[key] = float(value)
            rows += [{"method": name, "n_segments": n, "n_obtained": n, **v}
                     for n, v in sorted(values.items())]
    return rows


def main(tables):
    for table in map(Path, tables):
        plot_summary(summary_rows(table), table.parent, "BSDS500 val", prefix=table.stem + "_")
        print(f"{table.stem}_asa.png, _br.png, _asa_br.png")


if __name__ == "__main__":
    main(sys.argv[1:])
