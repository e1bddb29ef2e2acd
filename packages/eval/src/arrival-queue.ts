/** What happens next in virtual time: a branch's next step reaching the scheduler, or a timer. */
export type Arrival = { time: number; branch: number; step: number; timer?: undefined } | { time: number; timer: "settle" | "deadline" };

/** A binary heap of arrivals ordered by time, then by scheduling order (deterministic ties). */
export class ArrivalQueue {
  private readonly heap: Array<{ arrival: Arrival; seq: number }> = [];
  private seq = 0;

  push(arrival: Arrival): void {
    const h = this.heap;
    h.push({ arrival, seq: this.seq++ });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): Arrival | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top?.arrival;
  }
}

function before(a: { arrival: Arrival; seq: number }, b: { arrival: Arrival; seq: number }): boolean {
  return a.arrival.time < b.arrival.time || (a.arrival.time === b.arrival.time && a.seq < b.seq);
}
