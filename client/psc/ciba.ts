/**
 * CIBA in poll mode (psc-eprescription.md A9): the LGC pushes an authentication request to the
 * professional's e-CPS (`MOBILE`) or CPS card through CPS-Gestion (`CARD`), shows the 2-digit binding
 * message, and polls the token endpoint. openid-client's poller honours `interval` and `slow_down`
 * (+5 s) and stops after `expires_in`; this module turns the outcome into a typed result.
 */
import { randomInt } from 'node:crypto';
import * as oidc from 'openid-client';
import { PscError, toPscError } from './errors.js';
import type { PscClient } from './session.js';
import type { PscTokenSet } from './types.js';

export type CibaChannel = 'CARD' | 'MOBILE';

export interface StartCibaOptions {
  /** SubjectNameID (idNat_PS) of the professional. */
  loginHint: string;
  /** Two digits `00`–`99`, shown to the user; random when omitted. */
  bindingMessage?: string;
  channel: CibaChannel;
  /** Default: the client's scope (`openid scope_all`). */
  scope?: string;
  /** Default: the client's acr_values (`eidas1`). */
  acrValues?: string;
}

export type CibaResult =
  | { status: 'approved'; tokens: PscTokenSet }
  | { status: 'denied'; error: 'access_denied'; description?: string }
  /** `expired_token` from PSC, or `source: 'client'` when `expires_in` ran out while polling. */
  | { status: 'expired'; error: 'expired_token'; description?: string; source: 'server' | 'client' }
  | { status: 'aborted' };

export interface CibaPending {
  authReqId: string;
  bindingMessage: string;
  channel: CibaChannel;
  /** Seconds, as PSC acknowledged them. */
  expiresIn: number;
  interval: number;
  /** Polls until tokens, denial or expiry; the tokens are installed in the client's session. */
  poll(opts?: { signal?: AbortSignal }): Promise<CibaResult>;
}

/** A random 2-digit binding message. */
export function randomBindingMessage(): string {
  return String(randomInt(0, 100)).padStart(2, '0');
}

/** Sends the backchannel authentication request. */
export async function startCiba(client: PscClient, opts: StartCibaOptions): Promise<CibaPending> {
  if (!opts.loginHint) throw new PscError('CIBA needs loginHint (the SubjectNameID)', 'invalid_request');
  if (opts.channel !== 'CARD' && opts.channel !== 'MOBILE') throw new PscError(`CIBA channel must be CARD or MOBILE, not ${String(opts.channel)}`, 'invalid_request');
  const bindingMessage = opts.bindingMessage ?? randomBindingMessage();
  if (!/^\d{2}$/.test(bindingMessage)) throw new PscError('PSC binding_message is two digits (00-99)', 'invalid_binding_message');
  if (!client.metadata.backchannel_authentication_endpoint) throw new PscError('PSC metadata has no backchannel_authentication_endpoint', 'ciba_unsupported');
  let ack: oidc.BackchannelAuthenticationResponse;
  try {
    ack = await oidc.initiateBackchannelAuthentication(client.config, {
      scope: opts.scope ?? client.scope,
      login_hint: opts.loginHint,
      binding_message: bindingMessage,
      acr_values: opts.acrValues ?? client.acrValues,
      channel: opts.channel,
    });
  } catch (err) {
    throw toPscError(err, 'PSC CIBA request failed');
  }
  return {
    authReqId: ack.auth_req_id,
    bindingMessage,
    channel: opts.channel,
    expiresIn: ack.expires_in,
    interval: ack.interval ?? 5,
    poll: (pollOpts) => pollCiba(client, ack, pollOpts),
  };
}

/** Polls a CIBA request (see `CibaPending.poll`). */
export async function pollCiba(client: PscClient, ack: oidc.BackchannelAuthenticationResponse, opts: { signal?: AbortSignal } = {}): Promise<CibaResult> {
  const expiry = AbortSignal.timeout(ack.expires_in * 1000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, expiry]) : expiry;
  try {
    const resp = await oidc.pollBackchannelAuthenticationGrant(client.config, ack, undefined, { signal });
    return { status: 'approved', tokens: client.adoptTokens(resp) };
  } catch (err) {
    if (opts.signal?.aborted) return { status: 'aborted' };
    if (expiry.aborted) return { status: 'expired', error: 'expired_token', description: 'expires_in elapsed while polling', source: 'client' };
    const e = toPscError(err, 'PSC CIBA polling failed');
    if (e.code === 'access_denied') return { status: 'denied', error: 'access_denied', description: e.description };
    if (e.code === 'expired_token') return { status: 'expired', error: 'expired_token', description: e.description, source: 'server' };
    throw e;
  }
}
