// The shape of an event contract: which subject carries which protobuf message, in which
// stream. Subjects are part of the public contract (neighbouring cities subscribe to them),
// so every subject pattern is declared once, here in the contracts package, beside the
// message type it carries; services and the kit's bus only ever use these declarations.
import type { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';

/** The encode/decode pair that ts-proto generates for every message. */
export interface MessageCodec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromPartial(object: never): T;
}

/** A JetStream stream as part of the contract: its name and the subjects it captures. */
export interface StreamContract {
  /** Upper-case stream name, e.g. `SENSOR_READINGS`. */
  readonly name: string;
  /** Subject patterns the stream captures, e.g. `sensor.reading.>`. */
  readonly subjects: readonly string[];
  readonly description: string;
  /** How long messages are kept, in seconds (0 = forever, bounded by size). */
  readonly maxAgeSeconds: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate, in seconds. */
  readonly duplicateWindowSeconds: number;
  /**
   * Bound on the stream's size in bytes. With `discard: 'new'` a full stream refuses new
   * messages — a buffer that pushes back — instead of dropping the oldest.
   */
  readonly maxBytes?: number;
  readonly discard?: 'old' | 'new';
}

/**
 * One kind of event: a subject template bound to a protobuf message type.
 *
 * @example
 * const subject = ReadingRecorded.subject({ type: 'water_level', device: 'wl-001' });
 * // → 'sensor.reading.water_level.wl-001'
 */
export interface EventContract<T, P extends string = string> {
  /** Fully-qualified protobuf message name, carried in the `Content-Type` header. */
  readonly messageType: string;
  readonly codec: MessageCodec<T>;
  /** Template with `{param}` tokens, e.g. `sensor.reading.{type}.{device}`. */
  readonly template: string;
  /** NATS wildcard pattern matching every subject of this event, e.g. `sensor.reading.*.*`. */
  readonly pattern: string;
  readonly stream: StreamContract;
  /** Builds a concrete subject; every parameter must be a single NATS token. */
  subject(params: Record<P, string>): string;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Declares an event contract from a subject template such as `sensor.reading.{type}.{device}`. */
export function defineEvent<T, P extends string = never>(spec: {
  messageType: string;
  codec: MessageCodec<T>;
  template: string;
  stream: StreamContract;
}): EventContract<T, P> {
  const pattern = spec.template.replace(/\{[a-zA-Z]+\}/g, '*');
  return {
    ...spec,
    pattern,
    subject(params: Record<P, string>): string {
      return spec.template.replace(/\{([a-zA-Z]+)\}/g, (_, name: string) => {
        const value = (params as Record<string, string>)[name];
        if (value === undefined) throw new Error(`subject ${spec.template}: missing ${name}`);
        if (!TOKEN.test(value)) {
          throw new Error(
            `subject ${spec.template}: ${name}=${JSON.stringify(value)} is not a single NATS token (letters, digits, '-' or '_')`,
          );
        }
        return value;
      });
    },
  };
}

/**
 * Whether every subject matched by `subject` is also matched by the NATS filter `filter`.
 * For a concrete subject this is ordinary NATS matching; `subject` may itself contain
 * wildcards (`*` one token, `>` one or more trailing tokens), e.g. an event's `pattern`
 * against its stream's subjects: `sensor.reading.*.*` falls under `sensor.reading.>`.
 */
export function subjectFallsUnder(subject: string, filter: string): boolean {
  const s = subject.split('.');
  const f = filter.split('.');
  for (let i = 0; i < f.length; i++) {
    const ft = f[i];
    const st = s[i];
    if (ft === '>') return i === f.length - 1 && st !== undefined;
    if (st === undefined || st === '>') return false;
    if (ft === '*') continue;
    if (st === '*' || st !== ft) return false;
  }
  return s.length === f.length;
}
