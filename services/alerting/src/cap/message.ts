// OASIS CAP 1.2 (Common Alerting Protocol, http://docs.oasis-open.org/emergency/cap/v1.2/):
// the message model, its validation against the spec's rules, the XML rendering (element
// order as in the 1.2 schema), and the builder that turns one of our alerts into a message —
// `Alert` for its first version, `Update` for later versions, `Cancel` when it resolves, the
// latter two referencing every earlier message of the alert. Pure.
import { createHash } from 'node:crypto';
import { formatCapDateTime, isCapDateTime } from './datetime.js';
import { type Circle, closePolygon, formatCircle, formatPolygon, type LatLon } from './geo.js';
import { element, escapeText } from './xml.js';

export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';
export const CAP_CONTENT_TYPE = 'application/cap+xml';

export const CAP_STATUSES = ['Actual', 'Exercise', 'System', 'Test', 'Draft'] as const;
export const CAP_MSG_TYPES = ['Alert', 'Update', 'Cancel', 'Ack', 'Error'] as const;
export const CAP_SCOPES = ['Public', 'Restricted', 'Private'] as const;
export const CAP_CATEGORIES = [
  'Geo',
  'Met',
  'Safety',
  'Security',
  'Rescue',
  'Fire',
  'Health',
  'Env',
  'Transport',
  'Infra',
  'CBRNE',
  'Other',
] as const;
export const CAP_RESPONSE_TYPES = [
  'Shelter',
  'Evacuate',
  'Prepare',
  'Execute',
  'Avoid',
  'Monitor',
  'Assess',
  'AllClear',
  'None',
] as const;
export const CAP_URGENCIES = ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'] as const;
export const CAP_SEVERITIES = ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'] as const;
export const CAP_CERTAINTIES = ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'] as const;

export type CapStatus = (typeof CAP_STATUSES)[number];
export type CapMsgType = (typeof CAP_MSG_TYPES)[number];
export type CapScope = (typeof CAP_SCOPES)[number];
export type CapCategory = (typeof CAP_CATEGORIES)[number];
export type CapResponseType = (typeof CAP_RESPONSE_TYPES)[number];
export type CapUrgency = (typeof CAP_URGENCIES)[number];
export type CapSeverity = (typeof CAP_SEVERITIES)[number];
export type CapCertainty = (typeof CAP_CERTAINTIES)[number];

export interface CapValue {
  valueName: string;
  value: string;
}

/** An earlier message: `sender,identifier,sent` in CAP's `references`. */
export interface CapReference {
  sender: string;
  identifier: string;
  sent: string;
}

export interface CapArea {
  areaDesc: string;
  /** Closed rings (first point = last). */
  polygons?: LatLon[][];
  circles?: Circle[];
  geocodes?: CapValue[];
}

export interface CapInfo {
  /** RFC 3066 tag, e.g. `en-GB`, `nl-BE`, `fr-BE`. */
  language: string;
  categories: CapCategory[];
  event: string;
  responseTypes?: CapResponseType[];
  urgency: CapUrgency;
  severity: CapSeverity;
  certainty: CapCertainty;
  eventCodes?: CapValue[];
  effective?: string;
  onset?: string;
  expires?: string;
  senderName?: string;
  headline?: string;
  description?: string;
  instruction?: string;
  web?: string;
  contact?: string;
  parameters?: CapValue[];
  areas: CapArea[];
}

/** A CAP 1.2 message (the elements Slimstad writes and reads). Date-times are CAP strings. */
export interface CapAlert {
  identifier: string;
  sender: string;
  sent: string;
  status: CapStatus;
  msgType: CapMsgType;
  source?: string;
  scope: CapScope;
  note?: string;
  references?: CapReference[];
  incidents?: string;
  info: CapInfo[];
}

export interface CapIssue {
  path: string;
  message: string;
}

export class CapValidationError extends Error {
  constructor(readonly issues: readonly CapIssue[]) {
    super(`invalid CAP message: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'CapValidationError';
  }
}

// identifier and sender (§3.2.1): no spaces, commas or restricted characters (< and &).
const CAP_ID = /^[^\s,<&]+$/;

/**
 * Every violation of CAP 1.2's rules in `alert`, each with its path (empty when valid).
 * `publishing` (default) adds Slimstad's own rule for what it sends: scope Public only.
 */
export function validateCapAlert(
  alert: CapAlert,
  options: { publishing?: boolean } = {},
): CapIssue[] {
  const issues: CapIssue[] = [];
  const bad = (path: string, message: string): void => {
    issues.push({ path, message });
  };
  const oneOf = <T extends string>(path: string, value: string, allowed: readonly T[]) => {
    if (!(allowed as readonly string[]).includes(value))
      bad(path, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  };
  const idLike = (path: string, v: string) => {
    if (!CAP_ID.test(v)) bad(path, 'must be non-empty without spaces, commas, < or &');
  };
  const dateTime = (path: string, v: string | undefined) => {
    if (v !== undefined && !isCapDateTime(v))
      bad(path, `${JSON.stringify(v)} is not YYYY-MM-DDThh:mm:ss±hh:mm`);
  };
  idLike('identifier', alert.identifier);
  idLike('sender', alert.sender);
  dateTime('sent', alert.sent);
  oneOf('status', alert.status, CAP_STATUSES);
  oneOf('msgType', alert.msgType, CAP_MSG_TYPES);
  oneOf('scope', alert.scope, CAP_SCOPES);
  if (options.publishing !== false && alert.scope !== 'Public')
    bad(
      'scope',
      'Slimstad publishes Public messages only (Restricted/Private need restriction/addresses)',
    );
  if ((alert.msgType === 'Update' || alert.msgType === 'Cancel') && !alert.references?.length) {
    bad(
      'references',
      `a${alert.msgType === 'Update' ? 'n Update' : ' Cancel'} must reference the earlier message(s)`,
    );
  }
  alert.references?.forEach((r, i) => {
    idLike(`references[${i}].sender`, r.sender);
    idLike(`references[${i}].identifier`, r.identifier);
    dateTime(`references[${i}].sent`, r.sent);
  });
  alert.info.forEach((info, i) => {
    const at = `info[${i}]`;
    if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(info.language))
      bad(`${at}.language`, `${JSON.stringify(info.language)} is not a language tag`);
    if (info.categories.length === 0) bad(`${at}.category`, 'needs at least one category');
    for (const [j, c] of info.categories.entries())
      oneOf(`${at}.category[${j}]`, c, CAP_CATEGORIES);
    for (const [j, c] of (info.responseTypes ?? []).entries())
      oneOf(`${at}.responseType[${j}]`, c, CAP_RESPONSE_TYPES);
    if (!info.event.trim()) bad(`${at}.event`, 'must not be empty');
    oneOf(`${at}.urgency`, info.urgency, CAP_URGENCIES);
    oneOf(`${at}.severity`, info.severity, CAP_SEVERITIES);
    oneOf(`${at}.certainty`, info.certainty, CAP_CERTAINTIES);
    dateTime(`${at}.effective`, info.effective);
    dateTime(`${at}.onset`, info.onset);
    dateTime(`${at}.expires`, info.expires);
    if (info.web !== undefined && !URL.canParse(info.web))
      bad(`${at}.web`, 'must be a full absolute URI');
    info.areas.forEach((area, j) => {
      if (!area.areaDesc.trim()) bad(`${at}.area[${j}].areaDesc`, 'must not be empty');
      area.polygons?.forEach((ring, k) => {
        try {
          const closed = closePolygon(ring, `${at}.area[${j}].polygon[${k}]`);
          if (closed.length !== ring.length)
            bad(`${at}.area[${j}].polygon[${k}]`, 'must be closed (first point = last point)');
        } catch (error) {
          bad(`${at}.area[${j}].polygon[${k}]`, (error as Error).message);
        }
      });
      area.circles?.forEach((c, k) => {
        try {
          formatCircle(c);
        } catch (error) {
          bad(`${at}.area[${j}].circle[${k}]`, (error as Error).message);
        }
      });
    });
  });
  return issues;
}

/** CAP `references` text: space-separated `sender,identifier,sent` triples. */
export const formatReferences = (refs: readonly CapReference[]): string =>
  refs.map((r) => `${r.sender},${r.identifier},${r.sent}`).join(' ');

/** The reference to a message, for later Updates and Cancels. */
export const referenceTo = (
  alert: Pick<CapAlert, 'sender' | 'identifier' | 'sent'>,
): CapReference => ({
  sender: alert.sender,
  identifier: alert.identifier,
  sent: alert.sent,
});

function values(
  indent: string,
  name: string,
  list: readonly CapValue[] | undefined,
  path: string,
): string {
  return (list ?? [])
    .map(
      (v, i) =>
        `${indent}<${name}>\n${element(`${indent}  `, 'valueName', v.valueName, `${path}[${i}].valueName`)}${element(`${indent}  `, 'value', v.value, `${path}[${i}].value`)}${indent}</${name}>\n`,
    )
    .join('');
}

/** The message as CAP 1.2 XML (UTF-8); throws `CapValidationError` when it breaks the rules. */
export function renderCapXml(alert: CapAlert): string {
  const issues = validateCapAlert(alert);
  if (issues.length > 0) throw new CapValidationError(issues);
  let x = `<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="${CAP_NAMESPACE}">\n`;
  const i1 = '  ';
  x += element(i1, 'identifier', alert.identifier);
  x += element(i1, 'sender', alert.sender);
  x += element(i1, 'sent', alert.sent);
  x += element(i1, 'status', alert.status);
  x += element(i1, 'msgType', alert.msgType);
  x += element(i1, 'source', alert.source);
  x += element(i1, 'scope', alert.scope);
  x += element(i1, 'note', alert.note);
  if (alert.references?.length) x += element(i1, 'references', formatReferences(alert.references));
  x += element(i1, 'incidents', alert.incidents);
  alert.info.forEach((info, n) => {
    const i2 = '    ';
    const p = `info[${n}]`;
    x += `${i1}<info>\n`;
    x += element(i2, 'language', info.language);
    for (const c of info.categories) x += element(i2, 'category', c);
    x += element(i2, 'event', info.event, `${p}.event`);
    for (const r of info.responseTypes ?? []) x += element(i2, 'responseType', r);
    x += element(i2, 'urgency', info.urgency);
    x += element(i2, 'severity', info.severity);
    x += element(i2, 'certainty', info.certainty);
    x += values(i2, 'eventCode', info.eventCodes, `${p}.eventCode`);
    x += element(i2, 'effective', info.effective);
    x += element(i2, 'onset', info.onset);
    x += element(i2, 'expires', info.expires);
    x += element(i2, 'senderName', info.senderName, `${p}.senderName`);
    x += element(i2, 'headline', info.headline, `${p}.headline`);
    x += element(i2, 'description', info.description, `${p}.description`);
    x += element(i2, 'instruction', info.instruction, `${p}.instruction`);
    x += element(i2, 'web', info.web, `${p}.web`);
    x += element(i2, 'contact', info.contact, `${p}.contact`);
    x += values(i2, 'parameter', info.parameters, `${p}.parameter`);
    info.areas.forEach((area, a) => {
      const i3 = '      ';
      x += `${i2}<area>\n`;
      x += `${i3}<areaDesc>${escapeText(area.areaDesc, `${p}.area[${a}].areaDesc`)}</areaDesc>\n`;
      for (const ring of area.polygons ?? []) x += element(i3, 'polygon', formatPolygon(ring));
      for (const c of area.circles ?? []) x += element(i3, 'circle', formatCircle(c));
      x += values(i3, 'geocode', area.geocodes, `${p}.area[${a}].geocode`);
      x += `${i2}</area>\n`;
    });
    x += `${i1}</info>\n`;
  });
  return `${x}</alert>\n`;
}

// --- from an alert to a message -------------------------------------------------------------

/**
 * The identifier of version `version` of alert `alertId` from `sender`: stable (the same inputs
 * always give the same identifier, so a re-sent message is recognisably the same) and unique
 * per sender, alert and version. Readable ids are kept; others are hashed.
 */
export function capIdentifier(sender: string, alertId: string, version: number): string {
  if (!Number.isInteger(version) || version < 1)
    throw new Error(`version must be an integer ≥ 1, got ${version}`);
  const readable = /^[A-Za-z0-9._-]{1,64}$/.test(alertId);
  const id = readable ? alertId : createHash('sha256').update(alertId).digest('hex').slice(0, 24);
  const origin = createHash('sha256').update(sender).digest('hex').slice(0, 8);
  return `slimstad-${origin}-${id}-v${version}`;
}

/** The language-specific content of a warning; the builder adds the rest. */
export type CapInfoContent = Omit<CapInfo, 'areas'> & { areas?: CapArea[] };

export interface CapWarningInput {
  /** Our alert's stable id (e.g. its fingerprint). */
  alertId: string;
  /** 1 for the first message about the alert, +1 for every change. */
  version: number;
  /** `resolved` produces a Cancel. */
  state: 'active' | 'resolved';
  /** E.g. `alerting@breda.example` (no spaces, commas, < or &). */
  sender: string;
  sentAt: Date;
  /** The city's IANA time zone for every date-time, e.g. `Europe/Brussels`. */
  timeZone: string;
  status?: CapStatus;
  /** Every earlier message about this alert (required for versions > 1 and for Cancel). */
  previous?: CapReference[];
  /** The affected area(s), shared by every info block that does not set its own. */
  areas: CapArea[];
  /** One block per language (same event and area in each). */
  info: CapInfoContent[];
  expiresAt?: Date;
  note?: string;
  incidents?: string;
}

/** The area with every polygon closed (CAP: first point = last point). */
function closeArea(area: CapArea): CapArea {
  return area.polygons
    ? { ...area, polygons: area.polygons.map((ring) => closePolygon(ring, 'area polygon')) }
    : area;
}

/**
 * The CAP message for one version of an alert: `Alert` (version 1), `Update` (later versions,
 * referencing the earlier messages) or `Cancel` (resolved: references, urgency `Past`,
 * response `AllClear`). Throws `CapValidationError` naming what is wrong.
 */
export function buildCapAlert(input: CapWarningInput): CapAlert {
  const sent = formatCapDateTime(input.sentAt, input.timeZone);
  const msgType: CapMsgType =
    input.state === 'resolved' ? 'Cancel' : input.version === 1 ? 'Alert' : 'Update';
  const references = input.previous ?? [];
  if (msgType !== 'Alert' && references.length === 0) {
    throw new CapValidationError([
      {
        path: 'previous',
        message: `a ${msgType} (version ${input.version}) needs the earlier messages to reference`,
      },
    ]);
  }
  const expires = input.expiresAt ? formatCapDateTime(input.expiresAt, input.timeZone) : undefined;
  const alert: CapAlert = {
    identifier: capIdentifier(input.sender, input.alertId, input.version),
    sender: input.sender,
    sent,
    status: input.status ?? 'Actual',
    msgType,
    scope: 'Public',
    ...(input.note !== undefined ? { note: input.note } : {}),
    ...(msgType !== 'Alert' ? { references } : {}),
    ...(input.incidents !== undefined ? { incidents: input.incidents } : {}),
    info: input.info.map((info) => {
      const block: CapInfo = { ...info, areas: (info.areas ?? input.areas).map(closeArea) };
      if (expires !== undefined && block.expires === undefined) block.expires = expires;
      if (msgType === 'Cancel') {
        block.urgency = 'Past';
        block.responseTypes = ['AllClear'];
      }
      return block;
    }),
  };
  const issues = validateCapAlert(alert);
  if (issues.length > 0) throw new CapValidationError(issues);
  return alert;
}
