// What the `slimstad bollards …` commands share: where the bollards service is, its client,
// and following pages.
import { BollardServiceClient } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards_service';
import { promisifyUnary } from '@slimstad/kit/grpc/index';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { Cli, ServiceAddress } from '../program.js';

/**
 * The bollards service listens on its own port (50054 in a local city), not on ingest's
 * $SLIMSTAD_API: `--api` if given, else $SLIMSTAD_BOLLARDS_API, else 127.0.0.1:50054.
 */
export const BOLLARDS_API: ServiceAddress = {
  env: 'SLIMSTAD_BOLLARDS_API',
  fallback: '127.0.0.1:50054',
};

/** The BollardService methods, as promises (the client closes after the command). */
export function bollardsApi(cli: Cli, command: Command) {
  const client = cli.client(command, BollardServiceClient, BOLLARDS_API);
  return {
    createZone: promisifyUnary(client, client.createZone),
    getZone: promisifyUnary(client, client.getZone),
    listZones: promisifyUnary(client, client.listZones),
    createBollard: promisifyUnary(client, client.createBollard),
    getBollard: promisifyUnary(client, client.getBollard),
    listBollards: promisifyUnary(client, client.listBollards),
    createPermit: promisifyUnary(client, client.createPermit),
    revokePermit: promisifyUnary(client, client.revokePermit),
    listPermits: promisifyUnary(client, client.listPermits),
    checkAccess: promisifyUnary(client, client.checkAccess),
    admitVehicle: promisifyUnary(client, client.admitVehicle),
    setEmergencyMode: promisifyUnary(client, client.setEmergencyMode),
    setMaintenance: promisifyUnary(client, client.setMaintenance),
    listBollardStatus: promisifyUnary(client, client.listBollardStatus),
    listAuditEntries: promisifyUnary(client, client.listAuditEntries),
  };
}
export type BollardsApi = ReturnType<typeof bollardsApi>;

/** The largest page the service serves. */
export const MAX_PAGE = 1000;

/**
 * Calls `fetch` page after page until the service has no more or `limit` items are in hand
 * (then at most `limit` are returned). A page token that comes back twice is the service's
 * bug, not a loop.
 */
export async function allPages<T>(
  fetch: (pageToken: string, pageSize: number) => Promise<{ items: T[]; nextPageToken: string }>,
  limit = Number.POSITIVE_INFINITY,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let pageToken = '';
  do {
    const page = await fetch(pageToken, Math.min(MAX_PAGE, limit - items.length));
    items.push(...page.items);
    pageToken = page.nextPageToken;
    if (seen.has(pageToken))
      throw new CliError(`the bollards service returned page token ${pageToken} twice`);
    seen.add(pageToken);
  } while (pageToken && items.length < limit);
  return items.slice(0, limit);
}
