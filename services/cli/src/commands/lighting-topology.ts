// `slimstad lighting zones …` and `slimstad lighting lamps …`: the zones and the lamps on
// their paths. Updates read the zone or lamp first, apply the options, and send the result
// with the version read, so a change made meanwhile is refused rather than overwritten.
import { Lamp, Zone, ZoneKind } from '@slimstad/contracts/gen/slimstad/lighting/v1/lighting';
import { isServiceError, Status } from '@slimstad/kit/grpc/index';
import { type Command, Option } from 'commander';
import { describeError } from '../errors.js';
import type { Cli } from '../program.js';
import { enumToken } from './device-args.js';
import { type LightingApi, lightingApi, pageOptions, pages, readJsonFile } from './lighting-api.js';
import {
  applyLampChanges,
  applyZoneChanges,
  checkLampChanges,
  checkZoneChanges,
  idList,
  type LampChanges,
  latitude,
  longitude,
  natsToken,
  percent,
  timeZone,
  watts,
  type ZoneChanges,
  zoneKind,
} from './lighting-args.js';
import { lampsFromJson } from './lighting-files.js';

const where = (point: Zone['location']) =>
  point ? `${point.latitude},${point.longitude}` : undefined;

const ZONE_COLUMNS = [
  { header: 'id', value: (z: Zone) => z.id },
  { header: 'kind', value: (z: Zone) => enumToken(ZoneKind, 'ZONE_KIND_', z.kind) },
  { header: 'name', value: (z: Zone) => z.name },
  { header: 'location', value: (z: Zone) => where(z.location) },
  { header: 'time zone', value: (z: Zone) => z.timeZone },
  { header: 'version', value: (z: Zone) => z.version },
];

const LAMP_COLUMNS = [
  { header: 'id', value: (l: Lamp) => l.id },
  { header: 'zone', value: (l: Lamp) => l.zoneId },
  { header: 'power W', value: (l: Lamp) => l.ratedPowerWatts },
  { header: 'min %', value: (l: Lamp) => l.minLevel },
  { header: 'controller', value: (l: Lamp) => l.controllerId },
  { header: 'neighbours', value: (l: Lamp) => l.neighbourIds.join(',') },
  { header: 'detectors', value: (l: Lamp) => l.detectorIds.join(',') },
  { header: 'location', value: (l: Lamp) => where(l.location) },
  { header: 'name', value: (l: Lamp) => l.name },
];

/** JSON is an array for `list` and the zone itself for the other commands. */
const printZones = (cli: Cli, command: Command, zones: Zone[], asList = false) =>
  cli.print(command, {
    json: asList ? zones.map((z) => Zone.toJSON(z)) : zones[0] ? Zone.toJSON(zones[0]) : null,
    rows: zones,
    columns: ZONE_COLUMNS,
    empty: 'no zones',
  });

const printLamps = (cli: Cli, command: Command, lamps: Lamp[], asList = false) =>
  cli.print(command, {
    json: asList ? lamps.map((l) => Lamp.toJSON(l)) : lamps[0] ? Lamp.toJSON(lamps[0]) : null,
    rows: lamps,
    columns: LAMP_COLUMNS,
    empty: 'no lamps',
  });

const printDeleted = (cli: Cli, command: Command, what: 'zone' | 'lamp', id: string) =>
  cli.print(command, {
    json: { [`${what}Id`]: id, deleted: true },
    rows: [id],
    columns: [
      { header: what, value: (row: string) => row },
      { header: 'result', value: () => 'deleted' },
    ],
  });

/** Output-only fields are not sent. */
const withoutOutput = <T extends { createTime?: Date; updateTime?: Date }>(message: T): T => ({
  ...message,
  createTime: undefined,
  updateTime: undefined,
});

function zoneOptions(command: Command, create: boolean): Command {
  const option = (flags: string, description: string, parse?: (raw: string) => unknown) => {
    const made = new Option(flags, description);
    if (parse) made.argParser(parse);
    return create ? made.makeOptionMandatory() : made;
  };
  command
    .addOption(option('--name <name>', 'human-readable name, e.g. Warandepark'))
    .addOption(option('--kind <kind>', 'park, street or square', zoneKind))
    .addOption(option('--lat <degrees>', 'latitude of the reference point (sun times)', latitude))
    .addOption(option('--lon <degrees>', 'longitude of the reference point', longitude));
  const tz = new Option('--time-zone <iana>', 'IANA time zone of the profile').argParser(timeZone);
  return command.addOption(create ? tz.default('Europe/Brussels') : tz);
}

function lampOptions(command: Command, create: boolean): Command {
  const required = (option: Option) => (create ? option.makeOptionMandatory() : option);
  return command
    .addOption(
      required(new Option('--zone <zone>', 'the zone whose profile controls it')).argParser(
        natsToken,
      ),
    )
    .addOption(required(new Option('--lat <degrees>', 'latitude').argParser(latitude)))
    .addOption(required(new Option('--lon <degrees>', 'longitude').argParser(longitude)))
    .addOption(required(new Option('--power <watts>', 'power draw at 100 %').argParser(watts)))
    .addOption(
      new Option('--min-level <percent>', 'lowest level the driver dims to').argParser(percent),
    )
    .option('--controller <id>', 'id of the lamp controller (its ingest device id)')
    .addOption(
      new Option(
        '--neighbours <ids>',
        'lamps next to it along the paths, e.g. wp-13,wp-15 ("" for none)',
      ).argParser(idList),
    )
    .addOption(
      new Option(
        '--detectors <ids>',
        'ingest device ids of the presence sensors at it ("" for none)',
      ).argParser(idList),
    )
    .option('--name <name>', 'human-readable name');
}

export function registerZones(group: Command, cli: Cli): void {
  const zones = group.command('zones').description('zones: list, get, create, update, delete');

  pageOptions(zones.command('list').description('list zones ordered by id'), 'zones').action(
    async (flags: { pageSize: number; all?: boolean }, command: Command) => {
      const api = lightingApi(cli, command);
      const { items, more } = await pages(async (pageToken) => {
        const { zones: page, page: next } = await api.listZones({
          page: { pageSize: flags.pageSize, pageToken },
        });
        return { items: page, nextPageToken: next?.nextPageToken ?? '' };
      }, Boolean(flags.all));
      printZones(cli, command, items, true);
      if (more) cli.io.stderr.write('more zones: pass --all to list every page\n');
    },
  );

  zones
    .command('get')
    .description('show one zone')
    .argument('<id>', 'zone id')
    .action(async (id: string, _flags, command: Command) => {
      const { zone } = await lightingApi(cli, command).getZone({ zoneId: id });
      printZones(cli, command, zone ? [zone] : []);
    });

  zoneOptions(
    zones
      .command('create')
      .description('create a zone')
      .addOption(new Option('--id <id>', 'zone id').argParser(natsToken).makeOptionMandatory()),
    true,
  ).action(async (flags: ZoneChanges & { id: string }, command: Command) => {
    const { id, ...changes } = flags;
    const zone = applyZoneChanges(Zone.fromPartial({ id }), changes);
    const created = await lightingApi(cli, command).createZone({ zone });
    printZones(cli, command, created.zone ? [created.zone] : []);
  });

  zoneOptions(
    zones
      .command('update')
      .description('change the options given; sent with the version read, so no change is lost')
      .argument('<id>', 'zone id'),
    false,
  ).action(async (id: string, changes: ZoneChanges, command: Command) => {
    checkZoneChanges(changes);
    const api = lightingApi(cli, command);
    const { zone } = await api.getZone({ zoneId: id });
    const updated = await api.updateZone({
      zone: withoutOutput(applyZoneChanges(zone ?? Zone.fromPartial({ id }), changes)),
    });
    printZones(cli, command, updated.zone ? [updated.zone] : []);
  });

  zones
    .command('delete')
    .description('delete a zone without lamps')
    .argument('<id>', 'zone id')
    .action(async (id: string, _flags, command: Command) => {
      await lightingApi(cli, command).deleteZone({ zoneId: id });
      printDeleted(cli, command, 'zone', id);
    });
}

/** The outcome of one lamp of `lamps import`. */
interface ImportRow {
  lamp: string;
  outcome: 'created' | 'updated' | 'failed';
  version?: bigint;
  error?: string;
}

/** Errors that would fail every lamp the same way: stop the import instead. */
const FATAL = new Set<number>([
  Status.UNAVAILABLE,
  Status.DEADLINE_EXCEEDED,
  Status.UNAUTHENTICATED,
  Status.PERMISSION_DENIED,
  Status.UNIMPLEMENTED,
]);

const lampError = (error: unknown): string => {
  if (!isServiceError(error) || FATAL.has(error.code)) throw error;
  return describeError(error, { api: '', timeoutMs: 0 })
    .replace(/^slimstad: /, '')
    .replace(/\n {2}- /g, '; ');
};

/**
 * Creates or updates each lamp of the file, in order. A neighbour that does not exist yet (a
 * lamp further down the file) is left out at first and added in a second pass, since the
 * service refuses unknown neighbours.
 */
async function importLamps(api: LightingApi, lamps: Lamp[]): Promise<ImportRow[]> {
  const { items: existing } = await pages(async (pageToken) => {
    const { lamps: page, page: next } = await api.listLamps({
      zoneId: '',
      page: { pageSize: 1000, pageToken },
    });
    return { items: page, nextPageToken: next?.nextPageToken ?? '' };
  }, true);
  const versions = new Map(existing.map((lamp) => [lamp.id, lamp.version]));
  const rows = new Map<string, ImportRow>();
  const later: { lamp: Lamp; deferred: string[] }[] = [];
  for (const lamp of lamps) {
    const known = lamp.neighbourIds.filter((id) => versions.has(id));
    const deferred = lamp.neighbourIds.filter((id) => !versions.has(id));
    const version = versions.get(lamp.id);
    try {
      const first = { ...lamp, neighbourIds: known, version: version ?? 0n };
      const { lamp: stored } =
        version === undefined
          ? await api.createLamp({ lamp: first })
          : await api.updateLamp({ lamp: first });
      versions.set(lamp.id, stored?.version ?? 0n);
      rows.set(lamp.id, {
        lamp: lamp.id,
        outcome: version === undefined ? 'created' : 'updated',
        version: stored?.version,
      });
      if (deferred.length > 0) later.push({ lamp, deferred });
    } catch (error) {
      rows.set(lamp.id, { lamp: lamp.id, outcome: 'failed', error: lampError(error) });
    }
  }
  for (const { lamp, deferred } of later) {
    const row = rows.get(lamp.id) as ImportRow;
    try {
      const { lamp: stored } = await api.updateLamp({
        lamp: { ...lamp, version: versions.get(lamp.id) ?? 0n },
      });
      row.version = stored?.version;
    } catch (error) {
      rows.set(lamp.id, {
        ...row,
        outcome: 'failed',
        error: `${row.outcome} without neighbours ${deferred.join(',')}: ${lampError(error)}`,
      });
    }
  }
  return lamps.map((lamp) => rows.get(lamp.id) as ImportRow);
}

export function registerLamps(group: Command, cli: Cli): void {
  const lamps = group
    .command('lamps')
    .description('lamps: list, get, create, update, delete, import');

  pageOptions(
    lamps
      .command('list')
      .description('list lamps ordered by id')
      .option('--zone <zone>', 'only this zone'),
    'lamps',
  ).action(async (flags: { zone?: string; pageSize: number; all?: boolean }, command: Command) => {
    const api = lightingApi(cli, command);
    const { items, more } = await pages(async (pageToken) => {
      const { lamps: page, page: next } = await api.listLamps({
        zoneId: flags.zone ?? '',
        page: { pageSize: flags.pageSize, pageToken },
      });
      return { items: page, nextPageToken: next?.nextPageToken ?? '' };
    }, Boolean(flags.all));
    printLamps(cli, command, items, true);
    if (more) cli.io.stderr.write('more lamps: pass --all to list every page\n');
  });

  lamps
    .command('get')
    .description('show one lamp')
    .argument('<id>', 'lamp id')
    .action(async (id: string, _flags, command: Command) => {
      const { lamp } = await lightingApi(cli, command).getLamp({ lampId: id });
      printLamps(cli, command, lamp ? [lamp] : []);
    });

  lampOptions(
    lamps
      .command('create')
      .description('create a lamp in an existing zone')
      .addOption(new Option('--id <id>', 'lamp id').argParser(natsToken).makeOptionMandatory()),
    true,
  ).action(async (flags: LampChanges & { id: string }, command: Command) => {
    const { id, ...changes } = flags;
    const lamp = applyLampChanges(Lamp.fromPartial({ id }), changes);
    const created = await lightingApi(cli, command).createLamp({ lamp });
    printLamps(cli, command, created.lamp ? [created.lamp] : []);
  });

  lampOptions(
    lamps
      .command('update')
      .description('change the options given; sent with the version read, so no change is lost')
      .argument('<id>', 'lamp id'),
    false,
  ).action(async (id: string, changes: LampChanges, command: Command) => {
    checkLampChanges(id, changes);
    const api = lightingApi(cli, command);
    const { lamp } = await api.getLamp({ lampId: id });
    const updated = await api.updateLamp({
      lamp: withoutOutput(applyLampChanges(lamp ?? Lamp.fromPartial({ id }), changes)),
    });
    printLamps(cli, command, updated.lamp ? [updated.lamp] : []);
  });

  lamps
    .command('delete')
    .description("delete a lamp (it leaves its neighbours' paths)")
    .argument('<id>', 'lamp id')
    .action(async (id: string, _flags, command: Command) => {
      await lightingApi(cli, command).deleteLamp({ lampId: id });
      printDeleted(cli, command, 'lamp', id);
    });

  lamps
    .command('import')
    .description('create or update the lamps of a JSON file (an array of Lamps), one by one')
    .requiredOption('--file <lamps.json>', 'a JSON array of Lamps in proto3 JSON (camelCase)')
    .action(async (flags: { file: string }, command: Command) => {
      const file = await readJsonFile(flags.file, 'lamps in JSON', lampsFromJson);
      const rows = await importLamps(lightingApi(cli, command), file);
      cli.print(command, {
        json: rows.map((row) => ({ ...row, version: row.version?.toString() })),
        rows,
        columns: [
          { header: 'lamp', value: (row) => row.lamp },
          { header: 'outcome', value: (row) => row.outcome },
          { header: 'version', value: (row) => row.version },
          { header: 'error', value: (row) => row.error },
        ],
        empty: 'the file has no lamps',
      });
      const count = (outcome: ImportRow['outcome']) =>
        rows.filter((row) => row.outcome === outcome).length;
      cli.io.stderr.write(
        `created ${count('created')}, updated ${count('updated')}, failed ${count('failed')}\n`,
      );
      if (count('failed') > 0) cli.setExitCode(1);
    });
}
