/**
 * The widget in a real browser: Debian's Chromium, headless, driven by
 * playwright-core. It opens /widget, posts visits, and waits for the number on
 * the page to change; a screenshot is saved to test/e2e/artifacts/.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdirSync } from "node:fs";
import { Agent, createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "playwright-core";
import { visit } from "../helpers/http.js";
import { describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/** Waits until the widget rendered `n` in `selector` (its data-count attribute). */
function countIs(page: Page, selector: string, n: number, timeout: number) {
  return page.waitForFunction(
    `document.querySelector(${JSON.stringify(selector)})?.getAttribute("data-count") === "${n}"`,
    null,
    { timeout },
  );
}

describe("the live widget in headless Chromium", () => {
  test("/widget shows the live count and follows new visits", async (t) => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
    const service = await startTestService(t, { nWorkers: 2 });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    t.after(() => agent.destroy());
    for (let i = 0; i < 3; i++) await visit(service.url, undefined, agent);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    t.after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${service.url}/widget`);
    await countIs(page, "#count", 3, 10_000);

    for (let i = 0; i < 7; i++) await visit(service.url, undefined, agent);
    await countIs(page, "#count", 10, 10_000);
    await countIs(page, "#recent", 10, 10_000);
    assert.equal(await page.textContent("#count"), "10");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}widget.png` });
  });

  test("a page on another origin embeds the widget and falls back to polling when WebSockets are blocked", async (t) => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    const service = await startTestService(t, { nWorkers: 1 });
    await visit(service.url);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    t.after(() => browser.close());
    const page = await browser.newPage();
    // The shop's page, on another origin (another port), where a proxy refuses WebSockets.
    const shop = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(
        `<!doctype html><p><span id="shoppers">…</span> shoppers</p><script src="${service.url}/widget.js" data-target="#shoppers"></script>`,
      );
    });
    shop.listen(0, "127.0.0.1");
    await once(shop, "listening");
    t.after(() => shop.close());
    await page.addInitScript('window.WebSocket = function () { throw new Error("blocked by a proxy"); };');
    await page.goto(`http://127.0.0.1:${(shop.address() as { port: number }).port}/promo`);
    await countIs(page, "#shoppers", 1, 10_000);
    await visit(service.url);
    await countIs(page, "#shoppers", 2, 15_000);
  });
});
