// An OTLP/gRPC trace receiver on loopback, for tests: the TraceService Export method of the
// OpenTelemetry collector, decoding just what the tests read from each span (ids, parent,
// name, kind, and the exporting service's name) with a small protobuf wire reader, so the
// suite needs neither a collector binary nor the OTLP .proto files.
import * as grpc from '@grpc/grpc-js';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  service: string;
}

type Field = { field: number; wire: number; value: bigint | Uint8Array };

function readVarint(buf: Uint8Array, at: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  let pos = at;
  for (;;) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error('truncated varint');
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

/** The fields of one protobuf message, in order. */
export function fieldsOf(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, next] = readVarint(buf, pos);
    pos = next;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [value, after] = readVarint(buf, pos);
      fields.push({ field, wire, value });
      pos = after;
    } else if (wire === 2) {
      const [length, after] = readVarint(buf, pos);
      const end = after + Number(length);
      fields.push({ field, wire, value: buf.subarray(after, end) });
      pos = end;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return fields;
}

const bytes = (fields: Field[], n: number) =>
  fields.filter((f) => f.field === n && f.wire === 2).map((f) => f.value as Uint8Array);
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');

/** Spans of one ExportTraceServiceRequest (opentelemetry.proto.collector.trace.v1). */
export function decodeExport(request: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of bytes(fieldsOf(request), 1)) {
    const rs = fieldsOf(resourceSpans);
    let service = '';
    for (const resource of bytes(rs, 1)) {
      for (const kv of bytes(fieldsOf(resource), 1)) {
        const f = fieldsOf(kv);
        if (text(bytes(f, 1)[0]) !== 'service.name') continue;
        service = text(bytes(fieldsOf(bytes(f, 2)[0] ?? new Uint8Array()), 1)[0]);
      }
    }
    for (const scopeSpans of bytes(rs, 2)) {
      for (const span of bytes(fieldsOf(scopeSpans), 2)) {
        const f = fieldsOf(span);
        spans.push({
          traceId: hex(bytes(f, 1)[0]),
          spanId: hex(bytes(f, 2)[0]),
          parentSpanId: hex(bytes(f, 4)[0]),
          name: text(bytes(f, 5)[0]),
          kind: Number(f.find((x) => x.field === 6 && x.wire === 0)?.value ?? 0n),
          service,
        });
      }
    }
  }
  return spans;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  spans: ReceivedSpan[];
  trace(traceId: string): ReceivedSpan[];
  close(): void;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = new grpc.Server();
  server.register(
    '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      spans.push(...decodeExport(call.request));
      callback(null, Buffer.alloc(0)); // an empty ExportTraceServiceResponse
    },
    (b: Buffer) => b,
    (b: Buffer) => b,
    'unary',
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    trace: (traceId) => spans.filter((s) => s.traceId === traceId),
    close: () => server.forceShutdown(),
  };
}
