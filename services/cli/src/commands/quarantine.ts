// `slimstad quarantine …`: refused readings kept with their reason (IngestService) — list them,
// and replay them after the registry is fixed.
import { deviceTypeToJSON } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import {
  IngestServiceClient,
  type QuarantineFilter,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/ingest_service';
import {
  RejectionReason,
  rejectionReasonToJSON,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/reading';
import { promisifyUnary } from '@slimstad/kit/grpc/index';
import { type Command, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';
import type { Cli } from '../program.js';
import { collect, enumToken, positive, rejectionReason } from './device-args.js';
import type { CliCommand } from './index.js';

interface FilterFlags {
  reason?: RejectionReason;
  device?: string;
  source?: string;
}

const filterOptions = (command: Command) =>
  command
    .addOption(
      new Option('--reason <reason>', 'e.g. unknown_device, out_of_range').argParser(
        rejectionReason,
      ),
    )
    .option('--device <id>', 'only this device')
    .option('--source <source>', 'only this way in, e.g. chirpstack, tts, mqtt, grpc');

const toFilter = (flags: FilterFlags): QuarantineFilter => ({
  reason: flags.reason ?? RejectionReason.REJECTION_REASON_UNSPECIFIED,
  deviceId: flags.device ?? '',
  source: flags.source ?? '',
  received: undefined,
});

export const quarantine: CliCommand = {
  register(program, cli: Cli) {
    const group = program.command('quarantine').description('refused readings: list and replay');

    filterOptions(group.command('list').description('list quarantined readings, newest first'))
      .addOption(new Option('--page-size <n>', 'entries to show').argParser(positive).default(50))
      .action(async (flags: FilterFlags & { pageSize: number }, command: Command) => {
        const client = cli.client(command, IngestServiceClient);
        const { entries, page } = await promisifyUnary(
          client,
          client.listQuarantine,
        )({
          page: { pageSize: flags.pageSize, pageToken: '' },
          filter: toFilter(flags),
        });
        cli.print(command, {
          json: entries.map((e) => ({
            ...e,
            reason: rejectionReasonToJSON(e.reason),
            reading: e.reading && {
              ...e.reading,
              deviceType: deviceTypeToJSON(e.reading.deviceType),
            },
          })),
          rows: entries,
          columns: [
            { header: 'id', value: (e) => e.id },
            { header: 'received', value: (e) => e.receivedAt },
            {
              header: 'reason',
              value: (e) => enumToken(RejectionReason, 'REJECTION_REASON_', e.reason),
            },
            { header: 'device', value: (e) => e.deviceId },
            { header: 'source', value: (e) => e.source },
            { header: 'detail', value: (e) => e.detail },
          ],
          empty: 'the quarantine is empty for that filter',
        });
        if (page?.nextPageToken)
          cli.io.stderr.write('more entries: narrow the filter or raise --page-size\n');
      });

    filterOptions(
      group
        .command('replay')
        .description('validate quarantined readings again and store those that now pass')
        .addOption(
          new Option('--id <id>', 'an entry (repeat for several)').argParser(
            collect((s: string) => s),
          ),
        )
        .option('--dry-run', 'only report what would pass'),
    ).action(async (flags: FilterFlags & { id?: string[]; dryRun?: boolean }, command: Command) => {
      const byFilter = flags.reason !== undefined || flags.device || flags.source;
      if (!flags.id && !byFilter)
        throw new CliError(
          'choose what to replay: --id, or --reason/--device/--source',
          EXIT_USAGE,
        );
      if (flags.id && byFilter) throw new CliError('use --id or a filter, not both', EXIT_USAGE);
      const client = cli.client(command, IngestServiceClient);
      const result = await promisifyUnary(
        client,
        client.replayQuarantine,
      )({
        selection: flags.id
          ? { $case: 'ids', value: { ids: flags.id } }
          : { $case: 'filter', value: toFilter(flags) },
        dryRun: Boolean(flags.dryRun),
      });
      cli.print(command, {
        json: result,
        rows: [result],
        columns: [
          { header: 'matched', value: (r) => r.matchedCount },
          { header: flags.dryRun ? 'would pass' : 'replayed', value: (r) => r.acceptedCount },
          { header: 'still rejected', value: (r) => r.stillRejectedCount },
          { header: 'not found', value: (r) => r.notFoundCount },
        ],
      });
    });
  },
};
