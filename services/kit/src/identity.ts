// Number plates, badge ids and phone numbers are personal data: services keep, compare and audit only a
// keyed hash of them (HMAC-SHA256 with the municipality's secret), and reader gateways put only
// the hash on the bus. A leaked table, log or stream does not reveal who drove where, and
// without the secret the hashes cannot be tested against a list of plates.
import { createHmac } from 'node:crypto';

/** A plate as cameras and people write it: `1-abc-234`, `1 ABC 234` and `1ABC234` are one plate. */
export function normalizePlate(plate: string): string {
  return plate.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * A phone number as people write it: `+32 470 12 34 56`, `0032-470-123456` and
 * `+32470123456` are one number (`00` is the international prefix, as `+`).
 */
export function normalizePhone(phone: string): string {
  const digits = phone.trim().replace(/[\s().\-/]/g, '');
  return digits.startsWith('00') ? `+${digits.slice(2)}` : digits;
}

export type IdentityKind = 'plate' | 'badge' | 'phone';

/** The keyed hash under which an identity is stored and matched (hex). */
export function identityHash(secret: string, kind: IdentityKind, value: string): string {
  if (secret.length < 32) throw new Error('the identity secret must be at least 32 characters');
  const normal =
    kind === 'plate'
      ? normalizePlate(value)
      : kind === 'phone'
        ? normalizePhone(value)
        : value.trim();
  if (!normal) throw new Error(`empty ${kind}`);
  return createHmac('sha256', secret).update(`${kind}:${normal}`).digest('hex');
}
