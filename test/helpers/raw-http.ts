/**
 * Raw HTTP/1.1 on one kept-alive TCP connection, byte for byte: what a client
 * that trusts Content-Length sees. A body on a HEAD answer, or a header sent
 * twice, is invisible to node's http client but breaks such clients.
 */
import { connect, type Socket } from "node:net";

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface RawResponse {
  status: number;
  /** Header lines as sent, in order. */
  lines: string[];
  body: string;
}

/** Values of header `name` (any case), one per line it was sent on. */
export const headerValues = (response: RawResponse, name: string): string[] =>
  response.lines
    .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((line) => line.slice(name.length + 1).trim());

/** The single value of header `name`; fails if it was sent more than once. */
export function header(response: RawResponse, name: string): string | undefined {
  const values = headerValues(response, name);
  if (values.length > 1) throw new Error(`${name} sent ${values.length} times: ${JSON.stringify(response.lines)}`);
  return values[0];
}

/** The request's bytes; a body gets a Content-Length unless the headers frame it (Content-Length, Transfer-Encoding). */
const serialize = (r: RawRequest): string => {
  const framed = Object.keys(r.headers ?? {}).some((k) => /^(content-length|transfer-encoding)$/i.test(k));
  const length = r.body !== undefined && !framed ? { "Content-Length": String(Buffer.byteLength(r.body)) } : {};
  const headers = { Host: "test", ...length, ...r.headers };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `${r.method} ${r.path} HTTP/1.1\r\n${lines.join("")}\r\n${r.body ?? ""}`;
};

/**
 * Sends the requests one after another on one connection (each once the
 * previous answer is read), and reads each answer by its Content-Length (none
 * for a HEAD). Fails when an answer does not start with a status line (a stray
 * body before it), or after `timeoutMs`.
 */
export async function keepAliveExchange(
  port: number,
  requests: RawRequest[],
  timeoutMs = 10_000,
): Promise<RawResponse[]> {
  const socket = connect(port, "127.0.0.1");
  let buffer = "";
  let closed = false;
  let wake: () => void = () => {};
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    wake();
  });
  socket.on("close", () => {
    closed = true;
    wake();
  });
  socket.on("error", () => {});
  const deadline = performance.now() + timeoutMs;
  /** Waits until `ready()` holds; fails on close or deadline with `what`. */
  const until = async (ready: () => boolean, what: string) => {
    while (!ready()) {
      if (closed) throw new Error(`connection closed while waiting for ${what}; read ${JSON.stringify(buffer)}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; read ${JSON.stringify(buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const responses: RawResponse[] = [];
    for (const request of requests) {
      const what = `the answer to ${request.method} ${request.path}`;
      send(socket, serialize(request));
      await until(() => buffer.length >= 9, what);
      if (!buffer.startsWith("HTTP/1.1 ")) {
        throw new Error(`${what} does not start with a status line: ${JSON.stringify(buffer.slice(0, 120))}`);
      }
      await until(() => buffer.includes("\r\n\r\n"), `the head of ${what}`);
      const end = buffer.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = buffer.slice(0, end).split("\r\n");
      const response: RawResponse = { status: Number(statusLine.slice(9, 12)), lines, body: "" };
      const length = request.method === "HEAD" ? 0 : Number(header(response, "Content-Length") ?? 0);
      await until(() => buffer.length >= end + 4 + length, `the body of ${what}`);
      response.body = buffer.slice(end + 4, end + 4 + length);
      buffer = buffer.slice(end + 4 + length);
      responses.push(response);
    }
    return responses;
  } finally {
    socket.destroy();
  }
}

function send(socket: Socket, text: string): void {
  socket.write(Buffer.from(text, "latin1"));
}
