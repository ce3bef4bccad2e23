#!/usr/bin/env python3
"""Turns bench/run.sh's raw lines into the table of BENCHMARKS.md.

DuckEmbed is timed as a whole process (start-up, model load, DuckDB in and out); the peers are timed after their
model is loaded. So DuckEmbed's steady rate is taken from two sizes, (n2 - n1) / (t2 - t1), which cancels the
start-up; its wall-clock rate at each size is shown as well.
"""
import sys


def parse(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        parts = line.split()
        if not parts:
            continue
        fields = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if parts[0] == "check":
            fields["name"] = parts[1].rstrip(":")
        rows.append((parts[0], fields))
    return rows


def main():
    rows = parse(sys.argv[1])
    sizes = [int(s) for s in sys.argv[2].split()]
    tokens = {int(f["texts"]): int(f["tokens"]) for kind, f in rows if kind == "raw-ort"}

    def rate(kind, n, order=None, precision="fp32"):
        for k, f in rows:
            if (k == kind and int(f["texts"]) == n and (order is None or f.get("order") == order)
                    and f.get("precision", "fp32") == precision):
                return n / float(f["seconds"])
        return None

    n1, n2 = sizes[0], sizes[-1]

    def steady_rate(kind):
        seconds = {int(f["texts"]): float(f["seconds"]) for k, f in rows if k == kind}
        if n2 <= n1 or n1 not in seconds or n2 not in seconds:
            return seconds, None, None
        steady = (n2 - n1) / (seconds[n2] - seconds[n1])
        return seconds, steady, seconds[n1] - n1 / steady

    duck_seconds, steady, startup = steady_rate("duckembed")
    if duck_seconds:
        main_table(rows, sizes, tokens, rate, duck_seconds, steady, startup)
    precision_table(rate, steady_rate, steady, n2)
    pairs_table(rows)
    precision_pairs_table(rows)
    accuracy_table(rows)
    processor_table(rows)


def main_table(rows, sizes, tokens, rate, duck_seconds, steady, startup):
    n2 = sizes[-1]

    contenders = [
        ("raw ONNX Runtime, sorted (ceiling)", lambda n: rate("raw-ort", n, "sorted")),
        ("raw ONNX Runtime, input order", lambda n: rate("raw-ort", n, "input")),
        ("transformers.js, sorted", lambda n: rate("transformers-js", n, "sorted")),
        ("transformers.js, input order", lambda n: rate("transformers-js", n, "input")),
        ("SentenceTransformers NuGet", lambda n: rate("sentence-transformers-nuget", n)),
    ]
    head = " | ".join(f"{n} texts/s" for n in sizes)
    print(f"| | {head} | tokens/s ({n2}) | DuckEmbed steady ÷ this ({n2}) |")
    print("|---|" + "---:|" * (len(sizes) + 2))
    walls = " | ".join(f"{n / duck_seconds[n]:.1f}" for n in sizes)
    print(f"| **DuckEmbed end to end, wall clock incl. start-up** | {walls} | {tokens[n2] / duck_seconds[n2]:.0f} | |")
    if steady:
        blank = " | ".join("" for _ in sizes[:-1])
        print(f"| **DuckEmbed end to end, steady (start-up {startup:.1f} s removed)** | {blank} | **{steady:.1f}** | {steady * tokens[n2] / n2:.0f} | 1.00 |")
    for name, fn in contenders:
        rates = [fn(n) for n in sizes]
        cells = " | ".join(f"{r:.1f}" if r else "–" for r in rates)
        last = rates[-1]
        ratio = f"{steady / last:.2f}" if steady and last else "–"
        toks = f"{last * tokens[n2] / n2:.0f}" if last else "–"
        print(f"| {name} | {cells} | {toks} | {ratio} |")



def precision_table(rate, steady_rate, steady, n2):
    _, int8_steady, _ = steady_rate("duckembed-int8")
    raw32, raw8 = rate("raw-ort", n2, "sorted"), rate("raw-ort", n2, "sorted", "int8")
    if int8_steady and raw8:
        print()
        print(f"| Precision on the CPU ({n2} texts) | texts/s | ÷ fp32 |")
        print("|---|---:|---:|")
        print(f"| raw ONNX Runtime sorted, fp32 | {raw32:.1f} | 1.00 |")
        print(f"| raw ONNX Runtime sorted, int8 | {raw8:.1f} | {raw8 / raw32:.2f} |")
        print(f"| DuckEmbed end to end steady, fp32 | {steady:.1f} | 1.00 |")
        print(f"| DuckEmbed end to end steady, int8 | {int8_steady:.1f} | {int8_steady / steady:.2f} |")



def pairs_table(rows):
    pairs = [(f, g) for (k, f) in rows if k == "pair-raw" for (j, g) in rows if j == "pair-duckembed" and g["rep"] == f["rep"]]
    if pairs:
        print()
        print(f"| Repeat (interleaved) | raw sorted, texts/s | DuckEmbed steady, texts/s | DuckEmbed ÷ raw |")
        print("|---|---:|---:|---:|")
        ratios = []
        for raw, duck in pairs:
            raw_rate = int(raw["texts"]) / float(raw["seconds"])
            duck_rate = (int(duck["texts"]) - int(duck["small"])) / (float(duck["seconds"]) - float(duck["small_seconds"]))
            ratios.append(duck_rate / raw_rate)
            print(f"| {raw['rep']} | {raw_rate:.1f} | {duck_rate:.1f} | {duck_rate / raw_rate:.2f} |")
        print(f"| median | | | **{sorted(ratios)[len(ratios) // 2]:.2f}** |")



def precision_pairs_table(rows):
    """bench/precision.sh: int8 against fp32, raw and end to end, per interleaved repeat."""
    raw = {(f["rep"], f["precision"]): int(f["texts"]) / float(f["seconds"]) for k, f in rows if k == "precision-raw"}
    duck = {(f["rep"], f["precision"]): (int(f["texts"]) - int(f["small"])) / (float(f["seconds"]) - float(f["small_seconds"]))
            for k, f in rows if k == "precision-duckembed"}
    reps = sorted({rep for rep, _ in duck}, key=int)
    if not reps:
        return
    print()
    print("| Repeat (interleaved) | raw fp32 | raw int8 | raw int8 ÷ fp32 | DuckEmbed fp32 | DuckEmbed int8 | DuckEmbed int8 ÷ fp32 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    raw_ratios, duck_ratios = [], []
    for rep in reps:
        r32, r8, d32, d8 = raw[(rep, "fp32")], raw[(rep, "int8")], duck[(rep, "fp32")], duck[(rep, "int8")]
        raw_ratios.append(r8 / r32)
        duck_ratios.append(d8 / d32)
        print(f"| {rep} | {r32:.1f} | {r8:.1f} | {r8 / r32:.2f} | {d32:.1f} | {d8:.1f} | {d8 / d32:.2f} |")
    median = lambda values: sorted(values)[len(values) // 2]
    print(f"| median | | | **{median(raw_ratios):.2f}** | | | **{median(duck_ratios):.2f}** |")


def accuracy_table(rows):
    if not any(k == "check" for k, _ in rows):
        return
    print()
    print("| Accuracy on the 400 reference rows | lowest cosine | mean cosine | rows below 0.9999 | rows below 0.99 |")
    print("|---|---:|---:|---:|---:|")
    for k, f in rows:
        if k == "check":
            print(f"| {f['name']} | {f.get('lowest_cosine', '–')} | {f.get('mean_cosine', '–')} | {f.get('below_0.9999', '–')} | {f.get('below_0.99', '–')} |")



def processor_table(rows):
    if not any(k == "processor-alone" for k, _ in rows):
        return
    print()
    floors = {int(f["rows"]): float(f["rows_per_s"]) for k, f in rows if k == "duckdb-floor"}
    print("| Processor alone (zero-cost generator) | rows/s | peak RSS (MB) | output (MB) | DuckDB SQL alone, same write (rows/s) | processor ÷ DuckDB |")
    print("|---|---:|---:|---:|---:|---:|")
    for k, f in rows:
        if k == "processor-alone":
            n, r = int(f["rows"]), float(f["rows_per_s"])
            floor = floors.get(n)
            print(f"| {n:,} rows | {r:,.0f} | {f['peak_rss_mb']} | {f.get('output_mb', '–')} | "
                  + (f"{floor:,.0f} | {r / floor:.2f} |" if floor else "– | – |"))

if __name__ == "__main__":
    main()
