/**
 * The name given to a traced function's inner function (its body, moved), so that a stack frame
 * of the body is named as the untraced function's was: `at record (ledger.ts:12:9)`, not
 * `at <anonymous>`. It is the last part of the span name the function would get by inference
 * (`record` of `Ledger.record`), where that is a plain identifier. Both paths give the inner
 * function the name as an object literal's key (`{ record: () => { body } }.record`), which binds
 * no name the body could see.
 */
export function frameName(inferredSpanName: string | undefined): string | undefined {
  const name = inferredSpanName?.slice(inferredSpanName.lastIndexOf('.') + 1);
  // `__proto__: value` would set the literal's prototype rather than name the function.
  return name !== undefined && IDENTIFIER.test(name) && name !== '__proto__' ? name : undefined;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
