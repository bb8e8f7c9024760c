/** Small papers for the LaTeX tests, and a real PNG made here (no binary fixtures in the repo). */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A `size`×`size` RGB PNG with a diagonal gradient. */
export function gradientPng(size = 32): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3); // filter byte 0, then pixels
    for (let x = 0; x < size; x++) {
      row[1 + x * 3] = (x * 255) / size;
      row[2 + x * 3] = (y * 255) / size;
      row[3 + x * 3] = 128;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const GOOD_SENTENCE = 'Grokking appears after long training.';

export const REFS_BIB = `@article{power2022grokking,
  title = {Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets},
  author = {Power, Alethea and Burda, Yuri and Edwards, Harri and Babuschkin, Igor and Misra, Vedant},
  journal = {arXiv preprint arXiv:2201.02177},
  year = {2022}
}

@inproceedings{vaswani2017attention,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish and others},
  booktitle = {Advances in Neural Information Processing Systems},
  year = {2017}
}
`;

/** A small natbib paper: bibliography, a PNG figure, a section in an \input file, a reference. */
export function goodPaper(): Record<string, string | Buffer> {
  return {
    'main.tex': String.raw`\documentclass{article}
\usepackage[numbers]{natbib}
\usepackage{graphicx}
\usepackage{amsmath}
\usepackage{booktabs}
\title{A Small Paper}
\author{Durable Scientist}
\begin{document}
\maketitle
\begin{abstract}
We study a toy problem.
\end{abstract}
\input{sections/intro}
\section{Results}
As Figure~\ref{fig:loss} shows, validation accuracy rises late \citep{vaswani2017attention}.
\begin{figure}[h]
  \centering
  \includegraphics[width=0.3\linewidth]{figures/loss.png}
  \caption{Training loss.}
  \label{fig:loss}
\end{figure}
\begin{table}[h]
  \centering
  \begin{tabular}{lr}
    \toprule
    Run & Accuracy \\
    \midrule
    baseline & 0.98 \\
    \bottomrule
  \end{tabular}
  \caption{Final accuracy.}
\end{table}
\bibliographystyle{plainnat}
\bibliography{references}
\end{document}
`,
    'sections/intro.tex': String.raw`\section{Introduction}
${GOOD_SENTENCE} We follow \citet{power2022grokking}.
% A comment with an unbalanced { brace and \cite{commented-out} that the pre-checks ignore.
`,
    'references.bib': REFS_BIB,
    'figures/loss.png': gradientPng(),
  };
}

/** A one-file document around `body`, with natbib and graphicx loaded. */
export function doc(body: string): string {
  return `\\documentclass{article}\n\\usepackage{natbib}\n\\usepackage{graphicx}\n\\begin{document}\n${body}\n\\end{document}\n`;
}
