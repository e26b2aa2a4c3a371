import { writeFileSync } from 'node:fs';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { renderHtml } from './html.js';
import { fromReadableSpan, type WaterfallSpan } from './model.js';
import { renderTerminal } from './terminal.js';

export interface WaterfallOptions {
  /** Where the terminal waterfall goes (default process.stdout); null for none. */
  readonly output?: NodeJS.WritableStream | null;
  /** The HTML file to (re)write with every trace seen so far (default none). */
  readonly htmlFile?: string;
  /** ANSI colors; default: the output is a TTY and NO_COLOR is not set. */
  readonly color?: boolean;
  /** Terminal width; default the output's columns, else 120. */
  readonly width?: number;
}

/** ExportResultCode.SUCCESS of @opentelemetry/core, without a run-time dependency on it. */
const SUCCESS: ExportResult = { code: 0 };

/**
 * A SpanExporter for development: it keeps the spans it is given and, on `forceFlush()` and
 * `shutdown()`, prints each trace not yet printed as a terminal waterfall and rewrites the HTML
 * file with all traces. Several providers (one per service) may share one instance.
 */
export class WaterfallExporter implements SpanExporter {
  private readonly spans: WaterfallSpan[] = [];
  private printed = 0;

  constructor(private readonly options: WaterfallOptions = {}) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    for (const span of spans) this.spans.push(fromReadableSpan(span));
    resultCallback(SUCCESS);
  }

  /** Every span exported so far. */
  collected(): readonly WaterfallSpan[] {
    return this.spans;
  }

  async forceFlush(): Promise<void> {
    const output = this.options.output === undefined ? process.stdout : this.options.output;
    const fresh = this.spans.slice(this.printed);
    if (output && fresh.length > 0) {
      const tty = output as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
      const color = this.options.color ?? (tty.isTTY === true && process.env.NO_COLOR === undefined);
      output.write(`${renderTerminal(fresh, { color, width: this.options.width ?? tty.columns ?? 120 })}\n`);
    }
    this.printed = this.spans.length;
    if (this.options.htmlFile) writeFileSync(this.options.htmlFile, renderHtml(this.spans));
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }
}
