/**
 * ePrescription ep4_creer: creations per second over plain HTTP keep-alive (card mode: an assertion PS in
 * every envelope), 32 connections, every request a new identifier (an 18-character counter written into a
 * pre-built envelope), file store (one JSON line appended per creation), journal on; several rounds, median.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { BenchContext, LoadResult } from '../lib.js';
import { kill, median, row, spawnServer, verdict } from '../lib.js';

const ACTION = 'urn:ServiceEPrescription:1.0.0:ep4_creer';
const ALPHABET = '0123456789ABCDEFGHJKMNPRSTUVWXYZ';
const ID_MARK = '@@IDENTIFIANT@@';

/** A three-line prescription (medicine, device, nursing act) as a prescriber's software sends it, identifier left as a mark. */
function template(): string {
  const today = new Date().toISOString().slice(0, 10);
  const assertion =
    `<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_bench" IssueInstant="2026-11-22T08:00:00Z" Version="2.0"><Issuer>CN=899800000020</Issuer>` +
    `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/><SignatureValue>AAAA</SignatureValue></Signature><Subject><NameID>899800000020</NameID></Subject></Assertion>`;
  const flags = '<ep:Substituable>true</ep:Substituable><ep:Stupefiant>false</ep:Stupefiant><ep:Exception>false</ep:Exception><ep:ALD>false</ep:ALD><ep:ATMP>false</ep:ATMP><ep:Prevention>false</ep:Prevention><ep:NonRemboursable>false</ep:NonRemboursable><ep:HorsAMM>false</ep:HorsAMM>';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>` +
    `<ctxbam:ContexteBAM Version="01_02" xmlns:ctxbam="urn:siram:bam:ctxbam"><ctxbam:Id>bam</ctxbam:Id><ctxbam:Temps>2026-11-22T08:00:00Z</ctxbam:Temps><ctxbam:Emetteur>10B0152872</ctxbam:Emetteur><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>` +
    `<ctxlps:ContexteLPS Nature="CTXLPS" Version="01_00" xmlns:ctxlps="urn:siram:lps:ctxlps"><ctxlps:Id>lps</ctxlps:Id><ctxlps:Temps>2026-11-22T08:00:00Z</ctxlps:Temps><ctxlps:Emetteur>10B0152872</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">BENCH2026</ctxlps:IDAM><ctxlps:Version>1</ctxlps:Version><ctxlps:Instance>636c9d43-0000-4000-8000-000000000000</ctxlps:Instance><ctxlps:Nom>urn:lps:bench:1</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>` +
    `<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">${ACTION}</wsa:Action><wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">uuid:${ID_MARK}</wsa:MessageID>` +
    `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">${assertion}</wsse:Security></soap:Header>` +
    `<soap:Body><ep:ep4_creer xmlns:ep="http://www.cnamts.fr/ePrescription"><ep:EPrescription><ep:Identifiant>${ID_MARK}</ep:Identifiant>` +
    `<ep:DateRedaction>${today}</ep:DateRedaction><ep:DebutValidite>${today}</ep:DebutValidite>` +
    `<ep:Patient><ep:INS><ep:Matricule>284076322000786</ep:Matricule><ep:OID>1.2.250.1.213.1.4.8</ep:OID></ep:INS><ep:NomNaissance>DUPONT</ep:NomNaissance><ep:Prenom>Marie-Hélène</ep:Prenom><ep:DateNaissance>1984-07-14</ep:DateNaissance><ep:Sexe>F</ep:Sexe></ep:Patient>` +
    `<ep:Prescripteur><ep:RPPS>99800000020</ep:RPPS><ep:Nom>MARTIN</ep:Nom><ep:Prenom>Claire</ep:Prenom><ep:Profession>10</ep:Profession><ep:Specialite>SM54</ep:Specialite><ep:NumeroAM>751234567</ep:NumeroAM></ep:Prescripteur>` +
    `<ep:OppositionConsultationExecution>false</ep:OppositionConsultationExecution><ep:SousType>MED-1096</ep:SousType>` +
    `<ep:Ligne Numero="1" Type="medicament"><ep:Produit><ep:CIP13>3400930101018</ep:CIP13><ep:Libelle>Paracétamol 1 g, comprimé</ep:Libelle></ep:Produit><ep:Posologie>1 comprimé jusqu’à 3 fois par jour</ep:Posologie><ep:DureeJours>30</ep:DureeJours><ep:Quantite>2</ep:Quantite><ep:Renouvellements>2</ep:Renouvellements>${flags}</ep:Ligne>` +
    `<ep:Ligne Numero="2" Type="dispositifMedical"><ep:Produit><ep:LPP>1104910</ep:LPP><ep:Libelle>Bandelettes</ep:Libelle></ep:Produit><ep:Quantite>3</ep:Quantite><ep:Renouvellements>0</ep:Renouvellements></ep:Ligne>` +
    `<ep:Ligne Numero="3" Type="acteInfirmier"><ep:Acte><ep:Code>AMI</ep:Code><ep:Libelle>Injection sous-cutanée</ep:Libelle></ep:Acte><ep:Quantite>10</ep:Quantite><ep:Domicile>true</ep:Domicile></ep:Ligne>` +
    `</ep:EPrescription></ep:ep4_creer></soap:Body></soap:Envelope>`
  );
}

/** The n-th identifier: `B` + a run letter + n in base 32 on 16 characters (distinct across rounds and runs). */
function identifier(run: string, n: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    s = ALPHABET[n % 32] + s;
    n = Math.floor(n / 32);
  }
  return `B${run}${s}`;
}

let counter = 0;

async function creates(url: string, parts: string[], run: string, seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url,
    duration: seconds,
    connections: 32,
    pipelining: 1,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': `application/soap+xml;charset=UTF-8;action="${ACTION}"` },
        setupRequest: (req) => ({ ...req, body: parts.join(identifier(run, counter++)) }),
      },
    ],
  } as autocannon.Options);
  return { requests: result.requests.total, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx };
}

export async function eprescriptionBench(ctx: BenchContext): Promise<string[]> {
  const lines = ['ePrescription — ep4_creer over HTTP keep-alive (assertion PS), distinct identifiers, file store (JSONL append), journal on'];
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-eprescription-'));
  const server = await spawnServer(join(import.meta.dirname, '../servers/eprescription-host.mjs'), [ctx.pkiDir, dataDir]);
  const parts = template().split(ID_MARK);
  const run = ALPHABET[Date.now() % 32]!;
  try {
    const url = `${server.url}/eprescription`;
    const probe = await creates(url, parts, run, 1);
    if (probe.non2xx || probe.errors) lines.push(`  WARNING: warm-up got ${probe.errors} errors, ${probe.non2xx} non-2xx`);
    const runs: LoadResult[] = [];
    for (let round = 0; round < ctx.rounds; round++) runs.push(await creates(url, parts, run, ctx.seconds));
    const m = median(runs);
    lines.push(...runs.map((r, i) => row(`round ${i + 1}`, r)));
    lines.push(row(`ep4_creer (median of ${ctx.rounds})`, m));
    const log = join(dataDir, 'sandboxes', 'default', 'eprescription', 'events.jsonl');
    const stored = readFileSync(log, 'utf8').split('\n').length - 1;
    lines.push(`  ${stored} prescriptions in the event log (${(statSync(log).size / 1024 / 1024).toFixed(1)} MB)`);
    lines.push(verdict(m.rps >= 1000 && m.non2xx === 0 && m.errors === 0, `${Math.round(m.rps)} creates/s (goal ≥ 1 000/s, every answer 200)`));
  } finally {
    await kill(server.child);
  }
  return lines;
}
