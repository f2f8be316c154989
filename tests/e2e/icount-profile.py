#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where a window's kernel instructions go, from the profile of
tests/bench-icount/icount.c (b_icount_profile in bench-icount.sh).

  icount-profile.py fold KALLSYMS PROFILE N > FOLDED
      instructions per unit (N units in the window) by kernel function,
      "FUNCTION COUNT" lines; FUNCTION is "name [module]" for a module's.
      KALLSYMS is read while the window's modules are still loaded.
  icount-profile.py compare BASE CONFIG FOLDED...
      the difference CONFIG - BASE by group of functions, then the
      functions that differ most; FOLDED files are named BASE.* or
      CONFIG.* (one per round) and averaged by name.
"""
import bisect
import collections
import os
import re
import sys

# The first group whose pattern matches a function takes its count.
GROUPS = [
    ("xt_TOA", r"\[xt_TOA\]"),
    ("probes (kprobes, ftrace, rethook)",
     r"kprobe|kretprobe|rethook|ftrace|int3|\[__builtin__|trampoline|"
     r"text_poke|optimized_callback|get_kprobe|skip_prefixes"),
    ("tracepoints", r"^__traceiter_|^trace_|^__bpf_trace|tracepoint"),
    ("conntrack",
     r"\[nf_conntrack\]|\[nf_nat\]|\[nf_defrag_ipv[46]\]|^nf_conntrack|^nf_ct_|"
     r"^__nf_ct|^nf_confirm|^nf_nat"),
    ("rule tables and hooks",
     r"\[x_tables\]|\[xt_|\[ip6?_tables\]|\[ip6?table_|\[nf_tables\]|\[nft_|"
     r"^nf_hook|^nf_tables|^nft_|^ipt_|^ip6t_|^xt_"),
    ("allocation and RCU",
     r"^_*kmalloc|^_*kfree|^_*kmem_cache|^_*slab|^___slab|^kvfree|^rcu_|^call_rcu|"
     r"^obj_cgroup|^memcg|^mod_objcg|^refill_obj|^__memcg|^put_cpu_partial|"
     r"^get_partial|^alloc_pages|^__alloc_pages|^free_unref|^get_page_from"),
]
OWN = {GROUPS[0][0], GROUPS[1][0], GROUPS[4][0]}
TOP = 15


def read_kallsyms(path):
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[1] not in "tTwW":  # code only
                continue
            name = parts[2] + (" " + parts[3] if len(parts) > 3 else "")
            syms.append((int(parts[0], 16), name))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def fold(kallsyms, profile, units):
    addrs, names = read_kallsyms(kallsyms)
    counts = collections.Counter()
    with open(profile) as f:
        for line in f:
            vaddr, n = line.split()
            i = bisect.bisect_right(addrs, int(vaddr, 16)) - 1
            counts[names[i] if i >= 0 else "?"] += int(n)
    for name, n in counts.most_common():
        print(f"{name}\t{n / units:.2f}")


def average(files):
    total = collections.Counter()
    for path in files:
        with open(path) as f:
            for line in f:
                name, n = line.rstrip("\n").rsplit("\t", 1)
                total[name] += float(n)
    return {name: n / len(files) for name, n in total.items()}


def group_of(name):
    for group, pattern in GROUPS:
        if re.search(pattern, name):
            return group
    return "other"


def compare(base, config, files):
    def named(cfg):
        return [p for p in files if os.path.basename(p).rsplit(".", 1)[0] == cfg]

    a, b = average(named(base)), average(named(config))
    if not a or not b:
        sys.exit(f"icount-profile: no profile of {base!r} or {config!r}")
    diff = {n: b.get(n, 0) - a.get(n, 0) for n in set(a) | set(b)}
    print(f"# kernel instructions per unit: {config} - {base}"
          f" = {sum(b.values()):,.0f} - {sum(a.values()):,.0f}"
          f" = {sum(diff.values()):+,.0f}")
    groups = collections.Counter()
    for name, d in diff.items():
        groups[group_of(name)] += d
    for group, _ in GROUPS + [("other", "")]:
        print(f"#   {group:40s} {groups[group]:+10,.0f}")
    # The module's own functions and the rule tables' in full; of the
    # others, those that differ most (timers and scheduling among them).
    own = {n: d for n, d in diff.items() if group_of(n) in OWN}
    print("# the module's, the probes' and the rule tables' functions:")
    for name, d in sorted(own.items(), key=lambda x: -abs(x[1])):
        print(f"#   {name:50s} {d:+10,.0f}")
    print(f"# the {TOP} other functions that differ most:")
    others = [(n, d) for n, d in diff.items() if n not in own]
    for name, d in sorted(others, key=lambda x: -abs(x[1]))[:TOP]:
        print(f"#   {name:50s} {d:+10,.0f}  ({a.get(name, 0):,.0f} -> {b.get(name, 0):,.0f})")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "fold":
        fold(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) > 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
