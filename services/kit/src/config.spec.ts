import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseConfigSchema, baseConfigShape, ConfigError, loadConfig, required } from './config.js';

const env = { SERVICE_NAME: 'ingest', AUTH_JWT_KEY: 'secret' };

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig(baseConfigSchema, env);
    expect(config.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(config.GRPC_PORT).toBe(50051);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names a missing required variable', () => {
    expect(() => loadConfig(baseConfigSchema, { SERVICE_NAME: 'ingest' })).toThrow(
      /AUTH_JWT_KEY: is required but not set/,
    );
  });

  it('names every malformed variable with the reason', () => {
    try {
      loadConfig(z.object({ ...baseConfigShape, MQTT_URL: required }), {
        ...env,
        GRPC_PORT: 'http',
        LOG_LEVEL: 'loud',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const variables = (error as ConfigError).problems.map((p) => p.variable).sort();
      expect(variables).toEqual(['GRPC_PORT', 'LOG_LEVEL', 'MQTT_URL']);
      expect((error as Error).message).toContain('start again');
    }
  });
});
