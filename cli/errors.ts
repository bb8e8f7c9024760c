/**
 * How the operator commands fail: the exit codes scripts can tell apart, the one error whose
 * message goes to the operator as is, and how to read Temporal's gRPC errors (server down,
 * deadline passed, the innermost message of a failure chain).
 */
import { isGrpcServiceError } from '@temporalio/client';

/** Exit codes, documented in the README: scripts can tell the failures apart. */
export const EXIT = {
  error: 1,
  usage: 2,
  notFound: 3,
  unreachable: 4,
  rejected: 5,
  noWorker: 6,
} as const;

/** An error whose message is meant for the operator as is. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly code: keyof typeof EXIT = 'error',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** gRPC UNAVAILABLE, or the SDK's own "could not connect" error. */
export function isConnectionError(err: unknown): boolean {
  if (isGrpcServiceError(err) && Number(err.code) === GRPC_UNAVAILABLE) return true;
  const cause = err instanceof Error ? err.cause : undefined;
  if (isGrpcServiceError(cause) && Number(cause.code) === GRPC_UNAVAILABLE) return true;
  return err instanceof Error && /Failed to connect before the deadline|ECONNREFUSED/.test(err.message);
}

/** gRPC CANCELLED or DEADLINE_EXCEEDED: a call's deadline ran out before the answer came. */
export function isDeadline(err: unknown): boolean {
  return isGrpcServiceError(err) && [GRPC_CANCELLED, GRPC_DEADLINE_EXCEEDED].includes(Number(err.code));
}

/** The innermost message of a failure chain (the one that says what went wrong). */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  let msg = err instanceof Error ? err.message : String(err);
  while (e instanceof Error && e.cause instanceof Error) {
    e = e.cause;
    if ((e as Error).message) msg = (e as Error).message;
  }
  return msg;
}
