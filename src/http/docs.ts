/**
 * @module /openapi.json, /docs (Swagger UI) and /redoc (ReDoc), with every
 * asset served from installed packages: the docs work with no internet.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

export interface StaticAsset {
  readonly contentType: string;
  /** Read on first request, then kept (a few MB per worker, only if the docs are used). */
  readonly load: () => Buffer | string;
}

function packageFile(pkg: string, file: string): () => Buffer {
  let cached: Buffer | undefined;
  return () => {
    cached ??= readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), file));
    return cached;
  };
}

const page = (title: string, head: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>${head}</head><body>${body}</body></html>
`;

const SWAGGER_HTML = page(
  "traffic-tracker — Swagger UI",
  '<link rel="stylesheet" href="/docs/swagger-ui.css">',
  `<div id="swagger-ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });</script>`,
);

const REDOC_HTML = page(
  "traffic-tracker — ReDoc",
  "<style>body{margin:0}</style>",
  '<redoc spec-url="/openapi.json"></redoc><script src="/redoc/redoc.standalone.js"></script>',
);

const JS = "application/javascript; charset=utf-8";
const HTML = "text/html; charset=utf-8";

/** Path → asset. Every entry is a GET (and HEAD) route. */
export function docsAssets(): ReadonlyMap<string, StaticAsset> {
  return new Map<string, StaticAsset>([
    ["/docs", { contentType: HTML, load: () => SWAGGER_HTML }],
    [
      "/docs/swagger-ui.css",
      { contentType: "text/css; charset=utf-8", load: packageFile("swagger-ui-dist", "swagger-ui.css") },
    ],
    ["/docs/swagger-ui-bundle.js", { contentType: JS, load: packageFile("swagger-ui-dist", "swagger-ui-bundle.js") }],
    ["/redoc", { contentType: HTML, load: () => REDOC_HTML }],
    ["/redoc/redoc.standalone.js", { contentType: JS, load: packageFile("redoc", "bundles/redoc.standalone.js") }],
  ]);
}
