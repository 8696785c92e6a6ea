import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { RuntimeError, type RuntimeErrorCode, type RuntimeReason } from '@peapod/runtime';

/** The project's CRI proto (see its header): `proto/cri-api.proto` next to `src`/`dist`. */
export const CRI_PROTO_PATH = fileURLToPath(new URL('../../proto/cri-api.proto', import.meta.url));

/** How every CRI message is converted; `messages.ts` types the result of exactly these options. */
export const CRI_LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

let definition: grpc.GrpcObject | undefined;
/** The loaded `runtime.v1` package (services and message types), parsed once per process. */
export function criPackage(): grpc.GrpcObject {
  definition ??= grpc.loadPackageDefinition(protoLoader.loadSync(CRI_PROTO_PATH, CRI_LOADER_OPTIONS));
  return (definition.runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
}

export type CriService = 'RuntimeService' | 'ImageService';

const CODES: Partial<Record<grpc.status, RuntimeErrorCode>> = {
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.ALREADY_EXISTS]: 'AlreadyExists',
  [grpc.status.INVALID_ARGUMENT]: 'InvalidArgument',
  [grpc.status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [grpc.status.UNIMPLEMENTED]: 'Unimplemented',
  [grpc.status.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [grpc.status.UNAVAILABLE]: 'Unavailable',
};

/**
 * A gRPC error as the contract's. containerd answers many lookups of unknown ids with code
 * Unknown and a "not found" message, so that message is NotFound too.
 */
export function fromGrpc(err: unknown, what: string, reason?: RuntimeReason): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const e = err as Partial<grpc.ServiceError>;
  const details = e.details ?? e.message ?? String(err);
  const code = CODES[e.code as grpc.status] ?? (/not found|does not exist/i.test(details) ? 'NotFound' : 'Internal');
  return new RuntimeError(code, `${what}: ${details}`, reason, { cause: err });
}

/**
 * A CRI client over one endpoint: `unix:///run/containerd/containerd.sock` on Linux,
 * `unix:\\.\pipe\containerd-containerd` (a named pipe, which Node's net module opens by path)
 * on Windows. Calls are unary with a deadline; errors come back as `RuntimeError`s.
 */
export class CriClient {
  private readonly clients: Record<CriService, grpc.Client>;

  constructor(
    readonly endpoint: string,
    private readonly defaultTimeoutMs = 120_000,
  ) {
    const pkg = criPackage();
    const make = (name: CriService) => new (pkg[name] as grpc.ServiceClientConstructor)(endpoint, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    });
    this.clients = { RuntimeService: make('RuntimeService'), ImageService: make('ImageService') };
  }

  call<Res>(service: CriService, method: string, request: object, options: { timeoutMs?: number; reason?: RuntimeReason } = {}): Promise<Res> {
    const client = this.clients[service] as unknown as Record<string, (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => void>;
    return new Promise((resolve, reject) => {
      client[method].call(client, request, new grpc.Metadata(), { deadline: Date.now() + (options.timeoutMs ?? this.defaultTimeoutMs) }, (err, res) => {
        if (err) reject(fromGrpc(err, `CRI ${method}`, options.reason));
        else resolve(res);
      });
    });
  }

  close(): void {
    this.clients.RuntimeService.close();
    this.clients.ImageService.close();
  }
}
