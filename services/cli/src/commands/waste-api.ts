// What the `slimstad waste …` commands share: where the waste service is and its client.
import { WasteServiceClient } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import { promisifyUnary } from '@slimstad/kit/grpc/index';
import type { Command } from 'commander';
import type { Cli, ServiceAddress } from '../program.js';

/**
 * The waste service listens on its own port (50055 in a local city): `--api` if given, else
 * $SLIMSTAD_WASTE_API, else 127.0.0.1:50055.
 */
export const WASTE_API: ServiceAddress = { env: 'SLIMSTAD_WASTE_API', fallback: '127.0.0.1:50055' };

/** The WasteService methods, as promises (the client closes after the command). */
export function wasteApi(cli: Cli, command: Command) {
  const client = cli.client(command, WasteServiceClient, WASTE_API);
  return {
    createBin: promisifyUnary(client, client.createBin),
    getBin: promisifyUnary(client, client.getBin),
    listBins: promisifyUnary(client, client.listBins),
    setMustVisit: promisifyUnary(client, client.setMustVisit),
    createVehicle: promisifyUnary(client, client.createVehicle),
    listVehicles: promisifyUnary(client, client.listVehicles),
    listDueBins: promisifyUnary(client, client.listDueBins),
    planRoutes: promisifyUnary(client, client.planRoutes),
    getPlan: promisifyUnary(client, client.getPlan),
    listPlans: promisifyUnary(client, client.listPlans),
    recordEmptied: promisifyUnary(client, client.recordEmptied),
    replanRemaining: promisifyUnary(client, client.replanRemaining),
    listAuditEntries: promisifyUnary(client, client.listAuditEntries),
  };
}
