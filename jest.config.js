/** Tests run against the real services that infra/setup.sh installs and starts. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  testTimeout: 120_000,
  // Workers and clients hold sockets; a leaked one must not hang CI.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/harness/summary-reporter.js'],
};
