#!/usr/bin/env python3
"""Compares two wrk --latency outputs: requests/s, p50, p99, non-2xx, ratios.

wrk_compare.py TITLE BASE_NAME BASE_FILE OURS_NAME OURS_FILE RPS_TARGET [P99_TARGET]
"""
import re
import sys


def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))

    def ms(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, ms(50), ms(99), int(errors.group(1)) if errors else 0


def main(argv):
    title, base_name, base_file, ours_name, ours_file, rps_target = argv[1:7]
    p99_target = argv[7] if len(argv) > 7 else None
    base, ours = parse(base_file), parse(ours_file)
    width = max(len(base_name), len(ours_name)) + 2
    print(title)
    print(f"{'':{width}}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name, r in ((base_name, base), (ours_name, ours)):
        print(f"{name:{width}}{r[0]:>10.0f}{r[1]:>9.2f}{r[2]:>9.2f}{r[3]:>9}")
    line = f"{ours_name}/{base_name}: requests/s {ours[0] / base[0]:.2f}x (target >= {rps_target})"
    line += f", p99 {ours[2] / base[2]:.2f}x"
    if p99_target:
        line += f" (target <= {p99_target})"
    print(line)


if __name__ == "__main__":
    main(sys.argv)
