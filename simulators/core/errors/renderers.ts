import type { ProtocolError } from '../service.js';

/** OAuth 2.0 / OpenID Connect error body (RFC 6749 §5.2). */
export function oauthError(error: ProtocolError): Response {
  return Response.json({ error: error.code, error_description: error.message }, { status: error.status, headers: { 'cache-control': 'no-store' } });
}

/** FHIR R4 OperationOutcome, as the Annuaire Santé API returns errors. */
export function fhirOperationOutcome(error: ProtocolError): Response {
  const outcome = {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: error.status === 404 ? 'not-found' : error.status < 500 ? 'invalid' : 'exception', diagnostics: error.message, details: { text: error.code } }],
  };
  return new Response(JSON.stringify(outcome), { status: error.status, headers: { 'content-type': 'application/fhir+json; charset=utf-8' } });
}

/** Plain JSON error, for the admin API and diagnostics routes. */
export function jsonError(error: ProtocolError): Response {
  return Response.json({ error: { code: error.code, message: error.message, ...(error.detail ? { detail: error.detail } : {}) } }, { status: error.status });
}
