import {
  GetDeviceResponse,
  ImportDevicesResponse,
  DeviceRegistryServiceService as Registry,
} from '@slimstad/contracts/gen/slimstad/sensor/v1/registry_service';
import { describe, expect, it } from 'vitest';
import { defineService, type ServiceHandlers } from './handlers.js';

const handle = async () => GetDeviceResponse.fromPartial({});
const complete: ServiceHandlers<typeof Registry> = {
  getDevice: { roles: ['viewer'], handle },
  registerDevice: { roles: ['operator'], handle: async () => ({}) },
  updateDevice: { roles: ['operator'], handle: async () => ({}) },
  decommissionDevice: { roles: ['operator'], handle: async () => ({}) },
  listDevices: { roles: ['viewer'], handle: async () => ({ devices: [] }) },
  importDevices: { roles: ['admin'], handle: async () => ImportDevicesResponse.fromPartial({}) },
};

describe('defineService', () => {
  it('binds every method with its kind, path and roles', () => {
    const service = defineService(Registry, complete);
    expect(service.name).toBe('slimstad.sensor.v1.DeviceRegistryService');
    expect(service.methods.find((m) => m.key === 'getDevice')).toMatchObject({
      method: 'slimstad.sensor.v1.DeviceRegistryService/GetDevice',
      kind: 'unary',
      roles: ['viewer'],
    });
  });

  it('refuses a method without roles or without a handler (for callers without types)', () => {
    type Handlers = ServiceHandlers<typeof Registry>;
    // @ts-expect-error roles are required beside every handler
    const noRoles: Handlers = { ...complete, getDevice: { handle } };
    const emptyRoles: Handlers = { ...complete, getDevice: { roles: [], handle } };
    const { importDevices: _, ...incomplete } = complete;
    // @ts-expect-error every RPC needs an entry
    const missing: Handlers = incomplete;
    // @ts-expect-error no entry for an RPC that does not exist
    const typo: Handlers = { ...complete, getDevise: { roles: ['viewer'], handle } };

    expect(() => defineService(Registry, noRoles)).toThrow(/GetDevice declares no roles/);
    expect(() => defineService(Registry, emptyRoles)).toThrow(/declares no roles/);
    expect(() => defineService(Registry, missing)).toThrow(/ImportDevices has no handler/);
    expect(() => defineService(Registry, typo)).toThrow(/getDevise matches no RPC/);
  });
});
