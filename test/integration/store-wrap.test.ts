import assert from "node:assert/strict";
import { Agent } from "node:http";
import { visit } from "../helpers/http.js";
import { describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { queryStore, tempDataDir } from "../helpers/store.js";
import { Deadline, pause } from "../helpers/wait.js";

const RING_BYTES = 64 * 1024;
const CLIENTS = 16;
const VISITS = 240;

/** Bodies of a few KB, every one a different size, so records end at ever different places in the ring. */
const pageUrl = (i: number) => `https://shop.example/${i}/${"p".repeat(500 + ((i * 997) % 1500))}`;
const referrer = (i: number) => `https://search.example/${i}/${"r".repeat(1000 + ((i * 389) % 1000))}`;

describe("visits through a small ring, many times round", () => {
  for (const durability of ["batch", "strict"] as const) {
    test(`${durability}: every acknowledged visit is stored with its own count and body, across every wrap of the ring`, async (t) => {
      // One worker, one 64 KiB ring: the recorder's batches keep straddling the ring's end,
      // where what waits to be stored comes in two pieces.
      const t0 = performance.now();
      const dir = tempDataDir(t);
      const service = await startTestService(t, { dataDir: dir, nWorkers: 1, ringKiB: 64, durability });
      console.log("started", performance.now() - t0);
      const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
      t.after(() => agent.destroy());
      const sent = new Map<number, string>(); // visit_count → the user_id it was given to
      let refused = 0;
      let next = 0;
      const deadline = new Deadline(`${VISITS} visits acknowledged`, 30_000);
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          for (let i = next++; i < VISITS; i = next++) {
            for (;;) {
              deadline.check(() => `${sent.size} acknowledged, ${refused} refused`);
              const reply = await visit(
                service.url,
                { user_id: `shopper-${i}`, page_url: pageUrl(i), referrer: referrer(i) },
                agent,
              );
              if (reply.status === 200) {
                assert.equal(sent.has(reply.json.visit_count), false, `count ${reply.json.visit_count} given twice`);
                sent.set(reply.json.visit_count, `shopper-${i}`);
                break;
              }
              // A full ring refuses (503) and counts nothing: the client retries, as Retry-After says.
              assert.equal(reply.status, 503, reply.text);
              refused++;
              await pause(2);
            }
          }
        }),
      );
      console.log("acked", performance.now() - t0, refused);
      const bytes = Array.from({ length: VISITS }, (_, i) => pageUrl(i).length + referrer(i).length).reduce(
        (a, b) => a + b,
        0,
      );
      assert.ok(bytes > 10 * RING_BYTES, `${bytes} bytes of URLs: ten rings' worth at least`);
      await service.stop();
      console.log("stopped", performance.now() - t0);

      const rows = (await queryStore(
        dir,
        "SELECT visit_count, user_id, page_url, referrer FROM visits ORDER BY visit_count",
      )) as Array<[bigint, string, string, string]>;
      assert.deepEqual(
        rows.map(([count]) => Number(count)),
        Array.from({ length: VISITS }, (_, i) => i + 1),
        "the stored counts are exactly those acknowledged, each once",
      );
      for (const [count, userId, url, from] of rows) {
        assert.equal(userId, sent.get(Number(count)), `the row of count ${count} is the visit given that count`);
        const i = Number(userId.slice("shopper-".length));
        assert.ok(url === pageUrl(i) && from === referrer(i), `count ${count}: its own URLs, whole`);
      }
    });
  }
});
