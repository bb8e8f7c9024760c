/**
 * Two projects:
 * - `unit`: pure functions and local fakes; no service is started (`npm run test:unit`, seconds).
 * - `services`: everything else, against the real services that infra/setup.sh installs and
 *   the global setup starts (Temporal, S3, Docker, LaTeX, the local model).
 * A jest timeout here is a safety net several times a suite's expected time, never a speed
 * assertion: speed lives in `npm run bench`.
 */
const shared = {
  testEnvironment: 'node',
  // Types are checked once by `npm run typecheck`; the tests only transpile.
  transform: { '^.+\\.ts$': 'ts-jest' },
};

module.exports = {
  // Workers and clients hold sockets; a leaked one must not hang CI.
  forceExit: true,
  testTimeout: 300_000,
  reporters: ['default', '<rootDir>/test/harness/summary-reporter.js'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/test/unit'],
      testMatch: ['**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'services',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['<rootDir>/test/unit/'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
  ],
};
