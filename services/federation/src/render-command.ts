// `pnpm federation:render [--check] [region.yaml] [out dir] [overlays dir]`: writes the region's
// nats-server configurations to deploy/nats/rendered/<name>.conf and the same text to each
// Kubernetes overlay's k8s/overlays/<name>/nats.conf (hub and every city), or with --check
// exits 1 naming the files that drifted from region.yaml, the policies and city.conf.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  defaultRegionFile,
  overlaysDir,
  renderedDir,
  renderedTargets,
  renderFromFiles,
  repoRoot,
  staleTargets,
} from './region-files.js';

const args = process.argv.slice(2);
const check = args.includes('--check');
const [regionFile = defaultRegionFile, outDir = renderedDir, overlays = overlaysDir] = args.filter(
  (a) => a !== '--check',
);
const shown = (file: string) => path.relative(repoRoot, file);

try {
  const files = renderFromFiles(regionFile);
  const targets = renderedTargets(files, outDir, overlays);
  const stale = staleTargets(files, outDir, overlays).map(shown);
  const drifted = [...targets].filter(([file, text]) => {
    try {
      return readFileSync(file, 'utf8') !== text;
    } catch {
      return true;
    }
  });
  if (check) {
    if (drifted.length || stale.length) {
      process.stderr.write(
        `${[...drifted.map(([f]) => shown(f)), ...stale].join(', ')} drifted: run pnpm federation:render\n`,
      );
      process.exit(1);
    }
    process.stdout.write(`${targets.size} configurations up to date\n`);
  } else {
    for (const [file, text] of targets) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    process.stdout.write(`wrote ${[...targets.keys()].map(shown).join(', ')}\n`);
    if (stale.length)
      process.stdout.write(`not in the region any more (delete?): ${stale.join(', ')}\n`);
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
