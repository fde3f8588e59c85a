/**
 * @module The operators' endpoints in /openapi.json: their paths, the bearer
 * security scheme they take, and their answers.
 */
const json = (ref: string) => ({ "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } });
const error = (description: string, ref = "HTTPError") => ({ description, content: json(ref) });

export const ADMIN_SECURITY_SCHEMES = {
  adminToken: {
    type: "http",
    scheme: "bearer",
    description:
      "The --admin-token (ADMIN_TOKEN) of the service. When none is set, these endpoints answer loopback clients only (403 otherwise).",
  },
};

const ACCESS_ERRORS = {
  "401": error("A token is set and the request lacks it or sends another (WWW-Authenticate: Bearer)"),
  "403": error("No token is set and the client is not on loopback"),
};
const NO_STORE = "The service runs with --no-persist (no records), or too many queries run (Retry-After)";

export function operatorPaths(timeframeHours: unknown): Record<string, unknown> {
  const security = [{ adminToken: [] }];
  return {
    "/analytics": {
      get: {
        summary: "What the campaign drew: visits, unique visitors, top pages and referrers, a time series",
        operationId: "getAnalytics",
        security,
        parameters: [
          {
            name: "timeframe_hours",
            in: "query",
            required: false,
            description: "Window in hours (decimal number, 0.1 to 168), the same W seconds /stats counts.",
            schema: timeframeHours,
          },
          {
            name: "limit",
            in: "query",
            required: false,
            description: "Most entries in top_pages and top_referrers.",
            schema: { type: "integer", minimum: 1, maximum: 100, default: 10 },
          },
        ],
        responses: {
          "200": { description: "The numbers of the window", content: json("AnalyticsResponse") },
          ...ACCESS_ERRORS,
          "422": error("timeframe_hours or limit out of their rules", "HTTPValidationError"),
          "503": error(`${NO_STORE}, or the query took too long`),
        },
      },
    },
    "/export": {
      get: {
        summary: "Every stored visit as a file (streamed, ordered by visit_count)",
        operationId: "exportVisits",
        security,
        parameters: [
          {
            name: "format",
            in: "query",
            required: false,
            schema: { type: "string", enum: ["parquet", "csv", "ndjson"], default: "parquet" },
          },
          {
            name: "from",
            in: "query",
            required: false,
            description: "Visits at or after this instant (ISO 8601; a date alone is UTC midnight).",
            schema: { type: "string", format: "date-time" },
          },
          {
            name: "to",
            in: "query",
            required: false,
            description: "Visits before this instant.",
            schema: { type: "string", format: "date-time" },
          },
        ],
        responses: {
          "200": {
            description:
              "Columns visit_count, ts (UTC), user_id, page_url, user_agent, ip_address, referrer; Content-Disposition: attachment",
            content: {
              "application/vnd.apache.parquet": {
                schema: { type: "string", contentMediaType: "application/vnd.apache.parquet" },
              },
              "text/csv": { schema: { type: "string" } },
              "application/x-ndjson": { schema: { type: "string" } },
            },
          },
          ...ACCESS_ERRORS,
          "422": error("format, from or to not understood", "HTTPValidationError"),
          "503": error(`${NO_STORE}; an export already runs`),
        },
      },
    },
    "/dashboard": {
      get: {
        summary: "The operators' dashboard (HTML; every asset served by the service)",
        operationId: "dashboard",
        security,
        responses: {
          "200": { description: "The page", content: { "text/html": { schema: { type: "string" } } } },
          "401": {
            description:
              "A token is set and not sent: browsers (Accept: text/html) get the page, which asks for the token; others the JSON error",
            content: { ...json("HTTPError"), "text/html": { schema: { type: "string" } } },
          },
          "403": ACCESS_ERRORS["403"],
        },
      },
    },
  };
}
