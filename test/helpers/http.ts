/** HTTP helpers for integration tests: keep-alive requests, raw sockets, contract checks. */
import { type Agent, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { contractValidator } from "./openapi.js";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed body when it is JSON. */
  json: any;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A string or bytes sent as-is; an array is sent chunked, one write per element. */
  body?: string | Uint8Array | Array<string | Uint8Array>;
  agent?: Agent;
  /** Validate a JSON reply against /openapi.json (default true). */
  contract?: boolean;
}

export async function request(base: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const url = new URL(path, base);
  const method = options.method ?? "GET";
  const reply = await new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(url, { method, headers: options.headers ?? {}, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        if (String(res.headers["content-type"] ?? "").startsWith("application/json") && text !== "")
          json = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    const body = options.body;
    if (Array.isArray(body)) for (const part of body) req.write(part);
    else if (body !== undefined) req.write(body);
    req.end();
  });
  if (options.contract !== false && reply.json !== undefined && method !== "HEAD") {
    await contractValidator(base).check(method, url.pathname, reply.status, reply.json);
  }
  return reply;
}

export const json = (value: unknown): RequestOptions => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(value),
});

export const visit = (
  base: string,
  body: unknown = { user_id: "u1", page_url: "https://shop.example/sale" },
  agent?: Agent,
) => request(base, "/visit", { ...json(body), ...(agent ? { agent } : {}) });

/** Writes raw bytes on one connection; resolves with everything read until the server closes or `idleMs` passes. */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  idleMs = 300,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString("latin1"), closed });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), idleMs);
    };
    socket.on("connect", () => {
      socket.write(bytes);
      arm();
    });
    socket.on("data", (c) => {
      chunks.push(c);
      arm();
    });
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // The server hanging up on us mid-write is a close, not a test failure.
      if (error.code === "ECONNRESET" || error.code === "EPIPE") finish(true);
      else reject(error);
    });
  });
}

/** Status codes of every HTTP response in a raw capture, in order. */
export const statusesIn = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));

/**
 * Linux resets connections still queued on a SO_REUSEPORT listener that closes
 * (a worker retiring): such a client got no answer, and its visit must not
 * count. Tests that retire workers use this and then check the exact total.
 */
export async function resetTolerant<T>(call: () => Promise<T>): Promise<T | "reset"> {
  try {
    return await call();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ECONNRESET") return "reset";
    throw error;
  }
}

/** Whether a new connection to the port is taken (false once every listener on it has closed). */
export function accepts(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
