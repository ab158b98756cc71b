// A way into ingest: sends one device report in the format of its network and says how ingest
// answered. One implementation per network kind the simulator plays.
import type { NetworkWay } from '../domain/devices.js';
import type { Uplink } from '../domain/payloads.js';

/** The way's name in logs and metrics (ingest's source token for the same path). */
export type WayName = 'chirpstack' | 'tts' | 'mqtt' | 'grpc';

/** Which way carries the reports of a device on each network kind. */
export const WAY_OF: Readonly<Record<NetworkWay, WayName>> = {
  lorawan_chirpstack: 'chirpstack',
  lorawan_tts: 'tts',
  mqtt: 'mqtt',
  grpc: 'grpc',
};

export type SendResult =
  | { ok: true }
  /** `refused`: ingest answered and said no; `failed`: no answer (down, timeout, broker gone). */
  | { ok: false; outcome: 'refused' | 'failed'; detail: string };

export interface Way {
  readonly name: WayName;
  send(uplink: Uplink): Promise<SendResult>;
  close(): Promise<void>;
}

/** Rejects after `ms` with `what` timed out; the original promise is left to settle on its own. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** RSSI and SNR of a gateway that hears the device, somewhat noisy. */
export function someRadio(): { rssi: number; snr: number } {
  return {
    rssi: Math.round(-115 + 60 * Math.random()),
    snr: Math.round((-5 + 15 * Math.random()) * 10) / 10,
  };
}
