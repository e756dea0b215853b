import type dcmjs from 'dcmjs';

/** PS3.5 Table 6.2-1, DS: a fixed or floating point number of the characters 0-9 + - E e . and spaces. */
// Padding: spaces, and NULs that some writers use instead of the space PS3.5 6.2 asks for.
const DECIMAL_STRING = /^[ \0]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \0]*$/;
/** PS3.5 Table 6.2-1, IS: an optionally signed base-10 integer, with spaces. */
const INTEGER_STRING = /^[ \0]*[+-]?\d+[ \0]*$/;

type Element = dcmjs.data.DicomElement & { _rawValue?: unknown };

/**
 * Makes every DS or IS value that breaks the PS3.5 grammar null, as dcmjs already does for values
 * with no digit at all, so that readers of geometry and rescale refuse it.
 *
 * Why: dcmjs strips the characters a DS may not hold before converting it, so `0x10\0x10` in
 * PixelSpacing read as 10 mm and `1,5` as 15. A header that says something else than a number must
 * not be read as one (issue 10: loose upload checks). Empty values (Type 2) stay as dcmjs left them.
 * Walks sequences too (Enhanced CT keeps PixelSpacing in functional group items). Mutates `dict`.
 */
export function nullMalformedNumericStrings(dict: dcmjs.data.DenaturalizedDataset): void {
  for (const element of Object.values(dict) as Element[]) {
    if (element.vr === 'SQ') {
      for (const item of element.Value ?? []) if (item && typeof item === 'object') nullMalformedNumericStrings(item as dcmjs.data.DenaturalizedDataset);
      continue;
    }
    if (element.vr !== 'DS' && element.vr !== 'IS') continue;
    const grammar = element.vr === 'DS' ? DECIMAL_STRING : INTEGER_STRING;
    const raw = Array.isArray(element._rawValue) ? element._rawValue : undefined;
    if (!raw || !element.Value) continue;
    raw.forEach((value, i) => {
      if (typeof value === 'string' && value.replace(/[ \0]/g, '') !== '' && !grammar.test(value)) element.Value![i] = null;
    });
  }
}
