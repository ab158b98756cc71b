// `slimstad waste …`: the waste service (WasteService) — bins and vehicles (admin), fill levels
// and due bins (viewer), must-visit marks, route planning, emptying confirmations and
// re-planning (operator), the audit (operator). It listens on its own address: --api, else
// $SLIMSTAD_WASTE_API, else 127.0.0.1:50055.
import {
  AuditEntry,
  Bin,
  BinFill,
  Plan,
  Vehicle,
  type WasteStream,
} from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { DueBin } from '@slimstad/contracts/gen/slimstad/waste/v1/waste_service';
import { Argument, type Command, Option } from 'commander';
import type { Cli } from '../program.js';
import { allPages } from './bollards-api.js';
import { limit, onOff } from './bollards-args.js';
import type { CliCommand } from './index.js';
import { idList, latitude, localDate, longitude, natsToken, reason } from './lighting-args.js';
import { WASTE_API, wasteApi } from './waste-api.js';
import {
  dailyWindow,
  minutes,
  point,
  positive,
  seconds,
  streamList,
  wasteStream,
} from './waste-args.js';
import {
  AUDIT_COLUMNS,
  BIN_COLUMNS,
  type BinRow,
  DUE_COLUMNS,
  PLAN_COLUMNS,
  VEHICLE_COLUMNS,
  VISIT_COLUMNS,
  visitRows,
} from './waste-format.js';

const id = (what: string) => new Argument('<id>', `${what} id`).argParser(natsToken);
const streamOption = (required: boolean) => {
  const option = new Option(
    '--stream <stream>',
    'residual, paper, glass, pmd or organic',
  ).argParser(wasteStream);
  return required ? option.makeOptionMandatory() : option;
};
const dateOption = () =>
  new Option('--date <yyyy-mm-dd>', 'local date of the shift (default: today)').argParser(
    localDate,
  );

function printBins(cli: Cli, command: Command, rows: BinRow[]) {
  cli.print(command, {
    json: rows.map((r) => ({
      ...(Bin.toJSON(r.bin) as object),
      fill: r.fill ? BinFill.toJSON(r.fill) : null,
    })),
    rows,
    columns: BIN_COLUMNS,
    empty: 'no bins',
  });
}

function printPlan(cli: Cli, command: Command, plan: Plan | undefined) {
  if (!plan) return;
  cli.print(command, {
    json: Plan.toJSON(plan),
    rows: visitRows(plan),
    columns: VISIT_COLUMNS,
    empty: `plan ${plan.id}: no routes${plan.unassigned.length ? `; unassigned: ${plan.unassigned.map((u) => `${u.binId} (${u.reason})`).join(', ')}` : ''}`,
  });
}

function registerBins(group: Command, cli: Cli): void {
  group
    .command('bins')
    .description('list the bins with their fill, rate, predicted threshold time and risk')
    .addOption(streamOption(false))
    .action(async (flags: { stream?: WasteStream }, command: Command) => {
      const api = wasteApi(cli, command);
      const rows: BinRow[] = [];
      await allPages(async (pageToken, pageSize) => {
        const { bins, fills, page } = await api.listBins({
          stream: flags.stream ?? 0,
          page: { pageSize, pageToken },
        });
        for (const [i, bin] of bins.entries()) rows.push({ bin, fill: fills[i] });
        return { items: bins, nextPageToken: page?.nextPageToken ?? '' };
      });
      printBins(cli, command, rows);
    });

  const bin = group.command('bin').description('one bin: add, get');
  bin
    .command('add')
    .description('add a bin (admin)')
    .addArgument(id('bin'))
    .requiredOption('--name <name>', 'human-readable name')
    .addOption(new Option('--lat <degrees>', 'latitude').argParser(latitude).makeOptionMandatory())
    .addOption(
      new Option('--lon <degrees>', 'longitude').argParser(longitude).makeOptionMandatory(),
    )
    .addOption(new Option('--litres <n>', 'volume').argParser(positive).makeOptionMandatory())
    .addOption(streamOption(true))
    .option('--device <id>', "the fill sensor's registry id (default: the bin id)")
    .addOption(
      new Option('--window <hh:mm-hh:mm>', 'when it may be emptied, daily').argParser(dailyWindow),
    )
    .option('--soft', 'the window may be missed at a penalty per minute late')
    .action(
      async (
        binId: string,
        flags: {
          name: string;
          lat: number;
          lon: number;
          litres: number;
          stream: WasteStream;
          device?: string;
          window?: { start: number; end: number };
          soft?: boolean;
        },
        command: Command,
      ) => {
        const { bin: created } = await wasteApi(cli, command).createBin({
          bin: Bin.fromPartial({
            id: binId,
            name: flags.name,
            location: { latitude: flags.lat, longitude: flags.lon },
            volumeLitres: flags.litres,
            stream: flags.stream,
            deviceId: flags.device ?? '',
            accessWindow: flags.window && {
              startMinute: flags.window.start,
              endMinute: flags.window.end,
              soft: Boolean(flags.soft),
            },
          }),
        });
        if (created) printBins(cli, command, [{ bin: created }]);
      },
    );
  bin
    .command('get')
    .description('show one bin with its fill')
    .addArgument(id('bin'))
    .action(async (binId: string, _flags, command: Command) => {
      const { bin: found, fill } = await wasteApi(cli, command).getBin({ binId });
      if (found) printBins(cli, command, [{ bin: found, fill }]);
    });

  group
    .command('must-visit')
    .description(
      'mark a bin (on) to be visited in the next round, or clear the mark (off) (operator)',
    )
    .addArgument(new Argument('<on|off>').argParser(onOff))
    .addArgument(id('bin'))
    .addOption(
      new Option('--reason <text>', 'why, for the audit log')
        .argParser(reason)
        .makeOptionMandatory(),
    )
    .action(async (on: boolean, binId: string, flags: { reason: string }, command: Command) => {
      const { bin: changed } = await wasteApi(cli, command).setMustVisit({
        binId,
        mustVisit: on,
        reason: flags.reason,
      });
      if (changed) printBins(cli, command, [{ bin: changed }]);
    });
}

function registerVehicles(group: Command, cli: Cli): void {
  group
    .command('vehicles')
    .description('list the collection vehicles')
    .action(async (_flags, command: Command) => {
      const api = wasteApi(cli, command);
      const vehicles = await allPages(async (pageToken, pageSize) => {
        const { vehicles: items, page } = await api.listVehicles({ page: { pageSize, pageToken } });
        return { items, nextPageToken: page?.nextPageToken ?? '' };
      });
      cli.print(command, {
        json: vehicles.map((v) => Vehicle.toJSON(v)),
        rows: vehicles,
        columns: VEHICLE_COLUMNS,
        empty: 'no vehicles',
      });
    });

  group
    .command('vehicle')
    .description('one vehicle')
    .command('add')
    .description('add a collection vehicle (admin)')
    .addArgument(id('vehicle'))
    .requiredOption('--name <name>', 'human-readable name')
    .addOption(
      new Option(
        '--streams <list>',
        'streams it collects, e.g. glass,paper (default: all)',
      ).argParser(streamList),
    )
    .addOption(
      new Option('--litres <n>', 'volume it carries').argParser(positive).makeOptionMandatory(),
    )
    .addOption(
      new Option('--kg <n>', 'weight it carries').argParser(positive).makeOptionMandatory(),
    )
    .addOption(
      new Option('--depot <lat,lon>', 'where it starts and ends')
        .argParser(point)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--unload <lat,lon>',
        'transfer station where it may unload (default: the depot)',
      ).argParser(point),
    )
    .addOption(
      new Option('--shift <hh:mm-hh:mm>', 'its shift, daily')
        .argParser(dailyWindow)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--max-route <duration>', 'longest route, e.g. 7h (default: the shift)').argParser(
        minutes,
      ),
    )
    .addOption(
      new Option('--service-seconds <s>', 'time to empty one bin').argParser(seconds).default(120),
    )
    .addOption(new Option('--unload-seconds <s>', 'time to unload').argParser(seconds).default(900))
    .action(
      async (
        vehicleId: string,
        flags: {
          name: string;
          streams?: WasteStream[];
          litres: number;
          kg: number;
          depot: { latitude: number; longitude: number };
          unload?: { latitude: number; longitude: number };
          shift: { start: number; end: number };
          maxRoute?: number;
          serviceSeconds: number;
          unloadSeconds: number;
        },
        command: Command,
      ) => {
        const { vehicle } = await wasteApi(cli, command).createVehicle({
          vehicle: Vehicle.fromPartial({
            id: vehicleId,
            name: flags.name,
            streams: flags.streams ?? [],
            capacityLitres: flags.litres,
            capacityKg: flags.kg,
            depot: flags.depot,
            unloadLocation: flags.unload,
            shiftStartMinute: flags.shift.start,
            shiftEndMinute: flags.shift.end,
            maxRouteMinutes: flags.maxRoute ?? 0,
            serviceSeconds: flags.serviceSeconds,
            unloadSeconds: flags.unloadSeconds,
          }),
        });
        if (vehicle)
          cli.print(command, {
            json: Vehicle.toJSON(vehicle),
            rows: [vehicle],
            columns: VEHICLE_COLUMNS,
          });
      },
    );
}

function registerPlanning(group: Command, cli: Cli): void {
  group
    .command('due')
    .description('the bins a shift must visit, and why (acts on nothing)')
    .addOption(streamOption(true))
    .addOption(dateOption())
    .action(async (flags: { stream: WasteStream; date?: string }, command: Command) => {
      const { bins } = await wasteApi(cli, command).listDueBins({
        stream: flags.stream,
        shiftDate: flags.date ?? '',
      });
      cli.print(command, {
        json: bins.map((b) => DueBin.toJSON(b)),
        rows: bins,
        columns: DUE_COLUMNS,
        empty: 'no bins due',
      });
    });

  group
    .command('plan')
    .description('plan the routes of a stream for a shift, store and publish them (operator)')
    .addOption(streamOption(true))
    .addOption(dateOption())
    .addOption(new Option('--vehicles <ids>', 'only these vehicles').argParser(idList))
    .addOption(new Option('--time-limit <ms>', 'solver time limit').argParser(positive))
    .action(
      async (
        flags: { stream: WasteStream; date?: string; vehicles?: string[]; timeLimit?: number },
        command: Command,
      ) => {
        const { plan } = await wasteApi(cli, command).planRoutes({
          stream: flags.stream,
          shiftDate: flags.date ?? '',
          vehicleIds: flags.vehicles ?? [],
          timeLimitMs: Math.round(flags.timeLimit ?? 0),
          seed: 0,
        });
        printPlan(cli, command, plan);
      },
    );

  const routes = group
    .command('routes')
    .description("list the plans, newest first (show <plan> for one plan's visits)")
    .addOption(streamOption(false))
    .action(async (flags: { stream?: WasteStream }, command: Command) => {
      const { plans } = await wasteApi(cli, command).listPlans({
        stream: flags.stream ?? 0,
        page: { pageSize: 50, pageToken: '' },
      });
      cli.print(command, {
        json: plans.map((p) => Plan.toJSON(p)),
        rows: plans,
        columns: PLAN_COLUMNS,
        empty: 'no plans',
      });
    });
  routes
    .command('show')
    .description('one plan: every visit with its arrival, load and progress')
    .argument('<plan>', 'plan id')
    .action(async (planId: string, _flags, command: Command) => {
      const { plan } = await wasteApi(cli, command).getPlan({ planId });
      printPlan(cli, command, plan);
    });

  group
    .command('emptied')
    .description('confirm a bin emptied by a truck (operator)')
    .addArgument(id('bin'))
    .addOption(new Option('--vehicle <id>', 'the truck').argParser(natsToken).makeOptionMandatory())
    .option('--at <iso>', 'when (default: now)')
    .action(async (binId: string, flags: { vehicle: string; at?: string }, command: Command) => {
      const at = flags.at === undefined ? undefined : new Date(flags.at);
      if (at && Number.isNaN(at.getTime()))
        throw new Error(`--at ${flags.at} is not an ISO 8601 time`);
      const { planId } = await wasteApi(cli, command).recordEmptied({
        binId,
        vehicleId: flags.vehicle,
        emptiedTime: at,
      });
      cli.print(command, {
        json: { binId, vehicleId: flags.vehicle, planId },
        rows: [{ binId, planId }],
        columns: [
          { header: 'bin', value: (r) => r.binId },
          { header: 'plan', value: (r) => r.planId },
        ],
      });
    });

  group
    .command('replan')
    .description('re-plan what a plan has not done yet, from now (operator)')
    .argument('<plan>', 'plan id')
    .action(async (planId: string, _flags, command: Command) => {
      const { plan } = await wasteApi(cli, command).replanRemaining({ planId, timeLimitMs: 0 });
      printPlan(cli, command, plan);
    });

  group
    .command('audit')
    .description('the audit log of operator actions, newest first (operator)')
    .option('--target <id>', 'only this bin, vehicle or plan')
    .addOption(new Option('--limit <n>', 'at most this many entries').argParser(limit).default(100))
    .action(async (flags: { target?: string; limit: number }, command: Command) => {
      const api = wasteApi(cli, command);
      const entries = await allPages(async (pageToken, pageSize) => {
        const { entries: items, page } = await api.listAuditEntries({
          target: flags.target ?? '',
          page: { pageSize, pageToken },
        });
        return { items, nextPageToken: page?.nextPageToken ?? '' };
      }, flags.limit);
      cli.print(command, {
        json: entries.map((e) => AuditEntry.toJSON(e)),
        rows: entries,
        columns: AUDIT_COLUMNS,
        empty: 'no audit entries',
      });
    });
}

export const waste: CliCommand = {
  register(program, cli: Cli) {
    const group = program
      .command('waste')
      .description(
        `waste collection: bins, fill, vehicles, due bins, plans and routes, emptying, re-planning, audit (at --api, $${WASTE_API.env} or ${WASTE_API.fallback})`,
      );
    registerBins(group, cli);
    registerVehicles(group, cli);
    registerPlanning(group, cli);
  },
};
