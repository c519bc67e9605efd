#!/usr/bin/env python3
"""The fan_in rule of docket-rules (default pack) re-implemented with pandas, for comparison.

Usage: python3 benches/pandas_fan_in.py TRANSFERS.csv [RUST_FAN_IN_SUBJECTS.txt]

Reads the CSV written by `cargo run --release -p docket-rules --example bench -- N --csv PATH`
(from_account,to_account,amount,timestamp,txn_id,channel) or by `gen-transfers ROWS OUT.csv`
(txn_id,from_account,to_account,amount,timestamp,currency,channel; cash rows with one side empty). Same semantics as
agent/rules/src/rules/fan.rs with the default pack: card and cash legs ignored; for each leg of an
account, the window is its legs within the last 7 days; >= 10 distinct payers in, and the top 2
payees (paid at or after the first of those inflows) take >= 80% of the inflow. Prints the flagged
accounts' count, the wall time, and (given the Rust subjects file) whether both agree.
Not part of CI; needs `pip install pandas`.
"""
import resource
import sys
import time

import numpy as np
import pandas as pd

WINDOW = 7 * 86_400  # seconds
MIN_MANY, MAX_FEW, MIN_SHARE = 10, 2, 0.80


def flagged(df: pd.DataFrame) -> set:
    df = df[~df["channel"].astype(str).str.lower().isin(["card", "cash"])]
    df = df.dropna(subset=["from_account", "to_account"])
    ins = pd.DataFrame({"account": df["to_account"], "party": df["from_account"],
                        "amount": df["amount"], "ts": df["ts"], "inward": True})
    outs = pd.DataFrame({"account": df["from_account"], "party": df["to_account"],
                         "amount": df["amount"], "ts": df["ts"], "inward": False})
    legs = pd.concat([ins, outs], ignore_index=True)
    # Only accounts with enough distinct payers at all can ever qualify.
    payers = ins.groupby("account")["party"].nunique()
    candidates = payers[payers >= MIN_MANY].index
    legs = legs[legs["account"].isin(candidates)].sort_values(["account", "ts"], kind="stable")
    hits = set()
    for account, g in legs.groupby("account", sort=False):
        ts = g["ts"].to_numpy()
        inward = g["inward"].to_numpy()
        party = g["party"].to_numpy()
        amount = g["amount"].to_numpy()
        lo = np.searchsorted(ts, ts - WINDOW, side="left")
        for i in range(len(g)):
            w = slice(lo[i], i + 1)
            win_in = inward[w]
            if win_in.sum() < MIN_MANY:
                continue
            in_parties = party[w][win_in]
            if len(set(in_parties)) < MIN_MANY:
                continue
            many_sum = amount[w][win_in].sum()
            first = ts[w][win_in][0]
            out_mask = (~win_in) & (ts[w] >= first)
            if not out_mask.any():
                continue
            by_payee = pd.Series(amount[w][out_mask]).groupby(party[w][out_mask]).sum()
            few_sum = by_payee.nlargest(MAX_FEW).sum()
            if few_sum > 0 and few_sum >= many_sum * MIN_SHARE:
                hits.add(account)
                break
    return hits


def main() -> None:
    start = time.perf_counter()
    df = pd.read_csv(sys.argv[1], dtype={"amount": "float64"})
    when = pd.to_datetime(df["timestamp"], utc=True)
    df["ts"] = (when - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    loaded = time.perf_counter()
    hits = flagged(df)
    end = time.perf_counter()
    n = len(df)
    print(f"{n} transfers: load {loaded - start:.2f}s, fan_in {end - loaded:.2f}s, "
          f"total {end - start:.2f}s = {n / (end - start):.0f} rows/s; {len(hits)} accounts flagged; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} kB")
    if len(sys.argv) > 2:
        rust = {l.strip() for l in open(sys.argv[2]) if l.strip()}
        print(f"rust fan_in subjects: {len(rust)}; same set: {rust == hits}; "
              f"only pandas: {sorted(hits - rust)[:5]}; only rust: {sorted(rust - hits)[:5]}")


if __name__ == "__main__":
    main()
