/** Services stay up between runs on purpose: the next run (and the developer) reuses them. */
export default function globalTeardown(): void {}
