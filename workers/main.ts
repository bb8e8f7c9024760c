/** The main worker: workflows, LLM calls and CPU work, on SCIENTIST_TASK_QUEUE. */
import { exitOnFailure, runWorkerProcess } from './run';

exitOnFailure(runWorkerProcess('main'), 'main');
