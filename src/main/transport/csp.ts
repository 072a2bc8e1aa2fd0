/** The renderer's Content-Security-Policy, the same for Electron (file://) and web mode (http). */
export function contentSecurityPolicy(extra: { connect?: string[] } = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${extra.connect?.length ? ` ${extra.connect.join(' ')}` : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
