import { describe, expect, it } from 'vitest';
import { type PermitInput, permitViolations } from './rules.js';

const zones = new Set(['centrum', 'haven']);
const at = (iso: string) => Date.parse(iso);
const permit = (over: Partial<PermitInput> = {}): PermitInput => ({
  identity: '1-ABC-234',
  identityKind: 'plate',
  vehicleClass: 'delivery',
  zoneIds: ['centrum'],
  validFromMs: at('2026-12-01T00:00:00Z'),
  validUntilMs: at('2027-06-01T00:00:00Z'),
  windows: [{ days: [1, 2, 3, 4, 5, 6], from: '06:00', to: '11:00' }],
  oneOff: false,
  reason: 'bakery De Korenaar, daily deliveries',
  ...over,
});
const fields = (p: PermitInput) => permitViolations(p, zones).map((v) => v.field);

describe('permit rules', () => {
  it('accept a delivery permit with a weekday window', () => {
    expect(permitViolations(permit(), zones)).toEqual([]);
  });

  it('name every missing or wrong field', () => {
    expect(
      fields(
        permit({
          identity: ' ',
          identityKind: undefined,
          vehicleClass: undefined,
          zoneIds: ['nowhere'],
          reason: '',
        }),
      ),
    ).toEqual([
      'permit.credential',
      'permit.credential_kind',
      'permit.vehicle_class',
      'permit.zone_ids[0]',
      'permit.reason',
    ]);
  });

  it('check windows: days, times, and no window across midnight', () => {
    const v = permitViolations(
      permit({
        windows: [
          { days: [7], from: '22:00', to: '06:00' },
          { days: [], from: '6:00', to: '11:00' },
        ],
      }),
      zones,
    );
    expect(v).toEqual([
      {
        field: 'permit.windows[0].days[0]',
        description: 'must be a weekday, WEEKDAY_MONDAY to WEEKDAY_SUNDAY',
      },
      {
        field: 'permit.windows[0].to',
        description: '06:00 is not after 22:00: split a window that crosses midnight in two',
      },
      { field: 'permit.windows[1].days', description: 'names no day' },
      { field: 'permit.windows[1].from', description: 'must be HH:MM, not "6:00"' },
    ]);
  });

  it('bound the validity: after the start, a year at most, a week for one-off permits', () => {
    expect(fields(permit({ validUntilMs: at('2026-11-01T00:00:00Z') }))).toEqual([
      'permit.valid_until',
    ]);
    expect(fields(permit({ validUntilMs: at('2028-01-01T00:00:00Z') }))).toEqual([
      'permit.valid_until',
    ]);
    expect(fields(permit({ oneOff: true }))).toEqual(['permit.valid_until']);
    expect(fields(permit({ oneOff: true, validUntilMs: at('2026-12-02T00:00:00Z') }))).toEqual([]);
  });

  it('keep emergency permits free of time windows', () => {
    expect(fields(permit({ vehicleClass: 'emergency' }))).toEqual(['permit.windows']);
  });
});
