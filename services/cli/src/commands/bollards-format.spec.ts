// The table layout of `slimstad bollards …`: enum tokens, pending commands, permit states,
// decisions and the audit, through the real renderer.
import {
  AccessDecision,
  AccessZone,
  AuditEntry,
  BollardState,
  BollardStatus,
  CredentialKind,
  LoopState,
  Permit,
  VehicleClass,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { describe, expect, it } from 'vitest';
import { renderTable } from '../output.js';
import {
  ADMISSION_COLUMNS,
  AUDIT_COLUMNS,
  credentialText,
  DECISION_COLUMNS,
  emergencyText,
  loopText,
  pendingText,
  permitColumns,
  permitState,
  STATUS_COLUMNS,
  stateText,
  ZONE_COLUMNS,
} from './bollards-format.js';

const NOW = new Date('2026-11-23T08:00:00Z');

describe('zones and status', () => {
  it('shows emergency mode with its reason', () => {
    const zone = AccessZone.fromPartial({ id: 'vismarkt', name: 'Vismarkt', version: 2n });
    expect(emergencyText(zone)).toBe('off');
    expect(emergencyText({ ...zone, emergencyMode: true })).toBe('on');
    expect(
      emergencyText({ ...zone, emergencyMode: true, emergencyReason: 'fire brigade (jan)' }),
    ).toBe('on: fire brigade (jan)');
    expect(renderTable([{ ...zone, timeZone: 'Europe/Brussels' }], ZONE_COLUMNS)).toBe(
      [
        'ID         NAME       TIME ZONE         EMERGENCY   VERSION',
        'vismarkt   Vismarkt   Europe/Brussels   off         2',
      ].join('\n'),
    );
  });

  it('writes states and loops as tokens, unset as unknown', () => {
    expect(stateText(BollardState.BOLLARD_STATE_EMERGENCY_DOWN)).toBe('emergency_down');
    expect(stateText(BollardState.BOLLARD_STATE_UNSPECIFIED)).toBe('unknown');
    expect(loopText(LoopState.LOOP_STATE_OCCUPIED)).toBe('occupied');
    expect(loopText(LoopState.LOOP_STATE_UNSPECIFIED)).toBe('unknown');
  });

  it('shows a pending command with its sequence and attempt', () => {
    const status = BollardStatus.fromPartial({ bollardId: 'vm-north' });
    expect(pendingText(status)).toBe('');
    expect(pendingText({ ...status, pendingMotion: 'lower' })).toBe('lower');
    expect(
      pendingText({ ...status, pendingMotion: 'raise', pendingSequence: 12n, pendingAttempts: 2 }),
    ).toBe('raise #12 (attempt 2)');
  });

  it('lays out the live status: state, loop, pending, emergency, fault, fallback', () => {
    const rows = [
      BollardStatus.fromPartial({
        bollardId: 'vm-north',
        zoneId: 'vismarkt',
        state: BollardState.BOLLARD_STATE_EMERGENCY_DOWN,
        loop: LoopState.LOOP_STATE_CLEAR,
        emergency: true,
        lastReportTime: NOW,
      }),
      BollardStatus.fromPartial({
        bollardId: 'vm-south',
        zoneId: 'vismarkt',
        state: BollardState.BOLLARD_STATE_FAULT,
        loop: LoopState.LOOP_STATE_OCCUPIED,
        pendingMotion: 'raise',
        pendingSequence: 4n,
        pendingAttempts: 3,
        faultReason: 'no acknowledgement after 3 attempts',
        fallbackActive: true,
      }),
    ];
    expect(renderTable(rows, STATUS_COLUMNS).split('\n')).toEqual([
      'BOLLARD    ZONE       STATE            LOOP       PENDING                EMERGENCY   FAULT                                 FALLBACK   HOLD UNTIL   LAST REPORT',
      'vm-north   vismarkt   emergency_down   clear      -                      yes         -                                     -          -            2026-11-23T08:00:00.000Z',
      'vm-south   vismarkt   fault            occupied   raise #4 (attempt 3)   -           no acknowledgement after 3 attempts   yes        -            -',
    ]);
  });
});

describe('permits', () => {
  const permit = Permit.fromPartial({
    id: 'p-1',
    credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
    credentialFingerprint: '3f9a01c2',
    vehicleClass: VehicleClass.VEHICLE_CLASS_PUBLIC_SERVICE,
    zoneIds: ['vismarkt', 'korenmarkt'],
    validFrom: new Date('2026-11-01T00:00:00Z'),
    validUntil: new Date('2027-05-01T00:00:00Z'),
    windows: [
      { days: [1, 2, 3, 4, 5, 6], from: '06:00', to: '11:00' },
      { days: [7], from: '08:00', to: '09:00' },
    ],
    reason: 'waste collection',
    createdBy: 'jan',
  });

  it('names the state at a time: active, not yet valid, expired, used, revoked', () => {
    expect(permitState(permit, NOW)).toBe('active');
    expect(permitState(permit, new Date('2026-10-31T23:59:59Z'))).toBe('not yet valid');
    expect(permitState(permit, new Date('2027-05-01T00:00:00Z'))).toBe('expired');
    expect(permitState({ ...permit, useTime: NOW }, NOW)).toBe('used');
    expect(permitState({ ...permit, useTime: NOW, revokeTime: NOW }, NOW)).toBe('revoked');
  });

  it('shows the kind and fingerprint, never a plate; windows as written; the revocation', () => {
    expect(credentialText(permit)).toBe('plate 3f9a01c2');
    const table = renderTable(
      [permit, { ...permit, id: 'p-2', windows: [], revokeTime: NOW, revokeReason: 'moved' }],
      permitColumns(NOW),
    ).split('\n');
    expect(table[0]).toMatch(
      /^ID\s+CREDENTIAL\s+CLASS\s+ZONES\s+FROM\s+UNTIL\s+WINDOWS\s+ONE-OFF\s+STATE\s+BY\s+REASON$/,
    );
    expect(table[1]).toMatch(
      /^p-1\s+plate 3f9a01c2\s+public_service\s+vismarkt,korenmarkt\s+2026-11-01T00:00:00.000Z\s+2027-05-01T00:00:00.000Z\s+Mon-Sat 06:00-11:00; Sun 08:00-09:00\s+-\s+active\s+jan\s+waste collection$/,
    );
    expect(table[2]).toMatch(
      /\sany time\s+-\s+revoked\s+jan\s+waste collection \(revoked: moved\)$/,
    );
  });
});

describe('decisions and the audit', () => {
  const decision = AccessDecision.fromPartial({
    admit: false,
    rule: 'outside-time-window',
    detail: 'permit p-1 (delivery) admits Mon-Sat 06:00-11:00 only',
    permitId: 'p-1',
    vehicleClass: VehicleClass.VEHICLE_CLASS_DELIVERY,
  });

  it('prints admit or deny, the rule, the detail and the permit', () => {
    expect(renderTable([{ bollardId: 'vm-north', decision }], DECISION_COLUMNS)).toBe(
      [
        'BOLLARD    DECISION   RULE                  DETAIL                                                  PERMIT   CLASS',
        'vm-north   deny       outside-time-window   permit p-1 (delivery) admits Mon-Sat 06:00-11:00 only   p-1      delivery',
      ].join('\n'),
    );
    const none = AccessDecision.fromPartial({ admit: false, rule: 'no-permit' });
    expect(renderTable([{ bollardId: 'vm-north', decision: none }], DECISION_COLUMNS)).toMatch(
      /vm-north\s+deny\s+no-permit\s+-\s+-\s+-$/,
    );
  });

  it('an admission shows the state and the pending command', () => {
    const admitted = AccessDecision.fromPartial({ admit: true, rule: 'operator', detail: 'd' });
    const status = BollardStatus.fromPartial({
      state: BollardState.BOLLARD_STATE_UP,
      pendingMotion: 'lower',
      pendingSequence: 1n,
      pendingAttempts: 1,
    });
    expect(
      renderTable([{ bollardId: 'vm-north', decision: admitted, status }], ADMISSION_COLUMNS),
    ).toBe(
      [
        'BOLLARD    DECISION   RULE       DETAIL   STATE   PENDING',
        'vm-north   admit      operator   d        up      lower #1 (attempt 1)',
      ].join('\n'),
    );
  });

  it('lists audit entries with the command sequence and attempt', () => {
    const entries = [
      AuditEntry.fromPartial({
        id: 7n,
        time: NOW,
        kind: 'command',
        actor: 'system:bollards',
        zoneId: 'vismarkt',
        bollardId: 'vm-north',
        outcome: 'lower',
        sequence: 3n,
        attempt: 2,
        requestId: 'r-1',
        detail: 'admitted: operator',
      }),
      AuditEntry.fromPartial({
        id: 6n,
        time: NOW,
        kind: 'emergency',
        actor: 'jan',
        zoneId: 'vismarkt',
        outcome: 'on',
        detail: 'fire',
      }),
    ];
    expect(renderTable(entries, AUDIT_COLUMNS).split('\n')).toEqual([
      'ID   TIME                       KIND        ACTOR             ZONE       BOLLARD    OUTCOME   COMMAND   REQUEST   DETAIL',
      '7    2026-11-23T08:00:00.000Z   command     system:bollards   vismarkt   vm-north   lower     #3/2      r-1       admitted: operator',
      '6    2026-11-23T08:00:00.000Z   emergency   jan               vismarkt   -          on        -         -         fire',
    ]);
  });
});
