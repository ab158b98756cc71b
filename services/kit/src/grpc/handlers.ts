// Typed handlers for a ts-proto (grpc-js) service definition. Each method declares, beside its
// handler, the roles it requires, so an unprotected RPC cannot slip in: leaving `roles` out is a
// type error, and defineService rejects it at start-up for callers without types.
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { Role } from './auth.js';
import type { CallContext } from './context.js';

/** The request type of a method definition (what `requestDeserialize` produces). */
export type RequestOf<M> = M extends { requestDeserialize: (value: Buffer) => infer R } ? R : never;
/** The response type of a method definition (what `responseSerialize` accepts). */
export type ResponseOf<M> = M extends { responseSerialize: (value: infer R) => Buffer } ? R : never;

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;
export type ServerStreamingHandler<Req, Res> = (
  request: Req,
  ctx: CallContext,
) => AsyncIterable<Res>;
export type ClientStreamingHandler<Req, Res> = (
  requests: AsyncIterable<Req>,
  ctx: CallContext,
) => Promise<Res>;
export type BidiStreamingHandler<Req, Res> = (
  requests: AsyncIterable<Req>,
  ctx: CallContext,
) => AsyncIterable<Res>;

export type MethodKind = 'unary' | 'server-streaming' | 'client-streaming' | 'bidi-streaming';

/** The handler shape a method needs, told by the `requestStream`/`responseStream` flags ts-proto emits `as const`. */
export type HandlerOf<M> = M extends { requestStream: true; responseStream: true }
  ? BidiStreamingHandler<RequestOf<M>, ResponseOf<M>>
  : M extends { requestStream: true }
    ? ClientStreamingHandler<RequestOf<M>, ResponseOf<M>>
    : M extends { responseStream: true }
      ? ServerStreamingHandler<RequestOf<M>, ResponseOf<M>>
      : UnaryHandler<RequestOf<M>, ResponseOf<M>>;

/**
 * Who may call a method: a caller holding at least one of the listed roles (admin holds all;
 * operator and bollard-operator hold viewer), or `'public'` for what probes and tools need
 * without a token (health, reflection-type methods) — never for data or control.
 */
export type RoleRequirement = readonly Role[] | 'public';

export interface MethodSpec<M> {
  roles: RoleRequirement;
  handle: HandlerOf<M>;
}

/** One entry per method of the definition; every entry names its roles. */
export type ServiceHandlers<D extends ServiceDefinition> = { [K in keyof D]: MethodSpec<D[K]> };

/** A method as the server binds it (types erased). */
export interface MethodBinding {
  /** Key in the definition, e.g. `getDevice`. */
  key: string;
  /** `/slimstad.sensor.v1.DeviceRegistryService/GetDevice`. */
  path: string;
  /** The path without its leading slash; also the span name. */
  method: string;
  kind: MethodKind;
  roles: RoleRequirement;
  handle: (input: unknown, ctx: CallContext) => Promise<unknown> | AsyncIterable<unknown>;
}

export interface ServiceRegistration<D extends ServiceDefinition = ServiceDefinition> {
  /** Fully-qualified service name, e.g. `slimstad.sensor.v1.DeviceRegistryService`. */
  name: string;
  definition: D;
  methods: readonly MethodBinding[];
}

export function methodKind(definition: {
  requestStream: boolean;
  responseStream: boolean;
}): MethodKind {
  if (definition.requestStream)
    return definition.responseStream ? 'bidi-streaming' : 'client-streaming';
  return definition.responseStream ? 'server-streaming' : 'unary';
}

/**
 * Binds handlers to a ts-proto service definition.
 *
 * @example
 * const registry = defineService(DeviceRegistryServiceService, {
 *   getDevice: { roles: ['viewer'], handle: async (request, ctx) => ({ device: await devices.get(request.deviceId) }) },
 *   registerDevice: { roles: ['operator'], handle: async (request, ctx) => ({ device: await devices.register(request.device) }) },
 *   // … one entry per RPC; a missing entry or a missing `roles` does not compile.
 * });
 */
export function defineService<D extends ServiceDefinition>(
  definition: D,
  handlers: ServiceHandlers<D>,
): ServiceRegistration<D> {
  const methods: MethodBinding[] = [];
  let name: string | undefined;
  for (const key of Object.keys(definition)) {
    const method = definition[key];
    if (!method) continue;
    const match = /^\/([^/]+)\/([^/]+)$/.exec(method.path);
    if (!match?.[1])
      throw new Error(`defineService: method ${key} has an unexpected path ${method.path}`);
    name ??= match[1];
    const spec = (
      handlers as unknown as Record<string, { roles?: unknown; handle?: unknown } | undefined>
    )[key];
    if (!spec || typeof spec.handle !== 'function') {
      throw new Error(
        `defineService: ${method.path} has no handler; give every RPC one (with its roles)`,
      );
    }
    const roles = spec.roles as RoleRequirement | undefined;
    if (roles !== 'public' && (!Array.isArray(roles) || roles.length === 0)) {
      throw new Error(
        `defineService: ${method.path} declares no roles; list the roles it requires, or 'public'`,
      );
    }
    methods.push({
      key,
      path: method.path,
      method: method.path.slice(1),
      kind: methodKind(method),
      roles: roles === 'public' ? 'public' : Object.freeze([...roles]),
      handle: spec.handle as unknown as MethodBinding['handle'],
    });
  }
  for (const key of Object.keys(handlers)) {
    if (!(key in definition))
      throw new Error(`defineService: handler ${key} matches no RPC of ${name ?? 'the service'}`);
  }
  if (!name) throw new Error('defineService: the service definition has no methods');
  return { name, definition, methods };
}
