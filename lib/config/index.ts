/**
 * The one configuration of durable-scientist: every setting, its environment variable, its
 * default and its meaning live in SETTINGS (settings.ts). The config is parsed and validated once
 * at process start and passed down; nothing else reads `process.env`.
 *
 * Sources, later wins: defaults → the env file (`scientist.env` in the project root, or the file
 * named by SCIENTIST_ENV_FILE) → the process environment. Secrets are read from the process
 * environment only, so they never sit in a file that might be committed or copied into a run.
 */
export { describeConfig, settingsMarkdown } from './describe';
export { envFilePath, parseEnvFile, withEnvFileValues } from './env-file';
export { loadConfig, loadProcessConfig, type Config } from './load';
export { readLlmParams, readLlmPrices, readModelRef, SETTINGS } from './settings';
