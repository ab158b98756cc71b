// `slimstad devices …`: the device registry (DeviceRegistryService) — list, get, register,
// update (the mask is exactly the options or `--set`s given), decommission and bulk import.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import {
  Device,
  DeviceStatus,
  DeviceType,
  NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import {
  DeviceRegistryServiceClient,
  ImportFormat,
  ImportOutcome,
  importOutcomeToJSON,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { promisifyUnary } from '@slimstad/kit/grpc/index';
import { type Command, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';
import type { Cli } from '../program.js';
import {
  applyChanges,
  classification,
  collect,
  type DeviceChanges,
  deviceFromJson,
  deviceStatus,
  deviceType,
  duration,
  enumToken,
  finite,
  label,
  mergeSettings,
  metricSpec,
  network,
  nonBlank,
  positive,
  type Setting,
  setting,
} from './device-args.js';
import type { CliCommand } from './index.js';

/** The registration options shared by `register` and `update`. */
function addDeviceOptions(command: Command, withType: boolean): Command {
  if (withType)
    command.addOption(
      new Option('--type <type>', 'device type, e.g. water_level').argParser(deviceType),
    );
  return command
    .option('--name <name>', 'human-readable name')
    .addOption(new Option('--lat <degrees>', 'latitude (WGS84)').argParser(finite))
    .addOption(new Option('--lon <degrees>', 'longitude (WGS84)').argParser(finite))
    .addOption(new Option('--alt <metres>', 'altitude above the WGS84 ellipsoid').argParser(finite))
    .option('--zone <zone>', 'operational zone')
    .addOption(
      new Option(
        '--metric <name:unit[:min[:max]]>',
        'a metric it reports (repeat for several)',
      ).argParser(collect(metricSpec)),
    )
    .option('--owner <department>', 'owner department, e.g. public-works')
    .addOption(
      new Option('--classification <class>', 'public, internal or personal').argParser(
        classification,
      ),
    )
    .addOption(
      new Option('--interval <duration>', 'expected report interval, e.g. 15m').argParser(duration),
    )
    .addOption(
      new Option('--network <kind:id>', 'e.g. lorawan_chirpstack:0004A30B001C0530').argParser(
        network,
      ),
    )
    .addOption(
      new Option('--label <key=value>', 'a label (repeat for several)').argParser(collect(label)),
    );
}

async function readDeviceFile(path: string): Promise<Device> {
  try {
    return deviceFromJson(JSON.parse(await readFile(path, 'utf8')));
  } catch (error) {
    throw new CliError(
      `cannot read ${path} as a Device in JSON: ${(error as Error).message}`,
      EXIT_USAGE,
    );
  }
}

const DEVICE_COLUMNS = [
  { header: 'id', value: (d: Device) => d.id },
  { header: 'type', value: (d: Device) => enumToken(DeviceType, 'DEVICE_TYPE_', d.type) },
  { header: 'status', value: (d: Device) => enumToken(DeviceStatus, 'DEVICE_STATUS_', d.status) },
  { header: 'zone', value: (d: Device) => d.zone },
  {
    header: 'network',
    value: (d: Device) =>
      d.network
        ? `${enumToken(NetworkKind, 'NETWORK_KIND_', d.network.kind)}:${d.network.networkId}`
        : '',
  },
  {
    header: 'metrics',
    value: (d: Device) => d.metrics.map((m) => `${m.name}[${m.unit}]`).join(','),
  },
  { header: 'name', value: (d: Device) => d.name },
];

/** Prints devices; JSON is an array for `list` and the device itself for the other commands. */
const printDevices = (cli: Cli, command: Command, devices: Device[], asList = false) =>
  cli.print(command, {
    json:
      asList || devices.length !== 1
        ? devices.map((d) => Device.toJSON(d))
        : Device.toJSON(devices[0]!),
    rows: devices,
    columns: DEVICE_COLUMNS,
    empty: 'no devices',
  });

export const devices: CliCommand = {
  register(program, cli: Cli) {
    const group = program
      .command('devices')
      .description('the device registry: list, get, register, update, decommission, import');
    const registry = (command: Command) => {
      const client = cli.client(command, DeviceRegistryServiceClient);
      return {
        list: promisifyUnary(client, client.listDevices),
        get: promisifyUnary(client, client.getDevice),
        register: promisifyUnary(client, client.registerDevice),
        update: promisifyUnary(client, client.updateDevice),
        decommission: promisifyUnary(client, client.decommissionDevice),
        import: promisifyUnary(client, client.importDevices),
      };
    };

    group
      .command('list')
      .description('list devices ordered by id')
      .addOption(new Option('--type <type>', 'only this device type').argParser(deviceType))
      .option('--zone <zone>', 'only this zone')
      .addOption(
        new Option('--status <status>', 'active or decommissioned').argParser(deviceStatus),
      )
      .addOption(new Option('--page-size <n>', 'devices per call').argParser(positive).default(100))
      .option('--all', 'follow every page')
      .action(
        async (
          flags: {
            type?: DeviceType;
            zone?: string;
            status?: DeviceStatus;
            pageSize: number;
            all?: boolean;
          },
          command: Command,
        ) => {
          const api = registry(command);
          const found: Device[] = [];
          const seen = new Set<string>();
          let pageToken = '';
          do {
            const { devices: page, page: next } = await api.list({
              page: { pageSize: flags.pageSize, pageToken },
              type: flags.type ?? DeviceType.DEVICE_TYPE_UNSPECIFIED,
              zone: flags.zone ?? '',
              status: flags.status ?? DeviceStatus.DEVICE_STATUS_UNSPECIFIED,
            });
            found.push(...page);
            pageToken = next?.nextPageToken ?? '';
            if (seen.has(pageToken))
              throw new CliError(`the registry returned page token ${pageToken} twice`);
            seen.add(pageToken);
          } while (flags.all && pageToken);
          printDevices(cli, command, found, true);
          if (pageToken) cli.io.stderr.write('more devices: pass --all to list every page\n');
        },
      );

    group
      .command('get')
      .description('show one device')
      .argument('<id>', 'device id')
      .action(async (id: string, _flags, command: Command) => {
        const { device } = await registry(command).get({ deviceId: id });
        printDevices(cli, command, device ? [device] : []);
      });

    addDeviceOptions(
      group
        .command('register')
        .description('register a device, from --file (a Device in JSON) or from options')
        .option('--file <device.json>', 'a Device in proto3 JSON')
        .option('--id <id>', 'registry id'),
      true,
    ).action(async (flags: DeviceChanges & { file?: string; id?: string }, command: Command) => {
      const base = flags.file ? await readDeviceFile(flags.file) : Device.fromPartial({});
      const { device } = applyChanges(flags, { ...base, id: flags.id ?? base.id });
      const registered = await registry(command).register({ device });
      printDevices(cli, command, registered.device ? [registered.device] : []);
    });

    addDeviceOptions(
      group
        .command('update')
        .description('change the fields given as options or --set (and only those)')
        .argument('<id>', 'device id')
        .addOption(
          new Option(
            '--set <field=value>',
            'a field by its mask path, e.g. zone=haven, location=51.58,4.77, labels=k=v,k2=v2 (repeat for several)',
          ).argParser(collect(setting)),
        ),
      false,
    ).action(async (id: string, flags: DeviceChanges & { set?: Setting[] }, command: Command) => {
      const changes = mergeSettings(flags, flags.set ?? []);
      const { device, mask } = applyChanges(changes, Device.fromPartial({ id }));
      if (mask.length === 0)
        throw new CliError('nothing to change: give at least one option, e.g. --name', EXIT_USAGE);
      const updated = await registry(command).update({ device, updateMask: mask });
      printDevices(cli, command, updated.device ? [updated.device] : []);
    });

    group
      .command('decommission')
      .description('take a device out of service (its id is never reused)')
      .argument('<id>', 'device id')
      .addOption(
        new Option('--reason <text>', 'why, for the audit log')
          .argParser(nonBlank)
          .makeOptionMandatory(),
      )
      .action(async (id: string, flags: { reason: string }, command: Command) => {
        const { device } = await registry(command).decommission({
          deviceId: id,
          reason: flags.reason,
        });
        printDevices(cli, command, device ? [device] : []);
      });

    group
      .command('import')
      .description('register or update devices from a CSV or GeoJSON file; all or nothing')
      .argument('<file>', '.csv, .geojson or .json')
      .addOption(
        new Option('--format <format>', 'csv or geojson (default: from the extension)').choices([
          'csv',
          'geojson',
        ]),
      )
      .option('--dry-run', 'only report what would happen')
      .action(
        async (file: string, flags: { format?: string; dryRun?: boolean }, command: Command) => {
          const format = flags.format ?? formatOf(file);
          const content = await readFile(file).catch((error: Error) => {
            throw new CliError(`cannot read ${file}: ${error.message}`, EXIT_USAGE);
          });
          const result = await registry(command).import({
            format:
              format === 'csv'
                ? ImportFormat.IMPORT_FORMAT_CSV
                : ImportFormat.IMPORT_FORMAT_GEOJSON,
            content,
            dryRun: Boolean(flags.dryRun),
          });
          cli.print(command, {
            json: {
              ...result,
              rows: result.rows.map((r) => ({ ...r, outcome: importOutcomeToJSON(r.outcome) })),
            },
            rows: result.rows,
            columns: [
              { header: 'row', value: (r) => r.row },
              { header: 'device', value: (r) => r.deviceId },
              {
                header: 'outcome',
                value: (r) => enumToken(ImportOutcome, 'IMPORT_OUTCOME_', r.outcome),
              },
              { header: 'error', value: (r) => r.error },
            ],
            empty: 'the file has no rows',
          });
          const verb = result.dryRun
            ? 'would be'
            : result.failedCount > 0
              ? 'nothing written;'
              : '';
          cli.io.stderr.write(
            `${verb ? `${verb} ` : ''}created ${result.createdCount}, updated ${result.updatedCount}, unchanged ${result.unchangedCount}, failed ${result.failedCount}\n`,
          );
          if (result.failedCount > 0) cli.setExitCode(1);
        },
      );
  },
};

function formatOf(file: string): 'csv' | 'geojson' {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.geojson' || ext === '.json') return 'geojson';
  throw new CliError(
    `cannot tell the format of ${file}: pass --format csv or --format geojson`,
    EXIT_USAGE,
  );
}
