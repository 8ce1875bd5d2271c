import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, plainCounter } from '../src/index.js';

describe('plainCounter', () => {
  it('exposes exactly what a prom-client counter would for the same increments, bound or by label object', async () => {
    const metrics = createMetrics();
    const plain = plainCounter(metrics, 'lookups_total', 'Lookups by entity and result', ['entity', 'result'])!;
    const reference = new Registry();
    const counter = new Counter({ name: 'lookups_total', help: 'Lookups by entity and result', labelNames: ['entity', 'result'], registers: [reference] });

    const hit = plain.labels('customer', 'hit');
    const refHit = counter.labels('customer', 'hit');
    for (let i = 0; i < 3; i++) {
      hit.inc();
      refHit.inc();
    }
    plain.inc({ entity: 'branch', result: 'miss' }, 5);
    counter.inc({ entity: 'branch', result: 'miss' }, 5);
    plain.labels('region', 'hit'); // bound but never counted: not exposed, as with prom-client

    const ours = (await metrics.registry.getSingleMetricAsString('lookups_total')).trim();
    expect(ours).toBe((await reference.getSingleMetricAsString('lookups_total')).trim());
    expect(ours).toContain('lookups_total{entity="customer",result="hit"} 3');
    expect(ours).not.toContain('region');
  });

  it('is shared by everything counting under one name in one registry, and starts from zero after a reset', async () => {
    const metrics = createMetrics();
    const a = plainCounter(metrics, 'shared_total', 'Shared', ['result'])!;
    const b = plainCounter(metrics, 'shared_total', 'Shared', ['result'])!;
    expect(b).toBe(a);
    a.labels('hit').inc();
    b.labels('hit').inc(2);
    expect(await metrics.registry.getSingleMetricAsString('shared_total')).toContain('shared_total{result="hit"} 3');
    metrics.registry.resetMetrics();
    expect(await metrics.registry.getSingleMetricAsString('shared_total')).not.toContain('result="hit"');
    a.labels('hit').inc();
    expect(await metrics.registry.getSingleMetricAsString('shared_total')).toContain('shared_total{result="hit"} 1');
    expect(plainCounter(undefined, 'x_total', 'x', ['a'])).toBeUndefined();
  });

  it('refuses a name a prom-client metric already holds', () => {
    const metrics = createMetrics();
    new Counter({ name: 'taken_total', help: 'taken', registers: [metrics.registry] });
    expect(() => plainCounter(metrics, 'taken_total', 'taken', [])).toThrow(/registered already/);
  });
});
