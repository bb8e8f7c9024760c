import path from 'node:path';

/** The checkout's root folder (this file lives in `<root>/lib`). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
