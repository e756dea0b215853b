/**
 * Colour conversion for RecommendedDisplayCIELabValue (PS3.3 C.10.7.1.1): three unsigned 16-bit values,
 * L* 0..100 scaled to 0..0xFFFF and a*, b* -128..127 scaled to 0..0xFFFF. We convert through CIE XYZ
 * with the D65 white point, as dcmjs, dcmqi and 3D Slicer do, so colours survive a round trip through them.
 */

const WHITE = [0.95047, 1.0, 1.08883];

/** sRGB (0..255 per channel) to DICOM-scaled CIELab (0..65535 per value). */
export function rgbToDicomLab(rgb: readonly [number, number, number]): [number, number, number] {
  const [r, g, b] = rgb.map((c) => {
    const v = Math.min(255, Math.max(0, c)) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  const xyz = [0.4124564 * r + 0.3575761 * g + 0.1804375 * b, 0.2126729 * r + 0.7151522 * g + 0.072175 * b, 0.0193339 * r + 0.119192 * g + 0.9503041 * b];
  const [fx, fy, fz] = xyz.map((v, i) => {
    const t = v / WHITE[i];
    return t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
  });
  const L = 116 * fy - 16;
  const a = 500 * (fx - fy);
  const bb = 200 * (fy - fz);
  const scale = (v: number) => Math.round(Math.min(65535, Math.max(0, v)));
  return [scale((L * 65535) / 100), scale(((a + 128) * 65535) / 255), scale(((bb + 128) * 65535) / 255)];
}

/** DICOM-scaled CIELab (0..65535 per value) to sRGB (0..255 per channel, rounded and clipped to the gamut). */
export function dicomLabToRgb(lab: readonly [number, number, number]): [number, number, number] {
  const L = (lab[0] * 100) / 65535;
  const a = (lab[1] * 255) / 65535 - 128;
  const b = (lab[2] * 255) / 65535 - 128;
  const fy = (L + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const [x, y, z] = [fx, fy, fz].map((f, i) => {
    const t = f ** 3 > 216 / 24389 ? f ** 3 : (116 * f - 16) / (24389 / 27);
    return t * WHITE[i];
  });
  const linear = [3.2404542 * x - 1.5371385 * y - 0.4985314 * z, -0.969266 * x + 1.8760108 * y + 0.041556 * z, 0.0556434 * x - 0.2040259 * y + 1.0572252 * z];
  return linear.map((v) => {
    const c = v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055;
    return Math.round(Math.min(255, Math.max(0, c * 255)));
  }) as [number, number, number];
}
