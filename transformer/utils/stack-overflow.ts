import { TAG } from '../tags/comments.js';

/**
 * Whether `error` is the JavaScript stack running out. The walks of a syntax tree recurse, as
 * TypeScript's own `forEachChild` does, so a file nested a few thousand deep (a chain of `+` over
 * thousands of terms) exhausts the stack in spanweave before the compiler's parser and printer.
 */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && error.message.includes('call stack');
}

/** Where such a file is reported: at its first tag, else (traceAll) at its start. */
export function firstTagPosition(text: string): number {
  return Math.max(text.search(TAG), 0);
}
