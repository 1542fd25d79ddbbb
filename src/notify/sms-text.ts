// GSM 03.38: the 7-bit alphabet an SMS segment of 160 characters uses. Anything outside it switches the whole
// message to UCS-2, where a segment holds only 70 characters.
const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
/** Characters of the extension table: allowed, but each takes two septets. */
const GSM7_EXTENDED = new Set("^{}\\[~]|€\f");

export const GSM7_SEGMENT = 160;
export const UCS2_SEGMENT = 70;

/** Typographic characters that alert texts often carry, and their GSM-7 look-alikes. */
const LOOK_ALIKES: Record<string, string> = {
  "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
  "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...", "\u00a0": " ", "\u2022": "*", "\u00b7": "*",
  "\u2264": "<=", "\u2265": ">=", "\u00d7": "x", "\u2192": "->", "\t": " ",
};

/** Replace typographic characters by GSM-7 ones and collapse runs of spaces; other characters are kept. */
export function toGsm7(text: string): string {
  let out = "";
  for (const char of text) out += LOOK_ALIKES[char] ?? char;
  return out.replace(/[ ]{2,}/g, " ").trim();
}

export function isGsm7(text: string): boolean {
  for (const char of text) if (!GSM7_BASIC.has(char) && !GSM7_EXTENDED.has(char)) return false;
  return true;
}

/** How long `text` is in the units of its encoding: septets for GSM-7, UTF-16 code units for UCS-2. */
export function smsUnits(text: string): { encoding: "GSM-7" | "UCS-2"; units: number; segmentSize: number } {
  if (!isGsm7(text)) return { encoding: "UCS-2", units: text.length, segmentSize: UCS2_SEGMENT };
  let units = 0;
  for (const char of text) units += GSM7_EXTENDED.has(char) ? 2 : 1;
  return { encoding: "GSM-7", units, segmentSize: GSM7_SEGMENT };
}

export function fitsOneSegment(text: string): boolean {
  const { units, segmentSize } = smsUnits(text);
  return units <= segmentSize;
}

/**
 * Render an SMS that fits one segment where possible: typographic characters become GSM-7 ones, and if it is still
 * too long the title (the only free-length part; the template's fixed words, such as the reply code, stay) is cut
 * with "..." until it fits. A template whose fixed text alone is too long is sent as it is, in several segments.
 */
export function fitSms(render: (title: string) => string, title: string): string {
  const full = toGsm7(render(title));
  if (fitsOneSegment(full)) return full;
  const cleanTitle = toGsm7(title);
  let low = 0;
  let high = cleanTitle.length;
  let best: string | undefined;
  // The longest cut of the title that still fits: the rendered length grows with the title's length.
  while (low <= high) {
    const keep = Math.floor((low + high) / 2);
    const candidate = toGsm7(render(keep >= cleanTitle.length ? cleanTitle : `${cleanTitle.slice(0, keep).trimEnd()}...`));
    if (fitsOneSegment(candidate)) {
      best = candidate;
      low = keep + 1;
    } else high = keep - 1;
  }
  return best ?? full;
}
