// `slimstad bollards permits | permit | check | admit | emergency | maintenance | audit`: who
// may pass (permits, granted and revoked with a reason), what the service would decide (a dry
// run), an operator's admission, a zone's emergency mode, a bollard's maintenance, and the
// audit log. Every command that acts requires --reason, for the audit log.
import {
  AccessDecision,
  AuditEntry,
  BollardStatus,
  Permit,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { Argument, type Command, Option } from 'commander';
import type { Cli } from '../program.js';
import { allPages, bollardsApi } from './bollards-api.js';
import {
  type CredentialFlags,
  credentialOf,
  limit,
  onOff,
  type PermitFlags,
  permitOf,
  timeWindow,
  vehicleClass,
  zoneList,
} from './bollards-args.js';
import {
  ADMISSION_COLUMNS,
  AUDIT_COLUMNS,
  DECISION_COLUMNS,
  type DecisionRow,
  permitColumns,
  printStatuses,
  printZones,
} from './bollards-format.js';
import { collect, instant } from './device-args.js';
import { natsToken, reason } from './lighting-args.js';

/** The kinds of audit entries. */
export const AUDIT_KINDS = [
  'decision',
  'command',
  'state',
  'fault',
  'emergency',
  'maintenance',
  'permit',
  'zone',
  'bollard',
] as const;

const reasonOption = () =>
  new Option('--reason <text>', 'why, for the audit log').argParser(reason).makeOptionMandatory();
const credentialOptions = (command: Command, what: string): Command =>
  command
    .option('--plate <plate>', `${what} this number plate (however written: 1-ABC-123, 1abc123)`)
    .option('--badge <badge>', `${what} this badge id`);

const printPermits = (cli: Cli, command: Command, permits: Permit[], asList = false) =>
  cli.print(command, {
    json: asList
      ? permits.map((p) => Permit.toJSON(p))
      : permits[0]
        ? Permit.toJSON(permits[0])
        : null,
    rows: permits,
    columns: permitColumns(new Date()),
    empty: 'no permits',
  });

const printDecision = (cli: Cli, command: Command, row: DecisionRow, admission = false) =>
  cli.print(command, {
    json: {
      bollardId: row.bollardId,
      // proto3 JSON leaves out false: a script reads `admit` either way.
      decision: { admit: row.decision.admit, ...(AccessDecision.toJSON(row.decision) as object) },
      ...(row.status ? { status: BollardStatus.toJSON(row.status) } : {}),
    },
    rows: [row],
    columns: admission ? ADMISSION_COLUMNS : DECISION_COLUMNS,
  });

export function registerAccess(group: Command, cli: Cli): void {
  credentialOptions(
    group
      .command('permits')
      .description('list the permits in force, ordered by id (bollard-operator)')
      .addOption(new Option('--zone <zone>', 'only permits for this zone').argParser(natsToken)),
    'only the permits of',
  )
    .option('--all', 'also the revoked, expired and used ones')
    .action(async (flags: CredentialFlags & { zone?: string; all?: boolean }, command: Command) => {
      const credential = credentialOf(flags, false);
      const api = bollardsApi(cli, command);
      const permits = await allPages(async (pageToken, pageSize) => {
        const { permits: items, page } = await api.listPermits({
          zoneId: flags.zone ?? '',
          ...credential,
          includeInactive: Boolean(flags.all),
          page: { pageSize, pageToken },
        });
        return { items, nextPageToken: page?.nextPageToken ?? '' };
      });
      printPermits(cli, command, permits, true);
    });

  const permit = group.command('permit').description('one permit: add, revoke (bollard-operator)');

  credentialOptions(
    permit
      .command('add')
      .description(
        'grant a permit to a plate or a badge; only a keyed hash of it is stored, never the plate',
      ),
    'for',
  )
    .addOption(
      new Option('--class <class>', 'resident, delivery, taxi, public_service, emergency or event')
        .argParser(vehicleClass)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--zones <ids>', 'the zones it opens, e.g. vismarkt,korenmarkt')
        .argParser(zoneList)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--from <time>', 'valid from, ISO 8601 with a zone')
        .argParser(instant)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--until <time>',
        'valid until (exclusive), ISO 8601 with a zone; at most a year, a week if one-off',
      )
        .argParser(instant)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--window <days hh:mm-hh:mm>',
        'a weekly window in the zone\'s time, e.g. "Mon-Sat 06:00-11:00"; repeatable (default: any time)',
      ).argParser(collect(timeWindow)),
    )
    .option('--one-off', 'used up by its first admission (a removal, an event)')
    .addOption(reasonOption())
    .action(async (flags: PermitFlags, command: Command) => {
      const { permit: created } = await bollardsApi(cli, command).createPermit({
        permit: permitOf(flags),
      });
      printPermits(cli, command, created ? [created] : []);
    });

  permit
    .command('revoke')
    .description('revoke a permit at once')
    .argument('<permit-id>', 'permit id, e.g. p-1a2b3c4d5e6f')
    .addOption(reasonOption())
    .action(async (permitId: string, flags: { reason: string }, command: Command) => {
      const { permit: revoked } = await bollardsApi(cli, command).revokePermit({
        permitId,
        reason: flags.reason,
      });
      printPermits(cli, command, revoked ? [revoked] : []);
    });

  credentialOptions(
    group
      .command('check')
      .description(
        'dry run: would this vehicle be admitted at the bollard, by which rule? acts on nothing',
      )
      .argument('<bollard>', 'bollard id'),
    'the vehicle with',
  )
    .option('--emergency', 'an emergency vehicle')
    .addOption(
      new Option('--at <time>', 'when, ISO 8601 with a zone (default: now)').argParser(instant),
    )
    .action(
      async (
        bollardId: string,
        flags: CredentialFlags & { emergency?: boolean; at?: Date },
        command: Command,
      ) => {
        const { decision } = await bollardsApi(cli, command).checkAccess({
          bollardId,
          ...credentialOf(flags, false),
          emergency: Boolean(flags.emergency),
          at: flags.at,
        });
        printDecision(cli, command, {
          bollardId,
          decision: decision ?? AccessDecision.fromPartial({}),
        });
      },
    );

  group
    .command('admit')
    .description('admit a vehicle at a bollard (an intercom call, a removal): it is lowered')
    .argument('<bollard>', 'bollard id')
    .addOption(reasonOption())
    .action(async (bollardId: string, flags: { reason: string }, command: Command) => {
      const { decision, status } = await bollardsApi(cli, command).admitVehicle({
        bollardId,
        reason: flags.reason,
      });
      printDecision(
        cli,
        command,
        { bollardId, decision: decision ?? AccessDecision.fromPartial({}), status },
        true,
      );
    });

  group
    .command('emergency')
    .description("set or clear a zone's emergency mode: all its bollards down and held")
    .addArgument(new Argument('<on|off>', 'on to set, off to clear').argParser(onOff))
    .argument('<zone>', 'zone id')
    .addOption(reasonOption())
    .action(
      async (active: boolean, zoneId: string, flags: { reason: string }, command: Command) => {
        const { zone } = await bollardsApi(cli, command).setEmergencyMode({
          zoneId,
          active,
          reason: flags.reason,
        });
        printZones(cli, command, zone ? [zone] : []);
      },
    );

  group
    .command('maintenance')
    .description(
      'put a bollard into maintenance (no automatic commands) or return it (also the way out of fault)',
    )
    .addArgument(new Argument('<on|off>', 'on to start, off to end').argParser(onOff))
    .argument('<bollard>', 'bollard id')
    .addOption(reasonOption())
    .action(
      async (active: boolean, bollardId: string, flags: { reason: string }, command: Command) => {
        const { status } = await bollardsApi(cli, command).setMaintenance({
          bollardId,
          active,
          reason: flags.reason,
        });
        printStatuses(cli, command, status ? [status] : []);
      },
    );

  group
    .command('audit')
    .description('the audit log, newest first (bollard-operator)')
    .addOption(new Option('--zone <zone>', 'only this zone').argParser(natsToken))
    .addOption(new Option('--bollard <bollard>', 'only this bollard').argParser(natsToken))
    .addOption(new Option('--kind <kind>', 'only this kind').choices(AUDIT_KINDS))
    .option('--request <id>', "only this access request's entries")
    .addOption(new Option('--limit <n>', 'at most this many entries').argParser(limit).default(50))
    .action(
      async (
        flags: { zone?: string; bollard?: string; kind?: string; request?: string; limit: number },
        command: Command,
      ) => {
        const api = bollardsApi(cli, command);
        const entries = await allPages(async (pageToken, pageSize) => {
          const { entries: items, page } = await api.listAuditEntries({
            zoneId: flags.zone ?? '',
            bollardId: flags.bollard ?? '',
            kind: flags.kind ?? '',
            requestId: flags.request ?? '',
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
      },
    );
}
