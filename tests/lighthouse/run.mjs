// Lighthouse over several pages in one Chrome: `node run.mjs OUT.json URL...`.
//
// Called by tests/test_lighthouse_browser.py. Chrome is $CHROME_PATH (Debian's chromium),
// started once with the flags below; every page gets its own Lighthouse run (its own tab,
// storage reset) with the settings of the command line
//   lighthouse URL --output=json --only-categories=performance,accessibility,best-practices,seo
//              --chrome-flags="--headless --no-sandbox"
// (form factor mobile, simulated throttling: the defaults). OUT.json receives, per URL, the
// four scores and the audits that lost points, small enough to print in a failing test.
// $LH_EXTRA_HEADERS (JSON, optional) is sent with every request, e.g. a session cookie.
import { writeFileSync } from "node:fs";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const [out, ...urls] = process.argv.slice(2);
if (!out || urls.length === 0) {
  console.error("usage: node run.mjs OUT.json URL...");
  process.exit(2);
}
const categories = ["performance", "accessibility", "best-practices", "seo"];
const METRICS = {
  fcp: "first-contentful-paint",
  lcp: "largest-contentful-paint",
  si: "speed-index",
  tbt: "total-blocking-time",
  cls: "cumulative-layout-shift",
  server: "server-response-time",
};
const extraHeaders = process.env.LH_EXTRA_HEADERS
  ? JSON.parse(process.env.LH_EXTRA_HEADERS)
  : undefined;

function summary(lhr) {
  const scores = {};
  const failing = [];
  for (const id of categories) {
    const category = lhr.categories[id];
    scores[id] = category.score;
    for (const ref of category.auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
        const items = (audit.details && audit.details.items) || [];
        failing.push({
          category: id,
          id: ref.id,
          title: audit.title,
          score: audit.score,
          value: audit.displayValue || "",
          items: items.slice(0, 5).map((item) =>
            JSON.stringify(item.node ? item.node.snippet || item.node.selector : item).slice(0, 300),
          ),
        });
      }
    }
  }
  // The metrics behind the performance score (milliseconds; CLS unitless), to see which one
  // loses points first, and the server's observed answer time.
  const metrics = {};
  for (const [key, id] of Object.entries(METRICS)) {
    const audit = lhr.audits[id];
    metrics[key] = audit && typeof audit.numericValue === "number" ? audit.numericValue : null;
  }
  return { url: lhr.finalDisplayedUrl, scores, metrics, failing, warnings: lhr.runWarnings };
}

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH,
  chromeFlags: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    ...(process.env.LH_CHROME_FLAGS ? process.env.LH_CHROME_FLAGS.split(" ") : []),
  ],
});
const results = {};
try {
  for (const url of urls) {
    const runner = await lighthouse(url, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: categories,
      extraHeaders,
    });
    results[url] = summary(runner.lhr);
  }
} finally {
  await chrome.kill();
}
writeFileSync(out, JSON.stringify(results, null, 1));
