"""Prints BENCHMARKS.md's tables of issue 20's runs from their JSON (nothing typed in)."""
import json, statistics, sys
OUT = sys.argv[1]
m = json.load(open(f"{OUT}/bench_ab.json"))
names = m["sides"]
print("| batch | " + " | ".join(names) + " |")
print("|---|" + "---|" * len(names))
for c in m["cases"]:
  print(f"| {c['batch_size']} | " + " | ".join(
      f"{c[f'{n}_examples_per_s']:,.0f} ({c['ratios'][n]:.2f}x)" for n in names) + " |")
print()
print("matmul peaks (GFLOP/s, 2048 square, best of the run):", m["matmul_peak_gflops"], "machine:", m["machine"])
for c in m["cases"]:
  print(c["batch_size"], {n: [r["examples_per_s"] for r in c["runs"][n]] for n in names})
print()
lines = [json.loads(l) for l in open(f"{OUT}/nll5000.log") if l.startswith("{")]
print("| k = 5000 test NLL | seconds | NLL (nats) | Monte Carlo s.e. | GFLOP/s | fraction of peak |")
print("|---|---|---|---|---|---|")
for l in lines[:2]:
  print(f"| {l['compute_dtype']} | {l['seconds']} | {l['test_nll_is']:.4f} | {l['mc_standard_error']:.4f} | {l['gflops']} | {l['flop_fraction']} |")
d = lines[2]
print(f"\ndifference {d['difference']}: {d['mean_nll_difference']:+.5f} nats, s.e. over the images {d['difference_standard_error']:.5f}, largest per image {d['max_abs_image_difference']}, speedup {d['speedup']}")
print()
ab = [json.loads(l) for l in open(f"{OUT}/backward_ab.jsonl")]
print("| batch | bf16 at eee3f25 (JAX's transpose rule) | bf16 now (bf16 backward matmuls) | now / eee3f25 |")
print("|---|---|---|---|")
for b in (128, 1024):
  old = [r["examples_per_s"] for r in ab if r["batch_size"] == b and r["code"] == "old"]
  new = [r["examples_per_s"] for r in ab if r["batch_size"] == b and r["code"] == "new"]
  print(f"| {b} | {statistics.median(old):,.0f} ({', '.join(f'{x:,.0f}' for x in old)}) | {statistics.median(new):,.0f} ({', '.join(f'{x:,.0f}' for x in new)}) | {statistics.median(new)/statistics.median(old):.2f} |")
print()
for b in (1024, 128):
  rows = [json.loads(l) for l in open(f"{OUT}/study_{b}.jsonl")]
  print(f"study at batch {b}")
  print("| matmul (lhs x rhs, contracted axes) | float32 GFLOP/s | bf16 GFLOP/s | bf16 / f32 |")
  print("|---|---|---|---|")
  for r in rows:
    if r["kind"] == "matmul":
      print(f"| {r['lhs']} x {r['rhs']}, {r['contracting']} | {r['gflops']['float32']} | {r['gflops']['bfloat16']} | {r['bf16_speedup']} |")
  for r in rows:
    if r["kind"] == "matmul_bound": print("bound:", r)
    if r["kind"] == "hlo": print("hlo:", r["dtype"], r["dot_types"], "converts", r["converts"], "ynn", r["ynn_fusions"])
  print("| XLA option | float32 ex/s | bf16 ex/s |")
  print("|---|---|---|")
  opts = {}
  for r in rows:
    if r["kind"] == "xla_option":
      opts.setdefault((r["option"], r["flags"]), {})[r["dtype"]] = r.get("examples_per_s", r.get("error"))
  for (o, f), v in opts.items():
    fmt = lambda x: f"{x:,.0f}" if isinstance(x, float) else str(x)
    print(f"| {o} (`{f or 'none'}`) | {fmt(v['float32'])} | {fmt(v['bfloat16'])} |")
  print()
