// The FederationService gRPC API: the policy in force and the links, for viewers; reloading
// the policy, for admins (audited, an invalid file refused with every problem named).
import {
  type AggregateFunction,
  LinkState,
} from '@slimstad/contracts/gen/slimstad/federation/v1/federation';
import {
  FederationServiceService,
  type GetPolicyResponse,
} from '@slimstad/contracts/gen/slimstad/federation/v1/federation_service';
import { defineService, invalidArgument } from '@slimstad/kit';
import type { Kysely } from 'kysely';
import { PolicyError, shareSubject } from '../domain/policy.js';
import { digestOf, type Federation, type PolicySource } from '../federation-service.js';
import type { PolicyControl } from '../policy-control.js';
import { recentPolicyAudit } from '../store/audit.repository.js';
import type { FederationDatabase } from '../store/db.js';

const FUNCTIONS: Record<string, AggregateFunction> = { avg: 1, sum: 2, count: 3, min: 4, max: 5 };
const STATES = {
  up: LinkState.LINK_STATE_UP,
  down: LinkState.LINK_STATE_DOWN,
  stalled: LinkState.LINK_STATE_STALLED,
};

function policyResponse(source: PolicySource): GetPolicyResponse {
  return {
    city: source.policy.city,
    shares: source.policy.shares.map((s) => ({
      name: s.name,
      granularity: s.granularity,
      metrics: [...s.metrics],
      aggregateBy: s.aggregate?.by ?? '',
      function: s.aggregate ? (FUNCTIONS[s.aggregate.fn] ?? 0) : 0,
      windowSeconds: s.aggregate?.windowSeconds ?? 0,
      to: [...s.to],
      subject: shareSubject(s),
    })),
    source: source.text,
    digest: digestOf(source.text),
    loadedAt: new Date(source.loadedAt),
  };
}

export function federationService(deps: {
  federation: Federation;
  control: PolicyControl;
  db: Kysely<FederationDatabase>;
}) {
  const { federation, control, db } = deps;
  return defineService(FederationServiceService, {
    getPolicy: { roles: ['viewer'], handle: async () => policyResponse(federation.policy()) },
    reloadPolicy: {
      roles: ['admin'],
      handle: async (request, ctx) => {
        if (!request.reason.trim()) {
          throw invalidArgument('reason: say why the policy changes (it is audited)', [
            { field: 'reason', description: 'is required' },
          ]);
        }
        try {
          const { source, changed } = await control.reload(ctx.principal.subject, request.reason);
          return { policy: policyResponse(source), changed };
        } catch (error) {
          if (!(error instanceof PolicyError)) throw error;
          throw invalidArgument(
            `the policy file is invalid; the policy in force stays: ${error.problems.join('; ')}`,
            error.problems.map((p) => ({ field: 'policy', description: p })),
          );
        }
      },
    },
    listLinks: {
      roles: ['viewer'],
      handle: async () => {
        const { hubUp, links } = federation.links();
        return {
          hubUp,
          links: links.map((l) => ({
            neighbour: l.neighbour,
            stream: l.stream,
            direction: l.direction,
            state: STATES[l.state],
            lagMessages: BigInt(l.lag),
            lastActivityAt: l.lastActivityAt ? new Date(l.lastActivityAt) : undefined,
            reason: l.reason,
          })),
        };
      },
    },
    listPolicyAudit: {
      roles: ['viewer'],
      handle: async (request) => {
        const rows = await recentPolicyAudit(db, Math.min(request.limit || 50, 500));
        return {
          entries: rows.map((r) => ({
            at: r.at,
            actor: r.actor,
            reason: r.outcome === 'refused' ? `refused: ${r.detail} (${r.reason})` : r.reason,
            digest: r.digest,
            changed: r.changed,
          })),
        };
      },
    },
  });
}
