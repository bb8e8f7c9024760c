import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';

export const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates');
export const FIXTURES = path.join(__dirname, 'fixtures');
export const SHIPPED_TEMPLATES = ['grokking', 'diffusion2d', 'nanogpt'] as const;
