export type { SandboxLimits, SandboxOutcome, SandboxResult, SandboxRunSpec, SandboxRunner } from './runner';
export { DockerSandboxRunner, LABEL } from './docker-runner';
export { ensureSandboxImage, localSandboxTag, sandboxImage } from './images';
export { sandboxLimits } from './policy';
