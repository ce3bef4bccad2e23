"""The key=value lines the benchmark scripts print, read back grouped, with medians (write-path.sh,
vector-precision.sh and sync.sh summarise their runs with it)."""
import re
import statistics


def fields(line):
    """The key=value pairs of one printed line."""
    return dict(re.findall(r"(\w+)=(\S+)", line))


def grouped(path, key):
    """The lines of the file at PATH as field dictionaries, grouped by KEY(fields), in the order first seen."""
    groups = {}
    for line in open(path):
        if "=" in line:
            row = fields(line)
            groups.setdefault(key(row), []).append(row)
    return groups


def median(runs, name):
    """The median of field NAME over RUNS."""
    return statistics.median(float(run[name]) for run in runs)
