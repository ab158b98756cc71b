// XML text for CAP and Atom documents written by hand: escaping of character data and
// attribute values, and a refusal of characters XML 1.0 cannot carry at all (§2.2 Char), so a
// stray control character in an alert text fails loudly instead of producing a document that
// no neighbour can parse. Pure.

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF];
// lone surrogates are excluded too (the `u` flag matches them as single code points).
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Throws naming `field` when `text` holds a character XML 1.0 forbids. */
export function assertXmlChars(text: string, field: string): void {
  const m = NOT_XML_CHAR.exec(text);
  if (m) {
    const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new Error(`${field}: character U+${code} at position ${m.index} is not allowed in XML`);
  }
}

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const ATTR_ESCAPES: Record<string, string> = {
  ...TEXT_ESCAPES,
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Character data: `&`, `<` and `>` (the last for `]]>`). A CR is kept as `&#13;`, which parsers would otherwise fold. */
export function escapeText(text: string, field = 'text'): string {
  assertXmlChars(text, field);
  return text.replace(/[&<>]/g, (c) => TEXT_ESCAPES[c]!).replace(/\r/g, '&#13;');
}

/** An attribute value in double or single quotes; whitespace kept as character references. */
export function escapeAttribute(text: string, field = 'attribute'): string {
  assertXmlChars(text, field);
  return text.replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);
}

/** `<name>escaped</name>` with indentation, or nothing when the value is absent. */
export function element(
  indent: string,
  name: string,
  value: string | undefined,
  field = name,
): string {
  return value === undefined ? '' : `${indent}<${name}>${escapeText(value, field)}</${name}>\n`;
}
