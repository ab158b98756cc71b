// Public warnings: an alert of a rule marked public becomes an OASIS CAP 1.2 message (built
// and validated by cap/) in the transaction of its change — Alert when it fires, Cancel (with
// references to every earlier message) when it resolves. Each message is stored (served as
// is by the Atom feed) and published on `share.alert.cap` through the outbox for neighbouring
// cities. A flood warning's instruction names the nearest sandbag points of the registry.
import { CapAlertShared } from '@slimstad/contracts';
import { type PublicWarning, Rule } from '@slimstad/contracts/gen/slimstad/alerting/v1/alerting';
import { enqueueEvent, type Logger, type Metrics } from '@slimstad/kit';
import { sql } from 'kysely';
import {
  buildCapAlert,
  type CapAlert,
  type CapArea,
  type CapCategory,
  type CapCertainty,
  type CapInfoContent,
  type CapSeverity,
  type CapUrgency,
  floodInfo,
  renderCapXml,
  SANDBAGS,
} from '../cap/index.js';
import type { AlertRow } from '../store/alert.repository.js';
import type { Tx } from '../store/db.js';
import { listResourcePoints } from '../store/directory.repository.js';
import { ruleVersion } from '../store/rule.repository.js';
import type { PublicWarningHook } from './alerts.js';

const SEVERITY: Record<string, CapSeverity> = {
  critical: 'Severe',
  warning: 'Moderate',
  info: 'Minor',
};

export interface PublicWarningsOptions {
  /** CAP sender, e.g. `alerting@<municipality>.slimstad` (no spaces, commas, < or &). */
  sender: string;
  municipalityCode: string;
  timeZone: string;
  log: Logger;
  metrics: Metrics;
}

/** The CAP area of a rule's public warning. */
export function capArea(pw: PublicWarning): CapArea {
  return {
    areaDesc: pw.areaDesc,
    ...(pw.polygon.length > 0
      ? { polygons: [pw.polygon.map((p) => ({ lat: p.latitude, lon: p.longitude }))] }
      : {}),
    ...(pw.circle?.center
      ? {
          circles: [
            {
              center: { lat: pw.circle.center.latitude, lon: pw.circle.center.longitude },
              radiusKm: pw.circle.radiusKm,
            },
          ],
        }
      : {}),
  };
}

export function createPublicWarnings(o: PublicWarningsOptions): PublicWarningHook {
  const published = o.metrics.counter(
    'cap_messages_total',
    'CAP messages published, by message type.',
    ['msg_type'],
  );
  const failed = o.metrics.counter(
    'cap_failures_total',
    'Public warnings that could not be built (the alert still fired).',
  );
  return {
    async onChange(trx: Tx, alert: AlertRow, _msgType, at) {
      const row = await ruleVersion(trx, alert.rule_id, Number(alert.rule_version));
      const pw = row ? Rule.fromJSON(row.spec).publicWarning : undefined;
      if (!pw) return;
      const { rows: previous } = await sql<{ identifier: string; sent: string }>`
        select identifier, sent from cap_message where alert_id = ${alert.id} order by id`.execute(
        trx,
      );
      const area = capArea(pw);
      const common = {
        categories: [(pw.category || 'Safety') as CapCategory],
        event: pw.event,
        urgency: (pw.urgency || 'Expected') as CapUrgency,
        severity: SEVERITY[alert.severity] ?? 'Unknown',
        certainty: (pw.certainty || 'Likely') as CapCertainty,
      };
      let model: CapAlert;
      try {
        let info: CapInfoContent[];
        if (pw.resourceKind === SANDBAGS) {
          const registry = (await listResourcePoints(trx, SANDBAGS)).map((p) => ({
            id: p.id,
            name: p.address ? `${p.name}, ${p.address}` : p.name,
            kind: p.kind,
            lat: p.latitude,
            lon: p.longitude,
            ...(p.note ? { opening: p.note } : {}),
          }));
          info = floodInfo({
            area,
            registry,
            k: pw.resourceCount || 3,
            common,
            texts: {
              en: { headline: pw.headline || pw.event, description: pw.description || pw.event },
            },
          }).info;
        } else {
          info = [
            {
              language: 'en-GB',
              ...common,
              ...(pw.headline ? { headline: pw.headline } : {}),
              ...(pw.description ? { description: pw.description } : {}),
              ...(pw.instruction ? { instruction: pw.instruction } : {}),
            },
          ];
        }
        model = buildCapAlert({
          // The alert, not its series: a series that fires again is a new warning.
          alertId: alert.id,
          version: previous.length + 1,
          state: alert.state === 'resolved' ? 'resolved' : 'active',
          sender: o.sender,
          sentAt: new Date(at),
          timeZone: o.timeZone,
          previous: previous.map((p) => ({
            sender: o.sender,
            identifier: p.identifier,
            sent: p.sent,
          })),
          areas: [area],
          info,
        });
      } catch (error) {
        failed.inc();
        o.log.error(
          { err: error, alert: alert.id, rule: alert.rule_id },
          'public warning could not be built; the alert fired without it',
        );
        return;
      }
      const xml = renderCapXml(model);
      const first = model.info[0];
      await sql`
        insert into cap_message (identifier, alert_id, msg_type, sent_at, sent, event, severity, area_desc, refs, xml)
        values (${model.identifier}, ${alert.id}, ${model.msgType}, ${new Date(at)}, ${model.sent}, ${first?.event ?? ''}, ${first?.severity ?? ''},
                ${area.areaDesc}, ${previous.map((p) => p.identifier)}, ${xml})`.execute(trx);
      await enqueueEvent(
        trx as never,
        CapAlertShared,
        {},
        {
          identifier: model.identifier,
          sender: model.sender,
          sent: new Date(at),
          msgType: model.msgType,
          event: first?.event ?? '',
          severity: first?.severity ?? '',
          urgency: first?.urgency ?? '',
          areaDesc: area.areaDesc,
          xml,
          references: previous.map((p) => p.identifier),
          municipalityCode: o.municipalityCode,
        },
        'cap',
      );
      published.inc({ msg_type: model.msgType });
    },
  };
}
