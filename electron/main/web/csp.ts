/**
 * The Content-Security-Policy of the renderer: no remote source of any kind, no inline script,
 * images only from the app itself (so model output cannot fetch or exfiltrate through <img>).
 */
export function rendererCsp(extraConnect: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...extraConnect].join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
