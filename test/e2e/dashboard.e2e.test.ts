/**
 * The operators' dashboard in Debian's Chromium (headless, playwright-core):
 * it asks for the admin token, shows the numbers /analytics returns, follows
 * new visits in its chart and live total; screenshots go to test/e2e/artifacts/.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { Agent } from "node:http";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "playwright-core";
import { generateVisits } from "../helpers/analytics.js";
import { request, visit } from "../helpers/http.js";
import { describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { tempDataDir } from "../helpers/store.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"];
const TOKEN = "e2e-admin-token-0123456789abcdef";

/** The browser's globals these checks use (the test is compiled without the DOM library). */
interface Dom {
  document: {
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
    documentElement: { scrollWidth: number };
  };
  innerWidth: number;
  sessionStorage: { getItem(key: string): string | null };
  localStorage: { length: number };
}

// Functions, not strings: the page's Content-Security-Policy forbids eval, and they run outside it.
const attributeIs = (page: Page, selector: string, name: string, value: string | number, timeout = 20_000) =>
  page.waitForFunction(
    ([s, n, v]) => (globalThis as unknown as Dom).document.querySelector(s)?.getAttribute(n) === v,
    [selector, name, String(value)] as const,
    { timeout },
  );

async function post(base: string, agent: Agent, visits: ReturnType<typeof generateVisits>) {
  for (const v of visits) {
    const { c: _c, t: _t, ...body } = v;
    assert.equal((await visit(base, body, agent)).status, 200);
  }
}

/** /analytics once every visit is at least 2 s old (the answer leaves the last 2 s out). */
async function analyticsWith(base: string, query: string, visits: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await request(base, `/analytics?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (reply.json.visits === visits) return reply.json;
    if (Date.now() > deadline) throw new Error(`/analytics never reached ${visits} visits`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("the dashboard in headless Chromium", () => {
  // Several 5 s refresh cycles and a service stop: longer than the default deadline.
  test("asks for the token, shows the API's numbers, follows new visits", { timeout: 240_000 }, async (t) => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
    const service = await startTestService(t, { nWorkers: 2, dataDir: tempDataDir(t), adminToken: TOKEN });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    t.after(() => agent.destroy());
    const first = generateVisits(60, [0], 5);
    await post(service.url, agent, first);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    t.after(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${service.url}/dashboard`);
    await page.waitForSelector("#token-form:not([hidden])", { timeout: 10_000 });
    await page.fill("#token", "a-wrong-token-0123456789");
    await page.click("#token-form button");
    await page.waitForSelector("#token-error:not([hidden])", { timeout: 10_000 });
    await page.fill("#token", TOKEN);
    await page.click("#token-form button");

    const api = await analyticsWith(service.url, "timeframe_hours=1&limit=10", first.length);
    await attributeIs(page, "#visits", "data-count", api.visits);
    await attributeIs(page, "#unique", "data-count", api.unique_visitors);
    await attributeIs(page, "#direct", "data-count", api.direct_visits);
    await attributeIs(page, "#chart", "data-total", api.visits);
    const table = (id: string) =>
      page.$$eval(`#${id} tbody tr`, (rows) =>
        rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.title || td.textContent)),
      );
    assert.deepEqual(
      await table("pages"),
      api.top_pages.map((p: { page_url: string; visits: number; unique_visitors: number }) => [
        p.page_url,
        String(p.visits),
        String(p.unique_visitors),
      ]),
    );
    assert.deepEqual(
      await table("referrers"),
      api.top_referrers.map((r: { referrer: string; visits: number }) => [r.referrer, String(r.visits)]),
    );
    // The live total over /live.
    await attributeIs(page, "#total", "data-count", first.length);
    // The token stays in this tab: sessionStorage, nothing in localStorage.
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as Dom).sessionStorage.getItem("traffic-tracker-admin-token")),
      TOKEN,
    );
    assert.equal(await page.evaluate(() => (globalThis as unknown as Dom).localStorage.length), 0);

    // New visits: the live total at once, the chart at its next refresh (every 5 s) once they are 2 s old.
    await post(service.url, agent, generateVisits(25, [0], 6));
    await attributeIs(page, "#total", "data-count", first.length + 25);
    await attributeIs(page, "#chart", "data-total", first.length + 25);
    await attributeIs(page, "#visits", "data-count", first.length + 25);

    // Another timeframe: 7 days, 28-minute steps.
    await page.click('#timeframes button[data-hours="168"]');
    const week = await analyticsWith(service.url, "timeframe_hours=168", first.length + 25);
    await attributeIs(page, "#chart", "data-points", week.series.points.length);
    await attributeIs(page, "#chart", "data-total", first.length + 25);
    await page.click('#timeframes button[data-hours="1"]');
    await attributeIs(page, "#chart", "data-points", 61);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });

    // A phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300); // the chart resizes on the resize event
    const overflow = await page.evaluate(() => {
      const dom = globalThis as unknown as Dom;
      return dom.document.documentElement.scrollWidth - dom.innerWidth;
    });
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-phone.png`, fullPage: true });

    // A new tab starts without the token.
    const other = await context.newPage();
    await other.goto(`${service.url}/dashboard`);
    await other.waitForSelector("#token-form:not([hidden])", { timeout: 10_000 });
    assert.deepEqual(errors, []);
    // Closed before the service stops: a page polling every 5 s keeps a connection the draining workers wait for.
    await browser.close();
  });
});
