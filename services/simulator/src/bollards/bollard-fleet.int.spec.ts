// The simulated bollard fleet and reader gateway against a real NATS/JetStream: commands in on
// the command subject as the service's outbox publishes them, acks and reports out through the
// field stream with msg ids, content type and the command's trace context; the interlock, the
// fail modes on lost heartbeats, injected ack faults, and plates that never reach the bus.
import {
  AccessRequested,
  BollardAcknowledged,
  BollardCommanded,
  BollardCommandsStream,
  BollardFieldStream,
  BollardReported,
  BollardsHeartbeat,
} from '@slimstad/contracts';
import {
  CredentialKind,
  FailMode,
  RequestSource,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import {
  AccessRequest,
  BollardCommand,
  type BollardCommandAck,
  type BollardReport,
  BollardsHeartbeat as BollardsHeartbeatMessage,
  CommandResult,
  Motion,
  Position,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import {
  ack,
  Bus,
  busHeaders,
  connectNats,
  createLogger,
  identityHash,
  ManualClock,
  Namespace,
} from '@slimstad/kit';
import { createTestNamespace, type TestNamespace } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type BollardFleet, type NatsConnection, startBollardFleet } from './bollard-fleet.js';
import { createReaderGateway } from './reader-gateway.js';

const log = createLogger('bollard-fleet-test', 'silent');
const ZONE = 'grote-markt';
const T0 = Date.parse('2026-11-23T08:00:00Z');
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const SECRET = 'bollard-fleet-test-identity-secret-0123456789';

let ns: TestNamespace;
let nc: NatsConnection;
let bus: Bus;
let fleet: BollardFleet;
const clock = new ManualClock(T0);
const acks: {
  ack: BollardCommandAck;
  msgId?: string;
  contentType?: string;
  traceparent?: string;
  realMs: number;
}[] = [];
const reports: BollardReport[] = [];

const spec = (id: string, failMode: 'safe' | 'secure' = 'safe') => ({
  id,
  zoneId: ZONE,
  controllerId: `ctl-${id}`,
  failMode,
  lowerMs: 1_500,
  raiseMs: 3_000,
});

const command = (bollardId: string, sequence: bigint, motion: Motion, attempt = 1, zone = ZONE) =>
  bus.publish(
    BollardCommanded,
    { zone, bollard: bollardId },
    BollardCommand.fromPartial({
      bollardId,
      zoneId: zone,
      controllerId: `ctl-${bollardId}`,
      sequence,
      attempt,
      motion,
      reason: 'test',
      requestId: `req-${bollardId}-${sequence}`,
      issueTime: new Date(clock.now()),
      failMode: FailMode.FAIL_MODE_UNSPECIFIED,
    }),
    { msgId: `cmd:${bollardId}:${sequence}:${attempt}`, headers: { traceparent: TRACEPARENT } },
  );

const acksOf = (bollardId: string) => acks.filter((a) => a.ack.bollardId === bollardId);
const reportsOf = (bollardId: string) => reports.filter((r) => r.bollardId === bollardId);
const lastReport = (bollardId: string) => reportsOf(bollardId).at(-1);

beforeAll(async () => {
  const natsUrl = inject('natsUrl');
  ns = createTestNamespace(natsUrl, 'bollardfleet');
  nc = await connectNats({ url: natsUrl, name: 'bollard-fleet-test', log });
  bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(BollardFieldStream, BollardCommandsStream);
  await bus.consume({
    event: BollardAcknowledged,
    durable: 'test--acks',
    handle: (message, d) => {
      acks.push({
        ack: message,
        msgId: d.msgId,
        contentType: d.headers.get(busHeaders.CONTENT_TYPE),
        traceparent: d.headers.get('traceparent'),
        realMs: Date.now(),
      });
      return ack();
    },
  });
  await bus.consume({
    event: BollardReported,
    durable: 'test--reports',
    handle: (report) => {
      reports.push(report);
      return ack();
    },
  });
  fleet = await startBollardFleet({
    nc,
    namespace: new Namespace(ns.namespace),
    clock,
    bollards: [
      spec('gm-01'),
      spec('gm-02'),
      spec('gm-03', 'secure'),
      { ...spec('gm-04'), faults: { ackLossRate: 1 } },
    ],
    reportEveryMs: 0,
    tickMs: 10,
    log,
  });
});

afterAll(async () => {
  await fleet?.stop();
  await bus?.drain();
  await ns?.cleanup();
});

describe('bollard fleet on the bus', () => {
  it('acknowledges a lower ACCEPTED with msg id, content type and trace, then reports the travel', async () => {
    await command('gm-01', 7n, Motion.MOTION_LOWER);
    await vi.waitFor(() => expect(acksOf('gm-01')).toHaveLength(1));
    const [first] = acksOf('gm-01');
    expect(first!.ack).toMatchObject({
      bollardId: 'gm-01',
      controllerId: 'ctl-gm-01',
      sequence: 7n,
      result: CommandResult.COMMAND_RESULT_ACCEPTED,
      lastSequence: 7n,
      acknowledgeTime: new Date(T0),
    });
    expect(first!.msgId).toBe('ack:gm-01:7:1');
    expect(first!.contentType).toBe(
      'application/protobuf; proto=slimstad.bollards.v1.BollardCommandAck',
    );
    expect(first!.traceparent).toBe(TRACEPARENT);
    await vi.waitFor(() =>
      expect(lastReport('gm-01')?.position).toBe(Position.POSITION_MOVING_DOWN),
    );
    clock.advance(1_500);
    await vi.waitFor(() =>
      expect(lastReport('gm-01')).toMatchObject({
        position: Position.POSITION_DOWN,
        loopOccupied: false,
        powerOk: true,
        fallbackActive: false,
        observeTime: new Date(T0 + 1_500),
      }),
    );
    expect(fleet.commandLog).toContainEqual(
      expect.objectContaining({
        bollardId: 'gm-01',
        requestId: 'req-gm-01-7',
        sequence: 7n,
        result: CommandResult.COMMAND_RESULT_ACCEPTED,
        receivedRealMs: expect.any(Number),
      }),
    );
  });

  it('answers a replayed older sequence STALE, and re-acks a retry ACCEPTED with a report', async () => {
    await command('gm-01', 5n, Motion.MOTION_RAISE);
    await vi.waitFor(() => expect(acksOf('gm-01')).toHaveLength(2));
    expect(acksOf('gm-01')[1]!.ack).toMatchObject({
      sequence: 5n,
      result: CommandResult.COMMAND_RESULT_STALE,
      lastSequence: 7n,
    });
    const before = reportsOf('gm-01').length;
    await command('gm-01', 7n, Motion.MOTION_LOWER, 2);
    await vi.waitFor(() => expect(acksOf('gm-01')).toHaveLength(3));
    expect(acksOf('gm-01')[2]).toMatchObject({
      msgId: 'ack:gm-01:7:2',
      ack: { result: CommandResult.COMMAND_RESULT_ACCEPTED },
    });
    // The service waits for a position newer than the ack: it gets one, though nothing moved.
    await vi.waitFor(() => expect(reportsOf('gm-01').length).toBe(before + 1));
    expect(lastReport('gm-01')?.position).toBe(Position.POSITION_DOWN);
    expect(fleet.controller('gm-01').stats).toMatchObject({ stale: 1, repeated: 1, lowers: 1 });
  });

  it('rejects a raise while a vehicle is on the loop, and counts it as unsafe', async () => {
    await fleet.vehicleArrives('gm-01');
    await vi.waitFor(() => expect(lastReport('gm-01')?.loopOccupied).toBe(true));
    await command('gm-01', 8n, Motion.MOTION_RAISE);
    await vi.waitFor(() => expect(acksOf('gm-01')).toHaveLength(4));
    expect(acksOf('gm-01')[3]!.ack).toMatchObject({
      sequence: 8n,
      result: CommandResult.COMMAND_RESULT_REJECTED,
      detail: 'interlock: vehicle on the induction loop',
      lastSequence: 7n,
    });
    expect(fleet.stats()).toMatchObject({
      unsafeRaiseCommands: 1,
      unsafeRaiseCommandsAfterReport: 1,
      bollardUnderVehicle: 0,
    });
    await fleet.vehicleLeaves('gm-01');
    await vi.waitFor(() => expect(lastReport('gm-01')?.loopOccupied).toBe(false));
  });

  it('drops acks at the configured loss rate but still obeys', async () => {
    await command('gm-04', 1n, Motion.MOTION_LOWER);
    await command('gm-02', 1n, Motion.MOTION_RAISE); // sentinel: published after, acked
    await vi.waitFor(() => expect(acksOf('gm-02')).toHaveLength(1));
    await vi.waitFor(() => expect(fleet.published.acksDropped).toBe(1));
    expect(acksOf('gm-04')).toEqual([]);
    await vi.waitFor(() =>
      expect(lastReport('gm-04')?.position).toBe(Position.POSITION_MOVING_DOWN),
    );
  });

  it('delays acks when told to', async () => {
    fleet.setFaults('gm-04', { ackDelayMs: 300 });
    const sent = Date.now();
    await command('gm-04', 2n, Motion.MOTION_LOWER);
    await vi.waitFor(() => expect(acksOf('gm-04')).toHaveLength(1));
    expect(acksOf('gm-04')[0]!.realMs - sent).toBeGreaterThanOrEqual(290);
    fleet.setFaults('gm-04', undefined); // back to the fleet's: none
  });

  it('after lost heartbeats fail-safe bollards go down, fail-secure ones stay; both flag fallback', async () => {
    await bus.publish(
      BollardsHeartbeat,
      { zone: ZONE },
      BollardsHeartbeatMessage.fromPartial({
        zoneId: ZONE,
        sendTime: new Date(clock.now()),
        failAfter: { seconds: 2n, nanos: 0 },
      }),
      { msgId: `hb:${ZONE}:1` },
    );
    await vi.waitFor(() => expect(fleet.controller('gm-03').failAfterMs).toBe(2_000));
    expect(lastReport('gm-02')?.position).not.toBe(Position.POSITION_DOWN); // up or rising
    clock.advance(2_001);
    await vi.waitFor(() => {
      expect(lastReport('gm-02')).toMatchObject({
        fallbackActive: true,
        position: Position.POSITION_MOVING_DOWN,
      });
      expect(lastReport('gm-03')).toMatchObject({
        fallbackActive: true,
        position: Position.POSITION_UP,
      });
    });
    clock.advance(1_500);
    await vi.waitFor(() =>
      expect(lastReport('gm-02')).toMatchObject({
        fallbackActive: true,
        position: Position.POSITION_DOWN,
      }),
    );
    expect(fleet.controller('gm-03').position(clock.now())).toBe(Position.POSITION_UP);
    // The service is back: fallback ends, the bollards stay where they are.
    await bus.publish(
      BollardsHeartbeat,
      { zone: ZONE },
      BollardsHeartbeatMessage.fromPartial({ zoneId: ZONE, failAfter: { seconds: 2n, nanos: 0 } }),
      { msgId: `hb:${ZONE}:2` },
    );
    await vi.waitFor(() => {
      expect(lastReport('gm-02')).toMatchObject({
        fallbackActive: false,
        position: Position.POSITION_DOWN,
      });
      expect(lastReport('gm-03')).toMatchObject({
        fallbackActive: false,
        position: Position.POSITION_UP,
      });
    });
  });

  it('reports a power loss: fail-safe down and powerOk false', async () => {
    const other = await startBollardFleet({
      bus,
      clock,
      bollards: [{ ...spec('sq-01'), zoneId: 'square' }],
      reportEveryMs: 0,
      log,
    });
    try {
      await other.powerLoss('sq-01');
      await vi.waitFor(() =>
        expect(lastReport('sq-01')).toMatchObject({
          powerOk: false,
          fallbackActive: true,
          position: Position.POSITION_MOVING_DOWN,
        }),
      );
    } finally {
      await other.stop();
    }
  });
});

describe('reader gateway', () => {
  it('publishes a request carrying only the keyed hash of the plate, with req:<id> as msg id', async () => {
    const raw: { data: Uint8Array; msgId?: string; subject: string }[] = [];
    const sub = nc.subscribe(`${ns.namespace}.bollards.request.>`, {
      callback: (_err, msg) => {
        raw.push({ data: msg.data, msgId: msg.headers?.get('Nats-Msg-Id'), subject: msg.subject });
      },
    });
    await nc.flush();
    try {
      const gateway = createReaderGateway({ bus, secret: SECRET, clock, readerId: 'anpr-gm-01' });
      const plate = '1-ABC-234';
      const sent = await gateway.requestAccess({ zoneId: ZONE, bollardId: 'gm-01', plate });
      expect(sent.publishedRealMs).toBeLessThanOrEqual(Date.now());
      await vi.waitFor(() => expect(raw).toHaveLength(1));
      const [msg] = raw;
      expect(msg!.subject).toBe(
        `${ns.namespace}.${AccessRequested.subject({ zone: ZONE, bollard: 'gm-01' })}`,
      );
      expect(msg!.msgId).toBe(`req:${sent.requestId}`);
      expect(AccessRequest.decode(msg!.data)).toMatchObject({
        requestId: sent.requestId,
        zoneId: ZONE,
        bollardId: 'gm-01',
        source: RequestSource.REQUEST_SOURCE_ANPR,
        credentialKind: CredentialKind.CREDENTIAL_KIND_PLATE,
        identityHash: identityHash(SECRET, 'plate', plate),
        readerId: 'anpr-gm-01',
        observeTime: new Date(clock.now()),
      });
      const bytes = Buffer.from(msg!.data);
      for (const form of [plate, '1ABC234', '1-abc-234', 'ABC']) {
        expect(bytes.includes(Buffer.from(form))).toBe(false);
      }
      // A second request gets its own id.
      const again = await gateway.requestAccess({
        zoneId: ZONE,
        bollardId: 'gm-01',
        badge: 'B-77',
      });
      expect(again.requestId).not.toBe(sent.requestId);
      await vi.waitFor(() => expect(raw).toHaveLength(2));
      expect(Buffer.from(raw[1]!.data).includes(Buffer.from('B-77'))).toBe(false);
      expect(AccessRequest.decode(raw[1]!.data).source).toBe(RequestSource.REQUEST_SOURCE_BADGE);
    } finally {
      sub.unsubscribe();
    }
  });
});
