// deploy/nats/city.conf against a real nats-server: each service connects as its own user
// with the kit's connectNats and Bus, exactly as services do, and may do what it needs and
// nothing else. The server is private to this file (own port, own store, no monitoring), so
// the Bus runs without a namespace and the streams have their production names.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ack, Bus, connectNats, createLogger, deadLetter } from '@slimstad/kit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// @slimstad/deploy depends on the kit only; the contracts come from the workspace sources
// (the same modules the kit loads).
import {
  AlertChanged as AlertChangedMessage,
  CapAlertShared as CapAlertSharedMessage,
} from '../../proto/gen/slimstad/alerting/v1/events.js';
import {
  AccessRequest,
  BollardCommandAck,
  BollardCommand as BollardCommandMessage,
} from '../../proto/gen/slimstad/bollards/v1/control.js';
import {
  LampCommand,
  LampCommandAck,
  LampFailed as LampFailedMessage,
} from '../../proto/gen/slimstad/lighting/v1/control.js';
import { DeviceType } from '../../proto/gen/slimstad/sensor/v1/device.js';
import {
  DeviceCameOnline as DeviceCameOnlineMessage,
  Reading,
  ReadingRejected as ReadingRejectedMessage,
} from '../../proto/gen/slimstad/sensor/v1/reading.js';
import {
  BinEmptied as BinEmptiedMessage,
  OverflowRiskRaised as OverflowRiskRaisedMessage,
  RoutePlanned as RoutePlannedMessage,
} from '../../proto/gen/slimstad/waste/v1/events.js';
import {
  AccessRequested,
  AlertChanged,
  alertingStreams,
  BinEmptied,
  BollardAcknowledged,
  BollardCommanded,
  bollardStreams,
  CapAlertShared,
  DeadLetterStream,
  DeviceCameOnline,
  FederationEventsStream,
  FederationShareStream,
  IngestIntakeStream,
  LampAcknowledged,
  LampCommanded,
  LampFailed,
  lightingStreams,
  OverflowRiskRaised,
  ReadingBatchRecorded,
  ReadingRecorded,
  ReadingRejected,
  ReadingSubmitted,
  RoutePlanned,
  SensorReadingsStream,
  sensorStreams,
  wasteStreams,
} from '../../proto/src/index.js';
import { findNatsServer, probeNats } from '../local/lib/nats.mjs';
import { startChild } from '../local/lib/processes.mjs';
import { freePort, tempDir } from '../local/lib/test-support.js';

const config = fileURLToPath(new URL('./city.conf', import.meta.url));
const users = [
  'ingest',
  'lighting',
  'lamp_controllers',
  'bollards',
  'bollard_controllers',
  'access_readers',
  'waste',
  'alerting',
  'federation',
  'adapter',
  'operator',
] as const;
type User = (typeof users)[number];
// nats-server parses an environment value like a config value: the README's recipe (a letter,
// then letters and digits) keeps it a string, whatever the random part looks like.
const passwords = Object.fromEntries(
  users.map((user) => [user, `p${randomBytes(24).toString('hex')}`]),
) as Record<User, string>;
const log = createLogger('nats-permissions-test', 'silent');

const cleanups: (() => Promise<unknown> | unknown)[] = [];
let url: string;

/** nats-server with city.conf on a free loopback port, its passwords and store from the environment. */
async function startCityNats(): Promise<string> {
  const binary = findNatsServer();
  if (!binary) throw new Error('nats-server not found: apt-get install nats-server');
  const store = tempDir('nats-city');
  cleanups.push(store.remove);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NATS_STORE_DIR: store.dir };
  for (const user of users) env[`${user.toUpperCase()}_NATS_PASSWORD`] = passwords[user];
  const child = startChild({
    name: 'nats-server',
    command: binary,
    args: ['-c', config, '-a', '127.0.0.1', '-p', String(port), '-m', '0'],
    env,
  });
  cleanups.push(() => child.stop(5_000));
  const serverUrl = `nats://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exited)
      throw new Error(`nats-server exited (${child.exitDescription}):\n${child.tail()}`);
    if ((await probeNats(serverUrl, { timeoutMs: 500 })).ok) return serverUrl;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nats-server did not answer on ${serverUrl}:\n${child.tail()}`);
}

/** What nats.js reports for a subject outside the user's permissions (PermissionViolationError). */
interface Violation {
  name: string;
  operation: 'publish' | 'subscription';
  subject: string;
}
const isViolation = (error: unknown): error is Violation =>
  error instanceof Error && error.name === 'PermissionViolationError';

interface Session {
  nc: Bus['nc'];
  bus: Bus;
  /** Permission violations the server reported asynchronously (e.g. for plain publishes). */
  violations: Violation[];
}

/** Connects as `user` the way startRuntime does, and creates a Bus without a namespace. */
async function connectAs(user: User): Promise<Session> {
  const nc = await connectNats({ url, name: `test-${user}`, user, password: passwords[user], log });
  const violations: Violation[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error' && isViolation(status.error)) {
        violations.push(status.error);
      }
    }
  })();
  const bus = await Bus.create(nc, { log });
  cleanups.push(() => bus.drain());
  return { nc, bus, violations };
}

/**
 * How a request to a subject outside the user's publish permissions fails in nats.js: the
 * server's `-ERR 'Permissions Violation for Publish to "<subject>"'` is matched to the pending
 * request, which rejects with a RequestError caused by a PermissionViolationError.
 */
const deniedPublish = (subject: string) =>
  expect.objectContaining({
    name: 'RequestError',
    message: `Permissions Violation for Publish to "${subject}"`,
    cause: expect.objectContaining({
      name: 'PermissionViolationError',
      operation: 'publish',
      subject,
    }),
  });

const reading = (deviceId: string, sequence: bigint) =>
  Reading.fromPartial({
    deviceId,
    metric: 'water_level',
    value: 1.25,
    unit: 'm',
    observedAt: new Date('2026-11-22T10:00:00.000Z'),
    receivedAt: new Date('2026-11-22T10:00:01.000Z'),
    sequence,
  });

let ingest: Session;
/** The SRE's read-only view, to check what others did. */
let operator: Session;

beforeAll(async () => {
  url = await startCityNats();
  operator = await connectAs('operator');
  ingest = await connectAs('ingest');
  // As ingest's main.ts does at start-up (the kit adds DEAD_LETTER first).
  await ingest.bus.declareStreams(IngestIntakeStream, ...sensorStreams);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('authentication', () => {
  it('refuses a wrong password and an anonymous connection, naming what to check', async () => {
    await expect(
      connectNats({ url, name: 'test-wrong', user: 'ingest', password: 'wrong', log }),
    ).rejects.toThrow(
      /^NATS at nats:\/\/127\.0\.0\.1:\d+ refused user "ingest": .*Authorization Violation.*Check NATS_USER and NATS_PASSWORD/,
    );
    await expect(connectNats({ url, name: 'test-anonymous', log })).rejects.toThrow(
      /refused an anonymous connection/,
    );
  });
});

describe('ingest', () => {
  it('declares its streams, and declaring again reconciles them', async () => {
    const names: string[] = [];
    for await (const name of operator.bus.jsm.streams.names()) names.push(name);
    expect(names.sort()).toEqual([
      'DEAD_LETTER',
      'INGEST_INTAKE',
      'SENSOR_DEVICES',
      'SENSOR_READINGS',
      'SENSOR_REJECTIONS',
    ]);
    const intake = await ingest.bus.jsm.streams.info('INGEST_INTAKE');
    expect(intake.config).toMatchObject({ subjects: ['ingest.intake.>'], discard: 'new' });
    // Listing is not part of a service's job.
    await expect(ingest.bus.jsm.streams.names().next()).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.NAMES'),
    );
    // Second start-up: STREAM.INFO finds them, nothing drifted.
    await ingest.bus.declareStreams(IngestIntakeStream, ...sensorStreams);
  });

  it('consumes the intake with a durable consumer and publishes sensor readings', async () => {
    const received: string[] = [];
    await ingest.bus.consume({
      event: ReadingSubmitted,
      durable: 'ingest--intake-readings',
      handle: (message) => {
        received.push(message.deviceId);
        return ack();
      },
    });
    await ingest.bus.publish(ReadingSubmitted, { source: 'mqtt' }, reading('wl-001', 1n), {
      msgId: 'intake-1',
    });
    await vi.waitFor(() => expect(received).toEqual(['wl-001']));

    const pub = await ingest.bus.publish(
      ReadingRecorded,
      { type: 'water_level', device: 'wl-001' },
      reading('wl-001', 1n),
      { msgId: 'wl-001:1' },
    );
    expect(pub).toMatchObject({ stream: 'SENSOR_READINGS', duplicate: false });

    // The ack was confirmed by the server ($JS.ACK.INGEST_INTAKE.> allowed).
    await vi.waitFor(async () => {
      const info = await ingest.bus.jsm.consumers.info('INGEST_INTAKE', 'ingest--intake-readings');
      expect(info).toMatchObject({ num_ack_pending: 0, ack_floor: { stream_seq: 1 } });
    });
    expect(ingest.violations.map((v) => v.subject)).toEqual(['$JS.API.STREAM.NAMES']);
  });

  it('publishes device liveness and rejections, and quarantines its own rejections', async () => {
    const online = await ingest.bus.publish(
      DeviceCameOnline,
      { device: 'wl-001' },
      DeviceCameOnlineMessage.fromPartial({ deviceId: 'wl-001' }),
      { msgId: 'online-1' },
    );
    expect(online.stream).toBe('SENSOR_DEVICES');
    const quarantined: string[] = [];
    const consumer = await ingest.bus.consume({
      event: ReadingRejected,
      durable: 'ingest--quarantine',
      handle: (message) => {
        quarantined.push(message.quarantineId);
        return ack();
      },
    });
    await ingest.bus.publish(
      ReadingRejected,
      { reason: 'out_of_range' },
      ReadingRejectedMessage.fromPartial({ quarantineId: 'q-1', deviceId: 'wl-001' }),
      { msgId: 'q-1' },
    );
    await vi.waitFor(() => expect(quarantined).toEqual(['q-1']));
    await consumer.stop();
    expect(ingest.violations).toHaveLength(1); // still only the listing above
  });
});

describe('adapter', () => {
  let adapter: Session;
  beforeAll(async () => {
    adapter = await connectAs('adapter');
  });

  it('submits readings to the intake', async () => {
    const pub = await adapter.bus.publish(
      ReadingSubmitted,
      { source: 'x' },
      reading('wl-002', 1n),
      { msgId: 'adapter-1' },
    );
    expect(pub).toMatchObject({ stream: 'INGEST_INTAKE', duplicate: false });
  });

  it('cannot publish sensor readings as if ingest had accepted them', async () => {
    await expect(
      adapter.bus.publish(ReadingRecorded, { type: 'water_level', device: 'x' }, reading('x', 1n), {
        msgId: 'forged',
      }),
    ).rejects.toEqual(deniedPublish('sensor.reading.water_level.x'));
    const readings = await ingest.bus.jsm.streams.info('SENSOR_READINGS');
    expect(readings.state.messages).toBe(1); // ingest's own, nothing forged
  });

  it('cannot create (or even look up) streams', async () => {
    await expect(adapter.bus.declareStreams()).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.INFO.DEAD_LETTER'),
    );
    await expect(
      adapter.bus.jsm.streams.add({ name: 'ROGUE', subjects: ['rogue.>'] }),
    ).rejects.toEqual(deniedPublish('$JS.API.STREAM.CREATE.ROGUE'));
    await expect(operator.bus.jsm.streams.info('ROGUE')).rejects.toThrow('stream not found');
  });

  it("cannot subscribe to events or to another user's inbox", async () => {
    for (const subject of ['sensor.>', 'ingest.intake.>', '_INBOX.>', '_INBOX_ingest.>']) {
      const sub = adapter.nc.subscribe(subject);
      await expect(sub.closed).resolves.toEqual(
        expect.objectContaining({
          name: 'PermissionViolationError',
          operation: 'subscription',
          subject,
        }),
      );
    }
  });
});

describe('lighting (and every service reading sensor.>)', () => {
  let lighting: Session;
  beforeAll(async () => {
    lighting = await connectAs('lighting');
  });

  it('starts like a service (declares the dead-letter stream) and consumes sensor readings', async () => {
    await lighting.bus.declareStreams();
    const received: string[] = [];
    await lighting.bus.consume({
      event: ReadingRecorded,
      durable: 'lighting--presence',
      handle: (message, delivery) => {
        received.push(`${delivery.subject} ${message.deviceId}`);
        return ack();
      },
    });
    await ingest.bus.publish(
      ReadingRecorded,
      { type: 'water_level', device: 'wl-003' },
      reading('wl-003', 1n),
      { msgId: 'wl-003:1' },
    );
    await vi.waitFor(() =>
      expect(received).toEqual([
        'sensor.reading.water_level.wl-001 wl-001',
        'sensor.reading.water_level.wl-003 wl-003',
      ]),
    );
    await vi.waitFor(async () => {
      const info = await lighting.bus.jsm.consumers.info('SENSOR_READINGS', 'lighting--presence');
      expect(info).toMatchObject({ num_ack_pending: 0, ack_floor: { stream_seq: 2 } });
    });
  });

  it('dead-letters what it cannot handle', async () => {
    const consumer = await lighting.bus.consume({
      event: ReadingRecorded,
      durable: 'lighting--poison',
      handle: () => deadLetter('poison for the test'),
    });
    await vi.waitFor(async () => {
      const dead = await lighting.bus.jsm.streams.info(DeadLetterStream.name);
      expect(dead.state.messages).toBe(2);
    });
    await consumer.stop();
  });

  it('cannot publish sensor readings', async () => {
    await expect(
      lighting.bus.publish(
        ReadingRecorded,
        { type: 'presence', device: 'pir-1' },
        reading('pir-1', 1n),
        { msgId: 'forged' },
      ),
    ).rejects.toEqual(deniedPublish('sensor.reading.presence.pir-1'));
  });

  it("may publish its commands, heartbeats and lamp events only, not the controllers' answers", async () => {
    lighting.violations.length = 0;
    lighting.nc.publish('lighting.lamp.failed.park.l-1');
    lighting.nc.publish('lighting.heartbeat.park');
    lighting.nc.publish('lighting.ack.park.l-1');
    lighting.nc.publish('bollard.command.b-1');
    await lighting.nc.flush();
    // The server answers in order: once the last publish is reported, the first would be too.
    await vi.waitFor(() => expect(lighting.violations.length).toBe(2));
    expect(lighting.violations.map((v) => [v.operation, v.subject])).toEqual([
      ['publish', 'lighting.ack.park.l-1'],
      ['publish', 'bollard.command.b-1'],
    ]);
  });

  it("declares its streams, commands a lamp, and reads the controller's acknowledgement", async () => {
    await lighting.bus.declareStreams(...lightingStreams, SensorReadingsStream);
    const acks: bigint[] = [];
    await lighting.bus.consume({
      event: LampAcknowledged,
      durable: 'lighting--acks',
      handle: (message) => {
        acks.push(message.sequence);
        return ack();
      },
    });
    const controllers = await connectAs('lamp_controllers');
    const heard: string[] = [];
    const sub = controllers.nc.subscribe('lighting.command.>', {
      callback: (_, msg) => {
        heard.push(msg.subject);
        void controllers.bus.publish(
          LampAcknowledged,
          { zone: 'park', lamp: 'l-1' },
          LampCommandAck.fromPartial({ lampId: 'l-1', sequence: 7n, level: 100 }),
          { msgId: 'ack:l-1:7:1' },
        );
      },
    });
    await controllers.nc.flush();
    await lighting.bus.publish(
      LampCommanded,
      { zone: 'park', lamp: 'l-1' },
      LampCommand.fromPartial({ lampId: 'l-1', zoneId: 'park', sequence: 7n, level: 100 }),
      { msgId: 'cmd:l-1:7:1' },
    );
    await vi.waitFor(() => expect(heard).toEqual(['lighting.command.park.l-1']));
    await vi.waitFor(() => expect(acks).toEqual([7n]));
    sub.unsubscribe();
  });

  it('may not change the sensor streams it may create', async () => {
    await expect(
      lighting.bus.jsm.streams.update('SENSOR_READINGS', { max_age: 1_000_000_000 }),
    ).rejects.toEqual(deniedPublish('$JS.API.STREAM.UPDATE.SENSOR_READINGS'));
  });

  it('cannot delete or purge a stream, nor read the intake', async () => {
    await expect(lighting.bus.jsm.streams.delete('SENSOR_READINGS')).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.DELETE.SENSOR_READINGS'),
    );
    await expect(lighting.bus.jsm.streams.purge('SENSOR_READINGS')).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.PURGE.SENSOR_READINGS'),
    );
    await expect(
      lighting.bus.consume({ event: ReadingSubmitted, durable: 'lighting--sneak', handle: ack }),
    ).rejects.toEqual(deniedPublish('$JS.API.CONSUMER.INFO.INGEST_INTAKE.lighting--sneak'));
    expect((await ingest.bus.jsm.streams.info('SENSOR_READINGS')).state.messages).toBe(2);
  });
});

describe('alerting', () => {
  let alerting: Session;
  beforeAll(async () => {
    alerting = await connectAs('alerting');
  });

  it('declares its streams, reads readings and lamp failures, finds the stream of a rule subject', async () => {
    await alerting.bus.declareStreams(...alertingStreams, FederationShareStream);
    // It waits for ingest's streams before consuming them.
    await alerting.bus.jsm.streams.info('SENSOR_READINGS');
    await alerting.bus.jsm.streams.info('SENSOR_DEVICES');
    const heard: string[] = [];
    await alerting.bus.consume({
      event: ReadingRecorded,
      durable: 'alerting--readings',
      handle: (message) => {
        heard.push(message.deviceId);
        return ack();
      },
    });
    await alerting.bus.consume({
      event: LampFailed,
      durable: 'alerting--rule-lamp-failed-fire',
      handle: (message) => {
        heard.push(message.lampId);
        return ack();
      },
    });
    const lighting = await connectAs('lighting');
    await lighting.bus.publish(
      LampFailed,
      { zone: 'park', lamp: 'l-9' },
      LampFailedMessage.fromPartial({ lampId: 'l-9', zoneId: 'park' }),
      { msgId: 'lf:l-9' },
    );
    await vi.waitFor(() => expect(heard).toContain('l-9'));
    expect(heard).toContain('wl-001');
    expect(await alerting.bus.jsm.streams.find('lighting.lamp.failed.park.l-9')).toBe(
      'LIGHTING_EVENTS',
    );
    await alerting.bus.jsm.consumers.delete('LIGHTING_EVENTS', 'alerting--rule-lamp-failed-fire');
  });

  it('publishes alert changes and public warnings, nothing of other domains', async () => {
    await alerting.bus.publish(
      AlertChanged,
      { severity: 'critical', rule: 'r1' },
      AlertChangedMessage.fromPartial({ change: 'fired', actor: 'system' }),
      { msgId: 'alert:1' },
    );
    await alerting.bus.publish(
      CapAlertShared,
      {},
      CapAlertSharedMessage.fromPartial({ identifier: 'x', msgType: 'Alert' }),
      {
        msgId: 'cap:1',
      },
    );
    expect((await operator.bus.jsm.streams.info('SHARE')).state.messages).toBe(1);
    // It may create the federation's SHARE stream (either may start first), never change it.
    await expect(
      alerting.bus.jsm.streams.update('SHARE', { max_age: 1_000_000_000 }),
    ).rejects.toEqual(deniedPublish('$JS.API.STREAM.UPDATE.SHARE'));
    await expect(
      alerting.bus.publish(
        ReadingRecorded,
        { type: 'water_level', device: 'wl-9' },
        reading('wl-9', 1n),
        { msgId: 'forged' },
      ),
    ).rejects.toEqual(deniedPublish('sensor.reading.water_level.wl-9'));
    await expect(
      alerting.bus.consume({ event: ReadingSubmitted, durable: 'alerting--sneak', handle: ack }),
    ).rejects.toEqual(deniedPublish('$JS.API.CONSUMER.INFO.INGEST_INTAKE.alerting--sneak'));
    await expect(alerting.bus.jsm.streams.delete('SENSOR_READINGS')).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.DELETE.SENSOR_READINGS'),
    );
  });
});

describe('lamp_controllers', () => {
  let controllers: Session;
  beforeAll(async () => {
    controllers = await connectAs('lamp_controllers');
  });

  it('cannot command lamps, forge lamp events, or publish readings', async () => {
    await expect(
      controllers.bus.publish(
        LampCommanded,
        { zone: 'park', lamp: 'l-2' },
        LampCommand.fromPartial({ lampId: 'l-2', sequence: 1n, level: 0 }),
        { msgId: 'forged-cmd' },
      ),
    ).rejects.toEqual(deniedPublish('lighting.command.park.l-2'));
    controllers.violations.length = 0;
    controllers.nc.publish('lighting.lamp.failed.park.l-2');
    controllers.nc.publish('ingest.intake.reading.x');
    await controllers.nc.flush();
    await vi.waitFor(() => expect(controllers.violations.length).toBe(2));
  });

  it("cannot read sensor readings, streams, or another user's inbox", async () => {
    controllers.violations.length = 0;
    controllers.nc.subscribe('sensor.reading.>');
    controllers.nc.subscribe('_INBOX_lighting.>');
    await controllers.nc.flush();
    await vi.waitFor(() => expect(controllers.violations.length).toBe(2));
    expect(controllers.violations.map((v) => [v.operation, v.subject])).toEqual([
      ['subscription', 'sensor.reading.>'],
      ['subscription', '_INBOX_lighting.>'],
    ]);
    await expect(controllers.bus.jsm.streams.info('LIGHTING_COMMANDS')).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.INFO.LIGHTING_COMMANDS'),
    );
  });
});

describe('operator', () => {
  it('reads stream and consumer information', async () => {
    const info = await operator.bus.jsm.streams.info('SENSOR_READINGS');
    expect(info.state.messages).toBe(2);
    const names: string[] = [];
    for await (const name of operator.bus.jsm.streams.names()) names.push(name);
    expect(names).toContain('INGEST_INTAKE');
    const consumers = await operator.bus.jsm.consumers.list('SENSOR_READINGS').next();
    expect(consumers.map((c) => c.name).sort()).toEqual([
      'alerting--readings',
      'lighting--poison',
      'lighting--presence',
    ]);
    const intake = await operator.bus.jsm.consumers.info(
      'INGEST_INTAKE',
      'ingest--intake-readings',
    );
    expect(intake.config.durable_name).toBe('ingest--intake-readings');
  });

  it('cannot publish, change streams or read messages', async () => {
    await expect(
      operator.bus.publish(
        ReadingRecorded,
        { type: 'water_level', device: 'wl-001' },
        reading('wl-001', 9n),
        { msgId: 'operator-1' },
      ),
    ).rejects.toEqual(deniedPublish('sensor.reading.water_level.wl-001'));
    await expect(
      operator.bus.publish(ReadingSubmitted, { source: 'cli' }, reading('wl-001', 9n), {
        msgId: 'operator-2',
      }),
    ).rejects.toEqual(deniedPublish('ingest.intake.reading.cli'));
    await expect(
      operator.bus.jsm.streams.update('DEAD_LETTER', { description: 'changed by the operator' }),
    ).rejects.toEqual(deniedPublish('$JS.API.STREAM.UPDATE.DEAD_LETTER'));
    await expect(operator.bus.jsm.streams.purge('DEAD_LETTER')).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.PURGE.DEAD_LETTER'),
    );
    await expect(
      operator.bus.jsm.streams.getMessage('SENSOR_READINGS', { seq: 1 }),
    ).rejects.toEqual(deniedPublish('$JS.API.STREAM.MSG.GET.SENSOR_READINGS'));
  });
});

describe('bollards', () => {
  let bollards: Session;
  beforeAll(async () => {
    bollards = await connectAs('bollards');
  });

  it('declares its streams, commands a bollard, and reads the controller’s acknowledgement and the reader’s request', async () => {
    await bollards.bus.declareStreams(...bollardStreams);
    const acks: bigint[] = [];
    const requests: string[] = [];
    await bollards.bus.consume({
      event: BollardAcknowledged,
      durable: 'bollards--acks',
      handle: (message) => {
        acks.push(message.sequence);
        return ack();
      },
    });
    await bollards.bus.consume({
      event: AccessRequested,
      durable: 'bollards--requests',
      handle: (message) => {
        requests.push(message.requestId);
        return ack();
      },
    });
    const controllers = await connectAs('bollard_controllers');
    const heard: string[] = [];
    const sub = controllers.nc.subscribe('bollards.command.>', {
      callback: (_, msg) => {
        heard.push(msg.subject);
        void controllers.bus.publish(
          BollardAcknowledged,
          { zone: 'vismarkt', bollard: 'b-1' },
          BollardCommandAck.fromPartial({ bollardId: 'b-1', sequence: 3n }),
          { msgId: 'ack:b-1:3:1' },
        );
      },
    });
    await controllers.nc.flush();
    await bollards.bus.publish(
      BollardCommanded,
      { zone: 'vismarkt', bollard: 'b-1' },
      BollardCommandMessage.fromPartial({ bollardId: 'b-1', zoneId: 'vismarkt', sequence: 3n }),
      { msgId: 'cmd:b-1:3:1' },
    );
    await vi.waitFor(() => expect(heard).toEqual(['bollards.command.vismarkt.b-1']));
    await vi.waitFor(() => expect(acks).toEqual([3n]));
    sub.unsubscribe();

    const readers = await connectAs('access_readers');
    await readers.bus.publish(
      AccessRequested,
      { zone: 'vismarkt', bollard: 'b-1' },
      AccessRequest.fromPartial({ requestId: 'r-1', zoneId: 'vismarkt', bollardId: 'b-1' }),
      { msgId: 'req:r-1' },
    );
    await vi.waitFor(() => expect(requests).toEqual(['r-1']));
  });

  it('may publish commands and its own events only, not acknowledgements, reports or requests', async () => {
    bollards.violations.length = 0;
    bollards.nc.publish('bollards.heartbeat.vismarkt');
    bollards.nc.publish('bollards.fault.vismarkt.b-1');
    bollards.nc.publish('bollards.ack.vismarkt.b-1');
    bollards.nc.publish('bollards.report.vismarkt.b-1');
    bollards.nc.publish('bollards.request.vismarkt.b-1');
    bollards.nc.publish('lighting.command.park.l-1');
    await bollards.nc.flush();
    await vi.waitFor(() => expect(bollards.violations.length).toBe(4));
    expect(bollards.violations.map((v) => [v.operation, v.subject])).toEqual([
      ['publish', 'bollards.ack.vismarkt.b-1'],
      ['publish', 'bollards.report.vismarkt.b-1'],
      ['publish', 'bollards.request.vismarkt.b-1'],
      ['publish', 'lighting.command.park.l-1'],
    ]);
  });

  it('reads no sensor stream and cannot delete its own streams', async () => {
    await expect(
      bollards.bus.consume({ event: ReadingRecorded, durable: 'bollards--sneak', handle: ack }),
    ).rejects.toEqual(deniedPublish('$JS.API.CONSUMER.INFO.SENSOR_READINGS.bollards--sneak'));
    await expect(bollards.bus.jsm.streams.delete('BOLLARD_EVENTS')).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.DELETE.BOLLARD_EVENTS'),
    );
  });
});

describe('bollard_controllers', () => {
  let controllers: Session;
  beforeAll(async () => {
    controllers = await connectAs('bollard_controllers');
  });

  it('cannot command bollards, ask for access, or forge decisions and faults', async () => {
    await expect(
      controllers.bus.publish(
        BollardCommanded,
        { zone: 'vismarkt', bollard: 'b-2' },
        BollardCommandMessage.fromPartial({ bollardId: 'b-2', sequence: 1n }),
        { msgId: 'forged-bollard-cmd' },
      ),
    ).rejects.toEqual(deniedPublish('bollards.command.vismarkt.b-2'));
    controllers.violations.length = 0;
    controllers.nc.publish('bollards.request.vismarkt.b-2');
    controllers.nc.publish('bollards.decision.vismarkt.b-2');
    controllers.nc.publish('bollards.fault.vismarkt.b-2');
    await controllers.nc.flush();
    await vi.waitFor(() => expect(controllers.violations.length).toBe(3));
  });

  it('cannot hear decisions, requests or lamp commands', async () => {
    controllers.violations.length = 0;
    controllers.nc.subscribe('bollards.decision.>');
    controllers.nc.subscribe('bollards.request.>');
    controllers.nc.subscribe('lighting.command.>');
    await controllers.nc.flush();
    await vi.waitFor(() => expect(controllers.violations.length).toBe(3));
    expect(controllers.violations.map((v) => v.operation)).toEqual([
      'subscription',
      'subscription',
      'subscription',
    ]);
  });
});

describe('access_readers', () => {
  let readers: Session;
  beforeAll(async () => {
    readers = await connectAs('access_readers');
  });

  it('hear nothing of the bollards, and cannot act as a controller or the service', async () => {
    readers.violations.length = 0;
    readers.nc.subscribe('bollards.>');
    readers.nc.publish('bollards.ack.vismarkt.b-1');
    readers.nc.publish('bollards.command.vismarkt.b-1');
    await readers.nc.flush();
    await vi.waitFor(() => expect(readers.violations.length).toBe(3));
    expect(readers.violations.map((v) => [v.operation, v.subject])).toEqual([
      ['subscription', 'bollards.>'],
      ['publish', 'bollards.ack.vismarkt.b-1'],
      ['publish', 'bollards.command.vismarkt.b-1'],
    ]);
    await expect(readers.bus.jsm.streams.info('BOLLARD_FIELD')).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.INFO.BOLLARD_FIELD'),
    );
  });
});

describe('federation (and alerting on the shared streams)', () => {
  it('owns SHARE and FEDERATION_EVENTS, publishes under share. and federation., forges no neighbour', async () => {
    const federation = await connectAs('federation');
    await federation.bus.declareStreams(FederationShareStream, FederationEventsStream);
    const pub = await federation.bus.js.publish('share.water_levels.wl-1', 'x', { msgID: 'f-1' });
    expect(pub.stream).toBe('SHARE');
    expect((await federation.bus.js.publish('federation.link.up.b', 'x')).stream).toBe(
      'FEDERATION_EVENTS',
    );
    await expect(federation.bus.js.publish('neighbour.brugge.alert.cap', 'forged')).rejects.toEqual(
      deniedPublish('neighbour.brugge.alert.cap'),
    );
    await expect(federation.bus.jsm.streams.purge('SHARE')).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.PURGE.SHARE'),
    );
  });

  it('alerting publishes public CAP warnings into SHARE, and nothing else under share.', async () => {
    const alerting = await connectAs('alerting');
    expect(
      (await alerting.bus.js.publish('share.alert.cap', '<alert/>', { msgID: 'cap-1' })).stream,
    ).toBe('SHARE');
    await expect(alerting.bus.js.publish('share.water_levels.wl-1', 'x')).rejects.toEqual(
      deniedPublish('share.water_levels.wl-1'),
    );
    const info = await alerting.bus.jsm.streams.info('FEDERATION_EVENTS');
    expect(info.state.messages).toBe(1);
  });
});

// Last: it adds consumers and readings the checks above count.
describe('waste', () => {
  let waste: Session;
  beforeAll(async () => {
    waste = await connectAs('waste');
  });

  it('starts like the service: declares its stream and SENSOR_READINGS, consumes bin fill readings', async () => {
    await waste.bus.declareStreams(...wasteStreams, SensorReadingsStream);
    const received: string[] = [];
    const consumer = await waste.bus.consume({
      event: ReadingRecorded,
      durable: 'waste--fill-readings',
      subjectFilter: 'sensor.reading.bin_fill.*',
      handle: (message) => {
        received.push(`${message.deviceId} ${message.value}`);
        return ack();
      },
    });
    await ingest.bus.publish(
      ReadingRecorded,
      { type: 'bin_fill', device: 'bin-7' },
      Reading.fromPartial({
        deviceId: 'bin-7',
        metric: 'fill_level',
        value: 64,
        unit: '%',
        deviceType: DeviceType.DEVICE_TYPE_BIN_FILL,
      }),
      { msgId: 'bin-7:1' },
    );
    await vi.waitFor(() => expect(received).toEqual(['bin-7 64']));
    await consumer.stop();
  });

  it('publishes overflow risks, planned routes and emptied bins', async () => {
    await waste.bus.publish(
      OverflowRiskRaised,
      { stream: 'glass', bin: 'b-1' },
      OverflowRiskRaisedMessage.fromPartial({ binId: 'b-1' }),
      { msgId: 'w1' },
    );
    await waste.bus.publish(
      RoutePlanned,
      { stream: 'glass' },
      RoutePlannedMessage.fromPartial({}),
      {
        msgId: 'w2',
      },
    );
    await waste.bus.publish(
      BinEmptied,
      { bin: 'b-1' },
      BinEmptiedMessage.fromPartial({ binId: 'b-1' }),
      { msgId: 'w3' },
    );
    expect((await operator.bus.jsm.streams.info('WASTE_EVENTS')).state.messages).toBe(3);
  });

  it('dead-letters what it cannot handle, as its own durable only', async () => {
    const before = (await operator.bus.jsm.streams.info(DeadLetterStream.name)).state.messages;
    const consumer = await waste.bus.consume({
      event: ReadingBatchRecorded,
      durable: 'waste--fill-batches',
      handle: () => deadLetter('poison for the test'),
    });
    await ingest.bus.publish(
      ReadingBatchRecorded,
      { source: 'tts' },
      { source: 'tts', batchId: 'b-1', readings: [] },
      { msgId: 'batch-b-1' },
    );
    await vi.waitFor(async () =>
      expect((await operator.bus.jsm.streams.info(DeadLetterStream.name)).state.messages).toBe(
        before + 1,
      ),
    );
    await consumer.stop();
    await expect(
      waste.bus.consume({ event: ReadingRecorded, durable: 'waste--sneak', handle: ack }),
    ).rejects.toEqual(deniedPublish('$JS.API.CONSUMER.INFO.SENSOR_READINGS.waste--sneak'));
  });

  it("cannot publish readings or other services' subjects, nor change or delete streams", async () => {
    await expect(
      waste.bus.publish(
        ReadingRecorded,
        { type: 'bin_fill', device: 'bin-7' },
        reading('bin-7', 2n),
        { msgId: 'forged' },
      ),
    ).rejects.toEqual(deniedPublish('sensor.reading.bin_fill.bin-7'));
    waste.violations.length = 0;
    waste.nc.publish('lighting.command.park.l-1');
    waste.nc.publish('bollards.command.z.b');
    waste.nc.publish('waste.anything.else');
    waste.nc.publish('deadletter.lighting--presence');
    await waste.nc.flush();
    await vi.waitFor(() => expect(waste.violations.length).toBe(4));
    await expect(
      waste.bus.jsm.streams.update('SENSOR_READINGS', { max_age: 1_000_000_000 }),
    ).rejects.toEqual(deniedPublish('$JS.API.STREAM.UPDATE.SENSOR_READINGS'));
    await expect(waste.bus.jsm.streams.delete('WASTE_EVENTS')).rejects.toEqual(
      deniedPublish('$JS.API.STREAM.DELETE.WASTE_EVENTS'),
    );
    await expect(
      waste.bus.consume({ event: LampAcknowledged, durable: 'waste--sneak', handle: ack }),
    ).rejects.toEqual(deniedPublish('$JS.API.CONSUMER.INFO.LIGHTING_FEEDBACK.waste--sneak'));
    waste.violations.length = 0;
    waste.nc.subscribe('waste.>');
    await waste.nc.flush();
    await vi.waitFor(() => expect(waste.violations.map((v) => v.subject)).toEqual(['waste.>']));
  });
});
