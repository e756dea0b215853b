import { isDicomUid } from '../../core/dtos/dicom-uid';

/**
 * The DICOMweb resources the proxy may read (PS3.18 §10.4 WADO-RS, §10.6 QIDO-RS, §8.7 rendered and
 * thumbnail), as a grammar over path segments. Anything else is refused, so an endpoint whose base URL
 * is a server's root (Orthanc's `/`, with `/instances/<id>/file`, `/tools/...`, `/system`) exposes
 * only its DICOMweb routes. UIDs must be well-formed (PS3.5 §9.1), which also refuses Orthanc's own
 * hex ids in `studies/<id>`. Returns why a path is refused, or undefined when it is a DICOMweb resource.
 */
export function whyNotDicomwebPath(segments: readonly string[]): string | undefined {
  const uid = (i: number) => isDicomUid(segments[i]);
  const [root] = segments;
  // QIDO at the root: /studies, /series, /instances (PS3.18 §10.6.1).
  if (segments.length === 1) return root === 'studies' || root === 'series' || root === 'instances' ? undefined : `${JSON.stringify(root)} is not a DICOMweb resource`;
  if (root !== 'studies') return 'only /studies/{uid}/… resources are read below the root';
  if (!uid(1)) return 'the study is not a DICOM UID';
  // QIDO of the study's instances: studies/{uid}/instances (PS3.18 §10.6.1, no series level).
  if (segments.length === 3 && segments[2] === 'instances') return undefined;
  let at = 2;
  for (const level of ['series', 'instances']) {
    if (segments[at] !== level) break;
    if (at + 1 === segments.length) return undefined; // QIDO: studies/{uid}/series, …/series/{uid}/instances
    if (!uid(at + 1)) return `the ${level === 'series' ? 'series' : 'instance'} is not a DICOM UID`;
    at += 2;
  }
  const rest = segments.slice(at);
  if (rest.length === 0) return undefined; // WADO-RS retrieve of the study, series or instance
  const [resource, ...tail] = rest;
  const atInstance = segments[at - 2] === 'instances';
  if ((resource === 'metadata' || resource === 'rendered' || resource === 'thumbnail') && tail.length === 0) return undefined;
  if (resource === 'frames' && atInstance && tail.length >= 1 && /^[1-9][0-9]{0,5}(,[1-9][0-9]{0,5}){0,511}$/.test(tail[0]!)) {
    if (tail.length === 1) return undefined;
    if (tail.length === 2 && (tail[1] === 'rendered' || tail[1] === 'thumbnail')) return undefined;
  }
  // BulkDataURIs (PS3.18 §10.4.1.1.5 leaves their form to the origin server): Orthanc's dicomweb plugin
  // writes …/instances/{uid}/bulk/<tag>[/<index>/<tag>…]; others use …/bulkdata/<tag>.
  if ((resource === 'bulk' || resource === 'bulkdata') && atInstance && tail.length >= 1 && tail.length <= 9 && tail.every((s) => /^[0-9A-Fa-f]{8}$|^[0-9]{1,6}$/.test(s))) return undefined;
  return `${JSON.stringify(rest.join('/').slice(0, 60))} is not a DICOMweb resource of ${segments[at - 2] ?? 'the study'}`;
}

/**
 * Whether a checked proxy path retrieves a whole study or series (`studies/{uid}`,
 * `studies/{uid}/series/{uid}`, PS3.18 §10.4.1.1.1): every instance in bulk, tens of MB for a CT series.
 */
export function isBulkRetrieve(path: string): boolean {
  const segments = path.split('/');
  return segments[0] === 'studies' && (segments.length === 2 || (segments.length === 4 && segments[2] === 'series'));
}
