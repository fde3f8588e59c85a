/**
 * @module CORS as Starlette's CORSMiddleware does it: `*` by default (no
 * credentials), or an operator's list of origins echoed back with Vary.
 */

export const ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS";
export const PREFLIGHT_MAX_AGE_SECONDS = "600";

export class CorsPolicy {
  readonly allowAll: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.allowAll = origins.includes("*");
    this.origins = new Set(origins);
  }

  /** Value for Access-Control-Allow-Origin, or undefined when the origin gets none. */
  allowOriginFor(origin: string): string | undefined {
    if (this.allowAll) return "*";
    return origin !== "" && this.origins.has(origin) ? origin : undefined;
  }
}
