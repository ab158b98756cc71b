import { createLogger } from '@slimstad/kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NetworkWay, SimDevice } from './domain/devices.js';
import type { Uplink } from './domain/payloads.js';
import { Simulator } from './simulator.js';
import type { SendResult, Way, WayName } from './ways/way.js';

const log = createLogger('simulator-test', 'silent');
const START = Date.UTC(2026, 10, 22, 9);

const device = (id: string, type: string, network: NetworkWay, intervalS: number): SimDevice => ({
  id,
  type,
  name: id,
  latitude: 51.028,
  longitude: 4.48,
  zone: 'centrum',
  metrics:
    type === 'bin_fill'
      ? [{ name: 'fill_level', unit: '%', min: 0, max: 100 }]
      : [{ name: 'occupied', unit: '1', min: 0, max: 1 }],
  intervalS,
  network,
  networkId: id,
});

/** A way that records what it is given and answers with `answer`. */
function recordingWay(
  name: WayName,
  answer: () => Promise<SendResult> = async () => ({ ok: true }),
) {
  const sent: Uplink[] = [];
  const way: Way = {
    name,
    send: (uplink) => {
      sent.push(uplink);
      return answer();
    },
    close: async () => {},
  };
  return { way, sent };
}

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Simulator', () => {
  it('reports every device soon after start, then once per interval ÷ speed-up', async () => {
    const bins = recordingWay('tts');
    const presence = recordingWay('chirpstack');
    const simulator = new Simulator({
      devices: [
        device('bin-1', 'bin_fill', 'lorawan_tts', 3600), // every 60 s at speed-up 60
        device('pr-1', 'presence', 'lorawan_chirpstack', 60), // every 1 s
      ],
      ways: new Map([
        ['lorawan_tts', bins.way],
        ['lorawan_chirpstack', presence.way],
      ]),
      clock: { startMs: START, speedup: 60 },
      seed: 1,
      timeZone: 'Europe/Brussels',
      minIntervalMs: 500,
      log,
    });
    simulator.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(bins.sent).toHaveLength(1);
    expect(presence.sent.length).toBeGreaterThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(bins.sent).toHaveLength(3);
    expect(presence.sent.length).toBeGreaterThanOrEqual(121);
    expect(presence.sent.length).toBeLessThanOrEqual(123);
    await simulator.stop();
    const after = presence.sent.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(presence.sent).toHaveLength(after);
    expect(simulator.tally.chirpstack.sent).toBe(after);
    expect(simulator.tally.tts.sent).toBe(3);
  });

  it('stamps reports with the real time and counts frames upwards from the clock', async () => {
    const { way, sent } = recordingWay('mqtt');
    const simulator = new Simulator({
      devices: [device('pr-2', 'presence', 'mqtt', 60)],
      ways: new Map([['mqtt', way]]),
      clock: { startMs: START, speedup: 60 },
      seed: 1,
      timeZone: 'Europe/Brussels',
      minIntervalMs: 1_000,
      log,
    });
    simulator.start();
    await vi.advanceTimersByTimeAsync(10_000);
    await simulator.stop();
    expect(sent.length).toBeGreaterThanOrEqual(9);
    for (const [i, uplink] of sent.entries()) {
      expect(uplink.observedAt.getTime()).toBeLessThanOrEqual(Date.now());
      expect(uplink.sequence).toBeGreaterThanOrEqual(
        Math.floor(uplink.observedAt.getTime() / 1000),
      );
      if (i > 0) {
        expect(uplink.sequence).toBeGreaterThan(sent[i - 1]!.sequence);
        expect(uplink.observedAt.getTime()).toBeGreaterThan(sent[i - 1]!.observedAt.getTime());
      }
    }
    // The simulated clock ran 60 times faster.
    expect(simulator.simNow().getTime() - START).toBe(60 * (Date.now() - START));
  });

  it('skips the turn of a device whose previous report is unanswered, and counts refusals', async () => {
    let release: (() => void) | undefined;
    const slow = recordingWay(
      'grpc',
      () =>
        new Promise<SendResult>((resolve) => {
          release = () => resolve({ ok: false, outcome: 'refused', detail: 'UNKNOWN_DEVICE' });
        }),
    );
    const outcomes: string[] = [];
    const simulator = new Simulator({
      devices: [device('pr-3', 'presence', 'grpc', 60)],
      ways: new Map([['grpc', slow.way]]),
      clock: { startMs: START, speedup: 60 },
      seed: 1,
      timeZone: 'Europe/Brussels',
      minIntervalMs: 1_000,
      log,
      onResult: (_way, result) => outcomes.push(result.ok ? 'accepted' : result.outcome),
    });
    simulator.start();
    await vi.advanceTimersByTimeAsync(4_500);
    expect(slow.sent).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'skipped').length).toBeGreaterThanOrEqual(3);
    release?.();
    const stopped = simulator.stop();
    await stopped;
    expect(outcomes).toContain('refused');
    expect(simulator.tally.grpc).toEqual({ sent: 0, refused: 1, failed: 0 });
  });

  it('refuses devices without a model or a way', () => {
    const options = {
      ways: new Map<NetworkWay, Way>(),
      clock: { startMs: START, speedup: 1 },
      seed: 1,
      timeZone: 'Europe/Brussels',
      minIntervalMs: 1_000,
      log,
    };
    expect(
      () => new Simulator({ ...options, devices: [device('x', 'anpr_camera', 'mqtt', 60)] }),
    ).toThrow(/no model/);
    expect(
      () => new Simulator({ ...options, devices: [device('y', 'presence', 'mqtt', 60)] }),
    ).toThrow(/no way/);
  });
});
