/**
 * Polls `probe` every 50 ms until it returns a value (not undefined), which it resolves with; throws
 * naming `what` after `timeoutMs`. A probe that may throw while the thing comes up catches its own errors.
 */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
