import { FEW_CALLS_NOTE, formatPercentile, restsOnFewCalls, type OperationRow } from './metrics.js';
import type { WaterfallSpan } from './model.js';

export interface HtmlOptions {
  readonly title?: string;
  /** A table of each service's operations (calls, errors, percentiles) above the traces. */
  readonly operations?: readonly OperationRow[];
}

/**
 * One self-contained HTML page (inline style and script, no network) with a waterfall per trace;
 * clicking a span shows its details. Span data goes in as JSON inside a script element, escaped
 * so that no value can close it, and the page inserts every value with `textContent`.
 */
export function renderHtml(spans: readonly WaterfallSpan[], options: HtmlOptions = {}): string {
  const title = escapeText(options.title ?? 'spanweave traces');
  const data = JSON.stringify(spans).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${title}</h1><p id="summary"></p></header>
${options.operations ? operationsTable(options.operations) : ''}<main><section id="traces"></section><aside id="details"><p class="hint">Click a span to see its details.</p></aside></main>
<script type="application/json" id="spans">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** Every call the services counted, sampled or not: the duration metrics the tags record. */
function operationsTable(rows: readonly OperationRow[]): string {
  const ms = (seconds: number, row: OperationRow): string => escapeText(formatPercentile(seconds, row));
  const body = rows
    .map((r) => `<tr><td>${escapeText(r.service)}</td><td>${escapeText(r.operation)}</td><td>${r.calls}</td><td>${r.errors}</td><td>${ms(r.p50, r)}</td><td>${ms(r.p95, r)}</td><td>${ms(r.p99, r)}</td></tr>`)
    .join('');
  const note = rows.some(restsOnFewCalls) ? `<p class="hint">${escapeText(FEW_CALLS_NOTE)}</p>` : '';
  return `<section id="operations"><table><thead><tr><th>service</th><th>operation</th><th>calls</th><th>errors</th><th>p50</th><th>p95</th><th>p99</th></tr></thead><tbody>${body}</tbody></table>${note}</section>
`;
}

function escapeText(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:13px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2933;background:#f7f8fa}
header{padding:14px 20px;background:#fff;border-bottom:1px solid #e4e7eb}
#operations{padding:12px 20px 0}#operations table{border-collapse:collapse;background:#fff;border:1px solid #e4e7eb}#operations th,#operations td{padding:4px 10px;border-bottom:1px solid #eef0f2;text-align:right}#operations th:nth-child(-n+2),#operations td:nth-child(-n+2){text-align:left}h1{font-size:16px;margin:0}#summary{margin:4px 0 0;color:#616e7c}
main{display:grid;grid-template-columns:minmax(0,1fr) 380px;gap:16px;padding:16px 20px}
.trace{background:#fff;border:1px solid #e4e7eb;border-radius:6px;margin-bottom:16px;overflow:hidden}
.trace h2{font-size:13px;margin:0;padding:8px 12px;background:#f0f4f8;border-bottom:1px solid #e4e7eb;font-weight:600}
.trace h2 .meta{color:#616e7c;font-weight:400;margin-left:8px}
.row{display:grid;grid-template-columns:minmax(180px,36%) 110px minmax(0,1fr) 76px;align-items:center;gap:8px;padding:3px 12px;cursor:pointer;border-bottom:1px solid #f0f4f8}
.row:hover{background:#f5f7fa}.row.selected{background:#e6f0ff}
.name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.name .kind{font-size:10px;color:#7b8794;margin-left:6px}
.service{color:#52606d;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.track{position:relative;height:14px;background:#f5f7fa;border-radius:3px}.bar{position:absolute;top:2px;height:10px;border-radius:2px;min-width:2px}
.SERVER .bar{background:#2f80ed}.CLIENT .bar{background:#27ae9f}.INTERNAL .bar{background:#9aa5b1}.PRODUCER .bar,.CONSUMER .bar{background:#9b51e0}
.row.error .bar{background:#e12d39}.row.error .name{color:#ba2525}
.duration{text-align:right;color:#52606d;font-variant-numeric:tabular-nums}
aside{background:#fff;border:1px solid #e4e7eb;border-radius:6px;padding:12px 14px;align-self:start;position:sticky;top:16px;max-height:calc(100vh - 32px);overflow:auto}
aside h3{margin:0 0 6px;font-size:14px;word-break:break-all}aside h4{margin:14px 0 4px;font-size:12px;color:#616e7c;text-transform:uppercase;letter-spacing:.04em}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 10px;margin:0}dt{color:#616e7c}dd{margin:0;word-break:break-all;font-family:ui-monospace,Menlo,monospace;font-size:12px}
pre{white-space:pre-wrap;word-break:break-all;font-size:11px;background:#f5f7fa;padding:6px;border-radius:4px}.hint{color:#7b8794}.status-ERROR{color:#ba2525;font-weight:600}
`;

// Runs in the page; it only ever writes text nodes.
const SCRIPT = `
(function () {
  var spans = JSON.parse(document.getElementById('spans').textContent);
  var el = function (tag, className, text) { var e = document.createElement(tag); if (className) e.className = className; if (text !== undefined) e.textContent = String(text); return e; };
  var ms = function (v) { return v >= 1000 ? (v / 1000).toFixed(2) + ' s' : v >= 10 ? v.toFixed(1) + ' ms' : v.toFixed(2) + ' ms'; };
  var traces = {}, order = [];
  spans.forEach(function (s) { if (!traces[s.traceId]) { traces[s.traceId] = []; order.push(s.traceId); } traces[s.traceId].push(s); });
  document.getElementById('summary').textContent = spans.length + ' spans in ' + order.length + ' traces';
  var container = document.getElementById('traces'), details = document.getElementById('details'), selected;
  order.map(function (id) {
    var members = traces[id], ids = {};
    members.forEach(function (s) { ids[s.spanId] = true; });
    var start = Math.min.apply(null, members.map(function (s) { return s.startMs; }));
    var end = Math.max.apply(null, members.map(function (s) { return s.startMs + s.durationMs; }));
    return { id: id, members: members, ids: ids, start: start, duration: Math.max(end - start, 0.001) };
  }).sort(function (a, b) { return a.start - b.start; }).forEach(function (t) {
    var section = el('div', 'trace'), heading = el('h2', '', 'trace ' + t.id);
    var errors = t.members.filter(function (s) { return s.status.code === 'ERROR'; }).length;
    heading.appendChild(el('span', 'meta', ms(t.duration) + ' · ' + t.members.length + ' spans' + (errors ? ' · ' + errors + ' with errors' : '')));
    section.appendChild(heading);
    var walk = function (parent, depth) {
      t.members.filter(function (s) { return parent === undefined ? !(s.parentSpanId && t.ids[s.parentSpanId]) : s.parentSpanId === parent; })
        .sort(function (a, b) { return a.startMs - b.startMs; })
        .forEach(function (s) {
          var row = el('div', 'row ' + s.kind + (s.status.code === 'ERROR' ? ' error' : ''));
          row.dataset.spanId = s.spanId;
          var name = el('div', 'name', s.name); name.style.paddingLeft = depth * 14 + 'px';
          name.appendChild(el('span', 'kind', s.kind));
          var track = el('div', 'track'), bar = el('div', 'bar');
          bar.style.left = ((s.startMs - t.start) / t.duration * 100) + '%';
          bar.style.width = Math.max(s.durationMs / t.duration * 100, 0.3) + '%';
          track.appendChild(bar);
          row.append(name, el('div', 'service', s.service), track, el('div', 'duration', ms(s.durationMs)));
          row.addEventListener('click', function () { if (selected) selected.classList.remove('selected'); selected = row; row.classList.add('selected'); show(s); });
          section.appendChild(row);
          walk(s.spanId, depth + 1);
        });
    };
    walk(undefined, 0);
    container.appendChild(section);
  });
  function list(title, entries) {
    if (!entries.length) return;
    details.appendChild(el('h4', '', title));
    var dl = el('dl');
    entries.forEach(function (e) { dl.append(el('dt', '', e[0]), el('dd', '', typeof e[1] === 'string' ? e[1] : JSON.stringify(e[1]))); });
    details.appendChild(dl);
  }
  function show(s) {
    details.replaceChildren(el('h3', '', s.name));
    list('Span', [['kind', s.kind], ['service', s.service], ['status', s.status.code + (s.status.message ? ': ' + s.status.message : '')], ['duration', ms(s.durationMs)],
      ['start', new Date(s.startMs).toISOString()], ['trace id', s.traceId], ['span id', s.spanId], ['parent id', s.parentSpanId || '(root)']]);
    details.querySelectorAll('dd')[2].className = 'status-' + s.status.code;
    list('Attributes', Object.keys(s.attributes).sort().map(function (k) { return [k, s.attributes[k]]; }));
    s.events.forEach(function (e) {
      details.appendChild(el('h4', '', 'Event: ' + e.name));
      var stack = e.attributes['exception.stacktrace'];
      list('', Object.keys(e.attributes).filter(function (k) { return k !== 'exception.stacktrace'; }).map(function (k) { return [k, e.attributes[k]]; }));
      if (stack) details.appendChild(el('pre', '', stack));
    });
    list('Links', s.links.map(function (l) { return ['trace ' + l.traceId, 'span ' + l.spanId]; }));
    list('Resource', Object.keys(s.resource).sort().map(function (k) { return [k, s.resource[k]]; }));
  }
})();
`;
