// The Atom 1.0 feed (RFC 4287) of current CAP messages: how alert aggregators, neighbouring
// cities and apps discover public warnings (the pattern of national CAP feeds and Google Public
// Alerts). One entry per message with a link to its CAP XML. Pure.
import { parseCapDateTime } from './datetime.js';
import { CAP_CONTENT_TYPE, type CapAlert, type CapInfo } from './message.js';
import { escapeAttribute, escapeText } from './xml.js';

export const ATOM_CONTENT_TYPE = 'application/atom+xml';

export interface AtomFeedOptions {
  /** A permanent IRI for the feed, e.g. `https://alerts.breda.example/cap/feed.atom` or a tag: URI. */
  id: string;
  title: string;
  /** The feed's own URL (rel=self). */
  selfUrl: string;
  author: string;
  /** The URL of a message's CAP XML. */
  capUrl: (identifier: string) => string;
  /** The feed's `updated` when there are no entries (otherwise the newest entry's). */
  emptyUpdated: Date;
  /** Which info block names an entry; default the first English one, else the first. */
  preferredLanguage?: string;
}

function pickInfo(alert: CapAlert, language: string): CapInfo | undefined {
  return (
    alert.info.find((i) => i.language.toLowerCase().startsWith(language.toLowerCase())) ??
    alert.info[0]
  );
}

/** RFC 3339 as Atom wants it; CAP date-times already are (their `-00:00` included). */
const rfc3339 = (capDateTime: string) => capDateTime;

/**
 * The feed of `alerts` (current messages), newest first. Entry: id = the CAP URL (permanent per
 * message), updated = sent, title = headline (else event), summary = description, categories =
 * event and CAP categories, link rel=alternate type=application/cap+xml to the message.
 */
export function renderAtomFeed(alerts: readonly CapAlert[], options: AtomFeedOptions): string {
  const sorted = [...alerts].sort(
    (a, b) =>
      parseCapDateTime(b.sent).getTime() - parseCapDateTime(a.sent).getTime() ||
      (a.identifier < b.identifier ? -1 : 1),
  );
  const updated = sorted[0]
    ? rfc3339(sorted[0].sent)
    : options.emptyUpdated.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const lang = options.preferredLanguage ?? 'en';
  let x = '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n';
  x += `  <id>${escapeText(options.id)}</id>\n`;
  x += `  <title>${escapeText(options.title)}</title>\n`;
  x += `  <updated>${updated}</updated>\n`;
  x += `  <author><name>${escapeText(options.author)}</name></author>\n`;
  x += `  <link rel="self" type="${ATOM_CONTENT_TYPE}" href="${escapeAttribute(options.selfUrl)}"/>\n`;
  for (const alert of sorted) {
    const info = pickInfo(alert, lang);
    const url = options.capUrl(alert.identifier);
    const title = info?.headline ?? info?.event ?? `${alert.msgType} ${alert.identifier}`;
    x += '  <entry>\n';
    x += `    <id>${escapeText(url)}</id>\n`;
    x += `    <title>${escapeText(alert.msgType === 'Cancel' ? `Cancelled: ${title}` : title)}</title>\n`;
    x += `    <updated>${rfc3339(alert.sent)}</updated>\n`;
    if (info?.description) x += `    <summary>${escapeText(info.description)}</summary>\n`;
    if (info) x += `    <category term="${escapeAttribute(info.event)}" label="event"/>\n`;
    for (const c of info?.categories ?? [])
      x += `    <category term="${escapeAttribute(c)}" scheme="urn:oasis:names:tc:emergency:cap:1.2:category"/>\n`;
    x += `    <link rel="alternate" type="${CAP_CONTENT_TYPE}" href="${escapeAttribute(url)}"/>\n`;
    x += '  </entry>\n';
  }
  return `${x}</feed>\n`;
}
