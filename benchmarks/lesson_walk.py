"""A whole lesson walked as a teacher walks it, in presentation mode, timed: does each step show its point?

    python -m benchmarks.lesson_walk                    # chapter 7 in English, chapter 8 in Japanese, 8.5 too
    python -m benchmarks.lesson_walk --chapter ch8 --lang en
    python -m benchmarks.lesson_walk --quick            # the mechanics only (tests/test_lesson_walk.py)

A fresh `streamlit run app.py` (one session alone on the server) and Debian's Chromium at 1280x720 (a
projector). The walk opens /lessons?present=1&lang=.., picks the chapter, and for every step: presses
"Set up", does what the step asks and waits until the page shows the step's point (below), goes back
with the banner's "Back to the lesson" and checks that the same chapter and step are shown, then
presses Next. Each step's wall-clock seconds are printed beside the minutes the lesson announces, and
the lesson's total against its limit (chapter 7: 10 minutes, chapter 8 and "8.5 and beyond": 8).

The points (what the class must see; ``POINTS``):
- Try / Inside / Errors: the answer tiles with the true answer / the heatmaps / the error charts; an Inside
  step with an intervention: the changed answer beside the unchanged one (scrolled into view).
- Train, plain Seq2seq: after 10 epochs the held-out accuracy is still below 20 % (the loss has fallen).
- Train, reversed input: held-out accuracy passes 20 % (plain stays near 5 % that long).
- Train, Peeky: 95 % held-out.  Train, attention on dates: 99 % held-out.
- Compare: the book's ordering with clear gaps (benchmarks.race.story_told) in the results table; the race
  beyond chapter 8: every variant past 95 %. Train beyond chapter 8 (GRU, Transformer): 95 % held-out.

With --quick, train and race steps only start and show a first evaluation, then pause.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path

from benchmarks.load import CHROMIUM_ARGS, streamlit_server
from benchmarks.race import story_told
from s2s.presets import RACES, race_variants
from s2s.tasks import solve
from ui.i18n import TEXTS
from ui.lessons import LESSONS, Step

LIMIT_MINUTES = {"ch7": 10.0, "ch8": 8.0, "ch85": 8.0}
OUT = Path(__file__).resolve().parents[1] / "test-output"


def _t(key: str, lang: str, **kw) -> str:
    text = TEXTS[key][lang]
    return text.format(**kw) if kw else text


def _metric(page, label: str) -> str:
    """The shown value of the counter with this label ('' if it is not there)."""
    return page.evaluate("""label => {
        for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
            const l = m.querySelector('[data-testid="stMetricLabel"]');
            if (l && l.innerText.trim() === label) return m.querySelector('[data-testid="stMetricValue"]').innerText;
        }
        return '';
    }""", label)


def _number(text: str) -> float:
    m = re.search(r"[\d.,]+", text)
    return float(m.group(0).replace(",", "")) if m else float("nan")


def _wait(page, condition, timeout: float, what: str, poll: float = 0.25):
    """Poll `condition()` until it is truthy; RuntimeError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"not shown within {timeout:.0f} s: {what}")
        time.sleep(poll)


def _train_point(step: Step, lang: str):
    """A function (page -> bool) telling whether a Train step shows its point."""
    acc_label, epoch_label = _t("val_acc", lang), _t("epoch", lang)

    def acc(page) -> float:
        return _number(_metric(page, acc_label)) / 100

    def epoch(page) -> float:
        return _number(_metric(page, epoch_label))

    if step.preset == "book_baseline":
        return lambda page: epoch(page) >= 10 and acc(page) < 0.2
    if step.preset == "book_reversed":
        return lambda page: acc(page) >= 0.2
    if step.task == "addition" or step.preset in ("gru", "transformer"):  # the latter: beyond chapter 8
        return lambda page: acc(page) >= 0.95
    return lambda page: acc(page) >= 0.99


def _race_accuracies(page, task: str, lang: str, race: str = "lesson") -> dict[str, float] | None:
    """The results table's final accuracies by variant, or None while it has none."""
    rows = page.evaluate("""() => [...document.querySelectorAll('.st-key-compare_results tr')]
        .map(r => [...r.querySelectorAll('th,td')].map(c => c.innerText))""")
    names = {_t(f"variant_{n}", lang): n for n in race_variants(task, RACES[task][race])}
    out = {}
    for cells in rows:
        if cells and cells[0] in names and len(cells) > 2 and "%" in cells[2]:
            out[names[cells[0]]] = _number(cells[2]) / 100
    return out if len(out) == len(names) else None


def do_step(page, step: Step, lang: str, quick: bool) -> str:
    """What a teacher does on the step's page, until its point shows; returns what was seen."""
    from playwright.sync_api import expect

    if step.page in ("try", "inside"):
        if step.page == "try":
            truth = solve(step.task, step.query)
            expect(page.locator(".st-key-answer")).to_contain_text(truth, timeout=60000)
            return f"answer tiles with {truth}"
        _wait(page, lambda: page.locator("[data-testid='stVegaLiteChart']").count() >= 3, 60, "Inside's charts")
        if not step.intervention:
            return "heatmaps drawn"
        # the point: the answer with the intervention, beside the unchanged one, scrolled into view for the class
        shown = page.locator(".st-key-iv_result [data-iv='intervened']")
        expect(shown).to_be_attached(timeout=60000)
        shown.scroll_into_view_if_needed()
        before = page.locator(".st-key-iv_result [data-iv='unchanged']").get_attribute("data-answer")
        after = shown.get_attribute("data-answer")
        if before == after:
            raise RuntimeError(f"the intervention {step.intervention} left the answer {before} unchanged")
        return f"intervened answer {after} beside {before}"
    if step.page == "errors":
        _wait(page, lambda: page.locator("[data-testid='stVegaLiteChart']").count() >= 2, 90, "the error charts")
        return "error charts drawn"
    if step.page == "train":
        page.locator(".st-key-train_start button").click()
        point = _train_point(step, lang)
        if quick:
            _wait(page, lambda: _number(_metric(page, _t("iteration", lang))) > 0, 60, "a first iteration")
        else:
            _wait(page, lambda: point(page), 600, f"the point of {step.title['en']}")
        page.locator(".st-key-train_pause button").click()
        return (f"epoch {_metric(page, _t('epoch', lang))}, held-out {_metric(page, _t('val_acc', lang))}")
    # compare
    page.locator(".st-key-compare_start button").click()
    race = RACES[step.task][step.race]

    def accuracies():
        return _race_accuracies(page, step.task, lang, step.race)

    if quick:
        _wait(page, accuracies, 90, "a first evaluation of every variant")
        page.locator(".st-key-compare_pause button").click()
    else:
        _wait(page, lambda: (a := accuracies()) and story_told(step.task, a, race), 600, "the race's point")
    return "race: " + ", ".join(f"{k} {v:.1%}" for k, v in (accuracies() or {}).items())


def walk(url: str, browser, chapter: str, lang: str, quick: bool = False, size=(1280, 720)) -> list[dict]:
    """Walk one chapter; returns one record per step (raises RuntimeError when a point is not shown)."""
    from playwright.sync_api import expect

    lesson = LESSONS[chapter]
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(f"{url}/lessons?present=1&lang={lang}&lesson={chapter}&step=1")
    expect(page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']")).to_be_attached(timeout=60000)
    settled = page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")
    records = []
    for k, step in enumerate(lesson.steps):
        title = step.title[lang]
        expect(page.locator(".st-key-lesson_step").first).to_contain_text(title, timeout=30000)
        expect(settled).to_be_attached(timeout=30000)  # no stale copy of the last step's button left
        started = time.monotonic()
        page.locator(".st-key-lesson_go button:visible").first.click()
        page.wait_for_url(f"**/{step.page}?*", timeout=30000)
        seen = do_step(page, step, lang, quick)
        page.screenshot(path=str(OUT / f"walk_{chapter}_{lang}_{k + 1}.png"))
        page.locator(".st-key-lesson_banner").get_by_text(_t("lesson_back", lang)).click()
        page.wait_for_url("**/lessons?*", timeout=30000)
        expect(page.locator(".st-key-lesson_step").first).to_contain_text(title, timeout=30000)  # chapter, step kept
        address = page.evaluate("() => location.href")  # (page.url lags behind Streamlit's address updates)
        if "present=1" not in address or f"lang={lang}" not in address:
            raise RuntimeError(f"presentation mode or language lost on the way back: {address}")
        seconds = time.monotonic() - started
        records.append({"chapter": chapter, "lang": lang, "step": k + 1, "page": step.page, "title": step.title["en"],
                        "seconds": round(seconds, 1), "announced_minutes": step.minutes, "seen": seen})
        if k + 1 < len(lesson.steps):
            expect(settled).to_be_attached(timeout=30000)
            page.locator(".st-key-lesson_next button:visible").first.click()
    page.close()
    return records


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chapter", choices=sorted(LESSONS), action="append")
    p.add_argument("--lang", choices=["ja", "en"], help="default: Japanese for chapter 8, else English")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    print(f"# machine: {platform.machine()}, python {platform.python_version()}, {time.strftime('%Y-%m-%d')}",
          flush=True)
    totals = []
    with streamlit_server() as (url, _proc), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for chapter in args.chapter or ["ch7", "ch8", "ch85"]:
            lang = args.lang or ("ja" if chapter == "ch8" else "en")
            records = walk(url, browser, chapter, lang, args.quick)
            for r in records:
                print(json.dumps(r, ensure_ascii=False), flush=True)
            total = sum(r["seconds"] for r in records) / 60
            totals.append((chapter, lang, total, sum(r["announced_minutes"] for r in records)))
        browser.close()
    print("\n| chapter | language | live time | announced | limit |")
    print("|---|---|---|---|---|")
    for chapter, lang, total, announced in totals:
        print(f"| {chapter} | {lang} | {total:.1f} min | {announced:.1f} min | {LIMIT_MINUTES[chapter]:.0f} min |")
    return 0 if all(total <= LIMIT_MINUTES[c] for c, _, total, _ in totals) or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
