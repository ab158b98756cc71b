// A simulated reader gateway: the ANPR cameras, badge readers, intercoms and emergency-dispatch
// link in front of a city's bollards. Like the real one it holds the municipality's identity
// secret and publishes only the keyed hash of what it read (`identityHash` of the kit, the
// same function the bollards service matches permits with): plates and badge ids never travel
// on the bus, and never reach a log from here.
import { randomUUID } from 'node:crypto';
import { AccessRequested } from '@slimstad/contracts';
import {
  CredentialKind,
  RequestSource,
} from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { AccessRequest } from '@slimstad/contracts/gen/slimstad/bollards/v1/control';
import { type Bus, type Clock, identityHash } from '@slimstad/kit';

/** Where a request comes from on the bus (operator admissions come through the API instead). */
export type ReaderSource = 'anpr' | 'badge' | 'intercom' | 'emergency_service';

const SOURCES: Record<ReaderSource, RequestSource> = {
  anpr: RequestSource.REQUEST_SOURCE_ANPR,
  badge: RequestSource.REQUEST_SOURCE_BADGE,
  intercom: RequestSource.REQUEST_SOURCE_INTERCOM,
  emergency_service: RequestSource.REQUEST_SOURCE_EMERGENCY_SERVICE,
};

export interface ReaderGatewayOptions {
  bus: Bus;
  /** The municipality's identity secret (BOLLARDS_IDENTITY_SECRET, ≥ 32 characters). */
  secret: string;
  /** The city clock: `observe_time` is on it, as the service judges a request's age by it. */
  clock: Clock;
  /** Reader id of requests that name none (default `gateway-1`). */
  readerId?: string;
}

export interface AccessRequestInput {
  zoneId: string;
  bollardId: string;
  /** Default: `anpr` with a plate, `badge` with a badge, `intercom` with neither. */
  source?: ReaderSource;
  /** What the camera read; hashed here, never sent. */
  plate?: string;
  /** What the badge reader read; hashed here, never sent. */
  badge?: string;
  /** The reader identified an emergency vehicle (transponder, dispatch). */
  emergency?: boolean;
  readerId?: string;
  /** Default: a fresh UUID. Give one to replay a request (the stream dedups `req:<id>`). */
  requestId?: string;
  /** When the vehicle was seen, clock ms (default: now on the clock). */
  observedMs?: number;
}

export interface SentRequest {
  requestId: string;
  /** Real ms (Date.now()) just before the publish: the start of request → command latency. */
  publishedRealMs: number;
}

export interface ReaderGateway {
  /** Publishes the request; resolves once JetStream stored it. */
  requestAccess(input: AccessRequestInput): Promise<SentRequest>;
  /** The request as it would go on the bus (hashes only), for tests. */
  build(input: AccessRequestInput): AccessRequest;
  /** Requests JetStream confirmed. */
  readonly published: number;
}

export function createReaderGateway(options: ReaderGatewayOptions): ReaderGateway {
  const { bus, secret, clock } = options;
  // Fails at start, not at the first vehicle: a short secret is a configuration error.
  identityHash(secret, 'badge', 'probe');
  let published = 0;

  const build = (input: AccessRequestInput): AccessRequest => {
    if (input.plate !== undefined && input.badge !== undefined) {
      throw new Error('a request carries a plate or a badge, not both');
    }
    const [kind, hash] =
      input.plate !== undefined
        ? [CredentialKind.CREDENTIAL_KIND_PLATE, identityHash(secret, 'plate', input.plate)]
        : input.badge !== undefined
          ? [CredentialKind.CREDENTIAL_KIND_BADGE, identityHash(secret, 'badge', input.badge)]
          : [CredentialKind.CREDENTIAL_KIND_UNSPECIFIED, ''];
    const source =
      input.source ??
      (input.plate !== undefined ? 'anpr' : input.badge !== undefined ? 'badge' : 'intercom');
    return AccessRequest.fromPartial({
      requestId: input.requestId ?? randomUUID(),
      zoneId: input.zoneId,
      bollardId: input.bollardId,
      source: SOURCES[source],
      credentialKind: kind,
      identityHash: hash,
      emergency: input.emergency ?? false,
      readerId: input.readerId ?? options.readerId ?? 'gateway-1',
      observeTime: new Date(input.observedMs ?? clock.now()),
    });
  };

  return {
    build,
    async requestAccess(input) {
      const request = build(input);
      const publishedRealMs = Date.now();
      await bus.publish(
        AccessRequested,
        { zone: request.zoneId, bollard: request.bollardId },
        request,
        { msgId: `req:${request.requestId}` },
      );
      published += 1;
      return { requestId: request.requestId, publishedRealMs };
    },
    get published() {
      return published;
    },
  };
}
