/**
 * The integrity stage's activities: `checkIntegrity` (the claim check on the compiled paper's
 * text, integrity.json, and the report page as a draft to compile), `checkCitations` (each cited
 * entry resolved, each citing sentence checked against its paper's abstract), `recordSeeds`, and
 * `fixClaims` (one round for the writing model to correct what the check flagged). The words
 * the models read are in ./prompts.ts; the workflow only decides.
 */
import type { Config } from '../../lib/config';
import { classified } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { keys, type ArtifactStore } from '../../lib/store';
import { NO_SPEND, type IntegritySummary, type MainPorts } from '../../contracts';
import { applyEdits, describeFailures, EditFormatError, parseEditBlocks } from '../coder/edit-engine';
import { flattenMetrics, parsePythonJson, type FinalInfo } from '../experiments/final-info';
import { addedHazards } from '../latex/hazards';
import type { Ask } from '../research/ask';
import { searchOrDegrade } from '../research/literature';
import { loadWorkspace, updateWorkspace } from '../workspace';
import { stripMarkup, type Paper } from '../literature';
import { documentOf, type DraftWithTex } from '../writeup/document';
import { resultsTable, runResultFiles } from '../writeup/results';
import {
  citationStatus,
  CitationVerdictsSchema,
  citedKeys,
  citingSentences,
  parseEntries,
  removeCitesAt,
  resolveEntry,
  SENTENCES_CHECKED,
  stripCites,
  withoutEntries,
  type CitationReport,
} from './citations';
import { checkClaims, computeExcess, excessSentence } from './claims';
import { identicalSentence, identicalVariants, mergeSeeds, noiseGate } from './gate';
import { citationPrompt, fixClaimsPrompt } from './prompts';
import { describeFlag, reportLatex, type IntegrityReport } from './report';
import { isManifestPath, manifestsOf, setupFacts } from './setup';

/** Unsupported statements the summary lists at most. */
const UNSUPPORTED_LISTED = 20;

export interface IntegrityDeps {
  config: Config;
  store: ArtifactStore;
  ask: Ask;
  log?: Logger;
}

export function createIntegrityActivities(
  deps: IntegrityDeps,
): Pick<MainPorts, 'checkIntegrity' | 'fixClaims' | 'recordSeeds' | 'checkCitations'> {
  const { store, ask } = deps;

  return {
    async checkIntegrity({
      paperId,
      round,
      draftKey,
      textKey,
      workspace,
      idea,
      settings,
      fixRound,
      citationsKey,
    }) {
      return classified(async () => {
        const [pdfText, draft, files] = await Promise.all([
          store.getText(textKey),
          store.getJson<DraftWithTex>(draftKey),
          loadWorkspace(
            store,
            workspace,
            (p) =>
              p === 'experiment.py' ||
              p === 'prompt.json' ||
              isManifestPath(p) ||
              /^run_\d+\/final_info\.json$/.test(p),
          ),
        ]);
        const ideaText = await store.getText(idea.key).catch(() => idea.title);
        let task = '';
        try {
          const given = (
            JSON.parse(files['prompt.json']?.toString() ?? '{}') as { task_description?: unknown }
          ).task_description;
          task = typeof given === 'string' ? given : '';
        } catch {
          task = '';
        }
        const manifests = manifestsOf(files);
        const gate = noiseGate(files);
        const identical = identicalVariants(files);
        const report = checkClaims(pdfText, {
          gate,
          identical,
          metrics: resultsTable(files).numbers,
          runMetrics: runResultFiles(files)
            .filter((r) => r.info && typeof r.info === 'object')
            .map((r) => flattenMetrics(r.info as FinalInfo)),
          manifests,
          configuration: [files['experiment.py']?.toString() ?? '', ideaText, JSON.stringify(settings)].join(
            '\n',
          ),
          task,
          bibliography: draft.references,
          computeRatio: deps.config.integrity.computeRatio,
        });
        const entries = (draft.references.match(/@\w+\s*\{/g) ?? []).length;
        const full: IntegrityReport = {
          paperId,
          round,
          verdict: report.flags.length ? 'unsupported-claims' : 'clean',
          fixRound,
          ...report,
          manifests,
          compute: manifests.map((m) => ({
            run: m.runName,
            ...(m.params ? { params: m.params } : {}),
            ...(m.flops ? { flops: m.flops } : {}),
            deviceSeconds: m.deviceSeconds,
          })),
          computeUnfair: computeExcess(manifests, deps.config.integrity.computeRatio).map((e) => ({
            ...e,
            sentence: excessSentence(e),
          })),
          gates: {
            noise:
              gate.status === 'one-seed' || gate.status === 'no-variant'
                ? `not computed (${gate.status}): ${gate.sentence}`
                : `${gate.status}: ${gate.sentence}`,
            noiseGate: gate,
          },
          identical: identical.map((run) => ({ run, sentence: identicalSentence(run) })),
          citations: await (async () => {
            if (!citationsKey) return { entries, status: 'not re-resolved by this stage' };
            const cited = await store.getJson<CitationReport>(citationsKey);
            return { entries, status: citationStatus(cited), report: cited };
          })(),
        };
        await store.putJson(keys.paper(paperId, 'integrity', `integrity-${round}.json`), full);
        const reportKey = (await store.putJson(keys.paper(paperId, 'integrity', 'integrity.json'), full)).key;
        const withPage: DraftWithTex = { ...draft, appendix: reportLatex(full) };
        const nextDraft = (
          await store.putJson(keys.paper(paperId, 'integrity', `draft-${round}.json`), withPage)
        ).key;
        const summary: IntegritySummary = {
          verdict: full.verdict,
          numbers: report.numbers,
          traced: report.traced,
          flags: report.flags.length,
          unsupported: report.flags.slice(0, UNSUPPORTED_LISTED).map(describeFlag),
          manifests: manifests.length,
          ...(citationsKey ? { citations: full.citations.status.slice(0, 300) } : {}),
          fixRound,
          reportKey,
        };
        return { summary, draftKey: nextDraft };
      });
    },

    async checkCitations({ paperId, draftKey, workspace }) {
      return classified(async () => {
        const draft = await store.getJson<DraftWithTex>(draftKey);
        const files = await loadWorkspace(store, workspace, (p) => p === 'latex/template.tex');
        const tex = documentOf(draft, files['latex/template.tex']?.toString() ?? '');
        const cited = citedKeys(tex);
        const entries = parseEntries(draft.references).filter((e) => cited.has(e.key));
        const report: CitationReport = {
          cited: entries.length,
          resolved: [],
          removed: [],
          unverified: [],
          sentences: [],
          notes: [],
        };
        const papers = new Map<string, Paper>();
        for (const entry of entries) {
          const title = entry.fields.find(([n]) => n === 'title')?.[1] ?? '';
          if (!title.trim()) {
            report.removed.push({ key: entry.key, title: '', why: 'the entry has no title to resolve' });
            continue;
          }
          const found = await searchOrDegrade(deps, stripMarkup(title));
          if (found.unavailable) {
            report.unverified.push({ key: entry.key, why: found.unavailable });
            continue;
          }
          const r = resolveEntry(entry, found.papers);
          if ('paper' in r) {
            papers.set(entry.key, r.paper);
            report.resolved.push({
              key: entry.key,
              paperId: r.paper.paperId,
              title: r.paper.title,
              source: r.paper.source,
            });
          } else report.removed.push({ key: entry.key, title: stripMarkup(title), why: r.why });
        }
        const removedKeys = new Set(report.removed.map((r) => r.key));
        let after = stripCites(tex, removedKeys);
        const references = withoutEntries(draft.references, removedKeys);

        // The citing sentences of resolved papers with an abstract, put to the review model at once.
        const withAbstract = new Set([...papers].filter(([, p]) => p.abstract.trim()).map(([k]) => k));
        const all = citingSentences(after, new Set(papers.keys()));
        const noAbstract = all.filter((s) => !withAbstract.has(s.key));
        const asked = all.filter((s) => withAbstract.has(s.key)).slice(0, SENTENCES_CHECKED);
        if (noAbstract.length)
          report.notes.push(`${noAbstract.length} citing sentence(s) of papers without an abstract: unclear`);
        if (all.length - noAbstract.length > asked.length)
          report.notes.push(
            `${all.length - noAbstract.length - asked.length} citing sentence(s) beyond the first ${SENTENCES_CHECKED} not checked`,
          );
        let spend = NO_SPEND;
        const transcriptKey = keys.paper(paperId, 'integrity', 'citations.json');
        const verdicts = new Map<
          number,
          { verdict: 'supported' | 'unsupported' | 'unclear'; reason?: string }
        >();
        if (asked.length) {
          const q = citationPrompt(asked, papers);
          const res = await ask({
            role: 'review',
            transcriptKey,
            system: q.system,
            prompt: q.prompt,
            schema: CitationVerdictsSchema,
            answerTokens: 40 + 40 * asked.length,
          });
          spend = res.spend;
          if (res.ok) for (const v of res.parsed.verdicts) verdicts.set(v.id, v);
          else
            report.notes.push(
              `the review model's answer was unusable (${res.problem.slice(0, 200)}): every sentence unclear`,
            );
        }
        const unsupported = asked.filter((s) => verdicts.get(s.id)?.verdict === 'unsupported');
        for (const s of [...asked, ...noAbstract])
          report.sentences.push({
            id: s.id,
            key: s.key,
            sentence: s.sentence.slice(0, 300),
            verdict: verdicts.get(s.id)?.verdict ?? 'unclear',
            ...(verdicts.get(s.id)?.reason ? { reason: verdicts.get(s.id)!.reason } : {}),
            removed: unsupported.includes(s),
          });
        after = removeCitesAt(after, unsupported);
        const reportKey = (
          await store.putJson(keys.paper(paperId, 'integrity', 'citations-report.json'), report)
        ).key;
        const changed = after !== tex || references !== draft.references;
        const nextKey = changed
          ? (
              await store.putJson(keys.paper(paperId, 'integrity', 'cited.json'), {
                ...draft,
                tex: after,
                references,
              } satisfies DraftWithTex)
            ).key
          : draftKey;
        deps.log?.info('citations checked', { paperId, status: citationStatus(report) });
        return {
          draftKey: nextKey,
          changed,
          reportKey,
          status: citationStatus(report),
          spend,
          transcriptKey,
        };
      });
    },

    async recordSeeds({ paperId, runName, workspace, seedInfoKeys }) {
      return classified(async () => {
        const rel = `${runName}/final_info.json`;
        const files = await loadWorkspace(store, workspace, (p) => p === rel);
        const own = files[rel];
        if (!own || !seedInfoKeys.length) return { workspace, seeds: own ? 1 : 0 };
        const infos = [
          parsePythonJson(own.toString()),
          ...(await Promise.all(seedInfoKeys.map(async (k) => parsePythonJson(await store.getText(k))))),
        ];
        const merged = mergeSeeds(infos);
        deps.log?.info('seeds merged', { paperId, run: runName, seeds: infos.length });
        return {
          workspace: await updateWorkspace(store, workspace, {
            [rel]: Buffer.from(JSON.stringify(merged, null, 2)),
          }),
          seeds: infos.length,
        };
      });
    },

    async fixClaims({ paperId, draftKey, workspace, reportKey }) {
      return classified(async () => {
        const [draft, report] = await Promise.all([
          store.getJson<DraftWithTex>(draftKey),
          store.getJson<IntegrityReport>(reportKey),
        ]);
        const files = await loadWorkspace(
          store,
          workspace,
          (p) => p === 'latex/template.tex' || isManifestPath(p) || /^run_\d+\/final_info\.json$/.test(p),
        );
        const tex = documentOf(draft, files['latex/template.tex']?.toString() ?? '');
        const transcriptKey = keys.paper(paperId, 'integrity', 'fix.json');
        const res = await ask({
          role: 'writing',
          transcriptKey,
          ...fixClaimsPrompt({
            flags: report.flags,
            resultsTable: resultsTable(files).text,
            setupFacts: setupFacts(manifestsOf(files)),
            tex,
          }),
        });
        const unchanged = { draftKey, changed: false, spend: res.spend, transcriptKey };
        let blocks;
        try {
          blocks = parseEditBlocks(res.text);
        } catch (err) {
          if (err instanceof EditFormatError) return unchanged;
          throw err;
        }
        const edited = applyEdits({ 'template.tex': tex }, blocks, (p) => p === 'template.tex');
        if (!edited.ok || !blocks.length) {
          deps.log?.warn('claim fix not applied', {
            paperId,
            why: edited.ok ? 'no edit blocks' : describeFailures(edited.failures),
          });
          return unchanged;
        }
        const after = edited.files['template.tex'] ?? tex;
        // Model-written LaTeX: an edit that adds a file read, a definition or an unclosed environment is refused.
        if (after === tex || addedHazards(tex, after).length) return unchanged;
        const next: DraftWithTex = { ...draft, tex: after };
        const key = (await store.putJson(keys.paper(paperId, 'integrity', 'fixed.json'), next)).key;
        return { draftKey: key, changed: true, spend: res.spend, transcriptKey };
      });
    },
  };
}
