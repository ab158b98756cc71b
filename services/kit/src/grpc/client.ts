// Clients for Slimstad gRPC APIs: every call carries the bearer token and the caller's trace
// context (`traceparent`), and gets a deadline unless the caller set one.
import * as grpc from '@grpc/grpc-js';
import { injectTraceContext } from '../telemetry/propagation.js';
import { metadataCarrier } from './context.js';

export interface ClientOptions {
  /** Bearer token sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Deadline for calls that set none, in milliseconds from the call's start. */
  deadlineMs?: number;
  /** Insecure (plaintext) unless told. */
  credentials?: grpc.ChannelCredentials;
  channelOptions?: Partial<grpc.ClientOptions>;
}

type ClientConstructor<C> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ClientOptions>,
) => C;

/** The interceptor that adds the token, the trace context and the default deadline. */
export function callInterceptor(
  options: Pick<ClientOptions, 'token' | 'deadlineMs'>,
): grpc.Interceptor {
  return (callOptions, nextCall) => {
    const withDeadline =
      options.deadlineMs !== undefined && callOptions.deadline === undefined
        ? { ...callOptions, deadline: Date.now() + options.deadlineMs }
        : callOptions;
    return new grpc.InterceptingCall(nextCall(withDeadline), {
      start(metadata, listener, next) {
        if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
        injectTraceContext(metadataCarrier(metadata));
        next(metadata, listener);
      },
    });
  };
}

/**
 * Creates a ts-proto client with the token, trace propagation and default deadline built in.
 *
 * @example
 * const registry = createClient(DeviceRegistryServiceClient, '127.0.0.1:50051', { token, deadlineMs: 5_000 });
 * const { device } = await promisifyUnary(registry, registry.getDevice)({ deviceId: 'wl-001' });
 */
export function createClient<C extends grpc.Client>(
  Ctor: ClientConstructor<C>,
  address: string,
  options: ClientOptions = {},
): C {
  const interceptors = [callInterceptor(options), ...(options.channelOptions?.interceptors ?? [])];
  return new Ctor(address, options.credentials ?? grpc.credentials.createInsecure(), {
    ...options.channelOptions,
    interceptors,
  });
}

/** The last (fullest) overload of a ts-proto unary client method. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export interface UnaryCallOptions {
  metadata?: grpc.Metadata;
  /** Deadline for this call, in milliseconds from now. */
  deadlineMs?: number;
  /** Cancels the call when aborted. */
  signal?: AbortSignal;
}

/**
 * Turns a unary client method into a function returning a promise; rejects with the grpc-js
 * ServiceError (see `decodeErrorDetails` for its field violations).
 *
 * @example
 * const getDevice = promisifyUnary(registry, registry.getDevice);
 * const { device } = await getDevice({ deviceId: 'wl-001' }, { deadlineMs: 2_000 });
 */
export function promisifyUnary<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
): (request: Req, options?: UnaryCallOptions) => Promise<Res> {
  return (request, options = {}) =>
    new Promise<Res>((resolve, reject) => {
      const callOptions: Partial<grpc.CallOptions> =
        options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
      let call: grpc.ClientUnaryCall | undefined;
      const cancel = () => call?.cancel();
      call = method.call(
        client,
        request,
        options.metadata ?? new grpc.Metadata(),
        callOptions,
        (error, response) => {
          options.signal?.removeEventListener('abort', cancel);
          if (error) reject(error);
          else resolve(response);
        },
      );
      if (options.signal?.aborted) cancel();
      else options.signal?.addEventListener('abort', cancel, { once: true });
    });
}
