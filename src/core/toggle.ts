// A process-wide on/off switch that a benchmark can flip around one run and have restored afterwards, also
// when the run is async or throws: how stock tfjs is timed beside our kernels, and eager beside replayed.
export class Toggle {
  constructor(private on = true) {}

  get enabled(): boolean {
    return this.on;
  }

  set(on: boolean): void {
    this.on = on;
  }

  /** Runs `f` with the switch set to `on`, then restores it (after the promise settles when `f` is async). */
  with<T>(on: boolean, f: () => T): T {
    const was = this.on;
    this.on = on;
    let result: T;
    try {
      result = f();
    } catch (e) {
      this.on = was;
      throw e;
    }
    if (result instanceof Promise) return result.finally(() => { this.on = was; }) as T;
    this.on = was;
    return result;
  }
}
