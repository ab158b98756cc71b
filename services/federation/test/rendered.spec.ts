// deploy/nats/rendered/ is what Kubernetes and the region tests use: it must be exactly what
// the renderer makes of deploy/region.yaml, the policies and deploy/nats/city.conf today.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderedDir, renderFromFiles } from '../src/region-files.js';

describe('deploy/nats/rendered', () => {
  it('has not drifted from region.yaml, the policies and city.conf (fix: pnpm federation:render)', () => {
    const files = renderFromFiles();
    expect(
      readdirSync(renderedDir)
        .filter((f) => f.endsWith('.conf'))
        .sort(),
    ).toEqual([...files.keys()].sort());
    for (const [name, text] of files) {
      expect(
        readFileSync(`${renderedDir}/${name}`, 'utf8'),
        `${name} drifted: run pnpm federation:render`,
      ).toBe(text);
    }
  });
});
