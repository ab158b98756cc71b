// Reads the region description, its cities' policies and city.conf from disk, and renders the
// nats-server configurations (the I/O around domain/render.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type Policy, parsePolicy } from './domain/policy.js';
import { parseRegion, policiesOf, type Region } from './domain/region.js';
import { renderRegion } from './domain/render.js';

/** The repository root (this file is services/federation/src or …/dist). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const defaultRegionFile = path.join(repoRoot, 'deploy/region.yaml');
export const defaultCityConf = path.join(repoRoot, 'deploy/nats/city.conf');
export const renderedDir = path.join(repoRoot, 'deploy/nats/rendered');
/** Kustomize loads files only below an overlay: each overlay gets its own copy as nats.conf. */
export const overlaysDir = path.join(repoRoot, 'k8s/overlays');

export function readYaml(file: string): unknown {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

/** Reads and validates a policy file. */
export function readPolicyFile(file: string, neighbours?: readonly string[]): Policy {
  return parsePolicy(readYaml(file), file, neighbours ? { neighbours } : {});
}

export function readRegion(regionFile = defaultRegionFile): {
  region: Region;
  policies: Map<string, Policy>;
  files: string[];
} {
  const region = parseRegion(readYaml(regionFile), regionFile);
  const dir = path.dirname(regionFile);
  const files = [regionFile];
  const policies = policiesOf(region, (policyFile) => {
    const file = path.resolve(dir, policyFile);
    files.push(file);
    return { document: readYaml(file), source: file };
  });
  return { region, policies, files };
}

/** Renders hub.conf and <city>.conf; header paths are relative to the repository root. */
export function renderFromFiles(
  regionFile = defaultRegionFile,
  cityConfFile = defaultCityConf,
): Map<string, string> {
  const { region, policies, files } = readRegion(regionFile);
  return renderRegion({
    region,
    policies,
    cityConf: readFileSync(cityConfFile, 'utf8'),
    sources: [...files, cityConfFile].map((f) => path.relative(repoRoot, f)),
  });
}

/**
 * Where each rendered configuration is committed (absolute path → content): `<name>.conf` in
 * `outDir`, and the same text as `<name>/nats.conf` in `overlays` (hub and every city).
 */
export function renderedTargets(
  files: ReadonlyMap<string, string>,
  outDir = renderedDir,
  overlays = overlaysDir,
): Map<string, string> {
  const targets = new Map<string, string>();
  for (const [name, text] of files) {
    targets.set(path.join(outDir, name), text);
    targets.set(path.join(overlays, name.replace(/\.conf$/, ''), 'nats.conf'), text);
  }
  return targets;
}

/** Committed files the region no longer renders: a `.conf` in `outDir`, an overlay's nats.conf. */
export function staleTargets(
  files: ReadonlyMap<string, string>,
  outDir = renderedDir,
  overlays = overlaysDir,
): string[] {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  return [
    ...list(outDir)
      .filter((f) => f.endsWith('.conf') && !files.has(f))
      .map((f) => path.join(outDir, f)),
    ...list(overlays)
      .filter((d) => !files.has(`${d}.conf`) && existsSync(path.join(overlays, d, 'nats.conf')))
      .map((d) => path.join(overlays, d, 'nats.conf')),
  ];
}
