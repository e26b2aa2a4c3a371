/** What an `http.server` tag passes to the runtime beyond the span name. */
export interface HttpServerOptions {
  /** `public`: the caller is not trusted; start a new trace linked to the incoming one. */
  readonly public?: boolean;
  /** `route=/users/:id`: the route template, for `http.route` and the span name. */
  readonly route?: string;
  /** `headers=a,b`: request headers whose values are recorded as attributes. */
  readonly headers?: readonly string[];
}
