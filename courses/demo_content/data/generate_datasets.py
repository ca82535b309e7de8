#!/usr/bin/env python3
"""Generate the demo data sets of the Industrial AI micro-degree.

데모 과정에서 쓰는 세 개의 CSV 데이터셋을 만듭니다.
Creates the three CSV data sets used by the demo courses:

* line_sensors.csv     -- per-minute sensor log of three CNC machines (course 1)
* bearing_health.csv   -- daily bearing-health features with a failure label (course 2)
* bearing_health_holdout.csv -- the month after it (December 2024): pm-classifier's hidden
  evaluation data, given only to the grading judge
* surface_patches.csv  -- 16x16 grayscale surface patches: ok / scratch / dent (course 3)

Only the Python standard library is used and every generator has a fixed seed, so running

    python generate_datasets.py

rewrites the files byte for byte. All values are synthetic: they imitate the shape of real
shop-floor data but come from no real plant.
"""

from __future__ import annotations

import math
import os
import random
from datetime import date, datetime, timedelta, timezone

SEED = 20250310
HERE = os.path.dirname(os.path.abspath(__file__))
KST = timezone(timedelta(hours=9))  # Asia/Seoul has no daylight saving time


def write_csv(name: str, header: list[str], rows: list[list[str]]) -> None:
    """Write rows with '\n' line endings and UTF-8, so the bytes never depend on the OS."""
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(row) + "\n")


def fmt(value: float | None, digits: int) -> str:
    """Format a number with a fixed number of decimals; None becomes an empty (missing) cell."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


# --------------------------------------------------------------------------------------------
# 1. line_sensors.csv
# --------------------------------------------------------------------------------------------
def line_sensors() -> None:
    rng = random.Random(SEED + 1)
    start = datetime(2025, 3, 10, 8, 0, tzinfo=KST)
    minutes = 12 * 60  # 08:00 - 19:59, one long day shift
    ambient = 21.5

    machines = {
        # id: (rpm before 14:00, rpm from 14:00, base vibration mm/s, pressure bar)
        "CNC-01": (1200, 1500, 1.55, 6.10),
        "CNC-02": (1500, 1500, 1.85, 5.90),
        "CNC-03": (1800, 1800, 2.05, 6.00),
    }
    # CNC-02's logger is off during the lunch stop 12:00-12:39 (rows are missing).
    stop_from, stop_to = 4 * 60, 4 * 60 + 40

    readings: dict[str, list[list[str] | None]] = {}
    for mid, (rpm_a, rpm_b, vib0, p0) in machines.items():
        temp = ambient + rng.uniform(0.5, 1.5)  # machines start close to room temperature
        drift = 0.0
        rows: list[list[str] | None] = []
        for t in range(minutes):
            stopped = mid == "CNC-02" and stop_from <= t < stop_to
            setpoint = rpm_a if t < 6 * 60 else rpm_b
            if stopped:
                target = ambient + 2.0
            else:
                target = ambient + 14.0 + 9.0 * (setpoint - 1200) / 600 + 0.004 * t
            temp += (target - temp) / 35.0 + rng.gauss(0, 0.08)  # first-order warm-up
            if stopped:
                rows.append(None)
                continue

            rpm = setpoint + round(rng.gauss(0, 4))
            vib = vib0 * (0.85 + 0.15 * setpoint / 1200) * math.exp(rng.gauss(0, 0.09))
            if mid == "CNC-03":
                # a bearing starting to wear: slow rise in the afternoon plus short impacts
                wear = max(0.0, (t - 300) / (minutes - 300))
                vib += 2.2 * wear**1.6
                if rng.random() < 0.02 + 0.05 * wear:
                    vib += rng.uniform(0.6, 1.8)
            drift += rng.gauss(0, 0.001)
            drift *= 0.98
            pressure = p0 + drift + rng.gauss(0, 0.05)
            if mid == "CNC-01" and 7 * 60 + 30 <= t < 8 * 60 + 10:
                # coolant filter clogging 15:30-16:09, cleaned at 16:10
                pressure -= 0.15 + 0.35 * (t - (7 * 60 + 30)) / 40
            rows.append(
                [
                    (start + timedelta(minutes=t)).isoformat(),
                    mid,
                    fmt(temp + rng.gauss(0, 0.15), 2),
                    fmt(vib, 2),
                    fmt(pressure, 2),
                    str(rpm),
                ]
            )
        readings[mid] = rows

    # Sensor glitches to clean
    def glitch(mid: str, t: int, col: int, value: str) -> None:
        row = readings[mid][t]
        assert row is not None
        row[col] = value

    for t in (137, 138, 139):  # 10:17-10:19: CNC-02 thermocouple disconnected -> error code
        glitch("CNC-02", t, 2, "-999.00")
    glitch("CNC-01", 185, 3, "87.40")  # 11:05: electrical spike on the vibration channel
    glitch("CNC-03", 512, 3, "92.15")  # 16:32: another spike

    # Random missing cells (~0.8 %) in the four sensor columns
    for mid in machines:
        for row in readings[mid]:
            if row is None:
                continue
            for col in (2, 3, 4, 5):
                if rng.random() < 0.008:
                    row[col] = ""

    table: list[list[str]] = []
    for t in range(minutes):
        for mid in machines:
            row = readings[mid][t]
            if row is not None:
                table.append(row)
    # The gateway re-sent two messages: exact duplicate rows right after the originals
    for idx in sorted((rng.randrange(200, len(table) - 200) for _ in range(2)), reverse=True):
        table.insert(idx + 1, list(table[idx]))

    header = [
        "timestamp",
        "machine_id",
        "temperature_c",
        "vibration_mm_s",
        "pressure_bar",
        "spindle_rpm",
    ]
    write_csv("line_sensors.csv", header, table)


# --------------------------------------------------------------------------------------------
# 2. bearing_health.csv
# --------------------------------------------------------------------------------------------
BEARING_HEADER = [
    "date",
    "machine_id",
    "line",
    "load_pct",
    "run_hours",
    "days_since_maint",
    "rms_mm_s",
    "peak_mm_s",
    "crest_factor",
    "kurtosis",
    "temp_mean_c",
    "temp_max_c",
    "fails_within_7d",
]
BEARING_FIRST_DAY = date(2024, 9, 2)
BEARING_DAYS = 90  # 2024-09-02 .. 2024-11-30: the learners' file
HOLDOUT_DAYS = 31  # 2024-12-01 .. 2024-12-31: the hidden evaluation month (the judge only)


def _failures(rng: random.Random, start: int, end: int) -> list[tuple[int, int]]:
    """(failure day, degradation lead in days) from ``start`` on, until past ``end``."""
    failures: list[tuple[int, int]] = []
    day = start - rng.randint(0, 60)
    while day < end + 8:
        day += max(15, int(rng.expovariate(1 / 80.0)))
        if rng.random() < 0.22:
            lead = rng.randint(1, 3)  # sudden failure: almost no warning
        else:
            lead = rng.randint(7, 24)
        if day >= start:
            failures.append((day, lead))
    return failures


def _bearing_days(rng: random.Random, machine: dict, days: range,
                  failures: list[tuple[int, int]]) -> list[list[str]]:
    """One machine's rows for ``days`` (indices from BEARING_FIRST_DAY)."""
    rows = []
    fail_days = [f for f, _ in failures]
    for d in days:
        weekday = (BEARING_FIRST_DAY + timedelta(days=d)).weekday()
        if d in fail_days:
            machine["maint_age"] = 0  # bearing replaced; the machine was down that day
            continue
        machine["maint_age"] += 1
        # a planned maintenance now and then also resets the counter
        if rng.random() < 0.006:
            machine["maint_age"] = 0
        maint_age = machine["maint_age"]

        # health deterioration h in [0, 1] from the next failure
        h = 0.0
        for f, lead in failures:
            if d < f <= d + lead + 1:
                progress = 1 - (f - d - 1) / (lead + 1)
                h = max(h, min(1.0, progress) ** 1.7)
        label = any(d < f <= d + 7 for f in fail_days)

        run_hours = rng.uniform(15.0, 23.5) if weekday < 5 else rng.uniform(4.0, 12.0)
        load = min(99.0, max(30.0, machine["load_base"] + rng.gauss(0, 6)))
        age_effect = 0.0012 * min(maint_age, 300)
        rms = machine["rms_base"] * (1 + 0.004 * (load - 70) + age_effect + 1.4 * h**1.3)
        rms *= math.exp(rng.gauss(0, 0.13))
        # kurtosis reacts early (impulsive impacts), with occasional heavy-tailed noise
        kurt = machine["kurt_base"] + rng.gauss(0, 0.32) + 3.2 * h**0.9 * rng.uniform(0.4, 1.3)
        if rng.random() < 0.06:
            kurt += rng.uniform(0.8, 3.5)  # e.g. a loose guard rattling that day
        kurt = max(2.2, kurt)
        crest = 2.9 + 0.35 * (kurt - 3.0) + rng.gauss(0, 0.22)
        crest = max(2.0, crest)
        peak = rms * crest
        ambient_shift = -0.07 * d  # autumn: the plant gets cooler
        temp_mean = (
            machine["temp_base"] + 0.12 * (load - 70) + 5.5 * h**1.5 + ambient_shift
            + rng.gauss(0, 1.1)
        )
        temp_max = temp_mean + rng.uniform(2.0, 5.5) + 3.0 * h

        rows.append(
            [
                (BEARING_FIRST_DAY + timedelta(days=d)).isoformat(),
                machine["id"],
                machine["line"],
                fmt(load, 1),
                fmt(run_hours, 1),
                str(maint_age),
                fmt(rms, 3),
                fmt(peak, 3),
                fmt(peak / rms, 3),
                fmt(kurt, 3),
                fmt(temp_mean, 2),
                fmt(temp_max, 2),
                "1" if label else "0",
            ]
        )
    return rows


def bearing_health() -> None:
    """The learners' 90 days, then the hidden evaluation month: the same machines going on
    (their wear, bases and maintenance ages carry over), with failures drawn afresh."""
    rng = random.Random(SEED + 2)
    machines = []
    table: list[list[str]] = []
    for k, mid in enumerate(f"M{i:02d}" for i in range(1, 21)):
        machine = {"id": mid, "line": "ABCD"[k // 5], "rms_base": rng.uniform(1.1, 2.6),
                   "temp_base": rng.uniform(36.0, 50.0),
                   # gearbox-driven machines are naturally more impulsive
                   "kurt_base": rng.uniform(2.8, 4.2), "load_base": rng.uniform(55.0, 85.0),
                   "maint_age": rng.randint(10, 240)}
        failures = _failures(rng, 0, BEARING_DAYS)
        table += _bearing_days(rng, machine, range(BEARING_DAYS), failures)
        machines.append(machine)
    table.sort(key=lambda r: (r[0], r[1]))
    write_csv("bearing_health.csv", BEARING_HEADER, table)

    rng = random.Random(SEED + 20)
    holdout: list[list[str]] = []
    end = BEARING_DAYS + HOLDOUT_DAYS
    for machine in machines:
        failures = _failures(rng, BEARING_DAYS, end)
        holdout += _bearing_days(rng, machine, range(BEARING_DAYS, end), failures)
    holdout.sort(key=lambda r: (r[0], r[1]))
    write_csv("bearing_health_holdout.csv", BEARING_HEADER, holdout)


# --------------------------------------------------------------------------------------------
# 3. surface_patches.csv
# --------------------------------------------------------------------------------------------
SIZE = 16


def _segment_distance(x: float, y: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length2))
    px, py = ax + t * dx, ay + t * dy
    return math.hypot(x - px, y - py)


def _background(rng: random.Random) -> list[list[float]]:
    """Brushed-metal background: level, lighting gradient, machining marks, noise."""
    level = rng.uniform(72, 88)
    gx, gy = rng.uniform(-0.7, 0.7), rng.uniform(-0.7, 0.7)
    mark_amp = rng.uniform(0.0, 4.0)
    mark_period = rng.uniform(3.0, 6.0)
    mark_angle = rng.uniform(0, math.pi)
    ca, sa = math.cos(mark_angle), math.sin(mark_angle)
    phase = rng.uniform(0, 2 * math.pi)
    img = []
    for y in range(SIZE):
        row = []
        for x in range(SIZE):
            v = level + gx * (x - 7.5) + gy * (y - 7.5)
            v += mark_amp * math.sin(2 * math.pi * (x * ca + y * sa) / mark_period + phase)
            row.append(v)
        img.append(row)
    return img


def _scratch(rng: random.Random, img: list[list[float]]) -> None:
    cx, cy = rng.uniform(3, 12), rng.uniform(3, 12)
    angle = rng.uniform(0, math.pi)
    half = rng.uniform(4, 10)
    ax, ay = cx - half * math.cos(angle), cy - half * math.sin(angle)
    bx, by = cx + half * math.cos(angle), cy + half * math.sin(angle)
    width = rng.uniform(0.45, 0.85)
    r = rng.random()
    if r < 0.6:
        amp = rng.uniform(60, 115)  # bright scratch: bare metal reflects the light
    elif r < 0.8:
        amp = rng.uniform(30, 50)  # faint scratch: the hard cases
    else:
        amp = -rng.uniform(30, 48)  # dark scratch: a groove seen in shadow
    for y in range(SIZE):
        for x in range(SIZE):
            d = _segment_distance(x, y, ax, ay, bx, by)
            img[y][x] += amp * math.exp(-((d / width) ** 2))


def _dent(rng: random.Random, img: list[list[float]]) -> None:
    cx, cy = rng.uniform(3, 12), rng.uniform(3, 12)
    radius = rng.uniform(1.4, 3.2)
    depth = rng.uniform(25, 58)
    for y in range(SIZE):
        for x in range(SIZE):
            r2 = ((x - cx) ** 2 + (y - cy) ** 2) / radius**2
            img[y][x] -= depth * math.exp(-r2)
            # light comes from the top-left: the lower-right rim of the dent catches it
            rx, ry = x - (cx + 0.9 * radius), y - (cy + 0.9 * radius)
            img[y][x] += 0.35 * depth * math.exp(-(rx * rx + ry * ry) / (0.6 * radius) ** 2)


def surface_patches() -> None:
    rng = random.Random(SEED + 3)
    labels = ["ok"] * 150 + ["scratch"] * 50 + ["dent"] * 40
    rng.shuffle(labels)
    header = [f"p{i}" for i in range(SIZE * SIZE)] + ["label"]
    table: list[list[str]] = []
    for label in labels:
        img = _background(rng)
        if label == "scratch":
            _scratch(rng, img)
        elif label == "dent":
            _dent(rng, img)
        elif rng.random() < 0.15:
            # harmless dust speck on a good part: one or two slightly bright pixels
            x, y = rng.randrange(SIZE), rng.randrange(SIZE)
            img[y][x] += rng.uniform(15, 30)
        noise = rng.uniform(3.0, 6.0)
        pixels = []
        for y in range(SIZE):
            for x in range(SIZE):
                v = img[y][x] + rng.gauss(0, noise)
                pixels.append(str(int(min(255, max(0, round(v))))))
        table.append(pixels + [label])
    write_csv("surface_patches.csv", header, table)


def main() -> None:
    line_sensors()
    bearing_health()
    surface_patches()
    for name in ("line_sensors.csv", "bearing_health.csv", "bearing_health_holdout.csv",
                 "surface_patches.csv"):
        size = os.path.getsize(os.path.join(HERE, name))
        print(f"{name}: {size:,} bytes")


if __name__ == "__main__":
    main()
