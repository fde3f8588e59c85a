/**
 * @module The window an /analytics answer covers, from the request's time
 * (API.md): the same W = ceil(h × 3600) seconds /stats counts — the current
 * second and the W − 1 before it — less the visits of the last 2 s (batch
 * mode answers before the commit; strict mode has committed every visit it
 * acknowledged, so it counts them all).
 */
import { windowSecondsFor } from "../counters/stats-reader.js";

/** Visits younger than this are left out in batch mode (they may still be on their way to the journal). */
export const FRESHNESS_MS = 2000;
/** The series has at most about this many points: step_seconds = 60 × ceil(W / SERIES_SPAN_SECONDS). */
const SERIES_SPAN_SECONDS = 21_600;

export interface AnalyticsWindow {
  readonly hours: number;
  readonly seconds: number;
  /** First second of the window (ms, inclusive). */
  readonly fromMs: number;
  /** End of the current second (ms, exclusive). */
  readonly toMs: number;
  /** Newest visit time counted (ms, inclusive). */
  readonly lastMs: number;
  readonly stepSeconds: number;
  /** Start of the series' first step (ms). */
  readonly firstStepMs: number;
  readonly points: number;
}

export function analyticsWindow(hours: number, nowMs: number, strict: boolean): AnalyticsWindow {
  const seconds = windowSecondsFor(hours);
  const nowSecond = Math.floor(nowMs / 1000);
  const fromMs = (nowSecond - seconds + 1) * 1000;
  const toMs = (nowSecond + 1) * 1000;
  const stepSeconds = 60 * Math.ceil(seconds / SERIES_SPAN_SECONDS);
  const stepMs = stepSeconds * 1000;
  const firstStepMs = Math.floor(fromMs / stepMs) * stepMs;
  const lastStepMs = Math.floor((toMs - 1) / stepMs) * stepMs;
  return {
    hours,
    seconds,
    fromMs,
    toMs,
    lastMs: strict ? Math.floor(nowMs) : Math.floor(nowMs) - FRESHNESS_MS,
    stepSeconds,
    firstStepMs,
    points: (lastStepMs - firstStepMs) / stepMs + 1,
  };
}

/** `2026-12-02T09:31:07Z`: whole seconds, UTC. */
export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
