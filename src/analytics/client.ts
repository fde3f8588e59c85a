/**
 * @module A worker thread's end of the analytics channel: sends a request to
 * the recorder thread and waits for its answer (or gives up after a while,
 * if the store stopped answering).
 */
import { randomUUID } from "node:crypto";
import { BroadcastChannel } from "node:worker_threads";
import type { AnalyticsAnswer, AnalyticsMessage, AnalyticsRequest } from "./messages.js";

type Waiting = (answer: AnalyticsAnswer) => void;

/** Longer than any wait in the recorder (queue + query timeout): past it the store is not answering. */
const GIVE_UP_MS = 30_000;

export class AnalyticsClient {
  private readonly channel: BroadcastChannel;
  private readonly waiting = new Map<string, Waiting>();

  constructor(channelName: string) {
    this.channel = new BroadcastChannel(channelName);
    this.channel.unref(); // a draining worker exits once its connections are gone
    this.channel.onmessage = (event) => {
      const message = (event as { data: AnalyticsMessage }).data;
      if (message.kind !== "answer") return;
      const waiting = this.waiting.get(message.id);
      if (!waiting) return; // another worker's
      this.waiting.delete(message.id);
      waiting(message);
    };
  }

  newId(): string {
    return randomUUID();
  }

  /** `giveUpMs`: undefined for an export (it runs as long as its client reads). */
  ask(request: Exclude<AnalyticsRequest, { kind: "cancel" }>, giveUpMs: number | undefined = GIVE_UP_MS) {
    return new Promise<AnalyticsAnswer>((resolve) => {
      const timer =
        giveUpMs === undefined
          ? undefined
          : setTimeout(() => {
              this.waiting.delete(request.id);
              resolve({ kind: "answer", id: request.id, ok: false, refusal: "failed", message: "no answer" });
            }, giveUpMs);
      timer?.unref();
      this.waiting.set(request.id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.channel.postMessage(request);
    });
  }

  cancel(id: string): void {
    this.channel.postMessage({ kind: "cancel", id } satisfies AnalyticsRequest);
  }

  close(): void {
    this.channel.close();
  }
}
