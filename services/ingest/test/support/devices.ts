// An in-memory DeviceDirectory for tests of the reading path.
import { deviceTypeToken } from '@slimstad/contracts';
import { DataClassification } from '@slimstad/contracts/gen/slimstad/common/v1/common';
import { DeviceType, type NetworkKind } from '@slimstad/contracts/gen/slimstad/sensor/v1/device';
import type { DeviceDirectory, DeviceView, MetricLimits } from '../../src/domain/device.js';

export function device(
  id: string,
  overrides: Partial<DeviceView> & { metricSpecs?: Record<string, MetricLimits> } = {},
): DeviceView {
  const type = overrides.type ?? DeviceType.DEVICE_TYPE_WATER_LEVEL;
  return {
    id,
    type,
    typeToken: deviceTypeToken(type),
    active: true,
    zone: 'canal',
    classification: DataClassification.DATA_CLASSIFICATION_PUBLIC,
    expectedIntervalMs: 60_000,
    ...overrides,
    metrics: new Map(
      Object.entries(overrides.metricSpecs ?? { water_level: { unit: 'm', min: -1, max: 10 } }),
    ),
  };
}

export class MemoryDirectory implements DeviceDirectory {
  readonly devices = new Map<string, DeviceView>();
  readonly network = new Map<string, DeviceView>();
  constructor(devices: DeviceView[] = []) {
    for (const d of devices) this.devices.set(d.id, d);
  }
  byId(id: string) {
    return this.devices.get(id);
  }
  byNetworkId(kind: NetworkKind, networkId: string) {
    return this.network.get(`${kind}:${networkId}`);
  }
  all() {
    return this.devices.values();
  }
}
