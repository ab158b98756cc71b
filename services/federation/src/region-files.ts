// Reads the region description, its cities' policies and city.conf from disk, and renders the
// nats-server configurations (the I/O around domain/render.ts).
import { readFileSync } from 'node:fs';
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
