/** One sample line of the Prometheus text exposition format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (what GET /metrics serves); comments and blank lines skipped. */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, '$1');
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of a metric's samples whose labels match every given label. */
export function sumMetric(samples: readonly PromSample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

/** Per-label-value sums of a metric (e.g. calls per `method`), for explaining a total. */
export function sumBy(samples: readonly PromSample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? '';
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/** Difference of two per-label maps, dropping zero entries. */
export function diffBy(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}

/** Cache-related counters that moved during the measured phase, so the report shows the hits are hits. */
export function describeCacheCounters(before: readonly PromSample[], after: readonly PromSample[], phase: string): string[] {
  const names = [...new Set(after.map((s) => s.name))].filter((n) => /cache|redis|mirror|source|db_/.test(n) && !n.endsWith('_bucket'));
  const lines: string[] = [];
  for (const name of names) {
    for (const label of ['result', 'outcome', 'entity', 'operation']) {
      const delta = diffBy(sumBy(before, name, label), sumBy(after, name, label));
      if (Object.keys(delta).length > 0 && Object.keys(delta).some((k) => k !== '')) {
        lines.push(`${phase}: ${name} by ${label}: ${JSON.stringify(delta)}.`);
        break;
      }
    }
  }
  const handled = diffBy(sumBy(before, 'grpc_server_handled_total', 'code'), sumBy(after, 'grpc_server_handled_total', 'code'));
  if (Object.keys(handled).length > 0) lines.push(`${phase}: grpc_server_handled_total by code: ${JSON.stringify(handled)}.`);
  return lines;
}
