/** Small UI preferences kept in localStorage (never patient data). */
const ENDPOINT_KEY = 'covseg.endpointId';

export function getPreferredEndpoint(): string | undefined {
  return localStorage.getItem(ENDPOINT_KEY) ?? undefined;
}

export function setPreferredEndpoint(id: string): void {
  localStorage.setItem(ENDPOINT_KEY, id);
}
