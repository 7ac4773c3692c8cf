/**
 * The PSC simulator's control endpoints (admin API, over HTTP): headless mode and CIBA decisions.
 * Used by CI and the flows; a real PSC has no such thing (the user approves on the phone or card).
 */
import type { AdminClient } from '../admin.js';

export interface PscSandboxSettings {
  /** Approve authorization requests carrying a known `login_hint` without showing the login page. */
  autoApprove?: boolean;
  /** Means reported in the tokens (`authMode`, and the acr that goes with it). */
  authMode?: 'CARD' | 'MOBILE';
  [setting: string]: unknown;
}

function base(sandbox: string): string {
  return `/_admin/sandboxes/${encodeURIComponent(sandbox)}/psc`;
}

/** `PUT /_admin/sandboxes/:id/psc`: e.g. `{ autoApprove: true, authMode: 'CARD' }` for the headless code flow. */
export function setPscSandbox(admin: AdminClient, sandbox: string, settings: PscSandboxSettings): Promise<unknown> {
  return admin.request('PUT', base(sandbox), settings);
}

/** `POST /_admin/sandboxes/:id/psc/ciba/:authReqId/approve`: the user confirms on the device. */
export function approveCiba(admin: AdminClient, sandbox: string, authReqId: string): Promise<unknown> {
  return admin.request('POST', `${base(sandbox)}/ciba/${encodeURIComponent(authReqId)}/approve`);
}

/** `POST /_admin/sandboxes/:id/psc/ciba/:authReqId/deny`: the user refuses (the poll ends with access_denied). */
export function denyCiba(admin: AdminClient, sandbox: string, authReqId: string): Promise<unknown> {
  return admin.request('POST', `${base(sandbox)}/ciba/${encodeURIComponent(authReqId)}/deny`);
}
