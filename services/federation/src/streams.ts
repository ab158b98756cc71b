// The federation's JetStream topology as seen from one city: its SHARE and NEIGHBOURS streams
// here, and its SHARE and INBOX streams in its own account at the hub (JetStream domain hub,
// reached over the leaf node). See domain/render.ts for how data crosses.

import {
  DiscardPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/nats-core';
import {
  FederationShareStream,
  HUB_DOMAIN,
  HUB_INBOX_STREAM,
  HUB_SHARE_STREAM,
  NeighboursStream,
} from '@slimstad/contracts';

const base = (maxAgeSeconds: number, dupSeconds: number): Partial<StreamConfig> => ({
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_age: nanos(maxAgeSeconds * 1000),
  duplicate_window: nanos(dupSeconds * 1000),
  num_replicas: 1,
});

/** NEIGHBOURS: sourced from this city's INBOX at the hub; no subjects, so nobody here writes it. */
export function neighboursConfig(): Partial<StreamConfig> {
  return {
    ...base(NeighboursStream.maxAgeSeconds, NeighboursStream.duplicateWindowSeconds),
    name: NeighboursStream.name,
    description: NeighboursStream.description,
    subjects: [],
    sources: [{ name: HUB_INBOX_STREAM, external: { api: `$JS.${HUB_DOMAIN}.API`, deliver: '' } }],
  };
}

/** At the hub: this city's SHARE sourced through its domain, republished as `region.<city>.>`. */
export function hubShareConfig(city: string): Partial<StreamConfig> {
  return {
    ...base(FederationShareStream.maxAgeSeconds, FederationShareStream.duplicateWindowSeconds),
    name: HUB_SHARE_STREAM,
    description: `What ${city} shares, sourced from its domain and republished as region.${city}.>.`,
    // Subjects only so that republish has a source (the leaf user may not publish on them).
    subjects: ['share.>'],
    sources: [
      { name: FederationShareStream.name, external: { api: `$JS.${city}.API`, deliver: '' } },
    ],
    republish: { src: 'share.>', dest: `region.${city}.>` },
  };
}

/** At the hub: what neighbours export to this city, imported as `neighbour.<city>.>`. */
export function hubInboxConfig(city: string): Partial<StreamConfig> {
  return {
    ...base(NeighboursStream.maxAgeSeconds, NeighboursStream.duplicateWindowSeconds),
    name: HUB_INBOX_STREAM,
    description: `What ${city}'s neighbours share with it (neighbour.<city>.>).`,
    subjects: ['neighbour.>'],
  };
}

/** Creates the stream, or updates it when its configuration drifted. */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig>) {
  const name = config.name as string;
  try {
    const info = await jsm.streams.info(name);
    const drifted =
      JSON.stringify(info.config.sources ?? []) !== JSON.stringify(config.sources ?? []) ||
      JSON.stringify(info.config.subjects ?? []) !== JSON.stringify(config.subjects ?? []) ||
      JSON.stringify(info.config.republish ?? null) !== JSON.stringify(config.republish ?? null);
    if (drifted) await jsm.streams.update(name, config);
  } catch (error) {
    if ((error as Error).name !== 'StreamNotFoundError') throw error;
    await jsm.streams.add({ ...config, name });
  }
}

/** The hub's JetStream API as this city's account sees it. */
export function hubManager(nc: NatsConnection, timeoutMs = 2_000): Promise<JetStreamManager> {
  return jetstreamManager(nc, { domain: HUB_DOMAIN, timeout: timeoutMs, checkAPI: false });
}

/** Messages per subject prefix (`<prefix>.>`) in a stream, from one STREAM.INFO. */
export async function countsBy(
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  group: (subject: string) => string | undefined,
): Promise<Map<string, number>> {
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  const counts = new Map<string, number>();
  for (const [subject, n] of Object.entries(info.state.subjects ?? {})) {
    const g = group(subject);
    if (g !== undefined) counts.set(g, (counts.get(g) ?? 0) + n);
  }
  return counts;
}
