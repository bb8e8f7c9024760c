/**
 * Runs every bench in turn (`npm run bench`). Add a bench by adding its module to BENCHES:
 * each exports `main()`.
 */
const BENCHES: { name: string; load: () => Promise<{ main: () => Promise<void> }> }[] = [
  { name: 'sandbox', load: () => import('./sandbox') },
  { name: 'llm', load: () => import('./llm') },
];

async function runAll(): Promise<void> {
  for (const bench of BENCHES) {
    console.log(`\n== bench: ${bench.name} ==`);
    await (await bench.load()).main();
  }
}

runAll().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
