// The AlertingService gRPC API. Viewers read rules, alerts, silences, resource points and
// notifications; operators act on alerts (acknowledge, resolve, assign, comment), manage
// silences and dry-run rules; admins save rules and resource points. Every change names its
// caller: alert actions in the alert's append-only history, the rest in the audit table.
import { randomUUID } from 'node:crypto';
import { Rule } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { AlertingServiceService } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting_service';
import {
  alreadyExists,
  type CallContext,
  type Clock,
  defineService,
  type FieldViolation,
  failedPrecondition,
  invalidArgument,
  notFound,
  pageSize,
  pageTokens,
  type ServiceHandlers,
} from '@slimstad/kit';
import { dryRun } from '../domain/dry-run.js';
import { matcherProblem, matchesAll } from '../domain/labels.js';
import { type RuleDef, ruleMetric, validateRule } from '../domain/rules.js';
import { type InhibitRule, isInhibited, silencedBy } from '../domain/silences.js';
import type { Alerts } from '../engine/alerts.js';
import {
  alertById,
  historyOf,
  listAlerts,
  openAlerts,
  openAlertsOfRule,
} from '../store/alert.repository.js';
import type { Db } from '../store/db.js';
import {
  audit,
  deleteResourcePoint,
  listResourcePoints,
  putResourcePoint,
} from '../store/directory.repository.js';
import { listNotifications } from '../store/notification.repository.js';
import {
  currentRules,
  insertRuleVersion,
  latestRule,
  ruleVersion,
} from '../store/rule.repository.js';
import { expireSilence, insertSilence, listSilences } from '../store/silence.repository.js';
import {
  matcherFromWire,
  ruleFromWire,
  stateOf,
  toAlertMessage,
  toResourcePointMessage,
  toSilenceMessage,
} from './mapping.js';
import type { FetchReadings, NearestPoints } from './ports.js';

export interface AlertingApiDeps {
  db: Db;
  alerts: Alerts;
  clock: Clock;
  inhibitRules: readonly InhibitRule[];
  /** Called after a rule was saved or deleted (the engine reloads). */
  rulesChanged: () => Promise<void>;
  nearest: NearestPoints;
  /** Recorded readings for dry runs (ingest's QueryReadings), when configured. */
  fetchReadings?: FetchReadings;
}

type Handlers = ServiceHandlers<typeof AlertingServiceService>;
const rulePages = pageTokens('rule');
const alertPages = pageTokens('alert');
const notificationPages = pageTokens('notification');
const TOKEN = /^[A-Za-z0-9_-]+$/;

const ruleOf = (row: {
  spec: unknown;
  version: bigint;
  updated_by: string;
  updated_at: Date;
}): Rule => ({
  ...Rule.fromJSON(row.spec),
  version: BigInt(row.version),
  updatedBy: row.updated_by,
  updateTime: row.updated_at,
});

function checkRule(wire: Rule | undefined, version: number) {
  if (!wire)
    throw invalidArgument('rule is required', [{ field: 'rule', description: 'is required' }]);
  const { rule, violations } = ruleFromWire(wire, version);
  const all = [...violations, ...(rule ? validateRule(rule) : [])];
  if (all.length > 0 || !rule)
    throw invalidArgument(
      `rule is invalid: ${all.map((v) => `${v.field} ${v.description}`).join('; ')}`,
      all,
    );
  return rule;
}

export function createAlertingApi(deps: AlertingApiDeps) {
  const { db, alerts, clock } = deps;
  const actor = (ctx: CallContext) => ctx.principal.subject;

  const saveRule = async (
    wire: Rule,
    ctx: CallContext,
    mode: 'create' | 'update',
    expected = 0n,
  ) => {
    const saved = await db.transaction().execute(async (trx) => {
      const latest = await latestRule(trx, wire.id, true);
      if (mode === 'create' && latest && !latest.deleted) throw alreadyExists(`rule ${wire.id}`);
      if (mode === 'update' && (!latest || latest.deleted)) throw notFound(`rule ${wire.id}`);
      if (mode === 'update' && expected > 0n && latest && BigInt(latest.version) !== expected)
        throw failedPrecondition(
          `rule ${wire.id} is at version ${latest.version}, not ${expected}; reload and retry`,
        );
      const version = Number(latest?.version ?? 0n) + 1;
      checkRule(wire, version);
      const spec = Rule.toJSON({ ...wire, version: 0n, updatedBy: '', updateTime: undefined });
      const row = await insertRuleVersion(trx, {
        id: wire.id,
        version,
        spec,
        enabled: wire.enabled,
        deleted: false,
        actor: actor(ctx),
      });
      await audit(trx, actor(ctx), `rule.${mode}`, wire.id, { version });
      return row;
    });
    await deps.rulesChanged();
    return ruleOf(saved);
  };

  /** A device's recorded readings from ingest, one sample per bucket as the rule reads it. */
  const recorded = async (rule: RuleDef, deviceId: string, start?: Date, end?: Date) => {
    const v: FieldViolation[] = [];
    if (!deviceId)
      v.push({
        field: 'device_id',
        description: 'give samples, or a device whose readings ingest holds',
      });
    if (!start || !end || end <= start)
      v.push({ field: 'end_time', description: 'must be after start_time' });
    const metric = ruleMetric(rule.condition);
    if (!metric)
      v.push({
        field: 'rule',
        description: `${rule.condition.kind} rules cannot be dry-run over readings`,
      });
    if (v.length > 0 || !start || !end || !metric)
      throw invalidArgument('nothing to run the rule over', v);
    if (!deps.fetchReadings)
      throw failedPrecondition(
        'ingest is not configured (INGEST_GRPC_ADDRESS); pass the samples in the request',
      );
    const range = end.getTime() - start.getTime();
    const bucketMs = Math.max(1_000, Math.ceil(range / 10_000 / 1_000) * 1_000);
    const buckets = await deps.fetchReadings({ deviceId, metric, start, end, bucketMs });
    const c = rule.condition;
    // Each bucket stands for its readings as the rule would judge them: the extreme a
    // threshold or a night's minimum looks for, the total a baseline sums, else the mean.
    const pick = (b: (typeof buckets)[number]) =>
      c.kind === 'threshold'
        ? c.comparison === 'above'
          ? b.max
          : b.min
        : c.kind === 'night_flow'
          ? b.min
          : c.kind === 'baseline'
            ? b.avg * b.count
            : b.avg;
    return buckets.map((b) => ({ time: b.time, value: pick(b), device: deviceId }));
  };

  const handlers: Handlers = {
    createRule: {
      roles: ['admin'],
      handle: async (req, ctx) => {
        const wire = req.rule;
        if (!wire)
          throw invalidArgument('rule is required', [
            { field: 'rule', description: 'is required' },
          ]);
        const id = wire.id || `rule-${randomUUID().slice(0, 8)}`;
        return { rule: await saveRule({ ...wire, id }, ctx, 'create') };
      },
    },
    updateRule: {
      roles: ['admin'],
      handle: async (req, ctx) => {
        if (!req.rule?.id)
          throw invalidArgument('rule.id is required', [
            { field: 'rule.id', description: 'is required' },
          ]);
        return { rule: await saveRule(req.rule, ctx, 'update', req.expectedVersion) };
      },
    },
    getRule: {
      roles: ['viewer'],
      handle: async (req) => {
        const row =
          req.version > 0n
            ? await ruleVersion(db, req.id, Number(req.version))
            : await latestRule(db, req.id);
        if (!row || (req.version === 0n && row.deleted)) throw notFound(`rule ${req.id}`);
        return { rule: ruleOf(row) };
      },
    },
    listRules: {
      roles: ['viewer'],
      handle: async (req) => {
        const limit = pageSize(req.page?.pageSize);
        const after = rulePages.decode(req.page?.pageToken ?? '');
        const rows = await currentRules(db, { afterId: after, limit: limit + 1 });
        const page = rows.slice(0, limit);
        return {
          rules: page.map(ruleOf),
          page: {
            nextPageToken: rows.length > limit ? rulePages.encode(page.at(-1)?.id ?? '') : '',
            totalSize: 0,
          },
        };
      },
    },
    deleteRule: {
      roles: ['admin'],
      handle: async (req, ctx) => {
        const open = await db.transaction().execute(async (trx) => {
          const latest = await latestRule(trx, req.id, true);
          if (!latest || latest.deleted) throw notFound(`rule ${req.id}`);
          await insertRuleVersion(trx, {
            id: req.id,
            version: Number(latest.version) + 1,
            spec: latest.spec,
            enabled: false,
            deleted: true,
            actor: actor(ctx),
          });
          await audit(trx, actor(ctx), 'rule.delete', req.id);
          return openAlertsOfRule(trx, req.id);
        });
        for (const a of open)
          await alerts.resolveOpen(a.fingerprint, `rule ${req.id} deleted by ${actor(ctx)}`);
        await deps.rulesChanged();
        return {};
      },
    },
    dryRunRule: {
      roles: ['operator'],
      handle: async (req) => {
        const rule = checkRule(
          req.rule
            ? { ...req.rule, id: req.rule.id || 'dry-run', name: req.rule.name || 'dry run' }
            : undefined,
          1,
        );
        if (rule.condition.kind === 'event')
          throw invalidArgument('event rules cannot be dry-run over readings', [
            { field: 'rule.event', description: 'dry runs take readings' },
          ]);
        let source = 'request';
        let samples: { time: number; value: number; device: string }[];
        if (req.samples.length > 0) {
          samples = req.samples.map((s, i) => {
            if (!s.time)
              throw invalidArgument('sample without time', [
                { field: `samples[${i}].time`, description: 'is required' },
              ]);
            return { time: s.time.getTime(), value: s.value, device: s.deviceId || 'dry-run' };
          });
        } else {
          samples = await recorded(rule, req.deviceId, req.startTime, req.endTime);
          source = 'ingest';
        }
        const transitions = dryRun(rule.condition, samples, 0, req.endTime?.getTime());
        return {
          transitions: transitions.map((t) => ({
            time: new Date(t.time),
            state: t.state,
            labels: { device: t.device },
            value: t.value,
          })),
          samples: samples.length,
          source,
        };
      },
    },
    listAlerts: {
      roles: ['viewer'],
      handle: async (req) => {
        const matchers = req.matchers.map(matcherFromWire);
        const problems = matchers.flatMap((m, i) => {
          const p = matcherProblem(m);
          return p ? [{ field: `matchers[${i}]`, description: p }] : [];
        });
        if (problems.length > 0) throw invalidArgument('invalid matchers', problems);
        const states = req.states.map((s) => stateOf(s)).filter((s) => s !== undefined);
        const limit = pageSize(req.page?.pageSize);
        const token = alertPages.decode(req.page?.pageToken ?? '');
        const after = token
          ? {
              startedAt: new Date(token.split('/')[0] as string),
              id: token.split('/')[1] as string,
            }
          : undefined;
        const now = clock.now();
        const silences = (await listSilences(db, now, false)).map((s) => ({
          id: s.id,
          matchers: s.matchers,
          startsAt: s.starts_at.getTime(),
          endsAt: s.ends_at.getTime(),
        }));
        const open = await openAlerts(db);
        const out = [];
        let cursor = after;
        let more = false;
        // Matchers filter in memory; page through until the page is full.
        for (;;) {
          const rows = await listAlerts(db, { states, after: cursor, limit: limit + 1 });
          for (const a of rows.slice(0, limit)) {
            if (!matchesAll(matchers, a.labels)) continue;
            if (out.length === limit) {
              more = true;
              break;
            }
            out.push(
              toAlertMessage(a, [], {
                silenced: silencedBy(a.labels, silences, now).length > 0,
                inhibited: a.state !== 'resolved' && isInhibited(a, open, deps.inhibitRules),
              }),
            );
          }
          const last = rows.slice(0, limit).at(-1);
          if (more || rows.length <= limit || !last) {
            more ||= false;
            break;
          }
          cursor = { startedAt: last.started_at, id: last.id };
        }
        const lastOut = out.at(-1);
        return {
          alerts: out,
          page: {
            nextPageToken:
              more && lastOut
                ? alertPages.encode(`${lastOut.startTime?.toISOString()}/${lastOut.id}`)
                : '',
            totalSize: 0,
          },
        };
      },
    },
    getAlert: {
      roles: ['viewer'],
      handle: async (req) => {
        const a = await alertById(db, req.id);
        if (!a) throw notFound(`alert ${req.id}`);
        return { alert: toAlertMessage(a, await historyOf(db, a.id)) };
      },
    },
    acknowledgeAlert: {
      roles: ['operator'],
      handle: async (req, ctx) => ({
        alert: toAlertMessage(
          await alerts.act(
            req.id,
            { kind: 'acknowledge', actor: actor(ctx), at: clock.now() },
            req.comment,
          ),
        ),
      }),
    },
    resolveAlert: {
      roles: ['operator'],
      handle: async (req, ctx) => ({
        alert: toAlertMessage(
          await alerts.act(
            req.id,
            { kind: 'resolve', actor: actor(ctx), at: clock.now() },
            req.comment,
          ),
        ),
      }),
    },
    assignAlert: {
      roles: ['operator'],
      handle: async (req, ctx) => ({
        alert: toAlertMessage(
          await alerts.act(
            req.id,
            { kind: 'assign', actor: actor(ctx), assignee: req.assignee, at: clock.now() },
            '',
          ),
        ),
      }),
    },
    commentAlert: {
      roles: ['operator'],
      handle: async (req, ctx) => {
        if (req.text.trim() === '')
          throw invalidArgument('comment is empty', [
            { field: 'text', description: 'is required' },
          ]);
        return {
          alert: toAlertMessage(
            await alerts.act(
              req.id,
              { kind: 'comment', actor: actor(ctx), at: clock.now() },
              req.text,
            ),
          ),
        };
      },
    },
    createSilence: {
      roles: ['operator'],
      handle: async (req, ctx) => {
        const s = req.silence;
        const v: FieldViolation[] = [];
        if (!s)
          throw invalidArgument('silence is required', [
            { field: 'silence', description: 'is required' },
          ]);
        const matchers = s.matchers.map(matcherFromWire);
        if (matchers.length === 0)
          v.push({ field: 'silence.matchers', description: 'at least one matcher is required' });
        matchers.forEach((m, i) => {
          const p = matcherProblem(m);
          if (p) v.push({ field: `silence.matchers[${i}]`, description: p });
        });
        if (matchers.length > 0 && matchers.every((m) => matchesAll([m], {})))
          v.push({
            field: 'silence.matchers',
            description: 'must not all match the empty label set (that would silence everything)',
          });
        const startsAt = s.startTime?.getTime() ?? clock.now();
        const endsAt = s.endTime?.getTime();
        if (endsAt === undefined) v.push({ field: 'silence.end_time', description: 'is required' });
        else if (endsAt <= startsAt)
          v.push({ field: 'silence.end_time', description: 'must be after start_time' });
        if (s.comment.trim() === '')
          v.push({ field: 'silence.comment', description: 'is required: say why' });
        if (v.length > 0) throw invalidArgument('silence is invalid', v);
        const row = await db.transaction().execute(async (trx) => {
          const r = await insertSilence(trx, {
            matchers,
            startsAt,
            endsAt: endsAt as number,
            createdBy: actor(ctx),
            comment: s.comment,
          });
          await audit(trx, actor(ctx), 'silence.create', r.id, { matchers, comment: s.comment });
          return r;
        });
        return { silence: toSilenceMessage(row) };
      },
    },
    listSilences: {
      roles: ['viewer'],
      handle: async (req) => ({
        silences: (await listSilences(db, clock.now(), req.includeExpired)).map(toSilenceMessage),
      }),
    },
    expireSilence: {
      roles: ['operator'],
      handle: async (req, ctx) => {
        const row = await db.transaction().execute(async (trx) => {
          const r = await expireSilence(trx, req.id, clock.now());
          if (!r) throw notFound(`silence ${req.id}`);
          await audit(trx, actor(ctx), 'silence.expire', r.id);
          return r;
        });
        return { silence: toSilenceMessage(row) };
      },
    },
    putResourcePoint: {
      roles: ['admin'],
      handle: async (req, ctx) => {
        const p = req.point;
        const v: FieldViolation[] = [];
        if (!p)
          throw invalidArgument('point is required', [
            { field: 'point', description: 'is required' },
          ]);
        if (!TOKEN.test(p.id))
          v.push({ field: 'point.id', description: 'must be letters, digits, "-" or "_"' });
        if (!TOKEN.test(p.kind))
          v.push({ field: 'point.kind', description: 'must be a word such as "sandbags"' });
        if (p.name.trim() === '') v.push({ field: 'point.name', description: 'is required' });
        const loc = p.location;
        if (!loc || !(Math.abs(loc.latitude) <= 90))
          v.push({ field: 'point.location.latitude', description: 'must be within [-90, 90]' });
        if (!loc || !(Math.abs(loc.longitude) <= 180))
          v.push({ field: 'point.location.longitude', description: 'must be within [-180, 180]' });
        if (v.length > 0) throw invalidArgument('resource point is invalid', v);
        const row = await db.transaction().execute(async (trx) => {
          const r = await putResourcePoint(
            trx,
            {
              id: p.id,
              kind: p.kind,
              name: p.name,
              latitude: loc?.latitude ?? 0,
              longitude: loc?.longitude ?? 0,
              address: p.address,
              zone: p.zone,
              note: p.note,
            },
            actor(ctx),
          );
          await audit(trx, actor(ctx), 'resource_point.put', p.id, r);
          return r;
        });
        return { point: toResourcePointMessage(row) };
      },
    },
    deleteResourcePoint: {
      roles: ['admin'],
      handle: async (req, ctx) => {
        await db.transaction().execute(async (trx) => {
          if (!(await deleteResourcePoint(trx, req.id))) throw notFound(`resource point ${req.id}`);
          await audit(trx, actor(ctx), 'resource_point.delete', req.id);
        });
        return {};
      },
    },
    listResourcePoints: {
      roles: ['viewer'],
      handle: async (req) => ({
        points: (await listResourcePoints(db, req.kind)).map(toResourcePointMessage),
      }),
    },
    findNearestResourcePoints: {
      roles: ['viewer'],
      handle: async (req) => {
        const loc = req.location;
        if (!loc)
          throw invalidArgument('location is required', [
            { field: 'location', description: 'is required' },
          ]);
        const points = (await listResourcePoints(db, req.kind)).map(toResourcePointMessage);
        return { points: deps.nearest(points, loc, req.count || 3) };
      },
    },
    listNotifications: {
      roles: ['viewer'],
      handle: async (req) => {
        const limit = pageSize(req.page?.pageSize);
        const token = notificationPages.decode(req.page?.pageToken ?? '');
        const rows = await listNotifications(db, {
          status: req.status,
          beforeId: token ? BigInt(token) : undefined,
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        return {
          notifications: page.map((n) => ({
            id: String(n.id),
            receiver: n.receiver,
            groupKey: n.group_key,
            status: n.status,
            attempts: n.attempts,
            lastError: n.last_error ?? '',
            createTime: n.created_at,
            deliverTime: n.delivered_at ?? undefined,
            alertIds: n.alert_ids,
          })),
          page: {
            nextPageToken:
              rows.length > limit ? notificationPages.encode(String(page.at(-1)?.id)) : '',
            totalSize: 0,
          },
        };
      },
    },
  };

  return defineService(AlertingServiceService, handlers);
}
