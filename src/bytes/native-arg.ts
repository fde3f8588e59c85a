/**
 * @module Fixed strings that the hot path hands to uWS on every request,
 * encoded once. uWS converts a string argument to UTF-8 on each call (a
 * length pass, a copy, a malloc); an ArrayBuffer it reads in place, and a
 * plain ArrayBuffer skips the view-to-buffer step a Uint8Array costs.
 * Measured in the server (CPU per request over 10 extra calls, wrk): 0.155 vs
 * 0.09 µs a getHeader, 0.37 vs 0.23 µs a writeHeader.
 */
export const nativeArg = (text: string): ArrayBuffer => new TextEncoder().encode(text).buffer;
