import { spawn } from 'node:child_process';
import path from 'node:path';
import type { HealthCheckResult } from '../../workflows';
import { suiteConfig, uniqueId } from '../harness';
import { connectClient } from '../../lib/temporal';

const ROOT = path.resolve(__dirname, '../..');

/** Starts `workers/<entry>` as a real process; resolves once it polls. */
function startWorkerProcess(entry: 'main' | 'gpu', env: NodeJS.ProcessEnv) {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'workers', `${entry}.ts`)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const polling = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('polling')) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`worker exited early (${code}):\n${output}`));
    });
  });
  return { child, polling, exited, output: () => output };
}

describe('worker processes', () => {
  const suite = uniqueId('procs');
  const env = {
    SCIENTIST_TASK_QUEUE: `test-${suite}-main`,
    SCIENTIST_GPU_TASK_QUEUE: `test-${suite}-gpu`,
    SCIENTIST_S3_PREFIX: `test/${suite}/`,
    SCIENTIST_GPU_COUNT: '0',
  };
  const config = suiteConfig('procs', env);

  it('serve a workflow across both queues, then shut down gracefully on SIGTERM', async () => {
    const main = startWorkerProcess('main', env);
    const gpu = startWorkerProcess('gpu', env);
    try {
      await Promise.all([main.polling, gpu.polling]);
      const client = await connectClient(config);
      try {
        const result = (await client.workflow.execute('healthCheckWorkflow', {
          workflowId: uniqueId('proc-health'),
          taskQueue: config.temporal.taskQueue,
          args: [{ gpuTaskQueue: config.temporal.gpuTaskQueue, numbers: [2, 2] }],
          workflowExecutionTimeout: '3 minutes',
        })) as HealthCheckResult;
        expect(result.sum).toBe(4);
      } finally {
        await client.connection.close();
      }
      const t0 = Date.now();
      main.child.kill('SIGTERM');
      gpu.child.kill('SIGTERM');
      expect(await main.exited).toBe(0);
      expect(await gpu.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(main.output()).toContain('stopped');
    } finally {
      main.child.kill('SIGKILL');
      gpu.child.kill('SIGKILL');
    }
  });
});
