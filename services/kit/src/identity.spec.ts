import { describe, expect, it } from 'vitest';
import { identityHash, normalizePhone, normalizePlate } from './identity.js';

const SECRET = 'municipality-secret-0123456789abcdef';
const van = identityHash(SECRET, 'plate', '1-ABC-234');

describe('identity hashes', () => {
  it('match however a plate is written, and reveal nothing without the secret', () => {
    expect(normalizePlate('1-abc 234')).toBe('1ABC234');
    expect(identityHash(SECRET, 'plate', '1 abc 234')).toBe(van);
    expect(identityHash(`${SECRET}x`, 'plate', '1-ABC-234')).not.toBe(van);
    expect(identityHash(SECRET, 'badge', '1ABC234')).not.toBe(van);
    expect(van).toMatch(/^[0-9a-f]{64}$/);
    expect(() => identityHash('short', 'plate', 'x')).toThrow(/at least 32/);
  });

  it('match a phone number however it is written, distinct from plates and badges', () => {
    expect(normalizePhone(' +32 (470) 12.34-56 ')).toBe('+32470123456');
    expect(normalizePhone('0032470123456')).toBe('+32470123456');
    const phone = identityHash(SECRET, 'phone', '+32 470 12 34 56');
    expect(identityHash(SECRET, 'phone', '0032-470-123456')).toBe(phone);
    expect(identityHash(SECRET, 'badge', '+32470123456')).not.toBe(phone);
  });
});
