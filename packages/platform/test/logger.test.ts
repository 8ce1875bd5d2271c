import { describe, expect, it } from 'vitest';
import { createLogger, throttledWarn } from '../src/index.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('throttle-test', { level: 'info', destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
  return { logger, lines };
}

describe('throttledWarn', () => {
  it('writes the first warning at once, holds back repeats within the interval and reports how many it held back', async () => {
    const { logger, lines } = capture();
    const warn = throttledWarn(logger, 200);
    warn({ operation: 'get' }, 'failed');
    warn({ operation: 'get' }, 'failed');
    warn({ operation: 'set' }, 'failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'failed', operation: 'get', suppressed: 0 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    warn({ operation: 'del' }, 'failed');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ operation: 'del', suppressed: 2 });
  });

  it('starts over after reset, which says whether anything had been written', () => {
    const { logger, lines } = capture();
    const warn = throttledWarn(logger, 60_000);
    expect(warn.reset()).toBe(false);
    warn({}, 'down');
    warn({}, 'down');
    expect(warn.reset()).toBe(true);
    warn({}, 'down again');
    expect(lines.map((l) => [l.msg, l.suppressed])).toEqual([
      ['down', 0],
      ['down again', 0],
    ]);
  });
});
