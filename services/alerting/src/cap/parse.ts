// Reading CAP 1.2 XML — ours and our neighbours' — into the message model, so alerting can act
// on a neighbour's warnings. Reads the elements of `CapAlert` (identifier, sender, sent, status,
// msgType, source, scope, note, references, incidents, info with language, category, event,
// responseType, urgency, severity, certainty, eventCode, effective, onset, expires,
// senderName, headline, description, instruction, web, contact, parameter, area with areaDesc,
// polygon, circle, geocode) and ignores the rest (resource, signatures). Every problem is
// reported with its path. Text values are trimmed. A DOCTYPE is refused (no entity tricks).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseCircle, parsePolygon } from './geo.js';
import {
  CAP_NAMESPACE,
  type CapAlert,
  type CapArea,
  type CapInfo,
  type CapIssue,
  type CapReference,
  type CapValue,
  validateCapAlert,
} from './message.js';

export class CapParseError extends Error {
  constructor(readonly issues: readonly CapIssue[]) {
    super(`cannot read CAP message: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'CapParseError';
  }
}

const LISTS = new Set([
  'info',
  'category',
  'responseType',
  'eventCode',
  'parameter',
  'resource',
  'area',
  'polygon',
  'circle',
  'geocode',
  'code',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  // Numeric character references (&#233;) are XML; the parser decodes them only with this on.
  htmlEntities: true,
  isArray: (name) => LISTS.has(name),
});

type Node = Record<string, unknown>;

/** Parses a CAP 1.2 message; throws `CapParseError` listing every problem with its path. */
export function parseCapXml(xml: string): CapAlert {
  if (/<!DOCTYPE/i.test(xml))
    throw new CapParseError([
      { path: 'document', message: 'a DOCTYPE is not allowed in a CAP message' },
    ]);
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) {
    const e = wellFormed.err;
    throw new CapParseError([
      {
        path: 'document',
        message: `not well-formed XML at line ${e.line}, column ${e.col}: ${e.msg}`,
      },
    ]);
  }
  const doc = parser.parse(xml) as Node;
  const root = doc.alert;
  if (!isNode(root))
    throw new CapParseError([{ path: 'document', message: 'the root element is not <alert>' }]);
  if (
    !new RegExp(`<(?:\\w+:)?alert\\b[^>]*\\sxmlns(?::\\w+)?\\s*=\\s*["']${CAP_NAMESPACE}["']`).test(
      xml,
    )
  ) {
    throw new CapParseError([
      { path: 'alert', message: `not in the CAP 1.2 namespace (${CAP_NAMESPACE})` },
    ]);
  }

  const issues: CapIssue[] = [];
  const text = (node: Node, name: string, path: string, required: boolean): string | undefined => {
    const v = node[name];
    if (v === undefined) {
      if (required) issues.push({ path: `${path}${name}`, message: 'is missing' });
      return undefined;
    }
    if (Array.isArray(v) || isNode(v)) {
      issues.push({ path: `${path}${name}`, message: 'must be a single text element' });
      return undefined;
    }
    return String(v);
  };
  const texts = (node: Node, name: string): string[] =>
    Array.isArray(node[name]) ? (node[name] as unknown[]).map(String) : [];
  const valuePairs = (node: Node, name: string, path: string): CapValue[] =>
    (Array.isArray(node[name]) ? (node[name] as unknown[]) : []).map((v, i) => {
      const n = isNode(v) ? v : {};
      return {
        valueName: text(n, 'valueName', `${path}${name}[${i}].`, true) ?? '',
        value: text(n, 'value', `${path}${name}[${i}].`, true) ?? '',
      };
    });
  const optional = <K extends string>(key: K, value: string | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
  const attempt = <T>(path: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      issues.push({ path, message: (error as Error).message.replace(/^[^:]*: /, '') });
      return undefined;
    }
  };

  // Read in document order, so issues are listed as they appear.
  const head = {
    identifier: text(root, 'identifier', '', true) ?? '',
    sender: text(root, 'sender', '', true) ?? '',
    sent: text(root, 'sent', '', true) ?? '',
    status: (text(root, 'status', '', true) ?? '') as CapAlert['status'],
    msgType: (text(root, 'msgType', '', true) ?? '') as CapAlert['msgType'],
    ...optional('source', text(root, 'source', '', false)),
    scope: (text(root, 'scope', '', true) ?? '') as CapAlert['scope'],
    ...optional('note', text(root, 'note', '', false)),
  };
  const references = text(root, 'references', '', false);
  const parsedRefs: CapReference[] | undefined = references
    ?.split(/\s+/)
    .filter(Boolean)
    .map((triple, i) => {
      const [sender, identifier, sent, ...rest] = triple.split(',');
      if (!sender || !identifier || !sent || rest.length > 0) {
        issues.push({
          path: `references[${i}]`,
          message: `${JSON.stringify(triple)} is not sender,identifier,sent`,
        });
      }
      return { sender: sender ?? '', identifier: identifier ?? '', sent: sent ?? '' };
    });

  const incidents = text(root, 'incidents', '', false);
  const info = (Array.isArray(root.info) ? (root.info as unknown[]) : []).map((raw, i): CapInfo => {
    const n = isNode(raw) ? raw : {};
    const p = `info[${i}].`;
    const areas = (Array.isArray(n.area) ? (n.area as unknown[]) : []).map(
      (rawArea, j): CapArea => {
        const a = isNode(rawArea) ? rawArea : {};
        const ap = `${p}area[${j}].`;
        const polygons = texts(a, 'polygon')
          .map((t, k) => attempt(`${ap}polygon[${k}]`, () => parsePolygon(t)))
          .filter((x) => x !== undefined);
        const circles = texts(a, 'circle')
          .map((t, k) => attempt(`${ap}circle[${k}]`, () => parseCircle(t)))
          .filter((x) => x !== undefined);
        const geocodes = valuePairs(a, 'geocode', ap);
        return {
          areaDesc: text(a, 'areaDesc', ap, true) ?? '',
          ...(polygons.length ? { polygons } : {}),
          ...(circles.length ? { circles } : {}),
          ...(geocodes.length ? { geocodes } : {}),
        };
      },
    );
    const eventCodes = valuePairs(n, 'eventCode', p);
    const parameters = valuePairs(n, 'parameter', p);
    const responseTypes = texts(n, 'responseType');
    return {
      language: text(n, 'language', p, false) ?? 'en-US', // CAP's default language
      categories: texts(n, 'category') as CapInfo['categories'],
      event: text(n, 'event', p, true) ?? '',
      ...(responseTypes.length ? { responseTypes: responseTypes as CapInfo['responseTypes'] } : {}),
      urgency: (text(n, 'urgency', p, true) ?? '') as CapInfo['urgency'],
      severity: (text(n, 'severity', p, true) ?? '') as CapInfo['severity'],
      certainty: (text(n, 'certainty', p, true) ?? '') as CapInfo['certainty'],
      ...(eventCodes.length ? { eventCodes } : {}),
      ...optional('effective', text(n, 'effective', p, false)),
      ...optional('onset', text(n, 'onset', p, false)),
      ...optional('expires', text(n, 'expires', p, false)),
      ...optional('senderName', text(n, 'senderName', p, false)),
      ...optional('headline', text(n, 'headline', p, false)),
      ...optional('description', text(n, 'description', p, false)),
      ...optional('instruction', text(n, 'instruction', p, false)),
      ...optional('web', text(n, 'web', p, false)),
      ...optional('contact', text(n, 'contact', p, false)),
      ...(parameters.length ? { parameters } : {}),
      areas,
    };
  });

  const alert: CapAlert = {
    ...head,
    ...(parsedRefs?.length ? { references: parsedRefs } : {}),
    ...optional('incidents', incidents),
    info,
  };
  // Structural problems first; rule checks only on what could be read.
  if (issues.length > 0) throw new CapParseError(issues);
  const rules = validateCapAlert(alert, { publishing: false });
  if (rules.length > 0) throw new CapParseError(rules);
  return alert;
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
