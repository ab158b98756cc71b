// `slimstad alerts …`: the alerting service (AlertingService) — rules (admin saves them from a
// JSON file, operators dry-run them), alerts (list, get, ack, resolve, assign, comment),
// silences, notifications and their delivery state, and the resource points public warnings
// name. It listens on its own address: --api, else $SLIMSTAD_ALERTING_API, else 127.0.0.1:50056.
import { readFile } from 'node:fs/promises';
import {
  type Alert,
  AlertState,
  type Matcher,
  MatchOperator,
  Rule,
} from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { AlertingServiceClient } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import { promisifyUnary } from '@slimstad/kit/grpc/index';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { Cli, ServiceAddress } from '../program.js';
import type { CliCommand } from './index.js';

export const ALERTING_API: ServiceAddress = {
  env: 'SLIMSTAD_ALERTING_API',
  fallback: '127.0.0.1:50056',
};

function alertingApi(cli: Cli, command: Command) {
  const c = cli.client(command, AlertingServiceClient, ALERTING_API);
  return {
    createRule: promisifyUnary(c, c.createRule),
    updateRule: promisifyUnary(c, c.updateRule),
    getRule: promisifyUnary(c, c.getRule),
    listRules: promisifyUnary(c, c.listRules),
    deleteRule: promisifyUnary(c, c.deleteRule),
    dryRunRule: promisifyUnary(c, c.dryRunRule),
    listAlerts: promisifyUnary(c, c.listAlerts),
    getAlert: promisifyUnary(c, c.getAlert),
    acknowledgeAlert: promisifyUnary(c, c.acknowledgeAlert),
    resolveAlert: promisifyUnary(c, c.resolveAlert),
    assignAlert: promisifyUnary(c, c.assignAlert),
    commentAlert: promisifyUnary(c, c.commentAlert),
    createSilence: promisifyUnary(c, c.createSilence),
    listSilences: promisifyUnary(c, c.listSilences),
    expireSilence: promisifyUnary(c, c.expireSilence),
    putResourcePoint: promisifyUnary(c, c.putResourcePoint),
    deleteResourcePoint: promisifyUnary(c, c.deleteResourcePoint),
    listResourcePoints: promisifyUnary(c, c.listResourcePoints),
    findNearestResourcePoints: promisifyUnary(c, c.findNearestResourcePoints),
    listNotifications: promisifyUnary(c, c.listNotifications),
  };
}

const STATES: Record<string, AlertState> = {
  firing: AlertState.ALERT_STATE_FIRING,
  acknowledged: AlertState.ALERT_STATE_ACKNOWLEDGED,
  resolved: AlertState.ALERT_STATE_RESOLVED,
};
const stateName = (s: AlertState) =>
  Object.entries(STATES).find(([, v]) => v === s)?.[0] ?? 'unknown';

/** `name=value`, `name!=value`, `name=~regex`, `name!~regex` → a matcher. */
export function parseMatcher(text: string): Matcher {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)(.*)$/.exec(text);
  if (!m)
    throw new CliError(
      `matcher ${JSON.stringify(text)} must look like name=value, name!=value, name=~regex or name!~regex`,
    );
  const operator = {
    '=': MatchOperator.MATCH_OPERATOR_EQUAL,
    '!=': MatchOperator.MATCH_OPERATOR_NOT_EQUAL,
    '=~': MatchOperator.MATCH_OPERATOR_REGEX,
    '!~': MatchOperator.MATCH_OPERATOR_NOT_REGEX,
  }[m[2] as '='];
  return { name: m[1] as string, operator, value: m[3] as string };
}

/** `90s`, `15m`, `2h`, `1d` → ms. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m)
    throw new CliError(
      `duration ${JSON.stringify(text)} must be a number with s, m, h or d, e.g. 2h`,
    );
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's'];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

async function readRule(path: string): Promise<Rule> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new CliError(`cannot read ${path}: ${error.message}`);
  });
  try {
    return Rule.fromJSON(JSON.parse(text));
  } catch (error) {
    throw new CliError(`${path} is not a rule in JSON: ${(error as Error).message}`);
  }
}

function printAlerts(cli: Cli, command: Command, alerts: Alert[]) {
  cli.print(command, {
    json: alerts,
    rows: alerts,
    columns: [
      { header: 'id', value: (a) => a.id },
      {
        header: 'state',
        value: (a) =>
          stateName(a.state) +
          (a.silenced ? ' (silenced)' : '') +
          (a.inhibited ? ' (inhibited)' : ''),
      },
      { header: 'alertname', value: (a) => a.labels.alertname },
      { header: 'severity', value: (a) => a.labels.severity },
      { header: 'device', value: (a) => a.labels.device },
      { header: 'zone', value: (a) => a.labels.zone },
      { header: 'since', value: (a) => a.startTime },
      { header: 'assignee', value: (a) => a.assignee },
    ],
    empty: 'no alerts',
  });
}

export const alerts: CliCommand = {
  register(program, cli: Cli) {
    const group = program
      .command('alerts')
      .description('alerts, rules, silences and notifications (alerting service)');

    const rules = group
      .command('rules')
      .description('rules over live data: list, get, apply, delete, test');
    rules
      .command('list')
      .description('list the rules (latest versions)')
      .action(async (_f, command: Command) => {
        const { rules: items } = await alertingApi(cli, command).listRules({
          page: { pageSize: 1000, pageToken: '' },
        });
        cli.print(command, {
          json: items.map((r) => Rule.toJSON(r)),
          rows: items,
          columns: [
            { header: 'id', value: (r) => r.id },
            { header: 'version', value: (r) => r.version },
            { header: 'name', value: (r) => r.name },
            { header: 'kind', value: (r) => r.condition?.$case },
            { header: 'enabled', value: (r) => (r.enabled ? 'yes' : 'no') },
            { header: 'public', value: (r) => (r.publicWarning ? 'yes' : 'no') },
            { header: 'updated by', value: (r) => r.updatedBy },
          ],
          empty: 'no rules',
        });
      });
    rules
      .command('get')
      .description('show one rule as JSON (the file format of apply)')
      .argument('<id>', 'rule id')
      .option('--version <n>', 'an earlier version', '0')
      .action(async (id: string, flags: { version: string }, command: Command) => {
        const { rule } = await alertingApi(cli, command).getRule({
          id,
          version: BigInt(flags.version),
        });
        cli.print(command, {
          json: rule ? Rule.toJSON(rule) : null,
          rows: rule ? [rule] : [],
          columns: [{ header: 'rule', value: (r) => Rule.toJSON(r) }],
        });
      });
    rules
      .command('apply')
      .description('create a rule, or save a new version of it, from a JSON file (admin)')
      .requiredOption('-f, --file <path>', 'the rule in JSON (see `rules get`)')
      .action(async (flags: { file: string }, command: Command) => {
        const rule = await readRule(flags.file);
        const api = alertingApi(cli, command);
        const existing = rule.id
          ? await api.getRule({ id: rule.id, version: 0n }).catch(() => undefined)
          : undefined;
        const saved = existing?.rule
          ? await api.updateRule({ rule, expectedVersion: existing.rule.version })
          : await api.createRule({ rule });
        cli.print(command, {
          json: saved.rule ? Rule.toJSON(saved.rule) : null,
          rows: saved.rule ? [saved.rule] : [],
          columns: [
            { header: 'id', value: (r) => r.id },
            { header: 'version', value: (r) => r.version },
            { header: 'name', value: (r) => r.name },
          ],
        });
      });
    rules
      .command('delete')
      .description('delete a rule; its open alerts are resolved (admin)')
      .argument('<id>', 'rule id')
      .action(async (id: string, _f, command: Command) => {
        await alertingApi(cli, command).deleteRule({ id });
        cli.print(command, {
          json: { deleted: id },
          rows: [{ id }],
          columns: [{ header: 'deleted', value: (r) => r.id }],
        });
      });
    rules
      .command('test')
      .description(
        'dry-run a rule file over recorded samples (CSV: time,value[,device]) without raising anything',
      )
      .requiredOption('-f, --file <path>', 'the rule in JSON')
      .requiredOption('--samples <csv>', 'recorded samples, e.g. exported from `slimstad readings`')
      .action(async (flags: { file: string; samples: string }, command: Command) => {
        const rule = await readRule(flags.file);
        const csv = await readFile(flags.samples, 'utf8').catch((error: Error) => {
          throw new CliError(`cannot read ${flags.samples}: ${error.message}`);
        });
        const samples = csv
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('time'))
          .map((line, i) => {
            const [time, value, device] = line.split(',');
            const t = Date.parse(time ?? '');
            if (Number.isNaN(t) || !Number.isFinite(Number(value)))
              throw new CliError(`${flags.samples} line ${i + 1}: expected time,value[,device]`);
            return { time: new Date(t), value: Number(value), deviceId: device ?? '' };
          });
        const result = await alertingApi(cli, command).dryRunRule({ rule, samples, deviceId: '' });
        cli.print(command, {
          json: result,
          rows: result.transitions,
          columns: [
            { header: 'time', value: (t) => t.time },
            { header: 'state', value: (t) => t.state },
            { header: 'device', value: (t) => t.labels.device },
            { header: 'value', value: (t) => t.value },
          ],
          empty: `no transitions over ${result.samples} samples`,
        });
      });

    group
      .command('list')
      .description('list alerts, newest first')
      .option('--state <state>', 'firing, acknowledged or resolved (repeatable)', collect)
      .option('--match <matcher>', 'label matcher, e.g. zone=grote-markt (repeatable)', collect)
      .action(async (flags: { state?: string[]; match?: string[] }, command: Command) => {
        const states = (flags.state ?? []).map((s) => {
          const v = STATES[s];
          if (v === undefined)
            throw new CliError(`--state ${s}: must be firing, acknowledged or resolved`);
          return v;
        });
        const { alerts: items } = await alertingApi(cli, command).listAlerts({
          states,
          matchers: (flags.match ?? []).map(parseMatcher),
          page: { pageSize: 1000, pageToken: '' },
        });
        printAlerts(cli, command, items);
      });
    group
      .command('get')
      .description('one alert with its history')
      .argument('<id>', 'alert id')
      .action(async (id: string, _f, command: Command) => {
        const { alert } = await alertingApi(cli, command).getAlert({ id });
        cli.print(command, {
          json: alert,
          rows: alert?.history ?? [],
          columns: [
            { header: 'time', value: (h) => h.time },
            { header: 'event', value: (h) => h.kind },
            { header: 'who', value: (h) => h.actor },
            { header: 'text', value: (h) => h.text },
          ],
        });
      });
    const act = (
      name: string,
      description: string,
      call: (
        api: ReturnType<typeof alertingApi>,
        id: string,
        text: string,
      ) => Promise<{ alert?: Alert }>,
      textArg?: string,
    ) => {
      const c = group.command(name).description(description).argument('<id>', 'alert id');
      if (textArg) c.argument(`<${textArg}>`);
      else c.option('--comment <text>', 'a note for the history', '');
      c.action(async (...args: unknown[]) => {
        // Commander passes the arguments, then the options, then the command.
        const command = args.at(-1) as Command;
        const id = args[0] as string;
        const text = textArg ? (args[1] as string) : (args.at(-2) as { comment: string }).comment;
        const { alert } = await call(alertingApi(cli, command), id, text);
        printAlerts(cli, command, alert ? [alert] : []);
      });
    };
    act('ack', 'acknowledge a firing alert (operator)', (api, id, comment) =>
      api.acknowledgeAlert({ id, comment }),
    );
    act('resolve', 'resolve an open alert by hand (operator)', (api, id, comment) =>
      api.resolveAlert({ id, comment }),
    );
    act(
      'assign',
      'assign an open alert to someone (operator)',
      (api, id, assignee) => api.assignAlert({ id, assignee }),
      'assignee',
    );
    act(
      'comment',
      'add a comment to an alert (operator)',
      (api, id, text) => api.commentAlert({ id, text }),
      'text',
    );

    const silences = group.command('silences').description('silences: list, add, expire');
    const printSilences = (
      command: Command,
      items: Awaited<ReturnType<ReturnType<typeof alertingApi>['listSilences']>>['silences'],
    ) =>
      cli.print(command, {
        json: items,
        rows: items,
        columns: [
          { header: 'id', value: (s) => s.id },
          {
            header: 'matchers',
            value: (s) =>
              s.matchers
                .map((m) => `${m.name}${['=', '=', '!=', '=~', '!~'][m.operator]}${m.value}`)
                .join(','),
          },
          { header: 'from', value: (s) => s.startTime },
          { header: 'until', value: (s) => s.endTime },
          { header: 'by', value: (s) => s.createdBy },
          { header: 'comment', value: (s) => s.comment },
        ],
        empty: 'no silences',
      });
    silences
      .command('list')
      .description('active and pending silences')
      .option('--all', 'include ended ones', false)
      .action(async (flags: { all: boolean }, command: Command) => {
        printSilences(
          command,
          (await alertingApi(cli, command).listSilences({ includeExpired: flags.all })).silences,
        );
      });
    silences
      .command('add')
      .description('mute notifications of matching alerts (operator)')
      .requiredOption('--match <matcher>', 'label matcher, e.g. device=wl-7 (repeatable)', collect)
      .requiredOption('--for <duration>', 'how long, e.g. 2h')
      .requiredOption('--comment <text>', 'why')
      .action(
        async (flags: { match: string[]; for: string; comment: string }, command: Command) => {
          const now = Date.now();
          const { silence } = await alertingApi(cli, command).createSilence({
            silence: {
              id: '',
              matchers: flags.match.map(parseMatcher),
              startTime: new Date(now),
              endTime: new Date(now + parseDurationMs(flags.for)),
              createdBy: '',
              comment: flags.comment,
            },
          });
          printSilences(command, silence ? [silence] : []);
        },
      );
    silences
      .command('expire')
      .description('end a silence now (operator)')
      .argument('<id>', 'silence id')
      .action(async (id: string, _f, command: Command) => {
        const { silence } = await alertingApi(cli, command).expireSilence({ id });
        printSilences(command, silence ? [silence] : []);
      });

    group
      .command('notifications')
      .description('notifications and their delivery state, newest first')
      .option('--status <status>', 'pending, sending, retrying, delivered or failed')
      .action(async (flags: { status?: string }, command: Command) => {
        const { notifications } = await alertingApi(cli, command).listNotifications({
          status: flags.status ?? '',
          page: { pageSize: 200, pageToken: '' },
        });
        cli.print(command, {
          json: notifications,
          rows: notifications,
          columns: [
            { header: 'id', value: (n) => n.id },
            { header: 'receiver', value: (n) => n.receiver },
            { header: 'status', value: (n) => n.status },
            { header: 'attempts', value: (n) => n.attempts },
            { header: 'alerts', value: (n) => n.alertIds.length },
            { header: 'created', value: (n) => n.createTime },
            { header: 'last error', value: (n) => n.lastError },
          ],
          empty: 'no notifications',
        });
      });

    const resources = group
      .command('resources')
      .description('resource points named in public warnings (sandbags, shelters)');
    const printPoints = (
      command: Command,
      points: {
        id: string;
        kind: string;
        name: string;
        location?: { latitude: number; longitude: number };
        address: string;
      }[],
      distances?: number[],
    ) =>
      cli.print(command, {
        json: points,
        rows: points.map((p, i) => ({ ...p, distance: distances?.[i] })),
        columns: [
          { header: 'id', value: (p) => p.id },
          { header: 'kind', value: (p) => p.kind },
          { header: 'name', value: (p) => p.name },
          { header: 'lat', value: (p) => p.location?.latitude },
          { header: 'lon', value: (p) => p.location?.longitude },
          { header: 'address', value: (p) => p.address },
          ...(distances
            ? [
                {
                  header: 'distance m',
                  value: (p: { distance?: number }) => Math.round(p.distance ?? 0),
                },
              ]
            : []),
        ],
        empty: 'no resource points',
      });
    const number = (what: string) => (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new CliError(`${what} must be a number`);
      return n;
    };
    resources
      .command('list')
      .option('--kind <kind>', 'only this kind, e.g. sandbags')
      .action(async (flags: { kind?: string }, command: Command) => {
        printPoints(
          command,
          (await alertingApi(cli, command).listResourcePoints({ kind: flags.kind ?? '' })).points,
        );
      });
    resources
      .command('put')
      .description('add or replace a resource point (admin)')
      .argument('<id>', 'point id')
      .requiredOption('--kind <kind>', 'e.g. sandbags')
      .requiredOption('--name <name>', 'what residents see')
      .requiredOption('--lat <latitude>', 'WGS84 latitude', number('--lat'))
      .requiredOption('--lon <longitude>', 'WGS84 longitude', number('--lon'))
      .option('--address <text>', 'address', '')
      .option('--zone <zone>', 'zone it serves', '')
      .option('--note <text>', 'opening times or remarks', '')
      .action(
        async (
          id: string,
          f: {
            kind: string;
            name: string;
            lat: number;
            lon: number;
            address: string;
            zone: string;
            note: string;
          },
          command: Command,
        ) => {
          const { point } = await alertingApi(cli, command).putResourcePoint({
            point: {
              id,
              kind: f.kind,
              name: f.name,
              location: { latitude: f.lat, longitude: f.lon },
              address: f.address,
              zone: f.zone,
              note: f.note,
            },
          });
          printPoints(command, point ? [point] : []);
        },
      );
    resources
      .command('delete')
      .argument('<id>', 'point id')
      .action(async (id: string, _f, command: Command) => {
        await alertingApi(cli, command).deleteResourcePoint({ id });
        cli.print(command, {
          json: { deleted: id },
          rows: [{ id }],
          columns: [{ header: 'deleted', value: (r) => r.id }],
        });
      });
    resources
      .command('nearest')
      .description('the points of a kind nearest to a place')
      .requiredOption('--kind <kind>', 'e.g. sandbags')
      .requiredOption('--lat <latitude>', 'WGS84 latitude', number('--lat'))
      .requiredOption('--lon <longitude>', 'WGS84 longitude', number('--lon'))
      .option('--count <n>', 'how many', number('--count'), 3)
      .action(
        async (f: { kind: string; lat: number; lon: number; count: number }, command: Command) => {
          const { points } = await alertingApi(cli, command).findNearestResourcePoints({
            kind: f.kind,
            location: { latitude: f.lat, longitude: f.lon },
            count: f.count,
          });
          printPoints(
            command,
            points.map((p) => p.point!).filter(Boolean),
            points.map((p) => p.distanceMeters),
          );
        },
      );
  },
};
