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
  /**
   * The service definition object a handler is served with and the handler's key in it, where
   * the build named the definition but could not read its type (the text-edit core): the method
   * is read from the object at run time.
   */
  readonly definition?: { readonly service: unknown; readonly key: string };
}
