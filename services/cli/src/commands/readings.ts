// `slimstad readings …`: stored readings (IngestService) — the latest values by device, zone or
// type, and a time range downsampled into buckets.
import { DeviceType, deviceTypeToJSON } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { IngestServiceClient } from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import { promisifyUnary } from '@slimstad/kit/grpc/index';
import { type Command, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';
import type { Cli } from '../program.js';
import { collect, deviceType, duration, enumToken, instant } from './device-args.js';
import type { CliCommand } from './index.js';

export const readings: CliCommand = {
  register(program, cli: Cli) {
    const group = program
      .command('readings')
      .description('stored readings: latest values and time ranges');

    group
      .command('latest')
      .description('the latest value of every metric of the selected devices')
      .addOption(
        new Option('--device <id>', 'a device (repeat for several)').argParser(
          collect((s: string) => s),
        ),
      )
      .option('--zone <zone>', 'every device in a zone')
      .addOption(new Option('--type <type>', 'every device of a type').argParser(deviceType))
      .action(
        async (
          flags: { device?: string[]; zone?: string; type?: DeviceType },
          command: Command,
        ) => {
          if (!flags.device && !flags.zone && flags.type === undefined) {
            throw new CliError('select devices: --device, --zone or --type', EXIT_USAGE);
          }
          if (flags.device && (flags.zone || flags.type !== undefined)) {
            throw new CliError('use --device, or --zone and/or --type, not both', EXIT_USAGE);
          }
          const client = cli.client(command, IngestServiceClient);
          const { readings: latest } = await promisifyUnary(
            client,
            client.getLatestReadings,
          )({
            deviceIds: flags.device ?? [],
            zone: flags.zone ?? '',
            deviceType: flags.type ?? DeviceType.DEVICE_TYPE_UNSPECIFIED,
          });
          cli.print(command, {
            json: latest.map((r) => ({ ...r, deviceType: deviceTypeToJSON(r.deviceType) })),
            rows: latest,
            columns: [
              { header: 'device', value: (r) => r.deviceId },
              { header: 'type', value: (r) => enumToken(DeviceType, 'DEVICE_TYPE_', r.deviceType) },
              { header: 'zone', value: (r) => r.zone },
              { header: 'metric', value: (r) => r.metric },
              { header: 'value', value: (r) => r.value },
              { header: 'unit', value: (r) => r.unit },
              { header: 'observed', value: (r) => r.observedAt },
            ],
            empty: 'no readings for the selected devices',
          });
        },
      );

    group
      .command('query')
      .description('one metric of one device over a time range, per bucket: avg, min, max, count')
      .requiredOption('--device <id>', 'device id')
      .requiredOption('--metric <name>', 'metric name')
      .addOption(
        new Option('--from <time>', 'start, ISO 8601').argParser(instant).makeOptionMandatory(),
      )
      .addOption(new Option('--to <time>', 'end, ISO 8601 (default: now)').argParser(instant))
      .addOption(
        new Option('--bucket <duration>', 'bucket size')
          .argParser(duration)
          .default(duration('1h'), '1h'),
      )
      .action(
        async (
          flags: {
            device: string;
            metric: string;
            from: Date;
            to?: Date;
            bucket: ReturnType<typeof duration>;
          },
          command: Command,
        ) => {
          const client = cli.client(command, IngestServiceClient);
          const result = await promisifyUnary(
            client,
            client.queryReadings,
          )({
            deviceId: flags.device,
            metric: flags.metric,
            startTime: flags.from,
            endTime: flags.to ?? new Date(),
            bucket: flags.bucket,
          });
          cli.print(command, {
            json: result,
            rows: result.buckets,
            columns: [
              { header: 'bucket', value: (b) => b.startTime },
              { header: `avg [${result.unit}]`, value: (b) => round(b.avg) },
              { header: 'min', value: (b) => b.min },
              { header: 'max', value: (b) => b.max },
              { header: 'count', value: (b) => b.count },
            ],
            empty: 'no readings in that range',
          });
        },
      );
  },
};

const round = (value: number) => Math.round(value * 1000) / 1000;
