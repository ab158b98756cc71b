import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  baseConfigSchema,
  baseConfigShape,
  ConfigError,
  loadConfig,
  natsAuthProblems,
  required,
} from './config.js';

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

describe('NATS credentials', () => {
  const problemsOf = (extra: Record<string, string>) => {
    try {
      loadConfig(baseConfigSchema, { ...env, ...extra });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    return [];
  };

  it('connects anonymously when no user is set, as before', () => {
    const config = loadConfig(baseConfigSchema, env);
    expect(config.NATS_USER).toBeUndefined();
    expect(config.NATS_PASSWORD).toBeUndefined();
    expect(config.NATS_INBOX_PREFIX).toBeUndefined();
  });

  it('accepts a user with its password', () => {
    const config = loadConfig(baseConfigSchema, {
      ...env,
      NATS_USER: 'ingest',
      NATS_PASSWORD: 'p0123',
    });
    expect(config).toMatchObject({ NATS_USER: 'ingest', NATS_PASSWORD: 'p0123' });
  });

  it('stops start-up when a user is set without its password, naming NATS_PASSWORD', () => {
    expect(problemsOf({ NATS_USER: 'ingest' })).toEqual([
      {
        variable: 'NATS_PASSWORD',
        message: 'is required when NATS_USER is set (the password of NATS user "ingest")',
      },
    ]);
    expect(problemsOf({ NATS_USER: 'ingest', NATS_PASSWORD: '' })).toHaveLength(1);
    expect(() => loadConfig(baseConfigSchema, { ...env, NATS_USER: 'ingest' })).toThrow(
      /NATS_PASSWORD: is required when NATS_USER is set/,
    );
  });

  it('reports a password without a user, and a creds file combined with a user', () => {
    expect(problemsOf({ NATS_PASSWORD: 'p0123' }).map((p) => p.variable)).toEqual(['NATS_USER']);
    expect(
      problemsOf({ NATS_USER: 'ingest', NATS_PASSWORD: 'p0123', NATS_CREDS_FILE: '/x.creds' }).map(
        (p) => p.variable,
      ),
    ).toEqual(['NATS_CREDS_FILE']);
    expect(problemsOf({ NATS_CREDS_FILE: '/x.creds' })).toEqual([]);
  });

  it('lists credential problems together with the other problems', () => {
    const problems = problemsOf({ NATS_USER: 'ingest', AUTH_JWT_KEY: '' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['AUTH_JWT_KEY', 'NATS_PASSWORD']);
  });

  it('refuses an inbox prefix with wildcards', () => {
    expect(problemsOf({ NATS_INBOX_PREFIX: '_INBOX_ingest.>' }).map((p) => p.variable)).toEqual([
      'NATS_INBOX_PREFIX',
    ]);
    expect(problemsOf({ NATS_INBOX_PREFIX: '_INBOX_ingest' })).toEqual([]);
  });

  it('checks only schemas that declare the NATS variables', () => {
    const toolSchema = z.object({ SERVICE_NAME: required });
    expect(loadConfig(toolSchema, { SERVICE_NAME: 'tool', NATS_USER: 'x' })).toEqual({
      SERVICE_NAME: 'tool',
    });
    expect(natsAuthProblems({})).toEqual([]);
  });
});
