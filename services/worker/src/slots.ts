/** Counts free generation slots; `acquire` waits until one is free. */
export class Slots {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {
    this.free = capacity;
  }

  get inUse(): number {
    return this.capacity - this.free;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Takes a free slot if there is one now, without waiting. */
  tryAcquire(): boolean {
    if (this.free === 0) return false;
    this.free--;
    return true;
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else if (this.free < this.capacity) this.free++;
  }
}
