/**
 * One JSON call to a segur-sim endpoint (admin API, Vitale reader): a network failure or an
 * `{ error: { code, message } }` answer becomes the caller's error type, built by `fail`.
 */
export async function segurJson<T>(
  url: string,
  init: RequestInit,
  fail: (status: number, code: string, message: string) => Error,
  unreachable: (cause: string) => string,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw fail(0, 'Unreachable', unreachable(cause ? ` (${cause})` : ''));
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw fail(response.status, error?.code ?? `HTTP${response.status}`, error?.message ?? (text || response.statusText));
  }
  if (json === undefined && text) throw fail(response.status, 'InvalidResponse', `answered ${response.status} without JSON: ${text.slice(0, 200)}`);
  return json as T;
}
