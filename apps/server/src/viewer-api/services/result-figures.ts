/**
 * Per-class % of lung of a succeeded multi-class job's stored result (jobs/job-result.ts), or null for a
 * binary model's result or none. Read defensively: the result column holds JSON written by older versions too.
 */
export function classInvolvementOf(result: unknown): { ggo: number; consolidation: number } | null {
  const classes = (result as { quantification?: { classes?: { ggo?: { involvementPercent?: unknown }; consolidation?: { involvementPercent?: unknown } } } | null } | null)?.quantification?.classes;
  const ggo = classes?.ggo?.involvementPercent;
  const consolidation = classes?.consolidation?.involvementPercent;
  return typeof ggo === 'number' && Number.isFinite(ggo) && typeof consolidation === 'number' && Number.isFinite(consolidation) ? { ggo, consolidation } : null;
}
