/**
 * @module What worker threads and the recorder thread say about analytics,
 * over a BroadcastChannel named per service (no port has to be handed to
 * each worker). Requests carry an id; every worker sees every answer and
 * keeps only its own.
 */
import type { ExportFormat } from "./sql.js";

export interface TopPage {
  page_url: string;
  visits: number;
  unique_visitors: number;
}

export interface TopReferrer {
  referrer: string;
  visits: number;
}

/** The numbers of an /analytics answer (the worker adds the window's texts). */
export interface AnalyticsNumbers {
  visits: number;
  unique_visitors: number;
  top_pages: TopPage[];
  top_referrers: TopReferrer[];
  direct_visits: number;
  /** Visits per step, oldest first, zeros included. */
  counts: number[];
}

export type AnalyticsRequest =
  | {
      kind: "analytics";
      id: string;
      fromMs: number;
      lastMs: number;
      limit: number;
      stepSeconds: number;
      firstStepMs: number;
      points: number;
    }
  | {
      kind: "export";
      id: string;
      /** A FIFO the worker reads from. */
      path: string;
      format: ExportFormat;
      fromMs: number;
      toMs: number;
      lastMs: number;
    }
  /** The client went away: interrupt the export. */
  | { kind: "cancel"; id: string };

export type Refusal = "busy" | "timeout" | "failed";

export type AnalyticsAnswer =
  | { kind: "answer"; id: string; ok: true; numbers?: AnalyticsNumbers }
  | { kind: "answer"; id: string; ok: false; refusal: Refusal; message: string };

export type AnalyticsMessage = AnalyticsRequest | AnalyticsAnswer;
