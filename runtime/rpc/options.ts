/** What a `grpc.server` / `grpc.client` tag passes to the runtime beyond the span name. */
export interface GrpcTagOptions {
  /** `public`: the caller is not trusted; start a new trace linked to the incoming one. */
  readonly public?: boolean;
  /** `metadata=a,b`: metadata keys whose values are recorded as attributes. */
  readonly metadata?: readonly string[];
  /** `messages`: an `rpc.message` event per message sent and received. */
  readonly messages?: boolean;
  /**
   * `package.Service/Method`, where the transformer resolved it from a service definition: for
   * stacks that do not tell a handler which method it serves (nice-grpc).
   */
  readonly method?: string;
}
