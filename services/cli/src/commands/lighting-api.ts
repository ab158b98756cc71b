// What the `slimstad lighting …` commands share: where the lighting service is, its client,
// paging, reading a JSON file, and the enum tokens of tables.
import { readFile } from 'node:fs/promises';
import { LightingServiceClient } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting_service';
import { promisifyUnary } from '@slimstad/kit/grpc/index';
import { type Command, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';
import type { Cli, ServiceAddress } from '../program.js';
import { positive } from './device-args.js';

/**
 * The lighting service listens on its own port (50053 in a local city), not on ingest's
 * $SLIMSTAD_API: `--api` if given, else $SLIMSTAD_LIGHTING_API, else 127.0.0.1:50053.
 */
export const LIGHTING_API: ServiceAddress = {
  env: 'SLIMSTAD_LIGHTING_API',
  fallback: '127.0.0.1:50053',
};

/** The LightingService methods, as promises (the client closes after the command). */
export function lightingApi(cli: Cli, command: Command) {
  const client = cli.client(command, LightingServiceClient, LIGHTING_API);
  return {
    createZone: promisifyUnary(client, client.createZone),
    updateZone: promisifyUnary(client, client.updateZone),
    deleteZone: promisifyUnary(client, client.deleteZone),
    getZone: promisifyUnary(client, client.getZone),
    listZones: promisifyUnary(client, client.listZones),
    createLamp: promisifyUnary(client, client.createLamp),
    updateLamp: promisifyUnary(client, client.updateLamp),
    deleteLamp: promisifyUnary(client, client.deleteLamp),
    getLamp: promisifyUnary(client, client.getLamp),
    listLamps: promisifyUnary(client, client.listLamps),
    getProfile: promisifyUnary(client, client.getProfile),
    setProfile: promisifyUnary(client, client.setProfile),
    setOverride: promisifyUnary(client, client.setOverride),
    clearOverride: promisifyUnary(client, client.clearOverride),
    listOverrides: promisifyUnary(client, client.listOverrides),
    listLampStates: promisifyUnary(client, client.listLampStates),
    getEnergyReport: promisifyUnary(client, client.getEnergyReport),
  };
}
export type LightingApi = ReturnType<typeof lightingApi>;

/** `--page-size` and `--all` of a list command. */
export const pageOptions = (command: Command, what: string): Command =>
  command
    .addOption(new Option('--page-size <n>', `${what} per call`).argParser(positive).default(100))
    .option('--all', 'follow every page');

/**
 * Calls `fetch` for the first page, and for every next page with `all`; `more` says that
 * pages were left. A page token that comes back twice is the service's bug, not a loop.
 */
export async function pages<T>(
  fetch: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
  all: boolean,
): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  const seen = new Set<string>();
  let pageToken = '';
  do {
    const page = await fetch(pageToken);
    items.push(...page.items);
    pageToken = page.nextPageToken;
    if (seen.has(pageToken))
      throw new CliError(`the lighting service returned page token ${pageToken} twice`);
    seen.add(pageToken);
  } while (all && pageToken);
  return { items, more: pageToken !== '' };
}

/** Reads `path` as JSON and `parse`s it; any failure is a usage error naming the file. */
export async function readJsonFile<T>(
  path: string,
  what: string,
  parse: (json: unknown) => T,
): Promise<T> {
  try {
    return parse(JSON.parse(await readFile(path, 'utf8')));
  } catch (error) {
    throw new CliError(`cannot read ${path} as ${what}: ${(error as Error).message}`, EXIT_USAGE);
  }
}

/** A number rounded for a table, e.g. 12.3456 → 12.35 with 2 digits. */
export const fixed = (value: number, digits: number): string => value.toFixed(digits);
