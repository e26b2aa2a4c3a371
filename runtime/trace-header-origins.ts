/**
 * Which requests a traced fetch or Connect-Web call in a page carries its trace context on:
 * same-origin ones always, another origin's only where the app lists it, as the web SDK's
 * `propagateTraceHeaderCorsUrls`. `traceparent` is not a CORS-safelisted header: a cross-origin
 * request that carries it is preflighted, and a server that does not allow it refuses a request
 * that worked untraced. Outside a page (no `location`: Node) every request carries it, and so does
 * one whose address the runtime is not told (a Connect client tagged at `createClient`, whose
 * transport was made elsewhere).
 */
let listed: readonly (string | RegExp)[] = [];

/**
 * The other origins a page's traced requests carry `traceparent`, `tracestate` and `baggage` to:
 * an origin (`'https://api.example.com'`) or a pattern tested against the whole URL. Each call
 * replaces the list. Their servers must allow those headers (Access-Control-Allow-Headers).
 */
export function propagateTraceHeaderCorsUrls(urls: readonly (string | RegExp)[]): void {
  listed = [...urls];
}

export function carriesTraceHeaders(url: URL | undefined): boolean {
  const page = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (page === undefined || url === undefined) return true;
  return url.origin === page || listed.some((entry) => (typeof entry === 'string' ? originOf(entry) === url.origin : url.href.search(entry) >= 0));
}

function originOf(entry: string): string {
  try {
    return new URL(entry).origin;
  } catch {
    return entry;
  }
}
