// gRPC server reflection (grpc.reflection.v1 and v1alpha), so grpcurl, Postman and
// `slimstad services` can discover the API without a copy of the .proto files, plus the
// client side of it used by the CLI.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { HEALTH_SERVICE_NAME } from './health.js';

export interface ReflectionOptions {
  /** Include directory of the .proto files (`protoRoot` of @slimstad/contracts). */
  protoRoot: string;
  /** Files relative to protoRoot (`protoFiles` of @slimstad/contracts). */
  protoFiles: readonly string[];
  /** Further include directories, if the files import protos from elsewhere. */
  includeDirs?: readonly string[];
}

// grpc-health-check ships proto/health/v1/health.proto; its include dir is three levels up.
const healthIncludeDir = path.resolve(path.dirname(healthProtoPath), '..', '..');

/**
 * Registers reflection for the services this server actually serves (`services`), described
 * from the .proto sources; grpc.health.v1.Health is described too. Returns the names of
 * served services the .proto files do not declare (they stay invisible to reflection).
 */
export function addReflection(
  server: grpc.Server,
  options: ReflectionOptions,
  services: readonly string[],
): string[] {
  const definition = protoLoader.loadSync([...options.protoFiles, 'health/v1/health.proto'], {
    includeDirs: [options.protoRoot, ...(options.includeDirs ?? []), healthIncludeDir],
  });
  const described = services.filter((name) => name in definition);
  new ReflectionService(definition, { services: [...described, HEALTH_SERVICE_NAME] }).addToServer(
    server,
  );
  return services.filter((name) => !(name in definition));
}

// ---- client -------------------------------------------------------------------------------

const reflectionProtoDir = path.resolve(
  path.dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
  '..',
  'proto',
);

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  error_response?: { error_code: number; error_message: string };
}

type ReflectionStream = grpc.ClientDuplexStream<{ list_services: string }, ReflectionResponse>;
type ReflectionClient = grpc.Client & {
  ServerReflectionInfo(
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
  ): ReflectionStream;
};
type ReflectionClientCtor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => ReflectionClient;

const clientCtors = new Map<string, ReflectionClientCtor>();

function reflectionClient(version: 'v1' | 'v1alpha'): ReflectionClientCtor {
  let ctor = clientCtors.get(version);
  if (!ctor) {
    const definition = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, {
      includeDirs: [reflectionProtoDir],
      keepCase: true,
      oneofs: true,
    });
    const service = definition[`grpc.reflection.${version}.ServerReflection`];
    if (!service || !('ServerReflectionInfo' in service))
      throw new Error(`reflection ${version} proto not found`);
    ctor = grpc.makeClientConstructor(
      service as unknown as grpc.ServiceDefinition,
      `grpc.reflection.${version}.ServerReflection`,
    ) as unknown as ReflectionClientCtor;
    clientCtors.set(version, ctor);
  }
  return ctor;
}

export interface ListServicesOptions {
  /** 5 s unless told. */
  timeoutMs?: number;
  credentials?: grpc.ChannelCredentials;
}

function listWith(
  version: 'v1' | 'v1alpha',
  address: string,
  options: ListServicesOptions,
): Promise<string[]> {
  const Client = reflectionClient(version);
  const client = new Client(address, options.credentials ?? grpc.credentials.createInsecure());
  return new Promise<string[]>((resolve, reject) => {
    const call = client.ServerReflectionInfo(new grpc.Metadata(), {
      deadline: Date.now() + (options.timeoutMs ?? 5_000),
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      call.cancel();
      client.close();
    };
    call.on('data', (response: ReflectionResponse) => {
      if (response.error_response) {
        const { error_code, error_message } = response.error_response;
        settle(() =>
          reject(
            Object.assign(new Error(error_message), { code: error_code, details: error_message }),
          ),
        );
      } else {
        settle(() =>
          resolve((response.list_services_response?.service ?? []).map((s) => s.name).sort()),
        );
      }
    });
    call.on('error', (error) => settle(() => reject(error)));
    call.on('end', () =>
      settle(() => reject(new Error('reflection stream ended without an answer'))),
    );
    call.write({ list_services: '*' });
    call.end();
  });
}

/**
 * Lists the fully-qualified services a server exposes through reflection (v1, falling back
 * to v1alpha for older servers). Rejects with the grpc-js ServiceError when the call fails.
 */
export async function listServices(
  address: string,
  options: ListServicesOptions = {},
): Promise<string[]> {
  try {
    return await listWith('v1', address, options);
  } catch (error) {
    if ((error as { code?: unknown }).code === grpc.status.UNIMPLEMENTED)
      return listWith('v1alpha', address, options);
    throw error;
  }
}
