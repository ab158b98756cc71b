// The generated deployment files are exactly what the catalogue says (no hand edits, no
// drift), the catalogue refuses bad entries with a clear reason, and it knows every service.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCatalogue } from './generate.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const catalogue = loadCatalogue() as {
  services: { name: string; grpcPort: number; opsPort: number }[];
};

describe('the services catalogue', () => {
  it('matches the committed generated files (node deploy/catalogue/generate.mjs --check)', () => {
    const run = spawnSync(process.execPath, ['deploy/catalogue/generate.mjs', '--check'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('has an entry for every service folder', () => {
    const folders = readdirSync(join(repo, 'services'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && !['kit', 'cli'].includes(d.name))
      .map((d) => d.name);
    const names = catalogue.services.map((s) => s.name);
    for (const folder of folders) expect(names, `services/${folder}`).toContain(folder);
    for (const name of ['waste', 'alerting', 'federation']) expect(names).toContain(name);
  });

  it('uses the same laptop ports as deploy/local/services.json', () => {
    const local = JSON.parse(readFileSync(join(repo, 'deploy/local/services.json'), 'utf8')) as {
      name: string;
      grpcPort: number;
      opsPort: number;
    }[];
    for (const l of local) {
      const entry = catalogue.services.find((s) => s.name === l.name);
      expect(entry, l.name).toBeDefined();
      expect([entry?.grpcPort, entry?.opsPort], l.name).toEqual([l.grpcPort, l.opsPort]);
    }
  });

  it('refuses a bad entry, naming the service and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slimstad-catalogue-'));
    try {
      const file = join(dir, 'services.yaml');
      writeFileSync(
        file,
        [
          'services:',
          '  - { name: alpha, grpcPort: 50051, opsPort: 9464, scaling: singleton, resources: { cpu: 1m, memory: 1Mi, cpuLimit: 1m, memoryLimit: 1Mi } }',
          '  - { name: beta, grpcPort: 50051, opsPort: 9465, scaling: { min: 3, max: 2 }, resources: { cpu: 1m, memory: 1Mi, cpuLimit: 1m, memoryLimit: 1Mi }, replicas: 2 }',
        ].join('\n'),
      );
      expect(() => loadCatalogue(file)).toThrow(/beta\): grpcPort 50051 is also alpha's/);
      expect(() => loadCatalogue(file)).toThrow(/beta\): scaling must be/);
      expect(() => loadCatalogue(file)).toThrow(/beta\): unknown field replicas/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
