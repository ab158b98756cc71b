// Protobuf enum values as people and subjects write them: the value name without its prefix,
// in lower case (`DEVICE_TYPE_WATER_LEVEL` ↔ `water_level`). One way for NATS subjects, the
// registry's tables, import files and the CLI.

/** A ts-proto enum object (name → number, and number → name). */
export type ProtoEnum = Record<string, string | number>;

/** Every token of an enum except UNSPECIFIED, e.g. for "must be one of …" messages. */
export function enumTokens(values: ProtoEnum, prefix: string): string[] {
  return Object.keys(values)
    .filter((k) => k.startsWith(prefix) && !k.endsWith('_UNSPECIFIED'))
    .map((k) => k.slice(prefix.length).toLowerCase());
}

/** The token of a value: `DeviceType.DEVICE_TYPE_WATER_LEVEL` → `water_level`. */
export function enumToken(values: ProtoEnum, prefix: string, value: number): string {
  const key = Object.keys(values).find((k) => values[k] === value && k.startsWith(prefix));
  return key ? key.slice(prefix.length).toLowerCase() : String(value);
}

/**
 * The value of a token (`water_level` → DEVICE_TYPE_WATER_LEVEL); undefined for an unknown
 * token and for UNSPECIFIED, which no one may choose.
 */
export function enumFromToken<E extends number>(
  values: Record<string, E | string>,
  prefix: string,
  token: string,
): E | undefined {
  const value = values[`${prefix}${token.trim().toUpperCase()}`];
  return typeof value === 'number' && value > 0 ? (value as E) : undefined;
}
