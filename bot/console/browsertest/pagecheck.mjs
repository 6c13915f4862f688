// Checks the browser tests make on every page they show, at phone and
// desktop widths: axe-core finds no serious or critical accessibility
// violation, and the browser logged no error (a script error, a CSP
// violation, a file that failed to load such as a missing favicon).
//
// One kind of logged error is the console's own answer, not a defect:
// Chromium logs "Failed to load resource: … status of 401" for a page the
// console answers 401 (a wrong token), 422 (a form with problems) or 429
// (a slowed guess). Those are allowed for the page itself, never for a
// file it loads.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const designed = new Set([401, 422, 429]);

// watch starts collecting a page's logged errors; check reads them.
export function watch(page) {
  const errors = [];
  const documents = new Map();
  page.on("response", (r) => {
    if (r.request().isNavigationRequest()) documents.set(r.url(), r.status());
  });
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const s = /status of (\d+)/.exec(m.text());
    if (s && designed.has(Number(s[1])) && documents.get(m.location().url) === Number(s[1])) return;
    errors.push(`${m.location().url}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  page.loggedErrors = errors;
}

// check runs axe on the page as it is now and fails the test on a serious
// or critical violation, or on any error logged so far.
export async function check(page, what) {
  await page.evaluate(axeSource); // through DevTools, so the page's CSP does not apply
  const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ["violations"] }));
  const width = page.viewportSize().width;
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(bad, [], `axe on ${what} at ${width}px`);
  assert.deepEqual(page.loggedErrors, [], `errors logged by ${what} at ${width}px`);
}

// smallestChartText is the smallest font size, in screen pixels, of any
// label in the page's charts (their drawings scale to fit).
export function smallestChartText(page) {
  return page.evaluate(() => Math.min(...[...document.querySelectorAll("svg.chart text")]
    .map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)));
}
