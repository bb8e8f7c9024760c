// Every workflow the workers serve. Workflow code is deterministic: no I/O, only activity types.
export { healthCheckWorkflow } from './health';
export type { HealthCheckInput, HealthCheckResult } from './health';
