// The simulated lamp fleet against a real NATS/JetStream: commands in on the command subject,
// acks and feedback out through the feedback stream, with msg ids, content type and the
// command's trace context.
import {
  LampAcknowledged,
  LampCommanded,
  LampFeedbackReported,
  LightingCommandsStream,
  LightingFeedbackStream,
  LightingHeartbeat,
} from '@slimstad/contracts';
import {
  CommandResult,
  ControllerFailure,
  LampCommand,
  type LampCommandAck,
  type LampFeedback,
  LightingHeartbeat as LightingHeartbeatMessage,
} from '@slimstad/contracts/gen/slimstad/lighting/v1/control';
import {
  ack,
  Bus,
  busHeaders,
  connectNats,
  createLogger,
  ManualClock,
  Namespace,
} from '@slimstad/kit';
import { createTestNamespace, type TestNamespace } from '@slimstad/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type LampFleet, type NatsConnection, startLampFleet } from './lamp-fleet.js';

const log = createLogger('lamp-fleet-test', 'silent');
const ZONE = 'warandepark';
const EVENING = Date.parse('2026-11-23T18:00:00Z');
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

let ns: TestNamespace;
let nc: NatsConnection;
let bus: Bus;
let fleet: LampFleet;
const clock = new ManualClock(EVENING);
const acks: { ack: LampCommandAck; msgId?: string; contentType?: string; traceparent?: string }[] =
  [];
const feedback: LampFeedback[] = [];
const received: { lampId: string; sequence: bigint }[] = [];

const lamp = (n: number) => ({
  lampId: `wp-00${n}`,
  zoneId: ZONE,
  controllerId: `ctl-wp-00${n}`,
  ratedPowerWatts: 50,
  location: { latitude: 50.845, longitude: 4.364 },
});

const command = (lampId: string, sequence: bigint, level: number, attempt = 1) =>
  bus.publish(
    LampCommanded,
    { zone: ZONE, lamp: lampId },
    LampCommand.fromPartial({
      lampId,
      zoneId: ZONE,
      controllerId: `ctl-${lampId}`,
      sequence,
      level,
      transition: { seconds: 1n, nanos: 0 },
      fallbackLevel: 50,
      attempt,
      issueTime: new Date(clock.now()),
    }),
    { msgId: `cmd:${lampId}:${sequence}:${attempt}`, headers: { traceparent: TRACEPARENT } },
  );

const acksOf = (lampId: string) => acks.filter((a) => a.ack.lampId === lampId);

beforeAll(async () => {
  const natsUrl = inject('natsUrl');
  ns = createTestNamespace(natsUrl, 'lampfleet');
  nc = await connectNats({ url: natsUrl, name: 'lamp-fleet-test', log });
  bus = await Bus.create(nc, { namespace: ns.namespace, log });
  await bus.declareStreams(LightingCommandsStream, LightingFeedbackStream);
  await bus.consume({
    event: LampAcknowledged,
    durable: 'test--acks',
    handle: (message, d) => {
      acks.push({
        ack: message,
        msgId: d.msgId,
        contentType: d.headers.get(busHeaders.CONTENT_TYPE),
        traceparent: d.headers.get('traceparent'),
      });
      return ack();
    },
  });
  await bus.consume({
    event: LampFeedbackReported,
    durable: 'test--feedback',
    handle: (fb) => {
      feedback.push(fb);
      return ack();
    },
  });
  fleet = await startLampFleet({
    nc,
    namespace: new Namespace(ns.namespace),
    clock,
    lamps: [lamp(1), lamp(2), lamp(3)],
    feedbackEveryMs: 0,
    log,
    onCommand: (lampId, cmd) => received.push({ lampId, sequence: cmd.sequence }),
  });
});

afterAll(async () => {
  await fleet?.stop();
  await bus?.drain();
  await ns?.cleanup();
});

describe('lamp fleet on the bus', () => {
  it('acknowledges a command as APPLIED with its sequence, msg id, content type and trace', async () => {
    await command('wp-001', 7n, 80);
    await vi.waitFor(() => expect(acksOf('wp-001')).toHaveLength(1));
    const [first] = acksOf('wp-001');
    expect(first!.ack).toMatchObject({
      lampId: 'wp-001',
      controllerId: 'ctl-wp-001',
      sequence: 7n,
      result: CommandResult.COMMAND_RESULT_APPLIED,
      level: 80,
      acknowledgeTime: new Date(EVENING),
    });
    expect(first!.msgId).toBe('ack:wp-001:7:1');
    expect(first!.contentType).toBe(
      'application/protobuf; proto=slimstad.lighting.v1.LampCommandAck',
    );
    expect(first!.traceparent).toBe(TRACEPARENT);
    expect(received).toContainEqual({ lampId: 'wp-001', sequence: 7n });
    // An applied command is followed by feedback at the start of its ramp.
    await vi.waitFor(() => expect(feedback.some((f) => f.lampId === 'wp-001')).toBe(true));
    clock.advance(1_000);
    expect(fleet.levelAt('wp-001', clock.now())).toBe(80);
  });

  it('acknowledges a replayed older sequence as STALE and keeps the level', async () => {
    await command('wp-001', 5n, 10);
    await vi.waitFor(() => expect(acksOf('wp-001')).toHaveLength(2));
    expect(acksOf('wp-001')[1]!.ack).toMatchObject({
      sequence: 5n,
      result: CommandResult.COMMAND_RESULT_STALE,
      level: 80,
    });
    // A retry of the applied command (next attempt) is STALE too, under its own msg id.
    await command('wp-001', 7n, 80, 2);
    await vi.waitFor(() => expect(acksOf('wp-001')).toHaveLength(3));
    expect(acksOf('wp-001')[2]).toMatchObject({
      msgId: 'ack:wp-001:7:2',
      ack: { result: CommandResult.COMMAND_RESULT_STALE },
    });
    expect(fleet.levelAt('wp-001', clock.now())).toBe(80);
  });

  it('stays silent while unresponsive, and answers again once the fault clears', async () => {
    await fleet.setFault('wp-002', { unresponsive: true });
    const before = fleet.commandsReceived;
    await command('wp-002', 1n, 100);
    await command('wp-003', 1n, 100); // sentinel: published after, acked
    await vi.waitFor(() => expect(acksOf('wp-003')).toHaveLength(1));
    await vi.waitFor(() => expect(fleet.commandsReceived).toBe(before + 2));
    expect(acksOf('wp-002')).toEqual([]);
    await fleet.clearFault('wp-002');
    await command('wp-002', 1n, 100, 2);
    await vi.waitFor(() => expect(acksOf('wp-002')).toHaveLength(1));
    expect(acksOf('wp-002')[0]!.ack.result).toBe(CommandResult.COMMAND_RESULT_APPLIED);
  });

  it('reports a fault in feedback at once and hears the heartbeat', async () => {
    await fleet.setFault('wp-003', {
      powerFactor: 0,
      failures: [ControllerFailure.CONTROLLER_FAILURE_LAMP],
    });
    await vi.waitFor(() =>
      expect(feedback).toContainEqual(
        expect.objectContaining({
          lampId: 'wp-003',
          powerWatts: 0,
          failures: [ControllerFailure.CONTROLLER_FAILURE_LAMP],
        }),
      ),
    );
    await bus.publish(
      LightingHeartbeat,
      { zone: ZONE },
      LightingHeartbeatMessage.fromPartial({
        zoneId: ZONE,
        failSafeAfter: { seconds: 90n, nanos: 0 },
        fallbackLevel: 40,
      }),
      { msgId: 'hb:1' },
    );
    await vi.waitFor(() => expect(fleet.controller('wp-003').failSafeAfterMs).toBe(90_000));
    expect(fleet.controller('wp-001').fallbackLevel).toBe(40);
  });

  it('reports every lamp periodically on the fleet clock', async () => {
    const other = await startLampFleet({
      nc,
      namespace: new Namespace(ns.namespace),
      clock: new ManualClock(EVENING), // speed 1: every 200 clock ms is every 200 real ms
      lamps: [{ ...lamp(9), zoneId: 'square' }],
      feedbackEveryMs: 200,
      log,
    });
    try {
      await vi.waitFor(() => expect(other.published.feedback).toBeGreaterThanOrEqual(2));
      await vi.waitFor(() =>
        expect(feedback.filter((f) => f.lampId === 'wp-009').length).toBeGreaterThanOrEqual(2),
      );
    } finally {
      await other.stop();
    }
  });
});

describe('lamp fleet start-up', () => {
  it('keeps obeying when commands arrive while it is still subscribing', async () => {
    const zone = 'sint-goriks';
    const subject = new Namespace(ns.namespace).subject(`lighting.command.${zone}.sg-001`);
    const early = LampCommand.encode(
      LampCommand.fromPartial({ lampId: 'sg-001', zoneId: zone, sequence: 1n, level: 30 }),
    ).finish();
    // Commands pour in from before the fleet subscribes until after it has started.
    let flooding = true;
    const flood = (async () => {
      while (flooding) {
        nc.publish(subject, early);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const seen: bigint[] = [];
    const late = await startLampFleet({
      nc,
      namespace: new Namespace(ns.namespace),
      clock,
      lamps: [{ ...lamp(1), lampId: 'sg-001', zoneId: zone, controllerId: 'ctl-sg-001' }],
      feedbackEveryMs: 0,
      log,
      onCommand: (_lampId, cmd) => seen.push(cmd.sequence),
    });
    try {
      await vi.waitFor(() => expect(seen.length).toBeGreaterThan(0));
      flooding = false;
      await flood;
      await bus.publish(
        LampCommanded,
        { zone, lamp: 'sg-001' },
        LampCommand.fromPartial({ lampId: 'sg-001', zoneId: zone, sequence: 9n, level: 60 }),
        { msgId: 'cmd:sg-001:9:1' },
      );
      await vi.waitFor(() => expect(seen).toContain(9n));
      await vi.waitFor(() =>
        expect(acks.some((a) => a.ack.lampId === 'sg-001' && a.ack.sequence === 9n)).toBe(true),
      );
    } finally {
      flooding = false;
      await late.stop();
    }
  });
});
