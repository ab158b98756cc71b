// Waiting for something asynchronous to become true in an integration test, without sleeping
// a fixed time: poll the check until it passes, or fail with its last error.

/** Polls until `check` passes (it throws while not yet), or fails with its last error. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
