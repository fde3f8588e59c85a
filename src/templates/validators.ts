/**
 * @module typia templates. `npm run generate` compiles this file into
 * src/generated/validators.ts (committed; CI checks it is current).
 */
import typia from "typia";
import type {
  AnalyticsResponse,
  HealthResponse,
  HTTPError,
  HTTPValidationError,
  ReadyResponse,
  StatsQuery,
  StatsResponse,
  VisitRequest,
  VisitResponse,
} from "../contract/types.js";

/** Every type the API exchanges (the generated file keeps this; it uses the imports). */
export type ApiTypes = [
  VisitRequest,
  VisitResponse,
  StatsQuery,
  StatsResponse,
  HealthResponse,
  ReadyResponse,
  HTTPValidationError,
  HTTPError,
  AnalyticsResponse,
];

/** Fast path: a yes/no check that allocates nothing. */
export const isVisitRequest = typia.createIs<VisitRequest>();
/** Slow path, for rejected bodies only: says what is wrong. */
export const validateVisitRequest = typia.createValidate<VisitRequest>();
export const validateStatsQuery = typia.createValidate<StatsQuery>();

/** JSON Schemas (OpenAPI 3.1 flavour) of every type the API exchanges. */
export const schemas = typia.json.schemas<
  [
    VisitRequest,
    VisitResponse,
    StatsQuery,
    StatsResponse,
    HealthResponse,
    ReadyResponse,
    HTTPValidationError,
    HTTPError,
    AnalyticsResponse,
  ],
  "3.1"
>();
