import { identityHash } from '@slimstad/kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AccessRequest, decideAccess, type Permit, VEHICLE_CLASSES } from './access.js';

const SECRET = 'municipality-secret-0123456789abcdef';
const van = identityHash(SECRET, 'plate', '1-ABC-234');
const zone = { timeZone: 'Europe/Brussels', emergencyMode: false };
const at = (iso: string) => Date.parse(iso);
const delivery: Permit = {
  id: 'p-delivery',
  identityHash: van,
  vehicleClass: 'delivery',
  zoneIds: ['centrum'],
  validFromMs: at('2026-01-01T00:00:00Z'),
  validUntilMs: at('2027-01-01T00:00:00Z'),
  // Deliveries Monday to Saturday, 06:00-11:00 local time.
  windows: [{ days: [1, 2, 3, 4, 5, 6], from: '06:00', to: '11:00' }],
  oneOff: false,
};
const request = (over: Partial<AccessRequest> = {}): AccessRequest => ({
  zoneId: 'centrum',
  bollardId: 'b-1',
  source: 'anpr',
  at: at('2026-11-23T09:59:00Z'), // Monday 10:59 in Brussels
  identityHash: van,
  ...over,
});

describe('access decisions', () => {
  it('admits a delivery van in its window and names the permit', () => {
    expect(decideAccess(request(), [delivery], zone)).toEqual({
      admit: true,
      rule: 'permit-window',
      detail: 'permit p-delivery (delivery)',
      permitId: 'p-delivery',
    });
  });

  it('denies it after the window, on Sunday, and in another zone, saying why', () => {
    expect(
      decideAccess(request({ at: at('2026-11-23T10:00:00Z') }), [delivery], zone),
    ).toMatchObject({
      admit: false,
      rule: 'outside-time-window',
      detail: 'permit p-delivery (delivery) admits Mon,Tue,Wed,Thu,Fri,Sat 06:00-11:00 only',
    });
    expect(decideAccess(request({ at: at('2026-11-22T08:00:00Z') }), [delivery], zone).rule).toBe(
      'outside-time-window',
    );
    expect(decideAccess(request({ zoneId: 'haven' }), [delivery], zone).rule).toBe(
      'permit-not-for-zone',
    );
  });

  it('refuses expired, revoked, used one-off permits and unknown vehicles', () => {
    expect(decideAccess(request({ at: at('2027-01-04T08:00:00Z') }), [delivery], zone).rule).toBe(
      'permit-expired',
    );
    expect(decideAccess(request(), [{ ...delivery, revokedAtMs: 0 }], zone).rule).toBe(
      'permit-revoked',
    );
    const removal = {
      ...delivery,
      id: 'p-removal',
      oneOff: true,
      windows: [],
      usedAtMs: at('2026-11-23T07:00:00Z'),
    };
    expect(decideAccess(request(), [removal], zone).rule).toBe('permit-used');
    expect(decideAccess(request({ identityHash: 'f'.repeat(64) }), [delivery], zone).rule).toBe(
      'no-permit',
    );
    expect(
      decideAccess(request({ identityHash: undefined, source: 'intercom' }), [delivery], zone).rule,
    ).toBe('unidentified');
  });

  it('admits when one of several permits does, and otherwise reports the nearest miss', () => {
    const resident: Permit = {
      ...delivery,
      id: 'p-resident',
      vehicleClass: 'resident',
      windows: [],
    };
    expect(
      decideAccess(request({ at: at('2026-11-23T20:00:00Z') }), [delivery, resident], zone),
    ).toMatchObject({
      admit: true,
      permitId: 'p-resident',
    });
    const expired = { ...resident, validUntilMs: 0 };
    expect(
      decideAccess(request({ at: at('2026-11-23T20:00:00Z') }), [expired, delivery], zone).rule,
    ).toBe('outside-time-window');
  });

  it('admits an operator with a reason, not without one', () => {
    const operator = request({
      source: 'operator',
      identityHash: undefined,
      operator: { subject: 'olga', reason: 'removal van' },
    });
    expect(decideAccess(operator, [], zone)).toMatchObject({ admit: true, rule: 'operator' });
    expect(
      decideAccess({ ...operator, operator: { subject: 'olga', reason: ' ' } }, [], zone).admit,
    ).toBe(false);
  });

  it('always admits emergency vehicles, at once, whatever else holds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2028-01-01T00:00:00Z') }),
        fc.constantFrom(
          'anpr' as const,
          'badge' as const,
          'intercom' as const,
          'emergency_service' as const,
        ),
        fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }),
        fc.boolean(),
        fc.array(fc.constantFrom(...VEHICLE_CLASSES), { maxLength: 3 }),
        (time, source, identity, emergencyMode, classes) => {
          const permits = classes.map((vehicleClass, i) => ({
            ...delivery,
            id: `p${i}`,
            vehicleClass,
            revokedAtMs: 0,
          }));
          const decision = decideAccess(
            request({ at: time, source, identityHash: identity, emergency: true }),
            permits,
            { ...zone, emergencyMode },
          );
          expect(decision).toMatchObject({ admit: true, rule: 'emergency-vehicle' });
        },
      ),
    );
  });

  it('admits everyone in a zone in emergency mode', () => {
    expect(
      decideAccess(request({ identityHash: undefined }), [], { ...zone, emergencyMode: true }).rule,
    ).toBe('zone-emergency-mode');
  });
});
