/**
 * The research pipeline's `Ask` port (activities/research/ask.ts) served by the LLM layer: one
 * prompt in, text/parsed/spend out, the transcript at the key the caller derived from its
 * workflow id and step. Inside an activity it streams with heartbeats and stops on cancel.
 */
import { LlmOutputInvalidError } from '../../lib/errors';
import type { Ask, AskAnswer, AskRequest, StructuredAnswer } from '../research/ask';
import type { ActivityDeps } from '../deps';
import { activityStreaming, llmClientFor } from './activity';
import { recordedCallFull } from './recorded';

/** Builds `ask` over the deps' config (or `deps.llmProvider` in tests). */
export function createAsk(deps: Pick<ActivityDeps, 'config' | 'log' | 'store' | 'llmProvider'>): Ask {
  const llm = llmClientFor(deps);
  const ask = async <T>(req: AskRequest<T>): Promise<AskAnswer | StructuredAnswer<T>> => {
    // The local model writes to every limit it is given: it gets the compact schema, and the
    // answer's own length as its limit (see AskRequest).
    const local = (deps.llmProvider?.name ?? llm.roles.model(req.role).provider) === 'local';
    const schema = local && req.compactSchema ? req.compactSchema : req.schema;
    const maxTokens = req.maxTokens ?? (local ? req.answerTokens : undefined);
    try {
      const { result, text, parsed } = await recordedCallFull(
        { llm, store: deps.store },
        req.transcriptKey,
        {
          role: req.role,
          system: req.system,
          context: req.context?.filter((c) => c.text.trim() !== ''),
          messages: [
            { role: 'user', content: req.prompt, ...(req.images?.length ? { images: req.images } : {}) },
          ],
          schema,
          maxTokens,
        },
        activityStreaming(req.transcriptKey),
      );
      const answer = { text, spend: result.spend, transcriptKey: result.key };
      return req.schema ? { ok: true, parsed: parsed as T, ...answer } : answer;
    } catch (err) {
      if (!(err instanceof LlmOutputInvalidError) || !req.schema) throw err;
      return {
        ok: false,
        problem: err.message,
        rawKey: err.rawKey ?? '',
        spend: err.spend,
        transcriptKey: req.transcriptKey,
      };
    }
  };
  return ask as Ask;
}
