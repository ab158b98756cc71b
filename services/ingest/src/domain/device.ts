// What the reading path needs to know about a device, and where it looks it up. The registry
// owns devices; the path sees them through a DeviceDirectory (a cache kept fresh by the
// registry), so validating 50,000 readings a second never waits on a database query.
import { deviceTypeToken } from '@slimstad/contracts';
import type { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import {
  type Device,
  DeviceStatus,
  type DeviceType,
  type NetworkKind,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/device';

export interface MetricLimits {
  /** Canonical UCUM unit the metric is stored and published in. */
  unit: string;
  min?: number | undefined;
  max?: number | undefined;
}

export interface DeviceView {
  id: string;
  type: DeviceType;
  /** Lower-case token of the type for subjects, e.g. `water_level`. */
  typeToken: string;
  active: boolean;
  zone: string;
  classification: DataClassification;
  metrics: ReadonlyMap<string, MetricLimits>;
  /** Expected interval between reports, in ms; 0 when the device reports on change only. */
  expectedIntervalMs: number;
}

export interface DeviceDirectory {
  byId(id: string): DeviceView | undefined;
  /** Finds a device by its id on a network, e.g. a LoRaWAN DevEUI on ChirpStack. */
  byNetworkId(kind: NetworkKind, networkId: string): DeviceView | undefined;
  /** Every device, for liveness checks. */
  all(): Iterable<DeviceView>;
}

/** The reading path's view of a registered device. */
export function toDeviceView(device: Device): DeviceView {
  const interval = device.expectedReportInterval;
  return {
    id: device.id,
    type: device.type,
    typeToken: deviceTypeToken(device.type),
    active: device.status === DeviceStatus.DEVICE_STATUS_ACTIVE,
    zone: device.zone,
    classification: device.classification,
    metrics: new Map(device.metrics.map((m) => [m.name, { unit: m.unit, min: m.min, max: m.max }])),
    expectedIntervalMs: interval
      ? Math.round(Number(interval.seconds) * 1000 + interval.nanos / 1e6)
      : 0,
  };
}
