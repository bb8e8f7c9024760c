/**
 * Runs the benches (`npm run bench`: every one in turn; `npm run bench -- dispatch`: one by name,
 * the arguments after its name go to it, e.g. `npm run bench -- gpu-slots 4x2 1000`). Add a bench
 * by adding its module to BENCHES: each exports `main(argv)`.
 */
type Bench = { main: (argv?: string[]) => Promise<void> };

const BENCHES: { name: string; load: () => Promise<Bench> }[] = [
  { name: 'sandbox', load: () => import('./sandbox') },
  { name: 'llm', load: () => import('./llm') },
  { name: 'dispatch', load: () => import('./dispatch') },
  { name: 'gpu-slots', load: () => import('./gpu-slots') },
  { name: 'crash', load: () => import('./crash') },
  { name: 'models', load: () => import('./models') },
  { name: 'cluster', load: () => import('./cluster') },
  { name: 'cluster-hosts', load: () => import('./cluster-hosts') },
];

async function run(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name !== undefined) {
    const bench = BENCHES.find((b) => b.name === name);
    if (!bench) throw new Error(`no bench "${name}"; benches: ${BENCHES.map((b) => b.name).join(', ')}`);
    await (await bench.load()).main(rest);
    return;
  }
  for (const bench of BENCHES) {
    console.log(`\n== bench: ${bench.name} ==`);
    await (await bench.load()).main([]);
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
