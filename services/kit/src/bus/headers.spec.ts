import { describe, expect, it } from 'vitest';
import { messageTypeOf, protobufContentType } from './headers.js';

describe('protobuf content type', () => {
  it('names the message and parses back', () => {
    const ct = protobufContentType('slimstad.sensor.v1.Reading');
    expect(ct).toBe('application/protobuf; proto=slimstad.sensor.v1.Reading');
    expect(messageTypeOf(ct)).toBe('slimstad.sensor.v1.Reading');
  });
  it('yields nothing for other content types', () => {
    expect(messageTypeOf('application/json')).toBeUndefined();
    expect(messageTypeOf(undefined)).toBeUndefined();
  });
});
