// `slimstad federation policy | links | audit`: the federation service (FederationService) —
// the sharing policy in force (and reloading it after editing the file), the links to the
// neighbouring cities, and the audit of policy changes. It listens on its own address: --api,
// else $SLIMSTAD_FEDERATION_API, else 127.0.0.1:50057.
import {
  AggregateFunction,
  LinkState,
} from '@slimstad/contracts/gen/slimstad/federation/v1/federation';
import {
  FederationServiceClient,
  GetPolicyResponse,
  ListLinksResponse,
  ListPolicyAuditResponse,
  type Share,
} from '@slimstad/contracts/gen/slimstad/federation/v1/federation_service';
import { promisifyUnary } from '@slimstad/kit/grpc/index';
import { type Command, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';
import type { Column } from '../output.js';
import type { Cli, ServiceAddress } from '../program.js';
import { enumToken } from './device-args.js';
import type { CliCommand } from './index.js';

export const FEDERATION_API: ServiceAddress = {
  env: 'SLIMSTAD_FEDERATION_API',
  fallback: '127.0.0.1:50057',
};

function api(cli: Cli, command: Command) {
  const client = cli.client(command, FederationServiceClient, FEDERATION_API);
  return {
    getPolicy: promisifyUnary(client, client.getPolicy),
    reloadPolicy: promisifyUnary(client, client.reloadPolicy),
    listLinks: promisifyUnary(client, client.listLinks),
    listPolicyAudit: promisifyUnary(client, client.listPolicyAudit),
  };
}

const granularity = (s: Share) =>
  s.granularity === 'aggregated'
    ? `${enumToken(AggregateFunction, 'AGGREGATE_FUNCTION_', s.function)} per ${s.aggregateBy} per ${s.windowSeconds / 60} min`
    : s.granularity;

const SHARE_COLUMNS: Column<Share>[] = [
  { header: 'STREAM', value: (s: Share) => s.name },
  { header: 'SUBJECT', value: (s: Share) => s.subject },
  { header: 'GRANULARITY', value: granularity },
  { header: 'METRICS', value: (s: Share) => s.metrics.join(',') || '-' },
  { header: 'TO', value: (s: Share) => s.to.join(',') || '(nobody)' },
];

function printPolicy(
  cli: Cli,
  command: Command,
  policy: GetPolicyResponse,
  json = GetPolicyResponse.toJSON(policy),
) {
  cli.print(command, {
    json,
    rows: policy.shares,
    columns: SHARE_COLUMNS,
    empty: `${policy.city} shares nothing`,
  });
}

export const federation: CliCommand = {
  register(program, cli: Cli) {
    const group = program
      .command('federation')
      .description(
        `sharing with neighbouring cities: policy, links, audit (at --api, $${FEDERATION_API.env} or ${FEDERATION_API.fallback})`,
      );
    const policy = group.command('policy').description('the sharing policy in force');
    policy
      .command('show', { isDefault: true })
      .description('what is shared, on which subject, at what granularity, with whom')
      .action(async (_flags: unknown, command: Command) => {
        printPolicy(cli, command, await api(cli, command).getPolicy({}));
      });
    policy
      .command('reload')
      .description('re-read the policy file and put it in force (admin; audited)')
      .addOption(new Option('--reason <text>', 'why (kept in the audit)').makeOptionMandatory())
      .action(async (flags: { reason: string }, command: Command) => {
        if (!flags.reason.trim())
          throw new CliError('--reason: say why the policy changes', EXIT_USAGE);
        const { policy: now, changed } = await api(cli, command).reloadPolicy({
          reason: flags.reason,
        });
        if (!now) throw new CliError('the federation service answered without a policy');
        printPolicy(cli, command, now, { changed, policy: GetPolicyResponse.toJSON(now) });
        cli.io.stderr.write(changed ? 'policy changed and in force\n' : 'policy unchanged\n');
      });
    group
      .command('links')
      .description('per neighbour and shared stream: state, lag, last activity')
      .action(async (_flags: unknown, command: Command) => {
        const links = await api(cli, command).listLinks({});
        cli.print(command, {
          json: ListLinksResponse.toJSON(links),
          rows: links.links,
          columns: [
            { header: 'NEIGHBOUR', value: (l) => l.neighbour },
            { header: 'STREAM', value: (l) => l.stream },
            { header: 'DIR', value: (l) => l.direction },
            { header: 'STATE', value: (l) => enumToken(LinkState, 'LINK_STATE_', l.state) },
            { header: 'LAG', value: (l) => String(l.lagMessages) },
            { header: 'LAST ACTIVITY', value: (l) => l.lastActivityAt?.toISOString() ?? '-' },
            { header: 'REASON', value: (l) => l.reason || '-' },
          ],
          empty: links.hubUp
            ? 'no links (the city shares with no one)'
            : 'no links: the regional hub does not answer, or the city is in no region',
        });
      });
    group
      .command('audit')
      .description('policy changes, newest first')
      .addOption(new Option('--limit <n>', 'entries').default('20'))
      .action(async (flags: { limit: string }, command: Command) => {
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new CliError('--limit: a whole number ≥ 1', EXIT_USAGE);
        const audit = await api(cli, command).listPolicyAudit({ limit });
        cli.print(command, {
          json: ListPolicyAuditResponse.toJSON(audit),
          rows: audit.entries,
          columns: [
            { header: 'AT', value: (e) => e.at?.toISOString() ?? '-' },
            { header: 'ACTOR', value: (e) => e.actor },
            { header: 'CHANGED', value: (e) => (e.changed ? 'yes' : 'no') },
            { header: 'REASON', value: (e) => e.reason },
          ],
          empty: 'no policy changes recorded',
        });
      });
  },
};
