// One bare uWS thread: the ceiling the real service is measured against.

import type { us_listen_socket } from "uWebSockets.js";
import { parentPort, workerData } from "node:worker_threads";
import { loadUws } from "../src/server/uws.js";

const { uws } = loadUws();
const { host, port } = workerData as { host: string; port: number };
const BODY = '{"success":true,"visit_count":1,"message":"Visit logged successfully. Total visits: 1"}';
let token: us_listen_socket | undefined;

uws
  .App()
  .post("/visit", (res) => {
    res.onAborted(() => {});
    res.onData((_chunk, isLast) => {
      if (isLast) {
        res.cork(() => {
          res.writeHeader("Content-Type", "application/json").end(BODY);
        });
      }
    });
  })
  .get("/health", (res) => {
    res.writeHeader("Content-Type", "application/json").end('{"status":"healthy"}');
  })
  .listen(host, port, (t) => {
    if (!t) throw new Error(`baseline cannot listen on ${host}:${port}`);
    token = t;
    parentPort?.postMessage("ready");
  });

parentPort?.on("message", () => {
  if (token) uws.us_listen_socket_close(token);
  token = undefined;
  parentPort?.close();
});
