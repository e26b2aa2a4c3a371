import { errorMessage, formatDuration, traceViews, type WaterfallSpan } from './model.js';

export interface TerminalOptions {
  /** Columns to fill (default 120). */
  readonly width?: number;
  /** ANSI colors (default off). */
  readonly color?: boolean;
}

const KIND_COLORS: Record<string, number> = { SERVER: 34, CLIENT: 36, PRODUCER: 35, CONSUMER: 35, INTERNAL: 37 };

/**
 * Each trace as a waterfall: the span tree on the left, then service, kind, a bar placed on the
 * trace's time axis, the duration, and the error if any.
 */
export function renderTerminal(spans: readonly WaterfallSpan[], options: TerminalOptions = {}): string {
  const width = Math.max(options.width ?? 120, 80);
  const paint = (code: number, text: string): string => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const blocks: string[] = [];
  for (const view of traceViews(spans)) {
    const labels = view.rows.map(({ span, depth, last }) => {
      const branches = last.slice(1, -1).map((isLast) => (isLast ? '   ' : '│  ')).join('');
      return depth === 0 ? span.name : `${branches}${last[last.length - 1] ? '└─ ' : '├─ '}${span.name}`;
    });
    const services = view.rows.map(({ span }) => span.service);
    const labelWidth = Math.min(Math.max(...labels.map((l) => l.length)), Math.floor(width * 0.4));
    const serviceWidth = Math.min(Math.max(...services.map((s) => s.length)), 16);
    const barWidth = Math.max(width - labelWidth - serviceWidth - 8 - 10 - 6, 10);
    const errors = view.rows.filter(({ span }) => span.status.code === 'ERROR').length;
    const lines = [paint(1, `trace ${view.traceId}  ${formatDuration(view.durationMs)}  ${view.rows.length} spans${errors > 0 ? `  ${errors} with errors` : ''}`)];
    view.rows.forEach(({ span }, index) => {
      const scale = view.durationMs > 0 ? barWidth / view.durationMs : 0;
      const offset = Math.min(Math.floor((span.startMs - view.startMs) * scale), barWidth - 1);
      const length = Math.max(1, Math.min(Math.round(span.durationMs * scale), barWidth - offset));
      const bar = `${' '.repeat(offset)}${'█'.repeat(length)}`.padEnd(barWidth);
      const failed = span.status.code === 'ERROR';
      const columns = [
        fit(labels[index]!, labelWidth),
        fit(span.service, serviceWidth),
        paint(KIND_COLORS[span.kind] ?? 37, span.kind.padEnd(8)),
        paint(failed ? 31 : KIND_COLORS[span.kind] ?? 37, bar),
        formatDuration(span.durationMs).padStart(9),
      ];
      const message = errorMessage(span);
      if (failed) columns.push(paint(31, `ERROR${message ? ` ${message}` : ''}`));
      lines.push(columns.join('  ').trimEnd());
    });
    blocks.push(lines.join('\n'));
  }
  return blocks.join('\n\n');
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}
