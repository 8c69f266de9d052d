import { EventEmitter } from 'node:events';
import type { LogLine, Run, RunEvent } from '../../contracts/rest';

/**
 * In-process fan-out of what was just written: run events (SSE, MCP progress), log lines
 * (log stream) and run changes (views). The database stays the source of truth; the bus only
 * saves subscribers from polling.
 */
export class Bus {
  private readonly emitter = new EventEmitter();
  constructor() {
    // Every open SSE stream and MCP call is a listener; the default cap of 10 is for leaks in small apps.
    this.emitter.setMaxListeners(0);
  }

  emitRunEvent(event: RunEvent): void {
    this.emitter.emit(`run:${event.runId}`, event);
  }
  emitRun(run: Run): void {
    this.emitter.emit('run', run);
  }
  emitLog(line: LogLine): void {
    this.emitter.emit('log', line);
  }

  onRunEvents(runId: string, fn: (e: RunEvent) => void): () => void {
    return this.on(`run:${runId}`, fn);
  }
  onRun(fn: (r: Run) => void): () => void {
    return this.on('run', fn);
  }
  onLog(fn: (l: LogLine) => void): () => void {
    return this.on('log', fn);
  }

  private on<T>(name: string, fn: (v: T) => void): () => void {
    this.emitter.on(name, fn);
    return () => this.emitter.off(name, fn);
  }
}
