"""The companion's pages in a real browser: Debian's headless Chromium driven by selenium
through the system chromedriver (never selenium's own driver manager, which reaches for the
network). `inspect` reports what a reader would see of a page, `screenshot` saves all of it.

  python -m experiments.lecture --workdir=runs/lecture --screenshots   (WORKDIR/screenshots/)
"""

import os
import shutil
import time

from ae.errors import AEError

CHROMEDRIVER = "/usr/bin/chromedriver"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL = "apt-get install chromium chromium-driver (and pip install selenium)"


def missing() -> str | None:
  """Why no browser can be driven here (None when one can)."""
  try:
    import selenium   # noqa: F401 (a test dependency: pip install -e '.[test]')
  except ImportError:
    return f"selenium is not installed; {INSTALL}"
  if not os.path.exists(CHROMEDRIVER):
    return f"{CHROMEDRIVER} does not exist; {INSTALL}"
  if not any(shutil.which(b) for b in BROWSERS):
    return f"no Chromium on PATH; {INSTALL}"
  return None


def open_browser(width: int = 1280, height: int = 1000):
  why = missing()
  if why:
    raise AEError(why)
  os.environ.setdefault("SE_AVOID_STATS", "true")
  from selenium import webdriver
  from selenium.webdriver.chrome.service import Service
  options = webdriver.ChromeOptions()
  for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--window-size={width},{height}"):
    options.add_argument(arg)
  options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
  return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


_REPORT = """
const rect = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
return {
  images: Array.from(document.images).map(i => [i.getAttribute('src'), i.complete,
                                                i.naturalWidth]),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  math: Array.from(document.querySelectorAll('math')).map(rect),
  merrors: document.querySelectorAll('merror').length,
  numbers: Array.from(document.querySelectorAll('span.num')).map(
      s => [s.dataset.file, s.dataset.key, s.textContent, s.classList.contains('missing')]),
  missing_figures: document.querySelectorAll('figure .missing').length,
  resources: performance.getEntriesByType('resource').map(r => r.name),
  height: document.documentElement.scrollHeight,
};
"""


def _load(driver, path: str, timeout: float = 60.0) -> None:
  """Opens the page and waits until every image has finished loading or failed (a broken image
  is `complete` with naturalWidth 0): on a busy machine the load event has come before the last
  image was decoded."""
  driver.get("file://" + os.path.abspath(path))
  end = time.monotonic() + timeout
  while time.monotonic() < end and not driver.execute_script(
      "return Array.from(document.images).every(i => i.complete)"):
    time.sleep(0.1)


def inspect(driver, path: str) -> dict:
  """Loads the page at `path` and reports its images ([src, complete, naturalWidth]), links,
  element ids, MathML boxes ([width, height]), <merror>s, numbers ([data-file, data-key, text,
  missing]), figures without an image, the resources it fetched, and the console's messages."""
  _load(driver, path)
  report = driver.execute_script(_REPORT)
  report["console"] = [entry["message"] for entry in driver.get_log("browser")]
  return report


def screenshot(driver, path: str, png: str, width: int = 1280) -> None:
  """The whole page at `path`, top to bottom, as one PNG."""
  _load(driver, path)
  height = driver.execute_script("return document.documentElement.scrollHeight")
  driver.set_window_size(width, min(max(height, 600), 16000))
  driver.save_screenshot(png)
