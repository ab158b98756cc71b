// Public warnings as OASIS CAP 1.2: building messages from alerts, XML rendering and parsing,
// flood instructions with the nearest sandbag points, the Atom feed and its HTTP handler.
// Free of the service's store and bus; see README.md in this folder.
export * from './atom.js';
export * from './datetime.js';
export * from './flood.js';
export * from './geo.js';
export * from './http.handler.js';
export * from './message.js';
export * from './parse.js';
export { assertXmlChars, escapeAttribute, escapeText } from './xml.js';
