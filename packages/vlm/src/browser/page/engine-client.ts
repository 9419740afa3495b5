/// <reference lib="dom" />
/**
 * The page's side of the engine worker (engine/protocol.ts): `call` posts a request and
 * resolves with its result; `onEvent` hears progress and training steps.
 */

import type { EngineEvent, EngineResponse, MethodName, ParamsOf, ResultOf } from "../engine/protocol.js";

export class EngineClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly listeners: ((event: EngineEvent) => void)[] = [];

  constructor(url: string) {
    this.worker = new Worker(url, { type: "module", name: "duet-engine" });
    this.worker.onmessage = (message: MessageEvent<EngineResponse | EngineEvent>) => {
      const data = message.data;
      if ("event" in data) {
        for (const listener of this.listeners) listener(data);
        return;
      }
      const waiting = this.pending.get(data.id);
      if (waiting === undefined) return;
      this.pending.delete(data.id);
      if (data.ok) waiting.resolve(data.result);
      else waiting.reject(new Error(data.error));
    };
    this.worker.onerror = (event) => {
      const error = new Error(`the engine worker failed: ${event.message}`);
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>, transfer: Transferable[] = []): Promise<Awaited<ResultOf<M>>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, method, params }, transfer);
    });
  }

  onEvent(listener: (event: EngineEvent) => void): void {
    this.listeners.push(listener);
  }
}
