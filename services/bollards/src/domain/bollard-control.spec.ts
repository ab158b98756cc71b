import { identityHash } from '@slimstad/kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Permit, RequestSource } from './access.js';
import {
  BollardControl,
  type BollardSnapshot,
  type BollardSpec,
  type Now,
  type Outbound,
  type Work,
  type ZoneSpec,
} from './bollard-control.js';
import { DEFAULT_POLICY, type Motion } from './bollard-machine.js';

const SECRET = 'municipality-secret-0123456789abcdef';
const plate = (p: string) => identityHash(SECRET, 'plate', p);
const at = (iso: string) => Date.parse(iso);

const zones: ZoneSpec[] = [
  { id: 'vismarkt', name: 'Vismarkt', timeZone: 'Europe/Brussels' },
  { id: 'korenmarkt', name: 'Korenmarkt', timeZone: 'Europe/Brussels' },
];
const bollards: BollardSpec[] = ['vm-n', 'vm-s', 'km-e', 'km-w'].map((id, i) => ({
  id,
  zoneId: i < 2 ? 'vismarkt' : 'korenmarkt',
  name: id,
  location: { latitude: 51.05, longitude: 3.72 },
  controllerId: `bc-${id}`,
  loopId: `loop-${id}`,
  failMode: i % 2 === 0 ? 'safe' : 'secure',
}));
const year = { validFromMs: at('2026-01-01T00:00:00Z'), validUntilMs: at('2027-01-01T00:00:00Z') };
const permits: Permit[] = [
  {
    id: 'resident',
    identityHash: plate('1-RES-001'),
    vehicleClass: 'resident',
    zoneIds: ['vismarkt'],
    ...year,
    windows: [],
    oneOff: false,
  },
  {
    id: 'delivery',
    identityHash: plate('1-DEL-002'),
    vehicleClass: 'delivery',
    zoneIds: ['vismarkt', 'korenmarkt'],
    ...year,
    windows: [{ days: [1, 2, 3, 4, 5, 6], from: '06:00', to: '11:00' }],
    oneOff: false,
  },
  {
    id: 'removal',
    identityHash: plate('1-MOV-003'),
    vehicleClass: 'event',
    zoneIds: ['korenmarkt'],
    ...year,
    windows: [],
    oneOff: true,
  },
  {
    id: 'revoked',
    identityHash: plate('1-REV-004'),
    vehicleClass: 'taxi',
    zoneIds: ['vismarkt', 'korenmarkt'],
    ...year,
    windows: [],
    oneOff: false,
    revokedAtMs: at('2026-02-01T00:00:00Z'),
  },
];
const identities = [
  ...permits.map((p) => p.identityHash),
  plate('9-XXX-999'), // no permit
  undefined, // nothing read
];
const policy = DEFAULT_POLICY;

/**
 * The store as the service uses it: a unit of work is written whole or not at all. It keeps
 * the audit, the outbox's published events, bollard snapshots, zones' emergency modes and used
 * permits; a restart loads the control from it.
 */
class Journal {
  readonly audit: Work['entries'][number]['audit'][] = [];
  readonly published: Outbound[] = [];
  readonly snapshots = new Map<string, BollardSnapshot>();
  readonly emergency = new Map<string, { active: boolean; reason?: string }>();
  readonly used = new Map<string, number>();

  commit(control: BollardControl, work: Work): void {
    for (const { audit, event } of work.entries) {
      this.audit.push(audit);
      if (event) this.published.push(event);
    }
    for (const id of work.bollards) this.snapshots.set(id, control.snapshot(id));
    for (const id of work.zones) {
      const zone = control.zone(id);
      if (zone) this.emergency.set(id, { active: zone.emergency, reason: zone.emergencyReason });
    }
    for (const [id, t] of work.permitsUsed) this.used.set(id, t);
  }

  load(): BollardControl {
    const control = new BollardControl(policy);
    for (const z of zones) control.putZone(z, this.emergency.get(z.id) ?? { active: false });
    for (const b of bollards) control.putBollard(b, this.snapshots.get(b.id));
    control.replacePermits(permits.map((p) => ({ ...p, usedAtMs: this.used.get(p.id) })));
    return control;
  }
}

/** One simulated controller: what it was told, what it obeyed, where the bollard is. */
interface Field {
  inbox: Extract<Outbound, { kind: 'command' }>[];
  lastSequence: number;
  motion?: { motion: Motion; sequence: number };
  position: 'up' | 'down';
  vehicle: boolean;
  obstacle: boolean;
}

type Step =
  | { kind: 'request'; bollard: number; source: RequestSource; identity: number; flag: boolean }
  | { kind: 'vehicle'; bollard: number; present: boolean }
  | { kind: 'obstacle'; bollard: number; present: boolean }
  | { kind: 'ack'; bollard: number; lost: boolean; late: boolean }
  | { kind: 'arrive'; bollard: number }
  | { kind: 'tick'; realMs: number }
  | { kind: 'hours'; hours: number }
  | { kind: 'emergency'; zone: number; on: boolean }
  | { kind: 'maintenance'; bollard: number; on: boolean }
  | { kind: 'restart' }
  | { kind: 'failCommit' };

const bollardIndex = fc.integer({ min: 0, max: bollards.length - 1 });
const sources: RequestSource[] = ['anpr', 'badge', 'intercom', 'operator', 'emergency_service'];
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      bollard: bollardIndex,
      source: fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom(...sources.slice(0, 4)) },
        { weight: 1, arbitrary: fc.constant('emergency_service' as const) },
      ),
      identity: fc.integer({ min: 0, max: identities.length - 1 }),
      flag: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('vehicle' as const),
      bollard: bollardIndex,
      present: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('obstacle' as const),
      bollard: bollardIndex,
      present: fc.boolean(),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('ack' as const),
      bollard: bollardIndex,
      lost: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      late: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('arrive' as const), bollard: bollardIndex }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      realMs: fc.integer({ min: 0, max: 70_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('hours' as const),
      hours: fc.integer({ min: 1, max: 30 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('emergency' as const),
      zone: fc.integer({ min: 0, max: 1 }),
      on: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('maintenance' as const),
      bollard: bollardIndex,
      on: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'failCommit' as const }) },
);

const commandKey = (e: { bollardId?: string; sequence?: number; attempt?: number }) =>
  `${e.bollardId}#${e.sequence}/${e.attempt}`;

/** What a scenario went through, so the property test can show it is not vacuous. */
const seen = new Map<string, number>();
const saw = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);

function runScenario(steps: Step[], startCity: number): void {
  const journal = new Journal();
  let control = journal.load();
  const now: Now = { real: 1_000_000, city: startCity };
  const field: Field[] = bollards.map(() => ({
    inbox: [],
    lastSequence: 0,
    position: 'up',
    vehicle: false,
    obstacle: false,
  }));
  let failNext = false;
  // The controllers report their loops before anything else happens.
  for (const b of bollards) {
    journal.commit(
      control,
      control.reported(
        b.id,
        {
          position: 'up',
          loopOccupied: false,
          obstacle: false,
          fallbackActive: false,
          observedAt: 0,
        },
        now,
      ),
    );
  }
  const report = (i: number) => {
    const f = field[i] as Field;
    return {
      position: f.motion ? undefined : f.position,
      loopOccupied: f.vehicle,
      obstacle: f.obstacle,
      fallbackActive: false,
      observedAt: now.real,
    };
  };

  for (const s of steps) {
    let work: Work | undefined;
    let admittedEmergency = false;
    switch (s.kind) {
      case 'request': {
        const b = bollards[s.bollard] as BollardSpec;
        const emergency = s.source === 'emergency_service' || s.flag;
        const result = control.request(
          {
            requestId: `r-${now.real}-${s.bollard}`,
            zoneId: b.zoneId,
            bollardId: b.id,
            source: s.source,
            at: now.city,
            identityHash: identities[s.identity],
            emergency: s.flag,
            operator: s.source === 'operator' ? { subject: 'jan', reason: 'intercom' } : undefined,
          },
          now,
        );
        // An emergency request is admitted at once, and the bollard is (made) on its way down.
        if (emergency) {
          expect(result.decision.admit).toBe(true);
          admittedEmergency = true;
        }
        work = result.work;
        break;
      }
      case 'vehicle':
      case 'obstacle': {
        const f = field[s.bollard] as Field;
        if (s.kind === 'vehicle') f.vehicle = s.present;
        else f.obstacle = s.present;
        // The controller's own safety: a vehicle or obstacle stops a rise and lowers.
        if (s.present && f.motion?.motion === 'raise') {
          f.motion = undefined;
          f.position = 'down';
        }
        work = control.reported((bollards[s.bollard] as BollardSpec).id, report(s.bollard), now);
        break;
      }
      case 'ack': {
        const f = field[s.bollard] as Field;
        const command = f.inbox.shift();
        if (!command || s.lost) break;
        const sequence = s.late ? Math.max(0, command.sequence - 1) : command.sequence;
        let result: 'accepted' | 'stale' | 'rejected' = 'accepted';
        if (sequence < f.lastSequence) result = 'stale';
        else if (command.motion === 'raise' && (f.vehicle || f.obstacle)) result = 'rejected';
        if (result === 'accepted') {
          f.lastSequence = Math.max(f.lastSequence, sequence);
          f.motion = { motion: command.motion, sequence };
        }
        work = control.acknowledged(
          command.bollardId,
          {
            sequence,
            result,
            lastSequence: f.lastSequence,
            detail: result === 'rejected' ? 'loop occupied' : '',
            at: now.real,
          },
          now,
        );
        break;
      }
      case 'arrive': {
        const f = field[s.bollard] as Field;
        if (!f.motion) break;
        f.position = f.motion.motion === 'lower' ? 'down' : 'up';
        f.motion = undefined;
        now.real += 1;
        work = control.reported((bollards[s.bollard] as BollardSpec).id, report(s.bollard), now);
        break;
      }
      case 'tick':
        now.real += s.realMs;
        now.city += s.realMs;
        work = control.tick(now);
        break;
      case 'hours':
        now.city += s.hours * 3_600_000;
        break;
      case 'emergency':
        work = control.setEmergency(
          (zones[s.zone] as ZoneSpec).id,
          s.on,
          s.on ? 'fire' : 'all clear',
          'jan',
          now,
        );
        break;
      case 'maintenance':
        work = control.setMaintenance(
          (bollards[s.bollard] as BollardSpec).id,
          s.on,
          'crew',
          'jan',
          now,
        );
        break;
      case 'restart':
        control = journal.load();
        // After a restart each controller reports again before the loop counts as known.
        for (const [i, b] of bollards.entries()) {
          journal.commit(control, control.reported(b.id, report(i), now));
        }
        break;
      case 'failCommit':
        failNext = true;
        break;
    }
    if (!work) continue;

    for (const { event } of work.entries) {
      if (event?.kind === 'command') saw(`${event.motion}${event.attempt > 1 ? ' retry' : ''}`);
      if (event?.kind === 'state') saw(`state ${event.to}`);
      if (event?.kind === 'decision') saw(`decision ${event.decision.rule}`);
    }
    const stateChanges = work.entries.filter((e) => e.event?.kind === 'state');
    for (const { event } of work.entries) {
      if (event?.kind === 'command' && event.motion === 'raise') {
        // Never a raise while the loop is occupied, nor in an emergency.
        const i = bollards.findIndex((b) => b.id === event.bollardId);
        expect((field[i] as Field).vehicle).toBe(false);
        expect(control.zone(event.zoneId)?.emergency).toBe(false);
      }
    }
    for (const { event } of stateChanges) {
      if (event?.kind !== 'state') continue;
      // Moving only on an acknowledgement; arrived only on the controller's report.
      if (event.to === 'lowering' || event.to === 'raising') expect(s.kind).toBe('ack');
      if (event.to === 'up')
        expect(['arrive', 'maintenance', 'vehicle', 'obstacle']).toContain(s.kind);
      if (event.to === 'down' && event.from !== 'emergency_down') {
        expect(['arrive', 'maintenance', 'vehicle', 'obstacle']).toContain(s.kind);
      }
    }
    if (admittedEmergency && s.kind === 'request') {
      const b = bollards[s.bollard] as BollardSpec;
      const m = control.bollard(b.id)?.machine;
      const onItsWay =
        m &&
        (['down', 'lowering', 'emergency_down', 'maintenance'].includes(m.state) ||
          m.pending?.motion === 'lower');
      expect(onItsWay).toBe(true);
    }

    if (failNext) {
      // The transaction failed: nothing of it was recorded or published, and the service
      // reloads its state from the store.
      failNext = false;
      control = journal.load();
      for (const [i, b] of bollards.entries()) {
        journal.commit(control, control.reported(b.id, report(i), now));
      }
      continue;
    }
    journal.commit(control, work);
    for (const { event } of work.entries) {
      if (event?.kind !== 'command') continue;
      const i = bollards.findIndex((b) => b.id === event.bollardId);
      (field[i] as Field).inbox.push(event);
    }
  }

  // Every command has its audit record and every audit record of a command has its event.
  const audited = journal.audit.filter((a) => a.kind === 'command').map(commandKey);
  const sent = journal.published
    .filter((e): e is Extract<Outbound, { kind: 'command' }> => e.kind === 'command')
    .map(commandKey);
  expect(sent.sort()).toEqual(audited.sort());
  // The same holds for faults, decisions and state changes.
  for (const kind of ['fault', 'decision', 'state'] as const) {
    expect(journal.published.filter((e) => e.kind === kind).length).toBe(
      journal.audit.filter((a) => a.kind === kind).length,
    );
  }
}

describe('bollard control', () => {
  const start = at('2026-11-23T05:00:00Z');

  function loaded(maxRequestAgeMs = Number.POSITIVE_INFINITY): BollardControl {
    const control = new BollardControl(policy, { maxRequestAgeMs });
    for (const z of zones) control.putZone(z);
    for (const b of bollards) control.putBollard(b);
    control.replacePermits(permits);
    for (const b of bollards) {
      control.reported(
        b.id,
        {
          position: 'up',
          loopOccupied: false,
          obstacle: false,
          fallbackActive: false,
          observedAt: 0,
        },
        { real: 0, city: start },
      );
    }
    return control;
  }

  it('records a decision with its event and lowers for an admitted vehicle, naming the request', () => {
    const control = loaded();
    const { decision, work } = control.request(
      {
        requestId: 'r-1',
        zoneId: 'vismarkt',
        bollardId: 'vm-n',
        source: 'anpr',
        at: 0,
        identityHash: plate('1 res 001'),
      },
      { real: 10, city: at('2026-11-23T22:00:00Z') },
    );
    expect(decision).toMatchObject({ admit: true, rule: 'permit', permitId: 'resident' });
    expect(work.entries.map((e) => [e.audit.kind, e.audit.outcome, e.event?.kind])).toEqual([
      ['decision', 'admit:permit', 'decision'],
      ['command', 'lower', 'command'],
    ]);
    expect(work.entries[1]?.event).toMatchObject({
      requestId: 'r-1',
      sequence: 1,
      failMode: 'safe',
    });
    expect(JSON.stringify(work)).not.toContain('RES');
  });

  it('denies outside the window, naming the rule, and commands nothing', () => {
    const control = loaded();
    const { decision, work } = control.request(
      {
        requestId: 'r-2',
        zoneId: 'korenmarkt',
        bollardId: 'km-e',
        source: 'anpr',
        at: 0,
        identityHash: plate('1-DEL-002'),
      },
      { real: 10, city: at('2026-11-23T13:00:00Z') }, // Monday 14:00 in Brussels
    );
    expect(decision.rule).toBe('outside-time-window');
    expect(work.entries.map((e) => e.audit.kind)).toEqual(['decision']);
  });

  it('refuses a request observed too long ago, except an emergency vehicle’s', () => {
    const control = loaded(30_000);
    const request = {
      requestId: 'r-old',
      zoneId: 'vismarkt',
      bollardId: 'vm-n',
      source: 'anpr' as const,
      at: start - 31_000,
      identityHash: plate('1-RES-001'),
    };
    const old = control.request(request, { real: 10, city: start });
    expect(old.decision.rule).toBe('request-too-old');
    expect(old.work.entries.map((e) => e.audit.kind)).toEqual(['decision']);
    expect(
      control.request({ ...request, at: start - 1_000 }, { real: 11, city: start }).decision.rule,
    ).toBe('permit');
    expect(
      control.request({ ...request, bollardId: 'vm-s', emergency: true }, { real: 12, city: start })
        .decision.rule,
    ).toBe('emergency-vehicle');
  });

  it('uses up a one-off permit with its first admission', () => {
    const control = loaded();
    const request = {
      requestId: 'r-3',
      zoneId: 'korenmarkt',
      bollardId: 'km-e',
      source: 'anpr' as const,
      at: 0,
      identityHash: plate('1-MOV-003'),
    };
    const first = control.request(request, { real: 10, city: start });
    expect(first.work.permitsUsed.get('removal')).toBe(start);
    expect(control.request(request, { real: 20, city: start + 1 }).decision.rule).toBe(
      'permit-used',
    );
  });

  it('puts the zone into emergency mode on an emergency-service request, holding every bollard down', () => {
    const control = loaded();
    const { decision, work } = control.request(
      {
        requestId: 'r-4',
        zoneId: 'vismarkt',
        bollardId: 'vm-s',
        source: 'emergency_service',
        at: 0,
      },
      { real: 10, city: start },
    );
    expect(decision.rule).toBe('emergency-vehicle');
    expect(control.zone('vismarkt')?.emergency).toBe(true);
    const commands = work.entries.flatMap((e) =>
      e.event?.kind === 'command' ? [`${e.event.bollardId}:${e.event.motion}`] : [],
    );
    expect(commands.sort()).toEqual(['vm-n:lower', 'vm-s:lower']);
    expect(work.entries.some((e) => e.event?.kind === 'emergency')).toBe(true);
    // Nothing rises until an operator clears it.
    for (const id of ['vm-n', 'vm-s']) {
      const sequence = control.bollard(id)?.machine.pending?.sequence ?? 0;
      control.acknowledged(
        id,
        { sequence, result: 'accepted', lastSequence: sequence, detail: '', at: 20 },
        { real: 20, city: start },
      );
      control.reported(
        id,
        {
          position: 'down',
          loopOccupied: false,
          obstacle: false,
          fallbackActive: false,
          observedAt: 30,
        },
        { real: 30, city: start },
      );
    }
    expect(control.tick({ real: 10_000_000, city: start }).entries).toEqual([]);
    control.setEmergency('vismarkt', false, 'all clear', 'jan', { real: 10_000_001, city: start });
    const raises = control
      .tick({ real: 10_000_002, city: start })
      .entries.filter((e) => e.event?.kind === 'command');
    expect(raises).toHaveLength(2);
  });

  it('faults and announces it when a lower command is rejected', () => {
    const control = loaded();
    control.request(
      {
        requestId: 'r-5',
        zoneId: 'vismarkt',
        bollardId: 'vm-n',
        source: 'operator',
        at: 0,
        operator: { subject: 'jan', reason: 'removal van' },
      },
      { real: 10, city: start },
    );
    const work = control.acknowledged(
      'vm-n',
      { sequence: 1, result: 'rejected', lastSequence: 0, detail: 'manual mode', at: 20 },
      { real: 20, city: start },
    );
    expect(work.entries.map((e) => e.event?.kind)).toEqual(['fault', 'state']);
    expect(control.bollard('vm-n')?.machine.state).toBe('fault');
  });

  it('jumps its sequence ahead when a controller answers STALE', () => {
    const control = loaded();
    control.request(
      {
        requestId: 'r-6',
        zoneId: 'vismarkt',
        bollardId: 'vm-n',
        source: 'operator',
        at: 0,
        operator: { subject: 'jan', reason: 'removal van' },
      },
      { real: 10, city: start },
    );
    const work = control.acknowledged(
      'vm-n',
      { sequence: 1, result: 'stale', lastSequence: 41, detail: '', at: 20 },
      { real: 20, city: start },
    );
    expect(work.entries[0]?.event).toMatchObject({
      kind: 'command',
      motion: 'lower',
      sequence: 42,
    });
  });

  it('takes a fail-safe controller’s word that it went down while the service was away', () => {
    const control = loaded();
    const work = control.reported(
      'km-e',
      {
        position: 'down',
        loopOccupied: false,
        obstacle: false,
        fallbackActive: true,
        observedAt: 50,
      },
      { real: 50, city: start },
    );
    expect(work.entries[0]?.event).toMatchObject({ kind: 'state', from: 'up', to: 'down' });
    expect(control.snapshot('km-e').fallbackActive).toBe(true);
  });

  // 50 runs × 2,000 steps = 100,000 random steps.
  it('keeps its safety and audit promises over 100,000 random steps', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 2_000, maxLength: 2_000 }),
        fc.integer({ min: 0, max: 24 * 7 }),
        (steps, hour) => runScenario(steps, start + hour * 3_600_000),
      ),
      { numRuns: 50 },
    );
    // Every kind of thing happened, many times over.
    for (const what of [
      'lower',
      'raise',
      'lower retry',
      'state lowering',
      'state down',
      'state raising',
      'state up',
      'state fault',
      'state emergency_down',
      'state maintenance',
      'decision emergency-vehicle',
      'decision permit-window',
      'decision outside-time-window',
      'decision permit-used',
      'decision permit-revoked',
      'decision no-permit',
      'decision operator',
      'decision zone-emergency-mode',
    ]) {
      expect(seen.get(what) ?? 0, what).toBeGreaterThan(10);
    }
  });
});
