// What the bollards service promises about its records, on a real Postgres and NATS: a command
// is published if and only if its audit record committed; a request that could not be
// recorded is retried from the stream, not lost; a malformed one is parked with its reason;
// sequences, pending commands and emergency modes survive a restart; the audit is purged only
// past its retention.
import type { Msg } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { AccessRequested } from '@slimstad/contracts';
import { FailMode, RequestSource } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import {
  AccessRequest,
  BollardCommand,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import { busHeaders, Namespace } from '@slimstad/kit';
import { eventually } from '@slimstad/test-harness';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeAudit } from '../src/store/audit.repository.js';
import { type BollardsFixture, startBollardsFixture } from './support/bollards-fixture.js';

const START = '2026-11-23T08:00:00Z';

let f: BollardsFixture;
let admin: Awaited<ReturnType<BollardsFixture['api']>>;
let keeper: Awaited<ReturnType<BollardsFixture['api']>>;
const commands: BollardCommand[] = [];
const deadLetters: { reason: string; subject: string }[] = [];
let closeNats: () => Promise<void>;

const outboxRows = async () =>
  (await sql<{ n: number }>`select count(*)::int as n from outbox`.execute(f.database.db)).rows[0]
    ?.n;
const commandAudits = async (bollardId: string) =>
  (
    await sql<{ n: number }>`
      select count(*)::int as n from audit where kind = 'command' and bollard_id = ${bollardId}`.execute(
      f.database.db,
    )
  ).rows[0]?.n;

beforeAll(async () => {
  f = await startBollardsFixture('bollards_durability', START);
  admin = await f.api(['admin'], 'ada');
  keeper = await f.api(['bollard-operator'], 'jan');
  const ns = new Namespace(f.ns.namespace);
  const nc = await connect({ servers: f.natsUrl });
  nc.subscribe(ns.subject('bollards.command.>'), {
    callback: (_e: unknown, m: Msg) => {
      commands.push(BollardCommand.decode(m.data));
    },
  });
  nc.subscribe(ns.subject('deadletter.bollards--requests'), {
    callback: (_e: unknown, m: Msg) => {
      deadLetters.push({
        reason: m.headers?.get(busHeaders.DEAD_LETTER_REASON) ?? '',
        subject: m.headers?.get(busHeaders.DEAD_LETTER_SUBJECT) ?? '',
      });
    },
  });
  closeNats = () => nc.drain();
  await admin.createZone({
    zone: {
      id: 'vismarkt',
      name: 'Vismarkt',
      timeZone: 'Europe/Brussels',
      emergencyMode: false,
      emergencyReason: '',
      version: 0n,
      createTime: undefined,
      updateTime: undefined,
    },
  });
  for (const id of ['vm-1', 'vm-2', 'vm-3']) {
    await admin.createBollard({
      bollard: {
        id,
        zoneId: 'vismarkt',
        name: id,
        location: { latitude: 51.0543, longitude: 3.7174 },
        controllerId: `bc-${id}`,
        loopId: `loop-${id}`,
        failMode: FailMode.FAIL_MODE_SECURE,
        version: 0n,
        createTime: undefined,
        updateTime: undefined,
      },
    });
  }
});

afterAll(async () => {
  await closeNats?.();
  await f?.close();
});

describe('the transactional outbox', () => {
  it('publishes nothing of what could not be recorded, and retries a request from the stream until it can', async () => {
    // The audit refuses new decisions (as a full disk or a lost primary would refuse them).
    await sql`alter table audit add constraint refuse_decisions check (kind <> 'decision') not valid`.execute(
      f.database.db,
    );
    const failed = await keeper
      .admitVehicle({ bollardId: 'vm-1', reason: 'removal van' })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    // A reader's request arrives meanwhile.
    await f.bus.publish(
      AccessRequested,
      { zone: 'vismarkt', bollard: 'vm-2' },
      AccessRequest.fromPartial({
        requestId: 'anpr-1',
        zoneId: 'vismarkt',
        bollardId: 'vm-2',
        source: RequestSource.REQUEST_SOURCE_ANPR,
        emergency: true,
        readerId: 'anpr-vm-2',
        observeTime: new Date(f.clock.now()),
      }),
      { msgId: 'req:anpr-1' },
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(commands).toEqual([]);
    expect(await outboxRows()).toBe(0);
    expect(await commandAudits('vm-1')).toBe(0);
    // The control was reloaded from the store: no command waits for an acknowledgement.
    expect(f.bollards.engine.control.bollard('vm-1')?.machine.pending).toBeUndefined();

    await sql`alter table audit drop constraint refuse_decisions`.execute(f.database.db);
    // The request from the stream is decided now (redelivered), and its command goes out.
    await eventually(() => expect(commands.map((c) => c.bollardId)).toContain('vm-2'), 10_000);
    expect(commands.find((c) => c.bollardId === 'vm-2')?.requestId).toBe('anpr-1');
    await keeper.admitVehicle({ bollardId: 'vm-1', reason: 'removal van' });
    await eventually(() => expect(commands.map((c) => c.bollardId)).toContain('vm-1'));
    // Every command out has its audit record, and the other way round.
    await eventually(async () => expect(await outboxRows()).toBe(0));
    for (const id of ['vm-1', 'vm-2']) {
      expect(await commandAudits(id)).toBe(commands.filter((c) => c.bollardId === id).length);
    }
  });

  it('parks a malformed request on the dead-letter subject with its reason', async () => {
    await f.bus.publish(
      AccessRequested,
      { zone: 'vismarkt', bollard: 'vm-3' },
      AccessRequest.fromPartial({
        requestId: 'anpr-bad',
        zoneId: 'vismarkt',
        bollardId: 'vm-3',
        source: RequestSource.REQUEST_SOURCE_ANPR,
        // A gateway that sent the plate itself instead of its keyed hash.
        identityHash: '1-ABC-234',
        observeTime: new Date(f.clock.now()),
      }),
      { msgId: 'req:anpr-bad' },
    );
    await eventually(() =>
      expect(deadLetters).toContainEqual({
        reason: expect.stringContaining('identity_hash is not 64 lower-case hex digits'),
        subject: 'bollards.request.vismarkt.vm-3',
      }),
    );
    expect(commands.some((c) => c.bollardId === 'vm-3')).toBe(false);
  });
});

describe('restarts', () => {
  it('keep each bollard’s sequence, its unacknowledged command and the zone’s emergency mode', async () => {
    const before = f.bollards.engine.control.bollard('vm-1')?.machine;
    const sequence = before?.sequence ?? 0;
    expect(before?.pending?.motion).toBe('lower');
    await keeper.setEmergencyMode({ zoneId: 'vismarkt', active: true, reason: 'market fire' });
    await f.restart();
    const after = f.bollards.engine.control.bollard('vm-1')?.machine;
    expect(after?.sequence).toBeGreaterThanOrEqual(sequence);
    expect(after?.pending?.motion).toBe('lower');
    expect(after?.loopOccupied).toBeUndefined(); // unknown until the controller reports
    expect(f.bollards.engine.control.zone('vismarkt')?.emergency).toBe(true);
    // Nobody answers: the restarted service keeps retrying the same command, then faults.
    const seen = commands.length;
    await eventually(
      () => expect(f.bollards.engine.control.bollard('vm-1')?.machine.state).toBe('fault'),
      10_000,
    );
    const retries = commands.slice(seen).filter((c) => c.bollardId === 'vm-1');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((c) => Number(c.sequence) >= sequence)).toBe(true);
    // The fault is in memory first; its audit row follows with the next group commit.
    await eventually(async () => {
      const { entries } = await keeper.listAuditEntries({
        zoneId: '',
        bollardId: 'vm-1',
        kind: 'fault',
        requestId: '',
        page: undefined,
      });
      expect(entries[0]?.detail).toMatch(
        /no acknowledgement of lower command \d+ after 3 attempts/,
      );
    });
  });
});

describe('retention', () => {
  it('purges audit entries past the retention and keeps the rest', async () => {
    await sql`insert into audit (at, kind, actor, zone_id, detail, outcome)
      values (now() - interval '400 days', 'decision', 'anpr', 'vismarkt', 'old', 'deny:no-permit')`.execute(
      f.database.db,
    );
    const total = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from audit`.execute(f.database.db))
        .rows[0]?.n ?? 0;
    const before = await total();
    expect(await purgeAudit(f.database.db, 180)).toBe(1);
    expect(await total()).toBe(before - 1);
  });
});
