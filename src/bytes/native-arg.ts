/**
 * @module Fixed strings that the hot path hands to uWS on every request,
 * encoded once. uWS converts a string argument to UTF-8 on each call (a
 * length pass, a copy, a malloc); an ArrayBuffer it reads in place, and a
 * plain ArrayBuffer skips the view-to-buffer step a Uint8Array costs (the
 * figures are in docs/performance.md and the commit that made this).
 */
export const nativeArg = (text: string): ArrayBuffer => new TextEncoder().encode(text).buffer;
