// `pnpm federation:render [--check] [region.yaml] [out dir]`: writes the region's
// nats-server configurations to deploy/nats/rendered/, or with --check exits 1 naming the
// files that drifted from region.yaml, the policies and city.conf.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultRegionFile, renderedDir, renderFromFiles } from './region-files.js';

const args = process.argv.slice(2);
const check = args.includes('--check');
const [regionFile = defaultRegionFile, outDir = renderedDir] = args.filter((a) => a !== '--check');

try {
  const files = renderFromFiles(regionFile);
  mkdirSync(outDir, { recursive: true });
  const stale = readdirSync(outDir).filter((f) => f.endsWith('.conf') && !files.has(f));
  const drifted = [...files].filter(([name, text]) => {
    try {
      return readFileSync(path.join(outDir, name), 'utf8') !== text;
    } catch {
      return true;
    }
  });
  if (check) {
    if (drifted.length || stale.length) {
      process.stderr.write(
        `${[...drifted.map(([n]) => n), ...stale].join(', ')} drifted: run pnpm federation:render\n`,
      );
      process.exit(1);
    }
    process.stdout.write(`${files.size} configurations up to date in ${outDir}\n`);
  } else {
    for (const [name, text] of files) writeFileSync(path.join(outDir, name), text);
    process.stdout.write(`wrote ${[...files.keys()].join(', ')} to ${outDir}\n`);
    if (stale.length)
      process.stdout.write(`not in the region any more (delete?): ${stale.join(', ')}\n`);
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
