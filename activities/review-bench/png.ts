/**
 * Just enough raster graphics for the benchmark's figures: an RGB canvas with rectangles,
 * straight (optionally dashed) lines and text in a 5×7 bitmap font, encoded as PNG with
 * node:zlib. Ours rather than matplotlib in the sandbox so that a report needs no Docker and no
 * image (the CLI works on stored CSVs anywhere), the bytes are deterministic, and the unit tests
 * can check the figures. Pure: pixels in memory, bytes out.
 */
import { deflateSync } from 'node:zlib';

/** A colour as [red, green, blue], each 0–255. */
export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

/** Parses `#rrggbb`. */
export function hex(color: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) throw new Error(`not a #rrggbb colour: ${color}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

// A 5×7 font (upper case; lower case is drawn as upper case), one string per row, `#` = ink.
const GLYPHS: Record<string, string> = {
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '####. #...# #...# #...# #...# #...# ####.',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  ' ': '..... ..... ..... ..... ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ',': '..... ..... ..... ..... .##.. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '/': '..... ....# ...#. ..#.. .#... #.... .....',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '≥': '.#... ..#.. ...#. ..#.. .#... ..... #####',
  _: '..... ..... ..... ..... ..... ..... #####',
  "'": '..#.. ..#.. .#... ..... ..... ..... .....',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
};
const FONT = new Map(Object.entries(GLYPHS).map(([ch, rows]) => [ch, rows.split(' ')]));

/** Glyph cell in font pixels: 5 wide plus 1 of spacing, 7 high. */
export const GLYPH_W = 6;
export const GLYPH_H = 7;

export interface TextOptions {
  /** Pixels per font pixel; default 2. */
  scale?: number;
  /** Where x is: the text's left end (default), centre or right end. */
  align?: 'left' | 'center' | 'right';
  /** Rotate 90° counter-clockwise (a y-axis label); x, y is then the baseline's start. */
  vertical?: boolean;
}

/** An RGB raster; (0, 0) is the top-left pixel. Drawing outside it is clipped. */
export class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
      throw new Error(`bad canvas size ${width}×${height}`);
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const o = (yi * this.width + xi) * 3;
    this.pixels[o] = c[0];
    this.pixels[o + 1] = c[1];
    this.pixels[o + 2] = c[2];
  }

  get(x: number, y: number): Rgb {
    const o = (y * this.width + x) * 3;
    return [this.pixels[o]!, this.pixels[o + 1]!, this.pixels[o + 2]!];
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    const [r, g, b] = c;
    const px = this.pixels;
    for (let yy = y0; yy < y1; yy++)
      for (let o = (yy * this.width + x0) * 3, end = (yy * this.width + x1) * 3; o < end; o += 3) {
        px[o] = r;
        px[o + 1] = g;
        px[o + 2] = b;
      }
  }

  strokeRect(x: number, y: number, w: number, h: number, c: Rgb, width = 1): void {
    this.fillRect(x, y, w, width, c);
    this.fillRect(x, y + h - width, w, width, c);
    this.fillRect(x, y, width, h, c);
    this.fillRect(x + w - width, y, width, h, c);
  }

  /** A straight line `width` pixels thick; `dash` = [on, off] lengths in pixels. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1, dash?: [number, number]): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = (width - 1) / 2;
    for (let i = 0; i <= steps; i++) {
      if (dash) {
        const along = (i / steps) * Math.hypot(x1 - x0, y1 - y0);
        if (along % (dash[0] + dash[1]) >= dash[0]) continue;
      }
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      this.fillRect(x - half, y - half, width, width, c);
    }
  }

  /** Pixel width of `text` at `scale`. */
  static textWidth(text: string, scale = 2): number {
    return Math.max(0, text.length * GLYPH_W - 1) * scale;
  }

  /** Draws `text` with its top at y (or, vertical, its left end at y going up). */
  text(x: number, y: number, text: string, c: Rgb, options: TextOptions = {}): void {
    const scale = options.scale ?? 2;
    const w = Canvas.textWidth(text, scale);
    const shift = options.align === 'center' ? w / 2 : options.align === 'right' ? w : 0;
    let pen = 0;
    for (const ch of text.toUpperCase()) {
      const rows = FONT.get(ch) ?? FONT.get('?')!;
      rows.forEach((row, ry) => {
        for (let rx = 0; rx < row.length; rx++) {
          if (row[rx] !== '#') continue;
          const u = pen + rx * scale; // along the text
          const v = ry * scale; // down from its top
          if (options.vertical) this.fillRect(x + v, y + shift - u - scale, scale, scale, c);
          else this.fillRect(x - shift + u, y + v, scale, scale, c);
        }
      });
      pen += GLYPH_W * scale;
    }
  }

  /** The canvas as a PNG file. */
  toPng(): Buffer {
    return encodePng(this.width, this.height, this.pixels);
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as PNG chunks use it). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/**
 * Encodes 8-bit RGB pixels (row-major, `width × height × 3` bytes) as a PNG: one IHDR, one
 * zlib-compressed IDAT with filter type 0 on every row, IEND.
 */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3)
    throw new Error(`expected ${width * height * 3} bytes, got ${rgb.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour
  // compression, filter and interlace methods: 0
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
