/**
 * @module Idle /live subscribers for the `live` scenario: shoppers' browsers
 * showing the widget while the sale's traffic hits POST /visit. They only
 * listen (and answer pings); the bench counts the updates they received.
 */
import { once } from "node:events";
import WebSocket from "ws";

export interface Subscribers {
  readonly count: number;
  /** Update messages received by all of them so far. */
  received(): number;
  close(): Promise<void>;
}

/** Opens `n` subscribers to `${url}/live`, `batch` handshakes at a time; all must connect. */
export async function openSubscribers(url: string, n: number, batch = 250): Promise<Subscribers> {
  const live = `${url.replace(/^http/, "ws")}/live`;
  const sockets: WebSocket[] = [];
  let received = 0;
  const close = async () => {
    await Promise.all(
      sockets.map(async (ws) => {
        if (ws.readyState === WebSocket.CLOSED) return;
        const closed = once(ws, "close");
        ws.terminate();
        await closed;
      }),
    );
  };
  try {
    for (let i = 0; i < n; i += batch) {
      const opening = Array.from({ length: Math.min(batch, n - i) }, async () => {
        const ws = new WebSocket(live);
        sockets.push(ws);
        ws.on("message", () => received++);
        ws.on("error", () => {}); // reported through "close"/"open" below
        await Promise.race([
          once(ws, "open"),
          once(ws, "close").then(() => {
            throw new Error(`a /live subscriber was refused (${sockets.length} opened): raise --live-max-connections?`);
          }),
        ]);
      });
      await Promise.all(opening);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { count: n, received: () => received, close };
}
