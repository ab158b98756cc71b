// Ingest's device events: the registry (zone, department, labels, expected interval) that
// scopes rules and labels alerts, kept in alerting's own table; and liveness, which fires and
// resolves absence rules.
import {
  DeviceCameOnline,
  DeviceChanged,
  DeviceWentOffline,
  deviceTypeToken,
} from '@slimstad/contracts';
import { DeviceChangeKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import { ack, type Bus, type RunningConsumer } from '@slimstad/kit';
import type { RuleEngine } from '../engine/evaluation.js';
import type { Db } from '../store/db.js';
import { deleteDevice, upsertDevice } from '../store/directory.repository.js';

const intervalMs = (d: { seconds: bigint; nanos: number } | undefined) =>
  d ? Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6) : 0;

export async function consumeDevices(
  bus: Bus,
  db: Db,
  engine: RuleEngine,
): Promise<RunningConsumer[]> {
  return [
    await bus.consume({
      event: DeviceChanged,
      durable: 'alerting--devices',
      handle: async (change) => {
        const d = change.device;
        if (!d) return ack();
        if (change.kind === DeviceChangeKind.DEVICE_CHANGE_KIND_DECOMMISSIONED) {
          await deleteDevice(db, d.id);
          engine.setDevice(d.id, undefined);
          return ack();
        }
        const info = {
          type: deviceTypeToken(d.type),
          zone: d.zone,
          department: d.ownerDepartment,
          labels: d.labels,
          expectedIntervalMs: intervalMs(d.expectedReportInterval),
        };
        await upsertDevice(db, {
          id: d.id,
          type: info.type,
          zone: info.zone,
          department: info.department,
          labels: info.labels,
          latitude: d.location?.latitude ?? null,
          longitude: d.location?.longitude ?? null,
          expected_interval_ms: info.expectedIntervalMs,
        });
        engine.setDevice(d.id, info);
        return ack();
      },
    }),
    await bus.consume({
      event: DeviceWentOffline,
      durable: 'alerting--device-offline',
      startAt: 'new',
      handle: async (e) => {
        await engine.offline(
          e.deviceId,
          deviceTypeToken(e.deviceType),
          e.detectedAt?.getTime() ?? Date.now(),
        );
        return ack();
      },
    }),
    await bus.consume({
      event: DeviceCameOnline,
      durable: 'alerting--device-online',
      startAt: 'new',
      handle: async (e) => {
        // A device back online is a reading in spirit: absence rules of it resolve.
        await engine.online(
          e.deviceId,
          deviceTypeToken(e.deviceType),
          e.lastSeenAt?.getTime() ?? Date.now(),
        );
        return ack();
      },
    }),
  ];
}
