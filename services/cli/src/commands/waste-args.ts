// Parsers for `slimstad waste …`: waste streams as operators write them (`glass`, `pmd`), daily
// windows (`07:00-15:00`), points (`51.05,3.72`), capacities and durations. Parsers throw
// InvalidArgumentError, which commander prefixes with the option and the value.
import { WasteStream } from '@slimstad/contracts/gen/slimstad/waste/v1/waste';
import { InvalidArgumentError } from 'commander';
import { enumValue } from './device-args.js';
import { latitude, longitude } from './lighting-args.js';

/** `residual`, `paper`, `glass`, `pmd`, `organic`. */
export const wasteStream = (token: string): WasteStream =>
  enumValue(WasteStream, 'WASTE_STREAM_', token);

/** `glass,pmd` → streams (at least one). */
export function streamList(raw: string): WasteStream[] {
  const tokens = raw.split(',').map((t) => t.trim());
  if (tokens.some((t) => t === ''))
    throw new InvalidArgumentError('must name streams separated by commas, e.g. glass,pmd.');
  return [...new Set(tokens.map(wasteStream))];
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` → minutes after midnight; `24:00` is the end of the day. */
function minuteOf(raw: string): number | undefined {
  if (raw === '24:00') return 1440;
  const m = HHMM.exec(raw);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** `07:00-15:00` → { start, end } minutes of the day, end after start. */
export function dailyWindow(raw: string): { start: number; end: number } {
  const [from, to, ...rest] = raw.trim().split('-');
  const start = minuteOf(from?.trim() ?? '');
  const end = minuteOf(to?.trim() ?? '');
  if (rest.length > 0 || start === undefined || end === undefined || start === 1440)
    throw new InvalidArgumentError('must be HH:MM-HH:MM, e.g. 07:00-15:00.');
  if (end <= start) throw new InvalidArgumentError('must end after it starts.');
  return { start, end };
}

/** `51.05,3.72` → a point. */
export function point(raw: string): { latitude: number; longitude: number } {
  const parts = raw.split(',');
  if (parts.length !== 2)
    throw new InvalidArgumentError('must be latitude,longitude, e.g. 51.05,3.72.');
  return { latitude: latitude(parts[0] ?? ''), longitude: longitude(parts[1] ?? '') };
}

/** A positive number (litres, kilograms). */
export function positive(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('must be a number above 0.');
  return n;
}

/** A whole number of seconds, 0 to 14400 (service and unload times). */
export function seconds(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 14_400)
    throw new InvalidArgumentError('must be whole seconds from 0 to 14400.');
  return n;
}

/** `7h`, `90m`, `7h30m` → minutes (1 to 1440). */
export function minutes(raw: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?$/.exec(raw.trim());
  const total = m && (m[1] || m[2]) ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : Number.NaN;
  if (!(total >= 1 && total <= 1440))
    throw new InvalidArgumentError('must be a duration of at most a day, e.g. 7h or 7h30m.');
  return total;
}

/** Minutes of the day as `HH:MM`. */
export const clockText = (minute: number): string =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
