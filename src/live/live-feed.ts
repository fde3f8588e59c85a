/**
 * @module GET /live: a WebSocket feed of the public count. Each worker thread
 * serves the connections it accepted: a timer reads the shared counters (no
 * per-visit message between threads) and publishes to its subscribers when
 * the numbers changed, at most every LIVE_INTERVAL_MS.
 *
 * A client that stops reading is dropped: it no longer answers uWS's pings, so
 * the idle timeout closes it (its backlog is at most idle time × 600 B/s); one
 * whose backlog still passes the backpressure limit is closed at the next sweep.
 *
 * Message (text frame, JSON), sent on connect and on every change:
 *   {"type":"count","total_visits":1247,"recent_visits":310,"timeframe_hours":1,"current_time":"…Z"}
 * Clients send nothing meaningful: messages are ignored; one over
 * maxPayloadLength closes the connection. A client that cannot keep up is
 * dropped once its backlog passes the backpressure limit (never buffered
 * without bound).
 */
import type { HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from "uWebSockets.js";
import type { StatsReader } from "../counters/stats-reader.js";
import type { CorsPolicy } from "../http/cors.js";

export const LIVE_INTERVAL_MS = 250;
/**
 * Subscribers are spread over this many topics, published in turn (one every
 * 250/8 ms): each client still gets at most one update per 250 ms, but a
 * thread writes to 1/8 of its sockets at a time instead of stalling its
 * requests while it writes to all of them at once.
 */
const GROUPS = 8;
const TOPICS = Array.from({ length: GROUPS }, (_, i) => `live-${i}`);
/** recent_visits of the feed: the last hour, like /stats by default. */
const WINDOW_SECONDS = 3600;
/** Inbound frames larger than this close the connection (clients have nothing to say). */
export const LIVE_MAX_INBOUND_BYTES = 512;
/** How often slow subscribers are looked for (a getBufferedAmount call per connection). */
const SWEEP_MS = 1000;

const TOO_MANY = '{"detail":"Too many live connections on this thread"}';
const ORIGIN_NOT_ALLOWED = '{"detail":"Origin not allowed"}';
const UPGRADE_REQUIRED = '{"detail":"/live is a WebSocket: connect with Upgrade: websocket"}';
const RETRY_AFTER_5: ReadonlyArray<readonly [string, string]> = [["Retry-After", "5"]];
const UPGRADE_WEBSOCKET: ReadonlyArray<readonly [string, string]> = [["Upgrade", "websocket"]];

export interface LiveLimits {
  /** WebSocket connections one worker thread holds at most; more are refused (503). */
  readonly maxConnections: number;
  /** Seconds without any frame (pings included) before uWS closes a connection. */
  readonly idleSeconds: number;
  /** Bytes queued for one slow client before it is dropped. */
  readonly maxBackpressureBytes: number;
}

export interface LiveFeed {
  /** The worker drains: stop the timer and close every feed (1001 going away), so the thread can exit. */
  stop(): void;
}

export function registerLiveFeed(
  app: TemplatedApp,
  reader: StatsReader,
  cors: CorsPolicy,
  limits: LiveLimits,
): LiveFeed {
  let connections = 0;
  const open = new Set<WebSocket<unknown>>();
  let stopped = false;
  const message = () => {
    const total = reader.totalVisits();
    const recent = reader.recentVisits(WINDOW_SECONDS);
    return { total, recent };
  };
  const frame = (total: number, recent: number) =>
    `{"type":"count","total_visits":${total},"recent_visits":${recent},"timeframe_hours":1,"current_time":"${new Date().toISOString()}"}`;
  // What each group was last sent, so an unchanged count is not resent.
  const lastTotal = new Array<number>(GROUPS).fill(-1);
  const lastRecent = new Array<number>(GROUPS).fill(-1);
  let nextGroup = 0;
  let turn = 0;

  app.ws("/live", {
    maxPayloadLength: LIVE_MAX_INBOUND_BYTES,
    idleTimeout: limits.idleSeconds,
    maxBackpressure: limits.maxBackpressureBytes,
    closeOnBackpressureLimit: 1,
    sendPingsAutomatically: true,
    upgrade: (res, req, context: us_socket_context_t) => {
      const origin = req.getHeader("origin");
      const key = req.getHeader("sec-websocket-key");
      const protocol = req.getHeader("sec-websocket-protocol");
      const extensions = req.getHeader("sec-websocket-extensions");
      if (stopped || connections >= limits.maxConnections) {
        return refuse(res, cors, origin, "503 Service Unavailable", TOO_MANY, RETRY_AFTER_5, true);
      }
      // Browsers send Origin on a WebSocket too; the same list as CORS decides (none: not a browser).
      if (origin !== "" && cors.allowOriginFor(origin) === undefined) {
        return refuse(res, cors, origin, "403 Forbidden", ORIGIN_NOT_ALLOWED, [], true);
      }
      connections++; // counted at upgrade so a burst cannot overshoot the limit
      res.upgrade({}, key, protocol, extensions, context);
    },
    open: (ws: WebSocket<unknown>) => {
      open.add(ws);
      ws.subscribe(TOPICS[nextGroup++ % GROUPS] as string);
      const { total, recent } = message();
      ws.send(frame(total, recent), false);
    },
    message: () => {
      // Ignored: the feed is one-way.
    },
    close: (ws: WebSocket<unknown>) => {
      open.delete(ws);
      connections--;
    },
  });

  // A plain GET (no Upgrade header) falls through uWS's WebSocket route to here: say what /live is.
  app.get("/live", (res, req) => {
    refuse(res, cors, req.getHeader("origin"), "426 Upgrade Required", UPGRADE_REQUIRED, UPGRADE_WEBSOCKET, false);
  });

  // Past maxBackpressure uWS drops a subscriber's messages rather than queue them, so its backlog
  // hovers near the limit. A backlog over half the limit at a sweep means the client is not
  // reading: hang up, so its memory is freed now and its widget reconnects to a fresh count.
  const sweep = setInterval(() => {
    for (const ws of open) {
      if (ws.getBufferedAmount() > limits.maxBackpressureBytes / 2) {
        open.delete(ws);
        ws.close();
      }
    }
  }, SWEEP_MS);
  sweep.unref();

  const timer = setInterval(() => {
    const group = turn++ % GROUPS;
    if (connections === 0) return;
    const { total, recent } = message();
    if (total === lastTotal[group] && recent === lastRecent[group]) return;
    lastTotal[group] = total;
    lastRecent[group] = recent;
    app.publish(TOPICS[group] as string, frame(total, recent), false);
  }, LIVE_INTERVAL_MS / GROUPS);
  timer.unref();

  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      clearInterval(sweep);
      for (const ws of [...open]) {
        try {
          ws.end(1001, "server shutting down");
        } catch {}
      }
    },
  };
}

/**
 * A JSON error instead of an upgrade, with the CORS headers every other answer
 * carries, as http/respond.ts writes them (so a page on an allowed origin can
 * read why). Closing, uWS writes `Connection: close` itself.
 */
function refuse(
  res: HttpResponse,
  cors: CorsPolicy,
  origin: string,
  status: string,
  body: string,
  headers: ReadonlyArray<readonly [string, string]>,
  close: boolean,
): void {
  res.writeStatus(status).writeHeader("Content-Type", "application/json");
  const allowOrigin = cors.allowOriginFor(origin);
  if (allowOrigin !== undefined) {
    res.writeHeader("Access-Control-Allow-Origin", allowOrigin);
    if (!cors.allowAll) res.writeHeader("Vary", "Origin");
  }
  for (const [name, value] of headers) res.writeHeader(name, value);
  res.end(body, close);
}
