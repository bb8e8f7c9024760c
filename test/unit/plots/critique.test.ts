/**
 * The figure critique's pure parts: which models take images (one home: the model table under
 * SCIENTIST_LLM_IMAGE_MODELS), the checks a sandbox-made figure passes before it is sent, and
 * the bounded summary of the run data; and the LLM client refusing images for a model without them.
 */
import { createLlmClient } from '../../../activities/llm/client';
import { PriceTable } from '../../../activities/llm/prices';
import { roleImageSupport } from '../../../activities/llm/roles';
import {
  checkFigureBytes,
  CRITIQUE_CAPS,
  critiqueText,
  describeNpy,
  runDataSummary,
} from '../../../activities/plots';
import { encodePng } from '../../../activities/review-bench/png';
import { InvalidInputError } from '../../../lib/errors';
import { FakeLlmServer } from '../../llm/fake-llm-server';
import { llmConfig, recordingLogger } from '../../llm/helpers';

const log = recordingLogger();

describe('which models take images', () => {
  test('the table knows the hosted vision models; the local models and text-only ones take none', () => {
    const t = new PriceTable(undefined, log);
    expect(t.takesImages({ provider: 'openai', model: 'gpt-4o-2024-08-06' })).toBe(true);
    expect(t.takesImages({ provider: 'openai', model: 'openai/gpt-4.1-mini' })).toBe(true);
    expect(t.takesImages({ provider: 'anthropic', model: 'claude-sonnet-4-5' })).toBe(true);
    expect(t.takesImages({ provider: 'openai', model: 'o3-mini' })).toBe(false);
    expect(t.takesImages({ provider: 'openai', model: 'deepseek-chat' })).toBe(false);
    expect(t.takesImages({ provider: 'openai', model: 'some-unknown-model' })).toBe(false);
    expect(t.takesImages({ provider: 'local', model: 'qwen2.5-coder-1.5b' })).toBe(false);
  });

  test('SCIENTIST_LLM_IMAGE_MODELS adds models (by prefix) and takes them away with -id', () => {
    const t = new PriceTable(undefined, log, 4096, ['qwen2.5-vl', '-gpt-4o-mini']);
    expect(t.takesImages({ provider: 'openai', model: 'qwen2.5-vl:7b' })).toBe(true);
    expect(t.takesImages({ provider: 'openai', model: 'qwen2.5-coder:7b' })).toBe(false);
    expect(t.takesImages({ provider: 'openai', model: 'gpt-4o-mini' })).toBe(false);
    expect(t.takesImages({ provider: 'openai', model: 'gpt-4o' })).toBe(true);
    // A local model never does, whatever the setting says.
    expect(
      new PriceTable(undefined, log, 4096, ['smollm2']).takesImages({ provider: 'local', model: 'smollm2' }),
    ).toBe(false);
  });

  test('the review role’s model, from config alone', () => {
    expect(roleImageSupport(llmConfig({}), 'review')).toEqual({
      model: 'local:smollm2-135m-instruct-q4_1',
      images: false,
    });
    const hosted = llmConfig({
      SCIENTIST_LLM_REVIEW: 'openai:llava-13b',
      SCIENTIST_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      SCIENTIST_LLM_IMAGE_MODELS: 'llava',
    });
    expect(roleImageSupport(hosted, 'review')).toEqual({ model: 'openai:llava-13b', images: true });
    expect(roleImageSupport(hosted, 'coding')).toEqual({
      model: 'local:smollm2-135m-instruct-q4_1',
      images: false,
    });
  });

  test('a setting that is not a list of model ids is refused at load', () => {
    expect(() => llmConfig({ SCIENTIST_LLM_IMAGE_MODELS: 'gpt-4o; rm -rf' })).toThrow(
      /SCIENTIST_LLM_IMAGE_MODELS/,
    );
  });

  test('the client refuses images for a model that takes none, before anything is sent', async () => {
    const server = await FakeLlmServer.start();
    try {
      const llm = createLlmClient({
        config: llmConfig({
          SCIENTIST_LLM_DEFAULT: 'openai:deepseek-chat',
          SCIENTIST_OPENAI_API_KEY: 'sk-test',
          SCIENTIST_OPENAI_BASE_URL: server.openaiBaseUrl,
        }),
        log,
      });
      const call = llm.call({
        role: 'review',
        system: 's',
        messages: [
          { role: 'user', content: 'look', images: [{ mediaType: 'image/png', base64: 'iVBORw0KGgo=' }] },
        ],
      });
      await expect(call).rejects.toThrow(InvalidInputError);
      await expect(call).rejects.toThrow(/deepseek-chat takes no images/);
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('a figure is checked before it is sent', () => {
  const png = encodePng(4, 3, new Uint8Array(4 * 3 * 3).fill(200));

  test('a real PNG passes with its size', () => {
    expect(checkFigureBytes(png)).toEqual({ ok: true, width: 4, height: 3 });
  });

  test('bytes without the PNG signature, without IHDR first, too large or with absurd sides do not', () => {
    expect(
      checkFigureBytes(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/> padding padding')),
    ).toEqual({
      ok: false,
      why: 'not a PNG (no PNG signature)',
    });
    const noIhdr = Buffer.from(png);
    noIhdr.write('IDAT', 12, 'latin1');
    expect(checkFigureBytes(noIhdr)).toMatchObject({ ok: false, why: 'not a PNG (no IHDR chunk first)' });
    const huge = Buffer.from(png);
    huge.writeUInt32BE(100_000, 16);
    expect(checkFigureBytes(huge)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/100000×3 pixels/) as string,
    });
    const big = Buffer.concat([png, Buffer.alloc(CRITIQUE_CAPS.imageBytes)]);
    expect(checkFigureBytes(big)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/over the \d+-byte limit/) as string,
    });
  });
});

describe('the run data, summarised and bounded', () => {
  const npyOf = (descr: string, shape: string, data: Buffer) => {
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
    head.writeUInt16LE(header.length, 8);
    return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
  };

  test('a numeric array by dtype, shape and range; a pickled dict by its header only', () => {
    const f4 = Buffer.alloc(16);
    [3, -1, 7, 2].forEach((v, i) => f4.writeFloatLE(v, i * 4));
    expect(describeNpy(npyOf('<f4', '(2, 2)', f4))).toBe(
      'dtype <f4, shape (2, 2): first 3, last 2, min -1, max 7',
    );
    expect(describeNpy(npyOf('|O', '()', Buffer.from('\x80\x04pickle', 'latin1')))).toBe(
      'a pickled Python object (dtype |O), not read on the host',
    );
    expect(describeNpy(Buffer.from('not numpy at all'))).toBe('not a .npy file');
    // A header that claims more data than the file has: dtype and shape only.
    expect(describeNpy(npyOf('<f8', '(1000,)', Buffer.alloc(8)))).toBe('dtype <f8, shape (1000)');
  });

  test('per run: final_info.json compact and cut, other files by size; the whole cut at its cap', () => {
    const files = {
      'run_0/final_info.json': Buffer.from(
        JSON.stringify({ ds: { means: { val_acc: 0.5 } }, pad: 'x'.repeat(5000) }),
      ),
      'run_0/all_results.npy': npyOf('|O', '()', Buffer.alloc(10)),
      'run_0/log.txt': Buffer.from('hello'),
      'run_1/final_info.json': Buffer.from('{"ds": {"means": {"val_acc": NaN}}}'),
      'run_2/final_info.json': Buffer.from('{"ignored": true}'),
    };
    const s = runDataSummary(files, ['run_0', 'run_1', 'run_9']);
    expect(s).toContain('run_0:\n  all_results.npy (');
    expect(s).toContain('a pickled Python object');
    expect(s).toContain('  final_info.json: {"ds":{"means":{"val_acc":0.5}}');
    expect(s).toContain(' …(cut)');
    expect(s).toContain('  log.txt (5 bytes)');
    expect(s).toContain('run_1:\n  final_info.json: {"ds":{"means":{"val_acc":"NaN"}}}');
    expect(s).toContain('run_9:\n  (no files)');
    expect(s).not.toContain('ignored');
    const many = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`run_${i}/final_info.json`, Buffer.from('{"a": 1}')]),
    );
    const bounded = runDataSummary(
      many,
      Array.from({ length: 400 }, (_, i) => `run_${i}`),
    );
    expect(bounded.length).toBeLessThanOrEqual(CRITIQUE_CAPS.dataChars + 10);
  });

  test('the report in words: each figure’s verdict, its caption check and its fixes', () => {
    const text = critiqueText({
      model: 'openai:gpt-4o',
      attempt: 1,
      dataSummary: '',
      figures: [
        { file: 'a.png', figureKey: 'k', caption: 'Loss.', notSent: 'not a PNG (no PNG signature)' },
        {
          file: 'b.png',
          figureKey: 'k2',
          caption: 'Accuracy rises.',
          critique: {
            legibility: 'Fine.',
            labelsAndLegend: 'Legend says run_1.',
            matchesCaption: false,
            captionCheck: 'It falls.',
            fixes: ['name the runs'],
            verdict: 'needs-fix',
          },
        },
      ],
    });
    expect(text).toContain('a.png: not shown to the model: not a PNG');
    expect(text).toContain('b.png (needs-fix)');
    expect(text).toContain('Caption "Accuracy rises.": NOT what the figure shows. It falls.');
    expect(text).toContain('Fixes: name the runs');
  });
});
