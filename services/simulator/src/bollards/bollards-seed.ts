// Seeds the demo bollards into the bollards service through BollardService, idempotently:
// zones and bollards are created when missing and left alone when they exist (an operator's
// edits survive restarts); a permit is created only when no active permit names its plate or
// badge. Zones and bollards need the admin role, permits the bollard-operator role.
import { BollardServiceClient } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards_service';
import { createClient, type Logger, promisifyUnary, Status } from '@slimstad/kit';
import { codeOf, seedCaller } from '../seeding.js';
import {
  type BollardLayout,
  bollardMessage,
  permitMessage,
  zoneMessage,
} from './bollard-layout.js';

export interface BollardSeedSummary {
  zones: { created: number; unchanged: number };
  bollards: { created: number; unchanged: number };
  permits: { created: number; unchanged: number };
}

/** Seeds `layout`; each call is retried while the service is briefly UNAVAILABLE. */
export async function seedBollards(options: {
  address: string;
  layout: BollardLayout;
  /** admin and bollard-operator roles. */
  token: string;
  /** City clock now: permits run from a day before it for 364 days. */
  nowMs: number;
  log?: Logger;
  attempts?: number;
  signal?: AbortSignal;
}): Promise<BollardSeedSummary> {
  const client = createClient(BollardServiceClient, options.address, {
    token: options.token,
    deadlineMs: 30_000,
  });
  const api = {
    createZone: promisifyUnary(client, client.createZone),
    createBollard: promisifyUnary(client, client.createBollard),
    createPermit: promisifyUnary(client, client.createPermit),
    listPermits: promisifyUnary(client, client.listPermits),
  };
  const call = seedCaller({
    what: 'the bollards',
    roles: 'admin role',
    attempts: options.attempts,
    signal: options.signal,
  });
  /** Creates, or counts as unchanged when it already exists. */
  const create = async (what: string, run: () => Promise<unknown>) => {
    try {
      await call(what, run);
      return 'created' as const;
    } catch (error) {
      if (codeOf(error) === Status.ALREADY_EXISTS) return 'unchanged' as const;
      throw error;
    }
  };
  const summary: BollardSeedSummary = {
    zones: { created: 0, unchanged: 0 },
    bollards: { created: 0, unchanged: 0 },
    permits: { created: 0, unchanged: 0 },
  };
  try {
    for (const zone of options.layout.zones) {
      const outcome = await create(`creating zone ${zone.id}`, () =>
        api.createZone({ zone: zoneMessage(zone) }),
      );
      summary.zones[outcome] += 1;
    }
    for (const bollard of options.layout.bollards) {
      const outcome = await create(`creating bollard ${bollard.id}`, () =>
        api.createBollard({ bollard: bollardMessage(bollard) }),
      );
      summary.bollards[outcome] += 1;
    }
    for (const [i, permit] of options.layout.permits.entries()) {
      const message = permitMessage(permit, options.nowMs);
      // Named by position, never by plate: the credential is personal data, kept out of logs.
      const { permits } = await call(`listing the permits of permit ${i}`, () =>
        api.listPermits({
          zoneId: '',
          credentialKind: message.credentialKind,
          credential: permit.credential,
          includeInactive: false,
          page: { pageSize: 10, pageToken: '' },
        }),
      );
      if (permits.length > 0) {
        summary.permits.unchanged += 1;
        continue;
      }
      await call(`creating permit ${i} (${permit.reason})`, () =>
        api.createPermit({ permit: message }),
      );
      summary.permits.created += 1;
    }
    return summary;
  } finally {
    client.close();
  }
}
