"""The companion's static site: Jinja2 templates, formulas converted to MathML at build time
(latex2mathml; browsers render MathML natively, so the pages need no JavaScript and fetch
nothing), figures copied next to the pages, and every number read from the runs' JSON into a
`<span class="num" data-file=... data-key=...>` that names where it came from.

  build(out, root, scale, commands) -> the pages written: index.html, part1.html ... part5.html
"""

import datetime
import functools
import json
import os
import shutil

import jinja2
import latex2mathml.converter
from markupsafe import Markup, escape

from experiments.companion import pages as pages_lib, pages_models

PAGES = (pages_lib.PART1, pages_lib.PART2, pages_models.PART3, pages_models.PART4,
         pages_models.PART5)
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def math(tex: str) -> Markup:
  return Markup(latex2mathml.converter.convert(tex, display="block"))


@functools.lru_cache(maxsize=256)
def _read_json(path: str, mtime: float):
  """A JSON file, parsed once per version (mtime) however many numbers a site reads from it."""
  del mtime
  with open(path) as f:
    return json.load(f)


_ABSENT = object()   # a file or key that is not there (JSON's null is a value: None)


def walk(value, key: str):
  """The value at key ("/"-separated; integers index lists; a dict's own keys may hold "/",
  as reproduce's rows do: flax_vae/epoch1), or _ABSENT."""
  parts = [p for p in key.split("/") if p] if key else []
  while parts:
    if isinstance(value, list):
      value, parts = value[int(parts[0])], parts[1:]
      continue
    if not isinstance(value, dict):
      return _ABSENT
    for n in range(1, len(parts) + 1):   # the shortest run of parts that is one key
      if "/".join(parts[:n]) in value:
        value, parts = value["/".join(parts[:n])], parts[n:]
        break
    else:
      return _ABSENT
  return value


def lookup(root: str, run: str, file: str, key: str):
  """The value at key of root/run/file (see walk), or _ABSENT when the file or the key is not
  there."""
  path = os.path.join(root, run, file)
  if not os.path.exists(path):
    return _ABSENT
  return walk(_read_json(path, os.path.getmtime(path)), key)


def format_number(value) -> str:
  if value is None:
    return "\u2014"   # JSON null: the paper gives no such number
  if isinstance(value, bool):
    return "yes" if value else "no"
  if isinstance(value, int):
    return str(value)
  if isinstance(value, float):
    return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"
  return str(value)


def number(root: str, run: str, file: str, key: str) -> Markup:
  value = lookup(root, run, file, key)
  attrs = f'data-file="{escape(run)}/{escape(file)}" data-key="{escape(key)}"'
  if value is _ABSENT:
    return Markup(f'<span class="num missing" {attrs}>not run yet</span>')
  return Markup(f'<span class="num" {attrs}>{escape(format_number(value))}</span>')


class _Builder:
  def __init__(self, out: str, root: str, commands: dict, dirs: dict):
    self.out, self.root, self.commands, self.dirs = out, root, commands, dirs

  def commands_of(self, run: str) -> list:
    """The commands of every step that writes into run's directory (train, then evaluate)."""
    return [self.commands[s] for s, d in self.dirs.items() if d == run]

  def figure(self, fig) -> dict:
    src = os.path.join(self.root, fig.step, fig.file)
    out = {"caption": fig.caption, "command": "\n".join(self.commands_of(fig.step)), "src": None}
    if os.path.exists(src):
      rel = os.path.join("figures", fig.step, fig.file)
      os.makedirs(os.path.dirname(os.path.join(self.out, rel)), exist_ok=True)
      shutil.copyfile(src, os.path.join(self.out, rel))
      out["src"] = rel
    return out

  def table(self, t) -> dict:
    rows = t.rows
    if t.within and not rows:   # every entry of the JSON object at prefix, in its order
      found = lookup(self.root, *t.within)
      rows = tuple((label, None) for label in found) if isinstance(found, dict) else ()
    out = []
    for label, run in rows:
      if t.within:
        step, file, prefix = t.within
        cells = [number(self.root, step, file, "/".join(p for p in (prefix, label, key) if p))
                 for _, _, key in t.columns]
      else:
        cells = [number(self.root, run, file, key) for _, file, key in t.columns]
      out.append({"label": label, "cells": cells})
    return {"title": t.title, "columns": [c[0] for c in t.columns], "rows": out}

  def section(self, i: int, s) -> dict:
    runs = [n.step for n in s.numbers] + [
        r for t in s.tables for r in ((t.within[0],) if t.within else (r for _, r in t.rows))]
    runs = list(dict.fromkeys(runs))
    return {"anchor": f"s{i}", "title": s.title, "text": s.text,
            "math": [math(m) for m in s.math], "figures": [self.figure(f) for f in s.figures],
            "numbers": [{"label": n.label, "step": n.step, "file": n.file,
                         "html": number(self.root, n.step, n.file, n.key)} for n in s.numbers],
            "tables": [self.table(t) for t in s.tables],
            "commands": [c for r in runs for c in self.commands_of(r)]}


def build(out: str, root: str, scale: str, commands: dict, dirs: dict | None = None,
          missing: tuple = ()) -> list:
  """Writes the site into `out` from the runs under `root`; commands: {step: its command},
  dirs: {step: the run directory it writes} (default: the step's name); missing: the steps
  not finished (the index lists them)."""
  dirs = dirs or {s: s for s in commands}
  tmp = out + ".partial"
  shutil.rmtree(tmp, ignore_errors=True)
  os.makedirs(tmp)
  env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                           autoescape=jinja2.select_autoescape(["html"]),
                           undefined=jinja2.StrictUndefined)
  builder = _Builder(tmp, root, commands, dirs)
  common = {"pages": PAGES, "scale": scale, "root": root,
            "built": datetime.datetime.now().strftime("%Y-%m-%d %H:%M")}
  missing = list(missing)
  written = ["index.html"]
  with open(os.path.join(tmp, "index.html"), "w") as f:
    f.write(env.get_template("index.html").render(
        slug="index", title="Everything about autoencoders", ran=len(dirs) - len(missing),
        total=len(dirs), missing=missing, **common))
  for page in PAGES:
    sections = [builder.section(i, s) for i, s in enumerate(page.sections)]
    with open(os.path.join(tmp, f"{page.slug}.html"), "w") as f:
      f.write(env.get_template("page.html").render(slug=page.slug, title=page.title, page=page,
                                                   sections=sections, **common))
    written.append(f"{page.slug}.html")
  shutil.copyfile(os.path.join(TEMPLATES, "style.css"), os.path.join(tmp, "style.css"))
  shutil.rmtree(out, ignore_errors=True)   # The old site goes only once the new one is whole.
  os.replace(tmp, out)
  return written
