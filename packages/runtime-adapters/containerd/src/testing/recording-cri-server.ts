import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { criPackage } from '../cri/client.js';

/** One call the fake received: the RPC name and the request as decoded (camelCase, defaults filled). */
export interface RecordedCriCall {
  method: string;
  request: Record<string, unknown>;
}

type Handler = (req: Record<string, unknown>) => object;

/**
 * A CRI server for tests of the clients' translation: it records every request and keeps just
 * enough in-memory state (sandboxes, containers and their states) for the calls a runtime makes
 * around the one under test to answer consistently. It runs no containers. Calls it does not
 * model answer UNIMPLEMENTED, as a real runtime without them would.
 */
export class RecordingCriServer {
  readonly calls: RecordedCriCall[] = [];
  /** Errors the next calls of a method answer with (CRI UNKNOWN and this text), in order. */
  private readonly failures = new Map<string, string[]>();
  private readonly server = new grpc.Server();
  private readonly sandboxes = new Map<string, { config: Record<string, unknown>; state: string; createdAt: number }>();
  private readonly containers = new Map<string, { sandboxId: string; config: Record<string, unknown>; state: string; createdAt: number; startedAt: number; finishedAt: number; exitCode: number }>();

  private constructor(readonly endpoint: string) {}

  /** Listens on `unix://<socketPath>`. */
  static async start(socketPath: string): Promise<RecordingCriServer> {
    const s = new RecordingCriServer(`unix://${socketPath}`);
    const pkg = criPackage();
    const wrap = (handlers: Record<string, Handler>, service: grpc.ServiceClientConstructor) =>
      Object.fromEntries(Object.keys(service.service).map((method) => [method, (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, cb: grpc.sendUnaryData<object>) => {
        s.calls.push({ method, request: call.request });
        const failure = s.failures.get(method)?.shift();
        if (failure !== undefined) return cb({ code: grpc.status.UNKNOWN, details: failure });
        const h = handlers[method];
        if (!h) return cb({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not modelled by the recording server` });
        try {
          cb(null, h(call.request));
        } catch (err) {
          cb({ code: (err as { code?: number }).code ?? grpc.status.UNKNOWN, details: (err as Error).message });
        }
      }]));
    const runtimeService = pkg.RuntimeService as grpc.ServiceClientConstructor;
    const imageService = pkg.ImageService as grpc.ServiceClientConstructor;
    s.server.addService(runtimeService.service, wrap(s.runtimeHandlers(), runtimeService));
    s.server.addService(imageService.service, wrap(s.imageHandlers(), imageService));
    await new Promise<void>((resolve, reject) => s.server.bindAsync(s.endpoint, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    return s;
  }

  /** Makes the next `times` calls of `method` fail with CRI's UNKNOWN and `details`. */
  failNext(method: string, details: string, times = 1): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...Array<string>(times).fill(details)]);
  }

  /** The requests of one RPC, in order. */
  requestsOf(method: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.request);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private sandbox(id: unknown) {
    const sb = this.sandboxes.get(String(id));
    if (!sb) throw Object.assign(new Error(`sandbox ${String(id)} not found`), { code: grpc.status.NOT_FOUND });
    return sb;
  }

  private container(id: unknown) {
    const c = this.containers.get(String(id));
    if (!c) throw Object.assign(new Error(`container ${String(id)} not found`), { code: grpc.status.NOT_FOUND });
    return c;
  }

  private runtimeHandlers(): Record<string, Handler> {
    const now = () => Date.now() * 1e6;
    const sandboxView = (id: string) => {
      const sb = this.sandbox(id);
      return { id, metadata: sb.config.metadata, state: sb.state, createdAt: sb.createdAt, labels: sb.config.labels, annotations: sb.config.annotations };
    };
    const containerView = (id: string) => {
      const c = this.container(id);
      return { id, podSandboxId: c.sandboxId, metadata: c.config.metadata, image: c.config.image, imageRef: 'sha256:fake', state: c.state, createdAt: c.createdAt, labels: c.config.labels, annotations: c.config.annotations };
    };
    return {
      Version: () => ({ version: '0.1.0', runtimeName: 'recording', runtimeVersion: '0', runtimeApiVersion: 'v1' }),
      Status: () => ({ status: { conditions: [{ type: 'RuntimeReady', status: true }, { type: 'NetworkReady', status: true }] } }),
      RunPodSandbox: (req) => {
        const id = randomUUID();
        this.sandboxes.set(id, { config: req.config as Record<string, unknown>, state: 'SANDBOX_READY', createdAt: now() });
        return { podSandboxId: id };
      },
      PodSandboxStatus: (req) => ({ status: sandboxView(String(req.podSandboxId)) }),
      ListPodSandbox: () => ({ items: [...this.sandboxes.keys()].map(sandboxView) }),
      StopPodSandbox: (req) => {
        this.sandbox(req.podSandboxId).state = 'SANDBOX_NOTREADY';
        return {};
      },
      RemovePodSandbox: (req) => {
        this.sandboxes.delete(String(req.podSandboxId));
        return {};
      },
      CreateContainer: (req) => {
        this.sandbox(req.podSandboxId);
        const id = randomUUID();
        this.containers.set(id, { sandboxId: String(req.podSandboxId), config: req.config as Record<string, unknown>, state: 'CONTAINER_CREATED', createdAt: now(), startedAt: 0, finishedAt: 0, exitCode: 0 });
        return { containerId: id };
      },
      StartContainer: (req) => {
        const c = this.container(req.containerId);
        Object.assign(c, { state: 'CONTAINER_RUNNING', startedAt: now() });
        return {};
      },
      StopContainer: (req) => {
        const c = this.container(req.containerId);
        Object.assign(c, { state: 'CONTAINER_EXITED', finishedAt: now(), exitCode: 0 });
        return {};
      },
      RemoveContainer: (req) => {
        this.containers.delete(String(req.containerId));
        return {};
      },
      ContainerStatus: (req) => {
        const c = this.container(req.containerId);
        return { status: { ...containerView(String(req.containerId)), startedAt: c.startedAt, finishedAt: c.finishedAt, exitCode: c.exitCode, mounts: c.config.mounts, logPath: '' } };
      },
      ListContainers: (req) => {
        const f = (req.filter ?? {}) as { id?: string; podSandboxId?: string };
        return { containers: [...this.containers.keys()].filter((id) => (!f.id || id === f.id) && (!f.podSandboxId || this.containers.get(id)!.sandboxId === f.podSandboxId)).map(containerView) };
      },
      UpdateContainerResources: (req) => {
        this.container(req.containerId);
        return {};
      },
      ExecSync: (req) => {
        this.container(req.containerId);
        return { stdout: Buffer.from(`${(req.cmd as string[]).join(' ')}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
      },
    };
  }

  private imageHandlers(): Record<string, Handler> {
    return {
      PullImage: (req) => ({ imageRef: `sha256:${Buffer.from(String((req.image as { image: string }).image)).toString('hex').slice(0, 64)}` }),
      ImageStatus: () => ({}),
    };
  }
}
