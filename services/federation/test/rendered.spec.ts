// deploy/nats/rendered/ and each Kubernetes overlay's nats.conf are what the region tests and
// the clusters use: they must be exactly what the renderer makes of deploy/region.yaml, the
// policies and deploy/nats/city.conf today.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  overlaysDir,
  renderedDir,
  renderedTargets,
  renderFromFiles,
  repoRoot,
  staleTargets,
} from '../src/region-files.js';

describe('the rendered configurations', () => {
  const files = renderFromFiles();

  it('deploy/nats/rendered holds exactly the hub and every city of region.yaml', () => {
    expect(
      readdirSync(renderedDir)
        .filter((f) => f.endsWith('.conf'))
        .sort(),
    ).toEqual([...files.keys()].sort());
  });

  it('k8s/overlays has an overlay with its nats.conf for the hub and every city, and no other', () => {
    const withNats = readdirSync(overlaysDir).filter((d) =>
      existsSync(path.join(overlaysDir, d, 'nats.conf')),
    );
    expect(withNats.sort()).toEqual([...files.keys()].map((f) => f.replace(/\.conf$/, '')).sort());
    expect(staleTargets(files)).toEqual([]);
  });

  it('have not drifted from region.yaml, the policies and city.conf (fix: pnpm federation:render)', () => {
    const targets = renderedTargets(files);
    expect(targets.size).toBe(files.size * 2);
    for (const [file, text] of targets) {
      const name = path.relative(repoRoot, file);
      expect(readFileSync(file, 'utf8'), `${name} drifted: run pnpm federation:render`).toBe(text);
    }
  });
});
